//go:build linux && (amd64 || arm64)

package probes

import (
	"bufio"
	"bytes"
	"debug/buildinfo"
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
	"time"

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
// toolchain is (a test binary run in a QEMU VM of another architecture),
// GOPULSE_PREBUILT_TARGETS names a directory holding the targets prebuilt,
// named by prebuiltName.
func buildTarget(t testing.TB, name, toolchain, ldflags string, flags ...string) string {
	t.Helper()
	if dir := os.Getenv("GOPULSE_PREBUILT_TARGETS"); dir != "" {
		p := filepath.Join(dir, prebuiltName(name, toolchain, ldflags, flags...))
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("target %s (toolchain %q, ldflags %q, flags %v) is not prebuilt: %v", name, toolchain, ldflags, flags, err)
		}
		return p
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

// prebuiltName names a prebuilt target: NAME, then -TOOLCHAIN when not
// the default, -stripped for -ldflags='-s -w', -pie for -buildmode=pie
// (e.g. gcload-go1.21.13-stripped).
func prebuiltName(name, toolchain, ldflags string, flags ...string) string {
	if toolchain != "" {
		name += "-" + toolchain
	}
	switch ldflags {
	case "":
	case "-s -w":
		name += "-stripped"
	default:
		name += "-ldflags=" + strings.ReplaceAll(ldflags, " ", "_")
	}
	for _, f := range flags {
		if f == "-buildmode=pie" {
			name += "-pie"
		} else {
			name += "-" + strings.TrimLeft(f, "-")
		}
	}
	return name
}

// withGoVersion copies bin with its Go version (in the build information
// and runtime.buildVersion) replaced by an unknown one of the same length,
// go1.99.N: a release no table knows.
func withGoVersion(t testing.TB, bin string) (path, version string) {
	t.Helper()
	raw, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	bi, err := buildinfo.Read(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	v := bi.GoVersion
	_, rest, _ := strings.Cut(strings.TrimPrefix(v, "go1."), ".")
	fake := "go1.99." + rest
	if len(fake) != len(v) || !bytes.Contains(raw, []byte(v)) {
		t.Fatalf("cannot replace %q in %s", v, bin)
	}
	out := filepath.Join(t.TempDir(), filepath.Base(bin)+"-go1.99")
	if err := os.WriteFile(out, bytes.ReplaceAll(raw, []byte(v), []byte(fake)), 0o755); err != nil {
		t.Fatal(err)
	}
	return out, fake
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
	tg, err := launchTarget(t, exec.Command(path, args...), (*exec.Cmd).Start)
	if err != nil {
		t.Fatal(err)
	}
	return tg
}

// launchTarget starts cmd (a gcload target) with start, stops it at the
// end of the test and waits until it is ready. start's error is returned.
func launchTarget(t testing.TB, cmd *exec.Cmd, start func(*exec.Cmd) error) (*target, error) {
	t.Helper()
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	err = start(cmd)
	if cmd.Process != nil {
		t.Cleanup(func() {
			stdin.Close()
			cmd.Process.Kill()
			cmd.Wait()
		})
	}
	if err != nil {
		return nil, err
	}
	tg := &target{cmd: cmd, stdin: stdin, out: bufio.NewScanner(stdout)}
	tg.out.Buffer(make([]byte, 1<<20), 1<<20)
	if !tg.out.Scan() || !strings.Contains(tg.out.Text(), "ready") {
		t.Fatalf("target did not start: %q %v", tg.out.Text(), tg.out.Err())
	}
	return tg, nil
}

// holdAfterCycles waits until the target has run n GC cycles since a (a
// window of so many cycles, however fast the machine), then holds it (see
// hold).
func (tg *target) holdAfterCycles(t testing.TB, a snapshot, n uint64) snapshot {
	t.Helper()
	deadline := time.Now().Add(5 * time.Minute)
	for {
		time.Sleep(100 * time.Millisecond)
		b := tg.mark(t)
		if b.GCCycles-a.GCCycles >= n {
			return tg.hold(t)
		}
		if time.Now().After(deadline) {
			t.Fatalf("the target ran %d GC cycles in 5 minutes, want %d", b.GCCycles-a.GCCycles, n)
		}
	}
}

// hold quiesces the target and returns its snapshot; it stays quiet until
// resume.
func (tg *target) hold(t testing.TB) snapshot {
	t.Helper()
	return tg.command(t, "hold")
}

// peek reads the target's accounting again without changing anything.
func (tg *target) peek(t testing.TB) snapshot {
	t.Helper()
	return tg.command(t, "peek")
}

func (tg *target) resume(t testing.TB) {
	t.Helper()
	if _, err := io.WriteString(tg.stdin, "resume\n"); err != nil {
		t.Fatalf("signal target: %v", err)
	}
}

func (tg *target) mark(t testing.TB) snapshot {
	t.Helper()
	return tg.command(t, "mark")
}

func (tg *target) command(t testing.TB, cmd string) snapshot {
	t.Helper()
	if _, err := io.WriteString(tg.stdin, cmd+"\n"); err != nil {
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
