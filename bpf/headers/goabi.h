// Go's register-based calling convention (ABIInternal) as a uprobe sees it,
// for each target architecture bpf2go builds (-target amd64,arm64, which
// defines __TARGET_ARCH_x86 or __TARGET_ARCH_arm64).
//
// Integer arguments and results go in registers, in order:
//   amd64: RAX, RBX, RCX, RDI, RSI, R8, R9, R10, R11 (g in R14)
//   arm64: R0 … R15 (g in R28, link register R30)
// (cmd/compile/abi-internal.md). Every probed function's use of them is
// checked against its assembly in probes/gobin's tests.
#ifndef GOABI_H
#define GOABI_H

#if defined(__TARGET_ARCH_x86)

#define GO_ARG1(ctx) ((ctx)->ax)
#define GO_ARG2(ctx) ((ctx)->bx)
#define GO_ARG3(ctx) ((ctx)->cx)
#define GO_RET1(ctx) ((ctx)->ax)
#define GO_SP(ctx) ((ctx)->sp)

// go_caller returns the return address of the probed function. The entry
// probes sit at the entry or on the prologue's PUSHQ BP: SP points at the
// return address there.
static __always_inline __u64 go_caller(struct pt_regs *ctx)
{
	__u64 ra = 0;
	bpf_probe_read_user(&ra, sizeof(ra), (void *)ctx->sp);
	return ra;
}

#elif defined(__TARGET_ARCH_arm64)

// The user-visible head of arm64's struct pt_regs (UAPI struct
// user_pt_regs: a stable layout, so no CO-RE relocation is needed). The
// kernel headers this program is built with are amd64's, hence a local
// definition.
struct go_arm64_regs {
	__u64 regs[31];
	__u64 sp;
	__u64 pc;
	__u64 pstate;
};

#define GO_REGS(ctx) ((const struct go_arm64_regs *)(ctx))
#define GO_ARG1(ctx) (GO_REGS(ctx)->regs[0])
#define GO_ARG2(ctx) (GO_REGS(ctx)->regs[1])
#define GO_ARG3(ctx) (GO_REGS(ctx)->regs[2])
#define GO_RET1(ctx) (GO_REGS(ctx)->regs[0])
#define GO_SP(ctx) (GO_REGS(ctx)->sp)

// go_caller returns the return address of the probed function: the entry
// probes sit at the entry or on the prologue's stack-bound branch (B.LS),
// before the link register is saved, so it is still in R30.
static __always_inline __u64 go_caller(struct pt_regs *ctx)
{
	return GO_REGS(ctx)->regs[30];
}

#else
#error "gopulse probes support amd64 and arm64 only"
#endif

#endif
