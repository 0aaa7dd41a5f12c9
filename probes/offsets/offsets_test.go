package offsets_test

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/gopulse/gopulse/probes/gobin"
	"github.com/gopulse/gopulse/probes/gobin/gobuild"
	"github.com/gopulse/gopulse/probes/offsets"
)

func TestMinor(t *testing.T) {
	for _, tc := range []struct {
		in     string
		ma, mi int
		ok     bool
	}{
		{"go1.26.8", 1, 26, true},
		{"go1.21.13", 1, 21, true},
		{"go1.26", 1, 26, true},
		{"go1.27rc1", 1, 27, true},
		{"go1.25.3 X:boringcrypto", 1, 25, true},
		{"devel go1.27-abcdef", 0, 0, false},
		{"1.26.8", 0, 0, false},
		{"go1.", 0, 0, false},
		{"", 0, 0, false},
	} {
		ma, mi, ok := offsets.Minor(tc.in)
		if ma != tc.ma || mi != tc.mi || ok != tc.ok {
			t.Errorf("Minor(%q) = %d, %d, %v; want %d, %d, %v", tc.in, ma, mi, ok, tc.ma, tc.mi, tc.ok)
		}
	}
}

func TestLookup(t *testing.T) {
	tab := offsets.Table()
	if len(tab) < 6 {
		t.Fatalf("table has %d versions, want go1.21…go1.26", len(tab))
	}
	for mi := 21; mi <= 26; mi++ {
		// Any patch, including ones newer than the table's, resolves.
		for _, v := range []string{"go1." + itoa(mi), "go1." + itoa(mi) + ".0", "go1." + itoa(mi) + ".99"} {
			o, ok := offsets.Lookup(v)
			if !ok {
				t.Errorf("Lookup(%q) not found", v)
				continue
			}
			if o.Source != "table" || o.GGoid <= 0 || o.SchedTimeToRun <= 0 || o.HistCountsLen != 160 {
				t.Errorf("Lookup(%q) = %+v", v, o)
			}
			if _, emi, _ := offsets.Minor(o.GoVersion); emi != mi {
				t.Errorf("Lookup(%q) came from %s", v, o.GoVersion)
			}
		}
	}
	for _, v := range []string{"go1.20.14", "go1.99.0", "", "devel"} {
		if _, ok := offsets.Lookup(v); ok {
			t.Errorf("Lookup(%q) found", v)
		}
	}
}

// probedFuncs are the runtime functions the probes attach to
// (../shared/notes/ebpf-facts.md).
var probedFuncs = []string{
	"runtime.gcStart", "runtime.gcMarkDone", "runtime.gcMarkTermination",
	"runtime.stopTheWorldWithSema", "runtime.startTheWorldWithSema",
	"runtime.newproc1", "runtime.goexit1", "runtime.goexit0",
	"runtime.execute", "runtime.casgstatus",
}

func itoa(i int) string {
	return string(rune('0'+i/10)) + string(rune('0'+i%10))
}

// TestTableMatchesDWARF rebuilds a program with every Go release in the
// table (GOTOOLCHAIN downloads it through the module proxy on first use) and
// with the local toolchain (usually another patch release of a known minor),
// and checks that the table equals the DWARF offsets, and that a stripped
// build of the same program recovers the data symbols its twin has in
// .symtab.
func TestTableMatchesDWARF(t *testing.T) {
	if runtime.GOARCH != "amd64" {
		t.Skip("the table is for amd64")
	}
	if testing.Short() {
		t.Skip("builds with six Go toolchains")
	}
	dir := t.TempDir()
	if err := gobuild.WriteProbeProgram(dir); err != nil {
		t.Fatal(err)
	}
	versions := []string{""} // the local toolchain
	for _, e := range offsets.Table() {
		versions = append(versions, e.GoVersion)
	}
	for _, v := range versions {
		name := v
		if name == "" {
			name = "local-" + runtime.Version()
		}
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
			defer cancel()
			plain := filepath.Join(dir, name)
			stripped := plain + "-stripped"
			if err := gobuild.Build(ctx, gobuild.Options{Dir: dir, Out: plain, Toolchain: v}); err != nil {
				t.Fatal(err)
			}
			if err := gobuild.Build(ctx, gobuild.Options{Dir: dir, Out: stripped, Toolchain: v, LDFlags: "-s -w"}); err != nil {
				t.Fatal(err)
			}
			defer os.Remove(plain)
			defer os.Remove(stripped)
			full, err := gobin.Open(plain)
			if err != nil {
				t.Fatal(err)
			}
			defer full.Close()
			strip, err := gobin.Open(stripped)
			if err != nil {
				t.Fatal(err)
			}
			defer strip.Close()
			fromDWARF, err := full.Offsets()
			if err != nil {
				t.Fatal(err)
			}
			fromTable, err := strip.Offsets()
			if err != nil {
				t.Fatal(err)
			}
			if fromDWARF.Source != "dwarf" || fromTable.Source != "table" {
				t.Fatalf("sources %q, %q", fromDWARF.Source, fromTable.Source)
			}
			t.Logf("%s: table entry %s", full.GoVersion, fromTable.GoVersion)
			fromDWARF.Source, fromDWARF.GoVersion, fromTable.Source, fromTable.GoVersion = "", "", "", ""
			if fromDWARF != fromTable {
				t.Errorf("table differs from DWARF:\n table %+v\n dwarf %+v", fromTable, fromDWARF)
			}
			// The probes' functions exist in every version, and the
			// stripped binary gives the same uprobe offsets.
			for _, fn := range probedFuncs {
				ff, err := full.Func(fn)
				if err != nil {
					t.Errorf("%v", err)
					continue
				}
				sf, err := strip.Func(fn)
				if err != nil || sf.Offset != ff.Offset {
					t.Errorf("stripped %s: %+v, %v; symtab %+v", fn, sf, err, ff)
					continue
				}
				fe, err1 := full.EntryProbeOffset(fn)
				se, err2 := strip.EntryProbeOffset(fn)
				if err1 != nil || err2 != nil || fe != se {
					t.Errorf("%s: entry probe %#x/%#x, %v, %v", fn, fe, se, err1, err2)
				}
				fr, err1 := full.RetOffsets(fn)
				sr, err2 := strip.RetOffsets(fn)
				if err1 != nil || err2 != nil || len(fr) != len(sr) || len(fr) == 0 {
					t.Errorf("%s: rets %x / %x, %v, %v", fn, fr, sr, err1, err2)
				}
				t.Logf("%s: entry+%#x, %d rets", fn, fe-ff.Offset, len(fr))
			}
			for _, sym := range []string{"runtime.sched", "runtime.allglen", "runtime.allp", "runtime.memstats"} {
				want, err := full.DataSymbol(sym)
				if err != nil {
					t.Fatal(err)
				}
				got, err := strip.DataSymbol(sym)
				if err != nil {
					t.Fatal(err)
				}
				if got != want {
					t.Errorf("recovered %s = %#x, symtab %#x", sym, got, want)
				}
			}
		})
	}
}
