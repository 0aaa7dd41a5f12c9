// Package rtstate reads a live Go process's own runtime accounting from
// outside, with process_vm_readv: the live goroutine count exactly as the
// runtime computes /sched/goroutines:goroutines, the scheduling-latency
// histogram (runtime.sched.timeToRun, the source of /sched/latencies:seconds)
// and the GC count (runtime.memstats.numgc, /gc/cycles/total:gc-cycles).
//
// Addresses come from probes/gobin (symbols, or recovered from code in
// stripped binaries) and struct offsets from the binary's DWARF or the
// versioned table. A sample costs three syscalls and allocates nothing in
// steady state. Linux only; elsewhere Open returns ErrNotSupported.
package rtstate

import (
	"errors"
	"math"
	"strconv"
	"strings"

	"github.com/gopulse/gopulse/event"
)

// Sentinel errors; test with errors.Is.
var (
	// ErrNotSupported: reading another process's memory is implemented
	// for Linux only.
	ErrNotSupported = errors.New("runtime state reading is not supported on this platform")
	// ErrProcessGone: the process exited (or its memory went away) during
	// the read.
	ErrProcessGone = errors.New("process exited")
	// ErrNotReady: the process has not initialised its Go runtime yet
	// (it was sampled right after exec); try again later.
	ErrNotReady = errors.New("go runtime not initialised yet")
	// ErrLayout: the target's runtime does not have the layout this
	// package understands (e.g. a timeHistogram of another size).
	ErrLayout = errors.New("unsupported runtime layout")
)

// Sample is one read of the runtime's accounting.
type Sample struct {
	// Goroutines is /sched/goroutines:goroutines as the target's Go
	// version computes it: user goroutines up to Go 1.25, user plus system
	// goroutines from Go 1.26 (gcount(true)).
	Goroutines int64
	// UserGoroutines excludes system goroutines, like runtime.NumGoroutine.
	UserGoroutines int64
	// GCCycles is runtime.memstats.numgc, /gc/cycles/total:gc-cycles.
	GCCycles uint32
	// Sched is the cumulative scheduling-latency histogram with the
	// bucket boundaries of runtime/metrics. Counts is reused by the next
	// Read and Buckets is shared: copy them to keep them.
	Sched event.SchedHistogram
	// PausesGC is the histogram of GC stop-the-world pauses
	// (runtime.sched.stwTotalTimeGC, /sched/pauses/total/gc:seconds), with
	// the same buckets; its total count is the number of GC pauses. Counts
	// is nil before Go 1.22, which does not keep it.
	PausesGC event.SchedHistogram
	// Stats are the memory, GC configuration and CPU values (Stats.Have
	// says which groups the target's symbols and offsets allowed).
	Stats event.RuntimeStats
}

// The runtime's timeHistogram geometry (runtime/histogram.go), unchanged
// from Go 1.20 through 1.26.
const (
	timeHistMinBucketBits = 9
	timeHistMaxBucketBits = 48
	timeHistSubBucketBits = 2
	timeHistNumSubBuckets = 1 << timeHistSubBucketBits
	timeHistNumBuckets    = timeHistMaxBucketBits - timeHistMinBucketBits + 1
	// timeHistCounts is len(timeHistogram.counts).
	timeHistCounts = timeHistNumBuckets * timeHistNumSubBuckets
)

// TimeHistogramBuckets returns the bucket boundaries (seconds) runtime/metrics
// reports for a timeHistogram: len = counts + 2 (underflow, overflow) + 1,
// from -Inf to +Inf, as the runtime's timeHistogramMetricsBuckets.
func TimeHistogramBuckets() []float64 {
	b := make([]float64, timeHistCounts+3)
	b[0] = math.Inf(-1)
	for j := 0; j < timeHistNumSubBuckets; j++ {
		ns := uint64(j) << (timeHistMinBucketBits - 1 - timeHistSubBucketBits)
		b[j+1] = float64(ns) / 1e9
	}
	for i := timeHistMinBucketBits; i < timeHistMaxBucketBits; i++ {
		for j := 0; j < timeHistNumSubBuckets; j++ {
			ns := uint64(1) << (i - 1)
			ns |= uint64(j) << (i - 1 - timeHistSubBucketBits)
			idx := (i-timeHistMinBucketBits+1)*timeHistNumSubBuckets + j + 1
			b[idx] = float64(ns) / 1e9
		}
	}
	b[len(b)-2] = float64(uint64(1)<<(timeHistMaxBucketBits-1)) / 1e9
	b[len(b)-1] = math.Inf(1)
	return b
}

// goroutines is the runtime's gcount: allglen minus the Gs on the global
// and per-P free lists, minus system goroutines unless includeSys. Like the
// runtime it never reports less than 1 (the values are read without a lock
// and may be momentarily inconsistent).
func goroutines(allglen, schedFree, ngsys, pFree int64, includeSys bool) int64 {
	n := allglen - schedFree - pFree
	if !includeSys {
		n -= ngsys
	}
	if n < 1 {
		n = 1
	}
	return n
}

// Quantile returns the index of the bucket (into h.Counts) that holds the
// q-quantile (0 < q ≤ 1) of the histogram, or -1 when it is empty. The
// same rank rule is used for both sides of a comparison.
func Quantile(h event.SchedHistogram, q float64) int {
	var total uint64
	for _, c := range h.Counts {
		total += c
	}
	if total == 0 {
		return -1
	}
	rank := uint64(math.Ceil(q * float64(total)))
	if rank == 0 {
		rank = 1
	}
	var cum uint64
	for i, c := range h.Counts {
		cum += c
		if cum >= rank {
			return i
		}
	}
	return len(h.Counts) - 1
}

type mapping struct {
	start, offset, inode uint64
	path                 string
}

// parseMapsLine parses "start-end perms offset dev inode path".
func parseMapsLine(line string) (mapping, bool) {
	fields := strings.Fields(line)
	if len(fields) < 5 {
		return mapping{}, false
	}
	startS, _, ok := strings.Cut(fields[0], "-")
	if !ok {
		return mapping{}, false
	}
	start, err1 := strconv.ParseUint(startS, 16, 64)
	off, err2 := strconv.ParseUint(fields[2], 16, 64)
	inode, err3 := strconv.ParseUint(fields[4], 10, 64)
	if err1 != nil || err2 != nil || err3 != nil {
		return mapping{}, false
	}
	m := mapping{start: start, offset: off, inode: inode}
	if len(fields) >= 6 {
		m.path = strings.Join(fields[5:], " ")
	}
	return m, true
}

// DataSymbols names the runtime globals Open looks up with
// gobin.Binary.DataSymbol: keep them when trimming a Binary (gobin's Trim).
// The first four are required; without runtime.gcController or
// runtime.work, samples lack the values read from them.
func DataSymbols() []string {
	return []string{"runtime.allglen", "runtime.allp", "runtime.sched", "runtime.memstats",
		"runtime.gcController", "runtime.work"}
}

// goalInputs are the gcControllerState fields the heap goal is computed
// from.
type goalInputs struct {
	gcPercentHeapGoal, sweepDistMinTrigger, triggered, heapMarked uint64
	heapFree, totalAlloc, totalFree, mappedReady                  uint64
	memoryLimit                                                   int64
}

// heapGoal computes /gc/heap/goal:bytes from the controller's fields the
// way the runtime's gcControllerState.heapGoalInternal does (the same from
// Go 1.21 to 1.26): the GOGC goal, or the memory-limit goal when that is
// lower, else the GOGC goal raised to the sweep-distance trigger and to
// 64 KiB past the point the cycle triggered at.
func heapGoal(in goalInputs) uint64 {
	goal := in.gcPercentHeapGoal
	if lim := memoryLimitHeapGoal(in); lim < goal {
		return lim
	}
	goal = max(goal, in.sweepDistMinTrigger)
	const minRunway = 64 << 10
	if in.triggered != ^uint64(0) && goal < in.triggered+minRunway {
		goal = in.triggered + minRunway
	}
	return goal
}

// memoryLimitHeapGoal is the runtime's memoryLimitHeapGoal: the memory
// limit minus the memory that is not heap objects (and minus any overage),
// less 3% headroom (at least 1 MiB), never below the live heap.
func memoryLimitHeapGoal(in goalInputs) uint64 {
	const headroomPercent, minHeadroom = 3, 1 << 20
	heapAlloc := in.totalAlloc - in.totalFree
	mapped := in.mappedReady
	// The runtime rereads until the three agree; a read from outside can
	// be torn the same way, and is rounded to the nearest consistent state.
	mapped = max(mapped, in.heapFree+heapAlloc)
	limit := uint64(in.memoryLimit)
	nonHeap := mapped - in.heapFree - heapAlloc
	var overage uint64
	if mapped > limit {
		overage = mapped - limit
	}
	if nonHeap+overage >= limit {
		return in.heapMarked
	}
	goal := limit - (nonHeap + overage)
	headroom := max(goal/100*headroomPercent, minHeadroom)
	if goal < headroom || goal-headroom < headroom {
		goal = headroom
	} else {
		goal -= headroom
	}
	return max(goal, in.heapMarked)
}
