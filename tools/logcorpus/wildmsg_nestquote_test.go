package main

import (
	"strings"
	"testing"
)

// TestWildMsgNestquote checks nestquote as wildmsg_nestquote.go says: not
// in all; the statements it picks write their quoted error on every line
// and the nested form on a few lines only; all three escapings and the
// single-quoted form occur; the other statements render as without -msg.
func TestWildMsgNestquote(t *testing.T) {
	if all, _ := wildMsgOpts("all"); all["nestquote"] {
		t.Fatal("nestquote in all")
	}
	kinds, err := wildMsgOpts("nestquote")
	if err != nil || !kinds["nestquote"] {
		t.Fatalf("-msg nestquote: %v, %v", kinds, err)
	}
	st := wildMsgStmts()
	var picked, nested, once, twice, bare, single, singleNested int
	for seed := uint64(wildDevSeed); seed < wildDevSeed+30; seed++ {
		plain, s := wildRenderPair(t, seed, st, kinds)
		changed := map[string]int{}
		for i := range s.lines {
			k := s.truth[i]
			if s.msgs[i] == plain.msgs[i] {
				if changed[k] > 0 {
					t.Fatalf("seed %d: statement %q left line %d alone", seed, k, i)
				}
				continue
			}
			changed[k]++
			rest := s.msgs[i][len(plain.msgs[i]):]
			switch {
			case strings.Contains(rest, `\\\"`):
				twice++
				nested++
			case strings.Contains(rest, `\"`):
				once++
				nested++
			case strings.Count(rest, `"`) > 2:
				bare++
				nested++
			case strings.Count(rest, "'") > 2:
				singleNested++
			case strings.Count(rest, "'") == 2:
				single++
			}
		}
		for k, n := range changed {
			lines := 0
			for i := range s.truth {
				if s.truth[i] == k {
					lines++
				}
			}
			if n != lines {
				t.Fatalf("seed %d: statement %q changed on %d of its %d lines", seed, k, n, lines)
			}
			picked += n
		}
	}
	t.Logf("lines of picked statements %d, nested %d (once %d, twice %d, bare %d), single-quoted %d (%d holding a quote)", picked, nested, once, twice, bare, single, singleNested)
	if nested == 0 || once == 0 || twice == 0 || bare == 0 || single == 0 || singleNested == 0 {
		t.Errorf("a form is missing: nested %d (once %d, twice %d, bare %d), single %d, single nested %d", nested, once, twice, bare, single, singleNested)
	}
	if f := float64(nested+singleNested) / float64(picked); f < 0.02 || f > 0.10 {
		t.Errorf("nested forms on %.3f of the picked statements' lines, want 3-8%%", f)
	}
}
