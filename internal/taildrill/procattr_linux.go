package taildrill

import "syscall"

// procAttr kills the agent with its parent (a test that dies leaves none).
func procAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} }
