//go:build linux

package agent

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

func TestAgentLock(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	l, err := acquireAgentLock(ctx, dir, false, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := readPID(filepath.Join(dir, agentPIDFile)); got != os.Getpid() {
		t.Fatalf("pid file holds %d, want %d", got, os.Getpid())
	}
	if _, err := acquireAgentLock(ctx, dir, false, 0); !errors.Is(err, ErrAgentRunning) {
		t.Fatalf("second agent without --takeover: %v, want ErrAgentRunning", err)
	}

	// A holder that does not hand over: the takeover times out.
	sleeper := exec.Command("sleep", "30")
	if err := sleeper.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { sleeper.Process.Kill(); sleeper.Wait() }()
	if err := os.WriteFile(filepath.Join(dir, agentPIDFile), []byte(strconv.Itoa(sleeper.Process.Pid)), 0o644); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if _, err := acquireAgentLock(ctx, dir, true, 200*time.Millisecond); !errors.Is(err, ErrTakeoverTimeout) {
		t.Fatalf("takeover of a holder that never releases: %v, want ErrTakeoverTimeout", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("timeout took %s", d)
	}

	l.release()
	l2, err := acquireAgentLock(ctx, dir, false, 0)
	if err != nil {
		t.Fatalf("after release: %v", err)
	}
	l2.release()
	if _, err := os.Stat(filepath.Join(dir, agentPIDFile)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("pid file left after release: %v", err)
	}
}
