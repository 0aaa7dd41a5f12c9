package rtstate

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/gopulse/gopulse/event"
	"github.com/gopulse/gopulse/probes/gobin"
	"github.com/gopulse/gopulse/probes/offsets"
)

// iovMax is the kernel's UIO_MAXIOV: the most iovecs one process_vm_readv
// takes.
const iovMax = 1024

// maxProcs bounds len(runtime.allp) (GOMAXPROCS) as a sanity check.
const maxProcs = 1 << 16

// Reader samples one process. It is not safe for concurrent use.
type Reader struct {
	pid        int
	pidfd      int  // pins the process: a reused pid is not mistaken for it; -1 if unavailable
	includeSys bool // /sched/goroutines counts system goroutines (Go 1.26+)
	o          offsets.Offsets

	// Read 1: allglen, the allp slice header, memstats.numgc, the sched
	// span from its lowest needed field to the end of timeToRun and, when
	// the runtime has it, stwTotalTimeGC, gathered into one buffer.
	local1  [1]unix.Iovec
	remote1 []unix.RemoteIovec
	buf1    []byte
	posSch  int   // where the sched span starts in buf1
	posSTW  int   // where stwTotalTimeGC starts in buf1 (0: absent)
	schedLo int64 // offset in runtime.schedt of the span's first byte

	// Read 2: the allp array of *p.
	allpBuf []byte
	local2  [1]unix.Iovec
	remote2 [1]unix.RemoteIovec

	// Read 3: gFree count of every P.
	pRemote []unix.RemoteIovec
	pBuf    []byte
	local3  [1]unix.Iovec

	counts    []uint64
	stwCounts []uint64
	buckets   []float64

	// Optional spans of read 1 (pos 0: not read): memstats' heap stats and
	// sys counters, gcController, work.cpuStats; lo is the struct offset
	// of each span's first byte.
	posMem, posCtl, posCPU int
	memLo, ctlLo, cpuLo    int64
	have                   event.StatsHave
}

// Open prepares to sample pid, whose executable bin is (bin stays owned by
// the caller and is not used after Open returns). It resolves the runtime's
// globals, applies the PIE load bias from /proc/PID/maps, and reads once to
// check that what it finds is plausible.
func Open(pid int, bin *gobin.Binary) (*Reader, error) {
	o, err := bin.Offsets()
	if err != nil {
		return nil, fmt.Errorf("pid %d: %w", pid, err)
	}
	if err := checkLayout(o); err != nil {
		return nil, fmt.Errorf("pid %d (%s): %w", pid, bin.GoVersion, err)
	}
	_, minor, _ := offsets.Minor(bin.GoVersion)
	var bias uint64
	if bin.PIE {
		bias, err = LoadBias(pid, bin)
		if err != nil {
			return nil, err
		}
	}
	sym := func(name string) (uint64, error) {
		v, err := bin.DataSymbol(name)
		if err != nil {
			return 0, fmt.Errorf("pid %d: %w", pid, err)
		}
		return v + bias, nil
	}
	allglen, err := sym("runtime.allglen")
	if err != nil {
		return nil, err
	}
	allp, err := sym("runtime.allp")
	if err != nil {
		return nil, err
	}
	sched, err := sym("runtime.sched")
	if err != nil {
		return nil, err
	}
	memstats, err := sym("runtime.memstats")
	if err != nil {
		return nil, err
	}

	r := &Reader{
		pid:        pid,
		pidfd:      -1,
		includeSys: minor >= 26,
		o:          o,
		counts:     make([]uint64, o.HistCountsLen+2),
		buckets:    TimeHistogramBuckets(),
	}
	lo := o.SchedTimeToRun
	for _, f := range []int64{o.SchedNGsys, o.SchedGFreeN, o.SchedGFreeStackN, o.SchedGFreeNoStackN} {
		if f >= 0 && f < lo {
			lo = f
		}
	}
	hi := o.SchedTimeToRun + o.HistOverflow + 8
	r.schedLo = lo
	histBytes := o.HistOverflow + 8
	r.remote1 = []unix.RemoteIovec{
		{Base: uintptr(allglen), Len: 8},
		{Base: uintptr(allp), Len: 16},
		{Base: uintptr(memstats + uint64(o.MemstatsNumGC)), Len: 4},
		{Base: uintptr(sched + uint64(lo)), Len: int(hi - lo)},
	}
	r.posSch = 8 + 16 + 4
	n := r.posSch + int(hi-lo)
	if o.SchedSTWTotalTimeGC >= 0 {
		r.remote1 = append(r.remote1, unix.RemoteIovec{Base: uintptr(sched + uint64(o.SchedSTWTotalTimeGC)), Len: int(histBytes)})
		r.posSTW = n
		n += int(histBytes)
		r.stwCounts = make([]uint64, o.HistCountsLen+2)
	}
	// The optional groups: each is one more range of the same read.
	span := func(base uint64, group event.StatsHave, offs ...int64) (pos int, lo int64) {
		lo, hi := offs[0], offs[0]
		for _, f := range offs {
			if f < 0 {
				return 0, 0
			}
			lo, hi = min(lo, f), max(hi, f)
		}
		r.remote1 = append(r.remote1, unix.RemoteIovec{Base: uintptr(base + uint64(lo)), Len: int(hi + 8 - lo)})
		pos = n
		n += int(hi + 8 - lo)
		r.have |= group
		return pos, lo
	}
	if memOK(o) {
		last := o.MemstatsHeapStats + 2*o.HeapDeltaSize
		r.posMem, r.memLo = span(memstats, event.HaveMemory, o.MemstatsHeapStats,
			last+o.HeapDeltaCommitted, last+o.HeapDeltaInStacks, last+o.HeapDeltaLargeAllocCount,
			last+o.HeapDeltaSmallAllocCount+8*(o.HeapDeltaSmallAllocCountLen-1),
			o.MemstatsStacksSys, o.MemstatsMSpanSys, o.MemstatsMCacheSys, o.MemstatsBuckHashSys,
			o.MemstatsGCMiscSys, o.MemstatsOtherSys)
	}
	if ctl, err := sym("runtime.gcController"); err == nil {
		r.posCtl, r.ctlLo = span(ctl, event.HaveController, o.GCCtlGCPercent, o.GCCtlMemoryLimit,
			o.GCCtlGCPercentHeapGoal, o.GCCtlSweepDistMinTrigger, o.GCCtlTriggered, o.GCCtlHeapMarked,
			o.GCCtlHeapFree, o.GCCtlTotalAlloc, o.GCCtlTotalFree, o.GCCtlMappedReady)
	}
	if work, err := sym("runtime.work"); err == nil {
		r.posCPU, r.cpuLo = span(work, event.HaveCPU, o.WorkCPUGCTotal, o.WorkCPUScavengeTotal, o.WorkCPUIdle, o.WorkCPUUser)
	}
	r.buf1 = make([]byte, n)
	r.local1[0] = iovec(r.buf1)

	// The pidfd is taken before the first read, so that the read and every
	// later one are known to come from this process, not a successor that
	// reused its pid.
	if fd, err := unix.PidfdOpen(pid, 0); err == nil {
		r.pidfd = fd
	} else if errors.Is(err, unix.ESRCH) {
		return nil, fmt.Errorf("pid %d: %w", pid, ErrProcessGone)
	}
	var s Sample
	if err := r.Read(&s); err != nil {
		r.Close()
		return nil, err
	}
	return r, nil
}

// memOK reports whether the offsets locate every heap-stats field the
// memory group needs, with a plausible layout.
func memOK(o offsets.Offsets) bool {
	for _, f := range []int64{o.MemstatsHeapStats, o.HeapDeltaCommitted, o.HeapDeltaInStacks,
		o.HeapDeltaLargeAllocCount, o.HeapDeltaSmallAllocCount, o.MemstatsStacksSys, o.MemstatsMSpanSys,
		o.MemstatsMCacheSys, o.MemstatsBuckHashSys, o.MemstatsGCMiscSys, o.MemstatsOtherSys} {
		if f < 0 {
			return false
		}
	}
	n := o.HeapDeltaSmallAllocCountLen
	return n > 0 && n <= 256 && o.HeapDeltaSize > o.HeapDeltaSmallAllocCount+8*(n-1) &&
		o.HeapDeltaSize%8 == 0 && o.HeapDeltaSize <= 1<<14
}

// checkLayout verifies that the offsets have every field Read needs.
func checkLayout(o offsets.Offsets) error {
	if o.HistCountsLen != timeHistCounts {
		return fmt.Errorf("timeHistogram has %d counts, want %d: %w", o.HistCountsLen, timeHistCounts, ErrLayout)
	}
	if o.HistCounts != 0 || o.HistUnderflow != o.HistCountsLen*8 || o.HistOverflow != o.HistUnderflow+8 {
		return fmt.Errorf("timeHistogram fields at %d/%d/%d: %w", o.HistCounts, o.HistUnderflow, o.HistOverflow, ErrLayout)
	}
	for name, v := range map[string]int64{
		"schedt.timeToRun": o.SchedTimeToRun, "schedt.ngsys": o.SchedNGsys,
		"p.gFree.n": o.PGFreeN, "mstats.numgc": o.MemstatsNumGC,
	} {
		if v < 0 {
			return fmt.Errorf("no %s: %w", name, ErrLayout)
		}
	}
	if o.SchedGFreeN < 0 && (o.SchedGFreeStackN < 0 || o.SchedGFreeNoStackN < 0) {
		return fmt.Errorf("no schedt.gFree count: %w", ErrLayout)
	}
	return nil
}

func iovec(b []byte) unix.Iovec {
	v := unix.Iovec{Base: unsafe.SliceData(b)}
	v.SetLen(len(b))
	return v
}

// readv reads the remote ranges into local (contiguously).
func (r *Reader) readv(local []unix.Iovec, remote []unix.RemoteIovec, want int) error {
	n, err := unix.ProcessVMReadv(r.pid, local, remote, 0)
	if err != nil {
		if errors.Is(err, unix.ESRCH) {
			return fmt.Errorf("read pid %d: %w", r.pid, ErrProcessGone)
		}
		if errors.Is(err, unix.EFAULT) {
			// The address space went away or the address is wrong;
			// tell the two apart.
			if !r.alive() {
				return fmt.Errorf("read pid %d: %w", r.pid, ErrProcessGone)
			}
		}
		return fmt.Errorf("read pid %d: process_vm_readv: %w", r.pid, err)
	}
	if n != want {
		if !r.alive() {
			return fmt.Errorf("read pid %d: %w", r.pid, ErrProcessGone)
		}
		return fmt.Errorf("read pid %d: short read %d of %d bytes", r.pid, n, want)
	}
	return nil
}

// alive reports whether the process is still there (a zombie counts as
// alive; its reads fail with ESRCH anyway).
func (r *Reader) alive() bool {
	var err error
	if r.pidfd >= 0 {
		err = unix.PidfdSendSignal(r.pidfd, 0, nil, 0)
	} else {
		err = unix.Kill(r.pid, 0)
	}
	return err == nil || errors.Is(err, unix.EPERM)
}

// Read takes one sample into s. It makes three process_vm_readv calls and
// one pidfd check, and allocates nothing unless GOMAXPROCS grew since the
// last call. A process
// that exits during the read gives an error wrapping ErrProcessGone.
func (r *Reader) Read(s *Sample) error {
	le := binary.LittleEndian
	if err := r.readv(r.local1[:], r.remote1[:], len(r.buf1)); err != nil {
		return err
	}
	allglen := int64(le.Uint64(r.buf1[0:]))
	allpPtr := le.Uint64(r.buf1[8:])
	allpLen := int64(le.Uint64(r.buf1[16:]))
	numgc := le.Uint32(r.buf1[24:])
	sch := r.buf1[r.posSch:]
	field32 := func(off int64) int64 { return int64(int32(le.Uint32(sch[off-r.schedLo:]))) }

	if allpLen == 0 || allglen == 0 {
		return fmt.Errorf("read pid %d: %w", r.pid, ErrNotReady)
	}
	if allpLen < 1 || allpLen > maxProcs || allglen < 1 || allglen > 1<<40 {
		return fmt.Errorf("read pid %d: implausible allglen %d, len(allp) %d: %w", r.pid, allglen, allpLen, ErrLayout)
	}

	// The P free lists.
	need := int(allpLen) * 8
	if cap(r.allpBuf) < need {
		r.allpBuf = make([]byte, need)
		r.pBuf = make([]byte, 4*allpLen)
		r.pRemote = make([]unix.RemoteIovec, allpLen)
	}
	r.allpBuf = r.allpBuf[:need]
	r.local2[0] = iovec(r.allpBuf)
	r.remote2[0] = unix.RemoteIovec{Base: uintptr(allpPtr), Len: need}
	if err := r.readv(r.local2[:], r.remote2[:], need); err != nil {
		return err
	}
	pRemote := r.pRemote[:allpLen]
	for i := range pRemote {
		pRemote[i] = unix.RemoteIovec{Base: uintptr(le.Uint64(r.allpBuf[8*i:]) + uint64(r.o.PGFreeN)), Len: 4}
	}
	pBuf := r.pBuf[:4*allpLen]
	for start := 0; start < len(pRemote); start += iovMax {
		end := min(start+iovMax, len(pRemote))
		r.local3[0] = iovec(pBuf[4*start : 4*end])
		if err := r.readv(r.local3[:], pRemote[start:end], 4*(end-start)); err != nil {
			return err
		}
	}
	var pFree int64
	for i := 0; i < int(allpLen); i++ {
		pFree += int64(int32(le.Uint32(pBuf[4*i:])))
	}

	var schedFree int64
	if r.o.SchedGFreeN >= 0 {
		schedFree = field32(r.o.SchedGFreeN)
	} else {
		schedFree = field32(r.o.SchedGFreeStackN) + field32(r.o.SchedGFreeNoStackN)
	}
	ngsys := field32(r.o.SchedNGsys)
	s.Goroutines = goroutines(allglen, schedFree, ngsys, pFree, r.includeSys)
	s.UserGoroutines = goroutines(allglen, schedFree, ngsys, pFree, false)
	s.GCCycles = numgc

	// The pid may have been reused after the process exited: the pidfd
	// tells (one more syscall).
	if r.pidfd >= 0 && !r.alive() {
		return fmt.Errorf("read pid %d: %w", r.pid, ErrProcessGone)
	}
	r.stats(&s.Stats, int32(allpLen))
	r.hist(r.counts, sch[r.o.SchedTimeToRun-r.schedLo:])
	s.Sched.Counts = r.counts
	s.Sched.Buckets = r.buckets
	if r.posSTW > 0 {
		r.hist(r.stwCounts, r.buf1[r.posSTW:])
		s.PausesGC.Counts = r.stwCounts
		s.PausesGC.Buckets = r.buckets
	} else {
		s.PausesGC = event.SchedHistogram{}
	}
	return nil
}

// stats fills st from the optional spans of read 1. The heap stats are
// the sum of the three generations, as the runtime's unsafeRead adds them
// up (a read that lands while the target rotates them can count the
// previous generation twice; consumers keep cumulative counts monotonic).
func (r *Reader) stats(st *event.RuntimeStats, gomaxprocs int32) {
	le := binary.LittleEndian
	o := &r.o
	*st = event.RuntimeStats{Have: r.have, GOMAXPROCS: gomaxprocs}
	if r.posMem > 0 {
		mem := r.buf1[r.posMem:]
		u := func(off int64) uint64 { return le.Uint64(mem[off-r.memLo:]) }
		var committed, inStacks int64
		var allocs uint64
		for g := int64(0); g < 3; g++ {
			base := o.MemstatsHeapStats + g*o.HeapDeltaSize
			committed += int64(u(base + o.HeapDeltaCommitted))
			inStacks += int64(u(base + o.HeapDeltaInStacks))
			allocs += u(base + o.HeapDeltaLargeAllocCount)
			for i := int64(0); i < o.HeapDeltaSmallAllocCountLen; i++ {
				allocs += u(base + o.HeapDeltaSmallAllocCount + 8*i)
			}
		}
		// /memory/classes/total minus …/heap/released: the committed
		// heap plus the runtime's other memory classes.
		used := uint64(max(committed, 0)) + u(o.MemstatsStacksSys) + u(o.MemstatsMSpanSys) +
			u(o.MemstatsMCacheSys) + u(o.MemstatsBuckHashSys) + u(o.MemstatsGCMiscSys) + u(o.MemstatsOtherSys)
		stack := uint64(max(inStacks, 0))
		st.MemoryStack = stack
		st.MemoryOther = used - min(stack, used)
		st.Allocations = allocs
	}
	if r.posCtl > 0 {
		ctl := r.buf1[r.posCtl:]
		u := func(off int64) uint64 { return le.Uint64(ctl[off-r.ctlLo:]) }
		st.GOGC = int32(le.Uint32(ctl[o.GCCtlGCPercent-r.ctlLo:]))
		st.MemoryLimit = int64(u(o.GCCtlMemoryLimit))
		st.Allocated = u(o.GCCtlTotalAlloc)
		st.HeapGoal = heapGoal(goalInputs{
			gcPercentHeapGoal: u(o.GCCtlGCPercentHeapGoal), sweepDistMinTrigger: u(o.GCCtlSweepDistMinTrigger),
			triggered: u(o.GCCtlTriggered), heapMarked: u(o.GCCtlHeapMarked), heapFree: u(o.GCCtlHeapFree),
			totalAlloc: st.Allocated, totalFree: u(o.GCCtlTotalFree), mappedReady: u(o.GCCtlMappedReady),
			memoryLimit: st.MemoryLimit,
		})
	}
	if r.posCPU > 0 {
		cpu := r.buf1[r.posCPU:]
		i := func(off int64) int64 { return int64(le.Uint64(cpu[off-r.cpuLo:])) }
		st.CPUGCNS, st.CPUScavengeNS = i(o.WorkCPUGCTotal), i(o.WorkCPUScavengeTotal)
		st.CPUIdleNS, st.CPUUserNS = i(o.WorkCPUIdle), i(o.WorkCPUUser)
	}
}

// hist converts a raw timeHistogram (counts, then underflow and overflow)
// into runtime/metrics order (underflow first, overflow last).
func (r *Reader) hist(dst []uint64, h []byte) {
	le := binary.LittleEndian
	n := int(r.o.HistCountsLen)
	dst[0] = le.Uint64(h[r.o.HistUnderflow:])
	for i := 0; i < n; i++ {
		dst[i+1] = le.Uint64(h[8*i:])
	}
	dst[n+1] = le.Uint64(h[r.o.HistOverflow:])
}

// Close releases the reader's pidfd. It is safe to call more than once.
func (r *Reader) Close() error {
	if r.pidfd < 0 {
		return nil
	}
	err := unix.Close(r.pidfd)
	r.pidfd = -1
	if err != nil {
		return fmt.Errorf("close pidfd of %d: %w", r.pid, err)
	}
	return nil
}

// LoadBias returns the difference between the run-time and the linked
// addresses of pid's executable (0 unless it is PIE), from the mapping of
// the executable in /proc/PID/maps.
func LoadBias(pid int, bin *gobin.Binary) (uint64, error) {
	if !bin.PIE {
		return 0, nil
	}
	exe := fmt.Sprintf("/proc/%d/exe", pid)
	var st unix.Stat_t
	if err := unix.Stat(exe, &st); err != nil {
		return 0, procErr(pid, "stat exe", err)
	}
	exePath, _ := os.Readlink(exe)
	f, err := os.Open(fmt.Sprintf("/proc/%d/maps", pid))
	if err != nil {
		return 0, procErr(pid, "open maps", err)
	}
	defer f.Close()
	var byPath, byInode *mapping
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		m, ok := parseMapsLine(sc.Text())
		if !ok {
			continue
		}
		if byInode == nil && m.inode == st.Ino && m.inode != 0 {
			byInode = &m
		}
		if byPath == nil && exePath != "" && m.path == exePath {
			byPath = &m
		}
	}
	if err := sc.Err(); err != nil {
		return 0, procErr(pid, "read maps", err)
	}
	m := byInode
	if m == nil {
		m = byPath
	}
	if m == nil {
		return 0, fmt.Errorf("pid %d: executable %s not mapped", pid, exePath)
	}
	v, err := bin.Vaddr(m.offset)
	if err != nil {
		return 0, fmt.Errorf("pid %d: %w", pid, err)
	}
	return m.start - v, nil
}

func procErr(pid int, what string, err error) error {
	if errors.Is(err, os.ErrNotExist) || errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("pid %d: %s: %w: %w", pid, what, ErrProcessGone, err)
	}
	return fmt.Errorf("pid %d: %s: %w", pid, what, err)
}
