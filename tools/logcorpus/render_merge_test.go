package main

import "testing"

// TestTextRenders: a template renders a message when its constant words
// are the message's, in order, the first and last where the text opens or
// ends with one; a gap's text may differ (more values, other quotes).
func TestTextRenders(t *testing.T) {
	for _, c := range []struct {
		text, msg string
		want      bool
	}{
		{"cache: slot table: failed to grow after <*> tries: <*>", "cache: slot table: failed to grow after 356 tries: disk is full", true},
		{"slot table: <*>", "cache: slot table: failed to grow after 356 tries: disk is full", false},
		{"is deprecated; use <*> instead", "trusted_certs is deprecated; use verifier instead", false},
		{"<*> is deprecated; use <*> instead", "trusted_certs is deprecated; use verifier instead", true},
		{`sync failed cause="<*>"`, "sync failed cause=timeout", true},
		{"warning: <*>: <*>: <*> skipped", "warning: orders: 9 skipped", true},
		{"failed to commit logs error=<*>", "failed to reset logs error=EOF", false},
		{"link up", "link down", false},
		{"<*>", "anything at all", true},
		{"", "", true},
	} {
		if got := textRenders(c.text, []byte(c.msg)); got != c.want {
			t.Errorf("textRenders(%q, %q) = %v, want %v", c.text, c.msg, got, c.want)
		}
	}
}
