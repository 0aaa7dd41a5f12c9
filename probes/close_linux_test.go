//go:build linux && (amd64 || arm64)

package probes

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"

	"github.com/gopulse/gopulse/event"
	"testing"
	"time"
)

// copyFile copies src to dst (a new inode), executable.
func copyFile(t testing.TB, src, dst string) {
	t.Helper()
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestManyExecutablesCloseDeadline watches processes of many executables
// (copies of one build: distinct inodes, one Go release) under GC load and
// closes the Manager while they run: Close must finish within a deadline,
// every executable must share one loaded collection, and the analyses must
// be trimmed.
func TestManyExecutablesCloseDeadline(t *testing.T) {
	requireBPF(t)
	const nexe, perExe = 12, 2
	bin := buildTarget(t, "gcload", "", "")
	dir := t.TempDir()
	var pids []int
	for i := 0; i < nexe; i++ {
		p := filepath.Join(dir, fmt.Sprintf("gcload-%d", i))
		copyFile(t, bin, p)
		for j := 0; j < perExe; j++ {
			tg := startTarget(t, p, "-parked", "100")
			pids = append(pids, tg.cmd.Process.Pid)
		}
	}
	m, err := New(Config{}, Deps{Sink: &syncSink{}, Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := m.Run(ctx); err != nil {
			t.Errorf("run: %v", err)
		}
	}()
	start := time.Now()
	for _, pid := range pids {
		if err := m.Watch(pid, false); err != nil {
			t.Fatalf("watch %d: %v", pid, err)
		}
	}
	attach := time.Since(start)
	st := m.Stats()
	m.mu.Lock()
	nexes, ncolls, ninfos := len(m.ps.exes), len(m.at.colls), len(m.an.infos)
	var untrimmed int
	for _, bi := range m.an.infos {
		if _, err := bi.bin.Funcs(); err == nil {
			untrimmed++
		}
	}
	m.mu.Unlock()
	t.Logf("%d processes of %d executables attached in %v: %d probes, %d collections", len(pids), nexe, attach, st.ProbesAttached, ncolls)
	if st.Processes != len(pids) || nexes != nexe || ninfos != nexe {
		t.Errorf("processes %d, executables %d, analyses %d; want %d, %d, %d", st.Processes, nexes, ninfos, len(pids), nexe, nexe)
	}
	if ncolls != 1 {
		t.Errorf("%d collections loaded for one Go release; want 1", ncolls)
	}
	if untrimmed != 0 {
		t.Errorf("%d analyses still hold their symbol tables", untrimmed)
	}
	time.Sleep(500 * time.Millisecond) // GCs run while attached

	cancel()
	wg.Wait()
	done := make(chan error, 1)
	start = time.Now()
	go func() { done <- m.Close() }()
	const deadline = 20 * time.Second
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("close: %v", err)
		}
		t.Logf("closed %d probes in %v", st.ProbesAttached, time.Since(start))
	case <-time.After(deadline):
		t.Fatalf("close did not finish within %v", deadline)
	}
	if got := m.Stats(); got.ProbesAttached != 0 || got.Processes != 0 {
		t.Errorf("stats after close = %+v", got)
	}
	if err := m.Close(); err != nil {
		t.Errorf("second close: %v", err)
	}
}

// TestReapExited: processes that exit are forgotten at the next rescan
// (found by polling their pidfds), with a KindProcExit event each, and
// their executables' probes are detached.
func TestReapExited(t *testing.T) {
	requireBPF(t)
	bin := buildTarget(t, "gcload", "", "")
	keep := startTarget(t, bin, "-parked", "10")
	var dying []*target
	for range 3 {
		dying = append(dying, startTarget(t, bin, "-parked", "10"))
	}
	sink := &syncSink{}
	m := startManager(t, Config{RescanInterval: 100 * time.Millisecond}, Deps{Sink: sink})
	for _, tg := range append(dying, keep) {
		if err := m.Watch(tg.cmd.Process.Pid, false); err != nil {
			t.Fatal(err)
		}
	}
	probes := m.Stats().ProbesAttached
	for _, tg := range dying {
		tg.cmd.Process.Kill()
		tg.cmd.Wait()
	}
	deadline := time.Now().Add(10 * time.Second)
	for m.Stats().Processes != 1 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if st := m.Stats(); st.Processes != 1 || st.ProbesAttached != probes {
		t.Fatalf("after the exits: %+v; want 1 process and %d probes", st, probes)
	}
	exited := map[uint32]bool{}
	for _, e := range sink.events() {
		if e.Kind == event.KindProcExit {
			exited[e.PID] = true
		}
	}
	for _, tg := range dying {
		if !exited[uint32(tg.cmd.Process.Pid)] {
			t.Errorf("no exit event for pid %d", tg.cmd.Process.Pid)
		}
	}
	if exited[uint32(keep.cmd.Process.Pid)] {
		t.Error("the live process was reported exited")
	}
	keep.cmd.Process.Kill()
	keep.cmd.Wait()
	for m.Stats().Processes != 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if st := m.Stats(); st.Processes != 0 || st.ProbesAttached != 0 {
		t.Fatalf("after the last exit: %+v", st)
	}
}
