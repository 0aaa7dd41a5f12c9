package jaeger

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/jaegertracing/jaeger-idl/proto-gen/api_v2"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
)

type recQueue struct {
	mu     sync.Mutex
	bodies [][]byte
	items  int
}

func (q *recQueue) Enqueue(_ context.Context, p []byte, items int) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.bodies = append(q.bodies, append([]byte(nil), p...))
	q.items += items
	return nil
}

func TestExporterOTLPAndAPIv2(t *testing.T) {
	start := time.Now().Add(-time.Minute).UnixNano()
	for _, proto := range []Protocol{ProtocolOTLP, ProtocolAPIv2} {
		q := &recQueue{}
		cfg := DefaultConfig()
		cfg.SampleRate = 1 // every cycle traced
		cfg.Protocol = proto
		cfg.BatchSpans = 8
		x, err := New(cfg, Deps{Queue: q, Procs: testProcs, Version: "test"})
		if err != nil {
			t.Fatal(err)
		}
		for c := uint32(1); c <= 3; c++ {
			evs := gcEvents(42, c, start+int64(c)*int64(time.Second))
			for i := range evs {
				x.HandleRuntime(&evs[i])
			}
		}
		if err := x.Close(); err != nil {
			t.Fatal(err)
		}
		if err := x.Close(); err != nil {
			t.Fatal(err)
		}
		if q.items != 15 || len(q.bodies) != 2 {
			t.Fatalf("%s: items %d in %d bodies, want 15 in 2", proto, q.items, len(q.bodies))
		}
		got := 0
		for _, b := range q.bodies {
			if proto == ProtocolOTLP {
				req := ptraceotlp.NewExportRequest()
				if err := req.UnmarshalProto(b); err != nil {
					t.Fatal(err)
				}
				got += req.Traces().SpanCount()
			} else {
				var req api_v2.PostSpansRequest
				if err := req.Unmarshal(b); err != nil {
					t.Fatal(err)
				}
				got += len(req.Batch.Spans)
			}
		}
		if got != 15 {
			t.Fatalf("%s: decoded %d spans, want 15", proto, got)
		}
	}
}

func TestExporterFlushesOnInterval(t *testing.T) {
	q := &recQueue{}
	cfg := DefaultConfig()
	cfg.SampleRate = 1
	cfg.FlushInterval = 40 * time.Millisecond
	x, err := New(cfg, Deps{Queue: q})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- x.Run(ctx) }()
	evs := gcEvents(1, 1, time.Now().UnixNano())
	for i := range evs {
		x.HandleRuntime(&evs[i])
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		q.mu.Lock()
		n := q.items
		q.mu.Unlock()
		if n == 5 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("items = %d after 5 s", n)
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestConfigValidate(t *testing.T) {
	c := Config{Protocol: "zipkin", STWThreshold: -1}
	err := c.Validate()
	if err == nil {
		t.Fatal("bad config validated")
	}
	if _, err := New(DefaultConfig(), Deps{}); !errors.Is(err, ErrNoQueue) {
		t.Fatalf("New without queue: %v", err)
	}
}
