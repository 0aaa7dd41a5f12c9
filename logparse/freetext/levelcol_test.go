package freetext

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// TestModelLevelColumnUnknownWords: a bracketed level column whose words
// are not all levels levelKind knows (java.util.logging's and syslog's,
// and a program's own DIAG, AUDIT, TRACE2) is the level on every line: a
// line at an unknown level keeps the header of the others, and its word
// is the level field.
func TestModelLevelColumnUnknownWords(t *testing.T) {
	words := []string{"[SEVERE]", "[DIAG]", "[WARNING]", "[AUDIT]", "[ERROR]", "[TRACE2]", "[INFO]", "[DIAG]"}
	events := []string{"listener rebound to: blue", "cache flushed after %d steps", "peer %d joined the ring", "queue drained"}
	var lines []string
	for i := 0; i < 60; i++ {
		lines = append(lines, fmt.Sprintf("<%06d> (node-%d) %s |worker-%d| main > %s",
			7500+i, i%3, words[(i*5)%len(words)], i%4, strings.ReplaceAll(events[(i*3)%len(events)], "%d", fmt.Sprint(i))))
	}
	msgs, fields, _ := parseAll(t, lines)
	for i := 12; i < len(lines); i++ {
		want := lines[i][strings.Index(lines[i], "main > ")+7:]
		if msgs[i] != want {
			t.Errorf("line %d: message %q, want %q (fields %v)", i, msgs[i], want, fields[i])
		}
		w := strings.Trim(words[(i*5)%len(words)], "[]")
		if !slices.Contains(fields[i], "level="+w) {
			t.Errorf("line %d: fields %v, want level=%s", i, fields[i], w)
		}
	}
}

// TestModelLevelColumnUnknownPadded: the unknown word padded inside its
// angles ("<AUDIT  >", two tokens) is the column's level as well.
func TestModelLevelColumnUnknownPadded(t *testing.T) {
	words := []string{"<NOTICE >", "<AUDIT  >", "<CRIT   >", "<DEBUG  >", "<FAULT  >", "<WARN   >"}
	events := []string{"snapshot written at", "lease renewed for shard", "queue drained after", "peer joined as"}
	var lines []string
	for i := 0; i < 60; i++ {
		lines = append(lines, fmt.Sprintf("%d · {ip-10-0-%d-7} · %s · tenant:%d | %s %d",
			30000+i*37, i%5, words[(i*7)%len(words)], i%9, events[i%len(events)], i))
	}
	msgs, fields, _ := parseAll(t, lines)
	for i := 12; i < len(lines); i++ {
		if want := fmt.Sprintf("%s %d", events[i%len(events)], i); msgs[i] != want {
			t.Errorf("line %d: message %q, want %q (fields %v)", i, msgs[i], want, fields[i])
		}
	}
}

// TestModelLevelColumnNeedsLevels: bracketed upper-case words in a column
// that holds no level the model knows on a third of the lines stay what
// they were (a column of components: "[HTTP]", "[RAFT]").
func TestModelLevelColumnNeedsLevels(t *testing.T) {
	comps := []string{"[HTTP]", "[RAFT]", "[WAL]", "[INFO]", "[GRPC]", "[HTTP]"}
	var lines []string
	for i := 0; i < 60; i++ {
		lines = append(lines, fmt.Sprintf("web-%d %s lease %d renewed", i%3, comps[i%len(comps)], i))
	}
	_, fields, _ := parseAll(t, lines)
	for i := 12; i < len(lines); i++ {
		for _, f := range fields[i] {
			if strings.HasPrefix(f, "level=") && comps[i%len(comps)] != "[INFO]" {
				t.Errorf("line %d: %s is no level (fields %v)", i, f, fields[i])
			}
		}
	}
}

func TestLevelWord(t *testing.T) {
	for tok, want := range map[string]bool{
		"[DIAG]": true, "<AUDIT>": true, "[TRACE2]": true, "<AUDIT": true, "[NOTICE]": true,
		"DIAG": false, "[Diag]": false, "[diag]": false, "[OK]": false, "[2DIAG]": false,
		"[VERYLONGW]": false, "(DIAG)": false, "[DI-AG]": false, "[TR22]": false,
	} {
		if got := levelWord([]byte(tok)); got != want {
			t.Errorf("levelWord(%q) = %v, want %v", tok, got, want)
		}
	}
}
