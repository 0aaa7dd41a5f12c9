package main

import (
	"regexp"
	"strings"
	"testing"
)

// TestWildHdrLabelOpts: srclabel and optbracket are asked for by name
// only; -hdr all does not hold them.
func TestWildHdrLabelOpts(t *testing.T) {
	all, err := wildHdrOpts("all")
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range wildHdrLabel {
		for _, k := range all {
			if k == x {
				t.Fatalf("-hdr all holds %s", x)
			}
		}
		if k, err := wildHdrOpts(x); err != nil || len(k) != 1 || k[0] != x {
			t.Fatalf("-hdr %s = %v, %v", x, k, err)
		}
	}
	if _, err := wildHdrOpts("srclabels"); err == nil {
		t.Fatal("-hdr srclabels accepted")
	}
}

// TestWildSrcLabel: every line holds the layout's source word and a
// label ended by a colon right before its message; a statement (its
// format and location) keeps one label on all its lines; labels of several
// words are on some statements (not all); the message ends in the
// location, which the template (the statement's format) does not hold:
// two call sites of one format are one event, as in every wild layout.
var srcLabelRe = regexp.MustCompile(`(?:^| )([A-Za-z]+) ((?:[A-Z][a-z]+)(?: [a-z]+){0,2}):  ?$`)
var srcLocRe = regexp.MustCompile(` in /[a-z_/]+/[a-z_0-9]+\.[a-z]+ on line [0-9]+$`)

func TestWildSrcLabel(t *testing.T) {
	st := wildMsgStmts()
	for seed := uint64(wildDevSeed); seed < wildDevSeed+12; seed++ {
		l := newWildLayout(seed)
		extendWildHdr(seed, l, []string{"srclabel"})
		s, err := wildRender(seed, l, st, 400, nil)
		if err != nil {
			t.Fatal(err)
		}
		srcs := map[string]bool{}
		label := map[string]string{} // template → label
		long, short := 0, 0
		for i, ln := range s.lines {
			h, ok := strings.CutSuffix(string(ln), s.msgs[i])
			m := srcLabelRe.FindStringSubmatch(h)
			if !ok || m == nil {
				t.Fatalf("seed %d: %q: header %q without a source and a label", seed, ln, h)
			}
			srcs[m[1]] = true
			if strings.Contains(m[2], " ") {
				long++
			} else {
				short++
			}
			loc := srcLocRe.FindString(s.msgs[i])
			if loc == "" || srcLocRe.MatchString(s.truth[i]) {
				t.Fatalf("seed %d: %q / %q: the message without the location or the template with it", seed, s.msgs[i], s.truth[i])
			}
			if was, ok := label[s.truth[i]+loc]; ok && was != m[2] {
				t.Fatalf("seed %d: statement %q%s under %q and %q", seed, s.truth[i], loc, was, m[2])
			}
			label[s.truth[i]+loc] = m[2]
		}
		if len(srcs) != 1 || long == 0 || short == 0 || long*10 > len(s.lines)*6 {
			t.Fatalf("seed %d: sources %v, %d lines with a long label, %d with a short", seed, srcs, long, short)
		}
	}
}

// TestWildOptBracket: the bracketed field is followed by a second
// bracketed id on some lines only (30–50% of them, and never on all of a
// statement's); the id is a field of its line, and a statement's template
// is the same with and without it.
var optIDRe = regexp.MustCompile(`\] ?\[(C-[0-9a-f]{8}|req-[0-9a-f]{4}|[0-9a-f]{12})\]`)

func TestWildOptBracket(t *testing.T) {
	st := wildMsgStmts()
	forms := map[string]bool{}
	for seed := uint64(wildDevSeed); seed < wildDevSeed+16; seed++ {
		l := newWildLayout(seed)
		extendWildHdr(seed, l, []string{"optbracket"})
		s, err := wildRender(seed, l, st, 400, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, tag := range l.tags {
			if strings.HasPrefix(tag, "hdr3-optbracket-") {
				forms[tag] = true
			}
		}
		with := 0
		both := map[string][2]bool{}
		for i, ln := range s.lines {
			found := false
			for _, m := range optIDRe.FindAllStringSubmatch(strings.TrimSuffix(string(ln), s.msgs[i]), -1) {
				found = true
				if v := s.vals[i]; len(v) == 0 || !strings.Contains(strings.Join(v, " "), m[1]) {
					t.Fatalf("seed %d: %q: id %q not among the fields %v", seed, ln, m[1], v)
				}
			}
			b := both[s.truth[i]]
			if found {
				with++
				b[1] = true
			} else {
				b[0] = true
			}
			both[s.truth[i]] = b
		}
		if n := len(s.lines); with*10 < n*2 || with*10 > n*6 {
			t.Fatalf("seed %d: %d of %d lines with the id", seed, with, n)
		}
		mixed := 0
		for _, b := range both {
			if b[0] && b[1] {
				mixed++
			}
		}
		if mixed < len(both)/4 {
			t.Fatalf("seed %d: %d of %d templates written with and without the id", seed, mixed, len(both))
		}
	}
	if len(forms) < 3 {
		t.Fatalf("forms %v", forms)
	}
}

// TestWildHdrLabelBefore: a seed without -hdr renders as before: no
// message of a plain layout ends in a location or holds an id (the hooks
// are off).
func TestWildHdrLabelBefore(t *testing.T) {
	st := wildMsgStmts()
	for seed := uint64(wildDevSeed); seed < wildDevSeed+6; seed++ {
		l := newWildLayout(seed)
		if l.msgPost != nil {
			t.Fatalf("seed %d: a plain layout with a message suffix", seed)
		}
		s, err := wildRender(seed, l, st, 100, nil)
		if err != nil {
			t.Fatal(err)
		}
		for i := range s.lines {
			if srcLocRe.MatchString(s.msgs[i]) {
				t.Fatalf("seed %d: %q", seed, s.lines[i])
			}
		}
	}
}
