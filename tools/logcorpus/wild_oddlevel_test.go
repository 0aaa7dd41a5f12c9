package main

import (
	"strings"
	"testing"
)

// TestWildOddLevel: every line's header holds one bracketed level word of
// the layout's six, at least two of them words no level list holds, the
// word is among the line's fields, and some statements are written under
// two words (a level chosen at run time) with one ground truth.
func TestWildOddLevel(t *testing.T) {
	st := wildMsgStmts()
	for seed := uint64(wildDevSeed); seed < wildDevSeed+10; seed++ {
		l := newWildLayout(seed)
		extendWildHdr(seed, l, []string{"oddlevel"})
		s, err := wildRender(seed, l, st, 400, nil)
		if err != nil {
			t.Fatal(err)
		}
		seen, unknown := map[string]bool{}, 0
		words := map[string]map[string]bool{}
		for i, ln := range s.lines {
			h := strings.TrimSuffix(string(ln), s.msgs[i])
			var w string
			for _, v := range s.vals[i] {
				for k := range oddLevelWords {
					for _, x := range oddLevelWords[k] {
						if v == x && (strings.Contains(h, "["+x) || strings.Contains(h, "<"+x)) {
							w = x
						}
					}
				}
			}
			if w == "" {
				t.Fatalf("seed %d: %q: no level word of the vocabulary among the fields %v", seed, ln, s.vals[i])
			}
			if !seen[w] && oddUnknown[w] {
				unknown++
			}
			seen[w] = true
			if words[s.truth[i]] == nil {
				words[s.truth[i]] = map[string]bool{}
			}
			words[s.truth[i]][w] = true
		}
		two := 0
		for _, ws := range words {
			if len(ws) > 1 {
				two++
			}
		}
		if unknown == 0 || two == 0 {
			t.Fatalf("seed %d: words %v (%d unknown), %d statements under two words", seed, seen, unknown, two)
		}
	}
}
