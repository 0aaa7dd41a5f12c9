package main

import (
	"regexp"
	"strings"
	"testing"
)

// TestWildHdrExtraNotInAll: colonctx and colongrow are asked for by name
// only; -hdr all names the four kinds it named before them.
func TestWildHdrExtraNotInAll(t *testing.T) {
	all, err := wildHdrOpts("all")
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range all {
		for _, x := range wildHdrExtra {
			if k == x {
				t.Fatalf("-hdr all holds %s", x)
			}
		}
	}
	for _, x := range wildHdrExtra {
		if k, err := wildHdrOpts(x); err != nil || len(k) != 1 || k[0] != x {
			t.Fatalf("-hdr %s = %v, %v", x, k, err)
		}
	}
}

// TestWildColonCtx: the header closes with a bracketed context that
// varies per line, and a statement's own label, when it has one, opens
// its message and its template (it is written in the format); labelled
// statements share a few labels, and some statements have none.
var ctxLabelRe = regexp.MustCompile(`^([A-Z]+): `)

func TestWildColonCtx(t *testing.T) {
	st := wildMsgStmts()
	for seed := uint64(wildDevSeed); seed < wildDevSeed+10; seed++ {
		l := newWildLayout(seed)
		extendWildHdr(seed, l, []string{"colonctx"})
		s, err := wildRender(seed, l, st, 400, nil)
		if err != nil {
			t.Fatal(err)
		}
		ctxs, labels := map[string]bool{}, map[string]bool{}
		bare := 0
		for i, ln := range s.lines {
			h := strings.TrimSuffix(string(ln), " "+s.msgs[i])
			if len(h) == len(ln) || !strings.HasSuffix(h, "]") {
				t.Fatalf("seed %d: %q: header %q not closed by a bracketed context", seed, ln, h)
			}
			ctx := h[strings.LastIndex(h, "[")+1 : len(h)-1]
			if v := s.vals[i]; len(v) == 0 || v[len(v)-1] != ctx {
				t.Fatalf("seed %d: %q: context %q not among the fields %v", seed, ln, ctx, v)
			}
			ctxs[ctx] = true
			m := ctxLabelRe.FindStringSubmatch(s.msgs[i])
			if m == nil {
				bare++
				continue
			}
			labels[m[1]] = true
			if !strings.HasPrefix(s.truth[i], m[0]) {
				t.Fatalf("seed %d: %q: template %q without its label", seed, ln, s.truth[i])
			}
		}
		if len(ctxs) < 3 || len(labels) < 2 || len(labels) > 6 || bare == 0 {
			t.Fatalf("seed %d: %d contexts, labels %v, %d lines without one", seed, len(ctxs), labels, bare)
		}
	}
}

// TestWildColonGrow: the first lines are logged under one or two
// categories, the later ones under more, and the lines that follow the
// first show statements under several labels.
func TestWildColonGrow(t *testing.T) {
	st := wildMsgStmts()
	grew := 0
	for seed := uint64(wildDevSeed); seed < wildDevSeed+12; seed++ {
		l := newWildLayout(seed)
		extendWildHdr(seed, l, []string{"colongrow"})
		s, err := wildRender(seed, l, st, 400, nil)
		if err != nil {
			t.Fatal(err)
		}
		tag := l.tags[len(l.tags)-1]
		if !strings.HasPrefix(tag, "hdr3-colongrow-") {
			t.Fatalf("seed %d: tags %v", seed, l.tags)
		}
		if !strings.Contains(tag, "cat") {
			continue // a severity alone: no category
		}
		early, later := map[string]bool{}, map[string]bool{}
		for i, ln := range s.lines {
			h := strings.TrimRight(strings.TrimSuffix(string(ln), s.msgs[i]), " ")
			if !strings.HasSuffix(h, ":") {
				t.Fatalf("seed %d: %q: header %q not ended by a label", seed, ln, h)
			}
			cat := s.vals[i][len(s.vals[i])-1]
			if !strings.Contains(h, cat+":") {
				t.Fatalf("seed %d: %q: category %q not in the header", seed, ln, cat)
			}
			if i < 60 {
				early[cat] = true
			} else if i >= 200 {
				later[cat] = true
			}
		}
		if len(early) > 2 {
			t.Fatalf("seed %d: %d categories on the first lines", seed, len(early))
		}
		if len(later) > len(early) {
			grew++
		}
	}
	if grew < 3 {
		t.Fatalf("%d layouts whose categories grew", grew)
	}
}
