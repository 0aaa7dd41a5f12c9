package pipeline

import (
	"context"
	"debug/buildinfo"
	"debug/elf"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/gopulse/gopulse/event"
	"github.com/gopulse/gopulse/probes"
)

// PodLookup finds a pod by UID; *KubeClient implements it.
type PodLookup interface {
	Pod(ctx context.Context, uid string) (PodMeta, bool)
}

// Resolver names processes: executable, service and Kubernetes placement
// (/proc/PID/cgroup → pod UID → pod labels), cached per pid and executable.
type Resolver struct {
	procRoot string
	pods     PodLookup // nil outside Kubernetes
	node     string    // the machine's name, on every process

	mu    sync.Mutex
	cache map[uint32]event.Proc
	exes  map[string]exeInfo // by /proc/PID/exe target
}

type exeInfo struct {
	goVersion string
	stripped  bool
	cgo       bool
}

// ProcRoot returns the proc file system the resolver reads.
func (r *Resolver) ProcRoot() string { return r.procRoot }

// NewResolver returns a resolver reading procRoot ("/proc" when empty);
// pods may be nil.
func NewResolver(procRoot string, pods PodLookup) *Resolver {
	if procRoot == "" {
		procRoot = "/proc"
	}
	return &Resolver{procRoot: procRoot, pods: pods, cache: map[uint32]event.Proc{}, exes: map[string]exeInfo{}}
}

// SetPods replaces the pod lookup: a reload's next agent has its own
// (its kubernetes settings may have changed), and the probes keep the
// resolver they were built with.
func (r *Resolver) SetPods(p PodLookup) {
	r.mu.Lock()
	r.pods = p
	r.mu.Unlock()
}

// Pods returns the pod lookup (nil outside Kubernetes).
func (r *Resolver) Pods() PodLookup {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.pods
}

// SetNode names the machine every process runs on (event.Proc.Node); call
// it before the first Proc.
func (r *Resolver) SetNode(node string) { r.node = node }

// NodeName is the machine's name for the `node` label: the configured
// Kubernetes node name, else $NODE_NAME (the DaemonSet sets it from
// spec.nodeName), else the host name.
func NodeName(configured string) string {
	if configured != "" {
		return configured
	}
	if n := os.Getenv("NODE_NAME"); n != "" {
		return n
	}
	h, _ := os.Hostname()
	return h
}

// Proc returns what is known of pid. A process that is in a pod whose
// labels could not be fetched yet is retried on the next call.
func (r *Resolver) Proc(pid uint32) event.Proc {
	r.mu.Lock()
	p, ok := r.cache[pid]
	r.mu.Unlock()
	if ok {
		return p
	}
	p, complete := r.resolve(pid)
	if complete {
		r.mu.Lock()
		r.cache[pid] = p
		r.mu.Unlock()
	}
	return p
}

// Forget drops a pid from the cache (the process exited).
func (r *Resolver) Forget(pid uint32) {
	r.mu.Lock()
	delete(r.cache, pid)
	r.mu.Unlock()
}

func (r *Resolver) resolve(pid uint32) (event.Proc, bool) {
	dir := filepath.Join(r.procRoot, strconv.FormatUint(uint64(pid), 10))
	p := event.Proc{PID: int(pid), Node: r.node}
	exe, err := os.Readlink(filepath.Join(dir, "exe"))
	if err != nil {
		return p, false
	}
	p.Exe = strings.TrimSuffix(exe, " (deleted)")
	p.Service = filepath.Base(p.Exe)
	x := r.exeInfo(p.Exe, filepath.Join(dir, "exe"))
	p.GoVersion, p.Stripped, p.CGO = x.goVersion, x.stripped, x.cgo
	cg, err := os.ReadFile(filepath.Join(dir, "cgroup"))
	if err != nil {
		return p, true
	}
	ref, inPod := parseCgroup(string(cg))
	if !inPod {
		return p, true
	}
	pods := r.Pods()
	if pods == nil {
		return p, true
	}
	pm, ok := pods.Pod(context.Background(), ref.PodUID)
	if !ok {
		return p, false
	}
	p.Namespace, p.Pod, p.Service = pm.Namespace, pm.Name, pm.Service
	p.Container = pm.Containers[ref.ContainerID]
	return p, true
}

// exeInfo reads the Go version and build facts of an executable once
// (through /proc/PID/exe, which works across mount namespaces).
func (r *Resolver) exeInfo(exe, procExe string) exeInfo {
	r.mu.Lock()
	x, ok := r.exes[exe]
	r.mu.Unlock()
	if ok {
		return x
	}
	if bi, err := buildinfo.ReadFile(procExe); err == nil {
		x.goVersion = bi.GoVersion
		for _, s := range bi.Settings {
			if s.Key == "CGO_ENABLED" && s.Value == "1" {
				x.cgo = true
			}
		}
	}
	if f, err := elf.Open(procExe); err == nil {
		x.stripped = f.Section(".symtab") == nil
		f.Close()
	}
	r.mu.Lock()
	if len(r.exes) > 4096 {
		clear(r.exes)
	}
	r.exes[exe] = x
	r.mu.Unlock()
	return x
}

// PodProcs returns the pids of cached processes in a pod (and container,
// when given), for attributing pod logs to processes.
func (r *Resolver) PodProcs(namespace, pod, container string, dst []uint32) []uint32 {
	r.mu.Lock()
	defer r.mu.Unlock()
	for pid, p := range r.cache {
		if p.Namespace == namespace && p.Pod == pod && (container == "" || p.Container == container) {
			dst = append(dst, pid)
		}
	}
	return dst
}

// ServiceProcs returns the pids of cached processes of a service.
func (r *Resolver) ServiceProcs(service string, dst []uint32) []uint32 {
	r.mu.Lock()
	defer r.mu.Unlock()
	for pid, p := range r.cache {
		if p.Service == service {
			dst = append(dst, pid)
		}
	}
	return dst
}

// errPodUnknown: the process is in a pod the lookup does not know (yet).
var errPodUnknown = errors.New("pod not in the kubelet's or API server's list (yet)")

// PodOf implements probes.PodLookup: the pod pid runs in (from its cgroup),
// for the probes' process selection. A process in a pod whose metadata
// cannot be fetched (yet) is an error, so that the selection waits.
func (r *Resolver) PodOf(pid int) (probes.Pod, bool, error) {
	cg, err := os.ReadFile(filepath.Join(r.procRoot, strconv.Itoa(pid), "cgroup"))
	if err != nil {
		return probes.Pod{}, false, nil // gone: nothing to select
	}
	ref, inPod := parseCgroup(string(cg))
	pods := r.Pods()
	if !inPod || pods == nil {
		return probes.Pod{}, false, nil
	}
	pm, ok := pods.Pod(context.Background(), ref.PodUID)
	if !ok {
		return probes.Pod{}, true, fmt.Errorf("pod %s: %w", ref.PodUID, errPodUnknown)
	}
	return probes.Pod{Namespace: pm.Namespace, Name: pm.Name, Labels: pm.Labels, Annotations: pm.Annotations}, true, nil
}
