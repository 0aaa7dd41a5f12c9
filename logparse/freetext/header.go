// Package freetext parses free-text log lines: it finds the header fields
// that precede the message — timestamp, level, pid, host, program, thread,
// component — without being told the layout, and returns the message.
//
// The header is recognised token by token with a small grammar that covers
// the usual shapes:
//
//	081109 203615 148 INFO dfs.DataNode$PacketResponder: message
//	2015-10-18 18:01:47,978 INFO [main] org.apache.hadoop.Foo: message
//	17/06/09 20:10:40 INFO spark.SecurityManager: message
//	2015-07-29 17:41:44,747 - INFO  [thread:Class@774] - message
//	Dec 10 06:55:46 host sshd[24200]: message
//	[10.30 16:49:06] chrome.exe - message
//	I1121 10:00:00.123456 1 main.go:42] message
//
// A line without a timestamp or a level has no header: all of it is the
// message.
package freetext

// Header holds the header fields of one line as sub-slices of the line.
// Empty slices mean absent.
type Header struct {
	Time      []byte // the timestamp text, possibly several tokens ("2015-10-18 18:01:47,978")
	Level     []byte
	PID       []byte
	Host      []byte
	Program   []byte
	Thread    []byte
	Component []byte
	Message   []byte
}

// Reset clears h for reuse.
func (h *Header) Reset() { *h = Header{} }

type cursor struct {
	line []byte
	pos  int
}

// next returns the bounds of the token starting at or after pos. A token
// opening with '[' runs to its matching ']' (brackets nest, spaces allowed).
func (c *cursor) peek() (s, e int) {
	i := c.pos
	for i < len(c.line) && (c.line[i] == ' ' || c.line[i] == '\t') {
		i++
	}
	s = i
	if i < len(c.line) && c.line[i] == '[' {
		depth := 0
		for j := i; j < len(c.line) && j-i < 512; j++ {
			switch c.line[j] {
			case '[':
				depth++
			case ']':
				depth--
				if depth == 0 {
					e = j + 1
					// a colon glued to the bracket belongs to it: "[main]:"
					for e < len(c.line) && c.line[e] == ':' {
						e++
					}
					if e == len(c.line) || c.line[e] == ' ' || c.line[e] == '\t' {
						return s, e
					}
					goto plain
				}
			}
		}
	}
plain:
	for i < len(c.line) && c.line[i] != ' ' && c.line[i] != '\t' {
		i++
	}
	return s, i
}

// Split finds the header of line and fills h; h.Message is the rest.
// It reports whether a header was found.
func Split(line []byte, h *Header) bool {
	h.Reset()
	c := cursor{line: line}
	tsStart, tsEnd := -1, -1
	haveLevel := false

	// 1. Timestamp: up to five tokens, possibly one bracketed group.
	for n := 0; n < 5; n++ {
		s, e := c.peek()
		if s >= e {
			break
		}
		tok := line[s:e]
		ok := false
		switch {
		case tok[0] == '[' && tok[len(tok)-1] == ']' && isTimeText(tok[1:len(tok)-1], true):
			ok = true
		case isTimeText(tok, tsStart < 0):
			ok = true
		case tsStart >= 0 && isMonth(line[tsStart:tsEnd]) && isDay(tok):
			ok = true
		case tsStart < 0 && (isMonth(tok) || isWeekday(tok)):
			ok = true
		}
		if !ok {
			break
		}
		if tsStart < 0 {
			tsStart = s
		}
		tsEnd = e
		c.pos = e
	}
	if tsStart >= 0 {
		h.Time = trimBrackets(line[tsStart:tsEnd])
	}

	// 2. Between timestamp and message: pid, host/program, separators, level,
	// threads, component.
	for n := 0; n < 8; n++ {
		s, e := c.peek()
		if s >= e {
			break
		}
		tok := line[s:e]
		switch {
		case isSeparator(tok):
			c.pos = e
			continue
		case !haveLevel && isLevel(tok):
			h.Level = trimLevel(tok)
			haveLevel = true
			c.pos = e
			continue
		case tsStart >= 0 && !haveLevel && h.PID == nil && h.Program == nil && isInt(tok) && len(tok) <= 10:
			h.PID = tok
			c.pos = e
			continue
		case tok[0] == '[' && (haveLevel || tsStart >= 0) && h.Thread == nil && tok[len(tok)-1] != ':' && !isLevel(tok):
			h.Thread = tok[1 : len(tok)-1]
			c.pos = e
			continue
		}
		if tsStart < 0 && !haveLevel {
			break
		}
		// syslog: [host] program[pid]: or [host] program:
		if tsStart >= 0 && !haveLevel && h.Program == nil {
			if prog, pid, ok := programToken(tok); ok {
				h.Program, h.PID = prog, pid
				c.pos = e
				break
			}
			s2, e2 := (&cursor{line: line, pos: e}).peek()
			if s2 < e2 && isHostToken(tok) {
				if prog, pid, ok := programToken(line[s2:e2]); ok {
					h.Host, h.Program, h.PID = tok, prog, pid
					c.pos = e2
					break
				}
			}
		}
		// component: "pkg.Class:" / "file.go:42]" after a level or timestamp
		if (haveLevel || h.PID != nil) && isComponent(tok) {
			h.Component = tok[:len(tok)-1]
			c.pos = e
			break
		}
		// "program - message" (one or two tokens before a lone dash)
		if tsStart >= 0 && h.Program == nil && h.Component == nil {
			cur := cursor{line: line, pos: e}
			s2, e2 := cur.peek()
			if s2 < e2 && isDash(line[s2:e2]) && isNameToken(tok) {
				h.Program = tok
				c.pos = e2
				break
			}
			cur.pos = e2
			s3, e3 := cur.peek()
			if s2 < e2 && s3 < e3 && isDash(line[s3:e3]) && isNameToken(tok) && e2-s2 <= 8 {
				h.Program = line[s:e2]
				c.pos = e3
				break
			}
		}
		break
	}
	if tsStart < 0 && !haveLevel {
		h.Reset()
		h.Message = line
		return false
	}
	i := c.pos
	for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
		i++
	}
	h.Message = line[i:]
	return true
}

func trimBrackets(b []byte) []byte {
	if len(b) >= 2 && b[0] == '[' && b[len(b)-1] == ']' {
		return b[1 : len(b)-1]
	}
	return b
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isInt(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if !isDigit(c) {
			return false
		}
	}
	return true
}

// isTimeText reports whether tok looks like (part of) a timestamp: digits
// with date/time separators ("2015-10-18", "18:01:47,978", "17/06/09",
// "2015-07-29T17:41:44.747Z", "10.30 16:49:06"), or, at the start of a
// line, a 6- or 8-digit date ("081109") or an epoch.
func isTimeText(tok []byte, first bool) bool {
	if len(tok) < 4 {
		return false
	}
	// klog: I1121 10:00:00.123456
	if first && (tok[0] == 'I' || tok[0] == 'W' || tok[0] == 'E' || tok[0] == 'F') && len(tok) == 5 && isInt(tok[1:]) {
		return true
	}
	digits, seps, colons, dashes, slashes := 0, 0, 0, 0, 0
	for i, c := range tok {
		switch {
		case isDigit(c):
			digits++
		case c == ':':
			colons++
			seps++
		case c == '-':
			dashes++
			seps++
		case c == '/':
			slashes++
			seps++
		case c == '.' || c == ',':
			seps++
		case c == 'T' && i > 0 && isDigit(tok[i-1]):
		case c == 'Z' && i == len(tok)-1:
		case c == '+' && i > 0:
		case c == ' ':
			seps++
		default:
			return false
		}
	}
	if digits < 4 || !isDigit(tok[0]) {
		return false
	}
	if seps == 0 {
		// pure digits: 081109 / 203615 (yymmdd, hhmmss), 20151018, epoch
		return len(tok) == 6 || len(tok) == 8 || len(tok) == 10 || len(tok) == 13
	}
	if colons >= 1 || dashes == 2 || slashes == 2 {
		return true
	}
	// "10.30": a month.day pair only inside a bracketed timestamp
	return first && seps == 1 && digits == 4 && len(tok) == 5 && tok[2] == '.'
}

func isMonth(b []byte) bool {
	if len(b) != 3 {
		return false
	}
	switch string(b) {
	case "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec":
		return true
	}
	return false
}

func isWeekday(b []byte) bool {
	switch string(b) {
	case "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun", "Mon,", "Tue,", "Wed,", "Thu,", "Fri,", "Sat,", "Sun,":
		return true
	}
	return false
}

func isDay(b []byte) bool {
	return (len(b) == 1 || len(b) == 2) && isInt(b) || len(b) == 4 && isInt(b)
}

func isSeparator(b []byte) bool {
	return len(b) == 1 && (b[0] == '-' || b[0] == '|' || b[0] == ':')
}

func isDash(b []byte) bool { return len(b) == 1 && b[0] == '-' }

var levels = []string{
	"TRACE", "DEBUG", "INFO", "NOTICE", "WARN", "WARNING", "ERROR", "ERR", "FATAL",
	"CRITICAL", "CRIT", "SEVERE", "ALERT", "EMERG", "PANIC", "FINE", "FINER", "FINEST", "CONFIG",
}

// trimLevel strips brackets and a trailing colon: "[INFO]" "INFO:" "<warn>".
func trimLevel(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == ':' || b[len(b)-1] == ']' || b[len(b)-1] == '>') {
		b = b[:len(b)-1]
	}
	for len(b) > 0 && (b[0] == '[' || b[0] == '<') {
		b = b[1:]
	}
	return b
}

func isLevel(tok []byte) bool {
	b := trimLevel(tok)
	if len(b) < 3 || len(b) > 8 {
		return false
	}
	upper := b[0] >= 'A' && b[0] <= 'Z'
	for _, l := range levels {
		if len(l) != len(b) {
			continue
		}
		eq := true
		for i := 0; i < len(b); i++ {
			c := b[i]
			if c >= 'a' && c <= 'z' {
				c -= 32
			}
			if c != l[i] {
				eq = false
				break
			}
		}
		// lower-case levels only when bracketed or with a colon, to leave
		// message words ("error: …") alone
		if eq && (upper || len(b) != len(tok)) {
			return true
		}
	}
	return false
}

// programToken matches "name[pid]:" and "name:" as in syslog.
func programToken(tok []byte) (prog, pid []byte, ok bool) {
	if len(tok) < 2 || tok[len(tok)-1] != ':' {
		return nil, nil, false
	}
	b := tok[:len(tok)-1]
	if b[len(b)-1] == ']' {
		open := -1
		for i := len(b) - 2; i > 0; i-- {
			if b[i] == '[' {
				open = i
				break
			}
		}
		if open <= 0 || !isInt(b[open+1:len(b)-1]) || !isNameToken(b[:open]) {
			return nil, nil, false
		}
		return b[:open], b[open+1 : len(b)-1], true
	}
	return nil, nil, false
}

func isHostToken(b []byte) bool {
	if len(b) == 0 || len(b) > 64 {
		return false
	}
	for _, c := range b {
		if !(isDigit(c) || c|0x20 >= 'a' && c|0x20 <= 'z' || c == '.' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// isNameToken: a program or component name (letters first, no '=').
func isNameToken(b []byte) bool {
	if len(b) == 0 || len(b) > 96 || !(isDigit(b[0]) || b[0]|0x20 >= 'a' && b[0]|0x20 <= 'z') {
		return false
	}
	for _, c := range b {
		if !(isDigit(c) || c|0x20 >= 'a' && c|0x20 <= 'z' || c == '.' || c == '-' || c == '_' || c == '$' || c == '/') {
			return false
		}
	}
	return true
}

// isComponent: "dfs.DataNode$PacketResponder:", "org.apache.Foo:", "main.go:42]".
func isComponent(tok []byte) bool {
	if len(tok) < 3 {
		return false
	}
	last := tok[len(tok)-1]
	if last != ':' && last != ']' {
		return false
	}
	b := tok[:len(tok)-1]
	if last == ']' {
		// klog's "file.go:42]"
		k := len(b) - 1
		for k >= 0 && isDigit(b[k]) {
			k--
		}
		if k <= 0 || b[k] != ':' || k == len(b)-1 {
			return false
		}
		b = b[:k]
	}
	if !isNameToken(b) {
		return false
	}
	for _, c := range b {
		if c == '.' || c == '$' || c == '/' {
			return true
		}
	}
	return false
}
