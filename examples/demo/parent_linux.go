package main

import (
	"os"
	"syscall"
)

// stopWithParent asks the kernel to send SIGTERM when the parent (make run's
// script) dies, even by SIGKILL, so the demo never outlives it.
func stopWithParent() {
	const prSetPdeathsig = 1
	_, _, _ = syscall.RawSyscall(syscall.SYS_PRCTL, prSetPdeathsig, uintptr(syscall.SIGTERM), 0)
	if os.Getppid() == 1 { // the parent died before the call
		os.Exit(0)
	}
}
