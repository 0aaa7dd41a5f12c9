package pipeline

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// numbered appends lines "prefix-i" for i in [from, to).
func numbered(t *testing.T, p, prefix string, from, to int) {
	t.Helper()
	var b strings.Builder
	for i := from; i < to; i++ {
		fmt.Fprintf(&b, "%s-%04d some padding to make the line longer than a few bytes\n", prefix, i)
	}
	appendFile(t, p, b.String())
}

func seqs(prefix string, from, to int) []string {
	var out []string
	for i := from; i < to; i++ {
		out = append(out, fmt.Sprintf("%s-%04d some padding to make the line longer than a few bytes", prefix, i))
	}
	return out
}

func gz(t *testing.T, src, dst string) {
	t.Helper()
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write(data)
	zw.Close()
	if err := os.WriteFile(dst, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	os.Remove(src)
}

// crash stops a tailer without a final commit: what was committed last is
// what a restart finds (kill -9).
func crash(tl *Tailer) { tl.Close() }

// Rotations while the agent is down: the file it was reading was renamed
// twice and compressed (app.log.2.gz), another file was created and rotated
// in between (app.log.1, never seen), and a third is live. After the
// restart every line arrives once, oldest file first.
func TestTailResumeAcrossRotationsWhileDown(t *testing.T) {
	for _, scheme := range []string{"numbered", "dated"} {
		t.Run(scheme, func(t *testing.T) {
			dir := t.TempDir()
			p := filepath.Join(dir, "app.log")
			state := filepath.Join(dir, "state", "offsets.json")
			cfg := TailConfig{Paths: []string{dir + "/*.log"}, StateFile: state, StartAtEnd: true}
			numbered(t, p, "a", 0, 50)
			rec := &lineRec{}
			tl := newTestTailer(t, cfg, rec, nil)
			tl.Scan()
			numbered(t, p, "a", 50, 100)
			tl.Poll()
			if err := tl.Commit(context.Background()); err != nil {
				t.Fatal(err)
			}
			numbered(t, p, "a", 100, 120) // read, never committed
			tl.Poll()
			crash(tl)
			want(t, rec.get(p), seqs("a", 50, 120)...)

			numbered(t, p, "a", 120, 200) // unread at the kill
			first, second := p+".2.gz", p+".1"
			if scheme == "dated" {
				first, second = filepath.Join(dir, "app-20260101.log.gz"), filepath.Join(dir, "app.log-20260102")
			}
			os.Rename(p, p+".tmp")
			numbered(t, p, "b", 0, 30) // created and rotated while down
			gz(t, p+".tmp", first)
			os.Rename(p, second)
			numbered(t, p, "c", 0, 10)

			rec2 := &lineRec{}
			tl2 := newTestTailer(t, cfg, rec2, nil)
			tl2.Scan()
			tl2.Poll()
			w := append(append(seqs("a", 100, 200), seqs("b", 0, 30)...), seqs("c", 0, 10)...)
			want(t, rec2.get(p), w...)
			for _, q := range []string{first, second} {
				want(t, rec2.get(q))
			}
			// Committed to their ends, the old files are remembered as done
			// and not read again after another restart.
			if err := tl2.Commit(context.Background()); err != nil {
				t.Fatal(err)
			}
			crash(tl2)
			rec3 := &lineRec{}
			tl3 := newTestTailer(t, cfg, rec3, nil)
			tl3.Scan()
			tl3.Poll()
			numbered(t, p, "c", 10, 12)
			tl3.Poll()
			want(t, rec3.get(p), seqs("c", 10, 12)...)
		})
	}
}

// An inode reused for a new file is told apart by the fingerprint: the new
// file is read from its start, not from the old file's offset.
func TestTailInodeReuse(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "app.log")
	state := filepath.Join(dir, "offsets.json")
	cfg := TailConfig{Paths: []string{p}, StateFile: state}
	numbered(t, p, "old", 0, 20)
	rec := &lineRec{}
	tl := newTestTailer(t, cfg, rec, nil)
	tl.Scan()
	tl.Poll()
	tl.Commit(context.Background())
	crash(tl)
	// Rewrite the file in place, same inode, different content, longer
	// than the saved offset: only the fingerprint tells.
	if err := os.WriteFile(p, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	numbered(t, p, "new", 0, 40)
	rec2 := &lineRec{}
	tl2 := newTestTailer(t, cfg, rec2, nil)
	tl2.Scan()
	tl2.Poll()
	want(t, rec2.get(p), seqs("new", 0, 40)...)
}

// copytruncate while the agent runs: the lines it had not read yet are read
// from the copy (plain or compressed), before the new content, and nothing
// counts as lost.
func TestTailCopyTruncateReadsTheCopy(t *testing.T) {
	for _, compressed := range []bool{false, true} {
		t.Run(fmt.Sprint("compressed=", compressed), func(t *testing.T) {
			dir := t.TempDir()
			p := filepath.Join(dir, "app.log")
			numbered(t, p, "a", 0, 40)
			rec := &lineRec{}
			reg := prometheus.NewRegistry()
			tl, err := NewTailer(TailConfig{Paths: []string{p}}, rec, testLog(), reg)
			if err != nil {
				t.Fatal(err)
			}
			tl.pathEvery = 0
			tl.Scan()
			tl.Poll()
			numbered(t, p, "a", 40, 90) // not read before the rotation
			copyTo := p + ".1"
			data, _ := os.ReadFile(p)
			os.WriteFile(copyTo, data, 0o644)
			if compressed {
				gz(t, copyTo, copyTo+".gz")
			}
			os.Truncate(p, 0)
			numbered(t, p, "b", 0, 5)
			tl.Poll()
			want(t, rec.get(p), append(seqs("a", 0, 90), seqs("b", 0, 5)...)...)
			if n := testutil.ToFloat64(tl.lost.WithLabelValues("truncate")); n != 0 {
				t.Fatalf("lost %v", n)
			}
			if n := testutil.ToFloat64(tl.truncations); n != 1 {
				t.Fatalf("truncations %v", n)
			}
		})
	}
}

// copytruncate with no copy to be found: what is known to be lost (a
// partial last line) is counted, and the new content is read.
func TestTailTruncateWithoutCopyCounts(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "app.log")
	numbered(t, p, "a", 0, 10)
	appendFile(t, p, "a partial line")
	rec := &lineRec{}
	tl, err := NewTailer(TailConfig{Paths: []string{p}, RotateGrace: time.Millisecond}, rec, testLog(), nil)
	if err != nil {
		t.Fatal(err)
	}
	tl.pathEvery = 0
	tl.Scan()
	tl.Poll()
	os.Truncate(p, 0)
	numbered(t, p, "b", 0, 3)
	tl.Poll()
	time.Sleep(2 * time.Millisecond)
	tl.Poll()
	want(t, rec.get(p), append(seqs("a", 0, 10), seqs("b", 0, 3)...)...)
	if n := testutil.ToFloat64(tl.lost.WithLabelValues("truncate")); n != 1 {
		t.Fatalf("lost %v, want 1 (the partial line)", n)
	}
}

// copytruncate while the agent is down: the rest is read from the copy.
func TestTailCopyTruncateWhileDown(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "app.log")
	state := filepath.Join(dir, "offsets.json")
	cfg := TailConfig{Paths: []string{p}, StateFile: state}
	numbered(t, p, "a", 0, 30)
	rec := &lineRec{}
	tl := newTestTailer(t, cfg, rec, nil)
	tl.Scan()
	tl.Poll()
	tl.Commit(context.Background())
	crash(tl)
	numbered(t, p, "a", 30, 60)
	data, _ := os.ReadFile(p)
	os.WriteFile(p+"-20260101", data, 0o644)
	os.Truncate(p, 0)
	numbered(t, p, "b", 0, 70) // longer than the old offset: only the fingerprint tells
	rec2 := &lineRec{}
	tl2 := newTestTailer(t, cfg, rec2, nil)
	tl2.Scan()
	tl2.Poll()
	want(t, rec2.get(p), append(seqs("a", 30, 60), seqs("b", 0, 70)...)...)
}

// A file created and renamed away at once, before the tailer could open
// it, is still read whole (inotify reports the new name; the file is an
// unseen rotated sibling of a watched path).
func TestTailFileCreatedAndRotatedAtOnce(t *testing.T) {
	dir := t.TempDir()
	rec := &lineRec{}
	tl, err := NewTailer(TailConfig{Paths: []string{dir + "/*.log"}, Poll: 50 * time.Millisecond, Rescan: time.Hour}, rec, testLog(), nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- tl.Run(ctx) }()
	defer func() {
		cancel()
		<-done
		tl.Close()
	}()
	waitFor(t, func() bool { tl.mu.Lock(); defer tl.mu.Unlock(); return tl.started })
	for i := range 5 {
		p := filepath.Join(dir, fmt.Sprintf("short%d.log", i))
		numbered(t, p, fmt.Sprint("s", i), 0, 100)
		if i%2 == 0 {
			os.Rename(p, p+".1")
		} else {
			os.Rename(p, p+"-20260101")
		}
	}
	for i := range 5 {
		p := filepath.Join(dir, fmt.Sprintf("short%d.log", i))
		waitFor(t, func() bool { return len(rec.get(p)) >= 100 })
		want(t, rec.get(p), seqs(fmt.Sprint("s", i), 0, 100)...)
	}
}

// The same when the tailer never had the file open (no inotify, or the
// rename came first): the re-scan finds it among the rotated siblings, as
// a file written since the tailer started that it does not know.
func TestTailUnseenSiblingAdopted(t *testing.T) {
	dir := t.TempDir()
	numbered(t, filepath.Join(dir, "live.log"), "l", 0, 3)
	rec := &lineRec{}
	tl := newTestTailer(t, TailConfig{Paths: []string{dir + "/*.log"}}, rec, nil)
	tl.Scan()
	tl.Poll()
	old := filepath.Join(dir, "old.log.3")
	numbered(t, old, "x", 0, 5) // rotated-looking, but written before the tailer started: not adopted
	past := time.Now().Add(-time.Hour)
	os.Chtimes(old, past, past)
	tl.Scan()
	tl.Poll()
	p := filepath.Join(dir, "gone.log")
	numbered(t, p, "s", 0, 100)
	os.Rename(p, p+"-20260101.gz.tmp") // not a rotated name: ignored
	os.Rename(p+"-20260101.gz.tmp", p+".1")
	tl.Scan()
	tl.Poll()
	want(t, rec.get(p), seqs("s", 0, 100)...)
	want(t, rec.get(filepath.Join(dir, "old.log")))
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 20 s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// holdingRec holds the last `hold` lines of each stream back and counts
// syncs; a failing sync prevents the commit.
type holdingRec struct {
	lineRec
	mu      sync.Mutex
	hold    int
	syncs   int
	syncErr error
}

func (h *holdingRec) Held(string) int { h.mu.Lock(); defer h.mu.Unlock(); return h.hold }
func (h *holdingRec) Sync(context.Context) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.syncs++
	return h.syncErr
}

// Offsets are committed only after a successful Sync, and never past the
// lines the handler still holds.
func TestTailCommitAfterSyncBeforeHeld(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "app.log")
	state := filepath.Join(dir, "offsets.json")
	cfg := TailConfig{Paths: []string{p}, StateFile: state}
	numbered(t, p, "a", 0, 10)
	h := &holdingRec{hold: 3}
	tl := newTestTailer(t, cfg, h, nil)
	tl.Scan()
	tl.Poll()
	if err := tl.Commit(context.Background()); err != nil {
		t.Fatal(err)
	}
	h.syncErr = errors.New("queue closed")
	numbered(t, p, "a", 10, 20)
	tl.Poll()
	if err := tl.Commit(context.Background()); err == nil {
		t.Fatal("commit without a sync")
	}
	crash(tl)
	if h.syncs != 2 {
		t.Fatalf("%d syncs", h.syncs)
	}
	// Restart: lines 7..9 were held, 10..19 never durable: read again.
	rec2 := &lineRec{}
	tl2 := newTestTailer(t, cfg, rec2, nil)
	tl2.Scan()
	tl2.Poll()
	want(t, rec2.get(p), seqs("a", 7, 20)...)
}

func testLog() *slog.Logger { return slog.New(slog.DiscardHandler) }

func TestParseRotated(t *testing.T) {
	for _, c := range []struct {
		name, base string
		dated      bool
		ok         bool
	}{
		{"app.log.1", "app.log", false, true},
		{"app.log.12.gz", "app.log", false, true},
		{"app.log-20260101", "app.log", true, true},
		{"app.log-20260101.gz", "app.log", true, true},
		{"app.log.2026-01-01", "app.log", true, true},
		{"app.log.2026-01-01.3", "app.log", true, true},
		{"app-20260101.log", "app.log", true, true},
		{"app.2026-01-01.log.zst", "app.log", true, true},
		{"app.log", "", false, false},
		{"app-worker.log", "", false, false},
	} {
		r, ok := parseRotated(c.name)
		if ok != c.ok || (ok && (r.base != c.base || r.dated != c.dated)) {
			t.Errorf("parseRotated(%q) = %+v %v", c.name, r, ok)
		}
	}
}
