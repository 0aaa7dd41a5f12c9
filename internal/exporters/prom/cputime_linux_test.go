package prom

import (
	"syscall"
	"time"
)

// cpuTime is the process's user+system CPU time. On a shared, overloaded
// machine it is a steadier cost measure than wall time (and it charges
// allocation-heavy code for its GC work on other threads).
func cpuTime() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
