package main

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/gopulse/gopulse/event"
)

func TestAppendEventJSONContract(t *testing.T) {
	cases := []struct {
		ev   event.Runtime
		want map[string]any
	}{
		{event.Runtime{Kind: event.KindGCEnd, PID: 42, TS: 1700000000000000001, Cycle: 7, StartNS: 10, DurationNS: 20,
			SweepTermNS: 1, MarkNS: 18, MarkTermNS: 1},
			map[string]any{"type": "gc_end", "pid": 42.0, "cycle": 7.0, "duration_ns": 20.0, "mark_ns": 18.0}},
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
