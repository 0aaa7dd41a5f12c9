package jaeger

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gopulse/gopulse/event"
)

// Sampling decisions on GC cycles, the values of the `decision` label of
// gopulse_trace_gc_cycles_total.
const (
	DecisionSlow    = "kept_slow"       // a pause or the cycle crossed its threshold: always kept
	DecisionSampled = "kept_sampled"    // kept by the sampling rate
	DecisionDropped = "dropped"         // left out by the sampling rate
	DecisionPartial = "dropped_partial" // attached mid-cycle: its duration is not known
)

// sampler keeps every GC cycle that is slow (a stop-the-world pause of at
// least slowPause, or a whole cycle of at least slowCycle) and a fixed
// share of the others. The decision is a function of the trace id (like
// OpenTelemetry's TraceIdRatioBased), so a replayed cycle gets the same one.
type sampler struct {
	slowPause, slowCycle int64
	bound                uint64 // keep when the trace id's low 8 bytes are below it
	all                  bool   // rate 1
	counts               map[string]prometheus.Counter
}

func newSampler(cfg Config, reg prometheus.Registerer) (*sampler, error) {
	s := &sampler{slowPause: cfg.SlowPause.Nanoseconds(), slowCycle: cfg.SlowCycle.Nanoseconds(), all: cfg.SampleRate >= 1}
	if !s.all {
		s.bound = uint64(cfg.SampleRate * math.MaxUint64)
	}
	vec := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "gopulse_trace_gc_cycles_total",
		Help: "GC cycles seen by the trace exporter, by sampling decision (kept_slow, kept_sampled, dropped, dropped_partial).",
	}, []string{"decision"})
	if reg != nil {
		if err := reg.Register(vec); err != nil {
			return nil, fmt.Errorf("register trace sampling metrics: %w", err)
		}
	}
	s.counts = map[string]prometheus.Counter{}
	for _, d := range []string{DecisionSlow, DecisionSampled, DecisionDropped, DecisionPartial} {
		s.counts[d] = vec.WithLabelValues(d) // exists at 0 from the start
	}
	return s, nil
}

// keep decides on one finished cycle whose longest pause is maxPauseNS.
func (s *sampler) keep(tid [16]byte, ev *event.Runtime, maxPauseNS int64) bool {
	d := s.decide(tid, ev, maxPauseNS)
	s.counts[d].Inc()
	return d == DecisionSlow || d == DecisionSampled
}

func (s *sampler) decide(tid [16]byte, ev *event.Runtime, maxPauseNS int64) string {
	switch {
	case ev.Partial:
		return DecisionPartial
	case maxPauseNS >= s.slowPause || max(ev.SweepTermNS, ev.MarkTermNS) >= s.slowPause || ev.DurationNS >= s.slowCycle:
		return DecisionSlow
	case s.all || binary.BigEndian.Uint64(tid[8:]) < s.bound:
		return DecisionSampled
	}
	return DecisionDropped
}
