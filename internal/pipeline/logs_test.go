package pipeline

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/gopulse/gopulse/event"
	"github.com/gopulse/gopulse/logparse"
)

type logRec struct {
	Source, Format, Level, Template, Body string
	TemplateID                            uint64
	Labels                                map[string]string
	Line                                  uint64
}

type logSink struct{ recs []logRec }

func (s *logSink) HandleLog(r *event.LogRecord) {
	l := map[string]string{}
	for _, lb := range r.Labels {
		l[lb.Name] = lb.Value
	}
	s.recs = append(s.recs, logRec{r.Source, r.Format, string(r.Level), r.Template, string(r.Body), r.TemplateID, l, r.Line})
}

type obs struct{ byPID map[uint32][]string }

func (o *obs) ObserveLog(pid uint32, level []byte, tid uint64) {
	if o.byPID == nil {
		o.byPID = map[uint32][]string{}
	}
	o.byPID[pid] = append(o.byPID[pid], string(level))
}

type index struct{}

func (index) PodProcs(ns, pod, c string, dst []uint32) []uint32 {
	if ns == "shop" && pod == "cart-7d9f8c6b5-x2k4q" && c == "cart" {
		return append(dst, 11)
	}
	return dst
}
func (index) ServiceProcs(s string, dst []uint32) []uint32 {
	if s == "billing" {
		return append(dst, 10)
	}
	return dst
}

func TestLogRouterEndToEnd(t *testing.T) {
	dir := t.TempDir()
	podLog := filepath.Join(dir, "var/log/pods/shop_cart-7d9f8c6b5-x2k4q_0b7c2a8e-1f2d-4c3b-9a8e-7d6c5b4a3f21/cart/0.log")
	plain := filepath.Join(dir, "var/log/billing.log")
	os.MkdirAll(filepath.Dir(podLog), 0o755)
	appendFile(t, podLog, "")
	appendFile(t, plain, "")

	sink := &logSink{}
	o := &obs{}
	reg := prometheus.NewPedanticRegistry()
	router, err := NewLogRouter(LogRouterOptions{
		Factory:   NewLogParser,
		Overrides: []LogOverride{{Path: dir + "/var/log/billing.log", Service: "billing"}},
		Sinks:     []event.LogSink{sink}, Observer: o, Procs: index{},
	}, slog.New(slog.DiscardHandler), reg)
	if err != nil {
		t.Fatal(err)
	}
	tl := newTestTailer(t, TailConfig{Paths: []string{dir + "/var/log/pods/**/*.log", dir + "/var/log/*.log"}}, router, nil)
	tl.Scan()
	// CRI-wrapped JSON, with a partial line reassembled
	appendFile(t, podLog, `2026-11-22T00:00:00.000000001Z stdout F {"level":"info","msg":"cart loaded 3 items"}`+"\n"+
		`2026-11-22T00:00:01.000000001Z stderr P {"level":"error","msg":"payment `+"\n"+
		`2026-11-22T00:00:01.000000002Z stderr F failed for order 17"}`+"\n"+
		`2026-11-22T00:00:02.000000001Z stderr F {"level":"error","msg":"payment failed for order 18"}`+"\n")
	appendFile(t, plain, "2026-11-22 00:00:03 ERROR db timeout after 30s\n2026-11-22 00:00:04 INFO request served in 12ms\n")
	tl.Poll()
	// the last record of each file waits for a next line (it could be a
	// stack trace) until the multi-line wait is over
	now := time.Now()
	router.Idle(now)
	router.Idle(now.Add(logparse.DefaultMaxWait))

	var pod, bill []logRec
	for _, r := range sink.recs {
		if r.Format == FormatTemplateMerge {
			continue // billing.log's provisional ids, settled at the wait
		}
		if r.Source == podLog {
			pod = append(pod, r)
		} else {
			bill = append(bill, r)
		}
	}
	if len(pod) != 3 || len(bill) != 2 {
		t.Fatalf("records: %+v", sink.recs)
	}
	// stdout and stderr records are assembled apart: in order per stream
	sort.SliceStable(pod, func(i, j int) bool { return pod[i].Line < pod[j].Line })
	if pod[0].Format != "json" || pod[1].Level != "error" || pod[1].Line != 2 {
		t.Fatalf("pod records %+v", pod)
	}
	if l := pod[0].Labels; l["service"] != "cart" || l["namespace"] != "shop" || l["pod"] != "cart-7d9f8c6b5-x2k4q" || l["container"] != "cart" {
		t.Fatalf("labels %v", l)
	}
	if pod[1].TemplateID == 0 || pod[1].TemplateID != pod[2].TemplateID {
		t.Logf("templates %q %q", pod[1].Template, pod[2].Template)
	}
	if bill[0].Labels["service"] != "billing" || bill[0].Level != "error" {
		t.Fatalf("billing %+v", bill[0])
	}
	if got := strings.Join(o.byPID[11], ","); got != "error,info,error" { // stderr's first record is out first
		t.Fatalf("pid 11 levels %q", got)
	}
	if got := strings.Join(o.byPID[10], ","); got != "error,info" {
		t.Fatalf("pid 10 levels %q", got)
	}
	if n := testutil.ToFloat64(router.lines.WithLabelValues("json")); n != 3 {
		t.Fatalf("json lines %g", n)
	}
}

func TestFileService(t *testing.T) {
	for p, want := range map[string]string{
		"/var/log/billing.log": "billing", "/var/log/api.log.1": "api", "/var/log/api.log.2.gz": "api",
		"/var/log/syslog": "syslog", "/var/log/my.app.log": "my.app",
	} {
		if got := fileService(p); got != want {
			t.Errorf("%s: %q, want %q", p, got, want)
		}
	}
}

func TestGuessService(t *testing.T) {
	for pod, want := range map[string]string{
		"cart-7d9f8c6b5-x2k4q": "cart", "db-0": "db", "node-exporter-abcde": "node-exporter", "solo": "solo",
	} {
		if got := guessService(pod); got != want {
			t.Errorf("%s: %q", pod, got)
		}
	}
}

func TestLogParserOverrides(t *testing.T) {
	if _, err := NewLogParser("x", LogOverride{Format: "nope"}); err == nil || !strings.Contains(err.Error(), "known:") {
		t.Fatalf("err = %v", err)
	}
	if _, err := NewLogParser("x", LogOverride{Pattern: "<int:status"}); err == nil {
		t.Fatal("bad pattern accepted")
	}
	p, err := NewLogParser("x", LogOverride{Format: "logfmt"})
	if err != nil {
		t.Fatal(err)
	}
	var rec event.LogRecord
	if err := p.Parse([]byte(`level=warn msg="slow query" ms=812`), &rec); !errors.Is(err, ErrSkipLine) {
		t.Fatalf("the record came out before the source showed it is complete: %v", err)
	}
	if ok, err := p.Flush(time.Now(), true, &rec); !ok || err != nil || rec.Format != "logfmt" || string(rec.Level) != "warn" {
		t.Fatalf("%v %v %+v", ok, err, rec)
	}
}

// fieldSink collects HandleLog records (Fields copied).
type fieldSink struct{ fields []map[string]string }

func (s *fieldSink) HandleLog(r *event.LogRecord) {
	if r.Format == FormatTemplateMerge {
		return // an announcement of the miner, not a record of the file
	}
	m := map[string]string{}
	for _, f := range r.Fields {
		m[string(f.Key)] = string(f.Value)
	}
	s.fields = append(s.fields, m)
}

// TestLogRouterSourceMetrics: per-format lines, parse errors (a line that is
// not in its stream's format), schema drift and the templates gauge, which
// drops when the source closes.
func TestLogRouterSourceMetrics(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	sink := &fieldSink{}
	router, err := NewLogRouter(LogRouterOptions{Factory: NewLogParser, Sinks: []event.LogSink{sink}},
		slog.New(slog.DiscardHandler), reg)
	if err != nil {
		t.Fatal(err)
	}
	const src = "/var/log/app.log"
	// 100 lines establish the schema; then a window of 1000 lines in which
	// status turns into a string and a field appears.
	for i := range 1200 {
		line := fmt.Sprintf(`{"level":"info","msg":"served %d","status":%d}`, i, 200+i%2)
		if i >= 200 {
			line = fmt.Sprintf(`{"level":"info","msg":"served %d","status":"s%d","region":"eu"}`, i, i%2)
		}
		router.HandleLine(src, []byte(line), false)
		if i == 50 {
			router.HandleLine(src, []byte("not json at all"), false)
		}
	}
	now := time.Now()
	router.Idle(now)
	router.Idle(now.Add(logparse.DefaultMaxWait))
	if n := testutil.ToFloat64(router.errs.WithLabelValues("json")); n != 1 {
		t.Errorf("json parse errors %g, want 1", n)
	}
	if n := testutil.ToFloat64(router.lines.WithLabelValues("json")); n != 1200 {
		t.Errorf("json lines %g, want 1200", n)
	}
	if n := testutil.ToFloat64(router.changes.WithLabelValues("json", "type_changed")); n != 1 {
		t.Errorf("type changes %g, want 1", n)
	}
	if n := testutil.ToFloat64(router.changes.WithLabelValues("json", "field_added")); n != 1 {
		t.Errorf("fields added %g, want 1", n)
	}
	tmpl := testutil.ToFloat64(router.templates.WithLabelValues("json"))
	if tmpl < 1 {
		t.Errorf("templates %g", tmpl)
	}
	if len(sink.fields) != 1201 || sink.fields[0]["status"] != "200" || sink.fields[1199]["region"] != "eu" {
		t.Errorf("fields reaching the sinks: %d records, first %v", len(sink.fields), sink.fields[0])
	}
	router.CloseSource(src)
	if n := testutil.ToFloat64(router.templates.WithLabelValues("json")); n != 0 {
		t.Errorf("templates after close %g, want 0", n)
	}
	// Every series is exposed.
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, mf := range mfs {
		names[mf.GetName()] = true
	}
	for _, n := range []string{"gopulse_log_lines_total", "gopulse_log_parse_errors_total", "gopulse_log_schema_changes_total", "gopulse_log_templates"} {
		if !names[n] {
			t.Errorf("%s not exposed", n)
		}
	}
}

// BenchmarkLogRouterHandleLine: a logfmt line (the tail drill's) through
// the router, its parser and a sink that keeps nothing; cpu-ns/line is the
// process's CPU time (a loaded machine disturbs it far less than ns/op).
func BenchmarkLogRouterHandleLine(b *testing.B) {
	router, err := NewLogRouter(LogRouterOptions{Factory: NewLogParser, Sinks: []event.LogSink{nopLogSink{}}},
		slog.New(slog.DiscardHandler), prometheus.NewRegistry())
	if err != nil {
		b.Fatal(err)
	}
	lines := make([][]byte, 1024)
	for i := range lines {
		lines[i] = fmt.Appendf(nil, `ts=2026-12-04T15:04:05.%09dZ level=info msg="drill line" seq=%d pad=%s`,
			i, i, strings.Repeat("abcdefghij", 6))
	}
	const src = "/var/log/app.log"
	for _, l := range lines { // the stream's format and schema are settled
		router.HandleLine(src, l, false)
	}
	b.SetBytes(int64(len(lines[0])))
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := processCPU()
	for i := range b.N {
		router.HandleLine(src, lines[i%len(lines)], false)
	}
	if cpu := processCPU() - cpu0; cpu > 0 {
		b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/line")
	}
}

type nopLogSink struct{}

func (nopLogSink) HandleLog(*event.LogRecord) {}
