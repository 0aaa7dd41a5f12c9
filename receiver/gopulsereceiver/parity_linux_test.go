//go:build linux

package gopulsereceiver

import (
	"context"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/receiver/receivertest"

	"github.com/gopulse/gopulse/receiver/gopulsereceiver/internal/metadata"
)

// promSeries is one sample of the agent's /metrics: name{labels} value.
type promSeries struct {
	name   string
	labels map[string]string
	value  float64
}

func scrape(addr string) ([]promSeries, error) {
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	var out []promSeries
	for _, l := range strings.Split(string(b), "\n") {
		if l == "" || l[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(l, ' ')
		if i < 0 {
			continue
		}
		head, val := l[:i], l[i+1:]
		v, err := strconv.ParseFloat(val, 64)
		if err != nil {
			continue
		}
		s := promSeries{labels: map[string]string{}, value: v}
		name, rest, hasLabels := strings.Cut(head, "{")
		s.name = name
		if hasLabels {
			for _, kv := range splitLabels(strings.TrimSuffix(rest, "}")) {
				k, v, _ := strings.Cut(kv, "=")
				s.labels[k] = strings.Trim(v, `"`)
			}
		}
		out = append(out, s)
	}
	return out, nil
}

// splitLabels splits a="x",b="y" on the commas outside quotes.
func splitLabels(s string) []string {
	var out []string
	quoted, start := false, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '"':
			if i == 0 || s[i-1] != '\\' {
				quoted = !quoted
			}
		case ',':
			if !quoted {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	return append(out, s[start:])
}

func find(series []promSeries, name string, labels map[string]string) (float64, bool) {
	for _, s := range series {
		if s.name != name {
			continue
		}
		ok := true
		for k, v := range labels {
			if s.labels[k] != v {
				ok = false
			}
		}
		if ok {
			return s.value, true
		}
	}
	return 0, false
}

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// TestAgentReceiverParity runs the real gopulse agent (its Prometheus
// exporter) and this receiver on one real Go program, both attached before
// the program starts its work: at the end, with the program idle, both
// report the same GC count (the program's own), the same stop-the-world
// pauses by reason (counts, sums and buckets), the same GC cycle durations,
// the same scheduling-latency histogram and the same goroutines, under the
// same identity (service, executable and pod metadata).
func TestAgentReceiverParity(t *testing.T) {
	requireProbes(t)
	tg := startTargetArgs(t, nil, []string{"-wait"})
	pid := tg.cmd.Process.Pid
	pidS := strconv.Itoa(pid)

	// The agent, from this repository.
	dir := t.TempDir()
	agentBin := filepath.Join(dir, "gopulse")
	build := exec.Command("go", "build", "-o", agentBin, "./cmd/gopulse")
	build.Dir = "../.."
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build the agent: %v\n%s", err, out)
	}
	listen := freePort(t)
	cfgFile := filepath.Join(dir, "agent.yaml")
	os.WriteFile(cfgFile, []byte(fmt.Sprintf(`listen: %s
state_dir: %s
probes:
  mode: default
  sample_interval: 1s
  min_age: 0s
logs:
  paths: []
kubernetes:
  enabled: false
`, listen, filepath.Join(dir, "state"))), 0o644)
	var agentOut lockedWriter
	agent := exec.Command(agentBin, "agent", "--config", cfgFile, "--listen", listen)
	agent.Stdout, agent.Stderr = &agentOut, &agentOut
	if err := agent.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		agent.Process.Signal(os.Interrupt)
		agent.Wait()
		if t.Failed() {
			t.Logf("agent output:\n%s", agentOut.String())
		}
	})

	// The receiver, in this process.
	f := NewFactory()
	cfg := f.CreateDefaultConfig().(*Config)
	cfg.DiscoverAll = false
	cfg.PIDs = []int{pid}
	cfg.CollectionInterval = 200 * time.Millisecond
	cfg.Kubernetes.Enabled = false
	sink := new(consumertest.MetricsSink)
	r, err := f.CreateMetrics(context.Background(), receivertest.NewNopSettings(metadata.Type), cfg, sink)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Start(context.Background(), newStatusHost()); err != nil {
		t.Fatal(err)
	}
	defer r.Shutdown(context.Background())

	// Both attached (each has sampled the idle program) before it works.
	waitFor2 := func(what string, limit time.Duration, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(limit)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out after %s waiting for %s", limit, what)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	waitFor2("the agent's series of the target", 90*time.Second, func() bool {
		s, err := scrape(listen)
		if err != nil {
			return false
		}
		_, ok := find(s, "gopulse_go_goroutines", map[string]string{"pid": pidS})
		return ok
	})
	waitFor2("the receiver's metrics of the target", 60*time.Second, func() bool {
		rm, ok := lastResource(sink, pid)
		if !ok {
			return false
		}
		_, ok = metricsOf(rm)[metadata.MetricGoGoroutineCount]
		return ok
	})

	tg.start()
	time.Sleep(3 * time.Second)
	want := tg.stop(t) // idle from here on
	var agentS []promSeries
	var ms map[string]pmetric.Metric
	waitFor2("both to count the target's cycles", 30*time.Second, func() bool {
		agentS, err = scrape(listen)
		if err != nil {
			return false
		}
		a, _ := find(agentS, "gopulse_go_gc_cycles_total", map[string]string{"pid": pidS})
		rm, ok := lastResource(sink, pid)
		if !ok {
			return false
		}
		ms = metricsOf(rm)
		return uint64(a) == want && ms[metadata.MetricGoMemoryGcCycles].Sum().DataPoints().At(0).IntValue() == int64(want)
	})
	time.Sleep(2500 * time.Millisecond) // a sample of the idle program on both sides
	agentS, err = scrape(listen)
	if err != nil {
		t.Fatal(err)
	}
	rm, _ := lastResource(sink, pid)
	ms = metricsOf(rm)

	// GC pauses by reason.
	pauses := ms[metadata.MetricGopulseGoStwPauseDuration].Histogram().DataPoints()
	if pauses.Len() == 0 {
		t.Fatal("no pauses from the receiver")
	}
	for i := 0; i < pauses.Len(); i++ {
		dp := pauses.At(i)
		reason, _ := dp.Attributes().Get("gopulse.stw.reason")
		labels := map[string]string{"pid": pidS, "reason": reason.Str()}
		compareHist(t, "pauses "+reason.Str(), agentS, "gopulse_go_stw_pause_seconds", labels, dp)
	}
	compareHist(t, "gc durations", agentS, "gopulse_go_gc_cycle_duration_seconds", map[string]string{"pid": pidS},
		ms[metadata.MetricGopulseGoGcDuration].Histogram().DataPoints().At(0))
	compareHist(t, "scheduling latency", agentS, "gopulse_go_sched_latency_seconds", map[string]string{"pid": pidS},
		ms[metadata.MetricGoScheduleDuration].Histogram().DataPoints().At(0))
	ag, _ := find(agentS, "gopulse_go_goroutines", map[string]string{"pid": pidS})
	if rg := ms[metadata.MetricGoGoroutineCount].Sum().DataPoints().At(0).IntValue(); float64(rg) != ag {
		t.Errorf("goroutines: agent %v, receiver %d", ag, rg)
	}
	// The same identity: the agent's process labels are the receiver's
	// resource attributes (one process metadata for both).
	var agentLabels map[string]string
	for _, s := range agentS {
		if s.name == "gopulse_go_goroutines" && s.labels["pid"] == pidS {
			agentLabels = s.labels
		}
	}
	res := rm.Resource().Attributes()
	for label, attr := range map[string]string{"service": "service.name", "exe": "process.executable.path",
		"namespace": "k8s.namespace.name", "pod": "k8s.pod.name", "container": "k8s.container.name"} {
		v, _ := res.Get(attr)
		if agentLabels[label] != v.Str() {
			t.Errorf("identity: agent %s=%q, receiver %s=%q", label, agentLabels[label], attr, v.Str())
		}
	}
	if agentLabels["service"] == "" {
		t.Errorf("identity: the agent names no service: %v", agentLabels)
	}
	t.Logf("agent and receiver agree on pid %d (service %q): %d GC cycles (the program's own count), %d pause reasons",
		pid, agentLabels["service"], want, pauses.Len())
}

// compareHist compares the agent's Prometheus histogram with the
// receiver's OTel data point: count, sum and every bucket.
func compareHist(t *testing.T, what string, series []promSeries, name string, labels map[string]string, dp pmetric.HistogramDataPoint) {
	t.Helper()
	count, ok := find(series, name+"_count", labels)
	if !ok {
		t.Errorf("%s: the agent has no %s_count%v", what, name, labels)
		return
	}
	sum, _ := find(series, name+"_sum", labels)
	if uint64(count) != dp.Count() || math.Abs(sum-dp.Sum()) > 1e-9*math.Max(1, math.Abs(sum)) {
		t.Errorf("%s: agent count %v sum %v, receiver count %d sum %v", what, count, sum, dp.Count(), dp.Sum())
	}
	agentBuckets := map[float64]float64{}
	for _, s := range series {
		if s.name != name+"_bucket" {
			continue
		}
		match := true
		for k, v := range labels {
			if s.labels[k] != v {
				match = false
			}
		}
		if !match {
			continue
		}
		le, err := strconv.ParseFloat(s.labels["le"], 64)
		if err == nil {
			agentBuckets[le] = s.value
		}
	}
	var cum uint64
	var les []float64
	for k := 0; k < dp.ExplicitBounds().Len(); k++ {
		cum += dp.BucketCounts().At(k)
		le := dp.ExplicitBounds().At(k)
		les = append(les, le)
		if a, ok := agentBuckets[le]; !ok || uint64(a) != cum {
			t.Errorf("%s: le=%g agent %v (present %v), receiver %d", what, le, a, ok, cum)
		}
	}
	if len(agentBuckets) != len(les)+1 {
		sort.Float64s(les)
		t.Errorf("%s: the agent has %d buckets, the receiver %d bounds %v", what, len(agentBuckets), len(les), les)
	}
}

// lockedWriter collects a process's output.
type lockedWriter struct {
	mu  sync.Mutex
	buf []byte
}

func (w *lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	return len(p), nil
}

func (w *lockedWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return string(w.buf)
}
