package probes

import (
	"testing"
	"unsafe"

	"github.com/gopulse/gopulse/event"
)

type fakeSyms map[uint64]string

func (f fakeSyms) FuncForPC(pc uint64) (string, bool) { s, ok := f[pc]; return s, ok }

type collect struct{ evs []event.Runtime }

func (c *collect) HandleRuntime(ev *event.Runtime) { c.evs = append(c.evs, *ev) }

const (
	pcMarkDone = 0x1000
	pcMarkTerm = 0x2000
	pcGCStart  = 0x3000
	pcOther    = 0x4000
	pcGoStmt   = 0x5000
	pcGoFunc   = 0x6000
)

var syms = fakeSyms{
	pcMarkDone: "runtime.gcMarkDone.func3",
	pcMarkTerm: "runtime.gcMarkTermination.func4",
	pcGCStart:  "runtime.gcStart.func3",
	pcOther:    "runtime.startTheWorld.func1",
	pcGoStmt:   "main.serve",
	pcGoFunc:   "main.serve.func1",
}

func stw(reason uint8, start, end uint64, caller uint64, numgc int) rawEvent {
	r := rawEvent{TS: end + 5, A: start, B: end, D: caller, PID: 7, Kind: evSTW, Reason: reason}
	if numgc >= 0 {
		r.C, r.Flags = uint64(numgc), evfNumGC
	}
	return r
}

func TestDecoderGCCycleWithNumGC(t *testing.T) {
	var c collect
	d := newProcDecoder(7, 1000, 0, syms, nil)
	var ev event.Runtime
	for _, r := range []rawEvent{
		stw(2, 100, 150, pcGCStart, 41),   // sweep termination of cycle 42
		stw(1, 400, 460, pcMarkDone, 41),  // mark restart: not the end
		stw(1, 700, 780, pcMarkTerm, 42),  // mark termination: numgc now 42
		stw(7, 900, 910, pcOther, 42),     // ReadMemStats
		stw(2, 1000, 1040, pcGCStart, 42), // next cycle
		stw(1, 1300, 1330, pcMarkTerm, 43),
	} {
		d.handle(&r, &ev, &c)
	}
	var kinds []string
	for _, e := range c.evs {
		kinds = append(kinds, e.Kind.String())
	}
	want := []string{"gc_start", "stw", "stw", "stw", "gc_end", "stw", "gc_start", "stw", "stw", "gc_end"}
	if len(kinds) != len(want) {
		t.Fatalf("kinds = %v, want %v", kinds, want)
	}
	for i := range want {
		if kinds[i] != want[i] {
			t.Fatalf("kinds = %v, want %v", kinds, want)
		}
	}
	end := c.evs[4]
	if end.Cycle != 42 || end.StartNS != 1100 || end.DurationNS != 680 || end.SweepTermNS != 50 ||
		end.MarkNS != 550 || end.MarkTermNS != 80 {
		t.Errorf("gc_end = %+v", end)
	}
	if s := c.evs[1]; s.Reason != event.STWGCSweepTermination || s.Cycle != 42 || s.StartNS != 1100 || s.DurationNS != 50 {
		t.Errorf("sweep stw = %+v", s)
	}
	if s := c.evs[2]; s.Reason != event.STWGCMarkTermination || s.Cycle != 42 {
		t.Errorf("restart stw = %+v", s)
	}
	if s := c.evs[5]; s.Reason != event.STWReadMemStats || s.Cycle != 0 || s.DurationNS != 10 {
		t.Errorf("other stw = %+v", s)
	}
	if c.evs[9].Cycle != 43 {
		t.Errorf("second cycle = %d, want 43", c.evs[9].Cycle)
	}
}

func TestDecoderCountsWithoutNumGC(t *testing.T) {
	var c collect
	d := newProcDecoder(7, 0, 10, syms, nil) // seeded: 10 cycles done at attach
	var ev event.Runtime
	for _, r := range []rawEvent{
		stw(1, 50, 60, pcMarkTerm, -1), // attached mid-cycle: cycle 11 ends
		stw(2, 100, 150, pcGCStart, -1),
		stw(1, 400, 460, pcMarkDone, -1),
		stw(1, 700, 780, pcMarkTerm, -1),
	} {
		d.handle(&r, &ev, &c)
	}
	var ends []uint32
	for _, e := range c.evs {
		if e.Kind == event.KindGCEnd {
			ends = append(ends, e.Cycle)
		}
	}
	if len(ends) != 2 || ends[0] != 11 || ends[1] != 12 {
		t.Fatalf("gc_end cycles = %v, want [11 12]", ends)
	}
	// The cycle the probes attached in is marked partial (its duration is
	// only its last pause); the next one is whole.
	var partial []bool
	for _, e := range c.evs {
		if e.Kind == event.KindGCEnd {
			partial = append(partial, e.Partial)
		}
	}
	if !partial[0] || partial[1] {
		t.Fatalf("gc_end partial = %v, want [true false]", partial)
	}
}

func TestDecoderGoroutines(t *testing.T) {
	var c collect
	leaks := NewLeakDetector(LeakConfig{})
	d := newProcDecoder(7, 0, 0, syms, leaks)
	var ev event.Runtime
	for _, r := range []rawEvent{
		{Kind: evGoCreate, PID: 7, A: 20, B: 1, C: pcGoFunc, D: pcGoStmt},
		{Kind: evGoCreate, PID: 7, A: 21, B: 1, C: pcGoFunc, D: pcGoStmt},
		{Kind: evSched, PID: 7, A: 20, B: 1234},
		{Kind: evGoExit, PID: 7, A: 20},
	} {
		d.handle(&r, &ev, &c)
	}
	if c.evs[0].Site != "main.serve" || c.evs[0].Goid != 20 || c.evs[0].ParentGoid != 1 {
		t.Errorf("create = %+v", c.evs[0])
	}
	if c.evs[2].LatencyNS != 1234 || c.evs[3].Site != "main.serve" {
		t.Errorf("sched/exit = %+v %+v", c.evs[2], c.evs[3])
	}
	if leaks.Live("main.serve") != 1 {
		t.Errorf("live = %d, want 1", leaks.Live("main.serve"))
	}
	if cr, ex := d.goroutineCounts(); cr != 2 || ex != 1 {
		t.Errorf("counts = %d/%d", cr, ex)
	}
}

func TestDecodeRecord(t *testing.T) {
	if rawEventSize != 64 {
		t.Fatalf("rawEvent is %d bytes, want 64 (struct event in bpf/headers/gopulse.h)", rawEventSize)
	}
	buf := make([]byte, 64)
	want := rawEvent{TS: 1, A: 2, B: 3, C: 4, D: 5, PID: 6, TID: 7, Kind: evSTW, Reason: 2, Flags: evfNumGC}
	*(*rawEvent)(unsafe.Pointer(&buf[0])) = want
	got, ok := decodeRecord(buf[:rawEventSize])
	if !ok || *got != want {
		t.Fatalf("decode = %+v, %v", got, ok)
	}
	if _, ok := decodeRecord(buf[:10]); ok {
		t.Error("short record decoded")
	}
	if _, ok := decodeRecord(buf[1:]); ok {
		t.Error("misaligned record decoded")
	}
}

// nopSink aggregates like a real consumer would, without allocating.
type nopSink struct{ n, stw int64 }

func (s *nopSink) HandleRuntime(ev *event.Runtime) {
	s.n++
	if ev.Kind == event.KindSTW {
		s.stw += ev.DurationNS
	}
}

// BenchmarkDecodeAggregate measures user-space decoding plus GC-cycle
// aggregation per ring-buffer record (goal: ≥5M records/s per core, 0
// allocs).
func BenchmarkDecodeAggregate(b *testing.B) {
	recs := make([][]byte, 4)
	for i, r := range []rawEvent{
		stw(2, 100, 150, pcGCStart, 41),
		stw(1, 700, 780, pcMarkTerm, 42),
		{Kind: evSched, PID: 7, A: 20, B: 1234},
		stw(7, 900, 910, pcOther, 42),
	} {
		buf := make([]byte, rawEventSize)
		*(*rawEvent)(unsafe.Pointer(&buf[0])) = r
		recs[i] = buf
	}
	d := newProcDecoder(7, 1000, 0, syms, nil)
	var ev event.Runtime
	var sink nopSink
	b.SetBytes(int64(rawEventSize))
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		r, ok := decodeRecord(recs[i&3])
		if ok {
			d.handle(r, &ev, &sink)
		}
		i++
	}
}

func TestDecoderReconcile(t *testing.T) {
	var c collect
	leaks := NewLeakDetector(LeakConfig{})
	d := newProcDecoder(7, 0, 0, syms, leaks)
	var ev event.Runtime
	for _, r := range []rawEvent{
		{Kind: evGoCreate, PID: 7, A: 20, D: pcGoStmt, G: 0xa000},
		{Kind: evGoCreate, PID: 7, A: 21, D: pcGoStmt, G: 0xb000},
		{Kind: evGoCreate, PID: 7, A: 22, D: pcGoStmt, G: 0xc000},
	} {
		d.handle(&r, &ev, &c)
	}
	mem := map[uint64]struct {
		goid   uint64
		status uint32
	}{
		0xa000: {20, 4},     // still waiting
		0xb000: {21, gDead}, // exited unseen
		0xc000: {99, 2},     // g reused by another goroutine
	}
	n := d.reconcile(func(g uint64) (uint64, uint32, bool) {
		v, ok := mem[g]
		return v.goid, v.status, ok
	})
	if n != 2 || leaks.Live("main.serve") != 1 {
		t.Fatalf("dropped %d, live %d; want 2, 1", n, leaks.Live("main.serve"))
	}
	if _, ex := d.goroutineCounts(); ex != 2 {
		t.Errorf("exited = %d, want 2", ex)
	}
}
