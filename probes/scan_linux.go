//go:build linux && (amd64 || arm64)

package probes

import (
	"bytes"
	"errors"
	"os"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/gopulse/gopulse/internal/procnet"
	"github.com/gopulse/gopulse/probes/gobin"
)

// discovery finds the Go processes to probe (Config.All): every rescan it
// lists /proc, skips what it decided before, waits until a process is
// Config.MinAge old (build tools and other short-lived Go programs come
// and go without costing a binary analysis and an attach each), asks
// Config.Select, and watches the processes selected. Callers of scan hold
// no lock; the Manager's mu is taken around the parts that need it.
type discovery struct {
	// seen: processes decided against (not selected, not Go, cannot be
	// probed), by pid, with their start time and executable: a pid reused
	// or a process that exec'd another program is decided again.
	seen    map[int]seenProc
	pending map[int]time.Time // pod metadata awaited since
	isGo    map[exeKey]bool   // executables looked at: built by Go or not
	nets    netTables         // this scan's listening sockets, per network namespace
	scanned bool              // the first scan takes every process, whatever its age
	scans   int
	// sel is the selection in force (Config.Select and MinAge, then
	// SetSelection's); changed tells scan to decide every process again.
	sel     atomic.Pointer[selection]
	changed atomic.Bool
	done    atomic.Int64 // scans finished, for tests
}

func (m *Manager) scansDone() int { return int(m.disc.done.Load()) }

type selection struct {
	sel    *Selector
	minAge time.Duration
}

// SetSelection replaces the selection of the processes that discovery
// (Config.All) probes and their minimum age (a config reload). The next
// rescan decides every process again: the newly selected are probed, and
// the processes discovery attached to that are not selected any more are
// detached (reported as KindProcExit). Processes watched by pid (Watch,
// Config.PIDs, StartCommand) stay. Safe for concurrent use.
func (m *Manager) SetSelection(sel *Selector, minAge time.Duration) {
	m.disc.sel.Store(&selection{sel: sel, minAge: minAge})
	m.disc.changed.Store(true)
}

func (m *Manager) selection() *selection {
	if s := m.disc.sel.Load(); s != nil {
		return s
	}
	return &selection{sel: m.cfg.Select, minAge: m.cfg.MinAge}
}

type seenProc struct {
	start uint64
	key   exeKey
	// retry: not selected by a rule that may change its mind while the
	// process runs (it may open a listening port later): asked again at
	// every recheck.
	retry bool
}

// recheckEvery is how many scans pass between rereads of the start time and
// executable of processes decided against: reading /proc/PID/stat of every
// process every second was a third of the agent's CPU.
const recheckEvery = 10

// podWait bounds how long a decision waits for a pod's metadata; after it,
// rules on pods do not match that process (and a warning says so).
const podWait = time.Minute

// clockTicks is USER_HZ, the unit of /proc/PID/stat start times (100 on
// every Linux architecture Go supports).
const clockTicks = 100

type candidate struct {
	pid   int
	start uint64
	key   exeKey
}

// scan attaches to the selected Go processes not watched yet.
func (m *Manager) scan() {
	pids, err := listPIDs()
	if err != nil {
		m.log.Warn("list processes", "err", err)
		return
	}
	up, err := uptimeTicks()
	if err != nil {
		m.log.Warn("read uptime", "err", err)
		return
	}
	d := &m.disc
	if d.seen == nil {
		d.seen, d.pending, d.isGo, d.nets = map[int]seenProc{}, map[int]time.Time{}, map[exeKey]bool{}, netTables{}
	}
	cur := m.selection()
	if d.changed.Swap(false) {
		clear(d.seen)
		clear(d.pending)
		m.dropUnselected(cur.sel)
	}
	self := os.Getpid()
	d.scans++
	recheck := d.scans%recheckEvery == 0
	alive := make(map[int]bool, len(d.seen))
	var cands []candidate

	m.mu.Lock()
	for _, pid := range pids {
		if pid == self || m.closed {
			continue
		}
		if _, ok := m.ps.procs[uint32(pid)]; ok {
			continue
		}
		s, wasSeen := d.seen[pid]
		if wasSeen && !recheck {
			alive[pid] = true
			continue
		}
		start, err := procStartTime(pid)
		if err != nil {
			continue // gone, or a zombie
		}
		alive[pid] = true
		_, key, err := procExe(pid)
		if err != nil {
			// A kernel thread (or gone): remembered, so that it costs
			// no reads until the next recheck.
			d.seen[pid] = seenProc{start: start}
			continue
		}
		if wasSeen && s.start == start && s.key == key && !s.retry {
			continue
		}
		delete(d.seen, pid)
		if _, bad := m.ps.rejected[key]; bad {
			d.seen[pid] = seenProc{start: start, key: key}
			continue
		}
		if d.scanned && cur.minAge > 0 && time.Duration(up-start)*time.Second/clockTicks < cur.minAge {
			continue // too young: look again next time
		}
		cands = append(cands, candidate{pid, start, key})
	}
	m.mu.Unlock()
	for pid := range d.seen {
		if !alive[pid] {
			delete(d.seen, pid)
		}
	}
	for pid := range d.pending {
		if !alive[pid] {
			delete(d.pending, pid)
		}
	}
	d.scanned = true

	defer d.done.Add(1)
	// The selection reads /proc (command line, sockets) and may ask the
	// pod lookup over the network: outside the lock, and only for Go
	// programs (a look at the executable's headers, once per executable).
	chosen := cands[:0]
	clear(d.nets)
	for _, c := range cands {
		if !d.goExe(c) {
			d.seen[c.pid] = seenProc{start: c.start, key: c.key}
			continue
		}
		if m.selected(cur.sel, c) {
			chosen = append(chosen, c)
		}
	}
	if len(chosen) == 0 {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, c := range chosen {
		if m.closed {
			return
		}
		if _, bad := m.ps.rejected[c.key]; bad {
			d.seen[c.pid] = seenProc{start: c.start, key: c.key}
			continue
		}
		if _, ok := m.ps.procs[uint32(c.pid)]; ok {
			// Watched meanwhile (Watch, StartCommand): not discovery's.
			continue
		}
		delete(d.seen, c.pid)
		err := m.watchLocked(c.pid, m.cfg.Trace)
		if p := m.ps.procs[uint32(c.pid)]; err == nil && p != nil {
			p.discovered = true
		}
		if err != nil {
			// An exec between the look at the process and the attach:
			// the next scan sees its new executable.
			if errors.Is(err, ErrProcessExited) || errors.Is(err, errExeSwapped) {
				continue
			}
			m.ps.rejected[c.key] = err
			d.seen[c.pid] = seenProc{start: c.start, key: c.key}
			if !errors.Is(err, gobin.ErrNotGo) {
				m.log.Info("cannot probe process", "pid", c.pid, "err", err)
			}
		}
	}
}

// selected asks Config.Select about c, recording a refusal in seen. A
// decision waiting for pod metadata is postponed to a later scan, at
// most podWait.
func (m *Manager) selected(sel *Selector, c candidate) bool {
	d := &m.disc
	if sel == nil {
		return true
	}
	p := procCandidate{pid: c.pid, pods: m.deps.Pods, nets: d.nets}
	ok, err := sel.Select(p)
	if errors.Is(err, ErrPodPending) {
		since, waiting := d.pending[c.pid]
		if !waiting {
			d.pending[c.pid] = time.Now()
			return false
		}
		if time.Since(since) < podWait {
			return false
		}
		delete(d.pending, c.pid)
		m.log.Warn("pod metadata still unknown: rules on pods do not match this process", "pid", c.pid, "err", err)
		p.noPod = true
		ok, err = sel.Select(p)
	}
	delete(d.pending, c.pid)
	if err != nil || !ok {
		d.seen[c.pid] = seenProc{start: c.start, key: c.key, retry: sel.Dynamic()}
		m.log.Debug("process not selected", "pid", c.pid, "exe", p.Exe())
		return false
	}
	return true
}

// dropUnselected detaches the processes discovery attached to that sel
// does not select any more (a pod rule whose metadata is unknown keeps the
// process).
func (m *Manager) dropUnselected(sel *Selector) {
	if sel == nil {
		return
	}
	m.mu.Lock()
	var pids []int
	for pid, p := range m.ps.procs {
		if p.discovered {
			pids = append(pids, int(pid))
		}
	}
	m.mu.Unlock()
	var drop []int
	for _, pid := range pids {
		if ok, err := sel.Select(procCandidate{pid: pid, pods: m.deps.Pods}); err == nil && !ok {
			drop = append(drop, pid)
		}
	}
	if len(drop) == 0 {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.at.batchClose(func() {
		for _, pid := range drop {
			if p := m.ps.procs[uint32(pid)]; p != nil && p.discovered {
				m.log.Info("process not selected any more: detached", "pid", pid, "exe", p.info.Exe)
				m.unwatchLocked(pid, nil)
			}
		}
	})
}

// goExe reports whether c runs a Go program (its build information or
// pclntab), once per executable; a process gone meanwhile is not.
func (d *discovery) goExe(c candidate) bool {
	if ok, known := d.isGo[c.key]; known {
		return ok
	}
	if len(d.isGo) >= 4096 {
		clear(d.isGo) // build machines make executables by the thousand
	}
	b, err := gobin.Open("/proc/" + strconv.Itoa(c.pid) + "/exe")
	if err != nil {
		if errors.Is(err, gobin.ErrNotGo) {
			d.isGo[c.key] = false
		}
		return false
	}
	b.Close()
	d.isGo[c.key] = true
	return true
}

// procCandidate reads a process's facts from /proc for the Selector.
type procCandidate struct {
	pid   int
	pods  PodLookup
	noPod bool      // its pod's metadata never came: rules on pods do not match
	nets  netTables // nil: read the tables every time
}

// netTables caches the listening sockets (inode → port) of each network
// namespace for one scan: the processes of a namespace share its tables.
type netTables map[string]procnet.Listening

func (c procCandidate) dir() string { return "/proc/" + strconv.Itoa(c.pid) }

func (c procCandidate) Exe() string { return readlink(c.dir() + "/exe") }

func (c procCandidate) Cmdline() string {
	b, err := os.ReadFile(c.dir() + "/cmdline")
	if err != nil {
		return ""
	}
	b = bytes.TrimRight(b, "\x00")
	return string(bytes.ReplaceAll(b, []byte{0}, []byte{' '}))
}

func (c procCandidate) Pod() (Pod, bool, error) {
	if c.pods == nil || c.noPod {
		return Pod{}, false, nil
	}
	return c.pods.PodOf(c.pid)
}

func (c procCandidate) ListenPorts() []uint16 { return listenPorts(c.dir(), c.nets) }

// listenPorts returns the TCP ports the process listens on: the sockets in
// state LISTEN of its network namespace's tables that one of its
// descriptors holds (the tables read once per namespace and scan).
func listenPorts(dir string, nets netTables) []uint16 {
	ns, err := os.Readlink(dir + "/ns/net")
	l, ok := nets[ns]
	if !ok || err != nil {
		l, _ = procnet.ReadListening(dir) // unreadable: no ports known
		if err == nil && nets != nil {
			nets[ns] = l
		}
	}
	return l.HeldPorts(dir)
}

func uptimeTicks() (uint64, error) {
	b, err := os.ReadFile("/proc/uptime")
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
