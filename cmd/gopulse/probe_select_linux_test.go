//go:build linux && (amd64 || arm64)

package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
	"time"
)

// TestProbeAllSelects: 'gopulse probe --all' with selection flags reports
// the events of the real processes selected and none of the others.
func TestProbeAllSelects(t *testing.T) {
	bin := buildGCLoad(t)
	dir := t.TempDir()
	start := func(name string, args ...string) int {
		p := filepath.Join(dir, name)
		b, err := os.ReadFile(bin)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o755); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(p, append([]string{"-churn=false", "-parked", "4"}, args...)...)
		in, err := cmd.StdinPipe() // gcload runs until its stdin closes
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { in.Close(); cmd.Process.Kill(); cmd.Wait() })
		return cmd.Process.Pid
	}
	api := start("api-1")
	canary := start("api-canary")
	worker := start("worker", "-parked", "12")
	other := start("other")
	var stdout, stderr bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := runProbe(ctx, []string{"--all", "--json", "--duration", "4s",
		"--exe", filepath.Join(dir, "api-*"), "--cmdline", "^" + regexp.QuoteMeta(dir) + "/worker .*-parked 12",
		"--exclude-exe", "*-canary"}, &stdout, &stderr)
	if err != nil {
		t.Fatalf("runProbe: %v\n%s", err, stderr.String())
	}
	gcs := map[int]int{}
	sc := bufio.NewScanner(&stdout)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var ev struct {
			Type string `json:"type"`
			PID  int    `json:"pid"`
		}
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			t.Fatalf("%q: %v", sc.Text(), err)
		}
		if ev.Type == "gc_end" {
			gcs[ev.PID]++
		}
	}
	if gcs[api] == 0 || gcs[worker] == 0 {
		t.Errorf("no GC cycles of the selected processes (api %d, worker %d): %v", api, worker, gcs)
	}
	if gcs[canary] != 0 || gcs[other] != 0 {
		t.Errorf("events of processes not selected (canary %d, other %d): %v", canary, other, gcs)
	}
}
