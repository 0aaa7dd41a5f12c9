package logparse

import "testing"

// TestLooksLogReadsFirstLine: a record's looksLog, asked after lines were
// joined to it (or never), answers what looksLogLine said of its first
// line when the record started, as start did before it deferred the read.
func TestLooksLogReadsFirstLine(t *testing.T) {
	firsts := []string{
		"I0515 04:18:10.519000      39 daemon.go:521] done",
		"2024-03-10 13:55:00 ERROR failed",
		"web-1 app ERROR: boom",
		"cannot read config",
		"[ERROR] x",
		"{\"level\":\"info\"}",
		"ERROR:root:msg",
	}
	joins := []string{"Traceback (most recent call last):", "  File \"x.py\", line 1, in <module>", "\tat a.B.c(B.java:1)", "java.lang.IllegalStateException: x"}
	for _, f := range firsts {
		want := looksLogLine([]byte(f))
		for n := 0; n <= len(joins); n++ {
			var m mlRecord
			line := append([]byte(nil), f...)
			m.start(line, 1, 0, false, "", nil)
			for i := range line {
				line[i] = 'x' // the caller's buffer is reused for the next line
			}
			for _, j := range joins[:n] {
				m.join([]byte(j), false)
			}
			if got := m.looksLog(); got != want {
				t.Fatalf("%q after %d joined lines: looksLog %v, looksLogLine %v", f, n, got, want)
			}
		}
	}
}
