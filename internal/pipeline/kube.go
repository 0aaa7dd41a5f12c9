package pipeline

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path"
	"regexp"
	"strings"
	"sync"
	"time"
)

// ErrNoKubernetes says that neither the kubelet nor the API server is
// reachable or configured.
var ErrNoKubernetes = errors.New("no kubernetes api")

// PodMeta is what the agent needs from a pod.
type PodMeta struct {
	UID        string
	Namespace  string
	Name       string
	Service    string            // from the labels, else the owner's name
	Containers map[string]string // container id (no runtime prefix) → name
	// Labels and Annotations select the pod's processes for the probes
	// (probes.discovery in the config).
	Labels, Annotations map[string]string
}

// cgroupRef is what /proc/PID/cgroup says about a process's pod.
type cgroupRef struct {
	PodUID      string
	ContainerID string
}

var (
	// kubepods-burstable-pod0b7c…_2f.slice or /kubepods/burstable/pod0b7c…/
	podUIDRe = regexp.MustCompile(`pod([0-9a-fA-F]{8}[-_][0-9a-fA-F]{4}[-_][0-9a-fA-F]{4}[-_][0-9a-fA-F]{4}[-_][0-9a-fA-F]{12})`)
	// cri-containerd-<64 hex>.scope, docker-<64 hex>.scope, crio-<hex>, or a bare id segment
	containerIDRe = regexp.MustCompile(`(?:^|[/-])([0-9a-f]{64})(?:\.scope)?$`)
)

// parseCgroup finds the pod UID and container id in the contents of
// /proc/PID/cgroup (v1 or v2, systemd or cgroupfs driver).
func parseCgroup(data string) (cgroupRef, bool) {
	var ref cgroupRef
	for _, line := range strings.Split(data, "\n") {
		// hierarchy-ID:controllers:path
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			continue
		}
		p := parts[2]
		if m := podUIDRe.FindStringSubmatch(p); m != nil && ref.PodUID == "" {
			ref.PodUID = strings.ReplaceAll(m[1], "_", "-")
		}
		if m := containerIDRe.FindStringSubmatch(p); m != nil && ref.ContainerID == "" {
			ref.ContainerID = m[1]
		}
	}
	return ref, ref.PodUID != ""
}

// PodLogRef is the placement encoded in a /var/log/pods path.
type PodLogRef struct {
	Namespace, Pod, UID, Container string
}

// ParsePodLogPath parses /var/log/pods/<namespace>_<pod>_<uid>/<container>/<n>.log.
func ParsePodLogPath(p string) (PodLogRef, bool) {
	const root = "/var/log/pods/"
	i := strings.Index(p, root)
	if i < 0 {
		return PodLogRef{}, false
	}
	segs := strings.Split(p[i+len(root):], "/")
	if len(segs) < 3 {
		return PodLogRef{}, false
	}
	f := strings.Split(segs[0], "_")
	if len(f) != 3 || f[0] == "" || f[1] == "" || f[2] == "" {
		return PodLogRef{}, false
	}
	return PodLogRef{Namespace: f[0], Pod: f[1], UID: f[2], Container: segs[1]}, true
}

// podList is the part of a v1.PodList the agent reads; the kubelet's
// /pods and the API server's /api/v1/pods return the same shape.
type podList struct {
	Items []struct {
		Metadata struct {
			UID          string            `json:"uid"`
			Name         string            `json:"name"`
			Namespace    string            `json:"namespace"`
			GenerateName string            `json:"generateName"`
			Labels       map[string]string `json:"labels"`
			Annotations  map[string]string `json:"annotations"`
			Owners       []struct {
				Kind string `json:"kind"`
				Name string `json:"name"`
			} `json:"ownerReferences"`
		} `json:"metadata"`
		Status struct {
			ContainerStatuses []struct {
				Name        string `json:"name"`
				ContainerID string `json:"containerID"` // containerd://<id>
			} `json:"containerStatuses"`
			InitContainerStatuses []struct {
				Name        string `json:"name"`
				ContainerID string `json:"containerID"`
			} `json:"initContainerStatuses"`
		} `json:"status"`
	} `json:"items"`
}

// serviceName picks service.name for a pod: the well-known labels first,
// then the owning workload's name.
func serviceName(name, generateName string, labels map[string]string, ownerKind, ownerName string) string {
	for _, k := range []string{"app.kubernetes.io/name", "app", "k8s-app", "name", "component"} {
		if v := labels[k]; v != "" {
			return v
		}
	}
	switch ownerKind {
	case "ReplicaSet":
		if h := labels["pod-template-hash"]; h != "" && strings.HasSuffix(ownerName, "-"+h) {
			return strings.TrimSuffix(ownerName, "-"+h) // the Deployment
		}
		return ownerName
	case "StatefulSet", "DaemonSet", "Job", "CronJob":
		return ownerName
	}
	if g := strings.TrimSuffix(generateName, "-"); g != "" {
		return g
	}
	return name
}

func decodePods(r io.Reader) (map[string]PodMeta, error) {
	var pl podList
	if err := json.NewDecoder(io.LimitReader(r, 64<<20)).Decode(&pl); err != nil {
		return nil, fmt.Errorf("decode pod list: %w", err)
	}
	out := make(map[string]PodMeta, len(pl.Items))
	for _, it := range pl.Items {
		m := it.Metadata
		var ok, on string
		if len(m.Owners) > 0 {
			ok, on = m.Owners[0].Kind, m.Owners[0].Name
		}
		pm := PodMeta{UID: m.UID, Namespace: m.Namespace, Name: m.Name,
			Service: serviceName(m.Name, m.GenerateName, m.Labels, ok, on), Containers: map[string]string{},
			Labels: m.Labels, Annotations: m.Annotations}
		for _, c := range it.Status.ContainerStatuses {
			if _, id, found := strings.Cut(c.ContainerID, "://"); found {
				pm.Containers[id] = c.Name
			}
		}
		for _, c := range it.Status.InitContainerStatuses {
			if _, id, found := strings.Cut(c.ContainerID, "://"); found {
				pm.Containers[id] = c.Name
			}
		}
		out[m.UID] = pm
	}
	return out, nil
}

// KubeClient looks pods up by UID through the kubelet's read-only API or the
// API server, caching the node's pod list.
type KubeClient struct {
	url     string // full URL of the pod list
	token   string
	client  *http.Client
	refresh time.Duration
	log     *slog.Logger

	mu      sync.Mutex
	pods    map[string]PodMeta
	fetched time.Time
	failing bool
}

// KubeOptions configures NewKubeClient.
type KubeOptions struct {
	KubeletURL string // e.g. http://127.0.0.1:10255 (read-only port)
	APIServer  string // e.g. https://10.0.0.1:443; empty uses the in-cluster environment
	NodeName   string // filters the API server's list; default $NODE_NAME
	Refresh    time.Duration
	// ServiceAccountDir holds token and ca.crt (default
	// /var/run/secrets/kubernetes.io/serviceaccount).
	ServiceAccountDir string
}

// NewKubeClient returns a client, or ErrNoKubernetes when no API is
// configured or discoverable (not in a cluster).
func NewKubeClient(o KubeOptions, log *slog.Logger) (*KubeClient, error) {
	if o.Refresh <= 0 {
		o.Refresh = 30 * time.Second
	}
	k := &KubeClient{refresh: o.Refresh, log: log, client: &http.Client{Timeout: 5 * time.Second}}
	if o.KubeletURL != "" {
		k.url = strings.TrimSuffix(o.KubeletURL, "/") + "/pods"
		return k, nil
	}
	sa := o.ServiceAccountDir
	if sa == "" {
		sa = "/var/run/secrets/kubernetes.io/serviceaccount"
	}
	api := o.APIServer
	if api == "" {
		host, port := os.Getenv("KUBERNETES_SERVICE_HOST"), os.Getenv("KUBERNETES_SERVICE_PORT")
		if host == "" || port == "" {
			return nil, ErrNoKubernetes
		}
		api = "https://" + net.JoinHostPort(host, port)
	}
	if tok, err := os.ReadFile(path.Join(sa, "token")); err == nil {
		k.token = strings.TrimSpace(string(tok))
	}
	if ca, err := os.ReadFile(path.Join(sa, "ca.crt")); err == nil {
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(ca)
		k.client.Transport = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}
	}
	node := o.NodeName
	if node == "" {
		node = os.Getenv("NODE_NAME")
	}
	u := strings.TrimSuffix(api, "/") + "/api/v1/pods"
	if node != "" {
		u += "?fieldSelector=" + url.QueryEscape("spec.nodeName="+node)
	}
	k.url = u
	return k, nil
}

// Pod returns the pod with uid, refreshing the cached list when it is stale
// or the pod is unknown (at most once per refresh period when failing).
func (k *KubeClient) Pod(ctx context.Context, uid string) (PodMeta, bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	pm, ok := k.pods[uid]
	stale := time.Since(k.fetched) > k.refresh
	if ok && !stale {
		return pm, true
	}
	if !stale && k.fetched.Add(time.Second).After(time.Now()) {
		return pm, ok // refreshed a moment ago
	}
	pods, err := k.fetch(ctx)
	k.fetched = time.Now()
	if err != nil {
		if !k.failing {
			k.log.Warn("kubernetes pod lookup failed; services fall back to executable names", "url", k.url, "err", err)
		}
		k.failing = true
		return pm, ok
	}
	if k.failing {
		k.log.Info("kubernetes pod lookup works again", "url", k.url)
	}
	k.failing, k.pods = false, pods
	pm, ok = k.pods[uid]
	return pm, ok
}

func (k *KubeClient) fetch(ctx context.Context) (map[string]PodMeta, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, k.url, nil)
	if err != nil {
		return nil, fmt.Errorf("build pod list request: %w", err)
	}
	if k.token != "" {
		req.Header.Set("Authorization", "Bearer "+k.token)
	}
	resp, err := k.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("list pods: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("list pods: status %d", resp.StatusCode)
	}
	return decodePods(resp.Body)
}
