// Shared between the BPF programs and probes/ (which mirrors these layouts
// in Go). Every struct is naturally aligned, with explicit padding.
#ifndef GOPULSE_H
#define GOPULSE_H

// Event kinds (struct event.kind).
#define EV_STW 1
#define EV_GO_CREATE 2
#define EV_GO_EXIT 3
#define EV_SCHED 4

// struct event.flags
#define EVF_NUMGC 1 // c holds runtime.memstats.numgc read at the pause end

// struct pid_cfg.flags
#define CFG_TRACE 1

// runtime g status values (stable go1.21–go1.26).
#define G_RUNNABLE 1
#define G_RUNNING 2
#define G_WAITING 4
#define G_DEAD 6

// runtime stwReason values used in BPF.
#define STW_GC_MARK_TERM 1
#define STW_GC_SWEEP_TERM 2

// stats map indexes.
#define STAT_LOST 0
#define STAT_TRACE_HITS 1
#define STAT_MAX 2

// One ring-buffer record, 64 bytes.
//   EV_STW:       a = start (CLOCK_MONOTONIC ns, the runtime's own),
//                 b = end (same clock), c = memstats.numgc (EVF_NUMGC),
//                 d = caller of startTheWorldWithSema (return address),
//                 reason = the runtime's stwReason.
//   EV_GO_CREATE: a = goid, b = parent goid, c = startpc, d = gopc.
//   EV_GO_EXIT:   a = goid.
//   EV_SCHED:     a = goid, b = runnable→running latency in ns.
struct event {
	__u64 ts; // bpf_ktime_get_ns (CLOCK_MONOTONIC)
	__u64 a;
	__u64 b;
	__u64 c;
	__u64 d;
	__u64 g; // EV_GO_CREATE: the g's address (to check later that it still lives)
	__u32 pid;
	__u32 tid;
	__u8 kind;
	__u8 reason;
	__u16 flags;
	__u32 pad;
};

// Per watched process (value of the pids map).
struct pid_cfg {
	__u64 numgc_addr; // address of runtime.memstats.numgc in the process, or 0
	// Address of runtime.work.tMark (go1.22+), or 0. When set, the sweep-
	// termination pause is sent with the cycle's mark termination, its end
	// read from tMark, and no probe is needed between the two.
	__u64 tmark_addr;
	__u32 flags;      // CFG_*
	__u32 sample_mod; // trace mode: keep goroutines with goid % sample_mod == 0
};

#endif
