//go:build !linux

package agent

import "time"

// cpuWait: a process's CPU wait is read from Linux's /proc only; elsewhere
// it is unknown and scheduling latency is judged whatever the CPU wait.
type cpuWait struct{}

func newCPUWait() *cpuWait { return &cpuWait{} }

// CPUWait implements health.CPUWaiter: never known here.
func (*cpuWait) CPUWait(uint32) (run, wait time.Duration, ok bool) { return 0, 0, false }

// CPUThrottle implements health.CPUThrottler: never known here.
func (*cpuWait) CPUThrottle(uint32) (periods, throttled uint64, ok bool) { return 0, 0, false }
