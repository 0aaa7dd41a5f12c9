//go:build linux && (amd64 || arm64)

package probes

import (
	"math"
	"sync/atomic"
	"time"
)

// traceCtl holds trace mode to its budget: gov decides when the trace
// probes are attached (traceStep, every poll), and each reporting window
// (traceWindow, every rescan) publishes what they cost. Callers hold
// Manager.mu, except for the published figures.
type traceCtl struct {
	gov     *traceGovernor
	on      bool          // the trace probes are attached
	onSince time.Time     // when on last changed (or a window began)
	onAccum time.Duration // attached time in the current window

	lastHits   uint64
	lastWindow time.Time

	over atomic.Uint64 // Stats.TraceOverhead, float64 bits
	duty atomic.Uint64 // Stats.TraceDuty, float64 bits
	hits atomic.Uint64 // Stats.TraceHits
}

// switchedOn records that the trace probes were attached at now, with the
// hit counter at hits, unless they already were.
func (t *traceCtl) switchedOn(now time.Time, hits uint64) {
	if t.on {
		return
	}
	t.on, t.onSince = true, now
	t.gov.start(now, hits)
}

// joinTrace attaches x's trace probe for a newly traced process, unless
// the governor holds the trace probes detached (setTrace attaches it with
// the others when they come back).
func (m *Manager) joinTrace(x *exeProbes) error {
	if x.trace != nil || (!m.tr.on && m.ps.anyTraced()) {
		return nil
	}
	if err := m.at.attachTrace(x); err != nil {
		return err
	}
	m.tr.switchedOn(time.Now(), m.at.sumStat(statTraceHits))
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
	if t.on {
		t.onAccum += now.Sub(t.onSince)
		t.onSince = now
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

// traceStep runs every PollInterval: it lets the governor account the hits
// since the last step and attaches or detaches the trace probes as it says.
func (m *Manager) traceStep() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return
	}
	t := &m.tr
	if !m.ps.anyTraced() {
		if t.on { // the last traced process went: its probes went with it
			t.onAccum += time.Since(t.onSince)
			t.on = false
		}
		return
	}
	want := t.gov.step(time.Now(), m.at.sumStat(statTraceHits), t.on)
	if want != t.on {
		m.setTrace(want)
	}
}

// setTrace attaches or detaches the trace probes of every traced executable.
func (m *Manager) setTrace(on bool) {
	t := &m.tr
	start := time.Now()
	for _, x := range m.ps.exes {
		switch {
		case on && x.trace == nil && m.ps.anyTrace(x):
			if err := m.at.attachTrace(x); err != nil {
				m.log.Warn("attach trace probe", "exe", x.path, "err", err)
			}
		case !on && x.trace != nil:
			m.at.detachTrace(x)
		}
	}
	now := time.Now()
	if t.on && !on {
		// The probes were live until the detach finished.
		t.onAccum += now.Sub(t.onSince)
		lat := now.Sub(start)
		m.log.Debug("trace probes detached", "took", lat)
		t.gov.detached(lat)
	}
	t.on = on
	t.onSince = now
}
