package logparse

import (
	"github.com/gopulse/gopulse/event"
)

var (
	keyPriority  = []byte("priority")
	keyFacility  = []byte("facility")
	keySeverity  = []byte("severity")
	keyHostname  = []byte("hostname")
	keyAppname   = []byte("appname")
	keyProcID    = []byte("procid")
	keyMsgID     = []byte("msgid")
	keyVersion   = []byte("version")
	keySD        = []byte("sd")
	keySubsystem = []byte("subsystem")
)

// syslogTag reads "TAG:", "TAG[PID]:" or "TAG[PID] (context):" at i. It
// returns the end of the tag, the position of the colon, the pid and the
// context. A tag with blanks needs a pid.
func syslogTag(b []byte, i int) (tagEnd, colon int, pid, ctx []byte, ok bool) {
	j := i
	spaces := 0
	for j < len(b) && j-i < 64 && b[j] != '[' && b[j] != ':' {
		if b[j] == ' ' {
			if j == i || b[j-1] == ' ' {
				return 0, 0, nil, nil, false
			}
			spaces++
		}
		j++
	}
	if j == i || j >= len(b) || b[j-1] == ' ' {
		return 0, 0, nil, nil, false
	}
	tagEnd = j
	if b[j] == '[' {
		ps := j + 1
		k := ps
		for k < len(b) && b[k] != ']' && k-ps < 32 {
			k++
		}
		if k >= len(b) || b[k] != ']' {
			return 0, 0, nil, nil, false
		}
		pid = b[ps:k:k]
		j = k + 1
		if hasLit(b, j, " (") {
			if ce := indexLit(b[j:], "):"); ce > 2 && ce < 256 {
				ctx = b[j+2 : j+ce : j+ce]
				j += ce + 1
			}
		}
	}
	if spaces > 0 && (pid == nil || spaces > 4) {
		return 0, 0, nil, nil, false
	}
	if j < len(b) && b[j] == ':' && (j+1 == len(b) || b[j+1] == ' ') {
		return tagEnd, j, pid, ctx, true
	}
	return 0, 0, nil, nil, false
}

// pri reads "<NNN>" at the start of b and adds priority, facility and
// severity. It returns the bytes used (0 when there is no PRI).
func pri(b []byte, r *Record) (int, bool) {
	if len(b) < 3 || b[0] != '<' {
		return 0, true
	}
	e := scanDigits(b, 1, 3)
	if e < 0 || e >= len(b) || b[e] != '>' {
		return 0, false
	}
	v := 0
	for _, c := range b[1:e] {
		v = v*10 + int(c-'0')
	}
	if v > 191 {
		return 0, false
	}
	r.Add(keyPriority, b[1:e:e], event.TypeInt)
	r.Level = syslogLevel(v & 7)
	return e + 1, true
}

// Syslog3164 parses BSD syslog lines (RFC 3164), as sent on the wire (with
// "<PRI>") or as written to files (without), also with the RFC 3339
// timestamps rsyslog writes:
//
//	<34>Oct 11 22:14:15 mymachine su[123]: 'su root' failed for lonvick
//	2024-01-02T15:04:05.123456+01:00 host sshd[42]: Accepted password
type Syslog3164 struct{ year int }

// NewSyslog3164 returns the RFC 3164 parser ("syslog"); year is used for
// the year-less timestamps.
func NewSyslog3164(year int) Syslog3164 { return Syslog3164{year: year} }

// Name returns "syslog".
func (Syslog3164) Name() string { return "syslog" }

// Parse parses one RFC 3164 line.
func (p Syslog3164) Parse(b []byte, r *Record) error {
	i, ok := pri(b, r)
	if !ok {
		return r.Fail("syslog", "bad <priority>", 0)
	}
	ts, n, ok := ParseSyslogTime(b[i:], p.year)
	layout := LayoutSyslog
	if !ok {
		if ts, n, ok = ParseRFC3339(b[i:]); !ok || n < 20 {
			return r.Fail("syslog", "expected timestamp", i)
		}
		layout = LayoutRFC3339
	}
	r.SetTS(ts, layout)
	r.Add(keyTime, b[i:i+n:i+n], event.TypeTimestamp)
	i += n
	if i >= len(b) || b[i] != ' ' {
		return r.Fail("syslog", "expected hostname", i)
	}
	for i < len(b) && b[i] == ' ' {
		i++
	}
	hs := i
	// A level in brackets where the hostname goes ("Mar 10 13:55:00
	// [INFO] loader: started"): RFC 3164 §4.1.2's HOSTNAME is a name or
	// an address and never holds brackets, but loggers writing to a file
	// put a bracketed level after the time (go-hclog's "[INFO ]",
	// Python's "%(asctime)s [%(levelname)s] %(name)s: %(message)s" with a
	// datefmt of "%b %d %H:%M:%S", log4j's "[%-5p]"), padded to a width
	// or not. It is the record's level; the line is syslog's shape only if
	// a tag follows (below).
	var host, lv []byte
	le := 0
	if i < len(b) && b[i] == '[' {
		le, lv = bracketLevel(b, i)
	}
	if le > 0 {
		r.Level = NormalizeLevel(lv)
		r.Add(keyLevel, lv, event.TypeEnum)
		i = le
		if i >= len(b) || b[i] != ' ' {
			return r.Fail("syslog", "expected a tag after the [level]", i)
		}
	} else {
		for i < len(b) && b[i] > ' ' {
			i++
		}
		if i == hs || i >= len(b) {
			return r.Fail("syslog", "expected hostname", hs)
		}
		host = b[hs:i:i]
		r.Add(keyHostname, host, event.TypeString)
	}
	i++
	// TAG[PID]: — optional. The tag may hold blanks when a pid follows
	// ("Google Chrome Helper[412]:"), and launchd adds the job it speaks
	// of: "com.apple.xpc.launchd[1] (com.apple.mdworker.shared.0A[853]):".
	tagged := false
	if te, pe, pid, ctx, ok := syslogTag(b, i); ok {
		tagged = true
		r.Add(keyAppname, b[i:te:te], event.TypeString)
		if pid != nil {
			r.Add(keyPID, pid, event.TypeInt)
		}
		if ctx != nil {
			r.Add(keySubsystem, ctx, event.TypeString)
		}
		i = pe + 1
		if i < len(b) {
			i++
		}
	}
	if lv != nil {
		if !tagged {
			return r.Fail("syslog", "expected a tag after the [level]", hs)
		}
	} else {
		// A level word or a key=value where the hostname should be is a
		// free-text or logfmt line with a timestamp first, tag or not; so is
		// a token of punctuation alone: a hostname has a letter or a digit,
		// and "2024-01-05 10:15:00.123 | INFO | …" is a header of columns.
		// So is a zone offset ("2024-01-05 10:15:00.123 +0200 …": the
		// timestamp's).
		// A level word with a colon is a level closing a header ("2024-05-09T15:06:13.366000+00:00
		// info: …": Erlang/OTP logger's default template, .NET's simple console
		// formatter with a TimestampFormat, Python's "%(asctime)s %(levelname)s:
		// %(message)s").
		// A quote or a comma is in no hostname (§4.1.2 again): a record
		// of comma-separated columns whose first one is a time with a
		// blank in it ("2006-01-02 15:04:05.000 UTC,\"svc\",…",
		// PostgreSQL's csvlog; IIS's and Exchange's CSV logs) is no
		// syslog, whatever follows.
		if NormalizeLevel(host) != nil || len(host) > 1 && host[len(host)-1] == ':' && NormalizeLevel(host[:len(host)-1]) != nil ||
			pairOrColumns(host) || !hasAlnum(host) || isZoneOffset(host) {
			return r.Fail("syslog", "expected hostname, found a level, a key=value, a column list, punctuation or a zone", hs)
		}
		// Without a tag, the hostname is all that makes the line syslog: free
		// text with a timestamp header ("2015-10-18 18:01:47,978 INFO [main] …")
		// would otherwise pass, with its level or pid taken for a hostname.
		if !tagged && notHostname(host) {
			return r.Fail("syslog", "expected hostname, found a level, pid, zone or dash", hs)
		}
		// Nor, without a tag, is a word padded to a width: syslog daemons
		// (rsyslog, syslog-ng, BSD syslogd, journald's forward) write one blank
		// after the hostname; two or more are an aligned column, a thread or
		// logger that log4j's "%-20t", logback's "%-40logger" or Python's
		// "%(name)-12s" pads ("Jun 30 08:38:15 main        [w-1] …").
		if !tagged && i < len(b) && b[i] == ' ' {
			return r.Fail("syslog", "expected a tag or the message after the hostname, found a column padded to its width", i)
		}
	}
	msg := b[i:len(b):len(b)]
	r.Message = msg
	r.Add(keyMessage, msg, event.TypeString)
	r.Format = "syslog"
	r.Body = b
	return nil
}

// pairOrColumns reports whether h holds an '=' (a key=value), a double
// quote or a comma (columns).
func pairOrColumns(h []byte) bool {
	for _, c := range h {
		if c == '=' || c == '"' || c == ',' {
			return true
		}
	}
	return false
}

// bracketLevel reads a level word of letters in square brackets at i,
// padded with blanks inside to a width or not ("[INFO]", "[warn]",
// "[INFO ]", "[ WARN]"). It returns the end of the closing bracket and
// the word (0, nil when there is none).
func bracketLevel(b []byte, i int) (int, []byte) {
	if i >= len(b) || b[i] != '[' {
		return 0, nil
	}
	j := i + 1
	for j < len(b) && b[j] == ' ' {
		j++
	}
	ws := j
	for j < len(b) && (b[j]|0x20 >= 'a' && b[j]|0x20 <= 'z') {
		j++
	}
	we := j
	for j < len(b) && b[j] == ' ' {
		j++
	}
	if we == ws || j >= len(b) || b[j] != ']' || j-i > 16 {
		return 0, nil
	}
	w := b[ws:we:we]
	if NormalizeLevel(w) == nil {
		return 0, nil
	}
	return j + 1, w
}

// notHostname reports whether h, where an RFC 3164 hostname should be, is
// something else: a dash, a level word, a number (a pid), a word with
// brackets of any kind or an @, or a short upper-case word (a time zone
// such as UTC or CEST).
func notHostname(h []byte) bool {
	if len(h) == 1 && h[0] == '-' || NormalizeLevel(h) != nil {
		return true
	}
	digits, upper := 0, 0
	for _, c := range h {
		switch {
		case c == '(' || c == ')' || c == '@' || c == '[' || c == ']' || c == '<' || c == '>' || c == '{' || c == '}':
			return true
		case c >= '0' && c <= '9':
			digits++
		case c >= 'A' && c <= 'Z':
			upper++
		}
	}
	return digits == len(h) || upper == len(h) && len(h) <= 5
}

// quoteOrComma reports whether h holds a double quote or a comma.
func quoteOrComma(h []byte) bool {
	for _, c := range h {
		if c == '"' || c == ',' {
			return true
		}
	}
	return false
}

// isZoneOffset: "+0200", "-07:00", "+02".
func isZoneOffset(h []byte) bool {
	if len(h) < 3 || len(h) > 6 || h[0] != '+' && h[0] != '-' {
		return false
	}
	for _, c := range h[1:] {
		if !(c >= '0' && c <= '9' || c == ':') {
			return false
		}
	}
	return true
}

// hasAlnum reports whether b holds a letter or a digit (a non-ASCII byte
// counts as a letter).
func hasAlnum(b []byte) bool {
	for _, c := range b {
		if c >= '0' && c <= '9' || c|0x20 >= 'a' && c|0x20 <= 'z' || c >= 0x80 {
			return true
		}
	}
	return false
}

// Syslog5424 parses RFC 5424 lines, structured data included:
//
//	<165>1 2003-10-11T22:14:15.003Z host app 1234 ID47 [ex@32473 iut="3"] message
//
// Structured data parameters become fields "sd.<id>.<name>".
type Syslog5424 struct{}

// NewSyslog5424 returns the RFC 5424 parser ("syslog5424").
func NewSyslog5424() Syslog5424 { return Syslog5424{} }

// Name returns "syslog5424".
func (Syslog5424) Name() string { return "syslog5424" }

// Parse parses one RFC 5424 line.
func (Syslog5424) Parse(b []byte, r *Record) error {
	if len(b) == 0 || b[0] != '<' {
		return r.Fail("syslog5424", "expected <priority>", 0)
	}
	i, ok := pri(b, r)
	if !ok || i == 0 {
		return r.Fail("syslog5424", "bad <priority>", 0)
	}
	vs := i
	if e := scanDigits(b, i, 2); e < 0 || e >= len(b) || b[e] != ' ' {
		return r.Fail("syslog5424", "expected version", i)
	} else {
		r.Add(keyVersion, b[vs:e:e], event.TypeInt)
		i = e + 1
	}
	// TIMESTAMP
	if i < len(b) && b[i] == '-' {
		i++
	} else {
		ts, n, ok := ParseRFC3339(b[i:])
		if !ok {
			return r.Fail("syslog5424", "expected timestamp", i)
		}
		r.SetTS(ts, LayoutRFC3339)
		r.Add(keyTime, b[i:i+n:i+n], event.TypeTimestamp)
		i += n
	}
	for _, k := range [...][]byte{keyHostname, keyAppname, keyProcID, keyMsgID} {
		if i >= len(b) || b[i] != ' ' {
			return r.Fail("syslog5424", "expected header field", i)
		}
		i++
		s := i
		for i < len(b) && b[i] > ' ' && b[i] < 127 {
			i++
		}
		if i == s {
			return r.Fail("syslog5424", "expected header field", s)
		}
		if !(i-s == 1 && b[s] == '-') {
			r.Add(k, b[s:i:i], event.TypeString)
		}
	}
	if i >= len(b) || b[i] != ' ' {
		return r.Fail("syslog5424", "expected structured data", i)
	}
	i++
	if i < len(b) && b[i] == '-' {
		i++
	} else {
		e, ok := structuredData(r, b, i)
		if !ok {
			return r.Fail("syslog5424", "bad structured data", e)
		}
		i = e
	}
	if i < len(b) {
		if b[i] != ' ' {
			return r.Fail("syslog5424", "expected message", i)
		}
		i++
	}
	msg := b[i:len(b):len(b)]
	if hasLit(msg, 0, "\xEF\xBB\xBF") {
		msg = msg[3:]
	}
	r.Message = msg
	r.Add(keyMessage, msg, event.TypeString)
	r.Format = "syslog5424"
	r.Body = b
	return nil
}

// structuredData parses one or more [id name="value" …] elements at i.
func structuredData(r *Record, b []byte, i int) (int, bool) {
	n := 0
	for i < len(b) && b[i] == '[' {
		s := i + 1
		i = s
		for i < len(b) && b[i] > ' ' && b[i] != ']' && b[i] != '=' && b[i] != '"' {
			i++
		}
		if i == s {
			return i, false
		}
		prefix := r.joinKey(keySD, b[s:i:i])
		for i < len(b) && b[i] == ' ' {
			i++
			ns := i
			for i < len(b) && b[i] > ' ' && b[i] != '=' && b[i] != ']' && b[i] != '"' {
				i++
			}
			if i == ns || !hasLit(b, i, `="`) {
				return i, false
			}
			name := b[ns:i:i]
			i += 2
			vs := i
			esc := false
			for i < len(b) && b[i] != '"' {
				if b[i] == '\\' {
					esc = true
					i++
				}
				i++
			}
			if i >= len(b) {
				return vs, false
			}
			v := b[vs:i:i]
			if esc {
				v = unescape(r, v)
			}
			i++
			r.Add(r.joinKey(prefix, name), v, event.TypeString)
		}
		if i >= len(b) || b[i] != ']' {
			return i, false
		}
		i++
		n++
	}
	return i, n > 0
}
