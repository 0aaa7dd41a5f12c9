package loki

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/golang/snappy"
	"github.com/grafana/loki/pkg/push"
)

type recQueue struct {
	mu     sync.Mutex
	bodies [][]byte
	items  int
	err    error
}

func (q *recQueue) Enqueue(_ context.Context, p []byte, items int) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.err != nil {
		return q.err
	}
	q.bodies = append(q.bodies, append([]byte(nil), p...))
	q.items += items
	return nil
}

func (q *recQueue) lines(t *testing.T) int {
	t.Helper()
	q.mu.Lock()
	defer q.mu.Unlock()
	n := 0
	for _, b := range q.bodies {
		raw, err := snappy.Decode(nil, b)
		if err != nil {
			t.Fatal(err)
		}
		var req push.PushRequest
		if err := req.Unmarshal(raw); err != nil {
			t.Fatal(err)
		}
		for _, s := range req.Streams {
			n += len(s.Entries)
		}
	}
	return n
}

func TestExporterBatchesAndCloses(t *testing.T) {
	q := &recQueue{}
	cfg := DefaultConfig()
	cfg.BatchLines = 100
	x, err := New(cfg, Deps{Queue: q})
	if err != nil {
		t.Fatal(err)
	}
	recs := testRecords(250)
	for i := range recs {
		x.HandleLog(&recs[i])
	}
	if len(q.bodies) != 2 {
		t.Fatalf("batches before close = %d, want 2", len(q.bodies))
	}
	if err := x.Close(); err != nil {
		t.Fatal(err)
	}
	if err := x.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	x.HandleLog(&recs[0]) // ignored after Close
	if got := q.lines(t); got != 250 || q.items != 250 {
		t.Fatalf("lines = %d, items = %d, want 250", got, q.items)
	}
}

func TestExporterFlushesOnInterval(t *testing.T) {
	q := &recQueue{}
	cfg := DefaultConfig()
	cfg.FlushInterval = 40 * time.Millisecond
	x, err := New(cfg, Deps{Queue: q})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- x.Run(ctx) }()
	recs := testRecords(3)
	for i := range recs {
		x.HandleLog(&recs[i])
	}
	deadline := time.Now().Add(5 * time.Second)
	for q.lines(t) < 3 {
		if time.Now().After(deadline) {
			t.Fatal("batch not flushed on interval")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestExporterReportsQueueErrors(t *testing.T) {
	q := &recQueue{err: errors.New("queue closed")}
	x, err := New(DefaultConfig(), Deps{Queue: q})
	if err != nil {
		t.Fatal(err)
	}
	recs := testRecords(1)
	x.HandleLog(&recs[0])
	if err := x.Flush(context.Background()); !errors.Is(err, q.err) {
		t.Fatalf("Flush error = %v, want wrapping %v", err, q.err)
	}
}

func TestConfigValidate(t *testing.T) {
	var c Config
	err := c.Validate()
	if err == nil {
		t.Fatal("zero config validated")
	}
	if _, err := New(DefaultConfig(), Deps{}); !errors.Is(err, ErrNoQueue) {
		t.Fatalf("New without queue: %v", err)
	}
}
