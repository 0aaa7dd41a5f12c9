// Command gctarget is the e2e tests' Go workload for the real agent: it
// allocates garbage steadily, so the runtime runs GC cycles (and their
// stop-the-world phases) that the agent's uprobes see, until it is killed.
package main

import (
	"flag"
	"runtime"
	"time"
)

func main() {
	every := flag.Duration("gc", 100*time.Millisecond, "also force a GC cycle this often")
	flag.Parse()
	keep := make([][]byte, 64)
	gc := time.NewTicker(*every)
	defer gc.Stop()
	for i := 0; ; i++ {
		keep[i%len(keep)] = make([]byte, 64<<10)
		select {
		case <-gc.C:
			runtime.GC()
		default:
		}
		if i%256 == 0 {
			time.Sleep(time.Millisecond)
		}
	}
}
