// Command gcload is a target program for gopulse's probe tests and
// benchmarks. It keeps the GC busy (allocation), churns goroutines, keeps a
// pool of parked goroutines alive and can leak goroutines on purpose.
//
// Ground truth: each line "mark" on stdin quiesces the workload, reads the
// runtime's own accounting (runtime/metrics, plus MemStats.PauseTotalNs for
// the exact pause sum) and prints it as one JSON line on stdout, then
// resumes. "hold" does the same but stays quiet until "resume", so that a
// reader outside can sample the same state however slow the machine is;
// "peek" reads and prints again without changing anything (while held: to
// see that the state settled). "quit" exits. With -work N it instead runs a fixed amount of work
// and prints the elapsed wall time (benchmarks).
//
// It has its own go.mod (go 1.21) so it builds with GOTOOLCHAIN=go1.21.13.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"net"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

var sink atomic.Pointer[[]byte]

type snapshot struct {
	UnixNS        int64     `json:"unix_ns"`
	GCCycles      uint64    `json:"gc_cycles"`
	PauseCount    uint64    `json:"gc_pause_count"`
	PauseTotalNS  uint64    `json:"gc_pause_total_ns"`
	PauseHistName string    `json:"gc_pause_metric"`
	Goroutines    uint64    `json:"goroutines"`
	SchedCounts   []uint64  `json:"sched_counts"`
	SchedBuckets  []float64 `json:"sched_buckets"`
	PauseCounts   []uint64  `json:"pause_counts"`
	PauseBuckets  []float64 `json:"pause_buckets"`
}

func main() {
	allocWorkers := flag.Int("alloc", 1, "allocating goroutines (GC load)")
	churn := flag.Bool("churn", true, "create short-lived goroutines continuously")
	churnRate := flag.Int("churnrate", 0, "churn batches (64 goroutines each) per second, 0: as fast as possible")
	parked := flag.Int("parked", 500, "goroutines parked for the whole run")
	leak := flag.Int("leak", 0, "goroutines leaked per second (never exit)")
	work := flag.Int("work", 0, "benchmark: run this many work units, print the wall time and exit")
	exit := flag.Int("exit", 0, "with -work: exit status")
	phased := flag.Bool("phased", false, "benchmark: work until \"quit\"; each \"tick\" on stdin prints the work units done and the CPU time used so far")
	listen := flag.String("listen", "", "listen on this TCP address (accepting nothing) and name it in the ready line, e.g. 127.0.0.1:0")
	listenAfter := flag.Duration("listen-after", 0, "with -listen: open the listener this long after the ready line (which then names no address)")
	unit := flag.String("unit", "", "with -phased: the work unit, \"\" (allocate, or churn with -churn), \"memstats\" (runtime.ReadMemStats: one stop-the-world), \"gc\" (runtime.GC: one whole cycle) or \"gosched\" (runtime.Gosched: one runnable→running transition); the last two run on one P")
	flag.Parse()

	if *phased {
		serveTicks(*allocWorkers, *churn, *unit)
		return
	}

	if *work > 0 {
		bench(*work, *allocWorkers, *churn)
		os.Exit(*exit)
	}

	paused := newGate()
	stop := make(chan struct{})
	for i := 0; i < *parked; i++ {
		go func() { <-stop }()
	}
	for i := 0; i < *allocWorkers; i++ {
		go loop(paused, allocate)
	}
	if *churn {
		f := churnOnce
		if *churnRate > 0 {
			f = func() {
				churnOnce()
				time.Sleep(time.Second / time.Duration(*churnRate))
			}
		}
		go loop(paused, f)
	}
	if *leak > 0 {
		go leaker(paused, *leak, stop)
	}

	pauseName := "/sched/pauses/total/gc:seconds"
	if !haveMetric(pauseName) {
		pauseName = "/gc/pauses:seconds" // go1.21
	}
	in := bufio.NewScanner(os.Stdin)
	out := json.NewEncoder(os.Stdout)
	if *listen != "" && *listenAfter > 0 {
		fmt.Println(`{"ready":true}`)
		go func() {
			time.Sleep(*listenAfter)
			l, err := net.Listen("tcp", *listen)
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(1)
			}
			defer l.Close()
			<-stop
		}()
	} else if *listen != "" {
		l, err := net.Listen("tcp", *listen)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		defer l.Close()
		fmt.Printf("{\"ready\":true,\"listen\":%q}\n", l.Addr().String())
	} else {
		fmt.Println(`{"ready":true}`)
	}
	heldGC := 0 // GC percent to restore on resume; 0: not held
	for in.Scan() {
		switch in.Text() {
		case "resume":
			if heldGC != 0 {
				debug.SetGCPercent(heldGC)
				heldGC = 0
			}
			paused.Store(false)
		case "peek":
			if err := out.Encode(read(pauseName)); err != nil {
				os.Exit(1)
			}
		case "mark", "hold":
			paused.Store(true)
			time.Sleep(20 * time.Millisecond) // let workers idle
			// No GC runs while reading, so that none straddles the
			// window's edge.
			old := stopGC()
			time.Sleep(20 * time.Millisecond)
			s := read(pauseName)
			if in.Text() == "hold" {
				// Nothing more runs until resume: the state read stays
				// the state an outside reader finds.
				heldGC = old
				if err := out.Encode(s); err != nil {
					os.Exit(1)
				}
				break
			}
			time.Sleep(20 * time.Millisecond)
			debug.SetGCPercent(old)
			if err := out.Encode(s); err != nil {
				os.Exit(1)
			}
			paused.Store(false)
		case "quit":
			return
		}
	}
}

// stopGC disables the GC and returns once no cycle is running: none starts
// until debug.SetGCPercent(old). It returns the GC percent to restore.
func stopGC() (old int) {
	old = debug.SetGCPercent(-1)
	// SetGCPercent(-1) waits only for a cycle already counted as started: a
	// cycle whose start passed its heap-trigger check just before the GC was
	// disabled is still being started (stopping the world) and runs on after
	// it returns. A reading then holds that cycle's first pause but neither
	// its end nor its pause time, and the cycle straddles the window's edge
	// (issue 8: "gc_cycles=13/12 pauses=25/25" on a loaded emulated host).
	// runtime.GC waits for any cycle in progress, that one included, and then
	// runs one whole cycle; with the GC disabled nothing starts after it.
	runtime.GC()
	return old
}

func haveMetric(name string) bool {
	for _, d := range metrics.All() {
		if d.Name == name {
			return true
		}
	}
	return false
}

func read(pauseName string) snapshot {
	samples := []metrics.Sample{
		{Name: "/gc/cycles/total:gc-cycles"},
		{Name: pauseName},
		{Name: "/sched/goroutines:goroutines"},
		{Name: "/sched/latencies:seconds"},
	}
	metrics.Read(samples)
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	s := snapshot{UnixNS: time.Now().UnixNano(), PauseHistName: pauseName}
	s.GCCycles = samples[0].Value.Uint64()
	ph := samples[1].Value.Float64Histogram()
	for _, c := range ph.Counts {
		s.PauseCount += c
	}
	s.PauseCounts, s.PauseBuckets = ph.Counts, finite(ph.Buckets)
	s.PauseTotalNS = ms.PauseTotalNs
	s.Goroutines = samples[2].Value.Uint64()
	sh := samples[3].Value.Float64Histogram()
	s.SchedCounts, s.SchedBuckets = sh.Counts, finite(sh.Buckets)
	return s
}

// finite replaces ±Inf bucket bounds, which JSON cannot carry.
func finite(b []float64) []float64 {
	out := make([]float64, len(b))
	for i, v := range b {
		switch {
		case math.IsInf(v, -1):
			out[i] = -1
		case math.IsInf(v, 1):
			out[i] = 1e9
		default:
			out[i] = v
		}
	}
	return out
}

func loop(paused *gate, f func()) {
	for {
		paused.wait()
		f()
	}
}

// gate pauses the workload: while it is set, workers block (no polling,
// so a held target makes no scheduling events of its own).
type gate struct {
	on   atomic.Bool
	mu   sync.Mutex
	cond *sync.Cond
}

func newGate() *gate {
	g := &gate{}
	g.cond = sync.NewCond(&g.mu)
	return g
}

func (g *gate) Load() bool { return g.on.Load() }

func (g *gate) Store(on bool) {
	g.mu.Lock()
	g.on.Store(on)
	g.mu.Unlock()
	if !on {
		g.cond.Broadcast()
	}
}

// wait blocks while the gate is set.
func (g *gate) wait() {
	if !g.on.Load() {
		return
	}
	g.mu.Lock()
	for g.on.Load() {
		g.cond.Wait()
	}
	g.mu.Unlock()
}

// allocate makes garbage: about 1 MiB per call in small objects.
func allocate() {
	for i := 0; i < 256; i++ {
		b := make([]byte, 4096)
		b[0] = byte(i)
		sink.Store(&b)
	}
}

// churnOnce starts 64 short-lived goroutines and waits for them.
func churnOnce() {
	var wg sync.WaitGroup
	for i := 0; i < 64; i++ {
		wg.Add(1)
		go func() {
			b := make([]byte, 128)
			b[0] = 1
			sink.Store(&b)
			wg.Done()
		}()
	}
	wg.Wait()
}

func leaker(paused *gate, perSec int, stop chan struct{}) {
	t := time.NewTicker(time.Second / time.Duration(perSec))
	defer t.Stop()
	for range t.C {
		if paused.Load() {
			continue
		}
		go leaked(stop)
	}
}

//go:noinline
func leaked(stop chan struct{}) { <-stop }

// bench runs n work units and prints the elapsed wall time in ns.
func bench(n, allocWorkers int, churn bool) {
	start := time.Now()
	var wg sync.WaitGroup
	per := n / max(1, allocWorkers)
	for w := 0; w < allocWorkers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < per; i++ {
				if churn {
					churnOnce()
				} else {
					allocate()
				}
			}
		}()
	}
	wg.Wait()
	fmt.Printf("{\"elapsed_ns\":%d,\"gc_cycles\":%d}\n", time.Since(start).Nanoseconds(), gcCycles())
}

// serveTicks works continuously and answers each "tick" on stdin with the
// work units done, the process's CPU time (user+system) and the GC count so
// far, so that a benchmark can compare phases with and without probes inside
// one process (no start-up or heap-layout noise between arms).
func serveTicks(allocWorkers int, churn bool, unit string) {
	var units atomic.Int64
	f := allocate
	switch {
	case unit == "memstats":
		var ms runtime.MemStats
		f = func() { runtime.ReadMemStats(&ms) }
	case unit == "gc":
		f = runtime.GC
	case unit == "gosched":
		f = runtime.Gosched
	case unit != "":
		fmt.Fprintf(os.Stderr, "unknown -unit %q\n", unit)
		os.Exit(2)
	case churn:
		f = churnOnce
	}
	if unit != "" {
		runtime.GOMAXPROCS(1)
		allocWorkers = 1
	}
	for w := 0; w < max(1, allocWorkers); w++ {
		go func() {
			for {
				f()
				units.Add(1)
			}
		}()
	}
	in := bufio.NewScanner(os.Stdin)
	fmt.Println(`{"ready":true}`)
	for in.Scan() {
		switch in.Text() {
		case "tick":
			var ru syscall.Rusage
			syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
			cpu := ru.Utime.Nano() + ru.Stime.Nano()
			fmt.Printf("{\"units\":%d,\"cpu_ns\":%d,\"gc_cycles\":%d,\"unix_ns\":%d}\n", units.Load(), cpu, gcCycles(), time.Now().UnixNano())
		case "quit":
			return
		}
	}
}

func gcCycles() uint64 {
	s := []metrics.Sample{{Name: "/gc/cycles/total:gc-cycles"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}
