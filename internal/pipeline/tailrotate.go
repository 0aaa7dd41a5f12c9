package pipeline

import (
	"bufio"
	"compress/bzip2"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/klauspost/compress/zstd"
)

// compressors are the compressed forms of rotated files the tailer reads,
// by file name suffix.
var compressors = map[string]func(io.Reader) (io.ReadCloser, error){
	".gz": func(r io.Reader) (io.ReadCloser, error) { return gzip.NewReader(r) },
	".bz2": func(r io.Reader) (io.ReadCloser, error) {
		return io.NopCloser(bzip2.NewReader(r)), nil
	},
	".zst": func(r io.Reader) (io.ReadCloser, error) {
		d, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(true))
		if err != nil {
			return nil, err
		}
		return d.IOReadCloser(), nil
	},
}

// compression returns the compressed suffix of name ("" for none).
func compression(name string) string {
	ext := filepath.Ext(name)
	if _, ok := compressors[ext]; ok {
		return ext
	}
	return ""
}

// decompress returns a reader of the content of the compressed file f,
// from its first byte (whatever f's own offset).
func decompress(f *os.File, comp string) (io.ReadCloser, error) {
	zr, err := compressors[comp](bufio.NewReaderSize(io.NewSectionReader(f, 0, 1<<62), 32<<10))
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", f.Name(), err)
	}
	return zr, nil
}

// Rotated names. logrotate and the logging libraries name a rotated file
// by appending to its name a number (app.log.1), a date (app.log-20260101,
// app.log.2026-01-01, app.log.2026-01-01.3) or by putting the date before
// the extension (app-20260101.log, app.2026-01-01.log), optionally
// followed by a compression suffix.
var (
	rotSuffixRe = regexp.MustCompile(`^(.+?)[.\-_]((?:\d{4}-\d{2}-\d{2}(?:[T_\-.]\d{2}(?:[\-:.]?\d{2}){0,2})?|\d+))(?:\.(\d+))?$`)
	rotInnerRe  = regexp.MustCompile(`^(.+?)[.\-_](\d{4}-?\d{2}-?\d{2}(?:[T_\-.]?\d{2}(?:[\-:.]?\d{2}){0,2})?)(\.[A-Za-z]+)$`)
)

// rotName is a parsed rotated file name.
type rotName struct {
	base string // the live file's name: app.log
	comp string // compression suffix
	// dated: the order key is a date or a timestamp (ascending = newer);
	// otherwise an index (ascending = older).
	dated bool
	key   string // zero-padded for comparison
	index int64
}

// parseRotated parses the base name of a rotated file; ok is false when
// name does not look rotated.
func parseRotated(name string) (rotName, bool) {
	var r rotName
	r.comp = compression(name)
	name = strings.TrimSuffix(name, r.comp)
	if m := rotSuffixRe.FindStringSubmatch(name); m != nil {
		r.base = m[1]
		digits := m[2]
		if len(digits) >= 8 || strings.Contains(digits, "-") {
			r.dated = true
			r.key = digits
			if m[3] != "" {
				r.key += "." + fmt.Sprintf("%09s", m[3])
			}
		} else {
			n, err := strconv.ParseInt(digits, 10, 64)
			if err != nil || m[3] != "" {
				return r, false
			}
			r.index = n
		}
		return r, true
	}
	if m := rotInnerRe.FindStringSubmatch(name); m != nil {
		r.base, r.dated, r.key = m[1]+m[3], true, m[2]
		return r, true
	}
	return r, false
}

// rotCandidate is a file that may be a rotated form of a stream's file. It
// is open: its identity (device and inode, from fstat), its fingerprint
// and, if it is taken, its lines all come from that one descriptor, so a
// rotation that renames files between two looks at a name cannot give one
// file's offset or identity to another. path is where it was found (for
// messages; it may have moved since).
type rotCandidate struct {
	path  string
	rot   rotName
	f     *os.File // nil once taken (or closed)
	mtime time.Time
	size  int64
	key   fileKey
	fp    *fingerprint // computed lazily; nil until then
	fpN   int          // length fp was computed for
}

// openCandidate opens p; nil when it is gone, not a regular file, or not
// readable.
func openCandidate(p string, rot rotName) *rotCandidate {
	f, err := os.Open(p)
	if err != nil {
		return nil
	}
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		f.Close()
		return nil
	}
	return &rotCandidate{path: p, rot: rot, f: f, mtime: fi.ModTime(), size: fi.Size(), key: keyOf(fi)}
}

// take hands the candidate's descriptor over to the caller.
func (c *rotCandidate) take() *os.File {
	f := c.f
	c.f = nil
	return f
}

func (c *rotCandidate) close() {
	if c.f != nil {
		c.f.Close()
		c.f = nil
	}
}

func closeCandidates(cs []*rotCandidate) {
	for _, c := range cs {
		c.close()
	}
}

// sortOldestFirst orders rotated files of one stream from the oldest to
// the newest: by the naming scheme when every name has the same kind of
// key, else by modification time.
func sortOldestFirst(c []*rotCandidate) {
	dated, indexed := 0, 0
	for _, x := range c {
		if x.rot.dated {
			dated++
		} else {
			indexed++
		}
	}
	switch {
	case dated == len(c):
		sort.SliceStable(c, func(i, j int) bool { return c[i].rot.key < c[j].rot.key })
	case indexed == len(c):
		sort.SliceStable(c, func(i, j int) bool { return c[i].rot.index > c[j].rot.index })
	default:
		sort.SliceStable(c, func(i, j int) bool { return c[i].mtime.Before(c[j].mtime) })
	}
}

// gzPrefix is the decompressed beginning of a compressed file, cached by
// identity, size and time (decompressing every archive at each look is
// what would cost).
type gzPrefix struct {
	key   fileKey
	size  int64
	mtime time.Time
}

// prefixCache maps compressed files to their first fpBytes decompressed.
type prefixCache map[gzPrefix][]byte

// candFP is candidateFingerprint through the tailer's cache of compressed
// prefixes.
func (t *Tailer) candFP(c *rotCandidate, n int) (fingerprint, bool) {
	if c.rot.comp == "" {
		return candidateFingerprint(c, n, t.fpBuf)
	}
	k := gzPrefix{c.key, c.size, c.mtime}
	b, ok := t.prefixes[k]
	if !ok {
		if c.f == nil {
			return fingerprint{}, false
		}
		zr, err := decompress(c.f, c.rot.comp)
		if err != nil {
			return fingerprint{}, false
		}
		got, err := io.ReadFull(zr, t.fpBuf[:fpBytes])
		zr.Close()
		if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
			return fingerprint{}, false // being written
		}
		if len(t.prefixes) >= 4096 {
			clear(t.prefixes)
		}
		b = append([]byte(nil), t.fpBuf[:got]...)
		t.prefixes[k] = b
	}
	if n < 0 {
		return fingerprintOf(b), true
	}
	if len(b) < n {
		return fingerprint{}, false
	}
	return fingerprintOf(b[:n]), true
}

// candidateFingerprint fingerprints the first n bytes of a candidate's
// content (decompressed for a compressed one) through its descriptor; ok
// is false when it has fewer.
func candidateFingerprint(c *rotCandidate, n int, buf []byte) (fingerprint, bool) {
	if c.fp != nil && c.fpN == n {
		return *c.fp, true
	}
	if c.f == nil {
		return fingerprint{}, false
	}
	var r io.Reader = io.NewSectionReader(c.f, 0, 1<<62)
	if c.rot.comp != "" {
		zr, err := decompress(c.f, c.rot.comp)
		if err != nil {
			return fingerprint{}, false
		}
		defer zr.Close()
		r = zr
	}
	fp, ok := readFingerprint(r, n, buf)
	if !ok {
		return fingerprint{}, false
	}
	c.fp, c.fpN = &fp, n
	return fp, true
}
