// Package gopulsereceiver is an OpenTelemetry Collector receiver that watches
// Go programs from the outside with gopulse's eBPF uprobes (no code change,
// no restart) and emits OTel semantic-convention Go runtime metrics
// (go.goroutine.count, go.schedule.duration) plus gopulse's own signals: GC
// cycles and their duration, every stop-the-world pause with its reason,
// scheduling latency and goroutine creation in trace mode.
//
// It is built on gopulse's probes package (the same one the gopulse agent
// uses) and runs on linux/amd64 with BTF, as root or with CAP_BPF,
// CAP_PERFMON and CAP_SYS_PTRACE. Elsewhere the factory returns an error.
package gopulsereceiver
