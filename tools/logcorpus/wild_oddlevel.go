package main

import (
	"math/rand/v2"
	"strings"
)

// oddlevel (wild -hdr oddlevel, not part of all): a bracketed level
// column whose words are not all the common five. Loggers name levels
// beyond DEBUG/INFO/WARN/ERROR: java.util.logging's SEVERE, CONFIG, FINE,
// FINER, FINEST (and "third parties may define additional levels"),
// syslog's NOTICE, ALERT, CRIT and EMERG (RFC 5424, 6.2.1), and programs
// add their own (DIAG, AUDIT, TRACE2). The layout's level column is
// replaced by (or, without one, given) a bracketed column whose six
// levels are spelled from such a vocabulary, two of them words no level
// list holds; one statement in four is logged at a level chosen at run
// time, so an event is written under a known and an unknown word: still
// one event. The word is a field of the line.

var (
	// oddLevelWords are the spellings per level, trace … fatal
	oddLevelWords = [6][]string{
		{"TRACE", "FINEST", "TRACE2", "VERBOSE"},
		{"DEBUG", "FINE", "DIAG", "DETAIL"},
		{"INFO", "NOTICE", "AUDIT", "CONFIG"},
		{"WARN", "WARNING", "ALERT", "CAUTION"},
		{"ERROR", "SEVERE", "CRIT", "FAULT"},
		{"FATAL", "EMERG", "CRITICAL", "PANIC"},
	}
	// oddUnknown are words of oddLevelWords that no level list holds
	oddUnknown = map[string]bool{"TRACE2": true, "DIAG": true, "DETAIL": true, "AUDIT": true, "CAUTION": true, "FAULT": true}
)

// wildOddLevel puts a bracketed level column of odd words into l.
func wildOddLevel(seed uint64, ci int, l *wildLayout, rng *rand.Rand) {
	var words [6]string
	unknown := 0
	for k := range words {
		words[k] = wpick(rng, oddLevelWords[k])
		if oddUnknown[words[k]] {
			unknown++
		}
	}
	for unknown < 2 { // two unknown words at least, on levels lines use
		k := 1 + rng.IntN(4)
		if !oddUnknown[words[k]] {
			for _, w := range oddLevelWords[k] {
				if oddUnknown[w] {
					words[k] = w
					unknown++
					break
				}
			}
		}
	}
	br := wpick(rng, [][2]string{{"[", "]"}, {"[", "]"}, {"<", ">"}})
	pad := rng.IntN(2) == 0
	c := wildCol{kind: "level", name: "level-odd", text: func(e *event, i int) (string, []string) {
		w := words[levelIndex[colonLevel(seed, ci, e, i)]]
		if pad {
			w += strings.Repeat(" ", max(0, 7-len(w)))
		}
		return br[0] + w + br[1], []string{strings.TrimSpace(w)}
	}}
	for k := range l.cols {
		if l.cols[k].kind == "level" {
			l.cols[k] = c
			l.tags = append(l.tags, "hdr3-level-odd")
			return
		}
	}
	l.insert(c, rng)
	l.tags = append(l.tags, "hdr3-level-odd")
}
