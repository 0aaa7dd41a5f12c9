package probes

import (
	"unsafe"

	"github.com/gopulse/gopulse/event"
)

// Event kinds and flags, mirroring bpf/headers/gopulse.h.
const (
	evSTW      = 1
	evGoCreate = 2
	evGoExit   = 3
	evSched    = 4

	evfNumGC = 1

	cfgTrace = 1

	statLost      = 0
	statTraceHits = 1
)

// rawEvent mirrors struct event in bpf/headers/gopulse.h (64 bytes, naturally
// aligned). A ring-buffer record is decoded by casting its bytes.
type rawEvent struct {
	TS     uint64 // CLOCK_MONOTONIC ns
	A      uint64
	B      uint64
	C      uint64
	D      uint64
	G      uint64
	PID    uint32
	TID    uint32
	Kind   uint8
	Reason uint8
	Flags  uint16
	_      uint32
}

const rawEventSize = int(unsafe.Sizeof(rawEvent{}))

// decodeRecord returns the record in b without copying it. ok is false when b
// is too short or misaligned. The result aliases b.
func decodeRecord(b []byte) (ev *rawEvent, ok bool) {
	if len(b) < rawEventSize {
		return nil, false
	}
	p := unsafe.Pointer(unsafe.SliceData(b))
	if uintptr(p)%unsafe.Alignof(uint64(0)) != 0 {
		return nil, false
	}
	return (*rawEvent)(p), true
}

// stwReasonTable maps the runtime's stwReason values to event.STWReason. The
// enum (runtime/proc.go) is identical from go1.21 through go1.26:
//
//	0 unknown, 1 GC mark termination, 2 GC sweep termination,
//	3 write heap dump, 4 goroutine profile, 5 goroutine profile cleanup,
//	6 all goroutines stack trace, 7 read mem stats, 8 AllThreadsSyscall,
//	9 GOMAXPROCS, 10 start trace, 11 stop trace, 12–16 test-only reasons.
var stwReasonTable = [...]event.STWReason{
	0:  event.STWUnknown,
	1:  event.STWGCMarkTermination,
	2:  event.STWGCSweepTermination,
	3:  event.STWOther,
	4:  event.STWGoroutineProfile,
	5:  event.STWGoroutineProfile,
	6:  event.STWStackDump,
	7:  event.STWReadMemStats,
	8:  event.STWOther,
	9:  event.STWGOMAXPROCS,
	10: event.STWStartTrace,
	11: event.STWStopTrace,
	12: event.STWOther,
	13: event.STWOther,
	14: event.STWOther,
	15: event.STWOther,
	16: event.STWOther,
}

// stwReason maps a raw runtime stwReason to event.STWReason. Go versions
// after 1.26 use the same table: the enum has only ever been appended to,
// and unknown values map to STWOther.
func stwReason(raw uint8) event.STWReason {
	if int(raw) < len(stwReasonTable) {
		return stwReasonTable[raw]
	}
	return event.STWOther
}
