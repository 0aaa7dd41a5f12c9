package gobin_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gopulse/gopulse/probes/gobin"
	"github.com/gopulse/gopulse/probes/gobin/gobuild"
	"github.com/gopulse/gopulse/probes/offsets"
)

// builds holds the probe program built once per test binary in several
// flavours with the local toolchain.
type builds struct {
	plain, stripped, pie, strippedPIE string
	// Externally linked by gcc (cgo): C code precedes the Go text and the
	// pclntab header's textStart is left 0. Empty without gcc.
	cgo, cgoStripped, cgoPIE, cgoStrippedPIE string
}

var (
	buildOnce sync.Once
	built     builds
	buildErr  error
)

func testBuilds(t testing.TB) builds {
	t.Helper()
	if runtime.GOARCH != "amd64" {
		t.Skip("disassembly is implemented for amd64 only")
	}
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "gobin-test")
		if err != nil {
			buildErr = err
			return
		}
		if buildErr = gobuild.WriteProbeProgram(dir); buildErr != nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		built = builds{
			plain:       filepath.Join(dir, "plain"),
			stripped:    filepath.Join(dir, "stripped"),
			pie:         filepath.Join(dir, "pie"),
			strippedPIE: filepath.Join(dir, "stripped-pie"),
		}
		for _, o := range []gobuild.Options{
			{Dir: dir, Out: built.plain},
			{Dir: dir, Out: built.stripped, LDFlags: "-s -w"},
			{Dir: dir, Out: built.pie, BuildMode: "pie"},
			{Dir: dir, Out: built.strippedPIE, BuildMode: "pie", LDFlags: "-s -w"},
		} {
			if buildErr = gobuild.Build(ctx, o); buildErr != nil {
				return
			}
		}
		if _, err := exec.LookPath("gcc"); err != nil {
			return
		}
		ext := "-linkmode=external"
		for _, o := range []gobuild.Options{
			{Dir: dir, Out: filepath.Join(dir, "cgo"), CGO: true, LDFlags: ext},
			{Dir: dir, Out: filepath.Join(dir, "cgo-stripped"), CGO: true, LDFlags: ext + " -s -w"},
			{Dir: dir, Out: filepath.Join(dir, "cgo-pie"), CGO: true, LDFlags: ext, BuildMode: "pie"},
			{Dir: dir, Out: filepath.Join(dir, "cgo-stripped-pie"), CGO: true, LDFlags: ext + " -s -w", BuildMode: "pie"},
		} {
			if buildErr = gobuild.Build(ctx, o); buildErr != nil {
				return
			}
		}
		built.cgo = filepath.Join(dir, "cgo")
		built.cgoStripped = filepath.Join(dir, "cgo-stripped")
		built.cgoPIE = filepath.Join(dir, "cgo-pie")
		built.cgoStrippedPIE = filepath.Join(dir, "cgo-stripped-pie")
	})
	if buildErr != nil {
		t.Fatalf("build probe program: %v", buildErr)
	}
	return built
}

func open(t *testing.T, path string) *gobin.Binary {
	t.Helper()
	b, err := gobin.Open(path)
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

func TestOpenFlags(t *testing.T) {
	bs := testBuilds(t)
	for _, tc := range []struct {
		path            string
		stripped, pie   bool
		dwarf           bool
		wantSymbolSrc   string
		wantOffsetsFrom string
	}{
		{bs.plain, false, false, true, "symtab", "dwarf"},
		{bs.stripped, true, false, false, "pclntab", "table"},
		{bs.pie, false, true, true, "symtab", "dwarf"},
		{bs.strippedPIE, true, true, false, "pclntab", "table"},
	} {
		t.Run(filepath.Base(tc.path), func(t *testing.T) {
			b := open(t, tc.path)
			if b.GoVersion != runtime.Version() {
				t.Errorf("GoVersion = %q, want %q", b.GoVersion, runtime.Version())
			}
			if b.Stripped != tc.stripped || b.PIE != tc.pie || b.HasDWARF != tc.dwarf {
				t.Errorf("Stripped=%v PIE=%v HasDWARF=%v, want %v %v %v", b.Stripped, b.PIE, b.HasDWARF, tc.stripped, tc.pie, tc.dwarf)
			}
			if b.CGO {
				t.Errorf("CGO = true for a CGO_ENABLED=0 build")
			}
			if b.Arch != "amd64" {
				t.Errorf("Arch = %q", b.Arch)
			}
			src, err := b.SymbolSource()
			if err != nil || src != tc.wantSymbolSrc {
				t.Errorf("SymbolSource = %q, %v; want %q", src, err, tc.wantSymbolSrc)
			}
			o, err := b.Offsets()
			if err != nil {
				t.Fatalf("Offsets: %v", err)
			}
			if o.Source != tc.wantOffsetsFrom {
				t.Errorf("Offsets().Source = %q, want %q", o.Source, tc.wantOffsetsFrom)
			}
			if err := b.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
			if err := b.Close(); err != nil {
				t.Errorf("second Close: %v", err)
			}
		})
	}
}

func TestOpenCGO(t *testing.T) {
	bs := testBuilds(t)
	if bs.cgo == "" {
		t.Skip("no gcc")
	}
	for _, p := range []string{bs.cgo, bs.cgoStrippedPIE} {
		b := open(t, p)
		if !b.CGO {
			t.Errorf("%s: CGO = false", p)
		}
		if _, err := b.Offsets(); err != nil {
			t.Errorf("%s: Offsets: %v", p, err)
		}
	}
}

// The facts note measured offsetof(runtime.g, goid) = 152 on go1.26.
func TestOffsetsGoid(t *testing.T) {
	bs := testBuilds(t)
	o, err := open(t, bs.plain).Offsets()
	if err != nil {
		t.Fatal(err)
	}
	if _, mi, _ := offsets.Minor(runtime.Version()); mi == 26 && o.GGoid != 152 {
		t.Errorf("g.goid = %d, want 152", o.GGoid)
	}
	if o.HistCountsLen != 160 {
		t.Errorf("timeHistogram.counts len = %d, want 160", o.HistCountsLen)
	}
}

// Stripped binaries must agree with their unstripped twin on everything the
// probes use.
func TestStrippedMatchesSymtab(t *testing.T) {
	bs := testBuilds(t)
	pairs := [][2]string{{bs.plain, bs.stripped}, {bs.pie, bs.strippedPIE}}
	if bs.cgo != "" {
		pairs = append(pairs, [2]string{bs.cgo, bs.cgoStripped}, [2]string{bs.cgoPIE, bs.cgoStrippedPIE})
	} else {
		t.Log("no gcc: externally linked binaries not tested")
	}
	for _, pair := range pairs {
		t.Run(filepath.Base(pair[1]), func(t *testing.T) {
			full, strip := open(t, pair[0]), open(t, pair[1])
			fo, err := full.Offsets()
			if err != nil {
				t.Fatal(err)
			}
			so, err := strip.Offsets()
			if err != nil {
				t.Fatal(err)
			}
			fo.Source, fo.GoVersion, so.Source, so.GoVersion = "", "", "", ""
			if fo != so {
				t.Errorf("table offsets differ from dwarf:\n table %+v\n dwarf %+v", so, fo)
			}
			for _, name := range []string{"runtime.gcStart", "runtime.casgstatus", "runtime.newproc1", "runtime.execute", "runtime.gcMarkTermination", "main.main"} {
				ff, err := full.Func(name)
				if err != nil {
					t.Fatalf("symtab Func(%s): %v", name, err)
				}
				sf, err := strip.Func(name)
				if err != nil {
					t.Fatalf("pclntab Func(%s): %v", name, err)
				}
				if ff.Entry != sf.Entry || ff.Offset != sf.Offset || ff.Offset == 0 {
					t.Errorf("%s: symtab %+v, pclntab %+v", name, ff, sf)
				}
				if sf.End < ff.End || sf.End-ff.End >= 32 {
					t.Errorf("%s: pclntab end %#x, symtab end %#x", name, sf.End, ff.End)
				}
				fr, err := full.RetOffsets(name)
				if err != nil {
					t.Fatalf("RetOffsets(%s): %v", name, err)
				}
				sr, err := strip.RetOffsets(name)
				if err != nil {
					t.Fatalf("stripped RetOffsets(%s): %v", name, err)
				}
				if !equalU64(fr, sr) {
					t.Errorf("%s: rets %x vs %x", name, fr, sr)
				}
			}
			for _, name := range []string{"runtime.sched", "runtime.allglen", "runtime.allp", "runtime.memstats", "runtime.work", "runtime.gcController"} {
				want, err := full.DataSymbol(name)
				if err != nil {
					t.Fatalf("symtab DataSymbol(%s): %v", name, err)
				}
				got, err := strip.DataSymbol(name)
				if err != nil {
					t.Fatalf("recovered DataSymbol(%s): %v", name, err)
				}
				if got != want {
					t.Errorf("DataSymbol(%s) = %#x, want %#x", name, got, want)
				}
			}
			if _, err := strip.DataSymbol("runtime.nosuchvar"); !errors.Is(err, gobin.ErrNoSymbol) {
				t.Errorf("unknown data symbol: %v, want ErrNoSymbol", err)
			}
		})
	}
}

func equalU64(a, b []uint64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestRetOffsetsAreRets(t *testing.T) {
	bs := testBuilds(t)
	b := open(t, bs.plain)
	raw, err := os.ReadFile(bs.plain)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"runtime.gcStart", "runtime.stopTheWorldWithSema", "runtime.startTheWorldWithSema", "runtime.newproc1", "runtime.gcMarkTermination"} {
		rets, err := b.RetOffsets(name)
		if err != nil {
			t.Fatalf("RetOffsets(%s): %v", name, err)
		}
		f, _ := b.Func(name)
		for _, off := range rets {
			if off < f.Offset || off >= f.Offset+(f.End-f.Entry) {
				t.Errorf("%s: ret %#x outside [%#x,+%#x)", name, off, f.Offset, f.End-f.Entry)
			}
			if c := raw[off]; c != 0xc3 && c != 0xc2 {
				t.Errorf("%s: byte at %#x is %#x, not RET", name, off, c)
			}
		}
	}
}

func TestEntryProbeOffset(t *testing.T) {
	bs := testBuilds(t)
	b := open(t, bs.stripped)
	raw, err := os.ReadFile(bs.stripped)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"runtime.gcStart", "runtime.newproc1", "runtime.execute", "runtime.goexit0", "runtime.stopTheWorldWithSema", "runtime.gcMarkTermination"} {
		f, err := b.Func(name)
		if err != nil {
			t.Fatal(err)
		}
		off, err := b.EntryProbeOffset(name)
		if err != nil {
			t.Fatalf("EntryProbeOffset(%s): %v", name, err)
		}
		d := off - f.Offset
		if d < 0x6 || d > 0x12 {
			t.Errorf("%s: PUSHQ BP at entry+%#x, want +0x6…+0x12", name, d)
		}
		if raw[off] != 0x55 {
			t.Errorf("%s: byte at entry+%#x is %#x, want 0x55 (PUSHQ BP)", name, d, raw[off])
		}
	}
	// casgstatus is nosplit: no stack check, PUSHQ BP is the first
	// instruction.
	f, err := b.Func("runtime.casgstatus")
	if err != nil {
		t.Fatal(err)
	}
	if off, err := b.EntryProbeOffset("runtime.casgstatus"); err != nil || off != f.Offset || raw[off] != 0x55 {
		t.Errorf("casgstatus: %#x, %v; want entry %#x", off, err, f.Offset)
	}
	// A frameless assembly function has no PUSHQ BP: fall back to entry.
	f, err = b.Func("runtime.cputicks")
	if err != nil {
		t.Fatal(err)
	}
	if off, err := b.EntryProbeOffset("runtime.cputicks"); err != nil || off != f.Offset {
		t.Errorf("cputicks: %#x, %v; want entry %#x", off, err, f.Offset)
	}
}

func TestFuncForPC(t *testing.T) {
	bs := testBuilds(t)
	b := open(t, bs.stripped)
	funcs, err := b.Funcs()
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < len(funcs); i += 97 {
		f := funcs[i]
		for _, pc := range []uint64{f.Entry, (f.Entry + f.End) / 2, f.End - 1} {
			if name, ok := b.FuncForPC(pc); !ok || name != f.Name {
				t.Errorf("FuncForPC(%#x) = %q, %v; want %q", pc, name, ok, f.Name)
			}
		}
	}
	if _, ok := b.FuncForPC(funcs[0].Entry - 1); ok {
		t.Errorf("FuncForPC before the first function: ok")
	}
	if allocs := testing.AllocsPerRun(100, func() { b.FuncForPC(funcs[len(funcs)/2].Entry + 1) }); allocs != 0 {
		t.Errorf("FuncForPC allocates %v per call", allocs)
	}
	if _, err := b.Func("no.such.func"); !errors.Is(err, gobin.ErrNoSymbol) {
		t.Errorf("Func(no.such.func) = %v, want ErrNoSymbol", err)
	}
}

func TestNotGo(t *testing.T) {
	for _, p := range []string{"/bin/true", "/etc/hostname"} {
		if _, err := os.Stat(p); err != nil {
			continue
		}
		_, err := gobin.Open(p)
		if !errors.Is(err, gobin.ErrNotGo) {
			t.Errorf("Open(%s) = %v, want ErrNotGo", p, err)
		}
		if gobin.IsGo(p) {
			t.Errorf("IsGo(%s) = true", p)
		}
	}
	if _, err := gobin.Open(filepath.Join(t.TempDir(), "missing")); err == nil || errors.Is(err, gobin.ErrNotGo) {
		t.Errorf("missing file: %v", err)
	}
}

// patched copies src with every occurrence of old replaced by repl (same
// length).
func patched(t *testing.T, src, old, repl string) string {
	t.Helper()
	raw, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if len(old) != len(repl) || !bytes.Contains(raw, []byte(old)) {
		t.Fatalf("cannot patch %q into %q", old, repl)
	}
	raw = bytes.ReplaceAll(raw, []byte(old), []byte(repl))
	out := filepath.Join(t.TempDir(), filepath.Base(src)+"-patched")
	if err := os.WriteFile(out, raw, 0o755); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestNoSymbolsNoPclntab(t *testing.T) {
	bs := testBuilds(t)
	// Rename the .gopclntab section of a stripped binary: no symtab, no
	// pclntab left.
	p := patched(t, bs.stripped, ".gopclntab\x00", ".xopclntab\x00")
	b := open(t, p)
	if !gobin.IsGo(p) {
		t.Fatalf("IsGo = false; the build info is still there")
	}
	if _, err := b.Func("runtime.gcStart"); !errors.Is(err, gobin.ErrNoSymbols) {
		t.Errorf("Func = %v, want ErrNoSymbols", err)
	}
	if _, err := b.RetOffsets("runtime.gcStart"); !errors.Is(err, gobin.ErrNoSymbols) {
		t.Errorf("RetOffsets = %v, want ErrNoSymbols", err)
	}
	if _, err := b.DataSymbol("runtime.sched"); !errors.Is(err, gobin.ErrNoSymbols) {
		t.Errorf("DataSymbol = %v, want ErrNoSymbols", err)
	}
	if _, ok := b.FuncForPC(0x401000); ok {
		t.Errorf("FuncForPC ok without symbols")
	}
}

func TestUnknownGoVersionWithoutDWARF(t *testing.T) {
	bs := testBuilds(t)
	v := runtime.Version()
	fake := "go1.99" + strings.TrimPrefix(v, v[:len("go1.26")])
	p := patched(t, bs.stripped, v, fake)
	b := open(t, p)
	if b.GoVersion != fake {
		t.Fatalf("GoVersion = %q, want %q", b.GoVersion, fake)
	}
	_, err := b.Offsets()
	if !errors.Is(err, gobin.ErrUnknownOffsets) {
		t.Fatalf("Offsets = %v, want ErrUnknownOffsets", err)
	}
	if !strings.Contains(err.Error(), fake) {
		t.Errorf("error %q does not name the version", err)
	}
	// Symbols still work; data symbols need offsets.
	if _, err := b.Func("runtime.gcStart"); err != nil {
		t.Errorf("Func: %v", err)
	}
	if _, err := b.DataSymbol("runtime.sched"); !errors.Is(err, gobin.ErrUnknownOffsets) {
		t.Errorf("DataSymbol = %v, want ErrUnknownOffsets", err)
	}
	// The same version with DWARF is fine.
	b2 := open(t, patched(t, bs.plain, v, fake))
	if o, err := b2.Offsets(); err != nil || o.Source != "dwarf" {
		t.Errorf("with dwarf: %+v, %v", o.Source, err)
	}
}

func BenchmarkOpen(b *testing.B) {
	bs := testBuilds(b)
	b.ReportAllocs()
	for b.Loop() {
		bin, err := gobin.Open(bs.stripped)
		if err != nil {
			b.Fatal(err)
		}
		bin.Close()
	}
}

func BenchmarkFuncForPC(b *testing.B) {
	bs := testBuilds(b)
	bin, err := gobin.Open(bs.stripped)
	if err != nil {
		b.Fatal(err)
	}
	defer bin.Close()
	funcs, _ := bin.Funcs()
	b.ReportAllocs()
	b.SetBytes(1)
	i := 0
	for b.Loop() {
		f := funcs[i%len(funcs)]
		if _, ok := bin.FuncForPC(f.Entry); !ok {
			b.Fatal("not found")
		}
		i += 7
	}
}

// BenchmarkAnalyze is what the probes pay once per executable: open, load
// the symbols, find the offsets (DWARF or table) and the uprobe offsets of
// one function.
func BenchmarkAnalyze(b *testing.B) {
	bs := testBuilds(b)
	for _, p := range []string{bs.plain, bs.stripped} {
		b.Run(filepath.Base(p), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				bin, err := gobin.Open(p)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := bin.Offsets(); err != nil {
					b.Fatal(err)
				}
				if _, err := bin.RetOffsets("runtime.gcStart"); err != nil {
					b.Fatal(err)
				}
				if _, err := bin.DataSymbol("runtime.sched"); err != nil {
					b.Fatal(err)
				}
				bin.Close()
			}
		})
	}
}

// An arm64 binary: symbols work, amd64-only parts say so clearly.
func TestOtherArch(t *testing.T) {
	testBuilds(t)
	dir := t.TempDir()
	if err := gobuild.WriteProbeProgram(dir); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	out := filepath.Join(dir, "arm64-stripped")
	if err := gobuild.Build(ctx, gobuild.Options{Dir: dir, Out: out, LDFlags: "-s -w", Env: []string{"GOARCH=arm64"}}); err != nil {
		t.Fatal(err)
	}
	b := open(t, out)
	if b.Arch != "arm64" {
		t.Fatalf("Arch = %q", b.Arch)
	}
	f, err := b.Func("runtime.gcStart")
	if err != nil || f.Offset == 0 {
		t.Errorf("Func: %+v, %v", f, err)
	}
	if _, err := b.RetOffsets("runtime.gcStart"); !errors.Is(err, gobin.ErrUnsupportedArch) {
		t.Errorf("RetOffsets = %v, want ErrUnsupportedArch", err)
	}
	if _, err := b.Offsets(); !errors.Is(err, gobin.ErrUnknownOffsets) {
		t.Errorf("Offsets = %v, want ErrUnknownOffsets", err)
	}
}
