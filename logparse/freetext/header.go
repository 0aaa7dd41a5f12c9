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

import (
	"bytes"
	"encoding/binary"
	"math/bits"
	"unicode/utf8"
)

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
	Source    []byte // a file name, node or category before or after the timestamp
	Meta      []byte // key=value pairs inside the header, before its level ("request_id=F7a9 pid=<0.412.0>")
	Message   []byte

	// ended: the header closed with a mark of its own (a component's ':'
	// or ']', a lone dash): what follows is the message, all of it.
	ended bool
	// grouped: a bracketed header group opened the line (see group)
	grouped bool
}

// Reset clears h for reuse.
func (h *Header) Reset() { *h = Header{} }

type cursor struct {
	line []byte
	pos  int
	memo *peeks // the last tokens found in line, or nil
}

// peeks remembers the last two tokens peek found in one line: split
// looks at most header tokens two or three times (what it is, what
// follows it).
type peeks struct {
	pos [2]int // -1: none
	tok [2][2]int
}

func newPeeks() peeks { return peeks{pos: [2]int{-1, -1}} }

// at returns the token at or after pos in c's line (see peek).
func (c *cursor) at(pos int) (s, e int) {
	if m := c.memo; m != nil {
		if m.pos[0] == pos {
			return m.tok[0][0], m.tok[0][1]
		}
		if m.pos[1] == pos {
			return m.tok[1][0], m.tok[1][1]
		}
		s, e = scanToken(c.line, pos)
		m.pos[1], m.tok[1] = m.pos[0], m.tok[0]
		m.pos[0], m.tok[0] = pos, [2]int{s, e}
		return s, e
	}
	return scanToken(c.line, pos)
}

// peek returns the bounds of the token starting at or after pos. A token
// opening with '[' runs to its matching ']' (brackets nest, spaces allowed).
func (c *cursor) peek() (s, e int) { return c.at(c.pos) }

// scanToken finds peek's token at or after i in line.
func scanToken(line []byte, i int) (s, e int) {
	for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
		i++
	}
	s = i
	if i < len(line) && line[i] == '(' {
		// "(worker thread 3)": to the matching ')' when a blank follows it
		depth := 0
		for j := i; j < len(line) && j-i < 128; j++ {
			switch line[j] {
			case '(':
				depth++
			case ')':
				depth--
				if depth == 0 {
					if j+1 == len(line) || line[j+1] == ' ' || line[j+1] == '\t' {
						return s, j + 1
					}
					return s, tokenEnd(line, i)
				}
			}
		}
	}
	if i < len(line) && (line[i] == '<' || line[i] == '{' || line[i] == '|' || line[i] >= utf8.RuneSelf) {
		// "<GC Thread#7>", "«Background Worker 3»", "|pool 4 thread 5|",
		// "{user: acme}": a group of any brackets (groupMarks) to its
		// closing mark when a blank follows it
		if e, ok := groupEnd(line, i); ok {
			return s, e
		}
	}
	if i < len(line) && line[i] == '[' {
		depth := 0
		lim := min(len(line), i+512)
		for j := i; j < lim; j++ {
			if j-i >= 8 {
				j = bracketAt(line[:lim], j) // a long group: eight bytes at a time
			}
			switch line[j] {
			case '[':
				depth++
			case ']':
				depth--
				if depth == 0 {
					e = j + 1
					// a colon glued to the bracket belongs to it: "[main]:"
					for e < len(line) && line[e] == ':' {
						e++
					}
					if e == len(line) || line[e] == ' ' || line[e] == '\t' {
						return s, e
					}
					if line[e] == '[' && e == j+1 {
						return s, e // "[time][INFO ][comp]": one group at a time
					}
					goto plain
				}
			}
		}
	}
plain:
	return s, tokenEnd(line, i)
}

// tokenEnd returns the index of the first blank (' ' or '\t') at or
// after i in b, or len(b); eight bytes at a time.
// groupEnd returns the end of a bracketed group that opens at i and
// holds blanks, up to 64 bytes: the closing mark of the opening one (<>,
// {}, ||, and the typographic pairs of groupMarks), followed by a blank or
// the end of the line, with a blank inside. A group with no blank inside
// is a token as it is.
//
// Sources it helps: logcorpus wild's multi-word names ("«Background
// Worker 3»", "<GC Thread#7>"), spaced key: value pairs ("{user: acme}")
// and times with blanks in brackets ("⟨Sun 4.14.2024 …⟩"); the development
// corpus, LogHub and synth unchanged.
func groupEnd(line []byte, i int) (int, bool) {
	end := tokenEnd(line, i)
	if end == len(line) || end-i > 64 || isMarkRun(line[i:end]) || isPunctRun(line[i:end]) {
		return 0, false // a separator, not a group's opening
	}
	if o, _ := groupMarks(line[i:end]); o > 0 {
		return 0, false // a group of its own: "<nil>", "«main»"
	}
	for j := end; j < len(line) && j-i <= 64; j++ {
		if line[j] == '\n' || line[j] == '\r' || line[j] == '"' {
			return 0, false // a quoted text is content: '{"k": 1} …'
		}
		k := tokenEnd(line, j)
		if k > j {
			g := k
			if line[g-1] == ':' {
				g-- // a colon glued to the group belongs to it: "⟨main thread⟩:"
			}
			if o, c := groupMarks(line[i:g]); o > 0 && c > 0 && (k == len(line) || line[k] == ' ' || line[k] == '\t') && !isMarkRun(line[j:g]) {
				return k, true
			}
			j = k
		}
	}
	return 0, false
}

// bracketAt returns the index of the first '[' or ']' at or after i in b,
// or len(b)-1 when there is none (b[len(b)-1] is then neither); i <
// len(b). Eight bytes at a time, as tokenEnd.
func bracketAt(b []byte, i int) int {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	for ; i+8 <= len(b); i += 8 {
		w := binary.LittleEndian.Uint64(b[i:])
		o, c := w^('['*lo), w^(']'*lo)
		if m := ((o-lo)&^o | (c-lo)&^c) & hi; m != 0 {
			return i + bits.TrailingZeros64(m)>>3
		}
	}
	for i < len(b) && b[i] != '[' && b[i] != ']' {
		i++
	}
	return min(i, len(b)-1)
}

func tokenEnd(b []byte, i int) int {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	for ; i+8 <= len(b); i += 8 {
		w := binary.LittleEndian.Uint64(b[i:])
		sp, tab := w^(' '*lo), w^('\t'*lo)
		if m := ((sp-lo)&^sp | (tab-lo)&^tab) & hi; m != 0 {
			return i + bits.TrailingZeros64(m)>>3
		}
	}
	for i < len(b) && b[i] != ' ' && b[i] != '\t' {
		i++
	}
	return i
}

// Split finds the header of line and fills h; h.Message is the rest.
// It reports whether a header was found.
func Split(line []byte, h *Header) bool { return split(line, h, false, false) }

// SplitMessage finds a header nested at the start of a message that another
// format already took apart, e.g. a syslog message holding an
// application's own "INFO [thread] pkg.Class: text". Such a header has no
// timestamp; it needs a level, or a bracketed thread followed by a
// component.
func SplitMessage(msg []byte, h *Header) bool { return split(msg, h, true, true) }

// split finds the header of line. A level word written as in a sentence
// ("Error", "Warning") is a level after a timestamp unless strict: strict
// headers take only upper-case, bracketed or colon-ended levels, and a
// nested header is strict ("Error when calling …" in a syslog message is
// the message's).
func split(line []byte, h *Header, nested, strict bool) bool {
	h.Reset()
	if !nested && splitPipes(line, h) {
		return true
	}
	if !nested && splitPython(line, h) {
		return true
	}
	memo := newPeeks()
	c := cursor{line: line, memo: &memo}
	tsStart, tsEnd := -1, -1
	haveLevel, ahead := false, false

	// 0a. A syslog priority before a line with no syslog header after it
	// is its level: "<4>message" (sd-daemon(3)'s prefixes for the
	// journal), "<6>Category[0] message" (.NET's systemd console
	// formatter), the kernel's "<6>[    0.000000] …" (/dev/kmsg).
	if !nested {
		if pe := priEnd(line); pe > 0 {
			h.Level = line[:pe]
			haveLevel = true
			c.pos = pe
			s, e := c.peek()
			if s == pe && s < e {
				if name, id, ok := nameWithID(line[s:e]); ok {
					h.Component, h.Source = name, id // the category and its event id
					c.pos = e
					h.ended = true
					goto done
				}
			}
			if s < e && !startsTime(line[s:e]) && !isTimeText(line[s:e], true) {
				h.ended = true
				goto done
			}
		}
	}

	// 0b. A bracketed group of header tokens opening with a timestamp:
	// "[2024-08-18T08:37:49Z DEBUG app::db] …" (Rust's env_logger),
	// "[10:10:04 INF] …" (Serilog's console sink), "[2024-12-27T09:28:39.498000
	// #13983]" (Ruby's Logger, after its one-letter flag "I,"). With a
	// level in it the group is the whole header.
	if !nested && !haveLevel {
		s, e := c.peek()
		flag := false
		if s < e && isFlag(line[s:e]) {
			if s2, e2 := c.at(e); s2 < e2 && headerGroup(line[s2:e2]) {
				flag = true
				h.Source = trimComma(line[s:e])
				s, e = s2, e2
			}
		}
		if s < e && headerGroup(line[s:e]) {
			if ts0, ts1, lvl := group(h, line, s, e); ts0 >= 0 {
				h.grouped = true
				tsStart, tsEnd = ts0, ts1
				setTime(h, line, tsStart, tsEnd)
				haveLevel = lvl
				c.pos = e
				if lvl {
					h.ended = true
					goto done
				}
				goto between
			}
		}
		if flag {
			h.Source = nil
		}
	}

	// 0. A lone dash before the timestamp (an alert flag) is skipped; a
	// file or source name before a date is kept as the source.
	if !nested {
		s, e := c.peek()
		s2, e2 := c.at(e)
		if e-s == 1 && line[s] == '-' {
			c.pos = e
		} else if s < e && s2 < e2 && isLevel(line[s:e]) && !capitalisedOnly(line[s:e]) && startsTime(line[s2:e2]) {
			// a level first: "[INFO] 2024-01-05 10:15:00.000 [main] …"
			h.Level = trimLevel(line[s:e])
			haveLevel = true
			c.pos = e
		} else if s < e && isUpperWord(line[s:e]) && s2 < e2 && isTimeText(line[s2:e2], true) {
			h.Source = line[s:e] // an upper-case flag or category before the time
			c.pos = e
		} else if s < e && !isTimeText(line[s:e], true) {
			s2, e2 := c.at(e)
			if s2 < e2 && (startsTime(line[s2:e2]) || e2-s2 <= 2 && isDay(line[s2:e2]) && dayMonthYear(line, e2)) {
				h.Source = line[s:e]
				c.pos = e
			}
		}
	}

	// 1. Timestamp: up to six tokens, possibly one bracketed group.
	if !nested {
		tsStart, tsEnd = scanTime(&c, line)
		setTime(h, line, tsStart, tsEnd)
		if tsEnd > 0 && line[tsEnd-1] == ':' && line[tsStart] != '[' && (tsEnd == len(line) || line[tsEnd] == ' ' || line[tsEnd] == '\t') {
			// a time closed by a colon of its own is all the header
			// there is ("1714718446: Error getting …", Mosquitto's),
			// as a pipe closes Squid's (splitPipes, and a name's below)
			h.ended = true
			goto done
		}
	}

	// 2. Between timestamp and message: pid, host/program, separators, level,
	// threads, component.
between:
	for n := 0; n < 10; n++ {
		s, e := c.peek()
		if s >= e {
			break
		}
		tok := line[s:e]
		switch {
		case isSeparator(tok):
			c.pos = e
			continue
		case !haveLevel && isLevel(tok) && (tsStart >= 0 && !strict || !capitalisedOnly(tok)):
			// without a timestamp, "Error reading config" starts a message:
			// a level there is upper-case, bracketed or ends in ':'
			h.Level = trimLevel(tok)
			haveLevel = true
			c.pos = e
			if tok[len(tok)-1] == ':' {
				// a dotted name and a number in brackets after a level's
				// colon are a category and its id: "info: Cat.Name[1000] …"
				// (.NET's simple console formatter), as after a priority
				if s2, e2 := c.peek(); s2 < e2 && h.Component == nil && line[e2-1] == ']' {
					if name, id, ok := nameWithID(line[s2:e2]); ok && hasDot(name) {
						h.Component, h.Source = name, id
						c.pos = e2
						h.ended = true
						goto done
					}
				}
			}
			if tok[len(tok)-1] == ':' && tsStart >= 0 {
				// "… LOG:  message": a level's colon closes the header
				// (bunyan's "INFO: name/pid on host:" after it)
				if prog, pid, host, end, ok := nameOnHost(line, e); ok {
					h.Program, h.PID, h.Host = prog, pid, host
					c.pos = end
				}
				h.ended = true
				goto done
			}
			continue
		case tsStart >= 0 && !haveLevel && h.Program == nil && !nested && line[e-1] == ']' && line[s] != '[' && levelNext(&c, line, e) && isNameWithPIDThread(tok):
			// a name and its pid (and thread) in brackets before a
			// level: "[1712215503] unbound[19054:1] info: …" (Unbound's
			// log file), syslog's identifier[pid] without its colon
			h.Program, h.PID, h.Thread, _ = nameWithPIDThread(tok)
			c.pos = e
			continue
		case tsStart >= 0 && !haveLevel && !nested && isPairToken(tok):
			// metadata pairs before the level: "13:55:07.123
			// request_id=F7a9 pid=<0.412.0> [info] message"
			end, ls, le := pairsBeforeLevel(line, s)
			if end == 0 {
				break
			}
			h.Meta = line[s:end]
			h.Level = trimLevel(line[ls:le])
			haveLevel = true
			c.pos = le
			continue
		case tsStart < 0 && !nested && haveLevel && startsTime(tok):
			// a timestamp after a leading level (and thread): "INFO  [main]
			// 2024-01-05 10:15:00,123 …"
			tsStart, tsEnd = scanTime(&c, line)
			setTime(h, line, tsStart, tsEnd)
			continue
		case !haveLevel && tsStart < 0 && !nested && levelSeq(tok) > 0:
			// logrus's text without colours: "WARN[0012] message"
			h.Level = tok[:levelSeq(tok)]
			haveLevel = true
			c.pos = e
			continue
		case !haveLevel && h.PID != nil && len(tok) == 1 && isLetterLevel(tok[0]):
			// logcat: "1702  2395 D Tag: message"
			h.Level = tok
			haveLevel = true
			c.pos = e
			continue
		case tsStart >= 0 && !haveLevel && h.PID == nil && h.Program == nil && isInt(tok) && len(tok) <= 10:
			h.PID = tok
			c.pos = e
			continue
		case tsStart >= 0 && !haveLevel && h.PID != nil && h.Thread == nil && isInt(tok) && len(tok) <= 10:
			h.Thread = tok // a thread id after the pid
			c.pos = e
			continue
		case tsStart >= 0 && !haveLevel && h.Program == nil && !nested && len(tok) >= 2 && tok[len(tok)-1] == '|' && isNameToken(tok[:len(tok)-1]):
			// a name closed by a pipe glued to it closes the header:
			// "2024/06/30 10:33:47 kid1| …" (Squid's cache.log, as its
			// master's "2024/06/30 10:33:47| …" that splitPipes reads)
			h.Program = tok[:len(tok)-1]
			h.ended = true
			c.pos = e
			goto done
		case haveLevel && !nested && h.PID == nil && h.Program == nil && tok[0] == '(' && isParenNameOnHost(line, s):
			// bunyan's "name/pid on host:" in parentheses closes the
			// header: "[13:15:00.000] INFO (1234): …", "… INFO (app/1234
			// on web-1): …" (pino-pretty)
			prog, pid, host, end, _ := parenNameOnHost(line, s)
			h.Program, h.PID, h.Host = prog, pid, host
			h.ended = true
			c.pos = end
			goto done
		case len(tok) >= 2 && tok[0] == '(' && tok[len(tok)-1] == ')' && haveLevel && h.Component != nil && h.Thread == nil:
			// JBoss/WildFly: "INFO  [org.x.Category] (worker thread 3) message"
			h.Thread = tok[1 : len(tok)-1]
			h.ended = true
			c.pos = e
			goto done
		case len(tok) >= 2 && tok[0] == '[' && tok[len(tok)-1] == ']' && (haveLevel || tsStart >= 0 || nested) && h.Thread == nil && !isLevel(tok) && !modelLevel(tok):
			if in := trimSpaceRight(tok[1 : len(tok)-1]); h.Component == nil && hasDot(in) && isNameToken(in) && !isTimeText(in, false) && !dottedHost(in) {
				h.Component = in // a logger name in brackets: "[o.e.c.m.MetadataIndexService]"
			} else {
				h.Thread = tok[1 : len(tok)-1]
			}
			c.pos = e
			continue
		}
		if tsStart < 0 && !haveLevel && !(nested && h.Thread != nil) {
			break
		}
		// bunyan's long format: "name/pid on host:" closes the header
		if h.Program == nil && !nested && slashInside(tok) {
			if prog, pid, host, end, ok := nameOnHost(line, s); ok {
				h.Program, h.Host = prog, host
				if h.PID == nil {
					h.PID = pid
				}
				h.ended = true
				c.pos = end
				break
			}
		}
		// a call site closes the header: Go's log "file.go:42: ", zap's
		// "pkg/file.go:42", log4j's "%F:%L - " (as the source: the miner
		// takes no call site for a logger)
		if h.Component == nil && h.Source == nil && isCallSite(tok) {
			h.Source = trimColon(tok)
			h.ended = true
			c.pos = e
			if s2, e2 := c.peek(); s2 < e2 && isDash(line[s2:e2]) {
				c.pos = e2 // "Foo.java:212 - message"
			}
			break
		}
		// syslog: [host] program[pid]: or [host] program:
		if tsStart >= 0 && !haveLevel && h.Program == nil {
			if prog, pid, ok := programToken(tok); ok {
				h.Program, h.PID = prog, pid
				c.pos = e
				break
			}
			s2, e2 := c.at(e)
			if s2 < e2 && isHostToken(tok) {
				if prog, pid, ok := programToken(line[s2:e2]); ok {
					h.Host, h.Program, h.PID = tok, prog, pid
					c.pos = e2
					break
				}
			}
		}
		// a source word and a level label of several words: "PHP
		// Fatal error:  message" (srclabel.go)
		if tsStart >= 0 && !haveLevel && !nested && h.Source == nil && isUpperWord(tok) {
			if ls, le, end := srcLabel(line, e); end > 0 {
				h.Source, h.Level = tok, line[ls:le]
				c.pos = end
				h.ended = true
				goto done
			}
		}
		// node names, ids and upper-case words before a level:
		// "R02-M1-N0 RAS KERNEL INFO message"
		if tsStart >= 0 && !haveLevel && !ahead {
			if end := levelAhead(line, s); end > 0 && !dashAfter(line, e) {
				if h.Source == nil {
					h.Source = trimSpaceRight(line[s:end])
					// a column and a pid: two fields ("spid85       4242
					// INFO", "Logon        (4242) INFO", "main  #4242 WARN")
					splitSpan(line, s, e, end, h)
				} else {
					h.Component = trimSpaceRight(line[s:end])
				}
				ahead = true
				c.pos = end
				continue
			}
		}
		// component: "pkg.Class:" / "file.go:42]" after a level or timestamp;
		// after a one-letter level any "Tag:"
		if (haveLevel || h.PID != nil || h.Thread != nil) && (isComponent(tok) || len(h.Level) == 1 && len(tok) > 1 && tok[len(tok)-1] == ':' && isNameToken(tok[:len(tok)-1])) {
			h.Component = tok[:len(tok)-1]
			h.ended = true
			c.pos = e
			break
		}
		// Python-style "LEVEL pkg.module [context] message"
		if haveLevel && h.Component == nil && hasDot(tok) && isNameToken(tok) {
			s2, e2 := c.at(e)
			if s2 < e2 && line[s2] == '[' && line[e2-1] == ']' && !isLevel(line[s2:e2]) {
				h.Component = tok
				if h.Thread == nil {
					h.Thread = line[s2+1 : e2-1]
				}
				c.pos = e2
				break
			}
		}
		// "program - message" (one or two tokens before a lone dash)
		if tsStart >= 0 && !nested && h.Program == nil && h.Component == nil {
			cur := cursor{line: line, pos: e, memo: &memo}
			s2, e2 := cur.peek()
			if s2 < e2 && isDash(line[s2:e2]) && isNameToken(tok) {
				h.Program = tok
				h.ended = true
				c.pos = e2
				// "name - LEVEL - message": the level after the dash is
				// the header's too, whatever the name looks like
				if s3, e3 := c.peek(); s3 < e3 && !haveLevel && isLevel(line[s3:e3]) && !capitalisedOnly(line[s3:e3]) {
					h.Level = trimLevel(line[s3:e3])
					haveLevel = true
					c.pos = e3
					if s4, e4 := c.peek(); s4 < e4 && isSeparator(line[s4:e4]) {
						c.pos = e4
					}
				}
				break
			}
			cur.pos = e2
			s3, e3 := cur.peek()
			if s2 < e2 && s3 < e3 && isDash(line[s3:e3]) && isNameToken(tok) && e2-s2 <= 8 {
				h.Program = line[s:e2]
				h.ended = true
				c.pos = e3
				break
			}
		}
		break
	}
done:
	if tsStart < 0 && !haveLevel && !(nested && h.Thread != nil && h.Component != nil) {
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

// scanTime reads a timestamp of up to six tokens, possibly one bracketed
// group, at c and returns its bounds in line (-1, -1: none); c moves past it.
func scanTime(c *cursor, line []byte) (tsStart, tsEnd int) {
	tsStart, tsEnd = -1, -1
	for n := 0; n < 6; n++ {
		if tsEnd > 0 && line[tsEnd-1] == ':' {
			break // a colon glued to a time closes it ("1714718446: NAT …")
		}
		s, e := c.peek()
		if s >= e {
			break
		}
		tok := line[s:e]
		ok := false
		switch {
		case len(tok) >= 2 && tok[0] == '[' && tok[len(tok)-1] == ']' && isBracketTime(tok[1:len(tok)-1]):
			ok = tsStart < 0
		case isTimeText(tok, tsStart < 0):
			// a bare 6- or 8-digit number is a date only before a clock
			// (081109 203615); else it is a record id or a count
			ok = !(tsStart < 0 && isInt(tok) && (len(tok) == 6 || len(tok) == 8) && !clockAfter(c, line, e))
			// and a bare epoch only in a plausible range
			ok = ok && !(tsStart < 0 && isInt(tok) && (len(tok) == 10 || len(tok) == 13) && !(tok[0] == '1'))
		case tsStart < 0:
			switch {
			case isMonth(tok) || isWeekday(tok):
				ok = true
			case isDateWord(tok) && hasColon(line[e:min(len(line), e+9)]):
				ok = true // "22-Mar-2024 11:22:06.463"
			case len(tok) <= 2 && isDay(tok) && dayMonthYear(line, e):
				ok = true // "02 Jan 2024 10:15:00.000"
			}
		default:
			lw := lastWord(line[tsStart:tsEnd]) // the timestamp's last word so far
			switch {
			case isMonth(lw) && isDay(tok):
				ok = true
			case isDay(lw) && isMonth(tok):
				ok = true
			case isWeekday(lw) && isMonth(tok):
				ok = true
			case hasColon(lw) && (isYear(tok) || isZone(tok)):
				ok = true // "Mon Jun 8 12:08:44 2020", "09:22:18.536 UTC"
			}
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
	return tsStart, tsEnd
}

// setTime sets h.Time to line[tsStart:tsEnd] without brackets or a
// trailing ',' or ':'.
func setTime(h *Header, line []byte, tsStart, tsEnd int) {
	if tsStart < 0 {
		return
	}
	h.Time = trimBrackets(line[tsStart:tsEnd])
	for len(h.Time) > 0 && (h.Time[len(h.Time)-1] == ',' || h.Time[len(h.Time)-1] == ':') {
		h.Time = h.Time[:len(h.Time)-1]
	}
}

// dayMonthYear reports whether the tokens after a day at pos are a month
// name and a year or a clock ("02 Jan 2024", "02 Jan 10:15:00").
func dayMonthYear(line []byte, pos int) bool {
	s, e := scanToken(line, pos)
	if s >= e || !isMonth(line[s:e]) {
		return false
	}
	s, e = scanToken(line, e)
	return s < e && (isYear(line[s:e]) || hasColon(line[s:e]) && isTimeText(line[s:e], false))
}

// startsTime reports whether tok opens a timestamp that carries a date.
func startsTime(tok []byte) bool {
	return isDate(tok) || isDateTime(tok) || len(tok) > 2 && tok[0] == '[' && tok[len(tok)-1] == ']' && isBracketTime(tok[1:len(tok)-1])
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
	if !isDigit(tok[0]) {
		// klog: I1121 10:00:00.123456; no other time opens with a letter
		return first && (tok[0] == 'I' || tok[0] == 'W' || tok[0] == 'E' || tok[0] == 'F') && len(tok) == 5 && isInt(tok[1:])
	}
	// epoch seconds with a fraction: 1704449700.123
	if first && isEpochFrac(tok) {
		return true
	}
	digits, seps, colons, dashes, slashes, dots := 0, 0, 0, 0, 0, 0
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
			if c == '.' {
				dots++
			}
		case c == 'T' && i > 0 && isDigit(tok[i-1]):
		case c == 'Z' && i == len(tok)-1:
		case c == '+' && i > 0:
		case c == ' ':
			seps++
		default:
			return false
		}
	}
	if digits < 4 || dots == 3 && colons <= 1 {
		return false // 10.0.0.1:80 is an address
	}
	if colons == 1 && seps == 1 && isPidTid(tok) {
		return false // "4242:7" is a pid and a thread id
	}
	if seps == 0 {
		// pure digits: 081109 / 203615 (yymmdd, hhmmss), 20151018, epoch
		return len(tok) == 6 || len(tok) == 8 || len(tok) == 10 || len(tok) == 13
	}
	if colons >= 1 || dashes == 2 || slashes == 2 || dots == 2 && seps == 2 && digits == 8 {
		return true
	}
	// "10.30" (in a bracketed timestamp) or "03-17" (logcat): month and day
	return first && seps == 1 && digits == 4 && len(tok) == 5 && (tok[2] == '.' || tok[2] == '-')
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

// isSeparator: a run of one to three marks between header fields ("-",
// "|", ":", "--", "::", ">>", "=>").
func isSeparator(b []byte) bool { return isPunctRun(b) }

func isDash(b []byte) bool { return len(b) == 1 && b[0] == '-' }

// dashAfter reports whether the token at or after pos is a lone dash.
func dashAfter(line []byte, pos int) bool {
	s, e := scanToken(line, pos)
	return s < e && isDash(line[s:e])
}

var levels = []string{
	"TRACE", "DEBUG", "INFO", "NOTICE", "WARN", "WARNING", "ERROR", "ERR", "FATAL",
	"CRITICAL", "CRIT", "SEVERE", "ALERT", "EMERG", "PANIC", "FINE", "FINER", "FINEST", "CONFIG",
	"NOTE", "VERBOSE", "DBG", "WRN", "ERRO", "INFORMATION", "INF", "TRC", "FTL",
	"DEBU", "TRAC", "FATA", "PANI", // logrus's four letters
	"DBUG", "EROR", "TRCE", // log15's (and its forks': go-ethereum, erigon)
	"LOG", // PostgreSQL's, with its colon only (see isLevel)
}

// trimLevel strips brackets and a trailing colon: "[INFO]" "INFO:" "<warn>".
func trimLevel(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == ':' || b[len(b)-1] == ']' || b[len(b)-1] == '>' || b[len(b)-1] == ' ') {
		b = b[:len(b)-1]
	}
	for len(b) > 0 && (b[0] == '[' || b[0] == '<' || b[0] == ' ') {
		b = b[1:]
	}
	return b
}

func isLevel(tok []byte) bool {
	b := trimLevel(tok)
	switch levelKind(b) {
	case lvNone:
		return false
	case lvLOG:
		// LOG only with its colon ("LOG Compact …" and a "[log]" thread
		// are no levels)
		return tok[len(tok)-1] == ':' && tok[0] != '['
	}
	// lower-case levels only when bracketed or with a colon, to leave
	// message words ("error: …") alone
	return b[0] >= 'A' && b[0] <= 'Z' || len(b) != len(tok)
}

// The kinds of level words levelKind tells apart.
const (
	lvNone  = iota // no word of levels
	lvLevel        // a level word
	lvWord         // also a word of its own: CONFIG, NOTE, FINE, FINER, FINEST, ALERT, VERBOSE, NOTICE
	lvLOG          // PostgreSQL's LOG
)

// levelKind reports which word of levels b is, read as ASCII upper case,
// if any: one switch on the upper-cased bytes instead of a
// compare with every word, as isLevel and modelLevel ask it of most
// header tokens of every line. TestLevelKind checks it against levels.
func levelKind(b []byte) int {
	if len(b) < 3 || len(b) > 11 {
		return lvNone
	}
	var buf [11]byte
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			c -= 32
		} else if c < 'A' || c > 'Z' {
			return lvNone // every level word is letters only
		}
		buf[i] = c
	}
	switch string(buf[:len(b)]) {
	case "TRACE", "DEBUG", "INFO", "WARN", "WARNING", "ERROR", "ERR", "FATAL",
		"CRITICAL", "CRIT", "SEVERE", "EMERG", "PANIC",
		"DBG", "WRN", "ERRO", "INFORMATION", "INF", "TRC", "FTL",
		"DEBU", "TRAC", "FATA", "PANI", "DBUG", "EROR", "TRCE", "VRB":
		return lvLevel
	case "CONFIG", "NOTE", "FINE", "FINER", "FINEST", "ALERT", "VERBOSE", "NOTICE":
		return lvWord
	case "LOG":
		return lvLOG
	}
	return lvNone
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
	if len(b) == 0 || len(b) > 96 || nameBytes[b[0]] != nameAlnum {
		return false
	}
	for _, c := range b {
		if nameBytes[c] == 0 {
			return false
		}
	}
	return true
}

// nameBytes classes the bytes of a name (isNameToken): letters and digits
// (nameAlnum), and the punctuation a name may hold after its first byte.
var nameBytes = func() (t [256]uint8) {
	for c := 0; c < 256; c++ {
		switch b := byte(c); {
		case isDigit(b) || b|0x20 >= 'a' && b|0x20 <= 'z':
			t[c] = nameAlnum
		case b == '.' || b == '-' || b == '_' || b == '$' || b == '/' || b == '(' || b == ')':
			t[c] = namePunct
		}
	}
	return t
}()

const (
	nameAlnum = 1 + iota
	namePunct
)

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
	if last == ':' && isModulePath(b) {
		return true // a Rust target: "hyper::proto::h1:"
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

// isModulePath: names joined by "::" ("tokio::net", "app::db::pool").
func isModulePath(b []byte) bool {
	if bytes.IndexByte(b, ':') < 0 {
		return false // one name: no path
	}
	parts := 0
	for len(b) > 0 {
		i := 0
		for i < len(b) && b[i] != ':' {
			i++
		}
		if i == 0 || !isNameToken(b[:i]) {
			return false
		}
		parts++
		if i == len(b) {
			break
		}
		if i+2 >= len(b) || b[i+1] != ':' {
			return false
		}
		b = b[i+2:]
	}
	return parts >= 2
}

// levelSeq returns the length of the level in a level glued to a
// bracketed number ("INFO[0000]", "ERRO[0042]"), or 0.
func levelSeq(tok []byte) int {
	i := 0
	for i < len(tok) && tok[i] >= 'A' && tok[i] <= 'Z' {
		i++
	}
	if i < 4 || i > 5 || len(tok) < i+3 || tok[i] != '[' || tok[len(tok)-1] != ']' || !isInt(tok[i+1:len(tok)-1]) || !isLevel(tok[:i]) {
		return 0
	}
	return i
}

// isCallSite: a source file and line, "main.go:42", "pkg/file.go:42:".
func isCallSite(tok []byte) bool {
	b := trimColon(tok)
	k := len(b) - 1
	for k >= 0 && isDigit(b[k]) {
		k--
	}
	if k <= 0 || k == len(b)-1 || b[k] != ':' || !isNameToken(b[:k]) {
		return false
	}
	// a file name: letters after its last dot
	d := k - 1
	for d > 0 && b[d] != '.' && b[d] != '/' {
		d--
	}
	return b[d] == '.' && d < k-1 && letters(b[d+1:k]) == k-d-1
}

func trimColon(b []byte) []byte {
	if len(b) > 0 && b[len(b)-1] == ':' {
		return b[:len(b)-1]
	}
	return b
}

func hasEq(b []byte) bool {
	for _, c := range b {
		if c == '=' {
			return true
		}
	}
	return false
}

func hasDot(b []byte) bool {
	for _, c := range b {
		if c == '.' {
			return true
		}
	}
	return false
}

func trimSpaceRight(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}

func lastWord(b []byte) []byte {
	i := len(b)
	for i > 0 && b[i-1] != ' ' && b[i-1] != '\t' && b[i-1] != '[' {
		i--
	}
	return b[i:]
}

func isLetterLevel(c byte) bool {
	switch c {
	case 'V', 'D', 'I', 'W', 'E', 'F', 'A':
		return true
	}
	return false
}

// isDate: a date with a year (2017-05-16, 2017/05/16, 2005.06.03).
func isDate(b []byte) bool {
	if len(b) != 10 {
		return false
	}
	for i, c := range b {
		switch i {
		case 4, 7:
			if c != '-' && c != '/' && c != '.' {
				return false
			}
		default:
			if !isDigit(c) {
				return false
			}
		}
	}
	return b[4] == b[7]
}

// isDateTime: a date with a year and a clock in one token
// (2024-01-05T10:15:00Z, 2024-01-05T10:15:00.123+02:00).
func isDateTime(b []byte) bool {
	return len(b) > 11 && isDate(b[:10]) && b[10] == 'T' && isDigit(b[11]) && isTimeText(b, true)
}

// isEpochFrac: epoch seconds from 2001 on with a fraction (1704449700.123).
func isEpochFrac(b []byte) bool {
	if len(b) < 12 || len(b) > 20 || b[0] != '1' || b[10] != '.' {
		return false
	}
	return isInt(b[:10]) && isInt(b[11:])
}

// isBracketTime: the inside of "[...]" is a timestamp: digits with time
// separators, month and weekday names ("Sun Dec 04 04:47:44 2005",
// "10.30 16:49:06", "2024-01-02 10:00:00.123").
func isBracketTime(b []byte) bool {
	if isTimeText(b, true) {
		return true
	}
	b0 := b
	clock := false
	words := 0
	for len(b) > 0 {
		if b[0] >= 'a' && b[0] <= 'z' {
			return false // none of the words below opens with a small letter ("[main]", "[pool-2-thread-1]")
		}
		i := 0
		for i < len(b) && b[i] != ' ' {
			i++
		}
		w := b[:i]
		switch {
		case len(w) == 0:
		case isMonth(w) || isWeekday(w):
		case isInt(w) && len(w) <= 4:
		case isTimeText(w, true) || isDateWord(w):
			clock = true
		case isZone(w):
		default:
			return false
		}
		words++
		for i < len(b) && b[i] == ' ' {
			i++
		}
		b = b[i:]
	}
	return clock && (words >= 2 || isDateWord(b0))
}

// levelAhead looks for an upper-case level within the next five tokens
// from pos, with only upper-case words and tokens carrying digits before
// it, or first a name padded to a column's width (paddedName) and after
// it dotted logger names too (isLogger). It returns where the level
// starts, or 0.
func levelAhead(line []byte, pos int) int {
	c := cursor{line: line, pos: pos}
	col := false // the first token is padded to a column's width
	for n := 0; n < 6; n++ {
		s, e := c.peek()
		if s >= e {
			return 0
		}
		tok := line[s:e]
		if n == 0 {
			col = paddedName(line, s, e)
		}
		if n > 0 && isLevel(tok) && tok[0] >= 'A' && tok[0] <= 'Z' && !capitalisedOnly(tok) {
			return s
		}
		digits, lower := false, false
		for _, ch := range tok {
			if isDigit(ch) {
				digits = true
			} else if ch >= 'a' && ch <= 'z' {
				lower = true
			}
		}
		if !digits && lower && !hasEq(tok) && !(len(tok) >= 2 && isBracketPair(tok[0], tok[len(tok)-1])) && !(n == 0 && col) && !(n > 0 && col && isLogger(tok)) {
			// a word; a key=value list, a bracketed group or, after
			// a padded column, a dotted logger name is a header field
			// ("user=,db=", "{main}", "spid85     o.a.k.Store INFO")
			return 0
		}
		c.pos = e
	}
	return 0
}

// paddedName reports whether line[s:e] is a name followed by alignment
// padding (two blanks or more): the value of a column padded to its width
// that happens to be a plain word. Such a column holds words and ids
// alike (SQL Server ERRORLOG's "spid85      " / "Logon       ", log4j's
// %-15t "pool-3-thread-12" / "main           ", Python's %(name)-12s), so
// the word lines are read as the id lines are (a header field before the
// level), not as the message's first word.
func paddedName(line []byte, s, e int) bool {
	return e-s <= 32 && isNameToken(line[s:e]) && e+2 < len(line) &&
		(line[e] == ' ' || line[e] == '\t') && (line[e+1] == ' ' || line[e+1] == '\t')
}

// pidOf returns the number of a pid token: "4242", "(4242)", "[4242]",
// "#4242"; nil for any other token.
func pidOf(tok []byte) []byte {
	if len(tok) >= 3 && (tok[0] == '(' && tok[len(tok)-1] == ')' || tok[0] == '[' && tok[len(tok)-1] == ']') {
		tok = tok[1 : len(tok)-1]
	} else if len(tok) >= 2 && tok[0] == '#' {
		tok = tok[1:]
	}
	if isInt(tok) && len(tok) <= 10 {
		return tok
	}
	return nil
}

// splitSpan splits the span line[s:end] of a column (line[s:e]) and the
// tokens after it up to a level into a field each, when every one of them
// is of a kind the header knows: a pid ("spid85       4242 INFO",
// "Logon        (4242) INFO", "main  #4242 WARN"), a pid and thread id
// ("spid106       57921:10 WRN", "main  [4242:7] INFO"), a bracketed
// group (thread, or component for a dotted logger: "<kubernetes>",
// "[o.a.k.Foo]") or a dotted logger name ("io.k8s.pkg.proxy.Proxier"):
// SQL Server's ERRORLOG spid column, log4j's and logback's %-15t thread
// column and %c logger, before a pid, a bracketed app and the level. Any
// other token ("R02-M1-N0 RAS KERNEL INFO") keeps the span one source.
func splitSpan(line []byte, s, e, end int, h *Header) {
	var pid, tid, comp []byte
	c := cursor{line: line, pos: e}
	n := 0
	for {
		s2, e2 := c.peek()
		if s2 >= e2 || s2 >= end {
			break
		}
		tok := line[s2:e2]
		c.pos = e2
		n++
		if p := pidOf(tok); p != nil && pid == nil {
			pid = p
			continue
		}
		if p, t := pidTidOf(tok); p != nil && pid == nil && tid == nil {
			pid, tid = p, t
			continue
		}
		if len(tok) >= 3 && isBracketPair(tok[0], tok[len(tok)-1]) {
			in := trimPair(tok)
			if isLogger(in) && comp == nil {
				comp = in
				continue
			}
			if len(in) > 0 && isNameToken(in) && tid == nil {
				tid = in
				continue
			}
			return
		}
		if isLogger(tok) && comp == nil {
			comp = tok
			continue
		}
		return
	}
	if n == 0 || pid != nil && h.PID != nil || tid != nil && h.Thread != nil || comp != nil && h.Component != nil {
		return
	}
	h.Source = line[s:e]
	if pid != nil {
		h.PID = pid
	}
	if tid != nil {
		h.Thread = tid
	}
	if comp != nil {
		h.Component = comp
	}
}

// isLogger: a dotted logger or class name, letters first
// ("io.k8s.pkg.proxy.Proxier", "o.a.k.Foo"), not a host's dotted name.
func isLogger(b []byte) bool {
	return len(b) > 2 && hasDot(b) && isNameToken(b) && (b[0]|0x20 >= 'a' && b[0]|0x20 <= 'z') && !dottedHost(b) && b[len(b)-1] != '.'
}

// pidTidOf returns the pid and the thread id of a "pid:tid" token,
// bare or bracketed ("4242:7", "[4242:7]", "(4242:7)"): a process and a
// thread id joined by a colon, as Chromium's and Electron's logging open
// a line ("[4242:7:…"); nil, nil for any other token.
func pidTidOf(tok []byte) (pid, tid []byte) {
	if len(tok) >= 3 && (tok[0] == '(' && tok[len(tok)-1] == ')' || tok[0] == '[' && tok[len(tok)-1] == ']') {
		tok = tok[1 : len(tok)-1]
	}
	if !isPidTid(tok) {
		return nil, nil
	}
	i := 0
	for isDigit(tok[i]) {
		i++
	}
	return tok[:i], tok[i+1:]
}

// splitPipes handles "time|field|field|message" headers.
func splitPipes(line []byte, h *Header) bool {
	if bytes.IndexByte(line[:min(len(line), 41)], '|') < 0 {
		return false // no pipe where the loop below looks for the first
	}
	first, spaces := 0, 0
	for first < len(line) && first < 40 && line[first] != '|' && line[first] != '\t' {
		if line[first] == ' ' {
			spaces++ // "2024-01-05 10:15:00.123|…": a date and a clock
			if spaces > 1 {
				return false
			}
		}
		first++
	}
	// a blank before the pipe: " | " columns are the grammar's
	if first >= len(line) || line[first] != '|' || first == 0 || line[first-1] == ' ' || !isTimeText(line[:first], true) {
		return false
	}
	h.Time = line[:first]
	pos := first + 1
	for n := 0; n < 4; n++ {
		i := pos
		for i < len(line) && line[i] != '|' && line[i] != ' ' && line[i] != '\t' {
			i++
		}
		if i >= len(line) || line[i] != '|' {
			break
		}
		f := line[pos:i]
		switch {
		case isInt(f) && h.PID == nil:
			h.PID = f
		case isLevel(f) && h.Level == nil:
			h.Level = trimLevel(f)
		case h.Component == nil:
			h.Component = f
		}
		pos = i + 1
	}
	for pos < len(line) && (line[pos] == ' ' || line[pos] == '\t') {
		pos++ // "2024/06/30 10:33:47| message"
	}
	h.Message = line[pos:]
	return true
}

func isUpperWord(b []byte) bool {
	if len(b) < 2 || len(b) > 32 {
		return false
	}
	for _, c := range b {
		if !(c >= 'A' && c <= 'Z' || c == '_') {
			return false
		}
	}
	return true
}

func hasColon(b []byte) bool {
	for _, c := range b {
		if c == ':' {
			return true
		}
	}
	return false
}

func isYear(b []byte) bool {
	return len(b) == 4 && isInt(b) && (b[0] == '1' && b[1] == '9' || b[0] == '2' && b[1] == '0')
}

// isZone: UTC, CEST, Z, +0000, -07:00.
func isZone(b []byte) bool {
	if len(b) >= 5 && len(b) <= 6 && (b[0] == '+' || b[0] == '-') && isDigit(b[1]) {
		return true
	}
	if len(b) < 1 || len(b) > 4 {
		return false
	}
	for _, c := range b {
		if c < 'A' || c > 'Z' {
			return false
		}
	}
	return string(b) == "Z" || b[len(b)-1] == 'T' || string(b) == "UTC"
}

// isDateWord: a date with a month name, as in CLF ("14/Jan/2015:12:48:57.127").
func isDateWord(b []byte) bool {
	months := 0
	digits := 0
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case isDigit(c):
			digits++
		case c == '/' || c == ':' || c == '.' || c == ',' || c == '-' || c == '+':
		case i+3 <= len(b) && isMonth(b[i:i+3]):
			months++
			i += 2
		default:
			return false
		}
	}
	return months == 1 && digits >= 6
}

// clockAfter reports whether the token after pos is a clock: "203615" or
// a time with colons.
func clockAfter(c *cursor, line []byte, pos int) bool {
	s, e := c.at(pos) // the next token scanTime reads (c's memo keeps it)
	if s >= e {
		return false
	}
	tok := line[s:e]
	return isInt(tok) && len(tok) == 6 || hasColon(tok) && isTimeText(tok, false)
}

// capitalisedOnly: a level word written like a word of a sentence ("Error",
// "Warning"), not upper-case, bracketed or with a colon.
func capitalisedOnly(tok []byte) bool {
	if len(tok) < 2 || tok[0] < 'A' || tok[0] > 'Z' {
		return false
	}
	for _, c := range tok[1:] {
		if c < 'a' || c > 'z' {
			return false
		}
	}
	return true
}

// splitPython handles Python logging's default "LEVEL:logger:message".
func splitPython(line []byte, h *Header) bool {
	i := 0
	for i < len(line) && line[i] >= 'A' && line[i] <= 'Z' {
		i++
	}
	if i < 4 || i > 8 || i >= len(line) || line[i] != ':' || !isLevel(line[:i]) {
		return false
	}
	j := i + 1
	for j < len(line) && line[j] != ':' && line[j] != ' ' && line[j] != '\t' {
		j++
	}
	if j >= len(line) || line[j] != ':' || j == i+1 || !isNameToken(line[i+1:j]) {
		return false
	}
	h.Level, h.Component = line[:i], line[i+1:j]
	h.Message = line[j+1:]
	return true
}

// dottedHost: a dotted name whose first label holds a digit and a dash, a
// host's ("ip-10-0-45-21.ec2.internal", "web-7.example.com",
// "gke-prod-pool-1a2b.c.proj.internal"), not a logger's ("o.e.c.Foo",
// "io.grpc.Balancer", "k8s.io": no dash): bracketed, it is no component.
func dottedHost(b []byte) bool {
	digit, dash := false, false
	for _, c := range b {
		switch {
		case c == '.':
			return digit && dash
		case isDigit(c):
			digit = true
		case c == '-':
			dash = true
		}
	}
	return false
}

// priEnd returns the end of a syslog priority "<N>" (N ≤ 191) opening
// line, or 0.
func priEnd(line []byte) int {
	if len(line) < 4 || line[0] != '<' {
		return 0
	}
	v, i := 0, 1
	for ; i < len(line) && i <= 4 && isDigit(line[i]); i++ {
		v = v*10 + int(line[i]-'0')
	}
	if i == 1 || i > 4 || i >= len(line) || line[i] != '>' || v > 191 {
		return 0
	}
	return i + 1
}

// nameWithID matches "Name[123]" (a name and a number in brackets, a colon
// after them or not), as .NET writes a category and its event id.
func nameWithID(tok []byte) (name, id []byte, ok bool) {
	tok = trimColon(tok)
	if len(tok) < 4 || tok[len(tok)-1] != ']' {
		return nil, nil, false
	}
	open := -1
	for i := len(tok) - 2; i > 0; i-- {
		if tok[i] == '[' {
			open = i
			break
		}
	}
	if open <= 0 || !isInt(tok[open+1:len(tok)-1]) || !isNameToken(tok[:open]) {
		return nil, nil, false
	}
	return tok[:open], tok[open+1 : len(tok)-1], true
}

// nameWithPIDThread matches "name[pid]" and "name[pid:thread]" (no colon
// after them).
func nameWithPIDThread(tok []byte) (name, pid, thread []byte, ok bool) {
	if len(tok) < 4 || tok[len(tok)-1] != ']' {
		return nil, nil, nil, false
	}
	open := -1
	for i := len(tok) - 2; i > 0; i-- {
		if tok[i] == '[' {
			open = i
			break
		}
	}
	if open <= 0 || !isNameToken(tok[:open]) {
		return nil, nil, nil, false
	}
	in := tok[open+1 : len(tok)-1]
	pid = in
	for i, c := range in {
		if c == ':' {
			pid, thread = in[:i], in[i+1:]
			break
		}
	}
	if !isInt(pid) || len(pid) > 10 || thread != nil && (!isInt(thread) || len(thread) > 10) {
		return nil, nil, nil, false
	}
	return tok[:open], pid, thread, true
}

func isNameWithPIDThread(tok []byte) bool {
	_, _, _, ok := nameWithPIDThread(tok)
	return ok
}

func isParenNameOnHost(line []byte, s int) bool {
	_, _, _, _, ok := parenNameOnHost(line, s)
	return ok
}

// levelNext reports whether the token after e in line is a level.
func levelNext(c *cursor, line []byte, e int) bool {
	s2, e2 := c.at(e)
	return s2 < e2 && isLevel(line[s2:e2])
}

// isFlag: one or two upper-case letters, a comma after them or not
// (Ruby's Logger's "I," before its bracketed group).
func isFlag(tok []byte) bool {
	tok = trimComma(tok)
	if len(tok) == 0 || len(tok) > 2 {
		return false
	}
	for _, c := range tok {
		if c < 'A' || c > 'Z' {
			return false
		}
	}
	return true
}

func trimComma(b []byte) []byte {
	if len(b) > 0 && b[len(b)-1] == ',' {
		return b[:len(b)-1]
	}
	return b
}

// headerGroup reports whether tok is a bracketed group of several tokens
// whose first is a timestamp (a group that is a timestamp alone is
// scanTime's).
func headerGroup(tok []byte) bool {
	if len(tok) < 6 || tok[0] != '[' || tok[len(tok)-1] != ']' {
		return false
	}
	in := tok[1 : len(tok)-1]
	sp := 0
	for sp < len(in) && in[sp] != ' ' {
		sp++
	}
	if sp == 0 || sp == len(in) || isBracketTime(in) {
		return false
	}
	return isTimeText(in[:sp], true) && (startsTime(in[:sp]) || hasColon(in[:sp]))
}

// group reads a header group line[s:e] (see headerGroup) into h: its
// timestamp, then a level, a pid ("#13983"), a name (a logger, a Rust
// target) or a thread. A group with neither a level nor a pid is left to
// the rest of the grammar (celery's "[time: LEVEL/process]" is a
// timestamp and a thread). It returns the timestamp's bounds (-1: none,
// and h untouched) and whether a level was found.
func group(h *Header, line []byte, s, e int) (tsStart, tsEnd int, level bool) {
	sub := line[:e-1]
	gc := cursor{line: sub, pos: s + 1}
	tsStart, tsEnd = scanTime(&gc, sub)
	if tsStart < 0 {
		return -1, -1, false
	}
	var g Header
	for n := 0; n < 4; n++ {
		s2, e2 := gc.peek()
		if s2 >= e2 {
			break
		}
		tok := sub[s2:e2]
		switch {
		case !level && levelKind(trimLevel(tok)) == lvLevel:
			g.Level = trimLevel(tok)
			level = true
		case g.PID == nil && pidOf(tok) != nil:
			g.PID = pidOf(tok)
		case g.Component == nil && (isModulePath(tok) || isNameToken(tok)):
			g.Component = tok
		case g.Thread == nil:
			g.Thread = tok
		}
		gc.pos = e2
	}
	if !level && g.PID == nil {
		return -1, -1, false
	}
	h.Level, h.PID, h.Component, h.Thread = g.Level, g.PID, g.Component, g.Thread
	return tsStart, tsEnd, level
}
