package gobin

import (
	"debug/dwarf"
	"fmt"
	"reflect"
	"sort"
	"strings"

	"github.com/gopulse/gopulse/probes/offsets"
)

// Offsets are the runtime struct field offsets; see probes/offsets.
type Offsets = offsets.Offsets

// Offsets returns the runtime struct field offsets of the binary: from its
// DWARF when it has some (Source "dwarf"), else from the versioned table by
// Go minor version and architecture (Source "table"), else from the
// runtime's own code (Source "code", see DerivedOffsets). It fails with
// ErrUnknownOffsets when none of them gives the offsets.
func (b *Binary) Offsets() (Offsets, error) {
	b.offOnce.Do(func() {
		b.offs, b.offErr = b.loadOffsets()
	})
	return b.offs, b.offErr
}

// ToolchainKey names what the runtime's struct layout depends on: the Go
// version, GOARCH and GOEXPERIMENT. Binaries with equal keys have equal
// Offsets; it is "" when the Go version is unknown.
func (b *Binary) ToolchainKey() string {
	if b.GoVersion == "" {
		return ""
	}
	return b.GoVersion + "|" + b.Arch + "|" + b.experiment
}

// UseOffsets gives the binary the struct offsets read from another one with
// the same ToolchainKey, sparing the DWARF read (most of an analysis's
// time). It has no effect once Offsets has been called.
func (b *Binary) UseOffsets(o Offsets) {
	b.offOnce.Do(func() { b.offs = o })
}

func (b *Binary) loadOffsets() (Offsets, error) {
	if b.HasDWARF {
		d, err := b.dwarf()
		if err == nil {
			o, err := OffsetsFromDWARF(d)
			if err != nil {
				return Offsets{}, fmt.Errorf("%s: %w", b.Path, err)
			}
			o.GoVersion = b.GoVersion
			return o, nil
		}
		// Unreadable DWARF: fall through to the table.
	}
	if o, ok := offsets.Lookup(b.GoVersion, b.Arch); ok {
		return o, nil
	}
	return b.DerivedOffsets()
}

// dwarf loads only the debug sections type lookups need (info, abbrev,
// str and the DWARF 5 string/address indexes): elf.File.DWARF would also
// decompress the line, location and range tables, most of the cost.
func (b *Binary) dwarf() (*dwarf.Data, error) {
	if b.elf.Section(".debug_info") == nil {
		return b.elf.DWARF() // old-style .zdebug_* sections
	}
	sec := func(name string) ([]byte, error) {
		s := b.elf.Section(".debug_" + name)
		if s == nil {
			return nil, nil
		}
		return s.Data()
	}
	var data [3][]byte
	for i, name := range []string{"abbrev", "info", "str"} {
		var err error
		if data[i], err = sec(name); err != nil {
			return nil, fmt.Errorf("read .debug_%s: %w", name, err)
		}
	}
	d, err := dwarf.New(data[0], nil, nil, data[1], nil, nil, nil, data[2])
	if err != nil {
		return nil, err
	}
	for _, name := range []string{"addr", "str_offsets"} {
		x, err := sec(name)
		if err != nil {
			return nil, fmt.Errorf("read .debug_%s: %w", name, err)
		}
		if x != nil {
			if err := d.AddSection(".debug_"+name, x); err != nil {
				return nil, err
			}
		}
	}
	return d, nil
}

// fieldSpec is one parsed `dwarf` tag.
type fieldSpec struct {
	index int    // field index in Offsets
	typ   string // DWARF type name, e.g. "runtime.g"
	paths []string
}

func offsetSpecs() []fieldSpec {
	t := reflect.TypeFor[Offsets]()
	var specs []fieldSpec
	for i := 0; i < t.NumField(); i++ {
		tag := t.Field(i).Tag.Get("dwarf")
		if tag == "" {
			continue
		}
		typ, paths, _ := strings.Cut(tag, ":")
		specs = append(specs, fieldSpec{index: i, typ: typ, paths: strings.Split(paths, "|")})
	}
	return specs
}

// OffsetsFromDWARF reads every Offsets field from d. Fields whose struct or
// member does not exist in this Go version are offsets.Absent; it is an
// error only when a required runtime type is missing altogether.
//
// Only the DIEs of the wanted structs and of the member types a path goes
// through are decoded: dwarf.Data.Type would load the whole graph of types
// reachable from runtime.g, ten times slower.
func OffsetsFromDWARF(d *dwarf.Data) (Offsets, error) {
	specs := offsetSpecs()
	want := make(map[string]dwarf.Offset)
	for _, s := range specs {
		want[s.typ] = 0
	}
	// Fast pass over the runtime's compile unit only; if a type is not
	// there (a toolchain that places types elsewhere), scan everything.
	if err := findStructs(d, want, true); err != nil {
		return Offsets{}, err
	}
	if err := findStructs(d, want, false); err != nil {
		return Offsets{}, err
	}
	var missing []string
	for name, at := range want {
		if at == 0 {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return Offsets{}, fmt.Errorf("dwarf: runtime types %v not found", missing)
	}
	w := &dieWalker{r: d.Reader(), members: make(map[dwarf.Offset]map[string]member)}
	var o Offsets
	o.Source = "dwarf"
	v := reflect.ValueOf(&o).Elem()
	for _, s := range specs {
		off := offsets.Absent
		for _, p := range s.paths {
			n, ok, err := w.resolve(want[s.typ], p)
			if err != nil {
				return Offsets{}, fmt.Errorf("dwarf %s.%s: %w", s.typ, p, err)
			}
			if ok {
				off = n
				break
			}
		}
		v.Field(s.index).SetInt(off)
	}
	return o, nil
}

// findStructs fills the zero entries of want with the DIE offsets of the
// named struct types.
func findStructs(d *dwarf.Data, want map[string]dwarf.Offset, runtimeOnly bool) error {
	left := 0
	for _, at := range want {
		if at == 0 {
			left++
		}
	}
	r := d.Reader()
	for left > 0 {
		e, err := r.Next()
		if err != nil {
			return fmt.Errorf("read dwarf: %w", err)
		}
		if e == nil {
			return nil
		}
		if e.Tag == dwarf.TagCompileUnit {
			name, _ := e.Val(dwarf.AttrName).(string)
			if runtimeOnly && name != "runtime" {
				r.SkipChildren()
			}
			continue
		}
		if e.Tag == dwarf.TagStructType {
			name, _ := e.Val(dwarf.AttrName).(string)
			if at, ok := want[name]; ok && at == 0 {
				want[name] = e.Offset
				left--
			}
		}
		if e.Children {
			r.SkipChildren()
		}
	}
	return nil
}

type member struct {
	off int64
	typ dwarf.Offset
}

// dieWalker decodes struct members and array lengths on demand.
type dieWalker struct {
	r       *dwarf.Reader
	members map[dwarf.Offset]map[string]member
}

// entry reads the DIE at off, following typedefs.
func (w *dieWalker) entry(off dwarf.Offset) (*dwarf.Entry, error) {
	for range 8 {
		w.r.Seek(off)
		e, err := w.r.Next()
		if err != nil {
			return nil, err
		}
		if e == nil {
			return nil, fmt.Errorf("no dwarf entry at %#x", off)
		}
		if e.Tag != dwarf.TagTypedef {
			return e, nil
		}
		next, ok := e.Val(dwarf.AttrType).(dwarf.Offset)
		if !ok {
			return e, nil
		}
		off = next
	}
	return nil, fmt.Errorf("typedef chain at %#x too long", off)
}

// structMembers returns the members of the struct at off, or nil when it
// is not a struct.
func (w *dieWalker) structMembers(off dwarf.Offset) (map[string]member, error) {
	if m, ok := w.members[off]; ok {
		return m, nil
	}
	e, err := w.entry(off)
	if err != nil {
		return nil, err
	}
	var m map[string]member
	if e.Tag == dwarf.TagStructType && e.Children {
		m = make(map[string]member)
		for {
			c, err := w.r.Next()
			if err != nil {
				return nil, err
			}
			if c == nil || c.Tag == 0 {
				break
			}
			if c.Tag == dwarf.TagMember {
				name, _ := c.Val(dwarf.AttrName).(string)
				loc, _ := c.Val(dwarf.AttrDataMemberLoc).(int64)
				typ, _ := c.Val(dwarf.AttrType).(dwarf.Offset)
				m[name] = member{off: loc, typ: typ}
			}
			if c.Children {
				w.r.SkipChildren()
			}
		}
	}
	w.members[off] = m
	return m, nil
}

// arrayLen returns the element count of the array type at off.
func (w *dieWalker) arrayLen(off dwarf.Offset) (int64, bool, error) {
	e, err := w.entry(off)
	if err != nil {
		return 0, false, err
	}
	if e.Tag != dwarf.TagArrayType || !e.Children {
		return 0, false, nil
	}
	for {
		c, err := w.r.Next()
		if err != nil {
			return 0, false, err
		}
		if c == nil || c.Tag == 0 {
			return 0, false, nil
		}
		if c.Tag == dwarf.TagSubrangeType {
			if n, ok := c.Val(dwarf.AttrCount).(int64); ok {
				return n, true, nil
			}
			if ub, ok := c.Val(dwarf.AttrUpperBound).(int64); ok {
				return ub + 1, true, nil
			}
			return 0, false, nil
		}
	}
}

// byteSize returns the size in bytes of the type at off.
func (w *dieWalker) byteSize(off dwarf.Offset) (int64, bool, error) {
	e, err := w.entry(off)
	if err != nil {
		return 0, false, err
	}
	n, ok := e.Val(dwarf.AttrByteSize).(int64)
	return n, ok, nil
}

// resolve follows a dotted member path ("gFree.stack.size"; a final "#len"
// asks for an array's length, a final "#size" for the size of the member's
// type, and "#size" alone for the size of the struct itself) from the
// struct at off.
func (w *dieWalker) resolve(off dwarf.Offset, path string) (int64, bool, error) {
	if path == "#size" {
		return w.byteSize(off)
	}
	path, wantSize := strings.CutSuffix(path, "#size")
	path, wantLen := strings.CutSuffix(path, "#len")
	var total int64
	typ := off
	for part := range strings.SplitSeq(path, ".") {
		m, err := w.structMembers(typ)
		if err != nil {
			return 0, false, err
		}
		f, ok := m[part]
		if !ok {
			return 0, false, nil
		}
		total += f.off
		typ = f.typ
	}
	switch {
	case wantLen:
		return w.arrayLen(typ)
	case wantSize:
		return w.byteSize(typ)
	}
	return total, true, nil
}
