//go:build !linux

package main

import "os/exec"

// dieWithParent: no parent-death signal outside Linux (the probes, and so
// --exec, are Linux-only anyway).
func dieWithParent(*exec.Cmd) {}
