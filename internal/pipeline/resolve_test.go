package pipeline

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

const cid = "3f1b0c5d9e8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c"

func TestParseCgroup(t *testing.T) {
	for name, c := range map[string]struct {
		in       string
		uid, cid string
	}{
		"v2 systemd containerd": {
			"0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod0b7c2a8e_1f2d_4c3b_9a8e_7d6c5b4a3f21.slice/cri-containerd-" + cid + ".scope\n",
			"0b7c2a8e-1f2d-4c3b-9a8e-7d6c5b4a3f21", cid},
		"v1 cgroupfs docker": {
			"12:memory:/kubepods/besteffort/pod0b7c2a8e-1f2d-4c3b-9a8e-7d6c5b4a3f21/" + cid + "\n11:cpu:/kubepods/besteffort/pod0b7c2a8e-1f2d-4c3b-9a8e-7d6c5b4a3f21/" + cid + "\n",
			"0b7c2a8e-1f2d-4c3b-9a8e-7d6c5b4a3f21", cid},
		"crio": {
			"0::/kubepods.slice/kubepods-pod0b7c2a8e_1f2d_4c3b_9a8e_7d6c5b4a3f21.slice/crio-" + cid + ".scope",
			"0b7c2a8e-1f2d-4c3b-9a8e-7d6c5b4a3f21", cid},
	} {
		ref, ok := parseCgroup(c.in)
		if !ok || ref.PodUID != c.uid || ref.ContainerID != c.cid {
			t.Errorf("%s: %+v %v", name, ref, ok)
		}
	}
	if _, ok := parseCgroup("0::/user.slice/user-1000.slice/session-2.scope\n"); ok {
		t.Error("host process taken for a pod")
	}
}

func TestParsePodLogPath(t *testing.T) {
	ref, ok := ParsePodLogPath("/var/log/pods/shop_cart-7d9f8-x2k4q_0b7c2a8e-1f2d-4c3b-9a8e-7d6c5b4a3f21/cart/0.log")
	if !ok || ref != (PodLogRef{"shop", "cart-7d9f8-x2k4q", "0b7c2a8e-1f2d-4c3b-9a8e-7d6c5b4a3f21", "cart"}) {
		t.Fatalf("%+v %v", ref, ok)
	}
	for _, p := range []string{"/var/log/syslog", "/var/log/pods/bad/c/0.log", "/var/log/pods/a_b_c/0.log"} {
		if _, ok := ParsePodLogPath(p); ok {
			t.Errorf("%s accepted", p)
		}
	}
}

func TestServiceName(t *testing.T) {
	cases := []struct {
		name, gen string
		labels    map[string]string
		ok, on    string
		want      string
	}{
		{"api-5d8f-abc", "api-5d8f-", map[string]string{"app.kubernetes.io/name": "checkout", "app": "x"}, "", "", "checkout"},
		{"api-5d8f-abc", "api-5d8f-", map[string]string{"pod-template-hash": "5d8f"}, "ReplicaSet", "api-5d8f", "api"},
		{"db-0", "db-", nil, "StatefulSet", "db", "db"},
		{"solo", "", nil, "", "", "solo"},
	}
	for _, c := range cases {
		if got := serviceName(c.name, c.gen, c.labels, c.ok, c.on); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}

const podListJSON = `{"kind":"PodList","items":[{"metadata":{"uid":"0b7c2a8e-1f2d-4c3b-9a8e-7d6c5b4a3f21","name":"cart-7d9f8-x2k4q","namespace":"shop",
"generateName":"cart-7d9f8-","labels":{"pod-template-hash":"7d9f8"},"ownerReferences":[{"kind":"ReplicaSet","name":"cart-7d9f8"}]},
"status":{"containerStatuses":[{"name":"cart","containerID":"containerd://` + cid + `"}]}}]}`

type fakePods map[string]PodMeta

func (f fakePods) Pod(_ context.Context, uid string) (PodMeta, bool) { p, ok := f[uid]; return p, ok }

func TestKubeletClient(t *testing.T) {
	var hits atomic.Int32
	var fail atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if r.URL.Path != "/pods" || fail.Load() {
			http.Error(w, "no", http.StatusInternalServerError)
			return
		}
		w.Write([]byte(podListJSON))
	}))
	defer srv.Close()
	k, err := NewKubeClient(KubeOptions{KubeletURL: srv.URL, Refresh: time.Hour}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	pm, ok := k.Pod(context.Background(), "0b7c2a8e-1f2d-4c3b-9a8e-7d6c5b4a3f21")
	if !ok || pm.Service != "cart" || pm.Namespace != "shop" || pm.Containers[cid] != "cart" {
		t.Fatalf("%+v %v", pm, ok)
	}
	k.Pod(context.Background(), "0b7c2a8e-1f2d-4c3b-9a8e-7d6c5b4a3f21")
	k.Pod(context.Background(), "unknown") // refreshed a moment ago: no new request
	if hits.Load() != 1 {
		t.Fatalf("%d requests", hits.Load())
	}
}

func TestNoKubernetes(t *testing.T) {
	t.Setenv("KUBERNETES_SERVICE_HOST", "")
	if _, err := NewKubeClient(KubeOptions{}, slog.New(slog.DiscardHandler)); err != ErrNoKubernetes {
		t.Fatalf("err = %v", err)
	}
}

func TestResolver(t *testing.T) {
	root := t.TempDir()
	mk := func(pid, exe, cgroup string) {
		d := filepath.Join(root, pid)
		os.MkdirAll(d, 0o755)
		os.Symlink(exe, filepath.Join(d, "exe"))
		os.WriteFile(filepath.Join(d, "cgroup"), []byte(cgroup), 0o644)
	}
	mk("10", "/usr/local/bin/billing (deleted)", "0::/system.slice/billing.service\n")
	mk("11", "/app/cart", "0::/kubepods.slice/kubepods-pod0b7c2a8e_1f2d_4c3b_9a8e_7d6c5b4a3f21.slice/cri-containerd-"+cid+".scope\n")
	r := NewResolver(root, fakePods{"0b7c2a8e-1f2d-4c3b-9a8e-7d6c5b4a3f21": {Namespace: "shop", Name: "cart-x", Service: "cart",
		Containers: map[string]string{cid: "cart"}}})
	if p := r.Proc(10); p.Exe != "/usr/local/bin/billing" || p.Service != "billing" || p.Pod != "" {
		t.Fatalf("%+v", p)
	}
	if p := r.Proc(11); p.Service != "cart" || p.Namespace != "shop" || p.Pod != "cart-x" || p.Container != "cart" {
		t.Fatalf("%+v", p)
	}
	if got := r.PodProcs("shop", "cart-x", "cart", nil); len(got) != 1 || got[0] != 11 {
		t.Fatalf("pod procs %v", got)
	}
	if got := r.ServiceProcs("billing", nil); len(got) != 1 || got[0] != 10 {
		t.Fatalf("service procs %v", got)
	}
	if p := r.Proc(12); p.Exe != "" || p.PID != 12 {
		t.Fatalf("%+v", p)
	}
	// our own process, for real
	if p := NewResolver("", nil).Proc(uint32(os.Getpid())); p.Exe == "" || p.Service != filepath.Base(p.Exe) || p.GoVersion != runtime.Version() {
		t.Fatalf("self: %+v", p)
	}
}

func TestAPIServerClient(t *testing.T) {
	var gotAuth, gotSel string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotAuth, gotSel = r.Header.Get("Authorization"), r.URL.Query().Get("fieldSelector")
		if r.URL.Path != "/api/v1/pods" {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte(podListJSON))
	}))
	defer srv.Close()
	sa := t.TempDir()
	os.WriteFile(filepath.Join(sa, "token"), []byte("tok3n\n"), 0o600)
	k, err := NewKubeClient(KubeOptions{APIServer: srv.URL, NodeName: "node-1", ServiceAccountDir: sa}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	pm, ok := k.Pod(context.Background(), "0b7c2a8e-1f2d-4c3b-9a8e-7d6c5b4a3f21")
	if !ok || pm.Service != "cart" {
		t.Fatalf("%+v %v", pm, ok)
	}
	if gotAuth != "Bearer tok3n" || gotSel != "spec.nodeName=node-1" {
		t.Fatalf("auth %q selector %q", gotAuth, gotSel)
	}
	// in-cluster discovery from the environment
	t.Setenv("KUBERNETES_SERVICE_HOST", "10.0.0.1")
	t.Setenv("KUBERNETES_SERVICE_PORT", "443")
	k, err = NewKubeClient(KubeOptions{ServiceAccountDir: sa}, slog.New(slog.DiscardHandler))
	if err != nil || !strings.HasPrefix(k.url, "https://10.0.0.1:443/api/v1/pods") {
		t.Fatalf("%v %+v", err, k)
	}
}

// A failing API is logged once and the lookup falls back quietly.
func TestKubeClientFailing(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "forbidden", http.StatusForbidden)
	}))
	defer srv.Close()
	var logs strings.Builder
	k, _ := NewKubeClient(KubeOptions{KubeletURL: srv.URL, Refresh: time.Nanosecond}, slog.New(slog.NewTextHandler(&logs, nil)))
	for range 3 {
		if _, ok := k.Pod(context.Background(), "x"); ok {
			t.Fatal("found a pod")
		}
		time.Sleep(2 * time.Millisecond)
	}
	if n := strings.Count(logs.String(), "kubernetes pod lookup failed"); n != 1 {
		t.Fatalf("%d warnings:\n%s", n, logs.String())
	}
}

// PodOf answers the probes' selection from the cgroup and the kubelet's pod
// list, labels and annotations included; a pod the list lacks is an error
// (the selection waits), a process outside pods is not in one.
func TestResolverPodOf(t *testing.T) {
	const list = `{"items":[{"metadata":{"uid":"0b7c2a8e-1f2d-4c3b-9a8e-7d6c5b4a3f21","name":"cart-1","namespace":"shop",
"labels":{"app":"cart"},"annotations":{"gopulse.io/exclude":"true"}}}]}`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(list)) }))
	defer srv.Close()
	k, err := NewKubeClient(KubeOptions{KubeletURL: srv.URL, Refresh: time.Hour}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	mk := func(pid, cgroup string) {
		os.MkdirAll(filepath.Join(root, pid), 0o755)
		os.WriteFile(filepath.Join(root, pid, "cgroup"), []byte(cgroup), 0o644)
	}
	mk("10", "0::/system.slice/billing.service\n")
	mk("11", "0::/kubepods.slice/kubepods-pod0b7c2a8e_1f2d_4c3b_9a8e_7d6c5b4a3f21.slice/cri-containerd-"+cid+".scope\n")
	mk("12", "0::/kubepods.slice/kubepods-pod11111111_2222_3333_4444_555555555555.slice/x.scope\n")
	r := NewResolver(root, k)
	if _, in, err := r.PodOf(10); in || err != nil {
		t.Errorf("host process: in pod %v, %v", in, err)
	}
	pod, in, err := r.PodOf(11)
	if !in || err != nil || pod.Namespace != "shop" || pod.Name != "cart-1" || pod.Labels["app"] != "cart" ||
		pod.Annotations["gopulse.io/exclude"] != "true" {
		t.Errorf("pod process: %+v %v %v", pod, in, err)
	}
	if _, in, err := r.PodOf(12); !in || err == nil {
		t.Errorf("unknown pod: in %v, err %v; want an error", in, err)
	}
	if _, in, err := r.PodOf(13); in || err != nil {
		t.Errorf("gone process: %v %v", in, err)
	}
}
