package main

import (
	"strings"
	"testing"
)

// TestWildMsgNestfmt checks nestfmt as wildmsg_nestfmt.go says: not in
// all; the statements it picks write msg="…" and a shard pair on every
// line, the nested cause (a quoted URL) on a few lines only, by each of
// the three escaping rules; the other statements render as without -msg.
func TestWildMsgNestfmt(t *testing.T) {
	if all, _ := wildMsgOpts("all"); all["nestfmt"] {
		t.Fatal("nestfmt in all")
	}
	kinds, err := wildMsgOpts("nestfmt")
	if err != nil || !kinds["nestfmt"] {
		t.Fatalf("-msg nestfmt: %v, %v", kinds, err)
	}
	st := wildMsgStmts()
	var picked, nested int
	rules := map[string]int{}
	for seed := uint64(wildDevSeed); seed < wildDevSeed+30; seed++ {
		plain, s := wildRenderPair(t, seed, st, kinds)
		for i, m := range s.msgs {
			if m == plain.msgs[i] {
				continue
			}
			picked++
			if !strings.HasPrefix(m, `msg="`) || !strings.Contains(m, `" shard=`) || !strings.Contains(m, " peer=") {
				t.Fatalf("seed %d line %d: %q", seed, i, m)
			}
			if !strings.Contains(m, "Get ") || !strings.Contains(m, "dial tcp") {
				continue
			}
			nested++
			switch {
			case strings.Contains(m, `\\\"http`):
				rules["both"]++
			case strings.Contains(m, `\\"http`):
				rules["quote"]++
			case strings.Contains(m, `\"http`):
				rules["none"]++
			default:
				t.Errorf("seed %d line %d: no rule: %q", seed, i, m)
			}
		}
	}
	t.Logf("picked lines %d, nested %d %v", picked, nested, rules)
	if len(rules) != 3 {
		t.Errorf("rules seen: %v, want both, quote and none", rules)
	}
	if f := float64(nested) / float64(picked); f < 0.02 || f > 0.10 {
		t.Errorf("nested causes on %.3f of the picked lines, want 3-8%%", f)
	}
}
