package main

import (
	"strings"
	"testing"
)

// TestWildMsgComp checks what wildmsg_prefix.go says over the development
// seeds: "all" leaves comp out; comp changes nothing but the opening of
// the message, which is one of the layout's prefixes or none; some
// statements are written under two prefixes or more, some with their
// prefix on some lines only; every shape is drawn, and a shared layout
// puts five events or more behind one prefix.
func TestWildMsgComp(t *testing.T) {
	if all, _ := wildMsgOpts("all"); all["comp"] {
		t.Fatal("-msg all holds comp: wild -msg all would render differently")
	}
	if _, err := wildMsgOpts("comp,prefix"); err != nil {
		t.Fatal(err)
	}
	st := wildMsgStmts()
	shapes := map[string]int{}
	var split, optional, shared, layouts int
	for seed := uint64(wildDevSeed); seed < wildDevSeed+60; seed++ {
		plain, err := wildRender(seed, newWildLayout(seed), st, 400, nil)
		if err != nil {
			t.Fatal(err)
		}
		kinds, _ := wildMsgOpts("comp")
		m := newWildMsg(seed, kinds)
		s, err := wildRender(seed, newWildLayout(seed), st, 400, m)
		if err != nil {
			t.Fatal(err)
		}
		if len(s.lines) != len(plain.lines) {
			t.Fatalf("seed %d: %d lines, %d without comp", seed, len(s.lines), len(plain.lines))
		}
		layouts++
		c := m.comp
		shapes[c.shape]++
		pres := map[string]map[string]bool{}
		absent := map[string]bool{}
		for i := range s.lines {
			h := strings.TrimSuffix(string(plain.lines[i]), plain.msgs[i])
			if !strings.HasPrefix(string(s.lines[i]), h) || !strings.HasSuffix(s.msgs[i], plain.msgs[i]) {
				t.Fatalf("seed %d line %d: %q is not %q with a prefix before its message", seed, i, s.lines[i], plain.lines[i])
			}
			if s.truth[i] != plain.truth[i] {
				t.Fatalf("seed %d line %d: truth %q, %q without comp", seed, i, s.truth[i], plain.truth[i])
			}
			p := strings.TrimSuffix(s.msgs[i], plain.msgs[i])
			if c.shape == "shared" && p != "" {
				lv, rest, ok := strings.Cut(p, "] ")
				if !ok || !strings.HasPrefix(lv, "[") {
					t.Fatalf("seed %d line %d: shared prefix %q has no level label", seed, i, p)
				}
				p = rest
			}
			if p == "" {
				absent[s.truth[i]] = true
				continue
			}
			found := false
			for _, q := range c.pool {
				found = found || p == q
			}
			if !found {
				t.Fatalf("seed %d line %d: prefix %q is none of %q", seed, i, p, c.pool)
			}
			if pres[s.truth[i]] == nil {
				pres[s.truth[i]] = map[string]bool{}
			}
			pres[s.truth[i]][p] = true
		}
		behind := map[string]int{}
		for k, ps := range pres {
			if len(ps) > 1 {
				split++
			}
			if absent[k] {
				optional++
			}
			for p := range ps {
				behind[p]++
			}
		}
		if c.shape == "shared" && behind[c.pool[0]] >= 5 {
			shared++
		}
	}
	t.Logf("shapes %v; split %d, optional %d, shared %d over %d layouts", shapes, split, optional, shared, layouts)
	for _, sh := range compShapes {
		if shapes[sh] == 0 {
			t.Errorf("shape %s never drawn over %d layouts", sh, layouts)
		}
	}
	if split < layouts || optional < layouts || shared < shapes["shared"] {
		t.Errorf("split %d, optional %d over %d layouts; shared %d of %d", split, optional, layouts, shared, shapes["shared"])
	}
}
