package logengine

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestTemplateCountsSumToLines: a stream whose header model takes a
// message word into the header on its first lines and gives it back
// later ("[store] ledger: Replay …", testdata/miner/rehome.log) re-reads
// those lines as other messages (RehomeAll). Each line is still counted
// once: the templates' counts sum to the lines read, in the learning pass
// (logs inspect) and in one pass (the agent, logs parse --online).
func TestTemplateCountsSumToLines(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "testdata", "miner", "rehome.log"))
	if err != nil {
		t.Fatal(err)
	}
	lines := bytes.Split(bytes.TrimSuffix(raw, []byte("\n")), []byte("\n"))
	for _, mode := range []Mode{ModeLearn, ModeOnline} {
		eng, err := New(Config{MaxTemplates: 1 << 16, Schema: true, Params: true})
		if err != nil {
			t.Fatal(err)
		}
		st := eng.NewStream()
		records := 0
		see := func(r *Result) {
			if r.Err != nil {
				t.Fatalf("mode %d: %q: %v", mode, r.Rec.Body, r.Err)
			}
			if !r.Partial {
				records++
			}
		}
		for _, l := range lines {
			if mode == ModeLearn {
				see(st.Learn(l))
			} else {
				see(st.Online(l))
			}
		}
		for r, ok := st.Flush(mode); ok; r, ok = st.Flush(mode) {
			see(r)
		}
		if records != len(lines) {
			t.Fatalf("mode %d: %d records of %d single lines", mode, records, len(lines))
		}
		if mode == ModeLearn {
			eng.EndLearning() // as logs inspect does before it lists them
		}
		var sum uint64
		for _, tm := range eng.Miner().Templates() {
			sum += tm.Count
		}
		if sum != uint64(len(lines)) {
			t.Errorf("mode %d: template counts sum to %d, %d lines read", mode, sum, len(lines))
		}
		if eng.Miner().Len() == 0 {
			t.Fatalf("mode %d: nothing mined", mode)
		}
	}
}
