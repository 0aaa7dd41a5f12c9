// Package jaeger turns Go runtime events into traces and exports them to
// Jaeger: one trace per GC cycle (a root span for the cycle with child spans
// for the sweep-termination stop-the-world pause, the concurrent mark and the
// mark-termination pause), plus one single-span trace per long non-GC
// stop-the-world pause.
//
// Two encoders write the same spans by hand into reused buffers: OTLP
// (ExportTraceServiceRequest, protobuf over HTTP /v1/traces) for Jaeger v2,
// the default, and the jaeger-idl api_v2 PostSpansRequest sent over gRPC
// (CollectorService.PostSpans) for Jaeger v1.
package jaeger

import (
	"github.com/gopulse/gopulse/event"
)

// Span names.
const (
	NameGCCycle        = "gc cycle"
	NameSweepTerm      = "gc sweep termination (stw)"
	NameMark           = "gc concurrent mark"
	NameMarkTerm       = "gc mark termination (stw)"
	NameSTWPrefix      = "stw "
	attrCycle          = "go.gc.cycle"
	attrPhase          = "go.gc.phase"
	attrReason         = "go.stw.reason"
	attrStopsTheWorld  = "go.stw"
	phaseSweepTerm     = "sweep_termination"
	phaseMark          = "mark"
	phaseMarkTerm      = "mark_termination"
	maxPendingSTW      = 8
	pendingSTWSlackNS  = 50_000_000 // a GC pause may be seen up to 50 ms off the cycle's bounds
	noCycle            = -1
	defaultMaxSpansBuf = 4096
)

// span is one span in the encoder-neutral form both encoders read.
type span struct {
	pid      uint32
	traceID  [16]byte
	spanID   [8]byte
	parentID [8]byte // zero for a root span
	name     string  // constant or interned: never built per event
	start    int64   // Unix ns
	end      int64   // Unix ns
	cycle    int64   // noCycle when not a GC span
	phase    string
	reason   string
	stw      bool
	next     int32 // next span of the same process in the batch, -1 at the tail
}

func (s *span) root() bool { return s.parentID == [8]byte{} }

// mix is splitmix64's finaliser: a cheap, well-spread hash.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

func putU64(b []byte, v uint64) {
	_ = b[7]
	b[0], b[1], b[2], b[3] = byte(v>>56), byte(v>>48), byte(v>>40), byte(v>>32)
	b[4], b[5], b[6], b[7] = byte(v>>24), byte(v>>16), byte(v>>8), byte(v)
}

// traceIDFor derives a trace id from what identifies the trace, so that a
// replayed event (after a restart) yields the same trace rather than a
// duplicate one.
func traceIDFor(pid uint32, startNS int64, cycle uint32, salt uint64) (id [16]byte) {
	hi := mix(uint64(pid)<<32 | uint64(cycle) ^ salt)
	lo := mix(uint64(startNS) ^ hi)
	if hi == 0 && lo == 0 {
		lo = 1
	}
	putU64(id[:8], hi)
	putU64(id[8:], lo)
	return id
}

func spanIDFor(trace [16]byte, n uint64) (id [8]byte) {
	var v uint64
	for _, c := range trace[8:] {
		v = v<<8 | uint64(c)
	}
	v = mix(v + n)
	if v == 0 {
		v = 1
	}
	putU64(id[:], v)
	return id
}

// stwNames holds "stw <reason>" for each reason, built once.
var stwSpanNames = func() [event.STWOther + 1]string {
	var n [event.STWOther + 1]string
	for r := range n {
		n[r] = NameSTWPrefix + event.STWReason(r).String()
	}
	return n
}()

func stwSpanName(r event.STWReason) string {
	if int(r) < len(stwSpanNames) {
		return stwSpanNames[r]
	}
	return stwSpanNames[event.STWOther]
}

// pauses remembers the recent GC pauses of one process, to give the phase
// spans of the next finished cycle their exact bounds.
type pauses struct {
	buf [maxPendingSTW]struct {
		start, dur int64
		reason     event.STWReason
	}
	n, head int
}

func (p *pauses) add(ev *event.Runtime) {
	i := (p.head + p.n) % maxPendingSTW
	if p.n == maxPendingSTW {
		p.head = (p.head + 1) % maxPendingSTW
	} else {
		p.n++
	}
	p.buf[i].start, p.buf[i].dur, p.buf[i].reason = ev.StartNS, ev.DurationNS, ev.Reason
}

// take returns the last pause with the reason inside [from, to], if any.
func (p *pauses) take(r event.STWReason, from, to int64) (start, dur int64, ok bool) {
	for k := p.n - 1; k >= 0; k-- {
		b := &p.buf[(p.head+k)%maxPendingSTW]
		if b.reason == r && b.start >= from-pendingSTWSlackNS && b.start <= to+pendingSTWSlackNS {
			return b.start, b.dur, true
		}
	}
	return 0, 0, false
}

// builder turns runtime events into spans.
type builder struct {
	stwThreshold int64
	salt         uint64
	pending      map[uint32]*pauses
	sample       *sampler // nil: every GC cycle is traced
}

func newBuilder(stwThresholdNS int64, salt uint64) *builder {
	return &builder{stwThreshold: stwThresholdNS, salt: salt, pending: make(map[uint32]*pauses)}
}

// add appends the spans ev yields to spans and returns it.
func (b *builder) add(spans []span, ev *event.Runtime) []span {
	switch ev.Kind {
	case event.KindSTW:
		if ev.Reason.IsGC() {
			p := b.pending[ev.PID]
			if p == nil {
				p = &pauses{}
				b.pending[ev.PID] = p
			}
			p.add(ev)
			return spans
		}
		if ev.DurationNS < b.stwThreshold || ev.DurationNS <= 0 {
			return spans
		}
		tid := traceIDFor(ev.PID, ev.StartNS, uint32(ev.Reason), b.salt^0x5157)
		return append(spans, span{
			pid: ev.PID, traceID: tid, spanID: spanIDFor(tid, 0),
			name: stwSpanName(ev.Reason), start: ev.StartNS, end: ev.StartNS + ev.DurationNS,
			cycle: noCycle, reason: ev.Reason.String(), stw: true, next: -1,
		})
	case event.KindGCEnd:
		return b.gc(spans, ev)
	case event.KindProcExit:
		delete(b.pending, ev.PID)
	}
	return spans
}

func (b *builder) gc(spans []span, ev *event.Runtime) []span {
	start := ev.StartNS
	dur := ev.DurationNS
	if phases := ev.SweepTermNS + ev.MarkNS + ev.MarkTermNS; dur < phases {
		dur = phases
	}
	if start == 0 {
		start = ev.TS - dur
	}
	end := start + dur
	tid := traceIDFor(ev.PID, start, ev.Cycle, b.salt)
	root := span{
		pid: ev.PID, traceID: tid, spanID: spanIDFor(tid, 0), name: NameGCCycle,
		start: start, end: end, cycle: int64(ev.Cycle), next: -1,
	}

	// Phase bounds from the cycle's own accounting, refined by the pauses
	// seen on their own when there are any.
	swStart, swDur := start, ev.SweepTermNS
	mtStart, mtDur := end-ev.MarkTermNS, ev.MarkTermNS
	if p := b.pending[ev.PID]; p != nil {
		if s, d, ok := p.take(event.STWGCSweepTermination, start, end); ok {
			swStart, swDur = s, d
		}
		if s, d, ok := p.take(event.STWGCMarkTermination, start, end); ok {
			mtStart, mtDur = s, d
		}
	}
	if b.sample != nil && !b.sample.keep(tid, ev, max(swDur, mtDur)) {
		return spans
	}
	spans = append(spans, root)
	child := func(n uint64, name, phase string, from, to int64, stw bool) span {
		s := span{
			pid: ev.PID, traceID: tid, spanID: spanIDFor(tid, n), parentID: root.spanID,
			name: name, start: from, end: to, cycle: int64(ev.Cycle), phase: phase, stw: stw, next: -1,
		}
		if stw {
			if n == 1 {
				s.reason = event.STWGCSweepTermination.String()
			} else {
				s.reason = event.STWGCMarkTermination.String()
			}
		}
		return s
	}
	if swDur > 0 {
		spans = append(spans, child(1, NameSweepTerm, phaseSweepTerm, swStart, swStart+swDur, true))
	}
	markStart := swStart + swDur
	markEnd := markStart + ev.MarkNS
	if mtDur > 0 && ev.MarkNS == 0 {
		markEnd = mtStart
	}
	if markEnd > markStart {
		spans = append(spans, child(2, NameMark, phaseMark, markStart, markEnd, false))
	}
	if mtDur > 0 {
		spans = append(spans, child(3, NameMarkTerm, phaseMarkTerm, mtStart, mtStart+mtDur, true))
	}
	return spans
}
