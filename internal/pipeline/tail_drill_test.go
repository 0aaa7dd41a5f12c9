package pipeline

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/gopulse/gopulse/internal/taildrill"
)

// durableRec is a handler whose lines become durable at Sync; a crash
// loses the others.
type durableRec struct {
	mu      sync.Mutex
	pending []int
	durable map[int]int
}

func (d *durableRec) HandleLine(_ string, line []byte, _ bool) {
	if seq, ok := taildrill.ParseSeq(line); ok {
		d.mu.Lock()
		d.pending = append(d.pending, seq)
		d.mu.Unlock()
	}
}
func (d *durableRec) CloseSource(string) {}
func (d *durableRec) Sync(context.Context) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, s := range d.pending {
		d.durable[s]++
	}
	d.pending = d.pending[:0]
	return nil
}
func (d *durableRec) crash() {
	d.mu.Lock()
	d.pending = d.pending[:0]
	d.mu.Unlock()
}

type journalWriter func(string)

func (j journalWriter) Write(p []byte) (int, error) {
	j(string(bytes.TrimSpace(p)))
	return len(p), nil
}

// TestTailCrashDrillInProcess runs the drill's logic step by step, in
// process and seeded: writes, polls, commits, rename and copytruncate
// rotations (compressed from .3), new files, and crashes (the tailer
// dropped with what was not committed) at random points, rotations while
// it is down. Every line must end up durable.
func TestTailCrashDrillInProcess(t *testing.T) {
	for _, ct := range []bool{false, true} {
		for seed := uint64(1); seed <= drillSeeds; seed++ {
			t.Run(fmt.Sprint("copytruncate=", ct, "/", seed), func(t *testing.T) { crashDrill(t, seed, ct) })
		}
	}
}

// drillSeeds is how many seeded schedules each variant runs
// (GOPULSE_DRILL_SEEDS overrides it, for long hunts).
var drillSeeds = func() uint64 {
	if n, err := strconv.ParseUint(os.Getenv("GOPULSE_DRILL_SEEDS"), 10, 64); err == nil && n > 0 {
		return n
	}
	return 12
}()

func crashDrill(t *testing.T, seed uint64, withCT bool) {
	rng := rand.New(rand.NewPCG(seed, seed))
	dir := t.TempDir()
	logs := filepath.Join(dir, "logs")
	os.MkdirAll(logs, 0o755)
	var journal []string
	jr := func(s string) { journal = append(journal, s) }
	seq := &taildrill.Seq{}
	app := &taildrill.Writer{Path: filepath.Join(logs, "app.log"), Pad: 30, Seq: seq, Journal: jr}
	ct := &taildrill.Writer{Path: filepath.Join(logs, "ct.log"), Pad: 20, Seq: seq, Journal: jr}
	for _, w := range []*taildrill.Writer{app, ct} {
		if err := w.Open(); err != nil {
			t.Fatal(err)
		}
		defer w.Close()
	}
	cfg := TailConfig{Paths: []string{logs + "/*.log"}, StateFile: filepath.Join(dir, "state.json"),
		CommitLines: 50, RotateGrace: time.Hour}
	h := &durableRec{durable: map[int]int{}}
	start := func() *Tailer {
		tl, _ := NewTailer(cfg, h, slog.New(slog.NewTextHandler(journalWriter(jr), nil)), nil)
		tl.pathEvery = 0
		// Half the restarts see a rotation while they take stock of the
		// directory (at a random point of the listing).
		if rng.IntN(2) == 0 {
			at := rng.IntN(6)
			tl.hook = func(point string) {
				if at--; at != 0 {
					return
				}
				jr("rotate app during start-up at " + point)
				if err := app.RotateRename(50, 3, rng.IntN(5)); err != nil {
					t.Fatal(err)
				}
				app.WriteLines(rng.IntN(50))
			}
		}
		tl.Scan()
		tl.hook = nil
		return tl
	}
	tl := start()
	extra := 0
	for step := 0; step < 100; step++ {
		switch r := rng.IntN(20); {
		case r < 8:
			app.WriteLines(rng.IntN(200))
			if withCT {
				ct.WriteLines(rng.IntN(40))
			}
		case r < 11:
			tl.Poll()
		case r < 12:
			tl.Scan() // the periodic re-scan (inotify is not watched here)
			tl.Poll()
		case r < 13:
			if err := tl.Commit(context.Background()); err != nil {
				t.Fatal(err)
			}
		case r < 15:
			if err := app.RotateRename(50, 3, rng.IntN(5)); err != nil {
				t.Fatal(err)
			}
			jr("rotate app")
		case r < 16:
			if !withCT {
				break
			}
			if err := ct.CopyTruncate(50, 3); err != nil {
				t.Fatal(err)
			}
		case r < 17:
			// Finish the files that left their path (their grace ends).
			for _, s := range tl.streams {
				for _, f := range s.files {
					if !f.live {
						f.until = time.Now()
					}
				}
			}
			tl.Poll()
		default:
			// Crash, things happen while down, restart.
			jr(fmt.Sprintf("crash at step %d", step))
			h.crash()
			tl.Close()
			for range rng.IntN(3) {
				app.RotateRename(50, 3, 0)
				app.WriteLines(rng.IntN(100))
				if withCT {
					ct.CopyTruncate(50, 3)
					ct.WriteLines(rng.IntN(20))
				}
			}
			if rng.IntN(3) == 0 {
				extra++
				p := filepath.Join(logs, fmt.Sprintf("new%d.log", extra))
				to := ""
				if extra%2 == 0 {
					to = p + ".1"
				}
				app.NewFile(p, 30, to)
			}
			time.Sleep(2 * time.Millisecond)
			tl = start()
		}
	}
	// The end: everything is read, rotated files finished, committed.
	for range 3 {
		tl.Scan() // the periodic re-scan, the safety net for files inotify would have reported
		tl.Poll()
		for _, s := range tl.streams {
			for _, f := range s.files {
				if !f.live {
					f.until = time.Now()
				}
			}
		}
		tl.Poll()
		if err := tl.Commit(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	tl.Close()
	n := int(seq.Count())
	var lost, dup []int
	for i := 0; i < n; i++ {
		switch h.durable[i] {
		case 0:
			lost = append(lost, i)
		case 1:
		default:
			dup = append(dup, i)
		}
	}
	// A line is durable once its offset is committed right after (no crash
	// falls between Sync and the commit here): a line durable twice was
	// read again past a commit, a file taken for one it never saw.
	if len(lost) > 0 || len(dup) > 0 {
		for _, j := range journal {
			t.Log(j)
		}
		t.Fatalf("%d lines: %d lost (%s), %d durable twice (%s)", n, len(lost), span(lost), len(dup), span(dup))
	}
}
