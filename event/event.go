// Package event holds gopulse's domain types: what the probes and the log
// engine produce and what the pipeline, exporters and health engine consume.
//
// Values passed to a sink are only valid for the duration of the call: the
// producer reuses them (and the byte slices they point into). A sink that
// keeps anything must copy it.
package event

// Proc identifies a watched process.
type Proc struct {
	PID       int
	Exe       string // absolute path of the executable
	Service   string // service.name: from the Kubernetes pod, else the executable's base name
	GoVersion string // e.g. "go1.26.8"
	Stripped  bool   // no .symtab / DWARF
	CGO       bool

	// Node is the machine's name: the Kubernetes node, else the host name.
	Node string

	// Kubernetes placement; empty outside a pod.
	Namespace string
	Pod       string
	Container string
}

// Kind is the type of a runtime event.
type Kind uint8

const (
	KindUnknown         Kind = iota
	KindGCStart              // a GC cycle started (runtime.gcStart)
	KindGCEnd                // a GC cycle finished (mark termination done)
	KindSTW                  // one stop-the-world pause, with its start and duration
	KindGoroutineCreate      // trace mode: a goroutine was created
	KindGoroutineExit        // trace mode: a goroutine exited
	KindSchedLatency         // trace mode: one runnable→running transition
	KindSample               // default mode: a periodic read of the runtime's own accounting
	KindProcExit             // the watched process exited
)

var kindNames = [...]string{
	KindUnknown:         "unknown",
	KindGCStart:         "gc_start",
	KindGCEnd:           "gc_end",
	KindSTW:             "stw",
	KindGoroutineCreate: "goroutine_create",
	KindGoroutineExit:   "goroutine_exit",
	KindSchedLatency:    "sched_latency",
	KindSample:          "sample",
	KindProcExit:        "proc_exit",
}

// String returns the JSON "type" of the event kind.
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "unknown"
}

// STWReason says why the world was stopped. Values mirror the runtime's
// stwReason enum (runtime/proc.go) where one exists.
type STWReason uint8

const (
	STWUnknown            STWReason = iota
	STWGCSweepTermination           // "gc_sweep_termination"
	STWGCMarkTermination            // "gc_mark_termination"
	STWReadMemStats                 // "read_mem_stats"
	STWGOMAXPROCS                   // "gomaxprocs"
	STWGoroutineProfile             // "goroutine_profile"
	STWStackDump                    // "stack_dump" (runtime.Stack with all=true, tracebacks)
	STWStartTrace                   // "start_trace"
	STWStopTrace                    // "stop_trace"
	STWForEachP                     // "for_each_p"
	STWOther                        // any other reason
)

var stwNames = [...]string{
	STWUnknown:            "unknown",
	STWGCSweepTermination: "gc_sweep_termination",
	STWGCMarkTermination:  "gc_mark_termination",
	STWReadMemStats:       "read_mem_stats",
	STWGOMAXPROCS:         "gomaxprocs",
	STWGoroutineProfile:   "goroutine_profile",
	STWStackDump:          "stack_dump",
	STWStartTrace:         "start_trace",
	STWStopTrace:          "stop_trace",
	STWForEachP:           "for_each_p",
	STWOther:              "other",
}

// String returns the reason as used in JSON and in the `reason` label.
// GC pauses start with "gc".
func (r STWReason) String() string {
	if int(r) < len(stwNames) {
		return stwNames[r]
	}
	return "other"
}

// IsGC reports whether the pause belongs to a GC cycle.
func (r STWReason) IsGC() bool {
	return r == STWGCSweepTermination || r == STWGCMarkTermination
}

// Runtime is one event from a watched Go process. It is a flat value (no
// interface boxing) so that producers can reuse one and sinks can switch on
// Kind without allocating.
type Runtime struct {
	Kind Kind
	PID  uint32
	TS   int64 // Unix ns when the event was observed

	// GC (KindGCStart, KindGCEnd; KindSTW during a GC).
	Cycle uint32 // the runtime's own GC count (runtime.memstats.numgc after the cycle)

	// KindSTW: the pause. KindGCEnd: the whole cycle.
	StartNS    int64 // Unix ns
	DurationNS int64
	Reason     STWReason

	// KindGCEnd phases.
	SweepTermNS int64 // sweep-termination STW
	MarkNS      int64 // concurrent mark
	MarkTermNS  int64 // mark-termination STW
	// Partial (KindGCEnd): the probes attached during this cycle, so its
	// start was not seen and DurationNS covers only the final pause. The
	// cycle counts, but its duration must stay out of duration statistics
	// and traces.
	Partial bool

	// Trace mode goroutine events.
	Goid       uint64
	ParentGoid uint64
	Site       string // creation site (function name), interned by the producer
	LatencyNS  int64  // KindSchedLatency: runnable → running

	// KindSample: read from the runtime's own accounting (Cycle holds
	// the runtime's GC count then too).
	Goroutines int64
	Sched      *SchedHistogram // cumulative; nil when not available
	Stats      *RuntimeStats   // memory, GC configuration, CPU; nil when not available

	// KindProcExit.
	ExitErr error
}

// SchedHistogram is a cumulative copy of the runtime's scheduling-latency
// histogram (runtime.sched.timeToRun, the source of /sched/latencies:seconds).
// Boundaries are in seconds, len(Buckets) == len(Counts)+1, as in
// runtime/metrics.Float64Histogram.
type SchedHistogram struct {
	Counts  []uint64
	Buckets []float64
}

// RuntimeStats is what a KindSample read of the runtime's own accounting
// gives besides goroutines and scheduling latency: the values behind the
// runtime/metrics names in the comments. Groups the target's runtime state
// could not give are zero and their Have bit is unset.
type RuntimeStats struct {
	Have StatsHave

	// HaveMemory.
	MemoryStack uint64 // /memory/classes/heap/stacks:bytes
	MemoryOther uint64 // /memory/classes/total:bytes − …/heap/released:bytes − MemoryStack
	Allocations uint64 // /gc/heap/allocs:objects, cumulative

	// HaveController.
	Allocated   uint64 // /gc/heap/allocs:bytes, cumulative
	HeapGoal    uint64 // /gc/heap/goal:bytes
	MemoryLimit int64  // /gc/gomemlimit:bytes; math.MaxInt64 when none is set
	GOGC        int32  // /gc/gogc:percent; -1 when GC is off

	// HaveCPU: cumulative nanoseconds, as of the end of the last GC cycle
	// (the runtime updates them then).
	CPUUserNS, CPUGCNS, CPUScavengeNS, CPUIdleNS int64

	// GOMAXPROCS is /sched/gomaxprocs:threads (always read).
	GOMAXPROCS int32
}

// StatsHave says which groups of RuntimeStats were read.
type StatsHave uint8

// RuntimeStats groups.
const (
	HaveMemory     StatsHave = 1 << iota // memstats: memory used, allocations
	HaveController                       // gcController: GOGC, limit, goal, allocated bytes
	HaveCPU                              // work.cpuStats
)

// RuntimeSink consumes runtime events.
type RuntimeSink interface {
	HandleRuntime(ev *Runtime)
}

// Label is a bounded stream label (job, namespace, pod, container, format).
type Label struct {
	Name, Value string
}

// Field is one parsed key/value. Both slices point into the producer's
// buffers.
type Field struct {
	Key   []byte
	Value []byte
	Type  FieldType
}

// FieldType is the inferred type of a field value.
type FieldType uint8

const (
	TypeUnknown FieldType = iota
	TypeString
	TypeInt
	TypeFloat
	TypeBool
	TypeTimestamp
	TypeDuration
	TypeIP
	TypeUUID
	TypeHexID
	TypeEnum
)

var typeNames = [...]string{
	TypeUnknown:   "unknown",
	TypeString:    "string",
	TypeInt:       "int",
	TypeFloat:     "float",
	TypeBool:      "bool",
	TypeTimestamp: "timestamp",
	TypeDuration:  "duration",
	TypeIP:        "ip",
	TypeUUID:      "uuid",
	TypeHexID:     "hexid",
	TypeEnum:      "enum",
}

func (t FieldType) String() string {
	if int(t) < len(typeNames) {
		return typeNames[t]
	}
	return "unknown"
}

// LogRecord is one parsed log line.
type LogRecord struct {
	Source string // file path or stream name
	Format string // detected format, e.g. "json", "logfmt", "nginx_combined"
	Line   uint64 // 1-based line number within the source
	TS     int64  // Unix ns from the line, or the read time when the line has none
	Level  []byte // normalised lower-case level when known ("error", "warn", …)

	Body   []byte  // the (unwrapped) line
	Labels []Label // bounded stream labels
	Fields []Field // inferred structured fields

	TemplateID uint64 // 0 when no template was mined
	Template   string

	Truncated bool // the line exceeded the size limit and was cut
}

// LogSink consumes parsed log records.
type LogSink interface {
	HandleLog(rec *LogRecord)
}

// TemplateAliaser is implemented by log sinks and observers that follow
// template merges: once the template of id from has joined the template
// of id to, records that carried from belong to to (the template miner
// never reuses an id, so from is not issued again).
type TemplateAliaser interface {
	AliasTemplate(from, to uint64)
}
