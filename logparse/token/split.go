package token

import (
	"bytes"
	"encoding/binary"
	"math/bits"
)

// ones has a 1 in every byte.
const ones = 0x0101010101010101

// Token is one blank-separated token of a message (a quoted string that
// holds blanks is one token). For a value, [CS, CE) is its core inside
// [S, E); the bytes around the core stay template text ("[<*>]", "<*>,",
// "user=<*>"). Key is the end of a constant prefix that names the value
// ("user=", "onExtend:", "conn[", "SetDeadline("), else S.
type Token struct {
	S, E   int32
	CS, CE int32
	Key    int32
	Class  Class // Word for a constant token
	Digit  bool  // the token holds a digit
}

// Var reports whether the token is a value.
func (t *Token) Var() bool { return t.Class != Word }

// Trim returns the bounds of b[s:e] without the punctuation that wraps a
// value: opening ( [ { < " ' ` and closing ) ] } > " ' ` , ; . : ! ?.
func Trim(b []byte, s, e int) (int, int) {
	for s < e && flags[b[s]]&fOpen != 0 {
		s++
	}
	for e > s && flags[b[e-1]]&fClose != 0 {
		e--
	}
	return s, e
}

// closeQuote returns the index of the quote q closing a string opened
// before i (backslash escapes skipped), when it is followed by a blank,
// the end or closing punctuation; else -1. It looks at most 4 KB ahead.
//
// A string may hold strings of its own: a quote after a blank, '(', '[',
// '{', '=' or a backslash and before more text opens one, and the next
// quote before a blank, the end or closing punctuation closes it, not the
// outer string. An error quoted whole often quotes inside (Go's
// `Get "https://h/x": dial tcp …`, `bad char 'y' in input`), and encoders
// escape the inner quotes once, twice or not at all (logfmt escapes '"'
// and '\': Elixir's Logger.Backends.Logfmt.Quoter, node's logfmt 1.4
// "quotes strings with quotes in them"; Log::Fmt 3.012 changed its rules;
// HAProxy's +E escapes what it did not), so on a few lines of a statement
// the strict reading closed the value at the inner quote and gave those
// lines a template of their own. When the inner strings do not balance,
// the strict reading stands (the first quote that may close). Without
// nest (a message key's value: msg="…" is text, its quoted words are
// values of their own) the strict reading is all.
func closeQuote(b []byte, i int, q byte, nest bool) int {
	lim := min(len(b), i+4096)
	depth, strict := 0, 0 // strict: the strict reading's result once known (0: not yet)
	for ; i < lim; i++ {
		switch b[i] {
		case '\\':
			i++
		case q:
			if i+1 == len(b) || flags[b[i+1]]&(fSpace|fClose) != 0 {
				if depth == 0 {
					return i
				}
				depth--
				if strict == 0 {
					strict = i
				}
				continue
			}
			if p := b[i-1]; nest && (p == ' ' || p == '(' || p == '[' || p == '{' || p == '=' || p == '\\') {
				depth++ // an inner string opens
				if strict == 0 && q == '"' {
					strict = -1
				}
				continue
			}
			if q == '"' && depth == 0 {
				if strict == 0 {
					return -1 // a quote glued to more text: not a string
				}
				return strict
			}
		}
	}
	if strict == 0 {
		return -1
	}
	return strict
}

// Split splits msg into tokens (appended to dst[:0]) and classifies each.
// At most max tokens are made (max ≤ 0: no limit); the rest of the line is
// one last constant token. Number-and-unit pairs ("16.0 KB", "<1 sec")
// and month-day dates ("Nov 9") are folded into one value; the token
// that is folded into another is left empty (S == E).
func Split(msg []byte, dst []Token, max int) []Token {
	dst = dst[:0]
	n := len(msg)
	i := 0
	for i < n {
		for i < n && flags[msg[i]]&fSpace != 0 {
			if msg[i] == 0x1b && i+1 < n && msg[i+1] == '[' {
				// an ANSI escape ("\x1b[31m" colours a word): skip it whole
				i += 2
				for i < n && (isDigit(msg[i]) || msg[i] == ';') {
					i++
				}
			}
			i++
		}
		if i >= n {
			break
		}
		s := i
		if max > 0 && len(dst) == max-1 {
			e := n
			for e > s && flags[msg[e-1]]&fSpace != 0 {
				e--
			}
			dst = append(dst, Token{S: int32(s), E: int32(e), CS: int32(s), CE: int32(s), Key: int32(s)})
			break
		}
		// Scan to the end, noting what the fast path must rule out.
		var all uint8
		eq, quote, spec, colon := -1, -1, false, false
		// Eight bytes at a time up to the first blank or special byte (the
		// flags of eight bytes side by side in one word): most tokens end
		// there, without a branch per byte. The loop below goes on from
		// that byte exactly as it would have got there byte by byte.
		for i+8 <= n {
			x := binary.LittleEndian.Uint64(msg[i:])
			w := flags8(x)
			stop := w & ((fSpace | fSpecial) * ones)
			if stop != 0 {
				k := bits.TrailingZeros64(stop) &^ 7
				w &= 1<<k - 1
				i += k >> 3
			} else {
				i += 8
			}
			all |= fold8(w)
			if stop != 0 {
				break
			}
		}
		for i < n {
			c := msg[i]
			f := flags[c]
			if f&(fSpace|fSpecial) != 0 {
				if f&fSpace != 0 {
					break
				}
				switch c {
				case '/', '\\', '~':
					spec = true
				case ':':
					spec, colon = true, true
				case '=':
					if eq < 0 {
						eq = i
					}
				case '"', '\'':
					// a string opens at the token's start (after opening
					// punctuation) or right after a key's '='
					if quote < 0 && (i == s || i-1 == eq || flags[msg[i-1]]&fOpen != 0 && allOpen(msg[s:i])) {
						if j := closeQuote(msg, i+1, c, eq < 0 || i-1 != eq || !msgKey(msg[s:eq])); j > 0 {
							quote = i
							i = j + 1
							continue
						}
					}
					// and right after a quoted name's ':' ('{"error":"no
					// leader"}', compact JSON): the value of that key
					if quote >= 0 {
						if j := valueString(msg, s, quote, i); j > 0 {
							i = j + 1
							continue
						}
					}
				}
			}
			all |= f
			i++
		}
		// the token is written in its place at the end of dst
		if len(dst) == cap(dst) {
			dst = append(dst, Token{})[:len(dst)]
		}
		dst = dst[:len(dst)+1]
		t := &dst[len(dst)-1]
		*t = Token{S: int32(s), E: int32(i), CS: int32(s), CE: int32(s), Key: int32(s), Digit: all&fDigit != 0}
		// Fast path: a plain word (no digit, '=', quote, '/', ':', '\\').
		if all&fDigit == 0 && eq < 0 && quote < 0 && !spec {
			if l := i - s; l == 4 || l == 5 { // true, false (what Classify finds in a word without digits)
				if cs, ce := Trim(msg, s, i); ce-cs == 4 && lowerEq(msg[cs:ce], "true") || ce-cs == 5 && lowerEq(msg[cs:ce], "false") {
					t.CS, t.CE, t.Class = int32(cs), int32(ce), Bool
				}
			}
			continue
		}
		if all == fDigit && i-s <= 19 && allDigits(msg[s:i]) {
			// only digits: an integer (what classify finds, without its
			// trimming and sequence of checks)
			t.CE, t.Class = int32(i), Int
			continue
		}
		classify(msg, t, eq, quote, colon)
	}
	absorb(msg, dst)
	return dst
}

// valueString returns where the string that opens at i closes, when it
// is the value of a quoted name that opens the token from s at quote
// ('{"error":"no leader"}'), else -1. Split calls it only at a quote
// after the token's first string, out of its loop's way.
func valueString(msg []byte, s, quote, i int) int {
	if msg[i] != '"' || msg[i-1] != ':' || msg[i-2] != '"' || msg[quote] != '"' || !(quote == s || quote == s+1 && msg[s] == '{') {
		return -1
	}
	return closeQuote(msg, i+1, '"', true)
}

func allDigits(b []byte) bool {
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func allOpen(b []byte) bool {
	for _, c := range b {
		if flags[c]&fOpen == 0 {
			return false
		}
	}
	return true
}

// msgKey: the key of a message, msg or message in any case (logfmt's,
// logrus's and slog's text handlers' own).
func msgKey(k []byte) bool {
	switch len(k) {
	case 3:
		return k[0]|0x20 == 'm' && k[1]|0x20 == 's' && k[2]|0x20 == 'g'
	case 7:
		return lowerEq(k, "message")
	}
	return false
}

// isKey: a key of key=value: a letter, '_' or '@' first, and no byte of
// a path, URL or quoted string (/ ? & " ' = \): in "/a?b=c" or
// "http://x/?q=1" the '=' belongs to a URL, not to a key.
func isKey(b []byte) bool {
	if len(b) == 0 || !(isAlpha(b[0]) || b[0] == '_' || b[0] == '@') {
		return false
	}
	for _, c := range b {
		switch c {
		case '/', '?', '&', '"', '\'', '\\', '=':
			return false
		}
	}
	return true
}

// colon: the token holds a ':' outside its strings.
func classify(msg []byte, t *Token, eq, quote int, colon bool) {
	s, e := int(t.S), int(t.E)
	// key=value (not inside a URL or path: the key must be a name)
	if eq > s && eq < e-1 && isKey(msg[s:eq]) && (quote < 0 || quote == eq+1) {
		vs := eq + 1
		t.Key = int32(vs)
		if quote == vs {
			cl := closingQuote(msg, quote, e, !msgKey(msg[s:eq]))
			t.CS, t.CE = int32(quote+1), int32(cl)
			if c := Classify(msg[quote+1 : cl]); c != Word {
				t.Class = c
			} else if hasBlank(msg[quote+1 : cl]) {
				t.Class = Quoted
			} else {
				t.Class = String
			}
			return
		}
		cs, ce := Trim(msg, vs, e)
		if cs >= ce {
			t.Key = int32(s) // "key=," : no value
			return
		}
		t.CS, t.CE = int32(cs), int32(ce)
		if t.Class = Classify(msg[cs:ce]); t.Class == Word {
			t.Class = String // a key's value is a value even without digits
		}
		return
	}
	// a quoted string with blanks is one value, and so is a word in
	// double quotes (Go's %q)
	if quote >= 0 {
		cl := closingQuote(msg, quote, e, true)
		if objectKey(msg, s, quote, cl, e) {
			return // a key of an object ({"id": 5, "error": "x"}): constant text
		}
		if cl+2 < e && msg[cl+1] == ':' && objectName(msg, s, quote, cl) {
			objectValue(msg, t, cl+2)
			return
		}
		if hasBlank(msg[quote+1:cl]) || msg[quote] == '"' && cl > quote+1 {
			t.CS, t.CE = int32(quote+1), int32(cl)
			if t.Class = Classify(msg[quote+1 : cl]); t.Class == Word {
				t.Class = Quoted
			}
			return
		}
	}
	cs, ce := Trim(msg, s, e)
	if cs >= ce {
		return
	}
	c := Classify(msg[cs:ce])
	if c == Word {
		if colon {
			gluedValue(msg, t, cs, ce)
		}
		return
	}
	// "<1" as in "lifetime <1 sec": a comparison sign before a number
	if cs > s && (msg[cs-1] == '<' || msg[cs-1] == '>') && (c == Int || c == Float) {
		cs--
	}
	t.CS, t.CE, t.Class = int32(cs), int32(ce), c
	// "name:value" ("onExtend:1514038530000"): the name stays a word, but
	// "host:80" is an address: a short number is a port
	if k := wordColon(msg[cs:ce]); k > 0 {
		vs := cs + k + 1
		if vc := Classify(msg[vs:ce]); vc != Word && !(vc == Int && ce-vs <= 5) {
			t.Key, t.CS, t.Class = int32(vs), int32(vs), vc
		} else if vc == Word {
			gluedValue(msg, t, cs, ce) // "tag:green-2", as "tag:blue"
		}
		return
	}
	// "name[value]", "Name(value)" ("conn[8]", "SetDeadline(24)",
	// "methodConfig[3]:"): the name and its bracket stay a word, as a
	// key's, and the value inside is the value
	if k := wordBracket(msg[cs:ce]); k > 0 {
		vs := cs + k + 1
		if vc := Classify(msg[vs:ce]); vc != Word {
			t.Key, t.CS, t.Class = int32(vs), int32(vs), vc
		}
	}
}

// objectKey reports whether the token [s, e), a double-quoted name at
// quote..cl followed by ':' alone, is a key of a JSON-like object: the
// first after its '{' ('{"id":') or one after a ',' ('5, "error":'). A
// quoted value that closes a clause ('label "web-2": …') is neither.
func objectKey(msg []byte, s, quote, cl, e int) bool {
	return cl == e-2 && msg[e-1] == ':' && objectName(msg, s, quote, cl)
}

// objectValue classifies the token t, a key of a compact JSON-like object
// and its value glued to it ('{"error":"no leader"}', '{"n":3,'), as
// key=value: the key and its ':' are constant text, the value from vs
// (a string whole, blanks and all, or a scalar up to a ',', '}' or ']')
// the value; a key with an empty value is constant text. Before it the
// key's name was read as the token's quoted value ('{"<*>":"leader
// changed"}'). Compact JSON closes messages of independent loggers:
// Monolog's LineFormatter ("%message% %context% %extra%", json_encode,
// '{"error":"x"} []'), logform's simple format (winston, JSON.stringify
// of the rest), Go's json.Marshal of a struct written after a message.
func objectValue(msg []byte, t *Token, vs int) {
	e := int(t.E)
	cs, ce := vs, e
	if msg[vs] == '"' {
		cs, ce = vs+1, closingQuote(msg, vs, e, true)
	} else {
		for k := vs; k < e; k++ {
			if c := msg[k]; c == ',' || c == '}' || c == ']' {
				ce = k
				break
			}
		}
		cs, ce = Trim(msg, cs, ce)
	}
	if cs >= ce {
		return
	}
	t.Key, t.CS, t.CE = int32(vs), int32(cs), int32(ce)
	if t.Class = Classify(msg[cs:ce]); t.Class == Word {
		t.Class = String // a key's value is a value even without digits
		if hasBlank(msg[cs:ce]) {
			t.Class = Quoted
		}
	}
}

// objectName reports whether the double-quoted name at quote..cl of the
// token from s is where a key of a JSON-like object is: the first after
// its '{' ('{"id"') or one after a ',' ('5, "error"').
func objectName(msg []byte, s, quote, cl int) bool {
	if msg[quote] != '"' || cl == quote+1 {
		return false
	}
	for _, c := range msg[quote+1 : cl] {
		if !(isAlpha(c) || isDigit(c) || c == '_' || c == '-' || c == '.') {
			return false
		}
	}
	if quote > s {
		return quote == s+1 && msg[s] == '{'
	}
	i := s - 1
	for i >= 0 && (msg[i] == ' ' || msg[i] == '\t') {
		i--
	}
	return i >= 0 && msg[i] == ',' && i < s-1
}

// gluedValue classifies the token t, whose core [cs, ce) reads as a word
// (or a name and a word: "tag:green-2"), as key=value when it is a name
// glued by a ':' to a value ("tag:blue", "dst:/srv/t/a.json", a Go %+v
// struct's "{Host:shelf-a" or "&{Name:web"): the name and its ':'
// constant text, the value the value. Before it such a token was one
// constant word, so a statement's lines split into an event per value
// seen on few lines beside one whose token the miner made a parameter
// whole ("trimming tag:blue <*>" beside "trimming <*> <*>"). Programs
// write values so in their format strings and through Go's fmt: %+v
// prints a struct's fields as {Name:value Port:80} (fmt's docs: "the
// plus flag (%+v) adds field names"; slog's TextHandler prints struct
// values with it); envoyproxy/go-control-plane logs "open delta watch
// ID:%d for %s Resources:%v from nodeID: %q", moby's libnetwork
// "failed adding service binding for %s epRec:%v err:%v". Not a name and
// its value (kvColon, proseNext): a clause's label ending in ':'
// ("raft:node1:"), a name followed by more ':' (Python's
// "ERROR:root:msg", IPv6, "a::b"), a URL's "//", a drive letter (a name
// of one letter), and a word glued to a sentence going on after it
// ("blkdiscard is not available:invalid argument", Go's "…:%v" of an
// error): that stays as it was.
func gluedValue(msg []byte, t *Token, cs, ce int) {
	if msg[t.E-1] == ':' {
		return
	}
	if ce-cs > 2 && msg[cs] == '&' && msg[cs+1] == '{' {
		cs += 2 // a struct through a pointer: "&{Name:web"
	}
	k := kvColon(msg[cs:ce])
	if k == 0 || proseNext(msg, int(t.E)) {
		return
	}
	vs := cs + k + 1
	t.Key, t.CS, t.CE = int32(vs), int32(vs), int32(ce)
	if t.Class = Classify(msg[vs:ce]); t.Class == Word {
		t.Class = String // a key's value is a value even without digits
	}
}

// proseNext reports whether the token after e is a word of letters
// alone ("available:invalid argument": an error glued to its clause's
// ':', Go's "…:%v", goes on as a sentence), not another pair, a value or
// the end: a pair's value ends its clause.
func proseNext(msg []byte, e int) bool {
	for e < len(msg) && flags[msg[e]]&fSpace != 0 {
		e++
	}
	s := e
	for e < len(msg) && isAlpha(msg[e]) {
		e++
	}
	return e > s && (e == len(msg) || flags[msg[e]]&fSpace != 0)
}

// kvColon returns the index of the ':' in b that ends a name (2 to 30
// letters, '_', '.' or '-', a letter or '_' first) and opens a value
// holding no ':' and not opening with "//" (a URL's), else 0.
func kvColon(b []byte) int {
	i := bytes.IndexByte(b, ':')
	if i < 2 || i > 30 || i >= len(b)-1 {
		return 0
	}
	for k, c := range b[:i] {
		if !(isAlpha(c) || c == '_' || k > 0 && (c == '.' || c == '-')) {
			return 0
		}
	}
	v := b[i+1:]
	if len(v) >= 2 && v[0] == '/' && v[1] == '/' || bytes.IndexByte(v, ':') >= 0 {
		return 0
	}
	return i
}

// wordBracket returns the index of the '(' or '[' that follows a name of
// two letters or more at the start of b ("conn[8"), else 0.
func wordBracket(b []byte) int {
	i := 0
	for i < len(b) && (isAlpha(b[i]) || b[i] == '_') {
		i++
	}
	if i >= 2 && i < len(b)-1 && (b[i] == '(' || b[i] == '[') {
		return i
	}
	return 0
}

// closingQuote finds the quote closing the string opened at q, within
// [q+1, e): the one closeQuote found when Split made the token.
func closingQuote(msg []byte, q, e int, nest bool) int {
	if j := closeQuote(msg, q+1, msg[q], nest); j > q && j < e {
		return j
	}
	return e
}

func hasBlank(b []byte) bool {
	for _, c := range b {
		if flags[c]&fSpace != 0 {
			return true
		}
	}
	return false
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

// absorb folds a unit token that follows a number into that number's
// value ("16.0 KB," is one size, "<1 sec" one duration) and a day after a
// month name into one date ("Nov 9", "Sun Jul 24").
func absorb(msg []byte, toks []Token) {
	for i := 1; i < len(toks); i++ {
		p, t := &toks[i-1], &toks[i]
		if t.Class != Int && p.Class-Int > Float-Int {
			continue // no number here: neither fold applies
		}
		if p.Class == Word && t.Class == Int && t.CE-t.CS <= 2 && t.Key == t.S && p.E > p.S && IsMonth(msg[p.S:p.E]) {
			t.S, t.Key, t.CS, t.Class = p.S, p.S, p.S, Time
			p.E = p.S
			if i >= 2 && toks[i-2].Class == Word && IsWeekday(msg[toks[i-2].S:toks[i-2].E]) {
				w := &toks[i-2]
				t.S, t.Key, t.CS = w.S, w.S, w.S
				w.E = w.S
			}
			continue
		}
		if t.Class != Word || (p.Class != Int && p.Class != Float) || p.CE != p.E || p.Key != p.S || t.E == t.S {
			continue
		}
		cs, ce := Trim(msg, int(t.S), int(t.E))
		if cs != int(t.S) || cs >= ce {
			continue
		}
		u := msg[cs:ce]
		switch {
		case IsSizeUnit(u):
			t.Class = Size
		case IsTimeUnit(u):
			t.Class = Duration
		default:
			continue
		}
		t.S, t.Key, t.CS, t.CE = p.S, p.Key, p.CS, int32(ce)
		p.Class = Word
		p.E = p.S // empty: skipped
	}
}
