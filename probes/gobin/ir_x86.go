package gobin

import (
	"golang.org/x/arch/x86/x86asm"
)

// amd64: Go's ABIInternal passes integer arguments and results in RAX,
// RBX, RCX, RDI, RSI, R8, R9, R10, R11 (g lives in R14).
var archAMD64 = &arch{
	name:   "amd64",
	args:   []int{0, 3, 1, 7, 6, 8, 9, 10, 11},
	ctx:    2,
	decode: decodeX86,
}

// x86Reg maps a general-purpose register of any width to its number.
func x86Reg(r x86asm.Reg) (n int, width int, ok bool) {
	switch {
	case r >= x86asm.RAX && r <= x86asm.R15:
		n, width = int(r-x86asm.RAX), 8
	case r >= x86asm.EAX && r <= x86asm.R15L:
		n, width = int(r-x86asm.EAX), 4
	case r >= x86asm.AX && r <= x86asm.R15W:
		n, width = int(r-x86asm.AX), 2
	case r >= x86asm.AL && r <= x86asm.R15B:
		// AL CL DL BL AH CH DH BH SPB BPB SIB DIB R8B…: AH…BH alias
		// RAX…RBX, the rest follow in order.
		i := int(r - x86asm.AL)
		switch {
		case i < 4:
			n = i
		case i < 8:
			n = i - 4
		default:
			n = i - 4
		}
		width = 1
	case r == x86asm.RIP:
		return regPC, 8, true
	default:
		return regNone, 0, false
	}
	if n == 4 {
		n = regSP
	}
	return n, width, true
}

func x86Mem(m x86asm.Mem, pc uint64, n int) mem {
	out := mem{base: regNone, index: regNone, disp: m.Disp, scale: int64(m.Scale)}
	if m.Segment != 0 {
		// FS/GS-relative (thread-local): not an address the analysis knows.
		out.base = regNone
		out.disp = 0
		out.index = regNone
		out.scale = 1 << 40 // unusable
		return out
	}
	if m.Base == x86asm.RIP {
		out.base = regPC
		out.abs = uint64(int64(pc) + int64(n) + m.Disp)
		return out
	}
	if r, _, ok := x86Reg(m.Base); ok {
		out.base = r
	}
	if m.Index != 0 {
		if r, _, ok := x86Reg(m.Index); ok {
			out.index = r
		}
	}
	return out
}

func decodeX86(code []byte, pc uint64) (insn, error) {
	inst, err := x86asm.Decode(code, 64)
	if err != nil {
		return insn{}, err
	}
	in := newInsn(pc, inst.Len)
	locked := false
	for _, p := range inst.Prefix {
		if p == 0 {
			break
		}
		if p&0xff == x86asm.PrefixLOCK {
			locked = true
		}
	}
	reg := func(i int) (int, int, bool) {
		r, ok := inst.Args[i].(x86asm.Reg)
		if !ok {
			return regNone, 0, false
		}
		return x86Reg(r)
	}
	memArg := func(i int) (mem, bool) {
		m, ok := inst.Args[i].(x86asm.Mem)
		if !ok {
			return mem{}, false
		}
		mm := x86Mem(m, pc, inst.Len)
		if mm.scale == 1<<40 {
			return mem{}, false
		}
		return mm, true
	}
	imm := func(i int) (int64, bool) {
		v, ok := inst.Args[i].(x86asm.Imm)
		return int64(v), ok
	}
	// defArg0 is the default: the first operand, if a register, is written.
	defArg0 := func() {
		if r, _, ok := reg(0); ok {
			in.defs = append(in.defs, r)
		}
	}
	switch inst.Op {
	case x86asm.RET:
		in.op = opRet
	case x86asm.CALL:
		in.op = opCall
		if rel, ok := inst.Args[0].(x86asm.Rel); ok {
			in.target = uint64(int64(pc) + int64(inst.Len) + int64(rel))
		}
	case x86asm.JMP:
		in.op = opJump
		if rel, ok := inst.Args[0].(x86asm.Rel); ok {
			in.target = uint64(int64(pc) + int64(inst.Len) + int64(rel))
		}
	case x86asm.JA, x86asm.JAE, x86asm.JB, x86asm.JBE, x86asm.JCXZ, x86asm.JE, x86asm.JECXZ, x86asm.JG,
		x86asm.JGE, x86asm.JL, x86asm.JLE, x86asm.JNE, x86asm.JNO, x86asm.JNP, x86asm.JNS, x86asm.JO,
		x86asm.JP, x86asm.JRCXZ, x86asm.JS:
		in.op = opCond
		if rel, ok := inst.Args[0].(x86asm.Rel); ok {
			in.target = uint64(int64(pc) + int64(inst.Len) + int64(rel))
		}
	case x86asm.MOV, x86asm.MOVZX, x86asm.MOVSX, x86asm.MOVSXD:
		dr, dw, dok := reg(0)
		switch {
		case dok:
			if m, ok := memArg(1); ok {
				in.op, in.dst, in.mem, in.width = opLoad, dr, m, inst.MemBytes
			} else if v, ok := imm(1); ok && inst.Op == x86asm.MOV {
				in.op, in.dst, in.imm = opConst, dr, v
				if dw == 4 {
					in.imm = int64(uint32(v))
				}
			} else if sr, sw, ok := reg(1); ok && inst.Op == x86asm.MOV && dw == 8 && sw == 8 {
				in.op, in.dst, in.mem = opLea, dr, mem{base: sr, index: regNone}
			} else {
				in.defs = append(in.defs, dr)
				if sr, sw, ok := reg(1); ok && inst.Op == x86asm.MOVZX && sw == 1 && sr == dr {
					in.mask8 = dr
				}
			}
		default:
			if m, ok := memArg(0); ok {
				in.op, in.mem, in.width = opStore, m, inst.MemBytes
				if sr, _, ok := reg(1); ok {
					in.src = sr
				} else if v, ok := imm(1); ok {
					in.imm, in.hasImm = v, true
				}
			}
		}
	case x86asm.MOVUPS, x86asm.MOVDQU, x86asm.MOVAPS, x86asm.MOVQ, x86asm.MOVD:
		if m, ok := memArg(0); ok {
			in.op, in.mem, in.width = opStore, m, inst.MemBytes
			break
		}
		defArg0()
	case x86asm.LEA:
		if r, w, ok := reg(0); ok {
			if m, ok := memArg(1); ok && w == 8 {
				in.op, in.dst, in.mem = opLea, r, m
				break
			}
			in.defs = append(in.defs, r)
		}
	case x86asm.ADD, x86asm.SUB:
		if m, ok := memArg(0); ok {
			in.op, in.mem, in.width, in.atomic = opRMW, m, inst.MemBytes, locked
			if sr, _, ok := reg(1); ok {
				in.src = sr
			} else if v, ok := imm(1); ok {
				if inst.Op == x86asm.SUB {
					v = -v
				}
				in.imm, in.hasImm = v, true
			}
			break
		}
		if r, w, ok := reg(0); ok && w == 8 {
			if v, ok := imm(1); ok {
				if inst.Op == x86asm.SUB {
					v = -v
				}
				in.op, in.dst, in.mem = opLea, r, mem{base: r, index: regNone, disp: v}
				break
			}
		}
		defArg0()
	case x86asm.AND:
		if m, ok := memArg(0); ok {
			in.op, in.mem, in.width, in.atomic = opRMW, m, inst.MemBytes, locked
			break
		}
		if r, _, ok := reg(0); ok {
			if v, ok := imm(1); ok && v == 0xff {
				in.mask8 = r
			}
		}
		defArg0()
	case x86asm.INC, x86asm.DEC, x86asm.OR, x86asm.NEG, x86asm.NOT, x86asm.SHL, x86asm.SHR, x86asm.SAR,
		x86asm.ADC, x86asm.SBB, x86asm.BTS, x86asm.BTR:
		if m, ok := memArg(0); ok {
			in.op, in.mem, in.width, in.atomic = opRMW, m, inst.MemBytes, locked
			switch inst.Op {
			case x86asm.INC:
				in.imm, in.hasImm = 1, true
			case x86asm.DEC:
				in.imm, in.hasImm = -1, true
			}
			break
		}
		defArg0()
	case x86asm.XADD:
		if m, ok := memArg(0); ok {
			in.op, in.mem, in.width, in.atomic = opRMW, m, inst.MemBytes, true
			if sr, _, ok := reg(1); ok {
				in.src = sr
				in.defs = append(in.defs, sr)
			}
			break
		}
		defArg0()
	case x86asm.XCHG:
		for i, j := range [2]int{1, 0} {
			if m, ok := memArg(i); ok {
				in.op, in.mem, in.width, in.atomic = opStore, m, inst.MemBytes, true
				if sr, _, ok := reg(j); ok {
					in.src = sr
					in.defs = append(in.defs, sr)
				}
			}
		}
		if in.op != opStore {
			defArg0()
			if r, _, ok := reg(1); ok {
				in.defs = append(in.defs, r)
			}
		}
	case x86asm.CMPXCHG, x86asm.CMPXCHG8B, x86asm.CMPXCHG16B:
		if m, ok := memArg(0); ok {
			in.op, in.mem, in.width, in.atomic = opCAS, m, inst.MemBytes, true
			if sr, _, ok := reg(1); ok {
				in.src = sr
			}
		}
		in.defs = append(in.defs, 0, 2) // RAX (RDX for the 8B/16B forms)
	case x86asm.XOR:
		r0, _, ok0 := reg(0)
		r1, _, ok1 := reg(1)
		if ok0 && ok1 && r0 == r1 {
			in.op, in.dst, in.imm = opConst, r0, 0
			break
		}
		if m, ok := memArg(0); ok {
			in.op, in.mem, in.width, in.atomic = opRMW, m, inst.MemBytes, locked
			break
		}
		defArg0()
	case x86asm.CMP, x86asm.TEST:
		v, ok := imm(1)
		if !ok {
			break
		}
		in.op, in.imm = opCmp, v
		if m, ok := memArg(0); ok {
			in.mem, in.width = m, inst.MemBytes
		} else if r, _, ok := reg(0); ok {
			in.src = r
		} else {
			in.op = opOther
		}
		if inst.Op == x86asm.TEST {
			in.op = opOther // a bit test, not a comparison with a value
		}
	case x86asm.PUSH:
		in.spAdjust = -8
	case x86asm.POP:
		in.spAdjust = 8
		defArg0()
	case x86asm.MUL, x86asm.DIV, x86asm.IDIV, x86asm.CQO, x86asm.CDQ, x86asm.CWD, x86asm.CDQE, x86asm.RDTSC, x86asm.RDTSCP:
		in.defs = append(in.defs, 0, 2)
		defArg0()
	case x86asm.IMUL:
		if inst.Args[1] == nil {
			in.defs = append(in.defs, 0, 2)
		}
		defArg0()
	case x86asm.CPUID:
		in.defs = append(in.defs, 0, 1, 2, 3)
	case x86asm.SYSCALL:
		in.defs = append(in.defs, 0, 1, 11)
	case x86asm.NOP, x86asm.UD2, x86asm.INT, x86asm.PAUSE, x86asm.MFENCE, x86asm.LFENCE, x86asm.SFENCE, x86asm.BT:
	default:
		// CMOVcc, SETcc, shifts, ALU ops on registers, SSE moves to
		// general registers, …: the first operand is written.
		defArg0()
	}
	return in, nil
}
