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
