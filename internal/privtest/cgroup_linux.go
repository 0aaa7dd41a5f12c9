package privtest

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// CPULimitCgroup makes a new cgroup limited to quota µs of CPU per 100 ms
// period, in cgroup v1's cpu hierarchy when the machine has one (the cpu
// controller then lives there), else in cgroup v2 (enabling the cpu
// controller in the root's subtree_control), removed when t ends. It
// returns the file to write a pid into. Without the means to make one it
// skips t, or fails it where privileged tests are required.
func CPULimitCgroup(t testing.TB, quota int) string {
	t.Helper()
	name := fmt.Sprintf("gopulse-test-%d", os.Getpid())
	for _, m := range []string{"/sys/fs/cgroup/cpu", "/sys/fs/cgroup/cpu,cpuacct"} {
		if _, err := os.Stat(filepath.Join(m, "cpu.cfs_quota_us")); err != nil {
			continue
		}
		dir := filepath.Join(m, name)
		if err := os.Mkdir(dir, 0o755); err != nil {
			Require(t, false, fmt.Sprintf("make a cgroup: %v", err))
		}
		t.Cleanup(func() { os.Remove(dir) })
		for _, fv := range [][2]string{{"cpu.cfs_period_us", "100000"}, {"cpu.cfs_quota_us", strconv.Itoa(quota)}} {
			if err := os.WriteFile(filepath.Join(dir, fv[0]), []byte(fv[1]), 0); err != nil {
				t.Fatalf("write %s: %v", fv[0], err)
			}
		}
		return filepath.Join(dir, "cgroup.procs")
	}
	root := "/sys/fs/cgroup"
	if _, err := os.Stat(filepath.Join(root, "cgroup.controllers")); err != nil {
		Require(t, false, "no cgroup v1 cpu hierarchy and no cgroup v2 at /sys/fs/cgroup")
	}
	if err := os.WriteFile(filepath.Join(root, "cgroup.subtree_control"), []byte("+cpu"), 0); err != nil {
		Require(t, false, fmt.Sprintf("enable the cpu controller: %v", err))
	}
	dir := filepath.Join(root, name)
	if err := os.Mkdir(dir, 0o755); err != nil {
		Require(t, false, fmt.Sprintf("make a cgroup: %v", err))
	}
	t.Cleanup(func() { os.Remove(dir) })
	if err := os.WriteFile(filepath.Join(dir, "cpu.max"), []byte(strconv.Itoa(quota)+" 100000"), 0); err != nil {
		t.Fatalf("write cpu.max: %v", err)
	}
	return filepath.Join(dir, "cgroup.procs")
}
