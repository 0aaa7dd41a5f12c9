package freetext

import "testing"

// isTimeTextRef is isTimeText as it was before it turned away a token
// opening with a letter first and asked isPidTid last.
func isTimeTextRef(tok []byte, first bool) bool {
	if len(tok) < 4 || isPidTid(tok) {
		return false // "4242:7" is a pid and a thread id
	}
	// epoch seconds with a fraction: 1704449700.123
	if first && isEpochFrac(tok) {
		return true
	}
	// klog: I1121 10:00:00.123456
	if first && (tok[0] == 'I' || tok[0] == 'W' || tok[0] == 'E' || tok[0] == 'F') && len(tok) == 5 && isInt(tok[1:]) {
		return true
	}
	digits, seps, colons, dashes, slashes, dots := 0, 0, 0, 0, 0, 0
	for i, c := range tok {
		switch {
		case isDigit(c):
			digits++
		case c == ':':
			colons++
			seps++
		case c == '-':
			dashes++
			seps++
		case c == '/':
			slashes++
			seps++
		case c == '.' || c == ',':
			seps++
			if c == '.' {
				dots++
			}
		case c == 'T' && i > 0 && isDigit(tok[i-1]):
		case c == 'Z' && i == len(tok)-1:
		case c == '+' && i > 0:
		case c == ' ':
			seps++
		default:
			return false
		}
	}
	if digits < 4 || !isDigit(tok[0]) || dots == 3 && colons <= 1 {
		return false // 10.0.0.1:80 is an address
	}
	if seps == 0 {
		// pure digits: 081109 / 203615 (yymmdd, hhmmss), 20151018, epoch
		return len(tok) == 6 || len(tok) == 8 || len(tok) == 10 || len(tok) == 13
	}
	if colons >= 1 || dashes == 2 || slashes == 2 || dots == 2 && seps == 2 && digits == 8 {
		return true
	}
	// "10.30" (in a bracketed timestamp) or "03-17" (logcat): month and day
	return first && seps == 1 && digits == 4 && len(tok) == 5 && (tok[2] == '.' || tok[2] == '-')
}

var timeTextSamples = []string{
	"081109", "203615", "20151018", "1704449700", "1704449700123", "1704449700.123", "I1121", "W0102", "E12345", "Ix121",
	"2015-10-18", "18:01:47,978", "17/06/09", "2015-07-29T17:41:44.747Z", "10.30", "03-17", "4242:7", "123:4", "12:3",
	"4242:77:1", "10.0.0.1:80", "10.0.0.1", "1.2.3", "2024-01-02T10:00:00+02:00", "12 34", "T123", "1T23", "1234Z", "12Z34",
	"+1234", "1+234", "INFO", "dfs.DataNode$PacketResponder:", "[main]", "blk_123", "2005.06.03", "2005.06.03-15.42.50.675872",
}

// TestIsTimeTextAsReference: the reordered checks answer as before on
// every prefix and suffix of the samples, first or not.
func TestIsTimeTextAsReference(t *testing.T) {
	for _, s := range timeTextSamples {
		for i := 0; i <= len(s); i++ {
			for _, v := range []string{s[:i], s[i:]} {
				for _, first := range []bool{false, true} {
					if got, want := isTimeText([]byte(v), first), isTimeTextRef([]byte(v), first); got != want {
						t.Fatalf("isTimeText(%q, %v) = %v, reference %v", v, first, got, want)
					}
				}
			}
		}
	}
}

func FuzzIsTimeTextAsReference(f *testing.F) {
	for _, s := range timeTextSamples {
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, s string, first bool) {
		if got, want := isTimeText([]byte(s), first), isTimeTextRef([]byte(s), first); got != want {
			t.Fatalf("isTimeText(%q, %v) = %v, reference %v", s, first, got, want)
		}
	})
}

// isBracketTimeRef is isBracketTime as it was before it turned away a
// word opening with a small letter before reading it.
func isBracketTimeRef(b []byte) bool {
	if isTimeText(b, true) {
		return true
	}
	b0 := b
	clock := false
	words := 0
	for len(b) > 0 {
		i := 0
		for i < len(b) && b[i] != ' ' {
			i++
		}
		w := b[:i]
		switch {
		case len(w) == 0:
		case isMonth(w) || isWeekday(w):
		case isInt(w) && len(w) <= 4:
		case isTimeText(w, true) || isDateWord(w):
			clock = true
		case isZone(w):
		default:
			return false
		}
		words++
		for i < len(b) && b[i] == ' ' {
			i++
		}
		b = b[i:]
	}
	return clock && (words >= 2 || isDateWord(b0))
}

var bracketTimeSamples = []string{
	"Sun Dec 04 04:47:44 2005", "10.30 16:49:06", "2024-01-02 10:00:00.123", "main", "pool-2-thread-1", "QuorumPeer[myid=1]/0:0:0:0:0:0:0:0:2181",
	"14/Jan/2015:12:48:57.127", "02 Jan 2024 10:15:00 UTC", "Mon Jun  8 12:08:44 +0200 2020", " 12:00:00", "12:00:00 z", "12:00:00 jan",
	"Jan 2 12:00:00", "I1121 10:00:00.123456", "12:00:00 UTC x", "x 12:00:00", "12:00:00 PST",
}

// TestIsBracketTimeAsReference: the early turn-away answers as before on
// every prefix and suffix of the samples.
func TestIsBracketTimeAsReference(t *testing.T) {
	for _, s := range bracketTimeSamples {
		for i := 0; i <= len(s); i++ {
			for _, v := range []string{s[:i], s[i:]} {
				if got, want := isBracketTime([]byte(v)), isBracketTimeRef([]byte(v)); got != want {
					t.Fatalf("isBracketTime(%q) = %v, reference %v", v, got, want)
				}
			}
		}
	}
}

func FuzzIsBracketTimeAsReference(f *testing.F) {
	for _, s := range bracketTimeSamples {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := isBracketTime([]byte(s)), isBracketTimeRef([]byte(s)); got != want {
			t.Fatalf("isBracketTime(%q) = %v, reference %v", s, got, want)
		}
	})
}
