package main

import (
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gopulse/gopulse/internal/health"
	"github.com/gopulse/gopulse/internal/privtest"
)

// TestHealthSchedCPUThrottled runs the agent with real probes against the
// noisy demo target inside a cgroup limited to 5% of a CPU: its threads
// wait for a CPU most of their runnable time, as on a saturated node
// (TestHealthSchedCPUContention), but the wait is its own limit's: the
// agent sees the cgroup throttled (signals cpu_throttled), does not excuse
// the scheduling latency, and drains the target.
func TestHealthSchedCPUThrottled(t *testing.T) {
	requireProbes(t)
	privtest.Require(t, privtest.IsRoot(), "making a cgroup needs root")
	procs := privtest.CPULimitCgroup(t, 5000)

	bin := buildDemo(t)
	target, _ := startTarget(t, bin, "noisy:120s")
	pid := target.Process.Pid
	if err := os.WriteFile(procs, []byte(strconv.Itoa(pid)), 0); err != nil {
		t.Fatalf("move the target into the cgroup: %v", err)
	}

	// worsen_after 1: what is under test is whether the latency is
	// excused, not the hysteresis. Under a 5 ms/100 ms quota the p99 of a
	// window lands just over 100 ms (a period's wait) in some windows and
	// at a few ms in others (a burst of short waits), so three windows in
	// a row over it could take minutes on a busy machine (a clean-clone CI
	// run stayed degraded for 54 windows).
	a, cfg := runProbeAgent(t, `  window: 2s
  worsen_after: 1
  recover_after: 3
  sched_p99: {degraded: 20ms, unhealthy: 100ms}
  sched_cpu_wait: 50%
  stw_p99: {degraded: 5s, unhealthy: 10s}
  stw_max: {degraded: 5s, unhealthy: 10s}
  gc_cpu: {degraded: 99%, unhealthy: 100%}
  error_rate: {degraded: 1000, unhealthy: 10000, min_events: 10}
  new_error_template_burst: 100000
`)

	var last uint64
	var judged int // windows over the threshold, waiting ≥ 50%, throttled, not excused
	deadline := time.Now().Add(60*cfg.Health.Window + time.Minute)
	for a.Engine().DecisionCount(uint32(pid), health.Drain) == 0 || judged == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("target not drained (%d windows judged under throttling)", judged)
		}
		time.Sleep(100 * time.Millisecond)
		s, _ := statusOf(a, pid)
		if s.Windows == last || s.Signals.Events == 0 {
			continue
		}
		last = s.Windows
		sig := s.Signals
		w, thr := -1.0, -1.0
		if sig.CPUWait != nil {
			w = *sig.CPUWait
		}
		if sig.CPUThrottled != nil {
			thr = *sig.CPUThrottled
		}
		if thr >= 0.05 && sig.SchedExcused != "" {
			t.Fatalf("window %d: throttled in %.0f%% of periods, yet excused: %s", s.Windows, thr*100, sig.SchedExcused)
		}
		over := sig.SchedP99 >= cfg.Health.SchedP99.Degraded.Seconds()
		if over && w >= cfg.Health.SchedCPUWait && thr >= 0.05 {
			judged++ // excused before the agent read the cgroup's throttling
		}
		// The reasons are the state's (set when it changed): the only
		// signal over its threshold here is the scheduling latency.
		for _, r := range s.Reasons {
			if r.Signal != "sched_p99" || !strings.Contains(r.Detail, "CPU limit throttled") {
				t.Errorf("window %d: reason %s: %s, want the scheduling latency under the CPU limit", s.Windows, r.Signal, r.Detail)
			}
		}
		t.Logf("window %d: %s sched p99 %.1f ms, cpu wait %.2f, throttled %.2f %v", s.Windows, s.State, sig.SchedP99*1e3, w, thr, s.Reasons)
	}
}
