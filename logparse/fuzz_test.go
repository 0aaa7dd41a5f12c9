package logparse

import (
	"bytes"
	"errors"
	"testing"
	"time"
)

// fuzzSeeds are lines of every format, plus odd ones.
var fuzzSeeds = []string{
	`{"level":"info","msg":"x \"q\" \u00e9","a":{"b":[1,{"c":null}]},"ts":1709633472.5}`,
	`level=info msg="hello \"w\"" n=3 ok=true`,
	`time=2024-03-05T10:11:12.123+01:00 level=INFO msg="server started" addr=:8080`,
	`192.168.1.10 - - [05/Mar/2024:10:11:12 +0000] "GET / HTTP/1.1" 200 5124 "-" "curl/8"`,
	`::1 - bob [10/Oct/2000:13:55:36 -0700] "GET /x HTTP/1.0" 200 -`,
	`2024/03/05 10:11:12 [error] 1#1: *5 boom, client: 1.2.3.4, server: x, request: "GET / HTTP/1.1"`,
	`[Tue Mar 05 10:11:12.123456 2024] [core:error] [pid 1:tid 2] [client [::1]:80] AH00126: x`,
	`<34>Oct 11 22:14:15 mymachine su[1]: 'su root' failed`,
	`<165>1 2003-10-11T22:14:15.003Z h a - ID47 [ex@1 a="\"\]"] msg`,
	`E0305 10:11:14.500000       7 p.go:1] "Error" err="x" pod="a/b"`,
	`2024-01-02T00:00:00Z stdout P part`,
	`{"log":"x\n","stream":"stdout","time":"2024-01-02T00:00:00Z"}`,
	"", "\x00", "\xff", "{", `{"a":[[[[`, "<", "[", `"`,
}

// checkRecord verifies invariants every successful parse must keep.
func checkRecord(t *testing.T, name string, line []byte, r *Record) {
	t.Helper()
	if r.Format == "" {
		t.Fatalf("%s: no format on success", name)
	}
	for _, f := range r.Fields {
		if len(f.Key) == 0 && r.Format != "pattern" {
			t.Fatalf("%s: empty key in %q", name, line)
		}
	}
	if r.TSLayout == "" && r.TS != 0 {
		t.Fatalf("%s: TS without layout", name)
	}
}

func FuzzParsers(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	parsers := DefaultParsers(2024)
	f.Fuzz(func(t *testing.T, line []byte) {
		orig := bytes.Clone(line)
		var r Record
		for _, p := range parsers {
			r.Reset()
			err := p.Parse(line, &r)
			if err == nil {
				checkRecord(t, p.Name(), line, &r)
			} else if !errors.Is(err, ErrNoMatch) {
				t.Fatalf("%s: error %v is not ErrNoMatch", p.Name(), err)
			}
			if !bytes.Equal(line, orig) {
				t.Fatalf("%s modified its input", p.Name())
			}
		}
	})
}

func FuzzStream(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s + "\n" + s + "\n" + s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s := NewStream(StreamOptions{MaxLine: 512, DetectLines: 2, Year: 2024})
		var r Record
		for _, line := range bytes.Split(data, []byte{'\n'}) {
			err := s.Parse(line, &r)
			if err == nil {
				checkRecord(t, "stream", line, &r)
			}
			if len(r.Body) > 512 {
				t.Fatalf("body over MaxLine: %d", len(r.Body))
			}
		}
		_, _ = s.Flush(&r)
	})
}

func FuzzPattern(f *testing.F) {
	f.Add(`<ip:client> - <_> [<ts:time>] "<method> <path> <_>" <int:status> <int:bytes>`, `::1 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 1`)
	f.Add(`<ts:_> <level:lvl> [<comp>] <msg>`, `2024-01-02T03:04:05Z WARN [db] lost`)
	f.Add(`<kv:_>`, `a=1 b="2"`)
	f.Add(`<float:f> <duration:d> <qs:q> <word:w> <rest:r>`, `1.5 3ms "x\"y" w the rest`)
	f.Add(`\<<int:n>`, `<5`)
	f.Add(`<`, ``)
	f.Add(`<a:b:c>`, `x`)
	f.Fuzz(func(t *testing.T, src, line string) {
		p, err := CompilePattern(src)
		if err != nil {
			var pe *PatternError
			if !errors.As(err, &pe) || pe.Col < 1 || pe.Col > len(src)+1 {
				t.Fatalf("pattern %q: error %v without a valid column", src, err)
			}
			return
		}
		var r Record
		if err := p.Parse([]byte(line), &r); err != nil && !errors.Is(err, ErrNoMatch) {
			t.Fatalf("error %v is not ErrNoMatch", err)
		}
	})
}

// FuzzRFC3339 checks ParseRFC3339 against time.Parse: whatever the standard
// library accepts must parse to the same instant.
func FuzzRFC3339(f *testing.F) {
	f.Add("2024-03-05T10:11:12.123456789+05:30")
	f.Add("1970-01-01T00:00:00Z")
	f.Add("0001-01-01T00:00:00-23:59")
	f.Fuzz(func(t *testing.T, s string) {
		want, err := time.Parse(time.RFC3339Nano, s)
		got, n, ok := ParseRFC3339([]byte(s))
		if err != nil {
			return
		}
		if !ok || n != len(s) || got != want.UnixNano() {
			t.Fatalf("%q: got %d n=%d ok=%v, want %d", s, got, n, ok, want.UnixNano())
		}
	})
}
