package freetext

import (
	"strings"
	"testing"
)

// isLevelRef and modelLevelRef are isLevel and modelLevel as they were
// before levelKind: a compare with every word of levels.
func isLevelRef(tok []byte) bool {
	b := trimLevel(tok)
	if len(b) < 3 || len(b) > 11 {
		return false
	}
	upper := b[0] >= 'A' && b[0] <= 'Z'
	for _, l := range levels {
		if len(l) != len(b) {
			continue
		}
		eq := upperEqRef(b, l)
		if eq && l == "LOG" {
			return tok[len(tok)-1] == ':' && tok[0] != '['
		}
		if eq && (upper || len(b) != len(tok)) {
			return true
		}
	}
	return false
}

func modelLevelRef(tok []byte) bool {
	b := trimLevel(tok)
	if len(b) == 1 {
		return isLetterLevel(b[0]) || b[0] == 'T'
	}
	if len(b) < 3 || len(b) > 11 {
		return false
	}
	for _, l := range levels {
		if len(l) != len(b) || l == "LOG" {
			continue
		}
		eq := upperEqRef(b, l)
		if eq && wordLevelRef(l) {
			return len(b) == len(tok) && b[0] >= 'A' && b[0] <= 'Z' && b[len(b)-1] >= 'A' && b[len(b)-1] <= 'Z'
		}
		if eq {
			return true
		}
	}
	return false
}

func wordLevelRef(l string) bool {
	switch l {
	case "CONFIG", "NOTE", "FINE", "FINER", "FINEST", "ALERT", "VERBOSE", "NOTICE":
		return true
	}
	return false
}

func upperEqRef(b []byte, l string) bool {
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c >= 'a' && c <= 'z' {
			c -= 32
		}
		if c != l[i] {
			return false
		}
	}
	return true
}

// levelSpellings: every word of levels in several cases and wrappings,
// and near misses.
func levelSpellings() []string {
	var out []string
	for _, l := range levels {
		low := strings.ToLower(l)
		title := l[:1] + low[1:]
		mixed := low[:len(low)-1] + l[len(l)-1:]
		for _, w := range []string{l, low, title, mixed, l[:len(l)-1], l + "S", l + "1", "X" + l[1:], l[:1] + "@" + l[2:]} {
			out = append(out, w, "["+w+"]", "["+w+" ]", "<"+w+">", w+":", "["+w+"]:", " "+w, w+"]", "<"+w)
		}
	}
	return append(out, "", "I", "[W]", "T", "ab", "abc", "[]", ":", "log:", "LOG:", "[LOG]", "LOG", "Log:", "ÉRROR", "ERROR\x00")
}

// TestLevelKind: isLevel and modelLevel, by levelKind, answer as the
// compare with every word did, and levelKind finds each word of levels.
func TestLevelKind(t *testing.T) {
	for _, w := range levelSpellings() {
		if got, want := isLevel([]byte(w)), isLevelRef([]byte(w)); got != want {
			t.Errorf("isLevel(%q) = %v, want %v", w, got, want)
		}
		if got, want := modelLevel([]byte(w)), modelLevelRef([]byte(w)); got != want {
			t.Errorf("modelLevel(%q) = %v, want %v", w, got, want)
		}
	}
	for _, l := range levels {
		want := lvLevel
		switch {
		case l == "LOG":
			want = lvLOG
		case wordLevelRef(l):
			want = lvWord
		}
		if got := levelKind([]byte(l)); got != want {
			t.Errorf("levelKind(%q) = %d, want %d", l, got, want)
		}
	}
}

func FuzzLevelAsReference(f *testing.F) {
	for _, w := range levelSpellings() {
		f.Add(w)
	}
	f.Fuzz(func(t *testing.T, w string) {
		if w == "" {
			return // both index tok[0] only after a level matched
		}
		if got, want := isLevel([]byte(w)), isLevelRef([]byte(w)); got != want {
			t.Errorf("isLevel(%q) = %v, want %v", w, got, want)
		}
		if got, want := modelLevel([]byte(w)), modelLevelRef([]byte(w)); got != want {
			t.Errorf("modelLevel(%q) = %v, want %v", w, got, want)
		}
	})
}
