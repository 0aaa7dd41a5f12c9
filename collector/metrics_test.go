package gopulsereceiver

import (
	"slices"
	"testing"
	"time"
	"unsafe"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/gopulse/gopulse/collector/internal/metadata"
	"github.com/gopulse/gopulse/event"
)

func testConfig() *Config {
	cfg := createDefaultConfig().(*Config)
	cfg.GCBuckets = []float64{0.001, 0.01}
	cfg.PauseBuckets = []float64{1e-5, 1e-4, 1e-3}
	cfg.SchedBuckets = []float64{1e-6, 1e-3}
	return cfg
}

// metricsByName indexes the metrics of one ResourceMetrics.
func metricsByName(rm pmetric.ResourceMetrics) map[string]pmetric.Metric {
	out := map[string]pmetric.Metric{}
	sms := rm.ScopeMetrics()
	for i := 0; i < sms.Len(); i++ {
		ms := sms.At(i).Metrics()
		for j := 0; j < ms.Len(); j++ {
			out[ms.At(j).Name()] = ms.At(j)
		}
	}
	return out
}

func TestAccumulatorDefaultMode(t *testing.T) {
	acc := newAccumulator(testConfig())
	t0 := time.Unix(1000, 0).UnixNano()
	evs := []event.Runtime{
		{Kind: event.KindSTW, PID: 42, TS: t0, DurationNS: 20_000, Reason: event.STWGCSweepTermination},
		{Kind: event.KindSTW, PID: 42, TS: t0 + 1, DurationNS: 50_000, Reason: event.STWGCMarkTermination},
		{Kind: event.KindGCEnd, PID: 42, TS: t0 + 2, DurationNS: 2_000_000, Cycle: 7},
		{Kind: event.KindSTW, PID: 42, TS: t0 + 3, DurationNS: 5_000, Reason: event.STWReadMemStats},
		{Kind: event.KindSTW, PID: 42, TS: t0 + 4, DurationNS: 2_000_000, Reason: event.STWGCSweepTermination},
		{Kind: event.KindGCEnd, PID: 42, TS: t0 + 5, DurationNS: 20_000_000, Cycle: 8},
		{Kind: event.KindSTW, PID: 43, TS: t0 + 6, DurationNS: 1_000, Reason: event.STWReason(200)},
	}
	for i := range evs {
		acc.HandleRuntime(&evs[i])
	}
	md := pmetric.NewMetrics()
	now := pcommon.NewTimestampFromTime(time.Unix(1010, 0))
	acc.appendMetrics(md, now, map[uint32]event.Proc{
		42: {PID: 42, Exe: "/srv/api", Service: "api", GoVersion: "go1.26.8", Namespace: "prod", Pod: "api-0", Container: "app"},
	})
	if md.ResourceMetrics().Len() != 2 {
		t.Fatalf("%d resources, want 2 (one per PID)", md.ResourceMetrics().Len())
	}

	rm := md.ResourceMetrics().At(0)
	attrs := rm.Resource().Attributes().AsRaw()
	want := map[string]any{
		"process.pid": int64(42), "process.runtime.name": "go", "service.name": "api",
		"process.executable.path": "/srv/api", "process.runtime.version": "go1.26.8",
		"k8s.namespace.name": "prod", "k8s.pod.name": "api-0", "k8s.container.name": "app",
	}
	for k, v := range want {
		if attrs[k] != v {
			t.Errorf("resource %s = %v, want %v", k, attrs[k], v)
		}
	}
	if rm.ScopeMetrics().At(0).Scope().Name() != metadata.ScopeName {
		t.Errorf("scope %q", rm.ScopeMetrics().At(0).Scope().Name())
	}
	ms := metricsByName(rm)
	if _, ok := ms[metadata.MetricGoroutineCount]; ok {
		t.Error("go.goroutine.count without a sample")
	}
	if _, ok := ms[metadata.MetricGoroutinesCreated]; ok {
		t.Error("goroutines created outside trace mode")
	}

	gc := ms[metadata.MetricGCCycles].Sum()
	if !gc.IsMonotonic() || gc.AggregationTemporality() != pmetric.AggregationTemporalityCumulative ||
		gc.DataPoints().At(0).IntValue() != 2 {
		t.Errorf("gc cycles: monotonic %v, value %d", gc.IsMonotonic(), gc.DataPoints().At(0).IntValue())
	}
	if st := gc.DataPoints().At(0).StartTimestamp(); st != pcommon.Timestamp(t0) {
		t.Errorf("start timestamp %v, want the first event's", st)
	}
	if ts := gc.DataPoints().At(0).Timestamp(); ts != now {
		t.Errorf("timestamp %v", ts)
	}

	dur := ms[metadata.MetricGCCycleDuration].Histogram().DataPoints().At(0)
	if got := dur.BucketCounts().AsRaw(); !slices.Equal(got, []uint64{0, 1, 1}) {
		t.Errorf("gc duration buckets %v, want [0 1 1] (2ms, 20ms over bounds 1ms, 10ms)", got)
	}
	if dur.Count() != 2 || dur.Sum() != 0.022 || dur.Min() != 0.002 || dur.Max() != 0.02 {
		t.Errorf("gc duration count %d sum %g min %g max %g", dur.Count(), dur.Sum(), dur.Min(), dur.Max())
	}

	stw := ms[metadata.MetricSTWPause]
	if stw.Unit() != "s" {
		t.Errorf("unit %q", stw.Unit())
	}
	byReason := map[string][]uint64{}
	dps := stw.Histogram().DataPoints()
	for i := 0; i < dps.Len(); i++ {
		r, _ := dps.At(i).Attributes().Get(metadata.AttrReason)
		byReason[r.Str()] = dps.At(i).BucketCounts().AsRaw()
	}
	wantPauses := map[string][]uint64{
		"gc_sweep_termination": {0, 1, 0, 1}, // 20µs, 2ms
		"gc_mark_termination":  {0, 1, 0, 0}, // 50µs
		"read_mem_stats":       {1, 0, 0, 0}, // 5µs
	}
	if len(byReason) != len(wantPauses) {
		t.Errorf("reasons %v", byReason)
	}
	for r, want := range wantPauses {
		if !slices.Equal(byReason[r], want) {
			t.Errorf("pauses %s: %v, want %v", r, byReason[r], want)
		}
	}

	// An unknown reason is reported as "other"; no resource attributes
	// beyond the PID when the process is not described.
	rm = md.ResourceMetrics().At(1)
	if pid, _ := rm.Resource().Attributes().Get("process.pid"); pid.Int() != 43 {
		t.Errorf("second resource pid %v", pid.AsRaw())
	}
	if _, ok := rm.Resource().Attributes().Get("service.name"); ok {
		t.Error("service.name invented for an unknown process")
	}
	r, _ := metricsByName(rm)[metadata.MetricSTWPause].Histogram().DataPoints().At(0).Attributes().Get("reason")
	if r.Str() != "other" {
		t.Errorf("reason %q, want other", r.Str())
	}
}

func TestAccumulatorSamplesAndTrace(t *testing.T) {
	acc := newAccumulator(testConfig())
	inf := []float64{-1 / zero(), 0, 1e-6, 1e-3, 1 / zero()}
	evs := []event.Runtime{
		{Kind: event.KindSample, PID: 7, TS: 1, Goroutines: 120,
			Sched: &event.SchedHistogram{Buckets: inf, Counts: []uint64{0, 5, 3, 1}}},
		{Kind: event.KindGoroutineCreate, PID: 7, TS: 2, Goid: 10, Site: "main.worker"},
		{Kind: event.KindGoroutineCreate, PID: 7, TS: 3, Goid: 11, Site: "main.worker"},
		{Kind: event.KindSchedLatency, PID: 7, TS: 4, LatencyNS: 500},
		{Kind: event.KindSchedLatency, PID: 7, TS: 5, LatencyNS: 2_000_000},
		{Kind: event.KindSample, PID: 7, TS: 6, Goroutines: 130,
			Sched: &event.SchedHistogram{Buckets: inf, Counts: []uint64{0, 6, 4, 2}}},
	}
	for i := range evs {
		acc.HandleRuntime(&evs[i])
	}
	// The producer reuses its buffers: what was kept must be a copy.
	evs[5].Sched.Counts[1] = 999

	md := pmetric.NewMetrics()
	acc.appendMetrics(md, 100, nil)
	ms := metricsByName(md.ResourceMetrics().At(0))

	g := ms[metadata.MetricGoroutineCount].Sum()
	if g.IsMonotonic() || g.DataPoints().At(0).IntValue() != 130 || ms[metadata.MetricGoroutineCount].Unit() != "{goroutine}" {
		t.Errorf("go.goroutine.count: monotonic %v value %d", g.IsMonotonic(), g.DataPoints().At(0).IntValue())
	}
	sd := ms[metadata.MetricScheduleDuration].Histogram().DataPoints().At(0)
	if b := sd.ExplicitBounds().AsRaw(); !slices.Equal(b, []float64{0, 1e-6, 1e-3}) {
		t.Errorf("go.schedule.duration bounds %v", b)
	}
	if c := sd.BucketCounts().AsRaw(); !slices.Equal(c, []uint64{0, 6, 4, 2}) || sd.Count() != 12 || sd.HasSum() {
		t.Errorf("go.schedule.duration counts %v count %d hasSum %v", c, sd.Count(), sd.HasSum())
	}
	if n := ms[metadata.MetricGoroutinesCreated].Sum().DataPoints().At(0).IntValue(); n != 2 {
		t.Errorf("created %d", n)
	}
	sl := ms[metadata.MetricSchedLatency].Histogram().DataPoints().At(0)
	if c := sl.BucketCounts().AsRaw(); !slices.Equal(c, []uint64{1, 0, 1}) {
		t.Errorf("sched latency buckets %v", c)
	}
}

func TestAccumulatorForgetsExitedProcesses(t *testing.T) {
	acc := newAccumulator(testConfig())
	acc.HandleRuntime(&event.Runtime{Kind: event.KindGCEnd, PID: 9, TS: 1, DurationNS: 1})
	acc.HandleRuntime(&event.Runtime{Kind: event.KindProcExit, PID: 9, TS: 2})
	md := pmetric.NewMetrics()
	acc.appendMetrics(md, 3, nil)
	if md.ResourceMetrics().Len() != 1 {
		t.Fatalf("the exited process is not reported one last time")
	}
	md = pmetric.NewMetrics()
	acc.appendMetrics(md, 4, nil)
	if md.ResourceMetrics().Len() != 0 {
		t.Errorf("the exited process is still reported")
	}
}

func zero() float64 { return 0 }

func BenchmarkHandleRuntime(b *testing.B) {
	acc := newAccumulator(createDefaultConfig().(*Config))
	ev := event.Runtime{Kind: event.KindSTW, PID: 1, TS: 1, DurationNS: 30_000, Reason: event.STWGCMarkTermination}
	b.ReportAllocs()
	b.SetBytes(int64(unsafe.Sizeof(ev)))
	for i := 0; i < b.N; i++ {
		ev.DurationNS = int64(i % 100_000)
		acc.HandleRuntime(&ev)
	}
}
