// Package token is the one lexer of log text that the template miner, the
// schema inference and the free-text header model share: it splits a
// message into tokens and classifies each value (number, address, id,
// duration, path, URL, quoted string, …). Before it, each of them had its
// own recognisers, and they disagreed (the miner took 999.1.1.1 for an
// address, the schema did not).
//
// Everything works on []byte and allocates nothing.
package token

import (
	"bytes"
	"encoding/binary"
	"math/bits"
)

// Class is the kind of a value.
type Class uint8

// The classes. Word is a constant-looking word; every other class is a
// value (a template parameter).
const (
	Word     Class = iota // letters and punctuation, at most one embedded digit
	Int                   // 42, -7 (at most 19 digits)
	Float                 // 0.5, 1e9, -3.25
	Bool                  // true, false (any case)
	IP                    // 10.0.0.1, 10.0.0.1:8080, ::1, [fe80::1]:80 (octets ≤ 255)
	Hex                   // 0x1f, deadbeef01 (8+ hex digits with a letter)
	UUID                  // 123e4567-e89b-12d3-a456-426614174000
	Duration              // 10ms, 1.5s, 3m20s, 2h, 5min, -1s
	Size                  // 16KB, 12MiB, "16.0 KB" (number and unit)
	Time                  // 12:30:01, 2024-01-02, 2024-01-02T10:00:00Z, "Nov 9"
	Path                  // /var/log/x, ./a/b, C:\x, a/b/c with a digit
	URL                   // https://host/p?q=1, s3://bucket/key
	ID                    // any other token with digits: blk_-123, rack12, db-2, v1.2.3
	Quoted                // a quoted string holding blanks: "connection refused"
	String                // a word that varies between lines (found by mining; Classify never returns it)
	numClasses
)

var names = [numClasses]string{
	Word: "word", Int: "int", Float: "float", Bool: "bool", IP: "ip", Hex: "hex", UUID: "uuid",
	Duration: "duration", Size: "size", Time: "time", Path: "path", URL: "url", ID: "id",
	Quoted: "quoted", String: "string",
}

// String returns the class name.
func (c Class) String() string {
	if c < numClasses {
		return names[c]
	}
	return "unknown"
}

// byte flags
const (
	fDigit = 1 << iota
	fLower
	fUpper
	fHexLetter
	fSpace
	fOpen    // punctuation before a value: ( [ { < " ' `
	fClose   // punctuation after a value: ) ] } > " ' ` , ; . : ! ?
	fSpecial // a byte Split must look at: = " ' / : \ ~
)

var flags = func() (t [256]uint8) {
	for c := '0'; c <= '9'; c++ {
		t[c] |= fDigit
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] |= fLower
	}
	for c := 'A'; c <= 'Z'; c++ {
		t[c] |= fUpper
	}
	for _, c := range "abcdefABCDEF" {
		t[c] |= fHexLetter
	}
	for _, c := range " \t\r\n\v\f\x1b" { // ESC: terminal colours are no text (see Split)
		t[c] |= fSpace
	}
	for _, c := range "([{<\"'`" {
		t[c] |= fOpen
	}
	for _, c := range ")]}>\"'`,;.:!?" {
		t[c] |= fClose
	}
	for _, c := range "=\"'/:\\~" {
		t[c] |= fSpecial
	}
	return t
}()

// IsSpace reports whether c separates tokens.
func IsSpace(c byte) bool { return flags[c]&fSpace != 0 }

func isDigit(c byte) bool { return flags[c]&fDigit != 0 }

func isAlpha(c byte) bool { return flags[c]&(fLower|fUpper) != 0 }

func isHex(c byte) bool { return flags[c]&(fDigit|fHexLetter) != 0 }

// Classify returns the class of a value with its surrounding punctuation
// already removed (see Trim).
func Classify(b []byte) Class {
	if len(b) == 0 {
		return Word
	}
	// The classes most values take, decided by one scan each before the
	// count of digits and letters below, which they do not need: a
	// number, an IPv4 address and a clock or date all hold a digit, so
	// the count's "no digit" answers never apply to them, and they are
	// none of UUID (no '.' or ':', no '-' at b[4]), which is tested
	// before them below (TestClassifyAsReference, FuzzClassifyAsReference).
	c0 := b[0]
	if isDigit(c0) || c0 == '-' || c0 == '+' || c0 == '.' {
		switch number(b) {
		case 1:
			return Int
		case 2:
			return Float
		}
	}
	if isDigit(c0) || c0 == '/' {
		if isIPv4(b) {
			return IP
		}
		if isDigit(c0) && (isClock(b) || isDate(b)) {
			return Time
		}
	}
	var all uint8
	digits, alpha, hexLetters := 0, 0, 0
	i := 0
	for ; i+8 <= len(b); i += 8 {
		w := flags8(binary.LittleEndian.Uint64(b[i:]))
		digits += bits.OnesCount64(w & (fDigit * ones))
		alpha += bits.OnesCount64(w & ((fLower | fUpper) * ones))
		hexLetters += bits.OnesCount64(w & (fHexLetter * ones))
		all |= fold8(w)
	}
	for _, c := range b[i:] {
		f := flags[c]
		all |= f
		switch {
		case f&fDigit != 0:
			digits++
		case f&(fLower|fUpper) != 0:
			alpha++
			if f&fHexLetter != 0 {
				hexLetters++
			}
		}
	}
	if digits == 0 {
		switch {
		case len(b) == 4 && lowerEq(b, "true") || len(b) == 5 && lowerEq(b, "false"):
			return Bool
		case all&fSpecial != 0 && hasScheme(b):
			return URL
		case isPathNoDigits(b, alpha):
			return Path
		}
		return Word
	}
	// (number, isIPv4, isClock and isDate were tried above)
	onlyHex := digits+hexLetters == len(b)
	if len(b) == 36 && IsUUID(b) {
		return UUID
	}
	// Each test below is asked only of a value it can accept: an IPv6
	// address holds two ':' (fSpecial), in brackets too; a duration opens
	// with a digit, '.' or '-', a size with a digit or '.'
	// (TestClassifyAsReference, FuzzClassifyAsReference).
	if all&fSpecial != 0 && isIPv6(b) {
		return IP
	}
	switch {
	case len(b) > 2 && b[0] == '0' && b[1]|0x20 == 'x' && allHex(b[2:]):
		return Hex
	case onlyHex && len(b) >= 8 && hexLetters > 0:
		return Hex
	}
	if isDigit(c0) || c0 == '.' || c0 == '-' {
		if isDuration(b) {
			return Duration
		}
		if c0 != '-' && isSize(b) {
			return Size
		}
	}
	if all&fSpecial != 0 { // a URL, protocol or path holds a ':' or '/'
		if hasScheme(b) {
			return URL
		}
		if isProtocol(b) {
			return Word
		}
		if indexByte(b, '/') >= 0 || len(b) > 3 && isAlpha(b[0]) && b[1] == ':' && b[2] == '\\' {
			return Path
		}
	}
	// A word with one embedded digit is usually a name (ssh2, SOCKS5, log4j,
	// IPv4_Addr): it stays a word; template mining turns it into a
	// parameter when it varies (web7, web3, db-2).
	if digits == 1 && alpha >= 2 && nameChars(b) {
		return Word
	}
	return ID
}

// flags8 returns the flags of the eight bytes of x, each in its byte.
func flags8(x uint64) uint64 {
	return uint64(flags[byte(x)]) | uint64(flags[byte(x>>8)])<<8 |
		uint64(flags[byte(x>>16)])<<16 | uint64(flags[byte(x>>24)])<<24 |
		uint64(flags[byte(x>>32)])<<32 | uint64(flags[byte(x>>40)])<<40 |
		uint64(flags[byte(x>>48)])<<48 | uint64(flags[byte(x>>56)])<<56
}

// fold8 ORs the eight bytes of w.
func fold8(w uint64) uint8 {
	w |= w >> 32
	w |= w >> 16
	w |= w >> 8
	return uint8(w)
}

// OneDigitWord reports whether a Word holds one digit (ssh2, web7): a
// name that may be a value.
func OneDigitWord(b []byte) bool {
	n := 0
	for _, c := range b {
		if isDigit(c) {
			n++
		}
	}
	return n == 1
}

// isProtocol: a protocol name and version (HTTP/1.1, HTTP/2, SIP/2.0):
// a constant of the message, not a path.
func isProtocol(b []byte) bool {
	i := 0
	for i < len(b) && b[i] >= 'A' && b[i] <= 'Z' {
		i++
	}
	if i < 2 || i >= len(b)-1 || b[i] != '/' {
		return false
	}
	for _, c := range b[i+1:] {
		if !isDigit(c) && c != '.' {
			return false
		}
	}
	return true
}

// nameChars: letters, digits and _ - . only.
func nameChars(b []byte) bool {
	for _, c := range b {
		if !(isAlpha(c) || isDigit(c) || c == '_' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

func lowerEq(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := 0; i < len(b); i++ {
		if b[i]|0x20 != s[i] {
			return false
		}
	}
	return true
}

func indexByte(b []byte, c byte) int { return bytes.IndexByte(b, c) }

func allHex(b []byte) bool {
	for _, c := range b {
		if !isHex(c) {
			return false
		}
	}
	return len(b) > 0
}

// hasScheme: "scheme://…" with a letter-first scheme.
// Its ':' is the first in the first 16 bytes, followed by "//": found
// first, so that a token with none ("host.example.com:5070") is not read
// byte by byte.
func hasScheme(b []byte) bool {
	j := indexByte(b[:max(0, min(len(b)-2, 16))], ':')
	if j <= 0 || b[j+1] != '/' || b[j+2] != '/' || !isAlpha(b[0]) {
		return false
	}
	for _, c := range b[:j] {
		if !(isAlpha(c) || isDigit(c) || c == '+' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// isPathNoDigits: an absolute or relative path without digits
// (/var/log/syslog, ./run, ~/x, C:\Windows).
func isPathNoDigits(b []byte, alpha int) bool {
	if alpha == 0 || len(b) < 2 {
		return false
	}
	switch {
	case b[0] == '/' && b[1] != '/':
		return true
	case b[0] == '.' && (b[1] == '/' || len(b) > 2 && b[1] == '.' && b[2] == '/'):
		return true
	case b[0] == '~' && b[1] == '/':
		return true
	case len(b) > 3 && isAlpha(b[0]) && b[1] == ':' && b[2] == '\\':
		return true
	}
	return false
}

// number: 0 not a number, 1 integer (≤ 19 digits), 2 float.
// [+-]digits[.digits][e[+-]digits], also ".5".
func number(b []byte) int {
	i := 0
	if i < len(b) && (b[i] == '-' || b[i] == '+') {
		i++
	}
	d, kind := 0, 1
	for i < len(b) && isDigit(b[i]) {
		i++
		d++
	}
	if d > 19 {
		return 0 // an id, not an integer
	}
	if i < len(b) && b[i] == '.' {
		kind = 2
		i++
		for i < len(b) && isDigit(b[i]) {
			i++
			d++
		}
	}
	if d == 0 {
		return 0
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		kind = 2
		i++
		if i < len(b) && (b[i] == '-' || b[i] == '+') {
			i++
		}
		e := 0
		for i < len(b) && isDigit(b[i]) {
			i++
			e++
		}
		if e == 0 {
			return 0
		}
	}
	if i != len(b) {
		return 0
	}
	return kind
}

// Number returns 1 for an integer, 2 for a float and 0 for anything else,
// as Classify decides them.
func Number(b []byte) int { return number(b) }

// IsIPv4 accepts a.b.c.d (each ≤ 255) with an optional :port and an
// optional leading '/' (Java's InetAddress.toString).
func IsIPv4(b []byte) bool { return isIPv4(b) }

func isIPv4(b []byte) bool {
	if len(b) > 0 && b[0] == '/' {
		b = b[1:]
	}
	// four octets, each one to three digits and at most 255, read digit by
	// digit without a loop (TestIsIPv4AsReference, FuzzIsIPv4AsReference)
	i := 0
	for part := 0; ; part++ {
		if i >= len(b) || b[i]-'0' > 9 {
			return false
		}
		v := int(b[i] - '0')
		i++
		if i < len(b) && b[i]-'0' <= 9 {
			v = v*10 + int(b[i]-'0')
			i++
			if i < len(b) && b[i]-'0' <= 9 {
				v = v*10 + int(b[i]-'0')
				i++
				if v > 255 || i < len(b) && b[i]-'0' <= 9 {
					return false
				}
			}
		}
		if part == 3 {
			break
		}
		if i >= len(b) || b[i] != '.' {
			return false
		}
		i++
	}
	return i == len(b) || isPort(b[i:])
}

func isPort(b []byte) bool {
	if len(b) < 2 || len(b) > 6 || b[0] != ':' {
		return false
	}
	for _, c := range b[1:] {
		if !isDigit(c) {
			return false
		}
	}
	return true
}

// isIPv6: hex groups of at most 4 digits separated by 2 to 7 colons, an
// optional IPv4 tail or zone; or in brackets with an optional port.
func isIPv6(b []byte) bool {
	if len(b) > 0 && b[0] == '[' {
		end := indexByte(b, ']')
		if end < 0 {
			return false
		}
		return isIPv6(b[1:end]) && (end == len(b)-1 || isPort(b[end+1:]))
	}
	colons, group := 0, 0
	for i, c := range b {
		switch {
		case c == ':':
			colons++
			group = 0
		case isHex(c):
			group++
			if group > 4 {
				return false
			}
		case c == '.' || c == '%':
			// IPv4 tail or zone: the rest is not checked further
			return colons >= 2 && i > 0
		default:
			return false
		}
	}
	return colons >= 2 && colons <= 7
}

// isClock: digits separated by ':' (12:30:01, 00:01, 12:30:01,123).
func isClock(b []byte) bool {
	if !isDigit(b[0]) {
		return false
	}
	colons := 0
	for i, c := range b {
		switch {
		case isDigit(c):
		case c == ':':
			if i > 0 && b[i-1] == ':' {
				return false
			}
			colons++
		case c == '.' || c == ',':
		default:
			return false
		}
	}
	return colons >= 1 && colons <= 3
}

// isDate: 2024-01-02, 2024/01/02, 2024.01.02, optionally followed by a
// time (T or _ or -, as in 2005-06-03-15.42.50.675872) and a zone.
func isDate(b []byte) bool {
	if len(b) < 10 || !isDigit(b[0]) || !isDigit(b[1]) || !isDigit(b[2]) || !isDigit(b[3]) {
		return false
	}
	s := b[4]
	if s != '-' && s != '/' && s != '.' || b[7] != s || !isDigit(b[5]) || !isDigit(b[6]) || !isDigit(b[8]) || !isDigit(b[9]) {
		return false
	}
	for _, c := range b[10:] {
		if !(isDigit(c) || c == ':' || c == '.' || c == ',' || c == 'T' || c == 'Z' || c == '+' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// isDuration: a number followed by a time unit, repeated (10ms, 1.5s,
// 3m20s, 2h, 5min), optionally negative.
func isDuration(b []byte) bool {
	i := 0
	if i < len(b) && b[i] == '-' {
		i++
	}
	parts := 0
	for i < len(b) {
		d := 0
		for i < len(b) && (isDigit(b[i]) || b[i] == '.') {
			i++
			d++
		}
		if d == 0 {
			return false
		}
		u := i
		for i < len(b) && (isAlpha(b[i]) || b[i] >= 0x80) {
			i++
		}
		if !IsTimeUnit(b[u:i]) {
			return false
		}
		parts++
	}
	return parts > 0
}

// IsTimeUnit reports whether u is a unit of time (ns us µs ms s m h d
// sec secs min mins hr hrs).
func IsTimeUnit(u []byte) bool {
	switch string(u) {
	case "ns", "us", "µs", "ms", "s", "m", "h", "d", "sec", "secs", "min", "mins", "hr", "hrs":
		return true
	}
	return false
}

// IsSizeUnit reports whether u is a unit of size (B KB MB GB TB PB KiB …).
func IsSizeUnit(u []byte) bool {
	switch string(u) {
	case "B", "KB", "MB", "GB", "TB", "PB", "KiB", "MiB", "GiB", "TiB", "kB", "K", "M", "G", "k", "b", "bytes":
		return true
	}
	return false
}

// isSize: a number glued to a size unit (16KB, 1.5GiB).
func isSize(b []byte) bool {
	i := 0
	for i < len(b) && (isDigit(b[i]) || b[i] == '.') {
		i++
	}
	return i > 0 && i < len(b) && IsSizeUnit(b[i:])
}

// IsUUID reports whether b is a UUID in its canonical 8-4-4-4-12 hex form.
func IsUUID(b []byte) bool {
	if len(b) != 36 {
		return false
	}
	for i, c := range b {
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !isHex(c) {
				return false
			}
		}
	}
	return true
}

// IsMonth reports whether b is an English three-letter month name.
func IsMonth(b []byte) bool {
	switch string(b) {
	case "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec":
		return true
	}
	return false
}

// IsWeekday reports whether b is an English three-letter weekday name.
func IsWeekday(b []byte) bool {
	switch string(b) {
	case "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun":
		return true
	}
	return false
}

// Spaced reports whether b holds a blank that rules out, for Classify, the
// classes of one scalar value: Int, Float, Bool, IP, UUID, Hex and
// Duration (a number, bool, UUID, hex id or duration never holds a blank,
// nor does an IPv4 address with its port). Such a value is Classified
// Word, Size, Time, Path, URL or ID. IPv6 is the one scan that may accept
// a value before reaching its blank (an IPv4 tail or a zone after two
// colons ends it early: "1:2:3.4 x"), and a bracketed address is read to
// its ']': Spaced is false for those. Callers that only act on the scalar
// classes (the schema's value types) skip Classify on a spaced value:
// "2015-10-18 18:01:47,978", "Dec 10 06:55:46". TestSpaced and
// FuzzSpaced check it against Classify.
func Spaced(b []byte) bool {
	if len(b) == 0 || b[0] == '[' || indexByte(b, ' ') < 0 {
		return false
	}
	colons := 0
	for i, c := range b {
		switch {
		case c == ':':
			colons++
		case isHex(c):
		case c == '.' || c == '%':
			return !(colons >= 2 && i > 0)
		default:
			return true
		}
	}
	return true
}
