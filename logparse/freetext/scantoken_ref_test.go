package freetext

import "testing"

// scanTokenRef is scanToken as it was before a bracketed token's brackets
// were found eight bytes at a time (bracketAt).
func scanTokenRef(line []byte, i int) (s, e int) {
	for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
		i++
	}
	s = i
	if i < len(line) && line[i] == '(' {
		depth := 0
		for j := i; j < len(line) && j-i < 128; j++ {
			switch line[j] {
			case '(':
				depth++
			case ')':
				depth--
				if depth == 0 {
					if j+1 == len(line) || line[j+1] == ' ' || line[j+1] == '\t' {
						return s, j + 1
					}
					return s, tokenEnd(line, i)
				}
			}
		}
	}
	if i < len(line) && (line[i] == '<' || line[i] == '{' || line[i] == '|' || line[i] >= 0x80) {
		if e, ok := groupEnd(line, i); ok {
			return s, e
		}
	}
	if i < len(line) && line[i] == '[' {
		depth := 0
		for j := i; j < len(line) && j-i < 512; j++ {
			switch line[j] {
			case '[':
				depth++
			case ']':
				depth--
				if depth == 0 {
					e = j + 1
					for e < len(line) && line[e] == ':' {
						e++
					}
					if e == len(line) || line[e] == ' ' || line[e] == '\t' {
						return s, e
					}
					if line[e] == '[' && e == j+1 {
						return s, e
					}
					goto plain
				}
			}
		}
	}
plain:
	return s, tokenEnd(line, i)
}

func checkScanToken(t *testing.T, line []byte) {
	t.Helper()
	for i := 0; i <= len(line); i++ {
		s, e := scanToken(line, i)
		rs, re := scanTokenRef(line, i)
		if s != rs || e != re {
			t.Fatalf("scanToken(%q, %d) = %d, %d; before bracketAt %d, %d", line, i, s, e, rs, re)
		}
	}
}

// TestScanTokenAsReference: bracketed tokens nested, unclosed, longer than
// the 512 bytes a group may span, closed at eight-byte boundaries and on
// the line's last byte, glued to a colon or to another group.
func TestScanTokenAsReference(t *testing.T) {
	long := make([]byte, 0, 1100)
	long = append(long, '[')
	for len(long) < 1090 {
		long = append(long, "abcdefg[h]"...)
	}
	lines := []string{
		"2015-07-29 17:41:44,747 - INFO  [QuorumPeer[myid=1]/0:0:0:0:0:0:0:0:2181:FastLeaderElection@774] - Notification",
		"[main]", "[main]:", "[main]: x", "[a][b] c", "[a]b c", "[", "]", "[]", "[[]]", "[[]", "[1234567]", "[12345678]",
		"[123456789012345]", "[1234567890123456]", "[abc [def] ghi] jkl", "[abc] [def]", "[unclosed group of words and more words",
		"[10.30 16:49:06] chrome.exe - proxy", "x [a] y", "\t[tab]\tz", string(long), string(long[:511]) + "]", string(long[:510]) + "] x",
		"[" + string(make([]byte, 600)) + "]",
	}
	for _, l := range lines {
		checkScanToken(t, []byte(l))
	}
}

// FuzzScanTokenAsReference compares scanToken with scanTokenRef at every
// position of any line.
func FuzzScanTokenAsReference(f *testing.F) {
	f.Add([]byte("[QuorumPeer[myid=1]/0:0:0:0:0:0:0:0:2181:FastLeaderElection@774] - x"))
	f.Add([]byte("[a][b]: [c [d]] e"))
	f.Add([]byte("(worker thread 3) <GC Thread#7> [x"))
	f.Fuzz(func(t *testing.T, line []byte) {
		if len(line) > 2048 {
			return
		}
		checkScanToken(t, line)
	})
}
