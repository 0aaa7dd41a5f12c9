//go:build linux

package agent

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// cpuWait reads how long each process's threads ran on a CPU and waited
// for one while runnable, from /proc/PID/task/TID/schedstat (the kernel's
// sched_info: on-CPU time, run-queue wait, timeslices; present when the
// kernel has CONFIG_SCHED_INFO, as distribution kernels do). It implements
// health.CPUWaiter: the totals it returns never decrease, though threads
// come and go (each thread adds what it did since the previous reading).
type cpuWait struct {
	mu    sync.Mutex
	procs map[uint32]*cpuWaitProc
	calls int
	buf   []byte
	cgBuf []byte // /proc/PID/cgroup, cpu.stat
	// cgroupRoot is where the cgroup file systems are mounted.
	cgroupRoot string
}

type cpuWaitProc struct {
	threads   map[int]threadSched // by tid, at the previous reading
	seen      map[int]threadSched // this reading's, swapped with threads
	run, wait time.Duration       // totals
	last      time.Time
}

type threadSched struct{ run, wait uint64 }

// cpuWaitForget: a process not read for this long is forgotten (it exited).
const cpuWaitForget = 10 * time.Minute

func newCPUWait() *cpuWait {
	return &cpuWait{procs: map[uint32]*cpuWaitProc{}, buf: make([]byte, 0, 128), cgBuf: make([]byte, 0, 4096), cgroupRoot: "/sys/fs/cgroup"}
}

// CPUWait implements health.CPUWaiter.
func (c *cpuWait) CPUWait(pid uint32) (run, wait time.Duration, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := time.Now()
	if c.calls++; c.calls%1024 == 0 {
		for k, p := range c.procs {
			if now.Sub(p.last) > cpuWaitForget {
				delete(c.procs, k)
			}
		}
	}
	dir := "/proc/" + strconv.FormatUint(uint64(pid), 10) + "/task/"
	d, err := os.Open(dir)
	if err != nil {
		delete(c.procs, pid)
		return 0, 0, false
	}
	names, err := d.Readdirnames(-1)
	d.Close()
	if err != nil {
		return 0, 0, false
	}
	p := c.procs[pid]
	if p == nil {
		p = &cpuWaitProc{threads: map[int]threadSched{}, seen: map[int]threadSched{}}
		c.procs[pid] = p
	}
	clear(p.seen)
	for _, name := range names {
		tid, err := strconv.Atoi(name)
		if err != nil {
			continue
		}
		ts, ok := c.readThread(dir + name + "/schedstat")
		if !ok {
			continue // exited meanwhile
		}
		prev := p.threads[tid] // a new thread: all it did
		if ts.run >= prev.run && ts.wait >= prev.wait {
			p.run += time.Duration(ts.run - prev.run)
			p.wait += time.Duration(ts.wait - prev.wait)
		}
		p.seen[tid] = ts
	}
	if len(p.seen) == 0 {
		return 0, 0, false // no schedstat (kernel without sched_info)
	}
	p.threads, p.seen = p.seen, p.threads
	p.last = now
	return p.run, p.wait, true
}

// readThread parses "RUN_NS WAIT_NS SLICES".
func (c *cpuWait) readThread(path string) (threadSched, bool) {
	f, err := os.Open(path)
	if err != nil {
		return threadSched{}, false
	}
	n, err := f.Read(c.buf[:cap(c.buf)])
	f.Close()
	if err != nil || n == 0 {
		return threadSched{}, false
	}
	fields := bytes.Fields(c.buf[:n])
	if len(fields) < 2 {
		return threadSched{}, false
	}
	run, err1 := strconv.ParseUint(string(fields[0]), 10, 64)
	wait, err2 := strconv.ParseUint(string(fields[1]), 10, 64)
	if err1 != nil || err2 != nil {
		return threadSched{}, false
	}
	return threadSched{run, wait}, true
}

// CPUThrottle implements health.CPUThrottler: the CFS bandwidth periods
// of the process's cgroup and its ancestors (nr_periods, counted while a
// CPU limit is set and the group has work) and how many of them were
// throttled (nr_throttled: the limit ran out before the period ended),
// summed over the levels, from cpu.stat of the cgroup that /proc/PID/cgroup
// names for the cpu controller: cgroup v1's cpu hierarchy when there is
// one, else cgroup v2's unified one. ok is false when neither has a
// cpu.stat with these counters (no cpu controller, cgroup outside the
// agent's cgroup namespace, the process exited).
func (c *cpuWait) CPUThrottle(pid uint32) (periods, throttled uint64, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n, err := c.readSmall("/proc/" + strconv.FormatUint(uint64(pid), 10) + "/cgroup")
	if err != nil {
		return 0, 0, false
	}
	v1, v2, has1, has2 := cgroupCPUPaths(c.cgBuf[:n])
	// Candidates: v1's cpu hierarchy (alone or co-mounted with cpuacct),
	// then v2's unified hierarchy (pure v2, or hybrid's "unified").
	if has1 {
		for _, m := range [...]string{"/cpu", "/cpu,cpuacct", "/cpuacct,cpu"} {
			if p, t, ok := c.sumCPUStat(c.cgroupRoot+m, v1); ok {
				return p, t, true
			}
		}
	}
	if has2 {
		for _, m := range [...]string{"", "/unified"} {
			if p, t, ok := c.sumCPUStat(c.cgroupRoot+m, v2); ok {
				return p, t, true
			}
		}
	}
	return 0, 0, false
}

// cgroupCPUPaths finds, in /proc/PID/cgroup, the cgroup v1 path of the
// cpu controller ("N:cpu,cpuacct:/path") and the v2 path ("0::/path").
// A path outside the reader's cgroup namespace ("/../x") is not usable.
func cgroupCPUPaths(b []byte) (v1, v2 string, has1, has2 bool) {
	for len(b) > 0 {
		line := b
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			line, b = b[:i], b[i+1:]
		} else {
			b = nil
		}
		i := bytes.IndexByte(line, ':')
		if i < 0 {
			continue
		}
		j := bytes.IndexByte(line[i+1:], ':')
		if j < 0 {
			continue
		}
		ctrls, path := line[i+1:i+1+j], line[i+2+j:]
		if len(path) == 0 || path[0] != '/' || bytes.Contains(path, []byte("/..")) {
			continue
		}
		if len(ctrls) == 0 {
			v2, has2 = string(path), true
			continue
		}
		for c := range bytes.SplitSeq(ctrls, []byte(",")) {
			if string(c) == "cpu" {
				v1, has1 = string(path), true
			}
		}
	}
	return v1, v2, has1, has2
}

// sumCPUStat sums nr_periods and nr_throttled from mount+path/cpu.stat
// and every ancestor's up to the mount's root: a limit set on a parent
// (a pod's, over its containers') throttles the process as well.
func (c *cpuWait) sumCPUStat(mount, path string) (periods, throttled uint64, ok bool) {
	path = strings.TrimSuffix(path, "/")
	for leaf := true; ; leaf = false {
		p, t, err := c.readCPUStat(mount + path + "/cpu.stat")
		switch {
		case err == nil:
			periods, throttled, ok = periods+p, throttled+t, true
		case leaf && !errors.Is(err, errNoBandwidth):
			return 0, 0, false // the process's own cgroup is not in this hierarchy
		}
		if path == "" {
			return periods, throttled, ok
		}
		path = path[:strings.LastIndexByte(path, '/')]
	}
}

// errNoBandwidth: a cpu.stat without CFS bandwidth counters (cgroup v2's
// root, or a kernel without CONFIG_CFS_BANDWIDTH).
var errNoBandwidth = errors.New("cpu.stat has no nr_periods/nr_throttled")

// readCPUStat parses nr_periods and nr_throttled from a cpu.stat.
func (c *cpuWait) readCPUStat(path string) (periods, throttled uint64, err error) {
	n, err := c.readSmall(path)
	if err != nil {
		return 0, 0, err
	}
	var haveP, haveT bool
	for b := c.cgBuf[:n]; len(b) > 0; {
		line := b
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			line, b = b[:i], b[i+1:]
		} else {
			b = nil
		}
		k, v, found := bytes.Cut(line, []byte(" "))
		if !found {
			continue
		}
		switch string(k) {
		case "nr_periods":
			periods, err = strconv.ParseUint(string(v), 10, 64)
			haveP = err == nil
		case "nr_throttled":
			throttled, err = strconv.ParseUint(string(v), 10, 64)
			haveT = err == nil
		}
		if err != nil {
			return 0, 0, fmt.Errorf("parse %s: %w", path, err)
		}
	}
	if !haveP || !haveT {
		return 0, 0, fmt.Errorf("%s: %w", path, errNoBandwidth)
	}
	return periods, throttled, nil
}

// readSmall reads a small file whole into c.cgBuf.
func (c *cpuWait) readSmall(path string) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	n, err := io.ReadFull(f, c.cgBuf[:cap(c.cgBuf)])
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		return n, nil
	case err != nil:
		return 0, fmt.Errorf("read %s: %w", path, err)
	}
	return 0, fmt.Errorf("read %s: longer than %d bytes", path, cap(c.cgBuf))
}
