package prom

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"runtime/metrics"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gopulse/gopulse/event"
	"github.com/gopulse/gopulse/internal/exporters/delivery"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/prompb"
)

// realSchedHistogram reads this test process's own scheduling-latency
// histogram: the runtime's real bucket layout.
// realSchedHistogram is this test binary's own /sched/latencies:seconds
// histogram (the real runtime bucket layout), read once: the live histogram
// keeps moving, and tests that compare two aggregations fed the "same"
// events need the same sample in both.
func realSchedHistogram(t testing.TB) *event.SchedHistogram {
	t.Helper()
	schedOnce.Do(func() {
		s := []metrics.Sample{{Name: "/sched/latencies:seconds"}}
		metrics.Read(s)
		if s[0].Value.Kind() != metrics.KindFloat64Histogram {
			return
		}
		h := s[0].Value.Float64Histogram()
		testSched = &event.SchedHistogram{Counts: h.Counts, Buckets: h.Buckets}
	})
	if testSched == nil {
		t.Fatal("no /sched/latencies:seconds")
	}
	return testSched
}

var (
	schedOnce sync.Once
	testSched *event.SchedHistogram
)

// populate feeds a realistic event mix for n processes.
func populate(t testing.TB, r *Runtime, n int) {
	sched := realSchedHistogram(t)
	for p := 0; p < n; p++ {
		pid := uint32(1000 + p)
		proc := event.Proc{PID: int(pid), Exe: fmt.Sprintf("/usr/bin/svc%d", p), Service: fmt.Sprintf("svc%d", p), GoVersion: "go1.26.8", Stripped: p%2 == 1}
		if p%3 == 0 {
			proc.Namespace, proc.Pod, proc.Container = "prod", fmt.Sprintf("svc-%d-abc", p), "app"
		}
		r.UpsertProc(&proc)
		ev := event.Runtime{PID: pid}
		for i := 0; i < 50; i++ {
			ev.Kind, ev.DurationNS = event.KindGCEnd, int64(200_000+i*37_000)
			r.HandleRuntime(&ev)
			ev.Kind, ev.Reason, ev.DurationNS = event.KindSTW, event.STWGCSweepTermination, int64(8_000+i*300)
			r.HandleRuntime(&ev)
			ev.Reason, ev.DurationNS = event.STWGCMarkTermination, int64(30_000+i*900)
			r.HandleRuntime(&ev)
		}
		ev.Kind, ev.Reason, ev.DurationNS = event.KindSTW, event.STWReadMemStats, 90_000
		r.HandleRuntime(&ev)
		ev = event.Runtime{Kind: event.KindSample, PID: pid, Goroutines: int64(40 + p), Sched: sched}
		r.HandleRuntime(&ev)
	}
}

func parseText(t *testing.T, b []byte) map[string]*dto.MetricFamily {
	t.Helper()
	p := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("parse exposition: %v\n%s", err, b)
	}
	return mfs
}

// canonical renders families without HELP text, sorted, for comparison.
func canonical(mfs map[string]*dto.MetricFamily) string {
	var lines []string
	for name, mf := range mfs {
		for _, m := range mf.Metric {
			var ls []string
			for _, lp := range m.Label {
				ls = append(ls, lp.GetName()+"="+lp.GetValue())
			}
			sort.Strings(ls)
			l := name + "{" + strings.Join(ls, ",") + "}"
			switch {
			case m.Counter != nil:
				lines = append(lines, fmt.Sprintf("%s counter %g", l, m.Counter.GetValue()))
			case m.Gauge != nil:
				lines = append(lines, fmt.Sprintf("%s gauge %g", l, m.Gauge.GetValue()))
			case m.Histogram != nil:
				h := m.Histogram
				lines = append(lines, fmt.Sprintf("%s hist count=%d sum=%.9g", l, h.GetSampleCount(), h.GetSampleSum()))
				for _, b := range h.Bucket {
					lines = append(lines, fmt.Sprintf("%s le=%g %d", l, b.GetUpperBound(), b.GetCumulativeCount()))
				}
			}
		}
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

func TestExpositionMatchesClientGolang(t *testing.T) {
	r := NewRuntime(DefaultRuntimeConfig())
	populate(t, r, 4)
	ours := parseText(t, r.AppendExposition(nil, false))

	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(newRefCollector(r))
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	for _, mf := range mfs {
		expfmt.MetricFamilyToText(&buf, mf)
	}
	ref := parseText(t, buf.Bytes())
	// The reference collector only knows pid/exe/service; drop the pod labels.
	for _, mf := range ours {
		for _, m := range mf.Metric {
			kept := m.Label[:0]
			for _, lp := range m.Label {
				switch lp.GetName() {
				case "namespace", "pod", "container":
				default:
					kept = append(kept, lp)
				}
			}
			m.Label = kept
		}
	}
	if a, b := canonical(ours), canonical(ref); a != b {
		t.Fatalf("exposition differs from client_golang's\nours:\n%s\n\nclient_golang:\n%s", a, b)
	}
}

func TestSchedHistogramMappedFaithfully(t *testing.T) {
	h := &event.SchedHistogram{
		Buckets: []float64{math.Inf(-1), 0, 1e-6, 2e-6, 4e-6, 1e-3, 2e-3, math.Inf(1)},
		Counts:  []uint64{0, 5, 7, 11, 13, 17, 19},
	}
	cfg := DefaultRuntimeConfig()
	cfg.SchedBuckets = []float64{1e-6, 3e-6, 1e-3, 1}
	r := NewRuntime(cfg)
	r.HandleRuntime(&event.Runtime{Kind: event.KindSample, PID: 7, Sched: h})
	mfs := parseText(t, r.AppendExposition(nil, false))
	got := mfs[nameSched].Metric[0].Histogram
	want := map[float64]uint64{
		1e-6:        5,     // [0,1µs)
		2e-6:        5 + 7, // 3µs moves down to the runtime boundary 2µs
		1e-3:        5 + 7 + 11 + 13,
		2e-3:        5 + 7 + 11 + 13 + 17,
		math.Inf(1): 72,
	}
	if len(got.Bucket) != 5 { // four mapped bounds and +Inf
		t.Fatalf("buckets %v", got.Bucket)
	}
	for _, b := range got.Bucket {
		if want[b.GetUpperBound()] != b.GetCumulativeCount() {
			t.Errorf("le=%g: %d, want %d", b.GetUpperBound(), b.GetCumulativeCount(), want[b.GetUpperBound()])
		}
	}
	if got.GetSampleCount() != 72 {
		t.Errorf("count %d", got.GetSampleCount())
	}
	wantSum := 5*0.5e-6 + 7*1.5e-6 + 11*3e-6 + 13*(4e-6+1e-3)/2 + 17*1.5e-3 + 19*2e-3
	if math.Abs(got.GetSampleSum()-wantSum) > 1e-12 {
		t.Errorf("sum %g, want %g", got.GetSampleSum(), wantSum)
	}
}

// TestSchedHistogramOneBucketSet: a process whose runtime histogram has
// not been read yet has no scheduling-latency histogram at all, neither in
// the exposition nor in remote write. Before, it had an empty one in the
// configured buckets that turned into the runtime's buckets at the first
// sample, so one process of a host carried two bucket sets (seen in e2e
// TestTwoHostsOnePrometheus on a loaded machine).
func TestSchedHistogramOneBucketSet(t *testing.T) {
	r := NewRuntime(DefaultRuntimeConfig())
	r.UpsertProc(&event.Proc{PID: 9, Exe: "/usr/bin/api", Service: "api"})
	r.HandleRuntime(&event.Runtime{Kind: event.KindGCEnd, PID: 9, TS: 1, Cycle: 1, DurationNS: 1e6})
	les := func() (expo, rw map[string]bool) {
		expo, rw = map[string]bool{}, map[string]bool{}
		if mf := parseText(t, r.AppendExposition(nil, false))[nameSched]; mf != nil {
			for _, m := range mf.Metric {
				for _, b := range m.Histogram.Bucket {
					expo[strconv.FormatFloat(b.GetUpperBound(), 'g', -1, 64)] = true
				}
			}
		}
		b, _, _ := r.AppendWriteRequest(nil, 1000, 0, 0)
		var wr prompb.WriteRequest
		if err := wr.Unmarshal(b); err != nil {
			t.Fatal(err)
		}
		for _, ts := range wr.Timeseries {
			var name, le string
			for _, l := range ts.Labels {
				switch l.Name {
				case "__name__":
					name = l.Value
				case "le":
					le = l.Value
				}
			}
			if name == nameSched+"_bucket" {
				rw[le] = true
			}
		}
		return expo, rw
	}
	if expo, rw := les(); len(expo)+len(rw) != 0 {
		t.Fatalf("sched histogram before any sample: exposition %v, remote write %v", expo, rw)
	}
	h := realSchedHistogram(t)
	r.HandleRuntime(&event.Runtime{Kind: event.KindSample, PID: 9, Sched: h})
	want := map[string]bool{"+Inf": true}
	for _, b := range h.Buckets[1:] {
		if !math.IsInf(b, 0) {
			want[strconv.FormatFloat(b, 'g', -1, 64)] = true
		}
	}
	expo, rw := les()
	for what, got := range map[string]map[string]bool{"exposition": expo, "remote write": rw} {
		for le := range got {
			if !want[le] {
				t.Errorf("%s: le=%s is not a runtime boundary", what, le)
			}
		}
		if len(got) < 8 {
			t.Errorf("%s: only %d buckets", what, len(got))
		}
	}
}

func TestRealRuntimeHistogramCountsPreserved(t *testing.T) {
	r := NewRuntime(DefaultRuntimeConfig())
	h := realSchedHistogram(t)
	r.HandleRuntime(&event.Runtime{Kind: event.KindSample, PID: 1, Sched: h})
	mfs := parseText(t, r.AppendExposition(nil, false))
	got := mfs[nameSched].Metric[0].Histogram
	var total uint64
	for _, c := range h.Counts {
		total += c
	}
	if got.GetSampleCount() != total {
		t.Fatalf("count %d, runtime total %d", got.GetSampleCount(), total)
	}
	for _, b := range got.Bucket {
		var below uint64
		for i, c := range h.Counts {
			if h.Buckets[i+1] <= b.GetUpperBound() {
				below += c
			}
		}
		if below != b.GetCumulativeCount() {
			t.Errorf("le=%g: %d, runtime says %d", b.GetUpperBound(), b.GetCumulativeCount(), below)
		}
	}
	if len(got.Bucket) < 8 {
		t.Errorf("only %d buckets mapped", len(got.Bucket))
	}
}

func TestProcessExitRemovesSeries(t *testing.T) {
	r := NewRuntime(DefaultRuntimeConfig())
	populate(t, r, 2)
	r.HandleRuntime(&event.Runtime{Kind: event.KindProcExit, PID: 1000})
	out := string(r.AppendExposition(nil, false))
	if strings.Contains(out, `pid="1000"`) || !strings.Contains(out, `pid="1001"`) {
		t.Fatal("exited process still exported (or the other one lost)")
	}
	r.RemoveProc(1001)
	if out := r.AppendExposition(nil, false); len(out) != 0 {
		t.Fatalf("series left: %s", out)
	}
}

func TestLeakSuspectsAndNoGoroutineIDLabels(t *testing.T) {
	cfg := DefaultRuntimeConfig()
	cfg.LeakWindowNS = 1e9
	cfg.LeakMinLive = 10
	cfg.LeakWindows = 3
	r := NewRuntime(cfg)
	ts := int64(1e18)
	goid := uint64(1)
	for w := 0; w < 5; w++ {
		for i := 0; i < 20; i++ {
			// leaky: created, never exits
			r.HandleRuntime(&event.Runtime{Kind: event.KindGoroutineCreate, PID: 5, TS: ts, Goid: goid, Site: "main.leaky"})
			goid++
			// healthy: created and exits
			r.HandleRuntime(&event.Runtime{Kind: event.KindGoroutineCreate, PID: 5, TS: ts, Goid: goid, Site: "main.worker"})
			r.HandleRuntime(&event.Runtime{Kind: event.KindGoroutineExit, PID: 5, TS: ts, Goid: goid})
			goid++
		}
		ts += 1.1e9
	}
	r.HandleRuntime(&event.Runtime{Kind: event.KindSchedLatency, PID: 5, TS: ts, LatencyNS: 3000})
	out := r.AppendExposition(nil, false)
	mfs := parseText(t, out)
	if v := mfs[nameLeaks].Metric[0].Gauge.GetValue(); v != 1 {
		t.Fatalf("leak suspects %v, want 1", v)
	}
	if v := mfs[nameCreated].Metric[0].Counter.GetValue(); v != 200 {
		t.Fatalf("created %v", v)
	}
	if v := mfs[nameGoroutines].Metric[0].Gauge.GetValue(); v != 100 {
		t.Fatalf("goroutines %v", v)
	}
	if bytes.Contains(out, []byte("goid")) || bytes.Contains(out, []byte("main.leaky")) {
		t.Fatal("unbounded label in output")
	}
}

func TestOpenMetricsNegotiation(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: "gopulse_agent_test_total", Help: "t"})
	reg.MustRegister(c)
	r := NewRuntime(DefaultRuntimeConfig())
	populate(t, r, 1)
	srv := httptest.NewServer(NewHandler(reg, r, nil))
	defer srv.Close()

	get := func(accept string) (string, string) {
		req, _ := http.NewRequest("GET", srv.URL, nil)
		if accept != "" {
			req.Header.Set("Accept", accept)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b bytes.Buffer
		b.ReadFrom(resp.Body)
		return resp.Header.Get("Content-Type"), b.String()
	}
	// What Prometheus 2.42 sends.
	ct, body := get("application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1")
	if ct != ContentTypeOpenMetrics || !strings.HasSuffix(body, "# EOF\n") || strings.Count(body, "# EOF") != 1 {
		t.Fatalf("openmetrics: %s\n%s", ct, body)
	}
	if !strings.Contains(body, `le="1.0"}`) || strings.Contains(body, `le="1"}`) {
		t.Error("OpenMetrics le values must be canonical floats")
	}
	if !strings.Contains(body, "# TYPE gopulse_go_gc_cycles counter\n") || !strings.Contains(body, "gopulse_go_gc_cycles_total{") {
		t.Error("OpenMetrics counter family must drop _total in TYPE and keep it on the sample")
	}
	ct, body = get("")
	if ct != ContentTypeText || strings.Contains(body, "# EOF") {
		t.Fatalf("text: %s", ct)
	}
	parseText(t, []byte(body))
	if ct, _ := get("text/plain;version=0.0.4;q=1,application/openmetrics-text;q=0.5"); ct != ContentTypeText {
		t.Errorf("q weights ignored: %s", ct)
	}
}

// promtool check metrics must print nothing for the live output.
func TestPromtoolCheckMetrics(t *testing.T) {
	path, err := exec.LookPath("promtool")
	if err != nil && os.Getenv("CI") == "true" {
		path, err = installPromtool(t)
	}
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("promtool not found and could not be installed: %v", err)
		}
		t.Skip("promtool not installed (apt-get install --no-install-recommends prometheus)")
	}
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	// The delivery metrics too, with some values in every vector.
	qcfg := delivery.DefaultConfig()
	qcfg.Name, qcfg.Dir = "prometheus_remote_write", t.TempDir()
	qcfg.Endpoints = []delivery.Endpoint{{URL: "http://127.0.0.1:9/api/v1/write"}}
	q, err := delivery.New(qcfg, delivery.Deps{Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	if err := q.Enqueue(context.Background(), make([]byte, qcfg.MaxRecordBytes+1), 3); err == nil {
		t.Fatal("oversized payload accepted")
	}
	r := NewRuntime(DefaultRuntimeConfig())
	populate(t, r, 3)
	r.HandleRuntime(&event.Runtime{Kind: event.KindGoroutineCreate, PID: 1000, Goid: 9, Site: "x"})
	srv := httptest.NewServer(NewHandler(reg, r, nil))
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	cmd := exec.Command(path, "check", "metrics")
	cmd.Stdin = resp.Body
	out, err := cmd.CombinedOutput()
	if err != nil || len(out) != 0 {
		t.Fatalf("promtool check metrics: %v\n%s", err, out)
	}
}

func TestZeroAllocs(t *testing.T) {
	r := NewRuntime(DefaultRuntimeConfig())
	populate(t, r, 10)
	buf := r.AppendExposition(nil, false)
	if n := testing.AllocsPerRun(50, func() { buf = r.AppendExposition(buf[:0], false) }); n != 0 {
		t.Errorf("AppendExposition: %v allocs", n)
	}
	ev := event.Runtime{Kind: event.KindSTW, PID: 1003, Reason: event.STWGCMarkTermination, DurationNS: 12345}
	sched := realSchedHistogram(t)
	sample := event.Runtime{Kind: event.KindSample, PID: 1003, Goroutines: 7, Sched: sched}
	if n := testing.AllocsPerRun(100, func() {
		r.HandleRuntime(&ev)
		r.HandleRuntime(&sample)
	}); n != 0 {
		t.Errorf("HandleRuntime: %v allocs", n)
	}
}

func TestPruneRemovesSilentProcesses(t *testing.T) {
	cfg := DefaultRuntimeConfig()
	cfg.StaleAfter = time.Minute
	r := NewRuntime(cfg)
	now := time.Now()
	r.UpsertProc(&event.Proc{PID: 1, Exe: "/a", Service: "a"})
	r.UpsertProc(&event.Proc{PID: 2, Exe: "/b", Service: "b"})
	r.HandleRuntime(&event.Runtime{Kind: event.KindSample, PID: 2, TS: now.Add(2 * time.Minute).UnixNano(), Goroutines: 3})
	if n := r.Prune(now.Add(90 * time.Second)); n != 1 {
		t.Fatalf("pruned %d, want 1", n)
	}
	out := string(r.AppendExposition(nil, false))
	if strings.Contains(out, `pid="1"`) || !strings.Contains(out, `pid="2"`) {
		t.Fatalf("wrong process pruned:\n%s", out)
	}
	cfg.StaleAfter = 0
	r2 := NewRuntime(cfg)
	r2.UpsertProc(&event.Proc{PID: 1})
	if n := r2.Prune(now.Add(24 * time.Hour)); n != 0 {
		t.Fatal("pruning disabled but a process was removed")
	}
}

func TestHandlerGzip(t *testing.T) {
	r := NewRuntime(DefaultRuntimeConfig())
	populate(t, r, 2)
	srv := httptest.NewServer(NewHandler(nil, r, nil))
	defer srv.Close()
	req, _ := http.NewRequest("GET", srv.URL, nil)
	req.Header.Set("Accept-Encoding", "gzip")
	resp, err := http.DefaultTransport.RoundTrip(req) // no transparent decompression
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("content-encoding %q", resp.Header.Get("Content-Encoding"))
	}
	zr, err := gzip.NewReader(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(body, r.AppendExposition(nil, false)) {
		t.Fatal("gzip body differs from the exposition")
	}
	if acceptsGzip("gzip;q=0") || !acceptsGzip("br, gzip;q=0.5") || acceptsGzip("identity") {
		t.Error("accept-encoding parsing")
	}
}

// installPromtool installs Debian's prometheus package (which ships
// promtool) on CI, where the test must run rather than skip.
func installPromtool(t *testing.T) (string, error) {
	t.Helper()
	if os.Geteuid() != 0 {
		return "", fmt.Errorf("not root")
	}
	apt := func(args ...string) error {
		cmd := exec.Command("apt-get", append([]string{"-o", "DPkg::Lock::Timeout=300"}, args...)...)
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		out, err := cmd.CombinedOutput()
		if err != nil {
			return fmt.Errorf("apt-get %s: %w\n%s", strings.Join(args, " "), err, out)
		}
		return nil
	}
	t.Log("CI=true and no promtool: installing the prometheus package")
	if err := apt("install", "-y", "--no-install-recommends", "prometheus"); err != nil {
		if err := apt("update"); err != nil {
			return "", err
		}
		if err := apt("install", "-y", "--no-install-recommends", "prometheus"); err != nil {
			return "", err
		}
	}
	return exec.LookPath("promtool")
}

// The cycle the probes attached in counts as a cycle, but its duration
// (only its last pause) stays out of the cycle-duration histogram.
func TestPartialGCCycleNotInDuration(t *testing.T) {
	r := NewRuntime(DefaultRuntimeConfig())
	r.UpsertProc(&event.Proc{PID: 5, Exe: "/bin/x", Service: "x"})
	r.HandleRuntime(&event.Runtime{Kind: event.KindGCEnd, PID: 5, TS: 1, Cycle: 1, DurationNS: 30_000, MarkTermNS: 30_000, Partial: true})
	r.HandleRuntime(&event.Runtime{Kind: event.KindGCEnd, PID: 5, TS: 2, Cycle: 2, DurationNS: 5_000_000})
	out := string(r.AppendExposition(nil, false))
	for _, want := range []string{`gopulse_go_gc_cycles_total{pid="5",exe="/bin/x",service="x"} 2`,
		`gopulse_go_gc_cycle_duration_seconds_count{pid="5",exe="/bin/x",service="x"} 1`,
		`gopulse_go_gc_cycle_duration_seconds_sum{pid="5",exe="/bin/x",service="x"} 0.005`} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %s in\n%s", want, out)
		}
	}
}
