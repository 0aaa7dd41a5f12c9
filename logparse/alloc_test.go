package logparse

import (
	"testing"
)

// benchLines holds one representative line per format (written for these
// tests, not taken from any data set).
var benchLines = map[string]string{
	"json":         `{"time":"2024-03-05T10:11:12.123Z","level":"info","msg":"request served","http":{"method":"GET","status":200,"path":"/api/v1/users/42"},"latency_ms":12.5,"ok":true,"user_agent":"Mozilla/5.0 (X11; Linux x86_64)"}`,
	"json_escapes": `{"time":"2024-03-05T10:11:12.123Z","level":"error","msg":"db: \"users\" locked\ttry again","path":"C:\\tmp\\x","u":"caf\u00e9"}`,
	"logfmt":       `ts=2024-03-05T10:11:12.123456Z level=info msg="request served" method=GET path=/api/v1/users/42 status=200 dur=1.5ms bytes=5124`,
	"slog":         `time=2024-03-05T10:11:12.123+01:00 level=INFO msg="request served" method=GET path=/api/v1/users/42 status=200 duration=1.203ms`,
	"combined":     `192.168.1.10 - - [05/Mar/2024:10:11:12 +0000] "GET /api/v1/users/42?expand=true HTTP/1.1" 200 5124 "https://example.com/start" "Mozilla/5.0 (X11; Linux x86_64; rv:123.0) Gecko/20100101 Firefox/123.0"`,
	"clf":          `127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326`,
	"nginx_error":  `2024/03/05 10:11:12 [error] 1234#1234: *5 open() "/usr/share/nginx/html/favicon.ico" failed (2: No such file or directory), client: 192.168.1.10, server: localhost, request: "GET /favicon.ico HTTP/1.1", host: "localhost"`,
	"apache_error": `[Tue Mar 05 10:11:12.123456 2024] [core:error] [pid 1234:tid 140234] [client 192.168.1.10:51234] AH00126: Invalid URI in request GET /../../etc/passwd HTTP/1.1`,
	"syslog":       `<34>Mar  5 10:11:12 web-1 sshd[2101]: Accepted publickey for deploy from 203.0.113.9 port 52144 ssh2`,
	"syslog5424":   `<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"] An application event log entry`,
	"klog":         `E0305 10:11:14.500000       7 pod_workers.go:1300] "Error syncing pod, skipping" err="failed to \"StartContainer\"" pod="default/web-0" podUID="a1b2"`,
	"cri":          `2024-03-05T10:11:12.123456789Z stdout F {"level":"info","msg":"from json inside cri","status":200}`,
	"docker":       `{"log":"192.168.1.10 - - [05/Mar/2024:10:11:12 +0000] \"GET / HTTP/1.1\" 200 612 \"-\" \"curl/8.5.0\"\n","stream":"stdout","time":"2024-03-05T10:11:12.123456789Z"}`,
}

// wantFormat is the format each bench line must be detected as.
var wantFormat = map[string]string{
	"json_escapes": "json", "cri": "json", "docker": "combined",
}

// TestZeroAllocs checks the steady state of every known format: once a
// Stream has settled, parsing a line allocates nothing.
func TestZeroAllocs(t *testing.T) {
	for name, line := range benchLines {
		s := NewStream(StreamOptions{Year: 2024, DetectLines: 1})
		var r Record
		b := []byte(line)
		if err := s.Parse(b, &r); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		want := wantFormat[name]
		if want == "" {
			want = name
		}
		if r.Format != want {
			t.Errorf("%s: detected as %q", name, r.Format)
		}
		allocs := testing.AllocsPerRun(200, func() {
			if err := s.Parse(b, &r); err != nil {
				t.Fatal(err)
			}
		})
		if allocs != 0 {
			t.Errorf("%s: %.1f allocs per line", name, allocs)
		}
	}
	p, err := CompilePattern(`<ip:client> - <_> [<ts:time>] "<method> <path> <_>" <int:status> <int:bytes> <qs:referer> <qs:agent>`)
	if err != nil {
		t.Fatal(err)
	}
	var r Record
	b := []byte(benchLines["combined"])
	if allocs := testing.AllocsPerRun(200, func() {
		r.Reset()
		if err := p.Parse(b, &r); err != nil {
			t.Fatal(err)
		}
	}); allocs != 0 {
		t.Errorf("pattern: %.1f allocs per line", allocs)
	}
}
