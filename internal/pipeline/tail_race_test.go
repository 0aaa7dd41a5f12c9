package pipeline

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gopulse/gopulse/internal/taildrill"
)

// finishOld ends the grace of every file that left its path and reads it
// to its end.
func finishOld(tl *Tailer) {
	for range 2 {
		for _, s := range tl.streams {
			for _, f := range s.files {
				if !f.live {
					f.until = time.Time{}
				}
			}
		}
		tl.Poll()
	}
}

// A rename rotation while the restarted tailer takes stock of the stream
// (after it looked at the path and its siblings, before it opened them):
// the file it matched to its saved offset is now app.log.1, and a new
// app.log holds new lines. The old file must be read on from its offset
// and the new one from its start — the new file must not inherit the old
// one's offset (the loss the loaded drills showed: the first lines of a
// file created by a rotation just after a restart).
func TestTailResumeRotationDuringStartup(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "app.log")
	cfg := TailConfig{Paths: []string{dir + "/*.log"}, StateFile: filepath.Join(dir, "state.json")}
	numbered(t, p, "a", 0, 100)
	rec := &lineRec{}
	tl := newTestTailer(t, cfg, rec, nil)
	tl.Scan()
	tl.Poll()
	if err := tl.Commit(context.Background()); err != nil {
		t.Fatal(err)
	}
	crash(tl)
	numbered(t, p, "a", 100, 150) // unread at the kill

	rec2 := &lineRec{}
	var logb bytes.Buffer
	defer func() {
		if t.Failed() {
			t.Log(logb.String())
		}
	}()
	tl2 := newTestTailer(t, cfg, rec2, &logb)
	tl2.hook = func(point string) {
		if point != "resume.listed" {
			return
		}
		tl2.hook = nil
		if err := os.Rename(p, p+".1"); err != nil {
			t.Fatal(err)
		}
		numbered(t, p+".1", "a", 150, 160) // the writer has not reopened yet
		numbered(t, p, "b", 0, 300)
	}
	tl2.Scan()
	tl2.Poll()
	finishOld(tl2)
	want(t, rec2.get(p), append(seqs("a", 100, 160), seqs("b", 0, 300)...)...)
}

// A file created and rotated away while the tailer was busy (one long
// read of a backlog: no look at the directory, no inotify event handled)
// and a commit more than a second later: after a kill, the restarted
// tailer must still take it for a file it never saw. The saved time that
// bounds "written since" is when the tailer last looked at the directory,
// not when it committed.
func TestTailUnseenFileBeforeLastCommit(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "app.log")
	cfg := TailConfig{Paths: []string{dir + "/*.log"}, StateFile: filepath.Join(dir, "state.json")}
	numbered(t, p, "a", 0, 10)
	rec := &lineRec{}
	tl := newTestTailer(t, cfg, rec, nil)
	var skew time.Duration
	tl.now = func() time.Time { return time.Now().Add(skew) }
	tl.Scan()
	tl.Poll()
	// Unseen by the tailer: app.log rotated, a new app.log (b) written and
	// rotated too, then a third (c).
	if err := os.Rename(p, p+".2"); err != nil {
		t.Fatal(err)
	}
	numbered(t, p, "b", 0, 20)
	if err := os.Rename(p, p+".1"); err != nil {
		t.Fatal(err)
	}
	numbered(t, p, "c", 0, 5)
	skew = 5 * time.Second // the backlog took that long
	if err := tl.Commit(context.Background()); err != nil {
		t.Fatal(err)
	}
	crash(tl)

	rec2 := &lineRec{}
	tl2 := newTestTailer(t, cfg, rec2, nil)
	tl2.Scan()
	tl2.Poll()
	finishOld(tl2)
	want(t, rec2.get(p), append(seqs("b", 0, 20), seqs("c", 0, 5)...)...)
}

// A rename rotation (numbered siblings shifted, the third compressed) at
// each point of the restarted tailer's look at the directory: before it
// opens app.log.1, app.log.2, app.log.3.gz, and after it opened them all.
// The file it was reading, renamed and compressed while it was down, moves
// on to app.log.4.gz — a name that did not exist when the directory was
// listed — and must still be found by its content and read on from its
// offset; the files it never saw are read whole; nothing is lost or read
// twice.
func TestTailResumeRotationWhileListing(t *testing.T) {
	points := []string{"list.open app.log.1", "list.open app.log.2", "list.open app.log.3.gz", "resume.listed"}
	for _, point := range points {
		t.Run(point, func(t *testing.T) {
			dir := t.TempDir()
			seq := &taildrill.Seq{}
			w := &taildrill.Writer{Path: filepath.Join(dir, "app.log"), Pad: 20, Seq: seq}
			if err := w.Open(); err != nil {
				t.Fatal(err)
			}
			defer w.Close()
			cfg := TailConfig{Paths: []string{dir + "/*.log"}, StateFile: filepath.Join(dir, "state.json"), RotateGrace: time.Hour}
			h := &durableRec{durable: map[int]int{}}
			tl := newTestTailer(t, cfg, h, nil)
			tl.Scan()
			w.WriteLines(100)
			tl.Poll()
			if err := tl.Commit(context.Background()); err != nil {
				t.Fatal(err)
			}
			w.WriteLines(20) // unread at the kill
			h.crash()
			crash(tl)
			// While down: three rotations; the file being read ends up
			// compressed, at app.log.3.gz.
			for _, n := range []int{50, 100, 100} {
				w.RotateRename(50, 3, 0)
				w.WriteLines(n)
			}

			tl2 := newTestTailer(t, cfg, h, nil)
			hit := false
			tl2.hook = func(p string) {
				if p != point || hit {
					return
				}
				hit = true
				if err := w.RotateRename(50, 3, 5); err != nil {
					t.Fatal(err)
				}
				w.WriteLines(30)
			}
			tl2.Scan()
			tl2.Poll()
			finishOld(tl2)
			if err := tl2.Commit(context.Background()); err != nil {
				t.Fatal(err)
			}
			crash(tl2)
			if !hit {
				t.Fatalf("the tailer never reached %s", point)
			}
			n := int(seq.Count())
			var lost, dup []int
			for i := 0; i < n; i++ {
				switch c := h.durable[i]; {
				case c == 0:
					lost = append(lost, i)
				case c > 1:
					dup = append(dup, i)
				}
			}
			if len(lost) > 0 || len(dup) > 0 {
				t.Fatalf("%d lines: %d lost (%v), %d read twice (%v)", n, len(lost), span(lost), len(dup), span(dup))
			}
		})
	}
}

// span abbreviates a sorted list of numbers to its runs.
func span(xs []int) string {
	var b strings.Builder
	for i := 0; i < len(xs); {
		j := i
		for j+1 < len(xs) && xs[j+1] == xs[j]+1 {
			j++
		}
		fmt.Fprintf(&b, "%d-%d ", xs[i], xs[j])
		i = j + 1
	}
	return b.String()
}

// copytruncate between the tailer's opening of a file and its first read
// of it (at start-up, fresh or resumed, a few lines not yet read): the
// file is empty again when it is first read, the same size the tailer
// assumed at opening. The truncation must still be seen (the file is
// shorter than the bytes that identified it) and the copy read; before,
// the copy was taken for the live file (same first bytes) and never read.
func TestTailCopyTruncateBeforeFirstRead(t *testing.T) {
	for _, resumed := range []bool{false, true} {
		t.Run(fmt.Sprint("resumed=", resumed), func(t *testing.T) {
			dir := t.TempDir()
			p := filepath.Join(dir, "ct.log")
			cfg := TailConfig{Paths: []string{dir + "/*.log"}, StateFile: filepath.Join(dir, "state.json"), RotateGrace: time.Hour}
			if resumed { // the file was empty at the last commit
				appendFile(t, p, "")
				tl := newTestTailer(t, cfg, &lineRec{}, nil)
				tl.Scan()
				tl.Poll()
				if err := tl.Commit(context.Background()); err != nil {
					t.Fatal(err)
				}
				crash(tl)
			}
			numbered(t, p, "a", 0, 8) // < 1 KiB: the whole of it identifies the file
			wantLines := seqs("a", 0, 8)
			rec := &lineRec{}
			var logb bytes.Buffer
			tl := newTestTailer(t, cfg, rec, &logb)
			defer func() {
				if t.Failed() {
					t.Log(logb.String())
				}
			}()
			tl.Scan()
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p+".1", data, 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.Truncate(p, 0); err != nil {
				t.Fatal(err)
			}
			tl.Poll()
			tl.Scan() // the periodic re-scan changes nothing
			tl.Poll()
			numbered(t, p, "b", 0, 3)
			tl.Poll()
			want(t, rec.get(p), append(wantLines, seqs("b", 0, 3)...)...)
		})
	}
}

// A short rotated file (under the KiB that fingerprints a file fully),
// read to its end and finished, then compressed by logrotate: the
// compressed file is a new inode that only its whole content identifies.
// It must not be read a second time, whether the tailer runs on or
// restarts.
func TestTailShortFileCompressedAfterFinish(t *testing.T) {
	for _, restart := range []bool{false, true} {
		t.Run(fmt.Sprint("restart=", restart), func(t *testing.T) {
			dir := t.TempDir()
			p := filepath.Join(dir, "app.log")
			cfg := TailConfig{Paths: []string{dir + "/*.log"}, StateFile: filepath.Join(dir, "state.json")}
			numbered(t, p, "a", 0, 3) // ≈ 200 bytes
			rec := &lineRec{}
			tl := newTestTailer(t, cfg, rec, nil)
			tl.Scan()
			tl.Poll()
			if err := os.Rename(p, p+".1"); err != nil {
				t.Fatal(err)
			}
			numbered(t, p, "b", 0, 2)
			tl.Poll()
			finishOld(tl)
			if err := tl.Commit(context.Background()); err != nil {
				t.Fatal(err)
			}
			gz(t, p+".1", p+".2.gz") // logrotate's delayed compression
			if restart {
				crash(tl)
				tl = newTestTailer(t, cfg, rec, nil)
			}
			tl.Scan()
			tl.Poll()
			finishOld(tl)
			want(t, rec.get(p), append(seqs("a", 0, 3), seqs("b", 0, 2)...)...)
		})
	}
}
