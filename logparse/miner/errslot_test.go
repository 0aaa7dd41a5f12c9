package miner

import (
	"fmt"
	"testing"
)

// TestErrorAfterWord: an error's text that follows a word with no ':'
// before it ("… cause err <error>") is one parameter as soon as two of
// the tails were seen after other events' clauses too (the stream's
// error texts, wrapped ones among them), though fewer than eight tails
// were seen and they come in few lengths; the error's first words vary,
// the word before it does not.
func TestErrorAfterWord(t *testing.T) {
	var msgs []string
	for i := 0; i < 2; i++ {
		msgs = append(msgs,
			fmt.Sprintf("failed to flush segment-%d: broken pipe", i),
			fmt.Sprintf("lost lease on shard-%d: broken pipe", i),
			fmt.Sprintf("failed to flush segment-%d: open /srv/x/seg-%d.db: no such file or directory", i, i),
			fmt.Sprintf("lost lease on shard-%d: open /srv/x/seg-%d.db: no such file or directory", i, i+3),
			fmt.Sprintf(`failed to flush segment-%d: Get "https://10.0.0.%d/v1/x": dial tcp 10.0.0.%d:443: i/o timeout`, i, i, i),
			fmt.Sprintf(`lost lease on shard-%d: Get "https://10.0.1.%d/v1/x": dial tcp 10.0.1.%d:443: i/o timeout`, i, i, i))
	}
	for i := 0; i < 3; i++ {
		msgs = append(msgs,
			fmt.Sprintf("compaction of segment-%d halted, cause err broken pipe", i),
			fmt.Sprintf("compaction of segment-%d halted, cause err open /srv/x/seg-%d.db: no such file or directory", i+3, i),
			fmt.Sprintf(`compaction of segment-%d halted, cause err Get "https://10.0.0.%d/v1/x": dial tcp 10.0.0.%d:443: i/o timeout`, i+6, i, i))
	}
	got := mineAll(Config{}, msgs)
	for _, g := range got[len(got)-9:] {
		if g != "compaction of <*> halted, cause err <*>" {
			t.Errorf("error after a word: %q", got[len(got)-9:])
			break
		}
	}
	checkOnlineMatchesTwoPass(t, asBytes(msgs))
}

// TestErrorAfterWordShared: a phrase seen after other events' clauses
// ("…: permission denied" after two different prefixes) is an error's
// text of the stream; two such tails after the same words make the tail
// one parameter.
func TestErrorAfterWordShared(t *testing.T) {
	var msgs []string
	for i := 0; i < 3; i++ {
		msgs = append(msgs,
			fmt.Sprintf("failed to sync pod web-%d: permission denied", i),
			fmt.Sprintf("lost lease on shard-%d: connection refused", i),
			fmt.Sprintf("failed to sync pod web-%d: connection refused", i+3),
			fmt.Sprintf("lost lease on shard-%d: permission denied", i+3),
			fmt.Sprintf("failed to sync pod web-%d: quota exceeded", i+6),
			fmt.Sprintf("lost lease on shard-%d: quota exceeded", i+6))
	}
	for i := 0; i < 2; i++ {
		msgs = append(msgs,
			fmt.Sprintf("gave up waiting on drain of queue-%d permission denied", i),
			fmt.Sprintf("gave up waiting on drain of queue-%d connection refused", i+2),
			fmt.Sprintf("gave up waiting on drain of queue-%d quota exceeded", i+4))
	}
	got := mineAll(Config{}, msgs)
	for _, g := range got[len(got)-6:] {
		if g != "gave up waiting on drain of <*> <*>" {
			t.Errorf("error after the event's words: %q", got[len(got)-6:])
			break
		}
	}
	checkOnlineMatchesTwoPass(t, asBytes(msgs))
}

// TestSoftClausesAreNoErrors: continuations of a sentence that are no
// errors by that evidence (no wrapped error, no tail seen elsewhere) stay
// events of their own below eight tails, and so do wrapped errors whose
// first word is always the same (the prefix is one word short).
func TestSoftClausesAreNoErrors(t *testing.T) {
	var msgs []string
	for i := 0; i < 3; i++ {
		msgs = append(msgs,
			fmt.Sprintf("worker pool of node-%d started serving requests", i),
			fmt.Sprintf("worker pool of node-%d started draining its queue", i),
			fmt.Sprintf("worker pool of node-%d started compacting old segments now", i))
	}
	if n, got := distinctTemplates(t, msgs); n != 3 {
		t.Errorf("sentence continuations merged: %d templates: %q", n, got)
	}
	// continuations that close a clause with a value before their own
	// error ("… stream ack to <*>: <error>", "… stream response to <*>:
	// <error>") are events, though each reads like a wrapped error's
	// operation and operand
	msgs = msgs[:0]
	for i := 0; i < 3; i++ {
		msgs = append(msgs,
			fmt.Sprintf("agent: failed to stream ack to 9fa%04d: read tcp 10.0.0.%d:80->10.0.1.1:9: connection reset by peer", i, i),
			fmt.Sprintf("agent: failed to stream response to 9fa%04d: x509: certificate has expired", i),
			fmt.Sprintf("agent: failed to stream ack to 9fa%04d: open /srv/q/%d.db: no such file or directory", i+3, i),
			fmt.Sprintf("agent: failed to stream response to 9fa%04d: dial tcp 10.0.0.%d:443: i/o timeout", i+3, i),
			fmt.Sprintf("agent: failed to stream request to 9fa%04d: dial tcp 10.0.0.%d:443: i/o timeout", i+6, i))
	}
	got := mineAll(Config{}, msgs)
	if got[0] == got[1] || got[1] == got[4] || got[0] == got[4] {
		t.Errorf("clauses with an operand merged: %q", got[:5])
	}
}
