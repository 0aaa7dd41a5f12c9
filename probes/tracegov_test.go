package probes

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
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

// fakeSwitch is trace probes that fail to attach fails times.
type fakeSwitch struct {
	fails              int
	attached           bool
	attaches, detaches int
}

func (f *fakeSwitch) switchTrace(on bool) (bool, error) {
	if !on {
		f.attached = false
		f.detaches++
		return false, nil
	}
	f.attaches++
	if f.fails > 0 {
		f.fails--
		return false, errors.New("injected attach failure")
	}
	f.attached = true
	return true, nil
}

// simStepper drives a traceStepper against a target that hits the probe
// rate times per second while it is really attached, for d in poll
// steps. It checks at every step that the stepper's on is the truth, and
// returns the attached time per second.
func simStepper(t *testing.T, st *traceStepper, sw *fakeSwitch, rate float64, d time.Duration) []float64 {
	t.Helper()
	const poll = 10 * time.Millisecond
	t0 := time.Unix(1000, 0)
	now := t0
	var hits float64
	onTime := make([]float64, int(d/time.Second))
	st.switched(now, true, 0) // attached by Watch
	sw.attached = true
	for now.Sub(t0) < d {
		if sw.attached {
			hits += rate * poll.Seconds()
			onTime[int(now.Sub(t0)/time.Second)] += poll.Seconds()
		}
		now = now.Add(poll)
		st.step(now, uint64(hits), sw)
		if st.on != sw.attached {
			t.Fatalf("at %v: the stepper says on=%v, the probes are attached=%v", now.Sub(t0), st.on, sw.attached)
		}
	}
	return onTime
}

func newTestStepper(t *testing.T, logs io.Writer) *traceStepper {
	return &traceStepper{gov: newTraceGovernor(0.05, 2500*time.Nanosecond, time.Second),
		log:   slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		retry: time.Second, holdLog: traceHoldLog * time.Second}
}

// TestTraceStepperRetriesFailedAttach: an attach that fails (once, or
// for a while) leaves the probes known detached and is retried every
// retry; the probes come back as soon as an attach succeeds. The matrix
// once saw (trixie-amd64) the probes detached 0.6 s after attaching and
// never back: a failed re-attach used to leave the governor believing
// them attached (no hits: no reason ever to detach and attach again).
func TestTraceStepperRetriesFailedAttach(t *testing.T) {
	for _, fails := range []int{1, 5} {
		t.Run(fmt.Sprintf("fails=%d", fails), func(t *testing.T) {
			var logs bytes.Buffer
			st := newTestStepper(t, &logs)
			sw := &fakeSwitch{fails: fails}
			// 40,000 hits/s × 2.5 µs = 10% > the 5% budget: duty-cycled.
			onTime := simStepper(t, st, sw, 40_000, 40*time.Second)
			if sw.attaches <= fails {
				t.Fatalf("%d attaches for %d failures: never retried", sw.attaches, fails)
			}
			// After the failures (each retried a second later) the
			// probes are attached in every window or the next.
			for i := fails + 4; i < len(onTime)-1; i++ {
				if onTime[i] == 0 && onTime[i+1] == 0 {
					t.Fatalf("windows %d-%d without the probes attached: %v", i, i+1, onTime)
				}
			}
			if n := strings.Count(logs.String(), "trace probes not attached"); n != 1 {
				t.Errorf("%d warnings of the failed attach, want 1 per streak:\n%s", n, logs.String())
			}
			if !strings.Contains(logs.String(), "trace probes attached again") {
				t.Errorf("no line saying the probes are back")
			}
		})
	}
}

// TestTraceStepperLogsHold: probes held detached for several windows (a
// debt from a burst) say why, once per off-period.
func TestTraceStepperLogsHold(t *testing.T) {
	var logs bytes.Buffer
	st := newTestStepper(t, &logs)
	sw := &fakeSwitch{}
	t0 := time.Unix(1000, 0)
	st.switched(t0, true, 0)
	sw.attached = true
	// A burst: 0.5 s of target CPU in 10 ms, i.e. 10 windows of budget.
	now := t0.Add(10 * time.Millisecond)
	st.step(now, 200_000, sw)
	if st.on || sw.attached {
		t.Fatalf("still attached after a burst over the budget")
	}
	var back time.Duration
	for i := 0; i < 2000 && back == 0; i++ {
		now = now.Add(10 * time.Millisecond)
		st.step(now, 200_000, sw)
		if st.on {
			back = now.Sub(t0)
		}
	}
	// 0.5 s of debt at 0.9 × 5% = 11.1 s, plus refilling the bucket.
	if back < 11*time.Second || back > 13*time.Second {
		t.Errorf("probes back after %v, want 11–13 s (the debt paid off)", back)
	}
	l := logs.String()
	if n := strings.Count(l, "held detached by the overhead budget"); n != 1 {
		t.Errorf("%d hold lines, want 1:\n%s", n, l)
	}
	if !strings.Contains(l, "refill_in=") || !strings.Contains(l, "debt_s=") {
		t.Errorf("the hold line does not say when the probes come back:\n%s", l)
	}
}

// TestTraceStepperSilent: attached probes are silent when the runtime
// counted scheduling events (casgstatus ran) and not one hit came.
func TestTraceStepperSilent(t *testing.T) {
	st := newTestStepper(t, io.Discard)
	t0 := time.Unix(1000, 0)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	st.switched(t0, true, 100)
	for _, c := range []struct {
		sec         int
		hits, sched uint64
		want        bool
	}{
		{1, 100, 50, false},  // first sample: nothing to compare with
		{2, 500, 90, false},  // hits came
		{3, 500, 200, true},  // the runtime scheduled 110 goroutines, no hit
		{4, 500, 203, false}, // too few events to tell
		{5, 900, 300, false},
	} {
		if got := st.silent(at(c.sec), c.hits, c.sched); got != c.want {
			t.Errorf("second %d: silent = %v, want %v", c.sec, got, c.want)
		}
	}
	// Detached, or attached since the last sample: not comparable.
	st.switched(at(6), false, 900)
	if st.silent(at(7), 900, 500) {
		t.Error("silent while detached")
	}
	st.switched(at(8), true, 900)
	if st.silent(at(9), 900, 700) {
		t.Error("silent over an interval the probes were not attached throughout")
	}
	if !st.silent(at(10), 900, 800) {
		t.Error("not silent: attached for the whole interval, 100 scheduling events, no hit")
	}
}
