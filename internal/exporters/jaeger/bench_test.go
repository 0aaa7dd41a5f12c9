package jaeger

import (
	"testing"
	"time"

	"github.com/jaegertracing/jaeger-idl/model/v1"
	"github.com/jaegertracing/jaeger-idl/proto-gen/api_v2"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
)

const benchBatch = 500 // spans per request

// benchSpans returns the spans of 100 GC cycles (5 spans each).
func benchSpans() []span {
	b := newBuilder(int64(time.Millisecond), 0)
	start := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC).UnixNano()
	var spans []span
	for c := uint32(1); len(spans) < benchBatch; c++ {
		evs := gcEvents(42, c, start+int64(c)*int64(time.Second))
		for i := range evs {
			spans = b.add(spans, &evs[i])
		}
	}
	return spans[:benchBatch]
}

// BenchmarkOTLPEncode: one op is one span. gopulse: the hand-written
// encoder; official: the same request built as pdata and marshalled with
// ptraceotlp (the collector's and the OTLP exporters' protobuf path).
func BenchmarkOTLPEncode(b *testing.B) {
	spans := benchSpans()
	b.Run("impl=gopulse", func(b *testing.B) {
		enc := NewEncoder(testProcs, "v0.1.0")
		b.ReportAllocs()
		cpu := startCPU()
		defer cpu.report(b)
		b.SetBytes(int64(len(func() []byte {
			for _, s := range spans {
				enc.add(s)
			}
			defer enc.Reset()
			return enc.EncodeOTLP()
		}()) / benchBatch))
		for i := 0; b.Loop(); i++ {
			enc.add(spans[i%benchBatch])
			if enc.Len() == benchBatch {
				enc.EncodeOTLP()
				enc.Reset()
			}
		}
	})
	b.Run("impl=official", func(b *testing.B) {
		p := testProcs[42]
		var td ptrace.Traces
		var ss ptrace.SpanSlice
		b.ReportAllocs()
		cpu := startCPU()
		defer cpu.report(b)
		n := 0
		for i := 0; b.Loop(); i++ {
			if n == 0 {
				td = ptrace.NewTraces()
				rs := td.ResourceSpans().AppendEmpty()
				a := rs.Resource().Attributes()
				a.PutStr("service.name", p.Service)
				a.PutInt("process.pid", int64(p.PID))
				a.PutStr("process.runtime.name", "go")
				a.PutStr("process.executable.path", p.Exe)
				a.PutStr("process.executable.name", "shop-api")
				a.PutStr("process.runtime.version", p.GoVersion)
				a.PutStr("k8s.namespace.name", p.Namespace)
				a.PutStr("k8s.pod.name", p.Pod)
				a.PutStr("k8s.container.name", p.Container)
				sc := rs.ScopeSpans().AppendEmpty()
				sc.Scope().SetName(scopeName)
				sc.Scope().SetVersion("v0.1.0")
				ss = sc.Spans()
			}
			s := &spans[i%benchBatch]
			o := ss.AppendEmpty()
			o.SetTraceID(pcommon.TraceID(s.traceID))
			o.SetSpanID(pcommon.SpanID(s.spanID))
			if !s.root() {
				o.SetParentSpanID(pcommon.SpanID(s.parentID))
			}
			o.SetName(s.name)
			o.SetKind(ptrace.SpanKindInternal)
			o.SetStartTimestamp(pcommon.Timestamp(s.start))
			o.SetEndTimestamp(pcommon.Timestamp(s.end))
			if s.cycle != noCycle {
				o.Attributes().PutInt(attrCycle, s.cycle)
			}
			if s.phase != "" {
				o.Attributes().PutStr(attrPhase, s.phase)
			}
			if s.reason != "" {
				o.Attributes().PutStr(attrReason, s.reason)
			}
			if s.stw {
				o.Attributes().PutBool(attrStopsTheWorld, true)
			}
			n++
			if n == benchBatch {
				if _, err := ptraceotlp.NewExportRequestFromTraces(td).MarshalProto(); err != nil {
					b.Fatal(err)
				}
				n = 0
			}
		}
	})
}

// BenchmarkJaegerEncode: one op is one span. gopulse: the hand-written
// api_v2 encoder; official: jaeger-idl model.Span values and the gogo
// PostSpansRequest.Marshal.
func BenchmarkJaegerEncode(b *testing.B) {
	spans := benchSpans()
	b.Run("impl=gopulse", func(b *testing.B) {
		enc := NewEncoder(testProcs, "v0.1.0")
		b.ReportAllocs()
		cpu := startCPU()
		defer cpu.report(b)
		for i := 0; b.Loop(); i++ {
			enc.add(spans[i%benchBatch])
			if enc.Len() == benchBatch {
				enc.EncodeJaeger()
				enc.Reset()
			}
		}
	})
	b.Run("impl=official", func(b *testing.B) {
		p := testProcs[42]
		proc := &model.Process{ServiceName: p.Service, Tags: []model.KeyValue{
			model.Int64("process.pid", int64(p.PID)), model.String("process.runtime.name", "go"),
			model.String("process.executable.path", p.Exe), model.String("process.executable.name", "shop-api"),
			model.String("process.runtime.version", p.GoVersion), model.String("k8s.namespace.name", p.Namespace),
			model.String("k8s.pod.name", p.Pod), model.String("k8s.container.name", p.Container),
		}}
		req := &api_v2.PostSpansRequest{}
		b.ReportAllocs()
		cpu := startCPU()
		defer cpu.report(b)
		for i := 0; b.Loop(); i++ {
			s := &spans[i%benchBatch]
			tid, _ := model.TraceIDFromBytes(s.traceID[:])
			sid, _ := model.SpanIDFromBytes(s.spanID[:])
			o := &model.Span{
				TraceID: tid, SpanID: sid, OperationName: s.name, Flags: 1,
				StartTime: time.Unix(0, s.start), Duration: time.Duration(s.end - s.start), Process: proc,
			}
			if !s.root() {
				pid, _ := model.SpanIDFromBytes(s.parentID[:])
				o.References = []model.SpanRef{model.NewChildOfRef(tid, pid)}
			}
			if s.cycle != noCycle {
				o.Tags = append(o.Tags, model.Int64(attrCycle, s.cycle))
			}
			if s.phase != "" {
				o.Tags = append(o.Tags, model.String(attrPhase, s.phase))
			}
			if s.reason != "" {
				o.Tags = append(o.Tags, model.String(attrReason, s.reason))
			}
			if s.stw {
				o.Tags = append(o.Tags, model.Bool(attrStopsTheWorld, true))
			}
			req.Batch.Spans = append(req.Batch.Spans, o)
			if len(req.Batch.Spans) == benchBatch {
				if _, err := req.Marshal(); err != nil {
					b.Fatal(err)
				}
				req = &api_v2.PostSpansRequest{}
			}
		}
	})
}
