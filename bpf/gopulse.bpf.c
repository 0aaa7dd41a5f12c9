// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// gopulse runtime probes: stop-the-world pauses (default mode) and
// goroutine transitions (trace mode) of Go programs, observed with uprobes
// only. Function returns are seen through uprobes placed on RET
// instructions; uretprobes are never used (they crash Go programs).
//
// Every struct offset and runtime-version switch is a `const volatile`
// variable that user space sets before loading; nothing about the target's
// layout is hard-coded here.
#include "headers/vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "headers/gopulse.h"
#include "headers/goabi.h"

char __license[] SEC("license") = "Dual BSD/GPL";

// Keep the record layouts in BTF so bpf2go emits their Go mirrors.
const struct event *unused_event __attribute__((unused));
const struct pid_cfg *unused_pid_cfg __attribute__((unused));

// --- configuration, set with spec.Variables[...].Set before load ---

// 1 when startTheWorldWithSema receives a worldStop (go1.22+), whose
// startedStopping is the runtime's own pause start. 0 for go1.21, where the
// start is taken at stopTheWorldWithSema's entry.
const volatile u32 worldstop_abi = 1;
// 1 when gc_transition is attached to gcCPULimiterState.finishGCTransition,
// which receives the end of the sweep-termination pause (and, on go1.21,
// of the mark-termination pause) as its argument. Then no RET probe is
// needed: on amd64 RET probes are single-stepped by the kernel and cost
// the target far more than the emulated PUSHQ BP entry probes.
const volatile u32 have_transition = 0;
// go1.21: where the result of the nanotime1 call the markterm_now and
// pause_start_now probes follow is, relative to the stack pointer (an ABI0
// assembly function returns on the stack: 0 on amd64, 8 on arm64).
const volatile u64 now_sp_off = 0;
// Offsets inside runtime.g (trace mode).
const volatile u64 off_g_goid = 0;
const volatile u64 off_g_parent_goid = 0;
const volatile u64 off_g_gopc = 0;
const volatile u64 off_g_startpc = 0;

// --- maps ---

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 << 20);
} events SEC(".maps");

// Watched processes: uprobes attach per executable inode, so every program
// first checks that the hitting tgid is one we watch.
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, u32);
	__type(value, struct pid_cfg);
} pids SEC(".maps");

// Processes whose children are watched from their first instruction
// ('gopulse probe --exec'): a child that hits a probe is added to pids with
// its parent's template, so no event is missed between fork and attach.
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, u32);
	__type(value, struct pid_cfg);
} parents SEC(".maps");

// go1.21: stopTheWorldWithSema entry, per process (one STW at a time).
// go1.22+ with pid_cfg.tmark_addr: the cycle's sweep-termination pause,
// waiting for its mark termination.
struct stop_pending {
	u64 start;
	u64 reason;
	u64 caller; // return address of startTheWorldWithSema
};
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, u32);
	__type(value, struct stop_pending);
} stops SEC(".maps");

// go1.21: the runtime's own end of the mark-termination pause, per process.
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, u32);
	__type(value, u64);
} markterm_end SEC(".maps");

// go1.21: the runtime's own start of the next pause (work.pauseStart), per
// process.
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, u32);
	__type(value, u64);
} pause_start SEC(".maps");

// startTheWorldWithSema entry → its RETs, per thread.
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__type(key, u64);
	__type(value, struct stop_pending);
} starts SEC(".maps");

// Trace mode: when a sampled goroutine became runnable.
struct runnable_key {
	u32 pid;
	u32 pad;
	u64 goid;
};
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct runnable_key);
	__type(value, u64);
} runnable SEC(".maps");

// Counters, per CPU: see the STAT_* indexes in gopulse.h.
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, STAT_MAX);
	__type(key, u32);
	__type(value, u64);
} stats SEC(".maps");

static __always_inline void count(u32 idx)
{
	u64 *v = bpf_map_lookup_elem(&stats, &idx);
	if (v)
		*v += 1;
}

static __always_inline struct pid_cfg *watched(u32 tgid)
{
	struct pid_cfg *cfg = bpf_map_lookup_elem(&pids, &tgid);
	if (cfg)
		return cfg;
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	u32 ppid = BPF_CORE_READ(task, real_parent, tgid);
	struct pid_cfg *tmpl = bpf_map_lookup_elem(&parents, &ppid);
	if (!tmpl)
		return NULL;
	bpf_map_update_elem(&pids, &tgid, tmpl, BPF_NOEXIST);
	return bpf_map_lookup_elem(&pids, &tgid);
}

static __always_inline struct event *reserve(void)
{
	struct event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e)
		count(STAT_LOST);
	return e;
}

static __always_inline void submit(struct event *e)
{
	bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
}

// stopTheWorldWithSema(reason stwReason): go1.21 only.
SEC("uprobe")
int stw_stop_entry(struct pt_regs *ctx)
{
	u64 id = bpf_get_current_pid_tgid();
	u32 tgid = id >> 32;
	if (!watched(tgid))
		return 0;
	struct stop_pending p = {
		.start = bpf_ktime_get_ns(),
		.reason = GO_ARG1(ctx) & 0xff,
	};
	u64 *start = bpf_map_lookup_elem(&pause_start, &tgid);
	if (start) {
		p.start = *start;
		bpf_map_delete_elem(&pause_start, &tgid);
	}
	bpf_map_update_elem(&stops, &tgid, &p, BPF_ANY);
	return 0;
}

// go1.21: the result of the nanotime1 call that just returned.
static __always_inline int nanotime_result(struct pt_regs *ctx, u64 *now)
{
	return bpf_probe_read_user(now, sizeof(*now), (void *)(GO_SP(ctx) + now_sp_off));
}

// go1.21 gcMarkTermination, right after `now := nanotime()`: now is the end
// of the mark-termination pause as the runtime records it.
SEC("uprobe")
int markterm_now(struct pt_regs *ctx)
{
	u32 tgid = bpf_get_current_pid_tgid() >> 32;
	if (!watched(tgid))
		return 0;
	u64 now;
	if (nanotime_result(ctx, &now))
		return 0;
	bpf_map_update_elem(&markterm_end, &tgid, &now, BPF_ANY);
	return 0;
}

// go1.21 gcStart and gcMarkDone, right after `now := nanotime()` that
// becomes work.pauseStart: the start of the pause to come.
SEC("uprobe")
int pause_start_now(struct pt_regs *ctx)
{
	u32 tgid = bpf_get_current_pid_tgid() >> 32;
	if (!watched(tgid))
		return 0;
	u64 now;
	if (nanotime_result(ctx, &now))
		return 0;
	bpf_map_update_elem(&pause_start, &tgid, &now, BPF_ANY);
	return 0;
}

// take moves the pause waiting under key in m to out.
static __always_inline int take(void *m, const void *key, struct stop_pending *out)
{
	struct stop_pending *p = bpf_map_lookup_elem(m, key);
	if (!p)
		return 0;
	*out = *p;
	bpf_map_delete_elem(m, key);
	return 1;
}

// emit_stw sends one pause. late: the sweep-termination pause sent with
// its cycle's mark termination: stamped with its own end, and numbered
// before memstats.numgc counted the cycle.
static __always_inline void emit_stw(struct pid_cfg *cfg, u64 id, struct stop_pending *p, u64 end, int late)
{
	struct event *e = reserve();
	if (!e)
		return;
	e->ts = late ? end : bpf_ktime_get_ns();
	e->a = p->start;
	e->b = end;
	e->c = 0;
	e->d = p->caller;
	e->g = 0;
	e->pid = id >> 32;
	e->tid = (u32)id;
	e->kind = EV_STW;
	e->reason = p->reason;
	e->flags = 0;
	e->pad = 0;
	// The GC count numbers cycles: only GC pauses carry it.
	if (cfg->numgc_addr && (p->reason == STW_GC_MARK_TERM || p->reason == STW_GC_SWEEP_TERM)) {
		u32 n = 0;
		if (bpf_probe_read_user(&n, sizeof(n), (void *)cfg->numgc_addr) == 0) {
			e->c = late ? n - 1 : n;
			e->flags |= EVF_NUMGC;
		}
	}
	submit(e);
}

// startTheWorldWithSema(now int64, w worldStop) int64 on go1.22+:
// argument 1 = now, 2 = w.reason, 3 = w.startedStopping. go1.21:
// startTheWorldWithSema() int64, the start comes from stw_stop_entry.
//
// When the end of the pause is already known here (go1.22+ callers that
// pass now, i.e. gcMarkTermination; go1.21 mark termination), the event is
// sent at once: other Ps already run user code before this function
// returns, and a program that exits right after its last GC would take the
// RET probe's event with it.
SEC("uprobe")
int stw_start_entry(struct pt_regs *ctx)
{
	u64 id = bpf_get_current_pid_tgid();
	u32 tgid = id >> 32;
	struct pid_cfg *cfg = watched(tgid);
	if (!cfg)
		return 0;
	struct stop_pending p = {};
	u64 end = 0;
	if (worldstop_abi) {
		p.start = GO_ARG3(ctx);
		p.reason = GO_ARG2(ctx) & 0xff;
		end = GO_ARG1(ctx);
	} else {
		if (!take(&stops, &tgid, &p))
			return 0;
		if (p.reason == STW_GC_MARK_TERM) {
			u64 *e = bpf_map_lookup_elem(&markterm_end, &tgid);
			if (e) {
				end = *e;
				bpf_map_delete_elem(&markterm_end, &tgid);
			}
		}
	}
	// The return address tells a mark-phase restart (gcMarkDone) from the
	// end of a cycle (gcMarkTermination). Only those pauses need it, and on
	// amd64 (a user memory read) it is a fifth of this program's cost.
	if (p.reason == STW_GC_MARK_TERM)
		p.caller = go_caller(ctx);
	if (worldstop_abi && cfg->tmark_addr) {
		// Two probe hits per GC cycle, both on this entry: the sweep-
		// termination pause waits here for its cycle's mark termination,
		// which reads its end from work.tMark (set when it ended).
		if (p.reason == STW_GC_SWEEP_TERM) {
			bpf_map_update_elem(&stops, &tgid, &p, BPF_ANY);
			return 0;
		}
		if (end) {
			struct stop_pending sw;
			u64 tmark = 0;
			if (take(&stops, &tgid, &sw) &&
			    bpf_probe_read_user(&tmark, sizeof(tmark), (void *)cfg->tmark_addr) == 0 &&
			    tmark > sw.start && tmark <= p.start)
				emit_stw(cfg, id, &sw, tmark, 1);
			emit_stw(cfg, id, &p, end, 0);
			return 0;
		}
		// Non-GC pauses and mark-phase restarts end now, as below.
		emit_stw(cfg, id, &p, bpf_ktime_get_ns(), 0);
		return 0;
	}
	if (end) {
		emit_stw(cfg, id, &p, end, 0);
		return 0;
	}
	if (have_transition && p.reason != STW_GC_SWEEP_TERM) {
		// Without RET probes the runtime's own end of this pause (non-GC,
		// or a mark-phase restart) is not seen: it is taken now, before
		// startTheWorldWithSema restarts the Ps.
		emit_stw(cfg, id, &p, bpf_ktime_get_ns(), 0);
		return 0;
	}
	bpf_map_update_elem(&starts, &id, &p, BPF_ANY);
	return 0;
}

// runtime.(*gcCPULimiterState).finishGCTransition(now int64): argument 2
// (after the receiver) = now.
// gcStart calls it right after startTheWorldWithSema(0, stw) with the
// sweep-termination pause's end; go1.21's gcMarkTermination calls it with
// the mark-termination pause's end before restarting the world.
SEC("uprobe")
int gc_transition(struct pt_regs *ctx)
{
	u64 id = bpf_get_current_pid_tgid();
	u32 tgid = id >> 32;
	struct pid_cfg *cfg = watched(tgid);
	if (!cfg)
		return 0;
	u64 now = GO_ARG2(ctx);
	struct stop_pending *p = bpf_map_lookup_elem(&starts, &id);
	struct stop_pending sw;
	if (p && p->reason == STW_GC_SWEEP_TERM && take(&starts, &id, &sw)) {
		emit_stw(cfg, id, &sw, now, 0);
		return 0;
	}
	if (!worldstop_abi) {
		struct stop_pending *s = bpf_map_lookup_elem(&stops, &tgid);
		if (s && s->reason == STW_GC_MARK_TERM)
			bpf_map_update_elem(&markterm_end, &tgid, &now, BPF_ANY);
	}
	return 0;
}

// A RET of startTheWorldWithSema: the result register holds the runtime's
// own end time.
SEC("uprobe")
int stw_start_ret(struct pt_regs *ctx)
{
	u64 id = bpf_get_current_pid_tgid();
	u32 tgid = id >> 32;
	struct pid_cfg *cfg = watched(tgid);
	if (!cfg)
		return 0;
	struct stop_pending p;
	if (take(&starts, &id, &p))
		emit_stw(cfg, id, &p, GO_RET1(ctx), 0);
	return 0;
}

static __always_inline int sampled(struct pid_cfg *cfg, u64 goid)
{
	u32 m = cfg->sample_mod;
	if (m <= 1)
		return 1;
	return goid % m == 0;
}

// casgstatus(gp *g, oldval, newval uint32): arguments 1–3.
// Trace mode only; the program is attached only to processes traced.
SEC("uprobe")
int g_status(struct pt_regs *ctx)
{
	u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct pid_cfg *cfg = watched(tgid);
	if (!cfg || !(cfg->flags & CFG_TRACE))
		return 0;
	count(STAT_TRACE_HITS);
	u64 gp = GO_ARG1(ctx);
	u32 oldv = GO_ARG2(ctx) & 0xffffffff;
	u32 newv = GO_ARG3(ctx) & 0xffffffff;
	// Only creation, exit and becoming runnable/running matter: leave the
	// common running→waiting/syscall transitions before touching memory.
	if (newv != G_RUNNABLE && newv != G_RUNNING && newv != G_DEAD && !(oldv == G_DEAD && newv == G_WAITING))
		return 0;
	u64 goid = 0;
	if (bpf_probe_read_user(&goid, sizeof(goid), (void *)(gp + off_g_goid)))
		return 0;
	if (!sampled(cfg, goid))
		return 0;

	u8 kind = 0;
	u64 b = 0;
	if (oldv == G_DEAD && (newv == G_RUNNABLE || newv == G_WAITING)) {
		kind = EV_GO_CREATE;
		bpf_probe_read_user(&b, sizeof(b), (void *)(gp + off_g_parent_goid));
		u64 gopc = 0, startpc = 0;
		bpf_probe_read_user(&gopc, sizeof(gopc), (void *)(gp + off_g_gopc));
		bpf_probe_read_user(&startpc, sizeof(startpc), (void *)(gp + off_g_startpc));
		if (newv == G_RUNNABLE) {
			struct runnable_key k = {.pid = tgid, .goid = goid};
			u64 now = bpf_ktime_get_ns();
			bpf_map_update_elem(&runnable, &k, &now, BPF_ANY);
		}
		struct event *e = reserve();
		if (!e)
			return 0;
		e->ts = bpf_ktime_get_ns();
		e->a = goid;
		e->b = b;
		e->c = startpc;
		e->d = gopc;
		e->g = gp;
		e->pid = tgid;
		e->tid = 0;
		e->kind = kind;
		e->reason = 0;
		e->flags = 0;
		e->pad = 0;
		submit(e);
		return 0;
	}
	if (newv == G_DEAD && oldv == G_RUNNING) {
		struct runnable_key k = {.pid = tgid, .goid = goid};
		bpf_map_delete_elem(&runnable, &k);
		kind = EV_GO_EXIT;
	} else if (newv == G_RUNNABLE) {
		struct runnable_key k = {.pid = tgid, .goid = goid};
		u64 now = bpf_ktime_get_ns();
		bpf_map_update_elem(&runnable, &k, &now, BPF_ANY);
		return 0;
	} else if (oldv == G_RUNNABLE && newv == G_RUNNING) {
		struct runnable_key k = {.pid = tgid, .goid = goid};
		u64 *since = bpf_map_lookup_elem(&runnable, &k);
		if (!since)
			return 0;
		b = bpf_ktime_get_ns() - *since;
		bpf_map_delete_elem(&runnable, &k);
		kind = EV_SCHED;
	} else {
		return 0;
	}
	struct event *e = reserve();
	if (!e)
		return 0;
	e->ts = bpf_ktime_get_ns();
	e->a = goid;
	e->b = b;
	e->c = 0;
	e->d = 0;
	e->g = 0;
	e->pid = tgid;
	e->tid = 0;
	e->kind = kind;
	e->reason = 0;
	e->flags = 0;
	e->pad = 0;
	submit(e);
	return 0;
}
