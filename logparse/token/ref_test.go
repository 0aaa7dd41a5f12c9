package token

import (
	"bytes"
	"strings"
	"testing"
)

// splitRef is Split as it was before its scan read eight bytes at a time:
// the reference the fast scan must agree with, token for token.
// It splits msg into tokens (appended to dst[:0]) and classifies each.
// At most max tokens are made (max ≤ 0: no limit); the rest of the line is
// one last constant token. Number-and-unit pairs ("16.0 KB", "<1 sec")
// and month-day dates ("Nov 9") are folded into one value; the token
// that is folded into another is left empty (S == E).
func splitRef(msg []byte, dst []Token, max int) []Token {
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
		t := Token{S: int32(s), E: int32(i), CS: int32(s), CE: int32(s), Key: int32(s), Digit: all&fDigit != 0}
		// Fast path: a plain word (no digit, '=', quote, '/', ':', '\\').
		if all&fDigit == 0 && eq < 0 && quote < 0 && !spec {
			if l := i - s; l == 4 || l == 5 { // true, false (what Classify finds in a word without digits)
				if cs, ce := Trim(msg, s, i); ce-cs == 4 && lowerEq(msg[cs:ce], "true") || ce-cs == 5 && lowerEq(msg[cs:ce], "false") {
					t.CS, t.CE, t.Class = int32(cs), int32(ce), Bool
				}
			}
			dst = append(dst, t)
			continue
		}
		if all == fDigit && i-s <= 19 && allDigits(msg[s:i]) {
			// only digits: an integer (what classify finds, without its
			// trimming and sequence of checks)
			t.CE, t.Class = int32(i), Int
			dst = append(dst, t)
			continue
		}
		classify(msg, &t, eq, quote, colon)
		dst = append(dst, t)
	}
	absorbRef(msg, dst)
	return dst
}

// absorbRef is absorb as it was before it skipped a pair of tokens without
// a number at once: splitRef's, so that the reference is the old lexer.
func absorbRef(msg []byte, toks []Token) {
	for i := 1; i < len(toks); i++ {
		p, t := &toks[i-1], &toks[i]
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

// classifyRef is Classify as it was before it counted eight bytes at a
// time: the reference Classify must agree with.
func classifyRef(b []byte) Class {
	if len(b) == 0 {
		return Word
	}
	var all uint8
	digits, alpha, hexLetters := 0, 0, 0
	for _, c := range b {
		f := flags[c]
		all |= f
		switch {
		case f&fDigit != 0:
			digits++
		case f&(fLower|fUpper) != 0:
			alpha++
			if f&fHexLetter != 0 {
				hexLetters++
			}
		}
	}
	if digits == 0 {
		switch {
		case len(b) == 4 && lowerEq(b, "true") || len(b) == 5 && lowerEq(b, "false"):
			return Bool
		case hasScheme(b):
			return URL
		case isPathNoDigits(b, alpha):
			return Path
		}
		return Word
	}
	c0 := b[0]
	if isDigit(c0) || c0 == '-' || c0 == '+' || c0 == '.' {
		switch n := number(b); n {
		case 1:
			return Int
		case 2:
			return Float
		}
	}
	onlyHex := digits+hexLetters == len(b)
	if len(b) == 36 && IsUUID(b) {
		return UUID
	}
	if isIPv4(b) {
		return IP
	}
	if isClock(b) || isDate(b) {
		return Time
	}
	if isIPv6(b) {
		return IP
	}
	switch {
	case len(b) > 2 && b[0] == '0' && b[1]|0x20 == 'x' && allHex(b[2:]):
		return Hex
	case onlyHex && len(b) >= 8 && hexLetters > 0:
		return Hex
	}
	if isDuration(b) {
		return Duration
	}
	if isSize(b) {
		return Size
	}
	if all&fSpecial != 0 { // a URL, protocol or path holds a ':' or '/'
		if hasScheme(b) {
			return URL
		}
		if isProtocol(b) {
			return Word
		}
		if indexByte(b, '/') >= 0 || len(b) > 3 && isAlpha(b[0]) && b[1] == ':' && b[2] == '\\' {
			return Path
		}
	}
	// A word with one embedded digit is usually a name (ssh2, SOCKS5, log4j,
	// IPv4_Addr): it stays a word; template mining turns it into a
	// parameter when it varies (web7, web3, db-2).
	if digits == 1 && alpha >= 2 && nameChars(b) {
		return Word
	}
	return ID
}

// sameSplit fails t when Split and splitRef disagree on msg.
func sameSplit(t *testing.T, msg []byte, max int) {
	t.Helper()
	got := Split(msg, nil, max)
	want := splitRef(msg, nil, max)
	if len(got) != len(want) {
		t.Fatalf("%q max %d: %d tokens, reference %d", msg, max, len(got), len(want))
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("%q max %d: token %d is %+v, reference %+v", msg, max, i, got[i], want[i])
		}
	}
}

// TestSplitAsReference: the eight-byte scan finds the tokens, classes and
// bounds the byte-at-a-time scan found, on messages with every special
// byte at every offset of an eight-byte word.
func TestSplitAsReference(t *testing.T) {
	msgs := append([][]byte(nil), benchMsgs...)
	for _, s := range []string{"a b 1", "uid=0 x", "Nov 9 x", "1 KB", "<1 sec", "[1.2.3.4]:5", "", "= = =",
		`k="a b`, `"x" "y z"`, "'a' 'b c'", "\"\\\"\" x", "http://a?b=c", "10.0.0.1:", ":::", "0x", "-", "...",
		"\x1b[31mERROR\x1b[0m failed", "a\x00b c\x01", "caf\xc3\xa9 na\xefve 12345678901234567890123",
		`{"k":"a b"} x`, `,"k":"a b" x`,
		"Sun Jul 24 x Nov 10, 5 ms 1.5 GB 2 x=3 KB 4 Jan 7 sec 0.5s Dec 123 -3 s 9 9 MB"} {
		msgs = append(msgs, []byte(s))
	}
	word := []byte("abcdefghijklmnopqrstu")
	for _, sp := range []byte("=\"'/:\\~ \t\x1b0\x00\xff,.") {
		for at := 0; at < 18; at++ {
			m := bytes.Clone(word)
			m[at] = sp
			msgs = append(msgs, m, append(append([]byte("x "), m...), " y"...), append(m, `="v w" z`...))
		}
	}
	for _, m := range msgs {
		for _, max := range []int{0, 1, 2, 3, 96} {
			sameSplit(t, m, max)
		}
	}
}

func FuzzSplitAsReference(f *testing.F) {
	for _, m := range benchMsgs {
		f.Add(string(m))
	}
	f.Add("k=\"a b\" x=1 'q r' /p/a:1 \x1b[1m")
	f.Fuzz(func(t *testing.T, s string) {
		for _, max := range []int{0, 3, 16} {
			sameSplit(t, []byte(s), max)
		}
	})
}

// BenchmarkSplitReference: splitRef on BenchmarkSplit's messages, to
// compare the two scans side by side in one run.
func BenchmarkSplitReference(b *testing.B) {
	var toks []Token
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		toks = splitRef(benchMsgs[i%len(benchMsgs)], toks, 96)
		i++
	}
}

// TestClassifyAsReference: Classify's eight-byte count classifies as the
// byte-at-a-time count did, on every token core and substring of the
// test messages.
func TestClassifyAsReference(t *testing.T) {
	vals := []string{"true", "FALSE", "http://a/b", "https://x.y:80/p?q=1", "/var/log/x", "./a", "~/x", "C:\\x\\y",
		"HTTP/1.1", "10.0.0.1", "10.0.0.1:8080", "::1", "[fe80::1]:80", "0x1f", "deadbeef01", "123e4567-e89b-12d3-a456-426614174000",
		"10ms", "1.5s", "3m20s", "16KB", "12MiB", "12:30:01", "2024-01-02", "2024-01-02T10:00:00Z", "blk_-123", "rack12",
		"v1.2.3", "ssh2", "appattempt_1445144423722_0020_000001", "a/b/c1", "caf\xc3\xa9123", "ABCDEFabcdef0123456789",
		"-1s", "-10ms", ".5s", "-.5s", ".5KB", "-5KB", "5min", "2h3m", "1e5s", "0.5 KB", "1:2:3.4", "ab:cd::1%eth0", "[::1]",
		"fe80::1", "1::", "a:b", "[1.2.3.4]:5", "-ab:cd::1", ".1::2", "9::a/b", "-1", "-x1"}
	for _, m := range benchMsgs {
		for i := range m {
			for j := i + 1; j <= len(m) && j <= i+40; j++ {
				vals = append(vals, string(m[i:j]))
			}
		}
	}
	for _, v := range vals {
		if got, want := Classify([]byte(v)), classifyRef([]byte(v)); got != want {
			t.Fatalf("Classify(%q) = %v, reference %v", v, got, want)
		}
	}
}

func FuzzClassifyAsReference(f *testing.F) {
	f.Add("appattempt_1445144423722_0020_000001")
	f.Add("https://x.y:80/p?q=1")
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := Classify([]byte(s)), classifyRef([]byte(s)); got != want {
			t.Fatalf("Classify(%q) = %v, reference %v", s, got, want)
		}
	})
}

// hasSchemeRef is hasScheme as it was before it looked for the ':' first:
// byte by byte over at most 16 bytes.
func hasSchemeRef(b []byte) bool {
	for i := 0; i+2 < len(b) && i < 16; i++ {
		c := b[i]
		if c == ':' {
			return i > 0 && b[i+1] == '/' && b[i+2] == '/' && isAlpha(b[0])
		}
		if !(isAlpha(c) || isDigit(c) || c == '+' || c == '-' || c == '.') {
			return false
		}
	}
	return false
}

var schemeSamples = []string{"https://x.y:80/p?q=1", "s3://bucket/key", "git+ssh://h/r", "proxy.cse.cuhk.edu.hk:5070", "a://", "://x",
	"1http://x", "ht_tp://x", "http:/x", "http:x//", "abcdefghijklmno://x", "abcdefghijklmnop://x", "abcdefghijklmnopq://x", "x:y://z", "C:\\x"}

// TestHasSchemeAsReference: finding the ':' first answers as the byte
// scan did, on every substring of the samples and of the test messages.
func TestHasSchemeAsReference(t *testing.T) {
	vals := append([]string(nil), schemeSamples...)
	for _, m := range benchMsgs {
		for i := range m {
			for j := i; j <= len(m) && j <= i+24; j++ {
				vals = append(vals, string(m[i:j]))
			}
		}
	}
	for _, s := range schemeSamples {
		for i := 0; i <= len(s); i++ {
			vals = append(vals, s[:i], s[i:])
		}
	}
	for _, v := range vals {
		if got, want := hasScheme([]byte(v)), hasSchemeRef([]byte(v)); got != want {
			t.Fatalf("hasScheme(%q) = %v, reference %v", v, got, want)
		}
	}
}

func FuzzHasSchemeAsReference(f *testing.F) {
	for _, s := range schemeSamples {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := hasScheme([]byte(s)), hasSchemeRef([]byte(s)); got != want {
			t.Fatalf("hasScheme(%q) = %v, reference %v", s, got, want)
		}
	})
}

// isIPv4Ref is isIPv4 as it was before it read an octet's digits without a
// loop: the reference isIPv4 must agree with.
func isIPv4Ref(b []byte) bool {
	if len(b) > 0 && b[0] == '/' {
		b = b[1:]
	}
	parts, d, val := 0, 0, 0
	i := 0
	for ; i < len(b); i++ {
		c := b[i]
		if isDigit(c) {
			d++
			val = val*10 + int(c-'0')
			if d > 3 || val > 255 {
				return false
			}
			continue
		}
		if c == '.' && d > 0 && parts < 3 {
			parts++
			d, val = 0, 0
			continue
		}
		break
	}
	if parts != 3 || d == 0 {
		return false
	}
	return i == len(b) || isPort(b[i:])
}

// TestIsIPv4AsReference: isIPv4 agrees with isIPv4Ref on every string of up
// to six bytes from the bytes an address and its neighbours are made of,
// on octets of every length and value around 255 in each place, and on
// every prefix of each.
func TestIsIPv4AsReference(t *testing.T) {
	alpha := []byte("0159./:a")
	var rec func(b []byte)
	rec = func(b []byte) {
		if isIPv4(b) != isIPv4Ref(b) {
			t.Fatalf("%q: %v, reference %v", b, isIPv4(b), isIPv4Ref(b))
		}
		if len(b) == 6 {
			return
		}
		for _, c := range alpha {
			rec(append(b, c))
		}
	}
	rec(nil)
	octets := []string{"", "0", "7", "00", "25", "99", "000", "099", "199", "249", "250", "255", "256", "260", "299", "300", "999", "0000", "1234"}
	for _, pre := range []string{"", "/"} {
		for k := 0; k < 4; k++ {
			for _, o := range octets {
				parts := []string{"10", "0", "255", "1"}
				parts[k] = o
				for _, post := range []string{"", ":", ":8", ":80", ":65535", ":123456", ".", ".1", "x", "1", " "} {
					s := []byte(pre + strings.Join(parts, ".") + post)
					for n := 0; n <= len(s); n++ {
						if isIPv4(s[:n]) != isIPv4Ref(s[:n]) {
							t.Fatalf("%q: %v, reference %v", s[:n], isIPv4(s[:n]), isIPv4Ref(s[:n]))
						}
					}
				}
			}
		}
	}
}

func FuzzIsIPv4AsReference(f *testing.F) {
	for _, s := range []string{"10.251.73.220:50010", "/10.0.0.1", "1.2.3.4.5", "255.255.255.256", "01.02.03.04:1", "1.2.3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if isIPv4([]byte(s)) != isIPv4Ref([]byte(s)) {
			t.Fatalf("%q: %v, reference %v", s, isIPv4([]byte(s)), isIPv4Ref([]byte(s)))
		}
	})
}
