package delivery

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// BatchEncoder is an exporter's encoder of pending items (Loki lines, spans).
type BatchEncoder interface {
	Len() int       // items pending
	Encode() []byte // the request body for the pending items, valid until Reset
	Reset()
}

// Enqueuer takes encoded request bodies: a *Queue.
type Enqueuer interface {
	Enqueue(ctx context.Context, payload []byte, items int) error
}

// Batch is the pending batch an exporter builds between queue hand-overs.
// Add appends under its lock and hands the batch to the queue when it is
// full; Run hands over batches older than the flush interval; Close hands
// over the last one. A failed hand-over is logged once per kind of error
// (the queue counts its own drops).
type Batch struct {
	what     string // e.g. "loki lines", for messages
	enc      BatchEncoder
	q        Enqueuer
	interval time.Duration
	log      *slog.Logger

	mu        sync.Mutex
	oldest    time.Time // when the first pending item came
	closed    bool
	lastErr   string
	ctx       context.Context
	closeOnce sync.Once
}

// NewBatch returns a batch handing enc's items to q at least every interval.
func NewBatch(what string, enc BatchEncoder, q Enqueuer, interval time.Duration, log *slog.Logger) *Batch {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Batch{what: what, enc: enc, q: q, interval: interval, log: log, ctx: context.Background()}
}

// Add runs add under the batch's lock, unless the batch is closed: add
// appends to the encoder and reports whether the batch is now full.
func (b *Batch) Add(add func() (full bool)) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return
	}
	before := b.enc.Len()
	full := add()
	if before == 0 && b.enc.Len() > 0 {
		b.oldest = time.Now()
	}
	if full {
		b.flushAndLog(b.ctx)
	}
}

func (b *Batch) flushLocked(ctx context.Context) error {
	n := b.enc.Len()
	if n == 0 {
		return nil
	}
	body := b.enc.Encode()
	err := b.q.Enqueue(ctx, body, n)
	if err != nil && ctx.Err() != nil {
		// The caller gave up (a commit during shutdown), not the queue:
		// the batch stays for the next flush. Dropping it here lost the
		// lines of a commit that a later commit then counted as done.
		return fmt.Errorf("enqueue %d %s: %w", n, b.what, err)
	}
	b.enc.Reset()
	if err != nil {
		return fmt.Errorf("enqueue %d %s: %w", n, b.what, err)
	}
	b.lastErr = ""
	return nil
}

// flushAndLog flushes for the callers that cannot return the error (Add,
// the timer): it is logged once per distinct message.
func (b *Batch) flushAndLog(ctx context.Context) {
	err := b.flushLocked(ctx)
	if err == nil {
		return
	}
	key := err.Error()
	if inner := errors.Unwrap(err); inner != nil {
		key = inner.Error() // not the item count
	}
	if key != b.lastErr {
		b.lastErr = key
		b.log.Warn("batch not queued", "batch", b.what, "err", err)
	}
}

// Flush hands the pending batch to the queue now.
func (b *Batch) Flush(ctx context.Context) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.flushLocked(ctx)
}

// Run hands over batches older than the flush interval until ctx is done,
// then what is left.
func (b *Batch) Run(ctx context.Context) error {
	b.mu.Lock()
	b.ctx = ctx
	b.mu.Unlock()
	t := time.NewTicker(b.interval / 2)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			b.mu.Lock()
			b.ctx = context.Background()
			err := b.flushLocked(context.Background())
			b.mu.Unlock()
			return err
		case now := <-t.C:
			b.mu.Lock()
			if b.enc.Len() > 0 && now.Sub(b.oldest) >= b.interval {
				b.flushAndLog(ctx)
			}
			b.mu.Unlock()
		}
	}
}

// Close hands over the pending batch and stops accepting items. It is safe
// to call twice.
func (b *Batch) Close() error {
	var err error
	b.closeOnce.Do(func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		err = b.flushLocked(context.Background())
		b.closed = true
	})
	return err
}
