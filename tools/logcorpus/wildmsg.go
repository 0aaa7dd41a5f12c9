package main

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
)

// Message-side phenomena for wild layouts (wild -msg KIND). wild draws
// what varies in a header; these draw what real programs write into the
// message itself, after a header that has already ended, and that a rule
// tuned on one format's messages does not cover. Each kind is modelled on
// the documented output of several loggers (cited below), written in
// spellings of its own, and applied to a layout's messages per statement
// (a code path), so the ground truth stays one event per statement:
//
//   - prefix: a level or severity word opening the message (`ERROR: …`,
//     `WARNING …`, `[warn] …`). Squid's cache.log tags messages `ERROR:`,
//     `WARNING:` or `FATAL:` after its header, and its documentation says
//     some older level-1 warnings carry no tag; Go's log package has no
//     levels, so programs put the word in the format or in a logger's
//     prefix moved before the message (log.Lmsgprefix); PostgreSQL writes
//     the severity (`LOG:`, `ERROR:`) after its log_line_prefix. A
//     statement written always with its word is one event; a statement
//     reached through a wrapper whose level is decided at run time (a
//     retry helper that logs at warning after the third attempt) writes
//     the word on some lines only and its level varies with it: still one
//     event.
//   - context: structured context after the message whose keys are fixed
//     per statement and whose values vary per line: a JSON object (zap's
//     console encoder writes the fields as JSON after the message, a tab
//     between; logform's simple format, winston's default console format,
//     `${level}: ${message} ${JSON.stringify(rest)}`), `key=value` pairs
//     (logrus' text formatter), a `{k: v}` map (Node's util.inspect, as
//     console.log writes an object) or Go's `map[k:v]` (fmt's %v of a
//     map). The values are parameters of one event, and fields.
//   - column: a logger-name column (Python logging's %(name)s, log4j's %c)
//     whose value differs between lines of one statement (a helper called
//     with the logger of its caller), and a level whose value does (a
//     statement logged at a level chosen at run time). One event.
//   - fold: statements that share a long prefix and differ in a word at
//     their end (`sync of %s done` / `sync of %s failed`): separate events
//     that a miner folding positions by similarity merges into one
//     template; they must stay apart.
//
// The header layout is the seed's wild layout, unchanged (a logger-name
// column is added for column); the phenomena are drawn from a stream of
// their own, so the same seed with and without -msg composes the same
// header.

var wildMsgKinds = []string{"prefix", "context", "column", "fold"}

// wildMsgOpts parses -msg: "" (none), a kind, a comma-separated list, or
// all.
func wildMsgOpts(s string) (map[string]bool, error) {
	m := map[string]bool{}
	if s == "" {
		return m, nil
	}
	for _, k := range strings.Split(s, ",") {
		if k == "all" {
			for _, x := range wildMsgKinds {
				m[x] = true
			}
			continue
		}
		ok := false
		for _, x := range append(wildMsgKinds[:len(wildMsgKinds):len(wildMsgKinds)], wildMsgExtra...) {
			ok = ok || x == k
		}
		if !ok {
			return nil, fmt.Errorf("wild: -msg %q: want %s, %s or all", k, strings.Join(wildMsgKinds, ", "), strings.Join(wildMsgExtra, ", "))
		}
		m[k] = true
	}
	return m, nil
}

// wildMsg is a layout's message-side choices.
type wildMsg struct {
	seed  uint64
	kinds map[string]bool
	// prefix
	prefixSpell int
	warnWord    string
	// context
	ctxStyle string
	ctxSep   string
	// column
	loggers []string
	// fold
	foldSep string
	// comp (wildmsg_prefix.go)
	comp *compMsg
	// subcomp (wildmsg_merge.go)
	subcomp *subcompMsg
}

var (
	prefixSpells = []func(w string) string{
		func(w string) string { return strings.ToUpper(w) + ": " },
		func(w string) string { return strings.ToUpper(w) + ":  " },
		func(w string) string { return strings.ToUpper(w) + " " },
		func(w string) string { return "[" + w + "] " },
		func(w string) string { return strings.ToUpper(w[:1]) + w[1:] + ": " },
		func(w string) string { return w + ": " },
		func(w string) string { return "*" + strings.ToUpper(w) + "* " },
	}
	ctxStyles   = []string{"json", "json-spaced", "kv", "inspect", "gomap"}
	ctxKeys     = []string{"user", "request_id", "duration", "attempt", "bytes", "path", "status", "peer", "shard", "tenant", "error", "queue"}
	foldPhrases = []string{"done", "failed", "skipped", "retrying", "aborted", "queued", "ignored", "deferred", "rejected", "accepted", "expired", "cancelled"}
	loggerNames = []string{"raft", "store.wal", "http/server", "com.acme.Gateway", "scheduler", "grpc", "auth", "cache", "db.pool", "api.v1", "sync", "net"}
)

func newWildMsg(seed uint64, kinds map[string]bool) *wildMsg {
	rng := rand.New(rand.NewPCG(seed, 0x7a11))
	m := &wildMsg{seed: seed, kinds: kinds}
	m.prefixSpell = rng.IntN(len(prefixSpells))
	m.warnWord = wpick(rng, []string{"warning", "warn"})
	m.ctxStyle = wpick(rng, ctxStyles)
	m.ctxSep = wpick(rng, []string{" ", " ", "\t", " | "})
	if m.ctxStyle == "json-spaced" {
		m.ctxSep = "\t" // zap's console encoder
	}
	perm := rng.Perm(len(loggerNames))[:3+rng.IntN(4)]
	for _, p := range perm {
		m.loggers = append(m.loggers, loggerNames[p])
	}
	m.foldSep = wpick(rng, []string{" ", ": ", " - ", ", "})
	return m
}

// stmtRand is the random stream of statement key in m's layout for
// purpose p: what a code path does, the same on every line of it.
func (m *wildMsg) stmtRand(key string, p uint64) *rand.Rand {
	return rand.New(rand.NewPCG(m.seed^uint64(fnv32(key)), p))
}

// levelWord is the word a program writes for level l.
func (m *wildMsg) levelWord(l string) string {
	switch l {
	case "warn":
		return m.warnWord
	case "fatal":
		return "fatal"
	case "error", "debug", "trace":
		return l
	}
	return "notice"
}

// ctxValue is a value of context key k on one line.
func ctxValue(r *rand.Rand, k string) any {
	switch k {
	case "user", "tenant":
		return wpick(r, []string{"alice", "bob", "carol", "dave", "erin", "acme", "globex", "initech"})
	case "request_id":
		return randString(r, hexAlpha, 16)
	case "duration":
		return fmt.Sprintf("%.1fms", r.Float64()*900)
	case "attempt", "shard":
		return 1 + r.IntN(12)
	case "bytes":
		return r.IntN(1 << 20)
	case "path":
		return fmt.Sprintf("/api/v1/%s/%d", wpick(r, []string{"orders", "users", "items"}), r.IntN(100000))
	case "status":
		return wpick(r, []int{200, 201, 204, 400, 404, 409, 500, 503})
	case "peer":
		return fmt.Sprintf("10.%d.%d.%d:%d", r.IntN(256), r.IntN(256), r.IntN(256), 1024+r.IntN(60000))
	case "error":
		return wpick(r, []string{"EOF", "context deadline exceeded", "connection reset by peer", "i/o timeout", "no such host"})
	}
	return wpick(r, []string{"default", "high", "low", "batch"})
}

// context renders keys with line values in m's style, and the values.
func (m *wildMsg) context(r *rand.Rand, keys []string) (string, []string) {
	var vals []string
	var b strings.Builder
	open, close, kv, sep := "{", "}", "", ","
	switch m.ctxStyle {
	case "json-spaced":
		sep = ", "
	case "kv":
		open, close, sep = "", "", " "
	case "inspect":
		open, close, sep = "{ ", " }", ", "
	case "gomap":
		open, close, sep = "map[", "]", " "
	}
	b.WriteString(open)
	for i, k := range keys {
		v := ctxValue(r, k)
		s := fmt.Sprint(v)
		vals = append(vals, s)
		if i > 0 {
			b.WriteString(sep)
		}
		switch m.ctxStyle {
		case "json", "json-spaced":
			kb, _ := json.Marshal(k)
			vb, _ := json.Marshal(v)
			kv = ":"
			if m.ctxStyle == "json-spaced" {
				kv = ": "
			}
			b.WriteString(string(kb) + kv + string(vb))
		case "kv":
			b.WriteString(k + "=" + quoteIfNeeded(s))
		case "inspect":
			if _, ok := v.(string); ok {
				s = "'" + s + "'"
			}
			b.WriteString(k + ": " + s)
		default:
			b.WriteString(k + ":" + s)
		}
	}
	b.WriteString(close)
	return b.String(), vals
}

// apply rewrites line i's event e (of ground truth *key) in place and
// returns the text written after the message, the values that vary (the
// context's and the logger column's), and the logger column's text ("" if
// none).
func (m *wildMsg) apply(e *event, key *string, i int) (after string, vals []string, logger string) {
	line := rand.New(rand.NewPCG(m.seed*7919+uint64(i), 0x11e))
	if m.kinds["sibling"] {
		m.sibling(e, key, i) // wildmsg_sibling.go
	}
	if m.kinds["fold"] {
		r := m.stmtRand(*key, 4)
		if r.IntN(4) == 0 { // one statement in four has siblings sharing its text
			n := 2 + r.IntN(2)
			perm := r.Perm(len(foldPhrases))[:n]
			v := 0
			if x := line.IntN(10); x >= 5 {
				v = 1 + (x-5)%(n-1) // the first sibling is the most frequent
			}
			w := foldPhrases[perm[v]]
			e.Msg = strings.TrimRight(e.Msg, " ") + m.foldSep + w
			*key += " ⟪" + w + "⟫"
		}
	}
	if m.kinds["column"] {
		r := m.stmtRand(*key, 3)
		home := r.IntN(len(m.loggers))
		logger = m.loggers[home]
		if r.IntN(3) == 0 { // a helper called with its caller's logger
			logger = m.loggers[(home+line.IntN(1+r.IntN(2)+1))%len(m.loggers)]
		}
		vals = append(vals, logger)
		if r.IntN(4) == 0 { // a level chosen at run time
			e.Level = wpick(line, []string{e.Level, "warn", "error", "info"})
		}
	}
	if m.kinds["comp"] {
		if m.comp == nil {
			m.comp = newCompMsg(m.seed)
		}
		m.comp.apply(e, *key, i)
	}
	if m.kinds["subcomp"] {
		if m.subcomp == nil {
			m.subcomp = newSubcompMsg(m.seed) // wildmsg_merge.go
		}
		m.subcomp.apply(e, *key)
	}
	if m.kinds["prefix"] {
		r := m.stmtRand(*key, 1)
		switch x := r.IntN(20); {
		case x < 6: // always written with its word
			e.Msg = prefixSpells[m.prefixSpell](m.levelWord(e.Level)) + e.Msg
		case x < 11: // a wrapper whose level is decided at run time
			lv := wpick(line, []string{e.Level, e.Level, "warn", "error"})
			e.Level = lv
			if lv == "warn" || lv == "error" || lv == "fatal" {
				e.Msg = prefixSpells[m.prefixSpell](m.levelWord(lv)) + e.Msg
			}
		}
	}
	if m.kinds["errtail"] {
		m.errtail(e, *key, i)
	}
	if m.kinds["nestquote"] {
		m.nestquote(e, *key, i)
	}
	if m.kinds["errslot"] {
		m.errslot(e, *key, i)
	}
	if m.kinds["nestfmt"] {
		m.nestfmt(e, *key, i)
	}
	if m.kinds["structdump"] {
		m.structdump(e, key, i)
	}
	if m.kinds["kvcolon"] {
		m.kvcolon(e, *key, i) // wildmsg_kvcolon.go
	}
	if m.kinds["context"] {
		r := m.stmtRand(*key, 2)
		if r.IntN(10) < 7 {
			perm := r.Perm(len(ctxKeys))[:1+r.IntN(4)]
			var keys []string
			for _, p := range perm {
				keys = append(keys, ctxKeys[p])
			}
			if len(keys) > 1 && r.IntN(5) == 0 && line.IntN(2) == 0 {
				keys = keys[:len(keys)-1] // a key present on some lines only
			}
			if m.ctxStyle == "json" || m.ctxStyle == "json-spaced" || m.ctxStyle == "kv" {
				sort.Strings(keys) // zap and logform keep the call's order; a map is sorted
			}
			txt, vs := m.context(line, keys)
			after = m.ctxSep + txt
			vals = append(vals, vs...)
		}
	}
	if m.kinds["intag"] {
		m.intag(e, key, i)
	}
	if m.kinds["ctxblock"] {
		txt, vs := m.ctxblock(e, *key, i)
		after, vals = after+txt, append(vals, vs...)
	}
	if m.kinds["rawkv"] {
		txt, vs := m.rawkv(e, *key, i, after) // wildmsg_rawkv.go
		after, vals = after+txt, append(vals, vs...)
	}
	return after, vals, logger
}

// loggerCol is the logger-name column of a column layout: its text is
// set per line by wildRender.
func loggerCol(cur *string, rng *rand.Rand) wildCol {
	br := wpick(rng, [][2]string{{"", ""}, {"[", "]"}, {"", ":"}, {"(", ")"}, {"<", ">"}})
	return wildCol{kind: "logger", name: "logger-varying", text: func(*event, int) (string, []string) {
		if *cur == "" {
			return "", nil
		}
		return br[0] + *cur + br[1], nil
	}}
}

// withLogger adds a logger-name column to l (after its time, if first)
// reading its text from cur, and a level column if l has none.
func withLogger(l *wildLayout, cur *string) *wildLayout {
	rng := rand.New(rand.NewPCG(l.seed, 0x1099))
	c := loggerCol(cur, rng)
	out := *l
	out.cols = nil
	at := rng.IntN(len(l.cols) + 1)
	if len(l.cols) > 0 && l.cols[0].kind == "time" && at == 0 {
		at = 1
	}
	hasLevel := false
	for k, x := range l.cols {
		if k == at {
			out.cols = append(out.cols, c)
		}
		out.cols = append(out.cols, x)
		hasLevel = hasLevel || x.kind == "level"
	}
	if at == len(l.cols) {
		out.cols = append(out.cols, c)
	}
	if !hasLevel {
		lv := wildLevel(l.seed, rng)
		out.cols = append(out.cols[:1:1], append([]wildCol{lv}, out.cols[1:]...)...)
	}
	return &out
}

// wildMsgName is how -msg's kinds are printed.
func wildMsgName(kinds map[string]bool) string {
	var ks []string
	for _, k := range append(wildMsgKinds[:len(wildMsgKinds):len(wildMsgKinds)], wildMsgExtra...) {
		if kinds[k] {
			ks = append(ks, k)
		}
	}
	if len(ks) == 0 {
		return ""
	}
	return " msg=" + strings.Join(ks, "+")
}
