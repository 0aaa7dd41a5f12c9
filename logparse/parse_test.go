package logparse

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/gopulse/gopulse/event"
)

func TestTimestampsMatchTimeParse(t *testing.T) {
	for _, tc := range []struct {
		in, goLayout string
		parse        func([]byte) (int64, int, bool)
	}{
		{"2024-03-05T10:11:12Z", time.RFC3339Nano, ParseRFC3339},
		{"2024-03-05T10:11:12.123456789+05:30", time.RFC3339Nano, ParseRFC3339},
		{"1999-12-31T23:59:59.5-08:00", time.RFC3339Nano, ParseRFC3339},
		{"2024-02-29T00:00:00Z", time.RFC3339Nano, ParseRFC3339},
		{"1970-01-01T00:00:00Z", time.RFC3339Nano, ParseRFC3339},
		{"1969-07-20T20:17:40Z", time.RFC3339Nano, ParseRFC3339},
		{"10/Oct/2000:13:55:36 -0700", "02/Jan/2006:15:04:05 -0700", ParseCLFTime},
		{"29/Feb/2024:23:59:59 +1400", "02/Jan/2006:15:04:05 -0700", ParseCLFTime},
		{"2024/03/05 10:11:12", "2006/01/02 15:04:05", ParseNginxTime},
		{"Tue Mar 05 10:11:12.123456 2024", "Mon Jan 02 15:04:05.000000 2006", ParseApacheTime},
		{"Wed Oct 11 14:32:52 2000", "Mon Jan 02 15:04:05 2006", ParseApacheTime},
	} {
		want, err := time.Parse(tc.goLayout, tc.in)
		if err != nil {
			t.Fatalf("%s: %v", tc.in, err)
		}
		got, n, ok := tc.parse([]byte(tc.in))
		if !ok || n != len(tc.in) || got != want.UnixNano() {
			t.Errorf("%s: got %d (n=%d ok=%v), want %d", tc.in, got, n, ok, want.UnixNano())
		}
	}
	sys, n, ok := ParseSyslogTime([]byte("Mar  5 10:11:12 host"), 2024)
	if want := time.Date(2024, 3, 5, 10, 11, 12, 0, time.UTC).UnixNano(); !ok || n != 15 || sys != want {
		t.Errorf("syslog: %d %d %v", sys, n, ok)
	}
	kl, n, ok := ParseKlogTime([]byte("0305 10:11:12.000123 x"), 2024)
	if want := time.Date(2024, 3, 5, 10, 11, 12, 123000, time.UTC).UnixNano(); !ok || n != 20 || kl != want {
		t.Errorf("klog: %d %d %v", kl, n, ok)
	}
	for in, want := range map[string]int64{
		"1709633472":          1709633472e9,
		"1709633472.25":       1709633472250000000,
		"1709633472123":       1709633472123e6,
		"1709633472123456":    1709633472123456e3,
		"1709633472123456789": 1709633472123456789,
	} {
		got, n, _, ok := ParseEpoch([]byte(in))
		if !ok || n != len(in) || got != want {
			t.Errorf("epoch %s: %d %d %v", in, got, n, ok)
		}
	}
	for _, bad := range []string{"2024-13-05T10:11:12Z", "2024-03-05T25:11:12Z", "2024-03-05", "12345", "32/Jan/2020:00:00:00 +0000", "Foo  5 10:11:12"} {
		if _, _, _, ok := ParseAnyTime([]byte(bad), 2024); ok {
			t.Errorf("%q parsed", bad)
		}
	}
}

func matchAll(m Matcher, in string) (string, bool) {
	var r Record
	st := State{In: []byte(in), Rec: &r}
	e := m.Match(&st, 0)
	if e < 0 {
		return "", false
	}
	return in[:e], true
}

func TestTokens(t *testing.T) {
	for _, tc := range []struct {
		m        Matcher
		in, want string
	}{
		{IP(true), "192.168.0.1:8080 x", "192.168.0.1:8080"},
		{IP(false), "192.168.0.1 x", "192.168.0.1"},
		{IP(true), "[2001:db8::1]:443 x", "[2001:db8::1]:443"},
		{IP(false), "2001:db8:0:0:1:0:0:1 x", "2001:db8:0:0:1:0:0:1"},
		{IP(false), "::1 x", "::1"},
		{IP(false), ":: x", "::"},
		{IP(false), "fe80:: x", "fe80::"},
		{IP(false), "::ffff:192.0.2.128 x", "::ffff:192.0.2.128"},
		{IP(false), "256.1.1.1", ""},
		{IP(false), "1.2.3", ""},
		{IP(false), "1:2:3:4:5:6:7:8:9", ""},
		{IPv4(), "10.0.0.1", "10.0.0.1"},
		{Int(), "-42 x", "-42"},
		{Float(), "3.25e-2,", "3.25e-2"},
		{Float(), ".5", ".5"},
		{Float(), "-", ""},
		{Duration(), "1h2m3.5s ", "1h2m3.5s"},
		{Duration(), "300ms", "300ms"},
		{Duration(), "250µs", "250µs"},
		{Duration(), "12", ""},
		{Duration(), "5sec", ""},
		{Quoted(), `"a \"b\" c" d`, `"a \"b\" c"`},
		{Quoted(), `"unterminated`, ""},
		{Bracketed('[', ']', nil), "[x y] z", "[x y]"},
		{Bracketed('[', ']', Int()), "[12] z", "[12]"},
		{Bracketed('[', ']', Int()), "[1x]", ""},
		{Seq(Word(), Space(), Int()), "abc   12", "abc   12"},
		{Alt(Int(), Word()), "abc", "abc"},
		{Opt(Lit("x")), "y", ""},
		{Many(Seq(Int(), OptSpace())), "1 2 3 x", "1 2 3 "},
		{Time(LayoutCLF, LayoutRFC3339), "2024-01-02T03:04:05Z]", "2024-01-02T03:04:05Z"},
		{KeyValues(), `a=1 b="x y"`, `a=1 b="x y"`},
		{Seq(Until(':', false), Byte(':')), "key:", "key:"},
		{End(), "  ", "  "},
	} {
		got, ok := matchAll(tc.m, tc.in)
		if tc.want == "" && tc.in != "y" {
			if ok && got != "" {
				t.Errorf("%T %q: matched %q, want no match", tc.m, tc.in, got)
			}
			continue
		}
		if !ok || got != tc.want {
			t.Errorf("%T %q: got %q (%v), want %q", tc.m, tc.in, got, ok, tc.want)
		}
	}
}

func TestCaptureAndBacktrack(t *testing.T) {
	// The first alternative captures a field then fails: the field must go.
	m := Alt(
		Seq(Capture("a", event.TypeInt, Int()), Lit("!")),
		Seq(Capture("b", event.TypeString, Word())),
	)
	var r Record
	st := State{In: []byte("12?"), Rec: &r}
	if e := m.Match(&st, 0); e != 3 {
		t.Fatalf("end %d", e)
	}
	if len(r.Fields) != 1 || string(r.Fields[0].Key) != "b" || string(r.Fields[0].Value) != "12?" {
		t.Fatalf("fields %+v", r.Fields)
	}
	// Quoted captures are unescaped only when they hold escapes.
	r.Reset()
	line := []byte(`"plain" "es\"c\u00e9\n"`)
	st = State{In: line, Rec: &r}
	q := Seq(Capture("p", event.TypeString, Quoted()), Space(), Capture("e", event.TypeString, Quoted()))
	if q.Match(&st, 0) != len(line) {
		t.Fatal("no match")
	}
	p, _ := r.Get("p")
	e, _ := r.Get("e")
	if string(p) != "plain" || &p[0] != &line[1] {
		t.Errorf("plain value %q is not a sub-slice of the line", p)
	}
	if string(e) != "es\"cé\n" {
		t.Errorf("escaped value %q", e)
	}
}

func TestUnescapeUnicode(t *testing.T) {
	var r Record
	for in, want := range map[string]string{
		`\ud83d\ude00`: "😀",
		`\ud83d`:       "\uFFFD",
		`\u12`:         `\u12`,
		`a\qb`:         `a\qb`,
		`\x41`:         `\x41`,
		`end\`:         `end\`,
	} {
		if got := string(unescape(&r, []byte(in))); got != want {
			t.Errorf("unescape(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestNormalizeLevel(t *testing.T) {
	for in, want := range map[string]string{
		"INFO": "info", "Warning": "warn", "ERR": "error", "crit": "fatal", "notice": "info",
		"DEBUG": "debug", "trace": "trace", "E": "error", "panic": "fatal", "bogus": "", "": "",
		"30": "info", "50": "error", "35": "",
		"DBUG": "debug", "EROR": "error", "TRCE": "trace", // log15
		// symbols: log-symbols and figures, consola, signale, apex/log
		"ℹ": "info", "✔": "info", "⚠": "warn", "⚠\uFE0F": "warn", "✖": "error", "⨯": "error",
		"⚙": "debug", "→": "trace", "•": "info", "·": "", "»": "", "✔✔": "",
	} {
		if got := string(NormalizeLevel([]byte(in))); got != want {
			t.Errorf("%q: %q, want %q", in, got, want)
		}
	}
}

func TestStreamDetectionAndFallback(t *testing.T) {
	fb := textFallback{}
	s := NewStream(StreamOptions{Fallback: fb, DetectLines: 3, Year: 2024})
	var r Record
	lines := []string{
		`level=info msg=one`,
		`not structured at all`,
		`level=warn msg=two`,
		`level=error msg=three`,
		`{"msg":"json line inside a logfmt stream"}`,
		`free text again`,
	}
	wantFmt := []string{"logfmt", "text", "logfmt", "logfmt", "json", "text"}
	for i, l := range lines {
		if err := s.Parse([]byte(l), &r); err != nil {
			t.Fatalf("line %d: %v", i+1, err)
		}
		if r.Format != wantFmt[i] {
			t.Errorf("line %d: format %q, want %q", i+1, r.Format, wantFmt[i])
		}
	}
	if s.Format() != "logfmt" {
		t.Errorf("stream format %q", s.Format())
	}
	f := s.Formats()
	if f["logfmt"] != 3 || f["json"] != 1 || f["text"] != 2 {
		t.Errorf("formats %v", f)
	}
	// Without a fallback, an unparsable line returns an error but keeps its body.
	s = NewStream(StreamOptions{})
	err := s.Parse([]byte("free text"), &r)
	var se *SyntaxError
	if !errors.As(err, &se) || string(r.Body) != "free text" {
		t.Errorf("err %v body %q", err, r.Body)
	}
}

// textFallback stands for the free-text parser another package provides.
type textFallback struct{}

func (textFallback) Name() string { return "text" }
func (textFallback) Parse(line []byte, r *Record) error {
	r.Format, r.Message, r.Body = "text", line, line
	return nil
}

func TestWrappers(t *testing.T) {
	s := NewStream(StreamOptions{Year: 2024})
	var r Record
	// CRI partial lines, across a stream switch (stdout then stderr).
	if err := s.Parse([]byte("2024-01-02T00:00:00Z stdout P level=info "), &r); !errors.Is(err, ErrPartial) {
		t.Fatalf("P line: %v", err)
	}
	if err := s.Parse([]byte("2024-01-02T00:00:01Z stdout F msg=joined\r"), &r); err != nil {
		t.Fatal(err)
	}
	if r.Format != "logfmt" || string(r.Message) != "joined" || r.Wrapper != "cri" || string(r.Stream) != "stdout" {
		t.Errorf("joined: %+v", r)
	}
	// A trailing partial line is returned by Flush.
	if err := s.Parse([]byte(`2024-01-02T00:00:02Z stderr P {"msg":"never finished"}`), &r); !errors.Is(err, ErrPartial) {
		t.Fatal(err)
	}
	ok, err := s.Flush(&r)
	if !ok || err != nil || string(r.Message) != "never finished" || string(r.Stream) != "stderr" {
		t.Errorf("flush: %v %v %+v", ok, err, r)
	}
	if ok, _ := s.Flush(&r); ok {
		t.Error("second flush returned a line")
	}
	// Partial stdout and stderr lines interleave; each is joined with its own.
	for _, l := range []string{
		"2024-01-02T00:00:03Z stdout P level=info msg=",
		"2024-01-02T00:00:03Z stderr P level=error ",
		"2024-01-02T00:00:04Z stdout F out",
	} {
		err = s.Parse([]byte(l), &r)
	}
	if err != nil || string(r.Message) != "out" || string(r.Stream) != "stdout" {
		t.Errorf("interleaved stdout: %v %q %q", err, r.Message, r.Stream)
	}
	if err := s.Parse([]byte("2024-01-02T00:00:05Z stderr F msg=err"), &r); err != nil || string(r.Message) != "err" || string(r.Level) != "error" {
		t.Errorf("interleaved stderr: %v %q %q", err, r.Message, r.Level)
	}
	// The shortest CRI line: an empty message.
	if err := s.Parse([]byte("2024-01-02T00:00:06Z stdout F"), &r); err != nil || r.Wrapper != "cri" || r.Format != "empty" {
		t.Errorf("empty CRI line: %v wrapper %q format %q", err, r.Wrapper, r.Format)
	}
	// Docker chunks.
	s = NewStream(StreamOptions{Year: 2024})
	if err := s.Parse([]byte(`{"log":"{\"msg\":\"a","stream":"stdout","time":"2024-01-02T00:00:00Z"}`), &r); !errors.Is(err, ErrPartial) {
		t.Fatal(err)
	}
	if err := s.Parse([]byte(`{"log":"b\"}\n","stream":"stdout","time":"2024-01-02T00:00:00Z"}`), &r); err != nil {
		t.Fatal(err)
	}
	if string(r.Message) != "ab" || r.Wrapper != "docker" || r.TS != time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC).UnixNano() {
		t.Errorf("docker: %+v", r)
	}
}

func TestWrapperYear(t *testing.T) {
	// klog has no year: a CRI wrapper's timestamp supplies it.
	s := NewStream(StreamOptions{Year: 2030})
	var r Record
	if err := s.Parse([]byte("2021-12-31T23:59:59Z stderr F I1231 23:59:58.000000 1 a.go:1] x"), &r); err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2021, 12, 31, 23, 59, 58, 0, time.UTC).UnixNano(); r.TS != want || r.TSLayout != LayoutKlog {
		t.Errorf("ts %d (%s), want %d", r.TS, r.TSLayout, want)
	}
	// A December line in a January wrapper belongs to the year before.
	if err := s.Parse([]byte("2022-01-01T00:00:01Z stderr F I1231 23:59:59.000000 1 a.go:1] x"), &r); err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2021, 12, 31, 23, 59, 59, 0, time.UTC).UnixNano(); r.TS != want {
		t.Errorf("ts %d, want %d", r.TS, want)
	}
}

func TestAutoYear(t *testing.T) {
	// Read on 2027-01-01, a syslog line from December belongs to 2026 and
	// one from January to 2027.
	now := func() time.Time { return time.Date(2027, 1, 1, 0, 30, 0, 0, time.UTC) }
	s := NewStream(StreamOptions{Now: now})
	var r Record
	for line, want := range map[string]time.Time{
		"Dec 31 23:59:59 host app[1]: late": time.Date(2026, 12, 31, 23, 59, 59, 0, time.UTC),
		"Jan  1 00:10:00 host app[1]: new":  time.Date(2027, 1, 1, 0, 10, 0, 0, time.UTC),
	} {
		if err := s.Parse([]byte(line), &r); err != nil {
			t.Fatal(err)
		}
		if r.TS != want.UnixNano() {
			t.Errorf("%s: %v, want %v", line, time.Unix(0, r.TS).UTC(), want)
		}
	}
	line := []byte("Dec 31 23:59:59 host app[1]: late")
	if a := testing.AllocsPerRun(100, func() { _ = s.Parse(line, &r) }); a != 0 {
		t.Errorf("%.1f allocs per line", a)
	}
	// An explicit year is kept as it is.
	s = NewStream(StreamOptions{Year: 2020, Now: now})
	if err := s.Parse([]byte("Dec 31 23:59:59 host app[1]: x"), &r); err != nil || time.Unix(0, r.TS).UTC().Year() != 2020 {
		t.Errorf("explicit year: %v %v", err, time.Unix(0, r.TS).UTC())
	}
}

func TestBadInput(t *testing.T) {
	s := NewStream(StreamOptions{Fallback: textFallback{}, MaxLine: 1 << 10})
	var r Record
	for _, in := range []string{
		"",
		"\r",
		"   ",
		"\x00\x00\x00",
		"level=info msg=\"nul\x00inside\"",
		"{\"msg\":\"\xff\xfe invalid utf8\"}",
		"\xff\xfe\xfd",
		`{"a":` + strings.Repeat("[", 10000),
		`{"a":` + strings.Repeat(`{"a":`, 10000),
		"<999>1 bad",
		"2024-01-02T00:00:00Z stdout F",
		`{"log":`,
	} {
		if err := s.Parse([]byte(in), &r); err != nil && !errors.Is(err, ErrPartial) {
			t.Errorf("%.40q: %v", in, err)
		}
	}
	// A byte order mark and copytruncate NUL padding do not hide the format.
	for _, in := range []string{"\xEF\xBB\xBF{\"msg\":\"bom\"}", "\x00\x00\x00\x00{\"msg\":\"nul\"}"} {
		if err := s.Parse([]byte(in), &r); err != nil || r.Format != "json" {
			t.Errorf("%q: format %q err %v", in, r.Format, err)
		}
	}
	// Long lines are cut and flagged, never dropped.
	long := append([]byte(`{"msg":"`), bytes.Repeat([]byte("x"), 5000)...)
	if err := s.Parse(long, &r); err != nil || !r.Truncated || len(r.Body) != 1<<10 || r.Format != "text" {
		t.Errorf("long line: err %v truncated %v len %d format %q", err, r.Truncated, len(r.Body), r.Format)
	}
}

// TestStreamDefaultCap feeds an 11 MB JSON line to a Stream with the
// default 10 MB cap: it is cut, flagged and still returned (as free text,
// since the cut JSON no longer parses).
func TestStreamDefaultCap(t *testing.T) {
	line := append([]byte(`{"msg":"`), bytes.Repeat([]byte("z"), 11<<20)...)
	line = append(line, `"}`...)
	s := NewStream(StreamOptions{Fallback: textFallback{}})
	var r Record
	if err := s.Parse(line, &r); err != nil {
		t.Fatal(err)
	}
	if !r.Truncated || len(r.Body) != DefaultMaxLine || r.Format != "text" {
		t.Errorf("truncated %v, body %d bytes, format %q", r.Truncated, len(r.Body), r.Format)
	}
	// Under the cap, the same kind of line parses as JSON.
	small := append([]byte(`{"msg":"`), bytes.Repeat([]byte("z"), 1<<20)...)
	small = append(small, `"}`...)
	if err := s.Parse(small, &r); err != nil || r.Truncated || r.Format != "json" || len(r.Message) != 1<<20 {
		t.Errorf("1 MB line: err %v truncated %v format %q", err, r.Truncated, r.Format)
	}
}

func TestLineReader(t *testing.T) {
	big := strings.Repeat("y", 11<<20) // over the 10 MB default cap
	in := "a\r\nb\n\n" + big + "\nlast"
	lr := NewLineReader(strings.NewReader(in), 0)
	type line struct {
		s     string
		trunc bool
	}
	var got []line
	for {
		l, tr, err := lr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, line{string(l), tr})
	}
	if len(got) != 5 || got[0].s != "a" || got[1].s != "b" || got[2].s != "" ||
		len(got[3].s) != DefaultMaxLine || !got[3].trunc || got[4].s != "last" || got[4].trunc {
		t.Fatalf("lines: %d", len(got))
	}
	if lr.Line() != 5 {
		t.Errorf("Line() = %d", lr.Line())
	}
	// Empty input.
	if _, _, err := NewLineReader(strings.NewReader(""), 0).Next(); !errors.Is(err, io.EOF) {
		t.Errorf("empty: %v", err)
	}
	// Gzip input.
	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	_, _ = zw.Write([]byte("one\ntwo\n"))
	_ = zw.Close()
	rd, err := Decompress(&z)
	if err != nil {
		t.Fatal(err)
	}
	lr = NewLineReader(rd, 0)
	l1, _, _ := lr.Next()
	if string(l1) != "one" {
		t.Errorf("gzip line %q", l1)
	}
	rd, err = Decompress(strings.NewReader("plain\n"))
	if err != nil {
		t.Fatal(err)
	}
	if l, _, _ := NewLineReader(rd, 0).Next(); string(l) != "plain" {
		t.Errorf("plain line %q", l)
	}
}

// TestFormatsCountsRuns: the fallback's names and "empty" are counted
// right whether lines of one name come in runs or alternate, and reading
// the counts between lines changes nothing (countFB keeps the current
// run's count outside the map).
func TestFormatsCountsRuns(t *testing.T) {
	s := NewStream(StreamOptions{Fallback: textFallback{}})
	var r Record
	lines := []string{"a", "", "b", "c", "", "", "d", "", "e"}
	want := map[string]int{}
	for i, l := range lines {
		if err := s.Parse([]byte(l), &r); err != nil {
			t.Fatalf("line %d: %v", i+1, err)
		}
		want[r.Format]++
		if got := s.Formats(); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("after line %d: formats %v, want %v", i+1, got, want)
		}
	}
	if want["text"] != 5 || want["empty"] != 4 {
		t.Errorf("formats %v", want)
	}
}

// TestHeaderLevel: a header's "<N>" syslog priority is its severity; any
// other level word is NormalizeLevel's, .NET's and Serilog's short words
// included.
func TestHeaderLevel(t *testing.T) {
	for in, want := range map[string]string{"<4>": "warn", "<3>": "error", "<6>": "info", "<7>": "debug", "<2>": "fatal", "<134>": "info",
		"<192>": "", "<4": "", "<x>": "", "WARN": "warn", "trce": "trace", "dbug": "debug", "VRB": "trace", "fail": "error", "crit": "fatal"} {
		if got := string(HeaderLevel([]byte(in))); got != want {
			t.Errorf("HeaderLevel(%q) = %q, want %q", in, got, want)
		}
	}
}
