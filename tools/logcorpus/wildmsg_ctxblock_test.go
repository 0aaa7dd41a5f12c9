package main

import (
	"strings"
	"testing"
)

// TestWildMsgCtxblock checks ctxblock as wildmsg_ctxblock.go says: not in
// all; a statement writes its block on every line or on none, with the
// same keys in the same order; both spellings occur, the JSON one with an
// empty "[]" and an extra object, escaped quotes and '>', and one-word
// errors on some lines; the text before the block is the line's without
// -msg.
func TestWildMsgCtxblock(t *testing.T) {
	if all, _ := wildMsgOpts("all"); all["ctxblock"] {
		t.Fatal("ctxblock in all")
	}
	kinds, err := wildMsgOpts("ctxblock")
	if err != nil || !kinds["ctxblock"] {
		t.Fatalf("-msg ctxblock: %v, %v", kinds, err)
	}
	st := wildMsgStmts()
	var parens, jsonb, empty, extra, escQuote, escGT, oneWord int
	for seed := uint64(wildDevSeed); seed < wildDevSeed+20; seed++ {
		plain, err := wildRender(seed, newWildLayout(seed), st, 300, nil)
		if err != nil {
			t.Fatal(err)
		}
		s, err := wildRender(seed, newWildLayout(seed), st, 300, newWildMsg(seed, kinds))
		if err != nil {
			t.Fatal(err)
		}
		keysOf := map[string]string{}
		for i := range s.lines {
			if !strings.HasPrefix(s.msgs[i], plain.msgs[i]) {
				t.Fatalf("seed %d line %d: %q does not start with %q", seed, i, s.msgs[i], plain.msgs[i])
			}
			block := s.msgs[i][len(plain.msgs[i]):]
			var keys []string
			switch {
			case block == "":
			case strings.HasPrefix(block, " (") && strings.HasSuffix(block, ")"):
				parens++
				for _, kv := range strings.Split(block[2:len(block)-1], ", ") {
					if k, v, ok := strings.Cut(kv, "="); ok && !strings.ContainsAny(k, " :/") {
						keys = append(keys, k)
						if k == "error" && !strings.Contains(v, " ") {
							oneWord++
						}
					}
				}
			case strings.HasPrefix(block, ` {"`):
				jsonb++
				obj, rest, _ := strings.Cut(block[1:], "} ")
				switch {
				case rest == "[]":
					empty++
				case strings.HasPrefix(rest, `{"`):
					extra++
				default:
					t.Fatalf("seed %d: no second block after %q", seed, block)
				}
				escQuote += strings.Count(obj, `\"`)
				escGT += strings.Count(obj, `\u003e`)
				for _, f := range strings.Split(obj, `,"`) {
					keys = append(keys, strings.Trim(strings.SplitN(f, `":`, 2)[0], `{"`))
				}
			default:
				t.Fatalf("seed %d: block %q", seed, block)
			}
			k, ks := s.truth[i], strings.Join(keys, ",")
			if prev, ok := keysOf[k]; ok && prev != ks && !strings.Contains(block, `"error"`) {
				t.Fatalf("seed %d: statement %q wrote keys %q and %q", seed, k, prev, ks)
			}
			keysOf[k] = ks
		}
	}
	t.Logf("parens %d json %d ([] %d, extra %d), \\\" %d, \\u003e %d, one-word errors %d", parens, jsonb, empty, extra, escQuote, escGT, oneWord)
	if parens == 0 || jsonb == 0 || empty == 0 || extra == 0 || escQuote == 0 || escGT == 0 || oneWord == 0 {
		t.Error("a spelling never occurs")
	}
}
