package logparse

// Layouts of free-text timestamps (ParseTimeText), besides the Layout*
// constants of the structured formats.
const (
	LayoutYMD      = "ymd"       // 2006-01-02 15:04:05,000, 2006/01/02, 2006.01.02, 20060102-15:04:05:000, 2006-01-02-15.04.05.000000
	LayoutYYMMDD   = "yymmdd"    // 060102 150405
	LayoutYYSlash  = "yy/mm/dd"  // 06/01/02 15:04:05 (log4j's yy/MM/dd)
	LayoutDMY      = "dd/mm/yy"  // 02/01/06 15:04:05, 02/01/2006 15:04:05
	LayoutMDY      = "mm/dd/yy"  // 01/02/06 15:04:05, 01/02/2006 15:04:05
	LayoutDayMonth = "dd mon yy" // 02 Jan 2006 15:04:05.000 (Redis)
	LayoutMonthDay = "mm-dd"     // 01-02 15:04:05.000 (logcat), 01.02 15:04:05: no year
)

// DateOrder is the evidence a stream gathered about the order of day,
// month and year in numeric dates whose year has two digits or comes last
// (17/06/09 is 2017-06-09 in Spark's logs and 17 June 2009 elsewhere):
// the orders still possible. The zero value knows nothing.
type DateOrder struct {
	mask uint8 // bits of orderYMD, orderDMY, orderMDY that no line contradicted
	pick uint8 // the order chosen while several remain
}

const (
	orderYMD = 1 << iota
	orderDMY
	orderMDY
	orderAll = orderYMD | orderDMY | orderMDY
)

// YearlessLayout reports whether a layout carries no year (the year is
// inferred: from a CRI/docker wrapper's timestamp, else the last 12
// months).
func YearlessLayout(l string) bool {
	return l == LayoutSyslog || l == LayoutKlog || l == LayoutMonthDay
}

// timeParts is a timestamp text taken apart: numbers, a month name, a
// zone.
type timeParts struct {
	num   [9]int
	width [9]int  // digits of each number
	sep   [9]byte // the byte after each number (0 at the end)
	n     int
	month int // from a month name, 0 for none
	mpos  int // index of the number after the month name
	zone  int // seconds east of UTC
	zoned bool
}

func (p *timeParts) scan(b []byte) bool {
	i := 0
	for i < len(b) {
		c := b[i]
		switch {
		case digit(c):
			if p.n == len(p.num) {
				return false
			}
			v, w := 0, 0
			for i < len(b) && digit(b[i]) {
				if w < 18 {
					v = v*10 + int(b[i]-'0')
				}
				w++
				i++
			}
			p.num[p.n], p.width[p.n] = v, w
			if i < len(b) {
				p.sep[p.n] = b[i]
			}
			p.n++
		case c|0x20 >= 'a' && c|0x20 <= 'z':
			s := i
			for i < len(b) && b[i]|0x20 >= 'a' && b[i]|0x20 <= 'z' {
				i++
			}
			w := b[s:i]
			switch {
			case len(w) == 3 && month(w, 0) > 0:
				if p.month > 0 {
					return false
				}
				p.month, p.mpos = month(w, 0), p.n
			case len(w) == 1 && (w[0] == 'T' || w[0] == 't') && p.n > 0 && i < len(b) && digit(b[i]):
				if p.n > 0 {
					p.sep[p.n-1] = 'T'
				}
			case len(w) == 1 && (w[0] == 'Z' || w[0] == 'z') && i == len(b):
				p.zoned = true
			case string(w) == "UTC" || string(w) == "GMT":
				p.zoned = true
			case len(w) == 3 && isWeekdayName(w):
			default:
				return false
			}
		case (c == '+' || c == '-') && p.n >= 4 && i+2 < len(b) && digit(b[i+1]) && (i == 0 || b[i-1] == ' ' || digit(b[i-1])) && p.hasClock():
			off, used, ok := zone(b, i)
			if !ok || i+used != len(b) {
				return false
			}
			p.zone, p.zoned = off, true
			i += used
		default:
			i++
		}
	}
	return p.n > 0
}

// hasClock: some number so far is followed by ':' (a time of day began).
func (p *timeParts) hasClock() bool {
	for k := 0; k < p.n; k++ {
		if p.sep[k] == ':' {
			return true
		}
	}
	return false
}

func isWeekdayName(w []byte) bool {
	switch string(w) {
	case "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun":
		return true
	}
	return false
}

// clock reads hour, minute, second and fraction from the numbers from k
// on (15:04:05.000, 15:04:05,000, 15:04:05:000, 15.04.05.000000, 150405).
func (p *timeParts) clock(k int) (h, mi, s, ns int, ok bool) {
	switch {
	case k < p.n && p.width[k] == 6:
		v := p.num[k]
		h, mi, s = v/10000, v/100%100, v%100
		k++
	case k+1 < p.n && p.width[k] <= 2 && p.width[k+1] == 2:
		h, mi = p.num[k], p.num[k+1]
		k += 2
		if k < p.n && p.width[k] == 2 {
			s = p.num[k]
			k++
		}
	default:
		return 0, 0, 0, 0, false
	}
	if k < p.n && p.width[k] <= 9 {
		f, w := p.num[k], p.width[k]
		for ; w < 9; w++ {
			f *= 10
		}
		ns = f
		k++
	}
	return h, mi, s, ns, k == p.n && h <= 23 && mi <= 59 && s <= 60
}

func year2(y int) int {
	if y < 70 {
		return 2000 + y
	}
	return 1900 + y
}

// ParseTimeText parses the timestamp text a free-text header found, in
// any of the usual layouts: ISO and RFC 3339 (with a space, a comma before
// the fraction, a zone or none), 2006/01/02, 2006.01.02, 20060102-15:04:05:000,
// 2006-01-02-15.04.05.000000, yyMMdd HHmmss, yy/MM/dd, dd/MM/yy, MM/dd/yy
// (2- or 4-digit years; the order from order's evidence), syslog's
// Jan _2 15:04:05 (with an optional year), Redis's 02 Jan 2006, Apache's
// Mon Jan 02 15:04:05 2006, CLF, logcat's 01-02 15:04:05.000, epoch
// seconds, milliseconds, microseconds and nanoseconds (an epoch first wins:
// "1117838570 2005.06.03"). Layouts without a year take year (0: the
// caller infers it). It reports the layout and whether b was a timestamp;
// order (which may be nil) collects the stream's evidence on the order of
// numeric dates.
func ParseTimeText(b []byte, year int, order *DateOrder) (int64, string, bool) {
	if len(b) == 0 || len(b) > 64 {
		return 0, "", false
	}
	// an epoch number first
	if digit(b[0]) {
		if ns, n, l, ok := ParseEpoch(b); ok && (n == len(b) || b[n] == ' ') && (l != LayoutEpochS || n >= 10) {
			if secs := ns / 1e9; secs > 315532800 && secs < 4102444800 { // 1980 … 2100
				return ns, l, true
			}
		}
		if ns, n, ok := ParseRFC3339(b); ok && n == len(b) {
			return ns, LayoutRFC3339, true
		}
		if ns, n, ok := ParseCLFTime(b); ok && n == len(b) {
			return ns, LayoutCLF, true
		}
	}
	var p timeParts
	if !p.scan(b) {
		return 0, "", false
	}
	var y, mo, d, k int
	layout := ""
	switch {
	case p.month > 0 && p.mpos == 0:
		// Jan _2 15:04:05 [2006], Mon Jan 02 15:04:05.000 2006
		if p.n < 3 {
			return 0, "", false
		}
		mo, d, k = p.month, p.num[0], 1
		layout = LayoutSyslog
		if last := p.n - 1; p.width[last] == 4 && last >= 3 {
			y = p.num[last]
			p.n--
			layout = LayoutApache
		} else {
			y = year
		}
	case p.month > 0 && p.mpos == 1:
		// 02 Jan 2006 15:04:05.000, 02/Jan/2006:15:04:05
		if p.n < 4 || p.width[1] != 4 && p.width[1] != 2 {
			return 0, "", false
		}
		d, mo, y, k = p.num[0], p.month, p.num[1], 2
		if p.width[1] == 2 {
			y = year2(y)
		}
		layout = LayoutDayMonth
	case p.month > 0:
		return 0, "", false
	case p.n >= 4 && p.width[0] == 8 && (p.sep[0] == '-' || p.sep[0] == 'T' || p.sep[0] == ' '):
		v := p.num[0]
		y, mo, d, k = v/10000, v/100%100, v%100, 1
		layout = LayoutYMD
	case p.n >= 2 && p.width[0] == 6 && p.width[1] == 6 && p.sep[0] == ' ':
		v := p.num[0]
		y, mo, d, k = year2(v/10000), v/100%100, v%100, 1
		layout = LayoutYYMMDD
	case p.n >= 5 && p.width[0] == 4 && p.width[1] <= 2 && p.width[2] <= 2:
		y, mo, d, k = p.num[0], p.num[1], p.num[2], 3
		layout = LayoutYMD
	case p.n >= 5 && p.width[0] <= 2 && p.width[1] <= 2 && (p.width[2] == 2 || p.width[2] == 4) && p.sep[0] == p.sep[1] && p.sep[0] != ':':
		a, bb, c := p.num[0], p.num[1], p.num[2]
		k = 3
		valid := uint8(0)
		if p.width[2] == 2 && bb >= 1 && bb <= 12 && c >= 1 && c <= 31 && p.width[0] == 2 {
			valid |= orderYMD
		}
		if bb >= 1 && bb <= 12 && a >= 1 && a <= 31 {
			valid |= orderDMY
		}
		if a >= 1 && a <= 12 && bb >= 1 && bb <= 31 {
			valid |= orderMDY
		}
		if order == nil {
			order = &DateOrder{}
		}
		o := order.decide(valid, a, bb, c, p.width[2], year)
		switch o {
		case orderYMD:
			y, mo, d, layout = year2(a), bb, c, LayoutYYSlash
		case orderDMY:
			y, mo, d, layout = c, bb, a, LayoutDMY
		case orderMDY:
			y, mo, d, layout = c, a, bb, LayoutMDY
		default:
			return 0, "", false
		}
		if p.width[2] == 2 && o != orderYMD {
			y = year2(y)
		}
	case p.n >= 4 && p.width[0] <= 2 && p.width[1] <= 2 && (p.sep[0] == '-' || p.sep[0] == '.') && p.sep[1] == ' ':
		// 03-17 16:13:38.811 (logcat), 10.30 16:49:06 (Proxifier): no year
		mo, d, k, y = p.num[0], p.num[1], 2, year
		layout = LayoutMonthDay
	default:
		return 0, "", false
	}
	h, mi, s, ns, ok := p.clock(k)
	if !ok {
		return 0, "", false
	}
	if y == 0 {
		y = 2000 // the caller moves a year-less time into the right year
	}
	t, ok := UnixNano(y, mo, d, h, mi, s, ns)
	if !ok {
		return 0, "", false
	}
	return t - int64(p.zone)*1e9, layout, true
}

func firstOrder(valid uint8) uint8 {
	switch {
	case valid&orderYMD != 0:
		return orderYMD
	case valid&orderDMY != 0:
		return orderDMY
	case valid&orderMDY != 0:
		return orderMDY
	}
	return 0
}

// decide narrows the orders still possible with a date's parts (a, b, c
// as written) and returns the order to read it in: the only one left, or,
// while several are, the one chosen at the first ambiguous date: the
// order giving the latest date (logs are recent), ties broken by ISO
// order first.
func (o *DateOrder) decide(valid uint8, a, b, c, wc, year int) uint8 {
	if o.mask == 0 {
		o.mask = orderAll
	}
	if m := o.mask & valid; m != 0 {
		o.mask = m
	} else {
		return firstOrder(valid) // this line contradicts the stream: read it alone
	}
	if o.pick&o.mask != 0 {
		return o.pick
	}
	best, bestDate := uint8(0), -1
	for _, cand := range []uint8{orderYMD, orderDMY, orderMDY} {
		if o.mask&cand == 0 {
			continue
		}
		var y, mo, d int
		switch cand {
		case orderYMD:
			y, mo, d = year2(a), b, c
		case orderDMY:
			y, mo, d = c, b, a
		case orderMDY:
			y, mo, d = c, a, b
		}
		if wc == 2 && cand != orderYMD {
			y = year2(y)
		}
		if year > 0 && y > year+1 {
			continue // in the future
		}
		if v := y*10000 + mo*100 + d; v > bestDate {
			best, bestDate = cand, v
		}
	}
	if best == 0 {
		best = firstOrder(o.mask)
	}
	o.pick = best
	return best
}
