package miner

import (
	"fmt"
	"testing"
)

// Events of one component that share a clause ("store: segment index:") and each
// have a clause of their own are not one event with an error's text: one
// of them carrying error texts of its own after its clause does not make
// the component's clause a tail template.
func TestTailHeadsKeepEventsApart(t *testing.T) {
	errs := []string{"disk full", "EOF", "context canceled", "permission denied", "broken pipe",
		"i/o timeout", "no such file or directory", "connection reset by peer", "invalid argument",
		"quota exceeded on volume", "read-only file system", "device busy"}
	var msgs []string
	for i := 0; i < 3; i++ {
		msgs = append(msgs, fmt.Sprintf("store: segment index: segment %d compacted, returning it to the pool", i+20))
	}
	for i := 0; i < 3; i++ {
		msgs = append(msgs, fmt.Sprintf("store: segment index: could not load the manifest after %d attempts", i+2))
	}
	for i, e := range errs {
		// each error text seen twice: its own clause does not make a
		// tail template before the component's has seen eight tails
		msgs = append(msgs,
			fmt.Sprintf("store: segment index: failed to flush segment %d to disk: %s", i+10, e),
			fmt.Sprintf("store: segment index: failed to flush segment %d to disk: %s", i+40, e),
			fmt.Sprintf("store: segment index: segment %d compacted, returning it to the pool", i+30))
	}
	n, got := distinctTemplates(t, msgs)
	want := map[string]bool{
		"store: segment index: failed to flush segment <*> to disk: <*>":        true,
		"store: segment index: segment <*> compacted, returning it to the pool": true,
		"store: segment index: could not load the manifest after <*> attempts":  true,
	}
	if n != 3 {
		t.Fatalf("%d templates, want 3: %q", n, got)
	}
	for _, g := range got {
		if !want[g] {
			t.Errorf("template %q", g)
		}
	}
}

// Two events under one clause, each seen once, are not an error's texts
// when one is a clause of its own followed by keys.
func TestKeyedTailIsAnEvent(t *testing.T) {
	msgs := []string{
		"cache: entry shard: failed to admit new entry by policy: key=alpha, reason=size",
		"cache: entry shard: entry 12 rejected by policy, returning it to the pool",
	}
	for i := 0; i < 4; i++ {
		msgs = append(msgs, fmt.Sprintf("cache: entry shard: entry %d rejected by policy, returning it to the pool", 13+i))
	}
	if n, got := distinctTemplates(t, msgs); n != 2 {
		t.Errorf("%d templates, want 2: %q", n, got)
	}
}

// Tails whose clauses differ in one word are one event whose word varies
// ("… request <*> Ingress: <error>", "… Job: <error>"): they are left
// to that clause, where the word is masked (one template in the end),
// and do not make the clause before it a tail template that the kind
// seen first stays out of.
func TestTailHeadsOneWordApart(t *testing.T) {
	kinds := []string{"Ingress", "Job", "Secret", "Service"}
	errs := []string{"EOF", "broken pipe", "i/o timeout", "permission denied", "context canceled", "invalid argument"}
	var msgs []string
	// one kind twice first: its clause makes a tail template of its own
	// before the others come
	order := []int{0, 0, 1, 2, 3}
	for i := 0; i < 24; i++ {
		order = append(order, i%len(kinds))
	}
	for i, k := range order {
		msgs = append(msgs, fmt.Sprintf("ADS mode: not answering request %d %s: %s", 100+i, kinds[k], errs[i%len(errs)]))
	}
	if n, got := distinctTemplates(t, msgs); n != 1 {
		t.Errorf("%d templates, want 1: %q", n, got)
	}
}

// A tail template made from lines with a value in its prefix takes in
// the lines seen before it with a word there.
func TestTailTemplateAbsorbsEarlierFolds(t *testing.T) {
	msgs := []string{
		"renewal of alpha: storage call: quota exceeded",
		"renewal of beta: storage call: read tcp 10.0.0.7:443: connection reset by peer",
	}
	errs := []string{"EOF", "broken pipe", "i/o timeout", "permission denied", "context canceled", "invalid argument",
		"no such host", "resource temporarily unavailable", "connection refused"}
	for i, e := range errs {
		msgs = append(msgs, fmt.Sprintf("renewal of %d: storage call: %s", 1000+i*37, e))
	}
	if n, got := distinctTemplates(t, msgs); n != 1 {
		t.Errorf("%d templates: %q", n, got)
	}
}

// A clause of its own that ends with a value ("… by hook: <*>") is an
// event, not an error's text: two such tails seen once are two events.
func TestClauseWithAValueIsAnEvent(t *testing.T) {
	msgs := []string{
		"cache: entry shard: failed to admit the idle entry by policy: true",
		"cache: entry shard: entry 12 rejected by policy, returning it to the pool",
	}
	for i := 0; i < 4; i++ {
		msgs = append(msgs, fmt.Sprintf("cache: entry shard: entry %d rejected by policy, returning it to the pool", 13+i),
			"cache: entry shard: failed to admit the idle entry by policy: false")
	}
	if n, got := distinctTemplates(t, msgs); n != 2 {
		t.Errorf("%d templates, want 2: %q", n, got)
	}
	// labels are no sentence: "nid:<*> eid:<*> …" after a clause is one
	// event's text whose values vary
	msgs = msgs[:0]
	for i, w := range []string{"alpha", "beta", "gamma", "delta", "omega", "kappa"} {
		msgs = append(msgs, fmt.Sprintf("entry was not in db: nid:%s eid:%s%d peer:10.0.0.%d local:%v", w, w, i, i, i%2 == 0))
	}
	if n, got := distinctTemplates(t, msgs); n != 1 {
		t.Errorf("%d templates, want 1: %q", n, got)
	}
}

// A name with a digit where a template has a value folds in with one
// constant matched ("hostDir: worker-7" joins "hostDir: <*>"); a plain
// word still needs two ("mode: up" stays out of "mode: <*>").
func TestNameWithADigitFolds(t *testing.T) {
	msgs := []string{"hostDir: /var/lib/node/a", "hostDir: /srv/data/b", "hostDir: worker-7", "hostDir: 10.0.0.4"}
	if n, got := distinctTemplates(t, msgs); n != 1 || got[2] != "hostDir: <*>" {
		t.Errorf("%d templates: %q", n, got)
	}
	msgs = []string{"mode: 3", "mode: 4", "mode: up"}
	if n, got := distinctTemplates(t, msgs); n != 2 {
		t.Errorf("%d templates: %q", n, got)
	}
}

// A signature of two words varies at its second word when the first word
// alone was seen with values there ("Copying ingest" beside "Copying
// /var/lib/x"), whichever came first; without such values it does not
// ("link up", "link down", "link flapping" stay three events).
func TestValueSlotOfTwoWords(t *testing.T) {
	words := []string{"Copying ingest", "Copying secondary", "Copying payments", "Copying gamma"}
	values := []string{"Copying /var/lib/data/a", "Copying 10.0.0.3"}
	for _, msgs := range [][]string{append(append([]string{}, values...), words...), append(append([]string{}, words...), values...)} {
		if n, got := distinctTemplates(t, msgs); n != 1 {
			t.Errorf("%d templates: %q", n, got)
		}
	}
	if n, got := distinctTemplates(t, []string{"link up", "link down", "link flapping"}); n != 3 {
		t.Errorf("%d templates: %q", n, got)
	}
}

// After a component's one-word clause ("[WARN] gossip: …") the tail
// template made from error texts seen after other prefixes too (the
// component's "%v" event) takes only such tails: the component's own
// events, whose tail opens with a clause of its own ("Failed to relay
// probe: <error>", "dropping frame with bad tag <*>: <*>"), stay apart,
// while an error text that opens with a clause of one word ("Get <*>:
// dial tcp <*>: …") still joins it.
func TestOneWordClauseKeepsComponentEvents(t *testing.T) {
	errs := []string{"connection refused", "no route to host", "broken pipe here", "context deadline exceeded",
		"too many open files", "database is locked"}
	var msgs []string
	for i, e := range errs {
		msgs = append(msgs,
			fmt.Sprintf("[WARN] gossip: Failed to relay probe: %s", errs[(i+1)%len(errs)]),
			fmt.Sprintf("[WARN] gossip: dropping frame with bad tag \"t%d\": 10.0.%d.9:7946", i, i),
			fmt.Sprintf("lost lease on shard %d: %s", i+3, e),
			fmt.Sprintf("[WARN] gossip: %s", e),
			fmt.Sprintf("[WARN] gossip: Failed to relay probe: %s", e))
	}
	msgs = append(msgs, "[WARN] gossip: Get \"http://10.0.0.4:8080/state\": dial tcp 10.0.0.4:8080: i/o timeout")
	want := map[string]bool{
		"[WARN] gossip: Failed to relay probe: <*>":               true,
		"[WARN] gossip: dropping frame with bad tag \"<*>\": <*>": true,
		"[WARN] gossip: <*>":                                      true,
		"lost lease on shard <*>: <*>":                            true,
	}
	n, got := distinctTemplates(t, msgs)
	if n != len(want) {
		t.Errorf("%d templates, want %d", n, len(want))
	}
	for i, g := range got {
		if !want[g] {
			t.Errorf("%q: template %q", msgs[i], g)
		}
	}
	if g := got[len(got)-1]; g != "[WARN] gossip: <*>" {
		t.Errorf("error text with a one-word clause: %q", g)
	}
	bs := make([][]byte, len(msgs))
	for i, s := range msgs {
		bs[i] = []byte(s)
	}
	checkOnlineMatchesTwoPass(t, bs)
}

// After a component's one-word clause, a tail that opens with a
// capitalised word ("Got probe for unknown node …") is the component's
// own message, not an error's text (Go's error strings start in lower
// case): it joins the tail template only when that whole tail was seen
// after another prefix too.
func TestOneWordClauseCapitalisedTail(t *testing.T) {
	errs := []string{"connection refused", "no route to host", "broken pipe here", "context deadline exceeded",
		"too many open files", "database is locked"}
	var msgs []string
	for i, e := range errs {
		msgs = append(msgs,
			fmt.Sprintf("lost lease on shard %d: %s", i+3, e),
			fmt.Sprintf("[WARN] gossip: %s", e),
			fmt.Sprintf("[WARN] gossip: Got probe for unknown node web-%d 10.0.%d.9:7946", i, i),
			fmt.Sprintf("[WARN] gossip: Using dynamic bind port %d", 7000+i))
	}
	want := map[string]bool{
		"[WARN] gossip: Got probe for unknown node <*> <*>": true,
		"[WARN] gossip: Using dynamic bind port <*>":        true,
		"[WARN] gossip: <*>":                                true,
		"lost lease on shard <*>: <*>":                      true,
	}
	n, got := distinctTemplates(t, msgs)
	if n != len(want) {
		t.Errorf("%d templates, want %d", n, len(want))
	}
	for i, g := range got {
		if !want[g] {
			t.Errorf("%q: template %q", msgs[i], g)
		}
	}
	bs := make([][]byte, len(msgs))
	for i, s := range msgs {
		bs[i] = []byte(s)
	}
	checkOnlineMatchesTwoPass(t, bs)
}
