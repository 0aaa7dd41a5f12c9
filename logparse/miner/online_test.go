package miner

import (
	"fmt"
	"strings"
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

// An id handed out before its template was evicted (the agent keeps a
// bounded number of signatures) still leads to the event's template:
// when the signature comes back, when the template's text is made again,
// and when later lines generalise the event so that its template now
// takes the evicted line. Two passes, whose miner keeps every signature,
// group these lines as one event; without the ghosts of evicted templates
// the first id led nowhere.
func TestEvictedIDFollowed(t *testing.T) {
	m := New(Config{MaxClusters: 4, ConsolidateEvery: -1})
	noise := func(i int) {
		for k := 0; k < 5; k++ {
			m.Add([]byte(fmt.Sprintf("unrelated event number %c%c happened here", 'a'+i, 'a'+k)))
		}
	}
	// the same signature again
	first := m.Add([]byte("Remote device web-1 has not accepted sharing folder 10.0.0.1")).ID
	noise(0)
	again := m.Add([]byte("Remote device web-1 has not accepted sharing folder 10.0.0.2")).ID
	if m.Resolve(first) != m.Resolve(again) {
		t.Errorf("signature seen again: id %x leads to %x, the template's is %x", first, m.Resolve(first), m.Resolve(again))
	}
	// an event generalised after its first line was evicted
	m2 := New(Config{MaxClusters: 8, ConsolidateEvery: -1})
	m = m2
	early := m.Add([]byte("Request from alpha for file orders in unshared folder x1")).ID
	noise(1)
	noise(2)
	var last uint64
	for _, w := range []string{"beta", "gamma", "delta", "omega", "sigma"} {
		last = m.Add([]byte("Request from " + w + " for file " + w + "-log in unshared folder x1")).ID
	}
	m.Consolidate()
	if m.Resolve(early) != m.Resolve(last) {
		t.Errorf("evicted line's id %x leads to %x, not to the event's template %x (%q)", early, m.Resolve(early), m.Resolve(last),
			render(m, "Request from beta for file beta-log in unshared folder x1"))
	}
	for _, tm := range m.Templates() {
		if tm.ID == m.Resolve(early) {
			return
		}
	}
	t.Errorf("id %x of the evicted line resolves to %x, no live template", early, m.Resolve(early))
}

// A tail template made of messages read with their header (several
// events whose header ends alike) splits when every signature of it is
// re-read (RehomeAll); the signature it was made for, whose lines carry
// its id, keeps that id, and the others' templates get ids of their own.
func TestSplitKeepsFounderID(t *testing.T) {
	m := New(Config{ConsolidateEvery: -1})
	tails := []string{"opening the journal", "journal replay done", "compaction finished", "rejected a write",
		"lease renewed early", "dropping a stale peer", "snapshot written to disk", "pages flushed to disk", "queue drained fully"}
	var olds [][]byte
	var founder uint64
	for i, tl := range tails {
		msg := []byte("appd DBG store.Journal on node-a: " + tl)
		tm := m.Add(msg)
		if i == 0 {
			founder = tm.ID
			if !m.OwnID() {
				t.Fatalf("%q made its template but is not its founder", msg)
			}
		}
		olds = append(olds, msg)
	}
	tm := m.Match(olds[0])
	if tm == nil || tm.ID != founder || !strings.HasSuffix(tm.Text, "<*>") {
		t.Fatalf("no tail template of id %x over the messages: %+v", founder, tm)
	}
	if m.Add(olds[1]); m.OwnID() {
		t.Fatalf("%q joined the template and is its founder", olds[1])
	}
	moves := make([]Move, len(olds))
	for i := range olds {
		moves[i] = Move{Old: olds[i], New: []byte(tails[i])}
	}
	m.RehomeAll(moves)
	if got := m.IDOf([]byte(tails[0]), 0); got != founder {
		t.Errorf("the founder %q is in %x, want the split template's id %x", tails[0], got, founder)
	}
	seen := map[uint64]string{}
	for _, tl := range tails {
		id := m.IDOf([]byte(tl), 0)
		if o, ok := seen[id]; ok {
			t.Errorf("%q and %q share %x after the split", o, tl, id)
		}
		seen[id] = tl
	}
}

// A signature seen before the template it folds into could take it (the
// bracketed header of one layout, "[time: INFO/MainProcess]", before a
// message whose template another layout's lines made) joins it in one
// pass within consolidateLines lines, as two passes join it at the end of
// their first (Consolidate), though the stream makes far fewer than
// ConsolidateEvery signatures.
func TestOnePassConsolidatesFewSignatures(t *testing.T) {
	m := New(Config{MaxClusters: 1024})
	zones := []string{"payments", "kafka", "etcd", "checkout", "billing", "auth"}
	plain := func(i int) []byte {
		return []byte(fmt.Sprintf("zone-aware routing enabled zone=%s role=r%d", zones[i%len(zones)], i))
	}
	for i := 0; i < 20; i++ {
		m.Add(plain(i))
	}
	early := m.Add([]byte("[2024-11-24 07:43:45,549: INFO/MainProcess] zone-aware routing enabled zone=coredns role=canary")).ID
	for i := 0; i < 20; i++ {
		m.Add(plain(i))
	}
	m.Add([]byte("[2024-11-24 07:43:59,668: INFO/ForkPoolWorker-2] zone-aware routing enabled zone=kafka role=billing"))
	var later uint64
	for i := 0; i < 2*consolidateLines; i++ {
		later = m.Add(plain(i)).ID
	}
	if m.Resolve(early) != m.Resolve(later) {
		m.Consolidate()
		if m.Resolve(early) == m.Resolve(later) {
			t.Fatalf("the early line's template %x joins the event's %x only at Consolidate", early, later)
		}
		t.Fatalf("the fixture no longer folds the early line's header into the event's template (%x, %x after Consolidate)", m.Resolve(early), m.Resolve(later))
	}
}
