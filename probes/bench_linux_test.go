//go:build linux && (amd64 || arm64)

package probes

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/gopulse/gopulse/event"
)

// work is one run of the target.
type work struct {
	wall time.Duration // measured by the target around its work
	cpu  time.Duration // the target process's user+system CPU time
	hits uint64        // trace probe hits it caused
}

// runWork runs the gcload target for a fixed amount of work, optionally
// watched by m (attached before it starts). On this shared 2-core machine
// wall time is noisy; CPU time (where uprobe traps are charged) is steadier.
func runWork(b *testing.B, m *Manager, trace bool, bin string, args ...string) work {
	b.Helper()
	cmd := exec.Command(bin, args...)
	var out bytes.Buffer
	cmd.Stdout = &out
	var hits0 uint64
	if m != nil {
		m.mu.Lock()
		hits0 = m.at.sumStat(statTraceHits)
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
		hits = m.at.sumStat(statTraceHits) - hits0
		m.mu.Unlock()
	}
	var r struct {
		ElapsedNS int64 `json:"elapsed_ns"`
	}
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		b.Fatalf("target output %q: %v", out.String(), err)
	}
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	return work{wall: time.Duration(r.ElapsedNS), cpu: cpu, hits: hits}
}

// BenchmarkTargetOverhead runs a GC-heavy and a goroutine-churn target in
// pairs, without and with the default-mode probes (GC/STW uprobes plus the
// runtime-state sampler), and reports the slowdown in wall and CPU time
// (goal ≤ 1%).
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
			var off, on work
			for i := 0; b.Loop(); i++ {
				var a, p work
				if i%2 == 0 { // alternate the order of each pair
					a = runWork(b, nil, false, bin, c.args...)
					p = runWork(b, m, false, bin, c.args...)
				} else {
					p = runWork(b, m, false, bin, c.args...)
					a = runWork(b, nil, false, bin, c.args...)
				}
				off.wall, off.cpu = off.wall+a.wall, off.cpu+a.cpu
				on.wall, on.cpu = on.wall+p.wall, on.cpu+p.cpu
			}
			n := float64(b.N)
			b.ReportMetric(off.wall.Seconds()*1e3/n, "off-wall-ms")
			b.ReportMetric(100*(on.wall.Seconds()/off.wall.Seconds()-1), "wall-slowdown-%")
			b.ReportMetric(off.cpu.Seconds()*1e3/n, "off-cpu-ms")
			b.ReportMetric(100*(on.cpu.Seconds()/off.cpu.Seconds()-1), "cpu-slowdown-%")
		})
	}
}

// BenchmarkTraceMode measures trace mode on the goroutine-churn target:
// the cost of one probe hit in the target (extra target CPU time per hit,
// unthrottled), and the slowdown and estimated overhead when the 5% budget
// is enforced.
func BenchmarkTraceMode(b *testing.B) {
	requireBPF(b)
	bin := buildTarget(b, "gcload", "", "")
	b.Run("cost-per-hit", func(b *testing.B) {
		m := startManager(b, Config{Trace: true, TraceBudget: 1e9}, Deps{Sink: &countSink{}})
		args := []string{"-work", "3000", "-churn=true"}
		var dcpu, dwall time.Duration
		var hits uint64
		for b.Loop() {
			off := runWork(b, nil, false, bin, args...)
			on := runWork(b, m, true, bin, args...)
			dcpu += on.cpu - off.cpu
			dwall += on.wall - off.wall
			hits += on.hits
		}
		b.ReportMetric(float64(dcpu.Nanoseconds())/float64(hits), "cpu-ns/hit")
		b.ReportMetric(float64(dwall.Nanoseconds())/float64(hits), "wall-ns/hit")
		b.ReportMetric(float64(hits)/float64(b.N), "hits/op")
	})
	b.Run("budget-5pct", func(b *testing.B) {
		m := startManager(b, Config{Trace: true, TraceBudget: 0.05}, Deps{Sink: &countSink{}})
		args := []string{"-work", "100000", "-churn=true"}
		var off, on work
		var est float64
		for b.Loop() {
			a := runWork(b, nil, false, bin, args...)
			p := runWork(b, m, true, bin, args...)
			off.wall, off.cpu = off.wall+a.wall, off.cpu+a.cpu
			on.wall, on.cpu = on.wall+p.wall, on.cpu+p.cpu
			on.hits += p.hits
			est += m.Stats().TraceOverhead
		}
		b.ReportMetric(float64(on.hits)/float64(b.N), "hits/op")
		b.ReportMetric(100*(on.wall.Seconds()/off.wall.Seconds()-1), "wall-slowdown-%")
		b.ReportMetric(100*(on.cpu.Seconds()/off.cpu.Seconds()-1), "cpu-slowdown-%")
		b.ReportMetric(100*est/float64(b.N), "est-overhead-%")
	})
}

type countSink struct{ n int }

func (s *countSink) HandleRuntime(*event.Runtime) { s.n++ }
