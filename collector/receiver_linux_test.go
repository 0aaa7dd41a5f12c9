//go:build linux

package gopulsereceiver

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/receiver/receivertest"

	"github.com/gopulse/gopulse/collector/internal/metadata"
	"github.com/gopulse/gopulse/internal/privtest"
)

func requireProbes(t *testing.T) {
	t.Helper()
	privtest.Require(t, privtest.IsRoot() && runtime.GOARCH == "amd64", "the runtime probes need root on linux/amd64")
}

// startTarget builds and starts testdata/target, a Go program that runs GC
// cycles continuously.
func startTarget(t *testing.T) int {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "target")
	build := exec.Command("go", "build", "-o", bin, "./testdata/target")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build target: %v\n%s", err, out)
	}
	cmd := exec.Command(bin)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	return cmd.Process.Pid
}

// TestRealProbes attaches the real probes to a real Go program through the
// factory, and checks the GC and pause metrics that come out.
func TestRealProbes(t *testing.T) {
	requireProbes(t)
	pid := startTarget(t)

	f := NewFactory()
	cfg := f.CreateDefaultConfig().(*Config)
	cfg.DiscoverAll = false
	cfg.PIDs = []int{pid}
	cfg.CollectionInterval = 200 * time.Millisecond
	sink := new(consumertest.MetricsSink)
	r, err := f.CreateMetrics(context.Background(), receivertest.NewNopSettings(metadata.Type), cfg, sink)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Start(context.Background(), componenttest.NewNopHost()); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := r.Shutdown(context.Background()); err != nil {
			t.Error(err)
		}
	}()

	var last pmetric.Metrics
	var cycles, goroutines int64
	var gcPauses, schedCount uint64
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) && (cycles < 3 || gcPauses < 3 || goroutines == 0 || schedCount == 0) {
		time.Sleep(250 * time.Millisecond)
		all := sink.AllMetrics()
		if len(all) == 0 {
			continue
		}
		last = all[len(all)-1]
		rms := last.ResourceMetrics()
		for i := 0; i < rms.Len(); i++ {
			if p, _ := rms.At(i).Resource().Attributes().Get("process.pid"); p.Int() != int64(pid) {
				continue
			}
			ms := metricsByName(rms.At(i))
			if m, ok := ms[metadata.MetricGCCycles]; ok {
				cycles = m.Sum().DataPoints().At(0).IntValue()
			}
			if m, ok := ms[metadata.MetricGoroutineCount]; ok {
				goroutines = m.Sum().DataPoints().At(0).IntValue()
			}
			if m, ok := ms[metadata.MetricScheduleDuration]; ok {
				schedCount = m.Histogram().DataPoints().At(0).Count()
			}
			gcPauses = 0
			if m, ok := ms[metadata.MetricSTWPause]; ok {
				dps := m.Histogram().DataPoints()
				for j := 0; j < dps.Len(); j++ {
					if r, _ := dps.At(j).Attributes().Get("reason"); r.Str() == "gc_sweep_termination" || r.Str() == "gc_mark_termination" {
						gcPauses += dps.At(j).Count()
					}
				}
			}
		}
	}
	if cycles < 3 || gcPauses < 3 || goroutines == 0 || schedCount == 0 {
		t.Fatalf("after 30s for pid %d: %d GC cycles, %d GC pauses, %d goroutines, %d scheduling samples",
			pid, cycles, gcPauses, goroutines, schedCount)
	}
	rms := last.ResourceMetrics()
	for i := 0; i < rms.Len(); i++ {
		attrs := rms.At(i).Resource().Attributes()
		if p, _ := attrs.Get("process.pid"); p.Int() != int64(pid) {
			continue
		}
		exe, _ := attrs.Get("process.executable.path")
		ver, _ := attrs.Get("process.runtime.version")
		if filepath.Base(exe.Str()) != "target" || ver.Str() != runtime.Version() {
			t.Errorf("resource: exe %q, version %q (want %s)", exe.Str(), ver.Str(), runtime.Version())
		}
	}
}

// TestRealProbesLifecycle starts and shuts down two receivers in turn (the
// BPF objects of the first must be released), shuts one down twice, and
// one without Start.
func TestRealProbesLifecycle(t *testing.T) {
	requireProbes(t)
	f := NewFactory()
	cfg := f.CreateDefaultConfig().(*Config)
	cfg.PIDs = []int{os.Getpid()}
	cfg.DiscoverAll = false
	set := receivertest.NewNopSettings(metadata.Type)
	ctx := context.Background()

	r, err := f.CreateMetrics(ctx, set, cfg, consumertest.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown without Start: %v", err)
	}
	for i := 0; i < 2; i++ {
		r, err := f.CreateMetrics(ctx, set, cfg, consumertest.NewNop())
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Start(ctx, componenttest.NewNopHost()); err != nil {
			t.Fatalf("Start %d: %v", i, err)
		}
		if err := r.Shutdown(ctx); err != nil {
			t.Fatalf("Shutdown %d: %v", i, err)
		}
		if err := r.Shutdown(ctx); err != nil {
			t.Fatalf("second Shutdown %d: %v", i, err)
		}
	}
}
