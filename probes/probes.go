package probes

import (
	"errors"
	"log/slog"
	"time"

	"github.com/gopulse/gopulse/event"
)

// Errors returned by the Manager. Binary-level problems (not a Go program,
// no symbols, unknown offsets) wrap the sentinels of probes/gobin.
var (
	// ErrNotSupported is returned on platforms without the BPF programs
	// (anything but linux/amd64 and linux/arm64).
	ErrNotSupported = errors.New("runtime probes are only supported on linux/amd64 and linux/arm64")
	// ErrProcessExited: the process went away before or during attach.
	ErrProcessExited = errors.New("process exited")
	// ErrNoProcess: no process has that pid (it never existed, or exited
	// before it was looked at). errors.Is(ErrNoProcess, ErrProcessExited)
	// holds, so callers skipping vanished processes need one check.
	ErrNoProcess error = noProcessError{}
	// ErrExeChanged: a program StartCommand started runs another
	// executable than the one at its path when the probes were prepared
	// (the file was replaced while the program started).
	ErrExeChanged = errors.New("executable changed while the program started")
	// ErrClosed: the Manager was closed.
	ErrClosed = errors.New("probes manager closed")
	// ErrKernel: the running kernel lacks a BPF feature the probes need
	// (the error names it).
	ErrKernel = errors.New("kernel not supported")
	// ErrPrivileges: the process may not use BPF or uprobes (the error
	// names the missing capabilities).
	ErrPrivileges = errors.New("insufficient privileges")
)

// Mechanisms are the kernel mechanisms a Manager chose at start-up, one
// per capability (logged once by New, see Manager.Mechanisms).
type Mechanisms struct {
	Kernel string // running kernel release (uname -r)
	// Attach is how probes are attached: AttachUprobeMulti (one BPF link
	// per site, Linux 6.6+), else AttachPerfEvent or AttachTracefs (one
	// perf-event uprobe per site).
	Attach string
	// Memlock is how BPF memory is accounted: MemlockCgroup (Linux 5.11+:
	// by the memory cgroup, RLIMIT_MEMLOCK untouched), MemlockRemoved
	// (older kernels: the limit was raised to unlimited) or
	// MemlockUnlimited (it already was).
	Memlock    string
	RingBuffer bool // events travel through a BPF ring buffer (Linux 5.8+)
}

// Values of Mechanisms.Attach and Mechanisms.Memlock.
const (
	AttachUprobeMulti = "uprobe_multi"
	AttachPerfEvent   = "perf_event"
	AttachTracefs     = "perf_event_tracefs"

	MemlockCgroup    = "memcg"
	MemlockRemoved   = "rlimit_removed"
	MemlockUnlimited = "rlimit_unlimited"
)

type noProcessError struct{}

func (noProcessError) Error() string        { return "no such process" }
func (noProcessError) Is(target error) bool { return target == ErrProcessExited }

// Config configures a Manager. The zero value watches nothing until Watch is
// called; set All to discover every Go process on the machine.
type Config struct {
	// PIDs are watched from the start.
	PIDs []int
	// All discovers every Go process (rescanned every RescanInterval).
	All bool
	// Trace enables trace mode (per-goroutine events) for every watched
	// process. Watch can enable it per process.
	Trace bool
	// TraceBudget is the trace-mode overhead budget as a fraction of one
	// CPU (default 0.05); 1 or more disables throttling.
	TraceBudget float64
	// TraceHitCost is the cost of one trace probe hit in the target, used
	// to estimate the overhead (default 2.5µs: BenchmarkTraceMode/cost-per-hit
	// measured 1.6µs of target CPU and 2.6µs of target wall time per hit on
	// this machine kind, see BENCHMARKS.md).
	TraceHitCost time.Duration
	// TraceSample keeps one goroutine in TraceSample (by goid) in BPF
	// (default 1: all).
	TraceSample uint32
	// RingBytes is the ring buffer size (default 8 MiB, 64 MiB with Trace).
	RingBytes int
	// PollInterval is how often the ring buffer is drained (default 10ms;
	// while it stays empty the interval backs off to 8× this).
	PollInterval time.Duration
	// RescanInterval is how often processes are rescanned (default 1s).
	RescanInterval time.Duration
	// Select chooses the processes All discovers (nil: every Go process).
	// Build it with Selection.Compile; with rules on pods, Deps.Pods
	// answers them.
	Select *Selector
	// MinAge: All takes a process once it has run this long, so that
	// short-lived Go programs (build tools…) cost no analysis and attach.
	// Processes running when Run starts are taken at once. 0: at once.
	MinAge time.Duration
	// Attach forces an attach mechanism instead of the best the kernel
	// offers: AttachPerfEvent uses per-offset perf-event uprobes where
	// uprobe_multi links exist (a workaround; "" chooses).
	Attach string
	// Leak tunes goroutine-leak detection in trace mode.
	Leak LeakConfig

	// PinDir is the bpffs directory where Handover pins the maps and
	// links for a successor (default DefaultPinDir).
	PinDir string
	// Adopt takes over the maps and links a predecessor pinned in PinDir
	// with Handover instead of creating new ones (gopulse agent
	// --takeover). New fails with ErrNoPins when there are none.
	Adopt bool
	// Seed is the predecessor's HandoverState (with Adopt).
	Seed *HandoverState
}

func (c *Config) defaults() {
	if c.TraceBudget <= 0 {
		c.TraceBudget = 0.05
	}
	if c.TraceHitCost <= 0 {
		c.TraceHitCost = 2500 * time.Nanosecond
	}
	if c.TraceSample == 0 {
		c.TraceSample = 1
	}
	if c.RingBytes <= 0 {
		c.RingBytes = 8 << 20
		if c.Trace {
			c.RingBytes = 64 << 20
		}
	}
	if c.PollInterval <= 0 {
		c.PollInterval = 10 * time.Millisecond
	}
	if c.RescanInterval <= 0 {
		c.RescanInterval = time.Second
	}
	if c.PinDir == "" {
		c.PinDir = DefaultPinDir
	}
}

// Deps are the Manager's collaborators.
type Deps struct {
	Logger *slog.Logger
	// Sink receives every event. Events are only valid during the call.
	Sink event.RuntimeSink
	// SampleInterval is how often each process's own runtime accounting
	// (live goroutines, scheduling-latency histogram) is read with
	// probes/rtstate and emitted as a KindSample event (default 1s).
	SampleInterval time.Duration
	// Pods tells which Kubernetes pod a process runs in, for the rules of
	// Config.Select on namespaces, pod labels and annotations (nil: no
	// process is in a pod).
	Pods PodLookup
}

// PodLookup finds the pod of a process.
type PodLookup interface {
	// PodOf returns pid's pod; inPod is false when the process is in none.
	// An error (with inPod true) says that the pod's metadata is not known
	// yet: discovery asks again at a later scan.
	PodOf(pid int) (pod Pod, inPod bool, err error)
}

// Stats are the Manager's own counters.
type Stats struct {
	ProbesAttached int    // uprobe links currently attached
	Processes      int    // processes currently watched
	EventsLost     uint64 // ring-buffer reservations that failed
	Events         uint64 // records decoded
	// TraceOverhead is the estimated trace-mode overhead over the last
	// window: hits × TraceHitCost / wall time (fraction of one CPU).
	TraceOverhead float64
	// TraceDuty is the fraction of time the trace probes were attached in
	// the last window (the budget is held by detaching them).
	TraceDuty float64
	TraceHits uint64
}

// ProcInfo describes a watched process (for display).
type ProcInfo struct {
	event.Proc
	Trace      bool
	Created    uint64
	Exited     uint64
	Suspects   []string
	AttachedAt time.Time
}
