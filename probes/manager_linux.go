//go:build linux && amd64

package probes

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
	"github.com/cilium/ebpf/ringbuf"
	"golang.org/x/sys/unix"

	"github.com/gopulse/gopulse/event"
	"github.com/gopulse/gopulse/probes/gobin"
)

// Manager discovers Go processes, attaches the runtime probes to their
// executables and turns ring-buffer records into events for Deps.Sink.
// Create it with New, drive it with Run and release it with Close.
type Manager struct {
	cfg  Config
	deps Deps
	log  *slog.Logger

	mu       sync.Mutex
	closed   bool
	spec     *ebpf.CollectionSpec
	shared   map[string]*ebpf.Map
	rd       *ringbuf.Reader
	rec      ringbuf.Record
	ev       event.Runtime
	exes     map[exeKey]*exeProbes
	procs    map[uint32]*watchedProc
	rejected map[exeKey]error // --all: executables that cannot be probed
	monoToRT int64

	attached  atomic.Int64
	nprocs    atomic.Int64
	nEvents   atomic.Uint64
	traceOver atomic.Uint64 // float64 bits
	traceDuty atomic.Uint64 // float64 bits
	traceHits atomic.Uint64

	lastHits   uint64
	lastWindow time.Time
	duty       float64
}

// exeProbes is one executable with its loaded programs and links.
type exeProbes struct {
	key      exeKey
	path     string
	bin      *gobin.Binary
	goMinor  int
	coll     *ebpf.Collection
	exe      *link.Executable
	links    []link.Link
	trace    []link.Link
	traceOff uint64 // file offset of the casgstatus entry probe, 0 if unavailable
	numgc    uint64 // link-time address of runtime.memstats.numgc, 0 if unknown
	procs    int
}

type watchedProc struct {
	pid   int
	start uint64
	exe   *exeProbes
	dec   *procDecoder
	info  ProcInfo
	leaks *LeakDetector
	child bool // started by StartCommand: reaped by its owner
}

// New loads nothing yet but creates the shared maps and the ring-buffer
// reader; it fails when BPF is unavailable.
func New(cfg Config, deps Deps) (*Manager, error) {
	cfg.defaults()
	if deps.Sink == nil {
		return nil, errors.New("probes: nil sink")
	}
	if deps.SampleInterval <= 0 {
		deps.SampleInterval = time.Second
	}
	log := deps.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	spec, err := loadGopulse()
	if err != nil {
		return nil, fmt.Errorf("load bpf spec: %w", err)
	}
	spec.Maps["events"].MaxEntries = uint32(ringSize(cfg.RingBytes))
	m := &Manager{
		cfg: cfg, deps: deps, log: log, spec: spec,
		shared:   make(map[string]*ebpf.Map),
		exes:     make(map[exeKey]*exeProbes),
		procs:    make(map[uint32]*watchedProc),
		rejected: make(map[exeKey]error),
		duty:     1,
	}
	for name, ms := range spec.Maps {
		if strings.HasPrefix(name, ".") {
			continue // .rodata and friends belong to each collection
		}
		mp, err := ebpf.NewMap(ms)
		if err != nil {
			m.closeMaps()
			return nil, fmt.Errorf("create map %s: %w", name, err)
		}
		m.shared[name] = mp
	}
	m.rd, err = ringbuf.NewReader(m.shared["events"])
	if err != nil {
		m.closeMaps()
		return nil, fmt.Errorf("open ring buffer: %w", err)
	}
	m.monoToRT = monoToRealtime()
	return m, nil
}

// ringSize rounds n up to a power of two of at least one page.
func ringSize(n int) int {
	s := os.Getpagesize()
	for s < n {
		s <<= 1
	}
	return s
}

func monoToRealtime() int64 {
	var mono, rt unix.Timespec
	_ = unix.ClockGettime(unix.CLOCK_MONOTONIC, &mono)
	_ = unix.ClockGettime(unix.CLOCK_REALTIME, &rt)
	_ = unix.ClockGettime(unix.CLOCK_MONOTONIC, &mono)
	return rt.Nano() - mono.Nano()
}

func (m *Manager) closeMaps() {
	for _, mp := range m.shared {
		mp.Close()
	}
}

// Run watches the configured processes until ctx is done, draining the
// ring buffer every PollInterval and rescanning every RescanInterval.
func (m *Manager) Run(ctx context.Context) error {
	for _, pid := range m.cfg.PIDs {
		if err := m.Watch(pid, m.cfg.Trace); err != nil {
			return err
		}
	}
	if m.cfg.All {
		m.scan()
	}
	poll := time.NewTicker(m.cfg.PollInterval)
	defer poll.Stop()
	rescan := time.NewTicker(m.cfg.RescanInterval)
	defer rescan.Stop()
	sample := time.NewTicker(m.deps.SampleInterval)
	defer sample.Stop()
	for {
		select {
		case <-ctx.Done():
			m.Flush()
			return nil
		case <-poll.C:
			m.Flush()
		case <-rescan.C:
			m.reap()
			if m.cfg.All {
				m.scan()
			}
			m.traceWindow()
		case <-sample.C:
			m.sample()
		}
	}
}

// Flush decodes every record in the ring buffer now.
func (m *Manager) Flush() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.drainLocked()
}

func (m *Manager) drainLocked() {
	if m.closed {
		return
	}
	m.rd.SetDeadline(time.Now().Add(-time.Second)) // never block: records are submitted without wakeups
	var n uint64
	for {
		if err := m.rd.ReadInto(&m.rec); err != nil {
			break
		}
		r, ok := decodeRecord(m.rec.RawSample)
		if !ok {
			continue
		}
		n++
		if p := m.procs[r.PID]; p != nil {
			p.dec.handle(r, &m.ev, m.deps.Sink)
		}
	}
	m.nEvents.Add(n)
}

// Watch attaches to pid. trace enables per-goroutine trace mode for it.
func (m *Manager) Watch(pid int, trace bool) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return ErrClosed
	}
	return m.watchLocked(pid, trace, false)
}

func (m *Manager) watchLocked(pid int, trace, child bool) error {
	if _, ok := m.procs[uint32(pid)]; ok {
		return nil
	}
	start, err := procStartTime(pid)
	if err != nil {
		return fmt.Errorf("watch pid %d: %w", pid, ErrProcessExited)
	}
	path, key, err := procExe(pid)
	if err != nil {
		return fmt.Errorf("watch pid %d: %w: %w", pid, ErrProcessExited, err)
	}
	x := m.exes[key]
	if x == nil {
		x, err = m.prepare(path, key)
		if err != nil {
			return fmt.Errorf("watch pid %d: %w", pid, err)
		}
		m.exes[key] = x
	}
	cfg, err := m.pidConfig(x, pid, trace)
	if err != nil {
		m.releaseExe(x)
		return fmt.Errorf("watch pid %d: %w", pid, err)
	}
	if trace && x.trace == nil {
		if err := m.attachTrace(x); err != nil {
			m.releaseExe(x)
			return fmt.Errorf("watch pid %d: %w", pid, err)
		}
	}
	if err := m.shared["pids"].Put(uint32(pid), cfg); err != nil {
		m.releaseExe(x)
		return fmt.Errorf("watch pid %d: add to pid filter: %w", pid, err)
	}
	// The process may have exited (and its pid been reused) meanwhile.
	if s, err := procStartTime(pid); err != nil || s != start {
		_ = m.shared["pids"].Delete(uint32(pid))
		m.releaseExe(x)
		return fmt.Errorf("watch pid %d: %w during attach", pid, ErrProcessExited)
	}
	x.procs++
	var leaks *LeakDetector
	if trace {
		leaks = NewLeakDetector(m.cfg.Leak)
	}
	p := &watchedProc{pid: pid, start: start, exe: x, leaks: leaks, child: child,
		dec: newProcDecoder(uint32(pid), m.monoToRT, 0, x.bin, leaks)}
	p.info = ProcInfo{Proc: event.Proc{PID: pid, Exe: readlink(path), GoVersion: x.bin.GoVersion,
		Stripped: x.bin.Stripped, CGO: x.bin.CGO}, Trace: trace, AttachedAt: time.Now()}
	p.info.Service = baseName(p.info.Exe)
	m.procs[uint32(pid)] = p
	m.nprocs.Store(int64(len(m.procs)))
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
	if x.numgc != 0 {
		bias, err := loadBias(pid, "/proc/"+strconv.Itoa(pid)+"/exe")
		if err != nil {
			return cfg, fmt.Errorf("%w: %w", ErrProcessExited, err)
		}
		cfg.NumgcAddr = x.numgc + bias
	}
	return cfg, nil
}

// goMinor parses "go1.26.8" → 26.
func goMinor(v string) (int, error) {
	rest, ok := strings.CutPrefix(v, "go1.")
	if !ok {
		return 0, fmt.Errorf("go version %q: %w", v, gobin.ErrUnknownOffsets)
	}
	if i := strings.IndexAny(rest, ".rcbeta-"); i >= 0 {
		rest = rest[:i]
	}
	n, err := strconv.Atoi(rest)
	if err != nil {
		return 0, fmt.Errorf("go version %q: %w", v, gobin.ErrUnknownOffsets)
	}
	return n, nil
}

// prepare analyses an executable, loads its programs and attaches the
// default-mode probes.
func (m *Manager) prepare(path string, key exeKey) (x *exeProbes, err error) {
	bin, err := gobin.Open(path)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			bin.Close()
		}
	}()
	minor, err := goMinor(bin.GoVersion)
	if err != nil {
		return nil, err
	}
	if minor < 21 {
		return nil, fmt.Errorf("%s is not supported (need go1.21 or later): %w", bin.GoVersion, gobin.ErrUnknownOffsets)
	}
	offs, err := bin.Offsets()
	if err != nil {
		return nil, fmt.Errorf("struct offsets for %s: %w", bin.GoVersion, err)
	}
	xp := &exeProbes{key: key, path: path, bin: bin, goMinor: minor}
	x = xp
	if vaddr, err := bin.DataSymbol("runtime.memstats"); err == nil && offs.MemstatsNumGC > 0 {
		x.numgc = vaddr + uint64(offs.MemstatsNumGC)
	} else {
		m.log.Debug("runtime.memstats.numgc not found: GC cycles are counted from attach", "exe", path, "err", err)
	}

	spec := m.spec.Copy()
	abi := uint32(1)
	if minor < 22 {
		abi = 0
	}
	for name, v := range map[string]any{
		"worldstop_abi":     abi,
		"off_g_goid":        uint64(offs.GGoid),
		"off_g_parent_goid": uint64(offs.GParentGoid),
		"off_g_gopc":        uint64(offs.GGopc),
		"off_g_startpc":     uint64(offs.GStartpc),
	} {
		if err := spec.Variables[name].Set(v); err != nil {
			return nil, fmt.Errorf("set %s: %w", name, err)
		}
	}
	x.coll, err = ebpf.NewCollectionWithOptions(spec, ebpf.CollectionOptions{MapReplacements: m.shared})
	if err != nil {
		return nil, fmt.Errorf("load bpf programs: %w", err)
	}
	defer func() {
		if err != nil {
			m.closeExe(xp) // also closes bin
		}
	}()
	x.exe, err = link.OpenExecutable(path)
	if err != nil {
		return nil, fmt.Errorf("open executable: %w", err)
	}
	const start, stop = "runtime.startTheWorldWithSema", "runtime.stopTheWorldWithSema"
	if minor < 22 {
		if err := m.entry(x, stop, "stw_stop_entry"); err != nil {
			return nil, err
		}
		off, err := markTermNowOffset(bin)
		if err != nil {
			return nil, fmt.Errorf("find mark-termination end: %w", err)
		}
		if err := m.uprobe(x, &x.links, "runtime.gcMarkTermination", off, "markterm_now"); err != nil {
			return nil, err
		}
	}
	if err := m.entry(x, start, "stw_start_entry"); err != nil {
		return nil, err
	}
	rets, err := bin.RetOffsets(start)
	if err != nil {
		return nil, fmt.Errorf("find returns of %s: %w", start, err)
	}
	for _, off := range rets {
		if err := m.uprobe(x, &x.links, start, off, "stw_start_ret"); err != nil {
			return nil, err
		}
	}
	if off, err := bin.EntryProbeOffset("runtime.casgstatus"); err == nil {
		x.traceOff = off
	}
	return x, nil
}

func (m *Manager) entry(x *exeProbes, sym, prog string) error {
	off, err := x.bin.EntryProbeOffset(sym)
	if err != nil {
		return fmt.Errorf("find entry probe of %s: %w", sym, err)
	}
	return m.uprobe(x, &x.links, sym, off, prog)
}

func (m *Manager) uprobe(x *exeProbes, dst *[]link.Link, sym string, off uint64, prog string) error {
	l, err := x.exe.Uprobe(sym, x.coll.Programs[prog], &link.UprobeOptions{Address: off})
	if err != nil {
		return fmt.Errorf("attach uprobe %s+%#x: %w", sym, off, err)
	}
	*dst = append(*dst, l)
	m.attached.Add(1)
	return nil
}

func (m *Manager) attachTrace(x *exeProbes) error {
	if x.traceOff == 0 {
		return fmt.Errorf("trace mode: no entry probe for runtime.casgstatus in %s", x.path)
	}
	var ls []link.Link
	if err := m.uprobe(x, &ls, "runtime.casgstatus", x.traceOff, "g_status"); err != nil {
		return fmt.Errorf("trace mode: %w", err)
	}
	x.trace = ls
	return nil
}

func (m *Manager) detachTrace(x *exeProbes) {
	for _, l := range x.trace {
		l.Close()
		m.attached.Add(-1)
	}
	x.trace = nil
}

// releaseExe drops an executable that no process uses.
func (m *Manager) releaseExe(x *exeProbes) {
	if x.procs > 0 {
		return
	}
	if m.exes[x.key] == x {
		delete(m.exes, x.key)
	}
	m.closeExe(x)
}

func (m *Manager) closeExe(x *exeProbes) {
	m.detachTrace(x)
	for _, l := range x.links {
		l.Close()
		m.attached.Add(-1)
	}
	x.links = nil
	if x.coll != nil {
		x.coll.Close()
		x.coll = nil
	}
	if x.bin != nil {
		x.bin.Close()
		x.bin = nil
	}
}

// Unwatch detaches from pid and reports it as exited when gone is set.
func (m *Manager) Unwatch(pid int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.unwatchLocked(pid, nil)
}

func (m *Manager) unwatchLocked(pid int, exitErr error) {
	p := m.procs[uint32(pid)]
	if p == nil {
		return
	}
	m.drainLocked()
	_ = m.shared["pids"].Delete(uint32(pid))
	delete(m.procs, uint32(pid))
	m.nprocs.Store(int64(len(m.procs)))
	p.exe.procs--
	if p.exe.procs == 0 {
		m.releaseExe(p.exe)
	} else if p.info.Trace && !m.anyTrace(p.exe) {
		m.detachTrace(p.exe)
	}
	m.ev = event.Runtime{Kind: event.KindProcExit, PID: uint32(pid), TS: time.Now().UnixNano(), ExitErr: exitErr}
	m.deps.Sink.HandleRuntime(&m.ev)
}

func (m *Manager) anyTrace(x *exeProbes) bool {
	for _, p := range m.procs {
		if p.exe == x && p.info.Trace {
			return true
		}
	}
	return false
}

// reap forgets processes that exited.
func (m *Manager) reap() {
	m.mu.Lock()
	defer m.mu.Unlock()
	for pid, p := range m.procs {
		if p.child {
			continue
		}
		if s, err := procStartTime(int(pid)); err != nil || s != p.start {
			m.unwatchLocked(int(pid), nil)
		}
	}
}

// scan attaches to Go processes not watched yet.
func (m *Manager) scan() {
	pids, err := listPIDs()
	if err != nil {
		m.log.Warn("list processes", "err", err)
		return
	}
	self := os.Getpid()
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, pid := range pids {
		if pid == self || m.closed {
			continue
		}
		if _, ok := m.procs[uint32(pid)]; ok {
			continue
		}
		_, key, err := procExe(pid)
		if err != nil {
			continue // kernel thread or gone
		}
		if _, bad := m.rejected[key]; bad {
			continue
		}
		if err := m.watchLocked(pid, m.cfg.Trace, false); err != nil {
			if !errors.Is(err, ErrProcessExited) {
				m.rejected[key] = err
				if !errors.Is(err, gobin.ErrNotGo) {
					m.log.Info("cannot probe process", "pid", pid, "err", err)
				}
			}
		}
	}
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
	x := m.exes[key]
	if x == nil {
		var err error
		x, err = m.prepare(path, key)
		if err != nil {
			return fmt.Errorf("probe %s: %w", path, err)
		}
		m.exes[key] = x
	}
	if trace && x.trace == nil {
		if err := m.attachTrace(x); err != nil {
			m.releaseExe(x)
			return err
		}
	}
	tmpl := gopulsePidCfg{SampleMod: m.cfg.TraceSample}
	if trace {
		tmpl.Flags |= cfgTrace
	}
	if x.numgc != 0 && x.bin != nil && !x.bin.PIE {
		tmpl.NumgcAddr = x.numgc
	}
	self := uint32(os.Getpid())
	if err := m.shared["parents"].Put(self, tmpl); err != nil {
		m.releaseExe(x)
		return fmt.Errorf("add parent filter: %w", err)
	}
	defer m.shared["parents"].Delete(self)
	x.procs++ // hold the probes while the child starts
	err := cmd.Start()
	x.procs--
	if err != nil {
		m.releaseExe(x)
		return err
	}
	if err := m.watchLocked(cmd.Process.Pid, trace, true); err != nil {
		return err
	}
	return nil
}

// traceWindow estimates the trace-mode overhead of the last window and holds
// the budget by attaching the trace probes only part of the time.
func (m *Manager) traceWindow() {
	m.mu.Lock()
	defer m.mu.Unlock()
	hits := m.sumStat(statTraceHits)
	now := time.Now()
	if !m.lastWindow.IsZero() {
		wall := now.Sub(m.lastWindow).Seconds()
		dh := hits - m.lastHits
		m.traceHits.Store(hits)
		over := float64(dh) * m.cfg.TraceHitCost.Seconds() / wall
		m.traceOver.Store(math.Float64bits(over))
		// Overhead when attached full time, from this window's duty.
		if over > 0 && m.duty > 0 {
			full := over / m.duty
			m.duty = min(1, m.cfg.TraceBudget/full)
		}
		m.traceDuty.Store(math.Float64bits(m.duty))
	}
	m.lastHits, m.lastWindow = hits, now
	if m.duty >= 1 {
		return
	}
	// Detach for the off part of the next window, then reattach.
	off := time.Duration((1 - m.duty) * float64(m.cfg.RescanInterval))
	for _, x := range m.exes {
		if x.trace != nil {
			m.detachTrace(x)
		}
	}
	time.AfterFunc(off, func() {
		m.mu.Lock()
		defer m.mu.Unlock()
		if m.closed {
			return
		}
		for _, x := range m.exes {
			if x.trace == nil && m.anyTrace(x) {
				if err := m.attachTrace(x); err != nil {
					m.log.Warn("reattach trace probe", "exe", x.path, "err", err)
				}
			}
		}
	})
}

func (m *Manager) sumStat(idx uint32) uint64 {
	var vals []uint64
	if err := m.shared["stats"].Lookup(idx, &vals); err != nil {
		return 0
	}
	var s uint64
	for _, v := range vals {
		s += v
	}
	return s
}

// sample asks the Sampler for each process's runtime accounting and ticks
// the leak detectors.
func (m *Manager) sample() {
	m.mu.Lock()
	defer m.mu.Unlock()
	for pid, p := range m.procs {
		if p.leaks != nil {
			p.leaks.Tick()
		}
		if m.deps.Sampler == nil {
			continue
		}
		m.ev = event.Runtime{}
		if err := m.deps.Sampler.Sample(int(pid), &m.ev); err != nil {
			m.log.Debug("sample runtime state", "pid", pid, "err", err)
			continue
		}
		m.ev.Kind, m.ev.PID = event.KindSample, pid
		if m.ev.TS == 0 {
			m.ev.TS = time.Now().UnixNano()
		}
		m.deps.Sink.HandleRuntime(&m.ev)
	}
}

// Procs returns what is known about each watched process.
func (m *Manager) Procs() []ProcInfo {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]ProcInfo, 0, len(m.procs))
	for _, p := range m.procs {
		info := p.info
		info.Created, info.Exited = p.dec.goroutineCounts()
		if p.leaks != nil {
			info.Suspects = p.leaks.Suspects(nil)
		}
		out = append(out, info)
	}
	return out
}

// Stats returns the Manager's counters; safe to call concurrently.
func (m *Manager) Stats() Stats {
	s := Stats{
		ProbesAttached: int(m.attached.Load()),
		Processes:      int(m.nprocs.Load()),
		Events:         m.nEvents.Load(),
		TraceOverhead:  math.Float64frombits(m.traceOver.Load()),
		TraceDuty:      math.Float64frombits(m.traceDuty.Load()),
		TraceHits:      m.traceHits.Load(),
	}
	m.mu.Lock()
	if !m.closed {
		s.EventsLost = m.sumStat(statLost)
	}
	m.mu.Unlock()
	return s
}

// Close detaches everything and frees the maps. It is safe to call twice.
func (m *Manager) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil
	}
	m.closed = true
	for _, x := range m.exes {
		m.closeExe(x)
	}
	m.exes = nil
	m.procs = nil
	m.nprocs.Store(0)
	err := m.rd.Close()
	m.closeMaps()
	runtime.KeepAlive(m.spec)
	return err
}
