//go:build linux

package agent

import (
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/gopulse/gopulse/internal/privtest"
)

// TestCPUThrottleReadsCgroup puts a busy shell in a cgroup limited to 5%
// of a CPU: the reader sees its periods throttled (nearly all of them: it
// always wants more than its 5 ms), and its threads' run-queue wait
// grows with the throttling (why the wait alone cannot tell a saturated
// node from a process over its own limit). This test process, in no
// limited cgroup, has no throttled periods.
func TestCPUThrottleReadsCgroup(t *testing.T) {
	privtest.Require(t, privtest.IsRoot(), "making a cgroup needs root")
	// 5 ms of each 100 ms period, not more: with 20 ms, a machine loaded
	// ~14 runnable threads per core gave the shell only 12 ms of each
	// period, so it seldom used its quota up and was throttled in 5% of
	// its periods (seen in a make test beside other jobs).
	procs := privtest.CPULimitCgroup(t, 5000)
	c := newCPUWait()

	self := uint32(os.Getpid())
	_, thr0, ok := c.CPUThrottle(self)
	if !ok {
		t.Fatal("this process's cgroup throttling unknown")
	}

	cmd := exec.Command("sh", "-c", "read x; while :; do :; done")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	pid := uint32(cmd.Process.Pid)
	if err := os.WriteFile(procs, []byte(strconv.Itoa(cmd.Process.Pid)), 0); err != nil {
		t.Fatalf("move %d into the cgroup: %v", pid, err)
	}
	p0, t0, ok := c.CPUThrottle(pid)
	if !ok {
		t.Fatal("the limited process's throttling unknown")
	}
	run0, wait0, ok := c.CPUWait(pid)
	if !ok {
		t.Fatal("the limited process's cpu wait unknown")
	}
	stdin.Close() // start spinning
	var p1, t1 uint64
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(50 * time.Millisecond) {
		if p1, t1, ok = c.CPUThrottle(pid); !ok {
			t.Fatal("the limited process's throttling unknown")
		}
		if p1 < p0 || t1 < t0 {
			t.Fatalf("counters decreased: periods %d → %d, throttled %d → %d", p0, p1, t0, t1)
		}
		if p1-p0 >= 20 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d periods in a minute of a busy process limited to 5%%", p1-p0)
		}
	}
	share := float64(t1-t0) / float64(p1-p0)
	run1, wait1, _ := c.CPUWait(pid)
	t.Logf("limited process: %d periods, %d throttled (%.0f%%); ran %v, waited %v", p1-p0, t1-t0, share*100, run1-run0, wait1-wait0)
	// It spins all the time and gets 5 ms of each 100 ms: it runs out in
	// every period it is runnable through, unless the machine is so busy
	// that it gets less than 5% of a core in a period.
	if share < 0.5 {
		t.Fatalf("throttled in %.0f%% of the periods, want most", share*100)
	}
	if wait1-wait0 < run1-run0 {
		t.Fatalf("throttled process waited %v for %v run: expected the throttling to show as run-queue wait", wait1-wait0, run1-run0)
	}
	if _, thr1, ok := c.CPUThrottle(self); !ok || thr1 != thr0 {
		t.Fatalf("this unlimited process's throttled periods %d → %d (ok %v)", thr0, thr1, ok)
	}
	if _, _, ok := c.CPUThrottle(1 << 30); ok {
		t.Fatal("a pid that does not exist is known")
	}
}

// TestCgroupCPUPaths parses /proc/PID/cgroup as v1, hybrid and v2 write it.
func TestCgroupCPUPaths(t *testing.T) {
	for in, want := range map[string][4]string{
		"0::/kubepods/pod1/c1\n": {"", "/kubepods/pod1/c1", "", "v2"},
		"12:cpu,cpuacct:/docker/abc\n11:memory:/docker/abc\n0::/system.slice\n": {"/docker/abc", "/system.slice", "v1", "v2"},
		"1:cpu:/\n0::/\n":   {"/", "/", "v1", "v2"},
		"0::/../../other\n": {"", "", "", ""},
		"garbage":           {"", "", "", ""},
	} {
		v1, v2, has1, has2 := cgroupCPUPaths([]byte(in))
		got := [4]string{v1, v2, "", ""}
		if has1 {
			got[2] = "v1"
		}
		if has2 {
			got[3] = "v2"
		}
		if got != want {
			t.Errorf("%q: got %q, want %q", in, got, want)
		}
	}
}
