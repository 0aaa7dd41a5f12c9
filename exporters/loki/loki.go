package loki

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
// (exporters/delivery.Queue): take one encoded request body holding items
// log lines, copying it before returning.
type Queue interface {
	Enqueue(ctx context.Context, payload []byte, items int) error
}

// ProtocolHeaders returns the HTTP headers of a push request, for the
// delivery transport.
func ProtocolHeaders() map[string]string {
	return map[string]string{"Content-Type": "application/x-protobuf"}
}

// PushPath is the push API path, relative to Loki's base URL.
const PushPath = "/loki/api/v1/push"

// Sentinel errors.
var (
	ErrNoQueue = errors.New("loki exporter needs a queue")
	ErrClosed  = errors.New("loki exporter closed")
)

// Config configures the exporter.
type Config struct {
	// Job is the job label of streams whose records carry none.
	Job string
	// BatchLines and BatchBytes bound one push request; FlushInterval bounds
	// how long a line waits for its batch.
	BatchLines    int
	BatchBytes    int
	FlushInterval time.Duration
	// MaxLineBytes truncates longer lines (Loki's max_line_size).
	MaxLineBytes int
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	return Config{Job: "gopulse", BatchLines: 1000, BatchBytes: 1 << 20, FlushInterval: time.Second, MaxLineBytes: DefaultMaxLineBytes}
}

// Validate reports every problem of c, joined.
func (c *Config) Validate() error {
	var errs []error
	if c.Job == "" {
		errs = append(errs, errors.New("job must not be empty"))
	}
	if c.BatchLines <= 0 {
		errs = append(errs, fmt.Errorf("batch_lines must be positive, got %d", c.BatchLines))
	}
	if c.BatchBytes <= 0 {
		errs = append(errs, fmt.Errorf("batch_bytes must be positive, got %d", c.BatchBytes))
	}
	if c.FlushInterval <= 0 {
		errs = append(errs, fmt.Errorf("flush_interval must be positive, got %s", c.FlushInterval))
	}
	if c.MaxLineBytes <= 0 {
		errs = append(errs, fmt.Errorf("max_line_bytes must be positive, got %d", c.MaxLineBytes))
	}
	return errors.Join(errs...)
}

// Deps are the exporter's collaborators.
type Deps struct {
	Queue  Queue
	Logger *slog.Logger
}

// Exporter batches log records into push requests and hands them to the
// delivery queue. It implements event.LogSink; HandleLog may be called from
// several goroutines.
type Exporter struct {
	cfg Config
	q   Queue
	log *slog.Logger

	mu      sync.Mutex
	enc     *Encoder
	oldest  time.Time // when the first line of the pending batch came
	closed  bool
	lastErr string
	ctx     context.Context

	closeOnce sync.Once
}

var _ event.LogSink = (*Exporter)(nil)

// New returns an exporter. Call Run to flush batches on time, and Close to
// flush the last one.
func New(cfg Config, deps Deps) (*Exporter, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("loki config: %w", err)
	}
	if deps.Queue == nil {
		return nil, ErrNoQueue
	}
	log := deps.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	enc := NewEncoder(cfg.Job)
	enc.maxLine = cfg.MaxLineBytes
	return &Exporter{cfg: cfg, q: deps.Queue, log: log, enc: enc, ctx: context.Background()}, nil
}

// HandleLog adds one record to the current batch, sending the batch when it
// is full. The record is copied.
func (x *Exporter) HandleLog(rec *event.LogRecord) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.closed {
		return
	}
	if x.enc.Len() == 0 {
		x.oldest = time.Now()
	}
	x.enc.Append(rec)
	if x.enc.Len() >= x.cfg.BatchLines || x.enc.Bytes() >= x.cfg.BatchBytes {
		x.flushAndLog(x.ctx)
	}
}

func (x *Exporter) flushLocked(ctx context.Context) error {
	n := x.enc.Len()
	if n == 0 {
		return nil
	}
	body := x.enc.Encode()
	x.enc.Reset()
	if err := x.q.Enqueue(ctx, body, n); err != nil {
		return fmt.Errorf("enqueue %d lines: %w", n, err)
	}
	x.lastErr = ""
	return nil
}

// flushAndLog flushes for the callers that cannot return the error
// (HandleLog, the timer): it is logged once per distinct message; the queue
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
		x.log.Warn("loki batch not queued", "err", err)
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

// Close flushes the pending batch and stops accepting records. It is safe
// to call twice.
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
