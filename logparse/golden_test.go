package logparse

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/logs")

// goldenRecord is the JSON form of a Record in the golden files.
type goldenRecord struct {
	Line      int         `json:"line"`
	Format    string      `json:"format,omitempty"`
	Wrapper   string      `json:"wrapper,omitempty"`
	Stream    string      `json:"stream,omitempty"`
	Level     string      `json:"level,omitempty"`
	TS        int64       `json:"ts,omitempty"`
	Layout    string      `json:"layout,omitempty"`
	Message   *string     `json:"message,omitempty"`
	Fields    [][3]string `json:"fields,omitempty"`
	Truncated bool        `json:"truncated,omitempty"`
	Err       string      `json:"err,omitempty"`
}

func toGolden(n int, r *Record, err error) goldenRecord {
	g := goldenRecord{Line: n, Format: r.Format, Wrapper: r.Wrapper, Stream: string(r.Stream),
		Level: string(r.Level), TS: r.TS, Layout: r.TSLayout, Truncated: r.Truncated}
	if r.Message != nil {
		m := string(r.Message)
		g.Message = &m
	}
	for _, f := range r.Fields {
		v := string(f.Value)
		if f.Value == nil {
			v = "<nil>"
		}
		g.Fields = append(g.Fields, [3]string{string(f.Key), v, f.Type.String()})
	}
	if err != nil {
		g.Err = err.Error()
	}
	return g
}

// TestGolden parses every testdata/logs/*.log file with a fresh Stream (so
// detection, fallback and unwrapping are exercised) and compares with the
// .golden file next to it. Run with -update to rewrite them, then review
// the diff by hand.
func TestGolden(t *testing.T) {
	files, err := filepath.Glob("../testdata/logs/*.log")
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".log")
		t.Run(name, func(t *testing.T) {
			f, err := os.Open(file)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			s := NewStream(StreamOptions{Year: 2024})
			lr := NewLineReader(f, 0)
			var out bytes.Buffer
			enc := json.NewEncoder(&out)
			enc.SetEscapeHTML(false)
			var r Record
			n := 0
			for {
				line, trunc, err := lr.Next()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				n++
				perr := s.Parse(line, &r)
				if errors.Is(perr, ErrPartial) {
					continue
				}
				r.Truncated = r.Truncated || trunc
				if err := enc.Encode(toGolden(n, &r, perr)); err != nil {
					t.Fatal(err)
				}
			}
			if ok, perr := s.Flush(&r); ok {
				_ = enc.Encode(toGolden(n, &r, perr))
			}
			golden := strings.TrimSuffix(file, ".log") + ".golden"
			if *update {
				if err := os.WriteFile(golden, out.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update)", err)
			}
			if !bytes.Equal(out.Bytes(), want) {
				gl := strings.Split(out.String(), "\n")
				wl := strings.Split(string(want), "\n")
				for i := 0; i < len(gl) || i < len(wl); i++ {
					var g, w string
					if i < len(gl) {
						g = gl[i]
					}
					if i < len(wl) {
						w = wl[i]
					}
					if g != w {
						t.Errorf("golden line %d:\n got: %s\nwant: %s", i+1, g, w)
					}
				}
			}
		})
	}
}
