package main

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
)

// Header phenomena of the third round for wild layouts (wild -hdr KINDS):
// ways real loggers end or fill a header that the first two rounds
// (wild.go, wildhdr.go) never compose. With -hdr, every seed's layout gets
// one of the kinds asked for, drawn from a random stream of its own, on
// top of what the seed composed (so the same seed without -hdr renders as
// before):
//
//   - colon: one or two labels after the header's columns, each ended by
//     a colon, before the message: a category (facility, subsystem) from
//     a small pool and a severity word, in either order, or a severity
//     label alone that may be several words ("Fatal error:") or a word no
//     level list holds ("Request:"). Postfix writes `warning:`, `fatal:`,
//     `panic:` after its program name; Python's default format is
//     `LEVEL:logger:message` (BASIC_FORMAT, no blank at either colon);
//     the kernel's messages open with a device or subsystem name and a
//     colon (dmesg). A statement is logged under several categories (a
//     helper called by several subsystems) and, on some, at a level
//     chosen at run time: still one event.
//   - glued: no blank between the header and the message; the header's
//     last token ends in `:` or `]` (`MOD/4/DIGEST:Volume full`, the
//     info-center format of network gear, `module/level/digest:content`;
//     Python's `WARNING:root:message`; a bracketed column written as
//     `[%t]%m` in a log4j pattern).
//   - padnum: a number column padded to a fixed width, right-aligned or
//     left (`[  7]`, `[117]`, `[7   ]`), as log4j's and logback's
//     pattern widths (`%5t`, `%-5p`) and printf's `%5d` write it; values
//     of one to seven digits, some wider than the width.
//   - absent: an id column that prints a placeholder (`-`, `--`, a run of
//     dashes as wide as the id, `null`) on 20–50% of lines, per line or
//     per statement (a code path with no request), as Apache's common
//     log format writes `-` for a field it has no value for and IIS a
//     hyphen for an anonymous user.
//
// Every value that varies is scored as a field, as the first rounds'; a
// label's category is a field, a placeholder is none.

var wildHdrKinds = []string{"colon", "glued", "padnum", "absent"}

// wildHdrOpts parses -hdr: "" (none), a kind, a comma-separated list, or
// all.
func wildHdrOpts(s string) ([]string, error) {
	if s == "" {
		return nil, nil
	}
	var out []string
	seen := map[string]bool{}
	for _, k := range strings.Split(s, ",") {
		ks := []string{k}
		if k == "all" {
			ks = wildHdrKinds
		} else {
			ok := wildHdrDetectKind(k) // wild_detect.go
			for _, x := range append(append(wildHdrKinds[:len(wildHdrKinds):len(wildHdrKinds)], wildHdrExtra...), wildHdrLabel...) {
				ok = ok || x == k
			}
			if !ok {
				return nil, fmt.Errorf("wild: -hdr %q: want %s, %s, %s or all", k, strings.Join(wildHdrKinds, ", "), strings.Join(wildHdrExtra, ", "), strings.Join(wildHdrDetect, ", "))
			}
		}
		for _, x := range ks {
			if !seen[x] {
				seen[x] = true
				out = append(out, x)
			}
		}
	}
	return out, nil
}

// extendWildHdr adds one of kinds to l (a no-op when kinds is empty).
func extendWildHdr(seed uint64, l *wildLayout, kinds []string) {
	if len(kinds) == 0 {
		return
	}
	rng := rand.New(rand.NewPCG(seed, 0xc0107))
	const ci = 80 // column numbers of the third round: no earlier round's
	switch k := wpick(rng, kinds); k {
	case "colon":
		wildColon(seed, ci, l, rng)
	case "glued":
		wildGlued(seed, ci, l, rng)
	case "oddlevel":
		wildOddLevel(seed, ci, l, rng)
	case "bracketlevel":
		extendWildDetect(seed, ci, l, rng)
	case "padnum":
		c := wildPadNum(seed, ci, rng)
		l.insert(c, rng)
		l.tags = append(l.tags, "hdr3-"+c.name)
	case "absent":
		wildAbsent(seed, ci, l, rng)
	default:
		extendWildHdrExtra(seed, ci, k, l, rng) // wild_hdrcolon.go
	}
}

// callHash is a number of e's statement (its call site), the same on
// every line of it.
func callHash(seed uint64, salt string, e *event) uint32 {
	return fnv32(fmt.Sprint(seed, salt, e.File, e.Line))
}

var (
	colonCategories = []string{"storage", "network", "sched", "auth", "cache", "kernel", "mail", "cron",
		"daemon", "audit", "ingest", "replica", "billing", "gateway"}
	// severity labels per level, trace … fatal, in five spellings
	colonSeverities = map[string][6]string{
		"postfix":  {"debug", "debug", "notice", "warning", "error", "fatal"},
		"crit":     {"debug", "debug", "info", "warn", "crit", "panic"},
		"title":    {"Debug", "Debug", "Info", "Warning", "Error", "Fatal error"},
		"python":   {"DEBUG", "DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"},
		"invented": {"Crunch", "Crunch", "Request", "Caution", "Fault", "Fatal error"},
	}
	colonSpells = []string{"postfix", "crit", "title", "python", "invented"}
	levelIndex  = map[string]int{"trace": 0, "debug": 1, "info": 2, "warn": 3, "error": 4, "fatal": 5}
)

// colonLevel is the level statement e is logged at on line i: its own, or
// on one statement in four one chosen at run time.
func colonLevel(seed uint64, ci int, e *event, i int) string {
	l := synthLevel(e.Level)
	if callHash(seed, "lvl", e)%4 == 0 {
		l = wpick(lineRand(seed, ci+1, i), []string{l, l, "warn", "error", "info"})
	}
	return l
}

// wildColon ends l's header with colon-ended labels and drops its level
// column (the severity label is the level).
func wildColon(seed uint64, ci int, l *wildLayout, rng *rand.Rand) {
	form := wpick(rng, []string{"cat-sev", "cat-sev", "sev-cat", "sev", "sev", "python"})
	spell := wpick(rng, colonSpells)
	if form == "python" {
		spell = "python"
	}
	sev := colonSeverities[spell]
	perm := rng.Perm(len(colonCategories))[:3+rng.IntN(6)]
	var cats []string
	for _, p := range perm {
		cats = append(cats, colonCategories[p])
	}
	var cols []wildCol
	for _, c := range l.cols {
		if c.kind != "level" {
			cols = append(cols, c)
		}
	}
	label := wildCol{kind: "label", name: "colon-" + form + "-" + spell, text: func(e *event, i int) (string, []string) {
		s := sev[levelIndex[colonLevel(seed, ci, e, i)]]
		h := callHash(seed, "cat", e)
		cat := cats[h%uint32(len(cats))]
		if h/7%3 == 0 { // a helper several subsystems call
			cat = cats[lineRand(seed, ci, i).IntN(len(cats))]
		}
		switch form {
		case "cat-sev":
			return cat + ": " + s + ":", []string{cat}
		case "sev-cat":
			return s + ": " + cat + ":", []string{cat}
		case "python":
			return s + ":" + cat + ":", []string{cat}
		}
		return s + ":", nil
	}}
	tag := "hdr3-" + label.name
	if rng.IntN(2) == 0 {
		// a plain header, as the loggers above write it: the time,
		// perhaps a thread or an id, then the labels
		cols = plainHeaderCols(cols)
		l.sep, l.quote, l.empty, l.pre, l.tags = " ", "", false, nil, nil
		tag += "-plain"
	}
	l.cols = append(cols, label)
	l.end = " "
	if form == "python" {
		l.end = ""
		if len(cols) > 0 {
			l.sep = " "
		}
	}
	l.tags = append(l.tags, tag)
}

// wildGlued writes the message right after the header's last token, which
// ends in ':' or ']'.
func wildGlued(seed uint64, ci int, l *wildLayout, rng *rand.Rand) {
	form := wpick(rng, []string{"colon", "bracket", "digest", "digest"})
	if strings.HasSuffix(l.cols[len(l.cols)-1].name, "+sometimes") {
		form = "digest" // a column absent from some lines cannot close the header
	}
	switch form {
	case "colon", "bracket":
		last := l.cols[len(l.cols)-1]
		inner := last.text
		l.cols[len(l.cols)-1].text = func(e *event, i int) (string, []string) {
			t, vs := inner(e, i)
			if form == "bracket" {
				return "[" + t + "]", vs
			}
			return t + ":", vs
		}
		l.cols[len(l.cols)-1].name += "+glued-" + form
	default:
		// module/level/digest: a module per statement from a small
		// pool, the severity as a digit, a mnemonic per statement
		mods := []string{"STORE", "IFNET", "SHELL", "ARP", "DEVM", "SYSMGR", "LINK"}
		digests := []string{"FULL", "LINK_DOWN", "LOGIN", "CHANGED", "ALERT", "STATE", "RETRY", "SYNC", "TIMEOUT"}
		sev := map[string]string{"trace": "7", "debug": "7", "info": "6", "warn": "4", "error": "3", "fatal": "2"}
		l.cols = append(l.cols, wildCol{kind: "label", name: "digest", text: func(e *event, i int) (string, []string) {
			h := callHash(seed, "mod", e)
			m := mods[h%uint32(len(mods))]
			d := digests[h/11%uint32(len(digests))]
			return m + "/" + sev[synthLevel(e.Level)] + "/" + d + ":", nil
		}})
	}
	l.end = ""
	l.tags = append(l.tags, "hdr3-glued-"+form)
}

// wildPadNum: a number padded to a fixed width, in brackets or bare, its
// values (a pool, as threads, or a count that grows) of one to seven
// digits.
func wildPadNum(seed uint64, ci int, rng *rand.Rand) wildCol {
	width := 3 + rng.IntN(5)
	left := rng.IntN(4) == 0
	br := wpick(rng, [][2]string{{"[", "]"}, {"[", "]"}, {"(", ")"}, {"", ""}})
	pool := rng.IntN(2) == 0
	var vals []string
	r := lineRand(seed, ci, 1<<30)
	for k := 0; k < 3+rng.IntN(6); k++ {
		d := 1 + r.IntN(7)
		lo := 1
		for j := 1; j < d; j++ {
			lo *= 10
		}
		vals = append(vals, strconv.Itoa(lo+r.IntN(9*lo)))
	}
	start := rng.IntN(50)
	name := fmt.Sprintf("padnum-w%d", width)
	if left {
		name += "-left"
	}
	if br[0] == "" {
		name += "-bare"
	}
	return wildCol{kind: "id", name: name, text: func(e *event, i int) (string, []string) {
		var v string
		if pool {
			v = vals[lineRand(seed, ci, i).IntN(len(vals))]
		} else {
			v = strconv.Itoa(start + i*i*i/10) // a count that grows past the width
		}
		w := width
		if left {
			w = -w
		}
		return br[0] + fmt.Sprintf("%*s", w, v) + br[1], []string{v}
	}}
}

// wildAbsent makes an id column (one added if the layout has none) print
// a placeholder on some lines.
func wildAbsent(seed uint64, ci int, l *wildLayout, rng *rand.Rand) {
	ph := wpick(rng, []string{"-", "--", "dashes", "null"})
	pct := 2 + rng.IntN(4) // of 10
	perStmt := rng.IntN(2) == 0
	var ids []int
	for k, c := range l.cols {
		if c.kind == "id" {
			ids = append(ids, k)
		}
	}
	if len(ids) == 0 {
		c := wildLeadID(seed, ci, rng, wpick(rng, []int{1, 1, 4}))
		k := 1 + rng.IntN(len(l.cols))
		l.cols = append(l.cols[:k], append([]wildCol{c}, l.cols[k:]...)...)
		ids = []int{k}
	}
	k := ids[rng.IntN(len(ids))]
	inner := l.cols[k].text
	l.cols[k].name += "+absent"
	l.cols[k].text = func(e *event, i int) (string, []string) {
		t, vs := inner(e, i)
		var x uint32
		if perStmt {
			x = callHash(seed, "absent", e) % 10
		} else {
			x = uint32(lineRand(seed, ci+2, i).IntN(10))
		}
		if x >= uint32(pct) || len(vs) == 0 || t == "" {
			return t, vs
		}
		p := ph
		if p == "dashes" {
			p = strings.Repeat("-", len(vs[0]))
		}
		return strings.Replace(t, vs[0], p, 1), nil
	}
	tag := "hdr3-absent-" + ph
	if perStmt {
		tag += "-stmt"
	}
	l.tags = append(l.tags, tag)
}

// wildHdrName is how -hdr's kinds are printed.
func wildHdrName(kinds []string) string {
	if len(kinds) == 0 {
		return ""
	}
	return " hdr=" + strings.Join(kinds, "+")
}

// plainHeaderCols keeps the first column of each kind time, id and name
// (never a column that appears only sometimes), at most two: the plain
// header colon-label loggers write before their labels.
func plainHeaderCols(cols []wildCol) []wildCol {
	var keep []wildCol
	for _, kind := range []string{"time", "id", "name"} {
		for _, c := range cols {
			if c.kind == kind && !strings.HasSuffix(c.name, "+sometimes") {
				keep = append(keep, c)
				break
			}
		}
		if len(keep) == 2 {
			break
		}
	}
	return keep
}
