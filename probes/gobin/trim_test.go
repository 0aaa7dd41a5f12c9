package gobin_test

import (
	"errors"
	"testing"

	"github.com/gopulse/gopulse/probes/gobin"
)

// TestTrim: after Trim a Binary answers FuncForPC, the kept data symbols,
// the struct offsets and the ELF layout exactly as before, and everything
// that needs the dropped tables fails with ErrTrimmed.
func TestTrim(t *testing.T) {
	bs := testBuilds(t)
	keep := []string{"runtime.allglen", "runtime.allp", "runtime.sched", "runtime.memstats"}
	for _, path := range []string{bs.plain, bs.stripped, bs.strippedPIE} {
		t.Run(path, func(t *testing.T) {
			b := open(t, path)
			funcs, err := b.Funcs()
			if err != nil {
				t.Fatal(err)
			}
			funcs = append([]gobin.Func(nil), funcs...)
			type answer struct {
				name string
				ok   bool
			}
			want := map[uint64]answer{}
			for i := 0; i < len(funcs); i += 31 {
				f := funcs[i]
				for _, pc := range []uint64{f.Entry, (f.Entry + f.End) / 2, f.End - 1, f.End} {
					name, ok := b.FuncForPC(pc)
					want[pc] = answer{name, ok}
				}
			}
			data := map[string]uint64{}
			for _, name := range keep {
				if data[name], err = b.DataSymbol(name); err != nil {
					t.Fatal(err)
				}
			}
			offs, err := b.Offsets()
			if err != nil {
				t.Fatal(err)
			}
			if err := b.Trim(keep, true); err != nil {
				t.Fatal(err)
			}
			if err := b.Trim(keep, true); err != nil {
				t.Fatalf("second trim: %v", err)
			}
			for pc, w := range want {
				if name, ok := b.FuncForPC(pc); ok != w.ok || name != w.name {
					t.Fatalf("trimmed FuncForPC(%#x) = %q, %v; untrimmed %q, %v", pc, name, ok, w.name, w.ok)
				}
			}
			if _, ok := b.FuncForPC(funcs[0].Entry - 1); ok {
				t.Error("FuncForPC before the first function: ok")
			}
			if allocs := testing.AllocsPerRun(100, func() { b.FuncForPC(funcs[len(funcs)/2].Entry + 1) }); allocs != 0 {
				t.Errorf("trimmed FuncForPC allocates %v per call", allocs)
			}
			for name, want := range data {
				if got, err := b.DataSymbol(name); err != nil || got != want {
					t.Errorf("DataSymbol(%s) = %#x, %v; want %#x", name, got, err, want)
				}
			}
			if got, err := b.Offsets(); err != nil || got != offs {
				t.Errorf("Offsets changed by Trim: %+v, %v", got, err)
			}
			if _, err := b.DataSymbol("runtime.work"); !errors.Is(err, gobin.ErrTrimmed) {
				t.Errorf("DataSymbol(runtime.work) = %v; want ErrTrimmed", err)
			}
			if _, err := b.Func("runtime.gcStart"); !errors.Is(err, gobin.ErrTrimmed) {
				t.Errorf("Func = %v; want ErrTrimmed", err)
			}
			if _, err := b.Funcs(); !errors.Is(err, gobin.ErrTrimmed) {
				t.Errorf("Funcs = %v; want ErrTrimmed", err)
			}
			if _, err := b.RetOffsets("runtime.gcStart"); !errors.Is(err, gobin.ErrTrimmed) {
				t.Errorf("RetOffsets = %v; want ErrTrimmed", err)
			}
		})
	}
	t.Run("no pc table", func(t *testing.T) {
		b := open(t, bs.plain)
		f, err := b.Func("runtime.gcStart")
		if err != nil {
			t.Fatal(err)
		}
		if err := b.Trim(nil, false); err != nil {
			t.Fatal(err)
		}
		if _, ok := b.FuncForPC(f.Entry); ok {
			t.Error("FuncForPC without a kept table: ok")
		}
	})
}

// TestToolchainKeyOffsets: binaries built by one toolchain share a
// ToolchainKey and their DWARF offsets, so one read can serve all of them.
func TestToolchainKeyOffsets(t *testing.T) {
	bs := testBuilds(t)
	a, b := open(t, bs.plain), open(t, bs.pie)
	if a.ToolchainKey() == "" || a.ToolchainKey() != b.ToolchainKey() {
		t.Fatalf("toolchain keys %q, %q", a.ToolchainKey(), b.ToolchainKey())
	}
	oa, err := a.Offsets()
	if err != nil {
		t.Fatal(err)
	}
	ob, err := b.Offsets()
	if err != nil {
		t.Fatal(err)
	}
	if oa != ob {
		t.Fatalf("offsets differ within one toolchain:\n%+v\n%+v", oa, ob)
	}
	c := open(t, bs.pie)
	c.UseOffsets(oa)
	if oc, err := c.Offsets(); err != nil || oc != oa {
		t.Errorf("Offsets after UseOffsets = %+v, %v", oc, err)
	}
	c.UseOffsets(gobin.Offsets{}) // no effect once set
	if oc, _ := c.Offsets(); oc != oa {
		t.Error("UseOffsets replaced offsets already set")
	}
}
