package main

import (
	"regexp"
	"strings"
	"testing"
)

// TestWildMsgKvcolon checks kvcolon as wildmsg_kvcolon.go says: not in
// all; a picked statement's lines keep their event and add glued pairs
// or a Go struct on every line; both forms occur; values seen on few
// lines make up a share of the pairs' values; other lines render as
// without -msg.
func TestWildMsgKvcolon(t *testing.T) {
	if all, _ := wildMsgOpts("all"); all["kvcolon"] {
		t.Fatal("kvcolon in all")
	}
	kinds, err := wildMsgOpts("kvcolon")
	if err != nil || !kinds["kvcolon"] {
		t.Fatalf("-msg kvcolon: %v, %v", kinds, err)
	}
	pair := regexp.MustCompile(`^[a-z]+:[^ :]+$`)
	strct := regexp.MustCompile(`&?\{([A-Z][a-z]+:[^ :{}]+ ?)+\}( [a-z]+)?$`)
	st := wildMsgStmts()
	var pairs, structs int
	seen := map[string]int{}
	for seed := uint64(wildDevSeed); seed < wildDevSeed+20; seed++ {
		plain, s := wildRenderPair(t, seed, st, kinds)
		for i, m := range s.msgs {
			if s.truth[i] != plain.truth[i] {
				t.Fatalf("seed %d line %d: truth %q, without -msg %q", seed, i, s.truth[i], plain.truth[i])
			}
			if m == plain.msgs[i] {
				continue
			}
			switch {
			case strct.MatchString(m):
				structs++
			default:
				f := strings.Fields(m)
				last := f[len(f)-1]
				if !pair.MatchString(last) {
					t.Fatalf("seed %d line %d: no glued pair or struct: %q", seed, i, m)
				}
				pairs++
				seen[last[strings.IndexByte(last, ':')+1:]]++
			}
		}
	}
	rare := 0
	for _, n := range seen {
		if n <= 3 {
			rare += n
		}
	}
	t.Logf("lines with pairs %d, with a struct %d, pair values seen <= 3 times %d", pairs, structs, rare)
	if pairs == 0 || structs == 0 {
		t.Errorf("pairs %d, structs %d: want both", pairs, structs)
	}
	if rare*20 < pairs {
		t.Errorf("values seen on few lines %d of %d: want a share", rare, pairs)
	}
}
