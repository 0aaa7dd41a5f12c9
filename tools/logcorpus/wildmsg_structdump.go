package main

import (
	"math/rand/v2"
	"strconv"
	"strings"
)

// structdump (wild -msg structdump, not part of all): a value printed as
// a struct, its fields' keys constant and their values parameters, in
// the middle of a message whose own words go on after it. A statement in
// three writes its words, a struct, and one of two or three closing
// clauses, each clause an event of its own (`frame dropped Frame { src:
// Blue, seq: 4 } after retry` beside `… on shutdown`). The struct is
// written as Rust's derived Debug does (`Frame { src: Blue, seq: 4 }`,
// enum values bare words), as Go's %+v (`{Src:blue Seq:4}`, `&{…}`
// through a pointer), or as Java's records and Kotlin's data classes
// print themselves (`Frame[src=blue, seq=4]`, `Frame(src=blue, seq=4)`),
// one style per layout; a field's value is a word from a few of its own
// (an enum or a name: `blue`, `leader`) or a number. The values after a
// key's ':' are no error's text: the struct's keys stay words of the
// event and the clause after it tells two events apart.

var (
	sdTypes   = []string{"Frame", "Lease", "Peer", "Batch", "Member", "Slot"}
	sdFields  = []string{"src", "seq", "len", "state", "role", "term", "kind", "zone", "shard", "owner"}
	sdWords   = []string{"blue", "red", "green", "leader", "follower", "idle", "active", "east", "west", "primary", "replica"}
	sdClauses = []string{"after retry", "on shutdown", "before commit", "while draining", "during resync", "at startup"}
	sdStyles  = []string{"rust", "goplus", "goptr", "record", "data"}
)

// structdump rewrites e's message when statement key dumps a struct, and
// names the closing clause's event in key.
func (m *wildMsg) structdump(e *event, key *string, i int) {
	r := m.stmtRand(*key, 8)
	if len(e.KVs) > 0 || r.IntN(3) != 0 { // a statement in three
		return
	}
	style := sdStyles[rand.New(rand.NewPCG(m.seed, 0x5d)).IntN(len(sdStyles))]
	typ := wpick(r, sdTypes)
	fields := r.Perm(len(sdFields))[:2+r.IntN(3)]
	wordy := make([]bool, len(fields)) // a field of words, else of numbers
	for k := range fields {
		wordy[k] = r.IntN(2) == 0
	}
	wordy[0] = true // one field of words at least: what the error-tail reading took
	clauses := r.Perm(len(sdClauses))[:2+r.IntN(2)]
	line := rand.New(rand.NewPCG(m.seed*7919+uint64(i), 0x5d0))
	var kv []string
	for k, f := range fields {
		name := sdFields[f]
		var v string
		if wordy[k] {
			v = sdWords[(f+line.IntN(4))%len(sdWords)]
		} else {
			v = strconv.Itoa(line.IntN(5000))
		}
		switch style {
		case "rust":
			if wordy[k] {
				v = strings.ToUpper(v[:1]) + v[1:]
			}
			kv = append(kv, name+": "+v)
		case "goplus", "goptr":
			kv = append(kv, strings.ToUpper(name[:1])+name[1:]+":"+v)
		default:
			kv = append(kv, name+"="+v)
		}
	}
	var s string
	switch style {
	case "rust":
		s = typ + " { " + strings.Join(kv, ", ") + " }"
	case "goplus":
		s = "{" + strings.Join(kv, " ") + "}"
	case "goptr":
		s = "&{" + strings.Join(kv, " ") + "}"
	case "record":
		s = typ + "[" + strings.Join(kv, ", ") + "]"
	default:
		s = typ + "(" + strings.Join(kv, ", ") + ")"
	}
	c := sdClauses[clauses[0]]
	if x := line.IntN(10); x >= 6 {
		c = sdClauses[clauses[1+(x-6)%(len(clauses)-1)]]
	}
	msg := strings.TrimRight(strings.Join(strings.Fields(e.Msg), " "), " .:")
	e.Msg = msg + ": " + s + " " + c
	*key += " ⟪" + c + "⟫"
}
