package probes

import (
	"fmt"
	"os"
	"strings"

	"golang.org/x/arch/x86/x86asm"

	"github.com/gopulse/gopulse/probes/gobin"
)

// go1.21 records GC pauses (/gc/pauses:seconds, MemStats.PauseTotalNs) not
// from stopTheWorldWithSema to startTheWorldWithSema but between nanotime()
// reads in its callers:
//
//	gcStart, gcMarkDone: now := nanotime(); work.pauseStart = now; …; systemstack(stopTheWorldWithSema)
//	gcMarkTermination:   now := nanotime(); sec, nsec, _ := time_now(); gcPauseDist.record(now - work.pauseStart)
//
// A uprobe placed right after such a call reads now from RAX, so the probes
// use the runtime's own start and end times. go1.22+ passes these times to
// startTheWorldWithSema instead (worldStop), and none of this is needed.

// callSite is one direct CALL in a function.
type callSite struct {
	after  uint64 // file offset of the instruction after the CALL
	callee string // without the ".abi0" suffix .symtab gives assembly functions
}

func calls(bin *gobin.Binary, fn string) ([]callSite, error) {
	f, err := bin.Func(fn)
	if err != nil {
		return nil, err
	}
	n := f.End - f.Entry
	if f.End <= f.Entry || n > 1<<20 {
		return nil, fmt.Errorf("func %s: bad size %d", fn, int64(n))
	}
	file, err := os.Open(bin.Path)
	if err != nil {
		return nil, err
	}
	defer file.Close()
	code := make([]byte, n)
	if _, err := file.ReadAt(code, int64(f.Offset)); err != nil {
		return nil, fmt.Errorf("read %s: %w", fn, err)
	}
	var out []callSite
	for pc := 0; pc < len(code); {
		inst, err := x86asm.Decode(code[pc:], 64)
		if err != nil {
			return nil, fmt.Errorf("func %s: decode at +%#x: %w", fn, pc, err)
		}
		next := pc + inst.Len
		if inst.Op == x86asm.CALL {
			if rel, ok := inst.Args[0].(x86asm.Rel); ok {
				name, _ := bin.FuncForPC(f.Entry + uint64(next) + uint64(int64(rel)))
				out = append(out, callSite{after: f.Offset + uint64(next), callee: strings.TrimSuffix(name, ".abi0")})
			}
		}
		pc = next
	}
	return out, nil
}

const nanotime1 = "runtime.nanotime1"

// markTermNowOffset finds, in gcMarkTermination, the instruction after the
// last nanotime() call before the first time.now call.
func markTermNowOffset(bin *gobin.Binary) (uint64, error) {
	const fn = "runtime.gcMarkTermination"
	cs, err := calls(bin, fn)
	if err != nil {
		return 0, err
	}
	var after uint64
	for _, c := range cs {
		switch c.callee {
		case nanotime1:
			after = c.after
		case "time.now":
			if after == 0 {
				return 0, fmt.Errorf("func %s: no nanotime call before time.now", fn)
			}
			return after, nil
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
		if c.callee != nanotime1 {
			continue
		}
		for _, n := range cs[i+1:] {
			if strings.HasPrefix(n.callee, "runtime.gcWriteBarrier") || strings.HasPrefix(n.callee, "runtime.wb") {
				continue
			}
			if n.callee == "runtime.systemstack" {
				return c.after, nil
			}
			break
		}
	}
	return 0, fmt.Errorf("func %s: no nanotime call before stopping the world", fn)
}
