package logengine

import (
	"errors"
	"fmt"
	"testing"

	"github.com/gopulse/gopulse/schema"
)

func mustNew(t testing.TB, cfg Config) *Engine {
	t.Helper()
	e, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func jsonLine(i int) []byte {
	return fmt.Appendf(nil, `{"time":"2026-11-22T01:02:%02d.5Z","level":"info","msg":"request %d served in %dms","status":%d,"path":"/api/v1/items/%d"}`,
		i%60, i, i%97, 200+i%3, i)
}

func TestDetectionWithFallback(t *testing.T) {
	e := mustNew(t, Config{Year: 2026, SingleLine: true})
	st := e.NewStream()
	for i := range 30 {
		r := st.Online(jsonLine(i))
		if r.Err != nil || r.Mismatch || r.Rec.Format != "json" {
			t.Fatalf("line %d: err=%v mismatch=%v format=%q", i, r.Err, r.Mismatch, r.Rec.Format)
		}
	}
	if st.Format() != "json" {
		t.Fatalf("stream format %q, want json", st.Format())
	}
	r := st.Online([]byte("goroutine 7 [running]: not a JSON line {"))
	if r.Err != nil || !r.Mismatch || !r.Failed() || r.Rec.Format != "freetext" {
		t.Fatalf("free-text line in a JSON stream: err=%v mismatch=%v format=%q", r.Err, r.Mismatch, r.Rec.Format)
	}
	if !r.HasTemplate || r.Template.Text == "" {
		t.Fatal("the fallback line has no template")
	}
}

// TestFreeTextLookalikeIsNotSyslog: free-text lines whose level word sits
// where an RFC 3164 hostname would be are free text, with their level.
func TestFreeTextLookalikeIsNotSyslog(t *testing.T) {
	lines := []string{
		`2015-10-18 18:01:47,978 INFO [main] org.apache.hadoop.mapreduce.v2.app.MRAppMaster: Created MRAppMaster for application appattempt_1445144423722_0020_000001`,
		`2015-10-18 18:01:48,963 WARN [main] org.apache.hadoop.conf.Configuration: job.xml:an attempt to override final parameter`,
		`2015-10-18 18:01:49,100 - ERROR - worker lost heartbeat`,
	}
	wantLevel := []string{"info", "warn", "error"}
	e := mustNew(t, Config{Year: 2026, SingleLine: true})
	st := e.NewStream()
	for i, l := range lines {
		r := st.Learn([]byte(l))
		if r.Err != nil || r.Rec.Format != "freetext" {
			t.Errorf("%q: format %q err %v, want freetext", l, r.Rec.Format, r.Err)
		}
		if string(r.Rec.Level) != wantLevel[i] {
			t.Errorf("%q: level %q, want %q", l, r.Rec.Level, wantLevel[i])
		}
	}
	// Real RFC 3164 lines still are syslog.
	st = e.NewStream()
	r := st.Learn([]byte(`<34>Oct 11 22:14:15 mymachine su[230]: 'su root' failed for lonvick on /dev/pts/8`))
	if r.Err != nil || r.Rec.Format != "syslog" {
		t.Fatalf("RFC 3164 line: format %q err %v", r.Rec.Format, r.Err)
	}
}

func TestSchemaDriftPerStream(t *testing.T) {
	e := mustNew(t, Config{Year: 2026, Schema: true, SchemaConfig: schema.Config{Window: 100}, SingleLine: true})
	st := e.NewStream()
	var changes []schema.Change
	for i := range 300 {
		line := jsonLine(i)
		if i >= 150 {
			line = fmt.Appendf(nil, `{"time":"2026-11-22T01:02:03Z","level":"info","msg":"request %d served","status":"ok","path":"/x","region":"eu-west-1"}`, i)
		}
		r := st.Online(line)
		changes = append(changes, r.Changes...)
	}
	// A line not in the stream's format does not count for its schema.
	for range 50 {
		r := st.Online([]byte("2026-11-22 01:00:00 WARN [main] worker 7 restarted"))
		if !r.Mismatch || len(r.Changes) > 0 {
			t.Fatalf("a free-text line in a JSON stream: mismatch=%v changes=%v", r.Mismatch, r.Changes)
		}
	}
	changes = append(changes, st.FlushSchema()...)
	kinds := map[string]bool{}
	for _, c := range changes {
		kinds[c.Kind.String()+":"+c.Field] = true
	}
	if kinds["field_added:thread"] {
		t.Errorf("fields of free-text lines joined the JSON schema: %v", kinds)
	}
	if !kinds["field_added:region"] || !kinds["type_changed:status"] {
		t.Fatalf("drift events %v: want region added and status type changed", kinds)
	}
	sc := st.Schema()
	if sc.ID == "" || sc.Records != 300 {
		t.Fatalf("schema %q over %d records, want 300", sc.ID, sc.Records)
	}
	// A second stream of the same engine has its own schema.
	if other := e.NewStream(); other.Schema().Records != 0 {
		t.Fatal("a new stream shares the schema of another")
	}
}

func TestPinned(t *testing.T) {
	if _, err := New(Config{Format: "no-such-format"}); !errors.Is(err, ErrUnknownFormat) {
		t.Fatalf("unknown format: %v", err)
	}
	if _, err := New(Config{Pattern: "<int:x"}); err == nil {
		t.Fatal("a bad pattern compiled")
	}
	e := mustNew(t, Config{Format: "logfmt", Year: 2026, SingleLine: true})
	st := e.NewStream()
	if r := st.Parse([]byte(`level=info msg="hello world" n=3`)); r.Err != nil || r.Rec.Format != "logfmt" {
		t.Fatalf("logfmt: %v %q", r.Err, r.Rec.Format)
	}
	if r := st.Parse([]byte(`{"a":1}`)); r.Err == nil || !r.Failed() {
		t.Fatal("a pinned format took another format's line")
	}
	e = mustNew(t, Config{Pattern: `<ip:client> <int:status>`, Year: 2026, SingleLine: true})
	r := e.NewStream().Parse([]byte(`10.1.2.3 404`))
	if r.Err != nil {
		t.Fatal(r.Err)
	}
	if v, ok := r.Rec.Get("status"); !ok || string(v) != "404" {
		t.Fatalf("pattern field status = %q", v)
	}
}

func TestTwoPassTemplates(t *testing.T) {
	e := mustNew(t, Config{Year: 2026})
	lines := [][]byte{}
	for i := range 50 {
		lines = append(lines, fmt.Appendf(nil, "2026-11-22 01:00:%02d INFO [worker-%d] connection %d closed after %d bytes", i%60, i%4, i, i*17))
	}
	st := e.NewStream()
	for _, l := range lines {
		st.Learn(l)
	}
	for _, ok := st.Flush(ModeLearn); ok; _, ok = st.Flush(ModeLearn) {
	}
	e.EndLearning()
	st = e.NewStream()
	var id uint64
	for i, l := range lines {
		r := st.Analyze(l)
		if r.Partial { // a record is out once the next line shows it is complete
			if i > 0 {
				t.Fatalf("line %d completed no record", i)
			}
			continue
		}
		if !r.HasTemplate {
			t.Fatalf("line %d: no template", i)
		}
		if id == 0 {
			id = r.Template.ID
		} else if r.Template.ID != id {
			t.Fatalf("line %d: template %q (%x), want one template for all", i, r.Template.Text, r.Template.ID)
		}
	}
	if n := e.Templates(); n == 0 || n != len(e.Miner().Templates()) {
		t.Fatalf("Templates() = %d, want %d", n, len(e.Miner().Templates()))
	}
}

func TestCRIPartialFlush(t *testing.T) {
	e := mustNew(t, Config{Year: 2026, Schema: true})
	st := e.NewStream()
	r := st.Online([]byte(`2026-11-22T00:00:01.000000001Z stderr P {"level":"error","msg":"payment `))
	if !r.Partial {
		t.Fatal("a P line is not partial")
	}
	res, ok := st.Flush(ModeOnline)
	if !ok || res.Err == nil && res.Rec.Wrapper != "cri" {
		t.Fatalf("flush: ok=%v rec=%+v", ok, res)
	}
	if _, ok := st.Flush(ModeOnline); ok {
		t.Fatal("a second flush returned a record")
	}
}
