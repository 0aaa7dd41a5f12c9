package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gopulse/gopulse/event"
)

type agentNopSink struct{}

func (agentNopSink) HandleRuntime(*event.Runtime) {}

func TestConfigValidateCommand(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(good, []byte("listen: 127.0.0.1:9999\nlogs: {paths: [/var/log/*.log]}\n"), 0o644)
	os.WriteFile(bad, []byte("listen: 127.0.0.1:9999\nlogz: {}\nhealth:\n  window: 10\n  stw_p99: {degraded: 1s, unhealthy: 1ms}\n"), 0o644)
	var out, errb bytes.Buffer
	if err := run(context.Background(), []string{"config", "validate", good}, nil, &out, &errb); err != nil {
		t.Fatalf("%v: %s", err, errb.String())
	}
	if out.String() != good+": ok\n" {
		t.Fatalf("out %q", out.String())
	}
	out.Reset()
	err := run(context.Background(), []string{"config", "validate", good, bad}, nil, &out, &errb)
	var ee exitError
	if !errors.As(err, &ee) || ee.code != 1 {
		t.Fatalf("err = %v", err)
	}
	msg := errb.String()
	for _, w := range []string{bad + ": 3 problems:", bad + ":2:1: logz: unknown key \"logz\" (did you mean \"logs\"?)", bad + ":4:11: health.window: want a duration",
		bad + ":5:12: health.stw_p99: want 0 < degraded ≤ unhealthy"} {
		if !strings.Contains(msg, w) {
			t.Errorf("missing %q in\n%s", w, msg)
		}
	}
	// type problems do not hide value problems; the file is rejected whole
	if strings.Contains(out.String(), bad) {
		t.Errorf("bad file reported ok: %s", out.String())
	}
}

func TestConfigDefaultCommand(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"config", "default"}, nil, &out, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "/var/log/pods/**/*.log") {
		t.Fatalf("out %s", out.String())
	}
}

func TestAgentBadConfig(t *testing.T) {
	f := filepath.Join(t.TempDir(), "c.yaml")
	os.WriteFile(f, []byte("probes: {mode: turbo}\n"), 0o644)
	var out bytes.Buffer
	err := run(context.Background(), []string{"agent", "--config", f}, nil, &out, &out)
	if err == nil || !strings.Contains(err.Error(), `c.yaml:1:16: probes.mode: want default, trace or off, got "turbo"`) {
		t.Fatalf("err = %v", err)
	}
}
