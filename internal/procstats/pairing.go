package procstats

import "github.com/gopulse/gopulse/event"

const (
	maxPendingPauses = 8
	// pauseSlackNS: a GC pause may be seen up to 50 ms off its cycle's
	// bounds (the cycle's start and end come from other clock readings).
	pauseSlackNS = 50_000_000
)

// Pairing remembers the recent GC pauses of one process, so that the cycle
// that ends next gets its phases' exact bounds: the stop-the-world pauses
// seen on their own are the runtime's own clock readings, whereas a
// gc_end's phase durations are its accounting. Not safe for concurrent use.
type Pairing struct {
	buf [maxPendingPauses]struct {
		start, dur int64
		reason     event.STWReason
	}
	n, head int
}

// AddPause records a GC pause (other pauses are ignored).
func (p *Pairing) AddPause(ev *event.Runtime) {
	if !ev.Reason.IsGC() {
		return
	}
	i := (p.head + p.n) % maxPendingPauses
	if p.n == maxPendingPauses {
		p.head = (p.head + 1) % maxPendingPauses
	} else {
		p.n++
	}
	p.buf[i].start, p.buf[i].dur, p.buf[i].reason = ev.StartNS, ev.DurationNS, ev.Reason
}

// take returns the last pause with the reason inside [from, to], if any.
func (p *Pairing) take(r event.STWReason, from, to int64) (start, dur int64, ok bool) {
	for k := p.n - 1; k >= 0; k-- {
		b := &p.buf[(p.head+k)%maxPendingPauses]
		if b.reason == r && b.start >= from-pauseSlackNS && b.start <= to+pauseSlackNS {
			return b.start, b.dur, true
		}
	}
	return 0, 0, false
}

// Cycle is one finished GC cycle with its phases' bounds (Unix ns).
type Cycle struct {
	Number     uint32
	Start, End int64
	// Sweep termination (stop-the-world), concurrent mark, mark
	// termination (stop-the-world); a phase with no duration was not seen.
	SweepStart, SweepEnd       int64
	MarkStart, MarkEnd         int64
	MarkTermStart, MarkTermEnd int64
}

// PhaseNS returns the duration of a phase.
func (c *Cycle) PhaseNS(ph Phase) int64 {
	switch ph {
	case PhaseSweepTermination:
		return c.SweepEnd - c.SweepStart
	case PhaseMark:
		return c.MarkEnd - c.MarkStart
	case PhaseMarkTermination:
		return c.MarkTermEnd - c.MarkTermStart
	}
	return 0
}

// Cycle returns the bounds of the cycle a gc_end event closes: the phases
// from the cycle's own accounting, refined by the pauses seen on their own
// when there are any.
func (p *Pairing) Cycle(ev *event.Runtime) Cycle {
	start := ev.StartNS
	dur := ev.DurationNS
	if phases := ev.SweepTermNS + ev.MarkNS + ev.MarkTermNS; dur < phases {
		dur = phases
	}
	if start == 0 {
		start = ev.TS - dur
	}
	end := start + dur
	swStart, swDur := start, ev.SweepTermNS
	mtStart, mtDur := end-ev.MarkTermNS, ev.MarkTermNS
	if s, d, ok := p.take(event.STWGCSweepTermination, start, end); ok {
		swStart, swDur = s, d
	}
	if s, d, ok := p.take(event.STWGCMarkTermination, start, end); ok {
		mtStart, mtDur = s, d
	}
	c := Cycle{Number: ev.Cycle, Start: start, End: end}
	if swDur > 0 {
		c.SweepStart, c.SweepEnd = swStart, swStart+swDur
	}
	markStart := swStart + swDur
	markEnd := markStart + ev.MarkNS
	if mtDur > 0 && ev.MarkNS == 0 {
		markEnd = mtStart
	}
	if markEnd > markStart {
		c.MarkStart, c.MarkEnd = markStart, markEnd
	}
	if mtDur > 0 {
		c.MarkTermStart, c.MarkTermEnd = mtStart, mtStart+mtDur
	}
	return c
}
