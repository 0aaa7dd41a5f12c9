package miner

import (
	"fmt"
	"testing"
)

// A signature read while its event had no word parameter yet ("with:
// alpha - not with worker", a word where later lines have a number) folds
// into the template once a merge gives that template word parameters: in
// one pass, without waiting for Consolidate, as two passes group it.
func TestFoldAfterMergeOnline(t *testing.T) {
	m := New(Config{ConsolidateEvery: -1})
	first := m.Add([]byte("anchored modifier can only be used with: alpha - not with worker")).ID
	values := []string{"25", "8c3ba785", "3", "1.5", "77"}
	words := []string{"fluent-bit", "beta", "gamma", "delta", "omega"}
	var last uint64
	for i := range values {
		last = m.Add([]byte(fmt.Sprintf("anchored modifier can only be used with: %s - not with %s", values[i], words[i]))).ID
	}
	if m.Resolve(first) != m.Resolve(last) {
		t.Fatalf("first line's template %x (now %x) is not the later lines' %x: %q", first, m.Resolve(first), m.Resolve(last),
			render(m, "anchored modifier can only be used with: alpha - not with worker"))
	}
	// and two passes agree: Consolidate has nothing left to join
	before := m.NumTemplates()
	m.Consolidate()
	if m.NumTemplates() != before {
		t.Fatalf("Consolidate joined %d more templates", before-m.NumTemplates())
	}
}

// TakeAliases hands out the merges of ids that Add handed out, and only
// those: a template made and merged within one Add had an id nobody got.
// Following them leads every id handed out to the template's.
func TestAliasesOfHandedIDs(t *testing.T) {
	m := New(Config{ConsolidateEvery: -1})
	handed := map[uint64]bool{}
	var last uint64
	for _, u := range []string{"alice", "bob", "carol", "dave", "erin"} {
		last = m.Add([]byte("session opened for user " + u + " by the daemon")).ID
		handed[last] = true
	}
	follow := map[uint64]uint64{}
	for _, a := range m.TakeAliases(nil) {
		if !handed[a.From] {
			t.Errorf("merge of %x, an id never handed out", a.From)
		}
		follow[a.From] = a.To
	}
	for id := range handed {
		x := id
		for follow[x] != 0 {
			x = follow[x]
		}
		if x != last || m.Resolve(id) != last {
			t.Errorf("id %x leads to %x (Resolve %x), not to the template's %x", id, x, m.Resolve(id), last)
		}
	}
}
