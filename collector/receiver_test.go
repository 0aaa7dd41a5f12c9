package gopulsereceiver

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/receiver/receivertest"

	"github.com/gopulse/gopulse/collector/internal/metadata"
	"github.com/gopulse/gopulse/event"
)

// replaySource feeds recorded events to the sink, then waits for ctx: it
// stands in for the probes where no kernel is needed.
type replaySource struct {
	sink   event.RuntimeSink
	events []event.Runtime
	runErr error

	mu     sync.Mutex
	closed int
}

func (s *replaySource) Run(ctx context.Context) error {
	for i := range s.events {
		s.sink.HandleRuntime(&s.events[i])
	}
	if s.runErr != nil {
		return s.runErr
	}
	<-ctx.Done()
	return ctx.Err()
}

func (s *replaySource) Procs() []event.Proc {
	return []event.Proc{{PID: 5, Service: "checkout", Exe: "/app/checkout", GoVersion: "go1.25.3"}}
}

func (s *replaySource) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed++
	return nil
}

func replay(src *replaySource) newSourceFunc {
	return func(_ *Config, _ *slog.Logger, sink event.RuntimeSink) (source, error) {
		src.sink = sink
		return src, nil
	}
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

func TestReceiverEmitsToConsumer(t *testing.T) {
	cfg := testConfig()
	cfg.CollectionInterval = 10 * time.Millisecond
	src := &replaySource{events: []event.Runtime{
		{Kind: event.KindSTW, PID: 5, TS: 1, DurationNS: 40_000, Reason: event.STWGCSweepTermination},
		{Kind: event.KindGCEnd, PID: 5, TS: 2, DurationNS: 3_000_000},
	}}
	sink := new(consumertest.MetricsSink)
	r := newReceiver(receivertest.NewNopSettings(metadata.Type), cfg, sink, replay(src))
	if err := r.Start(context.Background(), componenttest.NewNopHost()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "metrics", func() bool { return sink.DataPointCount() > 0 })
	if err := r.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if src.closed != 1 {
		t.Errorf("source closed %d times", src.closed)
	}

	md := sink.AllMetrics()[0]
	rm := md.ResourceMetrics().At(0)
	if svc, _ := rm.Resource().Attributes().Get("service.name"); svc.Str() != "checkout" {
		t.Errorf("service.name %q", svc.Str())
	}
	ms := metricsByName(rm)
	if v := ms[metadata.MetricGCCycles].Sum().DataPoints().At(0).IntValue(); v != 1 {
		t.Errorf("gc cycles %d", v)
	}
	if n := ms[metadata.MetricSTWPause].Histogram().DataPoints().At(0).Count(); n != 1 {
		t.Errorf("pauses %d", n)
	}
}

func TestReceiverLifecycle(t *testing.T) {
	cfg := testConfig()
	host := componenttest.NewNopHost()
	ctx := context.Background()

	t.Run("shutdown without start", func(t *testing.T) {
		r := newReceiver(receivertest.NewNopSettings(metadata.Type), cfg, consumertest.NewNop(), replay(&replaySource{}))
		if err := r.Shutdown(ctx); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("start and shutdown twice", func(t *testing.T) {
		for i := 0; i < 2; i++ {
			src := &replaySource{}
			r := newReceiver(receivertest.NewNopSettings(metadata.Type), cfg, consumertest.NewNop(), replay(src))
			if err := r.Start(ctx, host); err != nil {
				t.Fatal(err)
			}
			if err := r.Start(ctx, host); err != nil {
				t.Fatalf("second Start: %v", err)
			}
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
	t.Run("start fails", func(t *testing.T) {
		errNoBPF := errors.New("operation not permitted")
		r := newReceiver(receivertest.NewNopSettings(metadata.Type), cfg, consumertest.NewNop(),
			func(*Config, *slog.Logger, event.RuntimeSink) (source, error) { return nil, errNoBPF })
		if err := r.Start(ctx, host); !errors.Is(err, errNoBPF) {
			t.Fatalf("Start: %v", err)
		}
		if err := r.Shutdown(ctx); err != nil {
			t.Fatal(err)
		}
	})
}

// statusHost records the status events the receiver reports.
type statusHost struct {
	component.Host
	mu     sync.Mutex
	events []*componentstatus.Event
}

func (h *statusHost) Report(ev *componentstatus.Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.events = append(h.events, ev)
}

func (h *statusHost) fatal() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, ev := range h.events {
		if ev.Status() == componentstatus.StatusFatalError {
			return ev.Err()
		}
	}
	return nil
}

func TestReceiverReportsProbeFailure(t *testing.T) {
	ringLost := errors.New("ring buffer gone")
	host := &statusHost{Host: componenttest.NewNopHost()}
	r := newReceiver(receivertest.NewNopSettings(metadata.Type), testConfig(), consumertest.NewNop(),
		replay(&replaySource{runErr: ringLost}))
	if err := r.Start(context.Background(), host); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "a fatal status", func() bool { return host.fatal() != nil })
	if err := host.fatal(); !errors.Is(err, ringLost) {
		t.Errorf("fatal status %v", err)
	}
	if err := r.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestShutdownHonoursContext(t *testing.T) {
	blocked := make(chan struct{})
	defer close(blocked)
	r := newReceiver(receivertest.NewNopSettings(metadata.Type), testConfig(), consumertest.NewNop(),
		func(_ *Config, _ *slog.Logger, sink event.RuntimeSink) (source, error) {
			return stuckSource{release: blocked}, nil
		})
	if err := r.Start(context.Background(), componenttest.NewNopHost()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := r.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Shutdown of a stuck source: %v", err)
	}
}

// stuckSource ignores cancellation until released.
type stuckSource struct{ release chan struct{} }

func (s stuckSource) Run(context.Context) error { <-s.release; return nil }
func (s stuckSource) Procs() []event.Proc       { return nil }
func (s stuckSource) Close() error              { return nil }
