//go:build linux

package gopulsereceiver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/receiver"

	"github.com/gopulse/gopulse/event"
	"github.com/gopulse/gopulse/internal/pipeline"
	"github.com/gopulse/gopulse/probes"
)

func createMetricsReceiver(_ context.Context, set receiver.Settings, cfg component.Config, next consumer.Metrics) (receiver.Metrics, error) {
	c, ok := cfg.(*Config)
	if !ok {
		return nil, fmt.Errorf("unexpected config type %T", cfg)
	}
	// The node's name as the agent names it: the configured node, else
	// $NODE_NAME (a DaemonSet's pod is named otherwise), else the host name.
	host := pipeline.NodeName(c.Kubernetes.NodeName)
	var pods pipeline.PodLookup
	if c.Kubernetes.Enabled {
		k, err := pipeline.NewKubeClient(pipeline.KubeOptions{KubeletURL: c.Kubernetes.KubeletURL,
			APIServer: c.Kubernetes.APIServer, NodeName: c.Kubernetes.NodeName, Refresh: c.Kubernetes.Refresh},
			slogFromZap(set.Logger))
		switch {
		case errors.Is(err, pipeline.ErrNoKubernetes):
			set.Logger.Debug("not in kubernetes: services are named after executables")
		case err != nil:
			return nil, fmt.Errorf("kubernetes client: %w", err)
		default:
			pods = k
		}
	}
	resolver := pipeline.NewResolver("/proc", pods)
	resolver.SetNode(host)
	return newReceiver(set, c, next, env{
		newSource:    newProbesSource,
		identify:     linuxIdentify(resolver, host, "/proc"),
		checkTarget:  func(pid int) error { return checkTarget("/proc", pid) },
		pidNamespace: func() error { return hostPIDNamespace("/proc") },
	})
}

// probesSource is the probes manager seen as a source.
type probesSource struct {
	m     *probes.Manager
	trace bool
}

func newProbesSource(cfg *Config, logger *slog.Logger, sink event.RuntimeSink) (source, error) {
	m, err := probes.New(probes.Config{
		All:            cfg.DiscoverAll,
		Trace:          cfg.Trace,
		TraceBudget:    cfg.TraceBudget,
		RingBytes:      cfg.RingBufferSize,
		RescanInterval: cfg.RescanInterval,
	}, probes.Deps{Logger: logger, Sink: sink, SampleInterval: cfg.SampleInterval})
	if err != nil {
		return nil, fmt.Errorf("create probes manager: %w", err)
	}
	return probesSource{m: m, trace: cfg.Trace}, nil
}

func (s probesSource) Run(ctx context.Context) error { return s.m.Run(ctx) }

func (s probesSource) Watch(pid int) error { return s.m.Watch(pid, s.trace) }

func (s probesSource) Close() error { return s.m.Close() }

// checkTarget tells a pid that does not exist (or is a kernel thread) from
// one the probes may try.
func checkTarget(proc string, pid int) error {
	dir := proc + "/" + strconv.Itoa(pid)
	if _, err := os.Stat(dir); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("no such process in this PID namespace")
		}
		return fmt.Errorf("stat %s: %w", dir, err)
	}
	if _, err := os.Readlink(dir + "/exe"); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("no executable (a kernel thread, a zombie or an exited process)")
		}
		return fmt.Errorf("read %s/exe: %w", dir, err)
	}
	return nil
}

// initPIDNamespace is the inode of the initial PID namespace
// (PROC_PID_INIT_INO in the kernel's include/linux/proc_ns.h).
const initPIDNamespace = 0xEFFFFFFC

// hostPIDNamespace says whether the collector runs in the host's (initial)
// PID namespace. The uprobes report the kernel's view of process ids, the
// initial namespace's; a collector in a container without hostPID sees
// other ids, so the events of its targets never match.
func hostPIDNamespace(proc string) error {
	link, err := os.Readlink(proc + "/self/ns/pid")
	if err != nil {
		return fmt.Errorf("read the PID namespace: %w", err)
	}
	ino, ok := strings.CutPrefix(link, "pid:[")
	if ok {
		ino, ok = strings.CutSuffix(ino, "]")
	}
	n, perr := strconv.ParseUint(ino, 10, 64)
	if !ok || perr != nil {
		return fmt.Errorf("unexpected PID namespace link %q", link)
	}
	if n != initPIDNamespace {
		return fmt.Errorf("the collector runs in PID namespace %s, not the host's: its process ids are not the kernel's, so the probes' GC and pause events cannot be attributed (in Kubernetes set hostPID: true on the collector's pod)", link)
	}
	return nil
}

// linuxIdentify names a process: the resolver's executable, service and
// pod, plus the host, the process's start time and an instance id that
// tells it from every other process of the same executable, and from a
// later process that reuses its pid.
func linuxIdentify(res *pipeline.Resolver, host, proc string) func(uint32) (identity, bool) {
	boot := bootTime(proc)
	return func(pid uint32) (identity, bool) {
		p := res.Proc(pid)
		if p.Exe == "" {
			return identity{}, false // gone before it could be named
		}
		id := identity{proc: p, hostName: host}
		if ticks, ok := startTicks(proc, int(pid)); ok {
			id.instanceID = fmt.Sprintf("%s/%d/%d", host, pid, ticks)
			if boot > 0 {
				id.startNS = boot + int64(ticks)*int64(time.Second)/clockTicks
			}
		}
		return id, true
	}
}

// clockTicks is USER_HZ, the unit of /proc/PID/stat start times (100 on
// every Linux architecture Go supports).
const clockTicks = 100

// startTicks returns field 22 of /proc/PID/stat, the process's start time
// in clock ticks since boot.
func startTicks(proc string, pid int) (uint64, bool) {
	b, err := os.ReadFile(proc + "/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, false
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, false
	}
	f := bytes.Fields(b[i+1:]) // f[0] is field 3
	if len(f) < 20 {
		return 0, false
	}
	n, err := strconv.ParseUint(string(f[19]), 10, 64)
	return n, err == nil
}

// bootTime returns the boot time (Unix ns) from /proc/stat's btime.
func bootTime(proc string) int64 {
	b, err := os.ReadFile(proc + "/stat")
	if err != nil {
		return 0
	}
	for _, line := range bytes.Split(b, []byte("\n")) {
		if v, ok := bytes.CutPrefix(line, []byte("btime ")); ok {
			n, err := strconv.ParseInt(string(bytes.TrimSpace(v)), 10, 64)
			if err == nil {
				return n * int64(time.Second)
			}
		}
	}
	return 0
}
