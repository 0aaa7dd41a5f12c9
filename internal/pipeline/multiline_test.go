package pipeline

import (
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gopulse/gopulse/event"
	"github.com/gopulse/gopulse/logparse"
)

// goCrashOutput builds and runs a Go program that logs and then panics in
// a goroutine, and returns what it wrote (stdout and stderr on one file).
func goCrashOutput(t *testing.T) []string {
	t.Helper()
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("go: %v", err)
	}
	dir := t.TempDir()
	src := `package main

import (
	"log"
	"os"
)

func main() {
	log.SetOutput(os.Stdout)
	log.Printf("cart service starting on :%d", 8080)
	go func() {
		var m map[string][]int
		log.Printf("item count %d", m["x"][3])
	}()
	select {} // the panic ends the process
}
`
	os.WriteFile(filepath.Join(dir, "main.go"), []byte(src), 0o644)
	os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module crash\n\ngo 1.21\n"), 0o644)
	build := exec.Command(gobin, "build", "-o", "crash", ".")
	build.Dir = dir
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	out, _ := exec.Command(filepath.Join(dir, "crash")).CombinedOutput()
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(lines) < 6 || !strings.HasPrefix(lines[1], "panic: runtime error: index out of range") {
		t.Fatalf("unexpected crash output:\n%s", out)
	}
	return lines
}

// recSink keeps copies of the records.
type recSink struct{ recs []event.LogRecord }

func (s *recSink) HandleLog(r *event.LogRecord) {
	if r.Format == FormatTemplateMerge {
		return // an announcement of the miner, not a record of the file
	}
	c := *r
	c.Body = append([]byte(nil), r.Body...)
	c.Fields = nil
	for _, f := range r.Fields {
		c.Fields = append(c.Fields, event.Field{Key: append([]byte(nil), f.Key...), Value: append([]byte(nil), f.Value...), Type: f.Type})
	}
	s.recs = append(s.recs, c)
}

func fieldOf(r *event.LogRecord, k string) string {
	for _, f := range r.Fields {
		if string(f.Key) == k {
			return string(f.Value)
		}
	}
	return ""
}

// checkCrash checks that the sink holds the log line, then the whole panic
// as one record.
func checkCrash(t *testing.T, sink *recSink, lines []string) {
	t.Helper()
	if len(sink.recs) != 2 {
		for _, r := range sink.recs {
			t.Logf("record %d %s: %q", r.Line, r.Format, r.Body)
		}
		t.Fatalf("%d records, want the log line and the panic", len(sink.recs))
	}
	r := &sink.recs[1]
	if string(r.Body) != strings.Join(lines[1:], "\n") || r.Format != logparse.FormatStackTrace || r.Line != 2 {
		t.Fatalf("panic record (line %d, %s):\n%s", r.Line, r.Format, r.Body)
	}
	if fieldOf(r, "exception.type") != "panic" || !strings.HasPrefix(fieldOf(r, "exception.message"), "runtime error: index out of range") ||
		string(r.Level) != "fatal" {
		t.Fatalf("panic record fields %+v level %s", r.Fields, r.Level)
	}
}

func newRouter(t *testing.T, sink event.LogSink) *LogRouter {
	t.Helper()
	router, err := NewLogRouter(LogRouterOptions{Factory: NewLogParser, Sinks: []event.LogSink{sink}}, slog.New(slog.DiscardHandler), nil)
	if err != nil {
		t.Fatal(err)
	}
	return router
}

// TestMultilineAcrossRotation: a Go panic whose first lines are written to
// the file before logrotate renames it, and the rest to the new file,
// reaches the sinks as one record: the old file is read to its end first and
// both files feed the same stream.
func TestMultilineAcrossRotation(t *testing.T) {
	lines := goCrashOutput(t)
	dir := t.TempDir()
	p := filepath.Join(dir, "cart.log")
	appendFile(t, p, "")
	sink := &recSink{}
	router := newRouter(t, sink)
	tl := newTestTailer(t, TailConfig{Paths: []string{p}}, router, nil)
	tl.Scan()
	half := len(lines) / 2
	appendFile(t, p, strings.Join(lines[:half], "\n")+"\n")
	tl.Poll()
	if err := os.Rename(p, p+".1"); err != nil {
		t.Fatal(err)
	}
	appendFile(t, p, strings.Join(lines[half:], "\n")+"\n")
	tl.Poll()
	tl.Poll()
	now := time.Now()
	router.Idle(now)
	router.Idle(now.Add(logparse.DefaultMaxWait))
	checkCrash(t, sink, lines)
}

// TestMultilineSlowWriter: a panic written a line at a time, each line read
// by its own poll with less than the multi-line wait between them, is one
// record; it comes out once no line came for the wait, and a source that
// closes emits what it holds.
func TestMultilineSlowWriter(t *testing.T) {
	lines := goCrashOutput(t)
	dir := t.TempDir()
	p := filepath.Join(dir, "cart.log")
	appendFile(t, p, "")
	sink := &recSink{}
	router := newRouter(t, sink)
	tl := newTestTailer(t, TailConfig{Paths: []string{p}}, router, nil)
	tl.Scan()
	now := time.Now()
	step := logparse.DefaultMaxWait * 3 / 4
	for _, l := range lines {
		appendFile(t, p, l+"\n")
		tl.Poll()
		now = now.Add(step)
		router.Idle(now) // a poll interval later
	}
	if len(sink.recs) != 1 {
		t.Fatalf("%d records before the wait is over, want the log line only", len(sink.recs))
	}
	router.Idle(now.Add(step))
	router.Idle(now.Add(2 * step))
	checkCrash(t, sink, lines)

	// a source that goes away emits its pending record at once
	sink.recs = nil
	q := filepath.Join(dir, "other.log")
	for _, l := range lines {
		router.HandleLine(q, []byte(l), false)
	}
	router.CloseSource(q)
	if len(sink.recs) != 2 || sink.recs[1].Format != logparse.FormatStackTrace {
		t.Fatalf("records after CloseSource: %d", len(sink.recs))
	}
}
