package main

import (
	"regexp"
	"testing"
)

// TestWildMsgIntag checks intag as wildmsg_intag.go says: not in all; the
// layout has no level column; every message opens with `[LEVEL] (comp) `
// from a few comps per layout; a statement written under two pairs is two
// events with the same text after the tag.
var intagRe = regexp.MustCompile(`^\[([A-Z]+)\] \(([a-z]+)\) (.*)$`)

func TestWildMsgIntag(t *testing.T) {
	if all, _ := wildMsgOpts("all"); all["intag"] {
		t.Fatal("intag in all")
	}
	kinds, err := wildMsgOpts("intag")
	if err != nil || !kinds["intag"] {
		t.Fatalf("-msg intag: %v, %v", kinds, err)
	}
	st := wildMsgStmts()
	twins := 0
	for seed := uint64(wildDevSeed); seed < wildDevSeed+20; seed++ {
		s, err := wildRender(seed, newWildLayout(seed), st, 300, newWildMsg(seed, kinds))
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range s.layout.cols {
			if c.kind == "level" {
				t.Fatalf("seed %d: a level column left", seed)
			}
		}
		comps := map[string]bool{}
		byText := map[string]map[string]bool{} // text after the tag -> truths
		for i, m := range s.msgs {
			g := intagRe.FindStringSubmatch(m)
			if g == nil {
				t.Fatalf("seed %d: %q opens with no tag", seed, m)
			}
			comps[g[2]] = true
			if byText[g[3]] == nil {
				byText[g[3]] = map[string]bool{}
			}
			byText[g[3]][s.truth[i]] = true
		}
		if len(comps) < 2 || len(comps) > 5 {
			t.Fatalf("seed %d: comps %v", seed, comps)
		}
		for _, ts := range byText {
			if len(ts) > 1 {
				twins++
			}
		}
	}
	if twins == 0 {
		t.Error("no text written as two events")
	}
}
