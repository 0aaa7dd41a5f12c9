//go:build linux && (amd64 || arm64)

package probes

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
	"golang.org/x/sys/unix"
)

// Pinned layout under Config.PinDir:
//
//	maps/<name>             every shared map (ring buffer, pid filter, per-pid state, stats)
//	links/<dev>_<ino>/<n>   the default-mode uprobe links of one executable
//
// Pins exist only during a handover: the successor loads them and removes
// the directory at once, so a normal shutdown (or a crash) leaves nothing.

// takeover is what a Manager started with Config.Adopt took over from its
// predecessor, until its processes are watched again.
type takeover struct {
	adopted map[exeKey][]link.Link  // the predecessor's links by executable, until a watched process claims them
	seeds   map[uint32]ProcHandover // the predecessor's per-process decoder state
	// Records of handed-over processes drained before they are watched
	// again (re-analyzing every binary takes a while): replayed by watch.
	pending    map[uint32][]rawEvent
	npending   int
	backlogged []*watchedProc
}

// ensureBPFFS makes sure dir can be created on a bpf filesystem, mounting
// one on /sys/fs/bpf when dir lies below it and nothing is mounted there.
func ensureBPFFS(dir string) error {
	p := filepath.Clean(dir)
	for {
		var st unix.Statfs_t
		if err := unix.Statfs(p, &st); err == nil {
			if st.Type == unix.BPF_FS_MAGIC {
				return nil
			}
			break
		}
		parent := filepath.Dir(p)
		if parent == p {
			break
		}
		p = parent
	}
	const root = "/sys/fs/bpf"
	if p != root && !strings.HasPrefix(filepath.Clean(dir)+"/", root+"/") {
		return fmt.Errorf("pin dir %s is not on a bpf filesystem", dir)
	}
	if err := os.MkdirAll(root, 0o700); err != nil {
		return fmt.Errorf("create %s: %w", root, err)
	}
	if err := unix.Mount("bpf", root, "bpf", 0, "mode=0700"); err != nil {
		return fmt.Errorf("mount bpffs on %s: %w", root, err)
	}
	return nil
}

// adoptMaps loads the pinned shared maps into m.at.shared, checking that they
// fit this build's programs.
func (m *Manager) adoptMaps() error {
	dir := filepath.Join(m.cfg.PinDir, "maps")
	for name, ms := range m.at.spec.Maps {
		if strings.HasPrefix(name, ".") {
			continue
		}
		mp, err := ebpf.LoadPinnedMap(filepath.Join(dir, name), nil)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("adopt map %s: %w", name, ErrNoPins)
			}
			return fmt.Errorf("adopt map %s: %w", name, err)
		}
		m.at.shared[name] = mp
		if name == "events" {
			// The predecessor chose the ring's size.
			ms.MaxEntries = mp.MaxEntries()
		}
		if err := ms.Compatible(mp); err != nil {
			return fmt.Errorf("adopt map %s: %w", name, err)
		}
	}
	return nil
}

// adoptLinks loads the pinned uprobe links, by executable.
func (m *Manager) adoptLinks() error {
	dir := filepath.Join(m.cfg.PinDir, "links")
	exes, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("adopt links: %w", err)
	}
	m.tk.adopted = make(map[exeKey][]link.Link)
	for _, e := range exes {
		key, ok := parseExeKey(e.Name())
		if !ok {
			continue
		}
		files, err := os.ReadDir(filepath.Join(dir, e.Name()))
		if err != nil {
			return fmt.Errorf("adopt links: %w", err)
		}
		for _, f := range files {
			l, err := link.LoadPinnedLink(filepath.Join(dir, e.Name(), f.Name()), nil)
			if err != nil {
				return fmt.Errorf("adopt link %s/%s: %w", e.Name(), f.Name(), err)
			}
			m.tk.adopted[key] = append(m.tk.adopted[key], l)
			m.at.attached.Add(1)
		}
	}
	return nil
}

func parseExeKey(s string) (exeKey, bool) {
	a, b, ok := strings.Cut(s, "_")
	if !ok {
		return exeKey{}, false
	}
	dev, err1 := strconv.ParseUint(a, 10, 64)
	ino, err2 := strconv.ParseUint(b, 10, 64)
	return exeKey{dev: dev, ino: ino}, err1 == nil && err2 == nil
}

// closeAdopted detaches the adopted links no process claimed (their
// executables' processes exited during the handover).
func (m *Manager) closeAdopted() {
	for key, ls := range m.tk.adopted {
		m.at.closeLinks(ls)
		delete(m.tk.adopted, key)
	}
}

// Handover stops the Manager for a successor started with Config.Adopt
// (call it after Run returned): it pins the shared maps and the uprobe
// links under Config.PinDir and releases its file descriptors without
// detaching anything. The probes keep firing and the ring buffer keeps
// filling until the successor drains it. The Manager is closed afterwards;
// on error nothing stays pinned and the caller should Close it.
func (m *Manager) Handover() (*HandoverState, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, ErrClosed
	}
	if m.cfg.PinDir == "" {
		return nil, errors.New("handover: no pin dir configured")
	}
	// No drain here: the records not decoded yet stay in the ring buffer
	// for the successor (the consumers may have stopped already), and the
	// decoder state handed over matches the ring's consumer position.
	if err := m.pinLocked(); err != nil {
		_ = os.RemoveAll(m.cfg.PinDir)
		return nil, fmt.Errorf("handover: %w", err)
	}
	st := &HandoverState{}
	for _, p := range m.ps.procs {
		d := p.dec
		st.Procs = append(st.Procs, ProcHandover{PID: p.pid, Start: p.start, Counted: d.counted, InGC: d.inGC,
			GCStart: d.gcStart, SweepEnd: d.sweepEnd, SweepTerm: d.sweepTerm, Trace: p.info.Trace})
	}
	slices.SortFunc(st.Procs, func(a, b ProcHandover) int { return a.PID - b.PID })
	// Release without detaching: the pins hold the maps and links. Trace
	// links are not pinned and go away with their descriptors.
	m.closed = true
	for _, x := range m.ps.exes {
		m.at.detachTrace(x)
		for _, l := range x.links {
			_ = l.Close()
		}
		m.at.attached.Add(-int64(len(x.links)))
		x.links = nil
		if x.coll != nil {
			m.at.releaseColl(x.coll)
			x.coll = nil
		}
	}
	m.closeAdopted()
	m.ps.closeAll()
	m.an.closeAll()
	if err := m.ring.close(); err != nil {
		// The pins are in place: the handover stands.
		m.log.Warn("close ring buffer reader", "err", err)
	}
	m.at.closeMaps()
	return st, nil
}

func (m *Manager) pinLocked() error {
	if err := ensureBPFFS(m.cfg.PinDir); err != nil {
		return err
	}
	if err := os.RemoveAll(m.cfg.PinDir); err != nil {
		return fmt.Errorf("clear pin dir: %w", err)
	}
	mapDir := filepath.Join(m.cfg.PinDir, "maps")
	if err := os.MkdirAll(mapDir, 0o700); err != nil {
		return fmt.Errorf("create pin dir: %w", err)
	}
	for name, mp := range m.at.shared {
		if err := mp.Pin(filepath.Join(mapDir, name)); err != nil {
			return fmt.Errorf("pin map %s: %w", name, err)
		}
	}
	for key, x := range m.ps.exes {
		if len(x.links) == 0 {
			continue
		}
		dir := filepath.Join(m.cfg.PinDir, "links", strconv.FormatUint(key.dev, 10)+"_"+strconv.FormatUint(key.ino, 10))
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("create pin dir: %w", err)
		}
		for i, l := range x.links {
			if err := l.Pin(filepath.Join(dir, strconv.Itoa(i))); err != nil {
				if errors.Is(err, ebpf.ErrNotSupported) {
					// Before Linux 5.15 perf-event uprobes are attached
					// without a BPF link, and only links can be pinned.
					return fmt.Errorf("pin link %s #%d: %w (this kernel attaches uprobes without BPF links, which need Linux 5.15)", x.path, i, err)
				}
				return fmt.Errorf("pin link %s #%d: %w", x.path, i, err)
			}
		}
	}
	return nil
}

// maxPending bounds the records held for handed-over processes not yet
// watched again (64 bytes each).
const maxPending = 1 << 20

// holdSeeded keeps a record of a handed-over process until it is watched.
func (m *Manager) holdSeeded(r *rawEvent) {
	if _, ok := m.tk.seeds[r.PID]; !ok || m.tk.npending >= maxPending {
		return
	}
	if m.tk.pending == nil {
		m.tk.pending = make(map[uint32][]rawEvent)
	}
	m.tk.pending[r.PID] = append(m.tk.pending[r.PID], *r)
	m.tk.npending++
}

// watchSeeds watches the processes a predecessor handed over. Analyzing
// their binaries again takes a while, so the ring buffer is drained between
// them (holding their records) to keep it from overflowing.
func (m *Manager) watchSeeds() {
	m.mu.Lock()
	if m.tk.seeds == nil {
		m.mu.Unlock()
		return
	}
	seeds := make([]ProcHandover, 0, len(m.tk.seeds))
	for _, s := range m.tk.seeds {
		seeds = append(seeds, s)
	}
	m.mu.Unlock()
	slices.SortFunc(seeds, func(a, b ProcHandover) int { return a.PID - b.PID })
	start := time.Now()
	for _, s := range seeds {
		m.mu.Lock()
		if m.closed {
			m.mu.Unlock()
			return
		}
		m.drainLocked()
		if _, ok := m.tk.seeds[uint32(s.PID)]; ok {
			if err := m.watchLocked(s.PID, s.Trace); err != nil {
				m.log.Info("handed-over process not watched", "pid", s.PID, "err", err)
			}
		}
		m.mu.Unlock()
	}
	m.mu.Lock()
	m.drainLocked()
	m.tk.seeds, m.tk.pending, m.tk.npending = nil, nil, 0
	m.mu.Unlock()
	m.log.Info("took over the previous agent's processes", "processes", len(seeds), "took", time.Since(start).Round(time.Millisecond))
}

// replayBatch is how many held records a drain replays (at most two events
// each): the consumers' queues hold 1024 events.
const replayBatch = 256

// queueRoom is a sink that tells how many events it can take without
// dropping (pipeline.RuntimeFanout).
type queueRoom interface{ Free() int }

// replayLocked replays a batch of the held records of handed-over
// processes, no more than the sink has room for.
func (m *Manager) replayLocked() {
	budget := replayBatch
	if q, ok := m.deps.Sink.(queueRoom); ok {
		budget = min(budget, q.Free()/2) // a record makes at most two events
	}
	for len(m.tk.backlogged) > 0 && budget > 0 {
		p := m.tk.backlogged[0]
		n := min(budget, len(p.backlog))
		if m.ps.procs[uint32(p.pid)] == p {
			for i := range p.backlog[:n] {
				p.dec.handle(&p.backlog[i], &m.ev, m.deps.Sink)
			}
		}
		budget -= n
		p.backlog = p.backlog[n:]
		if len(p.backlog) == 0 {
			p.backlog = nil
			m.tk.backlogged = m.tk.backlogged[1:]
		}
	}
}
