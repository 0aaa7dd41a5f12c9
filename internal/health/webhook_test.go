package health

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/gopulse/gopulse/event"
)

func TestWebhookRetriesAndSigns(t *testing.T) {
	var calls atomic.Int32
	var mu sync.Mutex
	var got []Payload
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if !Verify("k3y", body, r.Header.Get(SignatureHeader)) {
			t.Errorf("bad signature %q", r.Header.Get(SignatureHeader))
		}
		if r.Header.Get("Authorization") != "Bearer x" || r.Header.Get("X-Gopulse-Event") == "" {
			t.Errorf("headers %v", r.Header)
		}
		if calls.Add(1) <= 2 { // two failures, then success
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		var p Payload
		if err := json.Unmarshal(body, &p); err != nil {
			t.Error(err)
		}
		mu.Lock()
		got = append(got, p)
		mu.Unlock()
	}))
	defer srv.Close()
	reg := prometheus.NewPedanticRegistry()
	n, err := NewNotifier([]Webhook{{URL: srv.URL, Secret: "k3y", MaxRetries: 3, Headers: map[string]string{"Authorization": "Bearer x"}}},
		srv.Client(), slog.New(slog.DiscardHandler), reg)
	if err != nil {
		t.Fatal(err)
	}
	n.SetBackoff(5 * time.Millisecond)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- n.Run(ctx) }()

	proc := event.Proc{PID: 7, Exe: "/bin/x", Service: "x"}
	n.Notify(Change{Proc: proc, From: Healthy, To: Degraded, At: time.Unix(1, 0)}) // not subscribed: no decision
	n.Notify(Change{Proc: proc, From: Healthy, To: Unhealthy, Decision: Drain, At: time.Unix(2, 0),
		Reasons: []Reason{{Signal: "stw_max", State: Unhealthy, Detail: "x"}}})
	deadline := time.Now().Add(5 * time.Second)
	for testutil.ToFloat64(n.sent.WithLabelValues("drain")) < 1 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	<-done
	n.Close()
	n.Close()
	if calls.Load() != 3 || len(got) != 1 {
		t.Fatalf("calls %d, payloads %d", calls.Load(), len(got))
	}
	p := got[0]
	if p.Event != "drain" || p.Decision != Drain || p.PID != 7 || p.To != Unhealthy || len(p.Reasons) != 1 || p.Reasons[0].Signal != "stw_max" {
		t.Fatalf("payload %+v", p)
	}
}

func TestWebhookNoRetryOn4xx(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.WriteHeader(http.StatusBadRequest)
	}))
	defer srv.Close()
	n, err := NewNotifier([]Webhook{{URL: srv.URL, MaxRetries: 5, Events: []string{"state"}}}, srv.Client(), slog.New(slog.DiscardHandler), nil)
	if err != nil {
		t.Fatal(err)
	}
	n.SetBackoff(time.Millisecond)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go n.Run(ctx)
	n.Notify(Change{From: Healthy, To: Degraded})
	deadline := time.Now().Add(5 * time.Second)
	for testutil.ToFloat64(n.failed.WithLabelValues("state")) < 1 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if calls.Load() != 1 {
		t.Fatalf("calls %d", calls.Load())
	}
}

func TestWebhookQueueFullDrops(t *testing.T) {
	n, err := NewNotifier([]Webhook{{URL: "http://127.0.0.1:1"}}, nil, slog.New(slog.DiscardHandler), nil)
	if err != nil {
		t.Fatal(err)
	}
	// Run is not started: the queue fills and Notify must not block.
	for range cap(n.queue) + 10 {
		n.Notify(Change{Decision: Drain})
	}
	if got := testutil.ToFloat64(n.dropped.WithLabelValues("drain")); got != 10 {
		t.Fatalf("dropped %g", got)
	}
}

func TestSign(t *testing.T) {
	// HMAC-SHA256("key", "The quick brown fox jumps over the lazy dog"), RFC 4231-style known value.
	const want = "sha256=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"
	if got := Sign("key", []byte("The quick brown fox jumps over the lazy dog")); got != want {
		t.Fatalf("got %s", got)
	}
}
