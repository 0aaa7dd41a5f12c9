//go:build linux && (amd64 || arm64)

package probes

import (
	"fmt"
	"log/slog"
	"runtime"
	"strconv"
	"strings"

	"github.com/gopulse/gopulse/probes/gobin"
	"github.com/gopulse/gopulse/probes/rtstate"
)

// analyzer reads executables: which probe sites, struct offsets and
// runtime globals the probes need from each. The results are cached per
// executable (inode) while the Manager lives, so re-attaching costs only the
// BPF load and the attach. It touches no BPF object. Callers hold
// Manager.mu.
type analyzer struct {
	log   *slog.Logger
	trace bool // Config.Trace: keep a pc → function table in each analysis

	infos    map[exeKey]*binInfo
	toolOffs map[string]gobin.Offsets // by gobin.Binary.ToolchainKey: DWARF read once per toolchain
	analyzed bool                     // an executable was analysed since the last takeAnalyzed
}

func newAnalyzer(log *slog.Logger, trace bool) analyzer {
	return analyzer{log: log, trace: trace, infos: make(map[exeKey]*binInfo), toolOffs: make(map[string]gobin.Offsets)}
}

// takeAnalyzed reports whether an executable was analysed since the last
// call.
func (a *analyzer) takeAnalyzed() bool {
	did := a.analyzed
	a.analyzed = false
	return did
}

// closeAll releases every analysis.
func (a *analyzer) closeAll() {
	for _, bi := range a.infos {
		bi.close()
	}
	a.infos = nil
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
func (a *analyzer) sites(bi *binInfo, exePath string, trace bool) SiteResolver {
	if !trace {
		return bi.markDone
	}
	if bi.full == nil {
		if _, ok := bi.bin.FuncForPC(bi.markDone.entry); ok {
			bi.full = bi.bin // kept by the analysis (Config.Trace)
		} else if b, err := gobin.Open(exePath); err != nil {
			a.log.Warn("trace mode: no function table: creation sites unnamed", "exe", exePath, "err", err)
			return bi.markDone
		} else if err := b.Trim(nil, true); err != nil {
			b.Close()
			a.log.Warn("trace mode: no function table: creation sites unnamed", "exe", exePath, "err", err)
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

// analyze inspects the executable opened at path, named name in logs and
// errors (cached by key).
func (a *analyzer) analyze(path, name string, key exeKey, inUse map[exeKey]*exeProbes) (*binInfo, error) {
	if bi := a.infos[key]; bi != nil {
		return bi, nil
	}
	bin, err := gobin.OpenNamed(path, name)
	if err != nil {
		return nil, err
	}
	tk := bin.ToolchainKey()
	if o, ok := a.toolOffs[tk]; ok && tk != "" {
		bin.UseOffsets(o)
	} else if _, err := bin.Offsets(); err == nil && bin.HasDWARF {
		// The DWARF just read (tens of MB decompressed for a large
		// program) is garbage now: collect it before the symbol tables
		// are read, so that the two peaks do not add up in the RSS.
		runtime.GC()
	}
	bi, err := a.analyzeBinary(bin)
	if err != nil {
		bin.Close()
		return nil, err
	}
	// Everything the probes need is extracted: drop the symbol tables
	// (most of the agent's memory otherwise), keeping the runtime globals
	// rtstate reads for each process and, in trace mode, a compact pc →
	// function table for the goroutine creation sites.
	if err := bin.Trim(rtstate.DataSymbols(), a.trace); err != nil {
		a.log.Debug("runtime globals missing: runtime samples lack what they hold", "exe", bin.Path, "err", err)
	}
	if tk != "" && bi.offs.Source == "dwarf" && len(a.toolOffs) < maxIdleInfos {
		a.toolOffs[tk] = bi.offs
	}
	a.evictInfos(inUse)
	a.infos[key] = bi
	a.analyzed = true
	return bi, nil
}

// maxIdleInfos bounds the analyses kept for executables no watched process
// runs (e.g. a stream of short-lived test binaries).
const maxIdleInfos = 32

// evictInfos forgets analyses of unused executables beyond maxIdleInfos.
func (a *analyzer) evictInfos(inUse map[exeKey]*exeProbes) {
	idle := len(a.infos) - len(inUse)
	for key, bi := range a.infos {
		if idle < maxIdleInfos {
			return
		}
		if _, used := inUse[key]; used {
			continue
		}
		bi.close()
		delete(a.infos, key)
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

func (a *analyzer) analyzeBinary(bin *gobin.Binary) (*binInfo, error) {
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
	// or has no cheap entry site (amd64 PUSHQ BP, arm64 a branch the kernel
	// simulates): a probe at the entry would be single-stepped.
	if f, err := bin.Func(symTransition); err == nil {
		if off, err := bin.EntryProbeOffset(symTransition); err == nil && off != f.Offset {
			bi.transition = off
		}
	}
	if minor >= 22 && bi.offs.WorkTMark > 0 {
		if vaddr, err := bin.DataSymbol("runtime.work"); err == nil {
			bi.tmark = vaddr + uint64(bi.offs.WorkTMark)
		} else {
			a.log.Debug("runtime.work not found: sweep-termination pauses need a probe of their own", "exe", bin.Path, "err", err)
		}
	}
	if vaddr, err := bin.DataSymbol("runtime.memstats"); err == nil && bi.offs.MemstatsNumGC > 0 {
		bi.numgc = vaddr + uint64(bi.offs.MemstatsNumGC)
	} else {
		a.log.Debug("runtime.memstats.numgc not found: GC cycles are counted from attach", "exe", bin.Path, "err", err)
	}
	return bi, nil
}
