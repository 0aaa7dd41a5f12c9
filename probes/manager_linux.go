//go:build linux && (amd64 || arm64)

package probes

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"sync"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/gopulse/gopulse/event"
	"github.com/gopulse/gopulse/probes/gobin"
	"github.com/gopulse/gopulse/probes/rtstate"
)

// Manager discovers Go processes, attaches the runtime probes to their
// executables and turns ring-buffer records into events for Deps.Sink.
// Create it with New, drive it with Run and release it with Close.
//
// It is split by concern, one file each; mu guards them all (none is safe
// for concurrent use on its own), except the counters Stats reads:
//
//	an    analysis_linux.go  what each executable needs: probe sites, offsets
//	at    attach_linux.go    BPF maps, programs and uprobe links
//	ps    procset_linux.go   watched processes and their executables
//	disc  scan_linux.go      finding the processes to watch (Config.All, Select)
//	ring  ring_linux.go      draining the ring buffer into the decoders
//	tr    trace_linux.go     holding trace mode to its budget
//	tk    pin_linux.go       handover to and takeover from another agent
type Manager struct {
	cfg  Config
	deps Deps
	log  *slog.Logger

	mu     sync.Mutex
	closed bool
	an     analyzer
	at     *attacher
	ps     procSet
	disc   discovery // used by Run's goroutine only
	ring   *ringReader
	tr     traceCtl
	tk     takeover

	mech Mechanisms // chosen by New

	// exeOf finds a process's executable: procExe, but tests make a
	// started program's identity differ from its file's.
	exeOf func(pid int) (string, exeKey, error)
	self  exeKey // gopulse's own executable

	ev  event.Runtime  // scratch event handed to the sink
	rts rtstate.Sample // scratch sample
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
		cfg: cfg, deps: deps, log: log,
		an: newAnalyzer(log, cfg.Trace),
		at: newAttacher(log, spec),
		ps: newProcSet(),
		tr: traceCtl{st: traceStepper{gov: newTraceGovernor(cfg.TraceBudget, cfg.TraceHitCost, cfg.RescanInterval),
			log: log, retry: cfg.RescanInterval, holdLog: traceHoldLog * cfg.RescanInterval}},
		exeOf: procExe,
	}
	m.mech, err = detectMechanisms(hostEnv(m.at.btfCache))
	if err != nil {
		return nil, fmt.Errorf("kernel %s: %w", m.mech.Kernel, err)
	}
	switch cfg.Attach {
	case "", m.mech.Attach:
	case AttachPerfEvent:
		if m.mech.Attach == AttachUprobeMulti {
			m.mech.Attach = AttachPerfEvent
		} // else per-offset uprobes already
	default:
		return nil, fmt.Errorf("kernel %s: attach %q: not available (mechanism %s; %q can be forced)", m.mech.Kernel, cfg.Attach, m.mech.Attach, AttachPerfEvent)
	}
	m.at.multi = m.mech.Attach == AttachUprobeMulti
	if _, self, err := procExe(os.Getpid()); err == nil {
		m.self = self
	}
	log.Info("bpf mechanisms", "kernel", m.mech.Kernel, "attach", m.mech.Attach, "memlock", m.mech.Memlock,
		"ring_buffer", m.mech.RingBuffer)
	if cfg.Seed != nil {
		m.tk.seeds = make(map[uint32]ProcHandover, len(cfg.Seed.Procs))
		for _, p := range cfg.Seed.Procs {
			m.tk.seeds[uint32(p.PID)] = p
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
			m.at.closeMaps()
			return nil, err
		}
		if err := os.RemoveAll(cfg.PinDir); err != nil {
			log.Warn("remove adopted pins", "dir", cfg.PinDir, "err", err)
		}
	}
	if err := m.at.createMaps(); err != nil {
		m.at.closeMaps()
		return nil, err
	}
	m.ring, err = newRingReader(m.at.shared["events"])
	if err != nil {
		m.at.closeMaps()
		return nil, err
	}
	return m, nil
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
	if m.tk.adopted != nil {
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
			traced := m.ps.anyTraced()
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
	did := m.an.takeAnalyzed()
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

// sample reads each process's own runtime accounting (KindSample) and
// ticks the leak detectors.
func (m *Manager) sample() {
	m.mu.Lock()
	defer m.mu.Unlock()
	traced := false
	defer func() {
		if traced {
			m.tr.sched += m.tr.schedNew
			m.traceCheck(m.tr.sched)
		}
	}()
	m.tr.schedNew = 0
	for pid, p := range m.ps.procs {
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
		if p.info.Trace {
			traced = true
			var n uint64
			for _, c := range m.rts.Sched.Counts {
				n += c
			}
			if p.schedSeen && n > p.sched {
				m.tr.schedNew += n - p.sched
			}
			p.sched, p.schedSeen = n, true
		}
		m.ev = event.Runtime{Kind: event.KindSample, PID: pid, TS: time.Now().UnixNano(), Cycle: m.rts.GCCycles,
			Goroutines: m.rts.Goroutines, Sched: &m.rts.Sched, Stats: &m.rts.Stats}
		m.deps.Sink.HandleRuntime(&m.ev)
	}
}

// Procs returns what is known about each watched process.
func (m *Manager) Procs() []ProcInfo {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]ProcInfo, 0, len(m.ps.procs))
	for _, p := range m.ps.procs {
		info := p.info
		info.Created, info.Exited = p.dec.goroutineCounts()
		if p.leaks != nil {
			info.Suspects = p.leaks.Suspects(nil)
		}
		out = append(out, info)
	}
	return out
}

// Mechanisms returns the kernel mechanisms chosen at start-up.
func (m *Manager) Mechanisms() Mechanisms { return m.mech }

// Stats returns the Manager's counters; safe to call concurrently.
func (m *Manager) Stats() Stats {
	s := Stats{
		ProbesAttached: int(m.at.attached.Load()),
		Processes:      int(m.ps.n.Load()),
		Events:         m.ring.n.Load(),
		TraceOverhead:  math.Float64frombits(m.tr.over.Load()),
		TraceDuty:      math.Float64frombits(m.tr.duty.Load()),
		TraceHits:      m.tr.hits.Load(),
	}
	m.mu.Lock()
	if !m.closed {
		s.EventsLost = m.at.sumStat(statLost)
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
	m.at.batchClose(func() {
		for _, x := range m.ps.exes {
			m.at.closeExe(x)
		}
		m.closeAdopted()
	})
	m.ps.closeAll()
	m.an.closeAll()
	err := m.ring.close()
	m.at.closeMaps()
	runtime.KeepAlive(m.at.spec)
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
