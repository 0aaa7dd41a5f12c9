package main

import (
	"fmt"
	"io"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
)

// The perturbations of `score -perturb KIND`: each set of a part read in
// another order or mixed with others, as the agent meets logs (a pod with
// several sources on one stream, a file tailed from the middle, a crash
// loop). One pass and two passes read the same perturbed input, so their
// grouping should agree (issue 9, item 3: online = offline) whatever the
// order; the figure that matters is the gap between them, not the GA
// itself.
var perturbKinds = []string{"shuffle", "rotate", "interleave", "mix", "drop500", "burst"}

// perturb returns the perturbed inputs of a part's sets for kind. Every
// choice is seeded by the set's name, so a run is repeatable.
func perturb(kind string, ds []dataset) ([]dataset, error) {
	var out []dataset
	switch kind {
	case "shuffle": // the lines in a seeded random order
		for _, d := range ds {
			rng := rand.New(rand.NewPCG(hash64(d.name), 21))
			p := rng.Perm(len(d.lines))
			out = append(out, reorder(d, p, "shuffle"))
		}
	case "rotate": // the stream started mid-way: it wraps round to its start
		for _, d := range ds {
			n := len(d.lines)
			rng := rand.New(rand.NewPCG(hash64(d.name), 22))
			k := n/4 + rng.IntN(n/2+1)
			p := make([]int, 0, n)
			for i := range n {
				p = append(p, (k+i)%n)
			}
			out = append(out, reorder(d, p, "rotate"))
		}
	case "drop500": // the first 500 lines never read
		for _, d := range ds {
			if len(d.lines) <= 500 {
				continue
			}
			p := make([]int, 0, len(d.lines)-500)
			for i := 500; i < len(d.lines); i++ {
				p = append(p, i)
			}
			out = append(out, reorder(d, p, "drop500"))
		}
	case "burst": // one event 1,000 times first (its own lines in turn), then the set
		for _, d := range ds {
			rng := rand.New(rand.NewPCG(hash64(d.name), 23))
			ev := d.truth[rng.IntN(len(d.truth))]
			var same []int
			for i, t := range d.truth {
				if t == ev {
					same = append(same, i)
				}
			}
			p := make([]int, 0, 1000+len(d.lines))
			for i := range 1000 {
				p = append(p, same[i%len(same)])
			}
			for i := range d.lines {
				p = append(p, i)
			}
			out = append(out, reorder(d, p, "burst"))
		}
	case "interleave": // two or three sets line by line into one stream
		for i := 0; i < len(ds); {
			k := 2 + int(hash64(ds[i].name)%2)
			k = min(k, len(ds)-i)
			if k < 2 {
				break
			}
			out = append(out, interleave(ds[i:i+k]))
			i += k
		}
	case "mix": // two sets of different projects and layouts line by line (the part's first half with its second)
		h := len(ds) / 2
		for i := 0; i < h; i++ {
			out = append(out, interleave([]dataset{ds[i], ds[h+i]}))
		}
	default:
		return nil, fmt.Errorf("unknown perturbation %q (known: %v)", kind, perturbKinds)
	}
	return out, nil
}

func reorder(d dataset, p []int, kind string) dataset {
	o := dataset{name: d.name + "~" + kind, lines: make([][]byte, len(p)), truth: make([]string, len(p))}
	for j, i := range p {
		o.lines[j], o.truth[j] = d.lines[i], d.truth[i]
	}
	return o
}

// interleave merges sets line by line. An event is a statement of one
// project: sets of two projects keep their events apart (two projects
// that log the same text are two events here), while one project's
// statement logged in two of its sets' layouts is one event, as it is
// one statement in the source (a set's truth is the statement's format
// string, whatever the layout around it).
func interleave(ds []dataset) dataset {
	var o dataset
	of := make([]string, len(ds)) // the event key of each set's project
	for k, d := range ds {
		if k > 0 {
			o.name += "+"
		}
		o.name += d.name
		of[k] = strconv.Itoa(k)
		for i := range k {
			if projectOf(ds[i].name) == projectOf(d.name) {
				of[k] = of[i]
				break
			}
		}
	}
	for j := 0; ; j++ {
		more := false
		for k, d := range ds {
			if j < len(d.lines) {
				more = true
				o.lines = append(o.lines, d.lines[j])
				o.truth = append(o.truth, of[k]+"\x00"+d.truth[j])
			}
		}
		if !more {
			return o
		}
	}
}

// scorePerturbed scores one pass against two passes on the perturbed
// sets of a part: the distribution of |GA one pass with aliases - GA two
// passes| and the sets where it exceeds 0.01. agree is the GA of one pass
// measured against two passes' grouping as truth (1 when they group
// alike).
func scorePerturbed(cache, part, kind string, w io.Writer) error {
	ds, err := loadPart(cache, part)
	if err != nil {
		return err
	}
	kinds := []string{kind}
	if kind == "all" {
		kinds = perturbKinds
	}
	for _, k := range kinds {
		ps, err := perturb(k, ds)
		if err != nil {
			return err
		}
		type row struct {
			name                string
			two, final, gap, ag float64
		}
		var rows []row
		var sumTwo, sumFinal, sumAgree float64
		for _, d := range ps {
			two, _, final, _, err := mine(d, nil)
			if err != nil {
				return err
			}
			r := row{name: d.name, two: groupingAccuracy(d.truth, two), final: groupingAccuracy(d.truth, final), ag: groupingAccuracy(two, final)}
			r.gap = r.final - r.two
			rows = append(rows, r)
			sumTwo += r.two
			sumFinal += r.final
			sumAgree += r.ag
		}
		sort.Slice(rows, func(i, j int) bool { return abs(rows[i].gap) > abs(rows[j].gap) })
		gaps := make([]float64, len(rows))
		over := 0
		for i, r := range rows {
			gaps[i] = abs(r.gap)
			if abs(r.gap) > 0.01 {
				over++
			}
		}
		sort.Float64s(gaps)
		q := func(f float64) float64 { return gaps[min(len(gaps)-1, int(f*float64(len(gaps))))] }
		n := float64(len(rows))
		fmt.Fprintf(w, "%s/%s: %d inputs, mean GA two-pass %.4f, one pass with aliases %.4f, agreement %.4f; |gap| p50 %.4f p90 %.4f p99 %.4f max %.4f; %d over 0.01\n",
			part, k, len(rows), sumTwo/n, sumFinal/n, sumAgree/n, q(0.5), q(0.9), q(0.99), gaps[len(gaps)-1], over)
		for _, r := range rows {
			if abs(r.gap) <= 0.01 {
				break
			}
			fmt.Fprintf(w, "\t%-90s 2p %.4f 1pA %.4f gap %+.4f agree %.4f\n", r.name, r.two, r.final, r.gap, r.ag)
		}
	}
	return nil
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

// projectOf returns the project part of a set's name (slug(module) before
// "__"), or the whole name when it has none.
func projectOf(name string) string {
	p, _, _ := strings.Cut(name, "__")
	return p
}
