package gopulselogprocessor

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/processor/processortest"

	"github.com/gopulse/gopulse/processor/gopulselogprocessor/internal/metadata"
)

// lines builds one batch of records, one per line, as the filelog receiver
// sends them (log.file.name and log.file.path attributes).
func lines(path string, ls ...string) plog.Logs {
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	rl.Resource().Attributes().PutStr("host.name", "node-1")
	sl := rl.ScopeLogs().AppendEmpty()
	for _, l := range ls {
		lr := sl.LogRecords().AppendEmpty()
		lr.Body().SetStr(l)
		lr.Attributes().PutStr("log.file.path", path)
		lr.Attributes().PutStr("log.file.name", path[strings.LastIndexByte(path, '/')+1:])
		lr.SetObservedTimestamp(pcommon.Timestamp(1))
	}
	return ld
}

func newTest(t *testing.T, mutate func(*Config)) (*logProcessor, *consumertest.LogsSink) {
	t.Helper()
	cfg := NewFactory().CreateDefaultConfig().(*Config)
	cfg.Multiline.Wait = 50 * time.Millisecond
	if mutate != nil {
		mutate(cfg)
	}
	sink := new(consumertest.LogsSink)
	p, err := newProcessor(processortest.NewNopSettings(metadata.Type), cfg, sink)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Start(context.Background(), componenttest.NewNopHost()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Shutdown(context.Background()) })
	return p, sink
}

// records returns every record the sink got, in order.
func records(sink *consumertest.LogsSink) []plog.LogRecord {
	var out []plog.LogRecord
	for _, ld := range sink.AllLogs() {
		rls := ld.ResourceLogs()
		for i := 0; i < rls.Len(); i++ {
			sls := rls.At(i).ScopeLogs()
			for j := 0; j < sls.Len(); j++ {
				lrs := sls.At(j).LogRecords()
				for k := 0; k < lrs.Len(); k++ {
					out = append(out, lrs.At(k))
				}
			}
		}
	}
	return out
}

func waitRecords(t *testing.T, sink *consumertest.LogsSink, n int) []plog.LogRecord {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		rs := records(sink)
		if len(rs) >= n {
			return rs
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d records, want %d", len(rs), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func attr(lr plog.LogRecord, k string) (pcommon.Value, bool) { return lr.Attributes().Get(k) }

// JSON lines: the format is detected, fields become typed attributes,
// the level a severity, the time the timestamp; records get templates.
func TestTypedAttributesAndTemplates(t *testing.T) {
	p, sink := newTest(t, nil)
	var ls []string
	for i := 0; i < 30; i++ {
		ls = append(ls, fmt.Sprintf(`{"time":"2026-11-22T01:02:%02dZ","level":"%s","msg":"order %d shipped","status":%d,"latency":%d.5,"cached":%t,"user":"u%d"}`,
			i%60, []string{"info", "error"}[i%2], i, 200+i%3, i, i%2 == 0, i))
	}
	if err := p.ConsumeLogs(context.Background(), lines("/var/log/app.log", ls...)); err != nil {
		t.Fatal(err)
	}
	rs := waitRecords(t, sink, 30) // the last waits for multiline.wait
	lr := rs[3]
	if v, _ := attr(lr, AttrFormat); v.Str() != "json" {
		t.Errorf("format %q", v.Str())
	}
	if v, ok := attr(lr, "status"); !ok || v.Type() != pcommon.ValueTypeInt || v.Int() != 200 {
		t.Errorf("status %v (%v)", v.AsRaw(), v.Type())
	}
	if v, ok := attr(lr, "latency"); !ok || v.Type() != pcommon.ValueTypeDouble || v.Double() != 3.5 {
		t.Errorf("latency %v (%v)", v.AsRaw(), v.Type())
	}
	if v, ok := attr(lr, "cached"); !ok || v.Type() != pcommon.ValueTypeBool || v.Bool() {
		t.Errorf("cached %v (%v)", v.AsRaw(), v.Type())
	}
	if v, _ := attr(lr, "log.file.path"); v.Str() != "/var/log/app.log" {
		t.Errorf("the record lost its own attributes: %v", lr.Attributes().AsRaw())
	}
	if lr.SeverityNumber() != plog.SeverityNumberError || lr.Timestamp() == 0 {
		t.Errorf("severity %v, timestamp %v", lr.SeverityNumber(), lr.Timestamp())
	}
	id, ok := attr(lr, AttrTemplateID)
	tmpl, _ := attr(lr, AttrTemplate)
	if !ok || len(id.Str()) != 16 || !strings.Contains(tmpl.Str(), "shipped") {
		t.Errorf("template %q %q", id.Str(), tmpl.Str())
	}
	if other, _ := attr(rs[5], AttrTemplateID); other.Str() != id.Str() {
		t.Errorf("two lines of one statement have templates %s and %s", id.Str(), other.Str())
	}
}

// javaTrace is a Java exception as a logging framework writes it: a
// header line, then the stack, a cause and "... N more".
var javaTrace = []string{
	`2026-11-22 01:02:03,456 ERROR [http-nio-8080-exec-1] c.e.shop.OrderController: order 42 failed`,
	`java.lang.IllegalStateException: inventory unavailable for sku-9`,
	"\tat com.example.shop.Inventory.reserve(Inventory.java:87)",
	"\tat com.example.shop.OrderService.place(OrderService.java:41)",
	"\tat com.example.shop.OrderController.create(OrderController.java:29)",
	`Caused by: java.net.SocketTimeoutException: Read timed out`,
	"\tat java.base/java.net.SocketInputStream.socketRead0(Native Method)",
	"\t... 12 more",
}

// A Java stack trace arrives as one record with the first line's
// attributes; the records around it stay on their own.
func TestJavaStackTraceIsOneRecord(t *testing.T) {
	p, sink := newTest(t, nil)
	before := `2026-11-22 01:02:02,001 INFO  [main] c.e.shop.App: started in 2.1 s`
	after := `2026-11-22 01:02:04,002 INFO  [http-nio-8080-exec-2] c.e.shop.OrderController: order 43 placed`
	all := append(append([]string{before}, javaTrace...), after)
	// Sent line by line, as a tailer with small batches would.
	for _, l := range all {
		if err := p.ConsumeLogs(context.Background(), lines("/var/log/shop.log", l)); err != nil {
			t.Fatal(err)
		}
	}
	rs := waitRecords(t, sink, 3)
	time.Sleep(150 * time.Millisecond) // nothing else comes
	rs = records(sink)
	if len(rs) != 3 {
		for _, r := range rs {
			t.Logf("record: %q", r.Body().Str())
		}
		t.Fatalf("%d records, want 3 (the trace as one)", len(rs))
	}
	trace := rs[1]
	if want := strings.Join(javaTrace, "\n"); trace.Body().Str() != want {
		t.Errorf("trace body:\n%s\nwant:\n%s", trace.Body().Str(), want)
	}
	if v, _ := attr(trace, AttrLines); v.Int() != int64(len(javaTrace)) {
		t.Errorf("lines %d", v.Int())
	}
	if trace.SeverityNumber() != plog.SeverityNumberError {
		t.Errorf("severity %v", trace.SeverityNumber())
	}
	if rs[0].Body().Str() != before || rs[2].Body().Str() != after {
		t.Errorf("neighbours %q, %q", rs[0].Body().Str(), rs[2].Body().Str())
	}
}

// Streams are kept apart: two files interleaved line by line assemble
// their traces separately.
func TestStreamsKeptApart(t *testing.T) {
	p, sink := newTest(t, nil)
	for _, l := range javaTrace {
		ld := lines("/var/log/a.log", l)
		lines("/var/log/b.log", strings.ReplaceAll(l, "order 42", "order 7")).ResourceLogs().At(0).CopyTo(ld.ResourceLogs().AppendEmpty())
		if err := p.ConsumeLogs(context.Background(), ld); err != nil {
			t.Fatal(err)
		}
	}
	rs := waitRecords(t, sink, 2)
	time.Sleep(150 * time.Millisecond)
	rs = records(sink)
	if len(rs) != 2 {
		t.Fatalf("%d records, want one trace per file", len(rs))
	}
	for _, r := range rs {
		path, _ := attr(r, "log.file.path")
		if n := strings.Count(r.Body().Str(), "\n") + 1; n != len(javaTrace) {
			t.Errorf("%s: %d lines", path.Str(), n)
		}
	}
}

// Shutdown sends a record still waiting for its next line.
func TestShutdownFlushes(t *testing.T) {
	p, sink := newTest(t, func(c *Config) { c.Multiline.Wait = time.Hour })
	if err := p.ConsumeLogs(context.Background(), lines("/var/log/shop.log", javaTrace...)); err != nil {
		t.Fatal(err)
	}
	if n := len(records(sink)); n != 0 {
		t.Fatalf("%d records before the trace ended", n)
	}
	if err := p.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if rs := records(sink); len(rs) != 1 || !strings.Contains(rs[0].Body().Str(), "... 12 more") {
		t.Fatalf("after shutdown: %d records", len(rs))
	}
	if err := p.Shutdown(context.Background()); err != nil {
		t.Fatalf("second Shutdown: %v", err)
	}
}

// Records whose body is not text pass through unchanged.
func TestNonTextBodiesPassThrough(t *testing.T) {
	p, sink := newTest(t, nil)
	ld := plog.NewLogs()
	lr := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords().AppendEmpty()
	lr.Body().SetEmptyMap().PutStr("k", "v")
	if err := p.ConsumeLogs(context.Background(), ld); err != nil {
		t.Fatal(err)
	}
	rs := records(sink)
	if len(rs) != 1 || rs[0].Body().Type() != pcommon.ValueTypeMap || rs[0].Attributes().Len() != 0 {
		t.Fatalf("records %v", rs)
	}
}

// A stream whose fields change emits schema drift events.
func TestSchemaDriftEvents(t *testing.T) {
	p, sink := newTest(t, func(c *Config) { c.Multiline.Enabled = false })
	var ls []string
	for i := 0; i < 1200; i++ {
		ls = append(ls, fmt.Sprintf(`{"level":"info","msg":"tick","n":%d,"code":%d}`, i, i%7))
	}
	for i := 0; i < 2200; i++ {
		ls = append(ls, fmt.Sprintf(`{"level":"info","msg":"tick","n":%d,"code":"c%d","region":"eu-%d"}`, i, i%7, i%3))
	}
	if err := p.ConsumeLogs(context.Background(), lines("/var/log/ticks.log", ls...)); err != nil {
		t.Fatal(err)
	}
	changes := map[string]string{}
	for _, r := range records(sink) {
		if r.EventName() != EventSchemaDrift {
			continue
		}
		k, _ := attr(r, AttrChangeKind)
		f, _ := attr(r, AttrChangeField)
		changes[f.Str()] = k.Str()
		if path, _ := attr(r, "log.file.path"); path.Str() != "/var/log/ticks.log" {
			t.Errorf("drift event without its file: %v", r.Attributes().AsRaw())
		}
	}
	if changes["region"] != "field_added" || changes["code"] != "type_changed" {
		t.Fatalf("drift events %v", changes)
	}
}

// TestTemplateMergeEvents: a quiet file (5 lines, far from the 32 after
// which the free-text header model settles) hands its lines provisional
// template ids, one per message that joined a tail template (one error's
// text after "failed to sync …:"); once the stream gets no line for
// multiline.wait (the processor's timer, multi-line assembly off or on), or
// at shutdown, each becomes a merge event into the event's template, so
// every id sent, followed through the merges, gives one template.
func TestTemplateMergeEvents(t *testing.T) {
	for _, when := range []string{"idle", "shutdown"} {
		t.Run(when, func(t *testing.T) {
			p, sink := newTest(t, func(c *Config) { c.Multiline.Enabled = false })
			var ls []string
			for i, e := range []string{"permission denied", "no space left on device", "device or resource busy", "read-only file system", "input/output error"} {
				ls = append(ls, fmt.Sprintf("2024-03-10 13:55:0%d INFO failed to sync the volume mounts: %s", i, e))
			}
			if err := p.ConsumeLogs(context.Background(), lines("/var/log/auth.log", ls...)); err != nil {
				t.Fatal(err)
			}
			check := func() error {
				sent := map[string]bool{}
				var merges [][2]string
				var last string
				for _, r := range records(sink) {
					if r.EventName() == EventTemplateMerge {
						to, _ := attr(r, AttrTemplateID)
						from, _ := attr(r, AttrTemplateMergedID)
						if path, _ := attr(r, "log.file.path"); path.Str() != "/var/log/auth.log" {
							t.Errorf("merge event without its file: %v", r.Attributes().AsRaw())
						}
						merges = append(merges, [2]string{from.Str(), to.Str()})
						continue
					}
					id, ok := attr(r, AttrTemplateID)
					if !ok {
						t.Fatalf("record without a template id: %v", r.Attributes().AsRaw())
					}
					sent[id.Str()] = true
					last = id.Str()
				}
				if len(sent) < 2 {
					t.Fatalf("the fixture no longer exercises merges: template ids sent %v", sent)
				}
				if len(merges) == 0 {
					return fmt.Errorf("no merge event; template ids sent: %v", sent)
				}
				follow := func(id string) string {
					for _, m := range merges {
						if m[0] == id {
							id = m[1]
						}
					}
					return id
				}
				to := follow(last)
				for id := range sent {
					if follow(id) != to {
						return fmt.Errorf("id %s sent, followed through the merges %v gives %s, the last record's %s gives %s", id, merges, follow(id), last, to)
					}
				}
				return nil
			}
			if when == "shutdown" {
				if err := p.Shutdown(context.Background()); err != nil {
					t.Fatal(err)
				}
				if err := check(); err != nil {
					t.Fatal(err)
				}
				return
			}
			// the processor runs on: the timer settles the stream once it
			// has been idle for multiline.wait (50ms here)
			deadline := time.Now().Add(10 * time.Second)
			for {
				err := check()
				if err == nil {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("10s after the last line, with multiline.wait %s: %v", p.cfg.Multiline.Wait, err)
				}
				time.Sleep(20 * time.Millisecond)
			}
		})
	}
}
