package main

import (
	"math/rand/v2"
	"strings"
)

// Two more header kinds for wild -hdr, the cases a header rule for labels
// ended by colons must pass (a first rule of that kind read both wrong on
// rounds nobody had examined). Neither is in -hdr all, which renders as
// before:
//
//   - colonctx: a bracketed context column closes the header (a thread,
//     a worker, a database, a subsystem in brackets: `[worker-3]`,
//     `[db]`, as log4j's `[%t]`, Python's `[%(name)s]` and the kernel's
//     `[subsys]` write it) and most messages open with an upper-case
//     label of their own (`BUG: list corrupted`, `FATAL: too many
//     connections`, the kernel's `BUG:`/`WARNING:` reports, PostgreSQL's
//     `FATAL:`/`ERROR:`/`HINT:`). The label is the statement's — written in
//     its format string, the same on every line of it — so it is message
//     text, drawn from a pool of a few words as a header label is, but
//     never seen before another statement's text. The context varies per
//     line (a field); on half the layouts the seed's level column stays
//     before it.
//   - colongrow: colon-ended header labels as colon writes them, whose
//     vocabulary grows after the stream's first lines: the first 60–200
//     lines (of wild's 400) are logged under one or two categories at the
//     statements' own levels (a service starting up), the rest under the
//     pool but its last category, one statement in three under several,
//     at levels chosen at run time; that last category first seen after
//     240–340 lines on half the layouts. One pass must read the late
//     labels as two passes do.
//
// Every value that varies is scored as a field; a category label is a
// field, a message's own label is message text.

// wildHdrExtra are -hdr's kinds that all does not name.
var wildHdrExtra = []string{"colonctx", "colongrow", "oddlevel"}

var (
	ctxNames    = []string{"worker-3", "db", "main", "io-2", "sched", "pool-1", "net", "fsync", "gc", "http-7", "timer", "repl"}
	ctxMsgLabel = []string{"BUG", "FATAL", "ERROR", "WARNING", "PANIC", "NOTE", "ASSERT", "OOPS", "HINT", "DETAIL", "LOG", "INFO"}
)

// extendWildHdrExtra adds kind k of wildHdrExtra to l.
func extendWildHdrExtra(seed uint64, ci int, k string, l *wildLayout, rng *rand.Rand) {
	switch k {
	case "colonctx":
		wildColonCtx(seed, ci, l, rng)
	default:
		if !extendWildHdrLabel(seed, ci, k, l, rng) { // wild_hdrlabel.go
			wildColonGrow(seed, ci, l, rng)
		}
	}
}

// wildColonCtx closes l's header with a bracketed context and opens most
// statements' messages with a label of their own.
func wildColonCtx(seed uint64, ci int, l *wildLayout, rng *rand.Rand) {
	perm := rng.Perm(len(ctxNames))[:3+rng.IntN(6)]
	var ctxs []string
	for _, p := range perm {
		ctxs = append(ctxs, ctxNames[p])
	}
	labels := rng.Perm(len(ctxMsgLabel))[:2+rng.IntN(5)]
	pct := 5 + rng.IntN(5) // statements with a label, of 10
	keepLevel := rng.IntN(2) == 0
	var cols []wildCol
	for _, c := range l.cols {
		if c.kind != "level" || keepLevel {
			cols = append(cols, c)
		}
	}
	tag := "hdr3-colonctx"
	if rng.IntN(2) == 0 {
		// a plain header: the time, perhaps an id or a level
		var keep []wildCol
		for _, c := range cols {
			if (c.kind == "time" || c.kind == "id" || c.kind == "level") && !strings.HasSuffix(c.name, "+sometimes") && len(keep) < 3 {
				keep = append(keep, c)
			}
		}
		cols = keep
		l.sep, l.quote, l.empty, l.pre, l.tags = " ", "", false, nil, nil
		tag += "-plain"
	}
	if keepLevel {
		tag += "-level"
	}
	ctx := wildCol{kind: "name", name: "colonctx-context", text: func(e *event, i int) (string, []string) {
		c := ctxs[lineRand(seed, ci, i).IntN(len(ctxs))]
		return "[" + c + "]", []string{c}
	}}
	l.cols = append(cols, ctx)
	l.end = " "
	l.msgPre = func(e *event, _ int) string {
		h := callHash(seed, "msglabel", e)
		if h%10 >= uint32(pct) {
			return ""
		}
		return ctxMsgLabel[labels[h/10%uint32(len(labels))]] + ": "
	}
	l.tags = append(l.tags, tag)
}

// wildColonGrow ends l's header with colon-ended labels whose vocabulary
// grows after the stream's first lines.
func wildColonGrow(seed uint64, ci int, l *wildLayout, rng *rand.Rand) {
	form := wpick(rng, []string{"cat-sev", "cat-sev", "sev-cat", "sev"})
	spell := wpick(rng, colonSpells)
	sev := colonSeverities[spell]
	perm := rng.Perm(len(colonCategories))[:4+rng.IntN(5)]
	var cats []string
	for _, p := range perm {
		cats = append(cats, colonCategories[p])
	}
	early := 60 + rng.IntN(141) // lines under the first categories only (of wild's 400)
	first := 1 + rng.IntN(2)    // categories of those lines
	late := 0                   // after this line, the last category too
	if rng.IntN(2) == 0 {
		late = 240 + rng.IntN(100)
	}
	var cols []wildCol
	for _, c := range l.cols {
		if c.kind != "level" {
			cols = append(cols, c)
		}
	}
	if rng.IntN(2) == 0 {
		cols = plainHeaderCols(cols)
		l.sep, l.quote, l.empty, l.pre, l.tags = " ", "", false, nil, nil
		form += "-plain"
	}
	label := wildCol{kind: "label", name: "colongrow-" + form + "-" + spell, text: func(e *event, i int) (string, []string) {
		lv := synthLevel(e.Level)
		n := first
		if i >= early {
			lv = colonLevel(seed, ci, e, i)
			n = len(cats) - 1
			if late > 0 && i >= late {
				n = len(cats)
			}
		}
		h := callHash(seed, "cat", e)
		cat := cats[h%uint32(n)]
		if i >= early && h/7%3 == 0 { // a helper several subsystems call
			cat = cats[lineRand(seed, ci, i).IntN(n)]
		}
		s := sev[levelIndex[lv]]
		switch {
		case strings.HasPrefix(form, "cat-sev"):
			return cat + ": " + s + ":", []string{cat}
		case strings.HasPrefix(form, "sev-cat"):
			return s + ": " + cat + ":", []string{cat}
		}
		return s + ":", nil
	}}
	l.cols = append(cols, label)
	l.end = " "
	l.tags = append(l.tags, "hdr3-"+label.name)
}
