package main

import (
	"strings"
	"testing"
)

// TestWildMsgErrtail checks errtail as wildmsg_errtail.go says: all
// keeps its four kinds (and renders as before), errtail is accepted on
// its own, the statements it picks write an error on every line in one
// placement, their errors vary and one recurs, chained errors are among
// them, and the statements without pairs it leaves alone render as
// without -msg.
func TestWildMsgErrtail(t *testing.T) {
	all, err := wildMsgOpts("all")
	if err != nil {
		t.Fatal(err)
	}
	if all["errtail"] || len(all) != len(wildMsgKinds) {
		t.Fatalf("all = %v: want the four kinds of wildmsg.go only", all)
	}
	kinds, err := wildMsgOpts("errtail")
	if err != nil || !kinds["errtail"] {
		t.Fatalf("-msg errtail: %v, %v", kinds, err)
	}
	if got := wildMsgName(kinds); got != " msg=errtail" {
		t.Errorf("name %q", got)
	}
	st := wildMsgStmts()
	var withErr, varied, recurring, chained, places, layouts int
	for seed := uint64(wildDevSeed); seed < wildDevSeed+30; seed++ {
		plain, s := wildRenderPair(t, seed, st, kinds)
		if len(s.lines) != len(plain.lines) {
			t.Fatalf("seed %d: %d lines, %d without -msg", seed, len(s.lines), len(plain.lines))
		}
		layouts++
		tails := map[string]map[string]int{}
		place := map[string]bool{}
		for i := range s.lines {
			k := s.truth[i]
			if k != plain.truth[i] {
				t.Fatalf("seed %d line %d: truth %q, %q without -msg", seed, i, k, plain.truth[i])
			}
			if s.msgs[i] == plain.msgs[i] {
				continue
			}
			h := strings.TrimSuffix(string(plain.lines[i]), plain.msgs[i])
			if !strings.HasPrefix(string(s.lines[i]), h) {
				t.Fatalf("seed %d line %d: %q lost its header %q", seed, i, s.lines[i], h)
			}
			// the error follows the statement's own words
			short := strings.TrimRight(plain.msgs[i], " .")
			if !strings.HasPrefix(s.msgs[i], short) {
				t.Fatalf("seed %d line %d: %q does not open with %q", seed, i, s.msgs[i], short)
			}
			rest := s.msgs[i][len(short):]
			if tails[k] == nil {
				tails[k] = map[string]int{}
			}
			tails[k][rest]++
			switch {
			case strings.HasPrefix(rest, " (") && strings.HasSuffix(rest, ")"):
				place["paren"] = true
			case strings.Contains(rest, "'"):
				place["quote"] = true
			case strings.HasSuffix(rest, "...") || strings.HasSuffix(rest, "later") || strings.HasSuffix(rest, "up.") || strings.HasSuffix(rest, "while") || strings.HasSuffix(rest, "retry") || strings.HasSuffix(rest, "Skipping"):
				place["mid"] = true
			default:
				place["end"] = true
			}
			if strings.Count(rest, ": ") >= 2 {
				chained++
			}
		}
		for k, ts := range tails {
			n, top := 0, 0
			for _, c := range ts {
				n += c
				top = max(top, c)
			}
			lines := 0
			for i := range s.truth {
				if s.truth[i] == k {
					lines++
				}
			}
			if n != lines {
				t.Fatalf("seed %d: statement %q writes an error on %d of its %d lines", seed, k, n, lines)
			}
			withErr++
			if n >= 10 && len(ts) >= 3 {
				varied++
				if top >= 2 {
					recurring++
				}
			}
		}
		places += len(place)
	}
	t.Logf("statements with an error %d, varied %d, recurring %d, chained lines %d, placements %d over %d layouts", withErr, varied, recurring, chained, places, layouts)
	if withErr < 2*layouts || varied < layouts || recurring < layouts/2 || chained < 10*layouts || places < 2*layouts {
		t.Errorf("errtail too thin: %d statements with an error, %d varied, %d with a recurring error, %d chained lines, %d placements over %d layouts",
			withErr, varied, recurring, chained, places, layouts)
	}
}

// wildRenderPair renders seed's wild layout (400 lines) twice, without
// -msg and with the message-side kinds, for the tests that compare them.
func wildRenderPair(t *testing.T, seed uint64, st []stmt, kinds map[string]bool) (plain, s *wildSet) {
	t.Helper()
	plain, err := wildRender(seed, newWildLayout(seed), st, 400, nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err = wildRender(seed, newWildLayout(seed), st, 400, newWildMsg(seed, kinds))
	if err != nil {
		t.Fatal(err)
	}
	return plain, s
}
