package main

import (
	"regexp"
	"strings"
	"testing"
)

// TestWildHdrOff checks that wild without -hdr renders what it rendered
// before the third round's kinds existed (its figures stay comparable).
func TestWildHdrOff(t *testing.T) {
	st := wildMsgStmts()
	for _, seed := range []uint64{wildDevSeed, wildDevSeed + 9, wildHeldSeed + 3} {
		plain, err := wildRender(seed, newWildLayout(seed), st, 200, nil)
		if err != nil {
			t.Fatal(err)
		}
		l := newWildLayout(seed)
		extendWildHdr(seed, l, nil)
		s, err := wildRender(seed, l, st, 200, nil)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Join(bytesToStrings(s.lines), "\n") != strings.Join(bytesToStrings(plain.lines), "\n") {
			t.Fatalf("seed %d: -hdr off renders other lines", seed)
		}
	}
	if _, err := wildHdrOpts("colon,bogus"); err == nil {
		t.Fatal("-hdr bogus: no error")
	}
	if k, err := wildHdrOpts("all,colon"); err != nil || len(k) != len(wildHdrKinds) {
		t.Fatalf("-hdr all,colon = %v, %v", k, err)
	}
}

func bytesToStrings(b [][]byte) []string {
	out := make([]string, len(b))
	for i := range b {
		out[i] = string(b[i])
	}
	return out
}

// TestWildHdrKinds renders each kind on development seeds and checks what
// it promises: labels ended by colons before the message, one statement
// under several categories and severities; a message glued to a header
// token ending in ':' or ']'; a number padded to a width; an id column
// with a placeholder on some lines and a value on others.
func TestWildHdrKinds(t *testing.T) {
	st := wildMsgStmts()
	for _, kind := range wildHdrKinds {
		kinds, err := wildHdrOpts(kind)
		if err != nil {
			t.Fatal(err)
		}
		tested := 0
		for seed := uint64(wildDevSeed); seed < wildDevSeed+12; seed++ {
			l := newWildLayout(seed)
			extendWildHdr(seed, l, kinds)
			s, err := wildRender(seed, l, st, 300, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(s.lines) < 200 {
				t.Fatalf("%s seed %d: %d lines", kind, seed, len(s.lines))
			}
			tag := l.tags[len(l.tags)-1]
			if !strings.HasPrefix(tag, "hdr3-") {
				t.Fatalf("%s seed %d: tags %v", kind, seed, l.tags)
			}
			tested++
			switch kind {
			case "colon":
				checkColon(t, seed, tag, s)
			case "glued":
				for i, ln := range s.lines {
					h := strings.TrimSuffix(string(ln), s.msgs[i])
					if len(h) == len(ln) || !strings.HasSuffix(h, ":") && !strings.HasSuffix(h, "]") {
						t.Fatalf("glued seed %d: %q: header %q does not end in ':' or ']'", seed, ln, h)
					}
				}
			case "padnum":
				pad := regexp.MustCompile(`[\[(]( +[0-9]+|[0-9]+ +)[\])]|  +[0-9]+ |[0-9]+   +`)
				n := 0
				for _, ln := range s.lines {
					if pad.Match(ln) {
						n++
					}
				}
				if n == 0 {
					t.Fatalf("padnum seed %d (%s): no padded number in %q", seed, tag, s.lines[0])
				}
			case "absent":
				with, without := 0, 0
				for i, ln := range s.lines {
					h := strings.TrimSuffix(strings.TrimSuffix(string(ln), s.msgs[i]), l.end)
					found := false
					for _, f := range strings.Split(h, l.sep) {
						f = strings.Trim(f, "[](){}<>«»⟨⟩|【】 ")
						found = found || f == "null" || f != "" && strings.Trim(f, "-") == ""
					}
					if found {
						with++
					} else {
						without++
					}
				}
				// per line on 20-50% of lines; per statement on those of
				// 20-50% of the statements, whose lines may be fewer
				least := len(s.lines) / 10
				if strings.HasSuffix(tag, "-stmt") {
					least = 1
				}
				if with < least || without*10 < len(s.lines)*3 {
					t.Fatalf("absent seed %d (%s): %d lines with a placeholder, %d without", seed, tag, with, without)
				}
			}
		}
		if tested == 0 {
			t.Fatalf("%s: no seed rendered it", kind)
		}
	}
}

// checkColon: the header ends with one or two colon-ended labels, the
// category is a field, and some statement is written under two categories
// or two severities.
func checkColon(t *testing.T, seed uint64, tag string, s *wildSet) {
	t.Helper()
	labels := map[string]map[string]bool{} // statement → label runs
	for i, ln := range s.lines {
		h := strings.TrimSuffix(string(ln), s.msgs[i])
		h = strings.TrimRight(h, " ")
		if !strings.HasSuffix(h, ":") {
			t.Fatalf("colon seed %d: %q: header %q not ended by a label", seed, ln, h)
		}
		// the label run: the words after the last column separator
		k := strings.LastIndexAny(h[:len(h)-1], "\t|;~·¦/,»>)]}")
		run := h[k+1:]
		if labels[s.truth[i]] == nil {
			labels[s.truth[i]] = map[string]bool{}
		}
		labels[s.truth[i]][run] = true
		if !strings.HasPrefix(tag, "hdr3-colon-") {
			t.Fatalf("colon seed %d: tag %q", seed, tag)
		}
		if strings.Contains(tag, "cat") || strings.Contains(tag, "python") {
			if len(s.vals[i]) == 0 || !strings.Contains(run, s.vals[i][len(s.vals[i])-1]+":") {
				t.Fatalf("colon seed %d: %q: category not among the fields %v", seed, ln, s.vals[i])
			}
		}
	}
	multi := 0
	for _, runs := range labels {
		if len(runs) > 1 {
			multi++
		}
	}
	if multi == 0 {
		t.Fatalf("colon seed %d (%s): no statement under two labels", seed, tag)
	}
}
