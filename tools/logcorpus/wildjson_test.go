package main

import (
	"encoding/json"
	"testing"
)

// TestWildJSONLayouts checks what wildjson composes: every line is one
// JSON object whose message sits under the layout's key (one the engine
// does not know by name), the short id changes from line to line, the
// same seed composes the same lines, dev and held seeds compose different
// layouts, and every key of the pool is drawn on the development seeds.
func TestWildJSONLayouts(t *testing.T) {
	st := wildMsgStmts()
	keys := map[string]bool{}
	for i := 0; i < wildSeeds; i++ {
		keys[newJSONLayout(wildDevSeed+uint64(i)).msgKey] = true
	}
	for _, k := range jsonMsgKeys {
		if !keys[k] {
			t.Errorf("message key %q drawn on no development seed", k)
		}
		if jsonReserved[k] {
			t.Errorf("message key %q is one the engine knows", k)
		}
	}
	for _, seed := range []uint64{wildDevSeed, wildDevSeed + 9, wildDevSeed + 123, wildHeldSeed + 4} {
		l := newJSONLayout(seed)
		s, err := wildJSONRender(seed, l, st, 200)
		if err != nil {
			t.Fatal(err)
		}
		again, err := wildJSONRender(seed, newJSONLayout(seed), st, 200)
		if err != nil {
			t.Fatal(err)
		}
		if len(s.lines) < 150 || len(again.lines) != len(s.lines) {
			t.Fatalf("seed %d: %d lines, then %d", seed, len(s.lines), len(again.lines))
		}
		ids := map[string]bool{}
		for i, line := range s.lines {
			if string(again.lines[i]) != string(line) {
				t.Fatalf("seed %d line %d: %s, then %s", seed, i, line, again.lines[i])
			}
			var m map[string]any
			if err := json.Unmarshal(line, &m); err != nil {
				t.Fatalf("seed %d line %d: %v: %s", seed, i, err, line)
			}
			if got, _ := m[l.msgKey].(string); got != s.msgs[i] || got == "" {
				t.Fatalf("seed %d line %d: %s holds %q, want %q", seed, i, l.msgKey, got, s.msgs[i])
			}
			for k := range m {
				if jsonReserved[k] && k != "level" && k != "lvl" && k != "severity" && k != "loglevel" && k != "@l" &&
					k != "time" && k != "ts" && k != "t" && k != "date" && k != "timestamp" && k != "@t" && k != "@timestamp" {
					t.Fatalf("seed %d line %d: key %q names the message for the engine: %s", seed, i, k, line)
				}
			}
			for _, v := range s.vals[i] {
				ids[v] = true
			}
		}
		if hasID := len(l.tags) > 0 && contains(l.tags, "id"); hasID && len(ids) < len(s.lines) {
			t.Errorf("seed %d: %d distinct field values over %d lines, want a new id on every line", seed, len(ids), len(s.lines))
		}
	}
	if a, b := newJSONLayout(wildDevSeed), newJSONLayout(wildHeldSeed); a.msgKey == b.msgKey && len(a.fields) == len(b.fields) && a.nest == b.nest {
		t.Errorf("dev and held seeds compose alike layouts (%q)", a.msgKey)
	}
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}
