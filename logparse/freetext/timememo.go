package freetext

import "github.com/gopulse/gopulse/logparse"

// timeMemo remembers a stream's last header time: lines in a row carry
// the same time text, or the same date with another clock. It answers
// what logparse.ParseTimeText answers without reading the text again:
//
//   - the same text, the same year and the same date order state: the same
//     result (ParseTimeText is a function of the three, and a date order
//     that read a date is left as it was by the same date again: see
//     DateOrder.decide);
//   - the same bytes but for the digits of a clock that ends the text,
//     perhaps before a 'Z' ("2015-10-18 18:01:47,978", "081109 203615",
//     "Dec 10 06:55:46", "2024-12-28T21:29:24.149Z"):
//     the date, the layout and the date order are those of the last text,
//     and the time is the last one moved by the clock's difference. The
//     clock is taken only when the last time's time of day is that clock
//     (no zone moved it), with hours, minutes and seconds in range.
//
// A stream whose times the memo does not answer (epochs with a fraction,
// zones with digits) reads eight in a row without it: the memo then
// stands aside for 32 lines, and tries again.
type timeMemo struct {
	text   [40]byte
	n      int // len(text) used; 0: empty
	year   int
	order  logparse.DateOrder // the date order after the text was read
	ts     int64
	layout string
	ok     bool
	clk    int   // where the clock that ends the text opens (its hour); 0: none to move
	ce     int   // where it ends ('Z' or the text's end)
	tod    int64 // the clock's time of day (ns)
	miss   int   // texts in a row the memo did not answer
	skip   int   // texts left to read without the memo
}

// parse returns logparse.ParseTimeText(text, year, order), from the memo
// when it can, and remembers text. order is not nil.
func (m *timeMemo) parse(text []byte, year int, order *logparse.DateOrder) (int64, string, bool) {
	if m.skip > 0 {
		m.skip--
		return logparse.ParseTimeText(text, year, order)
	}
	if m.n > 0 && m.n == len(text) && m.year == year && m.order == *order {
		last := m.text[:m.n]
		if string(last) == string(text) || m.clk > 0 && string(last[:m.clk]) == string(text[:m.clk]) && m.moveClock(last, text) {
			m.miss = 0
			return m.ts, m.layout, m.ok
		}
	}
	if m.miss++; m.miss >= 8 {
		m.miss, m.skip = 7, 32 // and after them, 32 more at the first miss
	}
	ts, layout, ok := logparse.ParseTimeText(text, year, order)
	m.n = 0
	if len(text) > len(m.text) {
		return ts, layout, ok
	}
	m.n = copy(m.text[:], text)
	m.year, m.order = year, *order
	m.ts, m.layout, m.ok = ts, layout, ok
	m.clk = 0
	if ok && clockLayout(layout) {
		if c, ce, good := clockStart(text); good {
			if tod, good := clockTod(text, c, ce); good && floorDay(ts) == tod {
				m.clk, m.ce, m.tod = c, ce, tod
			}
		}
	}
	return ts, layout, ok
}

// moveClock reads the clock of text, whose bytes before m.clk are last's:
// true, with the memo moved to text, when its other bytes are last's but
// for digits where last has digits (text is not last) and the clock is in
// range. On false
// the memo's text may hold some of text's digits: the caller parses text
// and stores it.
func (m *timeMemo) moveClock(last, text []byte) bool {
	for i := m.clk; i < len(text); i++ {
		if a, b := last[i], text[i]; a != b {
			if !isDigit(a) || !isDigit(b) {
				return false
			}
			last[i] = b
		}
	}
	tod, ok := clockTod(text, m.clk, m.ce)
	if !ok {
		return false
	}
	m.ts += tod - m.tod
	m.tod = tod
	return true
}

// clockLayout: a layout whose time is a date and a clock of the text's
// own (an epoch is not; a time of day alone is not ParseTimeText's).
func clockLayout(l string) bool {
	switch l {
	case logparse.LayoutRFC3339, logparse.LayoutSyslog, logparse.LayoutNginx, logparse.LayoutYMD, logparse.LayoutYYMMDD,
		logparse.LayoutYYSlash, logparse.LayoutDMY, logparse.LayoutMDY, logparse.LayoutDayMonth, logparse.LayoutMonthDay:
		return true
	}
	return false
}

// clockStart returns where a clock that ends text, or ends it before a
// 'Z', opens and ends: "15:04:05" or "150405", with a fraction of one to
// nine digits after '.' or ',' perhaps, after a byte that is neither a
// digit nor a colon.
func clockStart(text []byte) (c, ce int, ok bool) {
	i := len(text)
	if i > 0 && text[i-1] == 'Z' {
		i--
	}
	ce = i
	j := i
	for j > 0 && isDigit(text[j-1]) {
		j--
	}
	if j > 0 && j < i && i-j <= 9 && (text[j-1] == '.' || text[j-1] == ',') {
		i = j - 1 // the fraction
	}
	c = -1
	switch {
	case i >= 8 && isDigit(text[i-8]) && isDigit(text[i-7]) && text[i-6] == ':' && isDigit(text[i-5]) && isDigit(text[i-4]) &&
		text[i-3] == ':' && isDigit(text[i-2]) && isDigit(text[i-1]):
		c = i - 8
	case i >= 6 && isInt(text[i-6:i]):
		c = i - 6
	}
	if c <= 0 || isDigit(text[c-1]) || text[c-1] == ':' {
		return 0, 0, false
	}
	return c, ce, true
}

// clockTod returns the time of day of the clock text[c:ce] (see
// clockStart), with hours, minutes and seconds in range.
func clockTod(text []byte, c, ce int) (int64, bool) {
	h := int64(text[c]-'0')*10 + int64(text[c+1]-'0')
	i := c + 2
	if text[i] == ':' {
		i++
	}
	mi := int64(text[i]-'0')*10 + int64(text[i+1]-'0')
	i += 2
	if text[i] == ':' {
		i++
	}
	s := int64(text[i]-'0')*10 + int64(text[i+1]-'0')
	i += 2
	if h > 23 || mi > 59 || s > 59 {
		return 0, false
	}
	ns := int64(0)
	if i < ce {
		for _, d := range text[i+1 : ce] {
			ns = ns*10 + int64(d-'0')
		}
		ns *= pow10[9-(ce-i-1)]
	}
	return ((h*60+mi)*60+s)*1e9 + ns, true
}

var pow10 = [10]int64{1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9}

// floorDay returns ts's time of day (ns since midnight UTC).
func floorDay(ts int64) int64 {
	t := ts % day
	if t < 0 {
		t += day
	}
	return t
}
