// Package gobin inspects Go executables on disk: Go version and build
// flags, function symbols (from .symtab, else .gopclntab), the file offsets
// uprobes need (entry, the cheapest entry site, every return), data
// symbols, and the byte offsets of runtime struct fields (from DWARF, else
// the versioned table in probes/offsets, else the runtime's own code), for
// amd64 and arm64 executables.
//
// Open is cheap: it reads the ELF headers and the build information only.
// Symbol tables, DWARF and disassembly are loaded on first use and cached in
// the Binary. A Binary is safe for concurrent use.
package gobin

import (
	"debug/buildinfo"
	"debug/elf"
	"errors"
	"fmt"
	"os"
	"sync"
)

// Sentinel errors; test with errors.Is.
var (
	// ErrNotGo: the file is not an ELF executable built by the Go toolchain.
	ErrNotGo = errors.New("not a go binary")
	// ErrNoSymbols: the binary has neither .symtab nor .gopclntab.
	ErrNoSymbols = errors.New("no symbol table and no pclntab")
	// ErrNoSymbol: the binary does not contain the requested symbol.
	ErrNoSymbol = errors.New("symbol not found")
	// ErrUnknownOffsets: the binary has no DWARF, its Go version and
	// architecture are not in the offsets table, and its runtime code does
	// not match the patterns the offsets are derived from.
	ErrUnknownOffsets = errors.New("unknown runtime struct offsets")
	// ErrUnsupportedArch: disassembly is implemented for amd64 and arm64.
	ErrUnsupportedArch = errors.New("unsupported architecture")
)

// Binary is an opened Go executable.
type Binary struct {
	Path      string
	GoVersion string // e.g. "go1.26.8"
	Module    string // main module path, "" when unknown
	Arch      string // GOARCH from the build settings, else from the ELF machine
	Stripped  bool   // no .symtab (symbols come from .gopclntab)
	HasDWARF  bool
	CGO       bool   // built with CGO_ENABLED=1
	PIE       bool   // ELF type ET_DYN: loaded at a random base
	BuildID   string // see BuildID; "" when the executable has none

	experiment string // GOEXPERIMENT build setting

	file *os.File
	elf  *elf.File

	symOnce sync.Once
	syms    *symbols
	symErr  error

	offOnce sync.Once
	offs    Offsets
	offErr  error

	dataOnce sync.Once
	data     map[string]uint64 // data symbols recovered for stripped binaries
	dataErr  error

	// What the runtime's code says (derive.go): the traces of the
	// functions interpreted, dropped by Trim.
	codeMu   sync.Mutex
	traces   map[string]*trace
	baseOnce sync.Once
	bases    *runtimeBases
	derOnce  sync.Once
	derived  Offsets
	derErr   error

	closeOnce sync.Once
	closeErr  error
}

// Open opens the executable at path. It fails with ErrNotGo for anything
// that is not a Go ELF binary. Open reads headers only; call Close.
func Open(path string) (*Binary, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err // *fs.PathError names the operation and the path
	}
	b, err := newBinary(path, f)
	if err != nil {
		f.Close()
		return nil, err
	}
	return b, nil
}

// OpenNamed is Open for the file at path, named name (the Binary's Path
// and its errors' name): e.g. a /proc/self/fd/N link to a file opened
// under name.
func OpenNamed(path, name string) (*Binary, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", name, err)
	}
	b, err := newBinary(name, f)
	if err != nil {
		f.Close()
		return nil, err
	}
	return b, nil
}

func newBinary(path string, f *os.File) (*Binary, error) {
	ef, err := elf.NewFile(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w: %w", path, ErrNotGo, err)
	}
	bi, err := buildinfo.Read(f)
	if err != nil {
		// A Go binary whose build info was removed still has a pclntab:
		// go on with an unknown version (DWARF may still give offsets).
		if ef.Section(".gopclntab") == nil {
			return nil, fmt.Errorf("%s: %w", path, ErrNotGo)
		}
		bi = &buildinfo.BuildInfo{}
	}
	b := &Binary{
		Path:      path,
		GoVersion: bi.GoVersion,
		Module:    bi.Path,
		file:      f,
		elf:       ef,
		PIE:       ef.Type == elf.ET_DYN,
		Stripped:  ef.Section(".symtab") == nil,
		HasDWARF:  ef.Section(".debug_info") != nil || ef.Section(".zdebug_info") != nil,
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "CGO_ENABLED":
			b.CGO = s.Value == "1"
		case "GOARCH":
			b.Arch = s.Value
		case "GOEXPERIMENT":
			b.experiment = s.Value
		}
	}
	if b.Arch == "" {
		b.Arch = machineArch(ef.Machine)
	}
	// A malformed note only costs the ID (telling builds apart).
	b.BuildID, _ = buildID(ef)
	return b, nil
}

func machineArch(m elf.Machine) string {
	switch m {
	case elf.EM_X86_64:
		return "amd64"
	case elf.EM_AARCH64:
		return "arm64"
	case elf.EM_386:
		return "386"
	default:
		return m.String()
	}
}

// Close releases the file. It is safe to call more than once.
func (b *Binary) Close() error {
	b.closeOnce.Do(func() {
		b.closeErr = b.file.Close()
	})
	return b.closeErr
}

// IsGo reports whether path is a Go executable, reading as little as
// possible. Errors opening or reading the file count as "not Go".
func IsGo(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	_, err = buildinfo.Read(f)
	return err == nil
}

// FileOffset converts a virtual address into the file offset uprobes want.
func (b *Binary) FileOffset(vaddr uint64) (uint64, error) {
	for _, p := range b.elf.Progs {
		if p.Type != elf.PT_LOAD {
			continue
		}
		if vaddr >= p.Vaddr && vaddr < p.Vaddr+p.Filesz {
			return vaddr - p.Vaddr + p.Off, nil
		}
	}
	return 0, fmt.Errorf("vaddr %#x: not in a loadable segment", vaddr)
}

// Vaddr converts a file offset into the linked virtual address it is
// loaded at. With the start address and file offset of a mapping of the
// executable (from /proc/PID/maps) it gives the load bias of a PIE process:
// bias = start - Vaddr(offset).
func (b *Binary) Vaddr(fileOffset uint64) (uint64, error) {
	for _, p := range b.elf.Progs {
		if p.Type != elf.PT_LOAD {
			continue
		}
		// Mappings start at page boundaries, segments need not.
		if fileOffset >= p.Off&^0xfff && fileOffset < p.Off+p.Filesz {
			return p.Vaddr - p.Off + fileOffset, nil
		}
	}
	return 0, fmt.Errorf("file offset %#x: not in a loadable segment", fileOffset)
}

// readVaddr reads n bytes at virtual address vaddr from the file.
func (b *Binary) readVaddr(vaddr, n uint64) ([]byte, error) {
	off, err := b.FileOffset(vaddr)
	if err != nil {
		return nil, err
	}
	buf := make([]byte, n)
	if _, err := b.file.ReadAt(buf, int64(off)); err != nil {
		return nil, fmt.Errorf("read %d bytes at %#x: %w", n, vaddr, err)
	}
	return buf, nil
}
