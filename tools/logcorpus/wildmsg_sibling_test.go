package main

import (
	"strings"
	"testing"
)

// TestWildMsgSibling checks sibling as wildmsg_sibling.go says: not in
// all; a line it rewrites is its statement's line with constant words
// before the first parameter, a trailing clause with a value, or the
// first parameter left out, and its truth is a new event; every form
// occurs; within one statement the sibling writes the few lines or the
// many, never between 1 in 6 and 5 in 6; other lines render as without
// -msg.
func TestWildMsgSibling(t *testing.T) {
	if all, _ := wildMsgOpts("all"); all["sibling"] {
		t.Fatal("sibling in all")
	}
	kinds, err := wildMsgOpts("sibling")
	if err != nil || !kinds["sibling"] || len(kinds) != 1 {
		t.Fatalf("-msg sibling: %v, %v", kinds, err)
	}
	if got := wildMsgName(kinds); got != " msg=sibling" {
		t.Errorf("name %q", got)
	}
	st := wildMsgStmts()
	forms := map[string]int{}
	for seed := uint64(wildDevSeed); seed < wildDevSeed+30; seed++ {
		plain, s := wildRenderPair(t, seed, st, kinds)
		if len(s.lines) != len(plain.lines) {
			t.Fatalf("seed %d: %d lines, %d without -msg", seed, len(s.lines), len(plain.lines))
		}
		total, sib := map[string]int{}, map[string]int{}
		for i, m := range s.msgs {
			p := plain.msgs[i]
			h := strings.TrimSuffix(string(plain.lines[i]), p)
			if !strings.HasPrefix(string(s.lines[i]), h) {
				t.Fatalf("seed %d line %d: %q lost its header %q", seed, i, s.lines[i], h)
			}
			total[plain.truth[i]]++
			if m == p {
				if s.truth[i] != plain.truth[i] {
					t.Fatalf("seed %d line %d: truth %q, without -msg %q", seed, i, s.truth[i], plain.truth[i])
				}
				continue
			}
			if s.truth[i] == plain.truth[i] {
				t.Fatalf("seed %d line %d: %q rewritten from %q in the same event %q", seed, i, m, p, s.truth[i])
			}
			sib[plain.truth[i]]++
			lit := strings.Split(plain.truth[i], "<*>")[0]
			switch {
			case strings.HasSuffix(s.truth[i], "<*>⟫"):
				c := s.truth[i][strings.LastIndex(s.truth[i], "⟪")+len("⟪") : len(s.truth[i])-len("<*>⟫")]
				at := strings.Index(m, c)
				rest := ""
				if at >= 0 {
					rest = m[at+len(c):]
					_, rest, _ = strings.Cut(rest, " ") // after the clause's value
				}
				if at < 0 || !strings.HasPrefix(p, m[:at]) || strings.Join(strings.Fields(m[:at]+" "+rest), " ") != strings.Join(strings.Fields(p), " ") || s.truth[i] != plain.truth[i]+" ⟪"+c+"<*>⟫" {
					t.Fatalf("seed %d line %d: clause %q: %q from %q", seed, i, c, m, p)
				}
				forms["clause"]++
			case len(m) > len(p):
				w := strings.TrimPrefix(s.truth[i], lit)
				w = w[:strings.Index(w, "<*>")]
				if m != lit+w+p[len(lit):] || !strings.HasSuffix(w, " ") || strings.Contains(w, "<*>") {
					t.Fatalf("seed %d line %d: words %q: %q from %q", seed, i, w, m, p)
				}
				forms["words"]++
			default:
				v := strings.Fields(p[len(lit):])[0]
				if m != lit+p[len(lit)+len(v)+1:] || strings.Count(s.truth[i], "<*>")+1 != strings.Count(plain.truth[i], "<*>") {
					t.Fatalf("seed %d line %d: %q from %q, truth %q", seed, i, m, p, s.truth[i])
				}
				forms["absent"]++
			}
		}
		for k, n := range sib {
			if f := float64(n) / float64(total[k]); total[k] >= 60 && f > 0.3 && f < 0.7 {
				t.Errorf("seed %d: statement %q: sibling on %d of %d lines", seed, k, n, total[k])
			}
		}
	}
	for _, f := range []string{"words", "clause", "absent"} {
		if forms[f] == 0 {
			t.Errorf("form %s never drawn: %v", f, forms)
		}
	}
}
