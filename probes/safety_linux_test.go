//go:build linux && (amd64 || arm64)

package probes

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gopulse/gopulse/event"
	"github.com/gopulse/gopulse/probes/gobin"
)

// fdSummary counts this process's open fds and, among them, perf events
// and BPF links/programs/maps.
func fdSummary(t testing.TB) (total, perf, bpf int) {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		l, err := os.Readlink(filepath.Join("/proc/self/fd", e.Name()))
		if err != nil {
			continue
		}
		total++
		switch {
		case strings.Contains(l, "perf_event"):
			perf++
		case strings.Contains(l, "bpf"):
			bpf++
		}
	}
	return total, perf, bpf
}

// TestAttachDetachCycles attaches to and detaches from a target under GC
// load 200 times: the target must keep running and no fd (perf event, BPF
// link, program or map) may leak.
func TestAttachDetachCycles(t *testing.T) {
	requireBPF(t)
	bin := buildTarget(t, "gcload", "", "")
	tg := startTarget(t, bin, "-parked", "100")
	pid := tg.cmd.Process.Pid
	sink := &syncSink{}
	m := startManager(t, Config{}, Deps{Sink: sink})

	// Warm up once so lazily opened fds (e.g. cilium/ebpf's feature probes)
	// are not counted as leaks.
	if err := m.Watch(pid, false); err != nil {
		t.Fatal(err)
	}
	m.Unwatch(pid)
	total0, perf0, bpf0 := fdSummary(t)
	a := tg.mark(t)
	start := time.Now()
	const cycles = 200
	for i := 0; i < cycles; i++ {
		if err := m.Watch(pid, false); err != nil {
			t.Fatalf("cycle %d: watch: %v", i, err)
		}
		if st := m.Stats(); st.ProbesAttached == 0 || st.Processes != 1 {
			t.Fatalf("cycle %d: stats after attach = %+v", i, st)
		}
		time.Sleep(2 * time.Millisecond) // let GCs happen while attached
		m.Unwatch(pid)
		if st := m.Stats(); st.ProbesAttached != 0 || st.Processes != 0 {
			t.Fatalf("cycle %d: stats after detach = %+v", i, st)
		}
	}
	elapsed := time.Since(start)
	b := tg.mark(t) // the target still answers
	total1, perf1, bpf1 := fdSummary(t)
	t.Logf("%d cycles in %v; fds %d→%d, perf %d→%d, bpf %d→%d; target ran %d GCs meanwhile",
		cycles, elapsed, total0, total1, perf0, perf1, bpf0, bpf1, b.GCCycles-a.GCCycles)
	if total1 != total0 || perf1 != perf0 || bpf1 != bpf0 {
		t.Errorf("fd leak: total %d→%d, perf %d→%d, bpf %d→%d", total0, total1, perf0, perf1, bpf0, bpf1)
	}
	if err := tg.cmd.Process.Signal(syscall.Signal(0)); err != nil {
		t.Fatalf("target died: %v", err)
	}
	if b.GCCycles == a.GCCycles {
		t.Error("target made no GC progress during the cycles")
	}
	var stw int
	for _, e := range sink.events() {
		if e.Kind == event.KindSTW {
			stw++
		}
	}
	if stw == 0 {
		t.Error("no STW event seen across the cycles")
	}
}

// TestBadInput: each case gives a clear error and harms neither side.
func TestBadInput(t *testing.T) {
	requireBPF(t)
	m := startManager(t, Config{}, Deps{Sink: &syncSink{}})

	t.Run("non-go process", func(t *testing.T) {
		cmd := exec.Command("sleep", "30")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		defer func() { cmd.Process.Kill(); cmd.Wait() }()
		err := m.Watch(cmd.Process.Pid, false)
		if !errors.Is(err, gobin.ErrNotGo) {
			t.Fatalf("err = %v, want ErrNotGo", err)
		}
		t.Logf("message: %v", err)
		if err := cmd.Process.Signal(syscall.Signal(0)); err != nil {
			t.Fatalf("target died: %v", err)
		}
	})

	t.Run("never-existing pid", func(t *testing.T) {
		if _, err := os.Stat("/proc/4000000"); err == nil {
			t.Skip("pid 4000000 exists here")
		}
		err := m.Watch(4000000, false)
		if !errors.Is(err, ErrNoProcess) || !strings.Contains(err.Error(), "no such process") || strings.Contains(err.Error(), "exited") {
			t.Fatalf("err = %v, want ErrNoProcess saying no such process", err)
		}
	})

	t.Run("exited process", func(t *testing.T) {
		bin := buildTarget(t, "gcload", "", "")
		cmd := exec.Command(bin, "-work", "1")
		if err := cmd.Run(); err != nil {
			t.Fatal(err)
		}
		err := m.Watch(cmd.Process.Pid, false)
		if !errors.Is(err, ErrProcessExited) {
			t.Fatalf("err = %v, want ErrProcessExited", err)
		}
		t.Logf("message: %v", err)
	})

	t.Run("exits mid-attach", func(t *testing.T) {
		bin := buildTarget(t, "gcload", "", "")
		for i := 0; i < 20; i++ {
			cmd := exec.Command(bin, "-work", "2")
			cmd.Stdout = nil
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			// Kill it at varying points of the attach.
			go func(d time.Duration) {
				time.Sleep(d)
				cmd.Process.Kill()
			}(time.Duration(i) * 500 * time.Microsecond)
			err := m.Watch(cmd.Process.Pid, false)
			cmd.Wait()
			if err != nil && !errors.Is(err, ErrProcessExited) {
				t.Fatalf("try %d: err = %v, want nil or ErrProcessExited", i, err)
			}
			m.Unwatch(cmd.Process.Pid)
		}
		if st := m.Stats(); st.ProbesAttached != 0 || st.Processes != 0 {
			t.Fatalf("left attached: %+v", st)
		}
	})

	t.Run("no symbols and no pclntab", func(t *testing.T) {
		src := buildTarget(t, "gcload", "", "-s -w")
		dst := filepath.Join(t.TempDir(), "nosyms")
		out, err := exec.Command("objcopy", "--remove-section=.gopclntab", src, dst).CombinedOutput()
		if err != nil {
			t.Fatalf("objcopy: %v\n%s", err, out)
		}
		err = m.StartCommand(exec.Command(dst), false)
		if !errors.Is(err, gobin.ErrNoSymbols) {
			t.Fatalf("err = %v, want ErrNoSymbols", err)
		}
		t.Logf("message: %v", err)
	})

	// A Go version the table does not know, stripped, gets its offsets
	// from its own code (TestGroundTruth/unknown-version-stripped); when
	// that code does not match the known patterns either (here: a function
	// the offsets are read from is renamed), the watch fails clearly.
	t.Run("unknown go version without dwarf, unknown code", func(t *testing.T) {
		src := buildTarget(t, "gcload", "", "-s -w")
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		ver := []byte(runtimeVersion(t, src))
		fake := []byte("go1.99")
		fake = append(fake, ver[len(fake):]...) // same length: go1.99.8 for go1.26.8
		s := strings.ReplaceAll(string(b), string(ver), string(fake))
		s = strings.ReplaceAll(s, "runtime.printcreatedby\x00", "runtime.printcreatedbz\x00")
		dst := filepath.Join(t.TempDir(), "future")
		if err := os.WriteFile(dst, []byte(s), 0o755); err != nil {
			t.Fatal(err)
		}
		tg := startTarget(t, dst)
		err = m.Watch(tg.cmd.Process.Pid, false)
		if !errors.Is(err, gobin.ErrUnknownOffsets) {
			t.Fatalf("err = %v, want ErrUnknownOffsets", err)
		}
		t.Logf("message: %v", err)
		tg.mark(t) // the target is fine
	})
}

func runtimeVersion(t testing.TB, path string) string {
	t.Helper()
	b, err := gobin.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	return b.GoVersion
}
