package token

import (
	"bytes"
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
		eq, quote, spec := -1, -1, false
		for i < n {
			c := msg[i]
			f := flags[c]
			if f&(fSpace|fSpecial) != 0 {
				if f&fSpace != 0 {
					break
				}
				switch c {
				case '/', ':', '\\', '~':
					spec = true
				case '=':
					if eq < 0 {
						eq = i
					}
				case '"', '\'':
					// a string opens at the token's start (after opening
					// punctuation) or right after a key's '='
					if quote < 0 && (i == s || i-1 == eq || flags[msg[i-1]]&fOpen != 0 && allOpen(msg[s:i])) {
						if j := closeQuote(msg, i+1, c); j > 0 {
							quote = i
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
		classify(msg, &t, eq, quote)
		dst = append(dst, t)
	}
	absorb(msg, dst)
	return dst
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
		"\x1b[31mERROR\x1b[0m failed", "a\x00b c\x01", "caf\xc3\xa9 na\xefve 12345678901234567890123"} {
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
