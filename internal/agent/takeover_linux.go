//go:build linux

package agent

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"time"

	"golang.org/x/sys/unix"
)

// agentLock is the state dir's single-agent lock.
type agentLock struct {
	f   *os.File
	pid string // path of the pid file
}

// acquireAgentLock takes the state dir's lock. When another agent holds it,
// it fails with ErrAgentRunning, or with takeover asks that agent to hand
// over (SIGUSR2) and waits up to wait for the lock.
func acquireAgentLock(ctx context.Context, dir string, takeover bool, wait time.Duration) (*agentLock, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("state dir: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(dir, agentLockFile), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("agent lock: %w", err)
	}
	l := &agentLock{f: f, pid: filepath.Join(dir, agentPIDFile)}
	try := func() (bool, error) {
		err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
		if errors.Is(err, unix.EWOULDBLOCK) {
			return false, nil
		}
		return err == nil, err
	}
	ok, err := try()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("agent lock: %w", err)
	}
	if !ok {
		pid := readPID(l.pid)
		if !takeover {
			f.Close()
			return nil, fmt.Errorf("%w (pid %d, state dir %s): stop it or start with --takeover", ErrAgentRunning, pid, dir)
		}
		if pid <= 0 {
			f.Close()
			return nil, fmt.Errorf("takeover: no pid in %s", l.pid)
		}
		if err := unix.Kill(pid, unix.SIGUSR2); err != nil {
			f.Close()
			return nil, fmt.Errorf("takeover: signal agent pid %d: %w", pid, err)
		}
		deadline := time.Now().Add(wait)
		for !ok {
			if time.Now().After(deadline) {
				f.Close()
				return nil, fmt.Errorf("%w (pid %d, waited %s)", ErrTakeoverTimeout, pid, wait)
			}
			select {
			case <-ctx.Done():
				f.Close()
				return nil, ctx.Err()
			case <-time.After(20 * time.Millisecond):
			}
			if ok, err = try(); err != nil {
				f.Close()
				return nil, fmt.Errorf("agent lock: %w", err)
			}
		}
	}
	if err := os.WriteFile(l.pid, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
		l.release()
		return nil, fmt.Errorf("agent pid file: %w", err)
	}
	return l, nil
}

func readPID(path string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	n, _ := strconv.Atoi(string(bytes.TrimSpace(b)))
	return n
}

// release removes the pid file (when it is still ours) and drops the lock.
func (l *agentLock) release() {
	if l == nil {
		return
	}
	if readPID(l.pid) == os.Getpid() {
		_ = os.Remove(l.pid)
	}
	_ = l.f.Close()
}

// notifyHandover returns a channel that receives when a successor asks this
// agent to hand over, and a function to stop listening.
func notifyHandover() (<-chan os.Signal, func()) {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, unix.SIGUSR2)
	return ch, func() { signal.Stop(ch) }
}

// notifyReload returns a channel that receives SIGHUP (reload the config).
func notifyReload() (<-chan os.Signal, func()) {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, unix.SIGHUP)
	return ch, func() { signal.Stop(ch) }
}
