package agent

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gopulse/gopulse/event"
	"github.com/gopulse/gopulse/internal/config"
	"github.com/gopulse/gopulse/internal/health"
	"github.com/gopulse/gopulse/internal/pipeline"
)

// The agent serves its checks: HAProxy's agent-check on its own address and
// GET /v1/check/NAME, for a process found by pid or by its listening port.
func TestAgentServesChecks(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0") // this process "listens" like a backend
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	pid := os.Getpid()
	dir := t.TempDir()
	cfg, err := config.Parse("t.yaml", []byte(fmt.Sprintf(`listen: 127.0.0.1:0
state_dir: %s/state
logs: {paths: []}
health: {window: 200ms, worsen_after: 2, recover_after: 2}
checks:
  - {name: by-pid, agent_check: "127.0.0.1:0", pid: %d}
  - {name: by-port, agent_check: "127.0.0.1:0", port: %d}
  - {name: nobody, port: 9}
`, dir, pid, ln.Addr().(*net.TCPAddr).Port)), nil)
	if err != nil {
		t.Fatal(err)
	}
	src := &synthSource{pid: uint32(pid), stats: SourceStats{ProbesAttached: 1, Processes: 1}}
	a, err := New(cfg, Deps{Logger: slog.New(slog.DiscardHandler),
		NewRuntimeSource: func(sink event.RuntimeSink, _ *pipeline.Resolver) (RuntimeSource, error) {
			src.sink = sink
			return src, nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Listen(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	defer func() {
		cancel()
		<-done
		a.Close()
	}()
	agentLine := func(name string) string {
		conn, err := net.Dial("tcp", a.CheckAddr(name).String())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(5 * time.Second))
		l, err := bufio.NewReader(conn).ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	// The synthetic source makes this process unhealthy (300ms pauses).
	waitUntil(t, "both checks to drain", 10*time.Second, func() bool {
		return strings.HasPrefix(agentLine("by-pid"), "drain") && strings.HasPrefix(agentLine("by-port"), "drain")
	})
	if code, body := serve(a, "/v1/check/by-port"); code != 503 || !strings.Contains(body, fmt.Sprintf("critical: drain: pid %d stw", pid)) {
		t.Errorf("http check: %d %q", code, body)
	}
	if code, body := serve(a, "/v1/check/nobody"); code != 503 || !strings.Contains(body, "no watched process listens on port 9") {
		t.Errorf("nobody: %d %q", code, body)
	}
	if code, _ := serve(a, "/v1/check/none"); code != 404 {
		t.Errorf("unknown check: %d", code)
	}
	if _, m := serve(a, "/metrics"); !strings.Contains(m, `gopulse_failover_check_answers_total{answer="drain",check="by-pid",protocol="agent"}`) {
		t.Error("no answer metrics")
	}
}

// An agent-check address that cannot be bound fails Listen, naming the check.
func TestAgentCheckListenError(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	cfg, err := config.Parse("t.yaml", []byte(fmt.Sprintf(`listen: 127.0.0.1:0
state_dir: %s/state
logs: {paths: []}
checks: [{name: api, agent_check: "%s", pid: 1}]
`, t.TempDir(), busy.Addr())), nil)
	if err != nil {
		t.Fatal(err)
	}
	a, err := New(cfg, Deps{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if _, err := a.Listen(); err == nil || !strings.Contains(err.Error(), "check api: agent-check listen") {
		t.Fatalf("err = %v", err)
	}
}

// A successor started with the handed-over verdicts answers the checks
// with them at once (a drained backend stays drained, no "unknown" gap);
// verdicts of processes that exited meanwhile are not taken.
func TestAgentResumesHandedOverVerdicts(t *testing.T) {
	pid := os.Getpid()
	dir := t.TempDir()
	cfg, err := config.Parse("t.yaml", []byte(fmt.Sprintf(`listen: 127.0.0.1:0
state_dir: %s/state
logs: {paths: []}
checks: [{name: me, pid: %d}, {name: gone, pid: 999999999}]
`, dir, pid)), nil)
	if err != nil {
		t.Fatal(err)
	}
	h := &Handover{Version: HandoverVersion, Health: []health.Saved{
		{PID: pid, State: health.Unhealthy, Drained: true, Measured: 9, Windows: 9,
			Reasons: []health.Reason{{Signal: "stw_max", State: health.Unhealthy, Detail: "longest stop-the-world pause 600ms ≥ 500ms"}}},
		{PID: 999999999, State: health.Healthy, Measured: 9, Windows: 9},
	}}
	file := filepath.Join(dir, "handover.json")
	if err := WriteHandover(file, h); err != nil {
		t.Fatal(err)
	}
	if h, err = ReadHandover(file); err != nil {
		t.Fatal(err)
	}
	a, err := New(cfg, Deps{Logger: slog.New(slog.DiscardHandler), Handover: h})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if code, body := serve(a, "/v1/check/me"); code != 503 || !strings.Contains(body, "stw_max") {
		t.Errorf("me: %d %q", code, body)
	}
	if code, body := serve(a, "/v1/check/gone"); code != 503 || !strings.Contains(body, "no watched process with pid 999999999") {
		t.Errorf("gone: %d %q", code, body)
	}
	if code, _ := serve(a, fmt.Sprintf("/v1/health?pid=%d", pid)); code != 503 {
		t.Errorf("/v1/health: %d", code)
	}
}
