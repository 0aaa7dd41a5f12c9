//go:build linux && amd64

package probes

import (
	"context"
	"math"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gopulse/gopulse/event"
	"github.com/gopulse/gopulse/probes/rtstate"
)

// startManager runs a Manager for the test's lifetime.
func startManager(t testing.TB, cfg Config, deps Deps) *Manager {
	t.Helper()
	m, err := New(cfg, deps)
	if err != nil {
		t.Fatalf("new manager: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := m.Run(ctx); err != nil {
			t.Errorf("run: %v", err)
		}
	}()
	t.Cleanup(func() {
		cancel()
		wg.Wait()
		if err := m.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
		if err := m.Close(); err != nil {
			t.Errorf("second close: %v", err)
		}
	})
	return m
}

// TestGroundTruth compares what the probes see with the runtime's own
// accounting over a window the test signals, for several builds.
func TestGroundTruth(t *testing.T) {
	requireBPF(t)
	type build struct {
		name, toolchain, ldflags string
		flags                    []string
		links                    int  // default-mode probe links expected, 0: not checked
		perf                     bool // per-offset perf-event uprobes (kernels before 6.6) instead of uprobe_multi links
	}
	builds := []build{
		// Go 1.22+: startTheWorldWithSema's entry only (work.tMark gives the
		// sweep-termination end); PIE executables keep finishGCTransition
		// for children started before their load address is known.
		{"go1.26", "", "", nil, 1, false},
		{"stripped", "", "-s -w", nil, 1, false},
		{"stripped-pie", "", "-s -w", []string{"-buildmode=pie"}, 2, false},
		{"go1.21", "go1.21.13", "", nil, 0, false},
		{"go1.21-stripped", "go1.21.13", "-s -w", nil, 0, false},
		// The attach mechanism of kernels before 6.6, on this kernel.
		{"perf-event", "", "", nil, 1, true},
		{"perf-event-go1.21-stripped", "go1.21.13", "-s -w", nil, 0, true},
	}
	// GOPULSE_TEST_TOOLCHAINS=go1.22.12,go1.23.12 adds more versions (each
	// is downloaded through the module proxy on first use).
	for _, tc := range strings.Split(os.Getenv("GOPULSE_TEST_TOOLCHAINS"), ",") {
		if tc != "" {
			builds = append(builds, build{tc, tc, "", nil, 0, false}, build{tc + "-stripped", tc, "-s -w", nil, 0, false})
		}
	}
	for _, c := range builds {
		t.Run(c.name, func(t *testing.T) {
			bin := buildTarget(t, "gcload", c.toolchain, c.ldflags, c.flags...)
			tg := startTarget(t, bin, "-parked", "300")
			sink := &syncSink{}
			m := startManager(t, Config{}, Deps{Sink: sink, SampleInterval: 20 * time.Millisecond})
			if c.perf {
				m.mu.Lock()
				m.at.multi = false // nothing is loaded yet
				m.mu.Unlock()
			}
			if err := m.Watch(tg.cmd.Process.Pid, false); err != nil {
				t.Fatalf("watch: %v", err)
			}
			if got := m.Stats().ProbesAttached; c.links > 0 && got != c.links {
				t.Errorf("%d default-mode probe links, want %d", got, c.links)
			}
			time.Sleep(300 * time.Millisecond)
			a := tg.mark(t)
			time.Sleep(1500 * time.Millisecond)
			b := tg.mark(t)
			m.Flush()
			evs := sink.events()
			checkWindow(t, evs, a, b)
			checkSamples(t, evs, a, b)
		})
	}
}

func checkWindow(t *testing.T, evs []event.Runtime, a, b snapshot) {
	t.Helper()
	var ends, pauses int
	var total int64
	var lastCycle uint32
	for _, e := range evs {
		if e.StartNS <= a.UnixNS || e.StartNS >= b.UnixNS {
			continue
		}
		switch {
		case e.Kind == event.KindGCEnd:
			ends++
			lastCycle = e.Cycle
		case e.Kind == event.KindSTW && e.Reason.IsGC():
			pauses++
			total += e.DurationNS
		}
	}
	wantCycles := int(b.GCCycles - a.GCCycles)
	wantPauses := int(b.PauseCount - a.PauseCount)
	wantTotal := int64(b.PauseTotalNS - a.PauseTotalNS)
	t.Logf("window: gc cycles %d (runtime %d), gc pauses %d (runtime %d), pause total %v (runtime %v)",
		ends, wantCycles, pauses, wantPauses, time.Duration(total), time.Duration(wantTotal))
	if wantCycles < 5 {
		t.Fatalf("target ran only %d GC cycles in the window", wantCycles)
	}
	if ends != wantCycles {
		t.Errorf("GC cycles = %d, runtime says %d", ends, wantCycles)
	}
	if uint64(lastCycle) != b.GCCycles {
		t.Errorf("last cycle number = %d, runtime's count is %d", lastCycle, b.GCCycles)
	}
	if pauses != wantPauses {
		t.Errorf("GC STW pauses = %d, runtime pause histogram counts %d", pauses, wantPauses)
	}
	if diff := math.Abs(float64(total-wantTotal)) / float64(wantTotal); diff > 0.05 {
		t.Errorf("total pause %v differs from the runtime's %v by %.1f%% (> 5%%)",
			time.Duration(total), time.Duration(wantTotal), 100*diff)
	}
}

// nearestSample returns the KindSample closest in time to ts.
func nearestSample(evs []event.Runtime, ts int64) (event.Runtime, time.Duration) {
	var best event.Runtime
	bestD := time.Duration(math.MaxInt64)
	for _, e := range evs {
		if e.Kind != event.KindSample {
			continue
		}
		d := time.Duration(e.TS - ts)
		if d < 0 {
			d = -d
		}
		if d < bestD {
			best, bestD = e, d
		}
	}
	return best, bestD
}

// checkSamples compares the default mode's samples (the runtime's own
// accounting read from outside) with the target's runtime/metrics.
func checkSamples(t *testing.T, evs []event.Runtime, a, b snapshot) {
	t.Helper()
	sa, da := nearestSample(evs, a.UnixNS)
	sb, db := nearestSample(evs, b.UnixNS)
	if sa.Sched == nil || sb.Sched == nil || da > 30*time.Millisecond || db > 30*time.Millisecond {
		t.Fatalf("no sample near the window's ends (%v, %v)", da, db)
	}
	for _, c := range []struct {
		got  int64
		want uint64
	}{{sa.Goroutines, a.Goroutines}, {sb.Goroutines, b.Goroutines}} {
		if diff := math.Abs(float64(c.got)-float64(c.want)) / float64(c.want); diff > 0.02 {
			t.Errorf("live goroutines %d, runtime says %d (%.1f%% > 2%%)", c.got, c.want, 100*diff)
		}
	}
	if len(sb.Sched.Counts) != len(b.SchedCounts) {
		t.Fatalf("sched histogram has %d buckets, runtime/metrics %d", len(sb.Sched.Counts), len(b.SchedCounts))
	}
	got := event.SchedHistogram{Counts: HistDelta(nil, sb.Sched.Counts, sa.Sched.Counts)}
	want := event.SchedHistogram{Counts: HistDelta(nil, b.SchedCounts, a.SchedCounts)}
	for _, q := range []float64{0.5, 0.99} {
		gi, wi := rtstate.Quantile(got, q), rtstate.Quantile(want, q)
		t.Logf("sched latency p%v: bucket %d (≤%gs), runtime bucket %d (≤%gs); goroutines %d/%d",
			q*100, gi, b.SchedBuckets[gi+1], wi, b.SchedBuckets[wi+1], sb.Goroutines, b.Goroutines)
		if gi != wi || gi < 0 {
			t.Errorf("sched latency p%v in bucket %d, runtime's in bucket %d", q*100, gi, wi)
		}
	}
}
