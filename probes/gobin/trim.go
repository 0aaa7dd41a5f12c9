package gobin

import (
	"errors"
	"fmt"
	"strings"
)

// ErrTrimmed: the binary was trimmed (see Trim) and no longer holds what
// the call needs.
var ErrTrimmed = errors.New("binary trimmed: symbol tables were dropped")

// pcTable is a compact pc → function table: 16 bytes per function plus the
// names in one string, and no per-name allocation.
type pcTable struct {
	entry []uint64 // sorted
	size  []uint32
	name  []uint32 // start of each name in names; len(entry)+1 entries
	names string
}

func newPCTable(funcs []Func) *pcTable {
	t := &pcTable{
		entry: make([]uint64, len(funcs)),
		size:  make([]uint32, len(funcs)),
		name:  make([]uint32, len(funcs)+1),
	}
	n := 0
	for i := range funcs {
		n += len(funcs[i].Name)
	}
	var sb strings.Builder
	sb.Grow(n)
	for i := range funcs {
		f := &funcs[i]
		t.entry[i] = f.Entry
		if d := f.End - f.Entry; f.End > f.Entry && d <= 1<<32-1 {
			t.size[i] = uint32(d)
		}
		t.name[i] = uint32(sb.Len())
		sb.WriteString(f.Name)
	}
	t.name[len(funcs)] = uint32(sb.Len())
	t.names = sb.String()
	return t
}

func (t *pcTable) lookup(pc uint64) (string, bool) {
	lo, hi := 0, len(t.entry)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if t.entry[m] <= pc {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo == 0 {
		return "", false
	}
	i := lo - 1
	if pc >= t.entry[i]+uint64(t.size[i]) {
		return "", false
	}
	return t.names[t.name[i]:t.name[i+1]], true
}

// Trim drops the symbol tables, which dominate a Binary's memory (tens of
// MB for a large program), once the caller has extracted what it needs.
// It keeps the struct offsets, the ELF layout (FileOffset, Vaddr), the data
// symbols named in keepData and, when pcTable is set, a compact table for
// FuncForPC. Afterwards Func, Funcs, RetOffsets, EntryProbeOffset and
// DataSymbol for any other name fail with ErrTrimmed. Call it when no other
// goroutine uses the Binary.
func (b *Binary) Trim(keepData []string, pcTable bool) error {
	s, err := b.symbols()
	if err != nil {
		return err
	}
	if s.trimmed {
		return nil
	}
	b.Offsets() // cached (or its error is) before the DWARF is out of reach
	kept := make(map[string]uint64, len(keepData))
	var errs []error
	for _, name := range keepData {
		v, err := b.DataSymbol(name)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		kept[name] = v
	}
	t := &symbols{source: s.source, trimmed: true, data: kept}
	if pcTable {
		t.pcs = newPCTable(s.funcs)
	}
	b.syms = t
	b.data, b.dataErr = nil, nil
	b.codeMu.Lock()
	b.traces = nil
	b.codeMu.Unlock()
	if len(errs) > 0 {
		return fmt.Errorf("trim %s: %w", b.Path, errors.Join(errs...))
	}
	return nil
}
