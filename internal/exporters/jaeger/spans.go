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
	"github.com/gopulse/gopulse/internal/procstats"
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

// builder turns runtime events into spans.
type builder struct {
	stwThreshold int64
	salt         uint64
	pending      map[uint32]*procstats.Pairing // GC pauses waiting for their cycle's end
	sample       *sampler                      // nil: every GC cycle is traced
}

func newBuilder(stwThresholdNS int64, salt uint64) *builder {
	return &builder{stwThreshold: stwThresholdNS, salt: salt, pending: make(map[uint32]*procstats.Pairing)}
}

// add appends the spans ev yields to spans and returns it.
func (b *builder) add(spans []span, ev *event.Runtime) []span {
	switch ev.Kind {
	case event.KindSTW:
		if ev.Reason.IsGC() {
			p := b.pending[ev.PID]
			if p == nil {
				p = &procstats.Pairing{}
				b.pending[ev.PID] = p
			}
			p.AddPause(ev)
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
	p := b.pending[ev.PID]
	if p == nil {
		p = &procstats.Pairing{}
	}
	c := p.Cycle(ev)
	tid := traceIDFor(ev.PID, c.Start, ev.Cycle, b.salt)
	root := span{
		pid: ev.PID, traceID: tid, spanID: spanIDFor(tid, 0), name: NameGCCycle,
		start: c.Start, end: c.End, cycle: int64(ev.Cycle), next: -1,
	}
	if b.sample != nil && !b.sample.keep(tid, ev, max(c.SweepEnd-c.SweepStart, c.MarkTermEnd-c.MarkTermStart)) {
		return spans
	}
	spans = append(spans, root)
	child := func(n uint64, name, phase string, from, to int64, reason event.STWReason) span {
		s := span{
			pid: ev.PID, traceID: tid, spanID: spanIDFor(tid, n), parentID: root.spanID,
			name: name, start: from, end: to, cycle: int64(ev.Cycle), phase: phase, next: -1,
		}
		if reason != event.STWUnknown {
			s.stw, s.reason = true, reason.String()
		}
		return s
	}
	if c.SweepEnd > c.SweepStart {
		spans = append(spans, child(1, NameSweepTerm, phaseSweepTerm, c.SweepStart, c.SweepEnd, event.STWGCSweepTermination))
	}
	if c.MarkEnd > c.MarkStart {
		spans = append(spans, child(2, NameMark, phaseMark, c.MarkStart, c.MarkEnd, event.STWUnknown))
	}
	if c.MarkTermEnd > c.MarkTermStart {
		spans = append(spans, child(3, NameMarkTerm, phaseMarkTerm, c.MarkTermStart, c.MarkTermEnd, event.STWGCMarkTermination))
	}
	return spans
}
