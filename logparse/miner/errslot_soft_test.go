package miner

import (
	"fmt"
	"testing"
)

// TestErrorAfterWordsOnly: an error's text that two events write with
// no ':' anywhere before it ("… of queue-3 quota exceeded", "… cause err
// quota exceeded") is the stream's error text all the same: seen after
// both events' words, it makes each event's tail one parameter with
// fewer than eight tails of few lengths.
func TestErrorAfterWordsOnly(t *testing.T) {
	errs := []string{"permission denied", "connection refused", "quota exceeded", "lease not held"}
	var msgs []string
	for i := 0; i < 3; i++ {
		for k, e := range errs {
			msgs = append(msgs,
				fmt.Sprintf("gave up waiting on drain of queue-%d %s", (4*i+k)%10, e),
				fmt.Sprintf("compaction of segment-%d halted, cause err %s", (4*i+k)%10, e))
		}
	}
	got := mineAll(Config{}, msgs)
	for i, g := range got {
		want := "gave up waiting on drain of <*> <*>"
		if i%2 == 1 {
			want = "compaction of <*> halted, cause err <*>"
		}
		if g != want {
			t.Errorf("line %d %q: template %q, want %q", i, msgs[i], g, want)
		}
	}
	checkOnlineMatchesTwoPass(t, asBytes(msgs))
}

// TestSoftTailsOfOneEvent: tails seen after prefixes that differ in one
// word only (one event whose value is a name without digits) are no
// evidence that they are error texts: "… started serving requests" and
// the other continuations stay events of their own.
func TestSoftTailsOfOneEvent(t *testing.T) {
	var msgs []string
	for _, node := range []string{"alpha", "beta", "gamma"} {
		msgs = append(msgs,
			fmt.Sprintf("worker pool of %s started serving requests", node),
			fmt.Sprintf("worker pool of %s started draining its queue", node),
			fmt.Sprintf("worker pool of %s started compacting old segments", node))
	}
	got := mineAll(Config{}, msgs)
	if got[0] == got[1] || got[1] == got[2] || got[0] == got[2] {
		t.Errorf("continuations of one event merged: %q", got[:3])
	}
}

// TestSoftTailOfLongerSentence: the words of one event closing a longer
// one ("… to unpack layers <error>" in "Failed to unpack layers <error>"
// and "Failed to mount overlay to unpack layers <error>") are seen after
// two prefixes, the shorter opening the longer: one sentence going on
// further, no evidence of an error's text, so the events stay apart.
func TestSoftTailOfLongerSentence(t *testing.T) {
	errs := []string{"already exists", "i/o timeout", "broken pipe", "not found"}
	var msgs []string
	for i := 0; i < 3; i++ {
		for _, e := range errs {
			msgs = append(msgs,
				"Image sync failed! Failed to unpack layers "+e,
				"Image sync failed! Failed to mount overlay to unpack layers "+e,
				"Image sync failed! Failed to verify layer digests "+e)
		}
	}
	got := mineAll(Config{}, msgs)
	if got[0] == got[1] || got[0] == got[2] || got[1] == got[2] {
		t.Errorf("events whose sentences share their end merged: %q", got[:3])
	}
}

// TestSoftTailsNamingObjects: the same closing words after two events'
// sentences ("… for pod <name>", "… in namespace <name>") name the
// object each event acts on, not an error's text: tails that end with a
// value are no evidence, and the events stay apart.
func TestSoftTailsNamingObjects(t *testing.T) {
	var msgs []string
	for i := 0; i < 4; i++ {
		msgs = append(msgs,
			fmt.Sprintf("Successfully deleted volume for pod web-%d", i),
			fmt.Sprintf("Successfully deleted volume in namespace team-%d", i),
			fmt.Sprintf("Successfully deleted volume from node host-%d", i),
			fmt.Sprintf("Started mounting secret for pod web-%d", i),
			fmt.Sprintf("Started mounting secret in namespace team-%d", i),
			fmt.Sprintf("Started mounting secret from node host-%d", i))
	}
	got := mineAll(Config{}, msgs)
	if got[0] == got[1] || got[1] == got[2] || got[3] == got[4] || got[4] == got[5] {
		t.Errorf("events that close with the same object's words merged: %q", got[:6])
	}
}
