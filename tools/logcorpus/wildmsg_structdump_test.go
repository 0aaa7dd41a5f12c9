package main

import (
	"strings"
	"testing"
)

// TestWildMsgStructdump checks structdump as wildmsg_structdump.go says:
// not in all; the statements it picks write a struct and a closing
// clause on every line, the clause named in the line's event; a picked
// statement's lines show two clauses or more; every style occurs over
// the seeds, and a layout keeps one; other statements render as without
// -msg.
func TestWildMsgStructdump(t *testing.T) {
	if all, _ := wildMsgOpts("all"); all["structdump"] {
		t.Fatal("structdump in all")
	}
	kinds, err := wildMsgOpts("structdump")
	if err != nil || !kinds["structdump"] {
		t.Fatalf("-msg structdump: %v, %v", kinds, err)
	}
	st := wildMsgStmts()
	styles := map[string]int{}
	var picked int
	for seed := uint64(wildDevSeed); seed < wildDevSeed+30; seed++ {
		plain, s := wildRenderPair(t, seed, st, kinds)
		layout := map[string]bool{}
		clauses := map[string]map[string]bool{}
		for i, m := range s.msgs {
			if m == plain.msgs[i] {
				if s.truth[i] != plain.truth[i] {
					t.Fatalf("seed %d line %d: truth %q, without -msg %q", seed, i, s.truth[i], plain.truth[i])
				}
				continue
			}
			picked++
			c := s.truth[i][strings.LastIndex(s.truth[i], "⟪")+len("⟪") : len(s.truth[i])-len("⟫")]
			if !strings.HasSuffix(m, " "+c) || s.truth[i] != plain.truth[i]+" ⟪"+c+"⟫" {
				t.Fatalf("seed %d line %d: %q, truth %q", seed, i, m, s.truth[i])
			}
			if clauses[plain.truth[i]] == nil {
				clauses[plain.truth[i]] = map[string]bool{}
			}
			clauses[plain.truth[i]][c] = true
			switch body := strings.TrimSuffix(m, " "+c); {
			case strings.HasSuffix(body, " }"):
				layout["rust"] = true
			case strings.Contains(body, ": &{"):
				layout["goptr"] = true
			case strings.HasSuffix(body, "}"):
				layout["goplus"] = true
			case strings.HasSuffix(body, "]"):
				layout["record"] = true
			case strings.HasSuffix(body, ")"):
				layout["data"] = true
			default:
				t.Fatalf("seed %d line %d: no struct: %q", seed, i, m)
			}
		}
		if len(layout) > 1 {
			t.Errorf("seed %d: styles %v in one layout", seed, layout)
		}
		for k := range layout {
			styles[k]++
		}
		for k, cs := range clauses {
			if n := len(cs); n < 2 && len(s.truth) > 300 {
				// a statement of few lines may show one clause only
				lines := 0
				for _, tr := range plain.truth {
					if tr == k {
						lines++
					}
				}
				if lines >= 20 {
					t.Errorf("seed %d: statement %q shows %d clause on %d lines", seed, k, n, lines)
				}
			}
		}
	}
	t.Logf("picked lines %d, styles %v", picked, styles)
	if len(styles) != len(sdStyles) {
		t.Errorf("styles seen %v, want all of %v", styles, sdStyles)
	}
}
