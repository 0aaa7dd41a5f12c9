package main

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// TestR8Plan pins the r8 part of the eighth round: its projects and
// configurations against the split rule, librender's list and every
// earlier part, and each configuration's output on the fixture.
func TestR8Plan(t *testing.T) {
	t.Parallel()
	checkLibPart(t, partR8, r8Projects, r8Configs, r8Plan(), map[string]string{
		"zerolog-console":        "661b8a2bacd4",
		"zerolog-console-caller": "4c9fafc8f7d2",
		"zerolog-json":           "d128c3f02bd3",
		"logrus-text":            "37b88abacf7a",
		"logrus-text-datetime":   "d66911cdcbb5",
		"logrus-json":            "f105cfc507db",
		"charm-text":             "7bf1a20a8dae",
		"charm-logfmt":           "0619fba8a079",
		"log15-logfmt":           "5a430e6e55b4",
		"log15-json":             "0639c43d73fe",
		"gokit-logfmt":           "68e5ef0e2e24",
		"gokit-json":             "ab05df581a58",
		"slog-text":              "c0d531cf38b4",
		"slog-json":              "13f7b2218c5e",
		"py-basic":               "57d086358695",
		"py-celery-task":         "80bcd6063b2e",
		"py-airflow":             "c2de47f25470",
		"py-scrapy":              "22115f7cc7cf",
		"py-django-verbose":      "74c8209f4e59",
		"py-salt":                "2266c34077da",
		"jul-javadoc":            "2e4b7105f205",
		"jul-default":            "cca90b317f77",
	})
}

// TestR8BuildQuiet: a plain build writes r8's sets but names none of them
// (an r8 project stands in the fixture's statements).
func TestR8BuildQuiet(t *testing.T) {
	t.Parallel()
	testLibrender(t) // built once for the package's tests
	cache := t.TempDir()
	var stderr bytes.Buffer
	p := r8Projects[0]
	if err := build(cache, 60, map[string]string{p.Module: filepath.Join("testdata", "fixture")}, "", &stderr); err != nil {
		t.Fatal(err, stderr.String())
	}
	var want []string
	for _, s := range r8Plan() {
		if s.Project.Module == p.Module {
			want = append(want, s.Config)
		}
	}
	logs, _ := filepath.Glob(filepath.Join(cache, partR8, "*.log"))
	if len(want) == 0 || len(logs) != len(want) {
		t.Fatalf("r8 datasets %v, want %d", logs, len(want))
	}
	out := stderr.String()
	if !strings.Contains(out, fmt.Sprintf("r8: %d sets, held back whole", len(want))) || strings.Contains(out, p.Module) || strings.Contains(out, slug(p.Module)) {
		t.Fatalf("a plain build names r8's sets or misses their count:\n%s", out)
	}
	for _, c := range r8Configs {
		if strings.Contains(out, c) {
			t.Fatalf("a plain build names r8's configuration %s:\n%s", c, out)
		}
	}
}
