package logparse

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// These tests run real runtimes (Go, python3, node, java, ruby) and check
// that the multi-line assembly turns each stack trace they print into one
// record, with the exception's type and message as fields. Off CI a missing
// runtime skips its test; with CI=true it fails (scripts/test.sh installs
// them from Debian).

// needTool returns the path of a runtime's executable.
func needTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s not installed (scripts/test.sh installs it on CI): %v", name, err)
		}
		t.Skipf("%s not installed", name)
	}
	return p
}

// runMerged runs a program with stdout and stderr on one file, as a
// container runtime or a shell redirection "> f 2>&1" writes them, and
// returns what it wrote. A non-zero exit is expected (an uncaught error).
func runMerged(t *testing.T, dir string, env []string, name string, args ...string) string {
	t.Helper()
	out := filepath.Join(dir, "out.log")
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir, cmd.Stdout, cmd.Stderr = dir, f, f
	cmd.Env = append(os.Environ(), env...)
	if err := cmd.Run(); err != nil {
		if _, ok := err.(*exec.ExitError); !ok {
			t.Fatalf("%s: %v", name, err)
		}
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// wantRec describes an expected record.
type wantRec struct {
	first    string // the record's first line starts with this
	format   string // "" for any
	excType  string // "" for none expected
	excMsg   string
	contains []string // lines the record holds
}

// checkRecords checks the records of out against want, and that the
// records cover every input line once, in order.
func checkRecords(t *testing.T, out string, want []wantRec) []mlRec {
	t.Helper()
	recs := assembleAll(t, out, StreamOptions{})
	lines := strings.Count(out, "\n")
	if !strings.HasSuffix(out, "\n") {
		lines++
	}
	next := 1
	for _, r := range recs {
		if r.Line != next {
			t.Errorf("record at line %d, want %d (a line lost or counted twice)", r.Line, next)
		}
		next = r.Line + r.Lines
	}
	if next != lines+1 {
		t.Errorf("records cover %d lines, the output has %d", next-1, lines)
	}
	if len(recs) != len(want) {
		for _, r := range recs {
			t.Logf("record line %d+%d %s: %.100q", r.Line, r.Lines, r.Format, r.Body)
		}
		t.Fatalf("%d records, want %d; output:\n%s", len(recs), len(want), out)
	}
	for i, w := range want {
		r := recs[i]
		if !strings.HasPrefix(r.Body, w.first) {
			t.Errorf("record %d starts %.80q, want %q", i, r.Body, w.first)
		}
		if w.format != "" && r.Format != w.format {
			t.Errorf("record %d: format %q, want %q", i, r.Format, w.format)
		}
		if r.Type != w.excType || (w.excType != "" && r.ExcMsg != w.excMsg) {
			t.Errorf("record %d: exception %q %q, want %q %q\n%s", i, r.Type, r.ExcMsg, w.excType, w.excMsg, r.Body)
		}
		if w.excType != "" && !strings.Contains(out, r.Stack) {
			t.Errorf("record %d: stack trace is not the text of the output", i)
		}
		for _, c := range w.contains {
			if !strings.Contains(r.Body, c) {
				t.Errorf("record %d does not hold %q:\n%s", i, c, r.Body)
			}
		}
	}
	return recs
}

const goPanicProgram = `package main

import (
	"errors"
	"fmt"
	"log"
	"os"
	"time"
)

type cfgError struct{ key string }

func (e *cfgError) Error() string { return "missing key " + e.key }

func main() {
	log.SetOutput(os.Stdout)
	log.Printf("worker pool starting size=%d", 3)
	switch os.Args[1] {
	case "index":
		var s []int
		fmt.Println(s[len(os.Args)+3])
	case "goroutine":
		go func() {
			defer func() {
				if r := recover(); r != nil {
					panic(r)
				}
			}()
			panic(fmt.Errorf("load config: %w", &cfgError{"db.url"}))
		}()
		select {} // the panic ends the process
	case "nil":
		var m map[string]*cfgError
		fmt.Println(m["x"].key)
	case "deadlock":
		ch := make(chan int)
		<-ch
	case "quit":
		for i := 0; i < 3; i++ {
			go func() { time.Sleep(time.Hour) }()
		}
		fmt.Println("ready")
		time.Sleep(time.Hour)
	case "error":
		panic(errors.New("boom"))
	}
}
`

func TestMultilineGoPanics(t *testing.T) {
	gobin := needTool(t, "go")
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(goPanicProgram), 0o644); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module crash\n\ngo 1.21\n"), 0o644)
	build := exec.Command(gobin, "build", "-o", "crash", ".")
	build.Dir = dir
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	bin := filepath.Join(dir, "crash")
	logLine := wantRec{first: "20", format: "text"}
	for _, c := range []struct {
		arg  string
		want wantRec
	}{
		{"index", wantRec{first: "panic: runtime error: index out of range", format: FormatStackTrace, excType: "panic",
			excMsg: "runtime error: index out of range [5] with length 0", contains: []string{"goroutine 1 [running]:", "main.main()"}}},
		{"goroutine", wantRec{first: "panic: load config: missing key db.url [recovered", format: FormatStackTrace, excType: "panic",
			excMsg: "load config: missing key db.url", contains: []string{"created by main.main in goroutine 1"}}},
		{"nil", wantRec{first: "panic: runtime error: invalid memory address or nil pointer dereference", format: FormatStackTrace,
			excType: "panic", excMsg: "runtime error: invalid memory address or nil pointer dereference", contains: []string{"[signal SIGSEGV"}}},
		{"deadlock", wantRec{first: "fatal error: all goroutines are asleep - deadlock!", format: FormatStackTrace,
			excType: "fatal error", excMsg: "all goroutines are asleep - deadlock!", contains: []string{"goroutine 1 [chan receive]:"}}},
		{"error", wantRec{first: "panic: boom", format: FormatStackTrace, excType: "panic", excMsg: "boom", contains: []string{"main.main()"}}},
	} {
		t.Run(c.arg, func(t *testing.T) {
			out := runMerged(t, dir, nil, bin, c.arg)
			recs := checkRecords(t, out, []wantRec{logLine, c.want})
			if recs[1].Level != "fatal" {
				t.Errorf("level %q, want fatal", recs[1].Level)
			}
		})
	}
	t.Run("sigquit", func(t *testing.T) {
		// a goroutine dump with every goroutine and the registers
		out := filepath.Join(dir, "quit.log")
		f, err := os.Create(out)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		cmd := exec.Command(bin, "quit")
		cmd.Stdout, cmd.Stderr = f, f
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		defer cmd.Process.Kill()
		for {
			data, _ := os.ReadFile(out)
			if bytes.Contains(data, []byte("ready\n")) {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		cmd.Process.Signal(syscall.SIGQUIT)
		cmd.Wait()
		data, _ := os.ReadFile(out)
		if bytes.Count(data, []byte("\ngoroutine ")) < 4 {
			t.Fatalf("not a dump of every goroutine:\n%s", data)
		}
		checkRecords(t, string(data), []wantRec{logLine, {first: "ready", format: "text"},
			{first: "SIGQUIT: quit", format: FormatStackTrace, excType: "SIGQUIT", excMsg: "quit",
				contains: []string{"goroutine 1 ", "rip ", "main.main()"}}})
	})
}

func TestMultilinePython(t *testing.T) {
	py := needTool(t, "python3")
	dir := t.TempDir()
	src := `import logging, sys
logging.basicConfig(stream=sys.stdout, level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
log = logging.getLogger("app")
log.info("starting")
try:
    {}["missing"]
except KeyError:
    log.exception("lookup failed for %s", "missing")
def inner():
    raise ValueError("bad value 42")
try:
    try:
        inner()
    except ValueError as e:
        raise RuntimeError("wrapped") from e
except RuntimeError:
    log.error("request failed", exc_info=True)
try:
    try:
        1 / 0
    except ZeroDivisionError:
        raise KeyError("during handling")
except KeyError:
    log.warning("retrying", exc_info=True)
print("plain print", flush=True)
class QuotaExceeded(Exception):
    pass
raise QuotaExceeded("tenant 7 over 100 req/s")
`
	os.WriteFile(filepath.Join(dir, "app.py"), []byte(src), 0o644)
	out := runMerged(t, dir, []string{"PYTHONUNBUFFERED=1"}, py, "app.py")
	checkRecords(t, out, []wantRec{
		{first: "20", excType: ""},
		{first: "20", excType: "KeyError", excMsg: "'missing'", contains: []string{"Traceback (most recent call last):"}},
		{first: "20", excType: "RuntimeError", excMsg: "wrapped", contains: []string{"ValueError: bad value 42", "The above exception was the direct cause"}},
		{first: "20", excType: "KeyError", excMsg: "'during handling'", contains: []string{"ZeroDivisionError", "During handling of the above exception"}},
		{first: "plain print", format: "text"},
		{first: "Traceback (most recent call last):", format: FormatStackTrace, excType: "QuotaExceeded", excMsg: "tenant 7 over 100 req/s"},
	})
}

func TestMultilineNode(t *testing.T) {
	node := needTool(t, "node")
	dir := t.TempDir()
	src := `console.log("server listening on 8080");
function handler() { throw new TypeError("cannot read config.port"); }
try { handler(); } catch (e) { console.error(e); }
const inner = new Error("db timeout");
const outer = new Error("request failed", { cause: inner });
console.error(outer);
const coded = new RangeError("port out of range");
coded.code = "ERR_PORT";
console.error(coded);
console.log("continuing");
setTimeout(() => { null.x; }, 1);
`
	os.WriteFile(filepath.Join(dir, "app.js"), []byte(src), 0o644)
	out := runMerged(t, dir, nil, node, "app.js")
	checkRecords(t, out, []wantRec{
		{first: "server listening", format: "text"},
		{first: "TypeError: cannot read config.port", format: FormatStackTrace, excType: "TypeError", excMsg: "cannot read config.port"},
		{first: "Error: request failed", format: FormatStackTrace, excType: "Error", excMsg: "request failed", contains: []string{"[cause]: Error: db timeout", "}"}},
		{first: "RangeError: port out of range", format: FormatStackTrace, excType: "RangeError", excMsg: "port out of range", contains: []string{"code: 'ERR_PORT'"}},
		{first: "continuing", format: "text"},
		{first: filepath.Join(dir, "app.js") + ":11", format: FormatStackTrace, excType: "TypeError",
			excMsg: "Cannot read properties of null (reading 'x')", contains: []string{"^", "Node.js v"}},
	})
}

func TestMultilineJava(t *testing.T) {
	java := needTool(t, "java")
	dir := t.TempDir()
	src := `import java.util.logging.*;
public class Main {
  static void inner(int n) { if (n == 0) throw new IllegalArgumentException("depth exhausted"); inner(n - 1); }
  static void outer() {
    try { inner(3); } catch (IllegalArgumentException e) { throw new IllegalStateException("outer failed", e); }
  }
  public static void main(String[] args) {
    Logger log = Logger.getLogger("com.example.Main");
    log.info("starting");
    try { outer(); } catch (Exception e) { log.log(Level.SEVERE, "request failed", e); }
    Exception s = new java.io.UncheckedIOException("flush failed", new java.io.IOException("disk full"));
    s.addSuppressed(new RuntimeException("close failed"));
    s.printStackTrace();
    System.out.println("plain line");
    System.out.flush();
    outer();
  }
}
`
	os.WriteFile(filepath.Join(dir, "Main.java"), []byte(src), 0o644)
	out := runMerged(t, dir, nil, java, "-Xshare:auto", "-XX:TieredStopAtLevel=1", "Main.java")
	checkRecords(t, out, []wantRec{
		{first: "", format: "jul"},
		{first: "", format: "jul", excType: "java.lang.IllegalStateException", excMsg: "outer failed",
			contains: []string{"SEVERE: request failed", "Caused by: java.lang.IllegalArgumentException: depth exhausted", "more"}},
		{first: "java.io.UncheckedIOException: flush failed", format: FormatStackTrace, excType: "java.io.UncheckedIOException",
			excMsg: "flush failed", contains: []string{"Suppressed: java.lang.RuntimeException: close failed", "Caused by: java.io.IOException: disk full"}},
		{first: "plain line", format: "text"},
		{first: `Exception in thread "main" java.lang.IllegalStateException: outer failed`, format: FormatStackTrace,
			excType: "java.lang.IllegalStateException", excMsg: "outer failed", contains: []string{"Caused by: java.lang.IllegalArgumentException"}},
	})
}

func TestMultilineRuby(t *testing.T) {
	ruby := needTool(t, "ruby")
	dir := t.TempDir()
	src := `require 'logger'
$stdout.sync = true
$stderr.sync = true
log = Logger.new($stdout)
log.info("starting")
def inner; raise ArgumentError, "bad depth"; end
def outer; inner; rescue ArgumentError; raise RuntimeError, "outer failed"; end
begin
  outer
rescue => e
  log.error("request failed: #{e.message} (#{e.class})\n" + e.backtrace.join("\n"))
end
outer
`
	os.WriteFile(filepath.Join(dir, "app.rb"), []byte(src), 0o644)
	out := runMerged(t, dir, nil, ruby, "app.rb")
	checkRecords(t, out, []wantRec{
		{first: "I, [", format: "text"},
		{first: "E, [", excType: "RuntimeError", excMsg: "request failed: outer failed"},
		{first: "app.rb:7:in ", format: FormatStackTrace, excType: "RuntimeError", excMsg: "outer failed",
			contains: []string{"bad depth (ArgumentError)"}},
	})
}

var _ = bufio.ScanLines
