//go:build linux

package gopulsereceiver

import (
	"bufio"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/receiver/receivertest"

	"github.com/gopulse/gopulse/internal/privtest"
	"github.com/gopulse/gopulse/receiver/gopulsereceiver/internal/metadata"
)

func requireProbes(t *testing.T) {
	t.Helper()
	privtest.Require(t, privtest.IsRoot() && (runtime.GOARCH == "amd64" || runtime.GOARCH == "arm64"),
		"the runtime probes need root on linux/amd64 or arm64")
}

type target struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	out   *bufio.Scanner
}

// startTarget builds and starts testdata/target (a GC-heavy Go program)
// with extra environment variables.
func startTarget(t *testing.T, env ...string) *target {
	t.Helper()
	return startTargetArgs(t, env, nil)
}

func startTargetArgs(t *testing.T, env, args []string) *target {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "target")
	build := exec.Command("go", "build", "-o", bin, "./testdata/target")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build target: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	return &target{cmd: cmd, stdin: stdin, out: bufio.NewScanner(stdout)}
}

// start starts the target's GC work (with -wait).
func (tg *target) start() { io.WriteString(tg.stdin, "start\n") }

// stop stops the target's GC work and returns its own GC count.
func (tg *target) stop(t *testing.T) uint64 {
	t.Helper()
	io.WriteString(tg.stdin, "stop\n")
	if !tg.out.Scan() {
		t.Fatalf("target: %v", tg.out.Err())
	}
	f := strings.Fields(tg.out.Text())
	if len(f) != 2 || f[0] != "gc_cycles" {
		t.Fatalf("target said %q", tg.out.Text())
	}
	n, err := strconv.ParseUint(f[1], 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func lastResource(sink *consumertest.MetricsSink, pid int) (pmetric.ResourceMetrics, bool) {
	all := sink.AllMetrics()
	for i := len(all) - 1; i >= 0; i-- {
		if rm, ok := resourceOf(all[i], int64(pid)); ok {
			return rm, true
		}
	}
	return pmetric.ResourceMetrics{}, false
}

// TestRealTargetSemconv attaches the real probes, through the factory, to
// a real Go program started before the receiver, next to a configured pid
// that is not a Go program and one that does not exist: the Go program is
// served with every semconv Go runtime metric (pinned definitions), its
// go.memory.gc.cycles ends equal to the program's own count, and the other
// two are reported in the component status.
func TestRealTargetSemconv(t *testing.T) {
	requireProbes(t)
	tg := startTarget(t, "GOMEMLIMIT=512MiB", "GOGC=150")
	sleep := exec.Command("sleep", "600")
	if err := sleep.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sleep.Process.Kill(); sleep.Wait() })
	time.Sleep(500 * time.Millisecond) // the target runs GCs before the receiver attaches

	pid := tg.cmd.Process.Pid
	f := NewFactory()
	cfg := f.CreateDefaultConfig().(*Config)
	cfg.DiscoverAll = false
	cfg.PIDs = []int{pid, sleep.Process.Pid, 4_000_000}
	cfg.CollectionInterval = 200 * time.Millisecond
	cfg.SampleInterval = 100 * time.Millisecond
	sink := new(consumertest.MetricsSink)
	r, err := f.CreateMetrics(context.Background(), receivertest.NewNopSettings(metadata.Type), cfg, sink)
	if err != nil {
		t.Fatal(err)
	}
	host := newStatusHost()
	if err := r.Start(context.Background(), host); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := r.Shutdown(context.Background()); err != nil {
			t.Error(err)
		}
	}()

	waitFor(t, "a permanent error for the two bad pids", func() bool { return host.find(componentstatus.StatusPermanentError) != nil })
	st := host.find(componentstatus.StatusPermanentError).Err().Error()
	if !strings.Contains(st, "target pid "+strconv.Itoa(sleep.Process.Pid)) || !strings.Contains(st, "target pid 4000000") ||
		strings.Contains(st, "target pid "+strconv.Itoa(pid)+":") {
		t.Errorf("status: %s", st)
	}

	// Every semconv metric, including the GC pauses (a GC after attach).
	deadline := time.Now().Add(60 * time.Second)
	var ms map[string]pmetric.Metric
	for {
		if rm, ok := lastResource(sink, pid); ok {
			ms = metricsOf(rm)
			if len(ms) >= len(semconvMetrics(t)) {
				if _, ok := ms[metadata.MetricGoMemoryGcPauseDuration]; ok {
					break
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 60s: %d metrics for pid %d", len(ms), pid)
		}
		time.Sleep(100 * time.Millisecond)
	}
	checkSemconv(t, ms)

	want := tg.stop(t)
	var got int64
	deadline = time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if rm, ok := lastResource(sink, pid); ok {
			got = metricsOf(rm)[metadata.MetricGoMemoryGcCycles].Sum().DataPoints().At(0).IntValue()
			if uint64(got) == want {
				break
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	if uint64(got) != want {
		t.Fatalf("go.memory.gc.cycles %d, the target's /gc/cycles/total:gc-cycles %d", got, want)
	}
	rm, _ := lastResource(sink, pid)
	attrs := rm.Resource().Attributes()
	for _, k := range []string{"service.name", "service.instance.id", "process.executable.name", "process.runtime.version", "host.name"} {
		if v, ok := attrs.Get(k); !ok || v.Str() == "" {
			t.Errorf("resource attribute %s missing", k)
		}
	}
	if v, _ := attrs.Get("process.runtime.version"); v.Str() != runtime.Version() {
		t.Errorf("process.runtime.version %q, want %s", v.Str(), runtime.Version())
	}
	if v := ms[metadata.MetricGoMemoryLimit].Sum().DataPoints().At(0); v.IntValue() != 512<<20 {
		t.Errorf("go.memory.limit %d, want GOMEMLIMIT=512MiB", v.IntValue())
	}
	if v := ms[metadata.MetricGoConfigGogc].Sum().DataPoints().At(0).IntValue(); v != 150 {
		t.Errorf("go.config.gogc %d, want GOGC=150", v)
	}
	t.Logf("go.memory.gc.cycles = %d = the target's own count; %d metrics", got, len(ms))
}
