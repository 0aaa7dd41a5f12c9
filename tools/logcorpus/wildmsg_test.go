package main

import (
	"fmt"
	"strings"
	"testing"
)

// wildMsgStmts is a small program's statements: printf and structured, at
// several levels, none taken from a corpus.
func wildMsgStmts() []stmt {
	var st []stmt
	levels := []string{"info", "info", "warn", "error", "debug"}
	for i := 0; i < 60; i++ {
		s := stmt{File: fmt.Sprintf("pkg/f%d.go", i%7), Line: 10 + i, Level: levels[i%len(levels)]}
		if i%3 == 0 {
			s.Msg = fmt.Sprintf("worker stage %c finished its batch", 'a'+rune(i%26))
			s.KVs = []kv{{Key: "count"}}
		} else {
			s.Printf = true
			s.Format = fmt.Sprintf("cannot reach store number %c at %%s after %%d tries", 'a'+rune(i%26))
			if i%2 == 0 {
				s.Format = fmt.Sprintf("opened segment %c of table %%s", 'a'+rune(i%26))
			}
			s.Args = []string{"addr", "n"}
		}
		st = append(st, s)
	}
	return st
}

// TestWildMsgOff checks that wild without -msg renders what it rendered
// before the message-side kinds existed (their figures stay comparable),
// and that a kind leaves the layout's header as it was (bar column's
// logger and level).
func TestWildMsgOff(t *testing.T) {
	st := wildMsgStmts()
	for _, seed := range []uint64{wildDevSeed, wildDevSeed + 5, wildDevSeed + 77} {
		l := newWildLayout(seed)
		plain, err := wildRender(seed, l, st, 300, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"prefix", "context", "fold"} {
			kinds, _ := wildMsgOpts(k)
			s, err := wildRender(seed, newWildLayout(seed), st, 300, newWildMsg(seed, kinds))
			if err != nil {
				t.Fatal(err)
			}
			if len(s.lines) != len(plain.lines) {
				t.Fatalf("seed %d %s: %d lines, %d without", seed, k, len(s.lines), len(plain.lines))
			}
			for i := range s.lines {
				h := strings.TrimSuffix(string(plain.lines[i]), plain.msgs[i])
				if k != "prefix" && !strings.HasPrefix(string(s.lines[i]), h) {
					t.Fatalf("seed %d %s line %d: %q does not open with the header %q", seed, k, i, s.lines[i], h)
				}
			}
		}
	}
	if _, err := wildMsgOpts("prefix,bogus"); err == nil {
		t.Error("-msg bogus accepted")
	}
}

// TestWildMsgKinds checks each kind does what wildmsg.go says, over the
// development seeds: prefix words on every line of some statements and on
// some lines only of others; context after the message with values that
// vary and are scored; a logger column whose value differs within one
// statement; fold's siblings as events of their own sharing their text
// up to the word that tells them apart.
func TestWildMsgKinds(t *testing.T) {
	st := wildMsgStmts()
	var always, some, ctxVary, loggerVary, folded, layouts int
	for seed := uint64(wildDevSeed); seed < wildDevSeed+40; seed++ {
		kinds, _ := wildMsgOpts("all")
		m := newWildMsg(seed, kinds)
		s, err := wildRender(seed, newWildLayout(seed), st, 400, m)
		if err != nil {
			t.Fatal(err)
		}
		layouts++
		type agg struct{ n, pre int }
		byKey := map[string]*agg{}
		ctxVals := map[string]map[string]bool{}
		loggers := map[string]map[string]bool{}
		prefixes := []string{}
		for _, w := range []string{"warning", "warn", "error", "notice", "debug", "fatal", "trace"} {
			prefixes = append(prefixes, prefixSpells[m.prefixSpell](w))
		}
		for i, line := range s.lines {
			if !strings.HasSuffix(string(line), s.msgs[i]) || !strings.HasPrefix(s.msgs[i], s.short[i]) {
				t.Fatalf("seed %d line %d: %q does not end with its message %q", seed, i, line, s.msgs[i])
			}
			for _, v := range s.vals[i] {
				if !strings.Contains(string(line), v) {
					t.Fatalf("seed %d line %d: value %q not in %q", seed, i, v, line)
				}
			}
			a := byKey[s.truth[i]]
			if a == nil {
				a = &agg{}
				byKey[s.truth[i]] = a
			}
			a.n++
			for _, p := range prefixes {
				if strings.HasPrefix(s.short[i], p) {
					a.pre++
					break
				}
			}
			if after := s.msgs[i][len(s.short[i]):]; after != "" {
				if ctxVals[s.truth[i]] == nil {
					ctxVals[s.truth[i]] = map[string]bool{}
				}
				ctxVals[s.truth[i]][after] = true
			}
			for _, lg := range m.loggers {
				if strings.Contains(string(line[:len(line)-len(s.msgs[i])]), lg) {
					if loggers[s.truth[i]] == nil {
						loggers[s.truth[i]] = map[string]bool{}
					}
					loggers[s.truth[i]][lg] = true
				}
			}
			if strings.Contains(s.truth[i], " ⟪") {
				folded++
			}
		}
		for k, a := range byKey {
			if a.n < 6 {
				continue
			}
			switch {
			case a.pre == a.n:
				always++
			case a.pre > 0:
				some++
			}
			if len(ctxVals[k]) > 2 {
				ctxVary++
			}
			if len(loggers[k]) > 1 {
				loggerVary++
			}
		}
	}
	t.Logf("always %d, some %d, context %d, loggers %d, folded %d over %d layouts", always, some, ctxVary, loggerVary, folded, layouts)
	for name, n := range map[string]int{"always prefixed": always, "sometimes prefixed": some, "varying context": ctxVary, "several loggers": loggerVary, "folded lines": folded} {
		if n < layouts {
			t.Errorf("%s: %d over %d layouts", name, n, layouts)
		}
	}
}
