package pipeline

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// LineHandler receives the lines of tailed files, in order per stream, from
// a single goroutine. A stream is the path a file was found at: when that
// file is rotated away (renamed, copied and truncated, compressed), its
// remaining lines still come under the stream's path, before the lines of
// the file that replaced it. line is valid only during the call.
type LineHandler interface {
	HandleLine(path string, line []byte, truncated bool)
	// CloseSource says that path is no longer tailed (its files read to
	// their end and gone, or the agent stops), so per-stream state can go;
	// what the handler holds of it is emitted (but see SourceStopper).
	CloseSource(path string)
}

// IdleHandler is a LineHandler that holds lines back (the router assembles
// multi-line records): after each poll the tailer calls Idle, so that it can
// emit what has waited long enough for a next line that did not come.
type IdleHandler interface {
	Idle(now time.Time)
}

// LineHolder is implemented by a LineHandler that may keep the last lines
// of a stream back (a CRI partial line, a multi-line record being
// assembled): Held returns how many of the lines handed over for path are
// not yet in a record given to the sinks. The tailer never commits an
// offset past them, so after a crash they are read again.
type LineHolder interface {
	Held(path string) int
}

// SourceStopper is implemented by a LineHandler that can let a source go
// without emitting the lines it holds. At a stop (shutdown, reload) the
// tailer calls StopSource instead of CloseSource for a stream whose held
// lines the next tailer will read again from the committed offset (see
// Tailer.Close): emitting them too would deliver them twice, and a record
// still being written would come out in two parts.
type SourceStopper interface {
	StopSource(path string)
}

// Syncer is implemented by a LineHandler whose sinks can make every line
// handed to them so far durable (written to the exporters' on-disk
// queues). The tailer calls it before each commit of its offsets.
type Syncer interface {
	Sync(ctx context.Context) error
}

// TailConfig configures a Tailer.
type TailConfig struct {
	Paths      []string // globs; "**" matches any number of directories
	Exclude    []string
	Poll       time.Duration // how often open files are read
	Rescan     time.Duration // how often the globs are expanded again (inotify finds new files sooner)
	MaxLine    int           // longer lines are cut and flagged truncated
	StartAtEnd bool          // files found at the first start-up with no saved offset start at their end
	StateFile  string        // offsets, kept across restarts ("" keeps none)
	// CommitLines and CommitInterval bound the lines and the time between
	// two commits of the offsets; each commit first makes the lines handed
	// over durable (Syncer). Defaults: 1000 lines, 1 s.
	CommitLines    int
	CommitInterval time.Duration
	// RotateGrace is how long a file that left its path is still read
	// (writers that have not reopened their log keep appending to it), and
	// how long the copy of a truncated file is looked for. Default 5 s.
	RotateGrace time.Duration
}

// Tailer follows files matching globs, by identity rather than by name: a
// file is its device and inode plus a fingerprint of its first bytes. It
// follows rotation by rename (the old file is read to its end before the
// new one), copytruncate (the rest of the old content is read from the
// copy), compressed rotated files (read through their decompressor), keeps
// the offsets of every file it was reading and, after a restart, finds
// each of them among the rotated siblings. New files are found at once
// through inotify and at each re-scan. Offsets are committed only once the
// lines before them are durable downstream (Syncer, LineHolder). A path it
// may not read is logged once, clearly, and skipped.
type Tailer struct {
	cfg    TailConfig
	h      LineHandler
	holder LineHolder
	syncer Syncer
	log    *slog.Logger

	streams map[string]*tailStream
	done    []fileState // finished files, remembered to be recognised
	denied  map[string]bool
	state   *stateFile // the state loaded at start-up, until the first scan
	since   time.Time  // files written after this were written while we were not reading
	started bool
	ctx     context.Context // Run's, for commits while reading
	order   uint64
	dirty   bool

	watcher *dirWatcher
	watched map[string]bool
	changed []string

	lastPathCheck time.Time
	pathEvery     time.Duration // how often paths are checked for rotation
	rotateGrace   time.Duration
	buf, fpBuf    []byte
	sinceCommit   int
	lastCommit    time.Time
	lookedAt      time.Time            // when the last complete listing of the streams' directories began
	pendingSibs   map[string]time.Time // rotated-looking files not yet identifiable, re-examined until then
	prefixes      prefixCache

	lines, bytesRead, rotations, truncations prometheus.Counter
	lost                                     *prometheus.CounterVec
	commitErrors                             prometheus.Counter
	filesGauge                               prometheus.Gauge

	// next is what the tailer that follows this one reads (Successor);
	// nil: a tailer of the same config (a restart).
	next *TailConfig
	// cont: Run will be called again after this stop (Continue); ran:
	// Run was called before.
	cont, ran bool
	// prevSel is the selection (paths, exclude) before the last
	// Reconfigure, until the next Scan has opened the paths only the new
	// one selects (they start as at a first start: StartAtEnd applies).
	prevSel *TailConfig
	// globSince is when each glob that a Reconfigure added began to be
	// tailed: a rotated sibling modified before that is no unseen file of
	// ours (see sinceOf). Globs of the first config are not in it.
	globSince map[string]time.Time

	closeOnce sync.Once
	mu        sync.Mutex // guards everything during Close vs Run

	// Tests only: now is the tailer's clock; hook is called at named
	// points (to inject a rotation between two steps).
	now  func() time.Time
	hook func(point string)
}

// tailStream is the sequence of files read under one path.
type tailStream struct {
	path  string
	files []*tailFile // oldest first; the file at path, when there is one, is last
	ring  []linePos   // where the last lines started (for LineHolder)
	head  int         // next slot of ring
	n     int         // valid entries
	bytes int64       // bytes and lines read, for the mean line length
	lines int64
}

// linePos is where a line started.
type linePos struct {
	f   *tailFile
	off int64
}

// ringSize bounds how many held lines the tailer can place exactly; more
// held lines keep the previous commit (safe: more is read again after a
// crash).
const ringSize = 256

func (s *tailStream) push(f *tailFile, off int64) {
	if s.ring == nil {
		s.ring = make([]linePos, ringSize)
	}
	s.ring[s.head] = linePos{f, off}
	s.head = (s.head + 1) % len(s.ring)
	s.n = min(s.n+1, len(s.ring))
}

// back returns where the n-th last line started.
func (s *tailStream) back(n int) (linePos, bool) {
	if n <= 0 || n > s.n {
		return linePos{}, false
	}
	i := (s.head - n + len(s.ring)) % len(s.ring)
	return s.ring[i], true
}

func (s *tailStream) live() *tailFile {
	if n := len(s.files); n > 0 && s.files[n-1].live {
		return s.files[n-1]
	}
	return nil
}

type tailFile struct {
	stream    *tailStream
	path      string
	f         *os.File
	zr        io.ReadCloser // the decompressor of a compressed file
	comp      string
	key       fileKey
	fp        fingerprint
	offset    int64  // bytes consumed through the last full line
	committed int64  // the offset last committed
	carry     []byte // an incomplete last line
	skip      bool   // discarding the rest of an over-long line
	size      int64  // size at the last read
	order     uint64
	live      bool      // at its stream's path
	until     time.Time // not live: read until then, then finished
	finished  bool      // closed; leaves its stream once committed
	// recovering: a truncated file's old content, whose copy is looked
	// for until `until`.
	recovering bool
}

// mtimeSlack widens "written since": file times come from a coarse clock
// (a few ms behind), and a file the tailer does not know that was written
// just before it started is better read than lost.
const mtimeSlack = time.Second

// withDefaults fills in the zero settings of c.
func (c TailConfig) withDefaults() TailConfig {
	if c.Poll <= 0 {
		c.Poll = 250 * time.Millisecond
	}
	if c.Rescan <= 0 {
		c.Rescan = 10 * time.Second
	}
	if c.MaxLine <= 0 {
		c.MaxLine = 256 << 10
	}
	if c.CommitLines <= 0 {
		c.CommitLines = 1000
	}
	if c.CommitInterval <= 0 {
		c.CommitInterval = time.Second
	}
	if c.RotateGrace <= 0 {
		c.RotateGrace = 5 * time.Second
	}
	return c
}

// NewTailer returns a tailer; reg may be nil.
func NewTailer(cfg TailConfig, h LineHandler, log *slog.Logger, reg prometheus.Registerer) (*Tailer, error) {
	cfg = cfg.withDefaults()
	t := &Tailer{
		cfg: cfg, h: h, log: log,
		streams: map[string]*tailStream{}, denied: map[string]bool{}, watched: map[string]bool{},
		pendingSibs: map[string]time.Time{}, globSince: map[string]time.Time{},
		prefixes:    prefixCache{},
		buf:         make([]byte, 64<<10),
		fpBuf:       make([]byte, fpBytes),
		pathEvery:   max(cfg.Poll, time.Second),
		rotateGrace: cfg.RotateGrace,
		since:       time.Now().Add(-mtimeSlack),
		ctx:         context.Background(),
		now:         time.Now,
		lines:       prometheus.NewCounter(prometheus.CounterOpts{Name: "gopulse_tail_lines_total", Help: "Lines read from tailed files."}),
		bytesRead:   prometheus.NewCounter(prometheus.CounterOpts{Name: "gopulse_tail_read_bytes_total", Help: "Bytes read from tailed files."}),
		rotations:   prometheus.NewCounter(prometheus.CounterOpts{Name: "gopulse_tail_rotations_total", Help: "Rename rotations followed."}),
		truncations: prometheus.NewCounter(prometheus.CounterOpts{Name: "gopulse_tail_truncations_total", Help: "Copytruncate rotations (files truncated or rewritten in place) followed."}),
		lost: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "gopulse_log_lines_lost_total",
			Help: "Log lines known to be lost before they were read, by reason (truncate: a truncated file whose copy could not be identified)."}, []string{"reason"}),
		commitErrors: prometheus.NewCounter(prometheus.CounterOpts{Name: "gopulse_tail_commit_errors_total",
			Help: "Offset commits skipped because the lines could not be made durable downstream or the state file could not be written."}),
		filesGauge: prometheus.NewGauge(prometheus.GaugeOpts{Name: "gopulse_tail_files", Help: "Files being tailed."}),
	}
	t.lost.WithLabelValues("truncate")
	t.holder, _ = h.(LineHolder)
	t.syncer, _ = h.(Syncer)
	if reg != nil {
		for _, c := range t.Collectors() {
			if err := reg.Register(c); err != nil {
				return nil, fmt.Errorf("register tail metrics: %w", err)
			}
		}
	}
	if cfg.StateFile != "" {
		st, err := loadState(cfg.StateFile)
		if err != nil {
			log.Warn("log offsets not loaded; files start afresh", "file", cfg.StateFile, "err", err)
		}
		if st != nil {
			t.state = st
			looked := st.Looked
			if looked.IsZero() {
				looked = st.Saved
			}
			t.since = looked.Add(-mtimeSlack)
			for _, r := range st.Files {
				if r.Done {
					t.done = append(t.done, r)
				}
			}
		}
	}
	return t, nil
}

// Run tails until ctx ends, then reads what is there and commits.
func (t *Tailer) Run(ctx context.Context) error {
	poll := time.NewTicker(t.cfg.Poll)
	defer poll.Stop()
	rescan := time.NewTicker(t.cfg.Rescan)
	defer rescan.Stop()
	t.mu.Lock()
	again := t.ran // Run again after a stop that Continue announced: the watcher is open
	t.ran = true
	t.mu.Unlock()
	if !again {
		if w, err := newDirWatcher(); err != nil {
			t.log.Warn("inotify unavailable: new files are found at each re-scan only", "rescan", t.cfg.Rescan, "err", err)
		} else {
			t.mu.Lock()
			t.watcher = w
			t.mu.Unlock()
		}
	}
	t.mu.Lock()
	t.ctx = ctx
	t.Scan()
	t.mu.Unlock()
	var events <-chan struct{}
	if t.watcher != nil {
		events = t.watcher.C()
	}
	for {
		select {
		case <-ctx.Done():
			t.mu.Lock()
			t.Poll() // read what is there
			if !t.cont {
				t.emitUnreplayed()
			}
			t.cont = false // the next stop is a plain one unless told again
			cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
			err := t.Commit(cctx)
			cancel()
			t.mu.Unlock()
			return err
		case now := <-poll.C:
			t.mu.Lock()
			t.Poll()
			if ih, ok := t.h.(IdleHandler); ok {
				ih.Idle(now)
			}
			t.maybeCommit(ctx, true)
			t.mu.Unlock()
		case <-events:
			t.mu.Lock()
			t.onEvents()
			t.maybeCommit(ctx, true)
			t.mu.Unlock()
		case <-rescan.C:
			t.mu.Lock()
			t.Scan()
			t.mu.Unlock()
		}
	}
}

// Open makes the first scan now rather than when Run starts: the files
// found take their start positions (saved offsets, or their end with
// StartAtEnd) as of this call, so a line written once Open returned is
// read, however late Run starts (a reload answers once the next agent is
// built). Run then goes on from there. A no-op once a scan was made.
func (t *Tailer) Open() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.started {
		t.Scan()
	}
}

// Successor says what the tailer that follows this one reads (a reload's
// new config): at the stop, the lines the handler holds for a stream its
// globs no longer select are emitted, since nothing will read them again.
// Without it, a stop is taken to be followed by a tailer of the same config
// (a restart). Call it before Run's context ends.
func (t *Tailer) Successor(paths, exclude []string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.next = &TailConfig{Paths: slices.Clone(paths), Exclude: slices.Clone(exclude)}
}

// Continue says that this tailer's Run will be called again after the
// stop (a reload that keeps the logs pipeline, whose config did not
// change): the stop reads what is there and commits, emitting nothing the
// handler holds (the same handler goes on with it, so a multi-line record
// is neither cut nor read again), and files, streams and watches stay
// open for the next Run. Call it before Run's context ends; Close still
// ends the tailer as usual.
func (t *Tailer) Continue() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.cont, t.next = true, nil
}

// Reconfigure gives a stopped tailer (its Run returned after Continue)
// the settings of next, before Run is called again: a reload that changes
// only what the tailer itself decides (paths, exclude, intervals,
// MaxLine, StartAtEnd, commits, RotateGrace). The streams next still
// selects run on untouched: their files stay open at their offsets, and
// what the handler holds of them stays held (nothing is read again, cut or
// emitted twice). A stream next no longer selects is stopped: the handler
// emits what it holds of it (CloseSource: nobody reads it again), the
// offsets are committed through it, and its files are closed; the next
// commit leaves its offsets out. The paths only next selects are opened
// here as at a first start: at their end with StartAtEnd, else from their
// beginning (a file that only appears later is read whole). next.StateFile is ignored: the offsets stay where they
// are. The returned error is the commit's.
func (t *Tailer) Reconfigure(ctx context.Context, next TailConfig) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	next = next.withDefaults()
	next.StateFile = t.cfg.StateFile
	var gone []string
	for p := range t.streams {
		if !selects(next.Paths, next.Exclude, p) {
			gone = append(gone, p)
			t.h.CloseSource(p) // emits what it holds: nobody reads it again
		}
	}
	slices.Sort(gone)
	// Through the records just emitted (here, or by the handler since the
	// stop: a router whose overrides changed closes streams too).
	err := t.Commit(ctx)
	for _, p := range gone {
		if s := t.streams[p]; s != nil {
			for _, f := range s.files {
				f.close()
			}
		}
		delete(t.streams, p)
		for sib := range t.pendingSibs {
			if rot, ok := parseRotated(filepath.Base(sib)); ok && filepath.Join(filepath.Dir(sib), rot.base) == p {
				delete(t.pendingSibs, sib)
			}
		}
		t.log.Info("log file no longer tailed: the new config does not select it", "path", p)
	}
	prev := t.cfg
	now := t.now().Add(-mtimeSlack)
	for _, g := range next.Paths {
		if _, ok := t.globSince[g]; !ok && !slices.Contains(prev.Paths, g) {
			t.globSince[g] = now
		}
	}
	for g := range t.globSince {
		if !slices.Contains(next.Paths, g) {
			delete(t.globSince, g)
		}
	}
	t.cfg = next
	t.pathEvery = max(next.Poll, time.Second)
	t.rotateGrace = next.RotateGrace
	t.dirty = true
	// The new paths open now, at their position as of the reload (the
	// next Run reads them from there): a line written right after the
	// reload answered is read even with StartAtEnd.
	t.prevSel = &TailConfig{Paths: prev.Paths, Exclude: prev.Exclude}
	t.Scan()
	return err
}

// sinceOf is the time after which a rotated sibling of stream sp that
// the tailer does not know was written while it was not reading: the
// tailer's start (or the saved state's last look), or, for a stream that
// only globs added by Reconfigure select, when the first of them was
// added (an older rotated file of a newly tailed path is not read whole).
func (t *Tailer) sinceOf(sp string) time.Time {
	if len(t.globSince) == 0 {
		return t.since
	}
	var since time.Time
	for _, g := range t.cfg.Paths {
		if !matchGlob(g, sp) {
			continue
		}
		s, ok := t.globSince[g]
		if !ok {
			return t.since
		}
		if since.IsZero() || s.Before(since) {
			since = s
		}
	}
	if since.IsZero() {
		return t.since
	}
	return since
}

// Collectors are the tailer's metrics, to register with another registry
// when the tailer is kept across a reload (NewTailer registered them with
// reg).
func (t *Tailer) Collectors() []prometheus.Collector {
	return []prometheus.Collector{t.lines, t.bytesRead, t.rotations, t.truncations, t.lost, t.commitErrors, t.filesGauge}
}

// replays reports whether the held lines of stream s (held of them) will
// be read again, from the committed offset, by the next tailer: the
// offsets are kept (a state file), the next tailer still reads s's path,
// and the first held line is in the file that is still at that path. A
// file rotated away or deleted may be gone by then (a real end of what
// was read of it), and with more held lines than the tailer can place
// the commit stays behind them: then the held lines are emitted at the
// stop and committed through instead.
func (t *Tailer) replays(s *tailStream, held int) bool {
	if t.cfg.StateFile == "" {
		return false
	}
	if n := t.next; n != nil && !selects(n.Paths, n.Exclude, s.path) {
		return false
	}
	pos, ok := s.back(held)
	if !ok || pos.f != s.live() || pos.f.f == nil {
		return false
	}
	fi, err := os.Stat(s.path)
	return err == nil && keyOf(fi) == pos.f.key
}

// emitUnreplayed, at a stop before the last commit, has the handler emit
// the lines it holds for the streams the next tailer will not read again
// (see replays), so that the commit goes through them: they are delivered
// once. The held lines of the other streams stay held (the commit stops
// before them) and Close lets them go.
func (t *Tailer) emitUnreplayed() {
	if t.holder == nil {
		return
	}
	for p, s := range t.streams {
		if held := t.holder.Held(p); held > 0 && !t.replays(s, held) {
			t.h.CloseSource(p) // emits what it holds
		}
	}
}

// Close closes every file; safe to call twice. Run must have returned.
// A stream whose held lines the next tailer reads again (replays) is let
// go without emitting them (SourceStopper): they were not committed, so
// emitting them here would deliver them twice, and a multi-line record
// whose last lines are written after the restart would come out in two
// parts. Every other stream is closed, emitting what is held.
func (t *Tailer) Close() error {
	t.closeOnce.Do(func() {
		t.mu.Lock()
		defer t.mu.Unlock()
		stopper, _ := t.h.(SourceStopper)
		for p, s := range t.streams {
			replay := false
			if stopper != nil && t.holder != nil {
				if held := t.holder.Held(p); held > 0 {
					replay = t.replays(s, held)
				}
			}
			for _, f := range s.files {
				f.close()
			}
			delete(t.streams, p)
			if replay {
				stopper.StopSource(p)
			} else {
				t.h.CloseSource(p)
			}
		}
		if t.watcher != nil {
			t.watcher.Close()
		}
	})
	return nil
}

func (f *tailFile) close() {
	if f.zr != nil {
		f.zr.Close()
		f.zr = nil
	}
	if f.f != nil {
		f.f.Close()
		f.f = nil
	}
}

func (t *Tailer) excluded(p string) bool {
	for _, g := range t.cfg.Exclude {
		if matchGlob(g, p) {
			return true
		}
	}
	return false
}

// matched reports whether p is a path the globs select.
func (t *Tailer) matched(p string) bool {
	return selects(t.cfg.Paths, t.cfg.Exclude, p)
}

// selects reports whether the globs paths, less exclude, select p.
func selects(paths, exclude []string, p string) bool {
	for _, g := range exclude {
		if matchGlob(g, p) {
			return false
		}
	}
	for _, g := range paths {
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

func (t *Tailer) stream(p string) *tailStream {
	s := t.streams[p]
	if s == nil {
		s = &tailStream{path: p}
		t.streams[p] = s
	}
	return s
}

func (t *Tailer) nextOrder() uint64 {
	t.order++
	return t.order
}

// watch adds the directory of p and the globs' roots to the watcher.
func (t *Tailer) watch(dir string) {
	if t.watcher == nil || t.watched[dir] {
		return
	}
	t.watched[dir] = true
	if err := t.watcher.Add(dir); err != nil {
		t.log.Debug("cannot watch log directory; new files there are found at each re-scan", "dir", dir, "err", err)
	}
}

// Scan expands the globs and opens new files. At the first scan it also
// resumes the files of the saved state: each is looked for at its path and
// among its rotated siblings, and read from its committed offset. Files
// found by the first scan with no saved offset start at their end when
// StartAtEnd is set and no state covered their glob; files that appear
// later are read from the beginning.
func (t *Tailer) Scan() {
	first := !t.started
	t.started = true
	if first {
		t.lookedAt = t.now()
	}
	for _, g := range t.cfg.Paths {
		t.watch(globRoot(g))
		if !hasMeta(g) {
			t.watch(filepath.Dir(g))
		}
	}
	paths := t.expand()
	if first {
		t.resume(paths)
	}
	prev := t.prevSel
	t.prevSel = nil
	for _, p := range paths {
		t.watch(filepath.Dir(p))
		if s := t.streams[p]; s != nil && s.live() != nil {
			continue
		}
		atEnd := first && t.cfg.StartAtEnd && !t.stateCovers(p)
		if prev != nil {
			// The first scan after a Reconfigure: a path the previous
			// selection did not cover starts as at a first start.
			atEnd = t.cfg.StartAtEnd && !selects(prev.Paths, prev.Exclude, p)
		}
		t.openNew(p, atEnd)
	}
	if first {
		t.state = nil
	} else {
		t.adoptSiblings(nil)
	}
	t.gauge()
}

func (t *Tailer) expand() []string {
	seen := map[string]bool{}
	var out []string
	for _, g := range t.cfg.Paths {
		for _, p := range expandGlob(g, t.deny) {
			if seen[p] || t.excluded(p) {
				continue
			}
			seen[p] = true
			out = append(out, p)
		}
	}
	return out
}

// stateCovers reports whether the saved state was written while p's glob
// was tailed: then a file there that it does not know was created while
// the agent was down.
func (t *Tailer) stateCovers(p string) bool {
	if t.state == nil {
		return false
	}
	for _, g := range t.state.Globs {
		if matchGlob(g, p) {
			return true
		}
	}
	return false
}

func (t *Tailer) gauge() {
	n := 0
	for _, s := range t.streams {
		for _, f := range s.files {
			if f.f != nil {
				n++
			}
		}
	}
	t.filesGauge.Set(float64(n))
}

// known reports whether a file with this key and content is open or was
// finished. A file matches by key and fingerprint. Within stream (the
// stream the file would belong to), with copies, a copy of an open file
// (same first bytes: copytruncate copies before it truncates) is known
// too, and so is a finished file's copy or compressed form (same full
// fingerprint).
func (t *Tailer) known(key fileKey, stream string, copies bool, fpOf func(n int) (fingerprint, bool)) bool {
	for sp, s := range t.streams {
		for _, f := range s.files {
			if f.recovering {
				continue
			}
			if f.key == key && f.f != nil {
				return true // the same inode, open: the same file
			}
			// A closed file's inode may have been reused: its content
			// decides, and an empty file identifies nothing.
			if f.fp.n == 0 || (f.key != key && (!copies || sp != stream)) {
				continue
			}
			if fp, ok := fpOf(f.fp.n); ok && fp == f.fp {
				return true
			}
		}
	}
	for i := range t.done {
		r := &t.done[i]
		rfp, hasFP := r.fingerprint()
		switch {
		case !hasFP:
			if r.key() == key {
				return true
			}
		case rfp.n == 0:
			// empty when finished: identifies nothing
		case r.key() == key || (rfp.n == fpBytes && r.Stream == stream):
			if fp, ok := fpOf(rfp.n); ok && fp == rfp {
				return true
			}
		}
	}
	return false
}

// openNew opens the file at p as the live file of its stream.
func (t *Tailer) openNew(p string, atEnd bool) {
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
	if !fi.Mode().IsRegular() {
		f.Close()
		return
	}
	delete(t.denied, p)
	key := keyOf(fi)
	fpOf := func(n int) (fingerprint, bool) { return t.fileFingerprint(f, n) }
	// A rotated name (the glob matches those too) may be a copy.
	stream := p
	rot, rotated := parseRotated(filepath.Base(p))
	if rotated {
		stream = filepath.Join(filepath.Dir(p), rot.base)
	}
	if t.known(key, stream, rotated, fpOf) {
		// A rotated file seen under a new name (the glob also matches
		// rotated names), or a finished one.
		f.Close()
		return
	}
	comp := compression(p)
	if comp != "" {
		if atEnd {
			f.Close()
			return // an old archive at the first start
		}
		t.openCompressed(t.stream(p), &rotCandidate{path: p, rot: rotName{comp: comp}, f: f, mtime: fi.ModTime(), size: fi.Size(), key: key}, 0)
		return
	}
	tf := &tailFile{path: p, f: f, key: key, live: true, order: t.nextOrder()}
	tf.fp, _ = t.fileFingerprint(f, -1)
	if atEnd {
		tf.offset = fi.Size()
	}
	tf.committed = tf.offset
	s := t.stream(p)
	tf.stream = s
	s.files = append(s.files, tf)
	t.dirty = true
	t.log.Info("tailing log file", "path", p, "offset", tf.offset)
}

// fileFingerprint fingerprints the first n bytes of f (n < 0: up to
// fpBytes, as many as there are).
func (t *Tailer) fileFingerprint(f *os.File, n int) (fingerprint, bool) {
	want := n
	if want < 0 {
		want = fpBytes
	}
	b := t.fpBuf[:want]
	got, err := f.ReadAt(b, 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return fingerprint{}, false
	}
	if n >= 0 && got < n {
		return fingerprint{}, false
	}
	return fingerprintOf(b[:got]), true
}

func keyOf(fi fs.FileInfo) fileKey {
	dev, ino := fileID(fi)
	return fileKey{dev, ino}
}

// openCompressed adds the compressed file c to stream s (taking its
// descriptor), read from offset (in decompressed bytes) to its end.
func (t *Tailer) openCompressed(s *tailStream, c *rotCandidate, offset int64) *tailFile {
	fp, _ := t.candFP(c, -1)
	f := c.take()
	if f == nil {
		return nil
	}
	zr, err := decompress(f, c.rot.comp)
	if err != nil {
		f.Close()
		t.log.Warn("open compressed log file", "path", c.path, "err", err)
		return nil
	}
	if offset > 0 {
		if _, err := io.CopyN(io.Discard, zr, offset); err != nil {
			t.log.Warn("compressed log file is shorter than its saved offset", "path", c.path, "offset", offset, "err", err)
		}
	}
	tf := &tailFile{stream: s, path: c.path, f: f, zr: zr, comp: c.rot.comp, key: c.key, fp: fp, offset: offset, committed: offset, order: t.nextOrder()}
	t.insertOld(s, tf)
	t.log.Info("reading compressed rotated log file", "path", c.path, "stream", s.path, "offset", offset)
	return tf
}

// insertOld puts an old (not live) file before the stream's live file.
func (t *Tailer) insertOld(s *tailStream, tf *tailFile) {
	tf.stream = s
	if tf.until.IsZero() {
		tf.until = time.Now() // read to its end, then finished
	}
	i := len(s.files)
	if i > 0 && s.files[i-1].live {
		i--
	}
	s.files = slices.Insert(s.files, i, tf)
	t.dirty = true
}

// Poll reads every open file to its end and follows rotations. The paths
// themselves are checked for rotation at most once a second (at once on an
// inotify event). A file renamed or deleted away is still read for
// RotateGrace: writers that have not reopened their log yet keep appending
// to it.
func (t *Tailer) Poll() {
	now := time.Now()
	checkPaths := now.Sub(t.lastPathCheck) >= t.pathEvery
	if checkPaths {
		t.lastPathCheck = now
	}
	for _, s := range t.streams {
		t.pollStream(s, now, checkPaths)
	}
	if checkPaths && len(t.pendingSibs) > 0 {
		t.adoptSiblings(nil)
	}
	t.gauge()
}

func (t *Tailer) pollStream(s *tailStream, now time.Time, checkPaths bool) {
	for _, tf := range slices.Clone(s.files) {
		if tf.recovering {
			t.recover(tf, now)
			if tf.recovering {
				continue
			}
		}
		if tf.finished {
			continue
		}
		t.read(tf)
		if !tf.live && !tf.recovering && !now.Before(tf.until) {
			t.finish(tf)
		}
	}
	if checkPaths {
		t.checkPath(s, now)
	}
}

// checkPath follows a rename rotation of the stream's live file, or opens
// the file that appeared at its path.
func (t *Tailer) checkPath(s *tailStream, now time.Time) {
	lf := s.live()
	fi, err := os.Stat(s.path)
	switch {
	case err != nil: // deleted, or renamed with no new file yet
		if lf != nil {
			lf.live = false
			lf.until = now.Add(t.rotateGrace)
			t.dirty = true
		}
	case lf == nil:
		if t.matched(s.path) {
			// The files that left the path first: their unread lines
			// (written before the rotation) precede the new file's.
			// checkPath runs on an inotify event too, not only after a
			// poll that read them.
			for _, f := range s.files {
				if !f.finished && !f.recovering {
					t.read(f)
				}
			}
			t.openNew(s.path, false)
			if nf := s.live(); nf != nil {
				t.read(nf)
			}
		}
	case keyOf(fi) != lf.key: // rename rotation
		t.rotations.Inc()
		lf.live = false
		lf.until = now.Add(t.rotateGrace)
		t.read(lf) // the old file's lines first
		if t.rotateGrace <= 0 {
			t.finish(lf)
		}
		t.openNew(s.path, false)
		// A file that came and went between two looks at the path.
		t.adoptSiblings(nil)
		if nf := s.live(); nf != nil {
			t.read(nf)
		}
	}
}

// finish reads a file that left its path for the last time, emits its
// last line even without a newline, and closes it. It leaves its stream
// once committed.
func (t *Tailer) finish(tf *tailFile) {
	t.read(tf)
	t.flushCarry(tf)
	tf.close()
	tf.finished = true
	t.dirty = true
}

func (t *Tailer) read(tf *tailFile) {
	if tf.zr != nil {
		t.readCompressed(tf)
		return
	}
	if tf.f == nil {
		return
	}
	fi, err := tf.f.Stat()
	if err != nil {
		return
	}
	size := fi.Size()
	// Shorter than its offset or than the bytes that identify it: it was
	// truncated (a file opened at start-up has size 0 until its first read,
	// so a truncation to 0 before that read shows only here).
	if (size != tf.size || size < tf.offset || size < int64(tf.fp.n)) && t.truncated(tf, size) {
		return
	}
	tf.size = size
	// The fingerprint grows with a short file before its new bytes are
	// read: a commit in the middle of this read must never record an
	// offset past the bytes that identify the file (a record that
	// identifies nothing would match any file that takes its inode).
	if tf.fp.n < fpBytes && size > int64(tf.fp.n) {
		tf.fp, _ = t.fileFingerprint(tf.f, -1)
	}
	pos := tf.offset + int64(len(tf.carry))
	for pos < size {
		n, err := tf.f.ReadAt(t.buf[:min(int64(len(t.buf)), size-pos)], pos)
		if n > 0 {
			t.bytesRead.Add(float64(n))
			pos += int64(n)
			t.split(tf, t.buf[:n])
			t.dirty = true
			if t.sinceCommit >= t.cfg.CommitLines {
				t.maybeCommit(t.ctx, false)
			}
		}
		if err != nil {
			if !errors.Is(err, io.EOF) {
				t.log.Warn("read log file", "path", tf.path, "err", err)
			}
			break
		}
	}
}

func (t *Tailer) readCompressed(tf *tailFile) {
	for {
		n, err := tf.zr.Read(t.buf)
		if n > 0 {
			t.bytesRead.Add(float64(n))
			t.split(tf, t.buf[:n])
			t.dirty = true
			if t.sinceCommit >= t.cfg.CommitLines {
				t.maybeCommit(t.ctx, false)
			}
		}
		if errors.Is(err, io.EOF) {
			tf.until = time.Time{}
			tf.live = false
			return
		}
		if err != nil {
			// A compressed file still being written: read it again later,
			// from the offset, through the same descriptor.
			t.log.Debug("compressed log file not readable to its end yet", "path", tf.path, "err", err)
			tf.zr.Close()
			tf.zr = nil
			tf.carry = tf.carry[:0]
			if zr, err := decompress(tf.f, tf.comp); err == nil {
				if _, err := io.CopyN(io.Discard, zr, tf.offset); err == nil {
					tf.zr = zr
					tf.until = time.Now().Add(t.rotateGrace)
					return
				}
				zr.Close()
			}
			tf.close()
			return
		}
		if n == 0 {
			return
		}
	}
}

// truncated detects a copytruncate (or a file rewritten in place): the
// size went below the offset, or the first bytes changed. The old content
// becomes a recovering file, looked for among the siblings (the copy); the
// live file starts again at 0.
func (t *Tailer) truncated(tf *tailFile, size int64) bool {
	if size >= tf.offset+int64(len(tf.carry)) {
		if tf.fp.n == 0 {
			return false
		}
		// Shorter than the bytes fingerprinted: it shrank, truncated.
		if size >= int64(tf.fp.n) {
			if fp, ok := t.fileFingerprint(tf.f, tf.fp.n); ok && fp == tf.fp {
				return false
			}
		}
	}
	t.truncations.Inc()
	s := tf.stream
	if tf.offset == 0 && len(tf.carry) == 0 {
		// Nothing read of the old content: it is all in the copy, which
		// is read whole as an unseen rotated file.
		tf.fp, _ = t.fileFingerprint(tf.f, -1)
		tf.size = 0
		t.adoptSiblings(nil)
		return false
	}
	// The old content keeps this tailFile (the stream's held lines point
	// at it); the live file moves to a new one.
	nf := &tailFile{stream: s, path: tf.path, f: tf.f, key: tf.key, live: tf.live, until: tf.until, order: t.nextOrder()}
	nf.fp, _ = t.fileFingerprint(nf.f, -1)
	tf.f = nil
	tf.live = false
	tf.recovering = true
	tf.until = time.Now().Add(t.rotateGrace)
	i := slices.Index(s.files, tf)
	s.files = slices.Insert(s.files, i+1, nf)
	t.dirty = true
	t.log.Info("log file truncated (copytruncate): looking for its copy to read the rest", "path", tf.path, "offset", tf.offset, "size", size)
	t.recover(tf, time.Now())
	if !tf.recovering {
		t.read(tf)
	}
	// Copies of content written and truncated between two reads: unseen.
	t.adoptSiblings(nil)
	t.read(nf)
	return true
}

// recover looks for the copy of a truncated file's old content: a sibling
// with the same fingerprint holding at least the offset. Found, it is read
// from the offset; not found in time, the lines after the offset are
// counted lost.
func (t *Tailer) recover(tf *tailFile, now time.Time) {
	cands := t.siblings(tf.stream.path, nil)
	defer closeCandidates(cands)
	for _, c := range cands {
		if c.key == tf.key && c.rot.comp == "" {
			continue // the truncated file itself
		}
		fp, ok := t.candFP(c, tf.fp.n)
		if !ok || fp != tf.fp {
			continue
		}
		if c.rot.comp == "" && c.size < tf.offset {
			continue
		}
		if c.rot.comp != "" {
			zr, err := decompress(c.f, c.rot.comp)
			if err != nil {
				continue
			}
			if _, err := io.CopyN(io.Discard, zr, tf.offset); err != nil {
				zr.Close()
				continue
			}
			tf.f, tf.zr, tf.comp = c.take(), zr, c.rot.comp
		} else {
			tf.f = c.take()
			tf.size = 0
		}
		tf.recovering = false
		tf.carry, tf.skip = tf.carry[:0], false
		tf.path, tf.key = c.path, c.key
		tf.until = now
		t.log.Info("reading the rest of a truncated log file from its copy", "stream", tf.stream.path, "copy", c.path, "offset", tf.offset)
		return
	}
	if now.Before(tf.until) {
		return
	}
	// Lost: the bytes known to be unread (a partial last line) and, if the
	// file was seen larger than the offset, that part, at the stream's mean
	// line length. Lines written after the last read are not known.
	s := tf.stream
	unread := max(0, tf.size-tf.offset)
	n := int64(0)
	if unread > 0 {
		mean := int64(100)
		if s.lines > 0 {
			mean = max(1, s.bytes/s.lines)
		}
		n = (unread + mean - 1) / mean
	}
	t.lost.WithLabelValues("truncate").Add(float64(n))
	t.log.Warn("log file truncated and no copy of it found: lines written after the agent's last read of it are lost",
		"path", tf.path, "offset", tf.offset, "lines_known_lost", n)
	tf.recovering = false
	tf.carry = tf.carry[:0]
	tf.finished = true
	t.dirty = true
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
		tf.stream.bytes += int64(consumed)
	}
}

func (t *Tailer) emit(tf *tailFile, line []byte, truncated bool) {
	t.lines.Inc()
	s := tf.stream
	s.lines++
	if t.holder != nil {
		s.push(tf, tf.offset)
	}
	t.sinceCommit++
	t.h.HandleLine(s.path, bytes.TrimSuffix(line, []byte{'\r'}), truncated)
}

// flushCarry emits a last line without a newline when the file is left.
func (t *Tailer) flushCarry(tf *tailFile) {
	if len(tf.carry) > 0 && !tf.skip {
		t.emit(tf, tf.carry, false)
		tf.offset += int64(len(tf.carry))
	}
	tf.carry = tf.carry[:0]
}
