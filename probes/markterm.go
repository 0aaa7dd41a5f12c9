package probes

import (
	"fmt"
	"strings"

	"github.com/gopulse/gopulse/probes/gobin"
)

// go1.21 records GC pauses (/gc/pauses:seconds, MemStats.PauseTotalNs) not
// from stopTheWorldWithSema to startTheWorldWithSema but between nanotime()
// reads in its callers:
//
//	gcStart, gcMarkDone: now := nanotime(); work.pauseStart = now; …; systemstack(stopTheWorldWithSema)
//	gcMarkTermination:   now := nanotime(); sec, nsec, _ := time_now(); gcPauseDist.record(now - work.pauseStart)
//
// nanotime() is inlined into a direct call of runtime.nanotime1, an
// assembly (ABI0) function that returns its result on the stack: at 0(SP)
// on amd64 (the return address is popped), 8(SP) on arm64 (above the slot
// of the saved link register). A uprobe placed right after the call reads
// it there (the caller's load of that slot, found in its code, confirms
// the place), so the probes use the runtime's own start and end times.
// go1.22+ passes these times to startTheWorldWithSema instead (worldStop),
// and none of this is needed.

// abi0ResultSP is where an ABI0 callee's first result is, relative to the
// caller's stack pointer, right after the call returns.
func abi0ResultSP(arch string) int64 {
	if arch == "arm64" {
		return 8
	}
	return 0
}

const nanotime1 = "runtime.nanotime1"

func calls(bin *gobin.Binary, fn string) ([]gobin.CallSite, error) {
	cs, err := bin.CallSites(fn)
	if err != nil {
		return nil, err
	}
	for i := range cs {
		cs[i].Callee = strings.TrimSuffix(cs[i].Callee, ".abi0")
	}
	return cs, nil
}

// nowSite checks that the caller reads nanotime1's result from its stack
// slot right after the call, and returns the probe offset.
func nowSite(bin *gobin.Binary, fn string, c gobin.CallSite) (uint64, error) {
	if want := abi0ResultSP(bin.Arch); c.StackResult != want {
		return 0, fmt.Errorf("func %s: after the nanotime call at %#x the result is not read from %d(SP) (first stack load: %d)",
			fn, c.Offset, want, c.StackResult)
	}
	return c.After, nil
}

// markTermNowOffset finds, in gcMarkTermination, the instruction after the
// last nanotime() call before the first time.now call.
func markTermNowOffset(bin *gobin.Binary) (uint64, error) {
	const fn = "runtime.gcMarkTermination"
	cs, err := calls(bin, fn)
	if err != nil {
		return 0, err
	}
	var last *gobin.CallSite
	for i, c := range cs {
		switch c.Callee {
		case nanotime1:
			last = &cs[i]
		case "time.now":
			if last == nil {
				return 0, fmt.Errorf("func %s: no nanotime call before time.now", fn)
			}
			return nowSite(bin, fn, *last)
		}
	}
	return 0, fmt.Errorf("func %s: call to time.now not found", fn)
}

// pauseStartOffset finds, in gcStart or gcMarkDone, the instruction after
// the nanotime() call whose next call (write barriers aside) is the
// systemstack switch that stops the world.
func pauseStartOffset(bin *gobin.Binary, fn string) (uint64, error) {
	cs, err := calls(bin, fn)
	if err != nil {
		return 0, err
	}
	for i, c := range cs {
		if c.Callee != nanotime1 {
			continue
		}
		for _, n := range cs[i+1:] {
			if strings.HasPrefix(n.Callee, "runtime.gcWriteBarrier") || strings.HasPrefix(n.Callee, "runtime.wb") {
				continue
			}
			if n.Callee == "runtime.systemstack" {
				return nowSite(bin, fn, c)
			}
			break
		}
	}
	return 0, fmt.Errorf("func %s: no nanotime call before stopping the world", fn)
}
