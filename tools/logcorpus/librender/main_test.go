package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// TestPlanSplit: every configuration is in the file of the part its group
// hashes to, names are unique, and each cites its source.
func TestPlanSplit(t *testing.T) {
	seen := map[string]bool{}
	for part, cs := range map[string][]config{partR8: r8Configs(), partLibdev: libdevConfigs()} {
		if len(cs) == 0 {
			t.Fatalf("%s: no configurations", part)
		}
		for _, c := range cs {
			if seen[c.Name] {
				t.Errorf("%s listed twice", c.Name)
			}
			seen[c.Name] = true
			if got := partOf(c.Group); got != part {
				t.Errorf("%s: group %q hashes to %s, listed in %s", c.Name, c.Group, got, part)
			}
			if c.Source == "" || c.Library == "" || c.New == nil {
				t.Errorf("%s: source, library or constructor missing", c.Name)
			}
		}
	}
	// the rule is the one logcorpus's libPartOf applies
	if partOf("zap") != partLibdev || partOf("example.com/a") != partLibdev || partOf("example.com/b") != partR8 {
		t.Fatal("split rule changed")
	}
}

// TestRender writes two events through every Go library's configuration
// and checks what the protocol promises: one record per event, each
// ending a line and holding the message. The runtimes' configurations
// (python3, ruby, java: seconds to start) are rendered, and pinned, by
// logcorpus's TestR8Plan and TestLibdevPlan.
func TestRender(t *testing.T) {
	evs := []Event{
		{T: time.Date(2024, 3, 10, 13, 55, 0, 123456789, time.UTC), Level: "info", Logger: "server", Class: "io.example.server.Handler",
			File: "handler.go", Line: 42, PID: 4242, TID: 7, Thread: "main", App: "demo", Msg: "accepted connection from 10.0.0.1",
			KVs: [][2]string{{"remote", "10.0.0.1:5432"}, {"count", "12"}, {"err", "connection refused"}}},
		{T: time.Date(2024, 3, 10, 13, 55, 1, 5e8, time.UTC), Level: "fatal", Logger: "db", Class: "io.example.db.Store",
			File: "store_sql.go", Line: 7, PID: 4242, TID: 9, Thread: "worker-1", App: "demo", Msg: "cannot open database"},
	}
	var in bytes.Buffer
	for _, e := range evs {
		b, _ := json.Marshal(e)
		in.Write(append(b, '\n'))
	}
	for _, c := range allConfigs() {
		if c.Library == "python3 logging" || c.Library == "ruby logger" || c.Library == "java.util.logging" {
			continue
		}
		var out bytes.Buffer
		if err := render(c, bytes.NewReader(in.Bytes()), &out); err != nil {
			t.Fatalf("%s: %v", c.Name, err)
		}
		recs := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
		if len(recs) != len(evs) {
			t.Fatalf("%s: %d records for %d events:\n%s", c.Name, len(recs), len(evs), out.String())
		}
		for i, r := range recs {
			var rec struct{ Out string }
			if err := json.Unmarshal([]byte(r), &rec); err != nil {
				t.Fatalf("%s: %v", c.Name, err)
			}
			if !strings.HasSuffix(rec.Out, "\n") || !strings.Contains(rec.Out, evs[i].Msg) {
				t.Errorf("%s: record %q does not end a line or lacks %q", c.Name, rec.Out, evs[i].Msg)
			}
		}
	}
}

func TestUnknownConfig(t *testing.T) {
	if err := run([]string{"render", "no-such"}, strings.NewReader(""), &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), "unknown configuration") {
		t.Fatalf("err %v", err)
	}
}
