package main

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
)

// ctxblock (wild -msg ctxblock, not part of all): a statement's extra
// fields written after its message as one block that closes the line,
// with values that hold blanks, commas, colons and quotes. Two spellings,
// one per layout:
//
//   - parens: `(key=value, key=value)` with raw values ("failed to seal
//     segment (seg=91, error=write /srv/a.seg: no space left on device)"),
//     as console formatters that print a record's properties after the
//     message do (Serilog's output templates with {Properties} after
//     {Message}; Python handlers formatting a record's extra dict);
//   - json: a JSON object of the fields, JSON-escaped (`\"`, `\u003e`),
//     followed by a second block of extra data: `[]` when empty, else an
//     object (Monolog's LineFormatter, "%message% %context% %extra%", which
//     writes an empty context or extra as `[]`; zap's console encoder
//     writes the fields as one JSON object after the message).
//
// A statement (a code path) writing a block has 1-3 keys in a fixed order,
// one of them often an error whose text is drawn per line from the
// statement's pool of error shapes (errtail's, one word on some lines:
// "EOF"). The values are parameters of one event: the ground truth is the
// statement; the block's values are the line's fields.

var (
	cbKeys    = []string{"seg", "tenant", "peer", "path", "attempt", "reason", "op", "user", "shard", "took"}
	cbReasons = []string{"quota reached", "lease lost", "not leader", "stale read, retrying", "rate limited: 429", "draining"}
	cbExtra   = []string{"req", "trace", "span", "host"}
)

// ctxblock renders statement key's block for line i, or "" when the
// statement writes none; it returns the text to write after the message
// and the values it holds.
func (m *wildMsg) ctxblock(e *event, key string, i int) (string, []string) {
	lay := rand.New(rand.NewPCG(m.seed, 0xcb10))
	style := wpick(lay, []string{"parens", "json"})
	extraRate := lay.IntN(3) // json: 0 always `[]`, else an extra object on 1 line in extraRate+1
	r := m.stmtRand(key, 7)
	if r.IntN(10) >= 6 { // six statements in ten
		return "", nil
	}
	n := 1 + r.IntN(3)
	perm := r.Perm(len(cbKeys))[:n]
	var keys []string
	for _, p := range perm {
		keys = append(keys, cbKeys[p])
	}
	if r.IntN(3) > 0 { // an error among them, at a place of its own
		at := r.IntN(len(keys) + 1)
		keys = append(keys[:at], append([]string{"error"}, keys[at:]...)...)
	}
	shapes := r.Perm(90)[:3+r.IntN(6)]
	oneWord := r.IntN(2) == 0 // a pool that holds a one-word error
	line := rand.New(rand.NewPCG(m.seed*7919+uint64(i), 0xcb11))
	v := &vals{rng: line, names: map[string][]string{}}
	var out []string
	var b strings.Builder
	if style == "parens" {
		b.WriteString(" (")
	} else {
		b.WriteString(" {")
	}
	for k, name := range keys {
		var val any
		switch name {
		case "error":
			if oneWord && line.IntN(10) == 0 {
				val = errOneWord[line.IntN(len(errOneWord))]
			} else {
				val = errShape(shapes[line.IntN(len(shapes))], v)
			}
		case "seg", "attempt", "shard":
			val = line.IntN(2000)
		case "tenant", "user":
			val = wpick(line, []string{"acme", "globex", "initech", "umbrella", "hooli"})
		case "peer":
			val = v.ip() + ":" + v.port()
		case "path":
			val = v.path()
		case "reason":
			val = wpick(line, cbReasons)
		case "op":
			val = wpick(line, errOps)
		default:
			val = fmt.Sprintf("%dms", line.IntN(5000))
		}
		s := fmt.Sprint(val)
		out = append(out, s)
		if k > 0 && style == "parens" {
			b.WriteString(", ")
		} else if k > 0 {
			b.WriteString(",") // compact JSON
		}
		if style == "parens" {
			b.WriteString(name + "=" + s)
			continue
		}
		vb, _ := json.Marshal(val) // escapes '"' and HTML's '<', '>', '&' (\u003e)
		b.WriteString(`"` + name + `":` + string(vb))
	}
	if style == "parens" {
		b.WriteString(")")
		return b.String(), out
	}
	b.WriteString("}")
	if extraRate == 0 || line.IntN(extraRate+1) > 0 {
		b.WriteString(" []")
		return b.String(), out
	}
	x := cbExtra[line.IntN(len(cbExtra))]
	xv := randString(line, hexAlpha, 8)
	b.WriteString(` {"` + x + `":"` + xv + `"}`)
	return b.String(), append(out, xv)
}
