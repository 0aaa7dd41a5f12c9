package pipeline

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

type lineRec struct {
	mu     sync.Mutex
	lines  map[string][]string
	trunc  int
	closed []string
}

func (r *lineRec) HandleLine(path string, line []byte, truncated bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.lines == nil {
		r.lines = map[string][]string{}
	}
	r.lines[path] = append(r.lines[path], string(line))
	if truncated {
		r.trunc++
	}
}

func (r *lineRec) CloseSource(path string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.closed = append(r.closed, path)
}

func (r *lineRec) get(path string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.lines[path])
}

func appendFile(t *testing.T, p, s string) {
	t.Helper()
	f, err := os.OpenFile(p, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(s); err != nil {
		t.Fatal(err)
	}
	f.Close()
}

func newTestTailer(t *testing.T, cfg TailConfig, h LineHandler, logBuf *bytes.Buffer) *Tailer {
	t.Helper()
	var w = &bytes.Buffer{}
	if logBuf != nil {
		w = logBuf
	}
	tl, err := NewTailer(cfg, h, slog.New(slog.NewTextHandler(w, nil)), nil)
	if err != nil {
		t.Fatal(err)
	}
	tl.pathEvery = 0 // every Poll checks for rotation: tests are step by step
	return tl
}

func want(t *testing.T, got []string, w ...string) {
	t.Helper()
	if strings.Join(got, "|") != strings.Join(w, "|") {
		if len(got)+len(w) > 20 {
			t.Fatalf("%d lines %s, want %d lines %s", len(got), summarize(got), len(w), summarize(w))
		}
		t.Fatalf("lines %q, want %q", got, w)
	}
}

func TestTailLinesPartialAndNewFiles(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "a.log")
	appendFile(t, a, "old1\nold2\n")
	rec := &lineRec{}
	tl := newTestTailer(t, TailConfig{Paths: []string{dir + "/*.log"}, StartAtEnd: true, MaxLine: 16}, rec, nil)
	tl.Scan()
	tl.Poll()
	want(t, rec.get(a)) // started at the end
	appendFile(t, a, "one\ntw")
	tl.Poll()
	want(t, rec.get(a), "one")
	appendFile(t, a, "o\r\nthree-is-a-very-long-line-indeed\nfour\n")
	tl.Poll()
	want(t, rec.get(a), "one", "two", "three-is-a-very-", "four")
	if rec.trunc != 1 {
		t.Fatalf("truncated %d", rec.trunc)
	}
	// a file created later is read from its beginning after a re-scan
	b := filepath.Join(dir, "b.log")
	appendFile(t, b, "b1\nb2\n")
	tl.Poll()
	want(t, rec.get(b))
	tl.Scan()
	tl.Poll()
	want(t, rec.get(b), "b1", "b2")
	// an over-long line without newline, split over polls
	appendFile(t, b, strings.Repeat("x", 10))
	tl.Poll()
	appendFile(t, b, strings.Repeat("y", 10))
	tl.Poll()
	appendFile(t, b, "zzz\nb3\n")
	tl.Poll()
	want(t, rec.get(b), "b1", "b2", "xxxxxxxxxxyyyyyy", "b3")
	tl.Close()
	tl.Close()
}

func TestTailRenameRotation(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "app.log")
	appendFile(t, p, "")
	rec := &lineRec{}
	tl := newTestTailer(t, TailConfig{Paths: []string{p}}, rec, nil)
	tl.rotateGrace = 0 // the old file is read to its end and closed at once
	tl.Scan()
	appendFile(t, p, "1\n2\n")
	tl.Poll()
	// the writer adds a line, then logrotate renames and a new file appears;
	// the last lines of the old file must not be lost.
	appendFile(t, p, "3\n4-no-newline")
	if err := os.Rename(p, p+".1"); err != nil {
		t.Fatal(err)
	}
	appendFile(t, p, "5\n")
	tl.Poll()
	appendFile(t, p, "6\n")
	tl.Poll()
	want(t, rec.get(p), "1", "2", "3", "4-no-newline", "5", "6")
	if got := tl.streams[p].live().offset; got != 4 {
		t.Fatalf("offset %d", got)
	}
}

// A writer that keeps its old file open after the rename (before it reopens
// its log) still has its lines read, for the grace period.
func TestTailRenameLateWriter(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "app.log")
	appendFile(t, p, "")
	rec := &lineRec{}
	tl := newTestTailer(t, TailConfig{Paths: []string{p}}, rec, nil)
	tl.Scan()
	w, err := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	fmt.Fprintln(w, "old-1")
	tl.Poll()
	os.Rename(p, p+".1")
	tl.Poll()                // path gone: the old file is draining
	fmt.Fprintln(w, "old-2") // the writer has not reopened yet
	appendFile(t, p, "new-1\n")
	tl.Poll()
	fmt.Fprintln(w, "old-3")
	tl.Poll()
	got := strings.Join(rec.get(p), ",")
	for _, l := range []string{"old-1", "old-2", "old-3", "new-1"} {
		if !strings.Contains(got, l) {
			t.Fatalf("lines %s lack %s", got, l)
		}
	}
	// after the grace period the old file is closed
	for _, f := range tl.streams[p].files {
		if !f.live {
			f.until = time.Now()
		}
	}
	tl.Poll()
	if n := len(tl.streams[p].files); n != 2 || tl.streams[p].files[0].f != nil {
		t.Fatalf("%d files, the old one still open", n)
	}
	fmt.Fprintln(w, "old-4")
	tl.Poll()
	if strings.Contains(strings.Join(rec.get(p), ","), "old-4") {
		t.Fatal("read a closed file")
	}
}

func TestTailCopyTruncate(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "app.log")
	appendFile(t, p, "")
	rec := &lineRec{}
	tl := newTestTailer(t, TailConfig{Paths: []string{p}}, rec, nil)
	tl.Scan()
	appendFile(t, p, "a-long-first-line\nb\n")
	tl.Poll()
	if err := os.Truncate(p, 0); err != nil {
		t.Fatal(err)
	}
	appendFile(t, p, "c\n")
	tl.Poll()
	appendFile(t, p, "d\n")
	tl.Poll()
	want(t, rec.get(p), "a-long-first-line", "b", "c", "d")
}

func TestTailOffsetsSurviveRestart(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "logs", "app.log")
	os.MkdirAll(filepath.Dir(p), 0o755)
	state := filepath.Join(dir, "state", "offsets.json")
	appendFile(t, p, "before-start\n")
	cfg := TailConfig{Paths: []string{dir + "/**/*.log*"}, StartAtEnd: true, StateFile: state}

	rec := &lineRec{}
	tl := newTestTailer(t, cfg, rec, nil)
	tl.Scan()
	appendFile(t, p, "1\n2\npart")
	tl.Poll()
	if err := tl.SaveOffsets(); err != nil {
		t.Fatal(err)
	}
	tl.Close()
	want(t, rec.get(p), "1", "2")

	// while the agent is down, more lines arrive
	appendFile(t, p, "ial\n3\n")
	rec2 := &lineRec{}
	tl2 := newTestTailer(t, cfg, rec2, nil)
	tl2.Scan()
	tl2.Poll()
	want(t, rec2.get(p), "partial", "3")

	// a rotation while down, with lines the agent had not read yet in the
	// old file: the old file is found among the rotated siblings by its
	// inode and fingerprint and finished first, then the new file is read
	// from its start; both under the stream's path.
	tl2.SaveOffsets()
	tl2.Close()
	appendFile(t, p, "3b\n")
	os.Rename(p, p+".1")
	appendFile(t, p, "new1\n")
	rec3 := &lineRec{}
	tl3 := newTestTailer(t, cfg, rec3, nil)
	tl3.Scan()
	tl3.Poll()
	want(t, rec3.get(p), "3b", "new1")
	want(t, rec3.get(p+".1")) // not a stream of its own, though the glob matches it
	// a writer still appending to the renamed file just after the restart
	appendFile(t, p+".1", "late\n")
	tl3.Poll()
	want(t, rec3.get(p), "3b", "new1", "late")
}

func TestMatchGlob(t *testing.T) {
	for _, c := range []struct {
		pat, path string
		ok        bool
	}{
		{"/var/log/pods/**/*.log", "/var/log/pods/ns_pod_uid/c/0.log", true},
		{"/var/log/pods/**/*.log", "/var/log/pods/0.log", true},
		{"/var/log/pods/**/*.log", "/var/log/pods/a/b/c.txt", false},
		{"/var/log/*.log", "/var/log/syslog.log", true},
		{"/var/log/*.log", "/var/log/x/syslog.log", false},
		{"/a/**", "/a/b/c", true},
	} {
		if got := matchGlob(c.pat, c.path); got != c.ok {
			t.Errorf("matchGlob(%q, %q) = %v", c.pat, c.path, got)
		}
	}
	if r := globRoot("/var/log/pods/**/*.log"); r != "/var/log/pods" {
		t.Errorf("root %q", r)
	}
}

// A path the agent may not read is logged clearly and skipped; the other
// files are tailed. As root (CI) the check runs in a child process that
// drops to nobody, since root reads everything.
func TestTailPermissionDenied(t *testing.T) {
	if os.Getenv("GOPULSE_TAIL_DENIED_CHILD") == "1" {
		denyChild(t, os.Getenv("GOPULSE_TAIL_DIR"))
		return
	}
	dir, err := os.MkdirTemp("", "gopulse-tail-perm")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	os.Chmod(dir, 0o755)
	appendFile(t, filepath.Join(dir, "ok.log"), "")
	os.Chmod(filepath.Join(dir, "ok.log"), 0o666)
	appendFile(t, filepath.Join(dir, "secret.log"), "")
	os.Chmod(filepath.Join(dir, "secret.log"), 0o600)
	os.Mkdir(filepath.Join(dir, "locked"), 0o700)
	appendFile(t, filepath.Join(dir, "locked", "x.log"), "")
	if os.Geteuid() != 0 {
		os.Chmod(filepath.Join(dir, "secret.log"), 0o000)
		os.Chmod(filepath.Join(dir, "locked"), 0o000)
		defer os.Chmod(filepath.Join(dir, "locked"), 0o700)
		denyChild(t, dir)
		return
	}
	// the test binary lives in a directory nobody cannot enter: copy it
	bin := filepath.Join(dir, "pipeline.test")
	data, err := os.ReadFile(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, data, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-test.run=^TestTailPermissionDenied$", "-test.v")
	cmd.Env = append(os.Environ(), "GOPULSE_TAIL_DENIED_CHILD=1", "GOPULSE_TAIL_DIR="+dir)
	cmd.SysProcAttr = dropToNobody()
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "PASS") {
		t.Fatalf("child: %v\n%s", err, out)
	}
}

func denyChild(t *testing.T, dir string) {
	rec := &lineRec{}
	var logs bytes.Buffer
	tl := newTestTailer(t, TailConfig{Paths: []string{dir + "/*.log", dir + "/**/x.log"}}, rec, &logs)
	tl.Scan()
	tl.Scan() // logged once only
	f, err := os.OpenFile(filepath.Join(dir, "ok.log"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintln(f, "hello")
	f.Close()
	tl.Poll()
	want(t, rec.get(filepath.Join(dir, "ok.log")), "hello")
	l := logs.String()
	for _, p := range []string{"secret.log", "locked"} {
		if n := strings.Count(l, "permission denied"); n < 2 || !strings.Contains(l, p) {
			t.Fatalf("no clear message for %s:\n%s", p, l)
		}
	}
	if n := strings.Count(l, "cannot read log path"); n != 2 {
		t.Fatalf("%d messages:\n%s", n, l)
	}
}

type nopLines struct{ n int }

func (h *nopLines) HandleLine(string, []byte, bool) { h.n++ }
func (h *nopLines) CloseSource(string)              {}

// BenchmarkTailerSplit measures splitting read chunks into lines.
func BenchmarkTailerSplit(b *testing.B) {
	line := []byte(`{"time":"2026-11-22T00:00:00Z","level":"INFO","msg":"request served","path":"/api/cart","status":200}` + "\n")
	chunk := bytes.Repeat(line, 600) // ~64 KiB, as one read
	h := &nopLines{}
	tl, _ := NewTailer(TailConfig{}, h, slog.New(slog.DiscardHandler), nil)
	tf := &tailFile{path: "x"}
	b.ReportAllocs()
	b.SetBytes(int64(len(chunk)))
	for b.Loop() {
		tl.split(tf, chunk)
	}
}

// summarize abbreviates numbered lines ("a-0001 ...") to their runs:
// a-0000..a-0099 b-0000..b-0299.
func summarize(lines []string) string {
	var b strings.Builder
	key := func(l string) string { k, _, _ := strings.Cut(l, " "); return k }
	for i := 0; i < len(lines); {
		j := i
		for j+1 < len(lines) && next(key(lines[j]), key(lines[j+1])) {
			j++
		}
		if i == j {
			fmt.Fprintf(&b, "%s ", key(lines[i]))
		} else {
			fmt.Fprintf(&b, "%s..%s ", key(lines[i]), key(lines[j]))
		}
		i = j + 1
	}
	return b.String()
}

// next reports whether b follows a ("x-0007" then "x-0008").
func next(a, b string) bool {
	pa, na, ok1 := strings.Cut(a, "-")
	pb, nb, ok2 := strings.Cut(b, "-")
	if !ok1 || !ok2 || pa != pb {
		return false
	}
	x, err1 := strconv.Atoi(na)
	y, err2 := strconv.Atoi(nb)
	return err1 == nil && err2 == nil && y == x+1
}

// TestTailRenameSeenBeforeNewFile: an inotify event can show the path
// between logrotate's rename and the writer's new file (gone), and the next
// one the new file: the old file's unread lines come first. Before, the
// new file was read at once on the second event and the old file's last
// lines came after its lines (the reload test in internal/agent saw 50–80
// lines of 3,000 out of order at a rotation).
func TestTailRenameSeenBeforeNewFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "app.log")
	appendFile(t, p, "")
	rec := &lineRec{}
	tl := newTestTailer(t, TailConfig{Paths: []string{p}}, rec, nil)
	defer tl.Close()
	tl.Scan()
	appendFile(t, p, "1\n2\n")
	tl.Poll()
	appendFile(t, p, "3\n4\n") // written before the rename, not read yet
	if err := os.Rename(p, p+".1"); err != nil {
		t.Fatal(err)
	}
	tl.checkPath(tl.streams[p], time.Now()) // onEvents: the path is gone
	appendFile(t, p, "5\n")
	tl.checkPath(tl.streams[p], time.Now()) // onEvents: the new file
	tl.Poll()
	want(t, rec.get(p), "1", "2", "3", "4", "5")
}

// TestTailReconfigure: Reconfigure on a stopped tailer keeps the streams
// still selected (no line read again), stops the others with what the
// handler holds (CloseSource), and opens the paths only the new globs
// select as at a first start: with StartAtEnd at their end, and a rotated
// sibling of theirs written before the glob was added is not read whole.
// Before sinceOf, that sibling (written after the tailer started) was
// adopted as an unseen rotated file and its lines delivered.
func TestTailReconfigure(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.log"), filepath.Join(dir, "sub", "b.log")
	os.MkdirAll(filepath.Dir(b), 0o755)
	appendFile(t, a, "")
	rec := &lineRec{}
	tl := newTestTailer(t, TailConfig{Paths: []string{a}, StartAtEnd: true, StateFile: filepath.Join(dir, "state.json")}, rec, nil)
	defer tl.Close()
	tl.Scan()
	appendFile(t, a, "a1\na2\n")
	tl.Poll()
	// Written after the tailer started, before b.log's glob is added.
	appendFile(t, b+".1", "old1\nold2\n")
	appendFile(t, b, "b-before\n")
	later := time.Now().Add(2 * time.Second) // the reload, past the mtime slack
	tl.now = func() time.Time { return later }
	if err := tl.Reconfigure(context.Background(), TailConfig{Paths: []string{filepath.Join(dir, "sub", "*.log")}, StartAtEnd: true}); err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(rec.closed, a) {
		t.Errorf("a.log not closed by the reconfiguration: closed %v", rec.closed)
	}
	appendFile(t, a, "a3\n")
	appendFile(t, b, "b-after\n")
	tl.Poll()
	tl.Scan()
	tl.Poll()
	want(t, rec.get(a), "a1", "a2")
	want(t, rec.get(b), "b-after")
}
