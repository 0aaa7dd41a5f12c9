package prom

import (
	"bytes"
	"sort"
	"testing"
	"unsafe"

	"github.com/gopulse/gopulse/event"

	"github.com/golang/snappy"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/prometheus/prompb"
)

const benchProcs = 20

// loop runs body b.N times and reports ns/sample and CPU ns per op.
func loop(b *testing.B, samples int, body func(i int)) {
	b.ReportAllocs()
	b.ResetTimer()
	c0, ok := cpuTime()
	for i := 0; i < b.N; i++ {
		body(i)
	}
	c1, _ := cpuTime()
	b.StopTimer()
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(samples), "ns/sample")
	if ok {
		b.ReportMetric(float64(c1-c0)/float64(b.N), "cpu-ns/op")
	}
}

func benchRuntime(b *testing.B) *Runtime {
	r := NewRuntime(DefaultRuntimeConfig())
	populate(b, r, benchProcs)
	return r
}

func countSamples(b *testing.B, r *Runtime) int {
	_, _, n := r.AppendWriteRequest(nil, 1, 0, 0)
	return n
}

// BenchmarkExposition compares the runtime series' text exposition with
// client_golang's for the same series: Gather through a collector and
// expfmt encoding (what promhttp does), and expfmt alone on pre-gathered
// families.
func BenchmarkExposition(b *testing.B) {
	r := benchRuntime(b)
	samples := countSamples(b, r)
	size := int64(len(r.AppendExposition(nil, false)))

	b.Run("impl=gopulse", func(b *testing.B) {
		buf := r.AppendExposition(nil, false)
		b.SetBytes(size)
		loop(b, samples, func(int) { buf = r.AppendExposition(buf[:0], false) })
	})
	b.Run("impl=client_golang", func(b *testing.B) {
		reg := prometheus.NewRegistry()
		reg.MustRegister(newRefCollector(r))
		var buf bytes.Buffer
		b.SetBytes(size)
		loop(b, samples, func(int) {
			buf.Reset()
			mfs, err := reg.Gather()
			if err != nil {
				b.Fatal(err)
			}
			for _, mf := range mfs {
				expfmt.MetricFamilyToText(&buf, mf)
			}
		})
	})
	b.Run("impl=expfmt_only", func(b *testing.B) {
		reg := prometheus.NewRegistry()
		reg.MustRegister(newRefCollector(r))
		mfs, err := reg.Gather()
		if err != nil {
			b.Fatal(err)
		}
		var buf bytes.Buffer
		b.SetBytes(size)
		loop(b, samples, func(int) {
			buf.Reset()
			for _, mf := range mfs {
				expfmt.MetricFamilyToText(&buf, mf)
			}
		})
	})
}

// toPrompb converts gathered families the way a client_golang user feeding
// remote write would.
func toPrompb(mfs []*dto.MetricFamily, ts int64) *prompb.WriteRequest {
	wr := &prompb.WriteRequest{}
	add := func(name string, m *dto.Metric, extraName, extraVal string, v float64) {
		ls := make([]prompb.Label, 0, len(m.Label)+2)
		ls = append(ls, prompb.Label{Name: "__name__", Value: name})
		for _, lp := range m.Label {
			ls = append(ls, prompb.Label{Name: lp.GetName(), Value: lp.GetValue()})
		}
		if extraName != "" {
			ls = append(ls, prompb.Label{Name: extraName, Value: extraVal})
		}
		sort.Slice(ls, func(i, j int) bool { return ls[i].Name < ls[j].Name })
		wr.Timeseries = append(wr.Timeseries, prompb.TimeSeries{Labels: ls, Samples: []prompb.Sample{{Value: v, Timestamp: ts}}})
	}
	for _, mf := range mfs {
		for _, m := range mf.Metric {
			switch {
			case m.Counter != nil:
				add(mf.GetName(), m, "", "", m.Counter.GetValue())
			case m.Gauge != nil:
				add(mf.GetName(), m, "", "", m.Gauge.GetValue())
			case m.Histogram != nil:
				for _, bk := range m.Histogram.Bucket {
					add(mf.GetName()+"_bucket", m, "le", formatFloat(bk.GetUpperBound()), float64(bk.GetCumulativeCount()))
				}
				add(mf.GetName()+"_bucket", m, "le", "+Inf", float64(m.Histogram.GetSampleCount()))
				add(mf.GetName()+"_sum", m, "", "", m.Histogram.GetSampleSum())
				add(mf.GetName()+"_count", m, "", "", float64(m.Histogram.GetSampleCount()))
			}
		}
	}
	return wr
}

// BenchmarkRemoteWrite compares the hand-written encoder (WriteRequest +
// snappy into reused buffers) with prompb (gogo) Marshal + golang/snappy (what
// Prometheus 2.42 uses; the compressed buffer is reused): once from
// client_golang's gathered families (build + marshal) and once marshalling a
// pre-built request (marshal only).
func BenchmarkRemoteWrite(b *testing.B) {
	r := benchRuntime(b)
	samples := countSamples(b, r)
	raw, _, _ := r.AppendWriteRequest(nil, 1, 0, 0)
	size := int64(len(raw))

	b.Run("impl=gopulse", func(b *testing.B) {
		var buf, comp []byte
		b.SetBytes(size)
		loop(b, samples, func(i int) {
			buf, _, _ = r.AppendWriteRequest(buf[:0], int64(i+1), 0, 0)
			comp = EncodeSnappy(comp, buf)
		})
	})
	b.Run("impl=prompb_build", func(b *testing.B) {
		reg := prometheus.NewRegistry()
		reg.MustRegister(newRefCollector(r))
		var comp []byte
		b.SetBytes(size)
		loop(b, samples, func(i int) {
			mfs, err := reg.Gather()
			if err != nil {
				b.Fatal(err)
			}
			wr := toPrompb(mfs, int64(i+1))
			p, err := wr.Marshal()
			if err != nil {
				b.Fatal(err)
			}
			comp = snappy.Encode(comp[:cap(comp)], p)
		})
	})
	b.Run("impl=prompb_marshal", func(b *testing.B) {
		var wr prompb.WriteRequest
		if err := wr.Unmarshal(raw); err != nil {
			b.Fatal(err)
		}
		var comp []byte
		b.SetBytes(size)
		loop(b, samples, func(int) {
			p, err := wr.Marshal()
			if err != nil {
				b.Fatal(err)
			}
			comp = snappy.Encode(comp[:cap(comp)], p)
		})
	})
}

// BenchmarkWriteRequestEncode isolates the protobuf encoding (no snappy):
// the hand-written encoder from the aggregator's state versus gogo's Marshal
// of an already built prompb.WriteRequest into a reused buffer.
func BenchmarkWriteRequestEncode(b *testing.B) {
	r := benchRuntime(b)
	samples := countSamples(b, r)
	raw, _, _ := r.AppendWriteRequest(nil, 1, 0, 0)
	size := len(raw)
	b.Run("impl=gopulse", func(b *testing.B) {
		buf := make([]byte, 0, 2*size)
		b.SetBytes(int64(size))
		loop(b, samples, func(i int) { buf, _, _ = r.AppendWriteRequest(buf[:0], int64(i+1), 0, 0) })
	})
	b.Run("impl=prompb_marshal", func(b *testing.B) {
		var wr prompb.WriteRequest
		if err := wr.Unmarshal(raw); err != nil {
			b.Fatal(err)
		}
		buf := make([]byte, 2*size)
		b.SetBytes(int64(size))
		loop(b, samples, func(int) {
			n := wr.Size()
			if _, err := wr.MarshalToSizedBuffer(buf[:n]); err != nil {
				b.Fatal(err)
			}
		})
	})
}

// BenchmarkHandleRuntime is the sink's per-event cost for a mix of GC, STW
// and trace-mode scheduling events (bytes: the event struct).
func BenchmarkHandleRuntime(b *testing.B) {
	r := benchRuntime(b)
	evs := []event.Runtime{
		{Kind: event.KindGCEnd, PID: 1005, DurationNS: 2_000_000},
		{Kind: event.KindSTW, PID: 1005, Reason: event.STWGCSweepTermination, DurationNS: 15_000},
		{Kind: event.KindSTW, PID: 1007, Reason: event.STWGCMarkTermination, DurationNS: 45_000},
		{Kind: event.KindSchedLatency, PID: 1009, LatencyNS: 3_000},
	}
	b.ReportAllocs()
	b.SetBytes(int64(unsafe.Sizeof(event.Runtime{})))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r.HandleRuntime(&evs[i%len(evs)])
	}
}
