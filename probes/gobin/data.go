package gobin

import (
	"debug/elf"
	"errors"
	"fmt"
	"strings"
)

// DataSymbol returns the linked virtual address of a runtime global
// variable (e.g. "runtime.sched", "runtime.allglen", "runtime.allp",
// "runtime.memstats", "runtime.work"). With a .symtab it is a lookup; in a
// stripped binary the address is recovered from code (see recoverData).
func (b *Binary) DataSymbol(name string) (uint64, error) {
	s, err := b.symbols()
	if err != nil {
		return 0, err
	}
	if s.data != nil {
		if v, ok := s.data[name]; ok {
			return v, nil
		}
		if s.trimmed {
			return 0, fmt.Errorf("data symbol %s: %w", name, ErrTrimmed)
		}
		return 0, fmt.Errorf("data symbol %s: %w", name, ErrNoSymbol)
	}
	b.dataOnce.Do(func() {
		b.data, b.dataErr = b.recoverData()
	})
	if v, ok := b.data[name]; ok {
		return v, nil
	}
	if b.dataErr != nil {
		return 0, fmt.Errorf("data symbol %s: %w", name, b.dataErr)
	}
	return 0, fmt.Errorf("data symbol %s: cannot be recovered without .symtab: %w", name, ErrNoSymbol)
}

// Recovering data symbols in a stripped binary
//
// -ldflags='-s -w' drops .symtab (and DWARF) but keeps .gopclntab, so
// functions are still known by name. The runtime code addresses its
// globals pc-relatively (amd64: RIP-relative operands; arm64: ADRP plus an
// ADD or a load/store offset), in non-PIE and PIE binaries alike, so each
// global is found by interpreting one function known to reference it in a
// recognisable way, in every Go release 1.21–1.27 on both architectures:
//
//   - runtime.sched, runtime.memstats and runtime.work are found from the
//     first field of each (see the bases in derive.go), which needs no
//     field offsets at all: sched.goidgen (newproc1 adds the goid batch to
//     it atomically), memstats.heapStats ((*mcache).refill passes its
//     address to (*consistentHeapStats).acquire) and work.full (putfull
//     passes its address to (*lfstack).push). Where the field offsets are
//     known, the address casgstatus passes to (*timeHistogram).record must
//     also be sched+timeToRun: a binary whose code disagrees with its
//     offsets is refused rather than read wrongly.
//   - runtime.allglen: runtime.allgadd publishes the length with an atomic
//     store (amd64 XCHG, arm64 STLR or SWPAL), the last one in the function
//     (the one before stores allgptr).
//   - runtime.allp: runtime.gcMarkTinyAllocs ranges over allp and loads
//     its pointer and length first: the first two loads from globals whose
//     addresses differ by 8.
//   - runtime.gcController: runtime.gcControllerCommit calls methods on it
//     (gcController.commit(…)): the receiver passed to the first call of a
//     (*gcControllerState) method.
//
// Every recovered address must fall inside a writable data segment. The
// tests compare each recovery with .symtab of the same program built
// without -s -w.

// recoverData finds the data symbols of a stripped binary.
func (b *Binary) recoverData() (map[string]uint64, error) {
	if _, err := b.machine(); err != nil {
		return nil, fmt.Errorf("recover data symbols: %w", err)
	}
	found := make(map[string]uint64, 5)
	var errs []error
	add := func(name string, addr uint64, err error) {
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
			return
		}
		if !b.inWritableSegment(addr) {
			errs = append(errs, fmt.Errorf("%s: %#x is not in a data segment", name, addr))
			return
		}
		found[name] = addr
	}
	bases := b.runtimeBases()
	sched, err := bases.sched, bases.schedErr
	if err == nil {
		err = b.checkSched(sched)
	}
	add("runtime.sched", sched, err)
	add("runtime.memstats", bases.memstats, bases.memstatsErr)
	add("runtime.work", bases.work, bases.workErr)
	allglen, err := b.find("runtime.allgadd", findLastAtomicStore)
	add("runtime.allglen", allglen, err)
	allp, err := b.find("runtime.gcMarkTinyAllocs", findSliceLoad)
	add("runtime.allp", allp, err)
	ctl, err := b.findMethodReceiver("runtime.gcControllerCommit", "runtime.(*gcControllerState).")
	add("runtime.gcController", ctl, err)
	return found, errors.Join(errs...)
}

// checkSched cross-checks the sched base with the struct offsets, when they
// are known (DWARF or the table): casgstatus records scheduling latency in
// sched.timeToRun.
func (b *Binary) checkSched(sched uint64) error {
	o, err := b.Offsets()
	if err != nil || o.Source == "code" {
		return nil // derived from this very code
	}
	_, t, err := b.traceFunc("runtime.casgstatus")
	if err != nil {
		return err
	}
	for _, a := range histRecordArgs(b, t) {
		if a == sched+uint64(o.SchedTimeToRun) {
			return nil
		}
	}
	return fmt.Errorf("casgstatus does not record into sched+timeToRun (%#x+%d): the code does not match the struct offsets", sched, o.SchedTimeToRun)
}

// find interprets fn and applies a finder to it.
func (b *Binary) find(fn string, f func(*trace) (uint64, error)) (uint64, error) {
	_, t, err := b.traceFunc(fn)
	if err != nil {
		return 0, fmt.Errorf("via %s: %w", fn, err)
	}
	v, err := f(t)
	if err != nil {
		return 0, fmt.Errorf("via %s: %w", fn, err)
	}
	return v, nil
}

var errNoRef = errors.New("reference not found")

func findLastAtomicStore(t *trace) (uint64, error) {
	var last uint64
	for _, a := range t.accesses {
		if a.op != opStore || !a.atomic || a.width != 8 {
			continue
		}
		if ad, ok := a.addr.abs(); ok {
			last = ad
		}
	}
	if last == 0 {
		return 0, errNoRef
	}
	return last, nil
}

func findSliceLoad(t *trace) (uint64, error) {
	var loads []uint64
	for _, a := range t.accesses {
		if a.op != opLoad || a.width != 8 {
			continue
		}
		if ad, ok := a.addr.abs(); ok {
			loads = append(loads, ad)
		}
		if len(loads) == 2 {
			break
		}
	}
	if len(loads) == 2 {
		lo, hi := min(loads[0], loads[1]), max(loads[0], loads[1])
		if hi-lo == 8 {
			return lo, nil
		}
	}
	return 0, errNoRef
}

// findMethodReceiver returns the absolute address fn passes as the
// receiver of its first call to a method whose name starts with prefix.
func (b *Binary) findMethodReceiver(fn, prefix string) (uint64, error) {
	_, t, err := b.traceFunc(fn)
	if err != nil {
		return 0, fmt.Errorf("via %s: %w", fn, err)
	}
	for _, c := range t.calls {
		if name, ok := b.FuncForPC(c.target); ok && strings.HasPrefix(name, prefix) {
			if ad, ok := c.args[0].abs(); ok {
				return ad, nil
			}
			return 0, fmt.Errorf("via %s: receiver of %s not a global", fn, name)
		}
	}
	return 0, fmt.Errorf("via %s: no call of %s…: %w", fn, prefix, errNoRef)
}

// histRecordArgs returns the absolute addresses passed to
// (*timeHistogram).record by the traced function.
func histRecordArgs(b *Binary, t *trace) []uint64 {
	var out []uint64
	for _, c := range t.calls {
		if name, ok := b.FuncForPC(c.target); !ok || name != "runtime.(*timeHistogram).record" {
			continue
		}
		if ad, ok := c.args[0].abs(); ok {
			out = append(out, ad)
		}
	}
	return out
}

// closures returns the names of fn's closures (fn.func1, fn.func2, …).
func (b *Binary) closures(fn string) []string {
	fs, err := b.Funcs()
	if err != nil {
		return nil
	}
	var out []string
	for _, f := range fs {
		if rest, ok := strings.CutPrefix(f.Name, fn+".func"); ok && rest != "" && !strings.ContainsAny(rest, ".") {
			out = append(out, f.Name)
		}
	}
	return out
}

// inWritableSegment reports whether vaddr is in a writable PT_LOAD segment
// (data or bss).
func (b *Binary) inWritableSegment(vaddr uint64) bool {
	for _, p := range b.elf.Progs {
		if p.Type == elf.PT_LOAD && p.Flags&elf.PF_W != 0 && vaddr >= p.Vaddr && vaddr < p.Vaddr+p.Memsz {
			return true
		}
	}
	return false
}
