//go:build linux && amd64

package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gopulse/gopulse/event"
	"github.com/gopulse/gopulse/internal/privtest"
	"github.com/gopulse/gopulse/probes"
)

type nopSink struct{}

func (nopSink) HandleRuntime(*event.Runtime) {}

// TestProbeExecJSON runs 'gopulse probe --json --exec TARGET': the JSON
// contract holds, every GC cycle of the program is seen from its start, the
// program's output goes to stderr and its exit status is returned.
func TestProbeExecJSON(t *testing.T) {
	bin := buildGCLoad(t)
	var stdout, stderr bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := runProbe(ctx, []string{"--json", "--exec", bin, "-work", "600", "-churn=false", "-exit", "3"}, &stdout, &stderr)
	var ee exitError
	if !errors.As(err, &ee) || ee.code != 3 {
		t.Fatalf("runProbe = %v, want exit status 3; stderr:\n%s", err, stderr.String())
	}

	// The program's own report went to stderr.
	var report struct {
		GCCycles uint32 `json:"gc_cycles"`
	}
	for _, line := range strings.Split(stderr.String(), "\n") {
		if strings.HasPrefix(line, `{"elapsed_ns"`) {
			if err := json.Unmarshal([]byte(line), &report); err != nil {
				t.Fatal(err)
			}
		}
	}
	if report.GCCycles < 5 {
		t.Fatalf("program report missing from stderr or too few GCs: %q", stderr.String())
	}

	types := map[string]int{}
	var maxCycle uint32
	sc := bufio.NewScanner(&stdout)
	for sc.Scan() {
		var obj map[string]any
		if err := json.Unmarshal(sc.Bytes(), &obj); err != nil {
			t.Fatalf("invalid JSON line %q: %v", sc.Text(), err)
		}
		typ, _ := obj["type"].(string)
		pid, _ := obj["pid"].(float64)
		ts, _ := obj["ts"].(float64)
		if typ == "" || pid <= 0 || ts < 1e18 {
			t.Fatalf("line without type/pid/ts: %s", sc.Text())
		}
		types[typ]++
		switch typ {
		case "gc_end":
			if c := uint32(obj["cycle"].(float64)); c > maxCycle {
				maxCycle = c
			}
		case "stw":
			reason, _ := obj["reason"].(string)
			if reason == "" || obj["start_ns"] == nil || obj["duration_ns"] == nil {
				t.Fatalf("stw line incomplete: %s", sc.Text())
			}
		}
	}
	t.Logf("event types %v; program counted %d GC cycles, last cycle seen %d", types, report.GCCycles, maxCycle)
	// Attached before the program ran: every cycle from the first is seen
	// (one more may finish between the program's report and its exit).
	if n := uint32(types["gc_end"]); n < report.GCCycles || n > report.GCCycles+1 || maxCycle != n {
		t.Errorf("gc_end events %d (last cycle %d), program counted %d", n, maxCycle, report.GCCycles)
	}
	if types["proc_exit"] != 1 {
		t.Errorf("proc_exit events = %d, want 1", types["proc_exit"])
	}
}

// buildGCLoad checks BPF privileges (skip, or fail on CI) and builds the
// target.
func buildGCLoad(t *testing.T) string {
	t.Helper()
	ok, why := privtest.IsRoot(), "needs root"
	if ok {
		m, err := probes.New(probes.Config{}, probes.Deps{Sink: nopSink{}})
		if err != nil {
			ok, why = false, err.Error()
		} else {
			m.Close()
		}
	}
	privtest.Require(t, ok, why)
	bin := filepath.Join(t.TempDir(), "gcload")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Dir = filepath.Join("..", "..", "testdata", "targets", "gcload")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build target: %v\n%s", err, out)
	}
	return bin
}

// TestProbePIDExits watches a running program by pid: gopulse stops on its
// own once the program has exited, after reporting the exit.
func TestProbePIDExits(t *testing.T) {
	bin := buildGCLoad(t)
	cmd := exec.Command(bin, "-work", "1500", "-churn=false")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var stdout, stderr bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	start := time.Now()
	err := runProbe(ctx, []string{"--json", "--pid", strconv.Itoa(cmd.Process.Pid)}, &stdout, &stderr)
	if err != nil {
		t.Fatalf("runProbe: %v\n%s", err, stderr.String())
	}
	if ctx.Err() != nil {
		t.Fatal("gopulse did not stop after the program exited")
	}
	<-done
	out := stdout.String()
	t.Logf("stopped %v after start; %d bytes of JSON", time.Since(start).Round(time.Millisecond), len(out))
	if !strings.Contains(out, `"type":"gc_end"`) || !strings.Contains(out, `"type":"proc_exit"`) {
		t.Fatalf("missing gc_end or proc_exit in output:\n%.2000s", out)
	}
}
