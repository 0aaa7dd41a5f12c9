package probes

import "time"

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
