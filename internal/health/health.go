// Package health turns runtime and log signals of each watched process into
// a verdict (healthy, degraded, unhealthy) with hysteresis, and into failover
// decisions (drain, restore) with their reasons.
//
// The Engine is pure logic: events come in through HandleRuntime and
// ObserveLog, time goes forward only through Tick, so tests drive it with
// synthetic signal sequences and no clock.
package health

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/gopulse/gopulse/event"
)

// ErrConfig wraps every configuration problem found by Config.Validate.
var ErrConfig = errors.New("health config")

// State is a verdict.
type State uint8

// The verdicts, from best to worst, and Unknown: a process not yet measured
// for enough windows to have one (see Engine.Status).
const (
	Healthy State = iota
	Degraded
	Unhealthy
	Unknown
)

var stateNames = [...]string{"healthy", "degraded", "unhealthy", "unknown"}

func (s State) String() string {
	if int(s) < len(stateNames) {
		return stateNames[s]
	}
	return "unknown"
}

// MarshalText makes State a JSON string.
func (s State) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText parses a state name.
func (s *State) UnmarshalText(b []byte) error {
	for i, n := range stateNames {
		if n == string(b) {
			*s = State(i)
			return nil
		}
	}
	return fmt.Errorf("unknown state %q", b)
}

// States lists every state, for metrics.
var States = [...]State{Healthy, Degraded, Unhealthy, Unknown}

// Decision is a failover decision.
type Decision string

// The decisions.
const (
	Drain   Decision = "drain"
	Restore Decision = "restore"
)

// DurationThreshold marks a signal degraded or unhealthy at or above a value.
type DurationThreshold struct{ Degraded, Unhealthy time.Duration }

// FloatThreshold marks a signal degraded or unhealthy at or above a value.
type FloatThreshold struct{ Degraded, Unhealthy float64 }

// Config holds windows, hysteresis and thresholds.
type Config struct {
	Window       time.Duration
	WorsenAfter  int // consecutive worse windows before the state worsens
	RecoverAfter int // consecutive better windows before the state improves
	// DrainHold: a drained process is restored no sooner than this many
	// windows after the drain (0: as soon as RecoverAfter windows are
	// healthy). A drained backend gets no traffic, so the symptoms only
	// traffic brings go quiet; the hold keeps it from being restored on
	// that quiet, only to be drained again when traffic returns.
	DrainHold int
	// HeartbeatFailures: a process whose events stopped for more than this
	// many consecutive windows is unhealthy at once. It applies once the
	// process has sent periodic samples (KindSample): without them an idle
	// process is legitimately silent.
	HeartbeatFailures int

	STWP99   DurationThreshold
	STWMax   DurationThreshold
	SchedP99 DurationThreshold
	// SchedCPUWait: a window's scheduling latency is not held against a
	// process whose threads waited for a CPU at least this share of the
	// time they were runnable (read by the CPUWaiter, see
	// Engine.SetCPUWaiter). The runtime counts a goroutine's wait from
	// runnable to running whatever its cause: the process's own backlog
	// (more runnable goroutines than Ps), its own CPU limit (cgroup
	// throttling), or CPUs the OS gave to others (a saturated node). Only
	// the last is not the process's: on a saturated node every process's
	// latency rises, and draining them all would help nobody. A window in
	// which its cgroup was throttled (see CPUThrottler,
	// maxThrottledExcuse) is judged whatever the wait. 0 judges
	// scheduling latency whatever the CPU wait.
	SchedCPUWait float64
	GCCPU        FloatThreshold // share of wall time lost to GC (see Signals.GCCPU)

	GrowthWindows      int            // consecutive windows of growth
	GrowthMinPerWindow int            // each adding at least this many goroutines
	Growth             FloatThreshold // total growth over those windows
	GrowthMinRelative  float64        // and at least this fraction of the starting count

	ErrorRate      FloatThreshold // error lines per second
	ErrorMinEvents int            // windows with fewer errors are ignored
	NewErrorBurst  int            // errors of a template never seen before, per window
}

// DefaultConfig returns sound defaults: a noisy but healthy Go service stays
// well below them.
func DefaultConfig() Config {
	return Config{
		Window: 10 * time.Second, WorsenAfter: 2, RecoverAfter: 3, HeartbeatFailures: 3,
		STWP99:        DurationThreshold{25 * time.Millisecond, 100 * time.Millisecond},
		STWMax:        DurationThreshold{100 * time.Millisecond, 500 * time.Millisecond},
		SchedP99:      DurationThreshold{50 * time.Millisecond, 250 * time.Millisecond},
		SchedCPUWait:  0.5,
		GCCPU:         FloatThreshold{0.25, 0.5},
		GrowthWindows: 3, GrowthMinPerWindow: 10, Growth: FloatThreshold{500, 2000}, GrowthMinRelative: 0.2,
		ErrorRate: FloatThreshold{5, 50}, ErrorMinEvents: 10, NewErrorBurst: 20,
	}
}

// Validate reports every problem.
func (c Config) Validate() error {
	var errs []error
	bad := func(f string, a ...any) { errs = append(errs, fmt.Errorf("%w: "+f, append([]any{ErrConfig}, a...)...)) }
	if c.Window <= 0 {
		bad("window must be positive")
	}
	if c.WorsenAfter < 1 || c.RecoverAfter < 1 {
		bad("worsen_after and recover_after must be at least 1")
	}
	if c.HeartbeatFailures < 0 {
		bad("heartbeat_failures must not be negative")
	}
	if c.DrainHold < 0 {
		bad("drain_hold must not be negative")
	}
	for name, t := range map[string]DurationThreshold{"stw_p99": c.STWP99, "stw_max": c.STWMax, "sched_p99": c.SchedP99} {
		if t.Degraded <= 0 || t.Degraded > t.Unhealthy {
			bad("%s: want 0 < degraded ≤ unhealthy", name)
		}
	}
	for name, t := range map[string]FloatThreshold{"gc_cpu": c.GCCPU, "goroutine_growth": c.Growth, "error_rate": c.ErrorRate} {
		if t.Degraded <= 0 || t.Degraded > t.Unhealthy {
			bad("%s: want 0 < degraded ≤ unhealthy", name)
		}
	}
	if !(c.SchedCPUWait >= 0 && c.SchedCPUWait <= 1) {
		bad("sched_cpu_wait: want a share in [0, 1], got %g", c.SchedCPUWait)
	}
	if c.GrowthWindows < 1 || c.GrowthMinPerWindow < 1 || c.NewErrorBurst < 1 {
		bad("goroutine_growth windows/min_per_window and new_error_template_burst must be at least 1")
	}
	return errors.Join(errs...)
}

// Reason explains why a signal is not healthy.
type Reason struct {
	Signal string  `json:"signal"` // stw_p99, stw_max, gc_cpu, sched_p99, goroutine_growth, error_rate, new_error_template, heartbeat
	State  State   `json:"state"`
	Value  float64 `json:"value"`     // seconds, ratio, goroutines or errors/s
	Limit  float64 `json:"threshold"` // the threshold crossed
	Detail string  `json:"detail"`
}

func (r Reason) String() string { return r.Signal + ": " + r.Detail }

// Signals are the values measured over the last closed window.
type Signals struct {
	Events   int     `json:"events"`
	STWCount int     `json:"stw_count"`
	STWP99   float64 `json:"stw_p99_seconds"`
	STWMax   float64 `json:"stw_max_seconds"`
	GCCycles int     `json:"gc_cycles"`
	// GCCPU estimates the share of wall time the program lost to GC: GC
	// stop-the-world time plus a quarter of the concurrent mark time (the
	// runtime's dedicated background-mark share), over the window.
	GCCPU    float64 `json:"gc_cpu_share"`
	SchedP99 float64 `json:"sched_p99_seconds"`
	// CPUWait is the share of their runnable time the process's threads
	// waited for a CPU (nil when unknown: no CPUWaiter, or the threads
	// were hardly runnable).
	CPUWait *float64 `json:"cpu_wait,omitempty"`
	// SchedExcused says why a scheduling latency over its threshold was
	// not held against the process: its threads waited for a CPU (see
	// Config.SchedCPUWait).
	SchedExcused string `json:"sched_p99_excused,omitempty"`
	// CPUThrottled is the share of the window's CPU-quota periods in
	// which the process's cgroup (or an ancestor with a CPU limit) was
	// throttled (nil when unknown: no CPUThrottler, no cgroup cpu.stat).
	// At least maxThrottledExcuse of them and the scheduling latency is
	// judged whatever the CPU wait: the process is over its own limit.
	CPUThrottled *float64 `json:"cpu_throttled,omitempty"`
	Goroutines   int64    `json:"goroutines"`       // lowest count sampled in the window
	Growth       int64    `json:"goroutine_growth"` // of that floor over the growth windows
	LogLines     int      `json:"log_lines"`
	Errors       int      `json:"log_errors"`
	ErrorRate    float64  `json:"error_rate"`
	NewErrors    int      `json:"new_template_errors"` // largest burst of one new template
}

// Change is a state change, with the decision it caused, if any.
type Change struct {
	Proc     event.Proc
	From, To State
	Decision Decision // "" when the change needs none
	Reasons  []Reason
	At       time.Time
}

// Listener receives changes. It must not block (Engine holds its lock).
type Listener interface {
	Notify(c Change)
}

// CPUWaiter reads how long a process's threads have run on a CPU and
// waited for one while runnable, both counted since an arbitrary start
// and never decreasing (ok is false when it cannot tell).
type CPUWaiter interface {
	CPUWait(pid uint32) (run, wait time.Duration, ok bool)
}

// CPUThrottler reads how many CPU-quota enforcement periods a process's
// cgroup and its ancestors have had and in how many of them they were
// throttled (their CPU limit ran out), both never decreasing (ok is false
// when it cannot tell: no cgroup cpu controller, cgroup files missing). A
// CPUWaiter that also implements it has its readings checked: wait caused
// by the process's own limit is not excused (see maxThrottledExcuse).
type CPUThrottler interface {
	CPUThrottle(pid uint32) (periods, throttled uint64, ok bool)
}

// maxThrottledExcuse: a window in which the process's cgroup was throttled
// in at least this share of its quota periods is judged whatever the CPU
// wait. A throttled period stalls every thread of the cgroup until the
// period ends (tens of ms with the default 100 ms period), so it delays
// every goroutine that becomes runnable meanwhile; once 5% of the periods
// are throttled, well over the 1% of goroutine waits that a p99 looks at
// can fall into the stalls: the limit alone can explain the latency, and
// it is the process's (it is overloaded for its limit). Under 5% leaves
// room for a start-up burst or a rare spike throttled once or twice.
const maxThrottledExcuse = 0.05

// minRunnable is the least runnable time (run plus wait) over a window
// for its CPU-wait share to mean anything.
const minRunnable = 5 * time.Millisecond

// ProcResolver names a process the engine sees for the first time.
type ProcResolver interface {
	Proc(pid uint32) event.Proc
}

// Engine keeps per-process windows and verdicts.
type Engine struct {
	cfg      Config
	resolver ProcResolver
	notify   []Listener
	waiter   CPUWaiter // nil: CPU wait unknown

	mu        sync.Mutex
	procs     map[uint32]*proc
	decisions map[decisionKey]uint64
	exited    map[uint32]exitedProc // last status of processes that exited recently
	now       time.Time             // of the last Tick
}

// exitedProc is the last status of a process that exited.
type exitedProc struct {
	st Status
	at time.Time
}

const (
	// exitedKeep is how long the last verdict of an exited process is
	// kept (at least; in windows: exitedKeepWindows).
	exitedKeep        = 5 * time.Minute
	exitedKeepWindows = 30
	maxExited         = 4096
)

type decisionKey struct {
	pid      uint32
	decision Decision
}

// New returns an engine. resolver may be nil.
func New(cfg Config, resolver ProcResolver, listeners ...Listener) (*Engine, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Engine{cfg: cfg, resolver: resolver, notify: listeners, procs: map[uint32]*proc{}, decisions: map[decisionKey]uint64{},
		exited: map[uint32]exitedProc{}}, nil
}

const (
	maxSamples   = 2048 // pause/latency durations kept per window (reservoir beyond)
	maxTemplates = 4096 // error templates remembered per process
)

type proc struct {
	info event.Proc

	windowStart time.Time
	started     bool

	// current window
	events     int
	stw        []int64
	stwSeen    int
	stwMax     int64
	gcPauseNS  int64
	gcMarkNS   int64
	gcCycles   int
	sched      []int64 // trace-mode latencies
	schedSeen  int
	schedBase  []uint64 // cumulative counts at the start of the window
	schedLast  []uint64
	schedBkts  []float64
	goroutines int64
	haveG      bool
	logLines   int
	errors     int
	newErr     map[uint64]int
	rng        uint64

	// CPU wait: the waiter's reading at the start of the window
	cpuRun, cpuWait time.Duration
	cpuBase         bool
	// cgroup CPU throttling at the start of the window (thrBase: known)
	cpuPeriods, cpuThrottled uint64
	thrBase                  bool

	// history
	gHist     []int64 // goroutine count at the end of recent windows
	known     map[uint64]struct{}
	balance   int64 // trace mode: goroutines created minus exited since attach
	silent    int
	measured  int  // windows closed with events (capped)
	imported  bool // verdict handed over by a predecessor, no event since
	sampled   bool // periodic samples arrive, so silence means a stall
	state     State
	since     time.Time
	drained   bool
	drainWin  uint64 // p.windows when drained
	streak    int
	streakTo  State
	reasons   []Reason
	last      Signals
	windows   uint64
	lastEvent time.Time
}

func (e *Engine) procLocked(pid uint32) *proc {
	p := e.procs[pid]
	if p == nil {
		info := event.Proc{PID: int(pid)}
		if e.resolver != nil {
			info = e.resolver.Proc(pid)
			info.PID = int(pid)
		}
		p = &proc{info: info, newErr: map[uint64]int{}, known: map[uint64]struct{}{}, rng: uint64(pid)*0x9E3779B97F4A7C15 | 1}
		e.procs[pid] = p
		delete(e.exited, pid) // the pid was reused
	}
	return p
}

// SetProc records (or updates) a process's identity and labels.
func (e *Engine) SetProc(info event.Proc) {
	e.mu.Lock()
	defer e.mu.Unlock()
	p := e.procLocked(uint32(info.PID))
	p.info = info
}

// Forget drops a process, remembering nothing of it.
func (e *Engine) Forget(pid uint32) {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.procs, pid)
	delete(e.exited, pid)
	delete(e.decisions, decisionKey{pid, Drain})
	delete(e.decisions, decisionKey{pid, Restore})
}

// exitLocked forgets a process that exited, keeping its last status for
// a while (Status answers it, marked exited).
func (e *Engine) exitLocked(pid uint32, at time.Time) {
	p := e.procs[pid]
	if p == nil {
		return
	}
	delete(e.procs, pid)
	if len(e.exited) >= maxExited {
		var oldest uint32
		first := true
		for k, x := range e.exited {
			if first || x.at.Before(e.exited[oldest].at) {
				oldest, first = k, false
			}
		}
		delete(e.exited, oldest)
	}
	st := e.statusLocked(p)
	st.Exited = &at
	e.exited[pid] = exitedProc{st: st, at: at}
}

// traceG feeds the goroutine floor from trace-mode create/exit events when
// no runtime samples arrive: the balance since attach grows exactly as the
// live count does, which is all the leak signal needs.
func (p *proc) traceG(n int64) {
	if p.sampled {
		return
	}
	if !p.haveG || n < p.goroutines {
		p.goroutines = n
	}
	p.haveG = true
}

func (p *proc) rand(n int) int {
	p.rng ^= p.rng << 13
	p.rng ^= p.rng >> 7
	p.rng ^= p.rng << 17
	return int(p.rng % uint64(n))
}

// reservoir keeps at most maxSamples values, uniformly sampled.
func (p *proc) reservoir(buf []int64, seen *int, v int64) []int64 {
	*seen++
	if len(buf) < maxSamples {
		return append(buf, v)
	}
	if i := p.rand(*seen); i < maxSamples {
		buf[i] = v
	}
	return buf
}

// HandleRuntime implements event.RuntimeSink.
func (e *Engine) HandleRuntime(ev *event.Runtime) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if ev.Kind == event.KindProcExit {
		at := e.now
		if ev.TS > 0 {
			at = time.Unix(0, ev.TS)
		}
		if at.IsZero() {
			at = time.Now()
		}
		e.exitLocked(ev.PID, at)
		return
	}
	p := e.procLocked(ev.PID)
	p.events++
	p.imported = false
	switch ev.Kind {
	case event.KindSTW:
		p.stw = p.reservoir(p.stw, &p.stwSeen, ev.DurationNS)
		p.stwMax = max(p.stwMax, ev.DurationNS)
		if ev.Reason.IsGC() {
			p.gcPauseNS += ev.DurationNS
		}
	case event.KindGCEnd:
		p.gcCycles++
		mark := ev.MarkNS
		if mark == 0 && ev.DurationNS > 0 {
			mark = max(0, ev.DurationNS-ev.SweepTermNS-ev.MarkTermNS)
		}
		p.gcMarkNS += mark
	case event.KindGoroutineCreate:
		p.balance++
		p.traceG(p.balance)
	case event.KindGoroutineExit:
		p.balance--
		p.traceG(p.balance)
	case event.KindSchedLatency:
		p.sched = p.reservoir(p.sched, &p.schedSeen, ev.LatencyNS)
	case event.KindSample:
		p.sampled = true
		// The window's floor: a leak raises it, a busy burst does not.
		if !p.haveG || ev.Goroutines < p.goroutines {
			p.goroutines = ev.Goroutines
		}
		p.haveG = true
		if h := ev.Sched; h != nil && len(h.Counts) > 0 {
			if len(p.schedLast) != len(h.Counts) {
				p.schedLast = make([]uint64, len(h.Counts))
				p.schedBkts = slices.Clone(h.Buckets)
				p.schedBase = nil // histogram layout changed: no baseline
			}
			copy(p.schedLast, h.Counts)
			if p.schedBase == nil {
				p.schedBase = slices.Clone(h.Counts)
			}
		}
	}
}

// ObserveLog counts one parsed log line of a process. level is the
// normalised lower-case level ("" when unknown); templateID is 0 when none
// was mined.
func (e *Engine) ObserveLog(pid uint32, level []byte, templateID uint64) {
	e.mu.Lock()
	defer e.mu.Unlock()
	p := e.procLocked(pid)
	p.logLines++
	if !isError(level) {
		return
	}
	p.errors++
	if templateID == 0 {
		return
	}
	if _, ok := p.known[templateID]; !ok {
		p.newErr[templateID]++
	}
}

// AliasTemplate follows a template merge (event.TemplateAliaser): error
// lines counted under from in the current window count under to, and a
// known from makes to known, so a burst of a "new" error template that
// turned out to be a known one raises nothing. A known from stays known:
// template ids are the hashes of template texts, so another log source of
// the process (or a replica's, whose miner has not made that merge) goes
// on handing out from for the same text.
func (e *Engine) AliasTemplate(from, to uint64) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, p := range e.procs {
		if n, ok := p.newErr[from]; ok {
			delete(p.newErr, from)
			if _, known := p.known[to]; !known {
				p.newErr[to] += n
			}
		}
		if _, ok := p.known[from]; ok {
			p.known[to] = struct{}{}
			delete(p.newErr, to)
		}
	}
}

func isError(level []byte) bool {
	switch string(level) {
	case "error", "err", "fatal", "panic", "critical", "crit", "alert", "emerg", "emergency", "severe":
		return true
	}
	return false
}

// SetCPUWaiter sets what reads the processes' CPU wait (see
// Config.SchedCPUWait); call it before the first Tick. Without one, the
// scheduling latency is judged whatever the CPU wait.
func (e *Engine) SetCPUWaiter(w CPUWaiter) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.waiter = w
}

// cpuReading is one CPUWaiter reading.
type cpuReading struct {
	run, wait          time.Duration
	periods, throttled uint64
	thrOK              bool
}

// readCPUWait reads the CPU wait of the processes whose window starts or
// ends by now, without holding the lock (it reads files).
func (e *Engine) readCPUWait(now time.Time) map[uint32]cpuReading {
	e.mu.Lock()
	w := e.waiter
	var due []uint32
	if w != nil && e.cfg.SchedCPUWait > 0 {
		for pid, p := range e.procs {
			if !p.started || !now.Before(p.windowStart.Add(e.cfg.Window)) {
				due = append(due, pid)
			}
		}
	}
	e.mu.Unlock()
	if len(due) == 0 {
		return nil
	}
	out := make(map[uint32]cpuReading, len(due))
	thr, _ := w.(CPUThrottler)
	for _, pid := range due {
		if run, wait, ok := w.CPUWait(pid); ok {
			r := cpuReading{run: run, wait: wait}
			if thr != nil {
				r.periods, r.throttled, r.thrOK = thr.CPUThrottle(pid)
			}
			out[pid] = r
		}
	}
	return out
}

// Tick closes every window that ended at or before now and applies the
// verdicts. Call it at least once per window.
func (e *Engine) Tick(now time.Time) {
	cpu := e.readCPUWait(now)
	e.mu.Lock()
	defer e.mu.Unlock()
	e.now = now
	keep := max(exitedKeep, exitedKeepWindows*e.cfg.Window)
	for pid, x := range e.exited {
		if now.Sub(x.at) > keep {
			delete(e.exited, pid)
		}
	}
	for pid, p := range e.procs {
		rd, haveRd := cpu[pid]
		if !p.started {
			p.started, p.windowStart = true, now
			if p.since.IsZero() {
				p.since = now
			}
			p.cpuRun, p.cpuWait, p.cpuBase = rd.run, rd.wait, haveRd
			p.cpuPeriods, p.cpuThrottled, p.thrBase = rd.periods, rd.throttled, haveRd && rd.thrOK
			continue
		}
		for !now.Before(p.windowStart.Add(e.cfg.Window)) {
			p.windowStart = p.windowStart.Add(e.cfg.Window)
			var r *cpuReading
			if haveRd {
				r, haveRd = &rd, false // the windows closed late by this Tick after the first: unknown
			}
			e.closeWindow(p, p.windowStart, r)
		}
		if p.imported && p.silent > max(e.cfg.HeartbeatFailures, 1) {
			// A handed-over verdict nobody confirmed: the process is not
			// watched any more.
			delete(e.procs, pid)
		}
	}
}

func (e *Engine) closeWindow(p *proc, end time.Time, cpu *cpuReading) {
	c := &e.cfg
	p.windows++
	s := Signals{Events: p.events, STWCount: p.stwSeen, GCCycles: p.gcCycles, LogLines: p.logLines, Errors: p.errors}
	var reasons []Reason
	add := func(signal string, v float64, t FloatThreshold, unit func(float64) string, detail string) {
		st := Healthy
		lim := t.Degraded
		switch {
		case v >= t.Unhealthy:
			st, lim = Unhealthy, t.Unhealthy
		case v >= t.Degraded:
			st = Degraded
		default:
			return
		}
		reasons = append(reasons, Reason{Signal: signal, State: st, Value: v, Limit: lim,
			Detail: fmt.Sprintf("%s %s ≥ %s", detail, unit(v), unit(lim))})
	}
	secs := func(v float64) string { return time.Duration(v * 1e9).Round(10 * time.Microsecond).String() }
	pct := func(v float64) string { return fmt.Sprintf("%.1f%%", v*100) }
	num := func(v float64) string { return fmt.Sprintf("%.0f", v) }
	rate := func(v float64) string { return fmt.Sprintf("%.2f/s", v) }
	dt := func(t DurationThreshold) FloatThreshold {
		return FloatThreshold{t.Degraded.Seconds(), t.Unhealthy.Seconds()}
	}

	if p.events == 0 {
		p.silent++
	} else {
		p.silent = 0
		p.measured = min(p.measured+1, 1<<20)
	}
	if len(p.stw) > 0 {
		s.STWP99 = float64(quantile(p.stw, 0.99)) / 1e9
		s.STWMax = float64(p.stwMax) / 1e9
		add("stw_p99", s.STWP99, dt(c.STWP99), secs, fmt.Sprintf("stop-the-world p99 over %d pauses", p.stwSeen))
		add("stw_max", s.STWMax, dt(c.STWMax), secs, "longest stop-the-world pause")
	}
	win := c.Window.Seconds()
	s.GCCPU = (float64(p.gcPauseNS) + 0.25*float64(p.gcMarkNS)) / 1e9 / win
	add("gc_cpu", s.GCCPU, c.GCCPU, pct, fmt.Sprintf("GC share of wall time over %d cycles", p.gcCycles))

	if len(p.sched) > 0 {
		s.SchedP99 = float64(quantile(p.sched, 0.99)) / 1e9
	} else if p.schedBase != nil {
		s.SchedP99 = histQuantile(p.schedBase, p.schedLast, p.schedBkts, 0.99)
	}
	if cpu != nil {
		if p.cpuBase && cpu.run >= p.cpuRun && cpu.wait >= p.cpuWait {
			run, wait := cpu.run-p.cpuRun, cpu.wait-p.cpuWait
			if run+wait >= minRunnable {
				share := float64(wait) / float64(run+wait)
				s.CPUWait = &share
			}
		}
		p.cpuRun, p.cpuWait, p.cpuBase = cpu.run, cpu.wait, true
		if cpu.thrOK && p.thrBase && cpu.periods >= p.cpuPeriods && cpu.throttled >= p.cpuThrottled {
			share := 0.0 // no periods: no limit enforced, nothing throttled
			if n := cpu.periods - p.cpuPeriods; n > 0 {
				share = min(float64(cpu.throttled-p.cpuThrottled)/float64(n), 1)
			}
			s.CPUThrottled = &share
		}
		p.cpuPeriods, p.cpuThrottled, p.thrBase = cpu.periods, cpu.throttled, cpu.thrOK
	} else {
		p.cpuBase, p.thrBase = false, false // a window without a reading: the next one has no base
	}
	if s.SchedP99 > 0 {
		throttled := s.CPUThrottled != nil && *s.CPUThrottled >= maxThrottledExcuse
		if w := s.CPUWait; w != nil && c.SchedCPUWait > 0 && *w >= c.SchedCPUWait && !throttled && s.SchedP99 >= c.SchedP99.Degraded.Seconds() {
			// The OS, not the Go scheduler, kept the goroutines waiting.
			s.SchedExcused = fmt.Sprintf("scheduling latency p99 %s ≥ %s while the threads waited for a CPU %s of their runnable time (≥ %s): CPU contention outside the process (a busy node), not held against it",
				secs(s.SchedP99), secs(c.SchedP99.Degraded.Seconds()), pct(*w), pct(c.SchedCPUWait))
		} else if throttled {
			add("sched_p99", s.SchedP99, dt(c.SchedP99), secs,
				fmt.Sprintf("scheduling latency p99 (its cgroup's CPU limit throttled it in %s of the periods)", pct(*s.CPUThrottled)))
		} else {
			add("sched_p99", s.SchedP99, dt(c.SchedP99), secs, "scheduling latency p99")
		}
	}
	if p.schedLast != nil {
		p.schedBase = append(p.schedBase[:0], p.schedLast...)
	}

	if p.haveG {
		s.Goroutines = p.goroutines
		p.gHist = append(p.gHist, p.goroutines)
		if n := c.GrowthWindows + 1; len(p.gHist) > n {
			p.gHist = p.gHist[len(p.gHist)-n:]
		}
		if len(p.gHist) == c.GrowthWindows+1 {
			growing := true
			for i := 1; i < len(p.gHist); i++ {
				if p.gHist[i]-p.gHist[i-1] < int64(c.GrowthMinPerWindow) {
					growing = false
					break
				}
			}
			first := p.gHist[0]
			s.Growth = p.gHist[len(p.gHist)-1] - first
			if growing && float64(s.Growth) >= c.GrowthMinRelative*float64(first) {
				add("goroutine_growth", float64(s.Growth), c.Growth, num,
					fmt.Sprintf("goroutine floor grew %d→%d over %d windows, by", first, p.gHist[len(p.gHist)-1], c.GrowthWindows))
			}
		}
	}

	s.ErrorRate = float64(p.errors) / win
	if p.errors >= c.ErrorMinEvents {
		add("error_rate", s.ErrorRate, c.ErrorRate, rate, fmt.Sprintf("%d error lines, rate", p.errors))
	}
	var burstID uint64
	for id, n := range p.newErr {
		if n > s.NewErrors || n == s.NewErrors && id < burstID {
			s.NewErrors, burstID = n, id
		}
	}
	add("new_error_template", float64(s.NewErrors), FloatThreshold{float64(c.NewErrorBurst), 5 * float64(c.NewErrorBurst)}, num,
		fmt.Sprintf("burst of new error template %d:", burstID))
	for id := range p.newErr {
		if len(p.known) >= maxTemplates {
			for k := range p.known { // evict one arbitrary template
				delete(p.known, k)
				break
			}
		}
		p.known[id] = struct{}{}
	}

	raw := Healthy
	for _, r := range reasons {
		raw = max(raw, r.State)
	}
	if p.silent > 0 && c.HeartbeatFailures >= 0 {
		// No events: the signals say nothing this window.
		raw, reasons = p.state, p.reasons
		if p.sampled && p.silent > c.HeartbeatFailures {
			raw = Unhealthy
			reasons = []Reason{{Signal: "heartbeat", State: Unhealthy, Value: float64(p.silent), Limit: float64(c.HeartbeatFailures),
				Detail: fmt.Sprintf("no events for %d consecutive windows (> %d)", p.silent, c.HeartbeatFailures)}}
		}
	}
	sort.SliceStable(reasons, func(i, j int) bool { return reasons[i].State > reasons[j].State })
	p.last = s
	e.apply(p, raw, reasons, end, p.sampled && p.silent > c.HeartbeatFailures)

	// reset the window
	p.events, p.stw, p.stwSeen, p.stwMax = 0, p.stw[:0], 0, 0
	p.gcPauseNS, p.gcMarkNS, p.gcCycles = 0, 0, 0
	p.sched, p.schedSeen = p.sched[:0], 0
	p.haveG, p.logLines, p.errors = false, 0, 0
	clear(p.newErr)
}

// apply runs the hysteresis: the state moves only after WorsenAfter (or
// RecoverAfter) consecutive windows on the same side of it, to the mildest
// verdict seen along the streak. A heartbeat failure moves at once.
func (e *Engine) apply(p *proc, raw State, reasons []Reason, at time.Time, immediate bool) {
	from := p.state
	switch {
	case raw == p.state:
		p.streak = 0
		if raw != Healthy {
			p.reasons = reasons
		}
		return
	case immediate:
		p.streak = 0
		p.state = raw
	case raw > p.state:
		if p.streak > 0 && p.streakTo > p.state {
			p.streakTo = min(p.streakTo, raw)
			p.streak++
		} else {
			p.streak, p.streakTo = 1, raw
		}
		if p.streak < e.cfg.WorsenAfter {
			return
		}
		p.state, p.streak = p.streakTo, 0
	default: // raw < p.state
		if p.streak > 0 && p.streakTo < p.state {
			p.streakTo = max(p.streakTo, raw)
			p.streak++
		} else {
			p.streak, p.streakTo = 1, raw
		}
		if p.streak < e.cfg.RecoverAfter {
			return
		}
		if p.drained && p.streakTo == Healthy && p.windows-p.drainWin < uint64(e.cfg.DrainHold) {
			// Not restored yet: a drained process gets no traffic, so the
			// symptoms traffic brings (failing requests' errors,
			// allocation-driven GC) go quiet; the hold keeps it out long
			// enough for the signals that do not need traffic to show.
			return
		}
		p.state, p.streak = p.streakTo, 0
	}
	if p.state == from {
		return
	}
	p.since = at
	if p.state == Healthy {
		p.reasons = nil
	} else {
		p.reasons = reasons
	}
	ch := Change{Proc: p.info, From: from, To: p.state, Reasons: slices.Clone(p.reasons), At: at}
	switch {
	case p.state == Unhealthy && !p.drained:
		p.drained, ch.Decision = true, Drain
		p.drainWin = p.windows
	case p.state == Healthy && p.drained:
		p.drained, ch.Decision = false, Restore
		ch.Reasons = []Reason{{Signal: "recovered", State: Healthy,
			Detail: fmt.Sprintf("healthy for %d consecutive windows", e.cfg.RecoverAfter)}}
	}
	if ch.Decision != "" {
		e.decisions[decisionKey{uint32(p.info.PID), ch.Decision}]++
	}
	for _, n := range e.notify {
		n.Notify(ch)
	}
}

// Saved is a process's verdict as an agent hands it over to its successor
// (gopulse agent --takeover), so that the successor answers load balancers
// with it at once instead of "unknown".
type Saved struct {
	PID      int       `json:"pid"`
	State    State     `json:"state"` // the verdict (never Unknown)
	Drained  bool      `json:"drained"`
	Since    time.Time `json:"since"`
	Reasons  []Reason  `json:"reasons,omitempty"`
	Measured int       `json:"measured_windows"`
	Windows  uint64    `json:"windows"`
	// Known are the error templates the process logged before (their
	// ids), so that the successor does not count them as new
	// (new_error_template) at its first windows.
	Known []uint64 `json:"known_templates,omitempty"`
}

// Export returns every process's verdict, by pid.
func (e *Engine) Export() []Saved {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]Saved, 0, len(e.procs))
	for _, p := range e.procs {
		var known []uint64
		if len(p.known) > 0 {
			known = make([]uint64, 0, len(p.known))
			for id := range p.known {
				known = append(known, id)
			}
			slices.Sort(known)
		}
		out = append(out, Saved{PID: p.info.PID, State: p.state, Drained: p.drained, Since: p.since,
			Reasons: slices.Clone(p.reasons), Measured: p.measured, Windows: p.windows, Known: known})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].PID < out[j].PID })
	return out
}

// Import seeds the verdicts a predecessor exported, and the error templates
// each process was known to log. Windows start afresh;
// the hysteresis goes on from the imported state. A process already known
// keeps its own. An imported verdict that no event confirms within
// HeartbeatFailures windows is dropped.
func (e *Engine) Import(saved []Saved) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, sv := range saved {
		if sv.PID <= 0 || sv.PID > math.MaxUint32 || sv.State > Unhealthy {
			continue
		}
		if _, ok := e.procs[uint32(sv.PID)]; ok {
			continue
		}
		p := e.procLocked(uint32(sv.PID))
		p.state, p.drained, p.since, p.reasons = sv.State, sv.Drained, sv.Since, slices.Clone(sv.Reasons)
		p.measured, p.windows, p.imported = sv.Measured, sv.Windows, true
		for _, id := range sv.Known[:min(len(sv.Known), maxTemplates)] {
			p.known[id] = struct{}{}
		}
	}
}

// quantile returns the q-quantile of v (sorted in place).
func quantile(v []int64, q float64) int64 {
	slices.Sort(v)
	i := int(math.Ceil(q*float64(len(v)))) - 1
	return v[max(0, min(i, len(v)-1))]
}

// histQuantile returns the q-quantile of the histogram last-base, as the
// upper bound of its bucket (the lower bound for the +Inf bucket).
func histQuantile(base, last []uint64, bounds []float64, q float64) float64 {
	var total uint64
	for i := range last {
		total += last[i] - min(base[i], last[i])
	}
	if total == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(total)))
	var cum uint64
	for i := range last {
		cum += last[i] - min(base[i], last[i])
		if cum >= rank {
			hi := bounds[i+1]
			if math.IsInf(hi, 1) {
				return bounds[i]
			}
			return hi
		}
	}
	return bounds[len(bounds)-2]
}

// Status is one process's health, as served at /v1/health.
//
// State is Unknown until the process has been measured (has sent events)
// for WorsenAfter windows: until then no verdict could have been reached,
// so "healthy" would be a guess. A process whose evidence already made it
// worse than healthy (e.g. a heartbeat failure) shows that state.
type Status struct {
	PID       int       `json:"pid"`
	Exe       string    `json:"exe"`
	Service   string    `json:"service"`
	Namespace string    `json:"namespace,omitempty"`
	Pod       string    `json:"pod,omitempty"`
	Container string    `json:"container,omitempty"`
	State     State     `json:"state"`
	Since     time.Time `json:"since"`
	Drained   bool      `json:"drained"`
	Decision  Decision  `json:"decision"` // drain while drained, else restore
	Reasons   []Reason  `json:"reasons"`
	Signals   Signals   `json:"signals"`
	Windows   uint64    `json:"windows"`
	Measured  int       `json:"measured_windows"` // windows closed with events
	// Exited is when the process exited; set only in the last status of a
	// process that exited recently (Engine.Status).
	Exited *time.Time `json:"exited,omitempty"`
}

// MinWindows is how many measured windows a process needs before its state
// is more than Unknown.
func (e *Engine) MinWindows() int { return e.cfg.WorsenAfter }

// statusLocked returns p's status.
func (e *Engine) statusLocked(p *proc) Status {
	d := Restore
	if p.drained {
		d = Drain
	}
	st := p.state
	if st == Healthy && p.measured < e.cfg.WorsenAfter {
		st = Unknown
	}
	return Status{
		PID: p.info.PID, Exe: p.info.Exe, Service: p.info.Service,
		Namespace: p.info.Namespace, Pod: p.info.Pod, Container: p.info.Container,
		State: st, Since: p.since, Drained: p.drained, Decision: d,
		Reasons: slices.Clone(p.reasons), Signals: p.last, Windows: p.windows, Measured: p.measured,
	}
}

// Status returns one process's status. For a process that exited recently
// it returns its last status with Exited set and live false; ok is false
// when the pid is unknown.
func (e *Engine) Status(pid int) (st Status, live, ok bool) {
	if pid <= 0 || pid > math.MaxUint32 {
		return Status{}, false, false
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if p := e.procs[uint32(pid)]; p != nil {
		return e.statusLocked(p), true, true
	}
	if x, found := e.exited[uint32(pid)]; found {
		st = x.st
		st.Reasons = slices.Clone(st.Reasons)
		return st, false, true
	}
	return Status{}, false, false
}

// Snapshot returns every process's status, by pid.
func (e *Engine) Snapshot() []Status {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]Status, 0, len(e.procs))
	for _, p := range e.procs {
		out = append(out, e.statusLocked(p))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].PID < out[j].PID })
	return out
}

// DecisionCount returns how many decisions of a kind were taken for pid.
func (e *Engine) DecisionCount(pid uint32, d Decision) uint64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.decisions[decisionKey{pid, d}]
}
