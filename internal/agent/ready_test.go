package agent

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gopulse/gopulse/event"
	"github.com/gopulse/gopulse/internal/config"
	"github.com/gopulse/gopulse/internal/exporters/delivery"
	"github.com/gopulse/gopulse/internal/pipeline"
)

func serve(a *Agent, path string) (int, string) {
	rr := httptestRecorder()
	a.Handler().ServeHTTP(rr, mustReq(path))
	return rr.Code, rr.Body.String()
}

// /readyz fails while the agent drops data, and says why. Before, with a
// small queue and a failing Loki most lines were dropped as queue_full and
// readiness never changed.
func TestAgentNotReadyWhileDropping(t *testing.T) {
	var accept atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		if !accept.Load() {
			http.Error(w, "ingester unavailable", http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	dir := t.TempDir()
	logFile := filepath.Join(dir, "app.log")
	os.WriteFile(logFile, nil, 0o644)
	cfg, err := config.Parse("t.yaml", []byte(`listen: 127.0.0.1:0
state_dir: `+dir+`/state
logs: {paths: ["`+dir+`/*.log"], poll_interval: 20ms}
exporters:
  loki: {endpoints: [{url: "`+srv.URL+`/loki/api/v1/push"}], queue: {max_bytes: 1MiB}}
`), nil)
	if err != nil {
		t.Fatal(err)
	}
	a, err := New(cfg, Deps{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	a.dropWindow = time.Second
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	defer func() {
		cancel()
		<-done
		a.Close()
	}()
	if code, body := serve(a, "/readyz"); code != 200 {
		t.Fatalf("readyz at start: %d %s", code, body)
	}
	// Far more lines than the 1 MiB queue holds, while Loki refuses them.
	f, err := os.OpenFile(logFile, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	// Random padding: the pushes are compressed, repeated bytes would fit.
	rng := rand.New(rand.NewPCG(1, 2))
	var b strings.Builder
	for i := range 20000 {
		fmt.Fprintf(&b, `{"level":"info","msg":"request served","n":%d,"pad":"%016x%016x%016x%016x%016x%016x"}`+"\n", i,
			rng.Uint64(), rng.Uint64(), rng.Uint64(), rng.Uint64(), rng.Uint64(), rng.Uint64())
	}
	if _, err := f.WriteString(b.String()); err != nil {
		t.Fatal(err)
	}
	f.Close()
	var body string
	waitUntil(t, "readyz to report the drops", 30*time.Second, func() bool {
		var code int
		code, body = serve(a, "/readyz")
		return code == 503 && strings.Contains(body, "loki: dropping data") && strings.Contains(body, "(queue_full)")
	})
	t.Logf("readyz: %s", body)
	if _, m := serve(a, "/metrics"); !strings.Contains(m, "gopulse_agent_ready 0") {
		t.Error("gopulse_agent_ready is not 0 while dropping")
	}
	// Loki recovers: the backlog drains, no more drops, ready again.
	accept.Store(true)
	waitUntil(t, "readyz to recover", 30*time.Second, func() bool {
		code, b := serve(a, "/readyz")
		body = b
		return code == 200
	})
}

// Lost runtime events (BPF ring buffer) make the agent not ready for a
// window after they were seen.
func TestAgentNotReadyWhileLosingEvents(t *testing.T) {
	cfg := testConfig(t)
	src := &lossySource{}
	a, err := New(cfg, Deps{Logger: slog.New(slog.DiscardHandler),
		NewRuntimeSource: func(event.RuntimeSink, *pipeline.Resolver) (RuntimeSource, error) { return src, nil }})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	a.dropWindow = 200 * time.Millisecond
	if code, body := serve(a, "/readyz"); code != 200 {
		t.Fatalf("%d %s", code, body)
	}
	src.lost.Store(12)
	if code, body := serve(a, "/readyz"); code != 503 || !strings.Contains(body, "probes: dropping data: 12 runtime events lost") {
		t.Fatalf("%d %s", code, body)
	}
	waitUntil(t, "ready after the window", 5*time.Second, func() bool {
		code, _ := serve(a, "/readyz")
		return code == 200
	})
}

type lossySource struct{ lost atomic.Uint64 }

func (s *lossySource) Run(ctx context.Context) error { <-ctx.Done(); return nil }
func (s *lossySource) Close() error                  { return nil }
func (s *lossySource) Stats() SourceStats {
	return SourceStats{ProbesAttached: 3, Processes: 1, EventsLost: s.lost.Load()}
}

// Every configured exporter's counters exist at zero from start-up, for
// every known reason. Before, gopulse_exporter_dropped_total appeared only
// with the first drop.
func TestAgentExporterMetricsAtStartup(t *testing.T) {
	dir := t.TempDir()
	cfg, err := config.Parse("t.yaml", []byte(`listen: 127.0.0.1:0
state_dir: `+dir+`/state
logs: {paths: []}
exporters:
  prometheus: {remote_write: {endpoints: [{url: "http://127.0.0.1:9/api/v1/write"}]}}
  loki: {endpoints: [{url: "http://127.0.0.1:9/loki/api/v1/push"}]}
  jaeger: {endpoints: [{url: "http://127.0.0.1:9/v1/traces"}]}
`), nil)
	if err != nil {
		t.Fatal(err)
	}
	a, err := New(cfg, Deps{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	_, m := serve(a, "/metrics")
	for _, ex := range []string{"prometheus_remote_write", "loki", "jaeger"} {
		want := []string{
			`gopulse_exporter_sent_total{exporter="` + ex + `"} 0`,
			`gopulse_exporter_queue_bytes{exporter="` + ex + `"} 0`,
		}
		for _, r := range delivery.FailReasons {
			want = append(want, `gopulse_exporter_failed_total{exporter="`+ex+`",reason="`+r+`"} 0`)
		}
		for _, r := range delivery.DropReasons {
			want = append(want, `gopulse_exporter_dropped_total{exporter="`+ex+`",reason="`+r+`"} 0`)
		}
		for _, w := range want {
			if !strings.Contains(m, w+"\n") {
				t.Errorf("/metrics lacks %s", w)
			}
		}
	}
}

func waitUntil(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
