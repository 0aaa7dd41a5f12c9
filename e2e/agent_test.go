//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"
)

// lockedBuffer collects a child's output.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// realAgent is `gopulse agent` (built from ./cmd/gopulse) running next to a
// real Go target (./gctarget) that it probes.
type realAgent struct {
	addr      string
	targetPID int
	service   string // the target's service name: its executable's base name, unique per test
	out       *lockedBuffer
}

// startRealAgent builds and starts a GC-heavy Go target and the agent,
// serving on listen with exportersYAML (the `exporters:` section, indented
// by two spaces, may be empty) and a state dir in a temp dir. Both are
// stopped at cleanup (the agent with SIGINT, so it flushes its queues).
// The agent needs root for its uprobes: without root the test is skipped,
// or fails on CI.
func startRealAgent(t *testing.T, listen, exportersYAML string) *realAgent {
	t.Helper()
	if os.Geteuid() != 0 {
		if os.Getenv("CI") == "true" {
			t.Fatal("the agent attaches uprobes and needs root on CI")
		}
		t.Skip("the agent attaches uprobes and needs root")
	}
	bin := buildBinary(t, "../cmd/gopulse")
	dir := t.TempDir()
	service := uniq("e2e-gctarget")
	target := filepath.Join(dir, service)
	if err := os.Rename(buildBinary(t, "./gctarget"), target); err != nil {
		t.Fatal(err)
	}

	tgt := exec.Command(target)
	if err := tgt.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tgt.Process.Kill(); tgt.Wait() })

	cfg := fmt.Sprintf(`listen: %s
state_dir: %s
probes:
  mode: default
  sample_interval: 1s
  min_age: 1s
logs:
  paths: []
kubernetes:
  enabled: false
exporters:
%s`, listen, filepath.Join(dir, "state"), exportersYAML)
	cfgFile := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(cfgFile, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	out := &lockedBuffer{}
	agent := exec.Command(bin, "agent", "--config", cfgFile, "--listen", listen)
	agent.Stdout, agent.Stderr = out, out
	if err := agent.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- agent.Wait() }()
	t.Cleanup(func() {
		agent.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(30 * time.Second):
			agent.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("agent output:\n%s", out.String())
		}
	})
	a := &realAgent{addr: listen, targetPID: tgt.Process.Pid, service: service, out: out}
	// Fail fast when the agent exits (bad config, no BPF…).
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		select {
		case err := <-exited:
			exited <- err
			t.Fatalf("the agent exited: %v\n%s", err, out.String())
		case <-ctx.Done():
			t.Fatalf("the agent did not serve /readyz or /metrics on %s\n%s", listen, out.String())
		case <-time.After(250 * time.Millisecond):
		}
		resp, err := http.Get("http://" + listen + "/healthz")
		if err != nil {
			continue // not listening yet
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			return a
		}
	}
}

// freeAddr returns a loopback address that was free a moment ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func (a *realAgent) pid() string { return strconv.Itoa(a.targetPID) }
