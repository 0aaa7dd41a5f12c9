package rtstate_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/gopulse/gopulse/event"
	"github.com/gopulse/gopulse/internal/privtest"
	"github.com/gopulse/gopulse/probes/gobin"
	"github.com/gopulse/gopulse/probes/gobin/gobuild"
	"github.com/gopulse/gopulse/probes/rtstate"
)

const targetSrc = "../../testdata/gobin/target"

// variant is one build of the target.
type variant struct {
	name      string
	toolchain string // "" = local
	ldflags   string
	buildmode string
	cgo       bool
}

var variants = []variant{
	{name: "local"},
	{name: "local-stripped", ldflags: "-s -w"},
	{name: "local-stripped-pie", ldflags: "-s -w", buildmode: "pie"},
	{name: "go1.21", toolchain: "go1.21.13"},
	{name: "go1.21-stripped", toolchain: "go1.21.13", ldflags: "-s -w"},
	{name: "go1.25-stripped", toolchain: "go1.25.14", ldflags: "-s -w"},
	// Externally linked by gcc, with .symtab and DWARF. Stripped ones are
	// covered by probes/gobin's static tests only: here (go1.26.8 and
	// go1.26.11, gcc 12) an externally linked target stripped by -s or by
	// strip(1) crashes on its own within seconds (SIGSEGV in
	// stopTheWorldWithSema), with or without gopulse.
	{name: "local-cgo", ldflags: "-linkmode=external", cgo: true},
}

var (
	buildMu  sync.Mutex
	builtBin = map[string]string{}
	buildDir string
)

func buildTarget(t testing.TB, v variant) string {
	t.Helper()
	buildMu.Lock()
	defer buildMu.Unlock()
	if p, ok := builtBin[v.name]; ok {
		return p
	}
	if buildDir == "" {
		d, err := os.MkdirTemp("", "rtstate-targets")
		if err != nil {
			t.Fatal(err)
		}
		buildDir = d
	}
	src, err := filepath.Abs(targetSrc)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(buildDir, v.name)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := gobuild.Build(ctx, gobuild.Options{Dir: src, Out: out, Toolchain: v.toolchain, LDFlags: v.ldflags, BuildMode: v.buildmode, CGO: v.cgo}); err != nil {
		t.Fatal(err)
	}
	builtBin[v.name] = out
	return out
}

func requireRoot(t testing.TB) {
	privtest.Require(t, privtest.IsRoot(), "process_vm_readv on another process needs root")
}

// target is a running test workload.
type target struct {
	cmd *exec.Cmd
	out *bufio.Reader
	pid int
}

type snapshot struct {
	Goroutines   uint64             `json:"goroutines"`
	NumGoroutine int64              `json:"num_goroutine"`
	GCCycles     uint64             `json:"gc_cycles"`
	SchedCounts  []uint64           `json:"sched_counts"`
	SchedBuckets int                `json:"sched_buckets"`
	GCPauses     *uint64            `json:"gc_pauses"`
	GoVersion    string             `json:"go_version"`
	Scalars      map[string]float64 `json:"scalars"`
}

func startTarget(t testing.TB, bin string, args ...string) *target {
	t.Helper()
	return startTargetEnv(t, bin, nil, args...)
}

// startTargetEnv starts bin with extra environment variables.
func startTargetEnv(t testing.TB, bin string, env []string, args ...string) *target {
	t.Helper()
	cmd := exec.Command(bin, args...)
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	tg := &target{cmd: cmd, out: bufio.NewReader(stdout), pid: cmd.Process.Pid}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	var ready struct{ Ready bool }
	if err := tg.line(&ready); err != nil || !ready.Ready {
		t.Fatalf("target did not start: %v", err)
	}
	return tg
}

func (tg *target) line(v any) error {
	done := make(chan error, 1)
	go func() {
		l, err := tg.out.ReadBytes('\n')
		if err != nil {
			done <- err
			return
		}
		done <- json.Unmarshal(l, v)
	}()
	select {
	case err := <-done:
		return err
	case <-time.After(30 * time.Second):
		return errors.New("timeout waiting for the target")
	}
}

// pause stops the workload and returns the target's own metrics.
func (tg *target) pause(t testing.TB) snapshot {
	t.Helper()
	if err := tg.cmd.Process.Signal(syscall.SIGUSR1); err != nil {
		t.Fatal(err)
	}
	var s snapshot
	if err := tg.line(&s); err != nil {
		t.Fatalf("read snapshot: %v", err)
	}
	return s
}

func (tg *target) resume(t testing.TB) {
	if err := tg.cmd.Process.Signal(syscall.SIGUSR2); err != nil {
		t.Fatal(err)
	}
}

func openReader(t testing.TB, bin string, pid int) *rtstate.Reader {
	t.Helper()
	b, err := gobin.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	r, err := rtstate.Open(pid, b)
	if err != nil {
		t.Fatalf("rtstate.Open: %v", err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// waitGC waits until the target's GC count (read from outside) passes
// after: the workload ran, allocated and finished a GC cycle. A fixed
// sleep gave a target on a loaded machine too little CPU to do so.
func waitGC(t testing.TB, r *rtstate.Reader, after uint64) {
	t.Helper()
	var s rtstate.Sample
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(20 * time.Millisecond) {
		if err := r.Read(&s); err != nil {
			t.Fatalf("Read: %v", err)
		}
		if uint64(s.GCCycles) > after {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the workload finished no GC cycle after cycle %d in a minute", after)
		}
	}
}

// pauseRead pauses the workload and reads the target's state from outside
// until both sides agree on the GC count: a cycle that was running when
// the workload paused may end between the two reads on a loaded machine
// (the target waits for the count to stay put 100ms, which a slow cycle
// outlasts). The state is quiescent then, so both sides are read again.
func pauseRead(t testing.TB, tg *target, r *rtstate.Reader, s *rtstate.Sample) snapshot {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); ; {
		snap := tg.pause(t)
		if err := r.Read(s); err != nil {
			t.Fatalf("Read: %v", err)
		}
		if uint64(s.GCCycles) == snap.GCCycles {
			return snap
		}
		if time.Now().After(deadline) {
			t.Fatalf("gc count still moving after a minute paused: %d vs runtime %d", s.GCCycles, snap.GCCycles)
		}
		t.Logf("gc count moved (%d vs %d): reading again", s.GCCycles, snap.GCCycles)
	}
}

// pausesBetween: a GC cycle may start between the target's read and ours
// even with the workload paused (the target's own allocations reach the
// trigger), and its first pause counts in ours only. The count only
// grows: ours must lie between the target's read and a second one.
func pausesBetween(t testing.TB, tg *target, before, got uint64) bool {
	t.Helper()
	again := tg.pause(t)
	if again.GCPauses == nil {
		return false
	}
	t.Logf("gc pauses: runtime %d then %d, rtstate %d", before, *again.GCPauses, got)
	return before <= got && got <= *again.GCPauses
}

func within(got, want int64, frac float64) bool {
	d := float64(got - want)
	return d <= frac*float64(want) && -d <= frac*float64(want)
}

// TestReadMatchesRuntime compares rtstate with the target's own
// runtime/metrics, read while the workload is paused: goroutines within 2%,
// GC cycles equal, p50/p99 scheduling latency in the same bucket.
func TestReadMatchesRuntime(t *testing.T) {
	requireRoot(t)
	for _, v := range variants {
		t.Run(v.name, func(t *testing.T) {
			if _, err := exec.LookPath("gcc"); v.cgo && err != nil {
				t.Skip("no gcc for an externally linked target")
			}
			bin := buildTarget(t, v)
			tg := startTarget(t, bin, "-idle", "1000", "-churn", "4")
			r := openReader(t, bin, tg.pid)
			waitGC(t, r, 0)
			var s rtstate.Sample
			for round := 0; round < 3; round++ {
				snap := pauseRead(t, tg, r, &s)
				t.Logf("%s round %d: rtstate goroutines %d (user %d) gc %d; runtime %d (NumGoroutine %d) gc %d",
					snap.GoVersion, round, s.Goroutines, s.UserGoroutines, s.GCCycles, snap.Goroutines, snap.NumGoroutine, snap.GCCycles)
				if !within(s.Goroutines, int64(snap.Goroutines), 0.02) {
					t.Errorf("goroutines %d, runtime/metrics %d", s.Goroutines, snap.Goroutines)
				}
				if !within(s.UserGoroutines, snap.NumGoroutine, 0.02) {
					t.Errorf("user goroutines %d, NumGoroutine %d", s.UserGoroutines, snap.NumGoroutine)
				}
				if uint64(s.GCCycles) != snap.GCCycles {
					t.Errorf("gc cycles %d, runtime/metrics %d", s.GCCycles, snap.GCCycles)
				}
				if round > 0 && snap.GCCycles == 0 {
					t.Errorf("the workload ran no GC")
				}
				if len(s.Sched.Counts) != len(snap.SchedCounts) || len(s.Sched.Buckets) != snap.SchedBuckets {
					t.Fatalf("histogram shape %d/%d, runtime %d/%d", len(s.Sched.Counts), len(s.Sched.Buckets), len(snap.SchedCounts), snap.SchedBuckets)
				}
				theirs := event.SchedHistogram{Counts: snap.SchedCounts}
				for _, q := range []float64{0.5, 0.99} {
					got, want := rtstate.Quantile(s.Sched, q), rtstate.Quantile(theirs, q)
					if got != want || got < 0 {
						t.Errorf("p%v bucket %d, runtime %d", q*100, got, want)
					}
				}
				switch {
				case snap.GCPauses == nil && s.PausesGC.Counts != nil:
					t.Errorf("pause histogram read from a runtime that has none")
				case snap.GCPauses != nil && total(s.PausesGC.Counts) != *snap.GCPauses && !pausesBetween(t, tg, *snap.GCPauses, total(s.PausesGC.Counts)):
					t.Errorf("gc pauses %d, runtime/metrics %d", total(s.PausesGC.Counts), *snap.GCPauses)
				case snap.GCPauses != nil && *snap.GCPauses < snap.GCCycles:
					t.Errorf("gc pauses %d for %d cycles", *snap.GCPauses, snap.GCCycles)
				}
				tg.resume(t)
				waitGC(t, r, snap.GCCycles)
			}
		})
	}
}

// TestStatsMatchRuntime compares the memory, GC configuration and CPU
// values with the target's own runtime/metrics, read while the workload is
// paused, for every build variant (the stripped ones recover
// runtime.gcController and runtime.work from code): GOGC, the memory
// limit, GOMAXPROCS and the heap goal equal, the CPU classes equal but for
// the first pause of a cycle starting in between; memory used
// within 5% (1 MiB), stack memory within 128 KiB; allocations at least
// the target's and within what the target's own reporting allocated after
// its read.
func TestStatsMatchRuntime(t *testing.T) {
	requireRoot(t)
	for i, v := range variants {
		t.Run(v.name, func(t *testing.T) {
			if _, err := exec.LookPath("gcc"); v.cgo && err != nil {
				t.Skip("no gcc for an externally linked target")
			}
			bin := buildTarget(t, v)
			// Non-default settings on every other variant, so that the
			// values are not the runtime's defaults by chance.
			var env []string
			wantGOGC, wantLimit := int32(100), int64(math.MaxInt64)
			if i%2 == 0 {
				env = []string{"GOGC=150", "GOMEMLIMIT=768MiB", "GOMAXPROCS=3"}
				wantGOGC, wantLimit = 150, 768<<20
			}
			tg := startTargetEnv(t, bin, env, "-idle", "200", "-churn", "2")
			r := openReader(t, bin, tg.pid)
			waitGC(t, r, 0)
			var s rtstate.Sample
			for round := 0; round < 3; round++ {
				snap := pauseRead(t, tg, r, &s)
				st, m := s.Stats, snap.Scalars
				want := event.HaveMemory | event.HaveController | event.HaveCPU
				if st.Have != want {
					t.Fatalf("groups read %b, want %b", st.Have, want)
				}
				t.Logf("%s round %d: stack %d other %d allocs %d (%d B) goal %d gogc %d limit %d procs %d cpu user %d gc %d",
					snap.GoVersion, round, st.MemoryStack, st.MemoryOther, st.Allocations, st.Allocated, st.HeapGoal,
					st.GOGC, st.MemoryLimit, st.GOMAXPROCS, st.CPUUserNS, st.CPUGCNS)
				if st.GOGC != wantGOGC || int64(m["/gc/gogc:percent"]) != int64(wantGOGC) {
					t.Errorf("GOGC %d, runtime %v, set %d", st.GOGC, m["/gc/gogc:percent"], wantGOGC)
				}
				if st.MemoryLimit != wantLimit || m["/gc/gomemlimit:bytes"] != float64(wantLimit) {
					t.Errorf("memory limit %d, runtime %v, set %d", st.MemoryLimit, m["/gc/gomemlimit:bytes"], wantLimit)
				}
				if float64(st.GOMAXPROCS) != m["/sched/gomaxprocs:threads"] {
					t.Errorf("GOMAXPROCS %d, runtime %v", st.GOMAXPROCS, m["/sched/gomaxprocs:threads"])
				}
				if float64(st.HeapGoal) != m["/gc/heap/goal:bytes"] {
					t.Errorf("heap goal %d, runtime %v", st.HeapGoal, m["/gc/heap/goal:bytes"])
				}
				// Memory moves a little between the two reads even with the
				// workload paused (the target's own reporting, the
				// scavenger, a stack grown or freed).
				// The background scavenger goes on returning memory to the
				// OS while the workload is paused, and on a loaded machine
				// the time between the target's read and ours is long
				// enough for megabytes to go: when ours is off, the
				// target reads again, and ours must lie between its two
				// reads (each bound with the same margin).
				used := func(m map[string]float64) float64 {
					return m["/memory/classes/total:bytes"] - m["/memory/classes/heap/released:bytes"]
				}
				stacks := func(m map[string]float64) float64 { return m["/memory/classes/heap/stacks:bytes"] }
				var after map[string]float64
				between := func(got float64, v func(map[string]float64) float64, margin float64) bool {
					lo, hi := v(m), v(m)
					if math.Abs(got-lo) <= margin {
						return true
					}
					if after == nil {
						after = tg.pause(t).Scalars
					}
					lo, hi = min(lo, v(after)), max(hi, v(after))
					t.Logf("read again: runtime %v then %v, rtstate %v", v(m), v(after), got)
					return got >= lo-margin && got <= hi+margin
				}
				if u := used(m); !between(float64(st.MemoryStack+st.MemoryOther), used, max(0.05*u, 1<<20)) {
					t.Errorf("memory used %d, runtime %v then %v", st.MemoryStack+st.MemoryOther, u, used(after))
				}
				if !between(float64(st.MemoryStack), stacks, 128<<10) {
					t.Errorf("stack memory %d, runtime %v then %v", st.MemoryStack, stacks(m), stacks(after))
				}
				// The target encodes its snapshot after reading it: a few
				// spans' worth of allocations may be counted since.
				if d := float64(st.Allocations) - m["/gc/heap/allocs:objects"]; d < 0 || d > 20000 {
					t.Errorf("allocations %d, runtime %v", st.Allocations, m["/gc/heap/allocs:objects"])
				}
				if d := float64(st.Allocated) - m["/gc/heap/allocs:bytes"]; d < 0 || d > 4<<20 {
					t.Errorf("allocated %d B, runtime %v", st.Allocated, m["/gc/heap/allocs:bytes"])
				}
				for name, got := range map[string]int64{
					"/cpu/classes/user:cpu-seconds":           st.CPUUserNS,
					"/cpu/classes/gc/total:cpu-seconds":       st.CPUGCNS,
					"/cpu/classes/idle:cpu-seconds":           st.CPUIdleNS,
					"/cpu/classes/scavenge/total:cpu-seconds": st.CPUScavengeNS,
				} {
					// Equal unless a GC cycle started between the two reads
					// (its first pause adds to the GC classes, times
					// GOMAXPROCS: tens of ms on a loaded machine; the JSON
					// the target writes after its read can trigger one).
					// A wrong field would be another class's value, off by
					// far more.
					if d := float64(got)/1e9 - m[name]; d < -1e-9 || d > 0.05+0.1*m[name] {
						t.Errorf("%s: %d ns, runtime %v s", name, got, m[name])
					}
				}
				if round > 0 && (st.Allocations == 0 || st.CPUGCNS == 0) {
					t.Errorf("the workload allocated nothing or ran no GC")
				}
				tg.resume(t)
				waitGC(t, r, snap.GCCycles)
			}
		})
	}
}

// TestProcessGone: reading a process that exited gives ErrProcessGone, both
// while it is a zombie and after it was reaped.
func TestProcessGone(t *testing.T) {
	requireRoot(t)
	bin := buildTarget(t, variants[0])
	tg := startTarget(t, bin, "-idle", "10", "-churn", "1")
	r := openReader(t, bin, tg.pid)
	var s rtstate.Sample
	if err := r.Read(&s); err != nil {
		t.Fatal(err)
	}
	// Kill without reaping: a zombie has no address space.
	if err := syscall.Kill(tg.pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	// Wait until it is a zombie; WNOWAIT leaves it one.
	var info unix.Siginfo
	if err := unix.Waitid(unix.P_PID, tg.pid, &info, unix.WEXITED|unix.WNOWAIT, nil); err != nil {
		t.Fatal(err)
	}
	if err := r.Read(&s); !errors.Is(err, rtstate.ErrProcessGone) {
		t.Errorf("zombie: Read = %v, want ErrProcessGone", err)
	}
	var ws syscall.WaitStatus
	if _, err := syscall.Wait4(tg.pid, &ws, 0, nil); err != nil {
		t.Fatal(err)
	}
	err := r.Read(&s)
	if !errors.Is(err, rtstate.ErrProcessGone) {
		t.Errorf("reaped: Read = %v, want ErrProcessGone", err)
	}
	t.Logf("error: %v", err)
	b, _ := gobin.Open(bin)
	defer b.Close()
	if _, err := rtstate.Open(tg.pid, b); !errors.Is(err, rtstate.ErrProcessGone) {
		t.Errorf("Open of an exited pid = %v, want ErrProcessGone", err)
	}
}

// TestLoadBias: for a PIE target the bias moves runtime.sched to where the
// process really has it: reading through it works (Open reads once) and is
// page-aligned.
func TestLoadBias(t *testing.T) {
	requireRoot(t)
	bin := buildTarget(t, variants[2])
	tg := startTarget(t, bin, "-idle", "10", "-churn", "1")
	b, err := gobin.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	bias, err := rtstate.LoadBias(tg.pid, b)
	if err != nil {
		t.Fatal(err)
	}
	if !b.PIE || bias == 0 || bias%4096 != 0 {
		t.Errorf("PIE=%v bias=%#x", b.PIE, bias)
	}
}

func BenchmarkRead(b *testing.B) {
	requireRoot(b)
	bin := buildTarget(b, variants[1])
	tg := startTarget(b, bin, "-idle", "1000", "-churn", "1")
	r := openReader(b, bin, tg.pid)
	var s rtstate.Sample
	if err := r.Read(&s); err != nil {
		b.Fatal(err)
	}
	// About: allglen, allp header, numgc, two histograms; plus small bits.
	b.SetBytes(int64(8 + 16 + 4 + 2*8*len(s.Sched.Counts)))
	b.ReportAllocs()
	for b.Loop() {
		if err := r.Read(&s); err != nil {
			b.Fatal(err)
		}
	}
}

func total(c []uint64) uint64 {
	var n uint64
	for _, v := range c {
		n += v
	}
	return n
}

// TestSampler: the manager-facing Sampler fills KindSample fields, reuses
// its reader without allocating, and drops it when the process exits.
func TestSampler(t *testing.T) {
	requireRoot(t)
	bin := buildTarget(t, variants[1])
	tg := startTarget(t, bin, "-idle", "200", "-churn", "2")
	time.Sleep(200 * time.Millisecond)
	s := rtstate.NewSampler(rtstate.SamplerDeps{})
	defer s.Close()
	var ev event.Runtime
	if err := s.Sample(tg.pid, &ev); err != nil {
		t.Fatal(err)
	}
	snap := tg.pause(t)
	if err := s.Sample(tg.pid, &ev); err != nil {
		t.Fatal(err)
	}
	for retry := 0; retry < 3 && uint64(ev.Cycle) != snap.GCCycles; retry++ {
		snap = tg.pause(t) // a GC running at the pause ended in between
		if err := s.Sample(tg.pid, &ev); err != nil {
			t.Fatal(err)
		}
	}
	if !within(ev.Goroutines, int64(snap.Goroutines), 0.02) || uint64(ev.Cycle) != snap.GCCycles || ev.Sched == nil || ev.TS == 0 {
		t.Errorf("event %+v; runtime goroutines %d gc %d", ev, snap.Goroutines, snap.GCCycles)
	}
	if got, want := rtstate.Quantile(*ev.Sched, 0.99), rtstate.Quantile(event.SchedHistogram{Counts: snap.SchedCounts}, 0.99); got != want {
		t.Errorf("p99 bucket %d, runtime %d", got, want)
	}
	tg.resume(t)
	if allocs := testing.AllocsPerRun(20, func() {
		if err := s.Sample(tg.pid, &ev); err != nil {
			t.Fatal(err)
		}
	}); allocs != 0 {
		t.Errorf("Sample allocates %v per call", allocs)
	}
	tg.cmd.Process.Kill()
	tg.cmd.Wait()
	if err := s.Sample(tg.pid, &ev); !errors.Is(err, rtstate.ErrProcessGone) {
		t.Errorf("after exit: %v, want ErrProcessGone", err)
	}
	if err := s.Sample(tg.pid, &ev); !errors.Is(err, rtstate.ErrProcessGone) {
		t.Errorf("reopen after exit: %v, want ErrProcessGone", err)
	}
	// The test binary is a Go program too: reading itself works.
	ev = event.Runtime{}
	if err := s.Sample(os.Getpid(), &ev); err != nil || ev.Goroutines < 2 {
		t.Errorf("self: goroutines %d, %v", ev.Goroutines, err)
	}
	s.Close()
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}
