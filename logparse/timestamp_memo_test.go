package logparse

import "testing"

// TestParseAnyTimeMemo: the record's memo gives ParseAnyTime's result for
// every text and year, repeated or not, long or short.
func TestParseAnyTimeMemo(t *testing.T) {
	texts := []string{"05/Mar/2024:00:00:00 +0000", "05/Mar/2024:00:00:00 +0000", "05/Mar/2024:00:00:01 +0000",
		"2024-03-10T13:55:00Z", "2024-03-10T13:55:00Z", "1700000000", "1700000000.5", "Nov  9 12:00:01", "Nov  9 12:00:01",
		"not a time", "not a time", "", "2024-03-10T13:55:00.123456789+02:00 and a long tail", "2024-03-10T13:55:00.123456789+02:00 and a long tail"}
	var r Record
	for _, year := range []int{0, 2023, 2023, 2024} {
		for _, s := range texts {
			ns, n, l, ok := r.parseAnyTime([]byte(s), year)
			wns, wn, wl, wok := ParseAnyTime([]byte(s), year)
			if ns != wns || n != wn || l != wl || ok != wok {
				t.Fatalf("%q year %d: memo gives %d %d %q %v, ParseAnyTime %d %d %q %v", s, year, ns, n, l, ok, wns, wn, wl, wok)
			}
		}
	}
}
