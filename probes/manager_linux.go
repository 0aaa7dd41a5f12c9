//go:build linux && amd64

package probes

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"math"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/btf"
	"github.com/cilium/ebpf/link"
	"github.com/cilium/ebpf/ringbuf"
	"golang.org/x/sys/unix"

	"github.com/gopulse/gopulse/event"
	"github.com/gopulse/gopulse/probes/gobin"
	"github.com/gopulse/gopulse/probes/rtstate"
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
	rts      rtstate.Sample
	exes     map[exeKey]*exeProbes
	procs    map[uint32]*watchedProc
	rejected map[exeKey]error // --all: executables that cannot be probed
	infos    map[exeKey]*binInfo
	colls    map[collKey]*sharedColl
	btfCache *btf.Cache   // kernel BTF, decoded once per Manager
	batch    *[]link.Link // non-nil: closeExe defers link closes to the batch owner
	monoToRT int64
	analyzed bool // an executable was analysed since the last rescan
	pollFds  []unix.PollFd
	toolOffs map[string]gobin.Offsets // by gobin.Binary.ToolchainKey: DWARF read once per toolchain

	// Takeover (Config.Adopt): the predecessor's links by executable until
	// a watched process claims them, and its per-process decoder state.
	adopted map[exeKey][]link.Link
	seeds   map[uint32]ProcHandover
	// Records of handed-over processes drained before they are watched
	// again (re-analyzing every binary takes a while): replayed by watch.
	pending    map[uint32][]rawEvent
	npending   int
	backlogged []*watchedProc

	attached  atomic.Int64
	nprocs    atomic.Int64
	nEvents   atomic.Uint64
	traceOver atomic.Uint64 // float64 bits
	traceDuty atomic.Uint64 // float64 bits
	traceHits atomic.Uint64

	// Trace-mode budget: gov decides when the probes are attached (see
	// traceStep); traceWindow reports what that cost.
	gov        *traceGovernor
	lastHits   uint64
	lastWindow time.Time
	traceOn    bool
	onSince    time.Time
	onAccum    time.Duration
}

// exeProbes is one executable with its loaded programs and links.
type exeProbes struct {
	key      exeKey
	path     string
	bin      *gobin.Binary
	info     *binInfo
	goMinor  int
	coll     *sharedColl
	exe      *link.Executable
	links    []link.Link
	trace    []link.Link
	traceOff uint64 // file offset of the casgstatus entry probe, 0 if unavailable
	numgc    uint64 // link-time address of runtime.memstats.numgc, 0 if unknown
	tmark    uint64 // link-time address of runtime.work.tMark, 0 if unknown
	offs     gobin.Offsets
	procs    int
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
	pidfd int             // readable once the process exits; -1 if unavailable

	stateTries int // StartCommand children: rtstate.Open attempts

	// backlog: records held during a takeover, replayed a batch per drain
	// (a burst would overflow the consumers' queues); newer records queue
	// behind them.
	backlog []rawEvent
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
		infos:    make(map[exeKey]*binInfo),
		gov:      newTraceGovernor(cfg.TraceBudget, cfg.TraceHitCost, cfg.RescanInterval),
		colls:    make(map[collKey]*sharedColl),
		toolOffs: make(map[string]gobin.Offsets),
		btfCache: btf.NewCache(),
	}
	if cfg.Seed != nil {
		m.seeds = make(map[uint32]ProcHandover, len(cfg.Seed.Procs))
		for _, p := range cfg.Seed.Procs {
			m.seeds[uint32(p.PID)] = p
		}
	}
	if cfg.Adopt {
		// The predecessor's maps and links; the pins are removed at once
		// (the descriptors hold the objects), so nothing stays pinned.
		err := m.adoptMaps()
		if err == nil {
			err = m.adoptLinks()
		}
		if err != nil {
			m.closeAdopted()
			m.closeMaps()
			return nil, err
		}
		if err := os.RemoveAll(cfg.PinDir); err != nil {
			log.Warn("remove adopted pins", "dir", cfg.PinDir, "err", err)
		}
	}
	for name, ms := range spec.Maps {
		if strings.HasPrefix(name, ".") || m.shared[name] != nil {
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
	// Takeover: watch the predecessor's processes before the first drain,
	// so that the records it left in the ring buffer find their decoder.
	m.watchSeeds()
	for _, pid := range m.cfg.PIDs {
		if err := m.Watch(pid, m.cfg.Trace); err != nil {
			return err
		}
	}
	if m.cfg.All {
		m.scan()
	}
	if m.adopted != nil {
		// Links adopted for executables no process runs any more.
		m.mu.Lock()
		m.closeAdopted()
		m.mu.Unlock()
	}
	// The poll backs off while the ring stays empty (default mode sees a
	// few events per GC): waking every 10 ms for nothing cost more CPU
	// than the rest of the probes side. Any record restores the interval.
	every := m.cfg.PollInterval
	poll := time.NewTimer(every)
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
			m.mu.Lock()
			n := m.drainLocked()
			traced := m.anyTraced()
			m.mu.Unlock()
			m.traceStep()
			if n == 0 && !traced {
				every = min(2*every, maxIdlePolls*m.cfg.PollInterval)
			} else {
				every = m.cfg.PollInterval // the trace governor counts hits every poll
			}
			poll.Reset(every)
		case <-rescan.C:
			m.reap()
			if m.cfg.All {
				m.scan()
			}
			m.releaseMemory()
			m.traceWindow()
		case <-sample.C:
			m.sample()
		}
	}
}

// releaseMemory returns the memory that analysing executables took to the
// OS at once: reading a binary's symbols and DWARF allocates tens of MB
// that are garbage a moment later, and the agent's RSS would otherwise keep
// that peak for minutes. It runs at most once per rescan, after analyses.
func (m *Manager) releaseMemory() {
	m.mu.Lock()
	did := m.analyzed
	m.analyzed = false
	m.mu.Unlock()
	if did {
		debug.FreeOSMemory()
	}
}

// Flush decodes every record in the ring buffer now.
func (m *Manager) Flush() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.drainLocked()
}

// maxIdlePolls bounds the idle poll back-off, in PollIntervals.
const maxIdlePolls = 8

func (m *Manager) drainLocked() uint64 {
	if m.closed {
		return 0
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
			if p.backlog != nil {
				p.backlog = append(p.backlog, *r) // behind the held records
				continue
			}
			p.dec.handle(r, &m.ev, m.deps.Sink)
		} else if m.seeds != nil {
			m.holdSeeded(r)
		}
	}
	m.nEvents.Add(n)
	if len(m.backlogged) > 0 {
		m.replayLocked()
	}
	return n
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
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("watch pid %d: %w: %w", pid, ErrProcessExited, err)
		}
		return fmt.Errorf("watch pid %d: %w", pid, err)
	}
	x := m.exes[key]
	if x == nil {
		x, err = m.prepare(path, key)
		if err != nil {
			if s, serr := procStartTime(pid); serr != nil || s != start {
				return fmt.Errorf("watch pid %d: %w during attach: %w", pid, ErrProcessExited, err)
			}
			return fmt.Errorf("watch pid %d: %w", pid, err)
		}
		m.exes[key] = x
	}
	cfg, err := m.pidConfig(x, pid, trace)
	if err != nil {
		m.releaseExe(x)
		return fmt.Errorf("watch pid %d: %w", pid, err)
	}
	if trace && x.trace == nil && (m.traceOn || !m.anyTraced()) {
		if err := m.attachTrace(x); err != nil {
			m.releaseExe(x)
			return fmt.Errorf("watch pid %d: %w", pid, err)
		}
		if !m.traceOn {
			m.traceOn, m.onSince = true, time.Now()
			m.gov.start(m.onSince, m.sumStat(statTraceHits))
		}
	}
	if err := m.shared["pids"].Put(uint32(pid), cfg); err != nil {
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
		_ = m.shared["pids"].Delete(uint32(pid))
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
		dec: newProcDecoder(uint32(pid), m.monoToRT, seed, m.sites(x.info, path, trace), leaks)}
	if s, ok := m.seeds[uint32(pid)]; ok {
		delete(m.seeds, uint32(pid))
		if s.Start == start {
			d := p.dec
			d.counted, d.inGC, d.gcStart, d.sweepEnd, d.sweepTerm = s.Counted, s.InGC, s.GCStart, s.SweepEnd, s.SweepTerm
			if held := m.pending[uint32(pid)]; len(held) > 0 {
				m.log.Debug("replaying records held during the takeover", "pid", pid, "records", len(held))
				p.backlog = held
				m.backlogged = append(m.backlogged, p)
			}
		}
		m.npending -= len(m.pending[uint32(pid)])
		delete(m.pending, uint32(pid))
	}
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

// binInfo is what the probes need from an executable. It is computed once
// per executable (inode) and kept while the Manager lives, so re-attaching
// costs only the BPF load and the attach.
type binInfo struct {
	bin        *gobin.Binary
	goMinor    int
	offs       gobin.Offsets
	stopEntry  uint64   // go1.21: stopTheWorldWithSema entry probe
	markTerm   uint64   // go1.21: gcMarkTermination after nanotime()
	pauseStart []uint64 // go1.21: gcStart and gcMarkDone after nanotime()
	startEntry uint64   // startTheWorldWithSema entry probe
	startRets  []uint64 // its RET instructions
	casg       uint64   // casgstatus entry probe (trace mode), 0 if none
	transition uint64   // gcCPULimiterState.finishGCTransition entry probe, 0 if none
	// tmark is the linked address of runtime.work.tMark (go1.22+), 0 if
	// unknown: with it a GC cycle costs two probe hits instead of four
	// (see stw_start_entry).
	tmark    uint64
	numgc    uint64        // link-time address of memstats.numgc, 0 if unknown
	markDone funcRange     // runtime.gcMarkDone, for the decoders' restart check
	full     *gobin.Binary // trace mode: a pc → function table for every function
}

// funcRange is a SiteResolver that knows one function: in default mode the
// decoders only ask whether a pc is in runtime.gcMarkDone, and a table of
// every function costs megabytes for a large program.
type funcRange struct {
	name       string
	entry, end uint64
}

func (r funcRange) FuncForPC(pc uint64) (string, bool) {
	if pc >= r.entry && pc < r.end {
		return r.name, true
	}
	return "", false
}

// sites returns what names pcs for a process of x: the full table in trace
// mode (loaded from exePath when the analysis dropped it), else markDone.
func (m *Manager) sites(bi *binInfo, exePath string, trace bool) SiteResolver {
	if !trace {
		return bi.markDone
	}
	if bi.full == nil {
		if _, ok := bi.bin.FuncForPC(bi.markDone.entry); ok {
			bi.full = bi.bin // kept by the analysis (Config.Trace)
		} else if b, err := gobin.Open(exePath); err != nil {
			m.log.Warn("trace mode: no function table: creation sites unnamed", "exe", exePath, "err", err)
			return bi.markDone
		} else if err := b.Trim(nil, true); err != nil {
			b.Close()
			m.log.Warn("trace mode: no function table: creation sites unnamed", "exe", exePath, "err", err)
			return bi.markDone
		} else {
			bi.full = b
		}
	}
	return bi.full
}

func (bi *binInfo) close() {
	if bi.full != nil && bi.full != bi.bin {
		bi.full.Close()
	}
	bi.bin.Close()
}

const (
	symStart      = "runtime.startTheWorldWithSema"
	symStop       = "runtime.stopTheWorldWithSema"
	symTransition = "runtime.(*gcCPULimiterState).finishGCTransition"
)

// analyze inspects the executable at path (cached by key).
func (m *Manager) analyze(path string, key exeKey) (*binInfo, error) {
	if bi := m.infos[key]; bi != nil {
		return bi, nil
	}
	bin, err := gobin.Open(path)
	if err != nil {
		return nil, err
	}
	tk := bin.ToolchainKey()
	if o, ok := m.toolOffs[tk]; ok && tk != "" {
		bin.UseOffsets(o)
	} else if _, err := bin.Offsets(); err == nil && bin.HasDWARF {
		// The DWARF just read (tens of MB decompressed for a large
		// program) is garbage now: collect it before the symbol tables
		// are read, so that the two peaks do not add up in the RSS.
		runtime.GC()
	}
	bi, err := m.analyzeBinary(bin)
	if err != nil {
		bin.Close()
		return nil, err
	}
	// Everything the probes need is extracted: drop the symbol tables
	// (most of the agent's memory otherwise), keeping the runtime globals
	// rtstate reads for each process and, in trace mode, a compact pc →
	// function table for the goroutine creation sites.
	if err := bin.Trim(rtstate.DataSymbols(), m.cfg.Trace); err != nil {
		m.log.Debug("runtime globals missing: no goroutine/scheduling samples", "exe", bin.Path, "err", err)
	}
	if tk != "" && bi.offs.Source == "dwarf" && len(m.toolOffs) < maxIdleInfos {
		m.toolOffs[tk] = bi.offs
	}
	m.evictInfos()
	m.infos[key] = bi
	m.analyzed = true
	return bi, nil
}

// maxIdleInfos bounds the analyses kept for executables no watched process
// runs (e.g. a stream of short-lived test binaries).
const maxIdleInfos = 32

// evictInfos forgets analyses of unused executables beyond maxIdleInfos.
func (m *Manager) evictInfos() {
	idle := len(m.infos) - len(m.exes)
	for key, bi := range m.infos {
		if idle < maxIdleInfos {
			return
		}
		if _, used := m.exes[key]; used {
			continue
		}
		bi.close()
		delete(m.infos, key)
		idle--
	}
}

// lateSweep reports whether every process of the executable gets the
// address of work.tMark (PIE children started by StartCommand cannot: their
// load bias is unknown before they run), so that startTheWorldWithSema's
// entry is the only default-mode probe needed.
func (bi *binInfo) lateSweep() bool {
	return bi.tmark != 0 && bi.bin != nil && !bi.bin.PIE
}

func (m *Manager) analyzeBinary(bin *gobin.Binary) (*binInfo, error) {
	minor, err := goMinor(bin.GoVersion)
	if err != nil {
		return nil, err
	}
	if minor < 21 {
		return nil, fmt.Errorf("%s is not supported (need go1.21 or later): %w", bin.GoVersion, gobin.ErrUnknownOffsets)
	}
	bi := &binInfo{bin: bin, goMinor: minor}
	if f, err := bin.Func("runtime.gcMarkDone"); err == nil {
		bi.markDone = funcRange{name: f.Name, entry: f.Entry, end: f.End}
	}
	if bi.offs, err = bin.Offsets(); err != nil {
		return nil, fmt.Errorf("struct offsets for %s: %w", bin.GoVersion, err)
	}
	if bi.startEntry, err = bin.EntryProbeOffset(symStart); err != nil {
		return nil, fmt.Errorf("find entry probe of %s: %w", symStart, err)
	}
	if bi.startRets, err = bin.RetOffsets(symStart); err != nil {
		return nil, fmt.Errorf("find returns of %s: %w", symStart, err)
	}
	if minor < 22 {
		if bi.stopEntry, err = bin.EntryProbeOffset(symStop); err != nil {
			return nil, fmt.Errorf("find entry probe of %s: %w", symStop, err)
		}
		if bi.markTerm, err = markTermNowOffset(bin); err != nil {
			return nil, fmt.Errorf("find mark-termination end: %w", err)
		}
		for _, fn := range []string{"runtime.gcStart", "runtime.gcMarkDone"} {
			off, err := pauseStartOffset(bin, fn)
			if err != nil {
				return nil, fmt.Errorf("find pause start: %w", err)
			}
			bi.pauseStart = append(bi.pauseStart, off)
		}
	}
	if off, err := bin.EntryProbeOffset("runtime.casgstatus"); err == nil {
		bi.casg = off
	}
	// Prefer finishGCTransition's argument to RET probes for the end of the
	// sweep-termination pause; fall back to RET probes when it is missing
	// or its prologue has no PUSHQ BP (a probe there would be single-stepped).
	if f, err := bin.Func(symTransition); err == nil {
		if off, err := bin.EntryProbeOffset(symTransition); err == nil && off != f.Offset {
			bi.transition = off
		}
	}
	if minor >= 22 && bi.offs.WorkTMark > 0 {
		if vaddr, err := bin.DataSymbol("runtime.work"); err == nil {
			bi.tmark = vaddr + uint64(bi.offs.WorkTMark)
		} else {
			m.log.Debug("runtime.work not found: sweep-termination pauses need a probe of their own", "exe", bin.Path, "err", err)
		}
	}
	if vaddr, err := bin.DataSymbol("runtime.memstats"); err == nil && bi.offs.MemstatsNumGC > 0 {
		bi.numgc = vaddr + uint64(bi.offs.MemstatsNumGC)
	} else {
		m.log.Debug("runtime.memstats.numgc not found: GC cycles are counted from attach", "exe", bin.Path, "err", err)
	}
	return bi, nil
}

// prepare loads the programs for an executable and attaches the
// default-mode probes.
func (m *Manager) prepare(path string, key exeKey) (*exeProbes, error) {
	bi, err := m.analyze(path, key)
	if err != nil {
		return nil, err
	}
	x := &exeProbes{key: key, path: path, bin: bi.bin, info: bi, goMinor: bi.goMinor, traceOff: bi.casg, numgc: bi.numgc, tmark: bi.tmark, offs: bi.offs}
	if ls, ok := m.adopted[key]; ok {
		// Takeover: the predecessor's links already feed the adopted maps.
		delete(m.adopted, key)
		x.links = ls
		return x, nil
	}
	if err := m.load(x, bi); err != nil {
		m.closeExe(x)
		return nil, err
	}
	return x, nil
}

func (m *Manager) load(x *exeProbes, bi *binInfo) error {
	if err := m.loadColl(x, bi); err != nil {
		return err
	}
	return m.attachDefault(x, bi)
}

// loadColl loads the programs for x (sharing the Manager's maps) and opens
// the executable for attaching.
func (m *Manager) loadColl(x *exeProbes, bi *binInfo) error {
	if c := m.colls[collKeyOf(bi)]; c != nil {
		c.refs++
		x.coll = c
		return m.openExe(x)
	}
	spec := m.spec.Copy()
	abi := uint32(1)
	if bi.goMinor < 22 {
		abi = 0
	}
	transition := uint32(0)
	if bi.transition != 0 {
		transition = 1
	}
	for name, v := range map[string]any{
		"worldstop_abi":     abi,
		"have_transition":   transition,
		"off_g_goid":        uint64(bi.offs.GGoid),
		"off_g_parent_goid": uint64(bi.offs.GParentGoid),
		"off_g_gopc":        uint64(bi.offs.GGopc),
		"off_g_startpc":     uint64(bi.offs.GStartpc),
	} {
		if err := spec.Variables[name].Set(v); err != nil {
			return fmt.Errorf("set %s: %w", name, err)
		}
	}
	var err error
	x.coll, err = m.collection(spec, bi)
	if err != nil {
		return err
	}
	return m.openExe(x)
}

// collKey is what the programs are specialised with: executables that
// agree on it (the same Go release, typically) share one collection.
type collKey struct {
	abi, transition uint32
	goid, parent    int64
	gopc, startpc   int64
}

func collKeyOf(bi *binInfo) collKey {
	k := collKey{abi: 1, goid: bi.offs.GGoid, parent: bi.offs.GParentGoid, gopc: bi.offs.GGopc, startpc: bi.offs.GStartpc}
	if bi.goMinor < 22 {
		k.abi = 0
	}
	if bi.transition != 0 {
		k.transition = 1
	}
	return k
}

// sharedColl is a loaded collection and how many executables use it.
type sharedColl struct {
	key   collKey
	coll  *ebpf.Collection
	refs  int
	multi bool // programs attach through uprobe_multi links
}

// collection loads the programs for uprobe_multi links (Linux 6.6+): they
// are BPF links, whose close unregisters without the two RCU grace periods
// per probe a perf-event uprobe waits for under a global mutex (0.5–1 s
// each on a virtualised machine). Older kernels get perf-event uprobes.
func (m *Manager) collection(spec *ebpf.CollectionSpec, bi *binInfo) (*sharedColl, error) {
	opts := ebpf.CollectionOptions{MapReplacements: m.shared, Cache: m.btfCache}
	multi := spec.Copy()
	for _, p := range multi.Programs {
		if p.Type == ebpf.Kprobe {
			p.AttachType = ebpf.AttachTraceUprobeMulti
		}
	}
	c := &sharedColl{key: collKeyOf(bi), refs: 1, multi: true}
	coll, err := ebpf.NewCollectionWithOptions(multi, opts)
	if err != nil {
		m.log.Debug("uprobe_multi programs rejected: using perf-event uprobes", "err", err)
		c.multi = false
		coll, err = ebpf.NewCollectionWithOptions(spec, opts)
	}
	if err != nil {
		return nil, fmt.Errorf("load bpf programs: %w", err)
	}
	c.coll = coll
	m.colls[c.key] = c
	return c, nil
}

func (m *Manager) releaseColl(c *sharedColl) {
	c.refs--
	if c.refs > 0 {
		return
	}
	if m.colls[c.key] == c {
		delete(m.colls, c.key)
	}
	c.coll.Close()
}

// openExe opens the executable for attaching, once.
func (m *Manager) openExe(x *exeProbes) error {
	if x.exe == nil {
		var err error
		if x.exe, err = link.OpenExecutable(x.path); err != nil {
			return fmt.Errorf("open executable: %w", err)
		}
	}
	return nil
}

func (m *Manager) attachDefault(x *exeProbes, bi *binInfo) error {
	if bi.goMinor < 22 {
		if err := m.uprobe(x, &x.links, symStop, bi.stopEntry, "stw_stop_entry"); err != nil {
			return err
		}
		if bi.transition == 0 {
			if err := m.uprobe(x, &x.links, "runtime.gcMarkTermination", bi.markTerm, "markterm_now"); err != nil {
				return err
			}
		}
		for _, off := range bi.pauseStart {
			if err := m.uprobe(x, &x.links, "runtime.gcStart", off, "pause_start_now"); err != nil {
				return err
			}
		}
	}
	if err := m.uprobe(x, &x.links, symStart, bi.startEntry, "stw_start_entry"); err != nil {
		return err
	}
	if bi.lateSweep() {
		return nil
	}
	if bi.transition != 0 {
		return m.uprobe(x, &x.links, symTransition, bi.transition, "gc_transition")
	}
	for _, off := range bi.startRets {
		if err := m.uprobe(x, &x.links, symStart, off, "stw_start_ret"); err != nil {
			return err
		}
	}
	return nil
}

func (m *Manager) uprobe(x *exeProbes, dst *[]link.Link, sym string, off uint64, prog string) error {
	var l link.Link
	var err error
	if x.coll.multi {
		l, err = x.exe.UprobeMulti(nil, x.coll.coll.Programs[prog], &link.UprobeMultiOptions{Addresses: []uint64{off}})
	} else {
		l, err = x.exe.Uprobe(sym, x.coll.coll.Programs[prog], &link.UprobeOptions{Address: off})
	}
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
	if x.coll == nil {
		// Adopted executable: its programs are loaded on first use.
		bi := m.infos[x.key]
		if bi == nil {
			return fmt.Errorf("trace mode: %s not analyzed", x.path)
		}
		if err := m.loadColl(x, bi); err != nil {
			return fmt.Errorf("trace mode: %w", err)
		}
	}
	var ls []link.Link
	if err := m.uprobe(x, &ls, "runtime.casgstatus", x.traceOff, "g_status"); err != nil {
		return fmt.Errorf("trace mode: %w", err)
	}
	x.trace = ls
	return nil
}

func (m *Manager) detachTrace(x *exeProbes) {
	m.closeLinks(x.trace)
	x.trace = nil
}

// maxClosers bounds the threads closing links at once.
const maxClosers = 64

// closeLinks closes links concurrently. Closing a perf-event uprobe waits
// for an RCU grace period and an RCU tasks-trace grace period (from tens of
// ms to seconds on a busy or virtualised machine); concurrent closes share
// grace periods, sequential ones add them up. Callers detaching several
// executables at once collect all their links into one call (see
// closeExe and batch): closing executable by executable made Close take
// minutes with many executables.
func (m *Manager) closeLinks(ls []link.Link) {
	if len(ls) == 0 {
		return
	}
	work := make(chan link.Link)
	var wg sync.WaitGroup
	for range min(len(ls), maxClosers) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for l := range work {
				l.Close()
			}
		}()
	}
	for _, l := range ls {
		work <- l
	}
	close(work)
	wg.Wait()
	m.attached.Add(-int64(len(ls)))
}

// batchClose runs fn with link closes deferred, then closes every link fn
// released in one concurrent batch.
func (m *Manager) batchClose(fn func()) {
	var pending []link.Link
	m.batch = &pending
	fn()
	m.batch = nil
	m.closeLinks(pending)
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
	if m.batch != nil {
		// The programs stay alive in the kernel while links use them, so
		// the collection may be released before the links close.
		*m.batch = append(append(*m.batch, x.trace...), x.links...)
	} else {
		m.closeLinks(append(x.trace, x.links...))
	}
	x.trace, x.links = nil, nil
	if x.coll != nil {
		m.releaseColl(x.coll)
		x.coll = nil
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
	for i := range p.backlog {
		p.dec.handle(&p.backlog[i], &m.ev, m.deps.Sink)
	}
	p.backlog = nil
	_ = m.shared["pids"].Delete(uint32(pid))
	if p.state != nil {
		p.state.Close()
	}
	if p.pidfd >= 0 {
		unix.Close(p.pidfd)
	}
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
	// One poll(2) over the pidfds finds the exited processes; only
	// processes without a pidfd cost a /proc read.
	m.pollFds = m.pollFds[:0]
	var gone []int
	for pid, p := range m.procs {
		switch {
		case p.child:
		case p.pidfd >= 0:
			m.pollFds = append(m.pollFds, unix.PollFd{Fd: int32(p.pidfd), Events: unix.POLLIN})
		default:
			if s, err := procStartTime(int(pid)); err != nil || s != p.start {
				gone = append(gone, int(pid))
			}
		}
	}
	if len(m.pollFds) > 0 {
		if n, err := unix.Poll(m.pollFds, 0); err == nil && n > 0 {
			for _, p := range m.procs {
				if p.pidfd < 0 {
					continue
				}
				for _, f := range m.pollFds {
					if f.Fd == int32(p.pidfd) && f.Revents != 0 {
						gone = append(gone, p.pid)
					}
				}
			}
		}
	}
	if len(gone) == 0 {
		return
	}
	m.batchClose(func() {
		for _, pid := range gone {
			m.unwatchLocked(pid, nil)
		}
	})
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
	if trace && x.trace == nil && (m.traceOn || !m.anyTraced()) {
		if err := m.attachTrace(x); err != nil {
			m.releaseExe(x)
			return err
		}
		if !m.traceOn {
			m.traceOn, m.onSince = true, time.Now()
			m.gov.start(m.onSince, m.sumStat(statTraceHits))
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

// traceWindow closes a reporting window: the overhead estimate is the
// trace probe hits in it × TraceHitCost / wall time, and the duty the share
// of it the probes were attached.
func (m *Manager) traceWindow() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return
	}
	now := time.Now()
	hits := m.sumStat(statTraceHits)
	if m.traceOn {
		m.onAccum += now.Sub(m.onSince)
		m.onSince = now
	}
	if !m.lastWindow.IsZero() && hits >= m.lastHits {
		wall := now.Sub(m.lastWindow).Seconds()
		cost := float64(hits-m.lastHits) * m.cfg.TraceHitCost.Seconds()
		m.traceHits.Store(hits)
		m.traceOver.Store(math.Float64bits(cost / wall))
		m.traceDuty.Store(math.Float64bits(min(1, m.onAccum.Seconds()/wall)))
	}
	m.lastHits, m.lastWindow, m.onAccum = hits, now, 0
}

// traceStep runs every PollInterval: it lets the governor account the hits
// since the last step and attaches or detaches the trace probes as it says.
func (m *Manager) traceStep() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return
	}
	if !m.anyTraced() {
		if m.traceOn { // the last traced process went: its probes went with it
			m.onAccum += time.Since(m.onSince)
			m.traceOn = false
		}
		return
	}
	want := m.gov.step(time.Now(), m.sumStat(statTraceHits), m.traceOn)
	if want != m.traceOn {
		m.setTrace(want)
	}
}

func (m *Manager) anyTraced() bool {
	for _, p := range m.procs {
		if p.info.Trace {
			return true
		}
	}
	return false
}

// setTrace attaches or detaches the trace probes of every traced executable.
func (m *Manager) setTrace(on bool) {
	start := time.Now()
	for _, x := range m.exes {
		switch {
		case on && x.trace == nil && m.anyTrace(x):
			if err := m.attachTrace(x); err != nil {
				m.log.Warn("attach trace probe", "exe", x.path, "err", err)
			}
		case !on && x.trace != nil:
			m.detachTrace(x)
		}
	}
	now := time.Now()
	if m.traceOn && !on {
		// The probes were live until the detach finished.
		m.onAccum += now.Sub(m.onSince)
		lat := now.Sub(start)
		m.log.Debug("trace probes detached", "took", lat)
		m.gov.detached(lat)
	}
	m.traceOn = on
	m.onSince = now
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

// sample reads each process's own runtime accounting (KindSample) and
// ticks the leak detectors.
func (m *Manager) sample() {
	m.mu.Lock()
	defer m.mu.Unlock()
	for pid, p := range m.procs {
		if p.leaks != nil {
			p.dec.reconcile(gMemReader(p.pid, p.exe.offs))
			p.leaks.Tick()
		}
		if p.state == nil {
			if !p.child || p.stateTries >= 50 {
				continue
			}
			p.stateTries++
			st, err := rtstate.Open(p.pid, p.exe.bin)
			if err != nil {
				continue
			}
			p.state = st
		}
		if err := p.state.Read(&m.rts); err != nil {
			m.log.Debug("read runtime state", "pid", pid, "err", err)
			continue
		}
		m.ev = event.Runtime{Kind: event.KindSample, PID: pid, TS: time.Now().UnixNano(),
			Goroutines: m.rts.Goroutines, Sched: &m.rts.Sched}
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
	m.batchClose(func() {
		for _, x := range m.exes {
			m.closeExe(x)
		}
		m.closeAdopted()
	})
	m.exes = nil
	for _, p := range m.procs {
		if p.state != nil {
			p.state.Close()
		}
		if p.pidfd >= 0 {
			unix.Close(p.pidfd)
		}
	}
	m.procs = nil
	for _, bi := range m.infos {
		bi.close()
	}
	m.infos = nil
	m.nprocs.Store(0)
	err := m.rd.Close()
	m.closeMaps()
	runtime.KeepAlive(m.spec)
	return err
}

// gMemReader reads a g's goid and status from pid's memory.
func gMemReader(pid int, offs gobin.Offsets) gReader {
	var goid uint64
	var status uint32
	local := []unix.Iovec{
		{Base: (*byte)(unsafe.Pointer(&goid)), Len: 8},
		{Base: (*byte)(unsafe.Pointer(&status)), Len: 4},
	}
	remote := make([]unix.RemoteIovec, 2)
	return func(g uint64) (uint64, uint32, bool) {
		if g == 0 {
			return 0, 0, false
		}
		remote[0] = unix.RemoteIovec{Base: uintptr(g) + uintptr(offs.GGoid), Len: 8}
		remote[1] = unix.RemoteIovec{Base: uintptr(g) + uintptr(offs.GStatus), Len: 4}
		n, err := unix.ProcessVMReadv(pid, local, remote, 0)
		return goid, status, err == nil && n == 12
	}
}
