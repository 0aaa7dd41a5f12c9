// Command target is a test workload for probes/rtstate and the probes: it
// keeps a set of parked goroutines, churns short-lived goroutines and
// allocates enough to run the GC often.
//
// Signals: SIGUSR1 pauses the workload (no goroutine is created or
// allocates until SIGUSR2), then reads runtime/metrics and prints one JSON
// line on stdout; SIGUSR2 resumes; SIGTERM exits. It builds with Go 1.21
// and later; metrics the running Go version lacks are left out.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"runtime/metrics"
	"sync"
	"syscall"
	"time"
)

// Snapshot is what the target prints.
type Snapshot struct {
	Goroutines   uint64   `json:"goroutines"`    // /sched/goroutines:goroutines
	NumGoroutine int      `json:"num_goroutine"` // runtime.NumGoroutine()
	GCCycles     uint64   `json:"gc_cycles"`     // /gc/cycles/total:gc-cycles
	SchedCounts  []uint64 `json:"sched_counts"`  // /sched/latencies:seconds
	SchedBuckets int      `json:"sched_buckets"` // len(Buckets)
	GCPauses     *uint64  `json:"gc_pauses"`     // count of /sched/pauses/total/gc:seconds (Go 1.22+)
	GoVersion    string   `json:"go_version"`
	Paused       bool     `json:"paused"`
	// Scalars of runtime/metrics by name (memory classes, heap allocs and
	// goal, GOGC, memory limit, GOMAXPROCS, CPU classes); names the
	// running Go version lacks are left out.
	Scalars map[string]float64 `json:"scalars"`
}

// scalarNames are the runtime/metrics scalars the snapshot reports.
var scalarNames = []string{
	"/memory/classes/total:bytes",
	"/memory/classes/heap/released:bytes",
	"/memory/classes/heap/stacks:bytes",
	"/gc/heap/allocs:bytes",
	"/gc/heap/allocs:objects",
	"/gc/heap/goal:bytes",
	"/gc/gomemlimit:bytes",
	"/gc/gogc:percent",
	"/sched/gomaxprocs:threads",
	"/cpu/classes/gc/total:cpu-seconds",
	"/cpu/classes/scavenge/total:cpu-seconds",
	"/cpu/classes/idle:cpu-seconds",
	"/cpu/classes/user:cpu-seconds",
}

func main() {
	idle := flag.Int("idle", 1000, "parked goroutines")
	churn := flag.Int("churn", 4, "goroutine-churning workers")
	allocKiB := flag.Int("alloc", 256, "KiB allocated per allocation step")
	flag.Parse()

	var gate sync.RWMutex // workers hold it shared per step; pausing takes it
	block := make(chan struct{})
	for i := 0; i < *idle; i++ {
		go func() { <-block }()
	}
	for i := 0; i < *churn; i++ {
		go func() {
			var wg sync.WaitGroup
			for {
				gate.RLock()
				for j := 0; j < 8; j++ {
					wg.Add(1)
					go func() {
						runtime.Gosched()
						wg.Done()
					}()
				}
				wg.Wait()
				gate.RUnlock()
			}
		}()
	}
	go func() {
		var keep [16][]byte
		for i := 0; ; i++ {
			gate.RLock()
			keep[i%len(keep)] = make([]byte, *allocKiB<<10)
			gate.RUnlock()
		}
	}()

	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGTERM)
	fmt.Printf("{\"ready\":true,\"pid\":%d}\n", os.Getpid())
	paused := false
	enc := json.NewEncoder(os.Stdout)
	for s := range sigs {
		switch s {
		case syscall.SIGUSR1:
			if !paused {
				gate.Lock()
				paused = true
			}
			settle()
			if err := enc.Encode(snapshot()); err != nil {
				os.Exit(1)
			}
		case syscall.SIGUSR2:
			if paused {
				gate.Unlock()
				paused = false
			}
		case syscall.SIGTERM:
			return
		}
	}
}

// settle waits until a GC cycle that was running when the workload paused
// has finished: the cycle count stays the same for 100ms.
func settle() {
	s := []metrics.Sample{{Name: "/gc/cycles/total:gc-cycles"}}
	metrics.Read(s)
	last := s[0].Value.Uint64()
	for i := 0; i < 50; i++ {
		time.Sleep(100 * time.Millisecond)
		metrics.Read(s)
		n := s[0].Value.Uint64()
		if n == last {
			return
		}
		last = n
	}
}

func snapshot() Snapshot {
	samples := []metrics.Sample{
		{Name: "/sched/goroutines:goroutines"},
		{Name: "/gc/cycles/total:gc-cycles"},
		{Name: "/sched/latencies:seconds"},
		{Name: "/sched/pauses/total/gc:seconds"},
	}
	for _, n := range scalarNames {
		samples = append(samples, metrics.Sample{Name: n})
	}
	metrics.Read(samples)
	s := Snapshot{NumGoroutine: runtime.NumGoroutine(), GoVersion: runtime.Version(), Paused: true}
	s.Goroutines = samples[0].Value.Uint64()
	s.GCCycles = samples[1].Value.Uint64()
	h := samples[2].Value.Float64Histogram()
	s.SchedCounts = h.Counts
	s.SchedBuckets = len(h.Buckets)
	if samples[3].Value.Kind() == metrics.KindFloat64Histogram {
		var n uint64
		for _, c := range samples[3].Value.Float64Histogram().Counts {
			n += c
		}
		s.GCPauses = &n
	}
	s.Scalars = make(map[string]float64, len(scalarNames))
	for _, x := range samples[4:] {
		switch x.Value.Kind() {
		case metrics.KindUint64:
			s.Scalars[x.Name] = float64(x.Value.Uint64())
		case metrics.KindFloat64:
			s.Scalars[x.Name] = x.Value.Float64()
		}
	}
	return s
}
