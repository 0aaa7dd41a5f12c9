package logparse

import (
	"os"
	"strings"
	"testing"

	"github.com/gopulse/gopulse/internal/fieldext"
)

// TestFieldExtraction measures, on the CrowdSec parser tests (../shared/data,
// read at run time only), how many of the values CrowdSec's hand-written
// parsers extract from a line the format parsers also extract, with no
// configuration and a trivial free-text fallback (logengine's test measures
// the whole engine). Development and held-back sets are reported apart
// (see fieldext.HeldBack); it fails if the recall drops below the floors.
// FIELDEXT_DEBUG=1 lists the values missed in the development sets.
func TestFieldExtraction(t *testing.T) {
	dir := fieldext.Dir()
	if dir == "" {
		t.Skip("../shared/data/fieldext-dev not present")
	}
	rep, err := fieldext.Run(dir, func() fieldext.Values {
		s := NewStream(StreamOptions{Year: 2024, Fallback: textFallback{}})
		var r Record
		return func(raw string) map[string]bool {
			ours := map[string]bool{}
			if err := s.Parse([]byte(raw), &r); err != nil {
				return ours
			}
			ours[string(r.Message)] = true
			for _, f := range r.Fields {
				ours[string(f.Value)] = true
			}
			return ours
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	logFieldext(t, rep)
	for _, sc := range rep.Sets {
		// Floors for the access-log sets our parsers own (the misses are
		// derived values such as "1.1" from HTTP/1.1).
		if (sc.Name == "nginx_http-logs" || sc.Name == "apache2-logs") && sc.Recall() < 0.7 {
			t.Errorf("%s: recall under 0.7", sc)
		}
	}
	if rep.All.Recall() < 0.45 {
		t.Errorf("recall %s under 0.45", rep.All)
	}
}

func logFieldext(t *testing.T, rep *fieldext.Report) {
	t.Helper()
	for _, sc := range rep.Sets {
		t.Log(sc)
	}
	t.Log(rep.DevScore)
	t.Log(rep.HeldBackScore)
	t.Log(rep.All)
	if os.Getenv("FIELDEXT_DEBUG") != "" {
		t.Log("\n" + strings.Join(rep.Missed, "\n"))
	}
}
