package logparse

import (
	"errors"
	"testing"
)

func TestCompilePatternAccess(t *testing.T) {
	p, err := CompilePattern(`<ip:client> - <_> [<ts:time>] "<method> <path> <_>" <int:status> <int:bytes>`)
	if err != nil {
		t.Fatal(err)
	}
	var r Record
	line := []byte(`2001:db8::1 - frank [10/Oct/2000:13:55:36 -0700] "GET /a%20b?x=1 HTTP/1.0" 200 2326`)
	if err := p.Parse(line, &r); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"client": "2001:db8::1", "time": "10/Oct/2000:13:55:36 -0700", "method": "GET", "path": "/a%20b?x=1", "status": "200", "bytes": "2326"}
	if len(r.Fields) != len(want) {
		t.Fatalf("got %d fields, want %d: %+v", len(r.Fields), len(want), r.Fields)
	}
	for k, v := range want {
		got, ok := r.Get(k)
		if !ok || string(got) != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	if r.TS != 971211336000000000 || r.TSLayout != LayoutCLF {
		t.Errorf("TS = %d %s", r.TS, r.TSLayout)
	}
	if err := p.Parse([]byte(`1.2.3.4 - x [bad] "GET / HTTP/1.0" 200 1`), &r); err == nil {
		t.Fatal("bad timestamp parsed")
	} else if !errors.Is(err, ErrNoMatch) {
		t.Fatalf("error %v is not ErrNoMatch", err)
	}
}

func TestCompilePatternErrors(t *testing.T) {
	for _, tc := range []struct {
		src string
		col int
	}{
		{`<ip:client> <bogus:x>`, 14},
		{`abc <int:`, 9},
		{`abc <:x>`, 6},
		{``, 1},
	} {
		_, err := CompilePattern(tc.src)
		var pe *PatternError
		if !errors.As(err, &pe) {
			t.Errorf("%q: error %v is not a PatternError", tc.src, err)
			continue
		}
		if pe.Col != tc.col {
			t.Errorf("%q: column %d, want %d (%v)", tc.src, pe.Col, tc.col, err)
		}
	}
}

func TestCompilePatternRoles(t *testing.T) {
	p, err := CompilePattern(`<ts:_> <level:lvl> [<comp>] <msg>`)
	if err != nil {
		t.Fatal(err)
	}
	var r Record
	if err := p.Parse([]byte("2024-01-02T03:04:05Z WARNING [db] connection lost: retry in 5s"), &r); err != nil {
		t.Fatal(err)
	}
	if string(r.Level) != "warn" || string(r.Message) != "connection lost: retry in 5s" || r.TSLayout != LayoutRFC3339 {
		t.Errorf("level %q message %q layout %q", r.Level, r.Message, r.TSLayout)
	}
	if v, _ := r.Get("comp"); string(v) != "db" {
		t.Errorf("comp = %q", v)
	}
	if _, ok := r.Get("_"); ok {
		t.Error("skipped capture kept")
	}
}
