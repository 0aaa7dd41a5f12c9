package main

import (
	"bytes"
	"os"
	"testing"

	"github.com/gopulse/gopulse/probes/offsets"
)

// The committed table is exactly what Render produces from its own
// entries: nobody edited it by hand, and a field added to offsets.Offsets
// without regenerating shows up here.
func TestCommittedTableIsRendered(t *testing.T) {
	want, err := os.ReadFile("../../probes/offsets/table.go")
	if err != nil {
		t.Fatal(err)
	}
	got, err := Render(offsets.Table())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("probes/offsets/table.go differs from Render(Table()): run go generate ./probes/offsets")
	}
}
