//go:build linux && (amd64 || arm64)

package probes

import (
	"errors"
	"fmt"
	"math"
	"sync/atomic"
	"time"
)

// traceCtl holds trace mode to its budget: st (its governor) decides when
// the trace probes are attached (traceStep, every poll), and each
// reporting window (traceWindow, every rescan) publishes what they cost.
// Callers hold Manager.mu, except for the published figures.
type traceCtl struct {
	st      traceStepper
	onAccum time.Duration // attached time in the current window

	lastHits   uint64
	lastWindow time.Time
	// sched: scheduling events the traced processes' runtimes counted
	// since start (liveness check, traceCheck); schedNew: in this sample
	sched, schedNew uint64

	over atomic.Uint64 // Stats.TraceOverhead, float64 bits
	duty atomic.Uint64 // Stats.TraceDuty, float64 bits
	hits atomic.Uint64 // Stats.TraceHits
}

// joinTrace attaches x's trace probe for a newly traced process, unless
// the governor holds the trace probes detached (traceStep attaches it with
// the others when they come back).
func (m *Manager) joinTrace(x *exeProbes) error {
	t := &m.tr
	if x.trace != nil || (!t.st.on && m.ps.anyTraced()) {
		return nil
	}
	if err := m.at.attachTrace(x); err != nil {
		return err
	}
	if !t.st.on {
		t.st.switched(time.Now(), true, m.at.sumStat(statTraceHits))
	}
	return nil
}

// traceWindow closes a reporting window: the overhead estimate is the
// trace probe hits in it × TraceHitCost / wall time, and the duty the share
// of it the probes were attached.
func (m *Manager) traceWindow() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return
	}
	t := &m.tr
	now := time.Now()
	hits := m.at.sumStat(statTraceHits)
	if t.st.on {
		t.onAccum += now.Sub(later(t.st.since, t.lastWindow))
	}
	if !t.lastWindow.IsZero() && hits >= t.lastHits {
		wall := now.Sub(t.lastWindow).Seconds()
		cost := float64(hits-t.lastHits) * m.cfg.TraceHitCost.Seconds()
		t.hits.Store(hits)
		t.over.Store(math.Float64bits(cost / wall))
		t.duty.Store(math.Float64bits(min(1, t.onAccum.Seconds()/wall)))
	}
	t.lastHits, t.lastWindow, t.onAccum = hits, now, 0
}

// traceStep runs every PollInterval: the governor accounts the hits since
// the last step and the trace probes are attached or detached as it says.
func (m *Manager) traceStep() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return
	}
	t := &m.tr
	if !m.ps.anyTraced() {
		if t.st.on { // the last traced process went: its probes went with it
			t.windowOff(time.Now())
			t.st.switched(time.Now(), false, 0)
		}
		return
	}
	was, since := t.st.on, t.st.since
	t.st.step(time.Now(), m.at.sumStat(statTraceHits), (*traceSwitchM)(m))
	if was && !t.st.on {
		// Attached until the detach completed (the stepper's since).
		t.onAccum += t.st.since.Sub(later(since, t.lastWindow))
	}
}

// windowOff adds the on-time up to now, when the probes go off, to the
// current window.
func (t *traceCtl) windowOff(now time.Time) {
	t.onAccum += now.Sub(later(t.st.since, t.lastWindow))
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// traceCheck runs with each sample of the traced processes' runtime
// state: probes attached but silent while a runtime counted scheduling
// events (runtime.casgstatus ran) are attached again.
// sched is the scheduling events the traced processes' runtimes counted
// since the last sample (a running total).
func (m *Manager) traceCheck(sched uint64) {
	t := &m.tr
	if !t.st.silent(time.Now(), m.at.sumStat(statTraceHits), sched) {
		return
	}
	m.log.Warn("trace probes attached but not one hit while the runtime scheduled goroutines: attaching them again")
	sw := (*traceSwitchM)(m)
	sw.switchTrace(false)
	live, err := sw.switchTrace(true)
	now := time.Now()
	if !live {
		t.windowOff(now)
		m.log.Warn("trace probes not attached again: retrying", "err", err)
		t.st.failing = true
	}
	t.st.switched(now, live, m.at.sumStat(statTraceHits))
}

// traceSwitchM is the Manager as the governor's traceSwitch.
type traceSwitchM Manager

// switchTrace attaches or detaches the trace probes of every traced
// executable.
func (sw *traceSwitchM) switchTrace(on bool) (bool, error) {
	m := (*Manager)(sw)
	var errs []error
	live := false
	for _, x := range m.ps.exes {
		switch {
		case on && x.trace == nil && m.ps.anyTrace(x):
			if err := m.at.attachTrace(x); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", x.path, err))
				continue
			}
			live = true
		case on && x.trace != nil:
			live = true
		case !on && x.trace != nil:
			m.at.detachTrace(x)
		}
	}
	return live, errors.Join(errs...)
}
