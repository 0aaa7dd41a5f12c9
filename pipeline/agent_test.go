package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gopulse/gopulse/config"
	"github.com/gopulse/gopulse/event"
	"github.com/gopulse/gopulse/health"
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
	a, err := NewAgent(cfg, AgentDeps{Logger: slog.New(slog.DiscardHandler),
		NewRuntimeSource: func(sink event.RuntimeSink, _ *Resolver) (RuntimeSource, error) { src.sink = sink; return src, nil }})
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
	a, err := NewAgent(cfg, AgentDeps{Logger: slog.New(slog.DiscardHandler),
		NewRuntimeSource: func(event.RuntimeSink, *Resolver) (RuntimeSource, error) {
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
