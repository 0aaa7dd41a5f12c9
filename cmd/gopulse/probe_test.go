package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gopulse/gopulse/event"
	"github.com/gopulse/gopulse/probes"
)

func TestAppendEventJSONContract(t *testing.T) {
	cases := []struct {
		ev   event.Runtime
		want map[string]any
	}{
		{event.Runtime{Kind: event.KindGCEnd, PID: 42, TS: 1700000000000000001, Cycle: 7, StartNS: 10, DurationNS: 20,
			SweepTermNS: 1, MarkNS: 18, MarkTermNS: 1},
			map[string]any{"type": "gc_end", "pid": 42.0, "cycle": 7.0, "duration_ns": 20.0, "mark_ns": 18.0}},
		{event.Runtime{Kind: event.KindGCEnd, PID: 42, TS: 1, Cycle: 8, StartNS: 10, DurationNS: 2, MarkTermNS: 2, Partial: true},
			map[string]any{"type": "gc_end", "cycle": 8.0, "partial": true}},
		{event.Runtime{Kind: event.KindSTW, PID: 42, TS: 5, Reason: event.STWGCMarkTermination, StartNS: 3, DurationNS: 2, Cycle: 7},
			map[string]any{"type": "stw", "reason": "gc_mark_termination", "start_ns": 3.0, "duration_ns": 2.0, "cycle": 7.0}},
		{event.Runtime{Kind: event.KindSTW, PID: 1, TS: 5, Reason: event.STWReadMemStats, StartNS: 3, DurationNS: 2},
			map[string]any{"type": "stw", "reason": "read_mem_stats"}},
		{event.Runtime{Kind: event.KindGoroutineCreate, PID: 1, TS: 5, Goid: 9, ParentGoid: 1, Site: "main.(*srv).run\"x\\\n"},
			map[string]any{"type": "goroutine_create", "goid": 9.0, "parent_goid": 1.0, "site": "main.(*srv).run\"x\\\n"}},
		{event.Runtime{Kind: event.KindSample, PID: 1, TS: 5, Goroutines: 12, Sched: &event.SchedHistogram{Counts: []uint64{1, 2}}},
			map[string]any{"type": "sample", "goroutines": 12.0}},
		{event.Runtime{Kind: event.KindProcExit, PID: 1, TS: 5, ExitErr: errors.New("gone")},
			map[string]any{"type": "proc_exit", "error": "gone"}},
	}
	for _, c := range cases {
		b := appendEventJSON(nil, &c.ev)
		var got map[string]any
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatalf("%s: invalid JSON %s: %v", c.ev.Kind, b, err)
		}
		for _, k := range []string{"type", "pid", "ts"} {
			if _, ok := got[k]; !ok {
				t.Errorf("%s: missing %q in %s", c.ev.Kind, k, b)
			}
		}
		for k, v := range c.want {
			if got[k] != v {
				t.Errorf("%s: %q = %v, want %v (%s)", c.ev.Kind, k, got[k], v, b)
			}
		}
	}
}

func BenchmarkAppendEventJSON(b *testing.B) {
	ev := event.Runtime{Kind: event.KindSTW, PID: 4242, TS: 1700000000000000001, Reason: event.STWGCSweepTermination,
		StartNS: 1700000000000000000, DurationNS: 51234, Cycle: 812}
	buf := appendEventJSON(nil, &ev)
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		buf = appendEventJSON(buf[:0], &ev)
	}
}

func TestTableOutput(t *testing.T) {
	var buf bytes.Buffer
	o := newTableOutput(&buf, false)
	o.last = o.last.Add(-time.Second)
	buckets := []float64{0, 1e-6, 1e-5, 1e-4, 1e-3}
	o.HandleRuntime(&event.Runtime{Kind: event.KindSample, PID: 7, Goroutines: 42,
		Sched: &event.SchedHistogram{Counts: []uint64{0, 0, 0, 0}, Buckets: buckets}})
	o.Tick(nil, probes.Stats{})
	buf.Reset()
	o.last = o.last.Add(-time.Second)
	for i := 0; i < 3; i++ {
		o.HandleRuntime(&event.Runtime{Kind: event.KindGCEnd, PID: 7})
	}
	for _, d := range []int64{100e3, 300e3, 200e3} {
		o.HandleRuntime(&event.Runtime{Kind: event.KindSTW, PID: 7, DurationNS: d, Reason: event.STWGCMarkTermination})
	}
	// 90 latencies in (1µs,10µs], 10 in (10µs,100µs].
	o.HandleRuntime(&event.Runtime{Kind: event.KindSample, PID: 7, Goroutines: 42,
		Sched: &event.SchedHistogram{Counts: []uint64{0, 90, 10, 0}, Buckets: buckets}})
	o.Tick([]probes.ProcInfo{{Proc: event.Proc{PID: 7, Service: "api"}, Created: 5, Exited: 2, Suspects: []string{"main.leak"}}},
		probes.Stats{Processes: 1, ProbesAttached: 3})
	out := buf.String()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 {
		t.Fatalf("table:\n%s", out)
	}
	f := strings.Fields(lines[2])
	// PID EXE GC/s STW STW_MAX STW_P99 SCHED_P50 SCHED_P99 G_LIVE G_NEW G_EXIT LEAK_SUSPECTS
	want := []string{"7", "api", "", "3", "300µs", "300µs", "10µs", "100µs", "42", "5", "2", "main.leak"}
	for i, w := range want {
		if w != "" && f[i] != w {
			t.Errorf("column %d = %q, want %q\n%s", i, f[i], w, out)
		}
	}
	if gcps, err := strconv.ParseFloat(f[2], 64); err != nil || gcps < 2.5 || gcps > 3.5 {
		t.Errorf("GC/s = %q, want about 3", f[2])
	}
}
