package pipeline

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gopulse/gopulse/event"
	"github.com/gopulse/gopulse/logparse"
)

// stopRun runs tl through a stop as the agent does (Run until its context
// ends: the last read and the last commit; then Close), with the context
// ended from the start: Run reads every line there is, then stops.
func stopRun(t *testing.T, tl *Tailer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := tl.Run(ctx); err != nil {
		t.Fatalf("run: %v", err)
	}
	if err := tl.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
}

// bodiesOf returns the bodies of the records of the sinks, in order.
func bodiesOf(sinks ...*recSink) []string {
	var out []string
	for _, s := range sinks {
		for _, r := range s.recs {
			out = append(out, string(r.Body))
		}
	}
	return out
}

// countIn counts the bodies that contain sub.
func countIn(bodies []string, sub string) int {
	n := 0
	for _, b := range bodies {
		if strings.Contains(b, sub) {
			n++
		}
	}
	return n
}

// quiet has the router see a poll now and one after the multi-line wait
// with no new line: the timed flush of a quiet stream.
func quiet(router *LogRouter) {
	now := time.Now()
	router.Idle(now)
	router.Idle(now.Add(2 * logparse.DefaultMaxWait))
}

// settleRun reads what the file holds, lets the stream go quiet (the
// multi-line wait passes), commits and closes: a run that ends after its
// last record came out.
func settleRun(t *testing.T, router *LogRouter, tl *Tailer) {
	t.Helper()
	tl.Scan()
	tl.Poll()
	quiet(router)
	if err := tl.Commit(context.Background()); err != nil {
		t.Fatal(err)
	}
	tl.Close()
}

// restartRun is one run of the agent's log path on a state file: a new
// router and tailer, as a restart or a reload builds them.
func restartRun(t *testing.T, cfg TailConfig) (*recSink, *LogRouter, *Tailer) {
	t.Helper()
	sink := &recSink{}
	router := newRouter(t, sink)
	return sink, router, newTestTailer(t, cfg, router, nil)
}

// TestRestartDeliversHeldRecordOnce: the last record of a file is held by
// the multi-line assembler (it waits for a line that may continue it) when
// the tailer stops. Before, Run committed the offset of its first line and
// Close then emitted it (CloseSource): the next run read it again and
// delivered it a second time — one duplicate per restart or reload
// (TestReloadKeepsEveryLine). Now the stop lets it go, the next run reads
// it again from the committed offset and delivers it once; the timed flush
// of a quiet stream still emits it, and then the commit goes through it.
func TestRestartDeliversHeldRecordOnce(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "app.log")
	cfg := TailConfig{Paths: []string{p}, StateFile: filepath.Join(dir, "offsets.json")}
	appendFile(t, p, "2024-03-10T13:55:00Z INFO request one served\n2024-03-10T13:55:01Z INFO request two served\n")

	s1, _, tl := restartRun(t, cfg)
	stopRun(t, tl)

	appendFile(t, p, "2024-03-10T13:55:02Z INFO request three served\n")
	s2, _, tl := restartRun(t, cfg)
	stopRun(t, tl)

	// A quiet stream: the last record comes out after the multi-line wait,
	// and the commit after that goes through it.
	s3, router, tl := restartRun(t, cfg)
	settleRun(t, router, tl)
	s4, _, tl := restartRun(t, cfg)
	stopRun(t, tl)

	got := bodiesOf(s1, s2, s3, s4)
	for _, w := range []string{"one", "two", "three"} {
		if n := countIn(got, "request "+w); n != 1 {
			t.Errorf("line %s delivered %d times, want once", w, n)
		}
	}
	if len(got) != 3 || !strings.Contains(got[0], "one") || !strings.Contains(got[1], "two") || !strings.Contains(got[2], "three") {
		t.Errorf("records across the restarts %q; want one, two, three in order", got)
	}
}

// TestRestartKeepsTraceWhole: a real Go panic whose first lines are written
// before the agent stops and the rest after it starts again comes out as
// one record, once: the stop does not emit the part it holds, and the next
// run reads the record again from its first line. So does a Java
// exception with its cause, split the same way across a reload.
func TestRestartKeepsTraceWhole(t *testing.T) {
	goLines := goCrashOutput(t)
	javaLines := []string{
		"2024-03-10 13:55:00,123 ERROR [main] c.e.OrderService - order 42 failed",
		"java.lang.IllegalStateException: stock service answered 503",
		"\tat com.example.OrderService.place(OrderService.java:88)",
		"\tat com.example.Api.handle(Api.java:31)",
		"Caused by: java.net.SocketTimeoutException: Read timed out",
		"\tat java.base/java.net.SocketInputStream.read(SocketInputStream.java:183)",
		"\t... 2 more",
	}
	for _, tc := range []struct {
		name  string
		lines []string
		cut   int
		first string // in the record before the trace
		trace string // in the trace's record
	}{
		{"go", goLines, len(goLines) / 2, "cart service starting", "panic: runtime error"},
		{"java", append([]string{"2024-03-10 13:54:59,001 INFO [main] c.e.OrderService - placing order 42"}, javaLines...), 4, "placing order 42", "order 42 failed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			p := filepath.Join(dir, "app.log")
			cfg := TailConfig{Paths: []string{p}, StateFile: filepath.Join(dir, "offsets.json")}
			appendFile(t, p, strings.Join(tc.lines[:tc.cut], "\n")+"\n")
			s1, _, tl := restartRun(t, cfg)
			stopRun(t, tl)
			appendFile(t, p, strings.Join(tc.lines[tc.cut:], "\n")+"\n")
			s2, router, tl := restartRun(t, cfg)
			settleRun(t, router, tl)
			got := bodiesOf(s1, s2)
			if len(got) != 2 || !strings.Contains(got[0], tc.first) || countIn(got, tc.trace) != 1 {
				for i, b := range got {
					t.Logf("record %d:\n%s", i, b)
				}
				t.Fatalf("%d records; want %q then the whole trace, once", len(got), tc.first)
			}
			recs := append(s1.recs, s2.recs...)
			tr := &recs[1]
			if tr.Format != logparse.FormatStackTrace && fieldOf(tr, "exception.type") == "" {
				t.Fatalf("the trace's record has no exception: format %s, fields %+v", tr.Format, tr.Fields)
			}
			last := tc.lines[len(tc.lines)-1]
			if !strings.Contains(got[1], strings.TrimSpace(last)) || !strings.Contains(got[1], strings.TrimSpace(tc.lines[tc.cut])) {
				t.Fatalf("the trace's record misses lines written after the restart:\n%s", got[1])
			}
		})
	}
}

// TestStopEmitsWhatNoOneReadsAgain: a stop emits the held record (and
// commits through it) where no next tailer will read it again — its file
// was deleted, the next config no longer selects the path (a reload), or
// no offsets are kept — and lets it go where the next tailer will (the
// path still selected, its file still there).
func TestStopEmitsWhatNoOneReadsAgain(t *testing.T) {
	const rec = "2024-03-10T13:55:01Z WARN disk almost full\n"
	for _, tc := range []struct {
		name    string
		noState bool
		prepare func(t *testing.T, tl *Tailer, p string)
		emitted bool
	}{
		{name: "kept", emitted: false},
		{name: "same config", prepare: func(t *testing.T, tl *Tailer, p string) {
			tl.Successor([]string{filepath.Join(filepath.Dir(p), "*.log")}, nil)
		}, emitted: false},
		{name: "deleted", prepare: func(t *testing.T, tl *Tailer, p string) {
			if err := os.Remove(p); err != nil {
				t.Fatal(err)
			}
		}, emitted: true},
		{name: "not selected any more", prepare: func(t *testing.T, tl *Tailer, p string) {
			tl.Successor([]string{filepath.Join(filepath.Dir(p), "*.log")}, []string{p})
		}, emitted: true},
		{name: "no logs any more", prepare: func(t *testing.T, tl *Tailer, p string) {
			tl.Successor(nil, nil)
		}, emitted: true},
		{name: "no state file", noState: true, emitted: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			p := filepath.Join(dir, "app.log")
			cfg := TailConfig{Paths: []string{p}, StateFile: filepath.Join(dir, "offsets.json")}
			if tc.noState {
				cfg.StateFile = ""
			}
			appendFile(t, p, rec)
			s1, _, tl := restartRun(t, cfg)
			tl.Scan()
			tl.Poll()
			if tc.prepare != nil {
				tc.prepare(t, tl, p)
			}
			stopRun(t, tl)
			if got := len(s1.recs); got != map[bool]int{true: 1, false: 0}[tc.emitted] {
				t.Fatalf("records at the stop: %d (emitted %v wanted)", got, tc.emitted)
			}
			if tc.noState {
				return
			}
			// The next run (same config) reads it again only if it was not
			// emitted; a run that emits it commits through it.
			s2, router, tl := restartRun(t, cfg)
			tl.Scan()
			tl.Poll()
			quiet(router)
			tl.Close()
			if got := countIn(bodiesOf(s1, s2), "disk almost full"); got != 1 {
				t.Fatalf("the record delivered %d times across the stop, want once", got)
			}
		})
	}
}

// TestContinueGoesOnAcrossStops: a tailer told to Continue (a reload that
// keeps the log sources) stops without emitting the record its router
// holds and runs again on the same files and parsers: the file is not
// opened again, the held record comes out once, whole, with the next line
// and to the sinks the router was rebound to, and a stop without Continue
// then ends the tailer as before (the next one reads the last held record
// again and delivers it once). Lines written while it is stopped are read
// by the next Run.
func TestContinueGoesOnAcrossStops(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "app.log")
	cfg := TailConfig{Paths: []string{p}, StateFile: filepath.Join(dir, "offsets.json")}
	appendFile(t, p, "2024-03-10T13:55:00Z INFO request one served\n2024-03-10T13:55:01Z INFO request two served\n")
	s1 := &recSink{}
	router := newRouter(t, s1)
	var logBuf bytes.Buffer
	tl := newTestTailer(t, cfg, router, &logBuf)
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	tl.Continue()
	if err := tl.Run(cancelled); err != nil {
		t.Fatal(err)
	}
	if got := bodiesOf(s1); len(got) != 1 || !strings.Contains(got[0], "one") {
		t.Fatalf("first run delivered %q, want line one only (two is held)", got)
	}
	s2 := &recSink{}
	router.Rebind(LogRouterOptions{Sinks: []event.LogSink{s2}})
	appendFile(t, p, "2024-03-10T13:55:02Z INFO request three served\n")
	tl.Continue()
	if err := tl.Run(cancelled); err != nil {
		t.Fatal(err)
	}
	if got := bodiesOf(s2); len(got) != 1 || !strings.Contains(got[0], "two") {
		t.Fatalf("second run delivered %q to the rebound sink, want line two only", got)
	}
	stopRun(t, tl) // a stop without Continue: three is read again next time
	if n := strings.Count(logBuf.String(), "tailing log file"); n != 1 {
		t.Errorf("the file was opened %d times across the runs, want once:\n%s", n, logBuf.String())
	}
	s3, router3, tl3 := restartRun(t, cfg)
	settleRun(t, router3, tl3)
	got := bodiesOf(s1, s2, s3)
	if len(got) != 3 || !strings.Contains(got[0], "one") || !strings.Contains(got[1], "two") || !strings.Contains(got[2], "three") {
		t.Errorf("records across the runs %q; want one, two, three once each, in order", got)
	}
}
