package main

import (
	"math/rand/v2"
	"strconv"
	"strings"
)

// nestfmt (wild -msg nestfmt, not part of all): a logfmt line nested in
// another's value. A statement writes its message and a quoted cause as
// logfmt pairs after the header (`msg="sync failed. cause=\"timeout\"
// peer=4" shard=2`, as a program does that formats its own text with a
// logfmt encoder and logs it through another); on a few of its lines
// (3-8%, a rate per statement) the cause quotes a URL of its own (Go's
// `Get "url": dial tcp …`). The outer encoder escapes the inner text
// by one of three rules, a statement keeping its rule: '"' and '\' both
// (go-logfmt, Elixir's Logger logfmt quoter: `\"Get \\\"url\\\": …\"`),
// '"' only (a hand-made quoter: `\"Get \\"url\\": …\"`, an escaped
// backslash and then a bare quote to a strict reader), or nothing (a
// format string that wraps %s in quotes: `cause="Get \"url\": …"` bare
// inside the outer quotes). Encoders disagree and change their rules
// (Log::Fmt 3.012's change log; HAProxy's +E option). One event per
// statement; the cause, the peer and the shard are parameters.

var nfRules = []string{"both", "quote", "none"}

// nestfmt rewrites e's message when statement key writes nested logfmt,
// line i's values drawn from its own stream.
func (m *wildMsg) nestfmt(e *event, key string, i int) {
	r := m.stmtRand(key, 7)
	if len(e.KVs) > 0 || r.IntN(3) != 0 { // a statement in three
		return
	}
	rate := 3 + r.IntN(6) // of 100 lines, the nested form
	k := wpick(r, nqKeys)
	rule := wpick(r, nfRules)
	line := rand.New(rand.NewPCG(m.seed*7919+uint64(i), 0x9e5f))
	v := &vals{rng: line, names: map[string][]string{}}
	cause := wpick(line, nqPlain)
	if line.IntN(100) < rate {
		cause = `Get "` + v.url() + `": dial tcp ` + v.ip() + ":" + v.port() + ": " + wpick(line, []string{"i/o timeout", "connection refused"})
	}
	// the inner line, written by a logfmt encoder
	inner := strings.TrimRight(strings.Join(strings.Fields(e.Msg), " "), " .") + ". " + k + `="` + strings.ReplaceAll(cause, `"`, `\"`) + `" peer=` + strconv.Itoa(line.IntN(12))
	switch rule {
	case "both":
		inner = strings.ReplaceAll(strings.ReplaceAll(inner, `\`, `\\`), `"`, `\"`)
	case "quote":
		inner = strings.ReplaceAll(inner, `"`, `\"`)
	}
	e.Msg = `msg="` + inner + `" shard=` + strconv.Itoa(line.IntN(8))
}
