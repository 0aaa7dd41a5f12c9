package main

import (
	"math/rand/v2"
	"strconv"
	"strings"
)

// wild -msg sibling (not part of all): a statement with a sibling, a
// second call site whose text is the same format plus constant words, so
// that a template whose parameter may span several tokens, or be absent,
// can swallow the sibling's words. Programs write such pairs where one
// path knows more than the other ("Starting worker %s" beside "Starting
// worker pool %s", "pull %s into %s" beside "pull %s into %s pinned as
// %s"); token-count parsers keep them apart because their lengths differ
// (Drain groups by length first, logparser.readthedocs.io, tools/Drain;
// drain-rs keeps "Node * is online" and "Node * going offline" as two
// templates, docs.rs/drain-rs). One statement in five gets a sibling, of
// one of three forms:
//
//   - one or two constant words before its first parameter;
//   - a trailing constant clause with a parameter of its own;
//   - its first parameter (a single word between words) left out, so
//     the word is missing (a call site without the value).
//
// The sibling writes 1 line in 6 to 1 in 41 of the statement's lines,
// or all but those (the ratio and its direction drawn per statement).
// The ground truth is the call site: the sibling is an event of its own.

var (
	sibWords   = []string{"pool", "group", "batch", "for peer", "on replica", "in shard", "via proxy", "as leader", "from backup", "local"}
	sibClauses = []string{" pinned as ", " after retry ", " from cache ", " owned by ", ", took ", " (attempt "}
	sibVals    = []string{"alpha", "bravo", "core", "edge", "main", "spare", "west", "east"}
)

// sibParam is where the first parameter of key sits in msg: its start
// and end, ok only if msg renders key's text up to it and the value is
// one word between words (a space on either side).
func sibParam(key, msg string) (start, end int, ok bool) {
	lits := strings.Split(key, "<*>")
	if len(lits) < 2 || !strings.HasPrefix(msg, lits[0]) || !strings.HasSuffix(lits[0], " ") || !strings.HasPrefix(lits[1], " ") {
		return 0, 0, false
	}
	start = len(lits[0])
	n := strings.IndexByte(msg[start:], ' ')
	if n <= 0 || !strings.HasPrefix(msg[start+n:], lits[1]) {
		return 0, 0, false
	}
	return start, start + n, true
}

// sibling rewrites line i of statement *key as its sibling's, when the
// statement has one and the line is the sibling's.
func (m *wildMsg) sibling(e *event, key *string, i int) {
	r := m.stmtRand(*key, 0x51b1)
	if r.IntN(5) != 0 {
		return
	}
	form := r.IntN(3)
	ratio := 5 + r.IntN(36)
	minor := r.IntN(2) == 0 // the sibling writes the few lines
	words := wpick(r, sibWords)
	if r.IntN(3) == 0 && !strings.Contains(words, " ") {
		words = wpick(r, []string{"worker", "shared", "remote"}) + " " + words
	}
	clause := wpick(r, sibClauses)
	line := rand.New(rand.NewPCG(m.seed*7919+uint64(i), 0x51b2))
	if few := line.IntN(ratio+1) == 0; few != minor {
		return
	}
	start, end, ok := sibParam(*key, e.Msg)
	if !ok && form != 1 {
		form = 1 // no single-word parameter to put words before or leave out
	}
	k := len(strings.Split(*key, "<*>")[0])
	switch form {
	case 0: // constant words before the first parameter
		e.Msg = e.Msg[:start] + words + " " + e.Msg[start:]
		*key = (*key)[:k] + words + " " + (*key)[k:]
	case 1: // a trailing clause with a parameter
		v := wpick(line, sibVals) + "-" + strconv.Itoa(line.IntN(90))
		if strings.HasPrefix(clause, " (") {
			v += ")"
		}
		e.Msg = strings.TrimRight(e.Msg, " ") + clause + v
		*key += " ⟪" + clause + "<*>⟫"
	default: // the first parameter left out
		e.Msg = e.Msg[:start] + e.Msg[end+1:]
		*key = (*key)[:k] + (*key)[k+len("<*> "):]
	}
}
