package logparse

import (
	"bytes"

	"github.com/gopulse/gopulse/event"
)

// keyRole says what a well-known key means.
func keyRole(k []byte) Role {
	switch len(k) {
	case 1:
		if k[0] == 't' {
			return RoleTime
		}
	case 2:
		switch string(k) {
		case "ts", "@t":
			return RoleTime
		case "@l":
			return RoleLevel
		}
	case 3:
		switch string(k) {
		case "msg", "@mt":
			return RoleMessage
		case "lvl":
			return RoleLevel
		}
	case 4:
		switch string(k) {
		case "time", "date":
			return RoleTime
		}
	case 5:
		if string(k) == "level" {
			return RoleLevel
		}
	case 7:
		if string(k) == "message" {
			return RoleMessage
		}
	case 8:
		switch string(k) {
		case "severity", "loglevel", "@message":
			if k[0] == '@' {
				return RoleMessage
			}
			return RoleLevel
		case "datetime":
			return RoleTime
		}
	case 9:
		switch string(k) {
		case "timestamp", "log.level", "levelname":
			if k[0] == 't' {
				return RoleTime
			}
			return RoleLevel
		}
	case 10:
		if string(k) == "@timestamp" || string(k) == "time_local" {
			return RoleTime
		}
	case 12:
		if string(k) == "time_iso8601" {
			return RoleTime
		}
	}
	return RoleField
}

// classify gives a cheap type to a bare (unquoted) token: int, float, bool
// or string. Richer types are the schema's business.
func classify(v []byte) event.FieldType {
	if len(v) == 0 {
		return event.TypeString
	}
	switch string(v) {
	case "true", "false", "TRUE", "FALSE", "True", "False":
		return event.TypeBool
	}
	if e := scanNumber(v, 0); e == len(v) {
		for _, c := range v {
			if c == '.' || c == 'e' || c == 'E' {
				return event.TypeFloat
			}
		}
		return event.TypeInt
	}
	return event.TypeString
}

// applyRole stores a well-known key's value in the record.
func applyRole(r *Record, k, v []byte, year int) event.FieldType {
	switch keyRole(k) {
	case RoleMessage:
		if r.Message == nil {
			r.Message = v
		}
	case RoleLevel:
		if r.Level == nil {
			r.Level = NormalizeLevel(v)
		}
	case RoleTime:
		if ns, n, l, ok := r.parseAnyTime(v, year); ok && n == len(v) {
			r.SetTS(ns, l)
			return event.TypeTimestamp
		}
	}
	return 0
}

// logfmtPair parses key=value at i (no leading blanks) and adds the field.
// With strict, a key without "=" fails.
func logfmtPair(r *Record, b []byte, i int, strict bool) (int, bool) {
	ks := i
	for i < len(b) && b[i] > ' ' && b[i] != '=' && b[i] != '"' {
		i++
	}
	if i == ks {
		return 0, false
	}
	key := b[ks:i:i]
	if i >= len(b) || b[i] != '=' {
		if strict {
			return 0, false
		}
		r.Add(key, nil, event.TypeBool)
		return i, true
	}
	i++
	var val []byte
	t := event.TypeString
	if i < len(b) && b[i] == '"' {
		e, esc := scanQuoted(b, i+1, '"')
		if e < 0 {
			return 0, false
		}
		if e+1 < len(b) && b[e+1] != ' ' && b[e+1] != '\t' {
			e, esc = nestedClose(b, i+1)
			if e < 0 {
				return 0, false
			}
		}
		val = b[i+1 : e : e]
		if esc {
			val = unescape(r, val)
		}
		i = e + 1
		if i < len(b) && b[i] != ' ' && b[i] != '\t' {
			return 0, false
		}
	} else {
		vs := i
		for i < len(b) && b[i] != ' ' && b[i] != '\t' {
			if b[i] == '"' && strict {
				return 0, false
			}
			i++
		}
		val = b[vs:i:i]
		t = classify(val)
	}
	if rt := applyRole(r, key, val, 0); rt != 0 {
		t = rt
	}
	r.Add(key, val, t)
	return i, true
}

// nestedClose finds the quote closing a value opened before s whose
// first quote is glued to more text: a value that holds quoted
// text of its own (a logfmt line nested in msg="…", an error quoting a
// URL) escaped by a rule other than the reader's — inner quotes as \\"
// (an escaped backslash, then a bare quote) or bare. A quote after a
// blank, '(', '[', '{', '=' or a backslash and before more text opens an
// inner string, the next quote before a blank, the end or closing
// punctuation closes it, and the value ends at a quote before a blank or
// the end outside them. Encoders escape differently and change their
// rules (Log::Fmt 3.012's change log; HAProxy's +E option; node's logfmt
// 1.4 "quotes strings with quotes in them"): read strictly, such a line
// was no logfmt at all, and its event lost the line. It returns -1 when
// the quotes do not balance so, and whether a backslash was seen.
func nestedClose(b []byte, s int) (int, bool) {
	depth, esc := 0, false
	for i := s; i < len(b); i++ {
		switch b[i] {
		case '\\':
			esc = true
			i++
		case '"':
			if i+1 == len(b) || b[i+1] == ' ' || b[i+1] == '\t' {
				if depth == 0 {
					return i, esc
				}
				depth--
				continue
			}
			switch b[i+1] {
			case ')', ']', '}', ',', ';', ':', '.', '"', '\'':
				if depth > 0 {
					depth--
				}
				continue
			}
			if i > s {
				switch b[i-1] {
				case ' ', '(', '[', '{', '=', '\\':
					depth++
				}
			}
		}
	}
	return -1, esc
}

// Logfmt parses key=value lines ("level=info msg=\"hello world\" n=3").
// Every blank-separated token must be a key=value pair.
type Logfmt struct{}

// Name returns "logfmt".
func (Logfmt) Name() string { return "logfmt" }

// Parse parses one logfmt line.
func (Logfmt) Parse(line []byte, r *Record) error { return parseLogfmt("logfmt", line, r) }

func parseLogfmt(name string, line []byte, r *Record) error {
	i := 0
	n := 0
	for {
		for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
			i++
		}
		if i >= len(line) {
			break
		}
		e, ok := logfmtPair(r, line, i, true)
		if !ok {
			return r.Fail(name, "expected key=value", i)
		}
		i = e
		n++
	}
	if n == 0 {
		return r.Fail(name, "empty line", 0)
	}
	if n == 1 && name == "logfmt" {
		// one key=value token is no logfmt line: "cache|hitRatio=0.93" in
		// a free-text stream must not make the stream logfmt
		return r.Fail(name, "one key=value pair is not logfmt", 0)
	}
	r.Format = name
	r.Body = line
	return nil
}

// ParsePairs parses b, the rest of a line after a header, when it is all
// logfmt key=value pairs (at least two), as slog, logrus and others write
// after a timestamp: the pairs become fields, msg/message the message,
// level the level. It reports whether b was such pairs; when it was not,
// r is left as it was.
func ParsePairs(b []byte, r *Record) bool {
	if bytes.IndexByte(b, '=') < 0 {
		return false // no pair: each has its '='
	}
	mark, sc := len(r.Fields), len(r.scratch)
	msg, lvl := r.Message, r.Level
	r.Message, r.Level = nil, nil
	i, n := 0, 0
	for {
		for i < len(b) && (b[i] == ' ' || b[i] == '\t') {
			i++
		}
		if i >= len(b) {
			break
		}
		e, ok := logfmtPair(r, b, i, true)
		if !ok {
			n = 0
			break
		}
		i = e
		n++
	}
	if n < 2 {
		r.Fields, r.scratch = r.Fields[:mark], r.scratch[:sc]
		r.Message, r.Level = msg, lvl
		return false
	}
	if r.Level == nil {
		r.Level = lvl
	}
	return true
}

// SlogText parses the output of Go's log/slog TextHandler: logfmt whose
// first keys are time (optional), level and msg.
type SlogText struct{}

// Name returns "slog".
func (SlogText) Name() string { return "slog" }

// Parse parses one slog text line.
func (SlogText) Parse(line []byte, r *Record) error {
	if len(line) < 10 || !(hasPrefix(line, "time=") || hasPrefix(line, "level=")) {
		return r.Fail("slog", "expected time= or level=", 0)
	}
	if err := parseLogfmt("slog", line, r); err != nil {
		r.serr.Format = "slog"
		return err
	}
	i := 0
	if string(r.Fields[0].Key) == "time" {
		i = 1
	}
	if len(r.Fields) < i+2 || string(r.Fields[i].Key) != "level" || string(r.Fields[i+1].Key) != "msg" {
		return r.Fail("slog", "expected time, level and msg keys", 0)
	}
	// slog writes DEBUG, INFO, WARN, ERROR, optionally with an offset (INFO+2).
	lv := r.Fields[i].Value
	if len(lv) < 4 || lv[0] < 'A' || lv[0] > 'Z' || lv[1] < 'A' || lv[1] > 'Z' {
		return r.Fail("slog", "expected an upper-case level", 0)
	}
	base := lv
	for j, c := range lv {
		if c == '+' || c == '-' {
			base = lv[:j]
			break
		}
	}
	r.Level = NormalizeLevel(base)
	return nil
}

func hasPrefix(b []byte, p string) bool {
	return len(b) >= len(p) && string(b[:len(p)]) == p
}
