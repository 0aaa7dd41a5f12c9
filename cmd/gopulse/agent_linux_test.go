package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gopulse/gopulse/internal/agent"
	"github.com/gopulse/gopulse/internal/config"
	"github.com/gopulse/gopulse/internal/health"
	"github.com/gopulse/gopulse/internal/privtest"
	"github.com/gopulse/gopulse/probes"
)

// phaseClock records when a target printed "phase NAME".
type phaseClock struct {
	mu sync.Mutex
	at map[string]time.Time
}

func (c *phaseClock) watch(r io.Reader) {
	s := bufio.NewScanner(r)
	for s.Scan() {
		if name, ok := strings.CutPrefix(s.Text(), "phase "); ok {
			c.mu.Lock()
			c.at[name] = time.Now()
			c.mu.Unlock()
		}
	}
}

func (c *phaseClock) get(name string) (time.Time, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t, ok := c.at[name]
	return t, ok
}

func startTarget(t *testing.T, bin, phases string, env ...string) (*exec.Cmd, *phaseClock) {
	t.Helper()
	cmd := exec.Command(bin, "-phases", phases, "-log", filepath.Join(t.TempDir(), "demo.log"))
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	clk := &phaseClock{at: map[string]time.Time{}}
	go clk.watch(out)
	return cmd, clk
}

// requireProbes skips (or, on CI, fails) a test when the BPF programs
// cannot be loaded here.
func requireProbes(t *testing.T) {
	t.Helper()
	probe, err := probes.New(probes.Config{}, probes.Deps{Logger: slog.New(slog.DiscardHandler), Sink: agentNopSink{}})
	privtest.Require(t, err == nil, "cannot load BPF programs: "+errString(err))
	probe.Close()
}

// buildDemo builds examples/demo, the workload the health tests watch.
func buildDemo(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "gopulse-demo")
	if out, err := exec.Command("go", "build", "-o", bin, "../../examples/demo").CombinedOutput(); err != nil {
		t.Fatalf("build demo: %v\n%s", err, out)
	}
	return bin
}

// runProbeAgent runs the agent with real probes and the given health
// section (YAML, indented under "health:") until the test ends.
func runProbeAgent(t *testing.T, health string) (*agent.Agent, *config.Config) {
	t.Helper()
	cfg, err := config.Parse("test.yaml", []byte("listen: 127.0.0.1:0\nstate_dir: "+t.TempDir()+"\nhealth:\n"+health), nil)
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelInfo}))
	a, err := agent.New(cfg, agent.Deps{Logger: logger, NewRuntimeSource: agent.NewProbeSource(cfg, logger, agent.ProbeOptions{})})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-done
		a.Close()
	})
	return a, cfg
}

// statusOf is the engine's status of pid, if it has one.
func statusOf(a *agent.Agent, pid int) (health.Status, bool) {
	for _, s := range a.Engine().Snapshot() {
		if s.PID == pid {
			return s, true
		}
	}
	return health.Status{}, false
}

// TestHealthRealTargets runs the agent with real probes against two copies
// of the demo workload: one develops long stop-the-world pauses and a
// goroutine leak, then recovers; the other is noisy but healthy. The first
// must be drained with the right reasons within the configured windows and
// restored after it recovers; the second must never change state.
func TestHealthRealTargets(t *testing.T) {
	requireProbes(t)
	bin := buildDemo(t)
	const window = 2 * time.Second
	// The noisy target runs first, alone (this machine kind has 2 cores: a
	// target that stalls its threads would stall the other one's too).
	noisy, _ := startTarget(t, bin, "noisy:60s")

	a, cfg := runProbeAgent(t, `  window: 2s
  worsen_after: 3
  recover_after: 3
  goroutine_growth: {windows: 3, min_per_window: 10, degraded: 200, unhealthy: 600, min_relative: 0.2}
`)

	// Phase 1: the noisy target, for 10 windows, never changes state.
	for start := time.Now(); ; time.Sleep(100 * time.Millisecond) {
		if s, ok := statusOf(a, noisy.Process.Pid); ok && s.Windows > 0 {
			break
		}
		if time.Since(start) > 20*time.Second {
			t.Fatal("the noisy target was never observed")
		}
	}
	noisyEnd := time.Now().Add(10 * window)
	var noisyEvents, noisyGC int
	for time.Now().Before(noisyEnd) {
		time.Sleep(100 * time.Millisecond)
		s, ok := statusOf(a, noisy.Process.Pid)
		if ok && (s.State != health.Healthy && !(s.State == health.Unknown && s.Measured < a.Engine().MinWindows()) || s.Drained) {
			t.Fatalf("noisy target changed state: %+v", s)
		}
		noisyEvents = max(noisyEvents, s.Signals.Events)
		noisyGC = max(noisyGC, s.Signals.GCCycles)
	}
	if s, ok := statusOf(a, noisy.Process.Pid); !ok || s.Windows < 8 || noisyEvents == 0 || noisyGC == 0 {
		t.Fatalf("noisy target not observed: %+v", s)
	} else {
		t.Logf("noisy target stayed healthy over %d windows; last: %+v", s.Windows, s.Signals)
	}
	if n := a.Engine().DecisionCount(uint32(noisy.Process.Pid), health.Drain); n != 0 {
		t.Errorf("noisy target drained %d times", n)
	}
	noisy.Process.Kill()

	// Phase 2: a target develops long pauses and a goroutine leak, then
	// recovers. The bad phase lasts until the test has seen the drain and
	// the leak named while drained (SIGUSR1 moves the demo on), capped at
	// 60 s: how fast its heap and its leak grow depends on the CPU the
	// workload gets (a stop-the-world waiting on a spinning goroutine
	// freezes the whole process, for seconds when the machine is busy),
	// not on gopulse.
	bad, badClk := startTarget(t, bin, "healthy:4s,bad:60s,recover:60s", "GODEBUG=asyncpreemptoff=1")
	over := func(s health.Status) bool {
		return s.Signals.STWP99 >= cfg.Health.STWP99.Unhealthy.Seconds() || s.Signals.STWMax >= cfg.Health.STWMax.Unhealthy.Seconds()
	}
	var drainedAt, restoredAt, recoverSent time.Time
	var drainReasons []health.Reason
	seen := map[string]bool{} // signals named while the target was drained
	var lastWin uint64
	overRun, maxOverRun := 0, 0 // consecutive observed windows over the unhealthy thresholds
	deadline := time.Now().Add(100 * time.Second)
	for time.Now().Before(deadline) && restoredAt.IsZero() {
		time.Sleep(100 * time.Millisecond)
		s, ok := statusOf(a, bad.Process.Pid)
		if !ok {
			continue
		}
		if s.Windows != lastWin {
			// A window closed. One the poll missed could have been under
			// the thresholds: the run starts again.
			if s.Windows == lastWin+1 && over(s) {
				overRun++
			} else {
				overRun = 0
			}
			lastWin = s.Windows
			maxOverRun = max(maxOverRun, overRun)
			// The engine needs worsen_after windows worse than the state
			// to move, to the mildest verdict along them: a run over the
			// unhealthy thresholds drains within 2×worsen_after windows
			// even from a streak that was heading for degraded.
			if overRun >= 2*cfg.Health.WorsenAfter && s.State != health.Unhealthy {
				t.Errorf("%d windows in a row over the stop-the-world thresholds and still %v: %+v", overRun, s.State, s)
			}
		}
		if s.State == health.Unhealthy && drainedAt.IsZero() {
			drainedAt, drainReasons = time.Now(), s.Reasons
			t.Logf("drained after bad phase start + %s, %d windows in a row over the thresholds: %v", time.Since(mustPhase(t, badClk, "bad")).Round(time.Millisecond), overRun, s.Reasons)
		}
		if s.Drained {
			for _, r := range s.Reasons {
				seen[r.Signal] = true
			}
		}
		if recoverSent.IsZero() && !drainedAt.IsZero() && seen["goroutine_growth"] {
			recoverSent = time.Now()
			bad.Process.Signal(syscall.SIGUSR1)
		}
		if _, ok := badClk.get("recover"); ok && !drainedAt.IsZero() && !s.Drained {
			restoredAt = time.Now()
		}
	}
	badStart := mustPhase(t, badClk, "bad")
	if drainedAt.IsZero() {
		s, _ := statusOf(a, bad.Process.Pid)
		t.Fatalf("bad target never drained (longest run of windows over the thresholds %d): %+v", maxOverRun, s)
	}
	t.Logf("drained %s after the bad phase began; longest run of windows over the thresholds %d", drainedAt.Sub(badStart).Round(time.Millisecond), maxOverRun)
	if !hasSignal(drainReasons, "stw_p99", "stw_max") {
		t.Errorf("drain reasons lack the stop-the-world signals: %v", drainReasons)
	}
	if !seen["goroutine_growth"] {
		t.Errorf("the goroutine leak was never named while drained: %v", seen)
	}
	if restoredAt.IsZero() {
		s, _ := statusOf(a, bad.Process.Pid)
		t.Fatalf("bad target never restored: %+v", s)
	}
	rec := mustPhase(t, badClk, "recover")
	if lim := time.Duration(cfg.Health.RecoverAfter+2)*window + 5*time.Second; restoredAt.Sub(rec) > lim {
		t.Errorf("restored %s after recovery began, want ≤ %s", restoredAt.Sub(rec), lim)
	}
	if n := a.Engine().DecisionCount(uint32(bad.Process.Pid), health.Drain); n != 1 {
		t.Errorf("%d drain decisions", n)
	}
	if n := a.Engine().DecisionCount(uint32(bad.Process.Pid), health.Restore); n != 1 {
		t.Errorf("%d restore decisions", n)
	}
	t.Logf("drain reasons: %v", drainReasons)
}

func mustPhase(t *testing.T, c *phaseClock, name string) time.Time {
	t.Helper()
	at, ok := c.get(name)
	if !ok {
		t.Fatalf("target never entered phase %s", name)
	}
	return at
}

func hasSignal(rs []health.Reason, signals ...string) bool {
	for _, r := range rs {
		for _, s := range signals {
			if r.Signal == s {
				return true
			}
		}
	}
	return false
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	if strings.Contains(string(p), "health changed") {
		w.t.Log(strings.TrimSpace(string(p)))
	}
	return len(p), nil
}

// TestAgentShowsDemoMetrics is `make run` without the script: the agent on
// the embedded default config (own listen address and state dir) shows the
// demo workload's real GC and scheduling series on /metrics within 10 s.
func TestAgentShowsDemoMetrics(t *testing.T) {
	probe, err := probes.New(probes.Config{}, probes.Deps{Logger: slog.New(slog.DiscardHandler), Sink: agentNopSink{}})
	privtest.Require(t, err == nil, "cannot load BPF programs: "+errString(err))
	probe.Close()
	bin := filepath.Join(t.TempDir(), "gopulse-demo")
	if out, err := exec.Command("go", "build", "-o", bin, "../../examples/demo").CombinedOutput(); err != nil {
		t.Fatalf("build demo: %v\n%s", err, out)
	}
	t.Setenv("GOPULSE_LISTEN", "127.0.0.1:0")
	t.Setenv("GOPULSE_STATE_DIR", t.TempDir())
	cfg, err := config.Default()
	if err != nil {
		t.Fatal(err)
	}
	demo, _ := startTarget(t, bin, "healthy:60s")
	start := time.Now()
	logger := slog.New(slog.DiscardHandler)
	a, err := agent.New(cfg, agent.Deps{Logger: logger, NewRuntimeSource: agent.NewProbeSource(cfg, logger, agent.ProbeOptions{})})
	if err != nil {
		t.Fatal(err)
	}
	addr, err := a.Listen()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	defer func() {
		cancel()
		<-done
		a.Close()
	}()
	pid := fmt.Sprintf(`pid="%d"`, demo.Process.Pid)
	want := []string{"gopulse_go_gc_cycles_total{", "gopulse_go_sched_latency_seconds_count{", "gopulse_go_stw_pause_seconds_count{", "gopulse_go_goroutines{"}
	var missing []string
	for time.Since(start) < 10*time.Second {
		time.Sleep(250 * time.Millisecond)
		resp, err := http.Get("http://" + addr.String() + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		missing = missing[:0]
		for _, w := range want {
			found := false
			for _, line := range strings.Split(string(body), "\n") {
				// a real value: the series exists for the demo and is not 0
				if strings.HasPrefix(line, w) && strings.Contains(line, pid) && !strings.HasSuffix(line, " 0") {
					found = true
					break
				}
			}
			if !found {
				missing = append(missing, w)
			}
		}
		if len(missing) == 0 {
			t.Logf("demo series with real values after %s", time.Since(start).Round(10*time.Millisecond))
			return
		}
	}
	t.Fatalf("after 10s /metrics still lacks non-zero %v for %s", missing, pid)
}
