package gobin

import (
	"fmt"
	"slices"
)

// Machine code in an architecture-neutral form
//
// The probes need a few facts that only the target's own machine code
// knows: where a function's entry can be probed cheaply, where it returns,
// which runtime globals it touches and at which offsets it reads the
// fields of its arguments. Each architecture's decoder (ir_x86.go,
// ir_a64.go) turns instructions into insns; interpret (below) runs a small
// forward data-flow analysis over them that tracks, per register and stack
// slot, where a value came from: a constant or absolute address, an
// incoming argument, the result of a call, or a load from such an address,
// each plus a constant offset. The pattern finders (data.go, derive.go)
// then look at the memory accesses, calls and comparisons it records.

// Registers, numbered the architecture's own way: x86 RAX=0, RCX=1,
// RDX=2, RBX=3, RBP=5, RSI=6, RDI=7, R8…R15=8…15; arm64 X0…X30=0…30.
// Both share the special numbers below.
const (
	regNone = -1
	regSP   = 32 // stack pointer
	regZero = 33 // arm64 XZR/WZR: reads as zero, writes are discarded
	regPC   = 34 // pc-relative addressing (x86 RIP); mem.abs holds the address
	numRegs = 35
)

type opKind uint8

const (
	opOther opKind = iota // writes the registers in defs with unknown values
	opLea                 // dst = address of mem (LEA, ADD/SUB immediate, ADRP, register move)
	opConst               // dst = imm
	opLoad                // dst (and dst2, the next word) = mem; dst may be regNone (compare with memory)
	opStore               // mem (and the next word) = src (and src2), or imm when src is regNone
	opRMW                 // mem = mem op src/imm (ADD to memory, XADD, LDADD, exclusive-pair loops)
	opCAS                 // compare-and-swap on mem
	opCmp                 // compare a register (src) or memory (mem, when src is regNone) with imm
	opCall                // target, 0 when indirect
	opRet
	opJump // target, 0 when indirect
	opCond // conditional branch to target
)

// mem is a memory operand: base + disp (+ index*scale).
type mem struct {
	base  int
	index int
	scale int64
	disp  int64
	abs   uint64 // base == regPC: the absolute address (disp folded in)
	// writeback (arm64 pre- and post-indexed forms): the base register is
	// changed by disp; a post-indexed access uses the old base.
	pre, post bool
}

// insn is one decoded instruction.
type insn struct {
	pc       uint64
	len      int
	op       opKind
	dst      int
	dst2     int
	src      int
	src2     int
	imm      int64
	hasImm   bool
	mem      mem
	width    int // memory access size in bytes
	atomic   bool
	target   uint64
	defs     []int // registers written besides dst/dst2 (opOther: all it writes)
	spAdjust int64 // PUSH/POP: the stack pointer moves by this after the insn
	// mask8: the register whose low byte this instruction extracts in
	// place (x86 MOVZX r32, r8 / AND $0xff; arm64 UBFX #0, #8 / AND #0xff),
	// regNone otherwise.
	mask8 int
}

func (in *insn) isByteMask(r int) bool { return r != regNone && in.mask8 == r }

func newInsn(pc uint64, n int) insn {
	return insn{pc: pc, len: n, dst: regNone, dst2: regNone, src: regNone, src2: regNone,
		mem: mem{base: regNone, index: regNone}, mask8: regNone}
}

// arch describes one architecture for the analyses.
type arch struct {
	name string
	// args are the integer argument (and result) registers of Go's
	// ABIInternal in order.
	args []int
	// ctx is the closure context register (amd64 RDX, arm64 R26): a
	// closure's captured variables are read through it. It is tracked as
	// argument -1.
	ctx int
	// decode decodes the instruction at code[0:], located at pc.
	decode func(code []byte, pc uint64) (insn, error)
}

// vkind says where a value came from.
type vkind uint8

const (
	vConst vkind = iota + 1 // n (an absolute address or a number)
	vArg                    // incoming integer argument n (0-based)
	vRet                    // first result of the call at pc n
	vLoad                   // loaded from the address from
)

// value is what the analysis knows about a register or stack slot. nil is
// "unknown". Values are immutable.
type value struct {
	k     vkind
	n     int64
	off   int64  // added constant (not vConst: n holds it)
	scale int64  // > 0: plus an unknown index times scale
	from  *value // vLoad
	width int    // vLoad: bytes loaded
}

const maxValueDepth = 4

func (v *value) depth() int {
	d := 0
	for ; v != nil && v.k == vLoad; v = v.from {
		d++
	}
	return d
}

func constVal(n int64) *value { return &value{k: vConst, n: n} }

// plus returns v + d.
func (v *value) plus(d int64) *value {
	if v == nil {
		return nil
	}
	w := *v
	if w.k == vConst {
		w.n += d
	} else {
		w.off += d
	}
	return &w
}

// indexed returns v + (unknown index) * scale.
func (v *value) indexed(scale int64) *value {
	if v == nil || v.scale != 0 || scale <= 0 {
		return nil
	}
	w := *v
	w.scale = scale
	return &w
}

// abs reports the absolute address (or number) v holds.
func (v *value) abs() (uint64, bool) {
	if v == nil || v.k != vConst || v.scale != 0 {
		return 0, false
	}
	return uint64(v.n), true
}

// argField reports whether v is argument arg plus a constant, returning it.
func (v *value) argField(arg int) (int64, bool) {
	if v == nil || v.k != vArg || v.n != int64(arg) || v.scale != 0 {
		return 0, false
	}
	return v.off, true
}

// loadedFrom reports whether v was loaded (with no offset added) from an
// address, returning that address.
func (v *value) loadedFrom() (*value, bool) {
	if v == nil || v.k != vLoad || v.off != 0 || v.scale != 0 {
		return nil, false
	}
	return v.from, true
}

func (v *value) isRet(callPC uint64) bool {
	return v != nil && v.k == vRet && v.n == int64(callPC) && v.off == 0 && v.scale == 0
}

func sameValue(a, b *value) bool {
	for {
		if a == b {
			return true
		}
		if a == nil || b == nil || a.k != b.k || a.n != b.n || a.off != b.off || a.scale != b.scale || a.width != b.width {
			return false
		}
		a, b = a.from, b.from
	}
}

func (v *value) String() string {
	if v == nil {
		return "?"
	}
	var s string
	switch v.k {
	case vConst:
		s = fmt.Sprintf("%#x", v.n)
	case vArg:
		s = fmt.Sprintf("arg%d", v.n)
		if v.n < 0 {
			s = "ctx"
		}
	case vRet:
		s = fmt.Sprintf("ret@%#x", v.n)
	case vLoad:
		s = fmt.Sprintf("*%d(%s)", v.width, v.from)
	}
	if v.off != 0 {
		s += fmt.Sprintf("%+d", v.off)
	}
	if v.scale != 0 {
		s += fmt.Sprintf("+i*%d", v.scale)
	}
	return s
}

// Events the interpretation records, in address order.

// access is a memory access through a non-stack address.
type access struct {
	pc     uint64
	op     opKind // opLoad, opStore, opRMW, opCAS
	addr   *value
	width  int
	atomic bool
	val    *value // stored (opStore), added (opRMW) or loaded (opLoad) value
}

// callEvent is a call with the values of the first argument registers.
type callEvent struct {
	pc, next uint64 // the call and the instruction after it
	target   uint64 // 0: indirect
	args     []*value
}

// cmpEvent is a comparison of a value with a constant.
type cmpEvent struct {
	pc  uint64
	v   *value
	imm int64
}

type trace struct {
	insns    []insn
	accesses []access
	calls    []callEvent
	cmps     []cmpEvent
}

// state is the abstract machine state at one point.
type state struct {
	regs    [numRegs]*value
	slots   map[int64]*value // stack slots (8 bytes) by offset from the entry's stack pointer
	sp      int64            // stack pointer relative to the entry's
	spKnown bool
}

func (s *state) clone() *state {
	c := *s
	c.slots = make(map[int64]*value, len(s.slots))
	for k, v := range s.slots {
		c.slots[k] = v
	}
	return &c
}

// meet merges o into s (values that differ become unknown) and reports
// whether s changed.
func (s *state) meet(o *state) bool {
	changed := false
	for i := range s.regs {
		if s.regs[i] != nil && !sameValue(s.regs[i], o.regs[i]) {
			s.regs[i] = nil
			changed = true
		}
	}
	if s.spKnown && (!o.spKnown || o.sp != s.sp) {
		s.spKnown = false
		changed = true
	}
	for k, v := range s.slots {
		if ov, ok := o.slots[k]; !ok || !sameValue(v, ov) {
			delete(s.slots, k)
			changed = true
		}
	}
	return changed
}

// decodeAll decodes code (the function at entry) completely.
func decodeAll(a *arch, name string, entry uint64, code []byte) ([]insn, error) {
	var out []insn
	for pc := 0; pc < len(code); {
		in, err := a.decode(code[pc:], entry+uint64(pc))
		if err != nil {
			return nil, fmt.Errorf("func %s: decode at +%#x: %w", name, pc, err)
		}
		out = append(out, in)
		pc += in.len
	}
	return out, nil
}

// interpret runs the data-flow analysis over a function's instructions
// and records the events. entry is the function's address: a jump back to
// it (the retry after morestack) is treated as leaving the function.
func interpret(a *arch, entry uint64, insns []insn) *trace {
	t := &trace{insns: insns}
	if len(insns) == 0 {
		return t
	}
	end := insns[len(insns)-1].pc + uint64(insns[len(insns)-1].len)
	index := make(map[uint64]int, len(insns))
	for i, in := range insns {
		index[in.pc] = i
	}
	// Basic blocks start at the entry, at branch targets and after
	// branches.
	leader := make([]bool, len(insns))
	leader[0] = true
	for i, in := range insns {
		switch in.op {
		case opJump, opCond, opRet:
			if i+1 < len(insns) {
				leader[i+1] = true
			}
			if in.target > entry && in.target < end {
				if j, ok := index[in.target]; ok {
					leader[j] = true
				}
			}
		}
	}
	var starts []int
	blockOf := make(map[int]int)
	for i, l := range leader {
		if l {
			blockOf[i] = len(starts)
			starts = append(starts, i)
		}
	}
	in := make([]*state, len(starts))
	init := &state{slots: map[int64]*value{}, spKnown: true}
	for i, r := range a.args {
		init.regs[r] = &value{k: vArg, n: int64(i)}
	}
	init.regs[a.ctx] = &value{k: vArg, n: -1}
	in[0] = init
	work := []int{0}
	queued := map[int]bool{0: true}
	succ := func(b int, out *state, f func(int, *state)) {
		i := starts[b]
		last := len(insns)
		if b+1 < len(starts) {
			last = starts[b+1]
		}
		st := out
		_ = i
		lastIn := insns[last-1]
		if lastIn.op == opJump || lastIn.op == opCond {
			if lastIn.target > entry && lastIn.target < end {
				if j, ok := index[lastIn.target]; ok {
					f(blockOf[j], st)
				}
			}
		}
		if lastIn.op != opJump && lastIn.op != opRet && last < len(insns) {
			f(blockOf[last], st)
		}
	}
	run := func(b int, record bool) *state {
		st := in[b].clone()
		last := len(insns)
		if b+1 < len(starts) {
			last = starts[b+1]
		}
		for i := starts[b]; i < last; i++ {
			step(a, st, &insns[i], t, record)
		}
		return st
	}
	for iter := 0; len(work) > 0 && iter < 100*len(starts); iter++ {
		b := work[0]
		work = work[1:]
		queued[b] = false
		out := run(b, false)
		succ(b, out, func(nb int, st *state) {
			if in[nb] == nil {
				in[nb] = st.clone()
			} else if !in[nb].meet(st) {
				return
			}
			if !queued[nb] {
				queued[nb] = true
				work = append(work, nb)
			}
		})
	}
	for b := range starts {
		if in[b] != nil {
			run(b, true)
		}
	}
	slices.SortFunc(t.accesses, func(x, y access) int { return cmpU64(x.pc, y.pc) })
	slices.SortFunc(t.calls, func(x, y callEvent) int { return cmpU64(x.pc, y.pc) })
	slices.SortFunc(t.cmps, func(x, y cmpEvent) int { return cmpU64(x.pc, y.pc) })
	return t
}

func cmpU64(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// addr returns the value of a memory operand's address.
func (s *state) addr(m mem) *value {
	var v *value
	switch m.base {
	case regPC:
		v = constVal(int64(m.abs))
	case regNone:
		v = constVal(m.disp)
	case regSP:
		if !s.spKnown {
			return nil
		}
		return nil // stack addresses are handled as slots
	default:
		if !m.post {
			v = s.regs[m.base].plus(m.disp)
		} else {
			v = s.regs[m.base]
		}
	}
	if m.base != regPC && m.base != regNone && m.index != regNone {
		v = v.indexed(m.scale)
	}
	if v.depth() > maxValueDepth {
		return nil
	}
	return v
}

// slot returns the stack slot a memory operand addresses, if any.
func (s *state) slot(m mem) (int64, bool) {
	if m.base != regSP || m.index != regNone || !s.spKnown {
		return 0, false
	}
	if m.post {
		return s.sp, true
	}
	return s.sp + m.disp, true
}

func (s *state) get(r int) *value {
	switch r {
	case regNone:
		return nil
	case regZero:
		return constVal(0)
	}
	return s.regs[r]
}

func (s *state) set(r int, v *value) {
	switch r {
	case regNone, regZero:
		return
	case regSP:
		s.spKnown = false
		return
	}
	s.regs[r] = v
}

func (s *state) clobberSlots(k int64, width int) {
	for o := k - 7; o < k+int64(width); o++ {
		delete(s.slots, o)
	}
}

// step applies one instruction to st, recording events when record is set.
func step(a *arch, st *state, in *insn, t *trace, record bool) {
	writeback := func() {
		if in.mem.pre || in.mem.post {
			if in.mem.base == regSP {
				st.sp += in.mem.disp
			} else {
				st.set(in.mem.base, st.get(in.mem.base).plus(in.mem.disp))
			}
		}
	}
	switch in.op {
	case opLea:
		if in.dst == regSP && in.mem.base == regSP && in.mem.index == regNone {
			st.sp += in.mem.disp
			break
		}
		if in.mem.base == regSP {
			st.set(in.dst, nil) // a pointer into the frame
			break
		}
		st.set(in.dst, st.addr(in.mem))
	case opConst:
		st.set(in.dst, constVal(in.imm))
	case opLoad:
		if k, ok := st.slot(in.mem); ok {
			v := st.slots[k]
			if in.width != 8 {
				v = nil
			}
			st.set(in.dst, v)
			if in.dst2 != regNone {
				v2 := st.slots[k+int64(in.width)]
				if in.width != 8 {
					v2 = nil
				}
				st.set(in.dst2, v2)
			}
			writeback()
			break
		}
		ad := st.addr(in.mem)
		var v, v2 *value
		if ad != nil {
			v = &value{k: vLoad, from: ad, width: in.width}
			if in.dst2 != regNone {
				v2 = &value{k: vLoad, from: ad.plus(int64(in.width)), width: in.width}
			}
		}
		if record && ad != nil {
			t.accesses = append(t.accesses, access{pc: in.pc, op: opLoad, addr: ad, width: in.width, atomic: in.atomic, val: v})
			if in.dst2 != regNone {
				t.accesses = append(t.accesses, access{pc: in.pc, op: opLoad, addr: ad.plus(int64(in.width)), width: in.width, val: v2})
			}
		}
		if in.dst == regNone && in.hasImm && record {
			t.cmps = append(t.cmps, cmpEvent{pc: in.pc, v: v, imm: in.imm})
		}
		writeback()
		st.set(in.dst, v)
		st.set(in.dst2, v2)
	case opStore:
		var v, v2 *value
		if in.src != regNone {
			v = st.get(in.src)
		} else if in.hasImm {
			v = constVal(in.imm)
		}
		if in.src2 != regNone {
			v2 = st.get(in.src2)
		}
		if k, ok := st.slot(in.mem); ok {
			n := in.width
			if in.src2 != regNone {
				n *= 2
			}
			st.clobberSlots(k, n)
			if in.width == 8 && v != nil {
				st.slots[k] = v
			}
			if in.width == 8 && in.src2 != regNone && v2 != nil {
				st.slots[k+8] = v2
			}
			writeback()
			break
		}
		if ad := st.addr(in.mem); ad != nil && record {
			t.accesses = append(t.accesses, access{pc: in.pc, op: opStore, addr: ad, width: in.width, atomic: in.atomic, val: v})
			if in.src2 != regNone {
				t.accesses = append(t.accesses, access{pc: in.pc, op: opStore, addr: ad.plus(int64(in.width)), width: in.width, val: v2})
			}
		}
		writeback()
	case opRMW, opCAS:
		var v *value
		if in.src != regNone {
			v = st.get(in.src)
		} else if in.hasImm {
			v = constVal(in.imm)
		}
		if k, ok := st.slot(in.mem); ok {
			st.clobberSlots(k, in.width)
		} else if ad := st.addr(in.mem); ad != nil && record {
			t.accesses = append(t.accesses, access{pc: in.pc, op: in.op, addr: ad, width: in.width, atomic: in.atomic, val: v})
		}
		writeback()
		st.set(in.dst, nil)
	case opCmp:
		if record {
			var v *value
			if in.src != regNone {
				v = st.get(in.src)
			} else if ad := st.addr(in.mem); ad != nil {
				v = &value{k: vLoad, from: ad, width: in.width}
				t.accesses = append(t.accesses, access{pc: in.pc, op: opLoad, addr: ad, width: in.width, val: v})
			}
			t.cmps = append(t.cmps, cmpEvent{pc: in.pc, v: v, imm: in.imm})
		}
	case opCall:
		if record {
			ev := callEvent{pc: in.pc, next: in.pc + uint64(in.len), target: in.target, args: make([]*value, len(a.args))}
			for i, r := range a.args {
				ev.args[i] = st.get(r)
			}
			t.calls = append(t.calls, ev)
		}
		// Every register is caller-saved in Go's ABI.
		for r := 0; r < 32; r++ {
			st.regs[r] = nil
		}
		st.regs[a.args[0]] = &value{k: vRet, n: int64(in.pc)}
	}
	for _, r := range in.defs {
		st.set(r, nil)
	}
	if in.op == opOther || in.op == opRMW || in.op == opCAS {
		st.set(in.dst, nil)
	}
	st.sp += in.spAdjust
}
