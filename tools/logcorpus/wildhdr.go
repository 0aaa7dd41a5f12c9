package main

import (
	"fmt"
	"math/rand/v2"
	"path"
	"strconv"
	"strings"
)

// The second round of wild's header phenomena: things that vary per line
// in a header, common in real software, that the first round's kinds do
// not compose. On about half the layouts, one of them is added from a
// random stream of its own (extendWild), so a layout it leaves alone
// renders as its seed composed it before:
//
//   - comma-separated headers: columns joined by ", " or "," (CSV-ish,
//     quoted or not), an absent column kept as an empty field, and a time
//     whose fraction follows a comma before the comma that closes it
//     ("2024-01-02 03:04:05,123, INFO, worker-3, msg");
//   - runs of "key: value" pairs with a blank after the colon ("pid: 123
//     tid: 7 msg") and groups of pairs in one bracket ("[pid=123 tid=7]",
//     "{user:acme, shard:3}");
//   - an optional first column: a sequence number or a host before the
//     time on some lines only;
//   - leading id columns that vary per line: one or two record ids,
//     sequence numbers or request ids in the first positions;
//   - a source location per statement ("server.go:142", "(conn.go:88)"),
//     as glog's and klog's "file:line]" and zap's caller write it;
//   - a syslog priority "<134>" (RFC 5424 §6.2.1, RFC 3164 §4.1.1: the
//     facility times 8 plus the severity, so it varies with the level),
//     glued to the column after it as on the wire or apart, with RFC
//     5424's version "1" after it on some layouts;
//   - milliseconds since the program started, a number whose width grows
//     (log4j 1.2's TTCCLayout and PatternLayout's %r: "176 [main] INFO
//     org.foo.Sort - …").
//
// Every value that varies is scored as a field, as the first round's.

// extendWild adds one header phenomenon of the second round to l, on about
// half the seeds.
func extendWild(seed uint64, l *wildLayout) {
	rng := rand.New(rand.NewPCG(seed, 0x4ead2))
	if rng.IntN(2) != 0 {
		return
	}
	const ci = 60 // column numbers of the second round: no first-round column's
	switch rng.IntN(8) {
	case 0:
		wildCSV(l, rng)
	case 1:
		c := wildPairRun(seed, ci, rng)
		l.insert(c, rng)
		l.tags = append(l.tags, "hdr-pairs-run")
	case 2:
		c := wildPairGroup(seed, ci, rng)
		l.insert(c, rng)
		l.tags = append(l.tags, "hdr-pairs-group")
	case 3:
		c := wildLeadID(seed, ci, rng, 1)
		if rng.IntN(2) == 0 {
			c = wildHost(seed, ci, rng)
		}
		c = sometimes(seed, ci, c, rng)
		l.cols = append([]wildCol{c}, l.cols...)
		l.tags = append(l.tags, "hdr-first-optional")
	case 4:
		n := 1 + rng.IntN(2)
		var lead []wildCol
		for k := 0; k < n; k++ {
			every := 1
			if k == 1 {
				every = wpick(rng, []int{1, 3, 5})
			}
			lead = append(lead, wildLeadID(seed, ci+k, rng, every))
		}
		l.cols = append(lead, l.cols...)
		l.tags = append(l.tags, fmt.Sprintf("hdr-lead-ids%d", n))
	case 5:
		l.insert(wildSource(rng), rng)
		l.tags = append(l.tags, "hdr-source")
	case 6:
		wildPRI(l, rng)
	default:
		br := wpick(rng, [][2]string{{"", ""}, {"", ""}, {"[", "]"}, {"(", ")"}})
		l.cols = append([]wildCol{{kind: "id", name: "id-elapsed-ms", text: func(e *event, _ int) (string, []string) {
			v := strconv.FormatInt(e.T.Sub(e.Start).Milliseconds(), 10)
			return br[0] + v + br[1], []string{v}
		}}}, l.cols...)
		l.tags = append(l.tags, "hdr-elapsed-ms")
	}
}

// insert puts c among l's columns after the first.
func (l *wildLayout) insert(c wildCol, rng *rand.Rand) {
	k := 1 + rng.IntN(len(l.cols))
	l.cols = append(l.cols[:k], append([]wildCol{c}, l.cols[k:]...)...)
}

// wildCSV joins l's columns by commas: ", " or "," between them and after
// the last, each column quoted on some layouts, an absent column kept as
// an empty field, and a time spelled with a comma before its fraction on
// some layouts.
func wildCSV(l *wildLayout, rng *rand.Rand) {
	l.sep = wpick(rng, []string{", ", ", ", ","})
	l.end = l.sep
	l.empty = true
	tag := "hdr-csv"
	if l.sep == "," {
		tag += "-tight"
	}
	if rng.IntN(3) == 0 {
		l.quote = `"`
		tag += "-quoted"
	}
	if rng.IntN(2) == 0 {
		for k, c := range l.cols {
			if c.kind == "time" {
				l.cols[k] = wildCol{kind: "time", name: "time-comma-frac", text: func(e *event, _ int) (string, []string) {
					return e.T.UTC().Format("2006-01-02 15:04:05,000"), nil
				}}
			}
		}
	}
	if len(l.cols) < 3 && rng.IntN(2) == 0 {
		// CSV logs are wide: a level when there is none, or a name
		l.insert(wildLevel(l.seed, rng), rng)
	}
	l.tags = append(l.tags, tag)
}

// wildPairRun: two or three pairs in a row with a blank after the colon
// ("pid: 123 tid: 7") or none ("pid=123 tid=7"), their values varying per
// line or drawn from a small pool.
func wildPairRun(seed uint64, c int, rng *rand.Rand) wildCol {
	keys := rng.Perm(6)[:2+rng.IntN(2)]
	names := []string{"pid", "tid", "conn", "seq", "user", "shard"}
	op := wpick(rng, []string{": ", ": ", "=", ":"})
	return wildCol{kind: "pair", name: "pairs-run-op" + strings.TrimSpace(op), text: func(e *event, i int) (string, []string) {
		var b strings.Builder
		var vals []string
		for j, k := range keys {
			v := pairValue(lineRand(seed, c+j, i), names[k], e)
			if j > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(names[k] + op + v)
			vals = append(vals, v)
		}
		return b.String(), vals
	}}
}

// wildPairGroup: two or three pairs in one bracket, "[pid=123 tid=7]",
// "{user:acme, shard:3}", "(conn=12; seq=88)".
func wildPairGroup(seed uint64, c int, rng *rand.Rand) wildCol {
	keys := rng.Perm(6)[:2+rng.IntN(2)]
	names := []string{"pid", "tid", "conn", "seq", "user", "shard"}
	op := wpick(rng, []string{"=", ":", "=", ": "})
	join := wpick(rng, []string{" ", ", ", "; ", ","})
	br := wpick(rng, [][2]string{{"[", "]"}, {"{", "}"}, {"(", ")"}, {"<", ">"}})
	return wildCol{kind: "pair", name: "pairs-group" + br[0], text: func(e *event, i int) (string, []string) {
		var b strings.Builder
		var vals []string
		b.WriteString(br[0])
		for j, k := range keys {
			v := pairValue(lineRand(seed, c+j, i), names[k], e)
			if j > 0 {
				b.WriteString(join)
			}
			b.WriteString(names[k] + op + v)
			vals = append(vals, v)
		}
		b.WriteString(br[1])
		return b.String(), vals
	}}
}

// pairValue is a value for key: a pid of the stream, a thread, connection
// or sequence number, a user or a shard.
func pairValue(r *rand.Rand, key string, e *event) string {
	switch key {
	case "pid":
		return strconv.Itoa(e.PID)
	case "user":
		return wpick(r, []string{"alice", "bob", "svc-api", "root", "deploy"})
	case "shard":
		return strconv.Itoa(r.IntN(16))
	case "seq":
		return strconv.Itoa(1000 + r.IntN(900000))
	}
	return strconv.Itoa(1 + r.IntN(300))
}

// wildLeadID: an id in a line's first positions, new every line (a
// record id or sequence number) or every few lines (a request's id).
func wildLeadID(seed uint64, c int, rng *rand.Rand, every int) wildCol {
	spell := wpick(rng, []string{"counter", "seq0", "hex", "uuid", "prefixed", "hash"})
	start := rng.IntN(1000000)
	width := 6 + rng.IntN(5)
	pre := wpick(rng, []string{"req-", "#", "rid:", "r"})
	br := wpick(rng, [][2]string{{"", ""}, {"", ""}, {"[", "]"}, {"(", ")"}, {"<", ">"}})
	name := "id-lead-" + spell
	if every > 1 {
		name += "-req"
	}
	return wildCol{kind: "id", name: name, text: func(e *event, i int) (string, []string) {
		k := i / every
		r := lineRand(seed, c, k)
		var v string
		switch spell {
		case "counter":
			v = strconv.Itoa(start + k)
		case "seq0":
			v = fmt.Sprintf("%0*d", width, start%10000+k)
		case "hex":
			v = randString(r, hexAlpha, 8+width)
		case "uuid":
			h := randString(r, hexAlpha, 32)
			v = h[:8] + "-" + h[8:12] + "-4" + h[13:16] + "-8" + h[17:20] + "-" + h[20:]
		case "prefixed":
			v = pre + randString(r, b62Alpha, width)
		default: // a short commit-like hash
			v = randString(r, hexAlpha, 7)
		}
		return br[0] + v + br[1], []string{v}
	}}
}

// wildSource: the call site's file and line, the same for every line of a
// statement ("server.go:142", "[server.go:142]", "(pkg/server.go:142)",
// "server.go:142]" as glog closes its header).
func wildSource(rng *rand.Rand) wildCol {
	spell := wpick(rng, []string{"bare", "bracket", "paren", "dir", "glog"})
	return wildCol{kind: "src", name: "src-" + spell, text: func(e *event, _ int) (string, []string) {
		f := e.File
		if f == "" {
			f = "main.go"
		}
		v := f + ":" + strconv.Itoa(e.Line)
		switch spell {
		case "bracket":
			return "[" + v + "]", []string{v}
		case "paren":
			return "(" + v + ")", []string{v}
		case "dir":
			v = path.Join(e.Comp, f) + ":" + strconv.Itoa(e.Line)
			return v, []string{v}
		case "glog":
			return v + "]", []string{v}
		}
		return v, []string{v}
	}}
}

// wildPRI writes a syslog priority before the header: the facility (one
// per stream, or two a stream's programs share) times 8 plus the level's
// severity, glued to the first column or apart, RFC 5424's version after
// it on some layouts.
func wildPRI(l *wildLayout, rng *rand.Rand) {
	facs := []int{wpick(rng, []int{1, 3, 4, 10, 16, 23})}
	if rng.IntN(3) == 0 {
		facs = append(facs, wpick(rng, []int{0, 2, 17, 20}))
	}
	glued := rng.IntN(2) == 0
	ver := rng.IntN(3) == 0
	sev := map[string]int{"trace": 7, "debug": 7, "info": 6, "warn": 4, "error": 3, "fatal": 2}
	tag := "hdr-pri"
	if glued {
		tag += "-glued"
	}
	if ver {
		tag += "-v1"
	}
	l.tags = append(l.tags, tag)
	l.pre = func(e *event, i int) (string, []string) {
		f := facs[0]
		if len(facs) > 1 && fnv32(fmt.Sprint(e.File, e.Line))%2 == 1 {
			f = facs[1]
		}
		v := strconv.Itoa(f*8 + sev[synthLevel(e.Level)])
		s := "<" + v + ">"
		if ver {
			s += "1"
			if glued {
				s += " "
			}
		}
		if !glued {
			s += " "
		}
		return s, []string{v}
	}
}
