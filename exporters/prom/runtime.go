// Package prom exports gopulse's metrics to Prometheus: a /metrics handler
// (text 0.0.4 and OpenMetrics 1.0) and remote write 1.0.
//
// Runtime aggregates *event.Runtime per watched process into the series of
// the metric contract (gopulse_go_*). Its encoders write into caller-owned
// buffers and allocate nothing per sample in steady state.
package prom

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gopulse/gopulse/event"
)

// RuntimeConfig bounds the runtime aggregation.
type RuntimeConfig struct {
	// Histogram upper bounds, in seconds (ascending, without +Inf).
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
	// for that long (a safety net when its exit was missed); 0 keeps it
	// until KindProcExit or RemoveProc.
	StaleAfter time.Duration

	// ExternalLabels are added to every remote-written series (not to the
	// /metrics exposition, which the scraper labels), unless the series
	// has a label of that name. Names must start with a lower-case letter
	// and must not be a runtime series' own label (le, reason, go_version,
	// stripped).
	ExternalLabels map[string]string
}

// DefaultRuntimeConfig returns the default buckets and leak thresholds.
func DefaultRuntimeConfig() RuntimeConfig {
	return RuntimeConfig{
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

// hist is a fixed-bucket histogram; counts are per bucket, the last one +Inf.
type hist struct {
	counts []uint64
	sum    float64
	count  uint64
}

func newHist(bounds []float64) hist { return hist{counts: make([]uint64, len(bounds)+1)} }

func (h *hist) observe(bounds []float64, v float64) {
	i, _ := slices.BinarySearch(bounds, v) // first bound >= v: le semantics
	h.counts[i]++
	h.sum += v
	h.count++
}

// schedSample is the runtime's scheduling-latency histogram mapped onto
// Prometheus buckets.
type schedSample struct {
	le    []float64 // chosen runtime boundaries
	leStr [][]byte  // their text form
	leS   []string
	leEnc []chunk
	idx   []int    // le[k] == runtime Buckets[idx[k]]
	cum   []uint64 // cumulative count at le[k] (filled per sample)
	count uint64
	sum   float64
	nb    int // len(Buckets) the mapping was built for
	first float64
}

type siteState struct {
	live, prev int64
	streak     int
	suspect    bool
}

type procState struct {
	pid      uint32
	lastSeen int64 // Unix ns of the newest event or UpsertProc
	proc     event.Proc
	known    bool
	labels   []byte // pid="…",exe="…",service="…"[,namespace,pod,container]
	sorted   []labelPair
	enc      []chunk // sorted base labels, encoded for remote write
	infoEnc  [2]chunk
	// baseEnc is enc concatenated; split* are the byte offsets where a
	// label of that name sorts in.
	baseEnc                                             []byte
	splitGoVersion, splitStripped, splitLe, splitReason int
	info                                                []byte // go_version="…",stripped="…"
	version                                             string

	gcCycles   uint64
	gcDur      hist
	pauses     []hist // by event.STWReason
	schedTrace hist
	sched      schedSample
	hasSched   bool
	goroutines int64
	hasGs      bool
	created    uint64

	// leak tracking (trace mode)
	sites       map[string]*siteState
	goidSite    map[uint64]string
	windowStart int64
	suspects    int
}

type labelPair struct{ name, value string }

// Runtime aggregates runtime events per process. It implements
// event.RuntimeSink and is safe for concurrent use.
type Runtime struct {
	cfg RuntimeConfig

	gcLe, pauseLe, schedLe    [][]byte
	gcLeS, pauseLeS, schedLeS []string
	enc                       runtimeChunks

	ext []labelPair // ExternalLabels, sorted

	mu    sync.Mutex
	procs map[uint32]*procState
	order []*procState // by pid
}

// NewRuntime returns an empty aggregator.
func NewRuntime(cfg RuntimeConfig) *Runtime {
	r := &Runtime{cfg: cfg, procs: make(map[uint32]*procState)}
	for k, v := range cfg.ExternalLabels {
		r.ext = append(r.ext, labelPair{k, v})
	}
	slices.SortFunc(r.ext, func(a, b labelPair) int { return strings.Compare(a.name, b.name) })
	r.gcLe = leStrings(cfg.GCBuckets)
	r.pauseLe = leStrings(cfg.PauseBuckets)
	r.schedLe = leStrings(cfg.SchedBuckets)
	r.gcLeS, r.pauseLeS, r.schedLeS = toStrings(r.gcLe), toStrings(r.pauseLe), toStrings(r.schedLe)
	r.enc = newRuntimeChunks(r)
	return r
}

func leStrings(b []float64) [][]byte {
	out := make([][]byte, len(b))
	for i, v := range b {
		out[i] = strconv.AppendFloat(nil, v, 'g', -1, 64)
	}
	return out
}

func toStrings(bs [][]byte) []string {
	out := make([]string, len(bs))
	for i, b := range bs {
		out[i] = string(b)
	}
	return out
}

// UpsertProc sets (or updates) a process's metadata. Events for a process may
// arrive before it; its labels are filled in then.
func (r *Runtime) UpsertProc(p *event.Proc) {
	r.mu.Lock()
	defer r.mu.Unlock()
	ps := r.state(uint32(p.PID))
	ps.proc = *p
	ps.known = true
	ps.lastSeen = max(ps.lastSeen, time.Now().UnixNano())
	ps.setLabels(r.ext)
}

// RemoveProc forgets a process and its series.
func (r *Runtime) RemoveProc(pid int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.remove(uint32(pid))
}

func (r *Runtime) remove(pid uint32) {
	ps, ok := r.procs[pid]
	if !ok {
		return
	}
	delete(r.procs, pid)
	if i := slices.Index(r.order, ps); i >= 0 {
		r.order = slices.Delete(r.order, i, i+1)
	}
}

func (r *Runtime) state(pid uint32) *procState {
	if ps, ok := r.procs[pid]; ok {
		return ps
	}
	ps := &procState{
		pid:        pid,
		gcDur:      newHist(r.cfg.GCBuckets),
		schedTrace: newHist(r.cfg.SchedBuckets),
		pauses:     make([]hist, int(event.STWOther)+1),
	}
	ps.proc.PID = int(pid)
	ps.lastSeen = time.Now().UnixNano()
	ps.setLabels(r.ext)
	r.procs[pid] = ps
	i, _ := slices.BinarySearchFunc(r.order, pid, func(p *procState, pid uint32) int {
		return int(int64(p.pid) - int64(pid))
	})
	r.order = slices.Insert(r.order, i, ps)
	return ps
}

func (ps *procState) setLabels(ext []labelPair) {
	p := &ps.proc
	pairs := []labelPair{
		{"pid", strconv.Itoa(int(ps.pid))},
		{"exe", p.Exe},
		{"service", p.Service},
	}
	if p.Node != "" {
		pairs = append(pairs, labelPair{"node", p.Node})
	}
	if p.Namespace != "" || p.Pod != "" || p.Container != "" {
		pairs = append(pairs, labelPair{"namespace", p.Namespace}, labelPair{"pod", p.Pod}, labelPair{"container", p.Container})
	}
	var b []byte
	for i, lp := range pairs {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendLabel(b, lp.name, lp.value)
	}
	ps.labels = b
	ps.info = appendLabel(nil, "go_version", p.GoVersion)
	ps.info = append(ps.info, ',')
	ps.info = appendLabel(ps.info, "stripped", strconv.FormatBool(p.Stripped))
	ps.version = p.GoVersion
	// Remote write also carries the external labels.
	for _, e := range ext {
		if !slices.ContainsFunc(pairs, func(lp labelPair) bool { return lp.name == e.name }) {
			pairs = append(pairs, e)
		}
	}
	slices.SortFunc(pairs, func(a, b labelPair) int {
		switch {
		case a.name < b.name:
			return -1
		case a.name > b.name:
			return 1
		}
		return 0
	})
	ps.sorted = pairs
	ps.enc = ps.enc[:0]
	for _, lp := range pairs {
		if lp.value != "" {
			ps.enc = append(ps.enc, newChunk(lp.name, lp.value))
		}
	}
	ps.infoEnc = [2]chunk{newChunk("go_version", p.GoVersion), newChunk("stripped", strconv.FormatBool(p.Stripped))}
	ps.baseEnc = ps.baseEnc[:0]
	for _, c := range ps.enc {
		ps.baseEnc = append(ps.baseEnc, c.enc...)
	}
	split := func(name string) int {
		n := 0
		for _, c := range ps.enc {
			if c.name < name {
				n += len(c.enc)
			}
		}
		return n
	}
	ps.splitGoVersion, ps.splitStripped = split("go_version"), split("stripped")
	ps.splitLe, ps.splitReason = split("le"), split("reason")
}

// HandleRuntime implements event.RuntimeSink.
func (r *Runtime) HandleRuntime(ev *event.Runtime) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if ev.Kind == event.KindProcExit {
		r.remove(ev.PID)
		return
	}
	ps := r.state(ev.PID)
	if ev.TS > ps.lastSeen {
		ps.lastSeen = ev.TS
	}
	switch ev.Kind {
	case event.KindGCEnd:
		ps.gcCycles++
		if !ev.Partial { // a partial cycle's duration is only its last pause
			ps.gcDur.observe(r.cfg.GCBuckets, float64(ev.DurationNS)/1e9)
		}
	case event.KindSTW:
		reason := ev.Reason
		if int(reason) >= len(ps.pauses) {
			reason = event.STWOther
		}
		h := &ps.pauses[reason]
		if h.counts == nil {
			*h = newHist(r.cfg.PauseBuckets)
		}
		h.observe(r.cfg.PauseBuckets, float64(ev.DurationNS)/1e9)
	case event.KindSchedLatency:
		ps.schedTrace.observe(r.cfg.SchedBuckets, float64(ev.LatencyNS)/1e9)
	case event.KindGoroutineCreate:
		ps.created++
		if !ps.hasGs {
			ps.goroutines++
		}
		r.trackCreate(ps, ev)
	case event.KindGoroutineExit:
		if !ps.hasGs && ps.goroutines > 0 {
			ps.goroutines--
		}
		r.trackExit(ps, ev)
	case event.KindSample:
		ps.goroutines = ev.Goroutines
		ps.hasGs = true
		if ev.Sched != nil {
			r.mapSched(ps, ev.Sched)
		}
	}
	if ps.sites != nil && ev.TS > 0 {
		r.leakWindow(ps, ev.TS)
	}
}

// mapSched copies the runtime's histogram onto the Prometheus buckets.
func (r *Runtime) mapSched(ps *procState, h *event.SchedHistogram) {
	s := &ps.sched
	if len(h.Buckets) != len(h.Counts)+1 || len(h.Counts) == 0 {
		return
	}
	if s.nb != len(h.Buckets) || s.first != h.Buckets[0] {
		s.le, s.idx, s.leStr, s.leS, s.leEnc = s.le[:0], s.idx[:0], s.leStr[:0], s.leS[:0], s.leEnc[:0]
		for _, target := range r.cfg.SchedBuckets {
			// The largest finite runtime boundary <= target.
			j, found := slices.BinarySearch(h.Buckets, target)
			if !found {
				j--
			}
			if j < 1 || math.IsInf(h.Buckets[j], 0) || (len(s.idx) > 0 && s.idx[len(s.idx)-1] >= j) {
				continue
			}
			s.le = append(s.le, h.Buckets[j])
			s.idx = append(s.idx, j)
			s.leStr = append(s.leStr, strconv.AppendFloat(nil, h.Buckets[j], 'g', -1, 64))
			s.leS = append(s.leS, string(s.leStr[len(s.leStr)-1]))
			s.leEnc = append(s.leEnc, newChunk("le", s.leS[len(s.leS)-1]))
		}
		s.cum = make([]uint64, len(s.le))
		s.nb, s.first = len(h.Buckets), h.Buckets[0]
	}
	var total uint64
	var sum float64
	k := 0
	for i, c := range h.Counts {
		// Bucket i is [Buckets[i], Buckets[i+1]): every value in it is below
		// le[k] when Buckets[i+1] <= le[k].
		for k < len(s.idx) && s.idx[k] <= i {
			s.cum[k] = total
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
		s.cum[k] = total
	}
	s.count, s.sum = total, sum
	ps.hasSched = true
}

func (r *Runtime) trackCreate(ps *procState, ev *event.Runtime) {
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
		if len(ps.sites) >= r.cfg.MaxSites {
			return
		}
		st = &siteState{}
		ps.sites[ev.Site] = st
	}
	if len(ps.goidSite) >= r.cfg.MaxTracked {
		return
	}
	st.live++
	ps.goidSite[ev.Goid] = ev.Site
}

func (r *Runtime) trackExit(ps *procState, ev *event.Runtime) {
	site, ok := ps.goidSite[ev.Goid]
	if !ok {
		return
	}
	delete(ps.goidSite, ev.Goid)
	if st := ps.sites[site]; st != nil {
		st.live--
	}
}

func (r *Runtime) leakWindow(ps *procState, ts int64) {
	if ts-ps.windowStart < r.cfg.LeakWindowNS {
		return
	}
	ps.windowStart = ts
	n := 0
	for _, st := range ps.sites {
		if st.live > st.prev && st.live >= r.cfg.LeakMinLive {
			st.streak++
		} else if st.live < st.prev {
			st.streak = 0
		}
		st.prev = st.live
		st.suspect = st.streak >= r.cfg.LeakWindows
		if st.suspect {
			n++
		}
	}
	ps.suspects = n
}

// Prune removes the processes not seen for StaleAfter and returns how many
// it removed. The handler and the remote writer call it before encoding.
func (r *Runtime) Prune(now time.Time) int {
	if r.cfg.StaleAfter <= 0 {
		return 0
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	limit := now.Add(-r.cfg.StaleAfter).UnixNano()
	n := 0
	for i := 0; i < len(r.order); {
		ps := r.order[i]
		if ps.lastSeen < limit {
			r.remove(ps.pid)
			n++
			continue
		}
		i++
	}
	return n
}

// Len returns the number of processes with series.
func (r *Runtime) Len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.order)
}

// appendLabel appends name="escaped value".
func appendLabel(b []byte, name, value string) []byte {
	b = append(b, name...)
	b = append(b, '=', '"')
	for i := 0; i < len(value); i++ {
		switch c := value[i]; c {
		case '\\':
			b = append(b, '\\', '\\')
		case '"':
			b = append(b, '\\', '"')
		case '\n':
			b = append(b, '\\', 'n')
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}
