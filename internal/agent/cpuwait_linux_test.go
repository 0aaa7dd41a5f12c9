//go:build linux

package agent

import (
	"os"
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

// TestCPUWaitReadsSchedstat reads this test process's own threads: the
// totals never decrease, the run time grows by about the CPU a busy
// goroutine burns, and a pid that does not exist is unknown.
func TestCPUWaitReadsSchedstat(t *testing.T) {
	if _, err := os.Stat("/proc/self/schedstat"); err != nil {
		t.Skip("no schedstat on this kernel (CONFIG_SCHED_INFO)")
	}
	c := newCPUWait()
	pid := uint32(os.Getpid())
	run0, wait0, ok := c.CPUWait(pid)
	if !ok {
		t.Fatal("own process unknown")
	}
	var stop atomic.Bool
	done := make(chan struct{})
	go func() {
		defer close(done)
		runtime.LockOSThread() // a thread that may exit when the goroutine ends
		for !stop.Load() {
		}
	}()
	var run1, wait1 time.Duration
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(10 * time.Millisecond) {
		if run1, wait1, ok = c.CPUWait(pid); !ok {
			t.Fatal("own process unknown")
		}
		if run1 < run0 || wait1 < wait0 {
			t.Fatalf("totals decreased: run %v → %v, wait %v → %v", run0, run1, wait0, wait1)
		}
		if run1-run0 >= 200*time.Millisecond {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("run time grew by %v in a minute of a busy goroutine", run1-run0)
		}
	}
	stop.Store(true)
	<-done
	// The locked thread exits with its goroutine: the totals stay.
	for range 10 {
		run2, wait2, ok := c.CPUWait(pid)
		if !ok || run2 < run1 || wait2 < wait1 {
			t.Fatalf("after a thread exited: run %v → %v, wait %v → %v (ok %v)", run1, run2, wait1, wait2, ok)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if _, _, ok := c.CPUWait(1 << 30); ok {
		t.Fatal("a pid that does not exist is known")
	}
}
