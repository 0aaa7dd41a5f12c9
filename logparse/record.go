// Package logparse turns log lines into structured records: zero-allocation
// parser combinators over []byte, parsers for the common log formats, a
// per-stream format detector with per-line fallback, and a small pattern
// language (compiled with participle to the same combinators).
//
// Everything works on []byte and does no I/O except LineReader. Results are
// sub-slices of the input line, or of the Record's scratch buffer when a value
// had to be unescaped or a key built (dotted JSON paths): they are valid until
// the next Reset of the Record or the next use of the input buffer.
package logparse

import (
	"errors"
	"strconv"

	"github.com/gopulse/gopulse/event"
)

// ErrPartial is returned by Stream.Parse for a wrapper line that only holds
// a part of a log line (CRI "P" lines, docker json-file chunks without a
// trailing newline). The line is kept and completed by the next ones; the
// Record holds nothing useful.
var ErrPartial = errors.New("partial line")

// ErrNoMatch is the error wrapped by every SyntaxError, so that callers can
// test errors.Is(err, ErrNoMatch).
var ErrNoMatch = errors.New("line does not match")

// SyntaxError says where a line stopped matching a format.
type SyntaxError struct {
	Format string // the parser that failed
	Msg    string // lower-case, constant text
	Col    int    // 1-based byte column in the line
}

func (e *SyntaxError) Error() string {
	return e.Format + ": " + e.Msg + " at column " + strconv.Itoa(e.Col)
}

// Unwrap lets errors.Is(err, ErrNoMatch) hold.
func (e *SyntaxError) Unwrap() error { return ErrNoMatch }

// Parser parses one line into a Record. Parse adds to r: callers Reset r
// between lines (Stream does). On failure it returns a *SyntaxError (see
// Record.Fail) and r holds partial results to be discarded.
// Implementations are safe for concurrent use by several goroutines, each
// with its own Record; all per-line state lives in the Record.
type Parser interface {
	Name() string
	Parse(line []byte, r *Record) error
}

// Record is the result of parsing one line. Reuse one Record per goroutine:
// Reset keeps the capacity of Fields and of the scratch buffer, so that a
// steady stream of lines allocates nothing.
type Record struct {
	Format   string        // the parser that produced the record ("json", "combined", …)
	Wrapper  string        // "cri" or "docker" when the line came wrapped, else ""
	Stream   []byte        // "stdout"/"stderr" from a wrapper
	Fields   []event.Field // parsed fields in line order
	Message  []byte        // the human message (msg/message field or free-text body)
	Level    []byte        // normalised level ("trace", "debug", "info", "warn", "error", "fatal") or nil
	TS       int64         // Unix ns from the line; 0 when the line has none
	TSLayout string        // layout name of TS ("rfc3339", "syslog", "clf", "klog", "epoch_ms", …)
	Body     []byte        // the (unwrapped) line that was parsed

	Truncated bool // the line was longer than the limit and was cut

	// Line is the 1-based number, in its Stream, of the record's first
	// input line; Lines is how many input lines the record holds (more than
	// one for CRI/docker partial lines and multi-line records).
	Line  uint64
	Lines int

	scratch []byte
	serr    SyntaxError
	state   State    // combinator state, kept here so that it does not escape per line
	tm      timeMemo // the last time field parsed by ParseAnyTime (kept across lines)
}

// timeMemo remembers ParseAnyTime's result for one time text: lines in a
// row often carry the same second, and ParseAnyTime is a function of the
// text and the year alone.
type timeMemo struct {
	text   [40]byte
	n      int // len(text) used; 0: empty memo
	year   int
	ns     int64
	used   int
	layout string
	ok     bool
}

// parseAnyTime is ParseAnyTime(v, year), from the memo when v is the text
// parsed last.
func (r *Record) parseAnyTime(v []byte, year int) (int64, int, string, bool) {
	m := &r.tm
	if m.n == len(v) && m.n > 0 && m.year == year && string(m.text[:m.n]) == string(v) {
		return m.ns, m.used, m.layout, m.ok
	}
	ns, used, layout, ok := ParseAnyTime(v, year)
	if len(v) <= len(m.text) {
		m.n = copy(m.text[:], v)
		m.year, m.ns, m.used, m.layout, m.ok = year, ns, used, layout, ok
	}
	return ns, used, layout, ok
}

// Reset empties the record and keeps its buffers.
func (r *Record) Reset() {
	r.Fields = r.Fields[:0]
	r.Format, r.Wrapper = "", ""
	r.Stream, r.Message, r.Level, r.Body = nil, nil, nil, nil
	r.TS, r.TSLayout = 0, ""
	r.Truncated = false
	r.Line, r.Lines = 0, 0
	r.scratch = r.scratch[:0]
}

// resetParse clears what a parser fills, keeping wrapper information, so
// that a Stream can try several parsers on one line.
func (r *Record) resetParse(mark int) {
	r.Fields = r.Fields[:0]
	r.Format = ""
	r.Message, r.Level = nil, nil
	r.TS, r.TSLayout = 0, ""
	r.scratch = r.scratch[:mark]
}

// Add appends a field. key and value must stay valid as long as the record
// is used (sub-slices of the line or of the record's scratch).
func (r *Record) Add(key, value []byte, t event.FieldType) {
	n := len(r.Fields)
	if n == cap(r.Fields) {
		r.Fields = append(r.Fields, event.Field{})
	} else {
		r.Fields = r.Fields[:n+1]
	}
	f := &r.Fields[n]
	f.Key, f.Value, f.Type = key, value, t
}

// Get returns the value of the first field named key.
func (r *Record) Get(key string) ([]byte, bool) {
	for i := range r.Fields {
		if string(r.Fields[i].Key) == key {
			return r.Fields[i].Value, true
		}
	}
	return nil, false
}

// Scratch appends b to the record's scratch buffer and returns the copy.
// The copy stays valid until Reset even if the buffer grows later.
func (r *Record) Scratch(b ...byte) []byte {
	start := len(r.scratch)
	r.scratch = append(r.scratch, b...)
	return r.scratch[start:len(r.scratch):len(r.scratch)]
}

// join2 returns a+"."+b in scratch (dotted keys).
func (r *Record) joinKey(prefix, key []byte) []byte {
	if len(prefix) == 0 {
		return key
	}
	start := len(r.scratch)
	r.scratch = append(r.scratch, prefix...)
	r.scratch = append(r.scratch, '.')
	r.scratch = append(r.scratch, key...)
	return r.scratch[start:len(r.scratch):len(r.scratch)]
}

// Fail fills the record's embedded SyntaxError (col is the 0-based byte
// offset of the problem) and returns it, so that a
// failed parse does not allocate. The error is valid until the record is
// reused; copy it (e.g. with errors.As into a value) to keep it.
func (r *Record) Fail(format, msg string, col int) error {
	r.serr = SyntaxError{Format: format, Msg: msg, Col: col + 1}
	return &r.serr
}

// SetTS sets the record's timestamp once: the first timestamp of a line wins.
func (r *Record) SetTS(ns int64, layout string) {
	if r.TSLayout == "" {
		r.TS, r.TSLayout = ns, layout
	}
}

// trimSpace is bytes.TrimSpace for ASCII blanks.
func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}
