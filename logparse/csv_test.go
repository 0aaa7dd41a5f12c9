package logparse

import (
	"fmt"
	"strings"
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

// pgLine writes a PostgreSQL csvlog record of cols columns (23: 9.0 to
// 12, 24: 13, 26: 14 and later) in the manual's column order, with
// invented values.
func pgLine(cols, i int, sev, code, msg string) string {
	l := fmt.Sprintf(`2025-06-01 10:00:%02d.%03d UTC,"app","shelf",%d,"10.0.0.%d:%d",6764.%x,%d,"SELECT",2025-06-01 09:59:00 UTC,3/%d,0,%s,%s,"%s",,,,,,,,`,
		i%60, i*7%1000, 5000+i%7, 1+i%9, 40000+i, 0xe1+i%5, i+1, i, sev, code, msg)
	if cols >= 23 {
		l += `,"reporter"`
	}
	if cols >= 24 {
		l += `,"client backend"`
	}
	if cols >= 26 {
		l += `,,0`
	}
	return l
}

func TestCSVPostgresMessageFromTheFirstLine(t *testing.T) {
	// The first messages are not prose (a call and a figure, a name and a
	// number): by the stream's vote alone, the constant text column
	// backend_type ("client backend") would be their message.
	msgs := []string{"vacuum(3012) took 0.6614", "lease_table: 4", "checkpoint starting: time",
		"could not receive data from client: Connection reset by peer", "vacuum(77) took 0.1", "autovacuum of table shelf.blocks skipped"}
	for _, cols := range []int{23, 24, 26} {
		s := NewStream(StreamOptions{Year: 2025})
		var r Record
		for i := range 40 {
			m := msgs[i%len(msgs)]
			sev, code := "LOG", "00000"
			if i%len(msgs) == 3 {
				sev, code = "FATAL", "08006"
			}
			if err := s.Parse([]byte(pgLine(cols, i, sev, code, m)), &r); err != nil {
				t.Fatalf("%d columns, line %d: %v", cols, i+1, err)
			}
			if r.Format != "csv" || string(r.Message) != m {
				t.Fatalf("%d columns, line %d: format %q, message %q, want %q", cols, i+1, r.Format, r.Message, m)
			}
			for k, want := range map[string]string{"error_severity": sev, "sql_state_code": code, "user_name": "app",
				"database_name": "shelf", "command_tag": "SELECT", "message": m} {
				if v, ok := r.Get(k); !ok || string(v) != want {
					t.Errorf("%d columns, line %d: %s %q, want %q", cols, i+1, k, v, want)
				}
			}
			if v, _ := r.Get("backend_type"); cols >= 24 && string(v) != "client backend" {
				t.Errorf("%d columns, line %d: backend_type %q", cols, i+1, v)
			}
			if _, ok := r.Get("col.14"); ok {
				t.Errorf("%d columns, line %d: a col.N key on a csvlog record", cols, i+1)
			}
		}
	}
}

func TestCSVNotPostgres(t *testing.T) {
	// One thing off and the record is a CSV record like any other: its
	// columns keep their numbers.
	for name, l := range map[string]string{
		"severity":      strings.Replace(pgLine(26, 1, "LOG", "00000", "could not open file"), ",LOG,", ",NOTE,", 1),
		"code":          pgLine(26, 1, "LOG", "0000", "could not open file"),
		"lower-case":    pgLine(26, 1, "LOG", "0a000", "could not open file"),
		"too many":      pgLine(26, 1, "LOG", "00000", "could not open file") + ",x",
		"fewer than 22": `2025-06-01 10:00:00 UTC,"app","shelf",5,"h",1,1,"SELECT",2025-06-01 09:59:00 UTC,3/1,0,LOG,00000,"could not open file",,,`,
	} {
		var r Record
		if err := (CSV{}).Parse([]byte(l), &r); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if _, ok := r.Get("col.14"); !ok {
			t.Errorf("%s: read as csvlog", name)
		}
	}
}
