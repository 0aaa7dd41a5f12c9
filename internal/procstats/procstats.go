// Package procstats is gopulse's one per-process aggregation of runtime
// events: GC cycles (the runtime's own count, so since the process started),
// GC cycle and phase durations with the cycle's pauses paired to it, every
// stop-the-world pause by reason, scheduling latency (the runtime's own
// histogram mapped onto fixed bounds, or trace-mode events), goroutines,
// goroutine-leak suspects, and the memory, GC configuration and CPU values
// of the runtime's samples. The agent's Prometheus exporter and the OTel
// Collector receiver each keep one Aggregator and encode from it, so both
// report the same numbers for the same events; the Jaeger exporter pairs
// pauses with cycles through the same Pairing.
//
// An Aggregator is an event.RuntimeSink and is safe for concurrent use.
// Encoders read it under its lock with Each, allocating nothing.
package procstats

import (
	"math"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/gopulse/gopulse/event"
)

// Config bounds the aggregation.
type Config struct {
	// Histogram upper bounds, in seconds (ascending, without +Inf): GC
	// cycle and phase durations, pauses, trace-mode scheduling latency.
	GCBuckets    []float64
	PauseBuckets []float64
	// SchedBuckets are the nominal bounds of the scheduling-latency
	// histogram. With the runtime's own histogram (KindSample) each is moved
	// down to the closest runtime bucket boundary, so counts are exact.
	SchedBuckets []float64

	// Goroutine leak suspects (trace mode): a creation site is flagged when
	// its live goroutines grew in LeakWindows consecutive windows of
	// LeakWindowNS and are at least LeakMinLive.
	LeakWindowNS int64
	LeakWindows  int
	LeakMinLive  int64
	// MaxSites and MaxTracked bound the per-process leak tracking memory.
	MaxSites   int
	MaxTracked int

	// StaleAfter removes a process that has had no event and no UpsertProc
	// for that long (Prune; a safety net when its exit was missed); 0 keeps
	// it until KindProcExit or RemoveProc.
	StaleAfter time.Duration
	// KeepExited keeps a process that exited until Collect has visited it
	// once, so that a periodic emitter sends its final values with its
	// identity; otherwise it is forgotten when its exit arrives.
	KeepExited bool
}

// DefaultConfig returns the default buckets and leak thresholds.
func DefaultConfig() Config {
	return Config{
		GCBuckets:    []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		PauseBuckets: []float64{5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, .001, .0025, .005, .01, .025, .05, .1, .5},
		SchedBuckets: []float64{1e-6, 5e-6, 1e-5, 5e-5, 1e-4, 5e-4, .001, .005, .01, .05, .1, .5, 1},
		LeakWindowNS: 30e9,
		LeakWindows:  3,
		LeakMinLive:  100,
		MaxSites:     1024,
		MaxTracked:   1 << 16,
		StaleAfter:   10 * time.Minute,
	}
}

// Hist is a fixed-bucket histogram: Counts are per bucket, the last one
// +Inf (upper-inclusive bounds, as Prometheus' le and OTel's explicit
// bounds). Counts is nil until the first observation when the histogram is
// optional.
type Hist struct {
	Counts   []uint64
	Count    uint64
	Sum      float64
	Min, Max float64 // valid when Count > 0
}

func newHist(bounds []float64) Hist { return Hist{Counts: make([]uint64, len(bounds)+1)} }

func (h *Hist) observe(bounds []float64, v float64) {
	if h.Counts == nil {
		*h = newHist(bounds)
	}
	i, _ := slices.BinarySearch(bounds, v) // first bound >= v
	h.Counts[i]++
	if h.Count == 0 || v < h.Min {
		h.Min = v
	}
	if h.Count == 0 || v > h.Max {
		h.Max = v
	}
	h.Count++
	h.Sum += v
}

// SchedHist is the runtime's cumulative scheduling-latency histogram mapped
// onto the nominal bounds: Bounds are the runtime boundaries chosen, Cum
// the cumulative count at each, Count the total. The runtime keeps no sum:
// Sum is estimated from bucket midpoints (the lowest finite boundary for
// the overflow bucket).
type SchedHist struct {
	Bounds []float64
	Cum    []uint64
	Count  uint64
	Sum    float64

	idx   []int // Bounds[k] == runtime Buckets[idx[k]]
	nb    int   // len(Buckets) the mapping was built for
	first float64
}

// Phase is a GC cycle's phase.
type Phase uint8

// GC phases, in order.
const (
	PhaseSweepTermination Phase = iota // stop-the-world
	PhaseMark                          // concurrent
	PhaseMarkTermination               // stop-the-world
	NumPhases
)

var phaseNames = [NumPhases]string{"sweep_termination", "mark", "mark_termination"}

// String returns the phase's attribute value.
func (p Phase) String() string {
	if p < NumPhases {
		return phaseNames[p]
	}
	return "unknown"
}

// Process is what has been aggregated for one process. X is the consumer's
// own per-process state (an encoder's label cache), which the Aggregator
// keeps and drops with the process.
type Process[X any] struct {
	PID uint32
	// Proc is the process's identity (UpsertProc); ProcGen changes every
	// time it is set, so that consumers can rebuild what they derive.
	Proc    event.Proc
	ProcGen uint64
	Known   bool  // Proc was set by UpsertProc
	FirstNS int64 // the first event or UpsertProc: the start of the series
	Exited  bool  // KindProcExit arrived (KeepExited)

	// GCCycles is the runtime's own count of finished GC cycles
	// (/gc/cycles/total:gc-cycles), from the cycle numbers of gc_end events
	// and samples: it counts since the process started, not since attach.
	GCCycles   uint64
	GCDuration Hist
	Phases     [NumPhases]Hist
	Pauses     []Hist // by event.STWReason; Counts nil for reasons never seen
	SchedTrace Hist   // trace mode
	Sched      SchedHist
	HasSched   bool
	// SchedRaw is the last sample's histogram at the runtime's full
	// resolution (Counts copied; Buckets as the sampler shares them: never
	// written).
	SchedRaw event.SchedHistogram

	Goroutines    int64
	HasGoroutines bool // from a sample (else counted from trace events)
	Created       uint64
	Suspects      int

	Stats    event.RuntimeStats // last sample's, with cumulative values kept monotonic
	HasStats bool

	Ext X

	lastSeen    int64
	pairing     Pairing
	sites       map[string]*siteState
	goidSite    map[uint64]string
	windowStart int64
}

type siteState struct {
	live, prev int64
	streak     int
	suspect    bool
}

// Aggregator aggregates runtime events per process.
type Aggregator[X any] struct {
	cfg Config

	mu    sync.Mutex
	procs map[uint32]*Process[X]
	order []*Process[X] // by pid
	now   func() time.Time
}

// New returns an empty aggregator.
func New[X any](cfg Config) *Aggregator[X] {
	return &Aggregator[X]{cfg: cfg, procs: make(map[uint32]*Process[X]), now: time.Now}
}

// Config returns the aggregator's configuration.
func (a *Aggregator[X]) Config() Config { return a.cfg }

// UpsertProc sets (or updates) a process's identity. Events for a process
// may arrive before it.
func (a *Aggregator[X]) UpsertProc(p *event.Proc) {
	a.mu.Lock()
	defer a.mu.Unlock()
	ps := a.state(uint32(p.PID))
	ps.Proc = *p
	ps.Known = true
	ps.ProcGen++
	ps.lastSeen = max(ps.lastSeen, a.now().UnixNano())
}

// Known reports whether pid's identity was set.
func (a *Aggregator[X]) Known(pid uint32) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	ps := a.procs[pid]
	return ps != nil && ps.Known
}

// RemoveProc forgets a process.
func (a *Aggregator[X]) RemoveProc(pid int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.remove(uint32(pid))
}

func (a *Aggregator[X]) remove(pid uint32) {
	ps, ok := a.procs[pid]
	if !ok {
		return
	}
	delete(a.procs, pid)
	if i := slices.Index(a.order, ps); i >= 0 {
		a.order = slices.Delete(a.order, i, i+1)
	}
}

func (a *Aggregator[X]) state(pid uint32) *Process[X] {
	if ps, ok := a.procs[pid]; ok {
		return ps
	}
	now := a.now().UnixNano()
	ps := &Process[X]{
		PID:        pid,
		FirstNS:    now,
		lastSeen:   now,
		GCDuration: newHist(a.cfg.GCBuckets),
		SchedTrace: newHist(a.cfg.SchedBuckets),
		Pauses:     make([]Hist, int(event.STWOther)+1),
	}
	for i := range ps.Phases {
		ps.Phases[i] = newHist(a.cfg.GCBuckets)
	}
	ps.Proc.PID = int(pid)
	a.procs[pid] = ps
	i, _ := slices.BinarySearchFunc(a.order, pid, func(p *Process[X], pid uint32) int {
		return int(int64(p.PID) - int64(pid))
	})
	a.order = slices.Insert(a.order, i, ps)
	return ps
}

// HandleRuntime implements event.RuntimeSink.
func (a *Aggregator[X]) HandleRuntime(ev *event.Runtime) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if ev.Kind == event.KindProcExit {
		if ps, ok := a.procs[ev.PID]; ok && a.cfg.KeepExited {
			ps.Exited = true
			return
		}
		a.remove(ev.PID)
		return
	}
	ps := a.state(ev.PID)
	if ev.TS > ps.lastSeen {
		ps.lastSeen = ev.TS
	}
	switch ev.Kind {
	case event.KindGCEnd:
		if ev.Cycle > 0 {
			ps.GCCycles = max(ps.GCCycles, uint64(ev.Cycle))
		} else {
			ps.GCCycles++
		}
		if ev.Partial {
			// The probes attached during this cycle: it counts, but its
			// duration is only its last pause.
			break
		}
		ps.GCDuration.observe(a.cfg.GCBuckets, float64(ev.DurationNS)/1e9)
		c := ps.pairing.Cycle(ev)
		for ph := Phase(0); ph < NumPhases; ph++ {
			if d := c.PhaseNS(ph); d > 0 {
				ps.Phases[ph].observe(a.cfg.GCBuckets, float64(d)/1e9)
			}
		}
	case event.KindSTW:
		reason := ev.Reason
		if int(reason) >= len(ps.Pauses) {
			reason = event.STWOther
		}
		ps.Pauses[reason].observe(a.cfg.PauseBuckets, float64(ev.DurationNS)/1e9)
		ps.pairing.AddPause(ev)
	case event.KindSchedLatency:
		ps.SchedTrace.observe(a.cfg.SchedBuckets, float64(ev.LatencyNS)/1e9)
	case event.KindGoroutineCreate:
		ps.Created++
		if !ps.HasGoroutines {
			ps.Goroutines++
		}
		a.trackCreate(ps, ev)
	case event.KindGoroutineExit:
		if !ps.HasGoroutines && ps.Goroutines > 0 {
			ps.Goroutines--
		}
		a.trackExit(ps, ev)
	case event.KindSample:
		ps.Goroutines = ev.Goroutines
		ps.HasGoroutines = true
		if ev.Cycle > 0 {
			ps.GCCycles = max(ps.GCCycles, uint64(ev.Cycle))
		}
		if ev.Sched != nil {
			a.mapSched(ps, ev.Sched)
			ps.SchedRaw.Counts = append(ps.SchedRaw.Counts[:0], ev.Sched.Counts...)
			ps.SchedRaw.Buckets = ev.Sched.Buckets
		}
		if ev.Stats != nil {
			a.setStats(ps, ev.Stats)
		}
	}
	if ps.sites != nil && ev.TS > 0 {
		a.leakWindow(ps, ev.TS)
	}
}

// setStats keeps the sample's values, the cumulative ones never going back
// (a read that raced the runtime's own rotation of its heap statistics can
// count some allocations twice, briefly).
func (a *Aggregator[X]) setStats(ps *Process[X], s *event.RuntimeStats) {
	prev := ps.Stats
	ps.Stats = *s
	if ps.HasStats {
		st := &ps.Stats
		st.Allocations = max(st.Allocations, prev.Allocations)
		st.Allocated = max(st.Allocated, prev.Allocated)
		st.CPUUserNS = max(st.CPUUserNS, prev.CPUUserNS)
		st.CPUGCNS = max(st.CPUGCNS, prev.CPUGCNS)
		st.CPUScavengeNS = max(st.CPUScavengeNS, prev.CPUScavengeNS)
		st.CPUIdleNS = max(st.CPUIdleNS, prev.CPUIdleNS)
	}
	ps.HasStats = true
}

// mapSched copies the runtime's histogram onto the nominal bounds.
func (a *Aggregator[X]) mapSched(ps *Process[X], h *event.SchedHistogram) {
	s := &ps.Sched
	if len(h.Buckets) != len(h.Counts)+1 || len(h.Counts) == 0 {
		return
	}
	if s.nb != len(h.Buckets) || s.first != h.Buckets[0] {
		s.Bounds, s.idx = s.Bounds[:0], s.idx[:0]
		for _, target := range a.cfg.SchedBuckets {
			// The largest finite runtime boundary <= target.
			j, found := slices.BinarySearch(h.Buckets, target)
			if !found {
				j--
			}
			if j < 1 || math.IsInf(h.Buckets[j], 0) || (len(s.idx) > 0 && s.idx[len(s.idx)-1] >= j) {
				continue
			}
			s.Bounds = append(s.Bounds, h.Buckets[j])
			s.idx = append(s.idx, j)
		}
		s.Cum = make([]uint64, len(s.Bounds))
		s.nb, s.first = len(h.Buckets), h.Buckets[0]
	}
	var total uint64
	var sum float64
	k := 0
	for i, c := range h.Counts {
		// Bucket i is [Buckets[i], Buckets[i+1]): every value in it is below
		// Bounds[k] when Buckets[i+1] <= Bounds[k].
		for k < len(s.idx) && s.idx[k] <= i {
			s.Cum[k] = total
			k++
		}
		total += c
		if c > 0 {
			lo, hi := h.Buckets[i], h.Buckets[i+1]
			var mid float64
			switch {
			case math.IsInf(lo, -1):
				mid = 0
			case math.IsInf(hi, 1):
				mid = lo
			default:
				mid = (lo + hi) / 2
			}
			sum += float64(c) * mid
		}
	}
	for ; k < len(s.idx); k++ {
		s.Cum[k] = total
	}
	s.Count, s.Sum = total, sum
	ps.HasSched = true
}

func (a *Aggregator[X]) trackCreate(ps *Process[X], ev *event.Runtime) {
	if ev.Site == "" {
		return
	}
	if ps.sites == nil {
		ps.sites = make(map[string]*siteState)
		ps.goidSite = make(map[uint64]string)
		ps.windowStart = ev.TS
	}
	st, ok := ps.sites[ev.Site]
	if !ok {
		if len(ps.sites) >= a.cfg.MaxSites {
			return
		}
		st = &siteState{}
		ps.sites[ev.Site] = st
	}
	if len(ps.goidSite) >= a.cfg.MaxTracked {
		return
	}
	st.live++
	ps.goidSite[ev.Goid] = ev.Site
}

func (a *Aggregator[X]) trackExit(ps *Process[X], ev *event.Runtime) {
	site, ok := ps.goidSite[ev.Goid]
	if !ok {
		return
	}
	delete(ps.goidSite, ev.Goid)
	if st := ps.sites[site]; st != nil {
		st.live--
	}
}

func (a *Aggregator[X]) leakWindow(ps *Process[X], ts int64) {
	if ts-ps.windowStart < a.cfg.LeakWindowNS {
		return
	}
	ps.windowStart = ts
	n := 0
	for _, st := range ps.sites {
		if st.live > st.prev && st.live >= a.cfg.LeakMinLive {
			st.streak++
		} else if st.live < st.prev {
			st.streak = 0
		}
		st.prev = st.live
		st.suspect = st.streak >= a.cfg.LeakWindows
		if st.suspect {
			n++
		}
	}
	ps.Suspects = n
}

// Prune removes the processes not seen for StaleAfter and returns their
// number.
func (a *Aggregator[X]) Prune(now time.Time) int {
	if a.cfg.StaleAfter <= 0 {
		return 0
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	limit := now.Add(-a.cfg.StaleAfter).UnixNano()
	n := 0
	for i := 0; i < len(a.order); {
		ps := a.order[i]
		if ps.lastSeen < limit {
			a.remove(ps.PID)
			n++
			continue
		}
		i++
	}
	return n
}

// Len returns the number of processes.
func (a *Aggregator[X]) Len() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.order)
}

// Each calls fn for every process in pid order, under the aggregator's lock,
// from the start-th on, until fn returns false; it returns the index of the
// process fn stopped at plus one, or -1 when it visited them all. fn must
// not keep p nor call the aggregator.
func (a *Aggregator[X]) Each(start int, fn func(p *Process[X]) bool) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	for i := max(start, 0); i < len(a.order); i++ {
		if !fn(a.order[i]) && i+1 < len(a.order) {
			return i + 1
		}
	}
	return -1
}

// View calls fn with every process in pid order, under the aggregator's
// lock (for encoders that make several passes). fn must not keep the slice
// or its processes, nor call the aggregator.
func (a *Aggregator[X]) View(fn func(procs []*Process[X])) {
	a.mu.Lock()
	defer a.mu.Unlock()
	fn(a.order)
}

// Collect calls fn for every process in pid order, under the lock, then
// forgets the processes that had exited (KeepExited): their final values
// have been seen once.
func (a *Aggregator[X]) Collect(fn func(p *Process[X])) {
	a.mu.Lock()
	defer a.mu.Unlock()
	var gone []uint32
	for _, ps := range a.order {
		fn(ps)
		if ps.Exited {
			gone = append(gone, ps.PID)
		}
	}
	for _, pid := range gone {
		a.remove(pid)
	}
}

// PIDs returns the pids aggregated, sorted.
func (a *Aggregator[X]) PIDs() []uint32 {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make([]uint32, len(a.order))
	for i, ps := range a.order {
		out[i] = ps.PID
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}
