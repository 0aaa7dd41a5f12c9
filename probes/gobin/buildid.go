package gobin

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
)

// BuildID returns the build ID of the ELF executable at path: the Go
// toolchain's (note "Go", type 4, in .note.go.buildid), else the linker's
// (note "GNU", type 3, as "gnu:" and hex). It reads the notes only, so it
// tells two executables apart cheaply: the same ID is the same build.
// An executable with neither note has the ID "".
func BuildID(path string) (string, error) {
	f, err := elf.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	return buildID(f)
}

func buildID(f *elf.File) (string, error) {
	if s := f.Section(".note.go.buildid"); s != nil {
		if id, ok, err := noteDesc(s, f.ByteOrder, "Go", 4); err != nil || ok {
			return string(id), err
		}
	}
	if s := f.Section(".note.gnu.build-id"); s != nil {
		if id, ok, err := noteDesc(s, f.ByteOrder, "GNU", 3); err != nil || ok {
			return "gnu:" + hex.EncodeToString(id), err
		}
	}
	return "", nil
}

// noteDesc returns the descriptor of the first note named name with type
// typ in the note section s.
func noteDesc(s *elf.Section, bo binary.ByteOrder, name string, typ uint32) ([]byte, bool, error) {
	b, err := io.ReadAll(io.LimitReader(s.Open(), 1<<16))
	if err != nil {
		return nil, false, fmt.Errorf("read %s: %w", s.Name, err)
	}
	align := func(n uint32) uint32 { return (n + 3) &^ 3 }
	for len(b) >= 12 {
		nsz, dsz, t := bo.Uint32(b), bo.Uint32(b[4:]), bo.Uint32(b[8:])
		b = b[12:]
		if uint64(align(nsz))+uint64(align(dsz)) > uint64(len(b)) {
			return nil, false, fmt.Errorf("%s: truncated note", s.Name)
		}
		n, d := b[:nsz], b[align(nsz):align(nsz)+dsz]
		b = b[align(nsz)+align(dsz):]
		if t == typ && string(bytes.TrimRight(n, "\x00")) == name {
			return d, true, nil
		}
	}
	return nil, false, nil
}
