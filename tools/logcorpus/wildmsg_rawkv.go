package main

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
)

// rawkv (wild -msg rawkv, not part of all): a statement's fields written
// after its message as bare ` key=value` pairs whose string values are
// printed raw, without quotes, so a value runs on until the next ` key=`
// or the end of the line whatever blanks, colons and slashes it holds:
//
//	could not seal segment         error=write /srv/a.seg: no space left on device seg=12
//
// structlog's ConsoleRenderer (its default development renderer) writes
// the event padded to 30 columns, then the context's keys sorted, with
// string values unquoted (repr_native_str False); logrus' TextFormatter
// with DisableQuote writes every value raw. A statement (a code path)
// writes 1-3 pairs with the same keys on every line, one of them an error
// whose text is drawn per line from the statement's pool of error shapes
// (errtail's: 1-12 words, with ':'), one word on about one line in ten.
// The values are parameters of one event: the ground truth is the
// statement; the pairs' values are the line's fields.

var rkKeys = []string{"seg", "tenant", "peer", "path", "attempt", "reason", "op", "shard", "took", "worker"}

// rawkv returns the text statement key writes after its message on line
// i (padding and pairs), "" when it writes none, and the values it holds.
// prev is the text other kinds already put after the message.
func (m *wildMsg) rawkv(e *event, key string, i int, prev string) (string, []string) {
	lay := rand.New(rand.NewPCG(m.seed, 0x4a3b))
	width := []int{30, 50, 60, 70}[lay.IntN(4)] // the padded event column (structlog: 30)
	r := m.stmtRand(key, 9)
	if len(e.KVs) > 0 || r.IntN(10) >= 6 { // six statements in ten, not those with pairs of their own
		return "", nil
	}
	n := r.IntN(3)
	perm := r.Perm(len(rkKeys))[:n]
	keys := []string{"error"}
	for _, p := range perm {
		keys = append(keys, rkKeys[p])
	}
	sort.Strings(keys)
	shapes := r.Perm(90)[:3+r.IntN(6)]
	line := rand.New(rand.NewPCG(m.seed*7919+uint64(i), 0x4a3c))
	v := &vals{rng: line, names: map[string][]string{}}
	var b strings.Builder
	pad := width - len(synthMessage(e)) - len(prev)
	b.WriteString(strings.Repeat(" ", max(pad, 0)+1))
	var out []string
	for k, name := range keys {
		var s string
		switch name {
		case "error":
			if line.IntN(10) == 0 {
				s = errOneWord[line.IntN(len(errOneWord))]
			} else {
				s = errShape(shapes[line.IntN(len(shapes))], v)
			}
		case "seg", "attempt", "shard", "worker":
			s = fmt.Sprint(line.IntN(2000))
		case "tenant":
			s = wpick(line, []string{"acme", "globex", "initech", "umbrella", "hooli"})
		case "peer":
			s = v.ip() + ":" + v.port()
		case "path":
			s = v.path()
		case "reason":
			s = wpick(line, cbReasons)
		case "op":
			s = wpick(line, errOps)
		default:
			s = fmt.Sprintf("%.3fs", line.Float64()*9)
		}
		if k > 0 {
			b.WriteString(" ")
		}
		b.WriteString(name + "=" + s)
		out = append(out, s)
	}
	return b.String(), out
}
