// Package taildrill is the crash-and-rotate drill of the log tailer: a
// writer of numbered lines that rotates its file (by rename, with numbered
// and compressed siblings, or by copytruncate), a Loki push endpoint that
// counts every line by its sequence number, a runner for the real
// `gopulse agent` process (started, killed with SIGKILL, restarted), and the
// check that tells lost and duplicated lines apart. The tests of this
// package run a short deterministic drill; e2e/ runs the long one against
// a real Loki.
package taildrill

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Writer appends numbered lines to a log file at a fixed rate and rotates
// it the way logrotate does. Sequence numbers are global: lines written to
// extra files (NewFile) take numbers from the same counter, so one check
// covers every file.
type Writer struct {
	Path string // the live file, e.g. DIR/app.log
	Rate int    // lines per second
	Pad  int    // padding bytes per line (line length ≈ 80 + Pad)
	// Seq numbers the lines; writers sharing one Seq share one numbering.
	Seq *Seq
	// Tag, when set, goes into every line (run=TAG), to find a run's lines.
	Tag string
	// Journal, when set, hears every rotation with the sequence numbers of
	// the file rotated away (for post-mortems).
	Journal func(string)

	mu  sync.Mutex
	f   *os.File
	buf []byte
}

// Seq hands out sequence numbers.
type Seq struct{ n atomic.Int64 }

// Next returns the next number.
func (s *Seq) Next() int64 { return s.n.Add(1) - 1 }

// Count returns how many numbers were handed out.
func (s *Seq) Count() int64 { return s.n.Load() }

// Open creates the live file.
func (w *Writer) Open() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.Seq == nil {
		w.Seq = &Seq{}
	}
	f, err := os.OpenFile(w.Path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	w.f = f
	return nil
}

// line formats line seq into w.buf.
func (w *Writer) line(seq int64) []byte {
	b := w.buf[:0]
	b = append(b, "ts="...)
	b = time.Now().UTC().AppendFormat(b, time.RFC3339Nano)
	b = append(b, " level=info msg=\"drill line\" "...)
	if w.Tag != "" {
		b = append(b, "run="...)
		b = append(b, w.Tag...)
		b = append(b, ' ')
	}
	b = append(b, "seq="...)
	b = strconv.AppendInt(b, seq, 10)
	b = append(b, " pad="...)
	for i := 0; i < w.Pad; i++ {
		b = append(b, byte('a'+(seq+int64(i))%26))
	}
	b = append(b, '\n')
	w.buf = b
	return b
}

// writeLocked appends n lines to f.
func (w *Writer) writeLocked(f *os.File, n int) error {
	for i := 0; i < n; i++ {
		if _, err := f.Write(w.line(w.Seq.Next())); err != nil {
			return fmt.Errorf("write %s: %w", f.Name(), err)
		}
	}
	return nil
}

// Run writes at Rate until ctx ends or max lines (0: no limit) are written.
// Each line is one write(2), as a program logging line by line does.
func (w *Writer) Run(ctx context.Context, max int64) error {
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	start := time.Now()
	var done int64
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
			// The clock, not the tick's time, and done never goes down:
			// the tick's time (the time it was due, plus however late the
			// runtime read the clock) came out earlier than the previous
			// tick's on a loaded machine, the smaller want lowered done, and
			// the next tick wrote those lines again under new numbers: the
			// run wrote more than max (TestReloadKeepsEveryLine received 10
			// and 26 lines numbered past 100,000, every line before once).
			want := int64(time.Since(start).Seconds() * float64(w.Rate))
			if max > 0 {
				want = min(want, max)
			}
			if want <= done {
				continue
			}
			w.mu.Lock()
			err := w.writeLocked(w.f, int(want-done))
			w.mu.Unlock()
			if err != nil {
				return err
			}
			done = want
			if max > 0 && done >= max {
				return nil
			}
		}
	}
}

// shift moves PATH.N(.gz) to PATH.N+1(.gz) for N from keep down to 1;
// compressFrom ≥ 2 gzips the file that lands at PATH.compressFrom (logrotate's
// compress with delaycompress); 0 compresses nothing.
func (w *Writer) shift(keep, compressFrom int) error {
	name := func(n int) string {
		p := w.Path + "." + strconv.Itoa(n)
		if compressFrom > 0 && n >= compressFrom {
			p += ".gz"
		}
		return p
	}
	os.Remove(name(keep))
	for n := keep - 1; n >= 1; n-- {
		src, dst := name(n), name(n+1)
		if _, err := os.Stat(src); errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if compressFrom > 0 && n+1 == compressFrom {
			if err := gzipFile(src, dst); err != nil {
				return err
			}
			if err := os.Remove(src); err != nil {
				return err
			}
			continue
		}
		if err := os.Rename(src, dst); err != nil {
			return err
		}
	}
	return nil
}

// gzipFile writes src compressed to dst (through a temp file, like
// logrotate's compress step).
func gzipFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	tmp := dst + ".tmp"
	out, err := os.Create(tmp)
	if err != nil {
		return err
	}
	zw := gzip.NewWriter(out)
	if _, err := io.Copy(zw, in); err != nil {
		out.Close()
		return err
	}
	if err := zw.Close(); err != nil {
		out.Close()
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, dst)
}

// RotateRename rotates by rename: the siblings shift, PATH becomes PATH.1,
// lateLines more lines still go to the renamed file (a program that reopens
// its log a moment after the rotation), then a new PATH is created.
func (w *Writer) RotateRename(keep, compressFrom, lateLines int) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.shift(keep, compressFrom); err != nil {
		return fmt.Errorf("rotate: %w", err)
	}
	if err := os.Rename(w.Path, w.Path+".1"); err != nil {
		return fmt.Errorf("rotate: %w", err)
	}
	if err := w.writeLocked(w.f, lateLines); err != nil {
		return err
	}
	w.journal("rename", w.Path+".1")
	w.f.Close()
	f, err := os.OpenFile(w.Path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("rotate: %w", err)
	}
	w.f = f
	return nil
}

// CopyTruncate rotates like logrotate's copytruncate: the siblings shift,
// PATH is copied to PATH.1 and truncated in place; the writer keeps its
// descriptor (O_APPEND, so its next line lands at offset 0). The writer is
// held during copy and truncate, so no line falls between them: every line
// is in the copy or in the truncated file.
func (w *Writer) CopyTruncate(keep, compressFrom int) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.shift(keep, compressFrom); err != nil {
		return fmt.Errorf("copytruncate: %w", err)
	}
	if err := copyFile(w.Path, w.Path+".1"); err != nil {
		return fmt.Errorf("copytruncate: %w", err)
	}
	w.journal("copytruncate", w.Path+".1")
	if err := w.f.Truncate(0); err != nil {
		return fmt.Errorf("copytruncate: %w", err)
	}
	return nil
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// NewFile writes n numbered lines to a new file at path and, when rotateTo
// is not empty, renames it there at once: a file that lives under its
// watched name for a moment only.
func (w *Writer) NewFile(path string, n int, rotateTo string) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	err = w.writeLocked(f, n)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if rotateTo != "" {
		if err := os.MkdirAll(filepath.Dir(rotateTo), 0o755); err != nil {
			return err
		}
		return os.Rename(path, rotateTo)
	}
	return nil
}

// Close closes the live file.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		return nil
	}
	err := w.f.Close()
	w.f = nil
	return err
}

// journal reports the first and last sequence numbers of p.
func (w *Writer) journal(what, p string) {
	if w.Journal == nil {
		return
	}
	b, err := os.ReadFile(p)
	if err != nil {
		w.Journal(fmt.Sprintf("%s %s: %v", what, p, err))
		return
	}
	first, _ := ParseSeq(b)
	last := -1
	if i := bytes.LastIndex(b, seqKey); i >= 0 {
		last, _ = ParseSeq(b[i:])
	}
	w.Journal(fmt.Sprintf("%s %s: %d bytes, seq %d..%d", what, p, len(b), first, last))
}

func mkdir(p string) error { return os.MkdirAll(p, 0o755) }

// WriteLines appends n lines now.
func (w *Writer) WriteLines(n int) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.writeLocked(w.f, n)
}
