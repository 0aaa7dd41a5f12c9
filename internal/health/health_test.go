package health

import (
	"encoding/json"
	"math/rand/v2"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/gopulse/gopulse/event"
)

type recorder struct{ changes []Change }

func (r *recorder) Notify(c Change) { r.changes = append(r.changes, c) }

type names map[uint32]event.Proc

func (n names) Proc(pid uint32) event.Proc { return n[pid] }

// sim drives an engine window by window with synthetic signals.
type sim struct {
	t   *testing.T
	e   *Engine
	rec *recorder
	now time.Time
	pid uint32
	g   int64
}

func newSim(t *testing.T, cfg Config) *sim {
	rec := &recorder{}
	e, err := New(cfg, names{42: {PID: 42, Exe: "/usr/bin/api", Service: "api"}}, rec)
	if err != nil {
		t.Fatal(err)
	}
	s := &sim{t: t, e: e, rec: rec, now: time.Unix(1_700_000_000, 0), pid: 42, g: 100}
	s.sample() // the process is known
	e.Tick(s.now)
	// Until it has been measured for WorsenAfter windows its state is
	// unknown (TestUnknownUntilMeasured); the tests start after that.
	for range e.MinWindows() {
		s.sample()
		if st := s.window(); st != Unknown && s.e.Snapshot()[0].Measured < e.MinWindows() {
			t.Fatalf("state %v before %d measured windows", st, e.MinWindows())
		}
	}
	if st := s.state(); st != Healthy {
		t.Fatalf("state %v after %d measured windows", st, e.MinWindows())
	}
	return s
}

func (s *sim) stw(d time.Duration, r event.STWReason) {
	s.e.HandleRuntime(&event.Runtime{Kind: event.KindSTW, PID: s.pid, DurationNS: int64(d), Reason: r})
}

func (s *sim) gc(mark time.Duration) {
	s.stw(100*time.Microsecond, event.STWGCSweepTermination)
	s.stw(150*time.Microsecond, event.STWGCMarkTermination)
	s.e.HandleRuntime(&event.Runtime{Kind: event.KindGCEnd, PID: s.pid, MarkNS: int64(mark)})
}

func (s *sim) sample() {
	s.e.HandleRuntime(&event.Runtime{Kind: event.KindSample, PID: s.pid, Goroutines: s.g})
}

// window ends the current window.
func (s *sim) window() State {
	s.now = s.now.Add(s.e.cfg.Window)
	s.e.Tick(s.now)
	return s.state()
}

func (s *sim) state() State { return s.e.Snapshot()[0].State }

// healthyWindow is normal activity: a few GCs with sub-ms pauses.
func (s *sim) healthyWindow() State {
	for range 5 {
		s.gc(20 * time.Millisecond)
	}
	s.sample()
	return s.window()
}

func TestSteadyHealthy(t *testing.T) {
	s := newSim(t, DefaultConfig())
	for range 50 {
		if st := s.healthyWindow(); st != Healthy {
			t.Fatalf("state %v", st)
		}
	}
	if len(s.rec.changes) != 0 {
		t.Fatalf("changes: %+v", s.rec.changes)
	}
	if st := s.e.Snapshot()[0]; st.Signals.GCCycles != 5 || st.Signals.STWCount != 10 || st.Service != "api" {
		t.Fatalf("status %+v", st)
	}
}

// A noisy but healthy workload: pauses, goroutines, errors and even lone
// bad windows vary a lot, yet the state never changes.
func TestNoisyHealthyNeverFlaps(t *testing.T) {
	cfg := DefaultConfig()
	s := newSim(t, cfg)
	r := rand.New(rand.NewPCG(1, 2))
	for w := range 500 {
		for range 1 + r.IntN(20) {
			s.gc(time.Duration(r.IntN(200)) * time.Millisecond)
			s.stw(time.Duration(r.IntN(3000))*time.Microsecond, event.STWReadMemStats)
		}
		if w%17 == 0 { // a lone spike: one window over the unhealthy threshold
			s.stw(300*time.Millisecond, event.STWGOMAXPROCS)
		}
		for range 10 { // goroutines swing by ±400 but do not grow
			s.g = 1000 + int64(r.IntN(800))
			s.sample()
		}
		for range r.IntN(int(cfg.Window.Seconds() * 4)) { // errors below 5/s
			lvl := "info"
			if r.IntN(2) == 0 {
				lvl = "error"
			}
			s.e.ObserveLog(s.pid, []byte(lvl), uint64(1+r.IntN(3)))
		}
		if st := s.window(); st != Healthy {
			t.Fatalf("window %d: state %v, reasons %v", w, st, s.e.Snapshot()[0].Reasons)
		}
	}
	if len(s.rec.changes) != 0 {
		t.Fatalf("changes: %+v", s.rec.changes)
	}
}

func TestLongSTWDrainsThenRestores(t *testing.T) {
	cfg := DefaultConfig()
	s := newSim(t, cfg)
	for range 3 {
		s.healthyWindow()
	}
	for i := range cfg.WorsenAfter {
		for range 20 {
			s.stw(150*time.Millisecond, event.STWReadMemStats)
		}
		s.sample()
		st := s.window()
		if i < cfg.WorsenAfter-1 && st != Healthy {
			t.Fatalf("changed after %d windows: %v", i+1, st)
		}
	}
	if st := s.state(); st != Unhealthy {
		t.Fatalf("state %v after %d bad windows", st, cfg.WorsenAfter)
	}
	if len(s.rec.changes) != 1 {
		t.Fatalf("changes %+v", s.rec.changes)
	}
	c := s.rec.changes[0]
	if c.Decision != Drain || c.To != Unhealthy || c.Proc.Service != "api" {
		t.Fatalf("change %+v", c)
	}
	if !hasReason(c.Reasons, "stw_p99", Unhealthy) || !hasReason(c.Reasons, "stw_max", Degraded) {
		t.Fatalf("reasons %v", c.Reasons)
	}
	if got := s.e.DecisionCount(42, Drain); got != 1 {
		t.Fatalf("drains %d", got)
	}
	// Recovery needs RecoverAfter healthy windows; a relapse resets the count.
	for range cfg.RecoverAfter - 1 {
		if st := s.healthyWindow(); st != Unhealthy {
			t.Fatalf("recovered too early: %v", st)
		}
	}
	s.stw(600*time.Millisecond, event.STWStackDump)
	s.sample()
	s.window()
	for i := range cfg.RecoverAfter {
		st := s.healthyWindow()
		if want := Unhealthy; i < cfg.RecoverAfter-1 && st != want {
			t.Fatalf("window %d: %v", i, st)
		}
	}
	if st := s.state(); st != Healthy {
		t.Fatalf("not restored: %v", st)
	}
	last := s.rec.changes[len(s.rec.changes)-1]
	if last.Decision != Restore || last.From != Unhealthy || last.To != Healthy {
		t.Fatalf("last change %+v", last)
	}
	if s.e.DecisionCount(42, Restore) != 1 || s.e.Snapshot()[0].Drained {
		t.Fatal("restore not recorded")
	}
}

func TestGoroutineLeak(t *testing.T) {
	cfg := DefaultConfig()
	s := newSim(t, cfg)
	s.g = 50
	for range 3 {
		s.healthyWindow()
	}
	var st State
	var n int
	for st != Unhealthy && n < 20 {
		s.g += 1000 // a steady leak
		st = s.healthyWindow()
		n++
	}
	// growth is judged over GrowthWindows, then WorsenAfter windows of it.
	if st != Unhealthy || n > cfg.GrowthWindows+cfg.WorsenAfter {
		t.Fatalf("state %v after %d windows", st, n)
	}
	if !hasReason(s.e.Snapshot()[0].Reasons, "goroutine_growth", Unhealthy) {
		t.Fatalf("reasons %v", s.e.Snapshot()[0].Reasons)
	}
	// The leak stops: the count plateaus, the process recovers.
	for range cfg.RecoverAfter + 1 {
		st = s.healthyWindow()
	}
	if st != Healthy {
		t.Fatalf("state %v after plateau", st)
	}
}

// In trace mode without samples, the create/exit balance reveals a leak.
func TestGoroutineLeakFromTraceEvents(t *testing.T) {
	cfg := DefaultConfig()
	rec := &recorder{}
	e, _ := New(cfg, nil, rec)
	now := time.Unix(0, 0)
	e.HandleRuntime(&event.Runtime{Kind: event.KindGCEnd, PID: 5})
	e.Tick(now)
	for w := range 10 {
		for range 1000 { // churn: created and gone
			e.HandleRuntime(&event.Runtime{Kind: event.KindGoroutineCreate, PID: 5})
			e.HandleRuntime(&event.Runtime{Kind: event.KindGoroutineExit, PID: 5})
		}
		if w >= 3 {
			for range 800 { // leaked
				e.HandleRuntime(&event.Runtime{Kind: event.KindGoroutineCreate, PID: 5})
			}
		}
		now = now.Add(cfg.Window)
		e.Tick(now)
	}
	st := e.Snapshot()[0]
	if st.State != Unhealthy || !hasReason(st.Reasons, "goroutine_growth", Unhealthy) {
		t.Fatalf("status %+v", st)
	}
}

func TestGoroutineGrowthNeedsSteadyGrowth(t *testing.T) {
	s := newSim(t, DefaultConfig())
	// Large, bursty but not monotonic: a worker pool scaling up and down.
	for i := range 60 {
		s.g = [...]int64{1000, 7000, 4000, 10000}[i%4]
		if st := s.healthyWindow(); st != Healthy {
			t.Fatalf("window %d: %v %v", i, st, s.e.Snapshot()[0].Reasons)
		}
	}
}

func TestHeartbeat(t *testing.T) {
	cfg := DefaultConfig()
	s := newSim(t, cfg)
	s.healthyWindow()
	for i := range cfg.HeartbeatFailures {
		if st := s.window(); st != Healthy {
			t.Fatalf("silent window %d: %v", i+1, st)
		}
	}
	if st := s.window(); st != Unhealthy {
		t.Fatalf("state %v after %d silent windows", st, cfg.HeartbeatFailures+1)
	}
	c := s.rec.changes[0]
	if c.Decision != Drain || !hasReason(c.Reasons, "heartbeat", Unhealthy) {
		t.Fatalf("change %+v", c)
	}
	for range cfg.RecoverAfter {
		s.healthyWindow()
	}
	if s.state() != Healthy || s.rec.changes[len(s.rec.changes)-1].Decision != Restore {
		t.Fatalf("no restore: %+v", s.rec.changes)
	}
}

// Without periodic samples, silence proves nothing: an idle process that
// only reports GC cycles must not be drained.
func TestNoHeartbeatWithoutSamples(t *testing.T) {
	rec := &recorder{}
	e, _ := New(DefaultConfig(), nil, rec)
	now := time.Unix(0, 0)
	e.HandleRuntime(&event.Runtime{Kind: event.KindGCEnd, PID: 9})
	e.Tick(now)
	for range 20 {
		now = now.Add(DefaultConfig().Window)
		e.Tick(now)
	}
	// One window with events: not enough for a verdict, and no drain.
	if st := e.Snapshot()[0].State; st != Unknown || len(rec.changes) != 0 {
		t.Fatalf("state %v, changes %v", st, rec.changes)
	}
}

func TestErrorRateAndNewTemplate(t *testing.T) {
	cfg := DefaultConfig()
	s := newSim(t, cfg)
	// template 7 is a known error template
	for range 5 {
		s.e.ObserveLog(s.pid, []byte("error"), 7)
	}
	s.healthyWindow()
	// a burst of a never-seen error template: degraded (below the error rate)
	for range 2 {
		for range cfg.NewErrorBurst {
			s.e.ObserveLog(s.pid, []byte("error"), 99)
		}
		s.healthyWindow()
	}
	// after one window the template is known, so the second window is healthy
	if s.state() != Healthy {
		t.Fatalf("known template still counted: %v", s.e.Snapshot()[0].Reasons)
	}
	for w := range 2 {
		for range cfg.NewErrorBurst {
			s.e.ObserveLog(s.pid, []byte("error"), uint64(1000+w))
		}
		s.healthyWindow()
	}
	st := s.e.Snapshot()[0]
	if st.State != Degraded || !hasReason(st.Reasons, "new_error_template", Degraded) {
		t.Fatalf("status %+v", st)
	}
	// a high error rate: 60/s
	for range 2 {
		for range int(60 * cfg.Window.Seconds()) {
			s.e.ObserveLog(s.pid, []byte("fatal"), 7)
			s.e.ObserveLog(s.pid, []byte("info"), 8)
		}
		s.healthyWindow()
	}
	st = s.e.Snapshot()[0]
	if st.State != Unhealthy || !hasReason(st.Reasons, "error_rate", Unhealthy) || st.Signals.LogLines != int(120*cfg.Window.Seconds()) {
		t.Fatalf("status %+v", st)
	}
}

func TestSchedLatencyFromRuntimeHistogram(t *testing.T) {
	cfg := DefaultConfig()
	s := newSim(t, cfg)
	h := &event.SchedHistogram{Buckets: []float64{0, 1e-6, 1e-3, 0.01, 0.05, 0.5, posInf()}, Counts: make([]uint64, 6)}
	push := func(bucket int, n uint64) {
		h.Counts[bucket] += n
		s.e.HandleRuntime(&event.Runtime{Kind: event.KindSample, PID: s.pid, Goroutines: 10, Sched: h})
	}
	push(1, 1000)
	s.window()
	// cumulative history must not count: only this window's increments.
	for range 5 {
		push(1, 10000)
		push(2, 50)
		if st := s.window(); st != Healthy {
			t.Fatalf("state %v", st)
		}
	}
	if got := s.e.Snapshot()[0].Signals.SchedP99; got != 1e-3 {
		t.Fatalf("p99 = %g", got)
	}
	for range cfg.WorsenAfter {
		push(1, 1000)
		push(5, 100) // ~9% of runnable goroutines waited 50–500ms
		s.window()
	}
	st := s.e.Snapshot()[0]
	if st.State != Unhealthy || !hasReason(st.Reasons, "sched_p99", Unhealthy) || st.Signals.SchedP99 != 0.5 {
		t.Fatalf("status %+v", st)
	}
}

func TestGCCPUShare(t *testing.T) {
	cfg := DefaultConfig()
	s := newSim(t, cfg)
	for range cfg.WorsenAfter {
		for range 100 { // 100 cycles of 160ms mark: 4s of mark/4 = 40% share
			s.gc(160 * time.Millisecond)
		}
		s.sample()
		s.window()
	}
	st := s.e.Snapshot()[0]
	if st.State != Degraded || !hasReason(st.Reasons, "gc_cpu", Degraded) {
		t.Fatalf("status %+v", st)
	}
	if st.Signals.GCCPU < 0.40 || st.Signals.GCCPU > 0.41 {
		t.Fatalf("share %g", st.Signals.GCCPU)
	}
}

// Alternating bad and good windows never satisfy WorsenAfter = 2.
func TestHysteresisAlternating(t *testing.T) {
	s := newSim(t, DefaultConfig())
	for i := range 100 {
		if i%2 == 0 {
			s.stw(500*time.Millisecond, event.STWOther)
		}
		s.sample()
		if st := s.window(); st != Healthy {
			t.Fatalf("window %d: %v", i, st)
		}
	}
}

// A degraded window inside an unhealthy streak makes the move to degraded only.
func TestStreakTakesMildest(t *testing.T) {
	cfg := DefaultConfig()
	cfg.WorsenAfter = 3
	s := newSim(t, cfg)
	for _, d := range []time.Duration{600, 40, 600} {
		for range 10 {
			s.stw(d*time.Millisecond, event.STWOther)
		}
		s.sample()
		s.window()
	}
	if st := s.state(); st != Degraded {
		t.Fatalf("state %v", st)
	}
	if c := s.rec.changes[0]; c.Decision != "" || c.To != Degraded {
		t.Fatalf("change %+v", c)
	}
}

func TestProcExitForgets(t *testing.T) {
	s := newSim(t, DefaultConfig())
	s.e.HandleRuntime(&event.Runtime{Kind: event.KindProcExit, PID: 42})
	if n := len(s.e.Snapshot()); n != 0 {
		t.Fatalf("%d processes", n)
	}
}

func TestConfigValidate(t *testing.T) {
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatal(err)
	}
	c := DefaultConfig()
	c.Window = 0
	c.STWP99.Degraded = time.Second
	err := c.Validate()
	if err == nil || !strings.Contains(err.Error(), "window") || !strings.Contains(err.Error(), "stw_p99") {
		t.Fatalf("err = %v", err)
	}
	if _, err := New(c, nil); err == nil {
		t.Fatal("New accepted a bad config")
	}
}

func TestHandlerAndMetrics(t *testing.T) {
	cfg := DefaultConfig()
	s := newSim(t, cfg)
	for range cfg.WorsenAfter {
		s.stw(time.Second, event.STWOther)
		s.sample()
		s.window()
	}
	rr := httptest.NewRecorder()
	s.e.Handler().ServeHTTP(rr, httptest.NewRequest("GET", "/v1/health", nil))
	var rep Report
	if err := json.Unmarshal(rr.Body.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	if rr.Code != 200 || rep.Unhealthy != 1 || len(rep.Processes) != 1 || rep.Processes[0].Decision != Drain {
		t.Fatalf("%d %s", rr.Code, rr.Body)
	}
	if !strings.Contains(rr.Body.String(), `"state": "unhealthy"`) || !strings.Contains(rr.Body.String(), `"signal": "stw_max"`) {
		t.Fatalf("body %s", rr.Body)
	}
	rr = httptest.NewRecorder()
	s.e.Handler().ServeHTTP(rr, httptest.NewRequest("GET", "/v1/health?service=api", nil))
	if rr.Code != 503 {
		t.Fatalf("filtered code %d", rr.Code)
	}

	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(NewCollector(s.e))
	want := `
# HELP gopulse_failover_decisions_total Failover decisions taken for a watched process.
# TYPE gopulse_failover_decisions_total counter
gopulse_failover_decisions_total{container="",decision="drain",exe="/usr/bin/api",namespace="",pid="42",pod="",service="api"} 1
gopulse_failover_decisions_total{container="",decision="restore",exe="/usr/bin/api",namespace="",pid="42",pod="",service="api"} 0
# HELP gopulse_health_state Health verdict of a watched process: 1 for the current state.
# TYPE gopulse_health_state gauge
gopulse_health_state{container="",exe="/usr/bin/api",namespace="",pid="42",pod="",service="api",state="degraded"} 0
gopulse_health_state{container="",exe="/usr/bin/api",namespace="",pid="42",pod="",service="api",state="healthy"} 0
gopulse_health_state{container="",exe="/usr/bin/api",namespace="",pid="42",pod="",service="api",state="unhealthy"} 1
gopulse_health_state{container="",exe="/usr/bin/api",namespace="",pid="42",pod="",service="api",state="unknown"} 0
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want)); err != nil {
		t.Fatal(err)
	}
	if probs, err := testutil.GatherAndLint(reg); err != nil || len(probs) != 0 {
		t.Fatalf("lint: %v %v", probs, err)
	}
}

func hasReason(rs []Reason, signal string, st State) bool {
	for _, r := range rs {
		if r.Signal == signal && r.State == st {
			return true
		}
	}
	return false
}

func posInf() float64 { var z float64; return 1 / z }

func BenchmarkEngineHandleRuntime(b *testing.B) {
	e, _ := New(DefaultConfig(), nil)
	evs := []event.Runtime{
		{Kind: event.KindSTW, PID: 1, DurationNS: 120_000, Reason: event.STWGCSweepTermination},
		{Kind: event.KindSTW, PID: 1, DurationNS: 80_000, Reason: event.STWGCMarkTermination},
		{Kind: event.KindGCEnd, PID: 1, DurationNS: 3e6, MarkNS: 2.8e6},
		{Kind: event.KindSample, PID: 1, Goroutines: 100, Sched: &event.SchedHistogram{Counts: make([]uint64, 160), Buckets: make([]float64, 161)}},
	}
	now := time.Unix(0, 0)
	e.Tick(now)
	b.ReportAllocs()
	b.SetBytes(int64(unsafe.Sizeof(event.Runtime{})))
	i := 0
	for b.Loop() {
		e.HandleRuntime(&evs[i&3])
		i++
		if i%100_000 == 0 { // close a window now and then, as the agent does
			now = now.Add(10 * time.Second)
			e.Tick(now)
		}
	}
}

// A new process is unknown until it has been measured for WorsenAfter
// windows (before, it was "healthy" with zero windows measured); windows
// without events do not count.
func TestUnknownUntilMeasured(t *testing.T) {
	cfg := DefaultConfig()
	cfg.WorsenAfter = 3
	e, err := New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1_700_000_000, 0)
	sample := func() { e.HandleRuntime(&event.Runtime{Kind: event.KindSample, PID: 7, Goroutines: 10}) }
	state := func() State {
		st, live, ok := e.Status(7)
		if !ok || !live {
			t.Fatalf("status of 7: live %v ok %v", live, ok)
		}
		return st.State
	}
	sample()
	e.Tick(now)
	if st := state(); st != Unknown {
		t.Fatalf("new process: %v", st)
	}
	now = now.Add(cfg.Window)
	e.Tick(now) // the first window, with the first sample, closes
	for i := range cfg.WorsenAfter {
		now = now.Add(cfg.Window)
		e.Tick(now) // a silent window: nothing measured
		if st := state(); st != Unknown {
			t.Fatalf("after silent window %d: %v", i, st)
		}
	}
	for i := 1; i < cfg.WorsenAfter; i++ {
		if st := state(); st != Unknown {
			t.Fatalf("after %d measured windows: %v", i, st)
		}
		sample()
		now = now.Add(cfg.Window)
		e.Tick(now)
	}
	if st := state(); st != Healthy {
		t.Fatalf("after %d measured windows: %v", cfg.WorsenAfter, st)
	}
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(NewCollector(e))
	if err := testutil.GatherAndCompare(reg, strings.NewReader(`
# HELP gopulse_health_state Health verdict of a watched process: 1 for the current state.
# TYPE gopulse_health_state gauge
gopulse_health_state{container="",exe="",namespace="",pid="7",pod="",service="",state="degraded"} 0
gopulse_health_state{container="",exe="",namespace="",pid="7",pod="",service="",state="healthy"} 1
gopulse_health_state{container="",exe="",namespace="",pid="7",pod="",service="",state="unhealthy"} 0
gopulse_health_state{container="",exe="",namespace="",pid="7",pod="",service="",state="unknown"} 0
`), "gopulse_health_state"); err != nil {
		t.Fatal(err)
	}
}

// The status codes a load balancer polling /v1/health sees. Before, a dead
// or never-seen pid answered 200 with an empty list, and ?pid=abc or a
// misspelled ?service= were ignored (200, every process).
func TestHandlerStatusCodes(t *testing.T) {
	cfg := DefaultConfig()
	rec := &recorder{}
	procs := names{42: {PID: 42, Exe: "/usr/bin/api", Service: "api"}, 43: {PID: 43, Exe: "/usr/bin/api", Service: "api"},
		44: {PID: 44, Exe: "/usr/bin/db", Service: "db"}, 45: {PID: 45, Exe: "/usr/bin/new", Service: "new"}}
	e, err := New(cfg, procs, rec)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1_700_000_000, 0)
	tick := func(bad bool) {
		for _, pid := range []uint32{42, 43, 44} {
			e.HandleRuntime(&event.Runtime{Kind: event.KindSample, PID: pid, Goroutines: 10})
		}
		if bad {
			e.HandleRuntime(&event.Runtime{Kind: event.KindSTW, PID: 44, DurationNS: int64(time.Second), Reason: event.STWOther})
		}
		e.Tick(now)
		now = now.Add(cfg.Window)
	}
	tick(false)
	for range cfg.WorsenAfter {
		tick(true)
	}
	e.HandleRuntime(&event.Runtime{Kind: event.KindSample, PID: 45, Goroutines: 3}) // seen, not measured
	e.HandleRuntime(&event.Runtime{Kind: event.KindProcExit, PID: 43, TS: now.UnixNano()})

	get := func(query string) (int, Report) {
		t.Helper()
		rr := httptest.NewRecorder()
		e.Handler().ServeHTTP(rr, httptest.NewRequest("GET", "/v1/health"+query, nil))
		var rep Report
		if err := json.Unmarshal(rr.Body.Bytes(), &rep); err != nil {
			t.Fatalf("%s: %v: %s", query, err, rr.Body)
		}
		if ct := rr.Header().Get("Content-Type"); ct != "application/json" {
			t.Errorf("%s: content type %q", query, ct)
		}
		return rr.Code, rep
	}
	for _, c := range []struct {
		query string
		code  int
		state State // of the one process answered, when code is not 400
		err   string
	}{
		{"?pid=42", 200, Healthy, ""},
		{"?pid=44", 503, Unhealthy, ""},
		{"?pid=45", 200, Unknown, ""},
		{"?pid=43", 404, Healthy, "exited"},
		{"?pid=4000000", 404, 0, "no process with pid 4000000"},
		{"?service=db", 503, Unhealthy, ""},
		{"?service=new", 200, Unknown, ""},
		{"?service=nope", 404, 0, `no watched process of service "nope"`},
		{"?pid=abc", 400, 0, `pid "abc" is not a positive integer`},
		{"?pid=0", 400, 0, "not a positive integer"},
		{"?pid=-3", 400, 0, "not a positive integer"},
		{"?pid=", 400, 0, "not a positive integer"},
		{"?pid=99999999999", 400, 0, "not a positive integer"},
		{"?servise=api", 400, 0, `unknown parameter "servise"`},
		{"?service=", 400, 0, "empty service"},
		{"?pid=42&pid=44", 400, 0, `"pid" given 2 times`},
		{"?pid=42&service=api", 400, 0, "not both"},
		{"?pid=%zz", 400, 0, "bad query"},
	} {
		code, rep := get(c.query)
		if code != c.code || !strings.Contains(rep.Error, c.err) {
			t.Errorf("%s: %d %q, want %d %q", c.query, code, rep.Error, c.code, c.err)
			continue
		}
		switch {
		case code == 400 || c.err != "" && c.err != "exited":
			if len(rep.Processes) != 0 {
				t.Errorf("%s: processes %+v", c.query, rep.Processes)
			}
		case len(rep.Processes) != 1 || rep.Processes[0].State != c.state:
			t.Errorf("%s: processes %+v, want one %v", c.query, rep.Processes, c.state)
		}
	}
	// The exited process's last status says when it exited.
	if _, rep := get("?pid=43"); rep.Processes[0].Exited == nil || !rep.Processes[0].Exited.Equal(now) || rep.Processes[0].PID != 43 {
		t.Errorf("exited status %+v", rep.Processes[0])
	}
	// Without a query: every live process, 200 even with an unhealthy one.
	code, rep := get("")
	if code != 200 || len(rep.Processes) != 3 || rep.Healthy != 1 || rep.Unhealthy != 1 || rep.Unknown != 1 {
		t.Errorf("all: %d %+v", code, rep)
	}
	// The last status is kept for a while, then forgotten.
	e.Tick(now.Add(exitedKeep + exitedKeepWindows*cfg.Window))
	if code, rep := get("?pid=43"); code != 404 || len(rep.Processes) != 0 {
		t.Errorf("long after the exit: %d %+v", code, rep)
	}
	// A reused pid is a new, live process.
	e.HandleRuntime(&event.Runtime{Kind: event.KindProcExit, PID: 42})
	e.HandleRuntime(&event.Runtime{Kind: event.KindSample, PID: 42, Goroutines: 1})
	if code, rep := get("?pid=42"); code != 200 || rep.Processes[0].State != Unknown || rep.Processes[0].Exited != nil {
		t.Errorf("reused pid: %d %+v", code, rep)
	}
}

// A successor agent resumes with the verdicts handed over: no "unknown"
// gap, the drain holds, and the hysteresis goes on from there. A handed-over
// process that sends nothing is forgotten.
func TestExportImport(t *testing.T) {
	cfg := DefaultConfig()
	s := newSim(t, cfg)
	for range cfg.WorsenAfter {
		s.stw(time.Second, event.STWOther)
		s.sample()
		s.window()
	}
	s.e.HandleRuntime(&event.Runtime{Kind: event.KindSample, PID: 77, Goroutines: 1}) // seen, unmeasured
	s.window()
	saved := s.e.Export()
	if len(saved) != 2 || saved[0].PID != 42 || saved[0].State != Unhealthy || !saved[0].Drained {
		t.Fatalf("saved %+v", saved)
	}
	b, err := json.Marshal(saved)
	if err != nil {
		t.Fatal(err)
	}
	var back []Saved
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}

	rec := &recorder{}
	e2, err := New(cfg, names{42: {PID: 42, Exe: "/usr/bin/api", Service: "api"}}, rec)
	if err != nil {
		t.Fatal(err)
	}
	e2.Import(back)
	st, live, ok := e2.Status(42)
	if !ok || !live || st.State != Unhealthy || !st.Drained || st.Service != "api" || len(st.Reasons) == 0 {
		t.Fatalf("imported status %+v", st)
	}
	if st, _, _ := e2.Status(77); st.State != Unknown {
		t.Fatalf("imported unmeasured process: %v", st.State)
	}
	// Process 42 goes on (healthy now): restored after RecoverAfter windows,
	// with one restore decision and no new drain.
	now := s.now
	e2.Tick(now)
	for range cfg.RecoverAfter {
		e2.HandleRuntime(&event.Runtime{Kind: event.KindSample, PID: 42, Goroutines: 100})
		now = now.Add(cfg.Window)
		e2.Tick(now)
	}
	if st, _, _ := e2.Status(42); st.State != Healthy || st.Drained {
		t.Fatalf("after recovery %+v", st)
	}
	if e2.DecisionCount(42, Drain) != 0 || e2.DecisionCount(42, Restore) != 1 {
		t.Fatalf("decisions: drain %d restore %d", e2.DecisionCount(42, Drain), e2.DecisionCount(42, Restore))
	}
	// 77 sent nothing: forgotten after more than HeartbeatFailures silent
	// windows.
	for range cfg.HeartbeatFailures + 1 - cfg.RecoverAfter {
		now = now.Add(cfg.Window)
		e2.Tick(now)
	}
	if _, _, ok := e2.Status(77); ok {
		t.Fatal("an unconfirmed handed-over process is kept")
	}
}

// TestExportImportKnownTemplates: the error templates a process logged
// before a reload or a takeover are handed over with its verdict, so a burst
// of one of them in the successor's first windows is no new template. Before,
// the successor counted every error template as new again (the health
// engine is rebuilt at every reload) and raised new_error_template.
func TestExportImportKnownTemplates(t *testing.T) {
	cfg := DefaultConfig()
	s := newSim(t, cfg)
	for range 5 {
		s.e.ObserveLog(s.pid, []byte("error"), 7)
		s.e.ObserveLog(s.pid, []byte("error"), 9)
	}
	s.healthyWindow()
	b, err := json.Marshal(s.e.Export())
	if err != nil {
		t.Fatal(err)
	}
	var back []Saved
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if len(back) != 1 || !slices.Equal(back[0].Known, []uint64{7, 9}) {
		t.Fatalf("handed over %+v, want pid 42 knowing templates 7 and 9", back)
	}
	e2, err := New(cfg, names{42: {PID: 42, Exe: "/usr/bin/api", Service: "api"}}, &recorder{})
	if err != nil {
		t.Fatal(err)
	}
	e2.Import(back)
	s2 := &sim{t: t, e: e2, rec: &recorder{}, now: s.now, pid: 42, g: 100}
	e2.Tick(s2.now)
	for _, id := range []uint64{7, 9} {
		for range 2 * cfg.NewErrorBurst {
			e2.ObserveLog(42, []byte("error"), id)
		}
		s2.healthyWindow()
		if n := e2.Snapshot()[0].Signals.NewErrors; n != 0 {
			t.Errorf("template %d, known before the hand-over: a burst of %d new errors", id, n)
		}
	}
	if st := e2.Snapshot()[0]; hasReason(st.Reasons, "new_error_template", Degraded) {
		t.Fatalf("template known before the hand-over counted as new: %+v", st.Reasons)
	}
	for w := range 2 {
		for range 2 * cfg.NewErrorBurst {
			e2.ObserveLog(42, []byte("error"), uint64(100+w))
		}
		s2.healthyWindow()
	}
	if st := e2.Snapshot()[0]; !hasReason(st.Reasons, "new_error_template", Degraded) {
		t.Fatalf("a really new template not seen after the hand-over: %+v", st.Reasons)
	}
}

// TestNewTemplateFollowsAliases: error lines whose template turns out (by
// a merge in the miner) to be a known one are no burst of a new template.
func TestNewTemplateFollowsAliases(t *testing.T) {
	cfg := DefaultConfig()
	s := newSim(t, cfg)
	for range 5 {
		s.e.ObserveLog(s.pid, []byte("error"), 7)
	}
	s.healthyWindow()
	// bursts under new ids, which the miner then merges into known 7
	for w := range 2 {
		for range 2 * cfg.NewErrorBurst {
			s.e.ObserveLog(s.pid, []byte("error"), uint64(99+w))
		}
		s.e.AliasTemplate(uint64(99+w), 7)
		s.healthyWindow()
	}
	if st := s.e.Snapshot()[0]; hasReason(st.Reasons, "new_error_template", Degraded) {
		t.Fatalf("merged template counted as new: %+v", st.Reasons)
	}
	// a known template merged into a newer id keeps being known
	s.e.AliasTemplate(7, 123)
	for range 2 {
		for range 2 * cfg.NewErrorBurst {
			s.e.ObserveLog(s.pid, []byte("error"), 123)
		}
		s.healthyWindow()
	}
	if st := s.e.Snapshot()[0]; hasReason(st.Reasons, "new_error_template", Degraded) {
		t.Fatalf("aliased known template counted as new: %+v", st.Reasons)
	}
	// while really new ones still are
	for w := range 2 {
		for range 2 * cfg.NewErrorBurst {
			s.e.ObserveLog(s.pid, []byte("error"), uint64(555+w))
		}
		s.healthyWindow()
	}
	if st := s.e.Snapshot()[0]; !hasReason(st.Reasons, "new_error_template", Degraded) {
		t.Fatalf("new template not seen: %+v", st.Reasons)
	}
}

// TestNewTemplateOverProvisionalIDs: the lines a log source reads before
// its header model settles carry provisional template ids, one per distinct
// message (logengine), until the source settles them (its 32nd line, or
// once idle for the multi-line wait) and each becomes an alias of the
// event's template. A burst of one new error event spread over such ids
// counts as one new template when the aliases come within the window; left
// unaliased, it would be as many one-line templates, no burst.
func TestNewTemplateOverProvisionalIDs(t *testing.T) {
	cfg := DefaultConfig()
	for _, aliased := range []bool{true, false} {
		s := newSim(t, cfg)
		for w := range 2 {
			for i := range 2 * cfg.NewErrorBurst {
				s.e.ObserveLog(s.pid, []byte("error"), uint64(1000*(w+1)+i)) // one message each
			}
			if aliased {
				for i := range 2 * cfg.NewErrorBurst {
					s.e.AliasTemplate(uint64(1000*(w+1)+i), uint64(500+w))
				}
			}
			s.healthyWindow()
		}
		st := s.e.Snapshot()[0]
		if got := hasReason(st.Reasons, "new_error_template", Degraded); got != aliased {
			t.Fatalf("aliases followed %v: new_error_template raised %v: %+v", aliased, got, st.Reasons)
		}
	}
}

// A drained process that goes quiet (no traffic, no symptoms) is not
// restored before DrainHold windows; then it is.
func TestDrainHold(t *testing.T) {
	cfg := DefaultConfig()
	cfg.DrainHold = 8
	s := newSim(t, cfg)
	for range cfg.WorsenAfter {
		s.stw(time.Second, event.STWOther)
		s.sample()
		s.window()
	}
	if st := s.e.Snapshot()[0]; !st.Drained {
		t.Fatalf("not drained: %+v", st)
	}
	for i := 1; i < cfg.DrainHold; i++ {
		s.sample()
		if st := s.window(); st != Unhealthy {
			t.Fatalf("quiet window %d of the hold: %v", i, st)
		}
	}
	s.sample()
	if st := s.window(); st != Healthy || s.e.Snapshot()[0].Drained {
		t.Fatalf("after the hold: %v %+v", st, s.e.Snapshot()[0])
	}
	if n := s.e.DecisionCount(42, Restore); n != 1 {
		t.Fatalf("%d restores", n)
	}
	// Without a hold: restored after RecoverAfter quiet windows.
	s2 := newSim(t, DefaultConfig())
	for range cfg.WorsenAfter {
		s2.stw(time.Second, event.STWOther)
		s2.sample()
		s2.window()
	}
	for range DefaultConfig().RecoverAfter {
		s2.sample()
		s2.window()
	}
	if st := s2.e.Snapshot()[0]; st.Drained || st.State != Healthy {
		t.Fatalf("no hold: %+v", st)
	}
}

// TestAliasKeepsMergedTemplateKnown: a merge in one log source's miner
// (ids are the hashes of template texts, so another source of the process,
// or a replica's, hands out the same id for the same text and has not
// merged it) leaves the merged id known: its error lines from the other
// source are no burst of a new template.
func TestAliasKeepsMergedTemplateKnown(t *testing.T) {
	cfg := DefaultConfig()
	s := newSim(t, cfg)
	for range 5 {
		s.e.ObserveLog(s.pid, []byte("error"), 7)
	}
	s.healthyWindow()
	s.e.AliasTemplate(7, 123) // the first source merged 7 into 123
	for range 2 * cfg.NewErrorBurst {
		s.e.ObserveLog(s.pid, []byte("error"), 7) // the other source still says 7
	}
	s.healthyWindow()
	if st := s.e.Snapshot()[0]; st.Signals.NewErrors != 0 || hasReason(st.Reasons, "new_error_template", Degraded) {
		t.Fatalf("a known template's id counted as new after a merge elsewhere: %d new, %+v", st.Signals.NewErrors, st.Reasons)
	}
}

// fakeWaiter is a CPUWaiter whose totals the test moves.
type fakeWaiter struct {
	run, wait time.Duration
	ok        bool
}

func (f *fakeWaiter) CPUWait(uint32) (time.Duration, time.Duration, bool) { return f.run, f.wait, f.ok }

// TestSchedLatencyCPUWait: a scheduling latency over its threshold while
// the process's threads waited for a CPU most of their runnable time (a
// saturated node) is reported as excused and does not change the verdict;
// the same latency while the threads had their CPUs (the Go scheduler's
// own backlog) makes the process unhealthy, as it does when the wait is
// unknown or the rule is off.
func TestSchedLatencyCPUWait(t *testing.T) {
	h := &event.SchedHistogram{Buckets: []float64{0, 1e-6, 1e-3, 0.01, 0.05, 0.5, posInf()}, Counts: make([]uint64, 6)}
	run := func(t *testing.T, cfg Config, w *fakeWaiter, waitShare float64) Status {
		t.Helper()
		rec := &recorder{}
		e, err := New(cfg, nil, rec)
		if err != nil {
			t.Fatal(err)
		}
		if w != nil {
			e.SetCPUWaiter(w)
		}
		now := time.Unix(1_700_000_000, 0)
		h.Counts = make([]uint64, 6)
		var st Status
		for i := range 8 {
			h.Counts[1] += 1000
			h.Counts[5] += 100 // ~9% of runnable goroutines waited 50–500ms
			e.HandleRuntime(&event.Runtime{Kind: event.KindSample, PID: 7, Goroutines: 10, Sched: h})
			if w != nil { // 1s runnable per window, waitShare of it waiting
				w.run += time.Duration((1 - waitShare) * float64(time.Second))
				w.wait += time.Duration(waitShare * float64(time.Second))
			}
			e.Tick(now)
			now = now.Add(cfg.Window)
			st = e.Snapshot()[0]
			if i >= 3 && w != nil && w.ok && cfg.SchedCPUWait > 0 && (st.Signals.CPUWait == nil || *st.Signals.CPUWait < waitShare-0.01 || *st.Signals.CPUWait > waitShare+0.01) {
				t.Fatalf("window %d: cpu wait %v, want %.2f", i, st.Signals.CPUWait, waitShare)
			}
		}
		return st
	}
	cfg := DefaultConfig()
	t.Run("node saturated", func(t *testing.T) {
		st := run(t, cfg, &fakeWaiter{ok: true}, 0.8)
		if st.State != Healthy || len(st.Reasons) != 0 || st.Signals.SchedP99 != 0.5 || !strings.Contains(st.Signals.SchedExcused, "waited for a CPU 80.0%") {
			t.Fatalf("status %+v", st)
		}
		t.Logf("excused: %s", st.Signals.SchedExcused)
	})
	for name, c := range map[string]struct {
		w     *fakeWaiter
		share float64
		off   bool
	}{
		"own backlog":  {w: &fakeWaiter{ok: true}, share: 0.1},
		"wait unknown": {w: &fakeWaiter{ok: false}, share: 0.8},
		"no waiter":    {share: 0.8},
		"rule off":     {w: &fakeWaiter{ok: true}, share: 0.8, off: true},
	} {
		t.Run(name, func(t *testing.T) {
			cfg := cfg
			if c.off {
				cfg.SchedCPUWait = 0
			}
			st := run(t, cfg, c.w, c.share)
			if st.State != Unhealthy || !hasReason(st.Reasons, "sched_p99", Unhealthy) || st.Signals.SchedExcused != "" {
				t.Fatalf("status %+v", st)
			}
		})
	}
	bad := DefaultConfig()
	bad.SchedCPUWait = 1.5
	if _, err := New(bad, nil); err == nil || !strings.Contains(err.Error(), "sched_cpu_wait") {
		t.Fatalf("New with sched_cpu_wait 1.5: %v", err)
	}
}

// fakeThrottler is a fakeWaiter that also reads cgroup CPU throttling.
type fakeThrottler struct {
	fakeWaiter
	periods, throttled uint64
	thrOK              bool
}

func (f *fakeThrottler) CPUThrottle(uint32) (uint64, uint64, bool) {
	return f.periods, f.throttled, f.thrOK
}

// TestSchedLatencyCPUThrottled: the same scheduling latency and 80% CPU
// wait is excused on a saturated node (the cgroup's quota never ran out,
// or no limit, or throttling unknown) but judged when the process's own
// cgroup was throttled in at least 5% of its periods: its own limit made
// it wait.
func TestSchedLatencyCPUThrottled(t *testing.T) {
	h := &event.SchedHistogram{Buckets: []float64{0, 1e-6, 1e-3, 0.01, 0.05, 0.5, posInf()}, Counts: make([]uint64, 6)}
	run := func(t *testing.T, w *fakeThrottler, periods, throttled uint64) Status {
		t.Helper()
		cfg := DefaultConfig()
		e, err := New(cfg, nil, &recorder{})
		if err != nil {
			t.Fatal(err)
		}
		e.SetCPUWaiter(w)
		now := time.Unix(1_700_000_000, 0)
		var st Status
		for i := range 8 {
			h.Counts[1] += 1000
			h.Counts[5] += 100
			e.HandleRuntime(&event.Runtime{Kind: event.KindSample, PID: 7, Goroutines: 10, Sched: h})
			w.run += 200 * time.Millisecond
			w.wait += 800 * time.Millisecond
			w.periods += periods
			w.throttled += throttled
			e.Tick(now)
			now = now.Add(cfg.Window)
			st = e.Snapshot()[0]
			if i >= 3 && w.thrOK {
				want := 0.0
				if periods > 0 {
					want = float64(throttled) / float64(periods)
				}
				if st.Signals.CPUThrottled == nil || *st.Signals.CPUThrottled != want {
					t.Fatalf("window %d: cpu throttled %v, want %v", i, st.Signals.CPUThrottled, want)
				}
			}
			if !w.thrOK && st.Signals.CPUThrottled != nil {
				t.Fatalf("window %d: cpu throttled %v while unknown", i, *st.Signals.CPUThrottled)
			}
		}
		return st
	}
	for name, c := range map[string]struct {
		periods, throttled uint64
		thrOK              bool
	}{
		"saturated node, limit not reached":                     {periods: 100, throttled: 0, thrOK: true},
		"saturated node, throttled rarely":                      {periods: 100, throttled: 4, thrOK: true},
		"saturated node, no limit":                              {periods: 0, thrOK: true},
		"throttling unknown (cgroup v1 without cpu, no cgroup)": {periods: 100, throttled: 90},
	} {
		t.Run(name, func(t *testing.T) {
			st := run(t, &fakeThrottler{fakeWaiter: fakeWaiter{ok: true}, thrOK: c.thrOK}, c.periods, c.throttled)
			if st.State != Healthy || len(st.Reasons) != 0 || !strings.Contains(st.Signals.SchedExcused, "waited for a CPU 80.0%") {
				t.Fatalf("status %+v", st)
			}
		})
	}
	for name, c := range map[string]struct{ periods, throttled uint64 }{
		"throttled 5%":  {100, 5},
		"throttled 60%": {100, 60},
	} {
		t.Run(name, func(t *testing.T) {
			st := run(t, &fakeThrottler{fakeWaiter: fakeWaiter{ok: true}, thrOK: true}, c.periods, c.throttled)
			if st.State != Unhealthy || !hasReason(st.Reasons, "sched_p99", Unhealthy) || st.Signals.SchedExcused != "" ||
				st.Signals.CPUWait == nil || *st.Signals.CPUWait < 0.79 {
				t.Fatalf("status %+v", st)
			}
			for _, r := range st.Reasons {
				if r.Signal == "sched_p99" && !strings.Contains(r.Detail, "CPU limit throttled it") {
					t.Fatalf("reason %q does not say the limit throttled it", r.Detail)
				}
			}
		})
	}
}
