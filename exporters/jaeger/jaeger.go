package jaeger

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/gopulse/gopulse/event"
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
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	return Config{Protocol: ProtocolOTLP, STWThreshold: time.Millisecond, BatchSpans: 512, FlushInterval: time.Second}
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
}

// Exporter turns runtime events into GC-cycle and pause traces and hands
// them to the delivery queue. It implements event.RuntimeSink; HandleRuntime
// may be called from several goroutines.
type Exporter struct {
	cfg Config
	q   Queue
	log *slog.Logger

	mu      sync.Mutex
	b       *builder
	enc     *Encoder
	spans   []span
	oldest  time.Time
	closed  bool
	lastErr string
	ctx     context.Context

	closeOnce sync.Once
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
	return &Exporter{
		cfg: cfg, q: deps.Queue, log: log,
		b:   newBuilder(cfg.STWThreshold.Nanoseconds(), 0),
		enc: NewEncoder(deps.Procs, deps.Version),
		ctx: context.Background(),
	}, nil
}

// HandleRuntime consumes one runtime event.
func (x *Exporter) HandleRuntime(ev *event.Runtime) {
	switch ev.Kind {
	case event.KindGCEnd, event.KindSTW, event.KindProcExit:
	default:
		return
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.closed {
		return
	}
	x.spans = x.b.add(x.spans[:0], ev)
	if len(x.spans) > 0 && x.enc.Len() == 0 {
		x.oldest = time.Now()
	}
	for i := range x.spans {
		x.enc.add(x.spans[i])
	}
	if ev.Kind == event.KindProcExit {
		x.enc.ProcExited(ev.PID)
	}
	if x.enc.Len() >= x.cfg.BatchSpans {
		x.flushAndLog(x.ctx)
	}
}

func (x *Exporter) flushLocked(ctx context.Context) error {
	n := x.enc.Len()
	if n == 0 {
		return nil
	}
	var body []byte
	if x.cfg.Protocol == ProtocolAPIv2 {
		body = x.enc.EncodeJaeger()
	} else {
		body = x.enc.EncodeOTLP()
	}
	x.enc.Reset()
	if err := x.q.Enqueue(ctx, body, n); err != nil {
		return fmt.Errorf("enqueue %d spans: %w", n, err)
	}
	x.lastErr = ""
	return nil
}

// flushAndLog flushes for the callers that cannot return the error
// (HandleRuntime, the timer): it is logged once per distinct message; the queue
// counts its own drops.
func (x *Exporter) flushAndLog(ctx context.Context) {
	err := x.flushLocked(ctx)
	if err == nil {
		return
	}
	key := err.Error()
	if inner := errors.Unwrap(err); inner != nil {
		key = inner.Error() // not the item count
	}
	if key != x.lastErr {
		x.lastErr = key
		x.log.Warn("jaeger batch not queued", "err", err)
	}
}

// Flush sends the pending batch now.
func (x *Exporter) Flush(ctx context.Context) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.flushLocked(ctx)
}

// Run flushes batches older than FlushInterval until ctx is done, then
// flushes what is left.
func (x *Exporter) Run(ctx context.Context) error {
	x.mu.Lock()
	x.ctx = ctx
	x.mu.Unlock()
	t := time.NewTicker(x.cfg.FlushInterval / 2)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			x.mu.Lock()
			x.ctx = context.Background()
			err := x.flushLocked(context.Background())
			x.mu.Unlock()
			return err
		case now := <-t.C:
			x.mu.Lock()
			if x.enc.Len() > 0 && now.Sub(x.oldest) >= x.cfg.FlushInterval {
				x.flushAndLog(ctx)
			}
			x.mu.Unlock()
		}
	}
}

// Close flushes the pending batch and stops accepting events. It is safe to
// call twice.
func (x *Exporter) Close() error {
	var err error
	x.closeOnce.Do(func() {
		x.mu.Lock()
		defer x.mu.Unlock()
		err = x.flushLocked(context.Background())
		x.closed = true
	})
	return err
}
