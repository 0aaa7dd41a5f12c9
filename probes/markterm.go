package probes

import (
	"fmt"
	"os"
	"strings"

	"golang.org/x/arch/x86/x86asm"

	"github.com/gopulse/gopulse/probes/gobin"
)

// markTermNowOffset finds, in go1.21's runtime.gcMarkTermination, the
// instruction right after the nanotime() call whose result ends the
// mark-termination pause in the runtime's own accounting
// (memstats.gcPauseDist.record(now - work.pauseStart), before the world is
// restarted): it is the last CALL runtime.nanotime1 before the first CALL
// time.now (`now := nanotime(); sec, nsec, _ := time_now()`). A uprobe
// there reads now from RAX. go1.22+ passes that time to
// startTheWorldWithSema instead, so this is needed for go1.21 only.
func markTermNowOffset(bin *gobin.Binary) (uint64, error) {
	const fn = "runtime.gcMarkTermination"
	f, err := bin.Func(fn)
	if err != nil {
		return 0, err
	}
	n := f.End - f.Entry
	if f.End <= f.Entry || n > 1<<20 {
		return 0, fmt.Errorf("func %s: bad size %d", fn, int64(n))
	}
	file, err := os.Open(bin.Path)
	if err != nil {
		return 0, err
	}
	defer file.Close()
	code := make([]byte, n)
	if _, err := file.ReadAt(code, int64(f.Offset)); err != nil {
		return 0, fmt.Errorf("read %s: %w", fn, err)
	}
	var after uint64 // offset in code after the latest CALL runtime.nanotime1
	for pc := 0; pc < len(code); {
		inst, err := x86asm.Decode(code[pc:], 64)
		if err != nil {
			return 0, fmt.Errorf("func %s: decode at +%#x: %w", fn, pc, err)
		}
		next := pc + inst.Len
		if inst.Op == x86asm.CALL {
			if rel, ok := inst.Args[0].(x86asm.Rel); ok {
				target := f.Entry + uint64(next) + uint64(int64(rel))
				name, _ := bin.FuncForPC(target)
				// .symtab names assembly functions "….abi0"; .gopclntab does not.
				switch strings.TrimSuffix(name, ".abi0") {
				case "runtime.nanotime1":
					after = uint64(next)
				case "time.now":
					if after == 0 {
						return 0, fmt.Errorf("func %s: no nanotime call before time.now", fn)
					}
					return f.Offset + after, nil
				}
			}
		}
		pc = next
	}
	return 0, fmt.Errorf("func %s: call to time.now not found", fn)
}
