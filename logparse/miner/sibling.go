package miner

// Sibling events: a call site whose text is another's plus one or two
// constant words beside a parameter ("Starting worker <*>" and "Starting
// worker pool <*>", "skipping endpoint <*> for host" and "skipping
// endpoint shared <*> for host"). Fold lets a template take one or two
// extra words where it has a parameter, for values of several words
// ("session opened for Jane Doe on <*>" into "session opened for <*> on
// <*>"): there the extra words are the value, and the longer text has no
// parameter of its own in their place. A sibling keeps a parameter for
// each of the shorter template's, its extra words are one run of plain
// words that opens the span the template's parameter would take (right
// before its own value), they stay the same on all of its lines, and no
// other template has them (foldHash, wordsElsewhere): a template of its
// own once minSibling lines show it.
// Parsers that group by token count first keep such siblings apart
// (Drain, He et al., ICWS 2017: logparser.readthedocs.io, tools/Drain;
// drain-rs keeps "Node * is online" and "Node * going offline" as two
// templates, docs.rs/drain-rs); fold must not undo that for them.

// minSibling is the fewest lines of a longer template that siblingOf
// takes for an event of its own: fewer could be one value's words that
// happened to repeat.
const minSibling = 5

// params counts a template's parameters: its word parameters and the
// gaps that hold values.
func params(wild, varGap []bool) int {
	n := 0
	for _, w := range wild {
		if w {
			n++
		}
	}
	for _, v := range varGap {
		if v {
			n++
		}
	}
	return n
}

// siblingOf reports whether x, whose pieces fold into t's, is a sibling
// event of t: x has minSibling lines or more and a parameter for each of
// t's, so its extra words are constants beside its values, not values.
func (m *Miner) siblingOf(x, t *group) bool {
	if x.count < minSibling || t.tail || len(x.pieces) <= len(t.pieces) {
		return false
	}
	n := params(t.wild, t.varGap)
	if n == 0 || params(x.wild, x.varGap) < n {
		return false
	}
	k, words := m.noteFold(x.pieces, x.wild, func(k int) bool { return k < len(x.varGap) && x.varGap[k] }, t)
	return words && !m.foldSeen[k].shared && !m.wordsElsewhere(x.pieces, t, x, t)
}

// maxSiblingScan bounds the templates wordsElsewhere looks at; beyond it
// the words count as the stream's (no sibling).
const maxSiblingScan = 4096

// wordsElsewhere reports whether a word of pieces that t has not is a
// word of a live template other than a and b: a word of many events (a
// header's column read as words of the message: "{dur:<*>}", a thread
// name), not one call site's.
func (m *Miner) wordsElsewhere(pieces [][]byte, t, a, b *group) bool {
	seen := 0
	for _, l := range m.byLen {
		for _, g := range l {
			if !g.live || g == a || g == b {
				continue
			}
			if seen++; seen > maxSiblingScan {
				return true
			}
			j := 0
			for _, p := range pieces {
				if j < len(t.pieces) && (t.wild[j] || string(t.pieces[j]) == string(p)) {
					j++
					continue
				}
				for i, q := range g.pieces {
					if !g.wild[i] && string(q) == string(p) {
						return true
					}
				}
			}
		}
	}
	return false
}

// foldInfo is what is known of one fold's extra words: the template they
// first folded into, and whether they folded into another since.
type foldInfo struct {
	id     uint64
	shared bool
}

// foldHash hashes the pieces of x (wildcards where wild says) that t's
// template has not: the extra words of a fold, aligned greedily. words
// reports whether they are constant words (wordy, no digit, no
// wildcard, a letter last: not closed as a value is, "fluent-bit,") in one run that opens the span t's parameter takes: after a
// constant of t and right before a parameter of x (gap(k): x has a value
// before piece k, or piece k is a wildcard), as a sibling's words beside
// its value are. Words after a piece that t's wildcard took continue a
// value of several words ("connection reset by peer"); words before no
// value are a value themselves, or a header's column present on some
// lines only.
func foldHash(pieces [][]byte, wild []bool, gap func(int) bool, t *group) (h uint64, words bool) {
	h, words = uint64(fnvOffset), true
	j, last, runs := 0, -2, 0
	afterWild := false
	for i, p := range pieces {
		if j < len(t.pieces) && (t.wild[j] || string(t.pieces[j]) == string(p)) {
			afterWild = t.wild[j]
			j++
			continue
		}
		if last != i-1 {
			runs++
			words = words && !afterWild && !gap(i)
		}
		last = i
		if wild != nil && wild[i] {
			h, words = hashSep(h, 1), false
			continue
		}
		words = words && wordy(p) && !nameLike(p) && isAlpha(p[len(p)-1])
		h = hashSep(hashPiece(h, p), 0)
	}
	return h, words && runs == 1 && (gap(last+1) || last+1 < len(pieces) && wild != nil && wild[last+1])
}

// noteFold records that pieces folded into t. Extra words that fold into
// two templates are the stream's, not one event's (a header column
// present on some lines only, read as words of the message): no sibling
// evidence.
func (m *Miner) noteFold(pieces [][]byte, wild []bool, gap func(int) bool, t *group) (k uint64, words bool) {
	k, words = foldHash(pieces, wild, gap, t)
	fi, ok := m.foldSeen[k]
	switch {
	case !ok:
		if len(m.foldSeen) < m.cfg.MaxClusters {
			m.foldSeen[k] = foldInfo{id: t.id}
		}
	case !fi.shared && fi.id != t.id:
		m.foldSeen[k] = foldInfo{id: fi.id, shared: true}
	}
	return k, words
}

// splitSibling moves c, a signature that folded into its template when
// it was new and now has minSibling lines, into a template of its own
// when it is a sibling event of that template (siblingOf). Called once
// per folded signature, when its count reaches minSibling.
func (m *Miner) splitSibling(c *cluster) {
	from := c.g
	if from == nil || !from.live || from.tail || len(from.members) < 2 || len(c.pieces) <= len(from.pieces) {
		return
	}
	n := 0
	for _, s := range c.gaps {
		if s != "" {
			n++
		}
	}
	if t := params(from.wild, from.varGap); t == 0 || n < t {
		return
	}
	if k, words := foldHash(c.pieces, nil, c.gap, from); !words || m.foldSeen[k].shared || m.wordsElsewhere(c.pieces, from, from, nil) {
		return
	}
	unlink(c)
	g := m.newGroup(c.pieces, c.glue, nil, c.seq)
	g.ctx = from.ctx
	m.join(g, c, false)
	g.id = canonicalID(g)
	if c.own != 0 && c.own == from.id {
		// the template's id was made for c: it stays with c's event, as
		// RehomeAll keeps a split template's id with its founder
		g.id, g.handed = c.own, from.handed
		if from.id = canonicalID(from); from.id == g.id {
			from.id ^= collisionSalt
		}
	}
	c.own = g.id
	delete(m.aliases, g.id) // a live template's own id is no alias
	delete(m.aliases, from.id)
	m.retext(g)
	m.retext(from)
}

// gap reports whether c has a value before piece k.
func (c *cluster) gap(k int) bool { return k < len(c.gaps) && c.gaps[k] != "" }
