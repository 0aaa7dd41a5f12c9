package probes

import (
	"fmt"
	"testing"
	"time"
)

// simTrace drives a traceGovernor against a simulated target that hits the
// probe rate times per second while attached, where attaching takes attach
// (no hits yet) and detaching takes detach (hits go on meanwhile), as
// setTrace blocks the step loop. It returns the overhead per 1s window
// (hits × hitCost / 1s) and the on-time per window.
func simTrace(budget float64, rate float64, attach, detach time.Duration, d time.Duration) (over, onTime []float64) {
	const hitCost = 2500 * time.Nanosecond
	const poll = 10 * time.Millisecond
	g := newTraceGovernor(budget, hitCost, time.Second)
	t0 := time.Unix(1000, 0)
	now := t0
	var hits float64
	on := true
	g.start(now, 0)
	nw := int(d / time.Second)
	over = make([]float64, nw)
	onTime = make([]float64, nw)
	win := func() int { return int(now.Sub(t0) / time.Second) }
	// advance moves time by dt with the probes live or not.
	advance := func(dt time.Duration, live bool) {
		for dt > 0 {
			w := win()
			end := t0.Add(time.Duration(w+1) * time.Second)
			step := min(dt, end.Sub(now))
			if live && w < nw {
				n := rate * step.Seconds()
				hits += n
				over[w] += n * hitCost.Seconds()
				onTime[w] += step.Seconds()
			}
			now = now.Add(step)
			dt -= step
		}
	}
	for now.Sub(t0) < d {
		advance(poll, on)
		want := g.step(now, uint64(hits), on)
		switch {
		case want && !on:
			advance(attach, false)
			on = true
		case !want && on:
			advance(detach, true)
			g.detached(detach)
			on = false
		}
	}
	return over, onTime
}

func TestTraceGovernorHoldsBudget(t *testing.T) {
	const budget = 0.05
	for _, c := range []struct {
		rate           float64 // hits/s while attached
		attach, detach time.Duration
	}{
		{40_000, 5 * time.Millisecond, 20 * time.Millisecond},     // idle machine
		{180_000, 300 * time.Millisecond, 500 * time.Millisecond}, // loaded machine, busy target
		{180_000, 500 * time.Millisecond, 2 * time.Second},        // worse
		{1000, time.Millisecond, time.Millisecond},                // cheap target: always on
	} {
		t.Run(fmt.Sprintf("rate=%v/attach=%v/detach=%v", c.rate, c.attach, c.detach), func(t *testing.T) {
			over, onTime := simTrace(budget, c.rate, c.attach, c.detach, 60*time.Second)
			var sum float64
			for _, o := range over {
				sum += o
			}
			mean := sum / float64(len(over))
			if mean > budget {
				t.Errorf("mean overhead %.2f%% > budget %.0f%%: %v", 100*mean, 100*budget, over)
			}
			// The probes keep coming back: no long stretch without an
			// on-period, beyond what paying off one detach's debt needs.
			debt := c.rate * c.detach.Seconds() * 2.5e-6 / (0.9 * budget)
			gap, maxGap := 0, 0
			for _, s := range onTime[1:] {
				if s > 0 {
					gap = 0
				} else {
					gap++
					maxGap = max(maxGap, gap)
				}
			}
			if limit := int(debt) + 2; maxGap > limit {
				t.Errorf("%d windows in a row without the probes attached (limit %d): %v", maxGap, limit, onTime)
			}
			// And use what the budget allows: the mean is not far below it
			// unless the target is cheap enough to trace all the time.
			full := c.rate * 2.5e-6
			if want := 0.6 * min(budget, full); mean < want {
				t.Errorf("mean overhead %.2f%% < %.2f%%: the budget is left unused: %v", 100*mean, 100*want, over)
			}
		})
	}
}

func TestTraceGovernorUnthrottled(t *testing.T) {
	over, onTime := simTrace(1, 200_000, 0, 0, 10*time.Second)
	for i, s := range onTime {
		if s < 0.999 {
			t.Fatalf("window %d: on %.3fs, want the whole window (over %v)", i, s, over)
		}
	}
}
