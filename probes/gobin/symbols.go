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
	source string // "symtab" or "pclntab"
	funcs  []Func // sorted by Entry
	byName map[string]int
	data   map[string]uint64 // STT_OBJECT symbols; nil without .symtab
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
	for i := range s.funcs {
		f := &s.funcs[i]
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
	text := b.elf.Section(".text")
	if text == nil {
		return nil, errors.New("no .text section")
	}
	tab, err := gosym.NewTable(nil, gosym.NewLineTable(data, text.Addr))
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
	funcs := s.funcs
	// Find the last function with Entry <= pc.
	lo, hi := 0, len(funcs)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if funcs[m].Entry <= pc {
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
