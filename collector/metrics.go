package gopulsereceiver

import (
	"slices"
	"sort"
	"sync"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/gopulse/gopulse/collector/internal/metadata"
	"github.com/gopulse/gopulse/event"
)

// hist is a cumulative fixed-bucket histogram; counts[len(bounds)] is +Inf.
type hist struct {
	counts   []uint64
	count    uint64
	sum      float64
	min, max float64
}

func newHist(bounds []float64) *hist { return &hist{counts: make([]uint64, len(bounds)+1)} }

func (h *hist) observe(bounds []float64, v float64) {
	i, _ := slices.BinarySearch(bounds, v) // first bound >= v: upper-inclusive, as OTel
	h.counts[i]++
	if h.count == 0 || v < h.min {
		h.min = v
	}
	if h.count == 0 || v > h.max {
		h.max = v
	}
	h.count++
	h.sum += v
}

// procState is what has been accumulated for one process.
type procState struct {
	start pcommon.Timestamp // first event: the start of the cumulative series

	gcCycles uint64
	gcDur    *hist
	stw      [event.STWOther + 1]*hist // by reason
	sched    *hist                     // trace mode
	created  uint64                    // trace mode
	traced   bool                      // saw trace-mode events

	goroutines    int64 // from samples
	hasSample     bool
	schedCounts   []uint64 // last cumulative runtime histogram, copied
	schedBoundary []float64
	exited        bool
}

// accumulator turns runtime events into cumulative per-process metrics. It
// is an event.RuntimeSink; HandleRuntime and appendMetrics may run
// concurrently.
type accumulator struct {
	gcBounds, pauseBounds, schedBounds []float64

	mu    sync.Mutex
	procs map[uint32]*procState
}

func newAccumulator(cfg *Config) *accumulator {
	return &accumulator{
		gcBounds:    slices.Clone(cfg.GCBuckets),
		pauseBounds: slices.Clone(cfg.PauseBuckets),
		schedBounds: slices.Clone(cfg.SchedBuckets),
		procs:       make(map[uint32]*procState),
	}
}

func (a *accumulator) state(pid uint32, ts int64) *procState {
	ps := a.procs[pid]
	if ps == nil {
		ps = &procState{start: pcommon.Timestamp(ts), gcDur: newHist(a.gcBounds)}
		a.procs[pid] = ps
	}
	return ps
}

// HandleRuntime implements event.RuntimeSink. It copies what it keeps.
func (a *accumulator) HandleRuntime(ev *event.Runtime) {
	a.mu.Lock()
	defer a.mu.Unlock()
	ps := a.state(ev.PID, ev.TS)
	switch ev.Kind {
	case event.KindGCEnd:
		ps.gcCycles++
		ps.gcDur.observe(a.gcBounds, float64(ev.DurationNS)/1e9)
	case event.KindSTW:
		r := ev.Reason
		if int(r) >= len(ps.stw) {
			r = event.STWOther
		}
		if ps.stw[r] == nil {
			ps.stw[r] = newHist(a.pauseBounds)
		}
		ps.stw[r].observe(a.pauseBounds, float64(ev.DurationNS)/1e9)
	case event.KindSchedLatency:
		if ps.sched == nil {
			ps.sched = newHist(a.schedBounds)
		}
		ps.traced = true
		ps.sched.observe(a.schedBounds, float64(ev.LatencyNS)/1e9)
	case event.KindGoroutineCreate:
		ps.traced = true
		ps.created++
	case event.KindSample:
		ps.hasSample = true
		ps.goroutines = ev.Goroutines
		if h := ev.Sched; h != nil && len(h.Buckets) == len(h.Counts)+1 {
			ps.schedCounts = append(ps.schedCounts[:0], h.Counts...)
			ps.schedBoundary = append(ps.schedBoundary[:0], h.Buckets...)
		}
	case event.KindProcExit:
		ps.exited = true
	}
}

// appendMetrics appends one ResourceMetrics per process to md, with the
// process's resource attributes from procs (by PID; missing ones get only
// process.pid). Processes that exited are emitted one last time and
// forgotten.
func (a *accumulator) appendMetrics(md pmetric.Metrics, now pcommon.Timestamp, procs map[uint32]event.Proc) {
	a.mu.Lock()
	defer a.mu.Unlock()
	pids := make([]uint32, 0, len(a.procs))
	for pid := range a.procs {
		pids = append(pids, pid)
	}
	sort.Slice(pids, func(i, j int) bool { return pids[i] < pids[j] })
	for _, pid := range pids {
		ps := a.procs[pid]
		rm := md.ResourceMetrics().AppendEmpty()
		setResource(rm.Resource().Attributes(), pid, procs[pid])
		sm := rm.ScopeMetrics().AppendEmpty()
		sm.Scope().SetName(metadata.ScopeName)
		ms := sm.Metrics()
		start := ps.start

		if ps.hasSample {
			m := ms.AppendEmpty()
			m.SetName(metadata.MetricGoroutineCount)
			m.SetDescription("Count of live goroutines.")
			m.SetUnit("{goroutine}")
			s := m.SetEmptySum()
			s.SetIsMonotonic(false)
			s.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
			dp := s.DataPoints().AppendEmpty()
			dp.SetStartTimestamp(start)
			dp.SetTimestamp(now)
			dp.SetIntValue(ps.goroutines)
			if len(ps.schedCounts) > 0 {
				m := ms.AppendEmpty()
				m.SetName(metadata.MetricScheduleDuration)
				m.SetDescription("Time goroutines have spent in the scheduler in a runnable state before actually running.")
				m.SetUnit("s")
				h := m.SetEmptyHistogram()
				h.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
				runtimeHistogram(h.DataPoints().AppendEmpty(), ps.schedBoundary, ps.schedCounts, start, now)
			}
		}

		m := ms.AppendEmpty()
		m.SetName(metadata.MetricGCCycles)
		m.SetDescription("Finished GC cycles.")
		m.SetUnit("{cycle}")
		s := m.SetEmptySum()
		s.SetIsMonotonic(true)
		s.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
		dp := s.DataPoints().AppendEmpty()
		dp.SetStartTimestamp(start)
		dp.SetTimestamp(now)
		dp.SetIntValue(int64(ps.gcCycles))

		m = ms.AppendEmpty()
		m.SetName(metadata.MetricGCCycleDuration)
		m.SetDescription("Duration of each GC cycle, from its start to the end of mark termination.")
		m.SetUnit("s")
		h := m.SetEmptyHistogram()
		h.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
		fillHistogram(h.DataPoints().AppendEmpty(), a.gcBounds, ps.gcDur, start, now)

		m = ms.AppendEmpty()
		m.SetName(metadata.MetricSTWPause)
		m.SetDescription("Duration of each stop-the-world pause.")
		m.SetUnit("s")
		h = m.SetEmptyHistogram()
		h.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
		for r, sh := range ps.stw {
			if sh == nil {
				continue
			}
			hdp := h.DataPoints().AppendEmpty()
			hdp.Attributes().PutStr(metadata.AttrReason, event.STWReason(r).String())
			fillHistogram(hdp, a.pauseBounds, sh, start, now)
		}

		if ps.traced {
			m = ms.AppendEmpty()
			m.SetName(metadata.MetricGoroutinesCreated)
			m.SetDescription("Goroutines created (trace mode).")
			m.SetUnit("{goroutine}")
			s := m.SetEmptySum()
			s.SetIsMonotonic(true)
			s.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
			dp := s.DataPoints().AppendEmpty()
			dp.SetStartTimestamp(start)
			dp.SetTimestamp(now)
			dp.SetIntValue(int64(ps.created))
			if ps.sched != nil {
				m = ms.AppendEmpty()
				m.SetName(metadata.MetricSchedLatency)
				m.SetDescription("Runnable-to-running latency of each traced goroutine switch.")
				m.SetUnit("s")
				h := m.SetEmptyHistogram()
				h.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
				fillHistogram(h.DataPoints().AppendEmpty(), a.schedBounds, ps.sched, start, now)
			}
		}
		if ps.exited {
			delete(a.procs, pid)
		}
	}
}

func setResource(attrs pcommon.Map, pid uint32, p event.Proc) {
	attrs.PutInt(metadata.ResProcessPID, int64(pid))
	attrs.PutStr(metadata.ResProcessRuntimeName, "go")
	put := func(k, v string) {
		if v != "" {
			attrs.PutStr(k, v)
		}
	}
	put(metadata.ResServiceName, p.Service)
	put(metadata.ResProcessExecutablePath, p.Exe)
	put(metadata.ResProcessRuntimeVersion, p.GoVersion)
	put(metadata.ResK8sNamespaceName, p.Namespace)
	put(metadata.ResK8sPodName, p.Pod)
	put(metadata.ResK8sContainerName, p.Container)
}

func fillHistogram(dp pmetric.HistogramDataPoint, bounds []float64, h *hist, start, now pcommon.Timestamp) {
	dp.SetStartTimestamp(start)
	dp.SetTimestamp(now)
	dp.ExplicitBounds().FromRaw(bounds)
	dp.BucketCounts().FromRaw(h.counts)
	dp.SetCount(h.count)
	dp.SetSum(h.sum)
	if h.count > 0 {
		dp.SetMin(h.min)
		dp.SetMax(h.max)
	}
}

// runtimeHistogram converts a runtime/metrics-style histogram (bucket i is
// [buckets[i], buckets[i+1]), the outer boundaries possibly infinite) to an
// OTel explicit-bounds histogram, whose bounds are the inner boundaries. The
// runtime does not keep a sum, so none is set.
func runtimeHistogram(dp pmetric.HistogramDataPoint, buckets []float64, counts []uint64, start, now pcommon.Timestamp) {
	dp.SetStartTimestamp(start)
	dp.SetTimestamp(now)
	inner := buckets[1 : len(buckets)-1]
	dp.ExplicitBounds().FromRaw(inner)
	dp.BucketCounts().FromRaw(counts)
	var n uint64
	for _, c := range counts {
		n += c
	}
	dp.SetCount(n)
}
