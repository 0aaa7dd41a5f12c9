package main

import (
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gopulse/gopulse/logengine"
)

// synth: header layouts composed at random from real-world field
// primitives (a timestamp in many spellings, a level in many spellings, a
// pid, a thread, a logger name, a host, a component, separator tokens,
// padding and bracket kinds), each wrapped around messages of the
// development projects rendered as build renders them. It measures the
// header model on layouts nobody wrote a rule for: a layout is a seed, and
// the seeds are split once, here, into a development range (iterate on it)
// and a held-out range (report it, never tune on it).
//
//	logcorpus synth -seeds dev|held|doc [-n N] [-synth-lines N] [-detail] [-dump DIR]
//
// Ground truth of every line: its header fields and its message. Scores
// per layout: the fraction of lines whose parsed message is the rendered
// message (two passes, as `gopulse logs parse`), of lines whose ts is the
// rendered time (layouts with a full date; time-only layouts are scored
// on the time of day), of lines whose level is the rendered level, and of
// header field values found among the record's fields; and the grouping
// accuracy of the miner on the lines (two passes and one pass).

// The seed ranges: fixed before any tuning (TestSynthSeeds pins them).
const (
	synthDevSeed  = 1      // development seeds: synthDevSeed … +synthSeeds-1
	synthHeldSeed = 100001 // held-out seeds: never looked at per layout while tuning
	synthSeeds    = 200
)

// tsSpell is a timestamp spelling.
type tsSpell struct {
	name   string
	layout string // Go layout; "" for epochs
	full   bool   // carries a full date: the ts is scored exactly
	clock  bool   // time of day only: scored on the time of day
	prec   time.Duration
	zone   bool // rendered in a zone other than UTC
	// spaceHour: the hour padded with a blank, not a zero (MariaDB's
	// "%2d:%02d:%02d"); documented classes only
	spaceHour bool
	epoch     int // 1 seconds, 2 milliseconds, 3 seconds with a fraction
}

var tsSpells = []tsSpell{
	{name: "ts-iso-t-zone", layout: "2006-01-02T15:04:05.000Z07:00", full: true, prec: time.Millisecond, zone: true},
	{name: "ts-iso-t-z", layout: "2006-01-02T15:04:05Z07:00", full: true, prec: time.Second},
	{name: "ts-iso-t-micro", layout: "2006-01-02T15:04:05.000000Z07:00", full: true, prec: time.Microsecond},
	{name: "ts-iso-space-comma", layout: "2006-01-02 15:04:05,000", full: true, prec: time.Millisecond},
	{name: "ts-iso-space-dot", layout: "2006-01-02 15:04:05.000", full: true, prec: time.Millisecond},
	{name: "ts-iso-space-zone", layout: "2006-01-02 15:04:05.000 -0700", full: true, prec: time.Millisecond, zone: true},
	{name: "ts-iso-space-utc", layout: "2006-01-02 15:04:05 MST", full: true, prec: time.Second},
	{name: "ts-slash-ymd", layout: "2006/01/02 15:04:05", full: true, prec: time.Second},
	{name: "ts-dmy-slash", layout: "02/01/2006 15:04:05", full: true, prec: time.Second},
	{name: "ts-yymmdd", layout: "060102 150405", full: true, prec: time.Second},
	{name: "ts-dd-mon-yyyy", layout: "02-Jan-2006 15:04:05.000", full: true, prec: time.Millisecond},
	{name: "ts-syslog", layout: "Jan _2 15:04:05"},
	{name: "ts-ctime", layout: "Mon Jan _2 15:04:05 2006", full: true, prec: time.Second},
	{name: "ts-clock-ms", layout: "15:04:05.000", clock: true, prec: time.Millisecond},
	{name: "ts-clock-comma", layout: "15:04:05,000", clock: true, prec: time.Millisecond},
	{name: "ts-epoch-s", full: true, prec: time.Second, epoch: 1},
	{name: "ts-epoch-ms", full: true, prec: time.Millisecond, epoch: 2},
	{name: "ts-epoch-frac", full: true, prec: time.Millisecond, epoch: 3},
}

var synthZone = time.FixedZone("", 2*3600)

func (s tsSpell) render(t time.Time) string {
	t = t.Truncate(s.prec)
	switch s.epoch {
	case 1:
		return strconv.FormatInt(t.Unix(), 10)
	case 2:
		return strconv.FormatInt(t.UnixMilli(), 10)
	case 3:
		return fmt.Sprintf("%d.%03d", t.Unix(), t.Nanosecond()/1e6)
	}
	if s.zone {
		t = t.In(synthZone)
	} else {
		t = t.UTC()
	}
	return t.Format(s.layout)
}

// levelSpells render a level ("info", "warn", …).
var levelSpells = []struct {
	name string
	f    func(l string) string
}{
	{"level-upper", func(l string) string { return strings.ToUpper(l) }},
	{"level-lower", func(l string) string { return l }},
	{"level-letter", func(l string) string { return strings.ToUpper(l[:1]) }},
	{"level-bracket", func(l string) string { return "[" + strings.ToUpper(l) + "]" }},
	{"level-angle", func(l string) string { return "<" + l + ">" }},
	{"level-colon", func(l string) string { return strings.ToUpper(l) + ":" }},
	{"level-padded", func(l string) string { return fmt.Sprintf("%-5s", strings.ToUpper(l)) }},
	{"level-bracket-padded", func(l string) string { return fmt.Sprintf("[%-5s]", strings.ToUpper(l)) }},
	{"level-bracket-letter", func(l string) string { return "[" + strings.ToUpper(l[:1]) + "]" }},
	{"level-short", func(l string) string { return strings.ToUpper(short4(l)) }},
	// right-aligned to five (bunyan's long format "%5s", Python's
	// "%(levelname)5s"): " INFO", " WARN"
	{"level-rpad", func(l string) string { return fmt.Sprintf("%5s", strings.ToUpper(l)) }},
}

// levelElixir is Elixir's Logger console level ("[info]", "[warning]"),
// the level after its metadata (see addClasses).
var levelElixir = func(l string) string {
	if l == "warn" {
		l = "warning"
	}
	return "[" + l + "]"
}

func short4(l string) string {
	switch l {
	case "info":
		return "inf"
	case "warn":
		return "wrn"
	case "error":
		return "err"
	case "debug":
		return "dbg"
	case "trace":
		return "trc"
	}
	return "ftl"
}

// A field primitive other than time and level: its value on a line, and
// the ways it may be written.
type fieldPrim struct {
	name  string
	value func(e *event) string
	wraps []string // "" bare, "[]", "()", "<>", "{}", "#", ":" (a colon after), "pad" (left-aligned to a width), "rpad" (right-aligned)
	// parts are the values a line's field holds when it holds several
	// (a key=value run); nil: the value alone. A value "" is a column
	// absent from that line (the column and its separator are left out).
	parts func(e *event) []string
}

var fieldPrims = []fieldPrim{
	{"pid", func(e *event) string { return strconv.Itoa(e.PID) }, []string{"", "[]", "#", "()"}, nil},
	{"pid-tid", func(e *event) string { return fmt.Sprintf("%d:%d", e.PID, e.TID) }, []string{"", "[]"}, nil},
	{"thread", func(e *event) string { return e.Thread }, []string{"[]", "()", "{}", "<>", "pad"}, nil},
	{"logger-dotted", func(e *event) string { return e.Class }, []string{"", "[]", ":", "pad"}, nil},
	{"logger-abbrev", func(e *event) string { return abbrev(e.Class) }, []string{"", "[]", ":", "rpad"}, nil},
	{"host", func(e *event) string { return e.Host }, []string{"", "[]"}, nil},
	{"component", func(e *event) string { return e.App }, []string{"[]", "<>", "{}", ":", ""}, nil},
}

// The header classes of addClasses: fields no other primitive composes.
var (
	// zap's console encoder writes the logger's name as a column of its
	// own only for a named logger (logger.Named("raft")): the column is
	// absent on the lines of the unnamed logger.
	primNamedLogger = fieldPrim{name: "logger-named", value: func(e *event) string {
		if h := fnv32(e.Class); h%3 == 0 {
			return ""
		}
		return e.Comp
	}, wraps: []string{""}}
	// Elixir's Logger console format "$time $metadata[$level] $message"
	// writes the metadata as key=value pairs between the time and the
	// level: "13:55:07.123 request_id=F7a9c2e1b04d pid=<0.412.0> [info] …".
	primKVMeta = fieldPrim{name: "kv-meta", value: func(e *event) string {
		return "request_id=" + reqID(e) + " pid=" + erlPID(e)
	}, wraps: []string{""}, parts: func(e *event) []string { return []string{reqID(e), erlPID(e)} }}
	// bunyan's long format (bunyan CLI, `-o long`): "[time] LEVEL:
	// name/pid on host: message (k=v, k2=v2)".
	primNameOnHost = fieldPrim{name: "name-pid-on-host", value: func(e *event) string {
		return fmt.Sprintf("%s/%d on %s:", e.App, e.PID, e.Host)
	}, wraps: []string{""}, parts: func(e *event) []string { return []string{e.App, strconv.Itoa(e.PID), e.Host} }}
)

func fnv32(s string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(s); i++ {
		h = (h ^ uint32(s[i])) * 16777619
	}
	return h
}

func reqID(e *event) string {
	return fmt.Sprintf("F%011x", uint64(fnv32(fmt.Sprint(e.Seq, e.PID)))*2654435761%(1<<44))
}
func erlPID(e *event) string { return fmt.Sprintf("<0.%d.0>", 100+e.TID*37%900) }

var synthSeps = []string{"-", "--", "---", "|", ":", "::", ">>", "=>"}

// synthField is one header field of a layout.
type synthField struct {
	kind  string // "ts", "level", or a fieldPrim name
	prim  string // the primitive's full name (for the per-primitive figures)
	ts    tsSpell
	level func(string) string
	fp    fieldPrim
	wrap  string
	width int
}

// synthLayout is a composed header layout.
type synthLayout struct {
	fields []synthField
	sep    string // between fields: " ", " SEP " or a tab
	end    string // between the header and the message
	// kvParen: the event's key=value pairs follow the message as
	// " (k=v, k2=v2)" (bunyan's long format), fields and not message
	kvParen bool
	// A documented class (docclasses.go): its name, its renderer of the
	// whole header (fields then hold the ground truth only), the level
	// its level word means, and what follows the message when its
	// pairs are written after it (fields, not message).
	doc        string
	render     func(e *event) string
	levelTruth func(e *event) string
	trailer    func(e *event) string
	// bare: the event's key/value pairs are not written on the line
	// (pino-pretty writes them on lines of their own); not scored
	bare bool
	// cri: the line is wrapped in the CRI container runtime's prefix
	cri bool
}

func (l *synthLayout) has(kind string) (synthField, bool) {
	for _, f := range l.fields {
		if f.kind == kind {
			return f, true
		}
	}
	return synthField{}, false
}

// newLayout composes a layout from seed.
func newLayout(seed uint64) *synthLayout {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	l := &synthLayout{}
	// a timestamp on most layouts, a level on most, and one to three
	// other fields
	if rng.IntN(10) < 8 {
		ts := tsSpells[rng.IntN(len(tsSpells))]
		f := synthField{kind: "ts", prim: ts.name, ts: ts}
		if rng.IntN(3) == 0 {
			f.wrap = "[]"
			f.prim += "+bracket"
		}
		l.fields = append(l.fields, f)
	}
	if rng.IntN(10) < 8 {
		ls := levelSpells[rng.IntN(len(levelSpells))]
		l.fields = append(l.fields, synthField{kind: "level", prim: ls.name, level: ls.f})
	}
	perm := rng.Perm(len(fieldPrims))
	for _, i := range perm[:1+rng.IntN(3)] {
		fp := fieldPrims[i]
		if fp.name == "pid-tid" && hasKind(l.fields, "pid") || fp.name == "pid" && hasKind(l.fields, "pid-tid") ||
			strings.HasPrefix(fp.name, "logger") && (hasKind(l.fields, "logger-dotted") || hasKind(l.fields, "logger-abbrev")) {
			continue
		}
		w := fp.wraps[rng.IntN(len(fp.wraps))]
		f := synthField{kind: fp.name, prim: fp.name, fp: fp, wrap: w}
		if w != "" {
			f.prim += "+" + w
		}
		if w == "pad" || w == "rpad" {
			f.width = 16 + rng.IntN(25)
		}
		l.fields = append(l.fields, f)
	}
	// the order: the timestamp first on most layouts; the rest shuffled
	rest := l.fields
	var first []synthField
	if len(rest) > 0 && rest[0].kind == "ts" && rng.IntN(10) < 7 {
		first, rest = rest[:1], rest[1:]
	}
	rest = append([]synthField(nil), rest...)
	rng.Shuffle(len(rest), func(i, j int) { rest[i], rest[j] = rest[j], rest[i] })
	l.fields = append(append([]synthField(nil), first...), rest...)
	// a colon after a field closes a header: only the last field has one
	for i := range l.fields[:len(l.fields)-1] {
		f := &l.fields[i]
		if f.wrap == ":" {
			f.wrap, f.prim = "", f.kind
		}
		if f.kind == "level" && f.prim == "level-colon" {
			f.prim, f.level = levelSpells[0].name, levelSpells[0].f
		}
	}
	l.sep = " "
	if rng.IntN(3) == 0 {
		l.sep = " " + synthSeps[rng.IntN(len(synthSeps))] + " "
	}
	switch rng.IntN(4) {
	case 0:
		l.end = " " + synthSeps[rng.IntN(len(synthSeps))] + " "
	case 1:
		l.end = l.sep
	default:
		l.end = " "
	}
	if last := l.fields[len(l.fields)-1]; last.wrap == ":" || last.kind == "level" && strings.HasSuffix(last.level("info"), ":") {
		l.end = " " // a colon closes the header already
	}
	composed := !addClasses(seed, l)
	addDocClasses(seed, l)
	addDocClasses2(seed, l, composed)
	return l
}

// addClasses turns some layouts into a header class of real libraries'
// default output that the primitives alone do not compose. It draws from
// a stream of its own, so a layout it leaves alone is the one the seed
// composed before these classes were added.
//   - columns separated by tabs (zap's console encoder), some with a
//     column absent on some lines (zap's logger name, for named loggers);
//   - key=value metadata between the time and the level (Elixir's
//     Logger: "$time $metadata[$level] $message");
//   - bunyan's long format: "name/pid on host:" closing the header, a
//     right-aligned level, and the pairs after the message as
//     " (k=v, k2=v2)"; or that trailing group alone.
//   - a padded session or thread column whose values are a few words and
//     many ids (SQL Server's ERRORLOG "spid85"/"Logon", Java's %-15t
//     "pool-3-thread-12"/"main"): a field, no logger.
//
// It reports whether it turned l into one of these classes.
func addClasses(seed uint64, l *synthLayout) bool {
	rng := rand.New(rand.NewPCG(seed, 0xc1a55))
	levelAt := func() int {
		for i, f := range l.fields {
			if f.kind == "level" {
				return i
			}
		}
		return -1
	}
	// a colon closes a header: none but on the last field
	uncolon := func() {
		for i := range l.fields {
			f := &l.fields[i]
			if f.wrap == ":" {
				f.wrap, f.prim = "", f.kind
			}
			if f.kind == "level" && strings.HasSuffix(f.level("info"), ":") {
				f.prim, f.level = levelSpells[0].name, levelSpells[0].f
			}
		}
	}
	class := rng.IntN(20)
	switch class {
	case 0, 1, 2:
		l.sep, l.end = "\t", "\t"
		uncolon()
		for i := range l.fields {
			if f := &l.fields[i]; f.wrap == "pad" || f.wrap == "rpad" {
				f.wrap, f.prim, f.width = "", f.kind, 0 // zap's console does not pad
			}
		}
		if rng.IntN(3) > 0 {
			// the named logger's column: after the level (zap), else last
			f := synthField{kind: primNamedLogger.name, prim: primNamedLogger.name, fp: primNamedLogger}
			at := levelAt() + 1
			if at == 0 {
				at = len(l.fields)
			}
			l.fields = append(l.fields[:at], append([]synthField{f}, l.fields[at:]...)...)
		}
	case 3, 4:
		at := levelAt()
		if at < 0 {
			l.fields = append(l.fields, synthField{kind: "level", prim: "level-elixir", level: levelElixir})
			at = len(l.fields) - 1
		}
		f := synthField{kind: primKVMeta.name, prim: primKVMeta.name, fp: primKVMeta}
		l.fields = append(l.fields[:at], append([]synthField{f}, l.fields[at:]...)...)
		if l.fields[len(l.fields)-1].kind == "level" {
			uncolon()
		}
	case 5, 6:
		uncolon()
		if n := len(l.fields); l.fields[n-1].kind == "level" {
			// bunyan: " INFO: name/pid on host:"
			l.fields[n-1].prim, l.fields[n-1].level = "level-bunyan", func(v string) string { return fmt.Sprintf("%5s:", strings.ToUpper(v)) }
		}
		l.fields = append(l.fields, synthField{kind: primNameOnHost.name, prim: primNameOnHost.name, fp: primNameOnHost})
		l.end = " "
		l.kvParen = true
	case 7:
		l.kvParen = true
	case 8, 9:
		// a padded session or thread column after the time (first
		// without one), in place of a thread field
		fp := primSessionSpid
		if rng.IntN(2) == 0 {
			fp = primSessionThread
		}
		f := synthField{kind: fp.name, prim: fp.name + "+pad", fp: fp, wrap: "pad", width: 13}
		if fp.name == primSessionThread.name {
			f.width = 15
		}
		var fs []synthField
		at := 0
		for _, g := range l.fields {
			if g.kind == "thread" {
				continue
			}
			fs = append(fs, g)
		}
		if len(fs) > 0 && fs[0].kind == "ts" {
			at = 1
		}
		l.fields = append(fs[:at:at], append([]synthField{f}, fs[at:]...)...)
		uncolon()
	}
	return class < 10
}

// sessionWord is the source word a session column holds for the lines of
// e's statement (one statement in four logs from a task of its own: SQL
// Server's "Logon", "Server", "Backup"; Java's "main"), "" for the
// others, whose column holds the session's id.
func sessionWord(e *event, words ...string) string {
	if h := fnv32(fmt.Sprint(e.File, e.Line, e.Msg[:min(len(e.Msg), 12)])); h%4 == 0 {
		return words[h/4%uint32(len(words))]
	}
	return ""
}

// The session or thread column of primSessionSpid and primSessionThread:
// a column padded to a width whose values are a few words and many ids.
var (
	// SQL Server's ERRORLOG: "2024-08-14 05:06:46.22 spid85      …",
	// "… Logon       …" — the source is the session (spidNN, spidNNs for
	// a system session) or a server task's word.
	primSessionSpid = fieldPrim{name: "session-spid", value: func(e *event) string {
		if w := sessionWord(e, "Logon", "Server", "Backup"); w != "" {
			return w
		}
		s := fmt.Sprintf("spid%d", 5+(e.TID*37+e.Seq*11)%140)
		if e.Seq%5 == 0 {
			s += "s"
		}
		return s
	}, wraps: []string{"pad"}}
	// Java's %-15t: a thread pool's threads "pool-3-thread-12",
	// "http-nio-8080-exec-7" and "main".
	primSessionThread = fieldPrim{name: "session-thread", value: func(e *event) string {
		if w := sessionWord(e, "main", "Finalizer"); w != "" {
			return w
		}
		if e.Seq%3 == 0 {
			return fmt.Sprintf("http-nio-8080-exec-%d", 1+(e.TID*7+e.Seq)%10)
		}
		return fmt.Sprintf("pool-%d-thread-%d", 1+e.PID%4, 1+(e.TID*5+e.Seq*3)%24)
	}, wraps: []string{"pad"}}
)

func hasKind(fs []synthField, kind string) bool {
	for _, f := range fs {
		if f.kind == kind {
			return true
		}
	}
	return false
}

func wrapText(v, wrap string, width int) string {
	switch wrap {
	case "[]", "()", "<>", "{}":
		return wrap[:1] + v + wrap[1:]
	case "#":
		return "#" + v
	case ":":
		return v + ":"
	case "pad":
		return fmt.Sprintf("%-*s", width, v)
	case "rpad":
		return fmt.Sprintf("%*s", width, v)
	}
	return v
}

func synthLevel(l string) string {
	switch l {
	case "trace", "debug", "info", "warn", "error", "fatal":
		return l
	case "warning":
		return "warn"
	case "panic", "dpanic":
		return "fatal"
	}
	return "info"
}

// header renders e's header in l.
func (l *synthLayout) header(e *event) string {
	var b strings.Builder
	if l.cri {
		b.WriteString(criPrefix(e))
	}
	if l.render != nil {
		b.WriteString(l.render(e))
		return b.String()
	}
	start := b.Len()
	for i, f := range l.fields {
		if f.fp.value != nil && f.fp.value(e) == "" {
			continue // a column absent from this line
		}
		if i > 0 && b.Len() > start {
			b.WriteString(l.sep)
		}
		switch f.kind {
		case "ts":
			b.WriteString(wrapText(f.ts.render(e.T), f.wrap, 0))
		case "level":
			b.WriteString(f.level(synthLevel(e.Level)))
		default:
			b.WriteString(wrapText(f.fp.value(e), f.wrap, f.width))
		}
	}
	return b.String()
}

// synthMessage is the message of e as a text layout writes it.
func synthMessage(e *event) string {
	m := strings.TrimSpace(strings.Join(strings.Fields(e.Msg), " ") + logfmtKVs(e.KVs))
	return m
}

// message returns e's message in l and the text written after it: with
// kvParen, the message alone and its pairs as " (k=v, k2=v2)".
func (l *synthLayout) message(e *event) (msg, after string) {
	if l.trailer != nil {
		return strings.Join(strings.Fields(e.Msg), " "), l.trailer(e)
	}
	if l.bare {
		return strings.Join(strings.Fields(e.Msg), " "), ""
	}
	if !l.kvParen {
		return synthMessage(e), ""
	}
	msg = strings.Join(strings.Fields(e.Msg), " ")
	if len(e.KVs) == 0 {
		return msg, ""
	}
	var b strings.Builder
	b.WriteString(" (")
	for i, p := range e.KVs {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(p[0] + "=" + quoteIfNeeded(p[1]))
	}
	b.WriteString(")")
	return msg, b.String()
}

// synthSet is one layout wrapped around one project's events.
type synthSet struct {
	seed   uint64
	layout *synthLayout
	module string
	events []event
	truth  []string
	lines  [][]byte
	msgs   []string
}

// synthScore is the score of one synthSet.
type synthScore struct {
	msg, ts, level, fields float64
	tsN, levelN, fieldsN   int // lines scored (0: not applicable)
	two, onlineFinal       float64
}

func synthRender(seed uint64, l *synthLayout, module string, st []stmt, lines int) (*synthSet, error) {
	evs, truth, _, err := genEvents(project{Module: module}, st, false, lines, seed)
	if err != nil {
		return nil, err
	}
	s := &synthSet{seed: seed, layout: l, module: module}
	for i := range evs {
		m, after := l.message(&evs[i])
		if m == "" || strings.Contains(strings.SplitN(m, " ", 2)[0], "=") {
			continue // a message that is only pairs is logfmt, not a text message
		}
		s.events = append(s.events, evs[i])
		s.msgs = append(s.msgs, m)
		s.lines = append(s.lines, []byte(l.header(&evs[i])+l.end+m+after))
		s.truth = append(s.truth, truth[i])
	}
	return s, nil
}

// hasValue reports whether a field of r's record holds v. A pid and
// thread id "4242:7" is found whole or as the record's pid 4242 and
// thread 7.
func hasValue(r *logengine.Result, v string) bool {
	for _, rf := range r.Rec.Fields {
		if string(rf.Value) == v || strings.TrimSpace(string(rf.Value)) == v {
			return true
		}
	}
	if pid, tid, ok := strings.Cut(v, ":"); ok && isDigits(pid) && isDigits(tid) {
		p, okP := r.Rec.Get("pid")
		t, okT := r.Rec.Get("thread")
		return okP && okT && string(p) == pid && string(t) == tid
	}
	return false
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func scoreSynth(s *synthSet) (synthScore, error) {
	n := len(s.lines)
	var sc synthScore
	if n == 0 {
		return sc, nil
	}
	ts, hasTS := s.layout.has("ts")
	_, hasLevel := s.layout.has("level")
	var msgOK, tsOK, lvlOK, fOK int
	see := func(j int, r *logengine.Result) {
		e := &s.events[j]
		if string(r.Rec.Message) == s.msgs[j] {
			msgOK++
		}
		if hasTS && (ts.ts.full || ts.ts.clock) {
			sc.tsN++
			want := e.T.Truncate(ts.ts.prec)
			if ts.ts.full && r.Rec.TS == want.UnixNano() ||
				ts.ts.clock && r.Rec.TS != 0 && time.Unix(0, r.Rec.TS).UTC().Format("15:04:05.000") == want.UTC().Format("15:04:05.000") ||
				s.layout.cri && r.Rec.TS == e.T.UnixNano() { // the runtime's time is as right
				tsOK++
			}
		}
		if hasLevel {
			sc.levelN++
			want := synthLevel(e.Level)
			if s.layout.levelTruth != nil {
				want = s.layout.levelTruth(e)
			}
			if string(r.Rec.Level) == want {
				lvlOK++
			}
		}
		for _, f := range s.layout.fields {
			if f.kind == "ts" || f.kind == "level" {
				continue
			}
			v := f.fp.value(e)
			if v == "" {
				continue // a column absent from this line
			}
			vs := []string{v}
			if f.fp.parts != nil {
				vs = f.fp.parts(e)
			}
			for _, v := range vs {
				sc.fieldsN++
				if hasValue(r, v) {
					fOK++
				}
			}
		}
		if s.layout.kvParen || s.layout.trailer != nil {
			for _, p := range e.KVs {
				sc.fieldsN++
				if hasValue(r, p[1]) || hasValue(r, quoteIfNeeded(p[1])) {
					fOK++
				}
			}
		}
	}
	two, _, final, _, err := mine(dataset{lines: s.lines, truth: s.truth}, see)
	if err != nil {
		return sc, err
	}
	sc.msg = float64(msgOK) / float64(n)
	if sc.tsN > 0 {
		sc.ts = float64(tsOK) / float64(sc.tsN)
	}
	if sc.levelN > 0 {
		sc.level = float64(lvlOK) / float64(sc.levelN)
	}
	if sc.fieldsN > 0 {
		sc.fields = float64(fOK) / float64(sc.fieldsN)
	}
	sc.two = groupingAccuracy(s.truth, two)
	sc.onlineFinal = groupingAccuracy(s.truth, final)
	return sc, nil
}

// synth scores the seeds of one range.
func synth(which string, nSeeds, lines int, detail bool, dump string, load func(p project) ([]stmt, error), w io.Writer) error {
	first := uint64(synthDevSeed)
	switch which {
	case "dev", "doc":
	case "held":
		first = synthHeldSeed
	default:
		return fmt.Errorf("synth: -seeds must be dev, held or doc, not %q", which)
	}
	if nSeeds <= 0 || nSeeds > synthSeeds {
		return fmt.Errorf("synth: -n must be 1 … %d", synthSeeds)
	}
	type seeded struct {
		seed uint64
		l    *synthLayout
	}
	var layouts []seeded
	if which == "doc" {
		for _, c := range append(append([]docClass(nil), docClasses...), docClasses2...) {
			for k := 0; k < docSeeds; k++ {
				seed := docSeed(c.name, k)
				l := &synthLayout{doc: c.name, sep: " ", end: " "}
				c.build(rand.New(rand.NewPCG(seed, 0xd0c)), l)
				layouts = append(layouts, seeded{seed, l})
			}
		}
	} else {
		for i := 0; i < nSeeds; i++ {
			layouts = append(layouts, seeded{first + uint64(i), newLayout(first + uint64(i))})
		}
	}
	devProjects := developmentProjects()
	type agg struct {
		n                               int
		msg, ts, level, fields, two, gA float64
		tsN, levelN, fieldsN            int
	}
	var tot agg
	per := map[string]*agg{}
	add := func(a *agg, sc synthScore) {
		a.n++
		a.msg += sc.msg
		a.two += sc.two
		a.gA += sc.onlineFinal
		if sc.tsN > 0 {
			a.tsN++
			a.ts += sc.ts
		}
		if sc.levelN > 0 {
			a.levelN++
			a.level += sc.level
		}
		if sc.fieldsN > 0 {
			a.fieldsN++
			a.fields += sc.fields
		}
	}
	if detail {
		fmt.Fprintf(w, "%-7s %6s %6s %6s %6s %7s %7s  %s\n", "seed", "msg", "ts", "level", "fields", "GA-2p", "GA-1pA", "layout (first line's header)")
	}
	for _, sl := range layouts {
		seed, l := sl.seed, sl.l
		p := devProjects[int(seed*0x9e3779b97f4a7c15>>33)%len(devProjects)]
		st, err := load(p)
		if err != nil {
			return err
		}
		s, err := synthRender(seed, l, p.Module, st, lines)
		if err != nil {
			return err
		}
		sc, err := scoreSynth(s)
		if err != nil {
			return err
		}
		if dump != "" && which != "held" {
			if err := dumpSynth(filepath.Join(dump, fmt.Sprintf("%d", seed)), s); err != nil {
				return err
			}
		}
		add(&tot, sc)
		addPer := func(k string) {
			if per[k] == nil {
				per[k] = &agg{}
			}
			add(per[k], sc)
		}
		if l.cri {
			addPer("cri-prefix")
		}
		if l.doc != "" {
			// a documented class: its own line, not its fields' (the
			// primitives' figures stay the composed layouts')
			addPer(l.doc)
		} else {
			for _, f := range l.fields {
				addPer(f.prim)
			}
			if l.kvParen {
				addPer("kv-paren-suffix")
			}
			sepName := "sep-space"
			if l.sep == "\t" {
				sepName = "sep-tab"
			} else if l.sep != " " {
				sepName = "sep" + strings.TrimSpace(l.sep)
			}
			addPer(sepName)
		}
		if detail {
			hdr := ""
			if len(s.lines) > 0 {
				hdr = l.header(&s.events[0]) + l.end
			}
			fmt.Fprintf(w, "%-7d %6.3f %6s %6s %6s %7.4f %7.4f  %q\n", seed, sc.msg, opt(sc.ts, sc.tsN), opt(sc.level, sc.levelN), opt(sc.fields, sc.fieldsN), sc.two, sc.onlineFinal, hdr)
		}
	}
	fmt.Fprintf(w, "synth %s: %d layouts, message %.4f, ts %.4f (%d layouts with a date or clock), level %.4f (%d), fields %.4f (%d), GA two-pass %.4f, one-pass with aliases %.4f\n",
		which, tot.n, meanOf(tot.msg, tot.n), meanOf(tot.ts, tot.tsN), tot.tsN, meanOf(tot.level, tot.levelN), tot.levelN, meanOf(tot.fields, tot.fieldsN), tot.fieldsN, meanOf(tot.two, tot.n), meanOf(tot.gA, tot.n))
	if detail {
		var names []string
		for k := range per {
			names = append(names, k)
		}
		sort.Slice(names, func(i, j int) bool {
			a, b := per[names[i]], per[names[j]]
			if x, y := meanOf(a.msg, a.n), meanOf(b.msg, b.n); x != y {
				return x < y
			}
			return names[i] < names[j]
		})
		fmt.Fprintf(w, "per primitive (mean over the layouts that hold it):\n%-28s %4s %6s %6s %6s %6s %7s\n", "primitive", "n", "msg", "ts", "level", "fields", "GA-2p")
		for _, k := range names {
			a := per[k]
			fmt.Fprintf(w, "%-28s %4d %6.3f %6s %6s %6s %7.4f\n", k, a.n, meanOf(a.msg, a.n), opt(meanOf(a.ts, a.tsN), a.tsN), opt(meanOf(a.level, a.levelN), a.levelN), opt(meanOf(a.fields, a.fieldsN), a.fieldsN), meanOf(a.two, a.n))
		}
	}
	return nil
}

// developmentProjects is the projects of the development part, in the
// list's order: synth and wild draw each layout's messages from them.
func developmentProjects() []project {
	var ps []project
	for _, p := range projects {
		if part, _ := projectPart(p); part == partDev {
			ps = append(ps, p)
		}
	}
	return ps
}

// meanOf is x over n, 0 when n is 0 (a figure no layout holds).
func meanOf(x float64, n int) float64 {
	if n == 0 {
		return 0
	}
	return x / float64(n)
}

// docSeeds is how many layouts `synth -seeds doc` renders per documented
// class, each with the development project and the class's choices its
// seed picks (docSeed: a hash of the class's name and k, so adding a
// class moves no other class's layouts).
const docSeeds = 6

func docSeed(name string, k int) uint64 { return 1<<40 | hash64(name+"|"+strconv.Itoa(k))>>24 }

// dumpSynth writes a development layout's lines (base.log) and their
// messages (base.msg), for looking into a layout that fails.
func dumpSynth(base string, s *synthSet) error {
	if err := os.MkdirAll(filepath.Dir(base), 0o755); err != nil {
		return err
	}
	var lb, mb strings.Builder
	for i, l := range s.lines {
		lb.Write(l)
		lb.WriteByte('\n')
		mb.WriteString(s.msgs[i])
		mb.WriteByte('\n')
	}
	if err := os.WriteFile(base+".log", []byte(lb.String()), 0o644); err != nil {
		return err
	}
	return os.WriteFile(base+".msg", []byte(mb.String()), 0o644)
}

func opt(x float64, n int) string {
	if n == 0 {
		return "-"
	}
	return fmt.Sprintf("%.3f", x)
}
