package miner

import (
	"fmt"
	"strings"
	"testing"
)

// siblingLines interleaves a long call site ("Starting worker pool
// p<N>", nLong lines) and a short one ("Starting worker w<N>", nShort
// lines), the short first when shortFirst.
func siblingLines(nLong, nShort int, shortFirst bool) []string {
	var long, short, out []string
	for i := 0; i < nLong; i++ {
		long = append(long, fmt.Sprintf("Starting worker pool p%d", 100+i*7))
	}
	for i := 0; i < nShort; i++ {
		short = append(short, fmt.Sprintf("Starting worker w%d", 300+i*11))
	}
	a, b := long, short
	if shortFirst {
		a, b = short, long
	}
	for len(a)+len(b) > 0 {
		if len(a) > 0 {
			out, a = append(out, a[0]), a[1:]
		}
		for k := 0; k < 3 && len(b) > 0; k++ {
			out, b = append(out, b[0]), b[1:]
		}
	}
	return out
}

// A sibling call site, the same text with a constant word before its
// value, is an event of its own once it has minSibling lines, whichever
// call site comes first and whichever writes more; one value of two
// words stays a value of the shorter template, and so do extra words that
// other templates have too (a header's column read as message words).
func TestSiblingWordsBeforeAValue(t *testing.T) {
	for _, c := range []struct {
		long, short int
		shortFirst  bool
	}{{40, 6, false}, {40, 6, true}, {6, 40, false}, {6, 40, true}} {
		msgs := siblingLines(c.long, c.short, c.shortFirst)
		n, got := distinctTemplates(t, msgs)
		want := map[string]bool{"Starting worker pool <*>": true, "Starting worker <*>": true}
		for _, g := range got {
			if !want[g] {
				t.Errorf("%+v: template %q", c, g)
			}
		}
		if n != 2 {
			t.Errorf("%+v: %d templates, want 2: %q", c, n, got)
		}
		checkOnlineSibling(t, msgs)
	}
	// fewer than minSibling lines: no evidence, the fold stands
	msgs := siblingLines(3, 30, true)
	if n, got := distinctTemplates(t, msgs); n != 1 {
		t.Errorf("3 long lines: %d templates: %q", n, got)
	}
	// a value of two words with no value of its own: a value
	msgs = nil
	names := []string{"alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi"}
	for i := 0; i < 30; i++ {
		msgs = append(msgs, fmt.Sprintf("session opened for %s on tty%d", names[i%len(names)], i))
		if i%3 == 0 {
			msgs = append(msgs, fmt.Sprintf("session opened for Jane Doe on tty%d", i))
		}
	}
	if n, got := distinctTemplates(t, msgs); n != 1 {
		t.Errorf("two-word value: %d templates: %q", n, got)
	}
	// the extra word opens other templates too: the stream's word
	msgs = siblingLines(40, 6, true)
	for i := 0; i < 10; i++ {
		msgs = append(msgs, fmt.Sprintf("pool drained after %dms", 10+i*3))
	}
	if _, got := distinctTemplates(t, msgs); got[len(got)-1] != "pool drained after <*>" || got[0] != got[1] {
		t.Errorf("a word of other templates: %q", got)
	}
}

// checkOnlineSibling checks one pass against two on msgs: from the line
// where the long call site has minSibling lines (its template is its own
// from there), every line's id resolves to its two-pass template's; the
// lines before carry the id of the template they were in then.
func checkOnlineSibling(t *testing.T, msgs []string) {
	t.Helper()
	one, two := New(Config{}), New(Config{})
	online := make([]uint64, len(msgs))
	for i, s := range msgs {
		online[i] = one.Add([]byte(s)).ID
		two.Add([]byte(s))
	}
	two.Consolidate()
	long := 0
	for i, s := range msgs {
		if strings.Contains(s, " pool ") {
			long++
		}
		if got, want := one.Resolve(online[i]), two.Match([]byte(s)); long >= minSibling && got != want.ID {
			t.Errorf("line %d %q: online id %x resolves to %x, two-pass %x (%q)", i, s, online[i], got, want.ID, want.Text)
		}
	}
}
