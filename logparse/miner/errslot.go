package miner

// noteSoft records that the tail of pieces after n followed its prefix
// at a boundary without ':' (registerSoft). A whole tail seen so after
// two prefixes that differ as two events' do is an error's text that
// several events report with no ':' before it ("… via <*> read tcp <*>:
// read: connection reset by peer", "… replaced broker <*> with <*> no
// route to host"), as noteTail finds those after a clause's ':'. The
// record is apart from noteTail's: a tail seen after a soft boundary is
// no evidence for the tail candidates after a clause. A prefix that opens
// with a value is a header the caller did not strip ("<*> CET [[main]]
// warn <*> …"): its tails are whole messages, seen after each header
// variant, and are no evidence of an error's text. Nor is a tail that
// ends with a value: the object an event names ("… for pod <*>", "… in
// namespace <*>" close many events' sentences), where an error's text
// ends with its cause's words ("… connection refused", "… no such
// host").
func (m *Miner) noteSoft(g *group, n int) {
	pieces, wild := g.pieces, g.wild
	if n+minShared > len(pieces) || valueFirst(g) || valueLast(g) || (wild[n] || nameLike(pieces[n])) && pieces[n][len(pieces[n])-1] == ':' {
		// a value closing a clause ("sync pod web-0: <error>") is that
		// clause's operand, and the error after it is noteTail's
		return
	}
	th := tailHash(pieces[n:], wild[n:])
	if m.softSeen == nil {
		m.softSeen = make(map[uint64]*tailInfo)
	}
	ti := m.softSeen[th]
	if ti == nil {
		if len(m.softSeen) >= m.cfg.MaxClusters {
			return // bounded: evidence stops growing, nothing breaks
		}
		m.softSeen[th] = &tailInfo{prefix: pieceHashes(nil, pieces[:n], wild[:n])}
		return
	}
	if !ti.shared && otherPrefix(ti.prefix, pieces[:n], wild[:n]) && !headOf(ti.prefix, pieces[:n], wild[:n]) {
		ti.shared = true
	}
}

// headOf reports whether the shorter of a recorded prefix and pieces
// opens the longer (masked pieces match any): one sentence that goes on
// further before the same words ("Failed to load images <error>" and
// "Failed to prepare containerd to load images <error>" share "load
// images <error>" after "Failed to" and after "… containerd to"), no
// evidence that those words are an error's text.
func headOf(first []uint64, pieces [][]byte, wild []bool) bool {
	for j := range min(len(first), len(pieces)) {
		h := uint64(0)
		if !(wild != nil && wild[j] || nameLike(pieces[j])) {
			h = hashPiece(fnvOffset, pieces[j]) | 1
		}
		if h != first[j] && h != 0 && first[j] != 0 {
			return false
		}
	}
	return true
}

// softShared reports whether g's tail after n pieces was seen after two
// prefixes without ':' that differ as two events' do (noteSoft), g's
// prefix opening with a word.
func (m *Miner) softShared(g *group, n int) bool {
	if valueFirst(g) || valueLast(g) {
		return false
	}
	ti := m.softSeen[tailHash(g.pieces[n:], g.wild[n:])]
	return ti != nil && ti.shared
}

// valueLast: g ends with a value, after its last piece or as it (a name
// with a digit).
func valueLast(g *group) bool {
	l := len(g.pieces)
	return l < len(g.varGap) && g.varGap[l] || l > 0 && (g.wild[l-1] || nameLike(g.pieces[l-1]))
}

// valueFirst: g opens with a value, before its first piece or as it.
func valueFirst(g *group) bool {
	return len(g.varGap) > 0 && g.varGap[0] || len(g.wild) > 0 && g.wild[0]
}
