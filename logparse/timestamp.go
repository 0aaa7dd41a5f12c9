package logparse

// Timestamp parsing without time.Parse: every function reads a fixed layout
// from the start of b and returns Unix nanoseconds, the number of bytes used
// and whether it matched. None of them allocates.

// Layout names stored in Record.TSLayout.
const (
	LayoutRFC3339 = "rfc3339"  // 2006-01-02T15:04:05.999999999Z07:00 (also with a space, without zone)
	LayoutSyslog  = "syslog"   // Jan _2 15:04:05 (year supplied)
	LayoutCLF     = "clf"      // 02/Jan/2006:15:04:05 -0700
	LayoutKlog    = "klog"     // 0102 15:04:05.000000 (year supplied)
	LayoutNginx   = "nginx"    // 2006/01/02 15:04:05
	LayoutApache  = "apache"   // Mon Jan _2 15:04:05.000000 2006
	LayoutEpochS  = "epoch_s"  // 1704164645 or 1704164645.123
	LayoutEpochMS = "epoch_ms" // 1704164645123
	LayoutEpochUS = "epoch_us"
	LayoutEpochNS = "epoch_ns"
)

func digit(c byte) bool { return c >= '0' && c <= '9' }

func num2(b []byte, i int) (int, bool) {
	if i+2 > len(b) || !digit(b[i]) || !digit(b[i+1]) {
		return 0, false
	}
	return int(b[i]-'0')*10 + int(b[i+1]-'0'), true
}

func num4(b []byte, i int) (int, bool) {
	hi, ok1 := num2(b, i)
	lo, ok2 := num2(b, i+2)
	return hi*100 + lo, ok1 && ok2
}

// month reads a three-letter English month name (any case).
func month(b []byte, i int) int {
	if i+3 > len(b) {
		return 0
	}
	c0, c1, c2 := b[i]|0x20, b[i+1]|0x20, b[i+2]|0x20
	switch c0 {
	case 'j':
		if c1 == 'a' && c2 == 'n' {
			return 1
		}
		if c1 == 'u' && c2 == 'n' {
			return 6
		}
		if c1 == 'u' && c2 == 'l' {
			return 7
		}
	case 'f':
		if c1 == 'e' && c2 == 'b' {
			return 2
		}
	case 'm':
		if c1 == 'a' && c2 == 'r' {
			return 3
		}
		if c1 == 'a' && c2 == 'y' {
			return 5
		}
	case 'a':
		if c1 == 'p' && c2 == 'r' {
			return 4
		}
		if c1 == 'u' && c2 == 'g' {
			return 8
		}
	case 's':
		if c1 == 'e' && c2 == 'p' {
			return 9
		}
	case 'o':
		if c1 == 'c' && c2 == 't' {
			return 10
		}
	case 'n':
		if c1 == 'o' && c2 == 'v' {
			return 11
		}
	case 'd':
		if c1 == 'e' && c2 == 'c' {
			return 12
		}
	}
	return 0
}

// UnixNano returns the Unix time in ns of a civil UTC date and time, or false
// when a part is out of range.
func UnixNano(year, mon, day, hour, min, sec, nsec int) (int64, bool) {
	if mon < 1 || mon > 12 || day < 1 || day > 31 || hour > 23 || min > 59 || sec > 60 || year < 0 || year > 9999 {
		return 0, false
	}
	y := year
	if mon <= 2 {
		y--
	}
	era := (y + 400) / 400 // y >= -1
	era--
	yoe := y - era*400
	mp := (mon + 9) % 12
	doy := (153*mp+2)/5 + day - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	days := int64(era)*146097 + int64(doe) - 719468
	secs := days*86400 + int64(hour*3600+min*60+sec)
	return secs*1e9 + int64(nsec), true
}

// hms reads "15:04:05" at i.
func hms(b []byte, i int) (h, m, s int, ok bool) {
	var ok1, ok2, ok3 bool
	h, ok1 = num2(b, i)
	m, ok2 = num2(b, i+3)
	s, ok3 = num2(b, i+6)
	ok = ok1 && ok2 && ok3 && b[i+2] == ':' && b[i+5] == ':'
	return
}

// frac reads ".123456789" (or ",123") at i; returns ns and bytes used.
func frac(b []byte, i int) (int, int) {
	if i >= len(b) || (b[i] != '.' && b[i] != ',') || i+1 >= len(b) || !digit(b[i+1]) {
		return 0, 0
	}
	ns, n := 0, 0
	j := i + 1
	for ; j < len(b) && digit(b[j]); j++ {
		if n < 9 {
			ns = ns*10 + int(b[j]-'0')
			n++
		}
	}
	for ; n < 9; n++ {
		ns *= 10
	}
	return ns, j - i
}

// zone reads "Z", "+07:00", "+0700" or "+07" at i; returns the offset in
// seconds east of UTC and bytes used.
func zone(b []byte, i int) (int, int, bool) {
	if i >= len(b) {
		return 0, 0, false
	}
	switch b[i] {
	case 'Z', 'z':
		return 0, 1, true
	case '+', '-':
	default:
		return 0, 0, false
	}
	sign := 1
	if b[i] == '-' {
		sign = -1
	}
	h, ok := num2(b, i+1)
	if !ok || h > 24 {
		return 0, 0, false
	}
	n := 3
	m := 0
	if i+3 < len(b) && b[i+3] == ':' {
		if m, ok = num2(b, i+4); !ok {
			return 0, 0, false
		}
		n = 6
	} else if mm, ok := num2(b, i+3); ok {
		m, n = mm, 5
	}
	if m > 59 {
		return 0, 0, false
	}
	return sign * (h*3600 + m*60), n, true
}

// ParseRFC3339 reads "2006-01-02T15:04:05[.frac][zone]" at the start of b.
// A space may replace the T; a missing zone means UTC.
func ParseRFC3339(b []byte) (int64, int, bool) {
	if len(b) < 19 || b[4] != '-' || b[7] != '-' || (b[10] != 'T' && b[10] != ' ' && b[10] != 't') {
		return 0, 0, false
	}
	y, ok1 := num4(b, 0)
	mo, ok2 := num2(b, 5)
	d, ok3 := num2(b, 8)
	h, mi, s, ok4 := hms(b, 11)
	if !(ok1 && ok2 && ok3 && ok4) {
		return 0, 0, false
	}
	ns, fn := frac(b, 19)
	n := 19 + fn
	off, zn, ok := zone(b, n)
	if ok {
		n += zn
	}
	t, ok := UnixNano(y, mo, d, h, mi, s, ns)
	if !ok {
		return 0, 0, false
	}
	return t - int64(off)*1e9, n, true
}

// ParseSyslogTime reads "Jan _2 15:04:05[.frac]" at the start of b, in the
// given year (syslog lines carry none), UTC. A one-digit day may also be
// written with a single space ("Nov 2 15:04:05").
func ParseSyslogTime(b []byte, year int) (int64, int, bool) {
	if len(b) < 14 || b[3] != ' ' {
		return 0, 0, false
	}
	mo := month(b, 0)
	i := 4
	if b[i] == ' ' {
		i++
	}
	var d int
	switch {
	case i+1 < len(b) && digit(b[i]) && b[i+1] == ' ':
		d = int(b[i] - '0')
		i += 2
	case i+2 < len(b) && digit(b[i]) && digit(b[i+1]) && b[i+2] == ' ' && i == 4:
		d = int(b[i]-'0')*10 + int(b[i+1]-'0')
		i += 3
	default:
		return 0, 0, false
	}
	if i+8 > len(b) {
		return 0, 0, false
	}
	h, mi, s, ok := hms(b, i)
	if mo == 0 || !ok {
		return 0, 0, false
	}
	i += 8
	ns, fn := frac(b, i)
	t, ok := UnixNano(year, mo, d, h, mi, s, ns)
	return t, i + fn, ok
}

// ParseCLFTime reads "02/Jan/2006:15:04:05 -0700" at the start of b.
func ParseCLFTime(b []byte) (int64, int, bool) {
	if len(b) < 20 || b[2] != '/' || b[6] != '/' || b[11] != ':' {
		return 0, 0, false
	}
	d, ok1 := num2(b, 0)
	mo := month(b, 3)
	y, ok2 := num4(b, 7)
	h, mi, s, ok3 := hms(b, 12)
	if !(ok1 && ok2 && ok3) || mo == 0 {
		return 0, 0, false
	}
	ns, fn := frac(b, 20)
	n := 20 + fn
	off := 0
	if n < len(b) && b[n] == ' ' {
		if o, zn, ok := zone(b, n+1); ok {
			off, n = o, n+1+zn
		}
	}
	t, ok := UnixNano(y, mo, d, h, mi, s, ns)
	return t - int64(off)*1e9, n, ok
}

// ParseKlogTime reads "0102 15:04:05.000000" at the start of b (after the
// level letter), in the given year, UTC.
func ParseKlogTime(b []byte, year int) (int64, int, bool) {
	if len(b) < 13 || b[4] != ' ' {
		return 0, 0, false
	}
	mo, ok1 := num2(b, 0)
	d, ok2 := num2(b, 2)
	h, mi, s, ok3 := hms(b, 5)
	if !(ok1 && ok2 && ok3) {
		return 0, 0, false
	}
	ns, fn := frac(b, 13)
	t, ok := UnixNano(year, mo, d, h, mi, s, ns)
	return t, 13 + fn, ok
}

// ParseNginxTime reads "2006/01/02 15:04:05" at the start of b.
func ParseNginxTime(b []byte) (int64, int, bool) {
	if len(b) < 19 || b[4] != '/' || b[7] != '/' || b[10] != ' ' {
		return 0, 0, false
	}
	y, ok1 := num4(b, 0)
	mo, ok2 := num2(b, 5)
	d, ok3 := num2(b, 8)
	h, mi, s, ok4 := hms(b, 11)
	if !(ok1 && ok2 && ok3 && ok4) {
		return 0, 0, false
	}
	ns, fn := frac(b, 19)
	t, ok := UnixNano(y, mo, d, h, mi, s, ns)
	return t, 19 + fn, ok
}

// ParseApacheTime reads "Wed Oct 11 14:32:52[.123456] 2000" at the start of b.
func ParseApacheTime(b []byte) (int64, int, bool) {
	if len(b) < 24 || b[3] != ' ' || b[7] != ' ' {
		return 0, 0, false
	}
	t, n, ok := ParseSyslogTime(b[4:], 2000)
	if !ok {
		return 0, 0, false
	}
	i := 4 + n
	if i+5 > len(b) || b[i] != ' ' {
		return 0, 0, false
	}
	y, ok := num4(b, i+1)
	if !ok {
		return 0, 0, false
	}
	// Re-anchor the year: ParseSyslogTime used 2000.
	mo := month(b, 4)
	base, _ := UnixNano(2000, mo, 1, 0, 0, 0, 0)
	real, ok := UnixNano(y, mo, 1, 0, 0, 0, 0)
	if !ok {
		return 0, 0, false
	}
	return t - base + real, i + 5, true
}

// ParseEpoch reads a Unix epoch number: 10 digits (s, with an optional
// fraction), 13 (ms), 16 (µs) or 19 (ns). It returns the layout name.
func ParseEpoch(b []byte) (int64, int, string, bool) {
	n := 0
	var v int64
	for n < len(b) && digit(b[n]) && n < 19 {
		v = v*10 + int64(b[n]-'0')
		n++
	}
	if n < len(b) && digit(b[n]) {
		return 0, 0, "", false
	}
	switch n {
	case 10:
		ns, fn := frac(b, n)
		if fn > 0 && n+fn < len(b) && digit(b[n+fn]) {
			return 0, 0, "", false
		}
		return v*1e9 + int64(ns), n + fn, LayoutEpochS, true
	case 13:
		return v * 1e6, n, LayoutEpochMS, true
	case 16:
		return v * 1e3, n, LayoutEpochUS, true
	case 19:
		return v, n, LayoutEpochNS, true
	}
	return 0, 0, "", false
}

// ParseAnyTime tries the layouts that carry a year, then epoch numbers. It
// is used on values of fields named like a timestamp (time, ts, @timestamp).
func ParseAnyTime(b []byte, year int) (int64, int, string, bool) {
	if t, n, ok := ParseRFC3339(b); ok {
		return t, n, LayoutRFC3339, true
	}
	if t, n, l, ok := ParseEpoch(b); ok {
		return t, n, l, true
	}
	if t, n, ok := ParseCLFTime(b); ok {
		return t, n, LayoutCLF, true
	}
	if t, n, ok := ParseNginxTime(b); ok {
		return t, n, LayoutNginx, true
	}
	if t, n, ok := ParseSyslogTime(b, year); ok {
		return t, n, LayoutSyslog, true
	}
	return 0, 0, "", false
}
