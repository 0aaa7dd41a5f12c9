// Command librender writes log events through real logging libraries and
// language runtimes' loggers, so that a corpus's lines are written by the
// code that writes real logs, not by a renderer written from their
// documentation. logcorpus (the parent directory) runs it; it is a module
// of its own so that the main module gains none of these libraries as a
// dependency.
//
//	librender list             # every configuration: name, part, structured, library, source
//	librender render CONFIG    # events (JSON lines) on stdin, one {"out": …} line per event on stdout
//
// Each event carries its time, level, logger name, call site and message
// (rendered by logcorpus from a real statement); the configuration writes
// it with the library's own encoder or formatter, its clock injected (zap's
// entry time, hclog's TimeFn, a slog.Record's time, a Python record's
// created, …), so that the output is deterministic. The
// runtimes (python3, ruby, java) run once per render, reading the events
// from their standard input; LIBRENDER_PYTHON, when set, names the Python
// interpreter (logcorpus sets it to sys.executable, so that a version
// manager's shim, which takes seconds to start, runs once per build).
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"sort"
	"strconv"
	"time"
)

// Event is one log event to write: the fields a logger is given at a
// call site.
type Event struct {
	T      time.Time   `json:"t"`
	Level  string      `json:"level"` // trace, debug, info, warn, error, fatal
	Logger string      `json:"logger"`
	Class  string      `json:"class"`
	File   string      `json:"file"`
	Line   int         `json:"line"`
	PID    int         `json:"pid"`
	TID    int         `json:"tid"`
	Thread string      `json:"thread"`
	Host   string      `json:"host"`
	App    string      `json:"app"`
	Msg    string      `json:"msg"`
	KVs    [][2]string `json:"kvs"`
}

// renderer writes events; Render returns the bytes the library wrote for
// one event (one line, or more for a multi-line record format).
type renderer interface {
	Render(e *Event) ([]byte, error)
	Close() error
}

// config is one logger configuration: a library or runtime with its format
// settings.
type config struct {
	Name string
	// Group is the unit the split hashes: the library for a Go library
	// (all its configurations in one part), the configuration itself for
	// a runtime's format strings, which differ visibly from each other.
	Group string
	// Structured configurations put the message in a field (JSON,
	// logfmt): their ground truth is the message alone.
	Structured bool
	Library    string // module path or runtime
	Source     string // where the configuration comes from (doc URL or repository file)
	New        func() (renderer, error)
}

// Parts of the round, as logcorpus names them.
const (
	partR8     = "r8"
	partLibdev = "libdev"
	splitSalt  = "gopulse-r8-libsplit-2026-12-05"
)

// partOf is the split rule (logcorpus's libPartOf): FNV-1a 64 of the salt
// and the name, even to r8, odd to libdev.
func partOf(name string) string {
	h := fnv.New64a()
	h.Write([]byte(splitSalt + "|" + name))
	if h.Sum64()%2 == 0 {
		return partR8
	}
	return partLibdev
}

func allConfigs() []config {
	return append(r8Configs(), libdevConfigs()...)
}

func main() {
	// the libraries that format in local time do so in UTC
	time.Local = time.UTC
	if err := run(os.Args[1:], os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "librender:", err)
		os.Exit(1)
	}
}

func run(args []string, stdin io.Reader, stdout io.Writer) error {
	if len(args) == 0 {
		return errors.New("usage: librender list | render CONFIG")
	}
	switch args[0] {
	case "list":
		cs := allConfigs()
		sort.Slice(cs, func(i, j int) bool { return cs[i].Name < cs[j].Name })
		for _, c := range cs {
			part := partOf(c.Group)
			fmt.Fprintf(stdout, "%s\t%s\t%t\t%s\t%s\n", c.Name, part, c.Structured, c.Library, c.Source)
		}
		return nil
	case "render":
		if len(args) != 2 {
			return errors.New("usage: librender render CONFIG")
		}
		c, ok := lookup(args[1])
		if !ok {
			return fmt.Errorf("unknown configuration %q", args[1])
		}
		return render(c, stdin, stdout)
	}
	return fmt.Errorf("unknown command %q", args[0])
}

func lookup(name string) (config, bool) {
	for _, c := range allConfigs() {
		if c.Name == name {
			return c, true
		}
	}
	return config{}, false
}

func render(c config, stdin io.Reader, stdout io.Writer) error {
	r, err := c.New()
	if err != nil {
		return fmt.Errorf("%s: %w", c.Name, err)
	}
	sc := bufio.NewScanner(stdin)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	w := bufio.NewWriter(stdout)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	n := 0
	for sc.Scan() {
		n++
		var e Event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			r.Close()
			return fmt.Errorf("event %d: %w", n, err)
		}
		out, err := r.Render(&e)
		if err != nil {
			r.Close()
			return fmt.Errorf("%s: event %d: %w", c.Name, n, err)
		}
		if len(out) == 0 {
			r.Close()
			return fmt.Errorf("%s: event %d: the logger wrote nothing", c.Name, n)
		}
		if err := enc.Encode(struct {
			Out string `json:"out"`
		}{string(out)}); err != nil {
			r.Close()
			return err
		}
	}
	if err := sc.Err(); err != nil {
		r.Close()
		return err
	}
	if err := r.Close(); err != nil {
		return fmt.Errorf("%s: %w", c.Name, err)
	}
	return w.Flush()
}

// funcRenderer renders with a function writing into a buffer it is
// given.
type funcRenderer struct {
	buf  *syncBuffer
	emit func(e *Event) error
}

func (f *funcRenderer) Render(e *Event) ([]byte, error) {
	f.buf.b = f.buf.b[:0]
	if err := f.emit(e); err != nil {
		return nil, err
	}
	return append([]byte(nil), f.buf.b...), nil
}

func (f *funcRenderer) Close() error { return nil }

// syncBuffer is the writer the Go libraries write into (an io.Writer with
// a no-op Sync, which zap's WriteSyncer wants).
type syncBuffer struct{ b []byte }

func (s *syncBuffer) Write(p []byte) (int, error) { s.b = append(s.b, p...); return len(p), nil }
func (s *syncBuffer) Sync() error                 { return nil }

// goRenderer makes a renderer from a constructor that receives the
// buffer the library writes into.
func goRenderer(mk func(w *syncBuffer) func(e *Event) error) func() (renderer, error) {
	return func() (renderer, error) {
		b := &syncBuffer{}
		return &funcRenderer{buf: b, emit: mk(b)}, nil
	}
}

// typed is a value as a program would pass it to a structured logger: a
// number or a boolean as such, anything else a string.
func typed(s string) any {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n
	}
	if s == "true" || s == "false" {
		return s == "true"
	}
	return s
}

// isErrKey tells the keys whose values programs pass as errors.
func isErrKey(k string) bool { return k == "err" || k == "error" }

// kvArgs is the event's key/value pairs as alternating arguments, errors
// as error values.
func kvArgs(e *Event) []any {
	out := make([]any, 0, 2*len(e.KVs))
	for _, p := range e.KVs {
		if isErrKey(p[0]) {
			out = append(out, p[0], errors.New(p[1]))
			continue
		}
		out = append(out, p[0], typed(p[1]))
	}
	return out
}

// textMsg is the message with its key/value pairs appended as k=v, as
// programs write context into loggers without fields (Python's logging,
// Ruby's Logger, java.util.logging).
func textMsg(e *Event) string {
	m := e.Msg
	for _, p := range e.KVs {
		v := p[1]
		if v == "" || containsAny(v, " \"=") {
			v = strconv.Quote(v)
		}
		m += " " + p[0] + "=" + v
	}
	return m
}

func containsAny(s, chars string) bool {
	for i := 0; i < len(s); i++ {
		for j := 0; j < len(chars); j++ {
			if s[i] == chars[j] {
				return true
			}
		}
	}
	return false
}
