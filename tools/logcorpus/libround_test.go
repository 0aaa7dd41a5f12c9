package main

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
)

func TestLibPartOf(t *testing.T) {
	// the rule is fixed: these parts were recorded when it was written
	for name, part := range map[string]string{
		"zap": partLibdev, "python:gunicorn": partLibdev, "github.com/derailed/k9s": partLibdev,
		"example.com/a": partLibdev, "example.com/b": partR8, "example.com/d": partR8,
	} {
		if got := libPartOf(name); got != part {
			t.Errorf("%s: part %s, want %s", name, got, part)
		}
	}
}

func TestLibPlanDeal(t *testing.T) {
	ps := []project{{Module: "a"}, {Module: "b"}, {Module: "c"}}
	for _, cs := range [][]string{{"x", "y"}, {"x", "y", "z", "u", "v", "w", "q"}} {
		sets := libPlan(partLibdev, ps, cs)
		if want := max(2*len(ps), len(cs)); len(sets) != want {
			t.Fatalf("%d configurations: %d sets, want %d", len(cs), len(sets), want)
		}
		perProject, perConfig, seen := map[string]int{}, map[string]int{}, map[libSet]bool{}
		for _, s := range sets {
			if seen[s] {
				t.Fatalf("set %v twice", s)
			}
			seen[s] = true
			perProject[s.Project.Module]++
			perConfig[s.Config]++
		}
		for _, p := range ps {
			if perProject[p.Module] < 2 {
				t.Errorf("%s written by %d configurations", p.Module, perProject[p.Module])
			}
		}
		for _, c := range cs {
			if perConfig[c] == 0 {
				t.Errorf("configuration %s writes nothing", c)
			}
		}
		// the deal depends on neither list's order
		rev := append([]string(nil), cs...)
		sort.Sort(sort.Reverse(sort.StringSlice(rev)))
		again := libPlan(partLibdev, []project{ps[2], ps[0], ps[1]}, rev)
		for i := range sets {
			if sets[i] != again[i] {
				t.Fatalf("the plan depends on the lists' order: %v vs %v", sets, again)
			}
		}
	}
	if libPlan(partR8, nil, []string{"x"}) != nil {
		t.Fatal("a plan without projects has sets")
	}
}

var (
	librenderOnce sync.Once
	librenderBin  *librender
	librenderErr  error
)

// testLibrender builds the nested renderer module once per test binary.
func testLibrender(t *testing.T) *librender {
	t.Helper()
	librenderOnce.Do(func() {
		tmp, err := os.MkdirTemp("", "logcorpus-librender-test")
		if err != nil {
			librenderErr = err
			return
		}
		librenderBin, librenderErr = buildLibrender(tmp)
	})
	if librenderErr != nil {
		t.Fatal(librenderErr)
	}
	return librenderBin
}

// checkLibPart checks a part of the eighth round against librender's list
// and the split rule, and renders the fixture's statements through each of
// its configurations, every line with its truth; sums pins each
// configuration's output (a changed library, runtime or value changes it).
func checkLibPart(t *testing.T, part string, projs []project, configs []string, plan []libSet, sums map[string]string) {
	t.Helper()
	lr := testLibrender(t)
	var listed []string
	for _, c := range lr.configs {
		if c.Part == part {
			listed = append(listed, c.Name)
		}
	}
	sort.Strings(listed)
	want := append([]string(nil), configs...)
	sort.Strings(want)
	if strings.Join(listed, " ") != strings.Join(want, " ") {
		t.Fatalf("librender's %s configurations:\n%v\nthe plan's:\n%v", part, listed, want)
	}
	for _, p := range projs {
		if libPartOf(p.Module) != part {
			t.Errorf("%s: libPartOf says %s", p.Module, libPartOf(p.Module))
		}
	}
	// disjoint from every earlier part's projects and from the round's other part
	used := map[string]string{}
	for _, p := range projects {
		used[p.Module] = "the first two rounds"
	}
	for _, r := range []struct {
		name string
		sets []r3Set
	}{{partR3, r3Plan()}, {partR4, r4Plan()}, {partR5, r5Plan()}, {partR6, r6Plan()}, {partR7, r7Plan()}} {
		for _, s := range r.sets {
			used[s.Project.Module] = r.name
		}
	}
	other := r8Projects
	if part == partR8 {
		other = libdevProjects
	}
	for _, p := range other {
		used[p.Module] = "the other part of the eighth round"
	}
	for _, p := range projs {
		if w, ok := used[p.Module]; ok {
			t.Errorf("%s is already used by %s", p.Module, w)
		}
	}
	// every configuration writes a set; every project at least two
	perProject, perConfig := map[string]int{}, map[string]int{}
	for _, s := range plan {
		perProject[s.Project.Module]++
		perConfig[s.Config]++
	}
	for _, p := range projs {
		if perProject[p.Module] < 2 {
			t.Errorf("%s: %d sets", p.Module, perProject[p.Module])
		}
	}
	for _, c := range configs {
		if perConfig[c] == 0 {
			t.Errorf("%s writes no set", c)
		}
	}

	st, err := extract(filepath.Join("testdata", "fixture"))
	if err != nil {
		t.Fatal(err)
	}
	p := project{Module: "example.com/fixture"}
	for _, name := range configs {
		c := lr.configs[name]
		cache := t.TempDir()
		{
			if err := os.MkdirAll(filepath.Join(cache, part), 0o755); err != nil {
				t.Fatal(err)
			}
			if _, err := lr.writeLibDataset(cache, part, p, c, st, 40); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			base := filepath.Join(cache, part, slug(p.Module)+"__"+name)
			log, _ := os.ReadFile(base + ".log")
			truth, _ := os.ReadFile(base + ".truth")
			nl, nt := strings.Count(string(log), "\n"), strings.Count(string(truth), "\n")
			if nl != nt || nl < 30 || nl > 40 {
				t.Fatalf("%s: %d lines, %d truths", name, nl, nt)
			}
			// the clock and every value are injected: the output is pinned
			sum := sha256.Sum256(log)
			if got := hex.EncodeToString(sum[:6]); sums[name] != got {
				t.Errorf("%s: output sum %s, pinned %s; first lines:\n%s", name, got, sums[name], firstLines(string(log), 3))
			}
		}
	}
}

func firstLines(s string, n int) string {
	l := strings.SplitN(s, "\n", n+1)
	return strings.Join(l[:min(n, len(l))], "\n")
}
