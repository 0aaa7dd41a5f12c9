package freetext

import (
	"encoding/binary"
	"math/bits"
)

// The settled-layout fast path. The grammar (split) is a function of the
// line alone, and it reads only the line's first bytes: the header, and a
// few tokens after it when it looks ahead. splitT measures how far it read
// (its reach, see touch). A stream's lines repeat a few header layouts, so
// the Parser of one stream keeps the last layouts it found — the bytes the
// grammar read and the header it returned, as offsets — and takes a later
// line's header from the layout whose bytes the line repeats, instead of
// running the grammar again. The grammar runs only on a line no layout fits.
//
// "Repeats" allows what the grammar cannot see: a digit may differ from
// the layout's digit where no rule of the grammar looks at its value
// (dates, clocks, pids and counts change from line to line). The grammar
// looks at a digit's value only at the start of a word: an epoch starts
// with '1', a year with "19" or "20" (isYear, the epoch checks of scanTime
// and isEpochFrac); there the digits must fall in the same class (see
// digitClass). Every other byte must be equal. So the result is the
// grammar's, byte for byte, on every line: TestFastMatchesGrammar and
// FuzzFastMatchesGrammar check it against split on the same lines.
//
// Changing the grammar: every byte split or a function it calls reads must
// be touched (scanTokenT touches a token's bytes; see touch), and a new
// rule on a digit's value must be covered by digitClass. Run
// `go test ./logparse/freetext -run Fast -fuzz FuzzFastMatchesGrammar`.

const (
	numLayouts = 16  // layouts kept per stream
	maxReach   = 256 // a header read further than this is not kept

	// The layouts save the grammar on the lines that fit; a line that
	// does not pays for the look-ups that failed and for the grammar's
	// tracking, about the grammar once more (and a header the grammar
	// reads fast, a pipe-separated one, costs less than a look-up). A
	// stream where fewer than half of trialLines lines fit runs the
	// grammar alone for pauseLines lines, then tries again.
	trialLines = 128
	pauseLines = 16384
)

// layouts are the header layouts one stream's lines showed last.
type layouts struct {
	l     [numLayouts]layout
	order [numLayouts]uint8 // indices into l, most recently used first
	n     int               // layouts in use
	hits  uint64
	runs  uint64 // lines the grammar ran on

	tries, tried int  // lines of the trial (tries) and of them fitted (tried); or, < 0, lines left in a pause
	keep         bool // never pause (the tests)
}

// layout is one header layout: the bytes the grammar read of the line that
// showed it, and the header it found there.
type layout struct {
	pre   []byte // the line's first bytes, as far as the grammar read
	whole bool   // the grammar looked at the line's end: len must match
	found bool
	ended bool
	f     [numSpans]span
}

// span is a header field as offsets into the line; n < 0: nil.
type span struct{ off, n int32 }

const numSpans = 9

func (h *Header) fields() [numSpans]*[]byte {
	return [numSpans]*[]byte{&h.Time, &h.Level, &h.PID, &h.Host, &h.Program, &h.Thread, &h.Component, &h.Source, &h.Message}
}

// header finds line's header as Split does, through the stream's layouts
// when p has them.
func (p Parser) header(line []byte, h *Header) bool {
	ls := p.lay
	if ls == nil {
		return Split(line, h)
	}
	if ls.tries < 0 {
		ls.tries++ // paused
		return Split(line, h)
	}
	if ls.tries++; ls.tries == trialLines {
		if ls.tried*2 < trialLines && !ls.keep {
			ls.tries = -pauseLines
		} else {
			ls.tries = 0
		}
		ls.tried = 0
	}
	for k := 0; k < ls.n; k++ {
		i := ls.order[k]
		l := &ls.l[i]
		if !l.fits(line) {
			continue
		}
		// most recently used first
		copy(ls.order[1:k+1], ls.order[:k])
		ls.order[0] = i
		ls.hits++
		ls.tried++
		l.fill(line, h)
		return l.found
	}
	ls.runs++
	reach := 0
	found := splitT(line, h, false, false, &reach)
	whole := reach > len(line)
	if whole {
		reach = len(line)
	}
	if reach > maxReach {
		return found
	}
	var spans [numSpans]span
	for k, f := range h.fields() {
		if *f == nil {
			spans[k] = span{0, -1}
			continue
		}
		// every field is a part of line: its offset from the capacities
		off := cap(line) - cap(*f)
		spans[k] = span{int32(off), int32(len(*f))}
		if off > reach || k < numSpans-1 && off+len(*f) > reach {
			return found // a field the grammar did not read (a missing touch): not kept
		}
	}
	// keep it in the least recently used place
	var i uint8
	if ls.n < numLayouts {
		i = uint8(ls.n)
		ls.n++
	} else {
		i = ls.order[numLayouts-1]
	}
	copy(ls.order[1:ls.n], ls.order[:ls.n-1])
	ls.order[0] = i
	l := &ls.l[i]
	if l.pre == nil {
		l.pre = make([]byte, 0, maxReach)
	}
	l.pre = append(l.pre[:0], line[:reach]...)
	l.whole, l.found, l.ended, l.f = whole, found, h.ended, spans
	return found
}

// fill sets h to the layout's header on line.
func (l *layout) fill(line []byte, h *Header) {
	*h = Header{ended: l.ended}
	fs := h.fields()
	for k, f := range fs[:numSpans-1] {
		if s := l.f[k]; s.n >= 0 {
			*f = line[s.off : s.off+s.n]
		}
	}
	if l.f[numSpans-1].n >= 0 {
		h.Message = line[l.f[numSpans-1].off:] // the rest of the line
	}
}

// fits reports whether line repeats the layout's bytes: the grammar finds
// the same header on it.
func (l *layout) fits(line []byte) bool {
	pre := l.pre
	if l.whole && len(line) != len(pre) || len(line) < len(pre) {
		return false
	}
	// a layout's lines share their first bytes (a date) and differ after
	// them (a thread, a component): the last and the middle eight bytes
	// first, where a byte that differs and is not a digit in both rules
	// the layout out
	if n := len(pre); n >= 16 && !(digitsOnly(line, pre, n-8) && digitsOnly(line, pre, n/2-4)) {
		return false
	}
	i := 0
	for ; i+8 <= len(pre); i += 8 {
		x := binary.LittleEndian.Uint64(line[i:]) ^ binary.LittleEndian.Uint64(pre[i:])
		for x != 0 {
			k := bits.TrailingZeros64(x) >> 3
			if !sameClass(line, pre, i+k) {
				return false
			}
			x &^= 0xff << (k * 8)
		}
	}
	for ; i < len(pre); i++ {
		if line[i] != pre[i] && !sameClass(line, pre, i) {
			return false
		}
	}
	return true
}

// digitsOnly reports whether line and pre differ only in digits in their
// eight bytes from i.
func digitsOnly(line, pre []byte, i int) bool {
	x := binary.LittleEndian.Uint64(line[i:]) ^ binary.LittleEndian.Uint64(pre[i:])
	for x != 0 {
		k := bits.TrailingZeros64(x) >> 3
		if !isDigit(line[i+k]) || !isDigit(pre[i+k]) {
			return false
		}
		x &^= 0xff << (k * 8)
	}
	return true
}

// sameClass reports whether line[i] and pre[i], which differ, are digits
// the grammar cannot tell apart. The bytes before i are equal or digits in
// both, so a word starts at i in both or in neither.
func sameClass(line, pre []byte, i int) bool {
	a, b := line[i], pre[i]
	if !isDigit(a) || !isDigit(b) {
		return false
	}
	switch {
	case i == 0 || wordStart(line[i-1]):
		return firstDigit(a) == firstDigit(b)
	case isDigit(line[i-1]) && (i == 1 || wordStart(line[i-2])):
		return secondDigit(a) == secondDigit(b)
	}
	return true
}

// wordStart reports whether a word of the grammar starts after c: a token
// (after a blank), a bracketed group's first word, a word of a bracketed
// time.
func wordStart(c byte) bool {
	return c == ' ' || c == '\t' || c == '[' || c == '(' || c == '<' || c == '|'
}

// firstDigit is the class of a word's first digit the grammar tells apart:
// an epoch starts with '1', a year with "19" or "20".
func firstDigit(c byte) byte {
	if c == '1' || c == '2' {
		return c
	}
	return 0
}

// secondDigit is the class of a word's second digit (a year: "19", "20").
func secondDigit(c byte) byte {
	if c == '9' || c == '0' {
		return c
	}
	return 0
}
