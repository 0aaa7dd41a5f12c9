package logparse

import (
	"fmt"
	"testing"
)

// parsePairsRef is ParsePairs without its first test (a '=' in b): what
// it returned before.
func parsePairsRef(b []byte, r *Record) bool {
	mark, sc := len(r.Fields), len(r.scratch)
	msg, lvl := r.Message, r.Level
	r.Message, r.Level = nil, nil
	i, n := 0, 0
	for {
		for i < len(b) && (b[i] == ' ' || b[i] == '\t') {
			i++
		}
		if i >= len(b) {
			break
		}
		e, ok := logfmtPair(r, b, i, true)
		if !ok {
			n = 0
			break
		}
		i = e
		n++
	}
	if n < 2 {
		r.Fields, r.scratch = r.Fields[:mark], r.scratch[:sc]
		r.Message, r.Level = msg, lvl
		return false
	}
	if r.Level == nil {
		r.Level = lvl
	}
	return true
}

func pairsResult(ok bool, r *Record) string {
	s := fmt.Sprintf("%v msg=%q level=%q", ok, r.Message, r.Level)
	for _, f := range r.Fields {
		s += fmt.Sprintf(" %s=%q/%v", f.Key, f.Value, f.Type)
	}
	return s
}

func checkPairs(t *testing.T, b []byte) {
	t.Helper()
	var got, want Record
	got.Message, want.Message = []byte("m"), []byte("m")
	got.Add([]byte("time"), []byte("t"), 0)
	want.Add([]byte("time"), []byte("t"), 0)
	g, w := pairsResult(ParsePairs(b, &got), &got), pairsResult(parsePairsRef(b, &want), &want)
	if g != w {
		t.Errorf("ParsePairs(%q) = %s, reference %s", b, g, w)
	}
}

func TestParsePairsAsReference(t *testing.T) {
	for _, s := range []string{
		"", "PacketResponder 1 for block blk_1 terminating", "level=info msg=\"started x\" user=u",
		"a=1 b=2", "a=1", "a=1 word", "word a=1 b=2", "msg=\"x=y\" k=v", "k=\"unterminated v=1",
		"x == y", "=", "a= b=", "level=warn msg=hi", "\ta=1\tb=2 ",
	} {
		checkPairs(t, []byte(s))
	}
}

// FuzzParsePairsAsReference checks ParsePairs against the reference.
func FuzzParsePairsAsReference(f *testing.F) {
	for _, s := range []string{"a=1 b=2", "level=info msg=\"x y\"", "no pairs here", "a=1 b"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) { checkPairs(t, b) })
}
