package prom

import (
	"slices"
	"time"

	"github.com/gopulse/gopulse/event"
)

// RuntimeSnapshot is the aggregation's counters and histograms, written by
// an agent handing over to its successor (gopulse agent --takeover) so that
// no counter resets. Gauges are not kept: the next sample restores them.
type RuntimeSnapshot struct {
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
}

// HistSnapshot is a histogram's per-bucket counts (the last one +Inf).
type HistSnapshot struct {
	Counts []uint64 `json:"counts,omitempty"`
	Sum    float64  `json:"sum"`
	Count  uint64   `json:"count"`
}

func (h *hist) snapshot() HistSnapshot {
	return HistSnapshot{Counts: slices.Clone(h.counts), Sum: h.sum, Count: h.count}
}

// restore adds s to h when the bucket layouts agree; it reports whether
// they did.
func (h *hist) restore(bounds []float64, s HistSnapshot) bool {
	if len(s.Counts) == 0 {
		return true
	}
	if len(s.Counts) != len(bounds)+1 {
		return false
	}
	if h.counts == nil {
		*h = newHist(bounds)
	}
	for i, c := range s.Counts {
		h.counts[i] += c
	}
	h.sum += s.Sum
	h.count += s.Count
	return true
}

// Snapshot returns every process's cumulative series.
func (r *Runtime) Snapshot() RuntimeSnapshot {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := RuntimeSnapshot{Procs: make([]ProcSnapshot, 0, len(r.order))}
	for _, ps := range r.order {
		s := ProcSnapshot{PID: ps.pid, GCCycles: ps.gcCycles, GCDuration: ps.gcDur.snapshot(),
			SchedTrace: ps.schedTrace.snapshot(), Created: ps.created}
		for i := range ps.pauses {
			s.Pauses = append(s.Pauses, ps.pauses[i].snapshot())
		}
		out.Procs = append(out.Procs, s)
	}
	return out
}

// Restore adds a predecessor's snapshot to the aggregation (call it before
// events arrive). keep, when not nil, selects the processes still alive.
// It returns the pids whose histograms were skipped because the bucket
// layout changed (their counters are restored all the same).
func (r *Runtime) Restore(s RuntimeSnapshot, keep func(pid uint32) bool) []uint32 {
	r.mu.Lock()
	defer r.mu.Unlock()
	var skipped []uint32
	for _, p := range s.Procs {
		if keep != nil && !keep(p.PID) {
			continue
		}
		ps := r.state(p.PID)
		ps.lastSeen = time.Now().UnixNano()
		ps.gcCycles += p.GCCycles
		ps.created += p.Created
		ok := ps.gcDur.restore(r.cfg.GCBuckets, p.GCDuration)
		ok = ps.schedTrace.restore(r.cfg.SchedBuckets, p.SchedTrace) && ok
		for i, h := range p.Pauses {
			if i > int(event.STWOther) {
				break
			}
			ok = ps.pauses[i].restore(r.cfg.PauseBuckets, h) && ok
		}
		if !ok {
			skipped = append(skipped, p.PID)
		}
	}
	return skipped
}
