package jaeger

import (
	"math"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/gopulse/gopulse/event"
)

// Every slow cycle is traced, the others at the configured rate, partial
// cycles never; every decision is counted.
func TestSampling(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	cfg := DefaultConfig()
	cfg.SampleRate = 0.1
	cfg.SlowPause = time.Millisecond
	cfg.SlowCycle = 50 * time.Millisecond
	b := newBuilder(int64(time.Millisecond), 0)
	var err error
	if b.sample, err = newSampler(cfg, reg); err != nil {
		t.Fatal(err)
	}
	// Exists at 0 before any cycle.
	if n := testutil.CollectAndCount(reg, "gopulse_trace_gc_cycles_total"); n != 4 {
		t.Fatalf("%d series at start, want 4", n)
	}
	const n = 20000
	var slow, fast, keptFast, keptSlow int
	var spans []span
	start := int64(1_700_000_000_000_000_000)
	for c := uint32(1); c <= n; c++ {
		pause := int64(100_000) // 100µs
		dur := int64(5_000_000)
		isSlow := false
		switch {
		case c%37 == 0:
			pause, isSlow = 2_000_000, true // a 2ms pause
		case c%41 == 0:
			dur, isSlow = 80_000_000, true // an 80ms cycle
		}
		start += 1_000_000_000
		sw := event.Runtime{Kind: event.KindSTW, PID: 9, Reason: event.STWGCSweepTermination, StartNS: start, DurationNS: pause, Cycle: c}
		spans = b.add(spans[:0], &sw)
		end := event.Runtime{Kind: event.KindGCEnd, PID: 9, Cycle: c, StartNS: start, DurationNS: dur, SweepTermNS: pause,
			MarkNS: dur - pause - 50_000, MarkTermNS: 50_000}
		spans = b.add(spans[:0], &end)
		kept := len(spans) > 0
		if isSlow {
			slow++
			if kept {
				keptSlow++
			}
		} else {
			fast++
			if kept {
				keptFast++
			}
		}
	}
	if keptSlow != slow {
		t.Errorf("%d of %d slow cycles traced, want all", keptSlow, slow)
	}
	// Binomial(fast, 0.1): within 4 standard deviations.
	want := 0.1 * float64(fast)
	if sd := math.Sqrt(float64(fast) * 0.1 * 0.9); math.Abs(float64(keptFast)-want) > 4*sd {
		t.Errorf("%d of %d other cycles traced, want %.0f ± %.0f", keptFast, fast, want, 4*sd)
	}
	// A partial cycle (attached mid-cycle) gets no trace.
	partial := event.Runtime{Kind: event.KindGCEnd, PID: 9, Cycle: n + 1, StartNS: start + 1e9, DurationNS: 90_000_000, MarkTermNS: 90_000_000, Partial: true}
	if spans = b.add(spans[:0], &partial); len(spans) != 0 {
		t.Error("a partial cycle was traced")
	}
	vec := map[string]float64{}
	for _, d := range []string{DecisionSlow, DecisionSampled, DecisionDropped, DecisionPartial} {
		vec[d] = testutil.ToFloat64(b.sample.counts[d])
	}
	if vec[DecisionSlow] != float64(slow) || vec[DecisionSampled] != float64(keptFast) ||
		vec[DecisionDropped] != float64(fast-keptFast) || vec[DecisionPartial] != 1 {
		t.Errorf("counters %v; slow %d, kept %d of %d", vec, slow, keptFast, fast)
	}
	t.Logf("slow %d (all kept), others %d kept of %d (%.3f)", slow, keptFast, fast, float64(keptFast)/float64(fast))
}
