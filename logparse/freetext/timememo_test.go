package freetext

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/gopulse/gopulse/logparse"
)

// memoPair reads time texts through a timeMemo and through
// logparse.ParseTimeText, each with its own date order, and fails on the
// first answer or date order that differs.
type memoPair struct {
	m      timeMemo
	om, or logparse.DateOrder
}

func (p *memoPair) check(t *testing.T, text []byte, year int) {
	t.Helper()
	ts, layout, ok := p.m.parse(text, year, &p.om)
	wts, wlayout, wok := logparse.ParseTimeText(text, year, &p.or)
	if ts != wts || layout != wlayout || ok != wok {
		t.Fatalf("%q (year %d): memo %d %q %v, ParseTimeText %d %q %v", text, year, ts, layout, ok, wts, wlayout, wok)
	}
	if p.om != p.or {
		t.Fatalf("%q: date order %+v after the memo, %+v after ParseTimeText", text, p.om, p.or)
	}
}

var memoTexts = []string{
	"081109 203615", "081109 203615", "081109 203616", "081109 235959", "081110 000001", "081110 240000", "081110 000002",
	"2015-10-18 18:01:47,978", "2015-10-18 18:01:47,978", "2015-10-18 18:01:48,963", "2015-10-18 18:01:48,9", "2015-10-18 23:59:60,000",
	"2015-10-18 18:01:49,000", "2015-10-18T18:01:49.123456789", "2015-10-18T18:01:50.123456789", "2015-10-18T18:01:50.1234567891",
	"2015-10-18T18:01:50.1234567892", "2015-10-18T18:01:50Z", "2015-10-18T18:01:51Z", "2015-10-18 18:01:50+02:00", "2015-10-18 18:01:51+02:00",
	"17/06/09 20:10:40", "17/06/09 20:10:41", "03/04/24 10:00:00", "03/04/24 10:00:01", "13/04/24 10:00:01", "03/04/24 10:00:02",
	"03/04/2024 10:00:02", "03/14/2024 10:00:02", "03/04/2024 10:00:03",
	"10.30 16:49:06", "10.30 16:49:07", "10.31 16:49:07", "Dec 10 06:55:46", "Dec 10 06:55:47", "Dec  9 06:55:47", "Dec  9 07:55:47",
	"Mon Jun  8 12:08:44 2020", "Mon Jun  8 12:08:45 2020", "02 Jan 2024 10:15:00.000", "02 Jan 2024 10:15:01.999",
	"2024/01/02 15:04:05", "2024/01/02 15:04:06", "20240102-15:04:05:000", "20240102-15:04:06:000",
	"2024-01-02-15.04.05.000000", "2024-01-02-15.04.06.000000", "1704207845", "1704207846", "1704207845.123", "1704207845.124",
	"1704207845 12:00:00", "1704207845 12:00:01", "10:15:00.123", "10:15:01.123", "03-17 16:13:38.811", "03-17 16:13:39.811",
	"2024-01-05 10:15:00 UTC", "2024-01-05 10:15:01 UTC", "2024-01-05 10:15", "2024-01-05 10:16", "0102 15:04:05.000000", "0102 15:04:06.000000",
	"081109 203615", "081109 2036a5", "081109 203615", "2015-10-18 18:01:47,978",
}

// TestTimeMemoAsParseTimeText reads texts in a row (a clock moving, a
// date changing, clocks out of range, zones, fractions too long, dates
// whose order is learnt) through the memo and through ParseTimeText.
func TestTimeMemoAsParseTimeText(t *testing.T) {
	for _, year := range []int{0, 2024} {
		var p memoPair
		for _, s := range memoTexts {
			p.check(t, []byte(s), year)
		}
		for i := len(memoTexts) - 1; i >= 0; i-- {
			p.check(t, []byte(memoTexts[i]), year)
		}
	}
}

// TestTimeMemoStandsAside: texts the memo does not answer, many in a
// row (it stands aside, then tries again), then texts it does.
func TestTimeMemoStandsAside(t *testing.T) {
	var p memoPair
	for i := 0; i < 100; i++ {
		p.check(t, []byte(fmt.Sprintf("17040%05d.%03d", i*37, i%1000)), 2024)
		if i%10 == 0 {
			p.check(t, []byte(fmt.Sprintf("17040%05d.%03d", i*37, i%1000)), 2024)
		}
	}
	for i := 0; i < 100; i++ {
		p.check(t, []byte(fmt.Sprintf("2024-12-28T21:%02d:%02d.%03dZ", i/60, i%60, i*7%1000)), 2024)
	}
	if p.m.clk != 11 || p.m.skip != 0 {
		t.Fatalf("the memo reads no clock (at %d, %d texts to skip) after a run of clocks", p.m.clk, p.m.skip)
	}
}

// TestTimeMemoMovesClock: a clock that ends the text is moved by its
// digits, and no other time is.
func TestTimeMemoMovesClock(t *testing.T) {
	for _, c := range []struct {
		text string
		clk  int
	}{
		{"081109 203615", 7},
		{"2015-10-18 18:01:47,978", 11},
		{"17/06/09 20:10:40", 9},
		{"10.30 16:49:06", 6},
		{"Dec 10 06:55:46", 7},
		{"2015-10-18T18:01:49.123456789", 11},
		{"2015-10-18T18:01:50Z", 11},
		{"2024-12-28T21:29:24.149Z", 11},
		{"2015-10-18 18:01:50+02:00", 0},      // a zone after the clock
		{"1704207845 12:00:00", 0},            // an epoch
		{"2015-10-18T18:01:50.1234567891", 0}, // ten digits of fraction
		{"2024-01-05 10:15", 0},               // no seconds
	} {
		var m timeMemo
		var o logparse.DateOrder
		m.parse([]byte(c.text), 2024, &o)
		if m.clk != c.clk {
			t.Errorf("%q: clock at %d, want %d", c.text, m.clk, c.clk)
		}
	}
	var p memoPair
	p.check(t, []byte("081109 203615"), 2024)
	p.check(t, []byte("081109 203716"), 2024)
	if string(p.m.text[:p.m.n]) != "081109 203716" || p.m.clk != 7 {
		t.Fatalf("memo holds %q, clock at %d: the clock was not moved", p.m.text[:p.m.n], p.m.clk)
	}
}

// parserPair reads lines through two stream parsers, one without the
// time memo, and fails on the first record that differs.
type parserPair struct {
	fast, slow *Parser
	rf, rs     logparse.Record
}

func newParserPair() *parserPair {
	p := &parserPair{fast: NewParser(2024), slow: NewParser(2024)}
	p.slow.tm = nil
	return p
}

func (p *parserPair) check(t *testing.T, line []byte) {
	t.Helper()
	p.rf.Reset()
	p.rs.Reset()
	ef := p.fast.Parse(line, &p.rf)
	es := p.slow.Parse(line, &p.rs)
	if (ef == nil) != (es == nil) || p.rf.TS != p.rs.TS || p.rf.TSLayout != p.rs.TSLayout ||
		!bytes.Equal(p.rf.Message, p.rs.Message) || !reflect.DeepEqual(p.rf.Fields, p.rs.Fields) {
		t.Fatalf("%q: with the memo %d %q %q %v, without %d %q %q %v", line,
			p.rf.TS, p.rf.TSLayout, p.rf.Message, ef, p.rs.TS, p.rs.TSLayout, p.rs.Message, es)
	}
}

// TestParserTimeMemo runs a stream parser with its time memo and one
// without side by side on header layouts of each time layout.
func TestParserTimeMemo(t *testing.T) {
	lines := []string{
		"081109 203615 148 INFO dfs.DataNode$PacketResponder: PacketResponder 1 terminating",
		"081109 203615 148 INFO dfs.DataNode$PacketResponder: PacketResponder 2 terminating",
		"081109 203807 222 INFO dfs.DataNode$PacketResponder: PacketResponder 0 terminating",
		"081110 000001 222 INFO dfs.DataNode$PacketResponder: PacketResponder 0 terminating",
		"2015-10-18 18:01:47,978 INFO [main] org.apache.Foo: Created",
		"2015-10-18 18:01:48,963 INFO [main] org.apache.Foo: Executing",
		"2015-10-18 18:01:48,963 INFO [main] org.apache.Foo: Executing",
		"17/06/09 20:10:40 INFO spark.SecurityManager: Changing view acls",
		"17/06/09 20:10:41 INFO spark.SecurityManager: Changing view acls",
		"[10.30 16:49:06] chrome.exe - proxy.example.org:5070 open",
		"[10.30 16:49:07] chrome.exe - proxy.example.org:5070 close",
		"Dec 10 06:55:46 host sshd[24200]: Invalid user admin",
		"Dec 10 06:55:47 host sshd[24200]: Invalid user root",
		"Jan  1 00:00:01 host sshd[24200]: Invalid user root",
		"03/04/24 10:00:00 INFO app: started",
		"03/04/24 10:00:01 INFO app: started",
		"13/04/24 10:00:02 INFO app: started",
		"03/04/24 10:00:03 INFO app: started",
		"10:15:00.123 INFO app: a time of day alone",
		"10:15:01.123 INFO app: a time of day alone",
		"2024-01-05T10:15:00Z INFO app: zoned",
		"2024-01-05T10:15:01Z INFO app: zoned",
		"2024-01-05 23:59:59,999 WARN app: before midnight",
		"2024-01-06 00:00:00,000 WARN app: after midnight",
	}
	p := newParserPair()
	for _, l := range lines {
		p.check(t, []byte(l))
	}
}

// TestParserTimeMemoOnFiles runs the pair of parsers over every line of
// the files named by GOPULSE_TIMEMEMO_FILES (a glob; skipped when unset):
// LogHub's sets and the corpus.
func TestParserTimeMemoOnFiles(t *testing.T) {
	glob := os.Getenv("GOPULSE_TIMEMEMO_FILES")
	if glob == "" {
		t.Skip("GOPULSE_TIMEMEMO_FILES not set")
	}
	files, err := filepath.Glob(glob)
	if err != nil || len(files) == 0 {
		t.Fatalf("GOPULSE_TIMEMEMO_FILES=%q: %v, %d files", glob, err, len(files))
	}
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		p := newParserPair()
		sc := bufio.NewScanner(fh)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			if line := bytes.TrimRight(sc.Bytes(), "\r"); len(line) > 0 {
				p.check(t, line)
			}
		}
		fh.Close()
		if err := sc.Err(); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
	}
}

// FuzzTimeMemo: texts in a row, each the last with its digits replaced
// by the input's bytes where the input says so, so that clocks move,
// dates change and clocks leave their range.
func FuzzTimeMemo(f *testing.F) {
	f.Add([]byte("081109 203615"), []byte("\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x0a"))
	f.Add([]byte("2015-10-18 18:01:47,978"), []byte("\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x09"))
	f.Add([]byte("03/04/24 10:00:00"), []byte("\x0d\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x09"))
	f.Add([]byte("Dec 10 06:55:46"), []byte("\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x03"))
	f.Add([]byte("10.30 16:49:06"), []byte("\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x0a\x00\x02"))
	f.Fuzz(func(t *testing.T, text, edits []byte) {
		if len(text) == 0 || len(text) > 48 {
			return
		}
		var p memoPair
		cur := append([]byte(nil), text...)
		p.check(t, cur, 2024)
		for i, e := range edits {
			j := i % len(cur)
			switch {
			case e == 0:
				continue
			case e <= 10 && isDigit(cur[j]):
				cur[j] = '0' + (cur[j]-'0'+e)%10 // another digit
			case e > 10 && e <= 20:
				p.check(t, cur, 2024) // the same text again
				continue
			default:
				cur[j] = e // any byte
			}
			p.check(t, cur, int(e&1)*2024)
		}
	})
}
