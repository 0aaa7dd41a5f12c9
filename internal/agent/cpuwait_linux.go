//go:build linux

package agent

import (
	"bytes"
	"os"
	"strconv"
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
	return &cpuWait{procs: map[uint32]*cpuWaitProc{}, buf: make([]byte, 0, 128)}
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
