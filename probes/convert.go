package probes

import (
	"strings"

	"github.com/gopulse/gopulse/event"
)

// SiteResolver names the function that contains pc in a watched binary.
type SiteResolver interface {
	FuncForPC(pc uint64) (name string, ok bool)
}

// procDecoder turns one process's raw records into event.Runtime values. It
// pairs the GC's two stop-the-world pauses into cycles and keeps the trace
// mode's per-goroutine bookkeeping. It is not safe for concurrent use.
type procDecoder struct {
	pid      uint32
	monoToRT int64 // add to CLOCK_MONOTONIC ns to get Unix ns

	// Cycle numbering: the runtime's memstats.numgc when the probe reads it
	// (EVF_NUMGC), else counted from the seed given at attach.
	counted uint32 // finished cycles so far

	// The cycle in progress, from its sweep-termination pause.
	inGC      bool
	gcStart   int64 // mono ns
	sweepEnd  int64 // mono ns
	sweepTerm int64

	sites   SiteResolver
	siteOf  map[uint64]string // pc → interned function name
	restart map[uint64]bool   // startTheWorldWithSema caller pc → in gcMarkDone
	liveOf  map[uint64]liveG  // sampled live goroutine (goid) → where it lives
	leaks   *LeakDetector
	created uint64
	exited  uint64
}

func newProcDecoder(pid uint32, monoToRT int64, seed uint32, sites SiteResolver, leaks *LeakDetector) *procDecoder {
	return &procDecoder{
		pid:      pid,
		monoToRT: monoToRT,
		counted:  seed,
		sites:    sites,
		siteOf:   make(map[uint64]string),
		restart:  make(map[uint64]bool),
		liveOf:   make(map[uint64]liveG),
		leaks:    leaks,
	}
}

// handle converts r and passes the result(s) to sink, reusing ev.
func (d *procDecoder) handle(r *rawEvent, ev *event.Runtime, sink event.RuntimeSink) {
	switch r.Kind {
	case evSTW:
		d.stw(r, ev, sink)
	case evGoCreate:
		site := d.site(r.D)
		if site == "" {
			site = d.site(r.C)
		}
		d.liveOf[r.A] = liveG{site: site, g: r.G}
		d.created++
		if d.leaks != nil {
			d.leaks.Created(site)
		}
		*ev = event.Runtime{Kind: event.KindGoroutineCreate, PID: d.pid, TS: int64(r.TS) + d.monoToRT,
			Goid: r.A, ParentGoid: r.B, Site: site}
		sink.HandleRuntime(ev)
	case evGoExit:
		var site string
		if lg, ok := d.liveOf[r.A]; ok {
			site = lg.site
			delete(d.liveOf, r.A)
			if d.leaks != nil {
				d.leaks.Exited(site)
			}
		}
		d.exited++
		*ev = event.Runtime{Kind: event.KindGoroutineExit, PID: d.pid, TS: int64(r.TS) + d.monoToRT,
			Goid: r.A, Site: site}
		sink.HandleRuntime(ev)
	case evSched:
		*ev = event.Runtime{Kind: event.KindSchedLatency, PID: d.pid, TS: int64(r.TS) + d.monoToRT,
			Goid: r.A, LatencyNS: int64(r.B)}
		sink.HandleRuntime(ev)
	}
}

func (d *procDecoder) site(pc uint64) string {
	if pc == 0 || d.sites == nil {
		return ""
	}
	if s, ok := d.siteOf[pc]; ok {
		return s
	}
	s, _ := d.sites.FuncForPC(pc)
	d.siteOf[pc] = s
	return s
}

// restartPC reports whether pc (the caller of startTheWorldWithSema) is in
// gcMarkDone, which restarts the mark phase instead of ending the cycle.
func (d *procDecoder) restartPC(pc uint64) bool {
	if pc == 0 || d.sites == nil {
		return false
	}
	if v, ok := d.restart[pc]; ok {
		return v
	}
	name, _ := d.sites.FuncForPC(pc)
	v := strings.HasPrefix(name, "runtime.gcMarkDone")
	d.restart[pc] = v
	return v
}

func (d *procDecoder) stw(r *rawEvent, ev *event.Runtime, sink event.RuntimeSink) {
	start, end := int64(r.A), int64(r.B)
	reason := stwReason(r.Reason)
	haveNumGC := r.Flags&evfNumGC != 0
	var cycle uint32
	endGC := false
	switch reason {
	case event.STWGCSweepTermination:
		// memstats.numgc counts finished cycles: this one is numgc+1.
		if haveNumGC {
			d.counted = uint32(r.C)
		}
		cycle = d.counted + 1
		d.inGC, d.gcStart, d.sweepEnd, d.sweepTerm = true, start, end, end-start
		*ev = event.Runtime{Kind: event.KindGCStart, PID: d.pid, TS: start + d.monoToRT, Cycle: cycle,
			StartNS: start + d.monoToRT}
		sink.HandleRuntime(ev)
	case event.STWGCMarkTermination:
		endGC = !d.restartPC(r.D)
		switch {
		case haveNumGC:
			// numgc was incremented before the world restarted.
			d.counted = uint32(r.C)
			cycle = d.counted
			if !endGC {
				cycle++
			}
		case endGC:
			d.counted++
			cycle = d.counted
		default:
			cycle = d.counted + 1
		}
	}
	*ev = event.Runtime{Kind: event.KindSTW, PID: d.pid, TS: int64(r.TS) + d.monoToRT, Cycle: cycle,
		StartNS: start + d.monoToRT, DurationNS: end - start, Reason: reason}
	sink.HandleRuntime(ev)
	if !endGC {
		return
	}
	*ev = event.Runtime{Kind: event.KindGCEnd, PID: d.pid, TS: int64(r.TS) + d.monoToRT, Cycle: cycle,
		MarkTermNS: end - start}
	if d.inGC {
		ev.StartNS = d.gcStart + d.monoToRT
		ev.DurationNS = end - d.gcStart
		ev.SweepTermNS = d.sweepTerm
		ev.MarkNS = start - d.sweepEnd
	} else {
		// Attached mid-cycle: only the final pause is known.
		ev.StartNS = start + d.monoToRT
		ev.DurationNS = end - start
		ev.Partial = true
	}
	d.inGC = false
	sink.HandleRuntime(ev)
}

// liveG is a goroutine seen created and not yet seen exiting.
type liveG struct {
	site string
	g    uint64 // address of its runtime.g
}

// gReader reads a goroutine's id and status from the target's memory.
type gReader func(g uint64) (goid uint64, status uint32, ok bool)

// reconcile drops goroutines that exited without their exit being seen
// (trace probes are detached part of the time to hold the overhead budget):
// a g that is dead or now holds another goroutine has exited. It returns how
// many were dropped.
func (d *procDecoder) reconcile(read gReader) int {
	n := 0
	for goid, lg := range d.liveOf {
		id, status, ok := read(lg.g)
		if ok && id == goid && status&^gScan != gDead {
			continue
		}
		delete(d.liveOf, goid)
		if d.leaks != nil {
			d.leaks.Exited(lg.site)
		}
		d.exited++
		n++
	}
	return n
}

const (
	gDead = 6      // runtime._Gdead
	gScan = 0x1000 // runtime._Gscan
)

// stats returns the trace-mode goroutine counters.
func (d *procDecoder) goroutineCounts() (created, exited uint64) { return d.created, d.exited }
