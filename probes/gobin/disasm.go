package gobin

import (
	"encoding/binary"
	"fmt"

	"golang.org/x/arch/x86/x86asm"
)

// maxFuncBytes bounds how much of one function is disassembled.
const maxFuncBytes = 1 << 20

// machine returns the decoder for the binary's architecture.
func (b *Binary) machine() (*arch, error) {
	switch b.Arch {
	case "amd64":
		return archAMD64, nil
	case "arm64":
		return archARM64, nil
	}
	return nil, fmt.Errorf("disassemble (%s): %w", b.Arch, ErrUnsupportedArch)
}

// funcCode returns the function and its machine code.
func (b *Binary) funcCode(name string) (Func, []byte, error) {
	if _, err := b.machine(); err != nil {
		return Func{}, nil, fmt.Errorf("func %s: %w", name, err)
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

// decodeFunc disassembles a whole function. A byte sequence that does not
// decode (x86) is an error rather than a guess, since a uprobe in the
// middle of an instruction would corrupt the target.
func (b *Binary) decodeFunc(name string) (Func, []insn, error) {
	f, code, err := b.funcCode(name)
	if err != nil {
		return Func{}, nil, err
	}
	a, _ := b.machine()
	insns, err := decodeAll(a, name, f.Entry, code)
	if err != nil {
		return Func{}, nil, err
	}
	return f, insns, nil
}

// traceFunc disassembles and interprets a whole function (once: the
// traces are kept until Trim).
func (b *Binary) traceFunc(name string) (Func, *trace, error) {
	f, err := b.Func(name)
	if err != nil {
		return Func{}, nil, err
	}
	b.codeMu.Lock()
	t := b.traces[name]
	b.codeMu.Unlock()
	if t != nil {
		return f, t, nil
	}
	f, insns, err := b.decodeFunc(name)
	if err != nil {
		return Func{}, nil, err
	}
	a, _ := b.machine()
	t = interpret(a, f.Entry, insns)
	b.codeMu.Lock()
	if b.traces == nil {
		b.traces = make(map[string]*trace)
	}
	b.traces[name] = t
	b.codeMu.Unlock()
	return f, t, nil
}

// RetOffsets returns the file offsets of every return instruction of the
// function (x86 RET, arm64 RET), in address order: one uprobe on each
// observes the returns without uretprobes (which crash Go programs, whose
// stacks move). The whole function is decoded linearly. Tail calls (a jump
// to another function) are not returns and are not reported.
func (b *Binary) RetOffsets(name string) ([]uint64, error) {
	f, insns, err := b.decodeFunc(name)
	if err != nil {
		return nil, err
	}
	var rets []uint64
	for _, in := range insns {
		if in.op == opRet {
			rets = append(rets, f.Offset+(in.pc-f.Entry))
		}
	}
	if len(rets) == 0 {
		return nil, fmt.Errorf("func %s: no ret instruction", name)
	}
	return rets, nil
}

// CallSite is one direct call in a function.
type CallSite struct {
	Offset uint64 // file offset of the call instruction
	After  uint64 // file offset of the instruction after it
	Callee string // the called function ("" when unknown); pclntab names carry no ".abi0"
	// StackResult is the stack-pointer offset of the first stack slot the
	// caller loads after the call, before any branch or other call: where
	// it reads the result of an ABI0 (assembly) callee, which returns on
	// the stack. -1 when there is none.
	StackResult int64
}

// CallSites returns the direct calls of a function in address order.
func (b *Binary) CallSites(name string) ([]CallSite, error) {
	f, insns, err := b.decodeFunc(name)
	if err != nil {
		return nil, err
	}
	var out []CallSite
	for i, in := range insns {
		if in.op != opCall || in.target == 0 {
			continue
		}
		callee, _ := b.FuncForPC(in.target)
		cs := CallSite{
			Offset:      f.Offset + (in.pc - f.Entry),
			After:       f.Offset + (in.pc - f.Entry) + uint64(in.len),
			Callee:      callee,
			StackResult: -1,
		}
	scan:
		for _, next := range insns[i+1 : min(i+9, len(insns))] {
			switch {
			case next.op == opCall || next.op == opJump || next.op == opCond || next.op == opRet:
				break scan
			case next.mem.base == regSP && next.mem.index == regNone && !next.mem.pre && !next.mem.post:
				if next.op == opLoad {
					cs.StackResult = next.mem.disp
				}
				if next.op == opLoad || next.op == opStore {
					break scan
				}
			}
		}
		out = append(out, cs)
	}
	return out, nil
}

// EntryProbeOffset returns the file offset where an entry uprobe costs the
// target least while seeing the same argument registers as one at the
// entry. It falls back to the entry itself.
//
// amd64: the prologue's PUSHQ BP, which the kernel emulates instead of
// single-stepping (~0.7 µs instead of ~10 µs a hit here). It is at
// entry+0x6…0x12, after the stack-bound check and before any argument
// register is modified. It is also hit once per call: when the stack must
// grow, the function re-enters from the top after morestack, and the check
// branches away before the PUSH.
//
// arm64: the kernel single-steps loads, stores and arithmetic out of line
// but simulates branches (B.cond, CBZ/CBNZ, TBZ/TBNZ, B, BL, RET) and
// ADR/ADRP in the exception handler. The site is the first such
// instruction on the straight-line path from the entry before which no
// instruction writes an argument register (R0–R15), the link register or
// branches: the stack-bound check's B.LS in a function with a stack check
// (entry+8 or +12), a later conditional branch in a NOSPLIT function. When
// the stack check fails (a goroutine's stack must grow) the function is
// re-entered after morestack and such a site is hit again: use it for
// functions that run on the system stack or are NOSPLIT, as the probes do.
func (b *Binary) EntryProbeOffset(name string) (uint64, error) {
	f, code, err := b.funcCode(name)
	if err != nil {
		return 0, err
	}
	if b.Arch == "arm64" {
		return entryProbeOffsetA64(f, code), nil
	}
	return entryProbeOffset(f, code), nil
}

// maxPrologue is how far EntryProbeOffset looks for PUSHQ BP: the stack
// check is at most LEAQ -n(SP), R12 (8 bytes) + CMPQ R12, 16(R14) (4) +
// JBE rel32 (6) = 0x12 bytes.
const maxPrologue = 0x20

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

// maxPrologueA64 bounds the arm64 search: a NOSPLIT function's frame setup
// and argument spills take a few instructions.
const maxPrologueA64 = 16

// a64Simulated reports whether the kernel simulates the instruction when
// a uprobe hits it (arch/arm64/kernel/probes/decode-insn.c) rather than
// single-stepping it out of line: conditional branches and compare-and-
// branch / test-and-branch.
func a64Simulated(enc uint32) bool {
	return enc&0xff000010 == 0x54000000 || // B.cond
		enc&0x7e000000 == 0x34000000 || // CBZ, CBNZ
		enc&0x7e000000 == 0x36000000 // TBZ, TBNZ
}

func entryProbeOffsetA64(f Func, code []byte) uint64 {
	n := min(len(code)/4, maxPrologueA64)
	for i := 0; i < n; i++ {
		enc := binary.LittleEndian.Uint32(code[4*i:])
		if a64Simulated(enc) {
			return f.Offset + uint64(4*i)
		}
		in, err := decodeA64(code[4*i:], f.Entry+uint64(4*i))
		if err != nil || !prologueSafeA64(in) {
			return f.Offset
		}
	}
	return f.Offset
}

// prologueSafeA64 reports whether in may precede the probe site: it does
// not branch and writes no argument register and not the link register
// (stores, the frame pointer, the stack pointer and the scratch registers
// R16, R17 of the stack check are fine).
func prologueSafeA64(in insn) bool {
	switch in.op {
	case opCall, opRet, opJump, opCond, opRMW, opCAS:
		return false
	}
	w := append([]int{in.dst, in.dst2}, in.defs...)
	if (in.mem.pre || in.mem.post) && in.mem.base != regSP {
		w = append(w, in.mem.base)
	}
	for _, r := range w {
		if r >= 0 && r <= 15 || r == 30 {
			return false
		}
	}
	return true
}
