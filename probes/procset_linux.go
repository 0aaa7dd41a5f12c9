//go:build linux && (amd64 || arm64)

package probes

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/gopulse/gopulse/event"
	"github.com/gopulse/gopulse/probes/gobin"
	"github.com/gopulse/gopulse/probes/rtstate"
)

// procSet is the set of watched processes and the executables they run.
// The Manager's methods in this file change it: watch and unwatch a
// process, discover processes (scan), find the exited ones (reap), start
// a command under the probes. Callers hold Manager.mu.
type procSet struct {
	exes     map[exeKey]*exeProbes
	procs    map[uint32]*watchedProc
	rejected map[exeKey]error // --all: executables that cannot be probed
	pollFds  []unix.PollFd
	n        atomic.Int64 // len(procs), for Stats
	// keyWarned: a started program's executable identity differed from
	// the file prepared for it (logged once).
	keyWarned bool
}

func newProcSet() procSet {
	return procSet{exes: make(map[exeKey]*exeProbes), procs: make(map[uint32]*watchedProc), rejected: make(map[exeKey]error)}
}

// anyTraced reports whether a process is in trace mode.
func (s *procSet) anyTraced() bool {
	for _, p := range s.procs {
		if p.info.Trace {
			return true
		}
	}
	return false
}

// anyTrace reports whether a process of x is in trace mode.
func (s *procSet) anyTrace(x *exeProbes) bool {
	for _, p := range s.procs {
		if p.exe == x && p.info.Trace {
			return true
		}
	}
	return false
}

// exited returns the watched processes that exited (children started by
// StartCommand excepted: their owner reaps them). One poll(2) over the
// pidfds finds them; only processes without a pidfd cost a /proc read.
func (s *procSet) exited() []int {
	s.pollFds = s.pollFds[:0]
	var gone []int
	for pid, p := range s.procs {
		switch {
		case p.child:
		case p.pidfd >= 0:
			s.pollFds = append(s.pollFds, unix.PollFd{Fd: int32(p.pidfd), Events: unix.POLLIN})
		default:
			if st, err := procStartTime(int(pid)); err != nil || st != p.start {
				gone = append(gone, int(pid))
			}
		}
	}
	if len(s.pollFds) > 0 {
		if n, err := unix.Poll(s.pollFds, 0); err == nil && n > 0 {
			for _, p := range s.procs {
				if p.pidfd < 0 {
					continue
				}
				for _, f := range s.pollFds {
					if f.Fd == int32(p.pidfd) && f.Revents != 0 {
						gone = append(gone, p.pid)
					}
				}
			}
		}
	}
	return gone
}

// closeAll releases every process's resources.
func (s *procSet) closeAll() {
	for _, p := range s.procs {
		if p.state != nil {
			p.state.Close()
		}
		if p.pidfd >= 0 {
			unix.Close(p.pidfd)
		}
	}
	s.exes, s.procs = nil, nil
	s.n.Store(0)
}

type watchedProc struct {
	pid   int
	start uint64
	exe   *exeProbes
	dec   *procDecoder
	info  ProcInfo
	leaks *LeakDetector
	state *rtstate.Reader // nil when the runtime state cannot be read
	child bool            // started by StartCommand: reaped by its owner
	// discovered: attached by discovery (Config.All), not by pid; a new
	// selection (SetSelection) may detach it.
	discovered bool
	pidfd      int // readable once the process exits; -1 if unavailable

	stateTries int // StartCommand children: rtstate.Open attempts
	// sched: the runtime's count of scheduling events at the last sample
	// (trace mode's liveness check), schedSeen once read
	sched     uint64
	schedSeen bool

	// backlog: records held during a takeover, replayed a batch per drain
	// (a burst would overflow the consumers' queues); newer records queue
	// behind them.
	backlog []rawEvent
}

// Watch attaches to pid. trace enables per-goroutine trace mode for it.
func (m *Manager) Watch(pid int, trace bool) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return ErrClosed
	}
	return m.watchLocked(pid, trace)
}

// watchLocked watches pid, finding its executable through /proc/PID/exe.
// It returns nil for a process watched already.
func (m *Manager) watchLocked(pid int, trace bool) error {
	if _, ok := m.ps.procs[uint32(pid)]; ok {
		return nil
	}
	start, err := watchStart(pid)
	if err != nil {
		return err
	}
	path, key, err := m.exeOf(pid)
	if err != nil {
		return exeErr(pid, err)
	}
	x := m.ps.exes[key]
	if x == nil {
		x, err = m.prepare(path, key)
		if err != nil {
			// A zombie keeps its /proc/PID/stat but not its exe link.
			if s, serr := procStartTime(pid); serr != nil || s != start || errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("watch pid %d: %w during attach: %w", pid, ErrProcessExited, err)
			}
			return fmt.Errorf("watch pid %d: %w", pid, err)
		}
		m.ps.exes[key] = x
	}
	return m.attachLocked(pid, start, x, path, trace, false)
}

// watchStart reads pid's start time for watching it.
func watchStart(pid int) (uint64, error) {
	start, err := procStartTime(pid)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return 0, fmt.Errorf("watch pid %d: %w", pid, ErrNoProcess)
		}
		return 0, fmt.Errorf("watch pid %d: %w", pid, ErrProcessExited)
	}
	return start, nil
}

func exeErr(pid int, err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("watch pid %d: %w: %w", pid, ErrProcessExited, err)
	}
	return fmt.Errorf("watch pid %d: %w", pid, err)
}

// watchChildLocked watches a process StartCommand started from x's
// executable (cmdPath): with x's probes, attached before the fork through
// the real path. It never analyses the child again nor attaches through
// its /proc/PID/exe (an attach that, under emulation, took long enough
// for the child to exit meanwhile). The identity /proc/PID/exe reports is
// checked against x's; see childExe for when they differ.
func (m *Manager) watchChildLocked(pid int, x *exeProbes, cmdPath string, trace bool) error {
	start, err := watchStart(pid)
	if err != nil {
		return err
	}
	procPath, key, err := m.exeOf(pid)
	if err == nil && key != x.key && key == m.self {
		procPath, key, err = m.awaitExec(pid, x)
	}
	if err != nil {
		return exeErr(pid, err)
	}
	if key != x.key {
		x, err = m.childExe(pid, x, cmdPath, procPath, key)
		if err != nil {
			if s, serr := procStartTime(pid); serr != nil || s != start {
				return fmt.Errorf("watch pid %d: %w during attach: %w", pid, ErrProcessExited, err)
			}
			return fmt.Errorf("watch pid %d: %w", pid, err)
		}
	}
	return m.attachLocked(pid, start, x, x.path, trace, true)
}

// childExecWait bounds how long a started program's exec may stay
// invisible in /proc (awaitExec).
const childExecWait = 30 * time.Second

// awaitExec waits until pid's /proc/PID/exe no longer names gopulse's own
// executable. exec.Cmd.Start returns once the child's exec succeeded, yet
// under QEMU on Debian's 6.12 kernels (amd64 and arm64; about one start in
// four, for up to a second; none on 6.1) the child's /proc/PID/exe still
// named gopulse's executable right after it: its identity, build and
// load address were not the program's yet. The program's own (normally
// there at once) is what the watch needs: the load bias of a PIE and the
// runtime state are read from the process.
func (m *Manager) awaitExec(pid int, x *exeProbes) (string, exeKey, error) {
	start := time.Now()
	for {
		path, key, err := m.exeOf(pid)
		if err != nil || key != m.self {
			m.log.Debug("started program's exec became visible in /proc", "pid", pid, "path", x.path,
				"waited", time.Since(start), "err", err)
			return path, key, err
		}
		if time.Since(start) > childExecWait {
			return "", exeKey{}, fmt.Errorf("%s: the started program's /proc/%d/exe still names gopulse's executable after %v",
				x.path, pid, childExecWait)
		}
		time.Sleep(time.Millisecond)
	}
}

// childExe decides which executable a started child runs when its
// /proc/PID/exe (procPath) has another identity (key) than the file x
// was prepared from (logged once, with both identities and build IDs):
//   - the path still names x's file and the child runs x's build (same
//     build ID): x, whose probes were attached through the path;
//   - the path now names the child's executable (the file was replaced
//     between the stat and the exec): that file, prepared through the
//     path;
//   - otherwise ErrExeChanged.
func (m *Manager) childExe(pid int, x *exeProbes, cmdPath, procPath string, key exeKey) (*exeProbes, error) {
	id, err := gobin.BuildID(procPath)
	if err != nil {
		return nil, fmt.Errorf("build id of the started program: %w", err)
	}
	var now exeKey
	var st unix.Stat_t
	if err := unix.Stat(cmdPath, &st); err == nil {
		now = exeKey{dev: st.Dev, ino: st.Ino}
	}
	same := id != "" && id == x.bin.BuildID
	if !m.ps.keyWarned {
		m.ps.keyWarned = true
		m.log.Warn("started program's executable has another identity than the file prepared for it",
			"pid", pid, "path", cmdPath, "prepared_dev", x.key.dev, "prepared_ino", x.key.ino,
			"proc_dev", key.dev, "proc_ino", key.ino, "path_dev", now.dev, "path_ino", now.ino,
			"build_id", x.bin.BuildID, "proc_build_id", id)
	}
	switch {
	case now == x.key && same:
		return x, nil
	case now == key:
		m.log.Warn("executable replaced while the program started: its first instructions were not probed",
			"pid", pid, "path", cmdPath)
		if y := m.ps.exes[key]; y != nil {
			return y, nil
		}
		y, err := m.prepare(cmdPath, key)
		if err != nil {
			return nil, err
		}
		m.ps.exes[key] = y
		return y, nil
	}
	return nil, fmt.Errorf("%w: %s was prepared (build id %q) but the started program runs another executable (build id %q)",
		ErrExeChanged, cmdPath, x.bin.BuildID, id)
}

// attachLocked adds pid, running x's executable (at path), to the
// watched processes.
func (m *Manager) attachLocked(pid int, start uint64, x *exeProbes, path string, trace, child bool) error {
	cfg, err := m.pidConfig(x, pid, trace)
	if err != nil {
		m.releaseExe(x)
		return fmt.Errorf("watch pid %d: %w", pid, err)
	}
	if trace {
		if err := m.joinTrace(x); err != nil {
			m.releaseExe(x)
			return fmt.Errorf("watch pid %d: %w", pid, err)
		}
	}
	if err := m.at.shared["pids"].Put(uint32(pid), cfg); err != nil {
		m.releaseExe(x)
		return fmt.Errorf("watch pid %d: add to pid filter: %w", pid, err)
	}
	// reap polls the pidfd instead of reading /proc/PID/stat; it is taken
	// before the check below, so it refers to the process checked.
	pidfd := -1
	if !child {
		if fd, err := unix.PidfdOpen(pid, 0); err == nil {
			pidfd = fd
		}
	}
	// The process may have exited (and its pid been reused) meanwhile.
	if s, err := procStartTime(pid); err != nil || s != start {
		if pidfd >= 0 {
			unix.Close(pidfd)
		}
		_ = m.at.shared["pids"].Delete(uint32(pid))
		m.releaseExe(x)
		return fmt.Errorf("watch pid %d: %w during attach", pid, ErrProcessExited)
	}
	x.procs++
	var leaks *LeakDetector
	if trace {
		leaks = NewLeakDetector(m.cfg.Leak)
	}
	// The runtime's own accounting: live goroutines and scheduling latency
	// for KindSample, and the GC count to number cycles from when the
	// probes cannot read memstats.numgc themselves.
	var seed uint32
	state, err := rtstate.Open(pid, x.bin)
	if err != nil {
		if !child {
			m.log.Info("runtime state unavailable: no goroutine/scheduling samples", "pid", pid, "err", err)
		}
		state = nil // a child that has just exec'd has no runtime yet: retried in sample
	} else if x.numgc == 0 {
		var s rtstate.Sample
		if err := state.Read(&s); err == nil {
			seed = s.GCCycles
		}
	}
	p := &watchedProc{pid: pid, start: start, exe: x, leaks: leaks, child: child, state: state, pidfd: pidfd,
		dec: newProcDecoder(uint32(pid), m.ring.monoToRT, seed, m.an.sites(x.info, x.attachPath(), trace), leaks)}
	if s, ok := m.tk.seeds[uint32(pid)]; ok {
		delete(m.tk.seeds, uint32(pid))
		if s.Start == start {
			d := p.dec
			d.counted, d.inGC, d.gcStart, d.sweepEnd, d.sweepTerm = s.Counted, s.InGC, s.GCStart, s.SweepEnd, s.SweepTerm
			if held := m.tk.pending[uint32(pid)]; len(held) > 0 {
				m.log.Debug("replaying records held during the takeover", "pid", pid, "records", len(held))
				p.backlog = held
				m.tk.backlogged = append(m.tk.backlogged, p)
			}
		}
		m.tk.npending -= len(m.tk.pending[uint32(pid)])
		delete(m.tk.pending, uint32(pid))
	}
	exe := readlink(path)
	if child {
		// The name the kernel gives it (absolute), as for other processes.
		if s, err := os.Readlink("/proc/" + strconv.Itoa(pid) + "/exe"); err == nil {
			exe = s
		}
	}
	p.info = ProcInfo{Proc: event.Proc{PID: pid, Exe: exe, GoVersion: x.bin.GoVersion,
		Stripped: x.bin.Stripped, CGO: x.bin.CGO}, Trace: trace, AttachedAt: time.Now()}
	p.info.Service = baseName(p.info.Exe)
	m.ps.procs[uint32(pid)] = p
	m.ps.n.Store(int64(len(m.ps.procs)))
	m.log.Debug("watching process", "pid", pid, "exe", p.info.Exe, "go_version", x.bin.GoVersion,
		"stripped", x.bin.Stripped, "trace", trace)
	return nil
}

func readlink(path string) string {
	if s, err := os.Readlink(path); err == nil {
		return s
	}
	return path
}

func baseName(p string) string {
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[i+1:]
	}
	return p
}

func (m *Manager) pidConfig(x *exeProbes, pid int, trace bool) (gopulsePidCfg, error) {
	cfg := gopulsePidCfg{SampleMod: m.cfg.TraceSample}
	if trace {
		cfg.Flags |= cfgTrace
	}
	if x.numgc != 0 || x.tmark != 0 {
		bias, err := loadBias(pid, "/proc/"+strconv.Itoa(pid)+"/exe")
		if err != nil {
			return cfg, fmt.Errorf("%w: %w", ErrProcessExited, err)
		}
		if x.numgc != 0 {
			cfg.NumgcAddr = x.numgc + bias
		}
		if x.tmark != 0 {
			cfg.TmarkAddr = x.tmark + bias
		}
	}
	return cfg, nil
}

// prepare loads the programs for an executable and attaches the
// default-mode probes.
func (m *Manager) prepare(path string, key exeKey) (*exeProbes, error) {
	// One open file for the analysis and every attach: through the path
	// each would find whatever file it names at that moment, and probes
	// computed from one executable would land in another's code (an
	// offset inside another instruction: the program crashes). It did:
	// a child's /proc/PID/exe still named gopulse while its exec was not
	// yet visible, and gopulse's casgstatus offset went into the target.
	f, err := pinExe(path, key)
	if err != nil {
		return nil, err
	}
	bi, err := m.an.analyze(fdPath(f), path, key, m.ps.exes)
	if err != nil {
		f.Close()
		return nil, err
	}
	x := &exeProbes{key: key, path: path, file: f, bin: bi.bin, info: bi, goMinor: bi.goMinor, traceOff: bi.casg, numgc: bi.numgc, tmark: bi.tmark, offs: bi.offs}
	if ls, ok := m.tk.adopted[key]; ok {
		// Takeover: the predecessor's links already feed the adopted maps.
		delete(m.tk.adopted, key)
		x.links = ls
		return x, nil
	}
	if err := m.at.load(x, bi); err != nil {
		m.at.closeExe(x)
		return nil, err
	}
	return x, nil
}

// releaseExe drops an executable that no process uses.
func (m *Manager) releaseExe(x *exeProbes) {
	if x.procs > 0 {
		return
	}
	if m.ps.exes[x.key] == x {
		delete(m.ps.exes, x.key)
	}
	m.at.closeExe(x)
}

// Unwatch detaches from pid and reports it as exited when gone is set.
func (m *Manager) Unwatch(pid int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.unwatchLocked(pid, nil)
}

func (m *Manager) unwatchLocked(pid int, exitErr error) {
	p := m.ps.procs[uint32(pid)]
	if p == nil {
		return
	}
	m.drainLocked()
	for i := range p.backlog {
		p.dec.handle(&p.backlog[i], &m.ev, m.deps.Sink)
	}
	p.backlog = nil
	_ = m.at.shared["pids"].Delete(uint32(pid))
	if p.state != nil {
		p.state.Close()
	}
	if p.pidfd >= 0 {
		unix.Close(p.pidfd)
	}
	delete(m.ps.procs, uint32(pid))
	m.ps.n.Store(int64(len(m.ps.procs)))
	p.exe.procs--
	if p.exe.procs == 0 {
		m.releaseExe(p.exe)
	} else if p.info.Trace && !m.ps.anyTrace(p.exe) {
		m.at.detachTrace(p.exe)
	}
	m.ev = event.Runtime{Kind: event.KindProcExit, PID: uint32(pid), TS: time.Now().UnixNano(), ExitErr: exitErr}
	m.deps.Sink.HandleRuntime(&m.ev)
}

// reap forgets processes that exited.
func (m *Manager) reap() {
	m.mu.Lock()
	defer m.mu.Unlock()
	gone := m.ps.exited()
	if len(gone) == 0 {
		return
	}
	m.at.batchClose(func() {
		for _, pid := range gone {
			m.unwatchLocked(pid, nil)
		}
	})
}

// StartCommand starts cmd and watches it from its first instruction: the
// probes attach to the executable's inode before the fork, and the BPF pid
// filter admits this process's children. The caller waits for cmd and then
// calls Unwatch (after which its events are all delivered).
func (m *Manager) StartCommand(cmd *exec.Cmd, trace bool) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return ErrClosed
	}
	path := cmd.Path
	if cmd.Err != nil {
		return cmd.Err
	}
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		return fmt.Errorf("stat %s: %w", path, err)
	}
	key := exeKey{dev: st.Dev, ino: st.Ino}
	x := m.ps.exes[key]
	if x == nil {
		var err error
		x, err = m.prepare(path, key)
		if err != nil {
			return fmt.Errorf("probe %s: %w", path, err)
		}
		m.ps.exes[key] = x
	}
	if trace {
		if err := m.joinTrace(x); err != nil {
			m.releaseExe(x)
			return err
		}
	}
	tmpl := gopulsePidCfg{SampleMod: m.cfg.TraceSample}
	if trace {
		tmpl.Flags |= cfgTrace
	}
	if x.bin != nil && !x.bin.PIE {
		// A child's load bias is unknown before it runs: only fixed
		// addresses can go in the template.
		tmpl.NumgcAddr, tmpl.TmarkAddr = x.numgc, x.tmark
	}
	self := uint32(os.Getpid())
	if err := m.at.shared["parents"].Put(self, tmpl); err != nil {
		m.releaseExe(x)
		return fmt.Errorf("add parent filter: %w", err)
	}
	defer m.at.shared["parents"].Delete(self)
	x.procs++ // hold the probes while the child starts
	err := cmd.Start()
	x.procs--
	if err != nil {
		m.releaseExe(x)
		return err
	}
	if err := m.watchChildLocked(cmd.Process.Pid, x, path, trace); err != nil {
		m.releaseExe(x) // unless a process uses it
		return err
	}
	return nil
}
