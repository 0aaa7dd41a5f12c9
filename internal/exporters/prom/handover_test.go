package prom

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/gopulse/gopulse/event"
)

// TestSnapshotRestoreContinuesCounters: an aggregation seeded from a
// predecessor's snapshot and fed the rest of the events exposes exactly
// what one aggregation fed every event exposes.
func TestSnapshotRestoreContinuesCounters(t *testing.T) {
	whole := NewRuntime(DefaultRuntimeConfig())
	populate(t, whole, 3)
	populate(t, whole, 3)

	first := NewRuntime(DefaultRuntimeConfig())
	populate(t, first, 3)
	b, err := json.Marshal(first.Snapshot())
	if err != nil {
		t.Fatal(err)
	}
	var snap RuntimeSnapshot
	if err := json.Unmarshal(b, &snap); err != nil {
		t.Fatal(err)
	}
	next := NewRuntime(DefaultRuntimeConfig())
	if skipped := next.Restore(snap, nil); len(skipped) > 0 {
		t.Fatalf("skipped %v", skipped)
	}
	populate(t, next, 3)

	want, got := string(whole.AppendExposition(nil, false)), string(next.AppendExposition(nil, false))
	if got != want {
		t.Fatalf("restored aggregation differs:\n--- got\n%s\n--- want\n%s", got, want)
	}
}

func TestRestoreKeepAndBucketChange(t *testing.T) {
	first := NewRuntime(DefaultRuntimeConfig())
	populate(t, first, 2)
	snap := first.Snapshot()

	next := NewRuntime(DefaultRuntimeConfig())
	next.Restore(snap, func(pid uint32) bool { return pid == 1001 })
	if next.Len() != 1 {
		t.Fatalf("keep ignored: %d processes", next.Len())
	}

	cfg := DefaultRuntimeConfig()
	cfg.GCBuckets = cfg.GCBuckets[:len(cfg.GCBuckets)-1]
	changed := NewRuntime(cfg)
	skipped := changed.Restore(snap, nil)
	if !slices.Equal(skipped, []uint32{1000, 1001}) {
		t.Fatalf("skipped %v, want both processes", skipped)
	}
	changed.HandleRuntime(&event.Runtime{Kind: event.KindGCEnd, PID: 1000, DurationNS: 1000})
	s := changed.Snapshot()
	if s.Procs[0].GCCycles != 51 {
		t.Fatalf("gc cycles %d, want 50 restored + 1", s.Procs[0].GCCycles)
	}
	if s.Procs[0].GCDuration.Count != 1 {
		t.Fatalf("gc duration histogram restored across a bucket change: count %d", s.Procs[0].GCDuration.Count)
	}
}
