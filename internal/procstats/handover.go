package procstats

import (
	"slices"

	"github.com/gopulse/gopulse/event"
)

// Snapshot is the aggregation's counters and histograms, written by an agent
// handing over to its successor (gopulse agent --takeover) so that no
// counter resets. Gauges are not kept: the next sample restores them.
type Snapshot struct {
	Procs []ProcSnapshot `json:"procs"`
}

// ProcSnapshot is one process's cumulative series.
type ProcSnapshot struct {
	PID        uint32         `json:"pid"`
	GCCycles   uint64         `json:"gc_cycles"`
	GCDuration HistSnapshot   `json:"gc_duration"`
	Pauses     []HistSnapshot `json:"pauses"` // by event.STWReason
	SchedTrace HistSnapshot   `json:"sched_trace"`
	Created    uint64         `json:"goroutines_created"`
	Phases     []HistSnapshot `json:"gc_phases,omitempty"` // by Phase
}

// HistSnapshot is a histogram's per-bucket counts (the last one +Inf).
type HistSnapshot struct {
	Counts []uint64 `json:"counts,omitempty"`
	Sum    float64  `json:"sum"`
	Count  uint64   `json:"count"`
	Min    float64  `json:"min,omitempty"`
	Max    float64  `json:"max,omitempty"`
}

func (h *Hist) snapshot() HistSnapshot {
	return HistSnapshot{Counts: slices.Clone(h.Counts), Sum: h.Sum, Count: h.Count, Min: h.Min, Max: h.Max}
}

// restore adds s to h when the bucket layouts agree; it reports whether
// they did.
func (h *Hist) restore(bounds []float64, s HistSnapshot) bool {
	if len(s.Counts) == 0 {
		return true
	}
	if len(s.Counts) != len(bounds)+1 {
		return false
	}
	if h.Counts == nil {
		*h = newHist(bounds)
	}
	for i, c := range s.Counts {
		h.Counts[i] += c
	}
	if s.Count > 0 {
		if h.Count == 0 || s.Min < h.Min {
			h.Min = s.Min
		}
		if h.Count == 0 || s.Max > h.Max {
			h.Max = s.Max
		}
	}
	h.Sum += s.Sum
	h.Count += s.Count
	return true
}

// Snapshot returns every process's cumulative series.
func (a *Aggregator[X]) Snapshot() Snapshot {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := Snapshot{Procs: make([]ProcSnapshot, 0, len(a.order))}
	for _, ps := range a.order {
		s := ProcSnapshot{PID: ps.PID, GCCycles: ps.GCCycles, GCDuration: ps.GCDuration.snapshot(),
			SchedTrace: ps.SchedTrace.snapshot(), Created: ps.Created}
		for i := range ps.Pauses {
			s.Pauses = append(s.Pauses, ps.Pauses[i].snapshot())
		}
		for i := range ps.Phases {
			s.Phases = append(s.Phases, ps.Phases[i].snapshot())
		}
		out.Procs = append(out.Procs, s)
	}
	return out
}

// Restore adds a predecessor's snapshot to the aggregation (call it before
// events arrive). keep, when not nil, selects the processes still alive.
// It returns the pids whose histograms were skipped because the bucket
// layout changed (their counters are restored all the same). The GC count
// is the runtime's own, so it is taken, not added.
func (a *Aggregator[X]) Restore(s Snapshot, keep func(pid uint32) bool) []uint32 {
	a.mu.Lock()
	defer a.mu.Unlock()
	var skipped []uint32
	for _, p := range s.Procs {
		if keep != nil && !keep(p.PID) {
			continue
		}
		ps := a.state(p.PID)
		ps.lastSeen = a.now().UnixNano()
		ps.GCCycles = max(ps.GCCycles, p.GCCycles)
		ps.Created += p.Created
		ok := ps.GCDuration.restore(a.cfg.GCBuckets, p.GCDuration)
		ok = ps.SchedTrace.restore(a.cfg.SchedBuckets, p.SchedTrace) && ok
		for i, h := range p.Pauses {
			if i > int(event.STWOther) {
				break
			}
			ok = ps.Pauses[i].restore(a.cfg.PauseBuckets, h) && ok
		}
		for i, h := range p.Phases {
			if i >= int(NumPhases) {
				break
			}
			ok = ps.Phases[i].restore(a.cfg.GCBuckets, h) && ok
		}
		if !ok {
			skipped = append(skipped, p.PID)
		}
	}
	return skipped
}
