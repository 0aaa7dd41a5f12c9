package schema

import (
	"github.com/gopulse/gopulse/event"
	"github.com/gopulse/gopulse/logparse"
	"github.com/gopulse/gopulse/logparse/token"
)

// vote is the type one value votes for. It extends event.FieldType with a
// null vote; enums are decided per field from the cardinality, not per value.
type vote uint8

const (
	voteNull vote = iota
	voteString
	voteInt
	voteFloat
	voteBool
	voteTimestamp
	voteDuration
	voteIP
	voteUUID
	voteHex
	numVotes
)

var voteTypes = [numVotes]event.FieldType{
	voteNull:      event.TypeUnknown,
	voteString:    event.TypeString,
	voteInt:       event.TypeInt,
	voteFloat:     event.TypeFloat,
	voteBool:      event.TypeBool,
	voteTimestamp: event.TypeTimestamp,
	voteDuration:  event.TypeDuration,
	voteIP:        event.TypeIP,
	voteUUID:      event.TypeUUID,
	voteHex:       event.TypeHexID,
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func lowerEq(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c >= 'A' && c <= 'Z' {
			c += 32
		}
		if c != s[i] {
			return false
		}
	}
	return true
}

func isNull(v []byte) bool {
	return len(v) == 0 || (len(v) == 1 && v[0] == '-') || lowerEq(v, "null") || lowerEq(v, "nil") || lowerEq(v, "none") || lowerEq(v, "n/a")
}

// timeKey reports whether a field name says it holds a timestamp.
func timeKey(k []byte) bool {
	for _, s := range [...]string{"time", "ts", "timestamp", "@timestamp", "date", "datetime", "t"} {
		if lowerEq(k, s) {
			return true
		}
	}
	n := len(k)
	return n > 5 && (lowerEq(k[n-5:], "_time") || lowerEq(k[n-3:], "_ts") || lowerEq(k[n-3:], "_at"))
}

// classify returns the vote of one value and, for timestamps, the layout.
func classify(f *event.Field, year int) (vote, string) {
	return classifyKey(f, timeKey(f.Key), year)
}

// classifyKey is classify with timeKey(f.Key) already known (it is a
// property of the field, worked out once per field by the Inferrer).
// Numbers, durations, addresses, UUIDs and hex ids are recognised by the
// lexer the template miner uses too (logparse/token), so a value is a
// parameter of the same type in both.
func classifyKey(f *event.Field, isTimeKey bool, year int) (vote, string) {
	v := f.Value
	if len(v) > 0 && plainWordStart(v[0]) && f.Type != event.TypeTimestamp {
		return voteString, "" // not a number, address, id, duration, time or null
	}
	if isNull(v) {
		return voteNull, ""
	}
	if lowerEq(v, "true") || lowerEq(v, "false") {
		return voteBool, ""
	}
	// A value with a blank is none of the classes below (token.Spaced):
	// the header times of free text ("2015-10-18 18:01:47,978", "Dec 10
	// 06:55:46") skip the lexer's scan and go to the time layouts.
	cl := token.Word
	if !token.Spaced(v) {
		cl = token.Classify(v)
	}
	switch cl {
	case token.Int, token.Float:
		if f.Type == event.TypeTimestamp || isTimeKey {
			if _, used, layout, ok := logparse.ParseEpoch(v); ok && used == len(v) {
				return voteTimestamp, layout
			}
		}
		if token.Number(v) == 1 {
			return voteInt, ""
		}
		return voteFloat, ""
	case token.Duration:
		return voteDuration, ""
	case token.IP:
		return voteIP, ""
	case token.UUID:
		return voteUUID, ""
	case token.Hex:
		return voteHex, ""
	}
	if len(v) >= 6 && isDigit(v[0]) || len(v) >= 10 && v[0] >= 'A' && v[0] <= 'Z' {
		if _, used, layout, ok := logparse.ParseAnyTime(v, year); ok && used == len(v) {
			return voteTimestamp, layout
		}
		if used, layout := scanLooseTime(v); used == len(v) {
			return voteTimestamp, layout
		}
	}
	if f.Type == event.TypeTimestamp {
		return voteTimestamp, "text"
	}
	return voteString, ""
}

// classifyHint is classifyKey with the field's previous vote as a hint.
// When the hint is a type whose values are recognised by a single scan
// (an IPv4 address, a number), that scan is tried first: a value that
// passes it gets the same vote from classifyKey, whose earlier checks all
// fail on such a value (no IPv4 address is a plain word, null, bool,
// number or duration; a number is no plain word, null or bool), so the
// other scans are skipped. TestClassifyHint checks the equivalence.
func classifyHint(f *event.Field, isTimeKey bool, year int, hint vote) (vote, string) {
	switch hint {
	case voteIP:
		if v := f.Value; len(v) > 0 && v[0] != '/' && token.IsIPv4(v) {
			return voteIP, ""
		}
	case voteInt, voteFloat:
		if !isTimeKey && f.Type != event.TypeTimestamp {
			switch token.Number(f.Value) {
			case 1:
				return voteInt, ""
			case 2:
				return voteFloat, ""
			}
		}
	}
	return classifyKey(f, isTimeKey, year)
}

// scanLooseTime accepts the date/time shapes of free-text headers that the
// strict layouts leave out: "2015-10-18 18:01:47,978", "17/06/09 20:10:40",
// "081109 203615", "10.30 16:49:06". It returns the bytes used.
func scanLooseTime(b []byte) (int, string) {
	digits, seps, colons := 0, 0, 0
	for _, c := range b {
		switch {
		case isDigit(c):
			digits++
		case c == ':':
			colons++
		case c == '-' || c == '/' || c == '.' || c == ',' || c == ' ' || c == 'T':
			seps++
		default:
			return 0, ""
		}
	}
	if digits >= 8 && (colons >= 2 || (colons == 0 && digits == 12 && seps == 1)) {
		return len(b), "text"
	}
	return 0, ""
}

// plainWordStart: a first byte that no typed value starts with: not a
// digit, sign, bracket or hex letter, not the first letter of true, false,
// null or n/a, and not the first letter of a month or weekday name.
func plainWordStart(c byte) bool {
	switch c {
	case 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'o', 'p', 'q', 'r', 's', 'u', 'v', 'w', 'x', 'y', 'z',
		'G', 'H', 'I', 'K', 'L', 'P', 'Q', 'R', 'U', 'V', 'X', 'Y', 'Z', '/', '_', '"', '\'', '{':
		return true
	}
	return false
}
