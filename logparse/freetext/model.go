package freetext

import "github.com/gopulse/gopulse/logparse/token"

// The header model of a stream. The grammar of Split finds the headers it
// knows token by token; a stream whose lines begin with fields it does not
// know (a record id, a host or component name, a state, epoch seconds:
// "000412 node-7 unix.hw state.change 1704207845 1 message") is covered by
// the model: the header is the longest run of positions, after what the
// grammar found, whose tokens keep one structural shape (a number, an
// epoch, a name with a digit or a dot, an upper-case word, a bracketed
// group, a tag ending in ':') on the lines of the stream. A position where
// plain words or key=value pairs appear, or whose shape changes, is where
// the message begins. Every field of the extension is typed by its shape.
//
// The model is per stream and online: it decides from the lines seen so
// far, after minLines lines, and keeps counting, so a layout that stops
// holding is dropped. It costs a few token shapes per line.

// shape of a header token.
type shape uint8

const (
	shNone    shape = iota
	shInt           // 412, 000412
	shEpoch         // 1704207845, 1704207845123
	shName          // node-7, unix.hw, R02-M1-N0, state_change.unavailable, web7
	shTag           // comp:, [comp]: a name ending in ':' — the header's last field
	shUpper         // RAS, KERNEL, APP
	shBracket       // [worker-3], <0.123.0>
	shDash          // - |
	numShapes
)

const (
	maxExt    = 8  // positions the model looks at after the grammar's header
	minLines  = 3  // lines seen before the model extends a header
	windowMax = 64 // counts are halved past this many lines: the model follows the stream
	settled   = 32 // lines on which a layout found is held (see stable)
)

// model is the header model of one stream.
type model struct {
	lines  int
	counts [maxExt][numShapes]uint16
	has    [maxExt]uint16 // lines with a token at the position
	levels int            // lines whose grammar header held a level
	held   [maxExt]uint16 // bit sh: shape sh was found at the position on settled lines or more
	on     [maxExt]uint16 // bit sh: shape sh is the stream's at the position now (stable)
	gen    uint32         // counts the changes of on: the layout's generation
}

// shapeOf classifies a token that may be a header field.
func shapeOf(tok []byte) shape {
	if len(tok) == 0 {
		return shNone
	}
	if len(tok) == 1 && (tok[0] == '-' || tok[0] == '|') {
		return shDash
	}
	if len(tok) >= 2 && (tok[0] == '[' && tok[len(tok)-1] == ']' || tok[0] == '<' && tok[len(tok)-1] == '>') {
		if isLevel(tok) {
			// "[ERR] serf: …" after the header: a level inside the message
			// is the message's (the grammar takes a header's own level)
			return shNone
		}
		return shBracket
	}
	if tok[len(tok)-1] == ':' {
		if len(tok) >= 3 && isNameToken(tok[:len(tok)-1]) && letters(tok) >= 2 {
			return shTag
		}
		return shNone
	}
	if isInt(tok) {
		if (len(tok) == 10 || len(tok) == 13) && tok[0] == '1' {
			return shEpoch
		}
		if len(tok) <= 9 {
			return shInt
		}
		return shNone
	}
	if isUpperWord(tok) && len(tok) <= 16 {
		return shUpper
	}
	// a name: letters first, letters and digits with - _ . inside, and a
	// digit or one of those (a plain word is the message's)
	if !(tok[0]|0x20 >= 'a' && tok[0]|0x20 <= 'z') || len(tok) > 64 {
		return shNone
	}
	mark := false
	for _, c := range tok {
		switch {
		case isDigit(c) || c == '-' || c == '_' || c == '.':
			mark = true
		case c|0x20 >= 'a' && c|0x20 <= 'z':
		default:
			return shNone
		}
	}
	if !mark || tok[len(tok)-1] == '.' {
		return shNone
	}
	if token.Classify(tok) == token.Path {
		return shNone
	}
	return shName
}

func letters(b []byte) int {
	n := 0
	for _, c := range b {
		if c|0x20 >= 'a' && c|0x20 <= 'z' {
			n++
		}
	}
	return n
}

// observe counts the shapes of the tokens of msg (the line after the
// grammar's header) and returns the length of the header the model
// extends msg by: the number of leading positions whose shape is the
// stream's and that msg shows. shapes receives msg's shapes.
func (m *model) observe(msg []byte, hadLevel bool, shapes *[maxExt]shape, bounds *[maxExt][2]int) int {
	n := shapesOf(msg, shapes, bounds)
	if m.lines >= windowMax {

		m.lines /= 2
		m.levels /= 2
		for p := range m.counts {
			m.has[p] /= 2
			for k := range m.counts[p] {
				m.counts[p][k] /= 2
			}
		}
	}
	m.lines++
	if hadLevel {
		m.levels++
	}
	for p := 0; p < n; p++ {
		m.has[p]++
		m.counts[p][shapes[p]]++
	}
	for p := range m.on {
		if p >= n && m.on[p] == 0 && m.held[p] == 0 {
			continue // no token there, no layout to keep or drop
		}
		var on uint16
		for sh := shape(1); sh < numShapes; sh++ {
			bit := uint16(1) << sh
			switch cnt := m.count(p, sh); {
			case cnt*3 < m.lines*2: // neither found nor held (most shapes: none)
				m.held[p] &^= bit
			case m.found(p, sh):
				on |= bit
				if m.lines >= settled {
					m.held[p] |= bit
				}
			case m.held[p]&bit != 0 && cnt*3 >= m.lines*2:
				on |= bit
			default:
				m.held[p] &^= bit
			}
		}
		if on != m.on[p] {
			m.on[p] = on
			m.gen++
		}
	}
	return m.extent(msg, n, shapes, bounds)
}

// family groups the shapes a header position may take from line to line:
// a component or category column holds upper-case words and names with a
// digit or a dash alike ("APP", "ALL-", "K8S", "v2"), so the position is
// one field as long as its tokens stay in the family.
func family(sh shape) shape {
	if sh == shUpper {
		return shName
	}
	return sh
}

// count returns the lines whose token at position p is in sh's family.
func (m *model) count(p int, sh shape) int {
	if family(sh) == shName {
		return int(m.counts[p][shName]) + int(m.counts[p][shUpper])
	}
	return int(m.counts[p][sh])
}

// posShape returns the stream's shape at position p for a line whose token
// there has shape sh: the most frequent shape of sh's family, so a field
// keeps one name on every line.
func (m *model) posShape(p int, sh shape) shape {
	if family(sh) == shName {
		if m.counts[p][shUpper] >= m.counts[p][shName] {
			return shUpper
		}
		return shName
	}
	return sh
}

// stable reports whether shape sh holds at position p on the stream: it
// is found there now (found), or it was found on settled lines or more and
// still holds on two lines in three. A layout, once settled, is not
// dropped for a few lines whose grammar header took a field more or less
// (a component column the grammar reads itself on some lines), so one pass
// reads a stream's lines as two passes do; a layout seen on the first
// few lines only is not held.
func (m *model) stable(p int, sh shape) bool {
	return m.on[p]&(1<<sh) != 0
}

// found reports whether shape sh holds at position p on nearly every line
// of the stream (all of them while few were seen).
func (m *model) found(p int, sh shape) bool {
	cnt := m.count(p, sh)
	return m.lines >= minLines && cnt*10 >= m.lines*9 && (m.lines >= 8 || cnt >= m.lines)
}

// extent returns how many of msg's n leading tokens the stream's layout
// takes as header.
func (m *model) extent(msg []byte, n int, shapes *[maxExt]shape, bounds *[maxExt][2]int) int {
	ext := 0
	for p := 0; p < n; p++ {
		sh := shapes[p]
		if sh == shNone {
			break
		}
		// the shape must hold on nearly every line of the stream (all of
		// them while few were seen)
		if !m.stable(p, sh) {
			break
		}
		ext = p + 1
		if sh == shTag {
			break
		}
	}
	// the message follows the header: keep at least one token
	if ext == n && (n == 0 || bounds[n-1][1] >= len(msg)) {
		ext--
	}
	return max(ext, 0)
}

// shapesOf fills the shapes and bounds of msg's leading tokens, up to the
// first that cannot be a header field, and returns their number.
func shapesOf(msg []byte, shapes *[maxExt]shape, bounds *[maxExt][2]int) int {
	n := 0
	c := cursor{line: msg}
	for n < maxExt {
		s, e := c.peek()
		if s >= e {
			break
		}
		shapes[n] = shapeOf(msg[s:e])
		bounds[n] = [2]int{s, e}
		n++
		if shapes[n-1] == shNone || shapes[n-1] == shTag {
			break
		}
		c.pos = e
	}
	return n
}
