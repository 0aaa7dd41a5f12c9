package probes

import (
	"os"
	"path/filepath"
	"testing"
)

func TestProcStatParsing(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "uptime"), []byte("1234.56 2000.00\n"), 0o644)
	os.MkdirAll(filepath.Join(dir, "42"), 0o755)
	// the command name may hold spaces and parentheses
	stat := "42 (my (odd) prog) S 1 42 42 0 -1 4194560 100 0 0 0 5 3 0 0 20 0 8 0 123400 1000000 200 18446744073709551615\n"
	os.WriteFile(filepath.Join(dir, "42", "stat"), []byte(stat), 0o644)
	os.MkdirAll(filepath.Join(dir, "43"), 0o755)
	os.WriteFile(filepath.Join(dir, "43", "stat"), []byte("43 (z) Z 1 43 43 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 99 0 0 0\n"), 0o644)
	up, err := uptimeTicks(dir)
	if err != nil || up != 123456 {
		t.Fatalf("uptime %d %v", up, err)
	}
	if st, ok := startTicks(dir, 42); !ok || st != 123400 {
		t.Fatalf("start %d %v", st, ok)
	}
	if _, ok := startTicks(dir, 43); ok {
		t.Fatal("zombie accepted")
	}
	if _, ok := startTicks(dir, 44); ok {
		t.Fatal("missing pid accepted")
	}
	// on the real /proc, our own process
	if st, ok := startTicks("/proc", os.Getpid()); !ok || st == 0 {
		t.Fatalf("self start %d %v", st, ok)
	}
}

type fakeWatcher struct{ watched []int }

func (f *fakeWatcher) Watch(pid int, _ bool) error {
	f.watched = append(f.watched, pid)
	return nil
}

// TestDiscovererRecheck: a handled process costs no /proc read per scan; a
// pid reused by a new process is handled again at the next recheck.
func TestDiscovererRecheck(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "uptime"), []byte("1000.00 2000.00\n"), 0o644)
	stat := func(start string) {
		os.MkdirAll(filepath.Join(dir, "42"), 0o755)
		os.WriteFile(filepath.Join(dir, "42", "stat"), []byte("42 (prog) S 1 42 42 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 "+start+" 0 0 0\n"), 0o644)
	}
	stat("100")
	// exeKey stats DIR/42/exe: point it at a regular file.
	os.WriteFile(filepath.Join(dir, "prog"), []byte("x"), 0o755)
	os.Symlink(filepath.Join(dir, "prog"), filepath.Join(dir, "42", "exe"))
	w := &fakeWatcher{}
	d := NewDiscoverer(w, nil, 0)
	d.proc = dir
	d.scan()
	if len(w.watched) != 1 {
		t.Fatalf("first scan watched %v", w.watched)
	}
	stat("200") // pid 42 reused by a process that has run 8 s
	for i := 1; i < recheckEvery-1; i++ {
		d.scan()
	}
	if len(w.watched) != 1 {
		t.Fatalf("a handled pid was reread before the recheck: %v", w.watched)
	}
	d.scan()
	if len(w.watched) != 2 {
		t.Fatalf("reused pid not handled at the recheck: %v", w.watched)
	}
	os.RemoveAll(filepath.Join(dir, "42"))
	d.scan()
	if _, ok := d.seen[42]; ok {
		t.Error("a gone pid is still remembered")
	}
}
