//go:build linux && (amd64 || arm64)

package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gopulse/gopulse/internal/agent"
	"github.com/gopulse/gopulse/internal/privtest"
	"github.com/gopulse/gopulse/probes"
)

// gcStepsSrc is a target whose GC count is known exactly: it stays idle
// (no allocation, so no GC) until "start", then forces GC cycles as fast as
// it can until "stop", and prints the runtime's own cycle count both times.
const gcStepsSrc = `package main

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

var sink [][]byte

func main() {
	in := bufio.NewScanner(os.Stdin)
	var stop atomic.Bool
	var wg sync.WaitGroup
	for in.Scan() {
		switch in.Text() {
		case "start":
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			fmt.Println("start", ms.NumGC)
			wg.Add(1)
			go func() {
				defer wg.Done()
				for !stop.Load() {
					sink = append(sink[:0], make([]byte, 64<<10))
					runtime.GC()
					time.Sleep(200 * time.Microsecond)
				}
			}()
		case "stop":
			stop.Store(true)
			wg.Wait()
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			fmt.Println("stop", ms.NumGC)
		}
	}
}
`

// TestTakeoverAgentProcess is not a test: TestAgentTakeover runs this test
// binary as a gopulse agent process through it.
func TestTakeoverAgentProcess(t *testing.T) {
	if os.Getenv("GOPULSE_TEST_AGENT_PROCESS") != "1" {
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	args := strings.Split(os.Getenv("GOPULSE_TEST_AGENT_ARGS"), "\x1f")
	err := run(ctx, args, os.Stdin, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "gopulse:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

// TestAgentTakeover is the hot upgrade: agent A watches a GC-heavy target,
// agent B starts with --takeover while the target collects garbage
// hundreds of times a second, A must exit, B must serve /metrics with
// gopulse_go_gc_cycles_total equal to the target's own GC count (the
// counter is the runtime's count since the process started: none lost in
// the handover, no reset), and
// when B stops normally nothing stays pinned.
func TestAgentTakeover(t *testing.T) {
	probe, err := probes.New(probes.Config{}, probes.Deps{Logger: slog.New(slog.DiscardHandler), Sink: agentNopSink{}})
	privtest.Require(t, err == nil, "cannot load BPF programs: "+errString(err))
	probe.Close()

	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(gcStepsSrc), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module gcsteps\n\ngo 1.21\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "gcsteps")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Dir = dir
	build.Env = append(os.Environ(), "GOTOOLCHAIN=local", "GOWORK=off", "GOFLAGS=")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build target: %v\n%s", err, out)
	}
	target := exec.Command(bin)
	stdin, _ := target.StdinPipe()
	stdout, _ := target.StdoutPipe()
	if err := target.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { target.Process.Kill(); target.Wait() })
	lines := bufio.NewScanner(stdout)
	readCount := func(word string) uint64 {
		t.Helper()
		if !lines.Scan() {
			t.Fatalf("target: no %q line: %v", word, lines.Err())
		}
		f := strings.Fields(lines.Text())
		if len(f) != 2 || f[0] != word {
			t.Fatalf("target: got %q, want %q N", lines.Text(), word)
		}
		n, err := strconv.ParseUint(f[1], 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}

	stateDir := t.TempDir()
	pinDir := fmt.Sprintf("/sys/fs/bpf/gopulse-test-%d", os.Getpid())
	t.Cleanup(func() { os.RemoveAll(pinDir) })
	pid := fmt.Sprintf(`pid="%d"`, target.Process.Pid)

	addrA, addrB := freeAddr(t), freeAddr(t)
	a := startAgentProcess(t, stateDir, "--listen", addrA, "--pin-dir", pinDir)
	waitMetric(t, addrA, "gopulse_go_info{", pid, 60*time.Second, nil)
	fmt.Fprintln(stdin, "start")
	start := readCount("start")
	time.Sleep(1500 * time.Millisecond)
	waitMetric(t, addrA, "gopulse_go_gc_cycles_total{", pid, 5*time.Second, func(v uint64) bool {
		t.Logf("A before takeover: %d", v)
		return true
	})
	b := startAgentProcess(t, stateDir, "--takeover", "--listen", addrB, "--pin-dir", pinDir, "--log-level", "debug")
	aDone := make(chan error, 1)
	go func() { aDone <- a.Wait() }()
	select {
	case err := <-aDone:
		if err != nil {
			t.Fatalf("agent A: %v\n%s", err, a.logs())
		}
	case <-time.After(60 * time.Second):
		t.Fatalf("agent A did not exit after the takeover\nA:\n%s\nB:\n%s", a.logs(), b.logs())
	}
	if !strings.Contains(a.logs(), "handed over") {
		t.Fatalf("agent A exited without handing over:\n%s", a.logs())
	}
	waitMetric(t, addrB, "gopulse_go_gc_cycles_total{", pid, 60*time.Second, func(v uint64) bool {
		t.Logf("B first: %d", v)
		return true
	})
	time.Sleep(1500 * time.Millisecond) // cycles counted by B alone
	fmt.Fprintln(stdin, "stop")
	end := readCount("stop")
	want := end
	if end-start < 100 {
		t.Fatalf("target ran only %d GC cycles: not a stress of the handover", end-start)
	}
	var got uint64
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) && got < want {
		waitMetric(t, addrB, "gopulse_go_gc_cycles_total{", pid, 5*time.Second, func(v uint64) bool {
			got = v
			return true
		})
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond)
	waitMetric(t, addrB, "gopulse_go_gc_cycles_total{", pid, 5*time.Second, func(v uint64) bool {
		got = v
		return true
	})
	if got != want {
		t.Fatalf("gopulse_go_gc_cycles_total after the takeover = %d, the target ran %d cycles (%d→%d)\n%s\nA:\n%s\nB:\n%s",
			got, want, start, end, metricLines(addrB, "gopulse_agent_events_lost_total", "gopulse_pipeline_dropped_total"), a.logs(), b.logs())
	}
	t.Logf("takeover: %d GC cycles counted across the handover, as the target's own count", got)
	for _, l := range strings.Split(a.logs()+b.logs(), "\n") {
		if strings.Contains(l, "takeover requested") || strings.Contains(l, "handed over") ||
			strings.Contains(l, "agent running") || strings.Contains(l, "took over") {
			t.Log(l)
		}
	}
	if _, err := os.Stat(agent.HandoverPath(stateDir)); err == nil {
		t.Errorf("handover file not consumed by B")
	}

	// A normal shutdown detaches and unpins everything.
	b.Process.Signal(syscall.SIGTERM)
	bDone := make(chan error, 1)
	go func() { bDone <- b.Wait() }()
	select {
	case err := <-bDone:
		if err != nil {
			t.Fatalf("agent B: %v\n%s", err, b.logs())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("agent B did not stop\n%s", b.logs())
	}
	if ents, err := os.ReadDir(pinDir); err == nil && len(ents) > 0 {
		t.Fatalf("pins left in %s after a normal shutdown: %v", pinDir, ents)
	}
}

type agentProcess struct {
	*exec.Cmd
	log string
}

func (a *agentProcess) logs() string {
	b, _ := os.ReadFile(a.log)
	return string(b)
}

func startAgentProcess(t *testing.T, stateDir string, args ...string) *agentProcess {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestTakeoverAgentProcess$")
	cmd.Env = append(os.Environ(), "GOPULSE_TEST_AGENT_PROCESS=1",
		"GOPULSE_TEST_AGENT_ARGS="+strings.Join(append([]string{"agent"}, args...), "\x1f"),
		"GOPULSE_STATE_DIR="+stateDir)
	logf, err := os.CreateTemp(t.TempDir(), "agent-*.log")
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		logf.Close()
	})
	return &agentProcess{Cmd: cmd, log: logf.Name()}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// waitMetric polls addr's /metrics until a sample of name (a prefix such as
// `gopulse_go_info{`) carrying label exists and ok accepts its value.
func waitMetric(t *testing.T, addr, name, label string, timeout time.Duration, ok func(uint64) bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	last := "no answer"
	for time.Now().Before(deadline) {
		resp, err := http.Get("http://" + addr + "/metrics")
		if err != nil {
			last = err.Error()
			time.Sleep(100 * time.Millisecond)
			continue
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		last = "series absent"
		for _, line := range strings.Split(string(body), "\n") {
			if !strings.HasPrefix(line, name) || !strings.Contains(line, label) {
				continue
			}
			i := strings.LastIndexByte(line, ' ')
			v, err := strconv.ParseFloat(line[i+1:], 64)
			if err != nil {
				t.Fatalf("bad sample %q", line)
			}
			last = line
			if ok == nil || ok(uint64(v)) {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s: no %s%s… sample accepted in %s (last: %s)", addr, name, label, timeout, last)
}

// metricLines returns the samples of addr's /metrics whose names start with
// one of prefixes (for failure messages).
func metricLines(addr string, prefixes ...string) string {
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		return err.Error()
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var out []string
	for _, line := range strings.Split(string(body), "\n") {
		for _, p := range prefixes {
			if strings.HasPrefix(line, p) {
				out = append(out, line)
			}
		}
	}
	return strings.Join(out, "\n")
}
