package miner

import "github.com/gopulse/gopulse/logparse"

// ParamType is the type of a template parameter (a masked token).
type ParamType uint8

const (
	ParamNone     ParamType = iota
	ParamInt                // 42, -7
	ParamFloat              // 0.5, 1e9
	ParamIP                 // 10.0.0.1, 10.0.0.1:8080, ::1
	ParamHex                // 0x1f, deadbeef01
	ParamUUID               // 123e4567-e89b-12d3-a456-426614174000
	ParamDuration           // 10ms, 1.5s, 00:01, "<1 sec"
	ParamSize               // 16.0 KB, 12MiB
	ParamTime               // 2024-01-02, 12:30:01.123
	ParamPath               // /var/log/x.1, hdfs://host/a/b
	ParamID                 // any other token carrying digits (blk_-123, attempt_1_2)
	ParamWord               // a word that varies between lines (found by merging)
)

var paramNames = [...]string{
	ParamNone:     "none",
	ParamInt:      "int",
	ParamFloat:    "float",
	ParamIP:       "ip",
	ParamHex:      "hex",
	ParamUUID:     "uuid",
	ParamDuration: "duration",
	ParamSize:     "size",
	ParamTime:     "time",
	ParamPath:     "path",
	ParamID:       "id",
	ParamWord:     "string",
}

// String returns the parameter type's name.
func (t ParamType) String() string {
	if int(t) < len(paramNames) {
		return paramNames[t]
	}
	return "unknown"
}

// token is one whitespace-separated token of a message. For a variable
// token, [cs, ce) is its variable core inside [s, e); the bytes around the
// core are kept verbatim in the template ("[<*>]", "<*>,").
type token struct {
	s, e   int32
	cs, ce int32
	typ    ParamType // ParamNone for a constant token
	key    int32     // for "key=value" variables: end of "key=" (the constant part); else s
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f'
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isAlpha(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }

func isHex(c byte) bool { return isDigit(c) || (c|0x20 >= 'a' && c|0x20 <= 'f') }

// leading and trailing punctuation that is not part of a value.
func isOpenPunct(c byte) bool {
	switch c {
	case '(', '[', '{', '<', '"', '\'', '`':
		return true
	}
	return false
}

func isClosePunct(c byte) bool {
	switch c {
	case ')', ']', '}', '>', '"', '\'', '`', ',', ';', '.', ':', '!', '?':
		return true
	}
	return false
}

// tokenize splits msg on whitespace into toks (reused) and classifies every
// token. At most max tokens are kept; the rest of the line is one last token.
func tokenize(msg []byte, toks []token, max int) []token {
	toks = toks[:0]
	i := 0
	n := len(msg)
	for i < n {
		for i < n && isSpace(msg[i]) {
			i++
		}
		if i >= n {
			break
		}
		s := i
		if len(toks) == max-1 {
			i = n
			for i > s && isSpace(msg[i-1]) {
				i--
			}
		} else {
			for i < n && !isSpace(msg[i]) {
				i++
			}
		}
		t := token{s: int32(s), e: int32(i), key: int32(s)}
		classify(msg, &t)
		toks = append(toks, t)
	}
	absorbUnits(msg, toks)
	return toks
}

// classify decides whether a token is a variable and of which type.
func classify(msg []byte, t *token) {
	s, e := int(t.s), int(t.e)
	// A key=value token: the value alone is the variable ("uid=0" → "uid=<*>").
	if k := indexByte(msg[s:e], '='); k > 0 && k < e-s-1 {
		// The value of key=value is a parameter even without digits.
		vs := s + k + 1
		if cs, ce := trimPunct(msg, vs, e); cs < ce {
			t.cs, t.ce, t.typ = int32(cs), int32(ce), valueType(msg[cs:ce])
			if t.typ == ParamNone {
				t.typ = valueType(msg[vs:e])
			}
			if t.typ == ParamNone {
				t.typ = ParamWord
			}
			t.key = int32(vs)
		}
		return
	}
	cs, ce := trimPunct(msg, s, e)
	if cs >= ce {
		return
	}
	if typ := valueType(msg[cs:ce]); typ != ParamNone {
		// "<1" as in "lifetime <1 sec": a comparison sign before a number
		if cs > s && (msg[cs-1] == '<' || msg[cs-1] == '>') && isNumber(msg[cs:ce]) {
			cs--
		}
		t.cs, t.ce, t.typ = int32(cs), int32(ce), typ
		// "name:value" ("onExtend:1514038530000"): the name stays a word
		if k := wordColon(msg[cs:ce]); k > 0 {
			vs := cs + k + 1
			// but "host:80" is an address: a short number is a port
			if typ := valueType(msg[vs:ce]); typ != ParamNone && !(typ == ParamInt && ce-vs <= 5) {
				t.key, t.cs, t.typ = int32(vs), int32(vs), typ
			}
		}
	}
}

// wordColon returns the index of the ':' that ends a leading word of
// letters and underscores (at least two), or 0.
func wordColon(b []byte) int {
	i := 0
	for i < len(b) && (isAlpha(b[i]) || b[i] == '_') {
		i++
	}
	if i >= 2 && i < len(b)-1 && b[i] == ':' && b[i+1] != '/' && b[i+1] != ':' {
		return i
	}
	return 0
}

func indexByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return -1
}

func trimPunct(msg []byte, s, e int) (int, int) {
	for s < e && isOpenPunct(msg[s]) {
		s++
	}
	for e > s && isClosePunct(msg[e-1]) {
		e--
	}
	return s, e
}

// valueType returns the variable type of a token core, or ParamNone when the
// core is a constant word.
func valueType(b []byte) ParamType {
	digits, alpha, hexOnly := 0, 0, true
	for _, c := range b {
		switch {
		case isDigit(c):
			digits++
		case isAlpha(c):
			alpha++
			if !isHex(c) {
				hexOnly = false
			}
		default:
			hexOnly = false
		}
	}
	if digits == 0 {
		// absolute paths and URLs are values even without digits
		if len(b) > 1 && b[0] == '/' && b[1] != '/' && alpha > 0 || indexByte(b, ':') > 0 && indexString(b, "://") > 0 ||
			len(b) > 3 && isAlpha(b[0]) && b[1] == ':' && b[2] == '\\' { // C:\Windows\…

			return ParamPath
		}
		return ParamNone
	}
	switch {
	case isNumber(b):
		if indexAny(b, ".eE") >= 0 {
			return ParamFloat
		}
		return ParamInt
	case logparse.IsUUID(b):
		return ParamUUID
	case isIPv4(b):
		return ParamIP
	case isClock(b):
		return ParamTime
	case isIPv6(b):
		return ParamIP
	case len(b) > 2 && b[0] == '0' && b[1]|0x20 == 'x':
		return ParamHex
	case hexOnly && len(b) >= 8 && alpha > 0:
		return ParamHex
	case isDuration(b):
		return ParamDuration
	case isClock(b):
		return ParamTime
	case indexByte(b, '/') >= 0:
		return ParamPath
	}
	// A word with one embedded digit is usually a name, not a value:
	// ssh2, SOCKS5, Slf4jLogger, log4j. Merging catches it if it varies.
	if digits == 1 && alpha == len(b)-1 {
		lead := 0
		for lead < len(b) && isAlpha(b[lead]) {
			lead++
		}
		if lead >= 2 {
			return ParamNone
		}
	}
	return ParamID
}

func indexAny(b []byte, chars string) int {
	for i, c := range b {
		for j := 0; j < len(chars); j++ {
			if c == chars[j] {
				return i
			}
		}
	}
	return -1
}

// isNumber: [+-]digits[.digits][e[+-]digits]
func isNumber(b []byte) bool {
	i := 0
	if i < len(b) && (b[i] == '-' || b[i] == '+') {
		i++
	}
	d := 0
	for i < len(b) && isDigit(b[i]) {
		i++
		d++
	}
	if i < len(b) && b[i] == '.' {
		i++
		for i < len(b) && isDigit(b[i]) {
			i++
			d++
		}
	}
	if d == 0 {
		return false
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '-' || b[i] == '+') {
			i++
		}
		e := 0
		for i < len(b) && isDigit(b[i]) {
			i++
			e++
		}
		if e == 0 {
			return false
		}
	}
	return i == len(b)
}

// isIPv4 accepts a.b.c.d with an optional :port and a leading '/'.
func isIPv4(b []byte) bool {
	if len(b) > 0 && b[0] == '/' {
		b = b[1:]
	}
	parts, d := 0, 0
	i := 0
	for ; i < len(b); i++ {
		c := b[i]
		if isDigit(c) {
			d++
			if d > 3 {
				return false
			}
			continue
		}
		if c == '.' && d > 0 && parts < 3 {
			parts++
			d = 0
			continue
		}
		break
	}
	if parts != 3 || d == 0 {
		return false
	}
	if i == len(b) {
		return true
	}
	if b[i] != ':' || i == len(b)-1 {
		return false
	}
	for _, c := range b[i+1:] {
		if !isDigit(c) {
			return false
		}
	}
	return true
}

func isIPv6(b []byte) bool {
	colons := 0
	for _, c := range b {
		switch {
		case c == ':':
			colons++
		case isHex(c), c == '.', c == '%':
		default:
			return false
		}
	}
	return colons >= 2
}

// isDuration: number followed by a time unit (10ms, 1.5s, 3m20s, 2h).
func isDuration(b []byte) bool {
	i := 0
	seen := false
	for i < len(b) {
		d := 0
		for i < len(b) && (isDigit(b[i]) || b[i] == '.') {
			i++
			d++
		}
		if d == 0 {
			return false
		}
		u := i
		for i < len(b) && isAlpha(b[i]) {
			i++
		}
		if !isTimeUnit(b[u:i]) {
			return false
		}
		seen = true
	}
	return seen
}

func isTimeUnit(u []byte) bool {
	switch string(u) {
	case "ns", "us", "µs", "ms", "s", "m", "h", "d", "sec", "secs", "min", "mins", "hr", "hrs":
		return true
	}
	return false
}

func isSizeUnit(u []byte) bool {
	switch string(u) {
	case "B", "KB", "MB", "GB", "TB", "PB", "KiB", "MiB", "GiB", "TiB", "kB", "K", "M", "G", "k", "b":
		return true
	}
	return false
}

// isClock: digits separated by ':' (12:30:01, 00:01, 12:30:01,123).
func isClock(b []byte) bool {
	if len(b) == 0 || !isDigit(b[0]) || indexString(b, "::") >= 0 {
		return false
	}
	colons := 0
	for _, c := range b {
		switch {
		case isDigit(c):
		case c == ':':
			colons++
		case c == '.' || c == ',':
		default:
			return false
		}
	}
	return colons >= 1
}

// absorbUnits folds a unit token that follows a number into that number's
// variable: "16.0 KB," is one size parameter, "<1 sec" one duration.
func absorbUnits(msg []byte, toks []token) {
	for i := 1; i < len(toks); i++ {
		p, t := &toks[i-1], &toks[i]
		// "Nov 9": a month name and a day are one time parameter
		if p.typ == ParamNone && t.typ == ParamInt && t.ce-t.cs <= 2 && t.key == t.s && isMonthName(msg[p.s:p.e]) {
			t.s, t.key, t.cs, t.typ = p.s, p.s, p.s, ParamTime
			p.e = p.s
			// and a weekday before it: "Sun Jul 24"
			if i >= 2 && toks[i-2].typ == ParamNone && isWeekdayName(msg[toks[i-2].s:toks[i-2].e]) {
				w := &toks[i-2]
				t.s, t.key, t.cs = w.s, w.s, w.s
				w.e = w.s
			}
			continue
		}
		if t.typ != ParamNone || (p.typ != ParamInt && p.typ != ParamFloat) || p.ce != p.e || p.key != p.s {
			continue
		}
		cs, ce := trimPunct(msg, int(t.s), int(t.e))
		if cs != int(t.s) || cs >= ce {
			continue
		}
		u := msg[cs:ce]
		switch {
		case isSizeUnit(u):
			t.typ = ParamSize
		case isTimeUnit(u):
			t.typ = ParamDuration
		default:
			continue
		}
		// t becomes the carrier of the merged variable; p disappears.
		t.s, t.key, t.cs, t.ce = p.s, p.key, p.cs, int32(ce)
		p.typ = ParamNone
		p.e = p.s // empty: skipped by the miner
	}
}

func indexString(b []byte, s string) int {
	for i := 0; i+len(s) <= len(b); i++ {
		if string(b[i:i+len(s)]) == s {
			return i
		}
	}
	return -1
}

func isMonthName(b []byte) bool {
	switch string(b) {
	case "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec":
		return true
	}
	return false
}

func isWeekdayName(b []byte) bool {
	switch string(b) {
	case "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun":
		return true
	}
	return false
}
