package probes

import "errors"

// ErrNoPins is returned by New with Config.Adopt when the pin directory
// holds no maps to adopt.
var ErrNoPins = errors.New("no pinned gopulse maps to adopt")

// DefaultPinDir is where a Manager pins its maps and links for a successor
// (on bpffs).
const DefaultPinDir = "/sys/fs/bpf/gopulse"

// HandoverState is what a Manager hands to its successor besides the
// objects it pins: the per-process decoder state (GC cycle numbering and
// the cycle in progress), so that the successor neither recounts nor loses
// the pairing of a cycle's two pauses.
type HandoverState struct {
	Procs []ProcHandover `json:"procs"`
}

// ProcHandover is one watched process's decoder state.
type ProcHandover struct {
	PID       int    `json:"pid"`
	Start     uint64 `json:"start"` // process start time (clock ticks since boot): detects pid reuse
	Counted   uint32 `json:"counted"`
	InGC      bool   `json:"in_gc"`
	GCStart   int64  `json:"gc_start_mono_ns"`
	SweepEnd  int64  `json:"sweep_end_mono_ns"`
	SweepTerm int64  `json:"sweep_term_ns"`
	Trace     bool   `json:"trace"`
}
