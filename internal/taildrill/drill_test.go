package taildrill

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

// TestDrill is the short crash-and-rotate drill: the real agent tails a
// file written at 20,000 lines/s and rotated by rename (numbered siblings,
// gzip from .3 on) and a second one at 2,000 lines/s rotated by
// copytruncate, is killed with SIGKILL 8 times at random points (some
// during a rotation, some followed by rotations and new files while it is
// down), and its Loki endpoint is down for 3 s. Every sequence number must
// arrive; duplicates stay within one batch (1000 lines) per kill. The long
// drill, against a real Loki, is in e2e/.
func TestDrill(t *testing.T) {
	if testing.Short() {
		t.Skip("the real-agent drill takes about 30 s")
	}
	bin := agentBin(t)
	sink, err := NewSink()
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()
	ctx := context.Background()
	dir := t.TempDir()
	if d := os.Getenv("GOPULSE_DRILL_DIR"); d != "" {
		dir = d // kept for a post-mortem
	}
	rep, err := Run(ctx, Config{Bin: bin, Dir: dir, Duration: 12 * time.Second, Rate: 20000, CTRate: 2000,
		Kills: 8, RotateEvery: 1500 * time.Millisecond, OutageAt: 4 * time.Second, OutageFor: 3 * time.Second,
		Seed: uint64(time.Now().UnixNano()), Logf: t.Logf}, SinkBackend{sink})
	if rep != nil && rep.Agent != nil {
		defer rep.Agent.Stop(30 * time.Second)
	}
	if err != nil {
		if rep != nil && rep.Agent != nil {
			t.Logf("agent output:\n%s", tail(rep.Agent.Output(), 60))
		}
		t.Fatal(err)
	}
	werr := Wait(ctx, 90*time.Second, rep.Lines, func() (int64, error) { return int64(sink.Distinct(int(rep.Lines))), nil })
	res := Check(sink.Counts(), int(rep.Lines))
	if d := os.Getenv("GOPULSE_DRILL_DIR"); d != "" {
		os.WriteFile(d+"/agent.out", []byte(rep.Agent.Output()), 0o644)
		var b strings.Builder
		for i, c := range sink.Counts() {
			if c != 1 {
				fmt.Fprintf(&b, "%d %d\n", i, c)
			}
		}
		os.WriteFile(d+"/counts.txt", []byte(b.String()), 0o644)
	}
	t.Logf("%d kills (%d during a rotation), %d rotations (%d while down), %d files created while down: %s; sink %+v",
		rep.Kills, rep.KillsInRotate, rep.Rotations, rep.DownRotations, rep.DownFiles, res, sink.Stats())
	if werr != nil || res.Lost > 0 {
		t.Logf("agent output:\n%s", tail(rep.Agent.Output(), 200))
		t.Fatalf("lost lines: %s (%v)", res, werr)
	}
	if max := rep.Kills * 1000; res.Duplicated > max {
		t.Fatalf("%d duplicates, more than one batch (1000) per kill (%d)", res.Duplicated, max)
	}
	if m, err := rep.Agent.Metrics(); err == nil {
		for _, l := range strings.Split(m, "\n") {
			if strings.HasPrefix(l, "gopulse_log_lines_lost_total") && !strings.HasSuffix(l, " 0") {
				t.Errorf("the agent counts lost lines: %s", l)
			}
		}
	}
}

func tail(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
