//go:build linux

package gopulsereceiver

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/receiver/receivertest"

	"github.com/gopulse/gopulse/event"
	"github.com/gopulse/gopulse/internal/pipeline"
	"github.com/gopulse/gopulse/receiver/gopulsereceiver/internal/metadata"
)

type podsByUID map[string]pipeline.PodMeta

func (p podsByUID) Pod(_ context.Context, uid string) (pipeline.PodMeta, bool) {
	m, ok := p[uid]
	return m, ok
}

// The resource of a process in a pod comes from the agent's resolver
// (/proc/PID/cgroup → pod UID → pod metadata): k8s.* where known, the
// service from the pod, service.instance.id and the start time from
// /proc/PID/stat, host.name the node.
func TestKubernetesResourceFromResolver(t *testing.T) {
	const (
		uid = "0b7c2a8e-1f2d-4c3b-9a8e-7d6c5b4a3f21"
		cid = "3f1b0c5d9e8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c"
	)
	proc := t.TempDir()
	d := filepath.Join(proc, "4242")
	os.MkdirAll(d, 0o755)
	os.Symlink("/app/cart", filepath.Join(d, "exe"))
	os.WriteFile(filepath.Join(d, "cgroup"), []byte("0::/kubepods.slice/kubepods-pod0b7c2a8e_1f2d_4c3b_9a8e_7d6c5b4a3f21.slice/cri-containerd-"+cid+".scope\n"), 0o644)
	// comm with a space and a parenthesis; field 22 (start time) is 12345 ticks.
	os.WriteFile(filepath.Join(d, "stat"), []byte("4242 (cart (x)) S 1 4242 4242 0 -1 4194560 100 0 0 0 5 3 0 0 20 0 8 0 12345 0 0\n"), 0o644)
	os.WriteFile(filepath.Join(proc, "stat"), []byte("cpu  1 2 3\nbtime 1764806400\n"), 0o644)
	res := pipeline.NewResolver(proc, podsByUID{uid: {UID: uid, Namespace: "shop", Name: "cart-7d9", Service: "cart",
		Containers: map[string]string{cid: "app"}}})
	res.SetNode("node-1")

	src := &fakeSource{good: map[int][]event.Runtime{4242: {{Kind: event.KindGCEnd, PID: 4242, TS: 1, Cycle: 9, DurationNS: 1000}}}}
	e := fakeEnv(src)
	e.identify = linuxIdentify(res, "node-1", proc)
	cfg := testConfig()
	cfg.PIDs = []int{4242}
	sink := new(consumertest.MetricsSink)
	r := start(t, receivertest.NewNopSettings(metadata.Type), cfg, sink, e, componenttest.NewNopHost())
	<-src.ready
	waitFor(t, "named", func() bool { return r.agg.Known(4242) })
	src.emit(event.Runtime{Kind: event.KindGCEnd, PID: 4242, TS: 2, Cycle: 10, DurationNS: 1000})
	var attrs map[string]any
	waitFor(t, "a batch of the named process", func() bool {
		all := sink.AllMetrics()
		for i := len(all) - 1; i >= 0; i-- {
			if rm, ok := resourceOf(all[i], 4242); ok {
				attrs = rm.Resource().Attributes().AsRaw()
				return attrs["k8s.pod.name"] != nil
			}
		}
		return false
	})
	for k, want := range map[string]any{"k8s.namespace.name": "shop", "k8s.pod.name": "cart-7d9", "k8s.container.name": "app",
		"service.name": "cart", "process.executable.name": "cart", "process.executable.path": "/app/cart",
		"host.name": "node-1", "k8s.node.name": "node-1", "service.instance.id": "node-1/4242/12345", "process.pid": int64(4242)} {
		if attrs[k] != want {
			t.Errorf("%s = %v, want %v (resource %v)", k, attrs[k], want, attrs)
		}
	}
	id, ok := linuxIdentify(res, "node-1", proc)(4242)
	if wantStart := int64(1764806400)*int64(time.Second) + 12345*int64(time.Second)/clockTicks; !ok || id.startNS != wantStart {
		t.Errorf("start %d, want btime + 12345 ticks = %d", id.startNS, wantStart)
	}
	if _, ok := linuxIdentify(res, "node-1", proc)(4243); ok {
		t.Error("a process without /proc entry was named")
	}
}
