//go:build linux && (amd64 || arm64)

package probes

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/gopulse/gopulse/event"
)

// TestHandoverAdopt hands a running Manager's probes over to a second one
// while a target collects garbage: every GC cycle (numbered by the
// runtime's own memstats.numgc) must reach exactly one of the two, with no
// gap and no duplicate, the pins must exist only between the handover and
// the adoption, and closing the successor must leave nothing attached.
func TestHandoverAdopt(t *testing.T) {
	requireBPF(t)
	bin := buildTarget(t, "gcload", "", "")
	tg := startTarget(t, bin, "-parked", "50", "-churn=false")
	pid := tg.cmd.Process.Pid
	pinDir := fmt.Sprintf("/sys/fs/bpf/gopulse-probes-test-%d", os.Getpid())
	t.Cleanup(func() { os.RemoveAll(pinDir) })

	sinkA := &syncSink{}
	a, err := New(Config{PinDir: pinDir}, Deps{Sink: sinkA, Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Watch(pid, false); err != nil {
		a.Close()
		t.Fatalf("watch: %v", err)
	}
	attached := a.Stats().ProbesAttached
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	time.Sleep(time.Second)
	cancel()
	<-done
	st, err := a.Handover()
	if err != nil {
		a.Close()
		t.Fatalf("handover: %v", err)
	}
	if err := a.Close(); err != nil {
		t.Errorf("close after handover: %v", err)
	}
	if len(st.Procs) != 1 || st.Procs[0].PID != pid {
		t.Fatalf("handover state %+v, want pid %d", st, pid)
	}
	for _, p := range []string{"maps/events", "maps/pids", "maps/stops", "links"} {
		if _, err := os.Stat(filepath.Join(pinDir, p)); err != nil {
			t.Fatalf("after handover: %v", err)
		}
	}
	time.Sleep(500 * time.Millisecond) // nobody reads: the ring buffer keeps the records

	sinkB := &syncSink{}
	b, err := New(Config{PinDir: pinDir, Adopt: true, Seed: st}, Deps{Sink: sinkB, Logger: testLogger(t)})
	if err != nil {
		t.Fatalf("adopt: %v", err)
	}
	if _, err := os.Stat(pinDir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("pins not removed by the adoption: %v", err)
	}
	if got := b.Stats().ProbesAttached; got != attached {
		t.Errorf("adopted %d links, the predecessor had %d", got, attached)
	}
	ctx, cancel = context.WithCancel(context.Background())
	go func() { done <- b.Run(ctx) }()
	time.Sleep(time.Second)
	final := tg.mark(t)
	time.Sleep(200 * time.Millisecond)
	cancel()
	<-done
	if got := b.Stats().ProbesAttached; got != attached {
		t.Errorf("successor runs %d links, want %d", got, attached)
	}
	if err := b.Close(); err != nil {
		t.Errorf("close: %v", err)
	}
	if got := b.Stats().ProbesAttached; got != 0 {
		t.Errorf("%d links still attached after close", got)
	}
	if _, err := os.Stat(pinDir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("pins left after close: %v", err)
	}

	cycles := func(s *syncSink) []uint32 {
		var out []uint32
		for _, e := range s.events() {
			if e.Kind == event.KindGCEnd && int(e.PID) == pid {
				out = append(out, e.Cycle)
			}
		}
		return out
	}
	ca, cb := cycles(sinkA), cycles(sinkB)
	if len(ca) == 0 || len(cb) == 0 {
		t.Fatalf("GC cycles seen: %d before, %d after the handover", len(ca), len(cb))
	}
	all := append(slices.Clone(ca), cb...)
	for i := 1; i < len(all); i++ {
		if all[i] != all[i-1]+1 {
			t.Fatalf("cycle %d follows %d (before the handover: %d…%d, after: %d…%d)",
				all[i], all[i-1], ca[0], ca[len(ca)-1], cb[0], cb[len(cb)-1])
		}
	}
	if uint64(all[len(all)-1]) < final.GCCycles {
		t.Fatalf("last cycle seen %d, the target had run %d", all[len(all)-1], final.GCCycles)
	}
	t.Logf("cycles %d…%d before the handover, %d…%d after, none lost or repeated", ca[0], ca[len(ca)-1], cb[0], cb[len(cb)-1])
}

// TestAdoptNothing: adopting from an empty pin dir fails with ErrNoPins.
func TestAdoptNothing(t *testing.T) {
	requireBPF(t)
	dir := fmt.Sprintf("/sys/fs/bpf/gopulse-probes-empty-%d", os.Getpid())
	_, err := New(Config{PinDir: dir, Adopt: true}, Deps{Sink: &syncSink{}})
	if !errors.Is(err, ErrNoPins) {
		t.Fatalf("adopt from nothing: %v, want ErrNoPins", err)
	}
}

func TestParseExeKey(t *testing.T) {
	if k, ok := parseExeKey("2049_1234"); !ok || k != (exeKey{dev: 2049, ino: 1234}) {
		t.Errorf("parseExeKey = %v %v", k, ok)
	}
	for _, s := range []string{"", "12", "a_1", "1_b"} {
		if _, ok := parseExeKey(s); ok {
			t.Errorf("parseExeKey(%q) accepted", s)
		}
	}
}
