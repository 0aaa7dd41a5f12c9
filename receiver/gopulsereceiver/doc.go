// Package gopulsereceiver is an OpenTelemetry Collector receiver that watches
// Go programs from the outside — eBPF uprobes on the runtime for GC cycles
// and stop-the-world pauses, and the program's own runtime state read with
// process_vm_readv for goroutines, scheduling latency, memory, GC
// configuration and CPU — with no code change and no restart. It emits the
// semantic-convention Go runtime metrics (go.memory.*, go.goroutine.count,
// go.schedule.duration, go.config.gogc, go.processor.limit, go.cpu.time)
// and gopulse's own signals under gopulse.*.
//
// It aggregates with the same code as the gopulse agent's Prometheus
// exporter (internal/procstats), so both report the same numbers. It runs
// on linux (amd64; arm64 where the probes do) as root or with CAP_BPF,
// CAP_PERFMON, CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH, in the host's PID
// namespace. Nothing a target does stops the collector: problems are
// reported in the component status and logged.
package gopulsereceiver

//go:generate ../../scripts/mdatagen.sh here
