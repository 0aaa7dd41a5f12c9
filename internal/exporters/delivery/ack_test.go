package delivery

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// flakyTransport answers each send after a random delay with success, a
// 5xx, a 429 or a connection reset, and records what it accepted.
type flakyTransport struct {
	mu       sync.Mutex
	rng      *rand.Rand
	accepted map[string]int
}

var errReset = errors.New("read: connection reset by peer")

func (f *flakyTransport) Send(ctx context.Context, _ Endpoint, body []byte) error {
	f.mu.Lock()
	d := time.Duration(f.rng.IntN(3000)) * time.Microsecond
	roll := f.rng.IntN(10)
	f.mu.Unlock()
	select { // random latency: answers come back out of order
	case <-time.After(d):
	case <-ctx.Done():
		return ctx.Err()
	}
	switch roll {
	case 0:
		return &StatusError{Code: http.StatusInternalServerError}
	case 1:
		return &StatusError{Code: http.StatusTooManyRequests}
	case 2:
		return errReset
	}
	f.mu.Lock()
	f.accepted[string(body)]++
	f.mu.Unlock()
	return nil
}

func (f *flakyTransport) snapshot() map[string]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	m := make(map[string]int, len(f.accepted))
	for k, v := range f.accepted {
		m[k] = v
	}
	return m
}

// TestAckOnlyAfterSuccessAcrossCrash: with concurrency > 1, answers coming
// back out of order and a third of the sends failing (5xx, 429, connection
// reset), a crash at any moment loses nothing: after a restart from the
// files as they were, exactly the records the backend had not accepted are
// sent again. A record acknowledged on an error, or a commit moving past an
// unacknowledged record, fails it.
func TestAckOnlyAfterSuccessAcrossCrash(t *testing.T) {
	for round := range 4 {
		t.Run(strconv.Itoa(round), func(t *testing.T) {
			const n = 400
			cfg := testConfig(t, "http://backend.invalid/push")
			cfg.Concurrency.Min, cfg.Concurrency.Max = 4, 8
			cfg.Retry.InitialBackoff = time.Millisecond
			cfg.Retry.MaxBackoff = 5 * time.Millisecond
			cfg.Breaker.FailureThreshold = 1 << 20 // keep the endpoint closed: this test is about acks
			cfg.Fsync = FsyncNever
			ft := &flakyTransport{rng: rand.New(rand.NewPCG(uint64(round), 7)), accepted: map[string]int{}}
			q, err := New(cfg, Deps{Registerer: prometheus.NewRegistry(), Transport: ft})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- q.Run(ctx) }()
			all := bodies("rec", n)
			for _, b := range all {
				if err := q.Enqueue(ctx, []byte(b), 1); err != nil {
					t.Fatal(err)
				}
			}
			if err := q.Flush(ctx); err != nil {
				t.Fatal(err)
			}
			// Crash after a random share of the records went through.
			want := n/4 + round*n/6
			waitFor(t, "deliveries", 10*time.Second, func() bool { return len(ft.snapshot()) >= want })
			// kill -9 now: copy the files as they are (under the queue's lock,
			// so not in the middle of a write) together with what the backend
			// has accepted. A send the backend accepted whose answer the
			// queue has not processed yet is still in flight: it may be sent
			// again (the at-least-once window), nothing else may.
			crash := t.TempDir()
			q.mu.Lock()
			ft.mu.Lock()
			copyDir(t, cfg.Dir, crash)
			before := make(map[string]int, len(ft.accepted))
			for k, v := range ft.accepted {
				before[k] = v
			}
			unanswered := map[string]bool{}
			for _, it := range q.pending {
				if it.inflight && before[string(it.body)] > 0 {
					unanswered[string(it.body)] = true
				}
			}
			ft.mu.Unlock()
			q.mu.Unlock()
			cancel()
			<-done
			q.Close()

			ft2 := &flakyTransport{rng: rand.New(rand.NewPCG(uint64(round), 9)), accepted: map[string]int{}}
			cfg.Dir = crash
			h := start(t, cfg, Deps{Transport: ft2})
			waitFor(t, "redelivery", 10*time.Second, func() bool { st := h.q.Stats(); return st.Pending == 0 && st.Committed >= st.End })
			after := ft2.snapshot()
			for _, b := range all {
				switch {
				case before[b] == 0 && after[b] == 0:
					t.Errorf("%s lost: not accepted before the crash and not sent again", b)
				case before[b] > 0 && after[b] > 0 && !unanswered[b]:
					t.Errorf("%s sent again after the crash although it was acknowledged", b)
				case before[b] > 1 || after[b] > 1:
					t.Errorf("%s accepted %d+%d times", b, before[b], after[b])
				}
			}
			t.Logf("%d accepted before the crash, %d after (%d answered after the crash)", len(before), len(after), len(unanswered))
		})
	}
}
