package gobin

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/gopulse/gopulse/probes/offsets"
)

// Struct offsets from the runtime's own code
//
// A stripped binary of a Go release the table does not know (one newer
// than gopulse) still carries the runtime functions that read the fields
// gopulse needs, with the offsets in their instructions. DerivedOffsets
// interprets those functions (see ir.go) and reads the offsets off the
// memory accesses, calls and comparisons they make. Every pattern below
// holds, on amd64 and arm64, in every release 1.21–1.27; the tests check
// each against DWARF. A pattern that is not found, is ambiguous or gives an
// implausible offset is an error naming the field and the function, never
// a guess.
//
// Bases: the first field of each global is touched by code that uses its
// address as is (see recoverData):
//
//   - runtime.sched: newproc1 refills the P's goid cache with
//     sched.goidgen.Add(_GoidCacheBatch): the only 8-byte atomic add of a
//     constant to a global there. goidgen is schedt's first field.
//   - runtime.memstats: (*mcache).refill calls
//     memstats.heapStats.acquire(); heapStats is mstats' first field.
//   - runtime.work: putfull calls work.full.push(&b.node); full is
//     workType's first field.
//
// Fields:
//
//   - g.gopc, g.goid, g.parentGoid: printcreatedby(gp) calls
//     findfunc(gp.gopc), compares gp.goid with 1 and passes gp.parentGoid
//     to printcreatedby1(f funcInfo, pc uintptr, goid uint64) (the 4th
//     integer register: funcInfo takes two).
//   - g.startpc: isSystemGoroutine(gp, …) calls findfunc(gp.startpc).
//   - g.atomicstatus: casgstatus(gp, …) compare-and-swaps it (4 bytes).
//   - timeHistogram: (*timeHistogram).record adds 1 atomically to
//     h.underflow, h.overflow (the only two at constant offsets, in that
//     order) and h.counts[i] (indexed by 8 bytes); len(counts) is
//     (underflow − counts) / 8.
//   - sched.timeToRun: casgstatus passes &sched.timeToRun to record.
//   - sched.stwTotalTimeGC (Go 1.22+): startTheWorldWithSema passes
//     &sched.stwTotalTimeGC or &sched.stwTotalTimeOther to record; GC's is
//     the lower one.
//   - sched.ngsys: newproc1's sched.ngsys.Add(1), a 4-byte atomic add of 1.
//   - free G counts: gfput(pp, gp) increments pp.gFree.n (p.gFree.size from
//     Go 1.25) and compares it with 64, and adds to the global list's
//     count(s): sched.gFree.n up to Go 1.24; sched.gFree.noStack.size and
//     .stack.size (the lower one is stack) from Go 1.25.
//   - memstats.numgc: gcMarkTermination indexes memstats.pause_ns with
//     numgc%256 and increments it: of the 4-byte counters it increments in
//     memstats, the one it also masks to a byte (numforcedgc follows it).
//   - work.pauseNS: gcStart zeroes it and its closure adds the sweep-
//     termination pause to it. work.tMark: that closure stores
//     startTheWorldWithSema's result in it.

// maxRuntimeStruct bounds the offsets of sched, memstats and work fields
// (all are a few KiB), and maxObject those of g and p (p is ~10 KiB).
const (
	maxRuntimeStruct = 1 << 16
	maxObject        = 1 << 15
)

// runtimeBases are the addresses of runtime globals found from code.
type runtimeBases struct {
	sched, memstats, work          uint64
	schedErr, memstatsErr, workErr error
}

func (b *Binary) runtimeBases() *runtimeBases {
	b.baseOnce.Do(func() {
		r := &runtimeBases{}
		r.sched, r.schedErr = b.find("runtime.newproc1", findGoidgen)
		r.memstats, r.memstatsErr = b.findCallArg("runtime.(*mcache).refill", "runtime.(*consistentHeapStats).acquire")
		r.work, r.workErr = b.findCallArg("runtime.putfull", "runtime.(*lfstack).push")
		b.bases = r
	})
	return b.bases
}

func findGoidgen(t *trace) (uint64, error) {
	var found []uint64
	for _, a := range t.accesses {
		if a.op != opRMW || !a.atomic || a.width != 8 {
			continue
		}
		ad, ok := a.addr.abs()
		if n, isConst := a.val.abs(); !ok || !isConst || n == 0 {
			continue
		}
		if !slices.Contains(found, ad) {
			found = append(found, ad)
		}
	}
	return unique(found, "8-byte atomic add of a constant to a global")
}

// findCallArg returns the absolute address fn passes as the first argument
// to callee (every such call must agree).
func (b *Binary) findCallArg(fn, callee string) (uint64, error) {
	cf, err := b.Func(callee)
	if err != nil {
		return 0, fmt.Errorf("via %s: %w", fn, err)
	}
	_, t, err := b.traceFunc(fn)
	if err != nil {
		return 0, fmt.Errorf("via %s: %w", fn, err)
	}
	var found []uint64
	for _, c := range t.calls {
		if c.target != cf.Entry {
			continue
		}
		if ad, ok := c.args[0].abs(); ok && !slices.Contains(found, ad) {
			found = append(found, ad)
		}
	}
	v, err := unique(found, "address passed to "+callee)
	if err != nil {
		return 0, fmt.Errorf("via %s: %w", fn, err)
	}
	return v, nil
}

func unique[T comparable](found []T, what string) (T, error) {
	var zero T
	switch len(found) {
	case 0:
		return zero, fmt.Errorf("%s: %w", what, errNoRef)
	case 1:
		return found[0], nil
	}
	return zero, fmt.Errorf("%s: %d candidates %v", what, len(found), found)
}

// derivedFields are the Offsets fields DerivedOffsets reads from code:
// everything the probes, the goroutine and scheduling-latency samples and
// the GC count need. The others (the memory classes, the GC controller and
// CPU classes groups of probes/rtstate) are Absent in derived offsets, and
// rtstate samples such a process without them.
var derivedFields = []string{
	"GGoid", "GParentGoid", "GGopc", "GStartpc", "GStatus",
	"PGFreeN", "SchedGFreeN", "SchedGFreeStackN", "SchedGFreeNoStackN",
	"SchedNGsys", "SchedTimeToRun", "SchedSTWTotalTimeGC",
	"HistCounts", "HistCountsLen", "HistUnderflow", "HistOverflow",
	"MemstatsNumGC", "WorkPauseNS", "WorkTMark",
}

// DerivedFields names the Offsets fields DerivedOffsets reads from code;
// it leaves the others Absent.
func DerivedFields() []string { return slices.Clone(derivedFields) }

// DerivedOffsets reads the struct offsets from the runtime's own code
// (Source "code"), ignoring DWARF and the table: the fields DerivedFields
// names, the others Absent. It fails with ErrUnknownOffsets when the code
// does not match the known patterns.
func (b *Binary) DerivedOffsets() (Offsets, error) {
	b.derOnce.Do(func() {
		b.derived, b.derErr = b.deriveOffsets()
	})
	return b.derived, b.derErr
}

// deriver collects the derived offsets and what went wrong.
type deriver struct {
	b     *Binary
	minor int // Go minor version, 0 when unknown
	errs  []error
}

func (d *deriver) fail(field, fn string, err error) {
	d.errs = append(d.errs, fmt.Errorf("%s (%s): %w", field, fn, err))
}

// trace interprets fn, whose code gives fields.
func (d *deriver) trace(fn string, fields ...string) *trace {
	_, t, err := d.b.traceFunc(fn)
	if err != nil {
		d.fail(strings.Join(fields, ", "), fn, err)
		return nil
	}
	return t
}

// offset checks an offset found for field and stores it.
func (d *deriver) offset(dst *int64, field, fn string, v int64, err error, limit int64, align int64) {
	if err == nil && (v < 0 || v >= limit || v%align != 0) {
		err = fmt.Errorf("implausible offset %d", v)
	}
	if err != nil {
		d.fail(field, fn, err)
		return
	}
	*dst = v
}

func (b *Binary) deriveOffsets() (Offsets, error) {
	if _, err := b.machine(); err != nil {
		return Offsets{}, fmt.Errorf("%s: derive offsets: %w: %w", b.Path, ErrUnknownOffsets, err)
	}
	_, minor, _ := offsets.Minor(b.GoVersion)
	d := &deriver{b: b, minor: minor}
	o := Offsets{Source: "code", GoVersion: b.GoVersion}
	v := reflect.ValueOf(&o).Elem()
	for i := 0; i < v.NumField(); i++ {
		if v.Type().Field(i).Tag.Get("dwarf") != "" {
			v.Field(i).SetInt(offsets.Absent)
		}
	}
	d.deriveG(&o)
	d.deriveHist(&o)
	d.deriveSched(&o)
	d.deriveFree(&o)
	d.deriveMemstats(&o)
	d.deriveWork(&o)
	if len(d.errs) > 0 {
		v := b.GoVersion
		if v == "" {
			v = "unknown go version"
		}
		return Offsets{}, fmt.Errorf("%s (%s, %s): no dwarf, not in the offsets table, and the runtime's code does not match the known patterns: %w: %w",
			b.Path, v, b.Arch, ErrUnknownOffsets, errors.Join(d.errs...))
	}
	return o, nil
}

// argLoad reports whether v was loaded from argument arg plus a constant.
func argLoad(v *value, arg int, width int) (int64, bool) {
	from, ok := v.loadedFrom()
	if !ok || v.width != width {
		return 0, false
	}
	return from.argField(arg)
}

func (d *deriver) callsTo(t *trace, callee string) []callEvent {
	f, err := d.b.Func(callee)
	if err != nil {
		return nil
	}
	var out []callEvent
	for _, c := range t.calls {
		if c.target == f.Entry {
			out = append(out, c)
		}
	}
	return out
}

func (d *deriver) deriveG(o *Offsets) {
	const pc = "runtime.printcreatedby"
	if t := d.trace(pc, "g.gopc", "g.goid", "g.parentGoid"); t != nil {
		var gopc, parent, goid []int64
		for _, c := range d.callsTo(t, "runtime.findfunc") {
			if off, ok := argLoad(c.args[0], 0, 8); ok && !slices.Contains(gopc, off) {
				gopc = append(gopc, off)
			}
		}
		for _, c := range d.callsTo(t, "runtime.printcreatedby1") {
			if off, ok := argLoad(c.args[3], 0, 8); ok && !slices.Contains(parent, off) {
				parent = append(parent, off)
			}
		}
		for _, c := range t.cmps {
			if off, ok := argLoad(c.v, 0, 8); ok && c.imm == 1 && !slices.Contains(goid, off) {
				goid = append(goid, off)
			}
		}
		v, err := unique(gopc, "gp.gopc passed to findfunc")
		d.offset(&o.GGopc, "g.gopc", pc, v, err, maxObject, 8)
		v, err = unique(parent, "gp.parentGoid passed to printcreatedby1")
		d.offset(&o.GParentGoid, "g.parentGoid", pc, v, err, maxObject, 8)
		v, err = unique(goid, "gp.goid compared with 1")
		d.offset(&o.GGoid, "g.goid", pc, v, err, maxObject, 8)
	}
	const sys = "runtime.isSystemGoroutine"
	if t := d.trace(sys, "g.startpc"); t != nil {
		var startpc []int64
		for _, c := range d.callsTo(t, "runtime.findfunc") {
			if off, ok := argLoad(c.args[0], 0, 8); ok && !slices.Contains(startpc, off) {
				startpc = append(startpc, off)
			}
		}
		v, err := unique(startpc, "gp.startpc passed to findfunc")
		d.offset(&o.GStartpc, "g.startpc", sys, v, err, maxObject, 8)
	}
	const cas = "runtime.casgstatus"
	if t := d.trace(cas, "g.atomicstatus"); t != nil {
		var status []int64
		for _, a := range t.accesses {
			if a.op != opCAS || a.width != 4 {
				continue
			}
			if off, ok := a.addr.argField(0); ok && !slices.Contains(status, off) {
				status = append(status, off)
			}
		}
		v, err := unique(status, "compare-and-swap of gp.atomicstatus")
		d.offset(&o.GStatus, "g.atomicstatus", cas, v, err, maxObject, 4)
	}
}

func (d *deriver) deriveHist(o *Offsets) {
	const fn = "runtime.(*timeHistogram).record"
	t := d.trace(fn, "timeHistogram fields")
	if t == nil {
		return
	}
	var fixed, indexed []int64
	for _, a := range t.accesses {
		if a.op != opRMW || !a.atomic || a.width != 8 || a.addr == nil || a.addr.k != vArg || a.addr.n != 0 {
			continue
		}
		switch a.addr.scale {
		case 0:
			if !slices.Contains(fixed, a.addr.off) {
				fixed = append(fixed, a.addr.off)
			}
		case 8:
			if !slices.Contains(indexed, a.addr.off) {
				indexed = append(indexed, a.addr.off)
			}
		}
	}
	counts, err := unique(indexed, "atomic add to h.counts[i]")
	d.offset(&o.HistCounts, "timeHistogram.counts", fn, counts, err, maxObject, 8)
	if len(fixed) != 2 {
		d.fail("timeHistogram.underflow/overflow", fn, fmt.Errorf("%d atomic adds at constant offsets %v, want 2", len(fixed), fixed))
		return
	}
	slices.Sort(fixed)
	d.offset(&o.HistUnderflow, "timeHistogram.underflow", fn, fixed[0], nil, maxObject, 8)
	d.offset(&o.HistOverflow, "timeHistogram.overflow", fn, fixed[1], nil, maxObject, 8)
	if err == nil && fixed[0] > counts {
		o.HistCountsLen = (fixed[0] - counts) / 8
	} else {
		d.fail("timeHistogram.counts#len", fn, fmt.Errorf("counts at %d, underflow at %d", counts, fixed[0]))
	}
}

// schedField returns the sched field offsets among absolute addresses.
func schedFields(sched uint64, addrs []uint64) []int64 {
	var out []int64
	for _, a := range addrs {
		if a >= sched && a < sched+maxRuntimeStruct && !slices.Contains(out, int64(a-sched)) {
			out = append(out, int64(a-sched))
		}
	}
	slices.Sort(out)
	return out
}

func (d *deriver) deriveSched(o *Offsets) {
	bases := d.b.runtimeBases()
	if bases.schedErr != nil {
		d.fail("runtime.sched", "runtime.newproc1", bases.schedErr)
		return
	}
	s := bases.sched
	const np = "runtime.newproc1"
	if t := d.trace(np, "schedt.ngsys"); t != nil {
		var adds []uint64
		for _, a := range t.accesses {
			if a.op != opRMW || !a.atomic || a.width != 4 {
				continue
			}
			ad, ok := a.addr.abs()
			if n, isConst := a.val.abs(); ok && isConst && n == 1 {
				adds = append(adds, ad)
			}
		}
		v, err := unique(schedFields(s, adds), "sched.ngsys.Add(1)")
		d.offset(&o.SchedNGsys, "schedt.ngsys", np, v, err, maxRuntimeStruct, 4)
	}
	const cas = "runtime.casgstatus"
	if t := d.trace(cas, "schedt.timeToRun"); t != nil {
		v, err := unique(schedFields(s, histRecordArgs(d.b, t)), "&sched.timeToRun passed to record")
		d.offset(&o.SchedTimeToRun, "schedt.timeToRun", cas, v, err, maxRuntimeStruct, 8)
	}
	const start = "runtime.startTheWorldWithSema"
	if t := d.trace(start, "schedt.stwTotalTimeGC"); t != nil {
		fs := schedFields(s, histRecordArgs(d.b, t))
		switch {
		case len(fs) == 2:
			d.offset(&o.SchedSTWTotalTimeGC, "schedt.stwTotalTimeGC", start, fs[0], nil, maxRuntimeStruct, 8)
		case len(fs) == 0 && d.minor > 0 && d.minor <= 21:
			o.SchedSTWTotalTimeGC = offsets.Absent // recorded from Go 1.22
		default:
			d.fail("schedt.stwTotalTimeGC", start, fmt.Errorf("%d sched histograms recorded (%v), want 2", len(fs), fs))
		}
	}
}

// deriveFree finds the free-G counts in gfput.
func (d *deriver) deriveFree(o *Offsets) {
	const fn = "runtime.gfput"
	bases := d.b.runtimeBases()
	if bases.schedErr != nil {
		return // reported by deriveSched
	}
	t := d.trace(fn, "p.gFree count", "schedt.gFree counts")
	if t == nil {
		return
	}
	// Counters: 4-byte fields both read and written (or updated in
	// place), not atomically.
	type key struct {
		abs bool
		a   int64
	}
	loaded, stored := map[key]bool{}, map[key]bool{}
	var order []key
	for _, a := range t.accesses {
		if a.width != 4 || a.atomic || a.addr == nil || a.addr.scale != 0 {
			continue
		}
		var k key
		if ad, ok := a.addr.abs(); ok {
			k = key{true, int64(ad)}
		} else if off, ok := a.addr.argField(0); ok {
			k = key{false, off}
		} else {
			continue
		}
		switch a.op {
		case opLoad:
			loaded[k] = true
		case opStore:
			stored[k] = true
		case opRMW:
			loaded[k], stored[k] = true, true
		}
		if !slices.Contains(order, k) {
			order = append(order, k)
		}
	}
	var pfree []int64
	var global []uint64
	for _, k := range order {
		if !loaded[k] || !stored[k] {
			continue
		}
		if k.abs {
			global = append(global, uint64(k.a))
		} else {
			pfree = append(pfree, k.a)
		}
	}
	v, err := unique(pfree, "pp.gFree count updated")
	d.offset(&o.PGFreeN, "p.gFree count", fn, v, err, maxObject, 4)
	fs := schedFields(bases.sched, global)
	o.SchedGFreeN, o.SchedGFreeStackN, o.SchedGFreeNoStackN = offsets.Absent, offsets.Absent, offsets.Absent
	switch {
	case len(fs) == 1 && (d.minor == 0 || d.minor <= 24):
		d.offset(&o.SchedGFreeN, "schedt.gFree.n", fn, fs[0], nil, maxRuntimeStruct, 4)
	case len(fs) == 2 && (d.minor == 0 || d.minor >= 25):
		d.offset(&o.SchedGFreeStackN, "schedt.gFree.stack.size", fn, fs[0], nil, maxRuntimeStruct, 4)
		d.offset(&o.SchedGFreeNoStackN, "schedt.gFree.noStack.size", fn, fs[1], nil, maxRuntimeStruct, 4)
	default:
		d.fail("schedt.gFree counts", fn, fmt.Errorf("%d counters in sched updated (%v)", len(fs), fs))
	}
}

func (d *deriver) deriveMemstats(o *Offsets) {
	const fn = "runtime.gcMarkTermination"
	bases := d.b.runtimeBases()
	if bases.memstatsErr != nil {
		d.fail("runtime.memstats", "runtime.(*mcache).refill", bases.memstatsErr)
		return
	}
	t := d.trace(fn, "mstats.numgc")
	if t == nil {
		return
	}
	m := bases.memstats
	in := func(a access) (int64, bool) {
		ad, ok := a.addr.abs()
		if !ok || ad < m || ad >= m+maxRuntimeStruct {
			return 0, false
		}
		return int64(ad - m), true
	}
	// 4-byte counters incremented in memstats.
	loaded, stored := map[int64]bool{}, map[int64]bool{}
	byteUse := map[int64]bool{} // read as a byte (amd64 MOVZX) or masked to one (arm64 UBFX)
	for i, a := range t.accesses {
		off, ok := in(a)
		if !ok || a.atomic {
			continue
		}
		switch {
		case a.width == 1 && a.op == opLoad:
			byteUse[off] = true
		case a.width == 4 && a.op == opLoad:
			loaded[off] = true
			if maskedToByte(t, a.pc) {
				byteUse[off] = true
			}
		case a.width == 4 && a.op == opStore:
			stored[off] = true
		case a.width == 4 && a.op == opRMW:
			loaded[off], stored[off] = true, true
		}
		_ = i
	}
	var numgc []int64
	for off := range loaded {
		if stored[off] && byteUse[off] {
			numgc = append(numgc, off)
		}
	}
	slices.Sort(numgc)
	v, err := unique(numgc, "memstats counter incremented and used modulo 256")
	d.offset(&o.MemstatsNumGC, "mstats.numgc", fn, v, err, maxRuntimeStruct, 4)
}

// maskedToByte reports whether the 4-byte value loaded by the instruction
// at pc is next reduced to its low byte (arm64 UBFX/AND #0xff of the
// destination, within a few instructions).
func maskedToByte(t *trace, pc uint64) bool {
	i, ok := slices.BinarySearchFunc(t.insns, pc, func(in insn, pc uint64) int { return cmpU64(in.pc, pc) })
	if !ok {
		return false
	}
	dst := t.insns[i].dst
	for _, in := range t.insns[i+1 : min(i+4, len(t.insns))] {
		if in.isByteMask(dst) {
			return true
		}
	}
	return false
}

func (d *deriver) deriveWork(o *Offsets) {
	bases := d.b.runtimeBases()
	if bases.workErr != nil {
		d.fail("runtime.work", "runtime.putfull", bases.workErr)
		return
	}
	w := bases.work
	inWork := func(a access) (int64, bool) {
		ad, ok := a.addr.abs()
		if !ok || ad < w || ad >= w+maxRuntimeStruct || a.width != 8 {
			return 0, false
		}
		return int64(ad - w), true
	}
	const fn = "runtime.gcStart"
	t := d.trace(fn, "workType.pauseNS", "workType.tMark")
	if t == nil {
		return
	}
	zeroed := map[int64]bool{}
	for _, a := range t.accesses {
		if off, ok := inWork(a); ok && a.op == opStore {
			if n, isConst := a.val.abs(); isConst && n == 0 {
				zeroed[off] = true
			}
		}
	}
	startFn, err := d.b.Func("runtime.startTheWorldWithSema")
	if err != nil {
		d.fail("workType.tMark", fn, err)
		return
	}
	var pause, tmark []int64
	for _, cl := range append([]string{fn}, d.b.closures(fn)...) {
		ct := t
		if cl != fn {
			if ct = d.trace(cl, "workType.pauseNS", "workType.tMark"); ct == nil {
				return
			}
		}
		var starts []uint64
		for _, c := range ct.calls {
			if c.target == startFn.Entry {
				starts = append(starts, c.pc)
			}
		}
		// The closure may go through the captured variable: now = …
		// stores the result through the context, work.tMark = now loads
		// it back.
		isResult := func(v *value) bool {
			for _, s := range starts {
				if v.isRet(s) {
					return true
				}
			}
			from, ok := v.loadedFrom()
			if !ok {
				return false
			}
			for _, a := range ct.accesses {
				if a.op == opStore && a.width == 8 && sameValue(a.addr, from) {
					for _, s := range starts {
						if a.val.isRet(s) {
							return true
						}
					}
				}
			}
			return false
		}
		loaded := map[int64]bool{}
		for _, a := range ct.accesses {
			off, ok := inWork(a)
			if !ok {
				continue
			}
			switch a.op {
			case opLoad:
				loaded[off] = true
			case opRMW:
				if zeroed[off] && !slices.Contains(pause, off) {
					pause = append(pause, off)
				}
			case opStore:
				if zeroed[off] && loaded[off] && !slices.Contains(pause, off) {
					if n, isConst := a.val.abs(); !isConst || n != 0 {
						pause = append(pause, off)
					}
				}
				if len(starts) > 0 && isResult(a.val) && !slices.Contains(tmark, off) {
					tmark = append(tmark, off)
				}
			}
		}
	}
	v, err := unique(pause, "work.pauseNS zeroed by gcStart and added to")
	d.offset(&o.WorkPauseNS, "workType.pauseNS", fn, v, err, maxRuntimeStruct, 8)
	v, err = unique(tmark, "work.tMark = startTheWorldWithSema(…)")
	d.offset(&o.WorkTMark, "workType.tMark", fn, v, err, maxRuntimeStruct, 8)
}
