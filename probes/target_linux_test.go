//go:build linux && amd64

package probes

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/gopulse/gopulse/event"
	"github.com/gopulse/gopulse/internal/privtest"
)

// requireBPF skips (or, on CI, fails) when BPF cannot be used here.
func requireBPF(t testing.TB) {
	t.Helper()
	ok, why := privtest.IsRoot(), "needs root"
	if ok {
		m, err := New(Config{}, Deps{Sink: &syncSink{}})
		if err != nil {
			ok, why = false, err.Error()
		} else {
			m.Close()
		}
	}
	privtest.Require(t, ok, why)
}

var (
	buildMu    sync.Mutex
	buildCache = map[string]string{}
	buildDir   string
)

// buildTarget builds testdata/targets/NAME with the given toolchain
// ("" = the running one) and ldflags, once per test binary. Where no Go
// toolchain is (a test binary run in the QEMU kernel matrix),
// GOPULSE_PREBUILT_TARGETS names a directory holding NAME prebuilt with the
// default toolchain and flags.
func buildTarget(t testing.TB, name, toolchain, ldflags string, flags ...string) string {
	t.Helper()
	if dir := os.Getenv("GOPULSE_PREBUILT_TARGETS"); dir != "" {
		if toolchain != "" || ldflags != "" || len(flags) > 0 {
			t.Fatalf("target %s (%s %s %v) is not prebuilt in %s", name, toolchain, ldflags, flags, dir)
		}
		return filepath.Join(dir, name)
	}
	buildMu.Lock()
	defer buildMu.Unlock()
	key := name + "|" + toolchain + "|" + ldflags + "|" + strings.Join(flags, " ")
	if p, ok := buildCache[key]; ok {
		return p
	}
	if buildDir == "" {
		d, err := os.MkdirTemp("", "gopulse-targets-")
		if err != nil {
			t.Fatal(err)
		}
		buildDir = d
	}
	out := filepath.Join(buildDir, fmt.Sprintf("%s-%d", name, len(buildCache)))
	src, err := filepath.Abs(filepath.Join("..", "testdata", "targets", name))
	if err != nil {
		t.Fatal(err)
	}
	args := []string{"build", "-o", out}
	if ldflags != "" {
		args = append(args, "-ldflags="+ldflags)
	}
	args = append(args, flags...)
	cmd := exec.Command("go", append(args, ".")...)
	cmd.Dir = src
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=-mod=mod")
	if toolchain != "" {
		cmd.Env = append(cmd.Env, "GOTOOLCHAIN="+toolchain)
	}
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build %s (%s): %v\n%s", name, toolchain, err, b)
	}
	buildCache[key] = out
	return out
}

// target is a running testdata/targets/gcload.
type target struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	out   *bufio.Scanner
}

type snapshot struct {
	UnixNS       int64     `json:"unix_ns"`
	GCCycles     uint64    `json:"gc_cycles"`
	PauseCount   uint64    `json:"gc_pause_count"`
	PauseTotalNS uint64    `json:"gc_pause_total_ns"`
	Goroutines   uint64    `json:"goroutines"`
	SchedCounts  []uint64  `json:"sched_counts"`
	SchedBuckets []float64 `json:"sched_buckets"`
}

func startTarget(t testing.TB, path string, args ...string) *target {
	t.Helper()
	cmd := exec.Command(path, args...)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	tg := &target{cmd: cmd, stdin: stdin, out: bufio.NewScanner(stdout)}
	tg.out.Buffer(make([]byte, 1<<20), 1<<20)
	t.Cleanup(func() {
		stdin.Close()
		cmd.Process.Kill()
		cmd.Wait()
	})
	if !tg.out.Scan() || !strings.Contains(tg.out.Text(), "ready") {
		t.Fatalf("target did not start: %q %v", tg.out.Text(), tg.out.Err())
	}
	return tg
}

func (tg *target) mark(t testing.TB) snapshot {
	t.Helper()
	if _, err := io.WriteString(tg.stdin, "mark\n"); err != nil {
		t.Fatalf("signal target: %v", err)
	}
	if !tg.out.Scan() {
		t.Fatalf("read target snapshot: %v", tg.out.Err())
	}
	var s snapshot
	if err := json.Unmarshal(tg.out.Bytes(), &s); err != nil {
		t.Fatalf("decode snapshot %q: %v", tg.out.Text(), err)
	}
	return s
}

// syncSink keeps a copy of every event.
type syncSink struct {
	mu  sync.Mutex
	evs []event.Runtime
}

func (s *syncSink) HandleRuntime(ev *event.Runtime) {
	s.mu.Lock()
	e := *ev
	if ev.Sched != nil {
		h := *ev.Sched
		h.Counts = append([]uint64(nil), h.Counts...)
		e.Sched = &h
	}
	s.evs = append(s.evs, e)
	s.mu.Unlock()
}

func (s *syncSink) events() []event.Runtime {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]event.Runtime(nil), s.evs...)
}

// testLogger logs at debug level through t.Log.
func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type tWriter struct{ t testing.TB }

func (w tWriter) Write(b []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(b)))
	return len(b), nil
}
