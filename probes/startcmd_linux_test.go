//go:build linux && (amd64 || arm64)

package probes

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// lockedBuffer is a log destination safe for the Manager's goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startChild starts the gcload target at path with StartCommand and waits
// until it is ready.
func startChild(t *testing.T, m *Manager, path string) (*target, error) {
	t.Helper()
	return launchTarget(t, exec.Command(path, "-parked", "300"), func(c *exec.Cmd) error { return m.StartCommand(c, false) })
}

func statKey(t *testing.T, path string) exeKey {
	t.Helper()
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		t.Fatal(err)
	}
	return exeKey{dev: st.Dev, ino: st.Ino}
}

// TestStartCommandChildIdentity: a program started by StartCommand is
// watched with the executable StartCommand prepared before the fork (one
// analysis, probes attached through the real path), whatever identity its
// /proc/PID/exe reports. The matrix once saw (trixie-arm64, --exec) the
// child's /proc/PID/exe identity missing from the prepared executables:
// the child was analysed and attached a second time through /proc/PID/exe,
// which under emulation outlasted the check's window, and the attach
// failed on the exited child. Here the identity the Manager reads is
// altered for the child (Manager.exeOf) to inject that condition.
func TestStartCommandChildIdentity(t *testing.T) {
	requireBPF(t)
	bin := buildTarget(t, "gcload", "", "")
	other := buildTarget(t, "gcload", "", "-s -w") // another build of the same program

	// run starts bin as a child with exeOf altered by alter (nil: as is)
	// and returns the Manager, the child (nil when StartCommand failed)
	// and StartCommand's error.
	run := func(t *testing.T, alter func(pid int, path string, key exeKey) (string, exeKey)) (*Manager, *target, *syncSink, *lockedBuffer, error) {
		var logs lockedBuffer
		sink := &syncSink{}
		log := slog.New(slog.NewTextHandler(io.MultiWriter(&logs, tWriter{t}), &slog.HandlerOptions{Level: slog.LevelDebug}))
		m := startManager(t, Config{}, Deps{Sink: sink, Logger: log})
		if alter != nil {
			m.mu.Lock()
			m.exeOf = func(pid int) (string, exeKey, error) {
				path, key, err := procExe(pid)
				if err != nil {
					return path, key, err
				}
				path, key = alter(pid, path, key)
				return path, key, nil
			}
			m.mu.Unlock()
		}
		tg, err := startChild(t, m, bin)
		return m, tg, sink, &logs, err
	}
	// exact checks that the child is watched once, with the executable
	// prepared from bin, and that its GC cycles and pauses are exact (a
	// second set of probes on the same file would report each twice).
	exact := func(t *testing.T, m *Manager, tg *target, sink *syncSink) {
		t.Helper()
		m.mu.Lock()
		nexe, ninfo := len(m.ps.exes), len(m.an.infos)
		var path string
		for _, x := range m.ps.exes {
			path = x.path
		}
		m.mu.Unlock()
		if nexe != 1 || ninfo != 1 || path != bin {
			t.Errorf("%d executables prepared, %d analysed, attached through %q; want 1, 1, %q", nexe, ninfo, path, bin)
		}
		if got := m.Stats().Processes; got != 1 {
			t.Errorf("%d processes watched, want 1", got)
		}
		a := tg.mark(t)
		b := tg.holdAfterCycles(t, a, windowCycles)
		tg.resume(t)
		m.Flush()
		checkWindow(t, sink.events(), a, b)
	}

	t.Run("same identity", func(t *testing.T) {
		m, tg, sink, logs, err := run(t, nil)
		if err != nil {
			t.Fatalf("StartCommand: %v", err)
		}
		exact(t, m, tg, sink)
		if strings.Contains(logs.String(), "another identity") {
			t.Errorf("identity warning for a child that runs the prepared file")
		}
	})

	t.Run("other identity, same build", func(t *testing.T) {
		var child int
		m, tg, sink, logs, err := run(t, func(pid int, path string, key exeKey) (string, exeKey) {
			child = pid
			key.ino++ // same file (and build), another identity
			return path, key
		})
		if err != nil {
			t.Fatalf("StartCommand: %v", err)
		}
		exact(t, m, tg, sink)
		l := logs.String()
		if n := strings.Count(l, "another identity"); n != 1 {
			t.Errorf("%d identity warnings, want 1 naming both identities", n)
		}
		want := statKey(t, bin)
		for _, kv := range []string{"pid=" + strconv.Itoa(child), "prepared_ino=" + strconv.FormatUint(want.ino, 10),
			"proc_ino=" + strconv.FormatUint(want.ino+1, 10)} {
			if !strings.Contains(l, kv) {
				t.Errorf("identity warning lacks %s", kv)
			}
		}
	})

	// What the matrix saw (trixie-arm64 under QEMU): right after Start
	// returned, the child's /proc/PID/exe still named gopulse's own
	// executable (here the test binary's). The watch waits for the exec
	// to show; it neither analyses the parent's executable nor fails.
	t.Run("exec not visible yet", func(t *testing.T) {
		calls := 0
		m, tg, sink, logs, err := run(t, func(pid int, path string, key exeKey) (string, exeKey) {
			if calls++; calls <= 3 {
				p, k, err := procExe(os.Getpid())
				if err != nil {
					t.Error(err)
				}
				return p, k
			}
			return path, key
		})
		if err != nil {
			t.Fatalf("StartCommand: %v", err)
		}
		exact(t, m, tg, sink)
		l := logs.String()
		if strings.Contains(l, "another identity") || !strings.Contains(l, "exec became visible") {
			t.Errorf("want the wait logged (debug), no identity warning:\n%s", l)
		}
	})

	// The child's identity (and build) is another program's, while the
	// path still names the prepared file: no guess, a clear error.
	t.Run("another program", func(t *testing.T) {
		otherKey := statKey(t, other)
		m, _, _, _, err := run(t, func(pid int, path string, key exeKey) (string, exeKey) {
			return other, otherKey
		})
		if !errors.Is(err, ErrExeChanged) {
			t.Fatalf("StartCommand: %v, want ErrExeChanged", err)
		}
		t.Logf("message: %v", err)
		m.mu.Lock()
		defer m.mu.Unlock()
		if len(m.an.infos) != 1 {
			t.Errorf("%d executables analysed, want 1 (no analysis of the other program)", len(m.an.infos))
		}
	})

	// The file at the path was replaced between StartCommand's stat and
	// the exec: the child's executable is the path's new file, prepared
	// through the path.
	t.Run("replaced at the path", func(t *testing.T) {
		dir := t.TempDir()
		path := dir + "/gcload"
		b, err := os.ReadFile(bin)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, b, 0o755); err != nil {
			t.Fatal(err)
		}
		bin := path
		var logs lockedBuffer
		m := startManager(t, Config{}, Deps{Sink: &syncSink{}, Logger: slog.New(slog.NewTextHandler(io.MultiWriter(&logs, tWriter{t}), nil))})
		m.mu.Lock()
		m.exeOf = func(pid int) (string, exeKey, error) {
			// Replace the file now (the child runs the old one): the
			// child is made to look as if it ran the new one.
			b, err := os.ReadFile(other)
			if err == nil {
				err = os.WriteFile(dir+"/new", b, 0o755)
			}
			if err == nil {
				err = os.Rename(dir+"/new", bin)
			}
			if err != nil {
				return "", exeKey{}, err
			}
			return bin, statKey(t, bin), nil
		}
		m.mu.Unlock()
		if _, err := startChild(t, m, bin); err != nil {
			t.Fatalf("StartCommand: %v", err)
		}
		m.mu.Lock()
		var p *watchedProc
		for _, q := range m.ps.procs {
			p = q
		}
		nexe := len(m.ps.exes)
		m.mu.Unlock()
		if p == nil || p.exe.key != statKey(t, bin) || p.exe.path != bin || nexe != 2 {
			t.Errorf("child watched with %+v (%d executables), want the replacement at %s", p, nexe, bin)
		}
		if !strings.Contains(logs.String(), "executable replaced") {
			t.Errorf("no warning that the executable was replaced")
		}
	})
}

// TestStartCommandChildExitsEarly: a child that exits before it is
// watched is reported as ErrProcessExited, not as an attach error.
func TestStartCommandChildExitsEarly(t *testing.T) {
	requireBPF(t)
	bin := buildTarget(t, "gcload", "", "")
	m := startManager(t, Config{}, Deps{Sink: &syncSink{}})
	m.mu.Lock()
	m.exeOf = func(pid int) (string, exeKey, error) {
		syscall.Kill(pid, syscall.SIGKILL)
		for {
			if _, err := procStartTime(pid); err != nil {
				break // a zombie: its owner has not waited for it yet
			}
			time.Sleep(time.Millisecond)
		}
		return procExe(pid)
	}
	m.mu.Unlock()
	_, err := startChild(t, m, bin)
	if !errors.Is(err, ErrProcessExited) {
		t.Fatalf("StartCommand: %v, want ErrProcessExited", err)
	}
}
