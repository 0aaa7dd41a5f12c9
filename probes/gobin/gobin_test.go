package gobin_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
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
// flavours with the local toolchain, for one architecture.
type builds struct {
	arch                              string
	plain, stripped, pie, strippedPIE string
	// Externally linked by gcc (cgo, amd64 only): C code precedes the Go
	// text and the pclntab header's textStart is left 0. Empty without
	// gcc.
	cgo, cgoStripped, cgoPIE, cgoStrippedPIE string
}

// arches are the architectures gobin analyses; binaries of both are
// cross-compiled, whatever the host.
var arches = []string{"amd64", "arm64"}

var (
	buildMu  sync.Mutex
	built    = map[string]*builds{}
	buildErr error
)

// testBuilds returns the amd64 builds.
func testBuilds(t testing.TB) builds { return archBuilds(t, "amd64") }

func archBuilds(t testing.TB, arch string) builds {
	t.Helper()
	buildMu.Lock()
	defer buildMu.Unlock()
	if b := built[arch]; b != nil {
		return *b
	}
	if buildErr != nil {
		t.Fatalf("build probe program: %v", buildErr)
	}
	bs, err := buildArch(arch)
	if err != nil {
		buildErr = err
		t.Fatalf("build probe program: %v", err)
	}
	built[arch] = bs
	return *bs
}

func buildArch(arch string) (*builds, error) {
	dir, err := os.MkdirTemp("", "gobin-test-"+arch)
	if err != nil {
		return nil, err
	}
	if err := gobuild.WriteProbeProgram(dir); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	env := []string{"GOARCH=" + arch}
	bs := &builds{
		arch:        arch,
		plain:       filepath.Join(dir, "plain"),
		stripped:    filepath.Join(dir, "stripped"),
		pie:         filepath.Join(dir, "pie"),
		strippedPIE: filepath.Join(dir, "stripped-pie"),
	}
	for _, o := range []gobuild.Options{
		{Dir: dir, Out: bs.plain, Env: env},
		{Dir: dir, Out: bs.stripped, LDFlags: "-s -w", Env: env},
		{Dir: dir, Out: bs.pie, BuildMode: "pie", Env: env},
		{Dir: dir, Out: bs.strippedPIE, BuildMode: "pie", LDFlags: "-s -w", Env: env},
	} {
		if err := gobuild.Build(ctx, o); err != nil {
			return nil, err
		}
	}
	if _, err := exec.LookPath("gcc"); err != nil || arch != runtime.GOARCH {
		return bs, nil
	}
	ext := "-linkmode=external"
	for _, o := range []gobuild.Options{
		{Dir: dir, Out: filepath.Join(dir, "cgo"), CGO: true, LDFlags: ext},
		{Dir: dir, Out: filepath.Join(dir, "cgo-stripped"), CGO: true, LDFlags: ext + " -s -w"},
		{Dir: dir, Out: filepath.Join(dir, "cgo-pie"), CGO: true, LDFlags: ext, BuildMode: "pie"},
		{Dir: dir, Out: filepath.Join(dir, "cgo-stripped-pie"), CGO: true, LDFlags: ext + " -s -w", BuildMode: "pie"},
	} {
		if err := gobuild.Build(ctx, o); err != nil {
			return nil, err
		}
	}
	bs.cgo = filepath.Join(dir, "cgo")
	bs.cgoStripped = filepath.Join(dir, "cgo-stripped")
	bs.cgoPIE = filepath.Join(dir, "cgo-pie")
	bs.cgoStrippedPIE = filepath.Join(dir, "cgo-stripped-pie")
	return bs, nil
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
	for _, arch := range arches {
		bs := archBuilds(t, arch)
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
			t.Run(arch+"/"+filepath.Base(tc.path), func(t *testing.T) {
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
				if b.Arch != arch {
					t.Errorf("Arch = %q, want %q", b.Arch, arch)
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
	for _, arch := range arches {
		bs := archBuilds(t, arch)
		pairs := [][2]string{{bs.plain, bs.stripped}, {bs.pie, bs.strippedPIE}}
		if bs.cgo != "" {
			pairs = append(pairs, [2]string{bs.cgo, bs.cgoStripped}, [2]string{bs.cgoPIE, bs.cgoStrippedPIE})
		} else {
			t.Logf("%s: externally linked binaries not tested (no gcc for it)", arch)
		}
		for _, pair := range pairs {
			t.Run(arch+"/"+filepath.Base(pair[1]), func(t *testing.T) {
				checkStrippedTwin(t, open(t, pair[0]), open(t, pair[1]))
			})
		}
	}
}

func checkStrippedTwin(t *testing.T, full, strip *gobin.Binary) {
	t.Helper()
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
		fe, err1 := full.EntryProbeOffset(name)
		se, err2 := strip.EntryProbeOffset(name)
		if err1 != nil || err2 != nil || fe != se {
			t.Errorf("%s: entry probe %#x/%#x, %v, %v", name, fe, se, err1, err2)
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
}

// TestDerivedOffsets: the offsets read from the runtime's code equal
// DWARF's, for every build flavour of both architectures.
func TestDerivedOffsets(t *testing.T) {
	for _, arch := range arches {
		bs := archBuilds(t, arch)
		want, err := open(t, bs.plain).Offsets()
		if err != nil || want.Source != "dwarf" {
			t.Fatalf("%s dwarf offsets: %+v, %v", arch, want, err)
		}
		for _, p := range []string{bs.plain, bs.stripped, bs.pie, bs.strippedPIE, bs.cgo, bs.cgoStrippedPIE} {
			if p == "" {
				continue
			}
			got, err := open(t, p).DerivedOffsets()
			if err != nil {
				t.Errorf("%s/%s: %v", arch, filepath.Base(p), err)
				continue
			}
			if got.Source != "code" {
				t.Errorf("%s/%s: Source %q", arch, filepath.Base(p), got.Source)
			}
			if diff := derivedDiff(got, want); diff != "" {
				t.Errorf("%s/%s: derived offsets differ from dwarf: %s", arch, filepath.Base(p), diff)
			}
		}
	}
}

// derivedDiff compares offsets derived from code with DWARF's: the fields
// gobin derives must be equal, the others Absent.
func derivedDiff(got, want gobin.Offsets) string {
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
	for _, arch := range arches {
		bs := archBuilds(t, arch)
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
					t.Errorf("%s %s: ret %#x outside [%#x,+%#x)", arch, name, off, f.Offset, f.End-f.Entry)
				}
				switch arch {
				case "amd64":
					if c := raw[off]; c != 0xc3 && c != 0xc2 {
						t.Errorf("%s: byte at %#x is %#x, not RET", name, off, c)
					}
				case "arm64":
					if w := binary.LittleEndian.Uint32(raw[off:]); w != 0xd65f03c0 {
						t.Errorf("%s: word at %#x is %#08x, not RET", name, off, w)
					}
				}
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

// TestEntryProbeOffsetARM64 checks the arm64 sites against Go's own
// disassembler (go tool objdump): the site is a branch the kernel
// simulates, and no instruction before it writes an argument register or
// the link register, or branches.
func TestEntryProbeOffsetARM64(t *testing.T) {
	bs := archBuilds(t, "arm64")
	b := open(t, bs.stripped)
	for _, tc := range []struct {
		name string
		want string // mnemonic at the site; "" = the entry (fallback)
		at   uint64 // its offset from the entry, 0 = any
	}{
		// Functions with a stack check: its B.LS, after the load of the
		// stack bound and the compare.
		{"runtime.startTheWorldWithSema", "BLS", 8},
		{"runtime.stopTheWorldWithSema", "BLS", 0},
		{"runtime.(*gcCPULimiterState).finishGCTransition", "BLS", 8},
		{"runtime.gcStart", "BLS", 0},
		// NOSPLIT: after the frame set-up and the argument spills, the
		// first test-and-branch.
		{"runtime.casgstatus", "TBNZ", 0},
		// Assembly that sets R8 (the syscall number) first: the entry.
		{"runtime.gettid", "", 0},
	} {
		f, err := b.Func(tc.name)
		if err != nil {
			t.Fatal(err)
		}
		off, err := b.EntryProbeOffset(tc.name)
		if err != nil {
			t.Fatalf("EntryProbeOffset(%s): %v", tc.name, err)
		}
		d := off - f.Offset
		if tc.want == "" {
			if d != 0 {
				t.Errorf("%s: site at entry+%#x, want the entry", tc.name, d)
			}
			continue
		}
		lines := objdump(t, bs.plain, tc.name)
		i := int(d / 4)
		if i >= len(lines) || !strings.HasPrefix(lines[i], tc.want+" ") || (tc.at != 0 && d != tc.at) {
			t.Errorf("%s: site at entry+%#x is %q, want %s at +%#x", tc.name, d, lines[min(i, len(lines)-1)], tc.want, tc.at)
			continue
		}
		for _, l := range lines[:i] {
			if !a64PrologueOK(l) {
				t.Errorf("%s: %q before the site at entry+%#x", tc.name, l, d)
			}
		}
	}
}

// objdump returns the instructions of fn as go tool objdump prints them.
func objdump(t *testing.T, bin, fn string) []string {
	t.Helper()
	out, err := exec.Command("go", "tool", "objdump", "-s", "^"+regexp.QuoteMeta(fn)+"$", bin).Output()
	if err != nil {
		t.Fatalf("go tool objdump %s: %v", fn, err)
	}
	var lines []string
	tabs := regexp.MustCompile("\t+")
	for _, l := range strings.Split(string(out), "\n") {
		// "  file.go:12\t0x1234\t\tf9400b90\t\tMOVD 16(R28), R16\t"
		f := tabs.Split(l, -1)
		if len(f) < 4 || strings.HasPrefix(l, "TEXT") {
			continue
		}
		lines = append(lines, strings.TrimSpace(f[3]))
	}
	return lines
}

// a64PrologueOK reports whether a Go-syntax arm64 instruction may precede
// an entry probe: a store or the frame/stack set-up, a compare, or a load
// into the stack check's scratch registers (R16, R17).
func a64PrologueOK(l string) bool {
	f := strings.Fields(strings.ReplaceAll(l, ",", " "))
	if len(f) == 0 {
		return false
	}
	op, last := f[0], f[len(f)-1]
	switch {
	case strings.HasPrefix(op, "B") || op == "CALL" || op == "JMP" || op == "RET" || strings.HasPrefix(op, "CB") || strings.HasPrefix(op, "TB"):
		return false
	case op == "CMP" || op == "CMPW" || op == "NOOP":
		return true
	case strings.HasSuffix(last, ")"): // a store (the destination is memory)
		return true
	}
	return last == "R16" || last == "R17" || last == "R29" || last == "RSP"
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

// A stripped binary of a Go version the table does not know gets its
// offsets from its own code.
func TestUnknownGoVersionWithoutDWARF(t *testing.T) {
	for _, arch := range arches {
		bs := archBuilds(t, arch)
		v := runtime.Version()
		fake := "go1.99" + strings.TrimPrefix(v, v[:len("go1.26")])
		p := patched(t, bs.stripped, v, fake)
		b := open(t, p)
		if b.GoVersion != fake {
			t.Fatalf("GoVersion = %q, want %q", b.GoVersion, fake)
		}
		o, err := b.Offsets()
		if err != nil {
			t.Fatalf("%s: Offsets: %v", arch, err)
		}
		want, err := open(t, bs.plain).Offsets()
		if err != nil {
			t.Fatal(err)
		}
		if o.Source != "code" || derivedDiff(o, want) != "" {
			t.Errorf("%s: offsets from %s differ from dwarf: %s", arch, o.Source, derivedDiff(o, want))
		}
		full := open(t, bs.plain)
		for _, sym := range []string{"runtime.sched", "runtime.memstats", "runtime.work", "runtime.allglen", "runtime.allp", "runtime.gcController"} {
			got, err1 := b.DataSymbol(sym)
			want, err2 := full.DataSymbol(sym)
			if err1 != nil || err2 != nil || got != want {
				t.Errorf("%s: DataSymbol(%s) = %#x, %v; symtab %#x, %v", arch, sym, got, err1, want, err2)
			}
		}
	}
}

// TestCodeDoesNotMatch: a binary whose runtime code does not match the
// patterns (here: a function the offsets are read from is gone) gets a
// clear error naming the fields and functions, never numbers.
func TestCodeDoesNotMatch(t *testing.T) {
	for _, arch := range arches {
		bs := archBuilds(t, arch)
		v := runtime.Version()
		fake := "go1.99" + strings.TrimPrefix(v, v[:len("go1.26")])
		p := patched(t, patched(t, bs.stripped, v, fake), "runtime.printcreatedby\x00", "runtime.printcreatedbz\x00")
		b := open(t, p)
		o, err := b.Offsets()
		if !errors.Is(err, gobin.ErrUnknownOffsets) {
			t.Fatalf("%s: Offsets = %+v, %v; want ErrUnknownOffsets", arch, o, err)
		}
		for _, want := range []string{fake, arch, "g.gopc", "g.goid", "g.parentGoid", "runtime.printcreatedby"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%s: error %q does not name %s", arch, err, want)
			}
		}
		// The rest of the binary is still usable.
		if _, err := b.Func("runtime.gcStart"); err != nil {
			t.Errorf("Func: %v", err)
		}
		if _, err := b.DataSymbol("runtime.sched"); err != nil {
			t.Errorf("DataSymbol: %v", err)
		}
	}
	// The same version with DWARF is fine.
	bs := testBuilds(t)
	v := runtime.Version()
	b2 := open(t, patched(t, bs.plain, v, "go1.99"+strings.TrimPrefix(v, v[:len("go1.26")])))
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

// A riscv64 binary: symbols work, disassembly and offsets say clearly what
// is not supported.
func TestOtherArch(t *testing.T) {
	dir := t.TempDir()
	if err := gobuild.WriteProbeProgram(dir); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	out := filepath.Join(dir, "riscv64-stripped")
	if err := gobuild.Build(ctx, gobuild.Options{Dir: dir, Out: out, LDFlags: "-s -w", Env: []string{"GOARCH=riscv64"}}); err != nil {
		t.Fatal(err)
	}
	b := open(t, out)
	if b.Arch != "riscv64" {
		t.Fatalf("Arch = %q", b.Arch)
	}
	f, err := b.Func("runtime.gcStart")
	if err != nil || f.Offset == 0 {
		t.Errorf("Func: %+v, %v", f, err)
	}
	if _, err := b.RetOffsets("runtime.gcStart"); !errors.Is(err, gobin.ErrUnsupportedArch) {
		t.Errorf("RetOffsets = %v, want ErrUnsupportedArch", err)
	}
	_, err = b.Offsets()
	if !errors.Is(err, gobin.ErrUnknownOffsets) || !errors.Is(err, gobin.ErrUnsupportedArch) {
		t.Errorf("Offsets = %v, want ErrUnknownOffsets and ErrUnsupportedArch", err)
	}
}

// TestDecodeMatchesObjdump checks the decoders the analyses use against Go's
// own disassembler (go tool objdump) on whole runtime functions: calls and
// their targets, returns, branches and their targets, pc-relative
// addresses, immediate adds, loads and stores with their offsets.
func TestDecodeMatchesObjdump(t *testing.T) {
	fns := []string{"runtime.casgstatus", "runtime.newproc1", "runtime.gcMarkTermination", "runtime.printcreatedby",
		"runtime.(*timeHistogram).record", "runtime.gfput", "runtime.startTheWorldWithSema"}
	reCall := regexp.MustCompile(`^CALL (\S+)\(SB\)$`)
	reRel := regexp.MustCompile(`^(B\w*|CBN?ZW?|TBN?Z|JMP) .*?(-?\d+)\(PC\)$`)
	reAdrp := regexp.MustCompile(`^ADRP (-?\d+)\(PC\), R(\d+)$`)
	reAdd := regexp.MustCompile(`^ADD \$(\d+), R(\d+), R(\d+)$`)
	reLoad := regexp.MustCompile(`^MOVD (-?\d*)\(R(\d+)\), R(\d+)$`)
	reStore := regexp.MustCompile(`^MOVD R(\d+), (-?\d*)\(R(\d+)\)$`)
	atoi := func(s string) int64 {
		if s == "" {
			return 0
		}
		var n int64
		fmt.Sscan(s, &n)
		return n
	}
	bs := archBuilds(t, "arm64")
	b := open(t, bs.plain)
	checked := 0
	for _, fn := range fns {
		insns, err := b.DecodeForTest(fn)
		if err != nil {
			t.Fatal(err)
		}
		lines := objdump(t, bs.plain, fn)
		if len(lines) != len(insns) {
			t.Fatalf("%s: %d instructions, objdump %d", fn, len(insns), len(lines))
		}
		for i, l := range lines {
			in := insns[i]
			bad := func(what string) { t.Errorf("%s+%#x %q: %s: %+v", fn, 4*i, l, what, in) }
			switch {
			case reCall.MatchString(l):
				name, _ := b.FuncForPC(in.Target)
				if in.Op != "call" || name != reCall.FindStringSubmatch(l)[1] {
					bad("call target " + name)
				}
			case l == "RET":
				if in.Op != "ret" {
					bad("not a return")
				}
			case reRel.MatchString(l):
				m := reRel.FindStringSubmatch(l)
				want := uint64(int64(in.PC) + 4*atoi(m[2]))
				if (in.Op != "cond" && in.Op != "jump") || in.Target != want {
					bad(fmt.Sprintf("branch target, want %#x", want))
				}
			case reAdrp.MatchString(l):
				m := reAdrp.FindStringSubmatch(l)
				want := int64(in.PC&^0xfff) + atoi(m[1])
				if in.Op != "const" || in.Imm != want || in.Dst != int(atoi(m[2])) {
					bad(fmt.Sprintf("ADRP, want %#x", want))
				}
			case reAdd.MatchString(l):
				m := reAdd.FindStringSubmatch(l)
				if in.Op != "lea" || in.Disp != atoi(m[1]) || in.Base != int(atoi(m[2])) || in.Dst != int(atoi(m[3])) {
					bad("ADD immediate")
				}
			case reLoad.MatchString(l):
				m := reLoad.FindStringSubmatch(l)
				if in.Op != "load" || in.Width != 8 || in.Disp != atoi(m[1]) || in.Base != int(atoi(m[2])) || in.Dst != int(atoi(m[3])) {
					bad("load")
				}
			case reStore.MatchString(l):
				m := reStore.FindStringSubmatch(l)
				if in.Op != "store" || in.Width != 8 || in.Src != int(atoi(m[1])) || in.Disp != atoi(m[2]) || in.Base != int(atoi(m[3])) {
					bad("store")
				}
			default:
				continue
			}
			checked++
		}
	}
	if checked < 200 {
		t.Errorf("only %d instructions checked", checked)
	}
	t.Logf("%d arm64 instructions checked against go tool objdump", checked)
}

// TestBuildID checks the build IDs read from the notes against the Go
// tool's own reading (go tool buildid), stripped or not.
func TestBuildID(t *testing.T) {
	bs := archBuilds(t, runtime.GOARCH)
	seen := map[string]string{}
	for _, p := range []string{bs.plain, bs.stripped, bs.pie, bs.strippedPIE} {
		out, err := exec.Command("go", "tool", "buildid", p).Output()
		if err != nil {
			t.Fatalf("go tool buildid %s: %v", p, err)
		}
		want := strings.TrimSpace(string(out))
		if got := open(t, p).BuildID; got != want {
			t.Errorf("%s: Binary.BuildID = %q, go tool buildid says %q", filepath.Base(p), got, want)
		}
		got, err := gobin.BuildID(p)
		if err != nil || got != want {
			t.Errorf("%s: BuildID = %q, %v; want %q", filepath.Base(p), got, err, want)
		}
		if other, dup := seen[want]; dup {
			t.Errorf("%s and %s have the same build ID", filepath.Base(p), other)
		}
		seen[want] = filepath.Base(p)
	}
	if _, err := gobin.BuildID(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Error("BuildID of a missing file: no error")
	}
}
