package gobin

import (
	"encoding/binary"
	"errors"

	"golang.org/x/arch/arm64/arm64asm"
)

// arm64: Go's ABIInternal passes integer arguments and results in R0…R15
// (g lives in R28, the link register is R30).
var archARM64 = &arch{
	name:   "arm64",
	args:   []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15},
	ctx:    26,
	decode: decodeA64,
}

var errShort = errors.New("truncated instruction")

func sext(v uint32, bits uint) int64 {
	return int64(int32(v<<(32-bits)) >> (32 - bits))
}

// a64 classifies the instructions the analyses need by their encoding
// (ARM Architecture Reference Manual, "A64 Instruction Set Encoding"):
// branches, PC-relative addressing, immediate arithmetic and moves, loads
// and stores with their exact offsets, exclusive and LSE atomics (which
// arm64asm does not decode). Anything else is decoded with arm64asm, whose
// first operand, when a register, is what the instruction writes.
func decodeA64(code []byte, pc uint64) (insn, error) {
	if len(code) < 4 {
		return insn{}, errShort
	}
	enc := binary.LittleEndian.Uint32(code)
	in := newInsn(pc, 4)
	rd := int(enc & 31)
	rn := int(enc >> 5 & 31)
	rt2 := int(enc >> 10 & 31)
	rs := int(enc >> 16 & 31)
	sf := enc>>31 == 1
	// gpr maps a register field to a register: 31 is SP or ZR.
	gpr := func(r int, sp bool) int {
		if r == 31 {
			if sp {
				return regSP
			}
			return regZero
		}
		return r
	}
	switch {
	case enc>>26 == 0x05 || enc>>26 == 0x25: // B, BL
		t := uint64(int64(pc) + sext(enc&0x3ffffff, 26)*4)
		if enc>>31 == 1 {
			in.op = opCall
		} else {
			in.op = opJump
		}
		in.target = t
		return in, nil
	case enc&0xff000010 == 0x54000000: // B.cond
		in.op, in.target = opCond, uint64(int64(pc)+sext(enc>>5&0x7ffff, 19)*4)
		return in, nil
	case enc&0x7e000000 == 0x34000000: // CBZ, CBNZ
		in.op, in.target = opCond, uint64(int64(pc)+sext(enc>>5&0x7ffff, 19)*4)
		return in, nil
	case enc&0x7e000000 == 0x36000000: // TBZ, TBNZ
		in.op, in.target = opCond, uint64(int64(pc)+sext(enc>>5&0x3fff, 14)*4)
		return in, nil
	case enc&0xfffffc1f == 0xd61f0000: // BR
		in.op = opJump
		return in, nil
	case enc&0xfffffc1f == 0xd63f0000: // BLR
		in.op = opCall
		return in, nil
	case enc&0xfffffc1f == 0xd65f0000: // RET
		in.op = opRet
		return in, nil
	case enc&0x1f000000 == 0x10000000: // ADR, ADRP
		imm := sext(enc>>5&0x7ffff<<2|enc>>29&3, 21)
		in.op, in.dst = opConst, gpr(rd, false)
		if enc>>31 == 1 {
			in.imm = int64(pc&^0xfff) + imm<<12
		} else {
			in.imm = int64(pc) + imm
		}
		return in, nil
	case enc>>23&0x3f == 0x22: // ADD/SUB (immediate)
		imm := int64(enc >> 10 & 0xfff)
		if enc>>22&1 == 1 {
			imm <<= 12
		}
		if enc>>30&1 == 1 {
			imm = -imm
		}
		setFlags := enc>>29&1 == 1
		if setFlags && rd == 31 { // CMP, CMN
			in.op, in.src, in.imm = opCmp, gpr(rn, true), -imm
			return in, nil
		}
		if sf {
			in.op, in.dst, in.mem = opLea, gpr(rd, !setFlags), mem{base: gpr(rn, true), index: regNone, disp: imm}
			if in.mem.base == regZero {
				in.op, in.imm = opConst, imm
			}
			return in, nil
		}
		in.defs = []int{gpr(rd, !setFlags)}
		return in, nil
	case enc>>23&0x3f == 0x25: // MOVN, MOVZ, MOVK
		imm := uint64(enc>>5&0xffff) << (16 * (enc >> 21 & 3))
		switch enc >> 29 & 3 {
		case 0: // MOVN
			imm = ^imm
			if !sf {
				imm &= 0xffffffff
			}
			in.op, in.dst, in.imm = opConst, gpr(rd, false), int64(imm)
		case 2: // MOVZ
			in.op, in.dst, in.imm = opConst, gpr(rd, false), int64(imm)
		default: // MOVK
			in.defs = []int{gpr(rd, false)}
		}
		return in, nil
	case enc&0x7fe0ffe0 == 0x2a0003e0: // ORR Rd, ZR, Rm: MOV
		if sf {
			in.op, in.dst, in.mem = opLea, gpr(rd, false), mem{base: gpr(int(enc>>16&31), false), index: regNone}
			if in.mem.base == regZero {
				in.op, in.imm = opConst, 0
			}
		} else {
			in.defs = []int{gpr(rd, false)}
		}
		return in, nil
	case enc&0xffe00000 == 0x8b000000 && rd != 31: // ADD Xd, Xn, Xm, LSL #k
		k := enc >> 10 & 63
		in.op, in.dst = opLea, rd
		in.mem = mem{base: gpr(rn, false), index: gpr(int(enc>>16&31), false), scale: 1 << k}
		if in.mem.index == regZero {
			in.mem.index = regNone
		}
		return in, nil
	case enc&0x3b000000 == 0x39000000: // load/store, unsigned immediate
		size := enc >> 30
		scaled := int64(enc>>10&0xfff) << size
		return a64LoadStore(in, enc, size, mem{base: gpr(rn, true), index: regNone, disp: scaled}), nil
	case enc&0x3b200000 == 0x38000000: // load/store, 9-bit signed offset
		size := enc >> 30
		m := mem{base: gpr(rn, true), index: regNone, disp: sext(enc>>12&0x1ff, 9)}
		switch enc >> 10 & 3 {
		case 1:
			m.post = true
		case 3:
			m.pre = true
		}
		return a64LoadStore(in, enc, size, m), nil
	case enc&0x3b200c00 == 0x38200800: // load/store, register offset
		size := enc >> 30
		m := mem{base: gpr(rn, true), index: gpr(int(enc>>16&31), false), scale: 1}
		if enc>>12&1 == 1 {
			m.scale = 1 << size
		}
		return a64LoadStore(in, enc, size, m), nil
	case enc&0x3f200c00 == 0x38200000: // LSE atomic memory operations (V=0)
		size := enc >> 30
		in.mem = mem{base: gpr(rn, true), index: regNone}
		in.width = 1 << size
		in.atomic = true
		in.dst = gpr(rd, false)
		o3, opc := enc>>15&1, enc>>12&7
		switch {
		case o3 == 0 && opc == 0: // LDADD
			in.op, in.src = opRMW, gpr(rs, false)
		case o3 == 1 && opc == 4: // LDAPR
			in.op = opLoad
		case o3 == 1 && opc == 0: // SWP
			in.op, in.src = opStore, gpr(rs, false)
			in.defs = []int{in.dst}
			in.dst = regNone
		default: // LDCLR, LDEOR, LDSET, LDSMAX…
			in.op = opRMW
		}
		return in, nil
	case enc&0x3a000000 == 0x28000000: // load/store pair
		opc := enc >> 30
		v := enc>>26&1 == 1
		scale := int64(4)
		switch {
		case v:
			scale = 4 << opc
		case opc == 2:
			scale = 8
		}
		m := mem{base: gpr(rn, true), index: regNone, disp: sext(enc>>15&0x7f, 7) * scale}
		switch enc >> 23 & 3 {
		case 1:
			m.post = true
		case 3:
			m.pre = true
		}
		in.mem, in.width = m, int(scale)
		load := enc>>22&1 == 1
		switch {
		case load && v:
			in.op = opOther // SIMD registers
			if m.pre || m.post {
				in.op = opLoad // for the writeback
			}
		case load:
			in.op, in.dst, in.dst2 = opLoad, gpr(rd, false), gpr(rt2, false)
			if opc != 2 {
				in.defs = []int{in.dst, in.dst2}
				in.dst, in.dst2 = regNone, regNone
			}
		default:
			in.op = opStore
			if !v {
				in.src, in.src2 = gpr(rd, false), gpr(rt2, false)
			}
			if opc != 2 || v {
				in.src, in.src2 = regNone, regNone
			}
		}
		return in, nil
	case enc&0x3f000000 == 0x08000000: // exclusive, ordered, compare-and-swap
		size := enc >> 30
		o2, l, o1 := enc>>23&1, enc>>22&1, enc>>21&1
		in.mem = mem{base: gpr(rn, true), index: regNone}
		in.width = 1 << size
		in.atomic = true
		switch {
		case o1 == 1 && o2 == 1: // CAS
			in.op, in.src = opCAS, gpr(rd, false)
			in.defs = []int{gpr(rs, false)}
		case o1 == 1: // exclusive pair
			if l == 1 {
				in.defs = []int{gpr(rd, false), gpr(rt2, false)}
			} else {
				in.defs = []int{gpr(rs, false)}
			}
		case l == 1: // LDXR, LDAXR, LDAR
			in.op, in.dst = opLoad, gpr(rd, false)
		default: // STXR, STLXR (status in Rs), STLR
			in.op, in.src = opStore, gpr(rd, false)
			if o2 == 0 {
				in.defs = []int{gpr(rs, false)}
			}
		}
		return in, nil
	case enc&0x3b000000 == 0x18000000: // load literal
		if enc>>26&1 == 0 && enc>>30 != 3 {
			in.op, in.dst = opLoad, gpr(rd, false)
			in.mem = mem{base: regPC, index: regNone, abs: uint64(int64(pc) + sext(enc>>5&0x7ffff, 19)*4)}
			in.width = 4
			if enc>>30 == 1 {
				in.width = 8
			}
		}
		return in, nil
	}
	if m := enc & 0xffc00000; m == 0x53000000 || m == 0xd3400000 { // UBFM
		// UBFX Rd, Rn, #0, #8 (UXTB) or UBFIZ Rd, Rn, #lsb, #8: the low
		// byte of Rn.
		if immr, imms := enc>>16&63, enc>>10&63; imms == 7 && (immr == 0 || immr > 7) {
			in.mask8 = rn
		}
		in.defs = []int{gpr(rd, false)}
		return in, nil
	}
	if m := enc & 0xfffffc00; m == 0x12001c00 || m == 0x92401c00 { // AND Rd, Rn, #0xff
		in.mask8 = rn
		in.defs = []int{gpr(rd, false)}
		return in, nil
	}
	inst, err := arm64asm.Decode(code[:4])
	if err != nil {
		// Not an instruction arm64asm knows (padding, newer extensions):
		// assume it may write any register.
		for r := 0; r < 31; r++ {
			in.defs = append(in.defs, r)
		}
		return in, nil
	}
	switch inst.Op {
	case arm64asm.NOP, arm64asm.HINT, arm64asm.DMB, arm64asm.DSB, arm64asm.ISB, arm64asm.BRK, arm64asm.HLT,
		arm64asm.CMP, arm64asm.CMN, arm64asm.TST, arm64asm.CCMP, arm64asm.CCMN, arm64asm.PRFM, arm64asm.PRFUM,
		arm64asm.MSR, arm64asm.YIELD, arm64asm.CLREX:
		return in, nil
	case arm64asm.SVC:
		for r := 0; r < 8; r++ {
			in.defs = append(in.defs, r)
		}
		return in, nil
	}
	if enc>>23&0x3f == 0x24 && rn == 31 && enc>>29&3 == 1 { // ORR Rd, ZR, #bitmask: MOV
		for _, a := range inst.Args {
			if v, ok := a.(arm64asm.Imm64); ok {
				in.op, in.dst, in.imm = opConst, gpr(rd, true), int64(v.Imm)
				if !sf {
					in.imm = int64(uint32(v.Imm))
				}
				return in, nil
			}
		}
	}
	switch a := inst.Args[0].(type) {
	case arm64asm.Reg:
		if r, ok := a64GPR(a); ok {
			in.defs = []int{r}
		}
	case arm64asm.RegSP:
		if r, ok := a64GPR(arm64asm.Reg(a)); ok {
			in.defs = []int{r}
		} else if arm64asm.Reg(a) == arm64asm.SP || arm64asm.Reg(a) == arm64asm.WSP {
			in.defs = []int{regSP}
		}
	}
	return in, nil
}

func a64GPR(r arm64asm.Reg) (int, bool) {
	switch {
	case r >= arm64asm.X0 && r <= arm64asm.X30:
		return int(r - arm64asm.X0), true
	case r >= arm64asm.W0 && r <= arm64asm.W30:
		return int(r - arm64asm.W0), true
	}
	return 0, false
}

// a64LoadStore fills in a single-register load or store.
func a64LoadStore(in insn, enc, size uint32, m mem) insn {
	rt := int(enc & 31)
	reg := rt
	if rt == 31 {
		reg = regZero
	}
	in.mem = m
	if enc>>26&1 == 1 { // SIMD and floating point
		in.width = 1 << size
		if enc>>23&1 == 1 && size == 0 {
			in.width = 16
		}
		if enc>>22&1 == 0 {
			in.op = opStore
		} else if m.pre || m.post {
			in.op = opLoad // for the writeback only
		}
		return in
	}
	in.width = 1 << size
	switch enc >> 22 & 3 {
	case 0:
		in.op, in.src = opStore, reg
	case 1:
		in.op, in.dst = opLoad, reg
	default:
		if size == 3 { // PRFM
			in.op = opOther
			return in
		}
		// Sign-extending loads.
		in.op, in.dst = opLoad, reg
	}
	return in
}
