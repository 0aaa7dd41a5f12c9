package miner

import (
	"strings"
	"testing"
)

// A level word opening the message on some lines of a statement only (a
// helper whose level is decided at run time) or with a level that varies
// is a value: the lines are one template. A statement always written with
// its word keeps the word, and a level word after a plain word of the
// sentence is the sentence's.
func TestSeverityWordWhereTheRestVaries(t *testing.T) {
	msgs := []string{
		"cannot open spool file /var/a", "ERROR: cannot open spool file /var/b",
		"cannot open spool file /var/c", "WARNING: cannot open spool file /var/d",
		"ERROR: cannot open spool file /var/e",
	}
	if n, got := distinctTemplates(t, msgs); n != 1 {
		t.Errorf("a word on some lines only split the event: %q", got)
	}
	msgs = []string{"[warn] queue is almost full 91", "queue is almost full 40", "[error] queue is almost full 97", "[warn] queue is almost full 93"}
	if n, got := distinctTemplates(t, msgs); n != 1 {
		t.Errorf("a level that varies split the event: %q", got)
	}
	// two words and never none: two statements ("WARNING: %s", "Error:
	// %s") whose rests are the error texts they report
	msgs = []string{"WARNING: connection refused by peer", "Error: connection refused by peer", "WARNING: connection refused by peer"}
	if n, got := distinctTemplates(t, msgs); n != 2 {
		t.Errorf("two statements with a word each merged: %q", got)
	}
	// always written with its word: the word stays in the template
	msgs = []string{"ERROR: disk quota exceeded for 4", "ERROR: disk quota exceeded for 9", "disk usage is 40"}
	got := mineAll(Config{}, msgs)
	if !strings.HasPrefix(got[0], "ERROR: disk quota") || got[0] != got[1] {
		t.Errorf("a statement always written with its word: %q", got)
	}
	// a level word after a plain word is the sentence's
	msgs = []string{"unexpected error: reading header 1", "unexpected warning: reading header 2", "unexpected error: reading header 3"}
	if n, got := distinctTemplates(t, msgs); n != 2 {
		t.Errorf("a sentence's level word taken for a value: %q", got)
	}
	// a word of the sentence in title case is no label
	msgs = []string{"Error reading config 1", "reading config 2", "Error reading config 3"}
	if n, got := distinctTemplates(t, msgs); n != 2 {
		t.Errorf("\"Error reading\" taken for a label: %q", got)
	}
}

func TestSeverityWordOnline(t *testing.T) {
	checkOnlineMatchesTwoPass(t, [][]byte{
		[]byte("cannot open spool file /var/a"), []byte("cannot open spool file /var/c"),
		[]byte("ERROR: cannot open spool file /var/b"), []byte("WARNING: cannot open spool file /var/d"),
	})
}

// Structured context after the message (JSON, a { k: v } map, Go's
// map[k:v]) is read as key=value pairs: its keys are words of the
// template, its values values, also with blanks or in single quotes.
func TestObjectAfterTheMessage(t *testing.T) {
	for _, msgs := range [][]string{
		{`request finished {"user":"bob","error":"EOF"}`, `request finished {"user":"carol","error":"i/o timeout"}`, `request finished {"user":"dave","error":"context deadline exceeded"}`},
		{"request finished\t{\"user\": \"bob\", \"error\": \"EOF\"}", "request finished\t{\"user\": \"alice\", \"error\": \"context deadline exceeded\"}"},
		{"request finished { user: 'bob', error: 'EOF' }", "request finished { user: 'erin', error: 'i/o timeout' }", "request finished { user: 'dave', error: 'no such host' }"},
		{"request finished map[error:EOF user:bob]", "request finished map[error:timeout user:erin]", "request finished map[error:reset user:dave]"},
	} {
		n, got := distinctTemplates(t, msgs)
		if n != 1 {
			t.Errorf("context split the event: %q", got)
			continue
		}
		if !strings.HasPrefix(got[0], "request finished ") || strings.Count(got[0], "<*>") != 2 || !strings.Contains(got[0], "user") || !strings.Contains(got[0], "error") {
			t.Errorf("template %q", got[0])
		}
	}
	// another set of keys is another statement's
	if n, got := distinctTemplates(t, []string{`request finished {"user":"bob"}`, `request finished {"tenant":"acme"}`, `request finished {"user":"eve"}`, `request finished {"tenant":"initech"}`}); n != 2 {
		t.Errorf("keys taken for values: %q", got)
	}
	// no key in it or no word before it: no object of pairs
	for _, msgs := range [][]string{
		{"members {alpha beta}", "members {gamma delta}", "members {alpha beta}", "members {gamma delta}"},
		{`{"user":"bob"}`, `{"user":"carol"}`},
	} {
		for _, g := range mineAll(Config{}, msgs) {
			if strings.Contains(g, "<*>") && !strings.HasPrefix(msgs[0], "{") {
				t.Errorf("%q read as pairs: %q", msgs, g)
			}
		}
	}
}

// A source prefix — a driver and its instance, a C function's name, a
// context token in braces — on some lines of an event only is a value of
// the line; always there, it stays a word of its event's template.
func TestSourcePrefixOnSomeLines(t *testing.T) {
	for _, msgs := range [][]string{
		{"ring(0): lost 3 frames on queue", "lost 7 frames on queue", "ring(2): lost 9 frames on queue", "lost 4 frames on queue"},
		{"{blue} eviction skipped: 12 objects pinned", "eviction skipped: 4 objects pinned", "{amber} eviction skipped: 8 objects pinned"},
		{"rx_refill(): no buffer for slot 4", "no buffer for slot 9", "rx_refill(): no buffer for slot 2"},
	} {
		if n, got := distinctTemplates(t, msgs); n != 1 {
			t.Errorf("a prefix on some lines only split the event: %q", got)
		}
	}
	// always written with its prefix: the prefix stays in the template
	got := mineAll(Config{}, []string{"attach(): device busy on port 4", "attach(): device busy on port 9", "device is ready"})
	if !strings.HasPrefix(got[0], "attach(): device busy") || got[0] != got[1] {
		t.Errorf("a statement always written with its prefix: %q", got)
	}
	// words of a sentence are no prefix
	for _, p := range []string{"close(fd):", "reading:", "{", "{a b}", "x():", "(0):", "ring(a):"} {
		if prefixShaped([]byte(p)) {
			t.Errorf("%q read as a source prefix", p)
		}
	}
	for _, p := range []string{"ring(0):", "nvme(12):", "flush_queue():", "{blue}", "{worker-2}"} {
		if !prefixShaped([]byte(p)) {
			t.Errorf("%q not read as a source prefix", p)
		}
	}
	checkOnlineMatchesTwoPass(t, [][]byte{
		[]byte("lost 7 frames on queue"), []byte("ring(0): lost 3 frames on queue"),
		[]byte("{blue} eviction skipped: 12 objects pinned"), []byte("eviction skipped: 4 objects pinned"),
		[]byte("ring(1): lost 5 frames on queue"),
	})
}

// A "(k=v, k=v)" list that closes a message is one value whatever its
// values hold (blanks, commas, colons, one word), and a second JSON block
// after an object ("[]", an object of extra data) is one value after the
// object's pairs: one template per statement.
func TestContextBlockAfterTheMessage(t *testing.T) {
	for _, msgs := range [][]string{
		{
			"failed to seal segment (seg=91, error=disk quota reached)",
			"failed to seal segment (seg=7, error=write /srv/a.seg: no space left on device)",
			"failed to seal segment (seg=12, error=EOF)",
			"failed to seal segment (seg=3, error=open /srv/b.seg: too many open files, retrying)",
		},
		{
			`could not open ledger {"error":"permission denied"} []`,
			`could not open ledger {"error":"open /srv/l.db: too many open files"} {"req":"a91c"}`,
			`could not open ledger {"error":"EOF"} []`,
			`could not open ledger {"error":"dial tcp 10.0.0.1:80-\u003e10.0.0.2:90: i/o timeout"} {"req":"77fe"}`,
		},
	} {
		if n, got := distinctTemplates(t, msgs); n != 1 {
			t.Errorf("a context block split the event: %q", got)
		}
	}
	// the words before the block still name the event
	if n, got := distinctTemplates(t, []string{
		"failed to seal segment (seg=1, error=EOF)", "failed to open segment (seg=2, error=EOF)",
		"failed to seal segment (seg=3, error=disk full)", "failed to open segment (seg=4, error=bad file)",
	}); n != 2 {
		t.Errorf("events merged by their context: %q", got)
	}
	// a parenthesised remark is no block: its words stay the event's
	if n, got := distinctTemplates(t, []string{"retrying later (backoff)", "retrying later (giving up)", "retrying later (backoff)", "retrying later (giving up)"}); n != 2 {
		t.Errorf("a remark read as a context block: %q", got)
	}
	// nor is a list that is the whole message
	for _, g := range mineAll(Config{}, []string{"(seg=1, error=EOF)", "(seg=2, error=disk full)"}) {
		if g == "<*>" {
			t.Errorf("a whole message read as a context block: %q", g)
		}
	}
	checkOnlineMatchesTwoPass(t, [][]byte{
		[]byte("failed to seal segment (seg=91, error=disk quota reached)"), []byte(`could not open ledger {"error":"EOF"} []`),
		[]byte("failed to seal segment (seg=12, error=EOF)"), []byte(`could not open ledger {"error":"permission denied"} {"req":"a91c"}`),
	})
}

func TestContextBlockNoAllocs(t *testing.T) {
	msgs := [][]byte{
		[]byte("failed to seal segment (seg=91, error=write /srv/a.seg: no space left on device)"),
		[]byte(`could not open ledger {"error":"open /srv/l.db: too many open files","try":3} {"req":"a91c"}`),
		[]byte(`could not open ledger {"error":"EOF"} []`),
	}
	m := New(Config{})
	for _, s := range msgs {
		m.Add(s)
	}
	i := 0
	if a := testing.AllocsPerRun(1000, func() { m.Add(msgs[i%len(msgs)]); i++ }); a != 0 {
		t.Fatalf("Add allocates %v per known message", a)
	}
}
