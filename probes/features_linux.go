//go:build linux

package probes

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/cilium/ebpf/btf"
	"github.com/cilium/ebpf/features"
	"github.com/cilium/ebpf/rlimit"
	"golang.org/x/sys/unix"
)

// Capabilities the probes use (linux/capability.h).
const (
	capSysPtrace   = 19
	capSysAdmin    = 21
	capSysResource = 24
	capPerfmon     = 38
	capBPF         = 39
)

var capNames = map[int]string{
	capSysPtrace: "CAP_SYS_PTRACE", capSysAdmin: "CAP_SYS_ADMIN",
	capSysResource: "CAP_SYS_RESOURCE", capPerfmon: "CAP_PERFMON", capBPF: "CAP_BPF",
}

// kernelEnv is what detectMechanisms asks of the running kernel and process;
// hostEnv answers from the real ones, tests from a table.
type kernelEnv struct {
	release     func() string
	capEff      func() (uint64, error)
	memlock     func() (unix.Rlimit, error)
	removeLimit func() error // rlimit.RemoveMemlock
	kernelBTF   func() error
	progType    func(ebpf.ProgramType) error
	mapType     func(ebpf.MapType) error
	helper      func(ebpf.ProgramType, asm.BuiltinFunc) error
	uprobeMulti func() error
	uprobePMU   func() bool // perf "uprobe" PMU (else tracefs uprobe_events)
	uprobeTrace func() bool // tracefs uprobe_events
}

func hostEnv(cache *btf.Cache) kernelEnv {
	return kernelEnv{
		release: func() string {
			var u unix.Utsname
			if err := unix.Uname(&u); err != nil {
				return "unknown"
			}
			return unix.ByteSliceToString(u.Release[:])
		},
		capEff: readCapEff,
		memlock: func() (unix.Rlimit, error) {
			var r unix.Rlimit
			err := unix.Getrlimit(unix.RLIMIT_MEMLOCK, &r)
			return r, err
		},
		removeLimit: rlimit.RemoveMemlock,
		kernelBTF: func() error {
			if exists("/sys/kernel/btf/vmlinux") {
				return nil // decoded when the first programs load
			}
			_, err := cache.Kernel() // other places cilium/ebpf looks
			return err
		},
		progType:    features.HaveProgramType,
		mapType:     features.HaveMapType,
		helper:      features.HaveProgramHelper,
		uprobeMulti: features.HaveBPFLinkUprobeMulti,
		uprobePMU:   func() bool { return exists("/sys/bus/event_source/devices/uprobe/type") },
		uprobeTrace: func() bool {
			return exists("/sys/kernel/tracing/uprobe_events") || exists("/sys/kernel/debug/tracing/uprobe_events")
		},
	}
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// readCapEff returns the effective capability set of this process.
func readCapEff() (uint64, error) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "CapEff:"); ok {
			return strconv.ParseUint(strings.TrimSpace(v), 16, 64)
		}
	}
	return 0, errors.New("no CapEff in /proc/self/status")
}

// kernelFloor is the oldest kernel the probes can run on: the BPF ring
// buffer (5.8) is the newest feature without a fallback.
const kernelFloor = "5.8"

// helpers the programs call (bpf/gopulse.bpf.c; BPF_CORE_READ reads with
// bpf_probe_read_kernel).
var helpers = []asm.BuiltinFunc{
	asm.FnMapLookupElem, asm.FnMapUpdateElem, asm.FnMapDeleteElem,
	asm.FnKtimeGetNs, asm.FnGetCurrentPidTgid, asm.FnGetCurrentTask,
	asm.FnProbeReadUser, asm.FnProbeReadKernel,
	asm.FnRingbufReserve, asm.FnRingbufSubmit,
}

// maps the programs use.
var mapTypes = []ebpf.MapType{ebpf.RingBuf, ebpf.Hash, ebpf.LRUHash, ebpf.PerCPUArray}

// detectMechanisms checks every kernel feature the probes rely on and
// chooses one mechanism per capability. It fails with ErrKernel (naming
// the missing feature) below the floor, and with ErrPrivileges (naming the
// missing capabilities) when the process may not use BPF.
func detectMechanisms(env kernelEnv) (Mechanisms, error) {
	mech := Mechanisms{Kernel: env.release()}
	caps, capErr := env.capEff()
	has := func(c int) bool { return capErr == nil && caps&(1<<c) != 0 }
	if capErr == nil {
		var missing []string
		if !has(capSysAdmin) {
			for _, c := range []int{capBPF, capPerfmon} {
				if !has(c) {
					missing = append(missing, capNames[c])
				}
			}
		}
		if len(missing) > 0 {
			if !has(capSysPtrace) {
				missing = append(missing, capNames[capSysPtrace])
			}
			return mech, fmt.Errorf("%w: missing %s (or CAP_SYS_ADMIN); run as root or grant them, e.g. setcap cap_bpf,cap_perfmon,cap_sys_ptrace,cap_sys_resource+ep gopulse",
				ErrPrivileges, strings.Join(missing, ", "))
		}
	}

	// Memory: before Linux 5.11 BPF maps and programs are charged to
	// RLIMIT_MEMLOCK (64 KiB by default), later to the memory cgroup.
	before, err := env.memlock()
	if err != nil {
		return mech, fmt.Errorf("read RLIMIT_MEMLOCK: %w", err)
	}
	if err := env.removeLimit(); err != nil {
		hint := "run with CAP_SYS_RESOURCE or raise the limit (ulimit -l unlimited, systemd LimitMEMLOCK=infinity)"
		if capErr == nil && !has(capSysResource) {
			hint = "missing CAP_SYS_RESOURCE: grant it or raise the limit (ulimit -l unlimited, systemd LimitMEMLOCK=infinity)"
		}
		return mech, fmt.Errorf("%w: this kernel charges BPF memory to RLIMIT_MEMLOCK (before Linux 5.11) and removing the limit failed (%w); %s",
			ErrPrivileges, err, hint)
	}
	after, err := env.memlock()
	switch {
	case err != nil:
		return mech, fmt.Errorf("read RLIMIT_MEMLOCK: %w", err)
	case after != before:
		mech.Memlock = MemlockRemoved
	case before.Cur == unix.RLIM_INFINITY:
		mech.Memlock = MemlockUnlimited
	default:
		mech.Memlock = MemlockCgroup
	}

	if err := env.kernelBTF(); err != nil {
		return mech, fmt.Errorf("%w: kernel BTF (CONFIG_DEBUG_INFO_BTF, /sys/kernel/btf/vmlinux) is needed to relocate the programs: %w", ErrKernel, err)
	}
	if err := env.progType(ebpf.Kprobe); err != nil {
		return mech, featureErr("kprobe/uprobe BPF programs", err)
	}
	for _, mt := range mapTypes {
		if err := env.mapType(mt); err != nil {
			return mech, featureErr("BPF map type "+mt.String(), err)
		}
	}
	for _, h := range helpers {
		if err := env.helper(ebpf.Kprobe, h); err != nil {
			return mech, featureErr("BPF helper "+h.String(), err)
		}
	}

	// Attach: one uprobe_multi link per probe site (Linux 6.6), else one
	// perf-event uprobe per site.
	switch err := env.uprobeMulti(); {
	case err == nil:
		mech.Attach = AttachUprobeMulti
	case errors.Is(err, ebpf.ErrNotSupported):
		switch {
		case env.uprobePMU():
			mech.Attach = AttachPerfEvent
		case env.uprobeTrace():
			mech.Attach = AttachTracefs
		default:
			return mech, fmt.Errorf("%w: no uprobe support (needs CONFIG_UPROBE_EVENTS: the perf uprobe PMU or tracefs uprobe_events)", ErrKernel)
		}
	default:
		return mech, fmt.Errorf("probe uprobe_multi links: %w", err)
	}
	mech.RingBuffer = true
	return mech, nil
}

// featureErr names a missing kernel feature; cilium/ebpf's error carries
// the version that introduced it.
func featureErr(what string, err error) error {
	if errors.Is(err, ebpf.ErrNotSupported) {
		return fmt.Errorf("%w: %s: %w (gopulse needs Linux %s or later)", ErrKernel, what, err, kernelFloor)
	}
	if errors.Is(err, unix.EPERM) {
		return fmt.Errorf("%w: checking %s: %w", ErrPrivileges, what, err)
	}
	return fmt.Errorf("check %s: %w", what, err)
}
