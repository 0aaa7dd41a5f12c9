package logengine

import (
	"os"
	"strings"
	"testing"

	"github.com/gopulse/gopulse/internal/fieldext"
)

// TestFieldExtraction measures the whole engine (formats, free-text
// headers, refinement) on the CrowdSec parser tests (../shared/data, read at
// run time only): the share of the values CrowdSec's parsers extract that
// the engine's fields or message also hold. Development and held-back sets
// are reported apart (fieldext.HeldBack). FIELDEXT_DEBUG=1 lists the values
// missed in the development sets.
func TestFieldExtraction(t *testing.T) {
	dir := fieldext.Dir()
	if dir == "" {
		t.Skip("../shared/data/fieldext-dev not present")
	}
	rep, err := fieldext.Run(dir, func() fieldext.Values {
		e := mustNew(t, Config{Year: 2024})
		st := e.NewStream()
		return func(raw string) map[string]bool {
			ours := map[string]bool{}
			for _, res := range feedFlush(st, []byte(raw)) {
				ours[string(res.Message)] = true
				for _, f := range res.Fields {
					ours[f.Value] = true
				}
			}
			return ours
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, sc := range rep.Sets {
		t.Log(sc)
	}
	t.Log(rep.DevScore)
	t.Log(rep.HeldBackScore)
	t.Log(rep.All)
	if os.Getenv("FIELDEXT_DEBUG") != "" {
		t.Log("\n" + strings.Join(rep.Missed, "\n"))
	}
	if rep.All.Recall() < 0.5 {
		t.Errorf("recall %s under 0.5", rep.All)
	}
}

type flatField struct{ Key, Value string }

type flatRecord struct {
	Message string
	Fields  []flatField
}

// feedFlush parses one line and returns every record it completes (copied).
func feedFlush(st *Stream, line []byte) []flatRecord {
	var out []flatRecord
	keep := func(r *Result) {
		if r.Err != nil || r.Partial {
			return
		}
		fr := flatRecord{Message: string(r.Rec.Message)}
		for _, f := range r.Rec.Fields {
			fr.Fields = append(fr.Fields, flatField{string(f.Key), string(f.Value)})
		}
		out = append(out, fr)
	}
	keep(st.Parse(line))
	for r, ok := st.Flush(ModeParse); ok; r, ok = st.Flush(ModeParse) {
		keep(r)
	}
	return out
}
