package delivery

import (
	"math"
	"time"
)

type breakerState uint8

const (
	stateClosed breakerState = iota
	stateOpen
	stateHalfOpen
)

func (s breakerState) String() string {
	switch s {
	case stateOpen:
		return "open"
	case stateHalfOpen:
		return "half_open"
	}
	return "closed"
}

// endpointState is one endpoint's circuit breaker, AIMD concurrency limit and
// Retry-After pause. It is guarded by the queue's mutex.
type endpointState struct {
	ep    Endpoint
	idx   int
	label string

	state       breakerState
	failures    int           // consecutive
	openUntil   time.Time     // when open: earliest half-open probe
	openTimeout time.Duration // current (doubles on failed probes)
	baseOpen    time.Duration
	probing     bool // half-open: the probe request is in flight

	limit       float64 // AIMD concurrency limit
	inflight    int
	pausedUntil time.Time // Retry-After
}

func newEndpointState(ep Endpoint, idx int, cfg *Config) *endpointState {
	return &endpointState{
		ep: ep, idx: idx, label: ep.URL,
		openTimeout: cfg.Breaker.OpenTimeout,
		baseOpen:    cfg.Breaker.OpenTimeout,
		limit:       float64(cfg.Concurrency.Min),
	}
}

// available reports whether a request may go to the endpoint now; if not,
// when it might (zero: on the next completion).
func (e *endpointState) available(now time.Time) (bool, time.Time) {
	if now.Before(e.pausedUntil) {
		return false, e.pausedUntil
	}
	switch e.state {
	case stateOpen:
		if now.Before(e.openUntil) {
			return false, e.openUntil
		}
		e.state = stateHalfOpen
		fallthrough
	case stateHalfOpen:
		if e.probing {
			return false, time.Time{}
		}
		return true, time.Time{}
	}
	if e.inflight >= int(math.Floor(e.limit)) {
		return false, time.Time{}
	}
	return true, time.Time{}
}

// acquire takes a concurrency slot for a request.
func (e *endpointState) acquire() {
	e.inflight++
	if e.state == stateHalfOpen {
		e.probing = true
	}
}

// success records a delivered request.
func (e *endpointState) success(latency time.Duration, cfg *Config) {
	e.inflight--
	e.probing = false
	e.failures = 0
	if e.state != stateClosed {
		e.state = stateClosed
		e.openTimeout = cfg.Breaker.OpenTimeout
	}
	cc := cfg.Concurrency
	if latency > cc.LatencyTarget {
		e.limit = math.Max(float64(cc.Min), e.limit*cc.Backoff)
		return
	}
	e.limit = math.Min(float64(cc.Max), e.limit+1/e.limit)
}

// failure records a retryable failure (429, 5xx, network). It reports whether
// the breaker opened.
func (e *endpointState) failure(now time.Time, o outcome, cfg *Config) bool {
	e.inflight--
	cc := cfg.Concurrency
	e.limit = math.Max(float64(cc.Min), e.limit*cc.Backoff)
	if o.retryAfter > 0 {
		ra := min(o.retryAfter, cfg.Retry.MaxRetryAfter)
		if t := now.Add(ra); t.After(e.pausedUntil) {
			e.pausedUntil = t
		}
	}
	if o.throttled {
		// The backend is alive and asked us to slow down: AIMD and
		// Retry-After handle it; do not declare it dead.
		e.probing = false
		return false
	}
	e.failures++
	wasProbe := e.state == stateHalfOpen
	e.probing = false
	if wasProbe {
		e.openTimeout = min(2*e.openTimeout, cfg.Breaker.MaxOpenTimeout)
		e.open(now)
		return true
	}
	if e.state == stateClosed && e.failures >= cfg.Breaker.FailureThreshold {
		e.open(now)
		return true
	}
	return false
}

// released returns a slot without a verdict (the request was cancelled).
func (e *endpointState) released() {
	e.inflight--
	e.probing = false
}

// rejected: the backend answered, but refused the payload: the endpoint works.
func (e *endpointState) rejected() {
	e.inflight--
	e.probing = false
	e.failures = 0
	if e.state != stateClosed {
		e.state = stateClosed
	}
}

func (e *endpointState) open(now time.Time) {
	e.state = stateOpen
	e.openUntil = now.Add(e.openTimeout)
}

// healthResult applies a health check: a failing check opens a closed
// breaker (fail over before traffic is lost), a passing one closes it (fail
// back; the concurrency limit starts low again and grows with successes).
func (e *endpointState) healthResult(now time.Time, ok bool) {
	switch {
	case ok && e.state != stateClosed && !e.probing:
		e.state = stateClosed
		e.failures = 0
		e.openTimeout = e.baseOpen
	case !ok && e.state == stateClosed:
		e.open(now)
	}
}
