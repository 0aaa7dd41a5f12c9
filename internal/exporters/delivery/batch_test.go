package delivery

import (
	"context"
	"log/slog"
	"testing"
	"time"
)

type countEncoder struct{ n int }

func (e *countEncoder) Len() int       { return e.n }
func (e *countEncoder) Encode() []byte { return make([]byte, e.n) }
func (e *countEncoder) Reset()         { e.n = 0 }

type countQueue struct{ items int }

func (q *countQueue) Enqueue(ctx context.Context, _ []byte, items int) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	q.items += items
	return nil
}

// A flush through a cancelled context (the tailer's commit during a
// shutdown) keeps the batch for the next flush: before, the batch was
// reset and its items lost while a later commit counted them as handed
// over.
func TestBatchKeepsItemsWhenCallerGivesUp(t *testing.T) {
	enc, q := &countEncoder{}, &countQueue{}
	b := NewBatch("lines", enc, q, time.Second, slog.New(slog.DiscardHandler))
	b.Add(func() bool { enc.n += 7; return false })
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := b.Flush(ctx); err == nil {
		t.Fatal("flush through a cancelled context succeeded")
	}
	b.Add(func() bool { enc.n += 3; return false })
	if err := b.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if q.items != 10 {
		t.Fatalf("%d items reached the queue, want 10", q.items)
	}
}
