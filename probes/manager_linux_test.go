//go:build linux && (amd64 || arm64)

package probes

import (
	"context"
	"math"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gopulse/gopulse/event"
	"github.com/gopulse/gopulse/probes/gobin"
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
		unknown                  bool // a Go version no table knows: offsets from code
	}
	builds := []build{
		// Go 1.22+: startTheWorldWithSema's entry only (work.tMark gives the
		// sweep-termination end); PIE executables keep finishGCTransition
		// for children started before their load address is known.
		{name: "go1.26", links: 1},
		{name: "stripped", ldflags: "-s -w", links: 1},
		{name: "stripped-pie", ldflags: "-s -w", flags: []string{"-buildmode=pie"}, links: 2},
		{name: "go1.21", toolchain: "go1.21.13"},
		{name: "go1.21-stripped", toolchain: "go1.21.13", ldflags: "-s -w"},
		// The newest release, stripped: the table's offsets.
		{name: "go1.27-stripped", toolchain: "go1.27.3", ldflags: "-s -w", links: 1},
		// A stripped binary of a release no table knows: the offsets
		// and data addresses come from its own code.
		{name: "unknown-version-stripped", toolchain: "go1.27.3", ldflags: "-s -w", links: 1, unknown: true},
		// The attach mechanism of kernels before 6.6, on this kernel.
		{name: "perf-event", links: 1, perf: true},
		{name: "perf-event-go1.21-stripped", toolchain: "go1.21.13", ldflags: "-s -w", perf: true},
	}
	// GOPULSE_TEST_TOOLCHAINS=go1.22.12,go1.23.12 adds more versions (each
	// is downloaded through the module proxy on first use).
	for _, tc := range strings.Split(os.Getenv("GOPULSE_TEST_TOOLCHAINS"), ",") {
		if tc != "" {
			builds = append(builds, build{name: tc, toolchain: tc}, build{name: tc + "-stripped", toolchain: tc, ldflags: "-s -w"})
		}
	}
	for _, c := range builds {
		t.Run(c.name, func(t *testing.T) {
			bin := buildTarget(t, "gcload", c.toolchain, c.ldflags, c.flags...)
			if c.unknown {
				var v string
				bin, v = withGoVersion(t, bin)
				b, err := gobin.Open(bin)
				if err != nil {
					t.Fatal(err)
				}
				o, err := b.Offsets()
				b.Close()
				if err != nil || o.Source != "code" {
					t.Fatalf("%s: offsets from %q, %v; want from code", v, o.Source, err)
				}
			}
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
			// The window's ends are held quiet until the Manager has
			// sampled the target there.
			waitSample(t, sink, 0)
			a, sa := settled(t, tg, sink, tg.hold(t))
			tg.resume(t)
			b, sb := settled(t, tg, sink, tg.holdAfterCycles(t, a, windowCycles))
			tg.resume(t)
			m.Flush()
			checkWindow(t, sink.events(), a, b)
			checkSamples(t, sa, sb, a, b)
		})
	}
}

// windowCycles is how many GC cycles a ground-truth window spans: about
// 1.5 s of the GC-heavy target here, several seconds under emulation.
const windowCycles = 10

// waitSample waits until the Manager has sampled the target after ts
// (Unix ns).
func waitSample(t *testing.T, sink *syncSink, ts int64) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		if s, ok := sampleAfter(sink.events(), ts); ok && s.Sched != nil {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("no sample of the target within a minute")
}

// settled waits, while the target is held, for a Manager sample that read
// the very state of a snapshot: the same live goroutines and the same
// scheduling-latency counts (the held target makes no scheduling events
// of its own; short-lived goroutines still exiting when it was held, or a
// sample read just before the hold, show as a difference, and the target
// is read again). It returns the snapshot and the sample.
func settled(t *testing.T, tg *target, sink *syncSink, s snapshot) (snapshot, event.Runtime) {
	t.Helper()
	for range 100 {
		waitSample(t, sink, s.UnixNS)
		for _, e := range sink.events() {
			if e.Kind == event.KindSample && e.TS > s.UnixNS && e.Sched != nil &&
				e.Goroutines == int64(s.Goroutines) && slices.Equal(e.Sched.Counts, s.SchedCounts) {
				return s, e
			}
		}
		s = tg.peek(t)
	}
	t.Fatalf("no sample matched the held target's state")
	return s, event.Runtime{}
}

// sampleAfter returns the first KindSample taken after ts.
func sampleAfter(evs []event.Runtime, ts int64) (event.Runtime, bool) {
	for _, e := range evs {
		if e.Kind == event.KindSample && e.TS > ts {
			return e, true
		}
	}
	return event.Runtime{}, false
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

// checkSamples compares the default mode's samples (the runtime's own
// accounting read from outside) with the target's runtime/metrics.
func checkSamples(t *testing.T, sa, sb event.Runtime, a, b snapshot) {
	t.Helper()
	if sa.Sched == nil || sb.Sched == nil {
		t.Fatalf("no sample at the window's ends")
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
