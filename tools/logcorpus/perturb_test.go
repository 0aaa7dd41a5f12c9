package main

import (
	"fmt"
	"sort"
	"strings"
	"testing"
)

// Every perturbation reads the lines of its sets and no others, each with
// its own truth; interleaved sets keep their events apart.
func TestPerturb(t *testing.T) {
	var ds []dataset
	for s := 0; s < 5; s++ {
		d := dataset{name: fmt.Sprintf("set%d", s)}
		for i := 0; i < 700+s; i++ {
			d.lines = append(d.lines, []byte(fmt.Sprintf("s%d line %d", s, i)))
			d.truth = append(d.truth, fmt.Sprintf("event %d", i%7))
		}
		ds = append(ds, d)
	}
	for _, kind := range perturbKinds {
		ps, err := perturb(kind, ds)
		if err != nil {
			t.Fatal(err)
		}
		again, _ := perturb(kind, ds)
		lines := 0
		for i, p := range ps {
			if len(p.lines) != len(p.truth) {
				t.Fatalf("%s %s: %d lines, %d truths", kind, p.name, len(p.lines), len(p.truth))
			}
			if strings.Join(p.truth, "|") != strings.Join(again[i].truth, "|") {
				t.Errorf("%s %s: not repeatable", kind, p.name)
			}
			lines += len(p.lines)
			for j, l := range p.lines {
				var s, n int
				fmt.Sscanf(string(l), "s%d line %d", &s, &n)
				want := fmt.Sprintf("event %d", n%7)
				if kind == "interleave" || kind == "mix" {
					if !strings.HasSuffix(p.truth[j], "\x00"+want) {
						t.Fatalf("%s: line %q has truth %q", kind, l, p.truth[j])
					}
				} else if p.truth[j] != want {
					t.Fatalf("%s: line %q has truth %q", kind, l, p.truth[j])
				}
			}
		}
		total := 0
		for _, d := range ds {
			total += len(d.lines)
		}
		switch kind {
		case "shuffle", "rotate", "interleave":
			if lines != total {
				t.Errorf("%s: %d lines, want %d", kind, lines, total)
			}
		case "mix":
			if want := total - len(ds[len(ds)-1].lines); lines != want { // five sets: the last has no partner
				t.Errorf("%s: %d lines, want %d", kind, lines, want)
			}
		case "drop500":
			if lines != total-500*len(ds) {
				t.Errorf("%s: %d lines, want %d", kind, lines, total-500*len(ds))
			}
		case "burst":
			if lines != total+1000*len(ds) {
				t.Errorf("%s: %d lines, want %d", kind, lines, total+1000*len(ds))
			}
		}
	}
	// interleaving: two sets' events stay apart
	ps, _ := perturb("interleave", ds)
	var ts []string
	for _, tr := range ps[0].truth {
		ts = append(ts, tr)
	}
	sort.Strings(ts)
	if distinct(ts) != 7*strings.Count(ps[0].name, "+")+7 {
		t.Errorf("interleaved %s: %d events", ps[0].name, distinct(ts))
	}
}

// Interleaved sets of one project (two layouts of its statements) share
// their events: a statement is one event whatever layout it is logged in;
// a set of another project keeps its own.
func TestInterleaveProjectEvents(t *testing.T) {
	mk := func(name string) dataset {
		d := dataset{name: name}
		for i := 0; i < 30; i++ {
			d.lines = append(d.lines, []byte(fmt.Sprintf("%s line %d", name, i)))
			d.truth = append(d.truth, fmt.Sprintf("event %d", i%3))
		}
		return d
	}
	o := interleave([]dataset{mk("proj__klog"), mk("proj__log15"), mk("other__klog")})
	if got := distinct(append([]string(nil), o.truth...)); got != 6 {
		t.Errorf("%s: %d events, want 6 (3 of proj, 3 of other)", o.name, got)
	}
	if o.truth[0] != o.truth[1] || o.truth[0] == o.truth[2] {
		t.Errorf("first lines' truths %q %q %q: want proj's two layouts alike, other's apart", o.truth[0], o.truth[1], o.truth[2])
	}
}
