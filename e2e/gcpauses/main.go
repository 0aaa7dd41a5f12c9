// Command gcpauses is the e2e trace-sampling test's workload: GC cycles at
// a steady pace, every -slow-every'th of them with a long stop-the-world
// pause, and the runtime's own record of every cycle's pause on stdout.
//
// Run it with GODEBUG=asyncpreemptoff=1: a goroutine spinning in a loop
// without calls then cannot be stopped until its spin ends, so a cycle that
// starts during a spin waits that long for the world to stop.
//
// Every 100ms it prints one JSON line, {"numgc":N,"cycles":[[n,pause_ns],…]},
// the cycles finished since the previous line with their total
// stop-the-world time (runtime.MemStats.PauseNs: the sum of the cycle's
// pauses, its whole time stopped); "gap":true when more than 256 cycles
// passed in between (their pauses are gone). It exits when stdin closes,
// after a last line.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"math"
	"os"
	"runtime"
	"sync/atomic"
	"time"
)

var sink atomic.Uint64

// spin runs n iterations of a loop with no call in it: no safepoint for the
// scheduler (with async preemption off).
//
//go:noinline
func spin(n uint64) {
	x := uint64(1)
	for i := uint64(0); i < n; i++ {
		x = x*6364136223846793005 + i
	}
	sink.Store(x)
}

func main() {
	every := flag.Duration("every", 20*time.Millisecond, "start a GC cycle this often")
	slowEvery := flag.Int("slow-every", 5, "every Nth cycle starts while a goroutine spins for -spin")
	spinFor := flag.Duration("spin", 5*time.Millisecond, "spin length")
	flag.Parse()
	runtime.GOMAXPROCS(max(2, runtime.GOMAXPROCS(0)))

	// Iterations per -spin, measured here: the fastest of several runs (on
	// a loaded machine a run is stretched by the time it waited for a CPU).
	const probe = 2_000_000
	best := time.Duration(math.MaxInt64)
	for range 20 {
		t0 := time.Now()
		spin(probe)
		best = min(best, time.Since(t0))
	}
	iters := uint64(float64(probe) * float64(*spinFor) / float64(best))

	done := make(chan struct{})
	go func() {
		in := bufio.NewScanner(os.Stdin)
		for in.Scan() {
		}
		close(done)
	}()
	go func() {
		var garbage [][]byte
		for i := 0; ; i++ {
			garbage = append(garbage[:0], make([]byte, 64<<10))
			if *slowEvery > 0 && i%*slowEvery == 0 {
				started := make(chan struct{})
				go func() {
					close(started)
					spin(iters)
				}()
				<-started
			}
			runtime.GC()
			time.Sleep(*every)
		}
	}()

	out := json.NewEncoder(os.Stdout)
	var ms runtime.MemStats
	var last uint32
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	report := func() {
		runtime.ReadMemStats(&ms)
		line := struct {
			NumGC  uint32      `json:"numgc"`
			Cycles [][2]uint64 `json:"cycles"`
			Gap    bool        `json:"gap,omitempty"`
		}{NumGC: ms.NumGC, Cycles: [][2]uint64{}}
		from := last + 1
		if last > 0 && ms.NumGC-last > uint32(len(ms.PauseNs)) {
			line.Gap = true
			from = ms.NumGC - uint32(len(ms.PauseNs)) + 1
		}
		for n := from; n <= ms.NumGC && n > 0; n++ {
			line.Cycles = append(line.Cycles, [2]uint64{uint64(n), ms.PauseNs[(n+255)%256]})
		}
		last = ms.NumGC
		out.Encode(&line)
	}
	for {
		select {
		case <-done:
			report()
			return
		case <-tick.C:
			report()
		}
	}
}
