//go:build linux && (amd64 || arm64)

package probes

import (
	"testing"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/cilium/ebpf/link"

	"github.com/gopulse/gopulse/probes/gobin"
)

// BenchmarkUprobeSite measures what the kernel's uprobe handling alone
// costs the target at each kind of probe site, with a BPF program that
// returns at once: the phased target's unit is runtime.ReadMemStats on one
// P, one stop-the-world, so one call of startTheWorldWithSema and one hit
// per unit. Phases with the probe attached alternate (ABBA) with phases
// without; cpu-ns/hit is the target CPU the probe adds per hit.
//
//   - entry: the function's first instruction, which the kernel
//     single-steps out of line on both architectures (amd64: a CMP of the
//     stack bound; arm64: the load of the stack bound).
//   - site: EntryProbeOffset, the site the probes use: amd64's PUSHQ BP,
//     which the kernel emulates; arm64's B.LS of the stack check, which the
//     kernel simulates.
//   - ret: a return instruction (RetOffsets), the fallback when work.tMark
//     and finishGCTransition are unusable: single-stepped on amd64,
//     simulated on arm64.
func BenchmarkUprobeSite(b *testing.B) {
	requireBPF(b)
	bin := buildTarget(b, "gcload", "", "")
	gb, err := gobin.Open(bin)
	if err != nil {
		b.Fatal(err)
	}
	f, err := gb.Func(symStart)
	if err != nil {
		b.Fatal(err)
	}
	site, err := gb.EntryProbeOffset(symStart)
	if err != nil {
		b.Fatal(err)
	}
	rets, err := gb.RetOffsets(symStart)
	if err != nil {
		b.Fatal(err)
	}
	gb.Close()
	if site == f.Offset {
		b.Fatalf("%s has no cheap entry site", symStart)
	}
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
	for _, c := range []struct {
		name string
		off  uint64
	}{
		{"entry", f.Offset},
		{"site", site},
		{"ret", rets[0]},
	} {
		b.Run(c.name, func(b *testing.B) {
			t := startPhased(b, bin, "-unit", "memstats")
			time.Sleep(200 * time.Millisecond)
			var l link.Link
			ps := runPairs(b, t, 300*time.Millisecond, func() {
				// Per-offset perf-event uprobes: the same trap on every
				// kernel, with or without uprobe_multi.
				if l, err = exe.Uprobe(symStart, prog, &link.UprobeOptions{Address: c.off, PID: t.cmd.Process.Pid}); err != nil {
					b.Fatal(err)
				}
			}, func() { l.Close() }, func() uint64 { return 0 })
			b.ReportMetric(ps.extraCPU(), "cpu-ns/hit")
			b.ReportMetric(ps.off.cpuPerUnit(), "off-cpu-ns/unit")
			b.ReportMetric(float64(c.off-f.Offset), "entry+bytes")
		})
	}
}
