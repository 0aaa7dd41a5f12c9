package logengine

import (
	"fmt"
	"sort"
	"testing"

	"github.com/gopulse/gopulse/logparse"
	"github.com/gopulse/gopulse/schema"
)

// formatLines returns n distinct lines of one format (varying ids, numbers,
// addresses, levels), written for these tests.
func formatLines(format string, n int) [][]byte {
	levels := []string{"info", "warn", "error", "debug"}
	methods := []string{"GET", "POST", "PUT", "DELETE"}
	out := make([][]byte, n)
	for i := range out {
		lv, m := levels[i%4], methods[i%4]
		ip := fmt.Sprintf("10.%d.%d.%d", i%7, i%13, i%250+1)
		var l string
		switch format {
		case "json":
			l = fmt.Sprintf(`{"time":"2026-11-22T01:%02d:%02d.%03dZ","level":"%s","msg":"request served","http":{"method":"%s","status":%d,"path":"/api/v1/users/%d"},"latency_ms":%d.%d,"ok":%t,"client":"%s"}`,
				i%60, (i*7)%60, i%1000, lv, m, 200+i%5, i, i%300, i%10, i%3 != 0, ip)
		case "logfmt":
			l = fmt.Sprintf(`ts=2026-11-22T01:%02d:%02d.%06dZ level=%s msg="request served" method=%s path=/api/v1/users/%d status=%d dur=%d.%dms bytes=%d`,
				i%60, (i*7)%60, i, lv, m, i, 200+i%5, i%90, i%10, 100+i*13)
		case "slog":
			l = fmt.Sprintf(`time=2026-11-22T01:%02d:%02d.123+01:00 level=%s msg="request served" method=%s path=/api/v1/users/%d status=%d duration=%d.%03dms`,
				i%60, (i*7)%60, []string{"INFO", "WARN", "ERROR", "DEBUG"}[i%4], m, i, 200+i%5, i%20, i%1000)
		case "combined":
			l = fmt.Sprintf(`%s - - [22/Nov/2026:01:%02d:%02d +0000] "%s /api/v1/users/%d?expand=true HTTP/1.1" %d %d "https://example.com/start" "Mozilla/5.0 (X11; Linux x86_64; rv:%d.0) Gecko/20100101 Firefox/%d.0"`,
				ip, i%60, (i*7)%60, m, i, 200+i%5, 100+i*13, 100+i%30, 100+i%30)
		case "clf":
			l = fmt.Sprintf(`%s - user%d [22/Nov/2026:01:%02d:%02d -0700] "%s /img/%d.gif HTTP/1.0" %d %d`, ip, i%9, i%60, (i*7)%60, m, i, 200+i%5, 100+i*7)
		case "nginx_error":
			l = fmt.Sprintf(`2026/11/22 01:%02d:%02d [%s] %d#%d: *%d open() "/usr/share/nginx/html/f%d.ico" failed (2: No such file or directory), client: %s, server: localhost, request: "GET /f%d.ico HTTP/1.1", host: "localhost"`,
				i%60, (i*7)%60, lv, 1000+i%4, 1000+i%4, i, i, ip, i)
		case "apache_error":
			l = fmt.Sprintf(`[Sun Nov 22 01:%02d:%02d.%06d 2026] [core:%s] [pid %d:tid %d] [client %s:%d] AH00126: Invalid URI in request GET /x/%d HTTP/1.1`,
				i%60, (i*7)%60, i, lv, 1000+i%4, 140000+i%8, ip, 40000+i, i)
		case "syslog":
			l = fmt.Sprintf(`<34>Nov 22 01:%02d:%02d web-%d sshd[%d]: Accepted publickey for deploy from %s port %d ssh2`, i%60, (i*7)%60, i%3, 2000+i, ip, 50000+i)
		case "syslog5424":
			l = fmt.Sprintf(`<165>1 2026-11-22T01:%02d:%02d.003Z host%d.example.com evntslog - ID%d [exampleSDID@32473 iut="%d" eventSource="Application" eventID="%d"] An application event log entry %d`,
				i%60, (i*7)%60, i%3, i%50, i%9, 1000+i, i)
		case "klog":
			l = fmt.Sprintf(`E1122 01:%02d:%02d.%06d       7 pod_workers.go:1300] "Error syncing pod, skipping" err="failed to \"StartContainer\"" pod="default/web-%d" podUID="a1b2c%d"`,
				i%60, (i*7)%60, i, i%20, i)
		case "cri":
			l = fmt.Sprintf(`2026-11-22T01:%02d:%02d.%09dZ stdout F {"level":"%s","msg":"order %d shipped","status":%d}`, i%60, (i*7)%60, i, lv, i, 200+i%5)
		case "docker":
			l = fmt.Sprintf(`{"log":"%s - - [22/Nov/2026:01:%02d:%02d +0000] \"GET /p/%d HTTP/1.1\" %d %d \"-\" \"curl/8.5.0\"\n","stream":"stdout","time":"2026-11-22T01:%02d:%02d.%09dZ"}`,
				ip, i%60, (i*7)%60, i, 200+i%5, 600+i, i%60, (i*7)%60, i)
		case "alb":
			l = fmt.Sprintf(`https 2026-11-22T01:%02d:%02d.%06dZ app/shop-alb/50dc6c495c0c9188 %s:%d 10.0.2.%d:8080 0.000 0.0%02d 0.000 %d %d %d %d "%s https://shop.example.com:443/api/v1/users/%d HTTP/1.1" "Mozilla/5.0 (X11; Linux x86_64)" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 arn:aws:elasticloadbalancing:eu-west-1:111122223333:targetgroup/shop/73e2d6bc24d8a067 "Root=1-67080e58-%024x" "shop.example.com" "-" %d 2026-11-22T01:%02d:%02d.000000Z "forward" "-" "-" "10.0.2.%d:8080" "%d" "-" "-" TID_%032x`,
				i%60, (i*7)%60, i, ip, 40000+i, i%9+1, i%90, 200+i%5, 200+i%5, 100+i, 1000+i*3, m, i, i, i%5, i%60, (i*7)%60, i%9+1, 200+i%5, i)
		case "elb":
			l = fmt.Sprintf(`2026-11-22T01:%02d:%02d.%06dZ shop-elb %s:%d 10.0.0.%d:80 0.0000%02d 0.00%04d 0.0000%02d %d %d 0 %d "%s http://shop.example.com:80/p/%d HTTP/1.1" "curl/8.5.0" - -`,
				i%60, (i*7)%60, i, ip, 2000+i, i%9+1, i%90, i, i%50, 200+i%5, 200+i%5, 29+i, m, i)
		case "cloudfront":
			l = fmt.Sprintf("2026-11-22\t01:%02d:%02d\tFRA56-P5\t%d\t%s\t%s\td111111abcdef8.cloudfront.net\t/img/%d.png\t%d\t-\tMozilla/5.0%%20(X11)\t-\t-\tHit\treq%dXV6Q4rgb7XiVGOHms==\tshop.example.com\thttps\t%d\t0.00%d\t-\tTLSv1.3\tTLS_AES_128_GCM_SHA256\tHit\tHTTP/2.0\t-\t-\t%d\t0.00%d\tHit\timage/png\t%d\t-\t-",
				i%60, (i*7)%60, 1000+i, ip, m, i, 200+i%5, i, 20+i%9, i%9, 10000+i, i%9, 900+i)
		case "calico":
			l = fmt.Sprintf(`2026-11-22 01:%02d:%02d.%03d [%s][%d] felix/int_dataplane.go %d: Received interface update ifaceName="cali%x" state="up" ipVersion=4`,
				i%60, (i*7)%60, i%1000, []string{"INFO", "WARNING", "ERROR", "DEBUG"}[i%4], 50+i%3, 1500+i%40, i)
		case "apache_ssl_request":
			l = fmt.Sprintf(`[22/Nov/2026:01:%02d:%02d +0000] %s TLSv1.3 TLS_AES_256_GCM_SHA384 "%s /account/%d HTTP/1.1" %d`, i%60, (i*7)%60, ip, m, i, 500+i)
		case "freetext":
			l = fmt.Sprintf(`2026-11-22 01:%02d:%02d,%03d %s [worker-%d] store.Compactor: compaction of segment seg_%d finished in %d ms, %d files merged`,
				i%60, (i*7)%60, i%1000, []string{"INFO", "WARN", "ERROR", "DEBUG"}[i%4], i%4, i, i%97, i%9)
		default:
			panic("no lines for " + format)
		}
		out[i] = []byte(l)
	}
	return out
}

var benchFormats = []string{"alb", "apache_error", "apache_ssl_request", "calico", "clf", "cloudfront", "combined", "cri", "docker", "elb",
	"freetext", "json", "klog", "logfmt", "nginx_error", "slog", "syslog", "syslog5424"}

// wantFormat is the record format of each fixture (wrappers hold another).
var wantFormat = map[string]string{"cri": "json", "docker": "combined"}

const benchN = 512

func settledStream(t testing.TB, format string, lines [][]byte, schemas bool) *Stream {
	e := mustNew(t, Config{Year: 2026, Schema: schemas, MaxTemplates: 1024})
	st := e.NewStream()
	want := format
	if w, ok := wantFormat[format]; ok {
		want = w
	}
	// Past detection, schema sampling and a drift window.
	for range 3 {
		for _, l := range lines {
			r := st.Online(l)
			if r.Partial {
				continue // the first line: its record is out with the next one
			}
			if r.Err != nil || r.Rec.Format != want {
				t.Fatalf("%s: %q: format %q err %v", format, l, r.Rec.Format, r.Err)
			}
		}
	}
	return st
}

// TestZeroAllocsSteadyState: once a stream has settled, a line of a known
// format allocates nothing, neither for parse + schema update nor for the
// agent's whole path (parse, refine, mining, schema).
func TestZeroAllocsSteadyState(t *testing.T) {
	for _, format := range benchFormats {
		lines := formatLines(format, benchN)
		st := settledStream(t, format, lines, true)
		inf := schema.New(schema.Config{Year: 2026})
		for _, l := range lines {
			inf.Observe(&st.Parse(l).Rec)
		}
		i := 0
		if a := testing.AllocsPerRun(2000, func() {
			inf.Observe(&st.Parse(lines[i%len(lines)]).Rec)
			i++
		}); a != 0 {
			t.Errorf("%s: parse + schema: %.2f allocs/line", format, a)
		}
		if a := testing.AllocsPerRun(2000, func() {
			st.Infer(lines[i%len(lines)])
			i++
		}); a != 0 {
			t.Errorf("%s: Infer: %.2f allocs/line", format, a)
		}
		if a := testing.AllocsPerRun(2000, func() {
			st.Online(lines[i%len(lines)])
			st.e.Templates()
			i++
		}); a != 0 {
			t.Errorf("%s: online (parse, mine, schema): %.2f allocs/line", format, a)
		}
	}
}

// BenchmarkParseSchema: parse + schema update per format, in a settled
// stream over 512 distinct lines.
func BenchmarkParseSchema(b *testing.B) {
	runFormats(b, func(st *Stream, _ *schema.Inferrer, line []byte) { st.Infer(line) })
}

// BenchmarkOnline: the agent's whole path per line (parse, refine, template
// mining, schema update).
func BenchmarkOnline(b *testing.B) {
	runFormats(b, func(st *Stream, _ *schema.Inferrer, line []byte) { st.Online(line) })
}

// BenchmarkParse: parse + refine only, the baseline of the two above.
func BenchmarkParse(b *testing.B) {
	runFormats(b, func(st *Stream, _ *schema.Inferrer, line []byte) { st.Parse(line) })
}

func runFormats(b *testing.B, step func(*Stream, *schema.Inferrer, []byte)) {
	names := append([]string(nil), benchFormats...)
	sort.Strings(names)
	for _, format := range names {
		b.Run(format, func(b *testing.B) {
			lines := formatLines(format, benchN)
			st := settledStream(b, format, lines, true)
			inf := schema.New(schema.Config{Year: 2026})
			var total int
			for _, l := range lines {
				total += len(l) + 1
				inf.Observe(&st.Parse(l).Rec)
			}
			b.ReportAllocs()
			b.SetBytes(int64(total / len(lines)))
			cpu0 := processCPU()
			i := 0
			for b.Loop() {
				step(st, inf, lines[i%len(lines)])
				i++
			}
			if cpu := processCPU() - cpu0; cpu > 0 {
				b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
				b.ReportMetric(float64(total)/float64(len(lines))*float64(b.N)/1e6/cpu.Seconds(), "MB/cpu-s")
			}
		})
	}
}

// TestZeroAllocsOTelNames: OpenTelemetry names (renames and splits) add no
// allocation per line either.
func TestZeroAllocsOTelNames(t *testing.T) {
	for _, format := range benchFormats {
		lines := formatLines(format, benchN)
		e := mustNew(t, Config{Year: 2026, Schema: true, MaxTemplates: 1024, Names: logparse.NamesOTel})
		st := e.NewStream()
		for range 3 {
			for _, l := range lines {
				st.Online(l)
			}
		}
		i := 0
		if a := testing.AllocsPerRun(2000, func() {
			st.Infer(lines[i%len(lines)])
			i++
		}); a != 0 {
			t.Errorf("%s: parse + names + schema: %.2f allocs/line", format, a)
		}
	}
}
