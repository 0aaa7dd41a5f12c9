package main

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/gopulse/gopulse/logparse"
)

// TestGenerate checks that the generator is deterministic and that every
// line it writes parses as the intended format.
func TestGenerate(t *testing.T) {
	for _, tc := range []struct{ format, want string }{{"combined", "combined"}, {"json", "json"}} {
		var a, b bytes.Buffer
		for _, buf := range []*bytes.Buffer{&a, &b} {
			w := bufio.NewWriter(buf)
			if err := generate(w, 2000, tc.format, 7); err != nil {
				t.Fatal(err)
			}
			_ = w.Flush()
		}
		if !bytes.Equal(a.Bytes(), b.Bytes()) {
			t.Fatalf("%s: output differs between runs", tc.format)
		}
		s := logparse.NewStream(logparse.StreamOptions{})
		lr := logparse.NewLineReader(&a, 0)
		var r logparse.Record
		n := 0
		for {
			line, _, err := lr.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			n++
			if err := s.Parse(line, &r); err != nil {
				t.Fatalf("%s line %d: %v: %s", tc.format, n, err, line)
			}
			if r.Format != tc.want || r.TS == 0 {
				t.Fatalf("%s line %d: format %q ts %d", tc.format, n, r.Format, r.TS)
			}
		}
		if n != 2000 {
			t.Fatalf("%s: %d lines", tc.format, n)
		}
	}
}

// TestObservers checks that the default observer infers a schema and that
// an unknown observer name is refused.
func TestObservers(t *testing.T) {
	o, err := newObserver("schema")
	if err != nil || o.Name() != "schema" {
		t.Fatalf("schema observer: %v %v", o, err)
	}
	var r logparse.Record
	r.Add([]byte("status"), []byte("200"), 0)
	for i := 0; i < 200; i++ {
		o.Observe(&r)
	}
	sc := o.(*schemaObserver).inf.Schema()
	if sc.Records != 200 || len(sc.Fields) != 1 || sc.Fields[0].Name != "status" {
		t.Fatalf("schema after 200 records: %+v", sc)
	}
	if o, err := newObserver("none"); err != nil || o.Name() != "none" {
		t.Fatalf("none observer: %v %v", o, err)
	}
	if _, err := newObserver("bogus"); err == nil {
		t.Fatal("unknown observer accepted")
	}
}
