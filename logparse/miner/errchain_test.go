package miner

import (
	"fmt"
	"testing"
)

// TestWrappedErrorTails: after a clause's ':', tails that are wrapped
// errors with two different operations ("open <*>: …", "dial tcp <*>:
// …") make the tail one parameter though each repeats, and the frequent
// short error joins them.
func TestWrappedErrorTails(t *testing.T) {
	var msgs []string
	for i := 0; i < 3; i++ {
		msgs = append(msgs,
			fmt.Sprintf("upload of blob-%d aborted: deadline exceeded", 10+i),
			fmt.Sprintf("upload of blob-%d aborted: deadline exceeded", 20+i),
			fmt.Sprintf("upload of blob-%d aborted: open /srv/blobs/%d.part: no space left on device", 30+i, i),
			fmt.Sprintf("upload of blob-%d aborted: dial tcp 10.0.0.%d:443: i/o timeout", 40+i, i+1))
	}
	n, got := distinctTemplates(t, msgs)
	if n != 1 || got[0] != "upload of <*> aborted: <*>" {
		t.Errorf("wrapped error tails: %d templates: %q", n, got)
	}
	checkOnlineMatchesTwoPass(t, asBytes(msgs))
	// one operation, however often, is no such evidence: a few
	// repeating tails stay events of their own
	msgs = msgs[:0]
	for i := 0; i < 3; i++ {
		msgs = append(msgs,
			fmt.Sprintf("upload of blob-%d aborted: quota reached", 10+i),
			fmt.Sprintf("upload of blob-%d aborted: quota reached", 20+i),
			fmt.Sprintf("upload of blob-%d aborted: open /srv/blobs/%d.part: no space left on device", 30+i, i),
			fmt.Sprintf("upload of blob-%d aborted: open /srv/blobs/%d.part: no space left on device", 40+i, i))
	}
	if n, got := distinctTemplates(t, msgs); n != 2 {
		t.Errorf("one operation made a tail: %d templates: %q", n, got)
	}
}

// TestComponentClausesAreNoErrors: a component's events that open with a
// clause of two words and go on with values or "key=" pairs alone are
// not wrapped errors; they stay apart.
func TestComponentClausesAreNoErrors(t *testing.T) {
	var msgs []string
	for i := 0; i < 3; i++ {
		msgs = append(msgs,
			fmt.Sprintf("oauth helper: starting init: issuer=https://idp%d.example.org", i),
			fmt.Sprintf("oauth helper: starting init: issuer=https://idp%d.example.org", i+5),
			fmt.Sprintf("oauth helper: reading config: path=/etc/oauth/c%d.yaml", i),
			fmt.Sprintf("oauth helper: reading config: path=/etc/oauth/c%d.yaml", i+5),
			fmt.Sprintf("oauth helper: loading plugin: /opt/plugins/p%d.so", i),
			fmt.Sprintf("oauth helper: loading plugin: /opt/plugins/p%d.so", i+5))
	}
	if n, got := distinctTemplates(t, msgs); n != 3 {
		t.Errorf("component clauses merged: %d templates: %q", n, got)
	}
}

func asBytes(msgs []string) [][]byte {
	out := make([][]byte, len(msgs))
	for i, s := range msgs {
		out[i] = []byte(s)
	}
	return out
}
