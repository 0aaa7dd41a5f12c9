package pipeline

import (
	"bytes"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/gopulse/gopulse/event"
	"github.com/gopulse/gopulse/logparse"
)

// sshd lines in RFC 3164 syslog: fields (hostname, appname, pid) that the
// OpenTelemetry naming renames, and a message whose user word varies.
func sshdLine(sec int, msg string) []byte {
	return fmt.Appendf(nil, "Dec  5 08:00:%02d web1 sshd[411]: %s", sec, msg)
}

func labelOf(r *event.LogRecord, name string) string {
	for _, l := range r.Labels {
		if l.Name == name {
			return l.Value
		}
	}
	return ""
}

func newRetuneRouter(t *testing.T, o LogEngineOptions, sink event.LogSink) *LogRouter {
	t.Helper()
	r, err := NewLogRouter(LogRouterOptions{Factory: LogParserFactory(o), Sinks: []event.LogSink{sink}, Node: "n1"},
		slog.New(slog.DiscardHandler), nil)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestLogRouterRetune: a reload that changes logs.field_names and turns
// the multi-line assembly off (LogRouter.Retune) keeps each source's
// parser: the record it was assembling comes out at once, under the new
// names; the next lines are records of their own, renamed, and a line of
// a template learnt before the reload gets that template's id. A parser
// built again (what a reload did before) learns the template from its
// next line and hands out another id: the one of that line's text. A
// source opened after the reload gets the new settings, and turning the
// assembly on again joins an indented line to its record from the next
// line on.
func TestLogRouterRetune(t *testing.T) {
	const path = "/var/log/auth.log"
	native := LogEngineOptions{}
	sink := &recSink{}
	r := newRetuneRouter(t, native, sink)
	for i, u := range []string{"alice", "bob", "carol"} {
		r.HandleLine(path, sshdLine(i+1, "Accepted password for "+u+" from 10.0.0.5 port 22 ssh2"), false)
	}
	r.HandleLine(path, sshdLine(4, "Connection closed by 10.0.0.7 port 51000"), false) // held: it may go on
	if len(sink.recs) != 3 || r.Held(path) != 1 {
		t.Fatalf("%d records, %d lines held before the reload; want 3 and 1", len(sink.recs), r.Held(path))
	}
	// The third line generalised the template; it keeps the first line's id.
	learnt := sink.recs[2].TemplateID
	if learnt == 0 || sink.recs[0].TemplateID != learnt || fieldOf(&sink.recs[2], "hostname") != "web1" {
		t.Fatalf("before the reload: ids %x %x, fields %+v", sink.recs[0].TemplateID, learnt, sink.recs[2].Fields)
	}
	parser := r.streams[path].parser

	otel := LogEngineOptions{Names: logparse.NamesOTel, SingleLine: true}
	if restarted := r.Retune(LogParserFactory(otel), otel); len(restarted) != 0 {
		t.Fatalf("Retune restarted %v, want none", restarted)
	}
	if r.streams[path].parser != parser {
		t.Fatalf("Retune built the parser again")
	}
	if len(sink.recs) != 4 || r.Held(path) != 0 {
		t.Fatalf("%d records, %d lines held after Retune; want the held record out (4) and 0", len(sink.recs), r.Held(path))
	}
	if held := &sink.recs[3]; fieldOf(held, "host.name") != "web1" || fieldOf(held, "hostname") != "" || held.Line != 4 {
		t.Fatalf("the held record: line %d, fields %+v; want line 4 with the new names", held.Line, held.Fields)
	}
	dave := sshdLine(5, "Accepted password for dave from 10.0.0.8 port 22 ssh2")
	r.HandleLine(path, dave, false)
	if len(sink.recs) != 5 {
		t.Fatalf("%d records after a line with the assembly off, want 5 (one record per line)", len(sink.recs))
	}
	got := &sink.recs[4]
	if got.TemplateID != learnt || fieldOf(got, "process.pid") != "411" || fieldOf(got, "pid") != "" {
		t.Fatalf("after the reload: template %x (%q), fields %+v; want the learnt %x, renamed fields", got.TemplateID, got.Template, got.Fields, learnt)
	}

	// What a rebuilt parser hands out for the same line.
	fresh := &recSink{}
	newRetuneRouter(t, otel, fresh).HandleLine(path, dave, false)
	if len(fresh.recs) != 1 {
		t.Fatalf("rebuilt parser: %d records, want 1", len(fresh.recs))
	}
	if fresh.recs[0].TemplateID == learnt {
		t.Fatalf("a rebuilt parser gives the learnt id %x too: the test shows nothing", learnt)
	}

	// A source opened after the reload has the new settings.
	r.HandleLine("/var/log/other.log", sshdLine(6, "Accepted password for erin from 10.0.0.9 port 22 ssh2"), false)
	if len(sink.recs) != 6 || fieldOf(&sink.recs[5], "host.name") != "web1" {
		t.Fatalf("new source after Retune: %d records, fields %+v", len(sink.recs), sink.recs[len(sink.recs)-1].Fields)
	}

	// The assembly on again: from the next line on.
	r.Retune(LogParserFactory(native), native)
	r.HandleLine(path, sshdLine(7, "error: session failed"), false)
	r.HandleLine(path, []byte("    at pam_unix(sshd:session)"), false)
	r.HandleLine(path, sshdLine(8, "Accepted password for frank from 10.0.0.10 port 22 ssh2"), false)
	if len(sink.recs) != 7 || r.Held(path) != 1 {
		t.Fatalf("%d records, %d held after the assembly is on again; want 7 and 1", len(sink.recs), r.Held(path))
	}
	if rec := &sink.recs[6]; rec.Line != 6 || fieldOf(rec, "hostname") != "web1" || !bytes.Contains(rec.Body, []byte("pam_unix")) {
		t.Fatalf("the joined record: line %d, body %q, fields %+v", rec.Line, rec.Body, rec.Fields)
	}
	r.CloseSource(path)
	if last := &sink.recs[len(sink.recs)-1]; last.TemplateID != learnt {
		t.Fatalf("frank's line: template %x, want %x", last.TemplateID, learnt)
	}
}

// kubelet serves one pod under uid, with the label app=service (a
// kubelet's read-only /pods); status other than 200 is served as is.
func kubelet(t *testing.T, uid, service string, status int) *httptest.Server {
	t.Helper()
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if status != http.StatusOK {
			http.Error(w, "down", status)
			return
		}
		fmt.Fprintf(w, `{"items":[{"metadata":{"uid":%q,"namespace":"shop","name":"cart-7d9f8c6b5-x2k4q","labels":{"app.kubernetes.io/name":%q}}}]}`, uid, service)
	}))
	t.Cleanup(s.Close)
	return s
}

// TestLogRouterRelabel: a reload that changes the kubernetes settings
// (another kubelet, another node name) relabels the open streams whose
// labels change (Rebind, Relabel) and keeps their parsers: the record a
// stream holds comes out with the next line, under the new labels, and a
// line of a template learnt before keeps its id. A kubelet that does not
// answer leaves a pod's service as it was.
func TestLogRouterRelabel(t *testing.T) {
	const uid = "0b7c2a8e-1f2d-4c3b-9a8e-7d6c5b4a3f21"
	podLog := "/var/log/pods/shop_cart-7d9f8c6b5-x2k4q_" + uid + "/cart/0.log"
	plain := "/var/log/billing.log"
	lookup := func(url string) PodLookup {
		k, err := NewKubeClient(KubeOptions{KubeletURL: url}, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	sink := &recSink{}
	r, err := NewLogRouter(LogRouterOptions{Factory: NewLogParser, Sinks: []event.LogSink{sink}, Node: "n1",
		Pods: lookup(kubelet(t, uid, "cart", http.StatusOK).URL)}, slog.New(slog.DiscardHandler), nil)
	if err != nil {
		t.Fatal(err)
	}
	line := func(user string) []byte {
		return fmt.Appendf(nil, `{"level":"info","msg":"order placed by %s","seq":1}`, user)
	}
	for _, p := range []string{podLog, plain} {
		for _, u := range []string{"alice", "bob", "carol"} {
			r.HandleLine(p, line(u), false)
		}
	}
	if len(sink.recs) != 4 || labelOf(&sink.recs[0], "service") != "cart" || labelOf(&sink.recs[0], "node") != "n1" {
		t.Fatalf("before: %d records, labels %v", len(sink.recs), sink.recs[0].Labels)
	}
	// carol's line generalised the template, which kept alice's id
	learnt := map[string]uint64{podLog: sink.recs[0].TemplateID, plain: sink.recs[2].TemplateID}
	parsers := map[string]LogParser{podLog: r.streams[podLog].parser, plain: r.streams[plain].parser}

	r.Rebind(LogRouterOptions{Sinks: []event.LogSink{sink}, Node: "n2", Pods: lookup(kubelet(t, uid, "checkout", http.StatusOK).URL)})
	if got := r.Relabel(); !slices.Equal(got, []string{plain, podLog}) {
		t.Fatalf("Relabel = %v, want both streams", got)
	}
	for _, p := range []string{podLog, plain} {
		if r.streams[p].parser != parsers[p] {
			t.Fatalf("%s: parser built again", p)
		}
		r.HandleLine(p, line("dave"), false)
	}
	for _, p := range []string{podLog, plain} {
		r.CloseSource(p)
	}
	if len(sink.recs) != 8 {
		t.Fatalf("%d records, want 8 (alice, bob, carol and dave of each file)", len(sink.recs))
	}
	for i := range sink.recs[4:] {
		rec := &sink.recs[4+i]
		wantService := map[string]string{podLog: "checkout", plain: "billing"}[rec.Source]
		if labelOf(rec, "service") != wantService || labelOf(rec, "node") != "n2" {
			t.Errorf("%s line %d after Relabel: labels %v, want service %s and node n2", rec.Source, rec.Line, rec.Labels, wantService)
		}
		if rec.Source == podLog && labelOf(rec, "pod") != "cart-7d9f8c6b5-x2k4q" {
			t.Errorf("pod record after Relabel: labels %v", rec.Labels)
		}
		if rec.TemplateID != learnt[rec.Source] {
			t.Errorf("%s line %d: template %x after Relabel, want %x (learnt before)", rec.Source, rec.Line, rec.TemplateID, learnt[rec.Source])
		}
	}

	// A kubelet that fails: the pod keeps its service, the node moves.
	r.HandleLine(podLog, line("erin"), false)
	r.Rebind(LogRouterOptions{Sinks: []event.LogSink{sink}, Node: "n3", Pods: lookup(kubelet(t, uid, "", http.StatusInternalServerError).URL)})
	r.Relabel()
	if s := r.streams[podLog]; s.service != "checkout" || !slices.Contains(s.labels, event.Label{Name: "node", Value: "n3"}) {
		t.Fatalf("with a failing kubelet: service %q, labels %v; want checkout and node n3", s.service, s.labels)
	}
	// Nothing changed: nothing relabelled.
	if got := r.Relabel(); len(got) != 0 {
		t.Fatalf("Relabel with nothing changed = %v", got)
	}
}

// TestSetOverrides: an override whose service alone changes relabels its
// stream and keeps its parser; one whose format changes starts the stream
// again (the record it held is emitted first, under its old labels) with
// a parser that goes on with its templates: a line of a template learnt
// before keeps its id, where a parser built from scratch hands out the id
// of that line's text.
func TestSetOverrides(t *testing.T) {
	a, b := "/srv/a.log", "/srv/b.log"
	sink := &recSink{}
	r, err := NewLogRouter(LogRouterOptions{Factory: NewLogParser, Sinks: []event.LogSink{sink},
		Overrides: []LogOverride{{Path: a, Service: "billing"}, {Path: b, Service: "api"}}}, slog.New(slog.DiscardHandler), nil)
	if err != nil {
		t.Fatal(err)
	}
	line := func(user string) []byte {
		return fmt.Appendf(nil, `{"level":"info","msg":"order placed by %s"}`, user)
	}
	for _, p := range []string{a, b} {
		for _, u := range []string{"alice", "bob", "carol"} {
			r.HandleLine(p, line(u), false)
		}
	}
	// carol's line generalised the template, which kept alice's id
	learnt := sink.recs[2].TemplateID
	if sink.recs[2].Source != b || learnt == 0 {
		t.Fatalf("records before SetOverrides: %+v", sink.recs)
	}
	pa := r.streams[a].parser
	restarted, relabelled := r.SetOverrides([]LogOverride{{Path: a, Service: "invoices"}, {Path: b, Service: "api", Format: "json"}})
	if !slices.Equal(restarted, []string{b}) || !slices.Equal(relabelled, []string{a}) {
		t.Fatalf("SetOverrides: restarted %v, relabelled %v; want [%s] and [%s]", restarted, relabelled, b, a)
	}
	if s := r.streams[a]; s == nil || s.parser != pa || s.service != "invoices" || labelOf(&event.LogRecord{Labels: s.labels}, "service") != "invoices" {
		t.Fatalf("a.log after SetOverrides: %+v", s)
	}
	if s := r.streams[b]; s == nil || s.ov.Format != "json" {
		t.Fatalf("b.log after SetOverrides: %+v, want its stream started again with the json override", s)
	}
	if n := len(sink.recs); n != 5 || sink.recs[4].Source != b || labelOf(&sink.recs[4], "service") != "api" {
		t.Fatalf("%d records; want b.log's held record (carol's) emitted at SetOverrides", n)
	}
	r.HandleLine(b, line("dave"), false)
	r.CloseSource(b)
	if got := sink.recs[len(sink.recs)-1]; got.Source != b || got.TemplateID != learnt || got.Format != "json" {
		t.Fatalf("b.log's line after SetOverrides: %s template %x (%q), want json and the learnt %x", got.Format, got.TemplateID, got.Template, learnt)
	}
	fresh := &recSink{}
	fr, _ := NewLogRouter(LogRouterOptions{Factory: NewLogParser, Sinks: []event.LogSink{fresh},
		Overrides: []LogOverride{{Path: b, Format: "json"}}}, slog.New(slog.DiscardHandler), nil)
	fr.HandleLine(b, line("dave"), false)
	fr.CloseSource(b)
	if len(fresh.recs) != 1 || fresh.recs[0].TemplateID == learnt {
		t.Fatalf("a parser built from scratch gives the learnt id too: the test shows nothing")
	}
}
