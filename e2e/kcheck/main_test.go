package main

import (
	"strings"
	"testing"
)

func linesOf(s string) *lines {
	l := collect(strings.NewReader(s))
	<-l.done
	return l
}

// A Go fatal-signal dump (the 6.12 amd64 trace-mode crash's shape, cut
// short) is named by its signal, PC and innermost frames.
func TestTargetCrash(t *testing.T) {
	dump := `time=2026-12-04T17:54:35.237Z level=DEBUG msg="watching process" pid=212
SIGSEGV: segmentation violation
PC=0x438e20 m=0 sigcode=1 addr=0x84af9268

goroutine 0 gp=0x5fae80 m=0 mp=0x5fbc40 [idle]:
runtime.(*gcWork).empty(0x7ffca00cd770?)
	/usr/local/go/src/runtime/mgcwork.go:384 fp=0x7ffca00cd740 sp=0x7ffca00cd738 pc=0x438e20
runtime.gcShouldScheduleWorker(0x2b2d5c51f9?)
	/usr/local/go/src/runtime/mgc.go:1920 +0x25 fp=0x7ffca00cd758 sp=0x7ffca00cd740 pc=0x42ac65
runtime.(*gcControllerState).assignWaitingGCWorker(0x61b6c0, 0x84af8008, 0x0?)
	/usr/local/go/src/runtime/mgcpacer.go:773 +0x57 fp=0x7ffca00cd780 sp=0x7ffca00cd758 pc=0x4330f7
runtime.procresize(0x2)
	/usr/local/go/src/runtime/proc.go:6215 +0xc96 fp=0x7ffca00cd8b0 sp=0x7ffca00cd780 pc=0x458a56
runtime.startTheWorldWithSema(0x0, {0xc0?, 0x5fbc40?})
	/usr/local/go/src/runtime/proc.go:1776 +0xa5 fp=0x7ffca00cd920 sp=0x7ffca00cd8b0 pc=0x44f745

goroutine 56 gp=0x223184b71a40 m=0 mp=0x5fbc40 [running]:
runtime.systemstack_switch()
`
	want := ": target SIGSEGV at PC=0x438e20 in runtime.(*gcWork).empty<-runtime.gcShouldScheduleWorker<-runtime.(*gcControllerState).assignWaitingGCWorker<-runtime.procresize"
	if got := targetCrash(linesOf(dump)); got != want {
		t.Errorf("targetCrash:\n got %q\nwant %q", got, want)
	}
	// A short stack ends at the goroutine's blank line.
	short := "SIGILL: illegal instruction\nPC=0x1 m=0 sigcode=2\n\ngoroutine 1 gp=0x1 m=0 mp=0x1 [running]:\nmain.main()\n\t/x/main.go:3 +0x1\n\ngoroutine 2 [idle]:\nmain.other()\n"
	if got, want := targetCrash(linesOf(short)), ": target SIGILL at PC=0x1 in main.main"; got != want {
		t.Errorf("short stack: got %q, want %q", got, want)
	}
	if got := targetCrash(linesOf("gopulse probe: attach: invalid argument\n")); got != "" {
		t.Errorf("no crash: got %q", got)
	}
}
