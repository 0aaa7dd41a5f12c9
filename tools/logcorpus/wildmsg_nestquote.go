package main

import (
	"math/rand/v2"
	"strings"
)

// nestquote (wild -msg nestquote, not part of all): a quoted value that
// itself holds quotes. A statement writes an error as a quoted key=value
// pair after its words (`sync failed cause="timeout" peer=4`); on a few of
// its lines (3-8%, a rate per statement) the error holds quotes of its
// own, as Go's `Get "url": dial tcp …` does, and the encoder escapes them
// once (`\"`, logfmt's rule: node's logfmt quotes strings with quotes in
// them, Elixir's Logger logfmt quoter escapes `"` and `\`), twice (a
// logfmt line nested inside another's value: `\\\"`), or not at all (a
// format string that wraps %s in quotes by hand). Encoders disagree and
// change their rules (Log::Fmt 3.012's change log; HAProxy's +E option
// escapes what it did not before). Other statements single-quote an
// error by hand (`got '%v' from parser`) whose text holds a single quote
// on a few lines (`bad char 'y' in input`). One event per statement; the
// value is a parameter.

var (
	nqKeys     = []string{"cause", "error", "err", "reason"}
	nqPlain    = []string{"timeout", "connection refused", "deadline exceeded", "permission denied", "EOF", "no such host", "broken pipe"}
	nqSingle   = []string{"got '%s' from parser", "rejected input: '%s'", "parse step failed with '%s' (line skipped)"}
	nqSingleIn = []string{"bad char 'y' in input", "unexpected token 'EOF'", "can't read header", "field 'id' is required"}
)

// nestquote rewrites e's message when statement key writes a quoted
// error, line i's drawn from its own stream.
func (m *wildMsg) nestquote(e *event, key string, i int) {
	r := m.stmtRand(key, 6)
	if len(e.KVs) > 0 || r.IntN(3) != 0 { // a statement in three
		return
	}
	rate := 3 + r.IntN(6) // of 100 lines, the nested form
	single := r.IntN(4) == 0
	k := wpick(r, nqKeys)
	tmpl := wpick(r, nqSingle)
	esc := r.IntN(3) // once, twice, not at all
	line := rand.New(rand.NewPCG(m.seed*7919+uint64(i), 0x9e57))
	nested := line.IntN(100) < rate
	msg := strings.Join(strings.Fields(e.Msg), " ")
	if single {
		v := wpick(line, nqPlain)
		if nested {
			v = wpick(line, nqSingleIn)
		}
		e.Msg = msg + ": " + strings.Replace(tmpl, "%s", v, 1)
		return
	}
	v := wpick(line, nqPlain)
	if nested {
		v := &vals{rng: line, names: map[string][]string{}}
		inner := `Get "` + v.url() + `": dial tcp ` + v.ip() + ":" + v.port() + ": " + wpick(line, []string{"i/o timeout", "connection refused"})
		switch esc {
		case 0:
			inner = strings.ReplaceAll(inner, `"`, `\"`)
		case 1:
			inner = strings.ReplaceAll(inner, `"`, `\\\"`)
		}
		e.Msg = msg + " " + k + `="` + inner + `"`
		return
	}
	e.Msg = msg + " " + k + `="` + v + `"`
}
