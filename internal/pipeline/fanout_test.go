package pipeline

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/gopulse/gopulse/event"
)

type countSink struct {
	mu    sync.Mutex
	n     int
	block chan struct{}
	last  []uint64
}

func (s *countSink) HandleRuntime(ev *event.Runtime) {
	if s.block != nil {
		<-s.block
	}
	s.mu.Lock()
	s.n++
	if ev.Sched != nil {
		s.last = append(s.last[:0], ev.Sched.Counts...)
	}
	s.mu.Unlock()
}

func (s *countSink) count() int { s.mu.Lock(); defer s.mu.Unlock(); return s.n }

// A stuck consumer never blocks the producer nor the other consumers; its
// losses are counted.
func TestFanoutNeverBlocks(t *testing.T) {
	fast := &countSink{}
	stuck := &countSink{block: make(chan struct{})}
	reg := prometheus.NewPedanticRegistry()
	f, err := NewRuntimeFanout([]NamedSink{{"fast", fast}, {"stuck", stuck}}, 16, reg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- f.Run(ctx) }()
	h := &event.SchedHistogram{Counts: []uint64{1, 2}, Buckets: []float64{0, 1, 2}}
	ev := &event.Runtime{Kind: event.KindSample, PID: 1, Sched: h}
	// The producer's own time is what the stuck consumer must not grow:
	// only the HandleRuntime calls are timed, not the waits below.
	var inHandle time.Duration
	for i := range 1000 {
		h.Counts[0] = uint64(i) // the producer reuses its histogram
		start := time.Now()
		f.HandleRuntime(ev)
		inHandle += time.Since(start)
		if i%8 == 7 {
			// Let the fast consumer catch up (its queue holds 16) by waiting
			// for it, not for a fixed time: a loaded machine may not run it
			// within a millisecond.
			waitFor(t, func() bool { return fast.count() == i+1 })
		}
	}
	if inHandle > 5*time.Second {
		t.Fatalf("producer was blocked: %v in HandleRuntime", inHandle)
	}
	deadline := time.Now().Add(5 * time.Second)
	for fast.count() < 1000 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if fast.count() != 1000 || f.Dropped("fast") != 0 {
		t.Fatalf("fast got %d, dropped %d", fast.count(), f.Dropped("fast"))
	}
	if fast.last[0] != 999 {
		t.Fatalf("histogram copy %v", fast.last)
	}
	if d := f.Dropped("stuck"); d < 1000-17 {
		t.Fatalf("stuck dropped %d", d)
	}
	if got := testutil.ToFloat64(f.dropped.WithLabelValues("stuck")); got != float64(f.Dropped("stuck")) {
		t.Fatalf("metric %g", got)
	}
	close(stuck.block)
	cancel()
	<-done
	f.Close()
	f.Close()
}

func BenchmarkFanout(b *testing.B) {
	f, _ := NewRuntimeFanout([]NamedSink{{"a", &countSink{}}, {"b", &countSink{}}}, 1<<16, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go f.Run(ctx)
	ev := &event.Runtime{Kind: event.KindSTW, PID: 1, DurationNS: 1000}
	b.ReportAllocs()
	b.SetBytes(int64(unsafeSizeofRuntime))
	for b.Loop() {
		f.HandleRuntime(ev)
	}
}

func TestFanoutFree(t *testing.T) {
	f, err := NewRuntimeFanout([]NamedSink{{Name: "a", Sink: nopRuntimeSink{}}, {Name: "b", Sink: nopRuntimeSink{}}}, 8, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := f.Free(); got != 8 {
		t.Fatalf("empty fan-out: free %d, want 8", got)
	}
	ev := event.Runtime{Kind: event.KindGCEnd, PID: 1}
	for range 3 {
		f.HandleRuntime(&ev)
	}
	if got := f.Free(); got != 5 {
		t.Fatalf("after 3 events (not consumed): free %d, want 5", got)
	}
}

type nopRuntimeSink struct{}

func (nopRuntimeSink) HandleRuntime(*event.Runtime) {}
