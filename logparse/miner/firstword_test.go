package miner

import "testing"

// A short template whose first word varies before a value: the first word
// is a parameter once the words seen there come as values do (a name with
// a digit among them, few lines each), while event names that repeat or
// open templates of other lengths stay constants.
func TestFirstWordBeforeAValue(t *testing.T) {
	msgs := []string{"cache-2 took 5ms", "queue took 7ms", "store took 9ms", "ledger took 12ms"}
	n, got := distinctTemplates(t, msgs)
	if n != 1 || got[0] != "<*> took <*>" {
		t.Errorf("first word before a value: %q", got)
	}
	// three words after the first word as well
	msgs = []string{"node-4 refused lease 42", "orders refused lease 43", "ingress refused lease 44", "mailer refused lease 45"}
	n, got = distinctTemplates(t, msgs)
	if n != 1 || got[0] != "<*> refused lease <*>" {
		t.Errorf("three words: %q", got)
	}
	// no name with a digit among them: setting names, not values
	n, got = distinctTemplates(t, []string{"pollRate took 5ms", "flushRate took 7ms", "syncRate took 9ms", "sweepRate took 12ms"})
	if n != 4 {
		t.Errorf("plain first words merged: %q", got)
	}
	// event names that repeat: many lines per distinct first word
	var rep []string
	for _, w := range []string{"OpenVolume", "CloseVolume", "SyncVolume", "node-1"} {
		for i := 0; i < 6; i++ {
			rep = append(rep, w+` for "vol-`+string(rune('a'+i))+`"`)
		}
	}
	n, got = distinctTemplates(t, rep)
	if n != 4 {
		t.Errorf("repeating event names merged: %q", got)
	}
	// event names that also open a longer template ("X from v dropped quietly")
	msgs = []string{
		`OpenVolume from "a" dropped quietly`, `OpenVolume from "b" dropped`,
		`CloseVolume from "a" dropped quietly`, `CloseVolume from "c" dropped`,
		`SyncVolume from "d" dropped`, `node-1 from "e" dropped`,
	}
	_, got = distinctTemplates(t, msgs)
	for _, g := range got {
		if len(g) > 3 && g[:3] == "<*>" {
			t.Errorf("event names that open other templates merged: %q", got)
			break
		}
	}
}

func TestFirstWordBeforeAValueOnline(t *testing.T) {
	msgs := [][]byte{
		[]byte("cache-2 took 5ms"), []byte("queue took 7ms"), []byte("store took 9ms"),
		[]byte("ledger took 12ms"), []byte("queue took 3ms"), []byte("relay-9 took 1ms"),
	}
	checkOnlineMatchesTwoPass(t, msgs)
}

// A word where a template opens with a value, closed as that value is,
// joins it: "ledger overflows int" beside "40412 overflows int", in either
// order, and "billing:" where "<*>:" was seen, even with a word of its own
// at the end; a word closed otherwise stays apart.
func TestFirstWordWhereAValueOpens(t *testing.T) {
	for _, msgs := range [][]string{
		{"40412 overflows int", "ledger overflows int"},
		{"ledger overflows int", "40412 overflows int"},
	} {
		n, got := distinctTemplates(t, msgs)
		if n != 1 || got[0] != "<*> overflows int" {
			t.Errorf("%q: %q", msgs, got)
		}
	}
	n, got := distinctTemplates(t, []string{"7731: disables caching of 10.0.0.1", "billing: disables caching of ledger"})
	if n != 1 || got[0] != "<*>: disables caching of <*>" {
		t.Errorf("label first word: %q", got)
	}
	n, got = distinctTemplates(t, []string{"10.0.0.1: not found", "Volume not found"})
	if n != 2 {
		t.Errorf("a word closed otherwise joined: %q", got)
	}
}

// A first word needs one word less when a name with a digit is among the
// words seen there: "relay-8", "alpha" and "beta" before one sentence are
// three values of one position; three plain words are not enough.
func TestFirstWordWithANameAmongThem(t *testing.T) {
	n, got := distinctTemplates(t, []string{"relay-8: draining the job queue", "alpha: draining the job queue", "beta: draining the job queue"})
	if n != 1 || got[0] != "<*>: draining the job queue" {
		t.Errorf("a name with a digit among three: %q", got)
	}
	n, got = distinctTemplates(t, []string{"gamma: draining the job queue", "alpha: draining the job queue", "beta: draining the job queue"})
	if n != 3 {
		t.Errorf("three plain first words merged: %q", got)
	}
}

// A label that opens a clause of two words may vary with the error text
// after it, as a label that opens a template does.
func TestLabelFirstWordOfATail(t *testing.T) {
	labels := []string{"alpha:", "bravo:", "carol:", "delta:", "echo:", "fox:"}
	errs := []string{
		"read tcp 10.0.0.1:4000: connection reset by peer",
		"context canceled",
		"unexpected EOF",
		"dial tcp 10.0.0.2:2379: connect: connection refused",
		"the object has been modified; please apply your changes",
		"stream closed by the server",
	}
	var msgs []string
	for i, l := range labels {
		msgs = append(msgs, l+" sync watcher: "+errs[i])
	}
	n, got := distinctTemplates(t, msgs)
	if n != 1 || got[0] != "<*>: sync watcher: <*>" {
		t.Errorf("label before a tail: %q", got)
	}
}

// The first word of a signature of two or three words with no value after
// it varies when the words seen there are values themselves: four distinct
// ones or more, most of them compound names ("auth_suxi", "alpha-frontend",
// "db.orders"), few lines each, none opening a template of another length.
// Event names, plain words or the few names of a stream that repeat, stay
// constants.
func TestShortFirstWordOfCompoundNames(t *testing.T) {
	msgs := []string{"auth_suxi deleted.", "alpha-frontend deleted.", "postgres deleted.", "ingest_ywyk deleted.", "primary deleted.", "auth_suxi deleted."}
	n, got := distinctTemplates(t, msgs)
	if n != 1 || got[0] != "<*> deleted." {
		t.Errorf("compound names before one word: %q", got)
	}
	// three words
	n, got = distinctTemplates(t, []string{"orders_db has drained", "billing-api has drained", "cache.l2 has drained", "ledger has drained"})
	if n != 1 || got[0] != "<*> has drained" {
		t.Errorf("compound names before two words: %q", got)
	}
	// plain event names: "Pod deleted." and "Node deleted." are events
	n, got = distinctTemplates(t, []string{"Pod deleted.", "Node deleted.", "Service deleted.", "Secret deleted.", "Lease deleted."})
	if n != 5 {
		t.Errorf("plain first words merged: %q", got)
	}
	// most of them plain: no evidence
	n, got = distinctTemplates(t, []string{"Pod deleted.", "Node deleted.", "Service deleted.", "auth_suxi deleted.", "Lease deleted."})
	if n != 5 {
		t.Errorf("one compound name among plain words merged: %q", got)
	}
	// three compound names are not enough
	n, got = distinctTemplates(t, []string{"auth_suxi deleted.", "alpha-frontend deleted.", "ingest_ywyk deleted."})
	if n != 3 {
		t.Errorf("three first words merged: %q", got)
	}
	// names that repeat, many lines each when the evidence arrives, are
	// the stream's event names
	var rep []string
	for _, w := range []string{"link_up", "link_down", "port-flap", "carrier-lost"} {
		for i := 0; i < 6; i++ {
			rep = append(rep, w+" seen")
		}
	}
	if n, got = distinctTemplates(t, rep); n != 4 {
		t.Errorf("repeating event names merged: %q", got)
	}
	// the second word of two still needs a label before it
	if n, got = distinctTemplates(t, []string{"link up", "link down", "link flapping", "link up_ish"}); n != 4 {
		t.Errorf("link up/down merged: %q", got)
	}
}

func TestShortFirstWordOnline(t *testing.T) {
	var msgs [][]byte
	for _, w := range []string{"auth_suxi", "primary", "alpha-frontend", "postgres", "ingest_ywyk", "auth_suxi", "checkout_jrxe", "primary"} {
		msgs = append(msgs, []byte(w+" deleted."))
	}
	checkOnlineMatchesTwoPass(t, msgs)
}
