package main

import (
	"math/rand/v2"
	"strings"
)

// intag (wild -msg intag, not part of all): the level and a component
// tag written by the format string, not by a header: `log.Printf("[INFO]
// (pool) closing idle connections")`. hashicorp/logutils reads a level
// "indicated within the log message itself" (`log.Print("[WARN] …")`),
// and comail/colog a `debug: ` prefix in the text; programs on Go's log
// package add a component in parentheses after it. The layout loses its
// level column (the level is in the text), every statement opens its
// message with `[LEVEL] (comp) `, comp from a small vocabulary per
// layout, and one statement in five is also written, on about half its
// lines, under a second (level, comp) pair with the same text: a code
// path of its own, so another event (`[INFO] (pool) closing idle
// connections` and `[DEBUG] (proxy) closing idle connections` are two).

var intagComps = []string{"pool", "proxy", "cache", "store", "sched", "raft", "http", "auth", "gc", "wal"}

// intag rewrites e's message and *key for statement key's line i.
func (m *wildMsg) intag(e *event, key *string, i int) {
	lay := rand.New(rand.NewPCG(m.seed, 0x1a7a))
	perm := lay.Perm(len(intagComps))[:3+lay.IntN(3)]
	r := m.stmtRand(*key, 8)
	lv := strings.ToUpper(synthLevel(e.Level))
	comp := intagComps[perm[r.IntN(len(perm))]]
	if r.IntN(5) == 0 { // a second code path writes the same text
		lv2 := wpick(r, []string{"TRACE", "DEBUG", "INFO", "WARN", "ERROR"})
		comp2 := intagComps[perm[r.IntN(len(perm))]]
		if lv2 == lv && comp2 == comp {
			comp2 = intagComps[perm[(r.IntN(len(perm)-1)+1+indexOf(perm, comp))%len(perm)]]
		}
		line := rand.New(rand.NewPCG(m.seed*7919+uint64(i), 0x1a7b))
		if line.IntN(2) == 0 {
			lv, comp = lv2, comp2
			*key += " ⟪[" + lv + "] (" + comp + ")⟫"
		}
	}
	e.Msg = "[" + lv + "] (" + comp + ") " + e.Msg
}

// indexOf is the index of intagComps' word w in perm.
func indexOf(perm []int, w string) int {
	for k, p := range perm {
		if intagComps[p] == w {
			return k
		}
	}
	return 0
}

// withoutLevel is l without its level column: the level is in the text.
func withoutLevel(l *wildLayout) *wildLayout {
	out := *l
	out.cols = nil
	for _, c := range l.cols {
		if c.kind != "level" {
			out.cols = append(out.cols, c)
		}
	}
	if len(out.cols) == 0 {
		return l
	}
	return &out
}
