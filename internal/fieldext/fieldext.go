// Package fieldext scores field extraction on the CrowdSec hub parser tests
// (evaluation data that is read at run time only, never copied into the
// repository): for each raw line, the share of the values CrowdSec's
// hand-written parsers extract that a parser under test also extracts. Only
// values that appear verbatim in the raw line count (derived values such as
// "program: nginx" do not).
package fieldext

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// HeldBack are the sets kept out of the development loop of the format
// parsers (chosen before that work started): only their aggregate is
// reported, never a per-set figure or a missed value, so that it stays a
// measure of formats nobody tuned on.
var HeldBack = map[string]bool{
	"traefik_clf": true, "envoy-logs": true, "haproxy-logs": true,
	"postfix-logs": true, "vsftpd-logs": true, "mongodb-logs": true,
}

// Dir returns the CrowdSec test directory as seen from a package directory
// of the repository or of a worktree under wt/, or "" when it is absent.
func Dir() string {
	for _, d := range []string{"../../shared/data/fieldext-dev/crowdsec", "../../../shared/data/fieldext-dev/crowdsec",
		"../../../../shared/data/fieldext-dev/crowdsec"} {
		if _, err := os.Stat(d); err == nil {
			return d
		}
	}
	return ""
}

// Values returns the values extracted from one raw line; a new function is
// asked for per set (a fresh stream per file).
type Values func(raw string) map[string]bool

// Score is the result of one set or of an aggregate.
type Score struct {
	Name         string
	Found, Total int
}

// Recall is Found/Total.
func (s Score) Recall() float64 {
	if s.Total == 0 {
		return 0
	}
	return float64(s.Found) / float64(s.Total)
}

func (s Score) String() string {
	return fmt.Sprintf("%s: %d/%d = %.3f", s.Name, s.Found, s.Total, s.Recall())
}

// Report holds per-set scores and the aggregates.
type Report struct {
	Sets          []Score // development sets only
	HeldBackScore Score
	DevScore      Score
	All           Score
	// Missed lists, for development sets, "set: value in line" for each
	// missed value (for debugging).
	Missed []string
}

// Run scores every set under dir; newValues is called once per set.
func Run(dir string, newValues func() Values) (*Report, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*", "*.pairs.jsonl"))
	if err != nil {
		return nil, err
	}
	rep := &Report{HeldBackScore: Score{Name: "held-back"}, DevScore: Score{Name: "development"}, All: Score{Name: "all"}}
	for _, file := range files {
		name := filepath.Base(filepath.Dir(file))
		sc, missed, err := runSet(file, name, newValues())
		if err != nil {
			return nil, err
		}
		if HeldBack[name] {
			rep.HeldBackScore.Found += sc.Found
			rep.HeldBackScore.Total += sc.Total
		} else {
			rep.DevScore.Found += sc.Found
			rep.DevScore.Total += sc.Total
			if sc.Total > 0 {
				rep.Sets = append(rep.Sets, sc)
			}
			rep.Missed = append(rep.Missed, missed...)
		}
		rep.All.Found += sc.Found
		rep.All.Total += sc.Total
	}
	sort.Slice(rep.Sets, func(i, j int) bool { return rep.Sets[i].Name < rep.Sets[j].Name })
	return rep, nil
}

func runSet(file, name string, values Values) (Score, []string, error) {
	sc := Score{Name: name}
	f, err := os.Open(file)
	if err != nil {
		return sc, nil, err
	}
	defer f.Close()
	var missed []string
	s := bufio.NewScanner(f)
	s.Buffer(nil, 1<<20)
	for s.Scan() {
		var pair struct {
			Raw      string                     `json:"raw"`
			Expected map[string]json.RawMessage `json:"expected"`
		}
		if err := json.Unmarshal(s.Bytes(), &pair); err != nil {
			return sc, nil, fmt.Errorf("%s: %w", file, err)
		}
		ours := values(pair.Raw)
		want := map[string]bool{}
		for stage, raw := range pair.Expected {
			if !strings.HasPrefix(stage, "s01-parse/") && !strings.HasPrefix(stage, "s00-raw/") {
				continue
			}
			var st struct {
				Success bool              `json:"success"`
				Parsed  map[string]string `json:"parsed"`
			}
			if json.Unmarshal(raw, &st) != nil || !st.Success {
				continue
			}
			for k, v := range st.Parsed {
				if k == "message" || len(v) < 2 || v == "-" || !strings.Contains(pair.Raw, v) || v == pair.Raw {
					continue
				}
				want[v] = true
			}
		}
		for v := range want {
			sc.Total++
			if ours[v] {
				sc.Found++
			} else {
				missed = append(missed, fmt.Sprintf("%s: missed %q in %.160q", name, v, pair.Raw))
			}
		}
	}
	return sc, missed, s.Err()
}
