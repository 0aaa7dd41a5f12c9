//go:build linux && (amd64 || arm64)

package probes

import (
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// BenchmarkScan: one discovery rescan (wall and CPU time: cpu-ns/op, the
// process's user+system time, counts other goroutines too, here idle) of this machine's processes in the
// steady state (every process decided before: none selected), the agent's
// cost per second of discovery. The first scan, outside the timing, looks
// at every process once (Go or not, selection rules).
//
//	go test -run '^$' -bench BenchmarkScan -benchtime 200x ./probes/
func BenchmarkScan(b *testing.B) {
	requireBPF(b)
	for _, bc := range []struct {
		name string
		sel  Selection
	}{
		{"exe", Selection{Include: []Rule{{Exe: "/nonexistent/*"}}}},
		// Ports are asked again at every tenth rescan.
		{"ports", Selection{Include: []Rule{{Ports: []string{"1"}}}}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			sel, err := bc.sel.Compile()
			if err != nil {
				b.Fatal(err)
			}
			m, err := New(Config{All: true, Select: sel}, Deps{Sink: &syncSink{}})
			if err != nil {
				b.Fatal(err)
			}
			defer m.Close()
			m.scan()
			pids, _ := listPIDs()
			b.ReportAllocs()
			var r0, r1 unix.Rusage
			unix.Getrusage(unix.RUSAGE_SELF, &r0)
			b.ResetTimer()
			for range b.N {
				m.scan()
			}
			b.StopTimer()
			unix.Getrusage(unix.RUSAGE_SELF, &r1)
			cpu := time.Duration(r1.Utime.Nano()+r1.Stime.Nano()-r0.Utime.Nano()-r0.Stime.Nano()) * time.Nanosecond
			b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
			if n := len(m.Procs()); n != 0 {
				b.Fatalf("%d processes attached", n)
			}
			b.ReportMetric(float64(len(pids)), "procs")
		})
	}
}
