//go:build linux && (amd64 || arm64)

package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
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

// TestProbeExecStopsChildWithSIGTERM: when --duration ends, the program
// gets SIGTERM (a Go program dies of it: gopulse then exits 0), not SIGKILL
// (exit status 137).
func TestProbeExecStopsChildWithSIGTERM(t *testing.T) {
	bin := buildGCLoad(t)
	var stdout, stderr bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	// -work: runs far longer than --duration (without it, the program
	// would stop at the end of its stdin).
	err := runProbe(ctx, []string{"--json", "--duration", "2s", "--exec", bin, "-churn=false", "-work", "100000000"}, &stdout, &stderr)
	if err != nil {
		t.Fatalf("runProbe = %v (want nil: the program ended by the SIGTERM sent to it); stderr:\n%s", err, stderr.String())
	}
	if !strings.Contains(stdout.String(), `"type":"proc_exit"`) {
		t.Fatalf("no proc_exit in output:\n%.2000s", stdout.String())
	}
}

// TestProbeExecChildDiesWithGopulse: kill -9 of gopulse takes the --exec
// program with it (Pdeathsig).
func TestProbeExecChildDiesWithGopulse(t *testing.T) {
	target := buildGCLoad(t)
	gp := filepath.Join(t.TempDir(), "gopulse")
	if out, err := exec.Command("go", "build", "-o", gp, ".").CombinedOutput(); err != nil {
		t.Fatalf("build gopulse: %v\n%s", err, out)
	}
	cmd := exec.Command(gp, "probe", "--json", "--exec", target, "-churn=false")
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	// Files, not writers: Wait must not wait for the program's copy of
	// the output pipe to close.
	cmd.Stdout, cmd.Stderr = null, null
	// The program runs until its stdin (gopulse's) ends: keep it open (a
	// pipe of our own: Wait closes a StdinPipe).
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pw.Close()
	defer pr.Close()
	cmd.Stdin = pr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	child := 0
	for deadline := time.Now().Add(30 * time.Second); child == 0; {
		if time.Now().After(deadline) {
			t.Fatal("the --exec program did not start")
		}
		child = childOf(cmd.Process.Pid, target)
		time.Sleep(20 * time.Millisecond)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if _, err := procStartTicks(child); err != nil {
			break // gone (or a zombie reaped by init)
		}
		if time.Now().After(deadline) {
			syscall.Kill(child, syscall.SIGKILL)
			t.Fatalf("the --exec program (pid %d) outlived gopulse's kill -9", child)
		}
	}
}

// childOf returns the pid of a child of parent running exe, or 0.
func childOf(parent int, exe string) int {
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", parent))
	for _, f := range tasks {
		b, _ := os.ReadFile(f)
		for _, s := range strings.Fields(string(b)) {
			pid, _ := strconv.Atoi(s)
			if l, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid)); err == nil && l == exe {
				return pid
			}
		}
	}
	return 0
}

// procStartTicks fails once pid is gone or a zombie.
func procStartTicks(pid int) (uint64, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:])) // f[0] is field 3 (state)
	if len(f) < 20 || f[0] == "Z" {
		return 0, os.ErrNotExist
	}
	return strconv.ParseUint(f[19], 10, 64)
}
