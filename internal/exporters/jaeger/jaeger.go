package jaeger

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gopulse/gopulse/event"
	"github.com/gopulse/gopulse/internal/exporters/delivery"
)

// Queue is what the exporter needs from the delivery layer
// (exporters/delivery.Queue): take one encoded request holding items spans,
// copying it before returning.
type Queue interface {
	Enqueue(ctx context.Context, payload []byte, items int) error
}

// Protocol selects the wire format.
type Protocol string

const (
	// ProtocolOTLP: OTLP protobuf over HTTP to /v1/traces (Jaeger v2).
	ProtocolOTLP Protocol = "otlp"
	// ProtocolAPIv2: jaeger-idl api_v2 CollectorService.PostSpans over gRPC
	// (Jaeger v1); use GRPCTransport as the delivery transport.
	ProtocolAPIv2 Protocol = "jaeger_grpc"
)

// OTLPPath is the OTLP/HTTP traces path.
const OTLPPath = "/v1/traces"

// ProtocolHeaders returns the HTTP headers of an OTLP request, for the
// delivery transport.
func ProtocolHeaders() map[string]string {
	return map[string]string{"Content-Type": "application/x-protobuf"}
}

// Sentinel errors.
var ErrNoQueue = errors.New("jaeger exporter needs a queue")

// Config configures the exporter.
type Config struct {
	Protocol Protocol
	// STWThreshold: non-GC stop-the-world pauses at least this long get a
	// trace of their own.
	STWThreshold time.Duration
	// BatchSpans bounds one request; FlushInterval bounds how long a span
	// waits for its batch.
	BatchSpans    int
	FlushInterval time.Duration
	// GC-cycle trace sampling: a cycle with a stop-the-world pause of at
	// least SlowPause, or lasting at least SlowCycle, is always traced;
	// SampleRate (0..1) of the others are. Decisions are counted in
	// gopulse_trace_gc_cycles_total{decision}.
	SampleRate float64
	SlowPause  time.Duration
	SlowCycle  time.Duration
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	return Config{Protocol: ProtocolOTLP, STWThreshold: time.Millisecond, BatchSpans: 512, FlushInterval: time.Second,
		SampleRate: 0.01, SlowPause: time.Millisecond, SlowCycle: 100 * time.Millisecond}
}

// Validate reports every problem of c, joined.
func (c *Config) Validate() error {
	var errs []error
	if c.Protocol != ProtocolOTLP && c.Protocol != ProtocolAPIv2 {
		errs = append(errs, fmt.Errorf("protocol must be %q or %q, got %q", ProtocolOTLP, ProtocolAPIv2, c.Protocol))
	}
	if c.STWThreshold < 0 {
		errs = append(errs, fmt.Errorf("stw_threshold must not be negative, got %s", c.STWThreshold))
	}
	if c.BatchSpans <= 0 {
		errs = append(errs, fmt.Errorf("batch_spans must be positive, got %d", c.BatchSpans))
	}
	if c.FlushInterval <= 0 {
		errs = append(errs, fmt.Errorf("flush_interval must be positive, got %s", c.FlushInterval))
	}
	if c.SampleRate < 0 || c.SampleRate > 1 {
		errs = append(errs, fmt.Errorf("sample_rate must be in [0, 1], got %g", c.SampleRate))
	}
	if c.SlowPause <= 0 || c.SlowCycle <= 0 {
		errs = append(errs, fmt.Errorf("slow_pause and slow_cycle must be positive, got %s and %s", c.SlowPause, c.SlowCycle))
	}
	return errors.Join(errs...)
}

// Deps are the exporter's collaborators.
type Deps struct {
	Queue Queue
	// Procs names the processes in the resource attributes; optional.
	Procs  ProcLookup
	Logger *slog.Logger
	// Version is gopulse's version, the instrumentation scope version.
	Version string
	// Registerer receives the sampling counters; optional.
	Registerer prometheus.Registerer
}

// Exporter turns runtime events into GC-cycle and pause traces and hands
// them to the delivery queue. It implements event.RuntimeSink; HandleRuntime
// may be called from several goroutines.
type Exporter struct {
	cfg Config

	// guarded by batch (Add runs under its lock)
	b     *builder
	enc   *Encoder
	spans []span

	batch *delivery.Batch
}

var _ event.RuntimeSink = (*Exporter)(nil)

// New returns an exporter. Call Run to flush batches on time and Close to
// flush the last one.
func New(cfg Config, deps Deps) (*Exporter, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("jaeger config: %w", err)
	}
	if deps.Queue == nil {
		return nil, ErrNoQueue
	}
	log := deps.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	enc := NewEncoder(deps.Procs, deps.Version)
	b := newBuilder(cfg.STWThreshold.Nanoseconds(), 0)
	var err error
	if b.sample, err = newSampler(cfg, deps.Registerer); err != nil {
		return nil, err
	}
	return &Exporter{
		cfg: cfg,
		b:   b,
		enc: enc,
		batch: delivery.NewBatch("spans", wireEncoder{enc, cfg.Protocol == ProtocolAPIv2},
			deps.Queue, cfg.FlushInterval, log),
	}, nil
}

// HandleRuntime consumes one runtime event.
func (x *Exporter) HandleRuntime(ev *event.Runtime) {
	switch ev.Kind {
	case event.KindGCEnd, event.KindSTW, event.KindProcExit:
	default:
		return
	}
	x.batch.Add(func() bool {
		x.spans = x.b.add(x.spans[:0], ev)
		for i := range x.spans {
			x.enc.add(x.spans[i])
		}
		if ev.Kind == event.KindProcExit {
			x.enc.ProcExited(ev.PID)
		}
		return x.enc.Len() >= x.cfg.BatchSpans
	})
}

// Flush hands the pending batch to the queue now.
func (x *Exporter) Flush(ctx context.Context) error { return x.batch.Flush(ctx) }

// Run hands over batches older than FlushInterval until ctx is done, then
// what is left.
func (x *Exporter) Run(ctx context.Context) error { return x.batch.Run(ctx) }

// Close hands over the pending batch and stops accepting events. It is safe
// to call twice.
func (x *Exporter) Close() error { return x.batch.Close() }

// wireEncoder encodes the pending spans in the configured protocol.
type wireEncoder struct {
	*Encoder
	apiv2 bool
}

func (w wireEncoder) Encode() []byte {
	if w.apiv2 {
		return w.EncodeJaeger()
	}
	return w.EncodeOTLP()
}
