package loki

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/gopulse/gopulse/event"
	"github.com/gopulse/gopulse/internal/exporters/delivery"
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
	cfg   Config
	enc   *Encoder
	q     Queue
	batch *delivery.Batch
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
	return &Exporter{cfg: cfg, enc: enc, q: deps.Queue,
		batch: delivery.NewBatch("loki lines", enc, deps.Queue, cfg.FlushInterval, log)}, nil
}

// HandleLog adds one record to the current batch, sending the batch when it
// is full. The record is copied.
func (x *Exporter) HandleLog(rec *event.LogRecord) {
	x.batch.Add(func() bool {
		x.enc.Append(rec)
		return x.enc.Len() >= x.cfg.BatchLines || x.enc.Bytes() >= x.cfg.BatchBytes
	})
}

// AliasTemplate follows a template merge (event.TemplateAliaser): the
// records of the pending batch that carry the template id from get the id
// to.
func (x *Exporter) AliasTemplate(from, to uint64) {
	x.batch.Add(func() bool {
		x.enc.AliasTemplate(from, to)
		return false
	})
}

// Flush hands the pending batch to the queue now.
func (x *Exporter) Flush(ctx context.Context) error { return x.batch.Flush(ctx) }

// Sync hands the pending batch to the queue and, when the queue can
// (delivery.Queue.Flush), writes it to the queue's on-disk log: every
// record handed to HandleLog before the call is then durable. The tailer
// commits its offsets only after a Sync.
func (x *Exporter) Sync(ctx context.Context) error {
	if err := x.batch.Flush(ctx); err != nil {
		return err
	}
	if f, ok := x.q.(interface{ Flush(context.Context) error }); ok {
		if err := f.Flush(ctx); err != nil {
			return fmt.Errorf("flush loki queue: %w", err)
		}
	}
	return nil
}

// Run hands over batches older than FlushInterval until ctx is done, then
// what is left.
func (x *Exporter) Run(ctx context.Context) error { return x.batch.Run(ctx) }

// Close hands over the pending batch and stops accepting records. It is safe
// to call twice.
func (x *Exporter) Close() error { return x.batch.Close() }
