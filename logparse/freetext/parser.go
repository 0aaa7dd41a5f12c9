package freetext

import (
	"time"
	"unicode/utf8"

	"github.com/gopulse/gopulse/event"
	"github.com/gopulse/gopulse/logparse"
)

// Field names set by Parser.
const (
	KeyTime      = "time"
	KeyLevel     = "level"
	KeyHost      = "host"
	KeyProgram   = "program"
	KeyPID       = "pid"
	KeyThread    = "thread"
	KeyComponent = "component"
	KeySource    = "source"
	// KeyUptime is seconds since boot ("[  724107.123701]", journald's
	// short-monotonic and dmesg): a float, not a time of day
	KeyUptime = "uptime"
)

// Parser is the free-text logparse.Parser, the Stream's fallback: it
// accepts every non-empty line, fills the header fields it finds and sets
// Message to the rest of the line. The zero Parser finds headers line by
// line (Split) and is safe for concurrent use; one from NewParser also
// learns its stream's header layout (see model.go) and the order of its
// numeric dates, so it is for one stream only.
type Parser struct {
	// Year completes timestamps without a year (syslog style); 0 leaves
	// such timestamps unparsed (the text is still kept as a field).
	Year int
	m    *model
	o    *logparse.DateOrder
	last *int    // header tokens the model took from the last line's message
	pre  *[]byte // and that message before the model took them
	y    *years  // the year of the stream's year-less timestamps
	d    *days   // the day of the stream's times of day alone
	tm   *timeMemo
}

// LayoutClock is the TSLayout of a time of day alone ("13:55:07.123",
// logback's %d{HH:mm:ss.SSS}, WildFly's console) completed with the day
// the stream is read on (see days).
const LayoutClock = "clock"

// days completes a stream's times of day alone with a date: the UTC day
// the stream was opened on, and one day more each time the times fall
// back by more than twelve hours (the stream crossed midnight), as years
// does for year-less dates. A stream read a day after it was written gets
// the reading day: such a layout carries no date to do better with.
type days struct {
	day  int64 // midnight UTC of the reading day
	off  int64 // days added
	last int64 // the last time of day (ns since midnight)
	set  bool
}

const day = 24 * int64(time.Hour)

// at returns the time of day text ("15:04:05", "15:04:05.000",
// "15:04:05,000000"; isClock) on the stream's day.
func (d *days) at(text []byte) (int64, bool) {
	num := func(i int) int64 { return int64(text[i]-'0')*10 + int64(text[i+1]-'0') }
	h, m, sec := num(0), num(3), num(6)
	if h > 23 || m > 59 || sec > 60 {
		return 0, false
	}
	tod := (h*3600 + m*60 + sec) * int64(time.Second)
	if len(text) > 9 {
		frac, scale := int64(0), int64(time.Second)
		for _, c := range text[9:min(len(text), 18)] {
			frac = frac*10 + int64(c-'0')
			scale /= 10
		}
		tod += frac * scale
	}
	if d.set && tod < d.last-day/2 {
		d.off++
	}
	d.set, d.last = true, tod
	return d.day + d.off*day + tod, true
}

// years infers the year of a stream's timestamps that have none (syslog's
// "Jan _2 15:04:05", klog's "0102 15:04:05", logcat's "01-02 15:04:05"):
// Year, or the year before when the stream's first such time would lie
// more than a day after the moment the stream was opened (December's logs
// read in January); and one more each time the times fall back by more
// than half a year (the stream crossed a new year).
type years struct {
	now  int64 // when the stream was opened (0: Year was not the current year)
	off  int   // years added to Year
	last int64 // the last year-less time, as returned
	set  bool
}

const halfYear = 183 * 24 * int64(time.Hour)

// adjust returns ts (a year-less time completed with Year) in the stream's
// inferred year.
func (y *years) adjust(ts int64) int64 {
	if !y.set {
		y.set = true
		if y.now > 0 && ts > y.now+int64(24*time.Hour) {
			y.off = -1
		}
	}
	t := shiftYears(ts, y.off)
	if y.last != 0 && t < y.last-halfYear {
		y.off++
		t = shiftYears(ts, y.off)
	}
	y.last = t
	return t
}

func shiftYears(ts int64, n int) int64 {
	if n == 0 {
		return ts
	}
	return time.Unix(0, ts).UTC().AddDate(n, 0, 0).UnixNano()
}

func yearless(layout string) bool {
	return layout == logparse.LayoutSyslog || layout == logparse.LayoutKlog || layout == logparse.LayoutMonthDay
}

// NewParser returns a Parser for one stream.
func NewParser(year int) *Parser {
	y := &years{}
	var d *days
	if now := time.Now(); year == now.UTC().Year() {
		y.now = now.UnixNano()
		d = &days{day: now.UnixNano() / day * day}
	}
	return &Parser{Year: year, m: &model{}, o: &logparse.DateOrder{}, last: new(int), pre: new([]byte), y: y, d: d, tm: &timeMemo{}}
}

// Extended returns how many leading tokens of the last line's message the
// stream's header model took as header fields.
func (p Parser) Extended() int {
	if p.last == nil {
		return 0
	}
	return *p.last
}

// Unextended returns the last line's message as it was before the stream's
// header model took its leading tokens (Extended of them) as header fields:
// what Rehead takes. It points into the line. It is nil when the line's
// header closed with a mark of its own (a component's ':' or ']', a lone
// dash): the model takes nothing of that message, now or later.
func (p Parser) Unextended() []byte {
	if p.pre == nil {
		return nil
	}
	return *p.pre
}

// Layout returns the generation of the stream's header layout: it changes
// whenever the model starts or stops taking a position as a header field,
// so that an engine knows when lines read before may read differently now
// (Rehead).
func (p Parser) Layout() uint32 {
	if p.m == nil {
		return 0
	}
	return p.m.gen
}

// Settled reports whether the stream's header model has read enough
// lines (settled) to hold a layout it finds: before, the layout may still
// change with every line, and a message may still lose (or keep) leading
// tokens that the model takes as header fields once it knows the layout.
func (p Parser) Settled() bool { return p.m != nil && p.m.lines >= settled }

// Rehead returns what the stream's header model takes now as the message
// of a line whose message (after the grammar's header, Unextended) was
// msg: the rest after the tokens it takes now, and their number. An engine
// uses it for lines read before the model knew the stream's layout.
func (p Parser) Rehead(msg []byte) ([]byte, int) {
	if p.m == nil {
		return msg, 0
	}
	var shapes [maxExt]shape
	var bounds [maxExt][2]int
	n := shapesOf(msg, false, p.m, &shapes, &bounds)
	ext := p.m.extent(msg, n, &shapes, &bounds)
	if ext == 0 {
		return msg, 0
	}
	i := bounds[ext-1][1]
	for i < len(msg) && (msg[i] == ' ' || msg[i] == '\t') {
		i++
	}
	return msg[i:], ext
}

// symLabel reports whether the token at b in msg is a level symbol's word:
// letters only, and padded (two blanks or more after it).
func symLabel(msg []byte, b [2]int) bool {
	tok := msg[b[0]:b[1]]
	return len(tok) >= 3 && len(tok) <= 16 && letters(tok) == len(tok) &&
		b[1]+2 < len(msg) && msg[b[1]] == ' ' && msg[b[1]+1] == ' '
}

// Name returns "freetext".
func (Parser) Name() string { return "freetext" }

var (
	keyTime      = []byte(KeyTime)
	keyLevel     = []byte(KeyLevel)
	keyHost      = []byte(KeyHost)
	keyProgram   = []byte(KeyProgram)
	keyPID       = []byte(KeyPID)
	keyThread    = []byte(KeyThread)
	keyComponent = []byte(KeyComponent)
	keySource    = []byte(KeySource)
	keyID        = []byte("id")
	keyCategory  = []byte("category")
	keyNode      = []byte("node")
	keyContext   = []byte("context")
	keyEpoch     = []byte("epoch")
	keyFlag      = []byte("flag")
	keyUptime    = []byte(KeyUptime)
)

// Parse implements logparse.Parser. It never fails on a non-empty line.
func (p Parser) Parse(line []byte, r *logparse.Record) error {
	var h Header
	found := Split(line, &h)
	r.Format = "freetext"
	if len(h.Time) > 0 {
		r.Add(keyTime, h.Time, event.TypeTimestamp)
		p.setTS(h.Time, r)
	}
	if len(h.Level) > 0 {
		r.Add(keyLevel, h.Level, event.TypeEnum)
		r.Level = logparse.HeaderLevel(h.Level)
	}
	if len(h.Host) > 0 {
		r.Add(keyHost, h.Host, event.TypeString)
	}
	if len(h.Program) > 0 {
		r.Add(keyProgram, h.Program, event.TypeString)
	}
	if len(h.PID) > 0 {
		r.Add(keyPID, h.PID, event.TypeInt)
	}
	if len(h.Thread) > 0 {
		r.Add(keyThread, h.Thread, event.TypeString)
	}
	if len(h.Component) > 0 {
		r.Add(keyComponent, h.Component, event.TypeString)
	}
	if len(h.Source) > 0 {
		r.Add(keySource, h.Source, event.TypeString)
	}
	if len(h.Meta) > 0 {
		addMeta(h.Meta, r)
	}
	if found && !h.ended && len(h.Message) < len(line) && line[len(line)-len(h.Message)-1] == '\t' || !found && len(h.Message) == len(line) {
		// columns closed by tabs, one of them absent from some lines
		if n := p.tabCells(h.Message, !found, &h, r); n > 0 {
			h.Message = h.Message[n:]
		}
	}
	if p.m != nil {
		h.Message = p.extend(line, h.Message, found, &h, r)
	}
	r.Message = h.Message
	// a header followed by logfmt pairs ("2024-03-10T13:55:00Z level=info
	// msg=x user=u"): the pairs are fields, msg the message
	if found && len(h.Message) > 0 && logparse.ParsePairs(h.Message, r) {
		if r.Message == nil {
			r.Message = []byte{}
		}
	} else {
		r.Message = h.Message
		// a group of pairs after the message: " (k=v, k2=v2)"
		if n := trailingPairs(r.Message, r); n > 0 {
			r.Message = r.Message[:len(r.Message)-n]
			if p.pre != nil && len(*p.pre) >= n {
				*p.pre = (*p.pre)[:len(*p.pre)-n] // the message stays its tail (Rehead)
			}
		}
	}
	r.Body = line
	return nil
}

// extend moves the fields the stream's header model finds at the start of
// msg into r and returns the rest of msg.
func (p Parser) extend(line, msg []byte, found bool, h *Header, r *logparse.Record) []byte {
	var shapes [maxExt]shape
	var bounds [maxExt][2]int
	if h.grouped && h.ended {
		// a header group read the line whole: the model learns the line
		// as it did before the group rule (a group-led line is no
		// column of another layout interleaved with it) and takes nothing
		_ = p.m.observe(line, false, &shapes, &bounds)
		*p.last, *p.pre = 0, nil
		return msg
	}
	ext := p.m.observe(msg, len(h.Level) > 0, &shapes, &bounds)
	*p.last, *p.pre = ext, msg
	if h.ended {
		// the header closed itself: the model takes nothing of the
		// message, now or later (Rehead)
		*p.last, *p.pre = 0, nil
		return msg
	}
	if ext == 0 {
		return msg
	}
	have := func(k []byte) bool {
		for i := range r.Fields {
			if string(r.Fields[i].Key) == string(k) {
				return true
			}
		}
		return false
	}
	for q := 0; q < ext; q++ {
		tok := msg[bounds[q][0]:bounds[q][1]]
		switch p.m.posShape(q, shapes[q]) {
		case shInt:
			tok = trimPair(tok)
			if len(tok) > 0 && tok[0] == '#' {
				tok = tok[1:]
			}
			typ := event.TypeInt
			if !isInt(tok) {
				typ = event.TypeString // "4242:7"
			}
			switch {
			case q == 0 && !found && typ == event.TypeInt && !isBracketPair(msg[bounds[q][0]], msg[bounds[q][1]-1]):
				r.Add(keyID, tok, typ)
			case !have(keyPID):
				r.Add(keyPID, tok, typ)
			case !have(keyThread):
				r.Add(keyThread, tok, typ)
			default:
				r.Add(keyFlag, tok, typ)
			}
		case shEpoch:
			tok = trimPair(tok)
			if r.TSLayout == "" {
				if ts, layout, ok := logparse.ParseTimeText(tok, p.Year, p.o); ok {
					r.TS, r.TSLayout = ts, layout
				}
			}
			if !have(keyTime) {
				r.Add(keyTime, tok, event.TypeTimestamp)
			} else {
				r.Add(keyEpoch, tok, event.TypeTimestamp)
			}
		case shTime:
			// a time of one or more tokens: "2024-01-05 10:15:00 UTC"
			end := q
			for end+1 < ext && shapes[end+1] == shTime && p.m.posShape(end+1, shTime) == shTime {
				end++
			}
			tok = trimPair(msg[bounds[q][0]:bounds[end][1]])
			q = end
			if !have(keyTime) {
				r.Add(keyTime, tok, event.TypeTimestamp)
				if r.TSLayout == "" {
					p.setTS(tok, r)
				}
			}
		case shLevel:
			// the token at the level's position may hold no word: a
			// level padded inside its brackets ("<WARN   >") is two
			// tokens, and a lone '>' or ']' can fall there (it made
			// lv[0] panic, the stream's parse with it)
			if lv := trimLevel(tok); r.Level == nil && len(lv) > 0 {
				r.Level = logparse.NormalizeLevel(lv)
				if lv[0] >= utf8.RuneSelf && q+1 < ext && symLabel(msg, bounds[q+1]) {
					// a symbol and its word, the word padded to the
					// longest word's width (signale's badge and label,
					// "✔  success   msg", "⚠  warning   msg"): one
					// level, the word its value, the symbol its level
					q++
					lv = msg[bounds[q][0]:bounds[q][1]]
				}
				r.Add(keyLevel, lv, event.TypeEnum)
			}
		case shName:
			switch {
			case q > 0 && shapes[q-1] == shUptime && !have(keyHost):
				r.Add(keyHost, tok, event.TypeString) // journald: "[  5.123456] host ident[pid]:"
			case p.m.paddedIDs(q) && !have(keyThread):
				r.Add(keyThread, tok, event.TypeString) // ids: no context (idColumn)
			case !have(keyHost) && q == 0 || !have(keyHost) && !have(keyComponent) && tokenHasDigit(tok):
				r.Add(keyHost, tok, event.TypeString)
			case !have(keyComponent) && !p.m.idColumn(q):
				r.Add(keyComponent, tok, event.TypeString)
			case p.m.idColumn(q) && !have(keyThread):
				r.Add(keyThread, tok, event.TypeString) // ids: no context (idColumn)
			case !have(keyCategory):
				r.Add(keyCategory, tok, event.TypeString)
			default:
				r.Add(keyNode, tok, event.TypeString)
			}
		case shWord:
			switch {
			case !have(keyComponent) && !p.m.idColumn(q):
				r.Add(keyComponent, trimPair(tok), event.TypeString)
			case !have(keyThread):
				r.Add(keyThread, trimPair(tok), event.TypeString)
			default:
				r.Add(keyContext, trimPair(tok), event.TypeString)
			}
		case shUptime:
			// seconds since boot (journald's short-monotonic, dmesg): a
			// number of its own, neither a time nor a thread
			if !have(keyUptime) {
				r.Add(keyUptime, trimPair(tok), event.TypeFloat)
			}
		case shMeta:
			addMeta(tok, r)
		case shConst:
			// a program's name (one value: no context for the miner)
			if !have(keyProgram) {
				r.Add(keyProgram, tok, event.TypeString)
			} else {
				r.Add(keyCategory, tok, event.TypeString)
			}
		case shOnHost:
			if prog, pid, host, _, ok := nameOnHost(tok, 0); ok {
				if !have(keyHost) {
					r.Add(keyHost, host, event.TypeString)
				}
				r.Add(keyProgram, prog, event.TypeString)
				if !have(keyPID) {
					r.Add(keyPID, pid, event.TypeInt)
				}
			}
		case shTag:
			if prog, pid, ok := programToken(tok); ok && !have(keyProgram) {
				r.Add(keyProgram, prog, event.TypeString)
				if !have(keyPID) {
					r.Add(keyPID, pid, event.TypeInt)
				}
				continue
			}
			tok = tok[:len(tok)-1]
			if q >= 2 && shapes[q-2] == shUptime && !have(keyProgram) {
				r.Add(keyProgram, tok, event.TypeString) // journald's identifier with no pid: "… myhost kernel: …"
				continue
			}
			if p.m.idColumn(q) && !have(keyThread) {
				r.Add(keyThread, trimBrackets(tok), event.TypeString) // ids: no context (idColumn)
			} else if !have(keyComponent) {
				r.Add(keyComponent, trimBrackets(tok), event.TypeString)
			} else {
				r.Add(keyCategory, trimBrackets(tok), event.TypeString)
			}
		case shUpper:
			if !have(keyCategory) {
				r.Add(keyCategory, tok, event.TypeString)
			} else {
				r.Add(keyNode, tok, event.TypeString)
			}
		case shBracket:
			in := trimPair(tok)
			switch {
			case !have(keyComponent) && hasDot(in) && isNameToken(in) && in[0]|0x20 >= 'a' && in[0]|0x20 <= 'z' && !dottedHost(in) && !p.m.idColumn(q):
				r.Add(keyComponent, in, event.TypeString) // a logger name: "[o.e.c.Foo]"
			case !have(keyThread):
				r.Add(keyThread, in, event.TypeString)
			default:
				r.Add(keyContext, in, event.TypeString)
			}
		}
	}
	i := bounds[ext-1][1]
	for i < len(msg) && (msg[i] == ' ' || msg[i] == '\t') {
		i++
	}
	return msg[i:]
}

// trimPair strips a pair of brackets of any kind and the blanks inside:
// "[INFO ]", "(main)", "<0.1.0>", "{grpc}".
func trimPair(b []byte) []byte {
	if o, c := groupMarks(b); o > 0 {
		b = trimSpaceRight(b[o : len(b)-c])
		for len(b) > 0 && b[0] == ' ' {
			b = b[1:]
		}
	}
	return b
}

// setTS parses a header's time text into r.TS: a full timestamp, a
// year-less one in the stream's inferred year, or a time of day alone on
// the stream's reading day (see days).
func (p Parser) setTS(text []byte, r *logparse.Record) {
	var ts int64
	var layout string
	var ok bool
	if p.tm != nil && p.o != nil {
		ts, layout, ok = p.tm.parse(text, p.Year, p.o) // see timeMemo
	} else {
		ts, layout, ok = logparse.ParseTimeText(text, p.Year, p.o)
	}
	if ok {
		if p.y != nil && p.Year != 0 && yearless(layout) {
			ts = p.y.adjust(ts)
		}
		r.TS, r.TSLayout = ts, layout
		return
	}
	if p.d != nil && isClock(text) {
		if ts, ok := p.d.at(text); ok {
			r.TS, r.TSLayout = ts, LayoutClock
		}
	}
}

func tokenHasDigit(b []byte) bool {
	for _, c := range b {
		if isDigit(c) {
			return true
		}
	}
	return false
}

// Refine looks for a header nested at the start of r.Message (see
// SplitMessage) in a record another format produced, moves the fields it
// finds into r and leaves the rest as r.Message. Free-text records are left
// alone: their header was taken already. It reports whether it changed r.
func Refine(r *logparse.Record) bool {
	if r.Format == "freetext" || len(r.Message) == 0 {
		return false
	}
	var h Header
	if !SplitMessage(r.Message, &h) {
		return false
	}
	if len(h.Level) > 0 {
		if _, ok := r.Get(KeyLevel); ok {
			// the record has its level: a level word opening its message
			// is the message's (and a second level key would be a lie)
			return false
		}
		r.Add(keyLevel, h.Level, event.TypeEnum)
		if r.Level == nil {
			r.Level = logparse.HeaderLevel(h.Level)
		}
	}
	if len(h.Thread) > 0 {
		r.Add(keyThread, h.Thread, event.TypeString)
	}
	if len(h.Component) > 0 {
		r.Add(keyComponent, h.Component, event.TypeString)
	}
	r.Message = h.Message
	return true
}
