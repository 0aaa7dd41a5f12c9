package logparse

import (
	"fmt"
	"testing"
)

// The records below are written for these tests, in the manner of the
// CSV logs csv.go names: a time, ids, a severity and a code, the message
// quoted, then mostly empty columns.

func csvLines(n int) (lines, msgs []string) {
	texts := []string{`could not read "blue" block %d: timeout`, `lease renewed for slot %d`, `cache warmup finished`, `shard %d moved to "east"`}
	for i := range n {
		m := texts[i%len(texts)]
		if i%len(texts) != 2 {
			m = fmt.Sprintf(m, i)
		}
		q := ""
		for _, c := range m {
			if c == '"' {
				q += `""`
			} else {
				q += string(c)
			}
		}
		lines = append(lines, fmt.Sprintf(`2025-06-01 10:%02d:%02d.123,"svc","shelf",4242,"10.0.0.%d",%d,%s,E0%02d,"%s",,,,,,"loader",""`,
			i/60%60, i%60, 1+i%9, 70+i%5, []string{"WARN", "INFO", "ERROR"}[i%3], i%len(texts), q))
		msgs = append(msgs, m)
	}
	return lines, msgs
}

func TestCSVRecords(t *testing.T) {
	lines, msgs := csvLines(80)
	s := NewStream(StreamOptions{Year: 2025})
	var r Record
	for i, l := range lines {
		if err := s.Parse([]byte(l), &r); err != nil {
			t.Fatalf("line %d: %v", i+1, err)
		}
		if r.Format != "csv" {
			t.Fatalf("line %d: format %q", i+1, r.Format)
		}
		if string(r.Message) != msgs[i] {
			t.Errorf("line %d: message %q, want %q", i+1, r.Message, msgs[i])
		}
		if len(r.Fields) != 16 {
			t.Errorf("line %d: %d fields, want 16", i+1, len(r.Fields))
		}
		if v, _ := r.Get("col.5"); string(v) != fmt.Sprintf("10.0.0.%d", 1+i%9) {
			t.Errorf("line %d: col.5 %q", i+1, v)
		}
		if want := []string{"warn", "info", "error"}[i%3]; string(r.Level) != want {
			t.Errorf("line %d: level %q, want %q", i+1, r.Level, want)
		}
		if r.TS == 0 {
			t.Errorf("line %d: no time", i+1)
		}
	}
	if s.Format() != "csv" {
		t.Errorf("stream format %q", s.Format())
	}
}

func TestCSVNotTaken(t *testing.T) {
	var r Record
	for _, l := range []string{
		`2025-06-01 10:00:00 connected to a, b, c, d, e, f, g and h`, // commas in text
		`2025-06-01,"svc",4242,"could not read block",,`,             // too few columns
		`a,b,c,d,e,f,g,h,i`,                                               // no quoted text
		`2025-06-01,x,y,z,1,2,3,"a b"c,,`,                                 // text after a quote
		`2025-06-01,x,y,z,1,2,3,he said "no",,`,                           // a quote unquoted
		`2025-06-01,x,y,z,1,2,3,"unterminated,,`,                          // no closing quote
		`{"a":"b c","d":1,"e":2,"f":3,"g":4,"h":5,"i":6,"j":7,"k":"x,y"}`, // JSON
	} {
		r.Reset()
		if err := (CSV{}).Parse([]byte(l), &r); err == nil {
			t.Errorf("%s: taken as csv (%d fields)", l, len(r.Fields))
		}
	}
}

func TestCSVZeroAllocs(t *testing.T) {
	lines, _ := csvLines(2 * msgVoteRecords)
	s := NewStream(StreamOptions{Year: 2025, DetectLines: 1})
	var r Record
	for _, l := range lines {
		if err := s.Parse([]byte(l), &r); err != nil {
			t.Fatal(err)
		}
	}
	b := []byte(lines[0])
	if a := testing.AllocsPerRun(200, func() { _ = s.Parse(b, &r) }); a != 0 {
		t.Errorf("%.1f allocs per line", a)
	}
	if string(r.Message) != `could not read "blue" block 0: timeout` {
		t.Errorf("message %q", r.Message)
	}
}
