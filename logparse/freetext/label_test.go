package freetext

import (
	"fmt"
	"strings"
	"testing"
)

// labelLines renders an invented stream whose header ends with labels
// ended by colons: head(i) is line i's header before them, labels(i) the
// labels, and the messages cycle through a few events.
func labelLines(n int, head, labels func(i int) string) (lines, want []string) {
	msgs := []string{
		"flush of segment %d delayed",
		"opened table t%d for writing",
		"peer 10.0.0.%d closed the connection",
		"compaction of level %d finished",
		"evicted %d entries from the cache",
		"snapshot %d written to disk",
	}
	for i := 0; i < n; i++ {
		m := fmt.Sprintf(msgs[(i*7+i/3)%len(msgs)], i%37)
		lines = append(lines, head(i)+labels(i)+m)
		want = append(want, m)
	}
	return lines, want
}

func clock(i int) string {
	return fmt.Sprintf("2025-03-14T09:%02d:%02d.%03d ", 10+i/60, i%60, (i*37)%1000)
}

func checkLabels(t *testing.T, lines, want []string, level string) {
	t.Helper()
	msgs, fields, _ := parseAll(t, lines)
	bad := 0
	for i := 8; i < len(lines); i++ {
		if msgs[i] != want[i] {
			bad++
			if bad <= 3 {
				t.Errorf("line %d %q: message %q, want %q (fields %v)", i, lines[i], msgs[i], want[i], fields[i])
			}
		}
	}
	if level != "" && !strings.Contains(strings.Join(fields[len(fields)-1], " "), "level="+level) {
		t.Errorf("last line's fields %v: no level=%s", fields[len(fields)-1], level)
	}
}

// TestModelLabels: a category and a severity, each ended by a colon,
// between the time and the message (Postfix's "warning:", "fatal:";
// dmesg's "eth0:"), in either order, the severity a tag on some lines and
// a level word on others, are the header's.
func TestModelLabels(t *testing.T) {
	cats := []string{"storage", "network", "sched", "auth"}
	sevs := []string{"notice", "warning", "notice", "error", "crit", "notice"}
	lines, want := labelLines(120, clock, func(i int) string {
		return cats[(i*5)%len(cats)] + ": " + sevs[i%len(sevs)] + ": "
	})
	checkLabels(t, lines, want, "")
	lines, want = labelLines(120, clock, func(i int) string {
		return sevs[i%len(sevs)] + ": " + cats[(i*5)%len(cats)] + ": "
	})
	checkLabels(t, lines, want, "")
	// one label, a tag on some lines, a level on others
	lines, want = labelLines(120, func(i int) string { return clock(i) + "[worker-7] " }, func(i int) string {
		return []string{"Request: ", "Info: ", "Caution: ", "Info: ", "Warning: "}[i%5]
	})
	checkLabels(t, lines, want, "Warning")
}

// TestModelLabelsLeaveClauses: a message that opens with a clause after a
// component label ("serf: EventMemberJoin: …", "raft: failed to …")
// keeps it: clause openers are many, or on some lines only.
func TestModelLabelsLeaveClauses(t *testing.T) {
	var lines, want []string
	for i := 0; i < 200; i++ {
		var m string
		switch i % 4 {
		case 0:
			m = fmt.Sprintf("EventMember%s: node-%d 10.0.0.%d", []string{"Join", "Leave", "Failed", "Update", "Reap"}[i%5], i%9, i%200)
		case 1:
			m = fmt.Sprintf("failed to dial node-%d: connection refused", i%9)
		case 2:
			m = fmt.Sprintf("%s: retrying in %dms", []string{"handshake", "ping", "sync", "gossip", "probe", "push", "pull", "join", "leave", "ack"}[i%10], i)
		default:
			m = fmt.Sprintf("received %d messages", i)
		}
		lines = append(lines, clock(i)+"[INFO] serf: "+m)
		want = append(want, m)
	}
	checkLabels(t, lines, want, "")
}

// TestModelLabelsConstantFirst: a label that is one word on every line
// (PostgreSQL's "LOG:") followed by the messages' own prefixes on nearly
// every line ("push: …", "redis: …") keeps those prefixes in the messages.
func TestModelLabelsConstantFirst(t *testing.T) {
	var lines, want []string
	for i := 0; i < 200; i++ {
		m := fmt.Sprintf("%s: error processing request %d", []string{"push", "redis", "sentinel", "push", "redis"}[i%5], i)
		if i%20 == 19 {
			m = fmt.Sprintf("specified duration is %d, truncating", i)
		}
		lines = append(lines, clock(i)+"[4242]: LOG:  "+m)
		want = append(want, m)
	}
	checkLabels(t, lines, want, "")
}
