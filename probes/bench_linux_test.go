//go:build linux && amd64

package probes

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"testing"
	"time"

	"github.com/gopulse/gopulse/event"
)

// runWork runs the gcload target for a fixed amount of work, optionally
// watched by m (attached before it starts), and returns the wall time the
// target measured itself and the trace probe hits it caused.
func runWork(b *testing.B, m *Manager, trace bool, bin string, args ...string) (time.Duration, uint64) {
	b.Helper()
	cmd := exec.Command(bin, args...)
	var out bytes.Buffer
	cmd.Stdout = &out
	var hits0 uint64
	if m != nil {
		m.mu.Lock()
		hits0 = m.sumStat(statTraceHits)
		m.mu.Unlock()
		if err := m.StartCommand(cmd, trace); err != nil {
			b.Fatal(err)
		}
	} else if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		b.Fatalf("target: %v", err)
	}
	var hits uint64
	if m != nil {
		m.Unwatch(cmd.Process.Pid)
		m.mu.Lock()
		hits = m.sumStat(statTraceHits) - hits0
		m.mu.Unlock()
	}
	var r struct {
		ElapsedNS int64 `json:"elapsed_ns"`
	}
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		b.Fatalf("target output %q: %v", out.String(), err)
	}
	return time.Duration(r.ElapsedNS), hits
}

// BenchmarkTargetOverhead runs a GC-heavy and a goroutine-churn target in
// pairs, without and with the default-mode probes (GC/STW uprobes plus the
// runtime-state sampler), and reports the slowdown (goal ≤ 1%).
func BenchmarkTargetOverhead(b *testing.B) {
	requireBPF(b)
	bin := buildTarget(b, "gcload", "", "")
	for _, c := range []struct {
		name string
		args []string
	}{
		{"gc", []string{"-work", "600", "-churn=false"}},
		{"churn", []string{"-work", "6000", "-churn=true"}},
	} {
		b.Run(c.name, func(b *testing.B) {
			m := startManager(b, Config{}, Deps{Sink: &countSink{}})
			var off, on time.Duration
			for i := 0; b.Loop(); i++ {
				if i%2 == 0 { // alternate the order of each pair
					d, _ := runWork(b, nil, false, bin, c.args...)
					off += d
					d, _ = runWork(b, m, false, bin, c.args...)
					on += d
				} else {
					d, _ := runWork(b, m, false, bin, c.args...)
					on += d
					d, _ = runWork(b, nil, false, bin, c.args...)
					off += d
				}
			}
			n := float64(b.N)
			b.ReportMetric(off.Seconds()*1e3/n, "off-ms")
			b.ReportMetric(on.Seconds()*1e3/n, "probed-ms")
			b.ReportMetric(100*(on.Seconds()/off.Seconds()-1), "slowdown-%")
		})
	}
}

// BenchmarkTraceMode measures trace mode on the goroutine-churn target:
// the cost of one probe hit in the target (unthrottled), and the slowdown
// and estimated overhead when the 5% budget is enforced.
func BenchmarkTraceMode(b *testing.B) {
	requireBPF(b)
	bin := buildTarget(b, "gcload", "", "")
	b.Run("cost-per-hit", func(b *testing.B) {
		m := startManager(b, Config{Trace: true, TraceBudget: 1e9}, Deps{Sink: &countSink{}})
		args := []string{"-work", "3000", "-churn=true"}
		var delta time.Duration
		var hits uint64
		for b.Loop() {
			off, _ := runWork(b, nil, false, bin, args...)
			on, h := runWork(b, m, true, bin, args...)
			delta += on - off
			hits += h
		}
		b.ReportMetric(float64(delta.Nanoseconds())/float64(hits), "ns/hit")
		b.ReportMetric(float64(hits)/float64(b.N), "hits/op")
	})
	b.Run("budget-5pct", func(b *testing.B) {
		m := startManager(b, Config{Trace: true, TraceBudget: 0.05}, Deps{Sink: &countSink{}})
		args := []string{"-work", "40000", "-churn=true"}
		var off, on time.Duration
		var est float64
		for b.Loop() {
			d, _ := runWork(b, nil, false, bin, args...)
			off += d
			d, _ = runWork(b, m, true, bin, args...)
			on += d
			est += m.Stats().TraceOverhead
		}
		b.ReportMetric(100*(on.Seconds()/off.Seconds()-1), "slowdown-%")
		b.ReportMetric(100*est/float64(b.N), "est-overhead-%")
	})
}

type countSink struct{ n int }

func (s *countSink) HandleRuntime(*event.Runtime) { s.n++ }
