//go:build linux && (amd64 || arm64)

package probes

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"golang.org/x/sys/unix"
)

// unsupported is what cilium/ebpf's feature tests return for a feature the
// kernel lacks (an UnsupportedFeatureError wraps ErrNotSupported).
func unsupported(what, since string) error {
	return fmt.Errorf("%s not supported (requires >= %s): %w", what, since, ebpf.ErrNotSupported)
}

// fakeKernel describes a kernel for detectMechanisms: everything present
// unless a field says otherwise.
type fakeKernel struct {
	caps        uint64
	limit       uint64 // RLIMIT_MEMLOCK before
	chargesLock bool   // < 5.11: RemoveMemlock raises the limit
	canRaise    bool
	noBTF       bool
	noRing      bool
	noHelper    asm.BuiltinFunc
	noMulti     bool
	noPMU       bool
	noTracefs   bool
}

func (k fakeKernel) env() kernelEnv {
	cur := k.limit
	return kernelEnv{
		release: func() string { return "9.9.9-test" },
		capEff:  func() (uint64, error) { return k.caps, nil },
		memlock: func() (unix.Rlimit, error) { return unix.Rlimit{Cur: cur, Max: cur}, nil },
		removeLimit: func() error {
			if !k.chargesLock {
				return nil
			}
			if !k.canRaise {
				return fmt.Errorf("failed to set memlock rlimit: %w", unix.EPERM)
			}
			cur = unix.RLIM_INFINITY
			return nil
		},
		kernelBTF: func() error {
			if k.noBTF {
				return errors.New("no BTF found for kernel version 9.9.9")
			}
			return nil
		},
		progType: func(ebpf.ProgramType) error { return nil },
		mapType: func(mt ebpf.MapType) error {
			if k.noRing && mt == ebpf.RingBuf {
				return unsupported("ring buffer", "5.8")
			}
			return nil
		},
		helper: func(_ ebpf.ProgramType, h asm.BuiltinFunc) error {
			if k.noHelper != 0 && h == k.noHelper {
				return unsupported(h.String(), "5.5")
			}
			return nil
		},
		uprobeMulti: func() error {
			if k.noMulti {
				return unsupported("bpf_link_uprobe_multi", "6.6")
			}
			return nil
		},
		uprobePMU:   func() bool { return !k.noPMU },
		uprobeTrace: func() bool { return !k.noTracefs },
	}
}

const allCaps uint64 = 1<<41 - 1

func TestDetectMechanisms(t *testing.T) {
	root := allCaps &^ (1 << capSysResource) // root in a container, like this machine
	bpfOnly := uint64(1<<capBPF | 1<<capPerfmon | 1<<capSysPtrace)
	cases := []struct {
		name    string
		k       fakeKernel
		attach  string
		memlock string
		err     error
		msg     []string // the error names these
	}{
		{"6.6+", fakeKernel{caps: root, limit: 8 << 20}, AttachUprobeMulti, MemlockCgroup, nil, nil},
		{"6.1: per-offset uprobes", fakeKernel{caps: root, limit: 8 << 20, noMulti: true}, AttachPerfEvent, MemlockCgroup, nil, nil},
		{"no uprobe PMU: tracefs", fakeKernel{caps: root, noMulti: true, noPMU: true}, AttachTracefs, MemlockCgroup, nil, nil},
		{"5.10: memlock removed", fakeKernel{caps: allCaps, limit: 64 << 10, chargesLock: true, canRaise: true, noMulti: true},
			AttachPerfEvent, MemlockRemoved, nil, nil},
		{"memlock already unlimited", fakeKernel{caps: root, limit: unix.RLIM_INFINITY}, AttachUprobeMulti, MemlockUnlimited, nil, nil},
		{"CAP_BPF and CAP_PERFMON suffice", fakeKernel{caps: bpfOnly, limit: 64 << 10}, AttachUprobeMulti, MemlockCgroup, nil, nil},
		{"5.10 without CAP_SYS_RESOURCE", fakeKernel{caps: root, limit: 64 << 10, chargesLock: true, noMulti: true},
			"", "", ErrPrivileges, []string{"RLIMIT_MEMLOCK", "5.11", "CAP_SYS_RESOURCE", "ulimit -l"}},
		{"unprivileged", fakeKernel{caps: 0}, "", "", ErrPrivileges, []string{"CAP_BPF", "CAP_PERFMON", "CAP_SYS_PTRACE"}},
		{"CAP_BPF only", fakeKernel{caps: 1<<capBPF | 1<<capSysPtrace}, "", "", ErrPrivileges, []string{"missing CAP_PERFMON (or CAP_SYS_ADMIN)"}},
		{"no kernel BTF", fakeKernel{caps: root, noBTF: true}, "", "", ErrKernel, []string{"CONFIG_DEBUG_INFO_BTF"}},
		{"5.4: no ring buffer", fakeKernel{caps: root, noRing: true, noMulti: true}, "", "", ErrKernel, []string{"RingBuf", "5.8"}},
		{"no bpf_probe_read_user", fakeKernel{caps: root, noHelper: asm.FnProbeReadUser}, "", "", ErrKernel, []string{"FnProbeReadUser", "5.5"}},
		{"no uprobes at all", fakeKernel{caps: root, noMulti: true, noPMU: true, noTracefs: true}, "", "", ErrKernel, []string{"CONFIG_UPROBE_EVENTS"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, err := detectMechanisms(c.k.env())
			if c.err != nil {
				if !errors.Is(err, c.err) {
					t.Fatalf("err = %v, want %v", err, c.err)
				}
				for _, s := range c.msg {
					if !strings.Contains(err.Error(), s) {
						t.Errorf("error %q does not name %q", err, s)
					}
				}
				if c.err == ErrPrivileges && strings.Contains(err.Error(), "MEMLOCK") && c.k.caps == 0 {
					t.Errorf("unprivileged run blames MEMLOCK: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("detect: %v", err)
			}
			if m.Attach != c.attach || m.Memlock != c.memlock || !m.RingBuffer || m.Kernel != "9.9.9-test" {
				t.Errorf("mechanisms %+v, want attach %s, memlock %s", m, c.attach, c.memlock)
			}
		})
	}
}

// TestDetectMechanismsHost runs the real detection on this machine's kernel
// (6.6+, memory cgroup accounting): it must choose uprobe_multi links and
// leave RLIMIT_MEMLOCK alone.
func TestDetectMechanismsHost(t *testing.T) {
	requireBPF(t)
	var before unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_MEMLOCK, &before); err != nil {
		t.Fatal(err)
	}
	sink := &syncSink{}
	m := startManager(t, Config{}, Deps{Sink: sink})
	mech := m.Mechanisms()
	t.Logf("mechanisms: %+v", mech)
	var after unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_MEMLOCK, &after); err != nil {
		t.Fatal(err)
	}
	if after != before {
		t.Errorf("RLIMIT_MEMLOCK changed from %+v to %+v on a kernel with memcg accounting", before, after)
	}
	if mech.Kernel == "" || !mech.RingBuffer {
		t.Errorf("mechanisms incomplete: %+v", mech)
	}
	if ver, err := kernelVersion(mech.Kernel); err == nil && (ver[0] > 6 || ver[0] == 6 && ver[1] >= 6) && mech.Attach != AttachUprobeMulti {
		t.Errorf("kernel %s: attach = %s, want %s", mech.Kernel, mech.Attach, AttachUprobeMulti)
	}
}

// kernelVersion parses "6.18.3-foo" → {6, 18}.
func kernelVersion(rel string) ([2]int, error) {
	var v [2]int
	_, err := fmt.Sscanf(rel, "%d.%d", &v[0], &v[1])
	return v, err
}
