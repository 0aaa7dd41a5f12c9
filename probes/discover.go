package probes

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"strconv"
	"time"

	"github.com/gopulse/gopulse/probes/gobin"
)

// Discoverer attaches the probes to Go processes once they have lived for
// minAge: build tools and other short-lived Go programs come and go without
// costing a binary analysis and an attach each (on a busy machine that was
// most of the agent's CPU and memory). Processes already running when the
// agent starts are taken at once.
type Discoverer struct {
	m      Watcher
	log    *slog.Logger
	minAge time.Duration
	every  time.Duration
	proc   string // "/proc"

	seen     map[int]uint64     // pid → start time (ticks) of the process handled
	rejected map[[2]uint64]bool // (dev, ino) of executables that cannot be probed
	scanned  bool               // the first scan takes every process, whatever its age
	scans    int
}

// recheckEvery is how many scans pass between rereads of the start time of
// processes already handled: reading /proc/PID/stat of every process every
// second was a third of the agent's CPU. A pid reused meanwhile by a Go
// program is found at the next recheck.
const recheckEvery = 10

// Watcher is what the Discoverer needs from a Manager.
type Watcher interface {
	Watch(pid int, trace bool) error
}

// NewDiscoverer returns a Discoverer for m (Manager.Config.All false).
func NewDiscoverer(m Watcher, log *slog.Logger, minAge time.Duration) *Discoverer {
	return &Discoverer{m: m, log: log, minAge: minAge, every: time.Second, proc: "/proc",
		seen: map[int]uint64{}, rejected: map[[2]uint64]bool{}}
}

// Run scans /proc every second until ctx is done.
func (d *Discoverer) Run(ctx context.Context) {
	t := time.NewTicker(d.every)
	defer t.Stop()
	for {
		d.scan()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// clockTicks is USER_HZ, the unit of /proc/PID/stat start times (100 on
// every Linux architecture Go supports).
const clockTicks = 100

func (d *Discoverer) scan() {
	up, err := uptimeTicks(d.proc)
	if err != nil {
		return
	}
	dir, err := os.ReadDir(d.proc)
	if err != nil {
		return
	}
	self := os.Getpid()
	alive := make(map[int]bool, len(d.seen))
	d.scans++
	recheck := d.scans%recheckEvery == 0
	for _, e := range dir {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == self {
			continue
		}
		if _, ok := d.seen[pid]; ok && !recheck {
			alive[pid] = true
			continue
		}
		start, ok := startTicks(d.proc, pid)
		if !ok {
			continue
		}
		alive[pid] = true
		if s, ok := d.seen[pid]; ok && s == start {
			continue
		}
		if d.scanned && time.Duration(up-start)*time.Second/clockTicks < d.minAge {
			continue // too young: look again next time
		}
		d.seen[pid] = start
		key, ok := procExeKey(d.proc, pid)
		if !ok || d.rejected[key] {
			continue
		}
		if err := d.m.Watch(pid, false); err != nil && !errors.Is(err, ErrProcessExited) {
			d.rejected[key] = true
			if !errors.Is(err, gobin.ErrNotGo) {
				d.log.Info("cannot probe process", "pid", pid, "err", err)
			}
		}
	}
	for pid := range d.seen {
		if !alive[pid] {
			delete(d.seen, pid)
		}
	}
	d.scanned = true
}

func uptimeTicks(proc string) (uint64, error) {
	b, err := os.ReadFile(proc + "/uptime")
	if err != nil {
		return 0, err
	}
	f, _, _ := bytes.Cut(b, []byte(" "))
	up, err := strconv.ParseFloat(string(f), 64)
	if err != nil {
		return 0, err
	}
	return uint64(up * clockTicks), nil
}

// startTicks returns field 22 of /proc/PID/stat; false for a process that
// is gone or a zombie.
func startTicks(proc string, pid int) (uint64, bool) {
	b, err := os.ReadFile(proc + "/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, false
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, false
	}
	f := bytes.Fields(b[i+1:]) // f[0] is field 3 (state)
	if len(f) < 20 || f[0][0] == 'Z' {
		return 0, false
	}
	n, err := strconv.ParseUint(string(f[19]), 10, 64)
	return n, err == nil
}
