package jaeger

import (
	"testing"
	"time"

	"github.com/jaegertracing/jaeger-idl/proto-gen/api_v2"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"

	"github.com/gopulse/gopulse/event"
)

type procMap map[uint32]event.Proc

func (m procMap) Proc(pid uint32) (event.Proc, bool) { p, ok := m[pid]; return p, ok }

var testProcs = procMap{
	42: {PID: 42, Exe: "/usr/local/bin/shop-api", Service: "shop-api", GoVersion: "go1.26.8", Namespace: "shop", Pod: "api-0", Container: "api"},
}

// gcEvents returns the events of one GC cycle of pid, with its two pauses
// reported on their own, and one long read_mem_stats pause.
func gcEvents(pid uint32, cycle uint32, start int64) []event.Runtime {
	return []event.Runtime{
		{Kind: event.KindSTW, PID: pid, Cycle: cycle, StartNS: start + 1000, DurationNS: 40_000, Reason: event.STWGCSweepTermination},
		{Kind: event.KindSTW, PID: pid, Cycle: cycle, StartNS: start + 3_000_000, DurationNS: 60_000, Reason: event.STWGCMarkTermination},
		{Kind: event.KindGCEnd, PID: pid, Cycle: cycle, TS: start + 3_100_000, StartNS: start, DurationNS: 3_070_000,
			SweepTermNS: 41_000, MarkNS: 2_950_000, MarkTermNS: 60_000},
		{Kind: event.KindSTW, PID: pid, StartNS: start + 5_000_000, DurationNS: 2_000_000, Reason: event.STWReadMemStats},
		{Kind: event.KindSTW, PID: pid, StartNS: start + 8_000_000, DurationNS: 10_000, Reason: event.STWGOMAXPROCS}, // below threshold
	}
}

func buildSpans(t testing.TB, enc *Encoder, evs []event.Runtime) {
	t.Helper()
	b := newBuilder(int64(time.Millisecond), 0)
	var spans []span
	for i := range evs {
		spans = b.add(spans[:0], &evs[i])
		for _, s := range spans {
			enc.add(s)
		}
	}
}

func TestOTLPEncodingDecodes(t *testing.T) {
	start := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC).UnixNano()
	enc := NewEncoder(testProcs, "v0.1.0")
	buildSpans(t, enc, append(gcEvents(42, 7, start), gcEvents(99, 3, start)...))
	if enc.Len() != 10 {
		t.Fatalf("spans = %d, want 10 (2 × (4 GC + 1 stw))", enc.Len())
	}
	req := ptraceotlp.NewExportRequest()
	if err := req.UnmarshalProto(enc.EncodeOTLP()); err != nil {
		t.Fatalf("unmarshal: %v", err)
	}
	rss := req.Traces().ResourceSpans()
	if rss.Len() != 2 {
		t.Fatalf("resource spans = %d, want 2", rss.Len())
	}
	res := rss.At(0).Resource().Attributes()
	for k, want := range map[string]string{"service.name": "shop-api", "process.executable.path": "/usr/local/bin/shop-api", "k8s.pod.name": "api-0", "process.runtime.version": "go1.26.8"} {
		if v, ok := res.Get(k); !ok || v.Str() != want {
			t.Errorf("resource %s = %v, want %s", k, v.AsString(), want)
		}
	}
	if v, _ := res.Get("process.pid"); v.Int() != 42 {
		t.Errorf("process.pid = %d", v.Int())
	}
	if v, _ := rss.At(1).Resource().Attributes().Get("service.name"); v.Str() != unknownService {
		t.Errorf("unknown process service.name = %q", v.Str())
	}
	ss := rss.At(0).ScopeSpans().At(0)
	if ss.Scope().Name() != scopeName || ss.Scope().Version() != "v0.1.0" {
		t.Errorf("scope = %s %s", ss.Scope().Name(), ss.Scope().Version())
	}
	spans := ss.Spans()
	root := spans.At(0)
	if root.Name() != NameGCCycle || !root.ParentSpanID().IsEmpty() {
		t.Fatalf("first span %q parent %v", root.Name(), root.ParentSpanID())
	}
	if got := root.EndTimestamp().AsTime().Sub(root.StartTimestamp().AsTime()); got != 3_070_000 {
		t.Errorf("root duration = %v", got)
	}
	if v, _ := root.Attributes().Get(attrCycle); v.Int() != 7 {
		t.Errorf("cycle attr = %d", v.Int())
	}
	wantChildren := []struct {
		name         string
		start, durNS int64
	}{
		{NameSweepTerm, start + 1000, 40_000}, // exact pause bounds win
		{NameMark, start + 41_000, 2_950_000},
		{NameMarkTerm, start + 3_000_000, 60_000},
	}
	for i, w := range wantChildren {
		s := spans.At(1 + i)
		if s.Name() != w.name || s.TraceID() != root.TraceID() || s.ParentSpanID() != root.SpanID() {
			t.Errorf("child %d: %q trace %v parent %v", i, s.Name(), s.TraceID(), s.ParentSpanID())
		}
		if int64(s.StartTimestamp()) != w.start || int64(s.EndTimestamp())-int64(s.StartTimestamp()) != w.durNS {
			t.Errorf("child %s: start %d dur %d, want %d %d", w.name, s.StartTimestamp(), int64(s.EndTimestamp())-int64(s.StartTimestamp()), w.start, w.durNS)
		}
		if s.Kind() != ptrace.SpanKindInternal {
			t.Errorf("kind = %v", s.Kind())
		}
	}
	stw := spans.At(4)
	if stw.Name() != "stw read_mem_stats" || stw.TraceID() == root.TraceID() || !stw.ParentSpanID().IsEmpty() {
		t.Errorf("stw span %q trace %v", stw.Name(), stw.TraceID())
	}
	if v, _ := stw.Attributes().Get(attrReason); v.Str() != "read_mem_stats" {
		t.Errorf("reason = %q", v.Str())
	}
	if v, _ := stw.Attributes().Get(attrStopsTheWorld); v.Type() != pcommon.ValueTypeBool || !v.Bool() {
		t.Errorf("go.stw = %v", v.AsString())
	}
}

func TestJaegerEncodingDecodes(t *testing.T) {
	start := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC).UnixNano()
	enc := NewEncoder(testProcs, "v0.1.0")
	buildSpans(t, enc, gcEvents(42, 7, start))
	var req api_v2.PostSpansRequest
	if err := req.Unmarshal(enc.EncodeJaeger()); err != nil {
		t.Fatalf("unmarshal: %v", err)
	}
	spans := req.Batch.Spans
	if len(spans) != 5 {
		t.Fatalf("spans = %d, want 5", len(spans))
	}
	root := spans[0]
	if root.OperationName != NameGCCycle || len(root.References) != 0 || root.Process.ServiceName != "shop-api" {
		t.Fatalf("root %+v", root)
	}
	if !root.StartTime.Equal(time.Unix(0, start)) || root.Duration != 3_070_000 {
		t.Errorf("root time %v dur %v", root.StartTime, root.Duration)
	}
	found := map[string]bool{}
	for _, tag := range root.Process.Tags {
		found[tag.Key] = true
		if tag.Key == "process.pid" && tag.VInt64 != 42 {
			t.Errorf("process.pid = %d", tag.VInt64)
		}
	}
	for _, k := range []string{"process.pid", "process.executable.path", "k8s.namespace.name"} {
		if !found[k] {
			t.Errorf("process tag %s missing", k)
		}
	}
	for _, c := range spans[1:4] {
		if len(c.References) != 1 || c.References[0].SpanID != root.SpanID || c.References[0].TraceID != root.TraceID || c.TraceID != root.TraceID {
			t.Errorf("child %s refs %+v", c.OperationName, c.References)
		}
	}
	if spans[3].OperationName != NameMarkTerm || spans[3].Duration != 60_000 {
		t.Errorf("mark term %s %v", spans[3].OperationName, spans[3].Duration)
	}
	if spans[4].OperationName != "stw read_mem_stats" || spans[4].Duration != 2*time.Millisecond {
		t.Errorf("stw span %s %v", spans[4].OperationName, spans[4].Duration)
	}
}

func TestBuilderPhasesWithoutPauses(t *testing.T) {
	b := newBuilder(int64(time.Millisecond), 0)
	ev := event.Runtime{Kind: event.KindGCEnd, PID: 1, Cycle: 2, TS: 10_000_000, SweepTermNS: 1000, MarkNS: 5000, MarkTermNS: 2000}
	spans := b.add(nil, &ev)
	if len(spans) != 4 {
		t.Fatalf("spans = %d", len(spans))
	}
	if spans[0].start != 10_000_000-8000 || spans[0].end != 10_000_000 {
		t.Errorf("root %d..%d", spans[0].start, spans[0].end)
	}
	if spans[2].start != spans[1].end || spans[3].start != spans[2].end || spans[3].end != spans[0].end {
		t.Errorf("phases not contiguous: %+v", spans)
	}
	// The same event yields the same ids (replays do not make new traces).
	again := b.add(nil, &ev)
	if again[0].traceID != spans[0].traceID || again[2].spanID != spans[2].spanID {
		t.Error("ids not deterministic")
	}
	// Process exit forgets its pauses.
	b.add(nil, &event.Runtime{Kind: event.KindSTW, PID: 1, Reason: event.STWGCSweepTermination, StartNS: 5, DurationNS: 5})
	b.add(nil, &event.Runtime{Kind: event.KindProcExit, PID: 1})
	if len(b.pending) != 0 {
		t.Error("pending pauses kept after exit")
	}
}

func TestEncoderZeroAllocs(t *testing.T) {
	start := time.Now().UnixNano()
	evs := gcEvents(42, 7, start)
	b := newBuilder(int64(time.Millisecond), 0)
	enc := NewEncoder(testProcs, "v0.1.0")
	var spans []span
	run := func() {
		for i := range evs {
			spans = b.add(spans[:0], &evs[i])
			for _, s := range spans {
				enc.add(s)
			}
		}
		enc.EncodeOTLP()
		enc.EncodeJaeger()
		enc.Reset()
	}
	run()
	if a := testing.AllocsPerRun(50, run); a != 0 {
		t.Fatalf("allocs per cycle = %v, want 0", a)
	}
}

func TestEncoderForgetsExitedProcs(t *testing.T) {
	enc := NewEncoder(testProcs, "")
	enc.add(span{pid: 42, name: "x", cycle: noCycle})
	enc.add(span{pid: 7, name: "y", cycle: noCycle})
	enc.ProcExited(42)
	enc.Reset()
	if _, ok := enc.index[42]; ok || len(enc.resources) != 1 || enc.resources[enc.index[7]].pid != 7 {
		t.Fatalf("resources after exit: %+v", enc.resources)
	}
}

func TestBuilderAttachedMidCycle(t *testing.T) {
	// Only the final pause of the cycle was seen: the trace has the cycle
	// and its mark-termination span, nothing invented.
	b := newBuilder(int64(time.Millisecond), 0)
	ev := event.Runtime{Kind: event.KindGCEnd, PID: 3, Cycle: 9, TS: 2_000_000, StartNS: 1_000_000, DurationNS: 70_000, MarkTermNS: 70_000}
	spans := b.add(nil, &ev)
	if len(spans) != 2 || spans[1].name != NameMarkTerm || spans[1].start != 1_000_000 || spans[1].end != 1_070_000 {
		t.Fatalf("spans %+v", spans)
	}
}
