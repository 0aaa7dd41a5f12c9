// Package probes watches Go programs from the outside with eBPF uprobes and
// turns what it sees into event.Runtime values: stop-the-world pauses with
// the runtime's own start and end times, GC cycles with their phases and the
// runtime's own cycle number, and, in opt-in trace mode, goroutine creation,
// exit and runnable→running latency under an overhead budget.
//
// The BPF side lives in bpf/ (generated into gopulse_x86_bpfel.go and .o by
// bpf2go). A Manager discovers Go processes, attaches per executable,
// filters by pid in BPF, drains the ring buffer by polling and decodes each
// record by an unsafe cast (no binary.Read, no allocation).
package probes
