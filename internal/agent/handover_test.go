package agent

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gopulse/gopulse/internal/exporters/prom"
)

func TestHandoverFileRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state", "handover.json")
	in := &Handover{Version: HandoverVersion, Runtime: prom.RuntimeSnapshot{Procs: []prom.ProcSnapshot{{PID: 42, GCCycles: 7}}},
		Probes: json.RawMessage(`{"procs":[{"pid":42}]}`)}
	if err := WriteHandover(path, in); err != nil {
		t.Fatal(err)
	}
	out, err := ReadHandover(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Runtime.Procs) != 1 || out.Runtime.Procs[0].GCCycles != 7 || string(out.Probes) != string(in.Probes) {
		t.Fatalf("round trip: %+v", out)
	}
	if _, err := os.Stat(path + ".tmp"); err == nil {
		t.Fatal("temporary file left")
	}
	if err := os.WriteFile(path, []byte(`{"version":99}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadHandover(path); err == nil || !strings.Contains(err.Error(), "version 99") {
		t.Fatalf("future version accepted: %v", err)
	}
}

func TestAgentHandoverNeedsSource(t *testing.T) {
	a := &Agent{}
	if err := a.Handover(filepath.Join(t.TempDir(), "h.json")); err != ErrNoHandover {
		t.Fatalf("handover without probes: %v, want ErrNoHandover", err)
	}
}
