package main

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
)

// Two header kinds for wild -hdr (neither is in -hdr all, which renders
// as before):
//
//   - srclabel: a plain header (the time, perhaps an id) then a source
//     word and a level label ended by a colon, `SRC Level: message`, the
//     label one word on most statements (`Warning:`, `Notice:`) and two
//     or three on 20–30% of them (`Fatal error:`, `Parse error:`,
//     `Recoverable fatal error:`); the message ends in the statement's
//     location, ` in /path/File.ext on line N`. PHP's error log writes
//     `[26-Oct-2023 14:23:45 UTC] PHP Warning:  … in /var/www/html/index.php
//     on line 10` and `PHP Fatal error:  Uncaught Error: …` in one file
//     (the error types "Warning, Notice, Fatal error"); two blanks after
//     the colon on some layouts, as PHP writes them. The label is the
//     statement's, the same on every line of it; the location is written
//     by the runtime, not in the statement's format: two call sites of one
//     format are one event, as everywhere in wild.
//   - optbracket: a bracketed header field followed, on 30–50% of lines,
//     by a second bracketed id (glued, `LEVEL[tid][C-0000001b]:`, or after
//     a blank), present only while a context is bound: Asterisk prints
//     `NOTICE[27538][C-00000000]: chan_sip.c:25107 handle_request_invite:`
//     on lines of a thread with a call id bound and `VERBOSE[6165]
//     netsock2.c: …` without one, in the same file (Call-Identifier
//     Logging); log4j's and logback's MDC `%X{key}` prints nothing when the
//     key is unset. The same statements are written with and without the
//     id: still one event. Forms: the level and the thread with the id
//     after them (a call site and function opening the message, written
//     in the format), or the seed's layout with a bracketed thread or pid
//     column and the id after it.
//
// The ids and threads are fields; the labels and locations are not.

// wildHdrLabel are the kinds of this file.
var wildHdrLabel = []string{"srclabel", "optbracket"}

var (
	srcWords = []string{"ZEN", "PHP", "HACK", "Zend", "RT", "LUAJ", "QVM", "Tcl"}
	// srcLabels per level, trace … fatal, one word each
	srcLabels = [6]string{"Deprecated", "Notice", "Notice", "Warning", "Warning", "Error"}
	// srcLong are labels of two or three words (a statement's on 20–30%)
	srcLong   = []string{"Fatal error", "Parse error", "Recoverable fatal error", "Catchable fault", "Core warning"}
	srcExts   = []string{"php", "zen", "inc", "hack"}
	srcDirs   = []string{"/srv/app/src", "/var/www/html", "/opt/shop/lib", "/home/site/public_html/inc"}
	optLevels = [6]string{"VERBOSE", "DEBUG", "NOTICE", "WARNING", "ERROR", "ERROR"}
)

// extendWildHdrLabel adds kind k of wildHdrLabel to l; false when k is
// not one of them.
func extendWildHdrLabel(seed uint64, ci int, k string, l *wildLayout, rng *rand.Rand) bool {
	switch k {
	case "srclabel":
		wildSrcLabel(seed, ci, l, rng)
	case "optbracket":
		wildOptBracket(seed, ci, l, rng)
	default:
		return false
	}
	return true
}

// wildSrcLabel ends l's plain header with a source word and a level label
// of one to three words, and the messages with their location.
func wildSrcLabel(seed uint64, ci int, l *wildLayout, rng *rand.Rand) {
	src := wpick(rng, srcWords)
	pct := 2 + rng.IntN(2) // statements with a long label, of 10
	perm := rng.Perm(len(srcLong))[:1+rng.IntN(3)]
	var long []string
	for _, p := range perm {
		long = append(long, srcLong[p])
	}
	ext, dir := wpick(rng, srcExts), wpick(rng, srcDirs)
	gap := wpick(rng, []string{" ", "  "})
	var cols []wildCol
	for _, c := range l.cols {
		if c.kind != "level" {
			cols = append(cols, c)
		}
	}
	cols = plainHeaderCols(cols)
	if len(cols) == 2 && rng.IntN(2) == 0 {
		cols = cols[:1]
	}
	l.sep, l.quote, l.empty, l.pre, l.tags = " ", "", false, nil, nil
	label := wildCol{kind: "label", name: "srclabel", text: func(e *event, i int) (string, []string) {
		h := callHash(seed, "srclabel", e)
		s := srcLabels[levelIndex[synthLevel(e.Level)]]
		if h%10 < uint32(pct) {
			s = long[h/10%uint32(len(long))]
		}
		return src + " " + s + ":", nil
	}}
	l.cols = append(cols, label)
	l.end = gap
	l.msgPost = func(e *event, _ int) string {
		f := strings.TrimSuffix(e.File, ".go")
		if k := strings.LastIndexByte(f, '.'); k > 0 {
			f = f[:k]
		}
		if f == "" {
			f = "index"
		}
		return " in " + dir + "/" + f + "." + ext + " on line " + strconv.Itoa(e.Line)
	}
	l.tags = append(l.tags, fmt.Sprintf("hdr3-srclabel-%d", len(cols)))
}

// wildOptBracket writes a bracketed field that an optional bracketed id
// follows on some lines.
func wildOptBracket(seed uint64, ci int, l *wildLayout, rng *rand.Rand) {
	form := wpick(rng, []string{"level", "level", "thread", "pid"})
	glued := rng.IntN(3) != 0
	pct := 3 + rng.IntN(3) // lines with the id, of 10
	idForm := wpick(rng, []string{"call", "call", "req", "hex"})
	var tids []string
	r := lineRand(seed, ci, 1<<30)
	for k := 0; k < 3+rng.IntN(6); k++ {
		tids = append(tids, strconv.Itoa(1000+r.IntN(60000)))
	}
	ctxID := func(i int) string {
		r := lineRand(seed, ci+1, i)
		if r.IntN(10) >= pct {
			return ""
		}
		n := r.IntN(1 << 12)
		switch idForm {
		case "call":
			return fmt.Sprintf("C-%08x", n)
		case "req":
			return fmt.Sprintf("req-%04x", n)
		}
		return fmt.Sprintf("%012x", uint64(n)*2654435761)
	}
	opt := func(i int, t string, vs []string) (string, []string) {
		c := ctxID(i)
		if c == "" {
			return t, vs
		}
		sp := ""
		if !glued {
			sp = " "
		}
		return t + sp + "[" + c + "]", append(vs, c)
	}
	tag := "hdr3-optbracket-" + form
	if !glued {
		tag += "-spaced"
	}
	switch form {
	case "level":
		// `[time] LEVEL[tid][C-…]: file.c:NN func: message`
		var cols []wildCol
		for _, c := range l.cols {
			if c.kind == "time" && !strings.HasSuffix(c.name, "+sometimes") {
				cols = append(cols, c)
				break
			}
		}
		l.sep, l.quote, l.empty, l.pre, l.tags = " ", "", false, nil, nil
		l.cols = append(cols, wildCol{kind: "level", name: "optbracket-level", text: func(e *event, i int) (string, []string) {
			tid := tids[lineRand(seed, ci+2, i).IntN(len(tids))]
			t, vs := opt(i, optLevels[levelIndex[synthLevel(e.Level)]]+"["+tid+"]", []string{tid})
			return t + ":", vs
		}})
		l.end = " "
		l.msgPre = func(e *event, _ int) string {
			f := strings.TrimSuffix(e.File, ".go")
			if k := strings.LastIndexByte(f, '.'); k > 0 {
				f = f[:k]
			}
			fn := strings.ToLower(e.Comp)
			if fn == "" {
				fn = "main"
			}
			fn = strings.NewReplacer("-", "_", "/", "_", ".", "_").Replace(fn)
			return f + ".c:" + strconv.Itoa(e.Line) + " " + fn + "_" + strconv.Itoa(int(callHash(seed, "fn", e)%7)) + ": "
		}
	default:
		// the seed's layout, a bracketed thread or pid column with the
		// id after it
		var c wildCol
		if form == "thread" {
			c = wildCol{kind: "name", name: "optbracket-thread", text: func(e *event, i int) (string, []string) {
				th := wpick(lineRand(seed, ci+2, i), []string{"main", "worker-1", "worker-2", "io", "sched", "pool-3"})
				return opt(i, "["+th+"]", []string{th})
			}}
		} else {
			prog := wpick(rng, []string{"shelfd", "ledger", "relayd", "cronx"})
			c = wildCol{kind: "name", name: "optbracket-pid", text: func(e *event, i int) (string, []string) {
				tid := tids[lineRand(seed, ci+2, i).IntN(len(tids))]
				t, vs := opt(i, prog+"["+tid+"]", []string{tid})
				return t + ":", vs
			}}
			l.end = " "
		}
		if form == "pid" {
			l.cols = append(l.cols, c) // the program closes the header
		} else {
			l.insert(c, rng)
		}
	}
	l.tags = append(l.tags, tag)
}
