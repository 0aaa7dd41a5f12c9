package gobin

import (
	"debug/elf"
	"debug/gosym"
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Func is one function. Entry and End are virtual addresses as linked (for
// a PIE binary add the load bias to get run-time addresses); Offset is the
// file offset of Entry, which is what a uprobe is attached to.
type Func struct {
	Name   string
	Entry  uint64
	End    uint64 // exclusive
	Offset uint64
}

type symbols struct {
	source string   // "symtab" or "pclntab"
	funcs  []Func   // sorted by Entry
	entry  []uint64 // funcs[i].Entry, dense for FuncForPC's search
	byName map[string]int
	data   map[string]uint64 // STT_OBJECT symbols; nil without .symtab

	trimmed bool     // see Binary.Trim: funcs, entry and byName are gone
	pcs     *pcTable // FuncForPC after Trim; nil if not kept
}

// SymbolSource says where function symbols come from: "symtab" or
// "pclntab". It loads the symbols.
func (b *Binary) SymbolSource() (string, error) {
	s, err := b.symbols()
	if err != nil {
		return "", err
	}
	return s.source, nil
}

func (b *Binary) symbols() (*symbols, error) {
	b.symOnce.Do(func() {
		b.syms, b.symErr = b.loadSymbols()
	})
	return b.syms, b.symErr
}

func (b *Binary) loadSymbols() (*symbols, error) {
	var s *symbols
	var err error
	if b.elf.Section(".symtab") != nil {
		s, err = b.symtabSymbols()
		if err != nil && !errors.Is(err, elf.ErrNoSymbols) {
			return nil, fmt.Errorf("%s: read .symtab: %w", b.Path, err)
		}
	}
	if s == nil || len(s.funcs) == 0 {
		if b.elf.Section(".gopclntab") == nil {
			return nil, fmt.Errorf("%s: %w", b.Path, ErrNoSymbols)
		}
		s, err = b.pclntabSymbols()
		if err != nil {
			return nil, fmt.Errorf("%s: read .gopclntab: %w", b.Path, err)
		}
	}
	sort.Slice(s.funcs, func(i, j int) bool { return s.funcs[i].Entry < s.funcs[j].Entry })
	s.byName = make(map[string]int, len(s.funcs))
	s.entry = make([]uint64, len(s.funcs))
	for i := range s.funcs {
		f := &s.funcs[i]
		s.entry[i] = f.Entry
		if off, err := b.FileOffset(f.Entry); err == nil {
			f.Offset = off
		}
		if _, dup := s.byName[f.Name]; !dup {
			s.byName[f.Name] = i
		}
	}
	return s, nil
}

func (b *Binary) symtabSymbols() (*symbols, error) {
	syms, err := b.elf.Symbols()
	if err != nil {
		return nil, err
	}
	s := &symbols{source: "symtab", data: make(map[string]uint64)}
	for _, sym := range syms {
		if sym.Value == 0 || sym.Section == elf.SHN_UNDEF {
			continue
		}
		switch elf.ST_TYPE(sym.Info) {
		case elf.STT_FUNC:
			s.funcs = append(s.funcs, Func{Name: sym.Name, Entry: sym.Value, End: sym.Value + sym.Size})
		case elf.STT_OBJECT:
			s.data[sym.Name] = sym.Value
		}
	}
	return s, nil
}

func (b *Binary) pclntabSymbols() (*symbols, error) {
	pcln := b.elf.Section(".gopclntab")
	data, err := pcln.Data()
	if err != nil {
		return nil, err
	}
	textStart, err := b.textStart(pcln, data)
	if err != nil {
		return nil, err
	}
	tab, err := gosym.NewTable(nil, gosym.NewLineTable(data, textStart))
	if err != nil {
		return nil, err
	}
	s := &symbols{source: "pclntab", funcs: make([]Func, 0, len(tab.Funcs))}
	for i := range tab.Funcs {
		f := &tab.Funcs[i]
		s.funcs = append(s.funcs, Func{Name: f.Name, Entry: f.Entry, End: f.End})
	}
	return s, nil
}

// Func returns the function called name (e.g. "runtime.gcStart"; an
// assembly function may be named with or without its ".abi0" suffix). It fails
// with ErrNoSymbol when the binary has no such function and ErrNoSymbols
// when it has no symbol information at all.
func (b *Binary) Func(name string) (Func, error) {
	s, err := b.symbols()
	if err != nil {
		return Func{}, err
	}
	if s.trimmed {
		return Func{}, fmt.Errorf("func %s: %w", name, ErrTrimmed)
	}
	i, ok := s.byName[name]
	if !ok {
		// Assembly (ABI0) functions are "x.abi0" in .symtab but "x" in
		// .gopclntab: accept either spelling.
		if base, cut := strings.CutSuffix(name, ".abi0"); cut {
			i, ok = s.byName[base]
		} else {
			i, ok = s.byName[name+".abi0"]
		}
	}
	if !ok {
		return Func{}, fmt.Errorf("func %s: %w", name, ErrNoSymbol)
	}
	f := s.funcs[i]
	if f.Offset == 0 {
		return Func{}, fmt.Errorf("func %s at %#x: not in a loadable segment", name, f.Entry)
	}
	return f, nil
}

// Funcs returns all functions sorted by entry address. The slice is shared:
// do not modify it.
func (b *Binary) Funcs() ([]Func, error) {
	s, err := b.symbols()
	if err != nil {
		return nil, err
	}
	if s.trimmed {
		return nil, ErrTrimmed
	}
	return s.funcs, nil
}

// FuncForPC returns the name of the function containing the linked virtual
// address pc. It does not allocate; ok is false when pc is in no function
// or the binary has no symbols.
func (b *Binary) FuncForPC(pc uint64) (name string, ok bool) {
	s, err := b.symbols()
	if err != nil {
		return "", false
	}
	if s.trimmed {
		if s.pcs == nil {
			return "", false
		}
		return s.pcs.lookup(pc)
	}
	funcs, entry := s.funcs, s.entry
	// Find the last function with Entry <= pc.
	lo, hi := 0, len(entry)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if entry[m] <= pc {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo == 0 {
		return "", false
	}
	f := &funcs[lo-1]
	if pc >= f.End {
		return "", false
	}
	return f.Name, true
}

// textStart returns runtime.text, the address pclntab entries are relative
// to. It is the pcHeader's textStart field (Go 1.18+). That field is
// resolved in the file for non-PIE binaries; in a PIE it is a dynamic
// R_X86_64_RELATIVE relocation whose addend is the value. An externally
// linked (cgo) binary puts C code at the start of .text, so .text's address
// is only the fallback.
func (b *Binary) textStart(pcln *elf.Section, data []byte) (uint64, error) {
	text := b.elf.Section(".text")
	if text == nil {
		return 0, errors.New("no .text section")
	}
	const fieldOff = 8 + 2*8 // magic, pads, minLC, ptrSize; nfunc, nfiles
	if len(data) < fieldOff+8 || data[7] != 8 {
		return text.Addr, nil
	}
	switch b.elf.ByteOrder.Uint32(data) {
	case 0xfffffff0, 0xfffffff1: // Go 1.18–1.19, Go 1.20+
	default:
		return text.Addr, nil
	}
	inText := func(v uint64) bool { return v >= text.Addr && v < text.Addr+text.Size }
	v := b.elf.ByteOrder.Uint64(data[fieldOff:])
	if v == 0 && b.PIE {
		v = b.relativeReloc(pcln.Addr + fieldOff)
	}
	if inText(v) {
		return v, nil
	}
	// The external linker leaves the header field 0: take moduledata.text
	// instead.
	if v, ok := b.moduledataText(pcln.Addr); ok && inText(v) {
		return v, nil
	}
	return text.Addr, nil
}

// moduledataText finds runtime.firstmoduledata, whose first word points to
// the pclntab header, and returns its text field. moduledata starts with
// pcHeader, six slices, findfunctab, minpc and maxpc, so text is at byte
// 176 (the same in Go 1.18 through 1.26); etext follows it.
func (b *Binary) moduledataText(pcHeader uint64) (uint64, bool) {
	const textOff, etextOff = 8 + 6*24 + 8 + 2*8, 8 + 6*24 + 8 + 3*8
	bo := b.elf.ByteOrder
	if b.PIE {
		// Pointers in a PIE's data are R_X86_64_RELATIVE relocations.
		if md, ok := b.relativeRelocTo(pcHeader); ok {
			text, etext := b.relativeReloc(md+textOff), b.relativeReloc(md+etextOff)
			if text != 0 && etext > text {
				return text, true
			}
		}
	}
	for _, p := range b.elf.Progs {
		if p.Type != elf.PT_LOAD || p.Flags&elf.PF_W == 0 || p.Filesz < etextOff+8 {
			continue
		}
		seg := make([]byte, p.Filesz)
		if _, err := p.ReadAt(seg, 0); err != nil {
			continue
		}
		for i := 0; i+etextOff+8 <= len(seg); i += 8 {
			if bo.Uint64(seg[i:]) != pcHeader {
				continue
			}
			text, etext := bo.Uint64(seg[i+textOff:]), bo.Uint64(seg[i+etextOff:])
			if text != 0 && etext > text {
				return text, true
			}
		}
	}
	return 0, false
}

// relativeRelocTo returns the address of the first R_X86_64_RELATIVE
// relocation whose addend is target.
func (b *Binary) relativeRelocTo(target uint64) (uint64, bool) {
	var at uint64
	found := false
	b.eachRelative(func(off, addend uint64) bool {
		if addend == target {
			at, found = off, true
			return false
		}
		return true
	})
	return at, found
}

// relativeReloc returns the addend of the R_X86_64_RELATIVE relocation at
// vaddr, or 0.
func (b *Binary) relativeReloc(vaddr uint64) uint64 {
	var v uint64
	b.eachRelative(func(off, addend uint64) bool {
		if off == vaddr {
			v = addend
			return false
		}
		return true
	})
	return v
}

// eachRelative calls fn for every R_X86_64_RELATIVE relocation until fn
// returns false.
func (b *Binary) eachRelative(fn func(off, addend uint64) bool) {
	if b.elf.Machine != elf.EM_X86_64 {
		return
	}
	bo := b.elf.ByteOrder
	for _, sec := range b.elf.Sections {
		if sec.Type != elf.SHT_RELA {
			continue
		}
		data, err := sec.Data()
		if err != nil {
			continue
		}
		for i := 0; i+24 <= len(data); i += 24 {
			info := bo.Uint64(data[i+8:])
			if elf.R_X86_64(info&0xffffffff) != elf.R_X86_64_RELATIVE {
				continue
			}
			if !fn(bo.Uint64(data[i:]), bo.Uint64(data[i+16:])) {
				return
			}
		}
	}
}
