package offsets_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
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
	if len(tab) < 14 {
		t.Fatalf("table has %d entries, want go1.21…go1.27 for amd64 and arm64", len(tab))
	}
	for _, arch := range []string{"amd64", "arm64"} {
		for mi := 21; mi <= 27; mi++ {
			// Any patch, including ones newer than the table's, resolves.
			for _, v := range []string{"go1." + itoa(mi), "go1." + itoa(mi) + ".0", "go1." + itoa(mi) + ".99"} {
				o, ok := offsets.Lookup(v, arch)
				if !ok {
					t.Errorf("Lookup(%q, %s) not found", v, arch)
					continue
				}
				if o.Source != "table" || o.GGoid <= 0 || o.SchedTimeToRun <= 0 || o.HistCountsLen != 160 {
					t.Errorf("Lookup(%q, %s) = %+v", v, arch, o)
				}
				if _, emi, _ := offsets.Minor(o.GoVersion); emi != mi {
					t.Errorf("Lookup(%q, %s) came from %s", v, arch, o.GoVersion)
				}
			}
		}
	}
	for _, v := range []string{"go1.20.14", "go1.99.0", "", "devel"} {
		if _, ok := offsets.Lookup(v, "amd64"); ok {
			t.Errorf("Lookup(%q) found", v)
		}
	}
	if _, ok := offsets.Lookup("go1.26.1", "riscv64"); ok {
		t.Errorf("Lookup(riscv64) found")
	}
	// The architectures differ where a struct pads to a cache line.
	a, _ := offsets.Lookup("go1.26", "amd64")
	r, _ := offsets.Lookup("go1.26", "arm64")
	if a.WorkTMark == r.WorkTMark || a.GGoid != r.GGoid {
		t.Errorf("amd64 %+v\narm64 %+v", a, r)
	}
}

// probedFuncs are the runtime functions the probes attach to or read
// their sites from.
var probedFuncs = []string{
	"runtime.gcStart", "runtime.gcMarkDone", "runtime.gcMarkTermination",
	"runtime.stopTheWorldWithSema", "runtime.startTheWorldWithSema",
	"runtime.(*gcCPULimiterState).finishGCTransition",
	"runtime.newproc1", "runtime.goexit1", "runtime.goexit0",
	"runtime.execute", "runtime.casgstatus",
}

func itoa(i int) string {
	return string(rune('0'+i/10)) + string(rune('0'+i%10))
}

// TestToolchainSweep rebuilds a program with every Go release in the table
// (GOTOOLCHAIN downloads each through the module proxy on first use; the
// module cache keeps it) and with the local toolchain, for amd64 and arm64,
// with and without symbols and DWARF, and checks for each:
//
//   - the table equals DWARF;
//   - with the table out of the way, the offsets derived from the stripped
//     binary's own code equal DWARF;
//   - the stripped binary recovers the data symbols its twin has in .symtab,
//     and gives the same uprobe sites;
//   - go1.21 reads nanotime1's result from the stack slot the probes read.
//
// It takes a while on a cold cache (seven toolchains, fourteen standard
// library builds): `make test-toolchains` runs it (GOPULSE_TOOLCHAIN_SWEEP=1).
func TestToolchainSweep(t *testing.T) {
	if os.Getenv("GOPULSE_TOOLCHAIN_SWEEP") != "1" {
		t.Skip("builds with seven Go toolchains for two architectures: run by make test-toolchains (GOPULSE_TOOLCHAIN_SWEEP=1)")
	}
	dir := t.TempDir()
	if err := gobuild.WriteProbeProgram(dir); err != nil {
		t.Fatal(err)
	}
	versions := []string{""} // the local toolchain
	seen := map[string]bool{}
	for _, e := range offsets.Table() {
		if !seen[e.GoVersion] {
			seen[e.GoVersion] = true
			versions = append(versions, e.GoVersion)
		}
	}
	for _, v := range versions {
		for _, arch := range []string{"amd64", "arm64"} {
			name := v
			if name == "" {
				name = "local-" + runtime.Version()
			}
			t.Run(name+"/"+arch, func(t *testing.T) {
				start := time.Now()
				sweepOne(t, dir, v, arch, name)
				t.Logf("%s/%s took %v", name, arch, time.Since(start).Round(time.Second))
			})
		}
	}
}

func sweepOne(t *testing.T, dir, toolchain, arch, name string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	plain := filepath.Join(dir, name+"-"+arch)
	stripped := plain + "-stripped"
	env := []string{"GOARCH=" + arch}
	if err := gobuild.Build(ctx, gobuild.Options{Dir: dir, Out: plain, Toolchain: toolchain, Env: env}); err != nil {
		t.Fatal(err)
	}
	if err := gobuild.Build(ctx, gobuild.Options{Dir: dir, Out: stripped, Toolchain: toolchain, LDFlags: "-s -w", Env: env}); err != nil {
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
	if full.Arch != arch || strip.Arch != arch {
		t.Fatalf("built for %s/%s, want %s", full.Arch, strip.Arch, arch)
	}
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
	if d := diff(fromTable, fromDWARF); d != "" {
		t.Errorf("table differs from DWARF: %s", d)
	}
	derived, err := strip.DerivedOffsets()
	if err != nil {
		t.Fatalf("derived offsets: %v", err)
	}
	if derived.Source != "code" {
		t.Errorf("derived Source %q", derived.Source)
	}
	if d := derivedDiff(derived, fromDWARF); d != "" {
		t.Errorf("offsets derived from code differ from DWARF: %s", d)
	}
	// The probes' functions exist in every version, and the stripped
	// binary gives the same uprobe sites.
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
	for _, sym := range []string{"runtime.sched", "runtime.allglen", "runtime.allp", "runtime.memstats", "runtime.work", "runtime.gcController"} {
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
	if _, mi, _ := offsets.Minor(full.GoVersion); mi == 21 {
		// go1.21's pause times come from nanotime1 (ABI0) results, read
		// from the caller's stack right after the call.
		want := int64(0)
		if arch == "arm64" {
			want = 8
		}
		for _, fn := range []string{"runtime.gcStart", "runtime.gcMarkDone", "runtime.gcMarkTermination"} {
			cs, err := strip.CallSites(fn)
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, c := range cs {
				if c.Callee == "runtime.nanotime1" {
					n++
					if c.StackResult != want {
						t.Errorf("%s: nanotime1 call at %#x: result read from %d(SP), want %d", fn, c.Offset, c.StackResult, want)
					}
				}
			}
			if n == 0 {
				t.Errorf("%s: no nanotime1 call", fn)
			}
		}
	}
}

// diff lists the fields where a and b differ.
func diff(a, b offsets.Offsets) string {
	va, vb := reflect.ValueOf(a), reflect.ValueOf(b)
	var d []string
	for i := 0; i < va.NumField(); i++ {
		f := va.Type().Field(i)
		if f.Tag.Get("dwarf") == "" {
			continue
		}
		if x, y := va.Field(i).Int(), vb.Field(i).Int(); x != y {
			d = append(d, fmt.Sprintf("%s %d≠%d", f.Name, x, y))
		}
	}
	return strings.Join(d, ", ")
}

// derivedDiff compares offsets derived from code with DWARF's: the fields
// gobin derives must be equal, the others Absent.
func derivedDiff(got, want offsets.Offsets) string {
	derived := map[string]bool{}
	for _, f := range gobin.DerivedFields() {
		derived[f] = true
	}
	vg, vw := reflect.ValueOf(got), reflect.ValueOf(want)
	var d []string
	for i := 0; i < vg.NumField(); i++ {
		f := vg.Type().Field(i)
		if f.Tag.Get("dwarf") == "" {
			continue
		}
		x, y := vg.Field(i).Int(), vw.Field(i).Int()
		switch {
		case derived[f.Name] && x != y:
			d = append(d, fmt.Sprintf("%s %d≠%d", f.Name, x, y))
		case !derived[f.Name] && x != -1:
			d = append(d, fmt.Sprintf("%s %d, want absent (not derived)", f.Name, x))
		}
	}
	return strings.Join(d, ", ")
}
