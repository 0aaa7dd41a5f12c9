package main

import (
	"os/exec"
	"runtime"
	"testing"
	"time"

	"github.com/gopulse/gopulse/internal/health"
)

// TestHealthSchedCPUContention runs the agent with real probes against
// the noisy-but-healthy demo target while busy processes beside it
// saturate the machine's CPUs: every process's scheduling latency rises,
// the target's threads wait for a CPU most of the time they are runnable,
// and the agent says so (signals cpu_wait and sched_p99_excused) instead
// of making the target degraded or draining it. The scheduling-latency
// threshold is set low (20 ms) so that the contention crosses it, and the
// other signals' thresholds high: this test is about the scheduling
// latency alone (TestHealthRealTargets covers the rest).
func TestHealthSchedCPUContention(t *testing.T) {
	requireProbes(t)

	bin := buildDemo(t)
	target, _ := startTarget(t, bin, "noisy:120s")
	// The node's other work: four busy processes per CPU.
	for range 4 * runtime.NumCPU() {
		hog := exec.Command("sh", "-c", "while :; do :; done")
		if err := hog.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { hog.Process.Kill(); hog.Wait() })
	}

	a, cfg := runProbeAgent(t, `  window: 2s
  worsen_after: 3
  recover_after: 3
  sched_p99: {degraded: 20ms, unhealthy: 100ms}
  sched_cpu_wait: 50%
  stw_p99: {degraded: 5s, unhealthy: 10s}
  stw_max: {degraded: 5s, unhealthy: 10s}
  gc_cpu: {degraded: 99%, unhealthy: 100%}
  error_rate: {degraded: 1000, unhealthy: 10000, min_events: 10}
  new_error_template_burst: 100000
`)

	pid := target.Process.Pid
	// Twelve measured windows, each looked at once.
	const want = 12
	var last uint64
	var measured, waited, over, excused int
	deadline := time.Now().Add(want*cfg.Health.Window + time.Minute)
	for measured < want {
		if time.Now().After(deadline) {
			s, _ := statusOf(a, pid)
			t.Fatalf("only %d windows measured: %+v", measured, s)
		}
		time.Sleep(100 * time.Millisecond)
		s, ok := statusOf(a, pid)
		if !ok {
			continue
		}
		if s.State != health.Healthy && !(s.State == health.Unknown && s.Measured < a.Engine().MinWindows()) || s.Drained {
			t.Fatalf("target changed state under CPU contention: %+v", s)
		}
		if s.Windows == last || s.Signals.Events == 0 {
			continue
		}
		last = s.Windows
		measured++
		sig := s.Signals
		w := -1.0
		if sig.CPUWait != nil {
			w = *sig.CPUWait
		}
		if w >= cfg.Health.SchedCPUWait {
			waited++
		}
		if sig.SchedP99 >= cfg.Health.SchedP99.Degraded.Seconds() {
			over++
			if sig.SchedExcused == "" {
				t.Errorf("window %d: scheduling latency p99 %.1f ms not excused (cpu wait %.2f)", s.Windows, sig.SchedP99*1e3, w)
			} else {
				excused++
			}
		}
		t.Logf("window %d: sched p99 %.1f ms, cpu wait %.2f %s", s.Windows, sig.SchedP99*1e3, w, sig.SchedExcused)
	}
	// The busy processes must really have kept the target's threads
	// waiting, and its scheduling latency over the threshold: else this
	// test proved nothing.
	if waited < want/2 || excused == 0 {
		t.Fatalf("%d of %d windows with the threads waiting for a CPU ≥ %.0f%%, %d over the latency threshold, %d excused: the contention did not show",
			waited, measured, cfg.Health.SchedCPUWait*100, over, excused)
	}
	if n := a.Engine().DecisionCount(uint32(pid), health.Drain); n != 0 {
		t.Errorf("target drained %d times", n)
	}
	t.Logf("%d windows: %d with cpu wait ≥ %.0f%%, %d over the latency threshold, all excused", measured, waited, cfg.Health.SchedCPUWait*100, over)
}
