//go:build linux && (amd64 || arm64)

package probes

import (
	"bufio"
	"encoding/json"
	"io"
	"os/exec"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/cilium/ebpf/link"

	"github.com/gopulse/gopulse/probes/gobin"
)

// tick is one reading of a phased gcload target.
type tick struct {
	Units    int64  `json:"units"`
	CPUNS    int64  `json:"cpu_ns"`
	GCCycles uint64 `json:"gc_cycles"`
	UnixNS   int64  `json:"unix_ns"`
}

type phasedTarget struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Scanner
}

func startPhased(b *testing.B, bin string, args ...string) *phasedTarget {
	b.Helper()
	cmd := exec.Command(bin, append([]string{"-phased"}, args...)...)
	in, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	t := &phasedTarget{cmd: cmd, in: in, out: bufio.NewScanner(out)}
	b.Cleanup(func() {
		io.WriteString(in, "quit\n")
		in.Close()
		cmd.Wait()
	})
	if !t.out.Scan() {
		b.Fatal("phased target did not start")
	}
	return t
}

func (t *phasedTarget) read(b *testing.B) tick {
	b.Helper()
	if _, err := io.WriteString(t.in, "tick\n"); err != nil {
		b.Fatal(err)
	}
	if !t.out.Scan() {
		b.Fatalf("phased target: %v", t.out.Err())
	}
	var k tick
	if err := json.Unmarshal(t.out.Bytes(), &k); err != nil {
		b.Fatalf("phased target output %q: %v", t.out.Text(), err)
	}
	return k
}

// phase is the target's work over one phase (or a sum of phases): units
// done, its CPU and wall time, GC cycles.
type phase struct {
	units     int64
	gcs       uint64
	cpu, wall int64
	agentCPU  int64 // this process (the agent) over the phase
}

// cpuPerUnit is the target CPU per unit of work.
func (p *phase) cpuPerUnit() float64 { return float64(p.cpu) / float64(p.units) }

// plus adds q's work to p.
func (p *phase) plus(q phase) {
	p.units, p.gcs, p.cpu, p.wall, p.agentCPU = p.units+q.units, p.gcs+q.gcs, p.cpu+q.cpu, p.wall+q.wall, p.agentCPU+q.agentCPU
}

// wallPerUnit is the wall time per unit of work.
func (p *phase) wallPerUnit() float64 { return float64(p.wall) / float64(p.units) }

func selfCPU() int64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Utime.Nano() + ru.Stime.Nano()
}

func measurePhase(b *testing.B, t *phasedTarget, d time.Duration) phase {
	b.Helper()
	a := t.read(b)
	time.Sleep(d)
	z := t.read(b)
	u := z.Units - a.Units
	if u <= 0 {
		b.Fatalf("target did no work in %v", d)
	}
	return phase{units: u, gcs: z.GCCycles - a.GCCycles, cpu: z.CPUNS - a.CPUNS, wall: z.UnixNS - a.UnixNS}
}

// pairStats accumulates ABBA pairs of phases.
type pairStats struct {
	cpuRatios, wallRatios []float64
	off, on               phase // sums
	hits                  uint64
}

func (p *pairStats) add(off, on phase, hits uint64) {
	p.cpuRatios = append(p.cpuRatios, on.cpuPerUnit()/off.cpuPerUnit())
	p.wallRatios = append(p.wallRatios, on.wallPerUnit()/off.wallPerUnit())
	p.off.plus(off)
	p.on.plus(on)
	p.hits += hits
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}

// extraCPU is the target CPU the probes add to one unit of work.
func (p *pairStats) extraCPU() float64 { return p.on.cpuPerUnit() - p.off.cpuPerUnit() }

// cpuSlowdown is the ratio of the sums: target CPU per unit of work, probes
// on over probes off.
func (p *pairStats) cpuSlowdown() float64 {
	return p.on.cpuPerUnit() / p.off.cpuPerUnit()
}

// watchPairs alternates phases without probes and with (Watch attaches
// them, Unwatch detaches every link), ABBA, b.N pairs. With aa set both
// phases run without probes: the machine's own noise floor for the same
// statistic.
func watchPairs(b *testing.B, m *Manager, t *phasedTarget, d time.Duration, trace, aa bool) *pairStats {
	pid := t.cmd.Process.Pid
	hits := func() uint64 {
		m.mu.Lock()
		defer m.mu.Unlock()
		return m.at.sumStat(statTraceHits)
	}
	return runPairs(b, t, d, func() {
		if aa {
			return
		}
		if err := m.Watch(pid, trace); err != nil {
			b.Fatal(err)
		}
	}, func() {
		if !aa {
			m.Unwatch(pid)
		}
	}, hits)
}

// runPairs alternates phases without and with probes (attach before an
// "on" phase, detach after it), ABBA, b.N pairs.
func runPairs(b *testing.B, t *phasedTarget, d time.Duration, attach, detach func(), hits func() uint64) *pairStats {
	const settle = 100 * time.Millisecond
	run := func(on bool) (phase, uint64) {
		if on {
			attach()
		}
		time.Sleep(settle)
		h0 := hits()
		c0 := selfCPU()
		p := measurePhase(b, t, d)
		p.agentCPU = selfCPU() - c0
		h := hits() - h0
		if on {
			detach()
		}
		return p, h
	}
	ps := &pairStats{}
	for i := 0; b.Loop(); i++ {
		var off, on phase
		var hits uint64
		if i%2 == 0 {
			off, _ = run(false)
			on, hits = run(true)
		} else {
			on, hits = run(true)
			off, _ = run(false)
		}
		ps.add(off, on, hits)
	}
	if testing.Verbose() {
		b.Logf("cpu ratios in order: %.3f", ps.cpuRatios)
	}
	return ps
}

// reportEvents reports the records decoded and lost per unit of work in the
// probed phases.
func reportEvents(b *testing.B, m *Manager, s0 Stats, ps *pairStats) {
	s1 := m.Stats()
	b.ReportMetric(float64(s1.Events-s0.Events)/float64(ps.on.units), "events/unit")
	b.ReportMetric(float64(s1.EventsLost-s0.EventsLost)/float64(ps.on.units), "lost/unit")
}

// gcCycleNS is the target CPU the default-mode probes add to one GC cycle,
// measured by the hit-gc sub-benchmark, used to model the GC-heavy target's
// overhead.
var gcCycleNS float64

// BenchmarkTargetOverheadPhased measures the probes inside long-running
// targets: phases with the probes attached alternate (ABBA) with phases
// without any link, and each phase's cost per unit of work is compared with
// its neighbour's. Attaching and detaching happen between phases, outside
// the measured intervals. -benchtime Nx runs N pairs.
//
//   - hit-stw: cost of one default-mode probe hit. The unit is
//     runtime.ReadMemStats on one P: one stop-the-world, so one hit of the
//     startTheWorldWithSema probe, which emits a stw event.
//   - hit-trace: cost of one trace-mode probe hit (casgstatus). The unit is
//     runtime.Gosched on one P: two hits (running→runnable,
//     runnable→running) and one scheduling-latency event.
//   - gc, churn: the GC-heavy (≈1000 GC/s) and goroutine-churn targets with
//     the default-mode probes; aa-gc: the same statistic with neither phase
//     probed (the noise floor). model-% is hits/s × the measured cost per hit
//     over the target's CPU/s: the slowdown the probes cause, free of the
//     machine's phase-to-phase noise, which here is larger than the effect.
func BenchmarkTargetOverheadPhased(b *testing.B) {
	requireBPF(b)
	bin := buildTarget(b, "gcload", "", "")
	b.Run("hit-stw", func(b *testing.B) {
		m := startManager(b, Config{}, Deps{Sink: &countSink{}})
		t := startPhased(b, bin, "-unit", "memstats")
		time.Sleep(200 * time.Millisecond)
		s0 := m.Stats()
		ps := watchPairs(b, m, t, 300*time.Millisecond, false, false)
		reportEvents(b, m, s0, ps)
		// One hit per unit.
		b.ReportMetric(ps.extraCPU(), "cpu-ns/hit")
		b.ReportMetric(ps.off.cpuPerUnit(), "off-cpu-ns/unit")
	})
	b.Run("hit-gc", func(b *testing.B) {
		m := startManager(b, Config{}, Deps{Sink: &countSink{}})
		t := startPhased(b, bin, "-unit", "gc")
		time.Sleep(200 * time.Millisecond)
		s0 := m.Stats()
		ps := watchPairs(b, m, t, 300*time.Millisecond, false, false)
		reportEvents(b, m, s0, ps)
		gcCycleNS = ps.extraCPU()
		b.ReportMetric(gcCycleNS, "cpu-ns/cycle")
		b.ReportMetric(ps.off.cpuPerUnit(), "off-cpu-ns/unit")
	})
	b.Run("hit-floor", func(b *testing.B) {
		// The same probe site with a program that returns at once: what
		// the kernel's uprobe trap alone costs the target here.
		bin := buildTarget(b, "gcload", "", "")
		gb, err := gobin.Open(bin)
		if err != nil {
			b.Fatal(err)
		}
		off, err := gb.EntryProbeOffset(symStart)
		if err != nil {
			b.Fatal(err)
		}
		gb.Close()
		prog, err := ebpf.NewProgram(&ebpf.ProgramSpec{
			Type:         ebpf.Kprobe,
			License:      "GPL",
			Instructions: asm.Instructions{asm.Mov.Imm(asm.R0, 0), asm.Return()},
		})
		if err != nil {
			b.Fatal(err)
		}
		defer prog.Close()
		exe, err := link.OpenExecutable(bin)
		if err != nil {
			b.Fatal(err)
		}
		t := startPhased(b, bin, "-unit", "gc")
		time.Sleep(200 * time.Millisecond)
		var l link.Link
		ps := runPairs(b, t, 300*time.Millisecond, func() {
			if l, err = exe.Uprobe(symStart, prog, &link.UprobeOptions{Address: off, PID: t.cmd.Process.Pid}); err != nil {
				b.Fatal(err)
			}
		}, func() { l.Close() }, func() uint64 { return 0 })
		b.ReportMetric(ps.extraCPU(), "cpu-ns/cycle")
	})
	b.Run("hit-trace", func(b *testing.B) {
		m := startManager(b, Config{Trace: true, TraceBudget: 1e9}, Deps{Sink: &countSink{}})
		t := startPhased(b, bin, "-unit", "gosched")
		time.Sleep(200 * time.Millisecond)
		s0 := m.Stats()
		ps := watchPairs(b, m, t, 300*time.Millisecond, true, false)
		reportEvents(b, m, s0, ps)
		hitsPerUnit := float64(ps.hits) / float64(ps.on.units)
		b.ReportMetric(ps.extraCPU()/hitsPerUnit, "cpu-ns/hit")
		b.ReportMetric(ps.extraCPU(), "cpu-ns/event")
		b.ReportMetric(hitsPerUnit, "hits/unit")
		b.ReportMetric(ps.off.cpuPerUnit(), "off-cpu-ns/unit")
	})
	for _, c := range []struct {
		name string
		aa   bool
		args []string
	}{
		{"gc", false, []string{"-churn=false"}},
		{"aa-gc", true, []string{"-churn=false"}},
		{"churn", false, []string{"-churn=true"}},
	} {
		b.Run(c.name, func(b *testing.B) {
			m := startManager(b, Config{}, Deps{Sink: &countSink{}})
			t := startPhased(b, bin, c.args...)
			const d = 400 * time.Millisecond
			time.Sleep(500 * time.Millisecond) // past start-up and heap growth
			ps := watchPairs(b, m, t, d, false, c.aa)
			b.ReportMetric(100*(median(ps.cpuRatios)-1), "cpu-median-%")
			b.ReportMetric(100*(median(ps.wallRatios)-1), "wall-median-%")
			b.ReportMetric(100*(ps.cpuSlowdown()-1), "cpu-sum-%")
			onSec := float64(ps.on.wall) / 1e9
			gcPerSec := float64(ps.on.gcs) / onSec
			b.ReportMetric(gcPerSec, "gc/s")
			b.ReportMetric(100*float64(ps.on.agentCPU)/float64(ps.on.wall), "agent-on-cpu-%")
			b.ReportMetric(100*float64(ps.off.agentCPU)/float64(ps.off.wall), "agent-off-cpu-%")
			if gcCycleNS > 0 && !c.aa {
				// The probes' cost per cycle times cycles per second, over
				// the target's CPU per second. Both hits happen while the
				// world is stopped, so every P waits for them: the wall
				// cost is the same time on every P.
				cpuPerSec := float64(ps.on.cpu) / onSec
				b.ReportMetric(100*gcPerSec*gcCycleNS/cpuPerSec, "model-cpu-%")
				b.ReportMetric(100*gcPerSec*gcCycleNS/1e9, "model-wall-%")
			}
		})
	}
}
