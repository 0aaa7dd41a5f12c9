package main

import (
	"regexp"
	"strings"
	"testing"
)

// TestWildBracketLevel renders -hdr bracketlevel on development seeds:
// every line is a time, a level in brackets (padded or not) and, on every
// line or on some statements only, a name ended by a colon, then the
// message; -hdr all does not hold the kind.
func TestWildBracketLevel(t *testing.T) {
	st := wildMsgStmts()
	kinds, err := wildHdrOpts("bracketlevel")
	if err != nil {
		t.Fatal(err)
	}
	all, err := wildHdrOpts("all")
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range all {
		if k == "bracketlevel" {
			t.Fatal("-hdr all holds bracketlevel: wild -hdr all would render otherwise")
		}
	}
	re := regexp.MustCompile(`^(\w{3} [ \d]\d \d\d:\d\d:\d\d(\.\d{3})?|\d{4}-\d\d-\d\dT[\d:.]+Z) \[ ?[A-Za-z]+ *\] (([\w.]+): )?(.+)$`)
	sometimes := 0
	for seed := uint64(wildDevSeed); seed < wildDevSeed+20; seed++ {
		l := newWildLayout(seed)
		extendWildHdr(seed, l, kinds)
		s, err := wildRender(seed, l, st, 200, nil)
		if err != nil {
			t.Fatal(err)
		}
		without := 0
		for j, line := range s.lines {
			m := re.FindStringSubmatch(string(line))
			if m == nil {
				t.Fatalf("seed %d line %d: %q is no time, [level], name: message", seed, j, line)
			}
			if m[5] != s.msgs[j] {
				t.Fatalf("seed %d line %d: message %q, want %q", seed, j, m[5], s.msgs[j])
			}
			if m[4] == "" {
				without++
			} else if len(s.vals[j]) == 0 || s.vals[j][len(s.vals[j])-1] != m[4] {
				t.Fatalf("seed %d line %d: name %q not scored (%q)", seed, j, m[4], s.vals[j])
			}
		}
		if without > 0 {
			sometimes++
			if without == len(s.lines) {
				t.Fatalf("seed %d: no line has a name", seed)
			}
		}
	}
	if sometimes == 0 || sometimes == 20 {
		t.Fatalf("%d of 20 layouts write the name on some lines only", sometimes)
	}
}

// TestWildCSVLead: wildcsv -hdr lead changes the first column alone (to
// a time with a blank and a zone, or a syslog time); without -hdr the
// layouts render as before.
func TestWildCSVLead(t *testing.T) {
	st := wildMsgStmts()
	lead := regexp.MustCompile(`^"?(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{3})? ([A-Z]{3}|[+-]\d{4})|\w{3} [ \d]\d \d\d:\d\d:\d\d)"?,`)
	forms := map[string]bool{}
	for i := 0; i < 30; i++ {
		seed := wildDevSeed + uint64(i)
		plain, err := wildCSVRender(seed, newCSVLayout(seed), st, 200)
		if err != nil {
			t.Fatal(err)
		}
		l := newCSVLayout(seed)
		csvLead(seed, l)
		s, err := wildCSVRender(seed, l, st, 200)
		if err != nil {
			t.Fatal(err)
		}
		forms[l.tags[len(l.tags)-1]] = true
		if len(s.lines) != len(plain.lines) {
			t.Fatalf("seed %d: %d lines, plain %d", seed, len(s.lines), len(plain.lines))
		}
		for j, line := range s.lines {
			if !lead.Match(line) {
				t.Fatalf("seed %d line %d: %q", seed, j, line)
			}
			_, rest, _ := strings.Cut(string(line), ",")
			_, want, _ := strings.Cut(string(plain.lines[j]), ",")
			if rest != want || s.msgs[j] != plain.msgs[j] {
				t.Fatalf("seed %d line %d: %q after the first column, want %q", seed, j, rest, want)
			}
		}
	}
	if len(forms) < 3 {
		t.Fatalf("lead forms %v", forms)
	}
}
