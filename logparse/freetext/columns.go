package freetext

import (
	"bytes"

	"github.com/gopulse/gopulse/event"
	"github.com/gopulse/gopulse/logparse"
)

// Header columns defined by their shape rather than by a spelling of one
// library: a run of key=value pairs inside the header, a "name/pid on
// host:" group closing it, a column closed by a tab (present on some lines
// only), and a parenthesised group of key=value pairs after the message.

const maxMetaPairs = 8

// isPairToken: "key=value" with a name for a key ("request_id=F7a9",
// "pid=<0.412.0>"); a value of one token.
func isPairToken(tok []byte) bool {
	k := 0
	for k < len(tok) && tok[k] != '=' {
		c := tok[k]
		if !(isDigit(c) || c|0x20 >= 'a' && c|0x20 <= 'z' || c == '_' || c == '-' || c == '.') {
			return false
		}
		k++
	}
	return k > 0 && k+1 < len(tok) && !isDigit(tok[0]) && tok[k+1] != '='
}

// pairsBeforeLevel: a run of key=value tokens at s, separators allowed
// between them, followed by a level. It returns the end of the run and the
// level's bounds (end 0: no such run). Metadata written inside the header
// before the level — Elixir's Logger ("$time $metadata[$level] $message":
// "13:55:07.123 request_id=F7a9 pid=<0.412.0> [info] …"), log4j/logback
// patterns with an MDC placed before the level ("%d user=%X{user} %-5p …")
// — are header fields; without a level after them the pairs are the
// message's (logfmt after a time is ParsePairs's).
func pairsBeforeLevel(line []byte, s int) (end, ls, le int) {
	pos, n := s, 0
	for i := 0; i < maxMetaPairs+4; i++ {
		ts, te := scanToken(line, pos)
		if ts >= te {
			return 0, 0, 0
		}
		tok := line[ts:te]
		switch {
		case isPairToken(tok):
			n++
			end = te
		case isSeparator(tok) && n > 0:
		case n > 0 && (isLevel(tok) && !capitalisedOnly(tok) || len(tok) == 3 && isBracketPair(tok[0], tok[2]) && modelLevel(tok)):
			// a level word, or a bracketed letter ("[W]")
			return end, ts, te
		default:
			return 0, 0, 0
		}
		if n > maxMetaPairs {
			return 0, 0, 0
		}
		pos = te
	}
	return 0, 0, 0
}

// addMeta adds the pairs of a header's metadata run (pairsBeforeLevel,
// pairRun) as fields keyed by their own keys: "k=v", "k:v" and "k: v".
func addMeta(meta []byte, r *logparse.Record) {
	pos := 0
	for {
		s, e := scanToken(meta, pos)
		if s >= e {
			return
		}
		pos = e
		tok := meta[s:e]
		switch {
		case isPairToken(tok):
			k := bytes.IndexByte(tok, '=')
			addPair(r, tok[:k], tok[k+1:])
		case isColonPair(tok):
			k := bytes.IndexByte(tok, ':')
			addPair(r, tok[:k], tok[k+1:])
		case isKeyColon(tok):
			if vs, ve := scanToken(meta, e); vs < ve {
				addPair(r, tok[:len(tok)-1], meta[vs:ve])
				pos = ve
			}
		}
		// anything else is a separator
	}
}

// pairRun: a run of key/value pairs at s in a header — "k=v", "k:v", or a
// key, its colon, a blank and one value ("pid: 123 tid: 7") — one header
// column whatever its keys and values: two pairs or more, one pair of one
// token, or one "k: v" closed by a separator column (a "k: v" holds a digit
// in its value unless a pair comes before it). It returns the end of
// the run (0: none). A lone "word: …" opening a message is a tag or the
// message's ("serf: forgoing …", "error: 3 retries"); a pair's value is
// what varies per line, so the pairs are fields, not template text.
//
// Sources it helps: logcorpus wild's pair columns of the first round
// ("shard:7", "tenant=acme", "rid: 8812") and the second round's runs and
// pairs in groups ("seq: 87124 conn: 160 shard: 2").
func pairRun(line []byte, s int) int {
	pos, n, end := s, 0, 0
	two := false
	for i := 0; i < maxMetaPairs; i++ {
		ts, te := scanToken(line, pos)
		if ts >= te {
			break
		}
		tok := line[ts:te]
		if isPairToken(tok) || isColonPair(tok) {
			n, end, pos, two = n+1, te, te, false
			continue
		}
		if isKeyColon(tok) {
			vs, ve := scanToken(line, te)
			if vs < ve && isPairValue(line[vs:ve]) {
				// a word after "k: " is a pair's value in a run only, a
				// separator column after it ("shard: 1 user: bob > …");
				// a number in brackets is no value ("go-plugin:
				// [grafana-1] plugin: …"), nor a pair ("flowcontrol:
				// k=v, k2=v2": a tag, then the message's pairs); else
				// it is an error chain's ("redis: connection pool:
				// conn[5] …") or a tag's ("kubernetes: FindPlugin -> …")
				if v := line[vs:ve]; bytes.IndexByte(v, '=') < 0 && (tokenHasDigit(v) && !isBracketOpen(v[0]) || n > 0 && sepAfter(line, ve)) {
					n, end, pos, two = n+1, ve, ve, true
					continue
				}
			}
		}
		break
	}
	switch {
	case n == 0:
		return 0
	case n >= 2 || !two || sepAfter(line, end):
		return end
	}
	return 0
}

// sepAfter: a separator column follows pos.
func sepAfter(line []byte, pos int) bool {
	ts, te := scanToken(line, pos)
	return ts < te && (isPunctRun(line[ts:te]) || isMarkRun(line[ts:te]))
}

// isKeyColon: a key and its colon, "pid:", "trace_id:" (a name of
// letters, digits, '_' and '-', not a level: "error:" opens a message; a
// dotted name is a logger's, "main.INFO:", "o.a.Foo:").
func isKeyColon(tok []byte) bool {
	if len(tok) < 2 || len(tok) > 24 || tok[len(tok)-1] != ':' || modelLevel(tok) || hasDot(tok) {
		return false
	}
	return isKey(tok[:len(tok)-1])
}

// isKey: letters first, then letters, digits, '_', '-', '.'.
func isKey(k []byte) bool {
	if len(k) == 0 || !(k[0]|0x20 >= 'a' && k[0]|0x20 <= 'z') {
		return false
	}
	for _, c := range k {
		if !(isDigit(c) || c|0x20 >= 'a' && c|0x20 <= 'z' || c == '_' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// isColonPair: "shard:7", "user:alice" — a key, one colon and a value
// that is no path or URL ("http://…"), nor a port after a host
// ("web7:8080"), nor a call site's line ("tx.go:29]": a dotted key is a
// file's or a logger's name).
func isColonPair(tok []byte) bool {
	k := bytes.IndexByte(tok, ':')
	if k <= 0 || k+1 >= len(tok) || len(tok) > 96 || bytes.IndexByte(tok[k+1:], ':') >= 0 || !isKey(tok[:k]) || hasDot(tok[:k]) {
		return false
	}
	v := tok[k+1:]
	if v[0] == '/' || isInt(v) && tokenHasDigit(tok[:k]) {
		return false
	}
	if c := v[len(v)-1]; (c == ']' || c == ')' || c == '>' || c == '}') && !isBracketOpen(v[0]) {
		return false // the close of a group opened before the key
	}
	return isPairValue(v)
}

// isPairValue: one token that can be a pair's value: not a key, a
// separator or a group left open.
func isPairValue(v []byte) bool {
	if len(v) == 0 || len(v) > 64 || v[len(v)-1] == ':' || isPunctRun(v) || isMarkRun(v) {
		return false
	}
	return true
}

func addPair(r *logparse.Record, k, v []byte) {
	if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
		esc := false
		for _, c := range v[1 : len(v)-1] {
			if c == '\\' {
				esc = true
			}
		}
		if !esc {
			v = v[1 : len(v)-1]
		}
	}
	t := event.TypeString
	if isInt(v) && len(v) <= 18 {
		t = event.TypeInt
	}
	r.Add(k, v, t)
}

// slashInside reports whether tok holds a '/' after its first byte: the
// first thing nameOnHost asks of the token at s ("name/pid"), which the
// callers that have the token already test before its scan (most header
// tokens have none).
func slashInside(tok []byte) bool {
	return len(tok) > 1 && bytes.IndexByte(tok[1:], '/') >= 0
}

// nameOnHost: "name/pid on host:" closing a header, as bunyan's long
// format writes its record's name, pid and hostname
// ("[2024-03-10T13:55:07.123Z]  INFO: myapp/1234 on web-1: message").
func nameOnHost(line []byte, s int) (prog, pid, host []byte, end int, ok bool) {
	s1, e1 := scanToken(line, s)
	tok := line[s1:e1]
	sl := -1
	for i, c := range tok {
		if c == '/' {
			sl = i
		}
	}
	if sl <= 0 || sl == len(tok)-1 || !isInt(tok[sl+1:]) || len(tok)-sl-1 > 9 || !isNameToken(tok[:sl]) {
		return nil, nil, nil, 0, false
	}
	s2, e2 := scanToken(line, e1)
	if e2-s2 != 2 || line[s2] != 'o' || line[s2+1] != 'n' {
		return nil, nil, nil, 0, false
	}
	s3, e3 := scanToken(line, e2)
	if e3-s3 < 2 || line[e3-1] != ':' || !isHostToken(line[s3:e3-1]) {
		return nil, nil, nil, 0, false
	}
	return tok[:sl], tok[sl+1:], line[s3 : e3-1], e3, true
}

// parenNameOnHost: bunyan's "name/pid on host" in parentheses and closed
// by a colon, its name and host optional, as pino-pretty writes a record's
// name, pid and hostname: "(1234):", "(1234 on web-1):", "(app/1234 on
// web-1):". line[s] is the '('.
func parenNameOnHost(line []byte, s int) (prog, pid, host []byte, end int, ok bool) {
	cl := -1
	for i := s + 1; i < len(line) && i-s < 128; i++ {
		if line[i] == ')' {
			cl = i
			break
		}
	}
	if cl < 0 || cl+1 >= len(line) || line[cl+1] != ':' || cl+2 < len(line) && line[cl+2] != ' ' && line[cl+2] != '\t' {
		return nil, nil, nil, 0, false
	}
	in := line[s+1 : cl]
	id := in
	if i := bytes.Index(in, []byte(" on ")); i > 0 {
		id, host = in[:i], in[i+4:]
		if !isHostToken(host) {
			return nil, nil, nil, 0, false
		}
	}
	if i := bytes.LastIndexByte(id, '/'); i >= 0 {
		prog, id = id[:i], id[i+1:]
		if !isNameToken(prog) {
			return nil, nil, nil, 0, false
		}
	}
	if !isInt(id) || len(id) > 9 {
		return nil, nil, nil, 0, false
	}
	return prog, id, host, cl + 2, true
}

// tabCells takes the columns that tabs close at the start of msg, when the
// header before msg ended with a tab (tab: the byte before msg): a layout
// whose columns are defined by their separator (zap's console encoder,
// "time\tLEVEL\tlogger\tcaller\tmessage\t{fields}"; tab-separated
// access and CSV-like exports), where a column may be absent from some
// lines (zap writes the logger's name for a named logger only), so no
// count of positions across the stream finds it. A cell is one token
// closed by a tab with more text after it; a message whose one word is
// followed by its fields' object ("started\t{…}") keeps the word. It
// returns the cells' end in msg (0: none) and adds them to r. A line
// without a header the grammar knows (first) starts with such cells when
// two of them lead it.
func (p Parser) tabCells(msg []byte, first bool, h *Header, r *logparse.Record) int {
	end := 0
	for n := 0; n < 6; n++ {
		for end < len(msg) && msg[end] == ' ' {
			end++ // a cell padded to a width: " INFO"
		}
		i := end
		for i < len(msg) && msg[i] != '\t' {
			if i-end > 64 {
				return end
			}
			if msg[i] == ' ' {
				// blanks in a cell only pad it to its width: "INFO \t"
				j := i
				for j < len(msg) && msg[j] == ' ' {
					j++
				}
				if j < len(msg) && msg[j] != '\t' {
					return end
				}
				i = j
				continue
			}
			i++
		}
		if i == end || i+1 >= len(msg) || msg[i+1] == '{' && i+2 < len(msg) && (msg[i+2] == '"' || msg[i+2] == '}') || msg[i+1] == '\t' {
			return end
		}
		if n == 0 && first && !tabClosed(msg[i+1:]) {
			return 0 // a line's first word and a tab: two cells at least
		}
		// a cell is typed by its shape, as the model types a column
		cell := trimSpaceRight(msg[end:i])
		switch sh := shapeOf(cell); {
		case sh == shLevel && len(h.Level) == 0:
			h.Level = trimLevel(trimPair(cell))
			r.Add(keyLevel, h.Level, event.TypeEnum)
			r.Level = logparse.NormalizeLevel(h.Level)
		case (sh == shTime || sh == shEpoch) && !hasKey(r, keyTime):
			r.Add(keyTime, trimPair(cell), event.TypeTimestamp)
			p.setTS(trimPair(cell), r)
		case sh == shInt && !hasKey(r, keyPID):
			r.Add(keyPID, trimPair(cell), event.TypeString)
		case sh == shBracket && !hasKey(r, keyThread):
			r.Add(keyThread, trimPair(cell), event.TypeString)
		case !hasKey(r, keyComponent):
			r.Add(keyComponent, trimPair(cell), event.TypeString)
		case !hasKey(r, keyCategory):
			r.Add(keyCategory, trimPair(cell), event.TypeString)
		default:
			r.Add(keyContext, trimPair(cell), event.TypeString)
		}
		end = i + 1
	}
	return end
}

// tabClosed: b starts with a cell of one token (padded or not) closed
// by a tab.
func tabClosed(b []byte) bool {
	b = trimLeftBlank(b)
	i := 0
	for i < len(b) && b[i] != '\t' && b[i] != ' ' {
		i++
	}
	if i == 0 {
		return false
	}
	rest := trimLeftBlank(b[i:])
	return len(rest) > 0 && rest[0] == '\t'
}

func trimLeftBlank(b []byte) []byte {
	for len(b) > 0 && b[0] == ' ' {
		b = b[1:]
	}
	return b
}

// trailingPairs returns the length of a group of key=value pairs in
// parentheses closing msg, " (k=v, k2=v2)", and adds the pairs to r (0:
// none). bunyan's long format writes a record's extra fields so; a group
// glued to a word ("User(id=1, name=x)", a toString) or holding anything
// but pairs stays in the message.
func trailingPairs(msg []byte, r *logparse.Record) int {
	if len(msg) < 6 || msg[len(msg)-1] != ')' {
		return 0
	}
	end := len(msg) - 1
	for try, j := 0, end-1; try < 4 && j > 0; try++ {
		for j > 0 && !(msg[j] == '(' && msg[j-1] == ' ') {
			j--
		}
		if j <= 1 {
			return 0
		}
		if pairGroup(msg[j+1:end], nil) {
			pairGroup(msg[j+1:end], r)
			return len(msg) - (j - 1)
		}
		j--
	}
	return 0
}

// pairGroup reports whether b is "k=v, k2=v2" (values bare or quoted) and,
// when r is not nil, adds the pairs.
func pairGroup(b []byte, r *logparse.Record) bool {
	i := 0
	for {
		ks := i
		for i < len(b) && b[i] != '=' {
			c := b[i]
			if !(isDigit(c) || c|0x20 >= 'a' && c|0x20 <= 'z' || c == '_' || c == '-' || c == '.') {
				return false
			}
			i++
		}
		if i == ks || i >= len(b) || isDigit(b[ks]) {
			return false
		}
		k := b[ks:i]
		i++
		vs := i
		if i < len(b) && b[i] == '"' {
			i++
			for i < len(b) && b[i] != '"' {
				if b[i] == '\\' {
					i++
				}
				i++
			}
			if i >= len(b) {
				return false
			}
			i++
			if i < len(b) && !(b[i] == ',' && i+1 < len(b) && b[i+1] == ' ') {
				return false
			}
		} else {
			for i < len(b) && !(b[i] == ',' && i+1 < len(b) && b[i+1] == ' ') {
				if b[i] == ' ' {
					return false // a bare value is one word
				}
				i++
			}
		}
		if i == vs {
			return false
		}
		if r != nil {
			addPair(r, k, b[vs:i])
		}
		if i >= len(b) {
			return true
		}
		i += 2
	}
}

func hasKey(r *logparse.Record, k []byte) bool {
	for i := range r.Fields {
		if string(r.Fields[i].Key) == string(k) {
			return true
		}
	}
	return false
}

func isBracketOpen(c byte) bool { return c == '[' || c == '(' || c == '<' || c == '{' }
