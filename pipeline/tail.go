package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// LineHandler receives the lines of tailed files, in order per file, from a
// single goroutine. line is valid only during the call.
type LineHandler interface {
	HandleLine(path string, line []byte, truncated bool)
	// CloseSource says that path is no longer tailed (deleted, or the agent
	// stops), so per-file state can go.
	CloseSource(path string)
}

// IdleHandler is a LineHandler that holds lines back (the router assembles
// multi-line records): after each poll the tailer calls Idle, so that it can
// emit what has waited long enough for a next line that did not come.
type IdleHandler interface {
	Idle(now time.Time)
}

// TailConfig configures a Tailer.
type TailConfig struct {
	Paths      []string // globs; "**" matches any number of directories
	Exclude    []string
	Poll       time.Duration // how often open files are read
	Rescan     time.Duration // how often the globs are expanded again
	MaxLine    int           // longer lines are cut and flagged truncated
	StartAtEnd bool          // files found at start-up with no saved offset start at their end
	StateFile  string        // offsets, kept across restarts ("" keeps none)
}

// Tailer follows files matching globs: it handles rotation by rename (the
// old file is read to its end first) and by copytruncate, keeps offsets on
// disk and resumes from them after a restart, and picks up new files on
// each re-scan. A path it may not read is logged once, clearly, and skipped.
type Tailer struct {
	cfg TailConfig
	h   LineHandler
	log *slog.Logger

	files   map[string]*tailFile
	saved   map[string]offsetRecord
	denied  map[string]bool
	dirty   bool
	started bool

	lastPathCheck time.Time
	pathEvery     time.Duration // how often paths are checked for rotation
	draining      []drainingFile
	rotateGrace   time.Duration
	buf           []byte

	lines, bytesRead, rotations, truncations prometheus.Counter
	filesGauge                               prometheus.Gauge

	closeOnce sync.Once
	mu        sync.Mutex // guards files during Close vs Run
}

type tailFile struct {
	path   string
	f      *os.File
	dev    uint64
	ino    uint64
	offset int64  // bytes consumed through the last full line
	carry  []byte // an incomplete last line
	skip   bool   // discarding the rest of an over-long line
}

// drainingFile is a rotated-away file still read until a deadline.
type drainingFile struct {
	tf    *tailFile
	until time.Time
}

// rotateGrace is how long a rotated-away file is still read.
const rotateGrace = 5 * time.Second

type offsetRecord struct {
	Path   string `json:"path"`
	Dev    uint64 `json:"dev"`
	Ino    uint64 `json:"ino"`
	Offset int64  `json:"offset"`
}

// NewTailer returns a tailer; reg may be nil.
func NewTailer(cfg TailConfig, h LineHandler, log *slog.Logger, reg prometheus.Registerer) (*Tailer, error) {
	if cfg.Poll <= 0 {
		cfg.Poll = 250 * time.Millisecond
	}
	if cfg.Rescan <= 0 {
		cfg.Rescan = 10 * time.Second
	}
	if cfg.MaxLine <= 0 {
		cfg.MaxLine = 256 << 10
	}
	t := &Tailer{
		cfg: cfg, h: h, log: log,
		files: map[string]*tailFile{}, saved: map[string]offsetRecord{}, denied: map[string]bool{},
		buf:         make([]byte, 64<<10),
		pathEvery:   max(cfg.Poll, time.Second),
		rotateGrace: rotateGrace,
		lines:       prometheus.NewCounter(prometheus.CounterOpts{Name: "gopulse_tail_lines_total", Help: "Lines read from tailed files."}),
		bytesRead:   prometheus.NewCounter(prometheus.CounterOpts{Name: "gopulse_tail_read_bytes_total", Help: "Bytes read from tailed files."}),
		rotations:   prometheus.NewCounter(prometheus.CounterOpts{Name: "gopulse_tail_rotations_total", Help: "Rename rotations followed."}),
		truncations: prometheus.NewCounter(prometheus.CounterOpts{Name: "gopulse_tail_truncations_total", Help: "Copytruncate rotations followed."}),
		filesGauge:  prometheus.NewGauge(prometheus.GaugeOpts{Name: "gopulse_tail_files", Help: "Files being tailed."}),
	}
	if reg != nil {
		for _, c := range []prometheus.Collector{t.lines, t.bytesRead, t.rotations, t.truncations, t.filesGauge} {
			if err := reg.Register(c); err != nil {
				return nil, fmt.Errorf("register tail metrics: %w", err)
			}
		}
	}
	if cfg.StateFile != "" {
		if err := t.loadOffsets(); err != nil {
			log.Warn("log offsets not loaded; files start afresh", "file", cfg.StateFile, "err", err)
		}
	}
	return t, nil
}

func (t *Tailer) loadOffsets() error {
	data, err := os.ReadFile(t.cfg.StateFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read offsets: %w", err)
	}
	var recs []offsetRecord
	if err := json.Unmarshal(data, &recs); err != nil {
		return fmt.Errorf("decode offsets: %w", err)
	}
	for _, r := range recs {
		t.saved[r.Path] = r
	}
	return nil
}

// SaveOffsets writes the offsets atomically (temp file + rename).
func (t *Tailer) SaveOffsets() error {
	if t.cfg.StateFile == "" {
		return nil
	}
	recs := make([]offsetRecord, 0, len(t.files)+len(t.saved))
	for _, f := range t.files {
		recs = append(recs, offsetRecord{Path: f.path, Dev: f.dev, Ino: f.ino, Offset: f.offset})
	}
	for p, r := range t.saved { // files seen before, not open now, still there
		if _, open := t.files[p]; open {
			continue
		}
		if _, err := os.Stat(p); err != nil {
			delete(t.saved, p)
			continue
		}
		recs = append(recs, r)
	}
	sort.Slice(recs, func(i, j int) bool { return recs[i].Path < recs[j].Path })
	data, err := json.Marshal(recs)
	if err != nil {
		return fmt.Errorf("encode offsets: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(t.cfg.StateFile), 0o755); err != nil {
		return fmt.Errorf("create state dir: %w", err)
	}
	tmp := t.cfg.StateFile + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return fmt.Errorf("write offsets: %w", err)
	}
	if err := os.Rename(tmp, t.cfg.StateFile); err != nil {
		return fmt.Errorf("write offsets: %w", err)
	}
	t.dirty = false
	return nil
}

// Run tails until ctx ends, then saves the offsets.
func (t *Tailer) Run(ctx context.Context) error {
	poll := time.NewTicker(t.cfg.Poll)
	defer poll.Stop()
	rescan := time.NewTicker(t.cfg.Rescan)
	defer rescan.Stop()
	save := time.NewTicker(2 * time.Second)
	defer save.Stop()
	t.mu.Lock()
	t.Scan()
	t.mu.Unlock()
	for {
		select {
		case <-ctx.Done():
			t.mu.Lock()
			t.Poll() // read what is there
			err := t.SaveOffsets()
			t.mu.Unlock()
			return err
		case now := <-poll.C:
			t.mu.Lock()
			t.Poll()
			if ih, ok := t.h.(IdleHandler); ok {
				ih.Idle(now)
			}
			t.mu.Unlock()
		case <-rescan.C:
			t.mu.Lock()
			t.Scan()
			t.mu.Unlock()
		case <-save.C:
			t.mu.Lock()
			if t.dirty {
				if err := t.SaveOffsets(); err != nil {
					t.log.Warn("save log offsets", "err", err)
				}
			}
			t.mu.Unlock()
		}
	}
}

// Close closes every file; safe to call twice. Run must have returned.
func (t *Tailer) Close() error {
	t.closeOnce.Do(func() {
		t.mu.Lock()
		defer t.mu.Unlock()
		for p, f := range t.files {
			f.f.Close()
			delete(t.files, p)
			t.h.CloseSource(p)
		}
		for _, d := range t.draining {
			d.tf.f.Close()
		}
		t.draining = nil
	})
	return nil
}

func (t *Tailer) excluded(p string) bool {
	for _, g := range t.cfg.Exclude {
		if matchGlob(g, p) {
			return true
		}
	}
	return false
}

func (t *Tailer) deny(p string, err error) {
	if t.denied[p] {
		return
	}
	t.denied[p] = true
	t.log.Warn("cannot read log path: permission denied; it is skipped and the agent keeps running (run as root or grant CAP_DAC_READ_SEARCH)",
		"path", p, "err", err)
}

// Scan expands the globs and opens new files. Files found by the first scan
// with no saved offset start at their end when StartAtEnd is set; files
// that appear later are read from the beginning.
func (t *Tailer) Scan() {
	first := !t.started
	t.started = true
	seen := map[string]bool{}
	for _, g := range t.cfg.Paths {
		for _, p := range expandGlob(g, t.deny) {
			if seen[p] || t.excluded(p) {
				continue
			}
			seen[p] = true
			if _, ok := t.files[p]; ok {
				continue
			}
			t.open(p, first && t.cfg.StartAtEnd)
		}
	}
	t.filesGauge.Set(float64(len(t.files)))
}

func (t *Tailer) open(p string, atEnd bool) {
	f, err := os.Open(p)
	if err != nil {
		if errors.Is(err, fs.ErrPermission) {
			t.deny(p, err)
		} else if !errors.Is(err, fs.ErrNotExist) {
			t.log.Warn("open log file", "path", p, "err", err)
		}
		return
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		t.log.Warn("stat log file", "path", p, "err", err)
		return
	}
	delete(t.denied, p)
	dev, ino := fileID(fi)
	tf := &tailFile{path: p, f: f, dev: dev, ino: ino}
	r, ok := t.saved[p]
	if !ok || r.Dev != dev || r.Ino != ino {
		// Renamed while we were away (rotation): find it by its inode.
		for op, or := range t.saved {
			if or.Dev == dev && or.Ino == ino && ino != 0 {
				r, ok = or, true
				// keep the old path's record, inode cleared: whatever file
				// has that path now is new and starts at 0.
				or.Ino = 0
				t.saved[op] = or
				break
			}
		}
	}
	switch {
	case ok && r.Dev == dev && r.Ino == ino:
		tf.offset = r.Offset
		if tf.offset > fi.Size() { // truncated while we were away
			tf.offset = 0
		}
		t.log.Debug("resuming log file", "path", p, "offset", tf.offset)
	case t.saved[p].Path != "":
		// The path was tailed before but holds a new file: a rotation while
		// we were away. Read it from its start.
	case atEnd:
		tf.offset = fi.Size()
	}
	delete(t.saved, p)
	t.files[p] = tf
	t.dirty = true
	t.log.Info("tailing log file", "path", p, "offset", tf.offset)
}

// Poll reads every open file to its end and follows rotations. The paths
// themselves are checked for rotation at most once a second. A file renamed
// or deleted away is still read for rotateGrace: writers that have not
// reopened their log yet keep appending to it.
func (t *Tailer) Poll() {
	now := time.Now()
	checkPaths := now.Sub(t.lastPathCheck) >= t.pathEvery
	if checkPaths {
		t.lastPathCheck = now
	}
	for p, tf := range t.files {
		t.read(tf)
		if !checkPaths {
			continue
		}
		fi, err := os.Stat(p)
		switch {
		case err != nil: // deleted, or renamed with no new file yet
			delete(t.files, p)
			t.drain(tf, now)
			if t.rotateGrace <= 0 {
				t.h.CloseSource(p)
			}
		default:
			dev, ino := fileID(fi)
			if dev != tf.dev || ino != tf.ino { // rename rotation
				t.rotations.Inc()
				delete(t.files, p)
				t.drain(tf, now)
				t.open(p, false)
				if nf := t.files[p]; nf != nil {
					nf.offset = 0
					t.read(nf)
				}
			}
		}
	}
	kept := t.draining[:0]
	for _, d := range t.draining {
		t.read(d.tf)
		if _, open := t.files[d.tf.path]; checkPaths && !open {
			// the path reappeared (a rename rotation whose new file came late)
			if _, err := os.Stat(d.tf.path); err == nil {
				t.open(d.tf.path, false)
				if nf := t.files[d.tf.path]; nf != nil {
					nf.offset = 0
					t.read(nf)
				}
			}
		}
		if now.Before(d.until) {
			kept = append(kept, d)
			continue
		}
		t.flushCarry(d.tf)
		d.tf.f.Close()
		if _, open := t.files[d.tf.path]; !open {
			t.h.CloseSource(d.tf.path)
		}
	}
	clear(t.draining[len(kept):])
	t.draining = kept
	t.filesGauge.Set(float64(len(t.files)))
}

// drain keeps reading a file that left its path for rotateGrace.
func (t *Tailer) drain(tf *tailFile, now time.Time) {
	t.dirty = true
	if t.rotateGrace <= 0 {
		t.flushCarry(tf)
		tf.f.Close()
		return
	}
	t.draining = append(t.draining, drainingFile{tf: tf, until: now.Add(t.rotateGrace)})
}

func (t *Tailer) read(tf *tailFile) {
	fi, err := tf.f.Stat()
	if err != nil {
		return
	}
	size := fi.Size()
	if size < tf.offset+int64(len(tf.carry)) { // copytruncate
		t.truncations.Inc()
		t.log.Info("log file truncated; reading from the start", "path", tf.path, "offset", tf.offset, "size", size)
		tf.offset, tf.carry, tf.skip = 0, tf.carry[:0], false
	}
	pos := tf.offset + int64(len(tf.carry))
	for pos < size {
		n, err := tf.f.ReadAt(t.buf[:min(int64(len(t.buf)), size-pos)], pos)
		if n > 0 {
			t.bytesRead.Add(float64(n))
			pos += int64(n)
			t.split(tf, t.buf[:n])
			t.dirty = true
		}
		if err != nil {
			if !errors.Is(err, io.EOF) {
				t.log.Warn("read log file", "path", tf.path, "err", err)
			}
			break
		}
	}
}

// split emits the complete lines of chunk; the tail goes to carry.
func (t *Tailer) split(tf *tailFile, chunk []byte) {
	for len(chunk) > 0 {
		i := bytes.IndexByte(chunk, '\n')
		if i < 0 {
			if tf.skip {
				tf.offset += int64(len(chunk))
			} else if len(tf.carry)+len(chunk) > t.cfg.MaxLine {
				room := t.cfg.MaxLine - len(tf.carry)
				tf.carry = append(tf.carry, chunk[:room]...)
				t.emit(tf, tf.carry, true)
				tf.offset += int64(len(tf.carry) + len(chunk) - room)
				tf.carry, tf.skip = tf.carry[:0], true
			} else {
				tf.carry = append(tf.carry, chunk...)
			}
			return
		}
		line := chunk[:i]
		chunk = chunk[i+1:]
		if tf.skip {
			tf.offset += int64(i + 1)
			tf.skip = false
			continue
		}
		consumed := len(tf.carry) + i + 1
		if len(tf.carry) > 0 {
			tf.carry = append(tf.carry, line...)
			line = tf.carry
		}
		truncated := false
		if len(line) > t.cfg.MaxLine {
			line, truncated = line[:t.cfg.MaxLine], true
		}
		t.emit(tf, line, truncated)
		tf.offset += int64(consumed)
		tf.carry = tf.carry[:0]
	}
}

func (t *Tailer) emit(tf *tailFile, line []byte, truncated bool) {
	t.lines.Inc()
	t.h.HandleLine(tf.path, bytes.TrimSuffix(line, []byte{'\r'}), truncated)
}

// flushCarry emits a last line without a newline when the file is left.
func (t *Tailer) flushCarry(tf *tailFile) {
	if len(tf.carry) > 0 && !tf.skip {
		t.emit(tf, tf.carry, false)
		tf.offset += int64(len(tf.carry))
	}
	tf.carry = tf.carry[:0]
}
