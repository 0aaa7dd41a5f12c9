package gopulsereceiver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/receivertest"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/gopulse/gopulse/event"
	"github.com/gopulse/gopulse/receiver/gopulsereceiver/internal/metadata"
)

// fakeSource stands in for the probes where no kernel is needed: Watch
// succeeds for the pids in good (replaying their events) and fails for the
// others; Run waits for ctx.
type fakeSource struct {
	sink   event.RuntimeSink
	good   map[int][]event.Runtime
	runErr error
	ready  chan struct{} // closed when newSource was called

	mu      sync.Mutex
	watched []int
	closed  int
}

func (s *fakeSource) Run(ctx context.Context) error {
	if s.runErr != nil {
		return s.runErr
	}
	<-ctx.Done()
	return nil
}

func (s *fakeSource) Watch(pid int) error {
	evs, ok := s.good[pid]
	if !ok {
		return fmt.Errorf("watch pid %d: not a Go program", pid)
	}
	s.mu.Lock()
	s.watched = append(s.watched, pid)
	s.mu.Unlock()
	for i := range evs {
		s.sink.HandleRuntime(&evs[i])
	}
	return nil
}

func (s *fakeSource) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed++
	return nil
}

func (s *fakeSource) emit(ev event.Runtime) { s.sink.HandleRuntime(&ev) }

func fakeEnv(src *fakeSource) env {
	src.ready = make(chan struct{})
	return env{
		newSource: func(_ *Config, _ *slog.Logger, sink event.RuntimeSink) (source, error) {
			src.sink = sink
			close(src.ready)
			return src, nil
		},
		identify: func(pid uint32) (identity, bool) {
			return identity{
				proc:       event.Proc{PID: int(pid), Exe: "/app/checkout", Service: "checkout", GoVersion: "go1.26.8", Namespace: "shop", Pod: "checkout-7d9", Container: "app"},
				startNS:    1_000_000_000,
				instanceID: fmt.Sprintf("node-1/%d/4242", pid),
				hostName:   "node-1",
			}, true
		},
	}
}

func testConfig() *Config {
	cfg := NewFactory().CreateDefaultConfig().(*Config)
	cfg.DiscoverAll = false
	cfg.PIDs = []int{5}
	cfg.CollectionInterval = 10 * time.Millisecond
	return cfg
}

// statusHost records the status events the receiver reports.
type statusHost struct {
	component.Host
	mu     sync.Mutex
	events []*componentstatus.Event
}

func newStatusHost() *statusHost { return &statusHost{Host: componenttest.NewNopHost()} }

func (h *statusHost) Report(ev *componentstatus.Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.events = append(h.events, ev)
}

func (h *statusHost) find(st componentstatus.Status) *componentstatus.Event {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, ev := range h.events {
		if ev.Status() == st {
			return ev
		}
	}
	return nil
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func start(t *testing.T, set receiver.Settings, cfg *Config, sink *consumertest.MetricsSink, e env, host component.Host) *gopulseReceiver {
	t.Helper()
	r, err := newReceiver(set, cfg, sink, e)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Start(context.Background(), host); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Shutdown(context.Background()) })
	return r
}

func resourceOf(md pmetric.Metrics, pid int64) (pmetric.ResourceMetrics, bool) {
	for i := 0; i < md.ResourceMetrics().Len(); i++ {
		rm := md.ResourceMetrics().At(i)
		if p, ok := rm.Resource().Attributes().Get("process.pid"); ok && p.Int() == pid {
			return rm, true
		}
	}
	return pmetric.ResourceMetrics{}, false
}

func metricsOf(rm pmetric.ResourceMetrics) map[string]pmetric.Metric {
	out := map[string]pmetric.Metric{}
	if rm == (pmetric.ResourceMetrics{}) || rm.ScopeMetrics().Len() == 0 {
		return out
	}
	ms := rm.ScopeMetrics().At(0).Metrics()
	for i := 0; i < ms.Len(); i++ {
		out[ms.At(i).Name()] = ms.At(i)
	}
	return out
}

// One good and one bad pid: the good one is served, the bad one is in a
// permanent-error status and a warning, and nothing stops.
func TestBadTargetIsReportedNotFatal(t *testing.T) {
	cfg := testConfig()
	cfg.PIDs = []int{5, 99}
	src := &fakeSource{good: map[int][]event.Runtime{5: {
		{Kind: event.KindSample, PID: 5, TS: 1, Cycle: 2521, Goroutines: 12},
		{Kind: event.KindGCEnd, PID: 5, TS: 2, Cycle: 2522, DurationNS: 3_000_000},
	}}}
	core, logs := observer.New(zap.InfoLevel)
	set := receivertest.NewNopSettings(metadata.Type)
	set.Logger = zap.New(core)
	sink := new(consumertest.MetricsSink)
	host := newStatusHost()
	start(t, set, cfg, sink, fakeEnv(src), host)

	waitFor(t, "a permanent error status", func() bool { return host.find(componentstatus.StatusPermanentError) != nil })
	ev := host.find(componentstatus.StatusPermanentError)
	if !strings.Contains(ev.Err().Error(), "target pid 99") || strings.Contains(ev.Err().Error(), "pid 5:") {
		t.Errorf("status names %v", ev.Err())
	}
	if host.find(componentstatus.StatusFatalError) != nil {
		t.Error("fatal status reported")
	}
	if logs.FilterMessageSnippet("cannot watch a configured process").FilterField(zap.Int("pid", 99)).FilterLevelExact(zap.WarnLevel).Len() != 1 {
		t.Errorf("no warning for the bad pid: %v", logs.All())
	}
	// Attaching is logged at info (it was at debug only), with the name.
	waitFor(t, "the attach logged at info", func() bool {
		return logs.FilterMessage("attached to process").FilterField(zap.Uint32("pid", 5)).
			FilterField(zap.String("service.name", "checkout")).FilterLevelExact(zap.InfoLevel).Len() == 1
	})
	waitFor(t, "metrics of the good pid", func() bool {
		for _, md := range sink.AllMetrics() {
			if rm, ok := resourceOf(md, 5); ok {
				if m, ok := metricsOf(rm)[metadata.MetricGoMemoryGcCycles]; ok && m.Sum().DataPoints().At(0).IntValue() == 2522 {
					return true
				}
			}
		}
		return false
	})
}

// Start returns at once even when loading the probes takes long (it
// happens in the receiver's goroutine), and Shutdown while they load
// does not wait for them.
func TestStartNeverBlocks(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	e := env{newSource: func(*Config, *slog.Logger, event.RuntimeSink) (source, error) {
		<-release
		return nil, errors.New("released")
	}}
	r, err := newReceiver(receivertest.NewNopSettings(metadata.Type), testConfig(), consumertest.NewNop(), e)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- r.Start(context.Background(), componenttest.NewNopHost()) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Start blocked on loading the probes")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := r.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Shutdown while the probes load: %v", err)
	}
}

// Probes that cannot load (no privileges) are a permanent error, not a
// failed start.
func TestProbesUnavailable(t *testing.T) {
	errNoBPF := errors.New("operation not permitted")
	host := newStatusHost()
	e := env{newSource: func(*Config, *slog.Logger, event.RuntimeSink) (source, error) { return nil, errNoBPF }}
	r := start(t, receivertest.NewNopSettings(metadata.Type), testConfig(), new(consumertest.MetricsSink), e, host)
	waitFor(t, "a permanent error", func() bool { return host.find(componentstatus.StatusPermanentError) != nil })
	if err := host.find(componentstatus.StatusPermanentError).Err(); !errors.Is(err, errNoBPF) {
		t.Errorf("status %v", err)
	}
	if err := r.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// A run error of the probes (lost ring buffer) is a permanent error status,
// not a fatal one.
func TestProbesRunErrorIsNotFatal(t *testing.T) {
	ringLost := errors.New("ring buffer gone")
	src := &fakeSource{good: map[int][]event.Runtime{5: nil}, runErr: ringLost}
	host := newStatusHost()
	start(t, receivertest.NewNopSettings(metadata.Type), testConfig(), new(consumertest.MetricsSink), fakeEnv(src), host)
	waitFor(t, "a permanent error", func() bool { return host.find(componentstatus.StatusPermanentError) != nil })
	if err := host.find(componentstatus.StatusPermanentError).Err(); !errors.Is(err, ringLost) {
		t.Errorf("status %v", err)
	}
	if host.find(componentstatus.StatusFatalError) != nil {
		t.Error("fatal status reported")
	}
}

// A collector outside the host PID namespace says so in its status and
// logs, and still serves what it can read.
func TestPIDNamespaceReported(t *testing.T) {
	src := &fakeSource{good: map[int][]event.Runtime{5: {{Kind: event.KindSample, PID: 5, Goroutines: 3}}}}
	e := fakeEnv(src)
	e.pidNamespace = func() error {
		return errors.New("the collector runs in PID namespace pid:[4026532000], not the host's")
	}
	core, logs := observer.New(zap.WarnLevel)
	set := receivertest.NewNopSettings(metadata.Type)
	set.Logger = zap.New(core)
	host := newStatusHost()
	sink := new(consumertest.MetricsSink)
	start(t, set, testConfig(), sink, e, host)
	waitFor(t, "a permanent error", func() bool { return host.find(componentstatus.StatusPermanentError) != nil })
	if err := host.find(componentstatus.StatusPermanentError).Err(); !strings.Contains(err.Error(), "PID namespace") {
		t.Errorf("status %v", err)
	}
	if logs.FilterMessageSnippet("hostPID").Len() != 1 {
		t.Errorf("no warning: %v", logs.All())
	}
	waitFor(t, "goroutines", func() bool { return sink.DataPointCount() > 0 })
}

// The runtime's GC count moves but no gc_end arrives: the probes cannot
// see the process; said in a recoverable status and a warning.
func TestNoProbeEventsReported(t *testing.T) {
	src := &fakeSource{good: map[int][]event.Runtime{5: {{Kind: event.KindSample, PID: 5, Cycle: 10, Goroutines: 3}}}}
	host := newStatusHost()
	sink := new(consumertest.MetricsSink)
	start(t, receivertest.NewNopSettings(metadata.Type), testConfig(), sink, fakeEnv(src), host)
	<-src.ready
	waitFor(t, "status OK", func() bool { return host.find(componentstatus.StatusOK) != nil })
	waitFor(t, "a collection of the first count", func() bool { return len(sink.AllMetrics()) > 0 })
	src.emit(event.Runtime{Kind: event.KindSample, PID: 5, Cycle: 20, Goroutines: 3})
	waitFor(t, "a recoverable error", func() bool { return host.find(componentstatus.StatusRecoverableError) != nil })
	if err := host.find(componentstatus.StatusRecoverableError).Err(); !strings.Contains(err.Error(), "the probes saw none") {
		t.Errorf("status %v", err)
	}
}

// The last batch of a process that exited keeps its resource attributes,
// and the exit of a configured pid is a recoverable error.
func TestExitedProcessLastBatchKeepsIdentity(t *testing.T) {
	src := &fakeSource{good: map[int][]event.Runtime{5: {{Kind: event.KindGCEnd, PID: 5, TS: 1, Cycle: 7, DurationNS: 1000}}}}
	host := newStatusHost()
	sink := new(consumertest.MetricsSink)
	r := start(t, receivertest.NewNopSettings(metadata.Type), testConfig(), sink, fakeEnv(src), host)
	<-src.ready
	waitFor(t, "named", func() bool { return r.agg.Known(5) })
	src.emit(event.Runtime{Kind: event.KindGCEnd, PID: 5, TS: 2, Cycle: 8, DurationNS: 1000})
	src.emit(event.Runtime{Kind: event.KindProcExit, PID: 5, TS: 3})
	waitFor(t, "the process forgotten", func() bool { return r.agg.Len() == 0 })
	var last pmetric.ResourceMetrics
	waitFor(t, "the last batch", func() bool {
		for _, md := range sink.AllMetrics() {
			if rm, ok := resourceOf(md, 5); ok {
				last = rm
			}
		}
		m, ok := metricsOf(last)[metadata.MetricGoMemoryGcCycles]
		return ok && m.Sum().DataPoints().At(0).IntValue() == 8
	})
	attrs := last.Resource().Attributes()
	for k, want := range map[string]string{"service.name": "checkout", "service.instance.id": "node-1/5/4242",
		"process.executable.name": "checkout", "host.name": "node-1", "k8s.pod.name": "checkout-7d9", "k8s.namespace.name": "shop",
		"k8s.container.name": "app", "k8s.node.name": "node-1"} {
		if v, ok := attrs.Get(k); !ok || v.Str() != want {
			t.Errorf("last batch: %s = %q, want %q", k, v.Str(), want)
		}
	}
	if v := metricsOf(last)[metadata.MetricGoMemoryGcCycles].Sum().DataPoints().At(0).IntValue(); v != 8 {
		t.Errorf("last gc count %d", v)
	}
	waitFor(t, "a recoverable error", func() bool { return host.find(componentstatus.StatusRecoverableError) != nil })
}

// The collector's own telemetry counts the data points the receiver
// pushed (otelcol_receiver_accepted_metric_points).
func TestObsreport(t *testing.T) {
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { tel.Shutdown(context.Background()) })
	set := receivertest.NewNopSettings(metadata.Type)
	set.TelemetrySettings = tel.NewTelemetrySettings()
	src := &fakeSource{good: map[int][]event.Runtime{5: {{Kind: event.KindGCEnd, PID: 5, Cycle: 3, DurationNS: 1000}}}}
	sink := new(consumertest.MetricsSink)
	start(t, set, testConfig(), sink, fakeEnv(src), componenttest.NewNopHost())
	waitFor(t, "accepted points", func() bool {
		m, err := tel.GetMetric("otelcol_receiver_accepted_metric_points")
		return err == nil && m.Name != ""
	})
}

func TestLifecycle(t *testing.T) {
	ctx := context.Background()
	host := componenttest.NewNopHost()
	t.Run("shutdown without start", func(t *testing.T) {
		r, err := newReceiver(receivertest.NewNopSettings(metadata.Type), testConfig(), consumertest.NewNop(), fakeEnv(&fakeSource{}))
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Shutdown(ctx); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("start and shutdown twice", func(t *testing.T) {
		for i := 0; i < 2; i++ {
			src := &fakeSource{good: map[int][]event.Runtime{5: nil}}
			r, err := newReceiver(receivertest.NewNopSettings(metadata.Type), testConfig(), consumertest.NewNop(), fakeEnv(src))
			if err != nil {
				t.Fatal(err)
			}
			if err := r.Start(ctx, host); err != nil {
				t.Fatal(err)
			}
			if err := r.Start(ctx, host); err != nil {
				t.Fatalf("second Start: %v", err)
			}
			<-src.ready
			waitFor(t, "watched", func() bool { src.mu.Lock(); defer src.mu.Unlock(); return len(src.watched) == 1 })
			if err := r.Shutdown(ctx); err != nil {
				t.Fatal(err)
			}
			if err := r.Shutdown(ctx); err != nil {
				t.Fatalf("second Shutdown: %v", err)
			}
			if src.closed != 1 {
				t.Errorf("source closed %d times, want 1", src.closed)
			}
		}
	})
}

// Every semconv Go metric comes out of one event mix, with the pinned
// definitions' names, units and kinds, and the gopulse.* metrics with
// namespaced attributes.
func TestEmitsEverySemconvMetric(t *testing.T) {
	sched := &event.SchedHistogram{Buckets: []float64{math.Inf(-1), 0, 1e-6, 1e-5, 1e-3, math.Inf(1)}, Counts: []uint64{0, 4, 6, 2, 1}}
	stats := &event.RuntimeStats{Have: event.HaveMemory | event.HaveController | event.HaveCPU, MemoryStack: 1 << 20, MemoryOther: 9 << 20,
		Allocations: 12345, Allocated: 6 << 20, HeapGoal: 8 << 20, MemoryLimit: 512 << 20, GOGC: 100, GOMAXPROCS: 4,
		CPUUserNS: 3e9, CPUGCNS: 2e8, CPUScavengeNS: 1e7, CPUIdleNS: 5e9}
	src := &fakeSource{good: map[int][]event.Runtime{5: {
		{Kind: event.KindSample, PID: 5, TS: 1, Cycle: 40, Goroutines: 12, Sched: sched, Stats: stats},
		{Kind: event.KindSTW, PID: 5, TS: 2, StartNS: 100, DurationNS: 40_000, Reason: event.STWGCSweepTermination},
		{Kind: event.KindSTW, PID: 5, TS: 2, StartNS: 2_000_000, DurationNS: 60_000, Reason: event.STWGCMarkTermination},
		{Kind: event.KindSTW, PID: 5, TS: 2, StartNS: 9_000_000, DurationNS: 90_000, Reason: event.STWReadMemStats},
		{Kind: event.KindGCEnd, PID: 5, TS: 3, Cycle: 41, StartNS: 100, DurationNS: 2_060_000, SweepTermNS: 40_000, MarkNS: 1_900_000, MarkTermNS: 60_000},
	}}}
	sink := new(consumertest.MetricsSink)
	r := start(t, receivertest.NewNopSettings(metadata.Type), testConfig(), sink, fakeEnv(src), componenttest.NewNopHost())
	<-src.ready
	waitFor(t, "named", func() bool { return r.agg.Known(5) })
	var ms map[string]pmetric.Metric
	waitFor(t, "every metric", func() bool {
		all := sink.AllMetrics()
		if len(all) == 0 {
			return false
		}
		rm, ok := resourceOf(all[len(all)-1], 5)
		if !ok {
			return false
		}
		ms = metricsOf(rm)
		_, ok = ms[metadata.MetricGoMemoryGcPauseDuration]
		return ok
	})
	checkSemconv(t, ms)

	if v := ms[metadata.MetricGoMemoryGcCycles].Sum().DataPoints().At(0); v.IntValue() != 41 || v.StartTimestamp() != 1_000_000_000 {
		t.Errorf("gc cycles %d since %d, want the runtime's 41 since the process started", v.IntValue(), v.StartTimestamp())
	}
	p := ms[metadata.MetricGoMemoryGcPauseDuration].Histogram().DataPoints().At(0)
	if p.Count() != 2 || math.Abs(p.Sum()-100e-6) > 1e-12 {
		t.Errorf("gc pauses %d, sum %g: want the two GC pauses, exact sum", p.Count(), p.Sum())
	}
	sd := ms[metadata.MetricGoScheduleDuration].Histogram().DataPoints().At(0)
	if sd.Count() != 13 || sd.Sum() <= 0 {
		t.Errorf("schedule duration count %d sum %g", sd.Count(), sd.Sum())
	}
	used := ms[metadata.MetricGoMemoryUsed].Sum().DataPoints()
	if used.Len() != 2 {
		t.Fatalf("memory used %d points", used.Len())
	}
	for i := 0; i < used.Len(); i++ {
		typ, _ := used.At(i).Attributes().Get("go.memory.type")
		if want := map[string]int64{"stack": 1 << 20, "other": 9 << 20}[typ.Str()]; used.At(i).IntValue() != want {
			t.Errorf("memory used %s = %d", typ.Str(), used.At(i).IntValue())
		}
	}
	stw := ms[metadata.MetricGopulseGoStwPauseDuration].Histogram().DataPoints()
	reasons := map[string]uint64{}
	for i := 0; i < stw.Len(); i++ {
		r, ok := stw.At(i).Attributes().Get("gopulse.stw.reason")
		if !ok {
			t.Fatal("a pause without gopulse.stw.reason")
		}
		reasons[r.Str()] = stw.At(i).Count()
	}
	if reasons["gc_sweep_termination"] != 1 || reasons["gc_mark_termination"] != 1 || reasons["read_mem_stats"] != 1 {
		t.Errorf("pauses by reason %v", reasons)
	}
	phases := ms[metadata.MetricGopulseGoGcPhaseDuration].Histogram().DataPoints()
	if phases.Len() != 3 {
		t.Errorf("%d phases", phases.Len())
	}
	for _, name := range []string{metadata.MetricGoCPUTime, metadata.MetricGopulseGoGcDuration} {
		if _, ok := ms[name]; !ok {
			t.Errorf("%s missing", name)
		}
	}
}
