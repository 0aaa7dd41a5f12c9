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

// openDecompressed opens a compressed file for reading its content.
func openDecompressed(path, comp string) (*os.File, io.ReadCloser, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	zr, err := compressors[comp](bufio.NewReaderSize(f, 32<<10))
	if err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("open %s: %w", path, err)
	}
	return f, zr, nil
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

// rotCandidate is a file that may be a rotated form of a stream's file.
type rotCandidate struct {
	path  string
	rot   rotName
	mtime time.Time
	size  int64
	key   fileKey
	fp    *fingerprint // computed lazily; nil until then
	fpN   int          // length fp was computed for
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
		f, zr, err := openDecompressed(c.path, c.rot.comp)
		if err != nil {
			return fingerprint{}, false
		}
		got, err := io.ReadFull(zr, t.fpBuf[:fpBytes])
		zr.Close()
		f.Close()
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
// content (decompressed for a compressed one); ok is false when it has
// fewer.
func candidateFingerprint(c *rotCandidate, n int, buf []byte) (fingerprint, bool) {
	if c.fp != nil && c.fpN == n {
		return *c.fp, true
	}
	var r io.Reader
	if c.rot.comp != "" {
		f, zr, err := openDecompressed(c.path, c.rot.comp)
		if err != nil {
			return fingerprint{}, false
		}
		defer f.Close()
		defer zr.Close()
		r = zr
	} else {
		f, err := os.Open(c.path)
		if err != nil {
			return fingerprint{}, false
		}
		defer f.Close()
		r = f
	}
	fp, ok := readFingerprint(r, n, buf)
	if !ok {
		return fingerprint{}, false
	}
	c.fp, c.fpN = &fp, n
	return fp, true
}
