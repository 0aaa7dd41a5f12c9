package gobin

import (
	"debug/elf"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/arch/x86/x86asm"
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
// functions are still known by name. The runtime code that touches the
// globals rtstate needs addresses them RIP-relatively (amd64, non-PIE and
// PIE alike), so each global is found by disassembling one function known to
// reference it in a recognisable way, in every Go release 1.21–1.26:
//
//   - runtime.sched: runtime.casgstatus records scheduling latency with
//     `LEAQ runtime.sched+timeToRun(IP), AX; CALL runtime.(*timeHistogram).record`;
//     subtract the schedt.timeToRun offset.
//   - runtime.allglen: runtime.allgadd publishes the length with
//     `LEAQ runtime.allglen(IP), R; XCHGQ X, 0(R)` (atomic.Storeuintptr),
//     the last such pair in the function (the one before stores allgptr).
//   - runtime.allp: runtime.gcMarkTinyAllocs ranges over allp and loads
//     `MOVQ runtime.allp(IP), X; … MOVQ runtime.allp+8(IP), Y` first: the first
//     two RIP-relative loads whose addresses differ by 8 (slice ptr, len).
//   - runtime.memstats: runtime.gcMarkTermination indexes pause_ns with
//     `MOVZX runtime.memstats+numgc(IP), AX` (numgc % 256, one byte): the
//     first RIP-relative byte load; subtract the mstats.numgc offset.
//   - runtime.gcController: runtime.gcControllerCommit calls methods on it,
//     `LEAQ runtime.gcController(IP), AX; … CALL runtime.(*gcControllerState).commit`:
//     the receiver loaded into AX shortly before the first such call.
//   - runtime.work: runtime.gcStart resets the cycle's pause total with
//     `MOVQ $0, runtime.work+pauseNS(IP)` and later adds the sweep-
//     termination pause to it with `ADDQ R, runtime.work+pauseNS(IP)` (in
//     gcStart or, when not inlined, one of its closures): the first zero
//     store whose address is also added to; subtract the workType.pauseNS
//     offset.
//
// The field offsets come from Offsets (DWARF or the table). Every recovered
// address must fall inside a writable data segment. The tests compare each
// recovery with .symtab of the same program built without -s -w.

// recoverData finds the data symbols of a stripped binary.
func (b *Binary) recoverData() (map[string]uint64, error) {
	if b.Arch != "amd64" {
		return nil, fmt.Errorf("recover data symbols (%s): %w", b.Arch, ErrUnsupportedArch)
	}
	o, err := b.Offsets()
	if err != nil {
		return nil, err
	}
	found := make(map[string]uint64, 4)
	var errs []error
	add := func(name string, fn string, find func(b *Binary, insts []decoded) (uint64, bool), sub int64) {
		insts, err := b.decodeFunc(fn)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s via %s: %w", name, fn, err))
			return
		}
		ea, ok := find(b, insts)
		if !ok {
			errs = append(errs, fmt.Errorf("%s via %s: reference not found", name, fn))
			return
		}
		if sub < 0 {
			errs = append(errs, fmt.Errorf("%s via %s: field offset unknown", name, fn))
			return
		}
		addr := ea - uint64(sub)
		if !b.inWritableSegment(addr) {
			errs = append(errs, fmt.Errorf("%s via %s: %#x is not in a data segment", name, fn, addr))
			return
		}
		found[name] = addr
	}
	add("runtime.sched", "runtime.casgstatus", findHistRecordArg, o.SchedTimeToRun)
	add("runtime.allglen", "runtime.allgadd", findXchgStore, 0)
	add("runtime.allp", "runtime.gcMarkTinyAllocs", findSliceLoad, 0)
	add("runtime.memstats", "runtime.gcMarkTermination", findByteLoad, o.MemstatsNumGC)
	if o.WorkPauseNS >= 0 {
		add("runtime.work", "runtime.gcStart", findResetThenAdd, o.WorkPauseNS)
	}
	add("runtime.gcController", "runtime.gcControllerCommit", findMethodReceiver("runtime.(*gcControllerState)."), 0)
	return found, errors.Join(errs...)
}

// decoded is one instruction with its virtual address.
type decoded struct {
	pc   uint64
	inst x86asm.Inst
}

// ripTarget returns the address a RIP-relative memory operand refers to.
func (d decoded) ripTarget(arg int) (uint64, bool) {
	m, ok := d.inst.Args[arg].(x86asm.Mem)
	if !ok || m.Base != x86asm.RIP || m.Index != 0 {
		return 0, false
	}
	return uint64(int64(d.pc) + int64(d.inst.Len) + m.Disp), true
}

// decodeFunc disassembles a whole function.
func (b *Binary) decodeFunc(name string) ([]decoded, error) {
	f, code, err := b.funcCode(name)
	if err != nil {
		return nil, err
	}
	var out []decoded
	for pc := 0; pc < len(code); {
		inst, err := x86asm.Decode(code[pc:], 64)
		if err != nil {
			return nil, fmt.Errorf("func %s: decode at +%#x: %w", name, pc, err)
		}
		out = append(out, decoded{pc: f.Entry + uint64(pc), inst: inst})
		pc += inst.Len
	}
	return out, nil
}

// callTarget returns the name of the function a direct CALL goes to.
func (b *Binary) callTarget(d decoded) (string, bool) {
	if d.inst.Op != x86asm.CALL {
		return "", false
	}
	rel, ok := d.inst.Args[0].(x86asm.Rel)
	if !ok {
		return "", false
	}
	return b.FuncForPC(uint64(int64(d.pc) + int64(d.inst.Len) + int64(rel)))
}

func findHistRecordArg(b *Binary, insts []decoded) (uint64, bool) {
	for i := 0; i+1 < len(insts); i++ {
		d := insts[i]
		if d.inst.Op != x86asm.LEA || d.inst.Args[0] != x86asm.RAX {
			continue
		}
		ea, ok := d.ripTarget(1)
		if !ok {
			continue
		}
		if name, ok := b.callTarget(insts[i+1]); ok && name == "runtime.(*timeHistogram).record" {
			return ea, true
		}
	}
	return 0, false
}

// findMethodReceiver finds the receiver of the first call to a method whose
// name starts with prefix: the address loaded with LEAQ x(IP), AX within the
// few instructions before the CALL (AX carries the first argument).
func findMethodReceiver(prefix string) func(*Binary, []decoded) (uint64, bool) {
	return func(b *Binary, insts []decoded) (uint64, bool) {
		for i, d := range insts {
			name, ok := b.callTarget(d)
			if !ok || !strings.HasPrefix(name, prefix) {
				continue
			}
			for j := i - 1; j >= 0 && j >= i-6; j-- {
				p := insts[j]
				if p.inst.Op == x86asm.LEA && p.inst.Args[0] == x86asm.RAX {
					if ea, ok := p.ripTarget(1); ok {
						return ea, true
					}
					break
				}
			}
		}
		return 0, false
	}
}

func findXchgStore(_ *Binary, insts []decoded) (uint64, bool) {
	var last uint64
	found := false
	for i := 0; i+1 < len(insts); i++ {
		d := insts[i]
		if d.inst.Op != x86asm.LEA {
			continue
		}
		reg, ok := d.inst.Args[0].(x86asm.Reg)
		if !ok {
			continue
		}
		ea, ok := d.ripTarget(1)
		if !ok {
			continue
		}
		next := insts[i+1].inst
		if next.Op != x86asm.XCHG {
			continue
		}
		for _, a := range next.Args {
			if m, ok := a.(x86asm.Mem); ok && m.Base == reg && m.Disp == 0 {
				last, found = ea, true
			}
		}
	}
	return last, found
}

func findSliceLoad(_ *Binary, insts []decoded) (uint64, bool) {
	var loads []uint64
	for _, d := range insts {
		if d.inst.Op != x86asm.MOV || d.inst.MemBytes != 8 {
			continue
		}
		if _, ok := d.inst.Args[0].(x86asm.Reg); !ok {
			continue
		}
		if ea, ok := d.ripTarget(1); ok {
			loads = append(loads, ea)
		}
		if len(loads) == 2 {
			break
		}
	}
	if len(loads) == 2 {
		lo, hi := min(loads[0], loads[1]), max(loads[0], loads[1])
		if hi-lo == 8 {
			return lo, true
		}
	}
	return 0, false
}

func findResetThenAdd(b *Binary, insts []decoded) (uint64, bool) {
	if fs, err := b.Funcs(); err == nil {
		for _, f := range fs {
			if strings.HasPrefix(f.Name, "runtime.gcStart.func") {
				if more, err := b.decodeFunc(f.Name); err == nil {
					insts = append(insts[:len(insts):len(insts)], more...)
				}
			}
		}
	}
	added := make(map[uint64]bool)
	for _, d := range insts {
		if d.inst.Op != x86asm.ADD || d.inst.MemBytes != 8 {
			continue
		}
		if ea, ok := d.ripTarget(0); ok {
			added[ea] = true
		}
	}
	for _, d := range insts {
		if d.inst.Op != x86asm.MOV || d.inst.MemBytes != 8 {
			continue
		}
		if imm, ok := d.inst.Args[1].(x86asm.Imm); !ok || imm != 0 {
			continue
		}
		if ea, ok := d.ripTarget(0); ok && added[ea] {
			return ea, true
		}
	}
	return 0, false
}

func findByteLoad(_ *Binary, insts []decoded) (uint64, bool) {
	for _, d := range insts {
		if d.inst.Op != x86asm.MOVZX || d.inst.MemBytes != 1 {
			continue
		}
		if ea, ok := d.ripTarget(1); ok {
			return ea, true
		}
	}
	return 0, false
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
