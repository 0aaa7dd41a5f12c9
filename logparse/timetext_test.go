package logparse

import (
	"testing"
	"time"
)

func TestParseTimeText(t *testing.T) {
	utc := func(s, layout string) int64 {
		tm, err := time.Parse(layout, s)
		if err != nil {
			t.Fatalf("time.Parse(%q): %v", s, err)
		}
		return tm.UnixNano()
	}
	cases := []struct {
		in, layout string
		want       int64
	}{
		{"2015-10-18 18:01:47,978", LayoutRFC3339, utc("2015-10-18 18:01:47.978", "2006-01-02 15:04:05.000")},
		{"2024-03-10T13:55:00Z", LayoutRFC3339, utc("2024-03-10T13:55:00Z", time.RFC3339)},
		{"081109 203615", LayoutYYMMDD, utc("081109 203615", "060102 150405")},
		{"17/06/09 20:10:40", LayoutYYSlash, utc("17/06/09 20:10:40", "06/01/02 15:04:05")},
		{"28/09/16 04:30:30", LayoutDMY, utc("28/09/16 04:30:30", "02/01/06 15:04:05")},
		{"09/28/2016 04:30:30", LayoutMDY, utc("09/28/2016 04:30:30", "01/02/2006 15:04:05")},
		{"28/09/2016 04:30:30.25", LayoutDMY, utc("28/09/2016 04:30:30.25", "02/01/2006 15:04:05.00")},
		{"2016/09/28 04:30:30", LayoutYMD, utc("2016/09/28 04:30:30", "2006/01/02 15:04:05")},
		{"2005.06.03 15:42:50", LayoutYMD, utc("2005.06.03 15:42:50", "2006.01.02 15:04:05")},
		{"2005-06-03-15.42.50.675872", LayoutYMD, utc("2005-06-03 15:42:50.675872", "2006-01-02 15:04:05.000000")},
		{"20171223-22:15:29:606", LayoutYMD, utc("20171223 22:15:29.606", "20060102 15:04:05.000")},
		{"1117838570 2005.06.03", LayoutEpochS, 1117838570e9},
		{"1704207845", LayoutEpochS, 1704207845e9},
		{"1704207845.250", LayoutEpochS, 1704207845250e6},
		{"1704207845123", LayoutEpochMS, 1704207845123e6},
		{"Dec 10 06:55:46", LayoutSyslog, utc("2024 Dec 10 06:55:46", "2006 Jan 2 15:04:05")},
		{"Dec  1 06:55:46", LayoutSyslog, utc("2024 Dec 1 06:55:46", "2006 Jan 2 15:04:05")},
		{"Sun Dec 04 04:47:44 2005", LayoutApache, utc("Sun Dec 04 04:47:44 2005", time.ANSIC)},
		{"02 Jan 2024 15:04:05.123", LayoutDayMonth, utc("02 Jan 2024 15:04:05.123", "02 Jan 2006 15:04:05.000")},
		{"03-17 16:13:38.811", LayoutMonthDay, utc("2024-03-17 16:13:38.811", "2006-01-02 15:04:05.000")},
		{"10.30 16:49:06", LayoutMonthDay, utc("2024-10-30 16:49:06", "2006-01-02 15:04:05")},
		{"2024-01-02 15:04:05.123 UTC", LayoutYMD, utc("2024-01-02 15:04:05.123", "2006-01-02 15:04:05.000")},
		{"2024-01-02 15:04:05 +0200", LayoutYMD, utc("2024-01-02 15:04:05 +0200", "2006-01-02 15:04:05 -0700")},
		{"14/Jan/2015:12:48:57 +0100", LayoutCLF, utc("14/Jan/2015:12:48:57 +0100", "02/Jan/2006:15:04:05 -0700")},
	}
	for _, c := range cases {
		got, layout, ok := ParseTimeText([]byte(c.in), 2024, nil)
		if !ok || layout != c.layout || got != c.want {
			t.Errorf("ParseTimeText(%q) = %d %q %v, want %d %q", c.in, got, layout, ok, c.want, c.layout)
		}
	}
	for _, bad := range []string{"", "15:04:05", "hello", "2024-13-45 10:00:00", "123", "10.0.0.1", "1.2.3 4", "Dec 99 10:00:00"} {
		if _, l, ok := ParseTimeText([]byte(bad), 2024, nil); ok {
			t.Errorf("ParseTimeText(%q) accepted as %s", bad, l)
		}
	}
}

// TestDateOrder: a stream's dates decide the order of day, month and year.
func TestDateOrder(t *testing.T) {
	var o DateOrder
	// 05/06/07 alone is ambiguous: the latest reading wins (yy/mm/dd, 2005-06-07 < 2007-06-05 dd/mm/yy)
	_, l, _ := ParseTimeText([]byte("05/06/07 10:00:00"), 2024, &o)
	if l != LayoutDMY {
		t.Fatalf("first ambiguous date read as %s", l)
	}
	// 13/06/07 rules out mm/dd; 25/06/07 keeps dd/mm
	if _, l, _ = ParseTimeText([]byte("25/06/07 10:00:00"), 2024, &o); l != LayoutDMY {
		t.Fatalf("then %s", l)
	}
	var spark DateOrder
	for _, s := range []string{"17/06/09 20:10:40", "17/06/09 20:10:41", "17/06/10 00:00:01"} {
		if _, l, _ := ParseTimeText([]byte(s), 2024, &spark); l != LayoutYYSlash {
			t.Fatalf("%s read as %s", s, l)
		}
	}
	var us DateOrder
	if _, l, _ := ParseTimeText([]byte("12/25/23 10:00:00"), 2024, &us); l != LayoutMDY {
		t.Fatalf("12/25/23 read as %s", l)
	}
}

func FuzzParseTimeText(f *testing.F) {
	for _, s := range []string{"081109 203615", "17/06/09 20:10:40", "Dec 10 06:55:46", "1117838570 2005.06.03", "03-17 16:13:38.811", "2005-06-03-15.42.50.675872"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var o DateOrder
		ns, l, ok := ParseTimeText([]byte(s), 2024, &o)
		if ok && l == "" || !ok && (ns != 0 || l != "") {
			t.Fatalf("%q: %d %q %v", s, ns, l, ok)
		}
	})
}
