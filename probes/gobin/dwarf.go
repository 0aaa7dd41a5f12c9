package gobin

import (
	"debug/dwarf"
	"fmt"
	"reflect"
	"strings"

	"github.com/gopulse/gopulse/probes/offsets"
)

// Offsets are the runtime struct field offsets; see probes/offsets.
type Offsets = offsets.Offsets

// Offsets returns the runtime struct field offsets of the binary: from its
// DWARF when it has some (Source "dwarf"), else from the versioned table by
// Go minor version (Source "table"). Without DWARF and with a Go version the
// table does not know it fails with ErrUnknownOffsets.
func (b *Binary) Offsets() (Offsets, error) {
	b.offOnce.Do(func() {
		b.offs, b.offErr = b.loadOffsets()
	})
	return b.offs, b.offErr
}

func (b *Binary) loadOffsets() (Offsets, error) {
	if b.HasDWARF {
		d, err := b.elf.DWARF()
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
	o, ok := offsets.Lookup(b.GoVersion)
	if !ok {
		v := b.GoVersion
		if v == "" {
			v = "unknown go version"
		}
		return Offsets{}, fmt.Errorf("%s (%s): %w", b.Path, v, ErrUnknownOffsets)
	}
	return o, nil
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
func OffsetsFromDWARF(d *dwarf.Data) (Offsets, error) {
	specs := offsetSpecs()
	want := make(map[string]*dwarf.StructType)
	for _, s := range specs {
		want[s.typ] = nil
	}
	// Fast pass over the runtime's compile units only; if a type is not
	// there (a toolchain that places types elsewhere), scan everything.
	if err := findStructs(d, want, true); err != nil {
		return Offsets{}, err
	}
	if err := findStructs(d, want, false); err != nil {
		return Offsets{}, err
	}
	var missing []string
	for name, st := range want {
		if st == nil {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return Offsets{}, fmt.Errorf("dwarf: runtime types %v not found", missing)
	}
	var o Offsets
	o.Source = "dwarf"
	v := reflect.ValueOf(&o).Elem()
	for _, s := range specs {
		off := offsets.Absent
		for _, p := range s.paths {
			if n, ok := resolve(want[s.typ], p); ok {
				off = n
				break
			}
		}
		v.Field(s.index).SetInt(off)
	}
	return o, nil
}

// resolve follows a dotted member path ("gFree.stack.size"; a final "#len"
// asks for an array's length) through nested struct types.
func resolve(st *dwarf.StructType, path string) (int64, bool) {
	path, wantLen := strings.CutSuffix(path, "#len")
	var off int64
	var t dwarf.Type = st
	for part := range strings.SplitSeq(path, ".") {
		s, ok := underlying(t).(*dwarf.StructType)
		if !ok {
			return 0, false
		}
		var f *dwarf.StructField
		for _, sf := range s.Field {
			if sf.Name == part {
				f = sf
				break
			}
		}
		if f == nil {
			return 0, false
		}
		off += f.ByteOffset
		t = f.Type
	}
	if wantLen {
		a, ok := underlying(t).(*dwarf.ArrayType)
		if !ok {
			return 0, false
		}
		return a.Count, true
	}
	return off, true
}

// underlying strips typedefs and qualifiers.
func underlying(t dwarf.Type) dwarf.Type {
	for {
		switch tt := t.(type) {
		case *dwarf.TypedefType:
			t = tt.Type
		case *dwarf.QualType:
			t = tt.Type
		default:
			return t
		}
	}
}

// findStructs fills the nil entries of want with the named struct types.
func findStructs(d *dwarf.Data, want map[string]*dwarf.StructType, runtimeOnly bool) error {
	left := 0
	for _, st := range want {
		if st == nil {
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
		if e.Tag != dwarf.TagStructType {
			if e.Children {
				r.SkipChildren()
			}
			continue
		}
		name, _ := e.Val(dwarf.AttrName).(string)
		if st, ok := want[name]; !ok || st != nil {
			r.SkipChildren()
			continue
		}
		t, err := d.Type(e.Offset)
		if err != nil {
			return fmt.Errorf("read dwarf type %s: %w", name, err)
		}
		st, ok := t.(*dwarf.StructType)
		if !ok {
			return fmt.Errorf("dwarf type %s: not a struct", name)
		}
		want[name] = st
		left--
		r.SkipChildren()
	}
	return nil
}
