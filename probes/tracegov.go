package probes

import (
	"log/slog"
	"time"
)

// traceGovernor decides when the trace-mode probes are attached so that
// their estimated cost in the targets (hits × hitCost) stays within the
// budget on average. It is a token bucket counted in seconds of target CPU:
// the budget fills it with time, every measured hit drains it. The probes
// are attached when the bucket is full (one window's allowance) and
// detached when what is left would just cover the hits expected while the
// detach completes; hits beyond that become debt that delays the next
// attach. Because it spends measured hits rather than planned on-time,
// slow attaches and detaches on a loaded machine neither stop the probes
// from coming back nor break the budget. Pure logic; not safe for
// concurrent use.
type traceGovernor struct {
	budget  float64 // fraction of one CPU; ≥ 1 means unthrottled
	hitCost float64 // seconds of target CPU per hit
	full    float64 // bucket size: the budget over one window, in seconds

	credit   float64   // seconds of cost still allowed (negative: debt)
	rateOn   float64   // smoothed cost per second while attached
	detachS  float64   // smoothed detach latency, seconds
	last     time.Time // time of the last step
	lastHits uint64
}

// govFill is the share of the budget the bucket is filled with: the rest
// is headroom for the target's variation around the measured hit rate.
const govFill = 0.9

func newTraceGovernor(budget float64, hitCost, window time.Duration) *traceGovernor {
	full := budget * window.Seconds()
	// The bucket starts empty: the probes attached by Watch run for one
	// step and the budget then holds from the first window on.
	return &traceGovernor{budget: budget, hitCost: hitCost.Seconds(), full: full}
}

// start begins accounting at now with the hit counter at hits.
func (g *traceGovernor) start(now time.Time, hits uint64) {
	g.last, g.lastHits = now, hits
}

// step accounts the hits counted since the last step (hits is the running
// total) and reports whether the probes should be attached. on tells
// whether they were attached for the whole interval.
func (g *traceGovernor) step(now time.Time, hits uint64, on bool) bool {
	if g.last.IsZero() {
		g.start(now, hits)
	}
	dt := now.Sub(g.last).Seconds()
	var dh uint64
	if hits >= g.lastHits { // the counter restarts when programs are reloaded
		dh = hits - g.lastHits
	}
	g.last, g.lastHits = now, hits
	cost := float64(dh) * g.hitCost
	g.credit = min(g.full, g.credit+govFill*g.budget*dt-cost)
	if on && dt > 0 && dh > 0 {
		r := cost / dt
		if g.rateOn == 0 {
			g.rateOn = r
		} else {
			g.rateOn = 0.8*g.rateOn + 0.2*r
		}
	}
	if g.budget >= 1 {
		return true
	}
	if on {
		return g.credit > g.reserve()
	}
	return g.credit >= g.full
}

// reserve is the credit kept back for the hits that land while a detach
// completes; at most half the bucket so that the probes always get an
// on-period.
func (g *traceGovernor) reserve() float64 {
	return min(g.rateOn*g.detachS, g.full/2)
}

// detached records how long a detach took.
func (g *traceGovernor) detached(d time.Duration) {
	if g.detachS == 0 {
		g.detachS = d.Seconds()
	} else {
		g.detachS = 0.7*g.detachS + 0.3*d.Seconds()
	}
}

// refillIn is how long the bucket takes to fill from its present credit
// with no hits (the probes detached): when they may come back.
func (g *traceGovernor) refillIn() time.Duration {
	if g.budget >= 1 || g.credit >= g.full {
		return 0
	}
	return time.Duration((g.full - g.credit) / (govFill * g.budget) * float64(time.Second))
}

// traceHoldLog is how many windows the probes stay detached before the
// reason is logged.
const traceHoldLog = 5

// traceSwitch attaches and detaches the trace probes of every traced
// executable (the Manager; a fake in tests).
type traceSwitch interface {
	// switchTrace attaches (on) or detaches them. It reports whether any
	// is attached afterwards and the first error.
	switchTrace(on bool) (live bool, err error)
}

// traceStepper is the state machine around the governor: it switches the
// probes as the governor says, keeping on true only while probes are
// really attached. A failed attach is retried every retry (logged once
// per streak); probes held detached longer than holdLog are logged with
// the governor's reason (its debt and when it will have refilled); a
// probe attached but silent while the target's runtime counts scheduling
// events (silent) is attached again. Not safe for concurrent use.
type traceStepper struct {
	gov     *traceGovernor
	log     *slog.Logger
	retry   time.Duration // after a failed attach
	holdLog time.Duration // off this long: say why, once per off-period

	on       bool
	since    time.Time // when on last changed
	retryAt  time.Time // no attach before
	failing  bool      // an attach failed; not attached since
	heldLogd bool      // this off-period's reason was logged
	// the liveness check (silent): hits and the runtime's scheduling
	// count at the last check, zero time when not comparable
	liveAt    time.Time
	liveHits  uint64
	liveSched uint64
}

// step accounts hits (the running total) at now and switches the probes
// as the governor says.
func (s *traceStepper) step(now time.Time, hits uint64, sw traceSwitch) {
	want := s.gov.step(now, hits, s.on)
	switch {
	case want && !s.on:
		if now.Before(s.retryAt) {
			return
		}
		start := time.Now()
		live, err := sw.switchTrace(true)
		if !live {
			s.retryAt = now.Add(s.retry)
			if !s.failing {
				s.failing = true
				s.log.Warn("trace probes not attached: trace mode is off until an attach succeeds", "retry_every", s.retry, "err", err)
			}
			return
		}
		if err != nil {
			s.log.Warn("trace probes attached for some executables only", "err", err)
		}
		if s.failing {
			s.failing = false
			s.log.Info("trace probes attached again")
		}
		s.log.Debug("trace probes attached", "took", time.Since(start))
		s.switched(now, true, hits)
	case !want && s.on:
		start := time.Now()
		sw.switchTrace(false)
		lat := time.Since(start)
		s.gov.detached(lat)
		s.log.Debug("trace probes detached", "took", lat, "credit_s", s.gov.credit, "refill_in", s.gov.refillIn())
		s.switched(now.Add(lat), false, hits)
	case !s.on && !s.heldLogd && now.Sub(s.since) >= s.holdLog:
		s.heldLogd = true
		s.log.Info("trace probes held detached by the overhead budget", "off_for", now.Sub(s.since).Round(time.Millisecond),
			"budget", s.gov.budget, "debt_s", max(0, -s.gov.credit), "refill_in", s.gov.refillIn().Round(time.Millisecond))
	}
}

// switched records that the probes were attached (on) or detached at now.
func (s *traceStepper) switched(now time.Time, on bool, hits uint64) {
	s.on, s.since, s.heldLogd = on, now, false
	s.liveAt = time.Time{}
	if on {
		s.gov.start(now, hits)
	}
}

// silent reports whether the attached probes missed what the target's
// runtime did since the last call: its count of scheduling events
// (sched, the runtime's scheduling-latency histogram, recorded in
// runtime.casgstatus itself, the function the trace probe is on) grew by
// at least minSched while the probes were attached throughout and not
// one probe hit came (hits).
func (s *traceStepper) silent(now time.Time, hits, sched uint64) bool {
	const minSched = 8
	was, wasHits, wasSched := s.liveAt, s.liveHits, s.liveSched
	s.liveAt, s.liveHits, s.liveSched = now, hits, sched
	if !s.on || was.IsZero() || was.Before(s.since) {
		return false
	}
	return hits == wasHits && sched >= wasSched+minSched
}
