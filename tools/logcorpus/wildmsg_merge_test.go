package main

import (
	"strings"
	"testing"
)

// TestWildMsgSubcomp checks what wildmsg_merge.go says over development
// seeds: "all" leaves subcomp out; subcomp changes nothing but the opening
// of the message, which is the layout's component and one of its clauses,
// the component alone, or nothing, the same for every line of a
// statement; and in every layout five events or more sit behind one
// component and clause.
func TestWildMsgSubcomp(t *testing.T) {
	if all, _ := wildMsgOpts("all"); all["subcomp"] {
		t.Fatal("-msg all holds subcomp: wild -msg all would render differently")
	}
	st := wildMsgStmts()
	for seed := uint64(wildDevSeed); seed < wildDevSeed+40; seed++ {
		plain, err := wildRender(seed, newWildLayout(seed), st, 400, nil)
		if err != nil {
			t.Fatal(err)
		}
		kinds, _ := wildMsgOpts("subcomp")
		m := newWildMsg(seed, kinds)
		s, err := wildRender(seed, newWildLayout(seed), st, 400, m)
		if err != nil {
			t.Fatal(err)
		}
		if len(s.lines) != len(plain.lines) {
			t.Fatalf("seed %d: %d lines, %d without subcomp", seed, len(s.lines), len(plain.lines))
		}
		c := m.subcomp
		want := map[string]bool{"": true, c.name + ": ": true}
		for _, cl := range c.clauses {
			want[c.name+": "+cl+": "] = true
		}
		byEvent := map[string]string{}
		behind := map[string]map[string]bool{}
		for i := range s.lines {
			if s.truth[i] != plain.truth[i] {
				t.Fatalf("seed %d line %d: truth %q, %q without subcomp", seed, i, s.truth[i], plain.truth[i])
			}
			p, ok := strings.CutSuffix(s.msgs[i], plain.msgs[i])
			if !ok || !want[p] {
				t.Fatalf("seed %d line %d: %q is not %q after the layout's prefixes", seed, i, s.msgs[i], plain.msgs[i])
			}
			if q, ok := byEvent[s.truth[i]]; ok && q != p {
				t.Fatalf("seed %d: event %q behind %q and %q", seed, s.truth[i], q, p)
			}
			byEvent[s.truth[i]] = p
			if behind[p] == nil {
				behind[p] = map[string]bool{}
			}
			behind[p][s.truth[i]] = true
		}
		most := 0
		for p, evs := range behind {
			if strings.Count(p, ":") == 2 {
				most = max(most, len(evs))
			}
		}
		if most < 5 {
			t.Errorf("seed %d: at most %d events behind one component and clause, want 5 or more", seed, most)
		}
	}
}
