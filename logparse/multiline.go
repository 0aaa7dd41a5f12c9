package logparse

import (
	"bytes"
	"errors"
	"time"

	"github.com/gopulse/gopulse/event"
)

// Multi-line records. With StreamOptions.Multiline enabled, a Stream joins
// the lines that continue a record into it before parsing, with no
// configuration: stack traces and dumps of the common runtimes, and lines
// indented under a record. The rules, per line:
//
//   - a line indented deeper than the record's first line continues it
//     (Java/Node "at" frames, Python "File" lines, Go "\t/path.go:12", Ruby
//     "\tfrom", YAML or JSON dumped under a log line), and so does a line of
//     closing brackets after such lines;
//   - but a line indented by spaces whose first two words are made like
//     the record's own (a date under a date, a level under a level) starts
//     a record of its own: its first column is right-aligned ("  INFO
//     2024-…" under "ERROR 2024-…", a pid or a logger padded on the left);
//   - Java (and Kotlin, Scala, .NET): "Caused by: …", "Suppressed: …",
//     "... 12 more", and an exception header ("pkg.SomeException: msg")
//     under a log line that has no frames yet;
//   - Go: from "panic: ", "fatal error: ", "SIGQUIT: quit" or a goroutine
//     header on, the goroutine headers, function lines ("main.main()",
//     "created by …"), "[signal …]", register dumps, "exit status 2", and
//     the blank lines between them;
//   - Python: from "Traceback (most recent call last):" (which joins a log
//     line above it) the frames, the exception line, and the chained
//     tracebacks ("During handling of the above exception…");
//   - Node.js: an uncaught exception's "file.js:3" header, source line and
//     caret, the error and its frames, and the closing "Node.js v20…";
//   - Ruby "file.rb:3:in 'm'" frame lines; PHP "Stack trace:" and "#0 …";
//   - java.util.logging's default two-line records (date, logger, method;
//     then "SEVERE: message").
//
// Blank lines after a record are counted in its Lines and left out of its
// text (they carry nothing); blank lines inside a Go, Python or Node.js
// trace are kept. A record is emitted when a line that starts another one
// arrives, by Flush at the end of the input, or by Expire once no line came
// for MaxWait. A record's text is capped at MaxBytes: a longer one is
// emitted at the cap and the following lines start a new record, so nothing
// is lost.
//
// A record of several lines is parsed by its first line (the stream's
// format, as for a single line); the lines after it become fields:
// exception.type, exception.message and exception.stacktrace for a stack
// trace, else they extend the message (or go to "continuation" when the
// message is not at the end of the first line). A record that is a trace
// from its first line (an uncaught exception, a panic, a goroutine dump) has
// the format "stacktrace", level error (fatal for Go), and its summary line
// as the message.

// Defaults of MultilineOptions.
const (
	DefaultMaxRecord = 256 << 10
	DefaultMaxWait   = time.Second
)

// MultilineOptions configures the assembly of multi-line records.
type MultilineOptions struct {
	Enabled bool
	// MaxBytes caps a record's text (DefaultMaxRecord when 0).
	MaxBytes int
	// MaxWait is how long Expire waits for a record's next line
	// (DefaultMaxWait when 0).
	MaxWait time.Duration
}

// tracebackLine opens a Python traceback.
const tracebackLine = "Traceback (most recent call last):"

// FormatStackTrace is the format of a record that is a stack trace from its
// first line on.
const FormatStackTrace = "stacktrace"

// Field names set for stack traces (OpenTelemetry's exception attributes).
var (
	keyExcType    = []byte("exception.type")
	keyExcMessage = []byte("exception.message")
	keyExcStack   = []byte("exception.stacktrace")
	keyContinued  = []byte("continuation")
	keyLogger     = []byte("logger")
	keyMethod2    = []byte("method")
	bytesStdout   = []byte("stdout")
	bytesStderr   = []byte("stderr")
	bytesGoPanic  = []byte("panic")
	bytesGoFatal  = []byte("fatal error")
)

// runtimeKind is the stack-trace grammar a record follows.
type runtimeKind uint8

const (
	rtNone runtimeKind = iota
	rtGo
	rtPython
	rtJava
	rtNode
	rtRuby
	rtPHP
)

// sub-states
const (
	subNone    uint8 = iota
	pyFrames         // Python: in a traceback's frames
	pyRaised         // Python: after the exception line
	pyChain          // Python: after "During handling…"
	nodeSource       // Node.js: the source line under "file.js:3" was joined
	nodeCaret        // Node.js: the caret line under the source line was joined
	nodeError        // Node.js: the error line after the caret was joined
	julHead          // java.util.logging: the first line, waiting for the level line
)

// mlRecord is the record being assembled for one output stream: its text
// (lines joined by "\n") and its state. spare holds the text of the record
// emitted last, valid until the next one is emitted.
type mlRecord struct {
	buf, spare []byte
	mlState
}

// mlState is what is known of the record being assembled.
type mlState struct {
	active   bool
	empty    bool   // blank lines only
	lines    int    // input lines, trailing blank lines included
	blanks   int    // trailing blank lines, not in buf
	first    uint64 // stream line number of the first line
	firstLen int    // bytes of the first line in buf
	indent   int    // indentation of the first line
	wts      int64  // wrapper timestamp of the first line
	trunc    bool
	wrapper  string
	stream   []byte
	rt       runtimeKind
	sub      uint8
	traceAt  int  // offset in buf where the trace starts (-1: no trace)
	frames   bool // a stack frame line was joined
	logLine  bool // the first line looks like a log line (time or level first): see looksLog
	logLazy  bool // logLine is not read yet: looksLog reads the first line when asked
	jul      bool // a java.util.logging record: its second line holds the level
	fresh    bool // a line came since the last Expire
	at       int64
}

// indentOf returns the width of the leading blanks (a tab counts 4).
func indentOf(b []byte) int {
	n := 0
	for _, c := range b {
		switch c {
		case ' ':
			n++
		case '\t':
			n += 4
		default:
			return n
		}
	}
	return n
}

func isBlank(b []byte) bool {
	for _, c := range b {
		if c != ' ' && c != '\t' {
			return false
		}
	}
	return true
}

// start makes line the first line of the record.
func (m *mlRecord) start(line []byte, no uint64, wts int64, trunc bool, wrapper string, stream []byte) {
	m.buf = append(m.buf[:0], line...)
	m.active, m.lines, m.blanks = true, 1, 0
	m.first, m.firstLen, m.wts, m.trunc = no, len(line), wts, trunc
	m.wrapper, m.stream = wrapper, stream
	m.indent = indentOf(line)
	m.rt, m.sub, m.traceAt, m.frames, m.logLine, m.logLazy, m.jul = rtNone, subNone, -1, false, false, false, false
	m.fresh = true
	m.empty = isBlank(line)
	if m.empty {
		m.buf = m.buf[:0]
		m.firstLen = 0
		return
	}
	if m.rt, m.sub = traceStart(line); m.rt != rtNone {
		m.traceAt = 0
		return
	}
	if julFirstLine(line) {
		m.sub = julHead
		return
	}
	m.logLazy = true // read when a later line asks (most never do)
}

// looksLog reports whether the record's first line looks like a log line
// (looksLogLine), reading it the first time it is asked: only a line that
// could open a trace under it asks.
func (m *mlRecord) looksLog() bool {
	if m.logLazy {
		m.logLine, m.logLazy = looksLogLine(m.buf[:m.firstLen]), false
	}
	return m.logLine
}

// join appends a continuation line (the blank lines held before it first).
func (m *mlRecord) join(line []byte, trunc bool) {
	for ; m.blanks > 0; m.blanks-- {
		m.buf = append(m.buf, '\n')
	}
	m.buf = append(m.buf, '\n')
	m.buf = append(m.buf, line...)
	m.lines++
	m.trunc = m.trunc || trunc
	m.fresh = true
}

// markTrace records that the trace starts at the line being joined.
func (m *mlRecord) markTrace(rt runtimeKind) {
	if m.traceAt < 0 {
		m.traceAt = len(m.buf) + m.blanks + 1
	}
	if m.rt == rtNone {
		m.rt = rt
	}
}

// continues reports whether line (not blank) continues the record, and
// updates the record's state when it does.
func (m *mlRecord) continues(line []byte) bool {
	if m.empty {
		return false
	}
	ind := indentOf(line)
	switch m.rt {
	case rtGo:
		if m.traceAt == 0 && goLine(line, ind) {
			return true
		}
	case rtPython:
		switch m.sub {
		case pyFrames:
			if ind > 0 {
				m.frames = true
				return true
			}
			if m.blanks == 0 { // the exception line
				m.sub = pyRaised
				return true
			}
		case pyRaised:
			if m.blanks > 0 && (hasLit(line, 0, "During handling of the above exception") || hasLit(line, 0, "The above exception was the direct cause")) {
				m.sub = pyChain
				return true
			}
		case pyChain:
			if hasLit(line, 0, tracebackLine) {
				m.sub = pyFrames
				return true
			}
		}
	case rtNode:
		// "file.js:8", the source line, a caret under it, a blank line,
		// the error and its frames, a blank line, "Node.js v20.1.0"
		switch {
		case m.sub == subNone && m.lines == 1 && m.blanks == 0:
			m.sub = nodeSource
			return true
		case m.sub == nodeSource && m.lines == 2 && m.blanks == 0 && caretLine(line):
			m.sub = nodeCaret
			return true
		case m.sub == nodeCaret && m.blanks > 0 && ind == 0:
			m.sub = nodeError
			return true
		case m.sub == nodeError && m.blanks > 0 && (hasLit(line, 0, "Node.js v") || hasLit(line, 0, "(Use `node --trace")):
			return true
		}
	}
	if m.sub == julHead {
		m.sub = subNone
		if m.lines == 1 && m.blanks == 0 && julLevelLine(line) {
			m.jul = true
			return true
		}
	}
	if ind > m.indent && m.traceAt != 0 && sameHead(m.buf[:m.firstLen], line) {
		return false // a right-aligned first column: a record of its own
	}
	if ind > m.indent {
		if m.blanks > 0 && m.rt != rtNone && !(m.rt == rtNode && m.sub == nodeError) {
			return false // a trace ended at the blank line
		}
		m.indented(line, ind)
		return true
	}
	if m.blanks > 0 {
		return false
	}
	switch c := line[0]; {
	case c == '}' || c == ']' || c == ')':
		if m.lines > 1 && closers(line) {
			return true
		}
	case c == 'C' && hasLit(line, 0, "Caused by: "), c == 'S' && hasLit(line, 0, "Suppressed: "):
		if m.rt == rtJava || m.frames {
			m.markTrace(rtJava)
			return true
		}
	case c == '.' && moreLine(line):
		m.markTrace(rtJava)
		return true
	case c == 'T' && hasLit(line, 0, tracebackLine):
		if !m.frames && m.rt == rtNone && m.looksLog() {
			m.markTrace(rtPython)
			m.sub = pyFrames
			return true
		}
	case c == 'S' && hasLit(line, 0, "Stack trace:"), c == '#' && phpFrame(line):
		if m.lines > 1 || m.rt == rtPHP || m.looksLog() {
			m.markTrace(rtPHP)
			m.frames = true
			return true
		}
	}
	if m.rt == rtRuby && m.traceAt == 0 && m.frames && rubyUncaught(line) {
		return true // the cause of an uncaught exception, printed after it
	}
	if rubyFrame(line) && (m.rt == rtRuby || m.frames || m.lines > 1 || m.looksLog()) {
		m.markTrace(rtRuby)
		m.frames = true
		return true
	}
	if !m.frames && m.rt != rtPython && javaException(line) && (m.jul || m.looksLog()) {
		m.markTrace(rtJava)
		return true
	}
	return false
}

// sameHead reports whether line, indented by spaces, opens with the same
// header as first, the record's first line: their first two words or more
// (after the blanks; up to four) are made of the same kinds of bytes, and
// one of them holds a digit or is a level word in both (a logger and a
// dash before the level: "  c.e.Svc - WRN -").
// Such a line is not indented under the record: its first column is
// right-aligned ("  INFO 2024-…" under "ERROR 2024-…", a pid padded to a
// width), and the record itself is the evidence of the stream's layout.
// Frames, dumps and wrapped text under a record do not open like it.
func sameHead(first, line []byte) bool {
	i := leadingBlanks(line)
	for _, c := range line[:i] {
		if c != ' ' {
			return false // tabs indent frames ("\tat", "\t/path.go:12")
		}
	}
	a, b := first[leadingBlanks(first):], line[i:]
	evidence := false
	for w := 0; w < 4; w++ {
		ea, eb := headWordEnd(a), headWordEnd(b)
		if ea == 0 || eb == 0 || !sameShape(a[:ea], b[:eb]) {
			return false
		}
		evidence = evidence || headerWord(a[:ea]) && headerWord(b[:eb])
		if evidence && w > 0 {
			return true
		}
		a, b = a[ea:], b[eb:]
		a, b = a[leadingBlanks(a):], b[leadingBlanks(b):]
	}
	return false
}

// headWordEnd returns the end of the word at the start of b.
func headWordEnd(b []byte) int {
	i := 0
	for i < len(b) && b[i] != ' ' && b[i] != '\t' {
		i++
	}
	return i
}

// sameShape reports whether x and y are made of the same kinds of bytes:
// digits, letters, and each punctuation mark (a logger "i.g.Caddy" is
// shaped like "c.e.r.Accessors", a date like a date).
func sameShape(x, y []byte) bool {
	return shapeMask(x) == shapeMask(y)
}

func shapeMask(w []byte) uint64 {
	var m uint64
	for _, c := range w {
		switch {
		case digit(c):
			m |= 1
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= 0x80:
			m |= 2
		default:
			m |= 4 << (c % 61)
		}
	}
	return m
}

// headerWord: a word holding a digit, or a level word in any brackets.
func headerWord(w []byte) bool {
	s, e := 0, len(w)
	for s < e && !isAlnum(w[s]) {
		s++
	}
	for e > s && !isAlnum(w[e-1]) {
		e--
	}
	for _, c := range w[s:e] {
		if digit(c) {
			return true
		}
	}
	return e-s >= 3 && levelIndex(w[s:e]) >= lvlTrace
}

// indented notes what an indented continuation line says about the trace.
func (m *mlRecord) indented(line []byte, ind int) {
	t := line[leadingBlanks(line):]
	switch {
	case hasLit(t, 0, "at "):
		if m.rt == rtNone {
			switch {
			case m.traceAt >= 0:
			case m.lines == 1 && m.looksLog():
				// frames right under a log line: the trace is these lines
				m.markTrace(rtJava)
			case m.lines == 1:
				// frames under "TypeError: x" (console.error, printStackTrace):
				// a trace from the first line
				m.traceAt = 0
			default:
				// the line above is the exception header
				m.traceAt = m.lastLineStart()
			}
			m.rt = rtJava // Java or Node.js: told apart by the frames later
		}
		m.frames = true
	case hasLit(t, 0, "from ") && (m.rt == rtRuby || m.rt == rtNone):
		if m.traceAt < 0 {
			m.traceAt = m.lastLineStart()
		}
		m.rt, m.frames = rtRuby, true
	}
}

// leadingBlanks returns the number of leading spaces and tabs.
func leadingBlanks(b []byte) int {
	n := 0
	for n < len(b) && (b[n] == ' ' || b[n] == '\t') {
		n++
	}
	return n
}

// lastLineStart returns the offset of the last line in buf.
func (m *mlRecord) lastLineStart() int {
	for i := len(m.buf) - 1; i >= 0; i-- {
		if m.buf[i] == '\n' {
			return i + 1
		}
	}
	return 0
}

// traceStart recognises a line that starts a stack trace by itself.
func traceStart(b []byte) (runtimeKind, uint8) {
	if len(b) < 6 {
		return rtNone, subNone
	}
	switch b[0] {
	case 'p':
		if hasLit(b, 0, "panic: ") {
			return rtGo, subNone
		}
	case 'f':
		if hasLit(b, 0, "fatal error: ") {
			return rtGo, subNone
		}
	case 'g':
		if goroutineHeader(b) {
			return rtGo, subNone
		}
	case 'S':
		if hasLit(b, 0, "SIG") && goSignalLine(b) {
			return rtGo, subNone
		}
	case 'T':
		if hasLit(b, 0, tracebackLine) {
			return rtPython, pyFrames
		}
	case 'E':
		if hasLit(b, 0, `Exception in thread "`) {
			return rtJava, subNone
		}
	}
	if rubyUncaught(b) {
		return rtRuby, subNone
	}
	if nodeHeader(b) {
		return rtNode, subNone
	}
	return rtNone, subNone
}

// goroutineHeader: "goroutine 1 [running]:" (also with gp=, m= fields).
func goroutineHeader(b []byte) bool {
	if !hasLit(b, 0, "goroutine ") {
		return false
	}
	i := scanDigits(b, 10, 20)
	return i > 0 && i < len(b) && b[i] == ' ' && b[len(b)-1] == ':' && b[len(b)-2] == ']'
}

// goSignalLine: "SIGQUIT: quit", "SIGSEGV: segmentation violation".
func goSignalLine(b []byte) bool {
	i := 3
	for i < len(b) && b[i] >= 'A' && b[i] <= 'Z' {
		i++
	}
	return i > 3 && hasLit(b, i, ": ")
}

// goLine reports whether a line belongs to a Go panic or goroutine dump.
func goLine(b []byte, ind int) bool {
	if ind > 0 {
		return false // indented lines are continuations anyway
	}
	switch b[0] {
	case 'g':
		if goroutineHeader(b) || hasLit(b, 0, "goroutine running on other thread") {
			return true
		}
	case 'c':
		if hasLit(b, 0, "created by ") {
			return true
		}
	case '[':
		if hasLit(b, 0, "[signal ") || hasLit(b, 0, "[recovered]") {
			return true
		}
	case 'r':
		if hasLit(b, 0, "runtime stack:") {
			return true
		}
	case 'e':
		if hasLit(b, 0, "exit status ") {
			return true
		}
	case 'p':
		if hasLit(b, 0, "panic: ") {
			return true
		}
	case 'f':
		if hasLit(b, 0, "fatal error: ") {
			return true
		}
	case 'P':
		if hasLit(b, 0, "PC=0x") {
			return true
		}
	case '.':
		if hasLit(b, 0, "...additional frames elided...") {
			return true
		}
	case 's':
		if hasLit(b, 0, "signal arrived during") {
			return true
		}
	}
	return goFuncLine(b) || goRegister(b)
}

// goFuncLine: "main.main()", "net/http.(*conn).serve(0xc000, {0x1, 0x2})",
// "panic({0x4a1b20?, 0xc000012345?})": a call whose "(" comes before any
// blank, after a dotted name (or "panic"), and that ends with ")".
func goFuncLine(b []byte) bool {
	if len(b) < 3 || b[len(b)-1] != ')' {
		return false
	}
	dot := false
	for i, c := range b {
		switch c {
		case '(':
			if i == 0 {
				return false
			}
			return dot && b[i-1] != '.' || string(b[:i]) == "panic" || b[i-1] == '.' && b[i+1] == '*'
		case '.', '/':
			dot = true
		case ' ', '\t', '"', '=', ':':
			return false
		}
	}
	return false
}

// goRegister: "rax    0x0", "r10    0xc000012345", "rip    0x46b1e3".
func goRegister(b []byte) bool {
	i := 0
	for i < len(b) && i < 6 && (b[i] >= 'a' && b[i] <= 'z' || digit(b[i])) {
		i++
	}
	if i < 2 || i >= len(b) || b[i] != ' ' {
		return false
	}
	for i < len(b) && b[i] == ' ' {
		i++
	}
	if !hasLit(b, i, "0x") {
		return false
	}
	for i += 2; i < len(b); i++ {
		if !isHexDigit(b[i]) {
			return false
		}
	}
	return true
}

// moreLine: "... 12 more" (also "... 12 common frames omitted").
func moreLine(b []byte) bool {
	if !hasLit(b, 0, "... ") {
		return false
	}
	i := scanDigits(b, 4, 9)
	return i > 0 && (hasLit(b, i, " more") || hasLit(b, i, " common frames omitted"))
}

// closers: a line of closing brackets, e.g. "}" or "]}," after a dump.
func closers(b []byte) bool {
	for _, c := range b {
		switch c {
		case '}', ']', ')', ',', ';', ' ', '\t':
		default:
			return false
		}
	}
	return true
}

// caretLine: "    ^" or Python's "    ^^^^^^" (after the indentation).
func caretLine(b []byte) bool {
	n := 0
	for _, c := range b {
		switch c {
		case '^', '~':
			n++
		case ' ', '\t':
		default:
			return false
		}
	}
	return n > 0
}

// nodeHeader: "/app/server.js:42" or "node:internal/modules/cjs/loader:1228",
// the first line of an uncaught Node.js exception.
func nodeHeader(b []byte) bool {
	if len(b) < 4 || b[0] == ' ' || b[len(b)-1] < '0' || b[len(b)-1] > '9' {
		return false
	}
	i := len(b) - 1
	for i > 0 && digit(b[i]) {
		i--
	}
	if b[i] != ':' || i == 0 {
		return false
	}
	for _, c := range b[:i] {
		if c == ' ' || c == '\t' {
			return false
		}
	}
	return hasLit(b, 0, "node:") || i > 3 && (hasLit(b, i-3, ".js") || hasLit(b, i-4, ".mjs") ||
		hasLit(b, i-4, ".cjs") || hasLit(b, i-3, ".ts") || hasLit(b, i-4, ".jsx") || hasLit(b, i-4, ".tsx"))
}

// rubyFrame: "app/models/user.rb:12:in 'save'" (Ruby 3.4) or with a
// backquote (older Rubies), as loggers print backtraces.
func rubyFrame(b []byte) bool {
	if len(b) == 0 || b[len(b)-1] != '\'' {
		return false
	}
	i := rubyLoc(b)
	return i > 0 && len(b) > i
}

// rubyUncaught: "x.rb:2:in 'foo': boom (RuntimeError)", the first line of
// an uncaught Ruby exception.
func rubyUncaught(b []byte) bool {
	if len(b) == 0 || b[len(b)-1] != ')' {
		return false
	}
	i := rubyLoc(b)
	return i > 0 && indexLit(b[i:], "': ") >= 0
}

// rubyLoc returns the offset after "path.rb:12:in '" or "…:in `", or -1.
func rubyLoc(b []byte) int {
	sp := bytes.IndexByte(b, ' ')
	if sp < 0 {
		sp = len(b)
	}
	j := indexLit(b[:sp], ".rb:")
	if j <= 0 {
		return -1
	}
	i := scanDigits(b, j+4, 9)
	if i < 0 || !(hasLit(b, i, ":in '") || hasLit(b, i, ":in `")) {
		return -1
	}
	return i + 5
}

// phpFrame: "#0 /var/www/index.php(12): foo()" or "#1 {main}".
func phpFrame(b []byte) bool {
	i := scanDigits(b, 1, 4)
	return i > 0 && i+1 < len(b) && b[i] == ' ' && (b[i+1] == '/' || b[i+1] == '{' || b[i+1] == '[')
}

// javaException: an exception header, "java.lang.IllegalStateException: x"
// or "System.InvalidOperationException: x": a dotted name whose last part
// ends in Exception, Error, Throwable, Failure or Fault, then ": " or the end.
func javaException(b []byte) (ok bool) {
	e, _ := javaExceptionName(b)
	return e > 0
}

// javaExceptionName returns the end of the exception name at the start of b
// and the offset of its message (-1 when none).
func javaExceptionName(b []byte) (int, int) {
	dots, seg := 0, 0
	i := 0
	for ; i < len(b); i++ {
		c := b[i]
		switch {
		case c == '.':
			if i == seg {
				return -1, -1
			}
			dots++
			seg = i + 1
		case c == '$' || c == '_' || isAlnum(c):
		default:
			goto end
		}
	}
end:
	if dots == 0 || i == seg {
		return -1, -1
	}
	last := b[seg:i]
	if !(hasSuffix(last, "Exception") || hasSuffix(last, "Error") || hasSuffix(last, "Throwable") ||
		hasSuffix(last, "Failure") || hasSuffix(last, "Fault")) {
		return -1, -1
	}
	switch {
	case i == len(b):
		return i, -1
	case b[i] == ':' && (i+1 == len(b) || b[i+1] == ' '):
		return i, min(i+2, len(b))
	}
	return -1, -1
}

func hasSuffix(b []byte, s string) bool {
	return len(b) >= len(s) && string(b[len(b)-len(s):]) == s
}

// indexLit is bytes.Index for a string literal.
func indexLit(b []byte, s string) int {
	for i := 0; ; i++ {
		j := bytes.IndexByte(b[i:], s[0])
		if j < 0 {
			return -1
		}
		i += j
		if i+len(s) > len(b) {
			return -1
		}
		if string(b[i:i+len(s)]) == s {
			return i
		}
	}
}

// julFirstLine: java.util.logging's SimpleFormatter header,
// "Mar 10, 2024 1:55:00 PM com.example.Main main".
func julFirstLine(b []byte) bool {
	if len(b) < 24 || month(b, 0) == 0 || b[3] != ' ' {
		return false
	}
	i := scanDigits(b, 4, 2)
	if i < 0 || !hasLit(b, i, ", ") {
		return false
	}
	i = scanDigits(b, i+2, 4)
	if i < 0 || b[i] != ' ' {
		return false
	}
	i = scanDigits(b, i+1, 2)
	if i < 0 || b[i] != ':' {
		return false
	}
	j := indexLit(b[i:], " AM ")
	if j < 0 {
		j = indexLit(b[i:], " PM ")
	}
	return j >= 0 && j < 8
}

// julLevelLine: "SEVERE: message", the second line of a JUL record.
func julLevelLine(b []byte) bool {
	for _, l := range [...]string{"SEVERE: ", "WARNING: ", "INFO: ", "CONFIG: ", "FINE: ", "FINER: ", "FINEST: "} {
		if hasLit(b, 0, l) {
			return true
		}
	}
	return false
}

// looksLogLine reports whether a line starts like a log line: a timestamp,
// a JSON object, a syslog priority, or a level word among its first words.
// Only such a line takes a Python traceback or a Java exception header
// below it into its record: an unrelated line (a print) does not.
func looksLogLine(b []byte) bool {
	switch c := b[0]; {
	case digit(c), c == '{':
		return true
	case c == '<' && len(b) > 1 && digit(b[1]):
		return true
	case c == '[' && len(b) > 1 && digit(b[1]):
		return true
	case month(b, 0) > 0 && len(b) > 4 && b[3] == ' ':
		return true
	}
	// an upper-case level among the first words: "ERROR:root:msg",
	// "[ERROR] msg", "E, [2024-… #1] ERROR -- :" (lower-case words are too
	// often plain English: "cannot read config")
	i := 0
	for w := 0; w < 4 && i < len(b); w++ {
		for i < len(b) && (b[i] == ' ' || b[i] == '[' || b[i] == '(') {
			i++
		}
		s, up := i, true
		for i < len(b) && isAlnum(b[i]) {
			up = up && b[i] >= 'A' && b[i] <= 'Z'
			i++
		}
		if up && i-s >= 3 && levelIndex(b[s:i]) >= lvlDebug {
			return true
		}
		for i < len(b) && b[i] != ' ' {
			i++
		}
	}
	return false
}

// feed gives an unwrapped line to the multi-line assembly of its output
// stream. It returns ErrPartial when no record is complete yet; otherwise r
// holds the record that the line completed (the line itself is kept).
func (s *Stream) feed(body []byte, wts int64, first uint64, lines int, r *Record) error {
	m := &s.recs[0]
	stream := []byte(nil)
	if r.Stream != nil {
		stream = bytesStdout
		if string(r.Stream) == "stderr" {
			m, stream = &s.recs[1], bytesStderr
		}
	}
	trunc, wrapper := r.Truncated, r.Wrapper
	if m.active {
		switch {
		case isBlank(body):
			m.lines += lines
			m.fresh = true
			if !m.empty {
				m.blanks++
			}
			return ErrPartial
		case m.continues(body):
			if len(m.buf)+m.blanks+1+len(body) <= s.ml.MaxBytes {
				m.join(body, trunc)
				m.lines += lines - 1
				return ErrPartial
			}
		}
		old := m.mlState
		text := m.buf
		m.buf, m.spare = m.spare, m.buf
		m.start(body, first, wts, trunc, wrapper, stream)
		m.lines = lines
		return s.parseRecord(text, &old, r)
	}
	m.start(body, first, wts, trunc, wrapper, stream)
	m.lines = lines
	return ErrPartial
}

// flushRecords emits one pending multi-line record, if any.
func (s *Stream) flushRecords(r *Record) (bool, error) {
	for i := range s.recs {
		if m := &s.recs[i]; m.active {
			return true, s.emit(m, r)
		}
	}
	return false, nil
}

// emit parses m's pending record into r and clears m.
func (s *Stream) emit(m *mlRecord, r *Record) error {
	old := m.mlState
	text := m.buf
	m.buf, m.spare = m.spare[:0], m.buf
	m.active = false
	return s.parseRecord(text, &old, r)
}

// Pending reports whether a multi-line record is being assembled.
func (s *Stream) Pending() bool { return s.recs[0].active || s.recs[1].active }

// FlushRecords emits one multi-line record being assembled, if any, as
// Flush does, but leaves a partial wrapper line (a CRI "P" line) pending:
// the stream goes on. It reports false when no record was pending; call it
// until then.
func (s *Stream) FlushRecords(r *Record) (bool, error) { return s.flushRecords(r) }

// SetMultiline changes the multi-line options of a running stream (a
// configuration reload): what the stream learnt (its wrapper, format and
// the record being assembled) goes on, and o applies from the next line
// on — a new MaxBytes or MaxWait to the record being assembled too. Zero
// MaxBytes and MaxWait take their defaults. Turning the assembly off while
// a record is pending would emit the next line before it: the pending
// records must be emitted first (FlushRecords until it reports false);
// SetMultiline returns ErrRecordPending otherwise and changes nothing.
func (s *Stream) SetMultiline(o MultilineOptions) error {
	if !o.Enabled && s.Pending() {
		return ErrRecordPending
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = DefaultMaxRecord
	}
	if o.MaxWait <= 0 {
		o.MaxWait = DefaultMaxWait
	}
	s.ml = o
	return nil
}

// ErrRecordPending is returned by SetMultiline when the assembly is turned
// off while a multi-line record is being assembled.
var ErrRecordPending = errors.New("a multi-line record is being assembled")

// Expire emits a pending record that got no line during MaxWait: call it
// periodically (every few hundred milliseconds) with the current time, and
// again while it returns true. A record's wait starts at the first call
// after its last line, so it is emitted between MaxWait and MaxWait plus
// one period after that line, and the lines themselves need no clock.
func (s *Stream) Expire(now time.Time, r *Record) (bool, error) {
	ns := now.UnixNano()
	for i := range s.recs {
		m := &s.recs[i]
		if !m.active {
			continue
		}
		if m.fresh {
			m.fresh, m.at = false, ns
			continue
		}
		if ns-m.at >= int64(s.ml.MaxWait) {
			return true, s.emit(m, r)
		}
	}
	return false, nil
}

// parseRecord parses an assembled record: its first line as any line, the
// rest into fields.
func (s *Stream) parseRecord(text []byte, st *mlState, r *Record) error {
	r.Reset()
	r.Wrapper, r.Stream, r.Truncated = st.wrapper, st.stream, st.trunc
	r.Line, r.Lines = st.first, st.lines
	if st.empty {
		return s.parseBody(text[:0], r)
	}
	var err error
	switch {
	case len(text) == st.firstLen:
		err = s.parseBody(text, r)
	case st.traceAt == 0 && !(st.rt == rtNode && st.sub < nodeError):
		s.parseTrace(text, st, r)
	case st.jul && parseJUL(text, st, r):
	default:
		err = s.parseBody(text[:st.firstLen], r)
		r.Body = text
		if err == nil {
			s.continuation(text, st, r)
		}
	}
	s.finishTS(r, st.wts)
	return err
}

// continuation adds what the lines after the first say to a parsed record.
func (s *Stream) continuation(text []byte, st *mlState, r *Record) {
	first := text[:st.firstLen]
	if st.traceAt > 0 {
		trace := text[st.traceAt:]
		addException(r, st.rt, trace, first)
		r.Add(keyExcStack, trace, event.TypeString)
		return
	}
	rest := text[st.firstLen+1:]
	switch msg := r.Message; {
	case len(msg) == 0:
		r.Message = rest
	case len(msg) <= len(first) && string(first[len(first)-len(msg):]) == string(msg):
		r.Message = text[len(first)-len(msg):]
	default:
		r.Add(keyContinued, rest, event.TypeString)
	}
}

// parseTrace fills r from a record that is a stack trace from its first line.
func (s *Stream) parseTrace(text []byte, st *mlState, r *Record) {
	r.Format, r.Body = FormatStackTrace, text
	s.countFB(FormatStackTrace)
	first := text[:st.firstLen]
	r.Message = first
	r.Level = levelNames[lvlError]
	switch st.rt {
	case rtGo:
		if goroutineHeader(first) {
			r.Level = nil // a goroutine dump, not a crash
		} else {
			r.Level = levelNames[lvlFatal]
		}
	case rtPython:
		if l := pythonRaised(text); l != nil {
			r.Message = l
		}
	case rtNode:
		if l := nodeErrorLine(text); l != nil {
			r.Message = l
		}
	}
	addException(r, st.rt, text, first)
	r.Add(keyExcStack, text, event.TypeString)
}

// addException adds exception.type and exception.message from a trace.
func addException(r *Record, rt runtimeKind, trace, first []byte) {
	var typ, msg []byte
	switch rt {
	case rtGo:
		typ, msg = goException(trace)
	case rtPython:
		typ, msg = splitException(pythonRaised(trace))
	case rtJava, rtNode:
		if rt == rtJava && !javaFrames(trace) {
			rt = rtNode
		}
		if rt == rtNode {
			typ, msg = splitException(nodeErrorLine(trace))
			break
		}
		typ, msg = javaHeader(trace)
	case rtRuby:
		if typ, msg = rubyException(trace); typ == nil {
			typ, msg = rubyException(first)
		}
	}
	if len(typ) > 0 {
		r.Add(keyExcType, typ, event.TypeString)
		r.Add(keyExcMessage, msg, event.TypeString)
	}
}

// lines iterates over the lines of b.
func nextLine(b []byte, i int) (line []byte, next int) {
	j := i
	for j < len(b) && b[j] != '\n' {
		j++
	}
	return b[i:j:j], j + 1
}

// goException: "panic: boom [recovered]" → panic, boom; "fatal error: x";
// "SIGSEGV: segmentation violation".
func goException(trace []byte) ([]byte, []byte) {
	l, _ := nextLine(trace, 0)
	var typ []byte
	var i int
	switch {
	case hasLit(l, 0, "panic: "):
		typ, i = bytesGoPanic, 7
	case hasLit(l, 0, "fatal error: "):
		typ, i = bytesGoFatal, 13
	case hasLit(l, 0, "SIG") && goSignalLine(l):
		i = indexLit(l, ": ")
		return l[:i:i], l[i+2:]
	default:
		return nil, nil
	}
	msg := l[i:]
	if j := indexLit(msg, " [recovered"); j >= 0 && hasSuffix(msg, "]") { // also "[recovered, repanicked]"
		msg = msg[:j]
	}
	return typ, msg
}

// pythonRaised returns the last exception line of a Python traceback.
func pythonRaised(trace []byte) []byte {
	var last []byte
	inTB := false
	for i := 0; i < len(trace); {
		l, next := nextLine(trace, i)
		i = next
		switch {
		case len(l) == 0 || l[0] == ' ' || l[0] == '\t':
		case hasLit(l, 0, tracebackLine):
			inTB = true
		case inTB:
			last, inTB = l, false
		}
	}
	return last
}

// splitException splits "ValueError: bad value" or "TypeError [ERR_X]: m".
func splitException(l []byte) ([]byte, []byte) {
	if len(l) == 0 {
		return nil, nil
	}
	i := 0
	for i < len(l) && (isAlnum(l[i]) || l[i] == '_' || l[i] == '.' || l[i] == '$') {
		i++
	}
	if i == 0 {
		return nil, nil
	}
	typ := l[:i:i]
	switch {
	case i == len(l):
		return typ, l[i:]
	case hasLit(l, i, ": "):
		return typ, l[i+2:]
	case hasLit(l, i, " ["):
		if j := indexLit(l[i:], "]: "); j > 0 {
			return typ, l[i+j+3:]
		}
	}
	return nil, nil
}

// nodeErrorLine returns the line above the first "    at " frame.
func nodeErrorLine(trace []byte) []byte {
	var prev []byte
	for i := 0; i < len(trace); {
		l, next := nextLine(trace, i)
		i = next
		t := l[leadingBlanks(l):]
		if len(t) < len(l) && hasLit(t, 0, "at ") {
			return prev
		}
		if len(t) == len(l) && len(l) > 0 {
			prev = l
		}
	}
	return nil
}

// javaFrames reports whether the trace's frames are JVM frames
// ("at pkg.Class.method(File.java:12)") rather than Node.js ones.
func javaFrames(trace []byte) bool {
	for i := 0; i < len(trace); {
		l, next := nextLine(trace, i)
		i = next
		t := l[leadingBlanks(l):]
		if len(t) == len(l) || !hasLit(t, 0, "at ") {
			continue
		}
		return hasSuffix(t, ")") && (indexLit(t, ".java:") > 0 || indexLit(t, ".kt:") > 0 ||
			indexLit(t, ".scala:") > 0 || indexLit(t, "(Native Method)") > 0 || indexLit(t, "(Unknown Source)") > 0 ||
			indexLit(t, ".cs:line ") > 0 || indexLit(t, ".groovy:") > 0) || !hasSuffix(t, ")") && indexLit(t, ".cs:line ") > 0
	}
	return true
}

// javaHeader finds the first exception header of a JVM trace.
func javaHeader(trace []byte) ([]byte, []byte) {
	for i := 0; i < len(trace); {
		l, next := nextLine(trace, i)
		i = next
		if hasLit(l, 0, `Exception in thread "`) {
			if j := indexLit(l[21:], `" `); j >= 0 {
				l = l[21+j+2:]
			}
		}
		if e, m := javaExceptionName(l); e > 0 {
			if m < 0 {
				return l[:e:e], l[e:e]
			}
			return l[:e:e], l[m:]
		}
	}
	return nil, nil
}

// rubyException: "x.rb:2:in 'foo': boom (RuntimeError)" → RuntimeError, boom.
func rubyException(l []byte) ([]byte, []byte) {
	l, _ = nextLine(l, 0)
	if len(l) < 3 || l[len(l)-1] != ')' {
		return nil, nil
	}
	o := len(l) - 2
	for o > 0 && l[o] != '(' {
		o--
	}
	if o < 1 || l[o-1] != ' ' {
		return nil, nil
	}
	typ := l[o+1 : len(l)-1 : len(l)-1]
	msg := l[:o-1]
	if i := rubyLoc(l); i > 0 {
		if j := indexLit(l[i:], "': "); j >= 0 && i+j+3 <= o-1 {
			msg = l[i+j+3 : o-1]
		}
	} else if j := indexLit(msg, " -- : "); j >= 0 { // Logger's "E, [..] ERROR -- : msg"
		msg = msg[j+6:]
	}
	return typ, msg
}

// parseJUL parses java.util.logging's two-line record: "Mar 10, 2024
// 1:55:00 PM com.example.Main main" then "SEVERE: message", then maybe a
// trace. It reports false when the second line is not a level line.
func parseJUL(text []byte, st *mlState, r *Record) bool {
	first := text[:st.firstLen]
	second, next := nextLine(text, st.firstLen+1)
	if !julLevelLine(second) {
		return false
	}
	// the time is everything up to " AM " / " PM "
	te := indexLit(first, " AM ")
	if te < 0 {
		te = indexLit(first, " PM ")
	}
	te += 3
	r.Format, r.Body = "jul", text
	r.Add(keyTime, first[:te:te], event.TypeTimestamp)
	if ns, ok := parseJULTime(first[:te]); ok {
		r.SetTS(ns, LayoutJUL)
	}
	rest := first[te+1:]
	if sp := indexLit(rest, " "); sp > 0 {
		r.Add(keyLogger, rest[:sp:sp], event.TypeString)
		r.Add(keyMethod2, rest[sp+1:], event.TypeString)
	} else if len(rest) > 0 {
		r.Add(keyLogger, rest, event.TypeString)
	}
	c := indexLit(second, ": ")
	r.Level = NormalizeLevel(second[:c])
	r.Add(keyLevel, second[:c:c], event.TypeEnum)
	r.Message = second[c+2:]
	if next < len(text) {
		trace := text[next:]
		if st.traceAt > 0 {
			trace = text[st.traceAt:]
		}
		addException(r, rtJava, trace, second)
		r.Add(keyExcStack, trace, event.TypeString)
	}
	return true
}

// LayoutJUL is java.util.logging's "Mar 10, 2024 1:55:00 PM" (local time,
// read as UTC).
const LayoutJUL = "jul"

// parseJULTime reads "Jan 2, 2006 3:04:05 PM".
func parseJULTime(b []byte) (int64, bool) {
	mo := month(b, 0)
	i := scanDigits(b, 4, 2)
	if mo == 0 || i < 0 {
		return 0, false
	}
	d := atoi(b[4:i])
	ys := i + 2
	i = scanDigits(b, ys, 4)
	if i < 0 {
		return 0, false
	}
	y := atoi(b[ys:i])
	hs := i + 1
	i = scanDigits(b, hs, 2)
	if i < 0 || i+6 > len(b) || b[i] != ':' || b[i+3] != ':' {
		return 0, false
	}
	h := atoi(b[hs:i])
	mi, ok1 := num2(b, i+1)
	sec, ok2 := num2(b, i+4)
	if !ok1 || !ok2 || h < 1 || h > 12 || d < 1 || d > 31 {
		return 0, false
	}
	if hasLit(b, i+6, " PM") && h != 12 {
		h += 12
	} else if hasLit(b, i+6, " AM") && h == 12 {
		h = 0
	}
	return UnixNano(y, mo, d, h, mi, sec, 0)
}

func atoi(b []byte) int {
	n := 0
	for _, c := range b {
		n = n*10 + int(c-'0')
	}
	return n
}
