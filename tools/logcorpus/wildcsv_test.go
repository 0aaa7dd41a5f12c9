package main

import (
	"encoding/csv"
	"strings"
	"testing"
)

// TestWildCSVLayouts checks what wildcsv composes: every line is one
// RFC 4180 record (encoding/csv reads it) with the same number of columns
// on every line of a layout, the message is the column after the
// severity and the code with its quotes doubled, some statements quote
// their parameters, the same seed composes the same lines, and the
// layouts span 8 to 20 columns.
func TestWildCSVLayouts(t *testing.T) {
	st := wildMsgStmts()
	minCols, maxCols, quoted := 100, 0, 0
	for i := 0; i < 40; i++ {
		seed := wildDevSeed + uint64(i)
		l := newCSVLayout(seed)
		s, err := wildCSVRender(seed, l, st, 200)
		if err != nil {
			t.Fatal(err)
		}
		again, err := wildCSVRender(seed, newCSVLayout(seed), st, 200)
		if err != nil {
			t.Fatal(err)
		}
		if len(s.lines) < 150 || len(again.lines) != len(s.lines) {
			t.Fatalf("seed %d: %d lines, then %d", seed, len(s.lines), len(again.lines))
		}
		cols := len(l.before) + 1 + len(l.after)
		minCols, maxCols = min(minCols, cols), max(maxCols, cols)
		for j, line := range s.lines {
			if string(again.lines[j]) != string(line) {
				t.Fatalf("seed %d line %d: %s, then %s", seed, j, line, again.lines[j])
			}
			r := csv.NewReader(strings.NewReader(string(line)))
			rec, err := r.Read()
			if err != nil {
				t.Fatalf("seed %d line %d: %v: %s", seed, j, err, line)
			}
			if len(rec) != cols {
				t.Fatalf("seed %d line %d: %d columns, want %d: %s", seed, j, len(rec), cols, line)
			}
			if rec[len(l.before)] != s.msgs[j] {
				t.Fatalf("seed %d line %d: message column %q, want %q", seed, j, rec[len(l.before)], s.msgs[j])
			}
			if strings.Contains(s.msgs[j], `"`) {
				if !strings.Contains(string(line), `""`) {
					t.Fatalf("seed %d line %d: a quote in the message is not doubled: %s", seed, j, line)
				}
				quoted++
			}
		}
	}
	if minCols < 8 || maxCols > 20 || maxCols-minCols < 6 {
		t.Errorf("layouts of %d to %d columns, want 8 to 20 and spread", minCols, maxCols)
	}
	if quoted == 0 {
		t.Error("no message with a doubled quote")
	}
}
