package main

import (
	"regexp"
	"sort"
	"strings"
	"testing"
)

// TestWildMsgRawkv checks rawkv as wildmsg_rawkv.go says: not in all; a
// statement writes its pairs on every line or on none, with the same keys,
// sorted, an error among them; the message before them is padded; error
// values hold blanks and colons on some lines and are one word on others;
// the text before the pairs is the line's without -msg.
func TestWildMsgRawkv(t *testing.T) {
	if all, _ := wildMsgOpts("all"); all["rawkv"] {
		t.Fatal("rawkv in all")
	}
	kinds, err := wildMsgOpts("rawkv")
	if err != nil || !kinds["rawkv"] {
		t.Fatalf("-msg rawkv: %v, %v", kinds, err)
	}
	keyRe := regexp.MustCompile(` ([a-z]+)=`)
	st := wildMsgStmts()
	var with, spaced, colon, oneWord, padded int
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
			tail := s.msgs[i][len(plain.msgs[i]):]
			var keys []string
			if tail != "" {
				with++
				if !strings.HasPrefix(tail, " ") || !strings.Contains(tail, " error=") && !strings.HasPrefix(strings.TrimLeft(tail, " "), "error=") {
					t.Fatalf("seed %d: tail %q", seed, tail)
				}
				if strings.HasPrefix(tail, "  ") {
					padded++
				}
				for _, m := range keyRe.FindAllStringSubmatch(" "+strings.TrimLeft(tail, " "), -1) {
					keys = append(keys, m[1])
				}
				if !sort.StringsAreSorted(keys) {
					t.Fatalf("seed %d: keys %q not sorted in %q", seed, keys, tail)
				}
				_, errv, _ := strings.Cut(tail, "error=")
				if loc := keyRe.FindStringIndex(errv); loc != nil {
					errv = errv[:loc[0]]
				}
				switch {
				case strings.Contains(errv, ": "):
					colon++
					spaced++
				case strings.Contains(errv, " "):
					spaced++
				default:
					oneWord++
				}
			}
			k, ks := s.truth[i], strings.Join(keys, ",")
			if prev, ok := keysOf[k]; ok && prev != ks {
				t.Fatalf("seed %d: statement %q wrote keys %q and %q", seed, k, prev, ks)
			}
			keysOf[k] = ks
		}
	}
	t.Logf("lines with pairs %d: padded %d, error values with blanks %d (with ': ' %d), one word %d", with, padded, spaced, colon, oneWord)
	if with == 0 || padded == 0 || spaced == 0 || colon == 0 || oneWord == 0 {
		t.Error("a spelling never occurs")
	}
}
