package freetext

import (
	"bytes"
	"math/bits"
	"unicode"
	"unicode/utf8"

	"github.com/gopulse/gopulse/logparse"
	"github.com/gopulse/gopulse/logparse/token"
)

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
	shDash          // a run of punctuation: - | -- --- :: >> => — a separator column
	shLevel         // a level in any spelling: INFO, info, I, [INFO], <info>, INFO:
	shTime          // a date or a clock: 2024-01-05, 10:15:00.123, [10:15:00,123], and a zone after one
	shMeta          // a run of pairs: request_id=F7a9 pid=<0.412.0> before a level, "pid: 123 tid: 7", "shard:7" (one position)
	shOnHost        // name/pid on host: — the header's last field (one position)
	shConst         // a plain word that is the same on nearly every line: a program or component column of one value
	shUptime        // [  724107.123701]: seconds since boot, with microseconds (journald's short-monotonic, the kernel's printk time)
	numShapes
	shWord = numShapes // posShape only: a column of words and names closed by a separator column

)

const (
	maxExt    = 12 // positions the model looks at after the grammar's header (separator columns count)
	minLines  = 3  // lines seen before the model extends a header
	windowMax = 64 // counts are halved past this many lines: the model follows the stream
	settled   = 32 // lines on which a layout found is held (see stable)
)

// model is the header model of one stream.
type model struct {
	lines  int
	counts [maxExt][numShapes]uint16
	nz     [maxExt]uint16 // bit sh: counts[p][sh] > 0
	has    [maxExt]uint16 // lines with a token at the position
	pads   [maxExt]uint16 // lines whose token at the position is followed by two blanks or more (alignment)
	width  [maxExt]uint32 // the width most padded lines pad the position's token to (token and blanks)
	eqW    [maxExt]uint16 // padded lines whose width there is width
	fit    [maxExt]uint16 // lines padded to width there, or whose token there fills or overflows it
	levels int            // lines whose grammar header held a level
	held   [maxExt]uint16 // bit sh: shape sh was found at the position on settled lines or more
	on     [maxExt]uint16 // bit sh: shape sh is the stream's at the position now (stable)
	gen    uint32         // counts the changes of on: the layout's generation
	word   [maxExt]uint32 // hash of the token most lines hold at the position
	eq     [maxExt]uint16 // lines whose token at the position is word
	next   [maxExt]uint32 // hash of the token most lines hold after the position (separators skipped)
	eqNext [maxExt]uint16 // lines whose token after the position is next
	cst    uint16         // bit p: position p holds word on nearly every line, and varying text follows it (constWord)
	// the values of a column (see idColumn): sketches of the distinct
	// values seen at each position (bit hash%64) and of the distinct
	// values with their digits taken out, over the last skLines lines
	vals  [maxExt]uint64
	stems [maxExt]uint64
	skN   uint16 // lines in the sketches
	idc   uint16 // bit p: the values at position p are ids (idColumn)
	// the tokens (hashTok) of the separator columns the stream's lines
	// hold where a separator column is stable (headerSep)
	marks [4]uint32
	shut  uint16 // bit p: position p is a column closed by a separator or padding (closed)
	sym   uint16 // bit p: position p held a symbol that is a level only (symLevel): a column of levels written as symbols
}

const skLines = 64 // lines a column's value sketches cover before they start again

// idColumn reports whether the values of the column at position p are ids
// rather than names of code: the digits in them are what varies. A
// column of loggers or components ("Logon", "Server", "raft",
// "o.a.k.Foo", "kube-scheduler", "http2") is a small vocabulary whose
// values stay as many when their digits are taken out; a column of
// session, thread, worker or connection ids (SQL Server ERRORLOG's
// "spid85", "spid20s"; Java's %t "pool-3-thread-12",
// "http-nio-8080-exec-3"; "worker-12", "conn#4", hosts "web7", "db-2")
// has many values that collapse to a few stems without their digits. Such
// a column stays a field but is no context for the miner: its values
// would split each event per id.
func (m *model) idColumn(p int) bool {
	return m != nil && p < maxExt && m.idc&(1<<p) != 0
}

// paddedIDs reports whether the column at position p is one of ids that
// the layout pads to a width on one line in eight at least: a
// session or thread column (SQL Server ERRORLOG's "spid85      ", log4j's
// and logback's %-15t "pool-3-thread-12"), which is keyed thread even
// first on the line, where an unpadded column of names is a host.
func (m *model) paddedIDs(p int) bool {
	return m.idColumn(p) && int(m.pads[p])*8 >= m.lines
}

// hashStem is hashTok of a token with its digits left out.
func hashStem(b []byte) uint32 {
	h := uint32(2166136261)
	for _, c := range b {
		if c >= '0' && c <= '9' {
			continue
		}
		h = (h ^ uint32(c)) * 16777619
	}
	return h
}

// sketchIDs adds the n leading tokens of a line to the value sketches and
// decides the id columns: after 8 lines, a column whose distinct values
// are four at least and half as many again as their stems is one of ids;
// it stays one until a full sketch finds its values fewer than a quarter
// more than their stems. hs receives each token's hashTok.
func (m *model) sketchIDs(msg []byte, n int, bounds *[maxExt][2]int, hs *[maxExt]uint32) {
	for p := 0; p < n; p++ {
		h, st := hashTokStem(msg[bounds[p][0]:bounds[p][1]])
		hs[p] = h
		m.vals[p] |= 1 << (h % 64)
		m.stems[p] |= 1 << (st % 64)
	}
	m.skN++
	full := m.skN >= skLines
	idc := m.idc
	for p := range m.vals {
		if m.vals[p] == 0 {
			// no value in the sketch (nor stem: both are set together):
			// fewer than four, which a full sketch clears
			if full {
				idc &^= 1 << p
			}
			continue
		}
		d, ds := bits.OnesCount64(m.vals[p]), bits.OnesCount64(m.stems[p])
		switch {
		case m.skN >= 8 && d >= 4 && d*2 >= ds*3:
			idc |= 1 << p
		case full && (d < 4 || d*4 < ds*5):
			idc &^= 1 << p
		}
	}
	m.idc = idc
	if full {
		m.vals, m.stems, m.skN = [maxExt]uint64{}, [maxExt]uint64{}, 0
	}
}

// vote counts h for the value most lines hold (*w, *eq): the count of the
// current value, which a value held by fewer than half the lines yields.
func (m *model) vote(h uint32, w *uint32, eq *uint16) {
	if h == *w {
		*eq++
	} else if int(*eq)*2 < m.lines {
		*w, *eq = h, 1
	}
}

// hashTok is FNV-1a of a token.
func hashTok(b []byte) uint32 {
	h := uint32(2166136261)
	for _, c := range b {
		h = (h ^ uint32(c)) * 16777619
	}
	return h
}

// hashTokStem returns hashTok(b) and hashStem(b) in one pass over b.
func hashTokStem(b []byte) (uint32, uint32) {
	h, st := uint32(2166136261), uint32(2166136261)
	for _, c := range b {
		h = (h ^ uint32(c)) * 16777619
		if c < '0' || c > '9' {
			st = (st ^ uint32(c)) * 16777619
		}
	}
	return h, st
}

// constWord reports whether tok, a plain word at position p, is the word
// nearly every line of the stream holds there: a column of one value (a
// program's or a component's name the layout writes on every line,
// "… INFO zk message", "… --- syncthing - message"), followed by text that
// varies. Messages of a stream seldom open with one word on nine lines in
// ten; when they do (a stream of one event, "Attempt to subscribe …"),
// the words after it are the same too, and the word stays the message's.
func (m *model) constWord(p int, tok []byte) bool {
	if m == nil || m.cst&(1<<p) == 0 || len(tok) < 2 || len(tok) > 32 || !isNameToken(tok) || modelLevel(tok) {
		return false
	}
	return hashTok(tok) == m.word[p]
}

// shapeOf classifies a token that may be a header field. A bracketed
// token ([] () <> {}) takes the shape of what it holds when that is a
// number, an epoch, a time or a level: brackets are a spelling, not a type.
func shapeOf(tok []byte) shape {
	sh, _ := shapeOfMark(tok)
	return sh
}

// shapeOfMark is shapeOf, and whether tok may open a pair (hasPairMark):
// a name with '=' or ':' in it, or a tag. shapesOf asks pairRun of those
// only, from the scan shapeOf makes anyway.
func shapeOfMark(tok []byte) (shape, bool) {
	if len(tok) == 0 {
		return shNone, false
	}
	if tok[0] >= utf8.RuneSelf {
		if lv, sure := symLevel(tok); lv && sure {
			return shLevel, false
		}
	}
	if isPunctRun(tok) || isMarkRun(tok) {
		return shDash, false
	}
	if modelLevel(tok) {
		return shLevel, false
	}
	if o, c := groupMarks(tok); o > 0 {
		in := trimSpaceRight(tok[o : len(tok)-c])
		for len(in) > 0 && in[0] == ' ' {
			in = in[1:]
		}
		switch {
		case isInt(in) && len(in) <= 9 || isPidTid(in):
			return shInt, false
		case isInt(in) && (len(in) == 10 || len(in) == 13) && in[0] == '1' || isEpochFrac(in):
			return shEpoch, false
		case isUptime(in) && tok[0] == '[':
			return shUptime, false
		case len(in) > 0 && isDigit(in[0]) && isBracketTime(in) && !isPidTid(in):
			return shTime, false
		}
		return shBracket, false
	}
	if tok[len(tok)-1] == ':' {
		if len(tok) >= 3 && isNameToken(tok[:len(tok)-1]) && letters(tok) >= 2 {
			return shTag, true
		}
		if o, _ := groupMarks(tok[:len(tok)-1]); o > 0 && letters(tok) >= 2 {
			return shTag, false // "[main]:", "⟨Signal Dispatcher⟩:": a group closing the header
		}
		if prog, _, ok := programToken(tok); ok && letters(prog) >= 2 {
			// syslog's and journald's identifier with its pid,
			// "restmapper[48479]:", after a header the grammar does not
			// read (journalctl -o short-monotonic's "[10280771.214022]
			// host"): a tag like "comp:", the header's last field
			return shTag, false
		}
		return shNone, true
	}
	if tok[0] == '#' && len(tok) >= 2 && len(tok) <= 10 && isInt(tok[1:]) || isPidTid(tok) {
		return shInt, false // "#4242", "4242:7": a pid, a pid and a thread id
	}
	if isInt(tok) {
		if (len(tok) == 10 || len(tok) == 13) && tok[0] == '1' {
			return shEpoch, false
		}
		if len(tok) <= 9 {
			return shInt, false
		}
		return shNone, false
	}
	if isEpochFrac(tok) {
		return shEpoch, false
	}
	if startsTime(tok) || isClock(tok) {
		return shTime, false
	}
	if isUpperWord(tok) && len(tok) <= 16 {
		return shUpper, false
	}
	// a name: letters first, letters and digits with - _ . inside, and a
	// digit or one of those (a plain word is the message's)
	if !(tok[0]|0x20 >= 'a' && tok[0]|0x20 <= 'z') || len(tok) > 64 {
		return shNone, false
	}
	mark := false
	for _, c := range tok {
		switch {
		case isDigit(c) || c == '-' || c == '_' || c == '.':
			mark = true
		case c|0x20 >= 'a' && c|0x20 <= 'z':
		case c == ':' || c == '=':
			return shNone, true // "shard:7", "lvl=info": a pair's
		default:
			return shNone, false
		}
	}
	if !mark || tok[len(tok)-1] == '.' {
		return shNone, false
	}
	if token.Classify(tok) == token.Path {
		return shNone, false
	}
	return shName, false
}

// isPunctRun: a separator token of one to three marks ("-", "--", "---",
// "|", ":", "::", ">>", "=>", "->").
func isPunctRun(b []byte) bool {
	if len(b) == 0 || len(b) > 3 {
		return false
	}
	for _, c := range b {
		switch c {
		case '-', '|', ':', '>', '=':
		default:
			return false
		}
	}
	return true
}

// isMarkRun: a separator column of marks other than isPunctRun's, one to
// three of them and no letter or digit: "/", ";", "~", ",", "·", "¦", "»",
// "~>". What separates a layout's columns is a type of its own, whatever
// mark the layout chose; the model takes such a column where it is one on
// nearly every line, as it takes "|" or "--".
//
// Sources it helps: the development corpus's redis layout ("44490:M 30
// Jul 2024 19:42:12.796 # msg": two passes 0.9775 -> 0.9820) and
// logcorpus wild's separators (" / ", " ; ", " · ", " ¦ ", " ~ ").
func isMarkRun(b []byte) bool {
	if len(b) == 0 || len(b) > 9 {
		return false
	}
	n := 0
	for i := 0; i < len(b); {
		c := b[i]
		switch {
		case c < utf8.RuneSelf:
			if c <= ' ' || c >= '0' && c <= '9' || c|0x20 >= 'a' && c|0x20 <= 'z' || c == '"' || c == '\'' || c == '`' || c == '_' ||
				c == '(' || c == ')' || c == '[' || c == ']' || c == '{' || c == '}' || c == '.' {
				return false
			}
			i++
		default:
			r, w := utf8.DecodeRune(b[i:])
			if r == utf8.RuneError || unicode.IsLetter(r) || unicode.IsDigit(r) || !(unicode.IsPunct(r) || unicode.IsSymbol(r)) {
				return false
			}
			i += w
		}
		n++
	}
	return n <= 3
}

// groupMarks reports the bytes of the marks that open and close a
// bracketed token (0, 0: none): a pair of [] () <> {}, one of them doubled
// ("<<id>>", "[[main]]"), bars ("|main|") or a pair of the typographic
// brackets «» ‹› ⟨⟩ ⟦⟧ 【】 「」. Brackets are a spelling, not a type,
// whichever a layout chose.
//
// Sources it helps: logcorpus wild's columns of every kind in such
// brackets (times, ids, hosts, pairs, names, levels); the development
// corpus, LogHub and synth unchanged.
func groupMarks(tok []byte) (o, c int) {
	if len(tok) < 2 {
		return 0, 0
	}
	if isBracketPair(tok[0], tok[len(tok)-1]) || tok[0] == '|' && tok[len(tok)-1] == '|' && len(tok) >= 3 {
		if len(tok) >= 5 && tok[1] == tok[0] && tok[len(tok)-2] == tok[len(tok)-1] {
			return 2, 2
		}
		return 1, 1
	}
	if tok[0] < utf8.RuneSelf {
		return 0, 0
	}
	r, w := utf8.DecodeRune(tok)
	l, wl := utf8.DecodeLastRune(tok)
	if w+wl >= len(tok) {
		return 0, 0
	}
	switch {
	case r == '«' && l == '»', r == '‹' && l == '›', r == '⟨' && l == '⟩', r == '⟦' && l == '⟧', r == '【' && l == '】', r == '「' && l == '」':
		return w, wl
	}
	return 0, 0
}

func isBracketPair(o, c byte) bool {
	return o == '[' && c == ']' || o == '(' && c == ')' || o == '<' && c == '>' || o == '{' && c == '}'
}

// isPidTid: "4242:7", a number of three digits or more, a colon and a
// number (a clock's fields have two digits).
func isPidTid(b []byte) bool {
	i := 0
	for i < len(b) && isDigit(b[i]) {
		i++
	}
	return i >= 3 && i <= 9 && i+1 < len(b) && b[i] == ':' && len(b)-i-1 <= 9 && isInt(b[i+1:])
}

// isUptime: seconds since boot with six digits of microseconds,
// "724107.123701", "0.000000", as the kernel's printk time ("[    5.123456]"
// in dmesg) and journalctl -o short-monotonic ("[724107.123701] host …")
// write them: not a wall-clock time, no epoch (those have ten digits).
func isUptime(b []byte) bool {
	i := 0
	for i < len(b) && isDigit(b[i]) {
		i++
	}
	return i >= 1 && i <= 9 && len(b) == i+7 && b[i] == '.' && isInt(b[i+1:])
}

// isClock: a time of day, "15:04:05", "15:04:05.000", "15:04:05,000".
func isClock(b []byte) bool {
	if len(b) < 8 || !isDigit(b[0]) || !isDigit(b[1]) || b[2] != ':' || !isDigit(b[3]) || !isDigit(b[4]) || b[5] != ':' || !isDigit(b[6]) || !isDigit(b[7]) {
		return false
	}
	if len(b) == 8 {
		return true
	}
	return (b[8] == '.' || b[8] == ',') && len(b) > 9 && isInt(b[9:])
}

// modelLevel: a level word in any spelling the header model takes in a
// stable column: upper, lower or capitalised ("INFO", "info", "Info"),
// bracketed or angled ("[INFO ]", "<info>"), with a colon ("INFO:"), or a
// single capital letter, bare or bracketed ("I", "[W]"). One such token
// alone is no header; a column of them on nearly every line is.
func modelLevel(tok []byte) bool {
	if len(tok) > 0 && tok[0] >= utf8.RuneSelf {
		lv, sure := symLevel(tok)
		return lv && sure
	}
	b := trimLevel(tok)
	if len(b) == 1 {
		return isLetterLevel(b[0]) || b[0] == 'T'
	}
	switch levelKind(b) {
	case lvNone, lvLOG:
		return false
	case lvWord:
		// also a word of its own ("config:", "note"): a level only
		// bare and upper-case
		return len(b) == len(tok) && b[0] >= 'A' && b[0] <= 'Z' && b[len(b)-1] >= 'A' && b[len(b)-1] <= 'Z'
	}
	return true
}

// symLevel reports whether tok is a level written as a symbol
// (logparse.NormalizeLevel maps it: console loggers' "ℹ" "✔" "⚠" "✖", see
// symbolLevel there), and whether the symbol is a level only (sure) or
// also a bullet, an arrow or a separator ("•" "●" "→" "›" "×" "√"): such a
// symbol is a level in a column where the stream's lines showed a symbol
// that is a level only (model.sym), and a separator elsewhere.
func symLevel(tok []byte) (lv, sure bool) {
	if len(tok) < 2 || len(tok) > 7 || tok[0] < utf8.RuneSelf || logparse.NormalizeLevel(tok) == nil {
		return false, false
	}
	switch string(tok) {
	case "•", "●", "→", "›", "×", "√":
		return true, false
	}
	return true, true
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
	n := shapesOf(msg, hadLevel, m, shapes, bounds)
	pad := padded(msg, n, bounds)
	if m.lines >= windowMax {

		m.lines /= 2
		m.levels /= 2
		for p := range m.counts {
			m.eq[p] /= 2
			m.eqNext[p] /= 2
			m.has[p] /= 2
			m.pads[p] /= 2
			m.eqW[p] /= 2
			m.fit[p] /= 2
			m.nz[p] = 0
			for k := range m.counts[p] {
				m.counts[p][k] /= 2
				if m.counts[p][k] > 0 {
					m.nz[p] |= 1 << k
				}
			}
		}
	}
	var hs [maxExt]uint32
	m.sketchIDs(msg, n, bounds, &hs)
	m.lines++
	if hadLevel {
		m.levels++
	}
	for p := 0; p < n; p++ {
		if shapes[p] == shLevel && msg[bounds[p][0]] >= utf8.RuneSelf && m.sym&(1<<p) == 0 {
			if _, sure := symLevel(msg[bounds[p][0]:bounds[p][1]]); sure {
				// a column of levels written as symbols: its bullets and
				// arrows are levels too from now on (symLevel), and lines
				// read before may read differently
				m.sym |= 1 << p
				m.gen++
			}
		}
		m.has[p]++
		m.counts[p][shapes[p]]++
		m.nz[p] |= 1 << shapes[p]
		m.vote(hs[p], &m.word[p], &m.eq[p])
		s, e := scanToken(msg, bounds[p][1])
		for s < e && (isPunctRun(msg[s:e]) || isMarkRun(msg[s:e])) {
			s, e = scanToken(msg, e)
		}
		m.vote(hashTok(msg[s:e]), &m.next[p], &m.eqNext[p])
		if pad&(1<<p) != 0 {
			m.pads[p]++
		}
		// the width a padded column is padded to: a token longer than
		// the width overflows it with one blank (log4j's %-16t, Python's
		// %(name)-16s, on a thread or logger name longer than 16)
		next := bounds[p][1]
		for next < len(msg) && (msg[next] == ' ' || msg[next] == '\t') {
			next++
		}
		w := uint32(next - bounds[p][0])
		if pad&(1<<p) != 0 {
			m.vote(w, &m.width[p], &m.eqW[p])
			if w == m.width[p] {
				m.fit[p]++
			}
		} else if m.width[p] > 0 && uint32(bounds[p][1]-bounds[p][0]) >= m.width[p]-1 {
			m.fit[p]++
		}
	}
	// the columns of one word: found on nine lines in ten once 16 lines
	// were seen, held while on two in three
	cst := m.cst
	for p := range m.eq {
		if m.eq[p] == 0 {
			cst &^= 1 << p // no line holds a word there (m.lines > 0)
			continue
		}
		switch eq, nx := int(m.eq[p]), int(m.eqNext[p]); {
		case m.lines >= 16 && eq*10 >= m.lines*9 && nx*2 < m.lines:
			cst |= 1 << p
		case eq*3 < m.lines*2 || nx*3 >= m.lines*2:
			cst &^= 1 << p
		}
	}
	if cst != m.cst {
		m.cst = cst
		m.gen++
	}
	for p := range m.on {
		if p >= n && m.on[p] == 0 && m.held[p] == 0 {
			continue // no token there, no layout to keep or drop
		}
		var on uint16
		// a shape no line shows at p (its family's count 0) is neither
		// found nor held: only the shapes present are decided one by one
		present := m.nz[p]
		if present&(1<<shName|1<<shUpper) != 0 {
			present |= 1<<shName | 1<<shUpper // count() adds the family
		}
		m.held[p] &= present
		for rest := present &^ 1; rest != 0; rest &= rest - 1 {
			sh := shape(bits.TrailingZeros16(rest))
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
	// a column closed by padding is taken whatever its tokens look like
	// (extent): when the model starts or stops reading one, lines read
	// before read differently now, as when a shape is found or lost, so
	// the layout's generation moves and an engine reheads them (log4j's
	// %-23t thread column whose longest names fill it; Windows CBS's
	// padded level and component columns in a stream that mixes it with
	// another layout)
	var shut uint16
	for p := range m.on {
		if m.has[p] > 0 && m.closed(p) {
			shut |= 1 << p
		}
	}
	if shut != m.shut {
		m.shut = shut
		m.gen++
	}
	for p := 0; p < n; p++ {
		if shapes[p] == shDash && m.stable(p, shDash) {
			m.addMark(hs[p])
		}
	}
	return m.extent(msg, n, shapes, bounds)
}

// padded returns the positions (bits) of msg's n leading tokens that are
// followed by two blanks or more: a column padded to its width.
func padded(msg []byte, n int, bounds *[maxExt][2]int) uint16 {
	var pad uint16
	for p := 0; p < n; p++ {
		e := bounds[p][1]
		if e+2 < len(msg) && (msg[e] == ' ' || msg[e] == '\t') && (msg[e+1] == ' ' || msg[e+1] == '\t') {
			pad |= 1 << p
		}
	}
	return pad
}

// closed reports whether position p is a column closed by a mark of the
// layout on nearly every line: a separator column after it, or alignment
// padding after it. Such a column is a header field whatever its tokens
// look like ("main | …", "worker-1        …").
func (m *model) closed(p int) bool {
	if p+1 < maxExt && m.stable(p+1, shDash) {
		return true
	}
	if m.lines < minLines {
		return false
	}
	// padded on nearly every line; or padded to one width on half the
	// lines at least, and filled or overflowed on the others. A column
	// found so is held while a third of the lines pad it: in a stream
	// that interleaves a padded layout with another line by line (two
	// sources of one pod), the padded share hovers at one half, and a
	// column found and lost on every other line reads the stream's
	// lines two ways (Windows CBS's padded component column beside rust
	// env_logger, WildFly's console or klog lines)
	pads := int(m.pads[p]) * 2
	if m.shut&(1<<p) != 0 {
		pads = int(m.pads[p]) * 3
	}
	return int(m.pads[p])*10 >= m.lines*9 || m.lines >= settled && pads >= m.lines && int(m.fit[p])*10 >= m.lines*9
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
// keeps one name on every line; for a column taken for the separator that
// closes it, the column's most frequent shape (a name when that is none).
func (m *model) posShape(p int, sh shape) shape {
	if sh == shConst {
		return shConst // the column of one word (constWord)
	}
	if sh == shNone || !m.stable(p, sh) {
		// a token off its column's shape: the column's type names it
		for k := shape(1); k < numShapes; k++ {
			if k != sh && m.stable(p, k) {
				return m.posShape(p, k)
			}
		}
	}
	if (sh == shNone || !m.stable(p, sh)) && m.closed(p) {
		return shWord // "main | …", "worker-1 | …": one field whatever its token's shape
	}
	if sh == shNone || !m.stable(p, sh) {
		best, bc := shName, uint16(0)
		for k := shape(1); k < numShapes; k++ {
			if m.counts[p][k] > bc && k != shDash {
				best, bc = k, m.counts[p][k]
			}
		}
		if family(best) == shName || best == shLevel || best == shTag {
			return shName
		}
		if sh == shNone && best != shBracket {
			return shName
		}
		return best
	}
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
// takes as header: positions whose shape holds on nearly every line, and
// a position of any shape between the header and a separator column that
// holds on nearly every line ("main | …", "worker-1 | …"): the header ends
// where its stable columns end.
func (m *model) extent(msg []byte, n int, shapes *[maxExt]shape, bounds *[maxExt][2]int) int {
	ext := 0
	level := false
	for p := 0; p < n; p++ {
		sh := shapes[p]
		if sh == shLevel {
			if level {
				break // one level column: a second is the message's
			}
			// a symbol's word after it is the same level's (signale's
			// badge and label: "✔  success   msg", "⚠  warning   msg")
			level = msg[bounds[p][0]] < utf8.RuneSelf
		}
		if sh == shConst {
			ext = p + 1 // the column of one word (constWord)
			if p+1 < n && shapes[p+1] == shDash {
				p++ // and the separator that closes it
				ext = p + 1
			}
			continue
		}
		if sh == shNone || !m.stable(p, sh) {
			// a field of no stable shape, closed by a stable separator
			// or by alignment padding
			if p+1 < n && shapes[p+1] == shDash && m.stable(p+1, shDash) || m.closed(p) {
				ext = p + 1
				continue
			}
			break
		}
		ext = p + 1
		if sh == shTag || sh == shOnHost {
			break
		}
	}
	// a column the layout writes on some lines only: the header read up
	// to a separator its columns share (a stable separator column of
	// this line, "2024-… / info / <node49> [Linear cache] …", "… · 【LOG】
	// » …"), the positions after it hold that column on some lines and
	// the message on the others, and no shape is stable there. The
	// separator and the token it closes or opens are one more column:
	// the separator written between two columns is the layout's, whatever
	// its mark and whatever the column holds. A plain word or a clause's
	// opening beside it is the message's.
	//
	// Sources it helps: logcorpus wild's columns written on some lines
	// only, of every kind (ids, hosts, pairs, names, words: their layouts'
	// GA 0.53 -> 0.66); the development corpus, LogHub and synth
	// unchanged.
	for ext0 := ext; ext > 0 && ext+1 < n; ext += 2 {
		if !(shapes[ext] == shDash) == !(shapes[ext+1] == shDash) {
			break
		}
		sep, col := ext, ext+1
		if shapes[ext] != shDash {
			sep, col = ext+1, ext
		}
		if tok := msg[bounds[col][0]:bounds[col][1]]; letters(tok) == len(tok) || tok[len(tok)-1] == ':' {
			// a plain word or a clause's opening beside a separator is
			// the message's ("Connection - …", "- server targets: …",
			// "- port: 4222")
			break
		}
		if !m.headerSep(msg, msg[bounds[sep][0]:bounds[sep][1]], ext0, shapes, bounds) {
			break
		}
	}
	// the message follows the header: keep at least one token
	if ext == n && (n == 0 || bounds[n-1][1] >= len(msg)) {
		ext--
	}
	return max(ext, 0)
}

// wordsToMark returns the end of the words that follow a word ending at
// e when one of the stream's separators (marks) closes them: a column
// holding a name of a few words ("¦ Signal Dispatcher ¦", "; pool 4
// thread 11 ;", "| HTTP Handler |"), one column whatever its words, as a
// bracketed group holding blanks is. Up to three more words, none a
// clause's opening ("reason:"), a pair or a group; 0 when no mark of the
// stream closes them.
//
// Sources it helps: logcorpus wild's name columns of several words
// between separators (first round's name-multiword) and the second
// round's layouts that hold one beside a source location or a pair run.
func wordsToMark(msg []byte, e int, m *model) int {
	end := e
	for k := 0; k < 4; k++ {
		s2, e2 := scanToken(msg, end)
		if s2 >= e2 || e2-e > 40 {
			return 0
		}
		tok := msg[s2:e2]
		if isPunctRun(tok) || isMarkRun(tok) {
			if k == 0 {
				return 0
			}
			h := hashTok(tok)
			for _, x := range m.marks {
				if x == h {
					return end
				}
			}
			return 0
		}
		if c := tok[len(tok)-1]; c == ':' || c == ',' || groupMarksAny(tok) || bytes.IndexByte(tok, '=') >= 0 {
			return 0
		}
		end = e2
	}
	return 0
}

func groupMarksAny(tok []byte) bool {
	o, _ := groupMarks(tok)
	return o > 0
}

// headerSep reports whether tok is a separator of the stream's header: the
// token of a stable separator column among the line's first ext
// positions, or one the stream's lines hold at a stable separator column
// (a line whose columns moved by the one it lacks or holds more reads
// another mark there: "… · 【LOG】 » msg" beside "… · «id» · 【LOG】 » msg").
func (m *model) headerSep(msg, tok []byte, ext int, shapes *[maxExt]shape, bounds *[maxExt][2]int) bool {
	for q := 0; q < ext; q++ {
		if shapes[q] == shDash && string(msg[bounds[q][0]:bounds[q][1]]) == string(tok) && m.stable(q, shDash) {
			return true
		}
	}
	h := hashTok(tok)
	for _, k := range m.marks {
		if k == h {
			return true
		}
	}
	return false
}

// addMark adds the token h of a stable separator column to the stream's
// separators (the four last distinct ones).
func (m *model) addMark(h uint32) {
	for _, k := range m.marks {
		if k == h {
			return
		}
	}
	copy(m.marks[1:], m.marks[:len(m.marks)-1])
	m.marks[0] = h
}

// shapesOf fills the shapes and bounds of msg's leading tokens, up to the
// first that cannot be a header field, and returns their number. A token
// of no header shape is kept when a separator follows it (a column of
// words between separators, "main | …"); a level is no header field on a
// line whose header has its level (lvl: "[ERR] serf: …" is the message's);
// a zone after a time is the time's.
func shapesOf(msg []byte, lvl bool, m *model, shapes *[maxExt]shape, bounds *[maxExt][2]int) int {
	n := 0
	c := cursor{line: msg}
	for n < maxExt {
		s, e := c.peek()
		if s >= e {
			break
		}
		tok := msg[s:e]
		if !lvl && isPairToken(tok) {
			// metadata pairs before the level: one position
			if end, _, _ := pairsBeforeLevel(msg, s); end > 0 {
				shapes[n], bounds[n] = shMeta, [2]int{s, end}
				n++
				c.pos = end
				continue
			}
		}
		if slashInside(tok) { // nameOnHost's first test, before its scan
			if _, _, _, end, ok := nameOnHost(msg, s); ok {
				shapes[n], bounds[n] = shOnHost, [2]int{s, end}
				n++
				break
			}
		}
		sh, pm := shapeOfMark(tok)
		if sh == shDash && m != nil && m.sym&(1<<n) != 0 && tok[0] >= utf8.RuneSelf {
			if lv, _ := symLevel(tok); lv {
				sh = shLevel // "•" in a column of "ℹ" "⚠" "✖" (symLevel)
			}
		}
		if pm {
			// a run of pairs: one position (pairRun)
			if end := pairRun(msg, s); end > 0 {
				shapes[n], bounds[n] = shMeta, [2]int{s, end}
				n++
				c.pos = end
				continue
			}
		}
		if sh != shLevel && m.levelColumn(n) && levelWord(tok) {
			sh = shLevel // "[DIAG]" in a column of levels (levelColumn)
		}
		if sh == shLevel && lvl {
			sh = shNone
		}
		if sh == shNone && n > 0 && shapes[n-1] == shUptime && tok[0]|0x20 >= 'a' && tok[0]|0x20 <= 'z' && isHostToken(tok) {
			// after seconds since boot, a host before the syslog
			// identifier: journalctl -o short-monotonic's
			// "[    5.123456] myhost systemd[1]: …", "… myhost
			// kernel: …" (a host with no digit or dot has no shape)
			if s2, e2 := c.at(e); s2 < e2 && shapeOf(msg[s2:e2]) == shTag {
				sh = shName
			}
		}
		if sh == shNone && m.constWord(n, tok) {
			sh = shConst
		}
		if sh == shNone && m.shut&(1<<n) == 0 && tok[0]|0x20 >= 'a' && tok[0]|0x20 <= 'z' && paddedName(msg, s, e) {
			// a plain word padded to a column's width is the value of
			// a column the layout pads, as a name with a digit is:
			// SQL Server ERRORLOG's "Logon       " beside "spid85",
			// log4j's and logback's %-15t "main           " beside
			// "pool-3-thread-12", Python's %(name)-12s "root" beside
			// "app.db"; so a column whose ids overflow the width on
			// most lines and whose few words pad it is one shape on
			// every line (a column padded on most lines is taken
			// whatever its shapes: closed)
			sh = shName
		}
		if (sh == shNone || family(sh) == shName) && !lvl && n > 0 && shapes[n-1] == shDash && m != nil && m.marks[0] != 0 {
			// a name of a few words between two of the layout's
			// separators: one column ("¦ HTTP Handler ¦", "; pool 4
			// thread 11 ;"); words after a column closed by a blank
			// are columns of their own ("+0200 worker-1 i.g.Auth --- ")
			if s2, e2 := c.at(e); s2 < e2 && s2 == e+1 && !isPunctRun(msg[s2:e2]) && !isMarkRun(msg[s2:e2]) {
				if end := wordsToMark(msg, e, m); end > 0 {
					sh, e = shNone, end
				}
			}
		}
		if n > 0 && shapes[n-1] == shTime && sh != shTime && isZone(tok) {
			sh = shTime // "2024-01-05 10:15:00 UTC", "… +0200"
		}
		shapes[n] = sh
		bounds[n] = [2]int{s, e}
		n++
		if sh == shTag {
			break
		}
		if sh == shNone {
			// go on past a word closed by a separator or by padding
			pad := e+2 < len(msg) && (msg[e] == ' ' || msg[e] == '\t') && (msg[e+1] == ' ' || msg[e+1] == '\t')
			if s2, e2 := c.at(e); !(s2 < e2 && (isPunctRun(msg[s2:e2]) || isMarkRun(msg[s2:e2])) || pad) || lvl {
				break
			}
		}
		c.pos = e
	}
	return n
}
