package pipeline

import (
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc64"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"time"
)

// fpBytes is how much of a file's beginning identifies it. A file shorter
// than that is identified by what it has so far; its fingerprint grows with
// it.
const fpBytes = 1024

var crcTable = crc64.MakeTable(crc64.ECMA)

// fingerprint identifies a file's content by its first bytes: an inode
// reused for a new file, a copy of a file, and a compressed file are told
// apart or recognised by it.
type fingerprint struct {
	n   int    // bytes covered, ≤ fpBytes
	sum uint64 // CRC-64 of those bytes
}

func fingerprintOf(b []byte) fingerprint {
	b = b[:min(len(b), fpBytes)]
	return fingerprint{n: len(b), sum: crc64.Checksum(b, crcTable)}
}

// readFingerprint fingerprints the first n bytes of r (all of them when
// n < 0, up to fpBytes); ok is false when r has fewer than n bytes.
func readFingerprint(r io.Reader, n int, buf []byte) (fp fingerprint, ok bool) {
	want := fpBytes
	if n >= 0 {
		want = n
	}
	buf = buf[:want]
	got, err := io.ReadFull(r, buf)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return fingerprint{}, false
	}
	if n >= 0 && got < n {
		return fingerprint{}, false
	}
	return fingerprintOf(buf[:got]), true
}

// fileKey is a file's device and inode.
type fileKey struct{ dev, ino uint64 }

// fileState is one file in the state file.
type fileState struct {
	Stream string `json:"stream"` // the path its lines are handed under
	Path   string `json:"path"`   // where it was last seen
	Dev    uint64 `json:"dev"`
	Ino    uint64 `json:"ino"`
	FPLen  int    `json:"fp_len"` // -1: no fingerprint (a state file of version 1)
	FP     string `json:"fp"`     // CRC-64 of the first fp_len bytes, hex
	// Offset is the committed position: every line before it is durable in
	// the exporters' queues (or was handed on, without a queue).
	Offset int64 `json:"offset"`
	// Compressed names the decompressor of a file read through one.
	Compressed string `json:"compressed,omitempty"`
	// Done: read to its end and left behind (rotated away); kept so that
	// the file is recognised, under any name, and not read again.
	Done bool      `json:"done,omitempty"`
	Seen time.Time `json:"seen"`
	// Order is the position in its stream (oldest first).
	Order uint64 `json:"order"`
}

func (r *fileState) key() fileKey { return fileKey{r.Dev, r.Ino} }

func (r *fileState) fingerprint() (fingerprint, bool) {
	if r.FPLen < 0 {
		return fingerprint{}, false
	}
	sum, err := strconv.ParseUint(r.FP, 16, 64)
	if err != nil {
		return fingerprint{}, false
	}
	return fingerprint{n: r.FPLen, sum: sum}, true
}

// stateVersion is the state file's format. Version 1 was a bare list of
// {path, dev, ino, offset}.
const stateVersion = 2

type stateFile struct {
	Version int `json:"version"`
	// Saved is when the offsets were committed.
	Saved time.Time `json:"saved"`
	// Looked is when the tailer last listed the directories of its
	// streams: a rotated file modified after it may be one it never saw
	// (created and rotated away while it was busy or down), and is read
	// after a restart unless it is known. Absent in older state files:
	// Saved stands for it.
	Looked time.Time   `json:"looked,omitzero"`
	Globs  []string    `json:"globs"`
	Files  []fileState `json:"files"`
}

// loadState reads the state file; a missing file is no state.
func loadState(path string) (*stateFile, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read offsets: %w", err)
	}
	var st stateFile
	if len(data) > 0 && data[0] == '[' { // version 1
		var v1 []struct {
			Path   string `json:"path"`
			Dev    uint64 `json:"dev"`
			Ino    uint64 `json:"ino"`
			Offset int64  `json:"offset"`
		}
		if err := json.Unmarshal(data, &v1); err != nil {
			return nil, fmt.Errorf("decode offsets %s: %w", path, err)
		}
		st.Version = 1
		if fi, err := os.Stat(path); err == nil {
			st.Saved = fi.ModTime()
		}
		for _, r := range v1 {
			st.Files = append(st.Files, fileState{Stream: r.Path, Path: r.Path, Dev: r.Dev, Ino: r.Ino, FPLen: -1, Offset: r.Offset})
		}
		return &st, nil
	}
	if err := json.Unmarshal(data, &st); err != nil {
		return nil, fmt.Errorf("decode offsets %s: %w", path, err)
	}
	if st.Version != stateVersion {
		return nil, fmt.Errorf("offsets %s: version %d, want %d", path, st.Version, stateVersion)
	}
	return &st, nil
}

// writeState writes st atomically (temp file, rename): a kill -9 leaves the
// old state or the new one.
func writeState(path string, st *stateFile) error {
	sort.Slice(st.Files, func(i, j int) bool {
		a, b := &st.Files[i], &st.Files[j]
		if a.Stream != b.Stream {
			return a.Stream < b.Stream
		}
		return a.Order < b.Order
	})
	data, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("encode offsets: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("create state dir: %w", err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return fmt.Errorf("write offsets: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write offsets: %w", err)
	}
	return nil
}
