package agent

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang/snappy"
	"github.com/grafana/loki/pkg/push"

	"github.com/gopulse/gopulse/event"
	"github.com/gopulse/gopulse/internal/config"
	"github.com/gopulse/gopulse/internal/health"
	"github.com/gopulse/gopulse/internal/pipeline"
	"github.com/gopulse/gopulse/internal/version"
)

// synthSource stands for the probes: it emits long STW pauses for one pid.
type synthSource struct {
	sink  event.RuntimeSink
	pid   uint32
	stats SourceStats
}

func (s *synthSource) Run(ctx context.Context) error {
	t := time.NewTicker(10 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			s.sink.HandleRuntime(&event.Runtime{Kind: event.KindSTW, PID: s.pid, DurationNS: int64(300 * time.Millisecond), Reason: event.STWGOMAXPROCS})
			s.sink.HandleRuntime(&event.Runtime{Kind: event.KindSample, PID: s.pid, Goroutines: 5})
		}
	}
}
func (s *synthSource) Close() error       { return nil }
func (s *synthSource) Stats() SourceStats { return s.stats }

func testConfig(t *testing.T) *config.Config {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "app.log"), nil, 0o644)
	src := `listen: 127.0.0.1:0
state_dir: ` + dir + `/state
logs: {paths: ["` + dir + `/*.log"]}
health: {window: 200ms, worsen_after: 2, recover_after: 2}
`
	cfg, err := config.Parse("t.yaml", []byte(src), nil)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestAgentServesHealthAndMetrics(t *testing.T) {
	cfg := testConfig(t)
	src := &synthSource{pid: uint32(os.Getpid()), stats: SourceStats{ProbesAttached: 12, Processes: 1}}
	a, err := New(cfg, Deps{Logger: slog.New(slog.DiscardHandler),
		NewRuntimeSource: func(sink event.RuntimeSink, _ *pipeline.Resolver) (RuntimeSource, error) {
			src.sink = sink
			return src, nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	addr, err := a.Listen()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- a.Run(ctx) }()
	base := "http://" + addr.String()

	if code, body := get(t, base+"/healthz"); code != 200 || body != "ok\n" {
		t.Fatalf("healthz %d %q", code, body)
	}
	if code, _ := get(t, base+"/readyz"); code != 200 {
		t.Fatalf("readyz %d", code)
	}
	var rep health.Report
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		_, body := get(t, base+"/v1/health")
		if err := json.Unmarshal([]byte(body), &rep); err != nil {
			t.Fatal(err)
		}
		if rep.Unhealthy == 1 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if rep.Unhealthy != 1 || rep.Processes[0].Decision != health.Drain || rep.Processes[0].Exe == "" {
		t.Fatalf("report %+v", rep)
	}
	_, metrics := get(t, base+"/metrics")
	for _, name := range []string{"gopulse_health_state{", "gopulse_failover_decisions_total{", "gopulse_agent_probes_attached 12",
		"gopulse_agent_events_lost_total 0", "gopulse_pipeline_queue_depth{sink=\"health\"}", "process_resident_memory_bytes",
		"go_goroutines", "gopulse_tail_files 1", "gopulse_agent_ready 1", "gopulse_go_stw_pause_seconds_bucket{"} {
		if !strings.Contains(metrics, name) {
			t.Errorf("/metrics lacks %s", name)
		}
	}
	if v := version.Get(); !strings.Contains(metrics, `gopulse_build_info{goarch="`+runtime.GOARCH+`",goversion="`+v.GoVersion+`",revision="`+v.Revision+`",version="`+v.Version+`"} 1`) {
		t.Error("no gopulse_build_info with the build's version")
	}
	if !strings.Contains(metrics, `decision="drain",exe=`) {
		t.Error("no drain decision series")
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	a.Close()
	a.Close()
}

func TestAgentNotReadyWithoutProbes(t *testing.T) {
	cfg := testConfig(t)
	a, err := New(cfg, Deps{Logger: slog.New(slog.DiscardHandler),
		NewRuntimeSource: func(event.RuntimeSink, *pipeline.Resolver) (RuntimeSource, error) {
			return nil, errors.New("load bpf: operation not permitted")
		},
		ReadyChecks: []ReadyCheck{{Name: "loki", Check: func() error { return errors.New("3 consecutive push failures") }}},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	rr := httptestRecorder()
	a.Handler().ServeHTTP(rr, mustReq("/readyz"))
	if rr.Code != 503 || !strings.Contains(rr.Body.String(), "operation not permitted") || !strings.Contains(rr.Body.String(), "loki: 3 consecutive") {
		t.Fatalf("%d %s", rr.Code, rr.Body)
	}
	rr = httptestRecorder()
	a.Handler().ServeHTTP(rr, mustReq("/healthz"))
	if rr.Code != 200 {
		t.Fatalf("healthz %d", rr.Code)
	}
}

// Log lines reach a Loki endpoint and GC events a Jaeger OTLP endpoint,
// through the delivery queues.
func TestAgentExportsToBackends(t *testing.T) {
	var lokiPosts, otlpPosts atomic.Int32
	var mu sync.Mutex
	metadata := map[string]string{} // structured metadata of the pushed entries
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/loki/api/v1/push":
			if r.Header.Get("Content-Type") == "application/x-protobuf" {
				body, _ := io.ReadAll(r.Body)
				var req push.PushRequest
				if raw, err := snappy.Decode(nil, body); err == nil && req.Unmarshal(raw) == nil {
					mu.Lock()
					for _, st := range req.Streams {
						for _, en := range st.Entries {
							for _, l := range en.StructuredMetadata {
								metadata[l.Name] = l.Value
							}
						}
					}
					mu.Unlock()
				}
				lokiPosts.Add(1)
			}
		case "/v1/traces":
			otlpPosts.Add(1)
		}
		io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	dir := t.TempDir()
	logFile := filepath.Join(dir, "app.log")
	os.WriteFile(logFile, nil, 0o644)
	cfg, err := config.Parse("t.yaml", []byte(`listen: 127.0.0.1:0
state_dir: `+dir+`/state
logs: {paths: ["`+dir+`/*.log"], poll_interval: 50ms}
exporters:
  loki: {endpoints: [{url: "`+srv.URL+`/loki/api/v1/push"}], queue: {max_bytes: 4MiB}}
  jaeger: {endpoints: [{url: "`+srv.URL+`/v1/traces"}], queue: {max_bytes: 4MiB}}
`), nil)
	if err != nil {
		t.Fatal(err)
	}
	pid := uint32(os.Getpid())
	a, err := New(cfg, Deps{Logger: slog.New(slog.DiscardHandler),
		NewRuntimeSource: func(sink event.RuntimeSink, _ *pipeline.Resolver) (RuntimeSource, error) {
			return &gcSource{sink: sink, pid: pid}, nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	time.Sleep(200 * time.Millisecond)
	appendFile(t, logFile, `{"level":"error","msg":"payment failed","order":17}`+"\n")
	deadline := time.Now().Add(15 * time.Second)
	for (lokiPosts.Load() == 0 || otlpPosts.Load() == 0) && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	a.Close()
	if lokiPosts.Load() == 0 || otlpPosts.Load() == 0 {
		t.Fatalf("loki posts %d, otlp posts %d", lokiPosts.Load(), otlpPosts.Load())
	}
	// The parsed fields go to Loki as structured metadata.
	mu.Lock()
	if metadata["order"] != "17" || metadata["level"] != "error" {
		t.Errorf("structured metadata %v: want order=17 and level=error", metadata)
	}
	mu.Unlock()
	rr := httptestRecorder()
	a.Handler().ServeHTTP(rr, mustReq("/metrics"))
	for _, w := range []string{`gopulse_exporter_sent_total{exporter="loki"`, `gopulse_exporter_sent_total{exporter="jaeger"`} {
		if !strings.Contains(rr.Body.String(), w) {
			t.Errorf("/metrics lacks %s", w)
		}
	}
}

// gcSource emits one GC cycle every 20ms.
type gcSource struct {
	sink event.RuntimeSink
	pid  uint32
}

func (s *gcSource) Run(ctx context.Context) error {
	var cycle uint32
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(20 * time.Millisecond):
		}
		cycle++
		now := time.Now().UnixNano()
		for _, ev := range []event.Runtime{
			{Kind: event.KindGCStart, PID: s.pid, Cycle: cycle, TS: now},
			{Kind: event.KindSTW, PID: s.pid, Cycle: cycle, StartNS: now, DurationNS: 50_000, Reason: event.STWGCSweepTermination},
			{Kind: event.KindSTW, PID: s.pid, Cycle: cycle, StartNS: now + 1e6, DurationNS: 60_000, Reason: event.STWGCMarkTermination},
			{Kind: event.KindGCEnd, PID: s.pid, Cycle: cycle, TS: now + 1e6, StartNS: now, DurationNS: 1e6, SweepTermNS: 50_000, MarkNS: 890_000, MarkTermNS: 60_000},
		} {
			s.sink.HandleRuntime(&ev)
		}
	}
}
func (s *gcSource) Close() error       { return nil }
func (s *gcSource) Stats() SourceStats { return SourceStats{ProbesAttached: 1, Processes: 1} }
