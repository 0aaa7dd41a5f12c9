package procstats

import (
	"math"
	"testing"

	"github.com/gopulse/gopulse/event"
)

func get(a *Aggregator[struct{}], pid uint32) (out Process[struct{}], ok bool) {
	a.View(func(ps []*Process[struct{}]) {
		for _, p := range ps {
			if p.PID == pid {
				out, ok = *p, true
			}
		}
	})
	return out, ok
}

// The GC count is the runtime's own: a process attached late reports the
// cycles it ran before, from the first sample or gc_end on.
func TestGCCyclesAreTheRuntimesCount(t *testing.T) {
	a := New[struct{}](DefaultConfig())
	a.HandleRuntime(&event.Runtime{Kind: event.KindSample, PID: 1, Cycle: 2521, Goroutines: 7})
	if p, _ := get(a, 1); p.GCCycles != 2521 {
		t.Fatalf("after a sample: %d, want the runtime's 2521", p.GCCycles)
	}
	a.HandleRuntime(&event.Runtime{Kind: event.KindGCEnd, PID: 1, Cycle: 2522, DurationNS: 1e6})
	a.HandleRuntime(&event.Runtime{Kind: event.KindSample, PID: 1, Cycle: 2521}) // an older read never lowers it
	if p, _ := get(a, 1); p.GCCycles != 2522 || p.GCDuration.Count != 1 {
		t.Fatalf("after gc_end: %d cycles, %d durations", p.GCCycles, p.GCDuration.Count)
	}
	// Without cycle numbers (synthetic events) cycles are counted.
	a.HandleRuntime(&event.Runtime{Kind: event.KindGCEnd, PID: 2, DurationNS: 1e6})
	a.HandleRuntime(&event.Runtime{Kind: event.KindGCEnd, PID: 2, DurationNS: 1e6})
	if p, _ := get(a, 2); p.GCCycles != 2 {
		t.Fatalf("counted cycles %d", p.GCCycles)
	}
}

// Phases take the exact pause bounds when the pauses were seen, the
// cycle's accounting otherwise.
func TestPhasesPairPauses(t *testing.T) {
	a := New[struct{}](DefaultConfig())
	start := int64(1e18)
	a.HandleRuntime(&event.Runtime{Kind: event.KindSTW, PID: 3, Reason: event.STWGCSweepTermination, StartNS: start, DurationNS: 40_000})
	a.HandleRuntime(&event.Runtime{Kind: event.KindSTW, PID: 3, Reason: event.STWGCMarkTermination, StartNS: start + 2_000_000, DurationNS: 90_000})
	a.HandleRuntime(&event.Runtime{Kind: event.KindGCEnd, PID: 3, StartNS: start, DurationNS: 2_090_000,
		SweepTermNS: 30_000, MarkNS: 1_900_000, MarkTermNS: 80_000})
	p, _ := get(a, 3)
	if got := p.Phases[PhaseSweepTermination]; got.Count != 1 || got.Sum != 40e-6 {
		t.Errorf("sweep termination %+v, want the pause's 40µs", got)
	}
	if got := p.Phases[PhaseMarkTermination]; got.Count != 1 || got.Sum != 90e-6 {
		t.Errorf("mark termination %+v, want the pause's 90µs", got)
	}
	if got := p.Phases[PhaseMark]; got.Count != 1 || math.Abs(got.Sum-1.9e-3) > 1e-12 {
		t.Errorf("mark %+v", got)
	}
	if got := p.Pauses[event.STWGCSweepTermination]; got.Count != 1 || got.Min != 40e-6 || got.Max != 40e-6 {
		t.Errorf("pause histogram %+v", got)
	}
	// A cycle whose pauses were not seen keeps its own accounting.
	a.HandleRuntime(&event.Runtime{Kind: event.KindGCEnd, PID: 4, StartNS: start, DurationNS: 1_000_000,
		SweepTermNS: 30_000, MarkNS: 900_000, MarkTermNS: 70_000})
	p, _ = get(a, 4)
	if p.Phases[PhaseSweepTermination].Sum != 30e-6 || p.Phases[PhaseMarkTermination].Sum != 70e-6 {
		t.Errorf("unpaired phases %v / %v", p.Phases[PhaseSweepTermination].Sum, p.Phases[PhaseMarkTermination].Sum)
	}
}

// KeepExited: the exited process (with its identity) is visited by one
// Collect, then forgotten; without it the exit removes it at once.
func TestExitedProcessesLastOneCollect(t *testing.T) {
	cfg := DefaultConfig()
	cfg.KeepExited = true
	a := New[struct{}](cfg)
	a.UpsertProc(&event.Proc{PID: 9, Service: "checkout", Exe: "/app/checkout"})
	a.HandleRuntime(&event.Runtime{Kind: event.KindGCEnd, PID: 9, Cycle: 12})
	a.HandleRuntime(&event.Runtime{Kind: event.KindProcExit, PID: 9})
	var seen []string
	a.Collect(func(p *Process[struct{}]) { seen = append(seen, p.Proc.Service) })
	if len(seen) != 1 || seen[0] != "checkout" {
		t.Fatalf("last collect saw %v", seen)
	}
	if a.Len() != 0 {
		t.Fatal("exited process kept after its last collect")
	}

	b := New[struct{}](DefaultConfig())
	b.HandleRuntime(&event.Runtime{Kind: event.KindGCEnd, PID: 9, Cycle: 12})
	b.HandleRuntime(&event.Runtime{Kind: event.KindProcExit, PID: 9})
	if b.Len() != 0 {
		t.Fatal("exited process kept without KeepExited")
	}
}

// Cumulative sample values never go back; gauges follow the last sample.
func TestStatsMonotonic(t *testing.T) {
	a := New[struct{}](DefaultConfig())
	a.HandleRuntime(&event.Runtime{Kind: event.KindSample, PID: 5, Stats: &event.RuntimeStats{
		Have: event.HaveMemory | event.HaveController, Allocations: 1000, Allocated: 64000, HeapGoal: 4 << 20, GOGC: 100}})
	a.HandleRuntime(&event.Runtime{Kind: event.KindSample, PID: 5, Stats: &event.RuntimeStats{
		Have: event.HaveMemory | event.HaveController, Allocations: 990, Allocated: 70000, HeapGoal: 3 << 20, GOGC: 50}})
	p, _ := get(a, 5)
	if st := p.Stats; st.Allocations != 1000 || st.Allocated != 70000 || st.HeapGoal != 3<<20 || st.GOGC != 50 || !p.HasStats {
		t.Fatalf("stats %+v", st)
	}
}

func TestSnapshotRestoreTakesTheGCCount(t *testing.T) {
	a := New[struct{}](DefaultConfig())
	a.HandleRuntime(&event.Runtime{Kind: event.KindGCEnd, PID: 6, Cycle: 40, DurationNS: 1e6})
	a.HandleRuntime(&event.Runtime{Kind: event.KindGCEnd, PID: 6, Cycle: 41, SweepTermNS: 10_000, MarkNS: 50_000, MarkTermNS: 20_000})
	b := New[struct{}](DefaultConfig())
	if skipped := b.Restore(a.Snapshot(), nil); len(skipped) != 0 {
		t.Fatalf("skipped %v", skipped)
	}
	b.HandleRuntime(&event.Runtime{Kind: event.KindGCEnd, PID: 6, Cycle: 42, DurationNS: 1e6})
	p, _ := get(b, 6)
	if p.GCCycles != 42 || p.GCDuration.Count != 3 || p.Phases[PhaseMark].Count != 1 {
		t.Fatalf("restored: %d cycles, %d durations, %d mark phases", p.GCCycles, p.GCDuration.Count, p.Phases[PhaseMark].Count)
	}
}

// The cycle the probes attached in counts, but its duration (only its last
// pause) stays out of the duration and phase histograms.
func TestPartialCycleCountsWithoutDuration(t *testing.T) {
	a := New[struct{}](DefaultConfig())
	a.HandleRuntime(&event.Runtime{Kind: event.KindGCEnd, PID: 8, Cycle: 30, DurationNS: 90_000, MarkTermNS: 90_000, Partial: true})
	a.HandleRuntime(&event.Runtime{Kind: event.KindGCEnd, PID: 8, Cycle: 31, DurationNS: 2e6, SweepTermNS: 1e4, MarkNS: 1.9e6, MarkTermNS: 9e4})
	p, _ := get(a, 8)
	if p.GCCycles != 31 || p.GCDuration.Count != 1 || p.Phases[PhaseMarkTermination].Count != 1 {
		t.Fatalf("%d cycles, %d durations, %d mark terminations", p.GCCycles, p.GCDuration.Count, p.Phases[PhaseMarkTermination].Count)
	}
}
