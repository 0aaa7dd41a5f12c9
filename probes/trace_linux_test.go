//go:build linux && (amd64 || arm64)

package probes

import (
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gopulse/gopulse/event"
)

// TestTraceMode watches a target that churns goroutines and leaks some on
// purpose: goroutine events carry creation sites, the leaking site (and only
// it) is flagged, and the overhead budget holds.
func TestTraceMode(t *testing.T) {
	requireBPF(t)
	bin := buildTarget(t, "gcload", "", "")
	tg := startTarget(t, bin, "-parked", "50", "-leak", "100", "-churnrate", "200")
	sink := &syncSink{}
	const budget = 0.05
	m := startManager(t, Config{TraceBudget: budget, Leak: LeakConfig{Windows: 3, MinGrowth: 10}},
		Deps{Sink: sink, SampleInterval: time.Second, Logger: testLogger(t)})
	if err := m.Watch(tg.cmd.Process.Pid, true); err != nil {
		t.Fatalf("watch: %v", err)
	}
	var suspects []string
	var overheads []float64
	var hits []uint64
	deadline := time.Now().Add(12 * time.Second)
	for time.Now().Before(deadline) {
		time.Sleep(time.Second)
		st := m.Stats()
		overheads = append(overheads, st.TraceOverhead)
		hits = append(hits, st.TraceHits)
		t.Logf("trace overhead %.2f%%, duty %.1f%%, hits %d, events %d, lost %d",
			100*st.TraceOverhead, 100*st.TraceDuty, st.TraceHits, st.Events, st.EventsLost)
		if ps := m.Procs(); len(ps) == 1 {
			suspects = ps[0].Suspects
		}
		if len(overheads) >= 5 && slices.Contains(suspects, "main.leaker") {
			break
		}
	}
	m.Flush()
	var creates, exits, lat int
	sites := map[string]int{}
	for _, e := range sink.events() {
		switch e.Kind {
		case event.KindGoroutineCreate:
			creates++
			sites[e.Site]++
			if e.Goid == 0 || e.ParentGoid == 0 {
				t.Fatalf("create without ids: %+v", e)
			}
		case event.KindGoroutineExit:
			exits++
		case event.KindSchedLatency:
			lat++
			if e.LatencyNS <= 0 || e.LatencyNS > int64(10*time.Second) {
				t.Fatalf("implausible latency %d ns", e.LatencyNS)
			}
		}
	}
	t.Logf("creates %d, exits %d, sched latencies %d, sites %v, suspects %v", creates, exits, lat, sites, suspects)
	if creates == 0 || exits == 0 || lat == 0 {
		t.Fatalf("missing trace events: creates %d exits %d latencies %d", creates, exits, lat)
	}
	if sites["main.churnOnce"] == 0 || sites["main.leaker"] == 0 {
		t.Errorf("creation sites = %v, want main.churnOnce and main.leaker", sites)
	}
	if !slices.Contains(suspects, "main.leaker") || slices.Contains(suspects, "main.churnOnce") {
		t.Errorf("leak suspects = %v, want main.leaker and not main.churnOnce", suspects)
	}
	// The probes come back after being throttled: hits keep rising after
	// the first windows (which spend the initial allowance).
	if last := hits[len(hits)-1]; last <= hits[1] {
		t.Errorf("trace probe hits stopped at %d after the first windows (%v): the probes never re-attached", hits[1], hits)
	}
	// After the first two windows the governor holds the estimate at the
	// budget on average (exactly so in TestTraceGovernorHoldsBudget; here
	// the windows are few and their edges not the governor's).
	var sum float64
	for _, o := range overheads[2:] {
		sum += o
	}
	if mean := sum / float64(len(overheads)-2); mean > 1.25*budget {
		t.Errorf("mean trace overhead %.1f%% exceeds the %.0f%% budget by more than a quarter (%v)", 100*mean, 100*budget, overheads)
	}
}

// TestTraceReattachAfterFailedAttach: when attaching the trace probes
// again fails, trace mode retries until it succeeds; the probes hit again
// and goroutine events flow again. The failure is injected by taking the
// executable's trace probe site away while the governor holds the probes
// detached, and given back after the failed attach.
func TestTraceReattachAfterFailedAttach(t *testing.T) {
	requireBPF(t)
	bin := buildTarget(t, "gcload", "", "")
	tg := startTarget(t, bin, "-parked", "50", "-churnrate", "200")
	var logs lockedBuffer
	log := slog.New(slog.NewTextHandler(io.MultiWriter(&logs, tWriter{t}), &slog.HandlerOptions{Level: slog.LevelDebug}))
	m := startManager(t, Config{TraceBudget: 0.05}, Deps{Sink: &syncSink{}, Logger: log})
	if err := m.Watch(tg.cmd.Process.Pid, true); err != nil {
		t.Fatalf("watch: %v", err)
	}
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("no %s within 30 s (stats %+v)", what, m.Stats())
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	waitFor("trace probe hit", func() bool { return m.at.sumStat(statTraceHits) > 0 })
	// Take the site away and make the governor detach (a debt of a
	// fifth of a second: back in about 5 s).
	m.mu.Lock()
	var x *exeProbes
	for _, e := range m.ps.exes {
		x = e
	}
	site := x.traceOff
	x.traceOff = 0
	m.tr.st.gov.credit = -0.2
	m.mu.Unlock()
	waitFor("failed attach", func() bool { return strings.Contains(logs.String(), "trace probes not attached") })
	m.mu.Lock()
	x.traceOff = site
	hits := m.at.sumStat(statTraceHits)
	m.mu.Unlock()
	waitFor("trace probe hit after the failed attach", func() bool {
		m.mu.Lock()
		defer m.mu.Unlock()
		return m.at.sumStat(statTraceHits) > hits
	})
	if !strings.Contains(logs.String(), "trace probes attached again") {
		t.Errorf("no line saying the trace probes are back")
	}
}
