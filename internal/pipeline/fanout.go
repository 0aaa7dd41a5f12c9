// Package pipeline joins gopulse's sources (runtime probes, log tailers) to
// its consumers (exporters, health engine): it names processes (service,
// Kubernetes placement), shards log streams by service, and fans events out
// through bounded queues, so that a slow consumer never blocks the probe
// ring reader; what does not fit is dropped and counted.
package pipeline

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gopulse/gopulse/event"
)

// DefaultQueueLen is the per-consumer runtime event queue length.
const DefaultQueueLen = 1024

// RuntimeFanout delivers runtime events to several sinks. HandleRuntime
// copies the event into each sink's bounded queue and returns at once; each
// sink is fed by its own goroutine. A full queue drops the event for that
// sink and counts it in gopulse_pipeline_dropped_total{sink}.
type RuntimeFanout struct {
	queues []*runtimeQueue

	dropped *prometheus.CounterVec
	depth   *prometheus.GaugeVec

	wg sync.WaitGroup
}

type runtimeQueue struct {
	name     string
	sink     event.RuntimeSink
	ch       chan event.Runtime
	dropped  prometheus.Counter
	droppedN atomic.Uint64
	// hists recycles SchedHistogram copies between the producer and the
	// consumer goroutine, so steady state allocates nothing.
	hists chan *event.SchedHistogram
}

// NamedSink is a sink with the name used in metrics.
type NamedSink struct {
	Name string
	Sink event.RuntimeSink
}

// NewRuntimeFanout returns a fan-out; queueLen ≤ 0 uses DefaultQueueLen;
// reg may be nil.
func NewRuntimeFanout(sinks []NamedSink, queueLen int, reg prometheus.Registerer) (*RuntimeFanout, error) {
	if queueLen <= 0 {
		queueLen = DefaultQueueLen
	}
	f := &RuntimeFanout{
		dropped: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "gopulse_pipeline_dropped_total",
			Help: "Runtime events dropped because a consumer's queue was full."}, []string{"sink"}),
		depth: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "gopulse_pipeline_queue_depth",
			Help: "Runtime events waiting in a consumer's queue."}, []string{"sink"}),
	}
	for _, s := range sinks {
		f.queues = append(f.queues, &runtimeQueue{name: s.Name, sink: s.Sink, ch: make(chan event.Runtime, queueLen),
			dropped: f.dropped.WithLabelValues(s.Name), hists: make(chan *event.SchedHistogram, 64)})
	}
	if reg != nil {
		if err := reg.Register(f.dropped); err != nil {
			return nil, fmt.Errorf("register pipeline metrics: %w", err)
		}
		if err := reg.Register(depthCollector{f}); err != nil {
			return nil, fmt.Errorf("register pipeline metrics: %w", err)
		}
	}
	return f, nil
}

// HandleRuntime implements event.RuntimeSink; it never blocks.
func (f *RuntimeFanout) HandleRuntime(ev *event.Runtime) {
	for _, q := range f.queues {
		c := *ev
		if ev.Sched != nil {
			c.Sched = q.cloneHist(ev.Sched)
		}
		select {
		case q.ch <- c:
		default:
			q.dropped.Inc()
			q.droppedN.Add(1)
			q.recycle(c.Sched)
		}
	}
}

func (q *runtimeQueue) cloneHist(h *event.SchedHistogram) *event.SchedHistogram {
	var c *event.SchedHistogram
	select {
	case c = <-q.hists:
	default:
		c = &event.SchedHistogram{}
	}
	c.Counts = append(c.Counts[:0], h.Counts...)
	c.Buckets = append(c.Buckets[:0], h.Buckets...)
	return c
}

func (q *runtimeQueue) recycle(h *event.SchedHistogram) {
	if h == nil {
		return
	}
	select {
	case q.hists <- h:
	default:
	}
}

// Run feeds the sinks until ctx ends, then drains what is queued.
func (f *RuntimeFanout) Run(ctx context.Context) error {
	for _, q := range f.queues {
		f.wg.Add(1)
		go func() {
			defer f.wg.Done()
			ev := new(event.Runtime) // one per consumer: no allocation per event
			for {
				select {
				case *ev = <-q.ch:
					q.sink.HandleRuntime(ev)
					q.recycle(ev.Sched)
				case <-ctx.Done():
					for {
						select {
						case *ev = <-q.ch:
							q.sink.HandleRuntime(ev)
						default:
							return
						}
					}
				}
			}
		}()
	}
	f.wg.Wait()
	return nil
}

// Close is a no-op kept for the New→Run→Close lifecycle: Run stops with
// its context. Safe to call twice.
func (f *RuntimeFanout) Close() error { return nil }

// Free returns how many events every consumer's queue can still take: a
// producer replaying a backlog (the probes after a takeover) paces itself
// with it instead of overflowing the queues.
func (f *RuntimeFanout) Free() int {
	free := DefaultQueueLen
	for i, q := range f.queues {
		if n := cap(q.ch) - len(q.ch); i == 0 || n < free {
			free = n
		}
	}
	return free
}

// Dropped returns the events dropped for a sink so far.
func (f *RuntimeFanout) Dropped(sink string) uint64 {
	for _, q := range f.queues {
		if q.name == sink {
			return q.droppedN.Load()
		}
	}
	return 0
}

type depthCollector struct{ f *RuntimeFanout }

func (d depthCollector) Describe(ch chan<- *prometheus.Desc) { d.f.depth.Describe(ch) }
func (d depthCollector) Collect(ch chan<- prometheus.Metric) {
	for _, q := range d.f.queues {
		d.f.depth.WithLabelValues(q.name).Set(float64(len(q.ch)))
	}
	d.f.depth.Collect(ch)
}

// QueueNames returns the sinks' names, in order.
func (f *RuntimeFanout) QueueNames() []string {
	out := make([]string, 0, len(f.queues))
	for _, q := range f.queues {
		out = append(out, q.name)
	}
	return slices.Clip(out)
}

// unsafeSizeofRuntime is the size of one queued event, for benchmarks.
const unsafeSizeofRuntime = int(unsafe.Sizeof(event.Runtime{}))
