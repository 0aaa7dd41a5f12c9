//go:build unix

package loki

import (
	"syscall"
	"testing"
)

// cpuTimer reports the process's CPU time per op ("cpu-ns/op") next to
// ns/op: on a machine shared with other work, wall time per op mostly
// measures waiting for a core, CPU time does not.
type cpuTimer struct{ start int64 }

func cpuNow() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

func startCPU() cpuTimer { return cpuTimer{start: cpuNow()} }

func (c cpuTimer) report(b *testing.B) {
	if b.N > 0 {
		b.ReportMetric(float64(cpuNow()-c.start)/float64(b.N), "cpu-ns/op")
	}
}
