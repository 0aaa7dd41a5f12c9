package logparse

import (
	"bytes"
	"encoding/binary"
	"math/bits"

	"github.com/gopulse/gopulse/event"
)

// Matcher is one node of a parser built from combinators. Match tries to
// match at pos and returns the position after the match, or -1. Matchers
// are built once and are safe for concurrent use; per-line state lives in
// the State.
type Matcher interface {
	Match(st *State, pos int) int
}

// State is the per-line state of a combinator parse.
type State struct {
	In   []byte
	Rec  *Record
	Year int // year for layouts that carry none (syslog, klog)

	// set by the last token: a value that is not in[pos:end] (unescaped
	// string) and a parsed timestamp.
	val    []byte
	hasVal bool
	ts     int64
	layout string
	far    int // farthest position reached, for error columns
}

func (st *State) reach(p int) {
	if p > st.far {
		st.far = p
	}
}

// Seq matches each matcher in turn.
func Seq(ms ...Matcher) Matcher { return seq(ms) }

type seq []Matcher

func (s seq) Match(st *State, pos int) int {
	for _, m := range s {
		if pos = m.Match(st, pos); pos < 0 {
			return -1
		}
		st.reach(pos)
	}
	return pos
}

// Alt matches the first alternative that matches. Fields added by a failed
// alternative are removed.
func Alt(ms ...Matcher) Matcher { return alt(ms) }

type alt []Matcher

func (a alt) Match(st *State, pos int) int {
	n, sc := len(st.Rec.Fields), len(st.Rec.scratch)
	for _, m := range a {
		if p := m.Match(st, pos); p >= 0 {
			return p
		}
		st.Rec.Fields = st.Rec.Fields[:n]
		st.Rec.scratch = st.Rec.scratch[:sc]
	}
	return -1
}

// Opt matches m or nothing.
func Opt(m Matcher) Matcher { return opt{m} }

type opt struct{ m Matcher }

func (o opt) Match(st *State, pos int) int {
	n := len(st.Rec.Fields)
	if p := o.m.Match(st, pos); p >= 0 {
		return p
	}
	st.Rec.Fields = st.Rec.Fields[:n]
	return pos
}

// Many matches m zero or more times (stopping when it stops progressing).
func Many(m Matcher) Matcher { return many{m} }

type many struct{ m Matcher }

func (r many) Match(st *State, pos int) int {
	for {
		n := len(st.Rec.Fields)
		p := r.m.Match(st, pos)
		if p < 0 || p == pos {
			st.Rec.Fields = st.Rec.Fields[:n]
			return pos
		}
		pos = p
	}
}

// Lit matches the literal s.
func Lit(s string) Matcher { return lit(s) }

type lit string

func (l lit) Match(st *State, pos int) int {
	if len(st.In)-pos < len(l) || string(st.In[pos:pos+len(l)]) != string(l) {
		return -1
	}
	return pos + len(l)
}

// Byte matches one byte c.
func Byte(c byte) Matcher { return oneByte(c) }

type oneByte byte

func (c oneByte) Match(st *State, pos int) int {
	if pos < len(st.In) && st.In[pos] == byte(c) {
		return pos + 1
	}
	return -1
}

// Space matches one or more blanks (space or tab).
func Space() Matcher { return spaces{min: 1} }

// OptSpace matches zero or more blanks.
func OptSpace() Matcher { return spaces{} }

type spaces struct{ min int }

func (s spaces) Match(st *State, pos int) int {
	p := pos
	for p < len(st.In) && (st.In[p] == ' ' || st.In[p] == '\t') {
		p++
	}
	if p-pos < s.min {
		return -1
	}
	return p
}

// Until matches one or more bytes up to (not including) the first c, or to
// the end of input when c does not occur and toEnd is true.
func Until(c byte, toEnd bool) Matcher { return until{c, toEnd} }

type until struct {
	c     byte
	toEnd bool
}

func (u until) Match(st *State, pos int) int {
	if pos < len(st.In) {
		if j := bytes.IndexByte(st.In[pos:], u.c); j >= 0 {
			if j == 0 {
				return -1
			}
			return pos + j
		}
	}
	if u.toEnd && pos < len(st.In) {
		return len(st.In)
	}
	return -1
}

// Word matches a run of non-blank bytes.
func Word() Matcher { return word{} }

type word struct{}

func (word) Match(st *State, pos int) int {
	p := pos
	for p < len(st.In) && st.In[p] != ' ' && st.In[p] != '\t' {
		p++
	}
	if p == pos {
		return -1
	}
	return p
}

// Rest matches everything to the end of the line (possibly nothing).
func Rest() Matcher { return rest{} }

type rest struct{}

func (rest) Match(st *State, pos int) int { return len(st.In) }

// End matches the end of the line, allowing trailing blanks.
func End() Matcher { return end{} }

type end struct{}

func (end) Match(st *State, pos int) int {
	for pos < len(st.In) && (st.In[pos] == ' ' || st.In[pos] == '\t') {
		pos++
	}
	if pos == len(st.In) {
		return pos
	}
	return -1
}

// Dash matches "-" (a missing value in access logs).
func Dash() Matcher { return oneByte('-') }

// Int matches an optionally signed decimal integer.
func Int() Matcher { return integer{} }

type integer struct{}

func (integer) Match(st *State, pos int) int {
	p := pos
	if p < len(st.In) && (st.In[p] == '-' || st.In[p] == '+') {
		p++
	}
	s := p
	for p < len(st.In) && digit(st.In[p]) {
		p++
	}
	if p == s {
		return -1
	}
	return p
}

// Float matches a decimal number with optional fraction and exponent.
func Float() Matcher { return float{} }

type float struct{}

func (float) Match(st *State, pos int) int { return scanNumber(st.In, pos) }

// scanNumber returns the end of a number at pos or -1.
func scanNumber(b []byte, pos int) int {
	p := pos
	if p < len(b) && (b[p] == '-' || b[p] == '+') {
		p++
	}
	s := p
	for p < len(b) && digit(b[p]) {
		p++
	}
	nd := p - s
	if p < len(b) && b[p] == '.' {
		p++
		f := p
		for p < len(b) && digit(b[p]) {
			p++
		}
		nd += p - f
	}
	if nd == 0 {
		return -1
	}
	if p < len(b) && (b[p] == 'e' || b[p] == 'E') {
		q := p + 1
		if q < len(b) && (b[q] == '-' || b[q] == '+') {
			q++
		}
		e := q
		for q < len(b) && digit(b[q]) {
			q++
		}
		if q > e {
			p = q
		}
	}
	return p
}

// Quoted matches a string in double quotes with backslash escapes. The
// value (for a Capture) is the unescaped content; it is unescaped into the
// record's scratch only when it holds escapes.
func Quoted() Matcher { return quoted{'"'} }

// QuotedWith is Quoted with another quote byte (e.g. '\”).
func QuotedWith(q byte) Matcher { return quoted{q} }

type quoted struct{ q byte }

func (q quoted) Match(st *State, pos int) int {
	if pos >= len(st.In) || st.In[pos] != q.q {
		return -1
	}
	end, esc := scanQuoted(st.In, pos+1, q.q)
	if end < 0 {
		return -1
	}
	st.hasVal = true
	if esc {
		st.val = unescape(st.Rec, st.In[pos+1:end])
	} else {
		st.val = st.In[pos+1 : end]
	}
	return end + 1
}

// scanQuoted finds the closing quote from i; returns its index and whether
// a backslash escape was seen. It looks for the quote and the backslash in
// one pass, eight bytes at a time.
func scanQuoted(b []byte, i int, q byte) (int, bool) {
	if i > len(b) {
		return -1, false
	}
	qq := swarLo * uint64(q)
	for ; i+8 <= len(b); i += 8 {
		x := binary.LittleEndian.Uint64(b[i:])
		if m := swarHas(x, qq) | swarHas(x, swarBackslash); m != 0 {
			i += bits.TrailingZeros64(m) >> 3
			if b[i] == q {
				return i, false
			}
			return scanEscaped(b, i, q)
		}
	}
	for ; i < len(b); i++ {
		if b[i] == q {
			return i, false
		}
		if b[i] == '\\' {
			return scanEscaped(b, i, q)
		}
	}
	return -1, false
}

const (
	swarLo        = 0x0101010101010101
	swarHi        = 0x8080808080808080
	swarBackslash = swarLo * '\\'
)

// swarHas has the high bit set in each byte of x equal to the byte repeated
// in cc (exact for the lowest such byte, which is the one used).
func swarHas(x, cc uint64) uint64 {
	y := x ^ cc
	return (y - swarLo) &^ y & swarHi
}

// scanEscaped continues scanQuoted from a backslash at i.
func scanEscaped(b []byte, i int, q byte) (int, bool) {
	for i < len(b) {
		c := b[i]
		if c == q {
			return i, true
		}
		if c == '\\' {
			i += 2
			continue
		}
		i++
	}
	return -1, true
}

// unescape decodes backslash escapes (JSON and Go style: \n \t \r \" \\ \/
// \b \f \uXXXX with surrogate pairs, and \] from RFC 5424) into the record's
// scratch. Other escapes (\xHH included: access logs use it for binary
// bytes, which are better kept readable) are kept as they are.
func unescape(r *Record, s []byte) []byte {
	start := len(r.scratch)
	buf := r.scratch
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 >= len(s) {
			buf = append(buf, c)
			continue
		}
		i++
		switch s[i] {
		case 'n':
			buf = append(buf, '\n')
		case 't':
			buf = append(buf, '\t')
		case 'r':
			buf = append(buf, '\r')
		case 'b':
			buf = append(buf, '\b')
		case 'f':
			buf = append(buf, '\f')
		case '"', '\\', '/', '\'', ']':
			buf = append(buf, s[i])
		case 'u':
			r1, ok := hex4(s, i+1)
			if !ok {
				buf = append(buf, '\\', 'u')
				continue
			}
			i += 4
			if r1 >= 0xD800 && r1 < 0xDC00 && i+6 < len(s)+0 && i+2 < len(s) && s[i+1] == '\\' && s[i+2] == 'u' {
				if r2, ok := hex4(s, i+3); ok && r2 >= 0xDC00 && r2 < 0xE000 {
					r1 = (r1-0xD800)<<10 + (r2 - 0xDC00) + 0x10000
					i += 6
				}
			}
			buf = appendRune(buf, r1)
		default:
			buf = append(buf, '\\', s[i])
		}
	}
	r.scratch = buf
	return buf[start:len(buf):len(buf)]
}

func hexVal(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

func hex4(s []byte, i int) (rune, bool) {
	if i+4 > len(s) {
		return 0, false
	}
	var r rune
	for j := i; j < i+4; j++ {
		v, ok := hexVal(s[j])
		if !ok {
			return 0, false
		}
		r = r<<4 | rune(v)
	}
	return r, true
}

func appendRune(b []byte, r rune) []byte {
	switch {
	case r < 0x80:
		return append(b, byte(r))
	case r < 0x800:
		return append(b, 0xC0|byte(r>>6), 0x80|byte(r)&0x3F)
	case r >= 0xD800 && r < 0xE000: // lone surrogate
		return append(b, 0xEF, 0xBF, 0xBD)
	case r < 0x10000:
		return append(b, 0xE0|byte(r>>12), 0x80|byte(r>>6)&0x3F, 0x80|byte(r)&0x3F)
	default:
		return append(b, 0xF0|byte(r>>18), 0x80|byte(r>>12)&0x3F, 0x80|byte(r>>6)&0x3F, 0x80|byte(r)&0x3F)
	}
}

// IPv4 matches a dotted-quad IPv4 address.
func IPv4() Matcher { return ipm{v4: true} }

// IPv6 matches an IPv6 address (with "::" compression and an optional
// embedded IPv4 tail), optionally in brackets.
func IPv6() Matcher { return ipm{v6: true} }

// IP matches an IPv4 or IPv6 address; with port it also matches
// "1.2.3.4:80" and "[::1]:80".
func IP(port bool) Matcher { return ipm{v4: true, v6: true, port: port} }

type ipm struct{ v4, v6, port bool }

func (m ipm) Match(st *State, pos int) int { return m.scan(st.In, pos) }

func (m ipm) scan(b []byte, pos int) int {
	if m.v6 && pos < len(b) && b[pos] == '[' {
		e := scanIPv6(b, pos+1)
		if e < 0 || e >= len(b) || b[e] != ']' {
			return -1
		}
		e++
		if m.port && e < len(b) && b[e] == ':' {
			if p := scanDigits(b, e+1, 5); p > 0 {
				e = p
			}
		}
		return e
	}
	if m.v4 {
		if e := scanIPv4(b, pos); e > 0 {
			if m.port && e < len(b) && b[e] == ':' {
				if p := scanDigits(b, e+1, 5); p > 0 {
					e = p
				}
			}
			if e >= len(b) || !(isAlnum(b[e]) || b[e] == ':' || b[e] == '.') {
				return e
			}
		}
	}
	if m.v6 {
		if e := scanIPv6(b, pos); e > 0 && (e >= len(b) || !(isAlnum(b[e]) || b[e] == ':' || b[e] == '.')) {
			return e
		}
	}
	return -1
}

func isAlnum(c byte) bool {
	return digit(c) || (c|0x20 >= 'a' && c|0x20 <= 'z')
}

func scanDigits(b []byte, i, max int) int {
	s := i
	for i < len(b) && digit(b[i]) && i-s < max {
		i++
	}
	if i == s {
		return -1
	}
	return i
}

// scanIPv4 returns the end of a dotted quad at i or -1.
func scanIPv4(b []byte, i int) int {
	for part := 0; part < 4; part++ {
		if part > 0 {
			if i >= len(b) || b[i] != '.' {
				return -1
			}
			i++
		}
		v, s := 0, i
		for i < len(b) && digit(b[i]) && i-s < 3 {
			v = v*10 + int(b[i]-'0')
			i++
		}
		if i == s || v > 255 {
			return -1
		}
	}
	return i
}

// scanIPv6 returns the end of an IPv6 address at i or -1.
func scanIPv6(b []byte, i int) int {
	groups, dbl := 0, false
	start := i
	if i+1 < len(b) && b[i] == ':' && b[i+1] == ':' {
		dbl = true
		i += 2
	}
	for groups < 8 {
		// an embedded IPv4 tail
		if groups <= 6 && (dbl || groups == 6) {
			if e := scanIPv4(b, i); e > 0 && (e >= len(b) || b[e] != ':') {
				if i > start {
					return e
				}
			}
		}
		s := i
		for i < len(b) && i-s < 4 {
			if _, ok := hexVal(b[i]); !ok {
				break
			}
			i++
		}
		if i == s {
			if dbl && i > start && b[i-1] == ':' && b[i-2] == ':' {
				return i
			}
			return -1
		}
		groups++
		if groups == 8 {
			break
		}
		if i+1 < len(b) && b[i] == ':' && b[i+1] == ':' {
			if dbl {
				return -1
			}
			dbl = true
			i += 2
			if i >= len(b) || !isHexDigit(b[i]) {
				return i
			}
			continue
		}
		if i < len(b) && b[i] == ':' && i+1 < len(b) && isHexDigit(b[i+1]) {
			i++
			continue
		}
		break
	}
	if groups == 8 || (dbl && groups < 8) {
		return i
	}
	return -1
}

func isHexDigit(c byte) bool { _, ok := hexVal(c); return ok }

// Time matches a timestamp in one of the given layouts (the Layout*
// constants; LayoutEpochS matches every epoch width). The parsed time is
// available to a Capture of type TypeTimestamp.
func Time(layouts ...string) Matcher { return timeTok(layouts) }

type timeTok []string

func (t timeTok) Match(st *State, pos int) int {
	b := st.In[pos:]
	for _, l := range t {
		var ns int64
		var n int
		ok := false
		layout := l
		switch l {
		case LayoutRFC3339:
			ns, n, ok = ParseRFC3339(b)
		case LayoutSyslog:
			ns, n, ok = ParseSyslogTime(b, st.Year)
		case LayoutCLF:
			ns, n, ok = ParseCLFTime(b)
		case LayoutKlog:
			ns, n, ok = ParseKlogTime(b, st.Year)
		case LayoutNginx:
			ns, n, ok = ParseNginxTime(b)
		case LayoutApache:
			ns, n, ok = ParseApacheTime(b)
		case LayoutEpochS, LayoutEpochMS, LayoutEpochUS, LayoutEpochNS:
			ns, n, layout, ok = ParseEpoch(b)
		}
		if ok {
			st.ts, st.layout = ns, layout
			return pos + n
		}
	}
	return -1
}

// Duration matches a Go-style duration ("1.5s", "300ms", "1h2m3s", "250µs").
func Duration() Matcher { return durTok{} }

type durTok struct{}

func (durTok) Match(st *State, pos int) int { return scanDuration(st.In, pos) }

func scanDuration(b []byte, i int) int {
	units := 0
	for {
		s := i
		for i < len(b) && (digit(b[i]) || b[i] == '.') {
			i++
		}
		if i == s {
			break
		}
		u := i
		switch {
		case i+1 < len(b) && (b[i] == 'n' || b[i] == 'u' || b[i] == 'm') && b[i+1] == 's':
			i += 2
		case i+2 < len(b) && b[i] == 0xC2 && b[i+1] == 0xB5 && b[i+2] == 's': // µs
			i += 3
		case i < len(b) && (b[i] == 'h' || b[i] == 'm' || b[i] == 's'):
			i++
		}
		if i == u {
			return -1
		}
		units++
	}
	if units == 0 || (i < len(b) && isAlnum(b[i])) {
		return -1
	}
	return i
}

// Bracketed matches open, inner, close (e.g. "[", …, "]"). With a nil
// inner it matches anything up to the first close byte.
func Bracketed(open, close byte, inner Matcher) Matcher {
	return bracket{open, close, inner}
}

type bracket struct {
	open, close byte
	inner       Matcher
}

func (b bracket) Match(st *State, pos int) int {
	if pos >= len(st.In) || st.In[pos] != b.open {
		return -1
	}
	if b.inner == nil {
		for p := pos + 1; p < len(st.In); p++ {
			if st.In[p] == b.close {
				st.hasVal, st.val = true, st.In[pos+1:p]
				return p + 1
			}
		}
		return -1
	}
	p := b.inner.Match(st, pos+1)
	if p < 0 || p >= len(st.In) || st.In[p] != b.close {
		return -1
	}
	return p + 1
}

// KeyValues matches blank-separated key=value pairs (values bare or double
// quoted) and adds each as a string field.
func KeyValues() Matcher { return kvs{} }

type kvs struct{}

func (kvs) Match(st *State, pos int) int {
	n := 0
	p := pos
	for {
		q := p
		for q < len(st.In) && st.In[q] == ' ' {
			q++
		}
		e, ok := logfmtPair(st.Rec, st.In, q, true)
		if !ok {
			break
		}
		p = e
		n++
	}
	if n == 0 {
		return -1
	}
	return p
}

// Capture adds the text matched by m as a field named key. For a quoted
// string the unescaped content is used. With type TypeTimestamp the
// record's TS is set too (first timestamp wins).
func Capture(key string, t event.FieldType, m Matcher) Matcher {
	return &capture{key: []byte(key), t: t, m: m}
}

// Role says where a captured value goes besides (or instead of) Fields.
type Role uint8

const (
	RoleField   Role = iota // a field only
	RoleMessage             // Record.Message (and a field)
	RoleLevel               // Record.Level, normalised (and a field)
	RoleTime                // Record.TS (and a field)
	RoleSkip                // matched but not kept
)

// CaptureAs is Capture with a role.
func CaptureAs(key string, t event.FieldType, role Role, m Matcher) Matcher {
	return &capture{key: []byte(key), t: t, m: m, role: role}
}

type capture struct {
	key  []byte
	t    event.FieldType
	m    Matcher
	role Role
}

func (c *capture) Match(st *State, pos int) int {
	st.hasVal, st.val, st.layout = false, nil, ""
	e := c.m.Match(st, pos)
	if e < 0 {
		return -1
	}
	v := st.In[pos:e]
	if st.hasVal {
		v = st.val
		st.hasVal = false
	}
	r := st.Rec
	if st.layout != "" {
		r.SetTS(st.ts, st.layout)
		st.layout = ""
	}
	switch c.role {
	case RoleSkip:
		return e
	case RoleMessage:
		r.Message = v
	case RoleLevel:
		r.Level = NormalizeLevel(v)
	}
	if len(v) == 1 && v[0] == '-' {
		// "-" stands for a missing value in access logs.
		r.Add(c.key[:len(c.key):len(c.key)], nil, event.TypeUnknown)
		return e
	}
	r.Add(c.key[:len(c.key):len(c.key)], v, c.t)
	return e
}

// Combinator is a Parser built from a Matcher that must consume the whole
// line (trailing blanks allowed).
type Combinator struct {
	name string
	m    Matcher
	year int
}

// NewCombinator returns a Parser named name that runs m on each line.
func NewCombinator(name string, m Matcher, year int) *Combinator {
	return &Combinator{name: name, m: m, year: year}
}

// Name returns the parser's name.
func (c *Combinator) Name() string { return c.name }

// Parse runs the matcher over the line.
func (c *Combinator) Parse(line []byte, r *Record) error {
	st := &r.state
	*st = State{In: line, Rec: r, Year: c.year}
	e := c.m.Match(st, 0)
	if e >= 0 {
		for e < len(line) && (line[e] == ' ' || line[e] == '\t') {
			e++
		}
	}
	if e != len(line) {
		col := st.far
		if e > col {
			col = e
		}
		return r.Fail(c.name, "unexpected input", col)
	}
	r.Format = c.name
	r.Body = line
	return nil
}
