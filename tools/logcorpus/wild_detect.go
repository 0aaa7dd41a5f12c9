package main

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// Header kinds that make a format detector pick the wrong format (wild
// -hdr bracketlevel). They are not in -hdr all, which renders as before.
//
//   - bracketlevel: a header of the time, a level in brackets and a
//     component ended by a colon, then the message:
//     `Mar 10 13:55:00 [INFO] loader: started 3 workers`. Python's
//     logging with `%(asctime)s [%(levelname)s] %(name)s: %(message)s`
//     and a datefmt of its own (`%b %d %H:%M:%S`, no year), go-hclog
//     (`[INFO ]`, padded to five) and log4j's `[%-5p]` put the level in
//     brackets after the time. The time is
//     yearless as syslog writes it (with or without a fraction) or an RFC
//     3339 time; the level in one of the spellings loggers use (upper,
//     lower, title case, padded to a width as `[%(levelname)-5s]` does);
//     the component a logger name from a small pool per statement,
//     written on every line or by some statements only (a root logger
//     prints no name). The component is scored as a field; the level,
//     as wild's level column, is not.
var wildHdrDetect = []string{"bracketlevel"}

// wildHdrDetectKind reports whether k is one of wildHdrDetect.
func wildHdrDetectKind(k string) bool {
	for _, x := range wildHdrDetect {
		if x == k {
			return true
		}
	}
	return false
}

// extendWildDetect replaces l's header by kind's (bracketlevel).
func extendWildDetect(seed uint64, ci int, l *wildLayout, rng *rand.Rand) {
	wildBracketLevel(seed, ci, l, rng)
}

var detectComponents = []string{"loader", "cache", "app.server", "db.pool", "urllib3.connectionpool",
	"scheduler", "auth", "worker", "api.handlers", "storage", "sync", "root", "metrics", "mailer"}

// wildBracketLevel: time, [LEVEL], component:, message.
func wildBracketLevel(seed uint64, ci int, l *wildLayout, rng *rand.Rand) {
	timeForm := wpick(rng, []string{"syslog", "syslog", "syslog-frac", "rfc3339"})
	spell := wpick(rng, []string{"upper", "upper", "lower", "title", "pad"})
	perm := rng.Perm(len(detectComponents))[:3+rng.IntN(6)]
	var comps []string
	for _, p := range perm {
		comps = append(comps, detectComponents[p])
	}
	always := rng.IntN(3) != 0
	tm := wildCol{kind: "time", name: "time-" + timeForm, text: func(e *event, _ int) (string, []string) {
		t := e.T.UTC()
		switch timeForm {
		case "syslog":
			return t.Format("Jan _2 15:04:05"), nil
		case "syslog-frac":
			return t.Format("Jan 02 15:04:05.000"), nil
		}
		return t.Format("2006-01-02T15:04:05.000000Z07:00"), nil
	}}
	lvl := wildCol{kind: "level", name: "level-bracket-" + spell, text: func(e *event, _ int) (string, []string) {
		v := synthLevel(e.Level)
		switch spell {
		case "upper":
			v = strings.ToUpper(v)
		case "title":
			v = strings.ToUpper(v[:1]) + v[1:]
		case "pad":
			v = fmt.Sprintf("%-5s", strings.ToUpper(v))
		}
		return "[" + v + "]", nil
	}}
	comp := wildCol{kind: "name", name: "component-colon", text: func(e *event, _ int) (string, []string) {
		h := callHash(seed, "comp", e)
		if !always && h%3 == 0 {
			return "", nil
		}
		c := comps[h/3%uint32(len(comps))]
		return c + ":", []string{c}
	}}
	l.cols = []wildCol{tm, lvl, comp}
	l.sep, l.end, l.quote, l.empty, l.pre = " ", " ", "", false, nil
	tag := "hdr-bracketlevel-" + timeForm
	if !always {
		tag += "-sometimes"
	}
	l.tags = []string{tag}
}

// csvLead (wildcsv -hdr lead) writes the first column of a CSV layout as
// a time that reads as another format's header up to its first comma:
// PostgreSQL's csvlog writes log_time as "2006-01-02 15:04:05.000 UTC"
// (the date, a blank, the clock and the zone's name; its documented
// column list), others a numeric zone after a blank or a yearless
// syslog time. Each draw comes from a random stream of its own, so the
// layout's other columns are the seed's wildcsv layout.
func csvLead(seed uint64, l *csvLayout) {
	rng := rand.New(rand.NewPCG(seed, 0x1ead))
	form := wpick(rng, []string{"pg-utc", "pg-utc", "pg-zone", "num-zone", "syslog"})
	zone := wpick(rng, []string{"CET", "EST", "PDT", "JST"})
	l.before[0] = csvCol{rng.IntN(5) == 0, func(e *event, _ int) (string, string) {
		t := e.T.UTC()
		switch form {
		case "pg-utc":
			return t.Format("2006-01-02 15:04:05.000") + " UTC", ""
		case "pg-zone":
			return t.Format("2006-01-02 15:04:05") + " " + zone, ""
		case "num-zone":
			return t.Format("2006-01-02 15:04:05.000 -0700"), ""
		}
		return t.Format("Jan _2 15:04:05"), ""
	}}
	l.tags = append(l.tags, "lead-"+form)
}

// csvLeadName is how wildcsv -hdr is printed.
func csvLeadName(hdr string) string {
	if hdr == "" {
		return ""
	}
	return " hdr=" + hdr
}
