package gobin

// DecodedInsn is an insn as the tests see it.
type DecodedInsn struct {
	PC     uint64
	Op     string // call, ret, jump, cond, load, store, lea, const, rmw, cas, cmp, other
	Target uint64 // call, jump, cond
	Dst    int    // load, lea, const
	Src    int    // store
	Base   int    // memory operand; -2 for pc-relative
	Abs    uint64 // pc-relative memory operand's address
	Disp   int64
	Width  int
	Imm    int64 // const
	Atomic bool
}

var opNames = map[opKind]string{opOther: "other", opLea: "lea", opConst: "const", opLoad: "load", opStore: "store",
	opRMW: "rmw", opCAS: "cas", opCmp: "cmp", opCall: "call", opRet: "ret", opJump: "jump", opCond: "cond"}

// DecodeForTest decodes the function as the analyses do.
func (b *Binary) DecodeForTest(name string) ([]DecodedInsn, error) {
	_, insns, err := b.decodeFunc(name)
	if err != nil {
		return nil, err
	}
	out := make([]DecodedInsn, len(insns))
	for i, in := range insns {
		d := DecodedInsn{PC: in.pc, Op: opNames[in.op], Target: in.target, Dst: in.dst, Src: in.src,
			Base: in.mem.base, Disp: in.mem.disp, Width: in.width, Imm: in.imm, Atomic: in.atomic}
		if in.mem.base == regPC {
			d.Base, d.Abs = -2, in.mem.abs
		}
		if in.mem.base == regSP {
			d.Base = 31
		}
		out[i] = d
	}
	return out, nil
}
