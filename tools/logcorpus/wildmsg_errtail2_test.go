package main

import (
	"strings"
	"testing"
)

// TestWildMsgErrslot checks errslot as wildmsg_errtail2.go says: all
// keeps its four kinds, errslot is accepted on its own, the truth and the
// header of every line stay as without -msg, a statement it picks writes
// an error on every line in one placement, with no ':' right before it,
// 3-15 distinct errors of which the most frequent is on at most about a
// tenth of the lines, and the placements and the ordinary value all show.
func TestWildMsgErrslot(t *testing.T) {
	all, err := wildMsgOpts("all")
	if err != nil {
		t.Fatal(err)
	}
	if all["errslot"] {
		t.Fatalf("all = %v: errslot is not in all", all)
	}
	kinds, err := wildMsgOpts("errslot")
	if err != nil || !kinds["errslot"] || len(kinds) != 1 {
		t.Fatalf("-msg errslot: %v, %v", kinds, err)
	}
	if got := wildMsgName(kinds); got != " msg=errslot" {
		t.Errorf("name %q", got)
	}
	st := wildMsgStmts()
	var stmts, tagged, mid, took, after, bare, valued, layouts int
	for seed := uint64(wildDevSeed); seed < wildDevSeed+30; seed++ {
		plain, err := wildRender(seed, newWildLayout(seed), st, 600, nil)
		if err != nil {
			t.Fatal(err)
		}
		s, err := wildRender(seed, newWildLayout(seed), st, 600, newWildMsg(seed, kinds))
		if err != nil {
			t.Fatal(err)
		}
		if len(s.lines) != len(plain.lines) {
			t.Fatalf("seed %d: %d lines, %d without -msg", seed, len(s.lines), len(plain.lines))
		}
		layouts++
		rests := map[string]map[string]int{}
		tags := map[string]bool{}
		for i := range s.lines {
			k := s.truth[i]
			if k != plain.truth[i] {
				t.Fatalf("seed %d line %d: truth %q, %q without -msg", seed, i, k, plain.truth[i])
			}
			h := strings.TrimSuffix(string(plain.lines[i]), plain.msgs[i])
			if !strings.HasPrefix(string(s.lines[i]), h) {
				t.Fatalf("seed %d line %d: %q lost its header %q", seed, i, s.lines[i], h)
			}
			if s.msgs[i] == plain.msgs[i] {
				if rests[k] != nil {
					t.Fatalf("seed %d line %d: statement %q writes no error on %q", seed, i, k, s.msgs[i])
				}
				continue
			}
			if rests[k] == nil {
				rests[k] = map[string]int{}
			}
			short := strings.TrimRight(strings.Join(strings.Fields(plain.msgs[i]), " "), " .,")
			rest, ok := strings.CutPrefix(s.msgs[i], short)
			switch {
			case !ok:
				tags[k] = true
				rest = s.msgs[i]
			case strings.HasPrefix(rest, ":"):
				t.Fatalf("seed %d line %d: %q: a ':' before the error", seed, i, s.msgs[i])
			}
			rests[k][rest]++
		}
		for k, rs := range rests {
			stmts++
			n, top := 0, 0
			for r, c := range rs {
				n += c
				top = max(top, c)
				switch {
				case strings.HasSuffix(r, "ms"):
					took++
				case strings.Contains(r, ", falling back") || strings.Contains(r, "; will retry") || strings.Contains(r, "gave up") || strings.Contains(r, ", skipping") || strings.Contains(r, ", continuing"):
					mid++
				}
				for _, p := range esQueue {
					if strings.Contains(r, p) {
						valued++
						break
					}
				}
				for _, w := range esWords {
					if strings.HasPrefix(r, " "+w+" ") {
						after++
						break
					}
				}
			}
			if tags[k] {
				tagged++
			} else if len(rs) > 0 {
				bare++
			}
			if n >= 40 && (len(rs) < 3 || top > n/5+3) {
				t.Errorf("seed %d statement %q: %d lines, %d distinct, top %d", seed, k, n, len(rs), top)
			}
		}
	}
	t.Logf("statements with an error %d (tagged %d), mid %d, took %d, after a word %d, with a value %d, over %d layouts", stmts, tagged, mid, took, after, valued, layouts)
	if stmts < 2*layouts || tagged < layouts/3 || mid == 0 || took == 0 || after == 0 || valued == 0 || bare == 0 {
		t.Errorf("errslot too thin: %d statements (%d tagged), mid %d, took %d, after a word %d, with a value %d over %d layouts", stmts, tagged, mid, took, after, valued, layouts)
	}
}
