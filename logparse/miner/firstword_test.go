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
