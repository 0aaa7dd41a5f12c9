//go:build linux && (amd64 || arm64)

package probes

import (
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/btf"
	"github.com/cilium/ebpf/link"

	"github.com/gopulse/gopulse/probes/gobin"
)

// attacher owns the BPF objects: the program spec, the maps that every
// collection shares (ring buffer, pid filter, per-pid state, stats), the
// collections loaded for each specialisation, and the uprobe links of each
// executable. It knows nothing of processes. Callers hold Manager.mu.
type attacher struct {
	log      *slog.Logger
	spec     *ebpf.CollectionSpec
	shared   map[string]*ebpf.Map
	colls    map[collKey]*sharedColl
	btfCache *btf.Cache   // kernel BTF, decoded once per Manager
	batch    *[]link.Link // non-nil: closeExe defers link closes to the batch owner
	attached atomic.Int64 // links currently attached (Stats.ProbesAttached)
	multi    bool         // attach through uprobe_multi links (Mechanisms.Attach)
}

func newAttacher(log *slog.Logger, spec *ebpf.CollectionSpec) *attacher {
	return &attacher{log: log, spec: spec, shared: make(map[string]*ebpf.Map),
		colls: make(map[collKey]*sharedColl), btfCache: btf.NewCache()}
}

// createMaps creates the shared maps not adopted from a predecessor.
func (a *attacher) createMaps() error {
	for name, ms := range a.spec.Maps {
		if strings.HasPrefix(name, ".") || a.shared[name] != nil {
			continue // .rodata and friends belong to each collection
		}
		mp, err := ebpf.NewMap(ms)
		if err != nil {
			return fmt.Errorf("create map %s: %w", name, err)
		}
		a.shared[name] = mp
	}
	return nil
}

func (a *attacher) closeMaps() {
	for _, mp := range a.shared {
		mp.Close()
	}
}

// exeProbes is one executable with its loaded programs and links.
type exeProbes struct {
	key     exeKey
	path    string
	bin     *gobin.Binary
	info    *binInfo
	goMinor int
	coll    *sharedColl
	exe     *link.Executable
	// file is the executable opened once by prepare: the analysis and
	// every attach (the trace probes' re-attaches too) go through
	// /proc/self/fd/N, so that they all see this file even when path
	// names another one meanwhile (/proc/PID/exe after an exec, a
	// program file replaced). nil for an x made without prepare.
	file     *os.File
	links    []link.Link
	trace    []link.Link
	traceOff uint64 // file offset of the casgstatus entry probe, 0 if unavailable
	numgc    uint64 // link-time address of runtime.memstats.numgc, 0 if unknown
	tmark    uint64 // link-time address of runtime.work.tMark, 0 if unknown
	offs     gobin.Offsets
	procs    int
}

func (a *attacher) load(x *exeProbes, bi *binInfo) error {
	if err := a.loadColl(x, bi); err != nil {
		return err
	}
	return a.attachDefault(x, bi)
}

// loadColl loads the programs for x (sharing the shared maps) and opens
// the executable for attaching.
func (a *attacher) loadColl(x *exeProbes, bi *binInfo) error {
	if c := a.colls[collKeyOf(bi)]; c != nil {
		c.refs++
		x.coll = c
		return a.openExe(x)
	}
	spec := a.spec.Copy()
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
		"now_sp_off":        uint64(abi0ResultSP(bi.bin.Arch)),
	} {
		if err := spec.Variables[name].Set(v); err != nil {
			return fmt.Errorf("set %s: %w", name, err)
		}
	}
	var err error
	x.coll, err = a.collection(spec, bi)
	if err != nil {
		return err
	}
	return a.openExe(x)
}

// collKey is what the programs are specialised with: executables that
// agree on it (the same Go release, typically) share one collection.
type collKey struct {
	abi, transition uint32
	goid, parent    int64
	gopc, startpc   int64
	nowSP           int64
}

func collKeyOf(bi *binInfo) collKey {
	k := collKey{abi: 1, goid: bi.offs.GGoid, parent: bi.offs.GParentGoid, gopc: bi.offs.GGopc, startpc: bi.offs.GStartpc,
		nowSP: abi0ResultSP(bi.bin.Arch)}
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
	key  collKey
	coll *ebpf.Collection
	refs int
}

// collection loads the programs for the attach mechanism chosen at
// start-up. uprobe_multi links (Linux 6.6+) are BPF links, whose close
// unregisters without the two RCU grace periods per probe a perf-event
// uprobe waits for under a global mutex (0.5–1 s each on a virtualised
// machine); older kernels get perf-event uprobes.
func (a *attacher) collection(spec *ebpf.CollectionSpec, bi *binInfo) (*sharedColl, error) {
	opts := ebpf.CollectionOptions{MapReplacements: a.shared, Cache: a.btfCache}
	if a.multi {
		spec = spec.Copy()
		for _, p := range spec.Programs {
			if p.Type == ebpf.Kprobe {
				p.AttachType = ebpf.AttachTraceUprobeMulti
			}
		}
	}
	coll, err := ebpf.NewCollectionWithOptions(spec, opts)
	if err != nil {
		return nil, fmt.Errorf("load bpf programs: %w", err)
	}
	c := &sharedColl{key: collKeyOf(bi), refs: 1, coll: coll}
	a.colls[c.key] = c
	return c, nil
}

func (a *attacher) releaseColl(c *sharedColl) {
	c.refs--
	if c.refs > 0 {
		return
	}
	if a.colls[c.key] == c {
		delete(a.colls, c.key)
	}
	c.coll.Close()
}

// openExe opens the executable for attaching, once.
func (a *attacher) openExe(x *exeProbes) error {
	if x.exe == nil {
		var err error
		if x.exe, err = link.OpenExecutable(x.attachPath()); err != nil {
			return fmt.Errorf("open executable: %w", err)
		}
	}
	return nil
}

// attachPath is the path the uprobes are attached through: the pinned
// file's descriptor (see exeProbes.file), else the path.
func (x *exeProbes) attachPath() string {
	if x.file != nil {
		return fdPath(x.file)
	}
	return x.path
}

func fdPath(f *os.File) string { return "/proc/self/fd/" + strconv.Itoa(int(f.Fd())) }

func (a *attacher) attachDefault(x *exeProbes, bi *binInfo) error {
	if bi.goMinor < 22 {
		if err := a.uprobe(x, &x.links, symStop, bi.stopEntry, "stw_stop_entry"); err != nil {
			return err
		}
		if bi.transition == 0 {
			if err := a.uprobe(x, &x.links, "runtime.gcMarkTermination", bi.markTerm, "markterm_now"); err != nil {
				return err
			}
		}
		for _, off := range bi.pauseStart {
			if err := a.uprobe(x, &x.links, "runtime.gcStart", off, "pause_start_now"); err != nil {
				return err
			}
		}
	}
	if err := a.uprobe(x, &x.links, symStart, bi.startEntry, "stw_start_entry"); err != nil {
		return err
	}
	if bi.lateSweep() {
		return nil
	}
	if bi.transition != 0 {
		return a.uprobe(x, &x.links, symTransition, bi.transition, "gc_transition")
	}
	for _, off := range bi.startRets {
		if err := a.uprobe(x, &x.links, symStart, off, "stw_start_ret"); err != nil {
			return err
		}
	}
	return nil
}

func (a *attacher) uprobe(x *exeProbes, dst *[]link.Link, sym string, off uint64, prog string) error {
	var l link.Link
	var err error
	if a.multi {
		l, err = x.exe.UprobeMulti(nil, x.coll.coll.Programs[prog], &link.UprobeMultiOptions{Addresses: []uint64{off}})
	} else {
		l, err = x.exe.Uprobe(sym, x.coll.coll.Programs[prog], &link.UprobeOptions{Address: off})
	}
	if err != nil {
		return fmt.Errorf("attach uprobe %s+%#x: %w", sym, off, err)
	}
	*dst = append(*dst, l)
	a.attached.Add(1)
	return nil
}

// attachTrace attaches the trace-mode probe (casgstatus entry) of x,
// loading its programs first for an adopted executable.
func (a *attacher) attachTrace(x *exeProbes) error {
	if x.traceOff == 0 {
		return fmt.Errorf("trace mode: no entry probe for runtime.casgstatus in %s", x.path)
	}
	if x.coll == nil {
		// Adopted executable: its programs are loaded on first use.
		if err := a.loadColl(x, x.info); err != nil {
			return fmt.Errorf("trace mode: %w", err)
		}
	}
	var ls []link.Link
	if err := a.uprobe(x, &ls, "runtime.casgstatus", x.traceOff, "g_status"); err != nil {
		return fmt.Errorf("trace mode: %w", err)
	}
	x.trace = ls
	return nil
}

func (a *attacher) detachTrace(x *exeProbes) {
	a.closeLinks(x.trace)
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
func (a *attacher) closeLinks(ls []link.Link) {
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
	a.attached.Add(-int64(len(ls)))
}

// batchClose runs fn with link closes deferred, then closes every link fn
// released in one concurrent batch.
func (a *attacher) batchClose(fn func()) {
	var pending []link.Link
	a.batch = &pending
	fn()
	a.batch = nil
	a.closeLinks(pending)
}

func (a *attacher) closeExe(x *exeProbes) {
	if a.batch != nil {
		// The programs stay alive in the kernel while links use them, so
		// the collection may be released before the links close.
		*a.batch = append(append(*a.batch, x.trace...), x.links...)
	} else {
		a.closeLinks(append(x.trace, x.links...))
	}
	x.trace, x.links = nil, nil
	if x.coll != nil {
		a.releaseColl(x.coll)
		x.coll = nil
	}
	if x.file != nil {
		// The kernel keeps its own reference to the file of every
		// uprobe; links closed in a pending batch do not need the fd.
		x.file.Close()
		x.file = nil
	}
}

func (a *attacher) sumStat(idx uint32) uint64 {
	var vals []uint64
	if err := a.shared["stats"].Lookup(idx, &vals); err != nil {
		return 0
	}
	var s uint64
	for _, v := range vals {
		s += v
	}
	return s
}
