package gobin

import (
	"fmt"

	"golang.org/x/arch/x86/x86asm"
)

// maxFuncBytes bounds how much of one function is disassembled.
const maxFuncBytes = 1 << 20

// funcCode returns the function and its machine code.
func (b *Binary) funcCode(name string) (Func, []byte, error) {
	if b.Arch != "amd64" {
		return Func{}, nil, fmt.Errorf("disassemble %s (%s): %w", name, b.Arch, ErrUnsupportedArch)
	}
	f, err := b.Func(name)
	if err != nil {
		return Func{}, nil, err
	}
	n := f.End - f.Entry
	if f.End <= f.Entry || n > maxFuncBytes {
		return Func{}, nil, fmt.Errorf("func %s: bad size %d", name, int64(n))
	}
	code, err := b.readVaddr(f.Entry, n)
	if err != nil {
		return Func{}, nil, fmt.Errorf("func %s: %w", name, err)
	}
	return f, code, nil
}

// RetOffsets returns the file offsets of every RET instruction of the
// function, in address order: one uprobe on each observes the returns
// without uretprobes (which crash Go programs, whose stacks move). The whole
// function is decoded linearly; a byte sequence that does not decode is an
// error rather than a guess, since a uprobe in the middle of an instruction
// would corrupt the target. Tail calls (JMP to another function) are not
// returns and are not reported.
func (b *Binary) RetOffsets(name string) ([]uint64, error) {
	f, code, err := b.funcCode(name)
	if err != nil {
		return nil, err
	}
	var rets []uint64
	for pc := 0; pc < len(code); {
		inst, err := x86asm.Decode(code[pc:], 64)
		if err != nil {
			return nil, fmt.Errorf("func %s: decode at +%#x: %w", name, pc, err)
		}
		if inst.Op == x86asm.RET {
			rets = append(rets, f.Offset+uint64(pc))
		}
		pc += inst.Len
	}
	if len(rets) == 0 {
		return nil, fmt.Errorf("func %s: no ret instruction", name)
	}
	return rets, nil
}

// maxPrologue is how far EntryProbeOffset looks for PUSHQ BP: the stack
// check is at most LEAQ -n(SP), R12 (8 bytes) + CMPQ R12, 16(R14) (4) +
// JBE rel32 (6) = 0x12 bytes.
const maxPrologue = 0x20

// EntryProbeOffset returns the file offset of the prologue's PUSHQ BP, the
// cheapest place for an entry uprobe: the kernel emulates PUSH instead of
// single-stepping it (~0.7 µs instead of ~10 µs a hit here). It is at
// entry+0x6…0x12, after the stack-bound check and before any argument
// register is modified, so a probe there sees the same arguments as one at
// the entry. It is also hit once per call: when the stack must grow, the
// function re-enters from the top after morestack, and the check branches
// away before the PUSH.
//
// When the function has no such prologue (frameless or NOSPLIT assembly),
// or an instruction before the PUSH might write an argument register, it
// falls back to the entry's file offset.
func (b *Binary) EntryProbeOffset(name string) (uint64, error) {
	f, code, err := b.funcCode(name)
	if err != nil {
		return 0, err
	}
	return entryProbeOffset(f, code), nil
}

func entryProbeOffset(f Func, code []byte) uint64 {
	if len(code) > maxPrologue {
		code = code[:maxPrologue]
	}
	for pc := 0; pc < len(code); {
		inst, err := x86asm.Decode(code[pc:], 64)
		if err != nil {
			return f.Offset
		}
		if inst.Op == x86asm.PUSH && inst.Args[0] == x86asm.RBP {
			return f.Offset + uint64(pc)
		}
		if !prologueSafe(inst) {
			return f.Offset
		}
		pc += inst.Len
	}
	return f.Offset
}

// prologueSafe reports whether inst may precede PUSHQ BP without changing an
// argument register: the stack check (CMP, conditional jump) and the LEA of
// a large frame's bound into R12/R13.
func prologueSafe(inst x86asm.Inst) bool {
	switch inst.Op {
	case x86asm.CMP, x86asm.JBE, x86asm.JA, x86asm.JB, x86asm.JAE, x86asm.NOP:
		return true
	case x86asm.LEA, x86asm.MOV:
		r, ok := inst.Args[0].(x86asm.Reg)
		return ok && (r == x86asm.R12 || r == x86asm.R13)
	}
	return false
}
