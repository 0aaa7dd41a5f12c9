//go:build unix

package pipeline

import (
	"syscall"
	"time"
)

// processCPU returns the CPU time (user+system) used by this process, so
// that benchmarks can report CPU-ns per line, which a loaded machine
// disturbs far less than wall-clock time.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
