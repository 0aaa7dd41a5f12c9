package main

import (
	"math/rand/v2"
	"strconv"
	"strings"
)

// kvcolon (wild -msg kvcolon, not part of all): a value glued to its
// name by a ':' with no blank (`trimming tag:blue dst:/srv/t/a.json`),
// or a struct printed by Go's %+v (`probe {Host:shelf-a Port:8080}`,
// fmt's "the plus flag adds field names"; slog's TextHandler prints a
// struct value so, `x="&{A:1 b:2}"`). A statement in three writes one or
// two such pairs after its words, or a struct, on every line; a pair's
// name is a word of the format string and its value the line's: a word
// from a few per statement (an enum, a name: `blue`, `shelf-a`), a path,
// or, on about three lines in ten, a value seen on few lines (a word
// pair, a name with a suffix). A struct closes the message or is followed
// by a word of the statement's (`… {Host:a Port:80} accepted`). One event
// per statement: its values are parameters, its names its words.

var (
	kcKeys    = []string{"tag", "src", "dst", "prefix", "user", "zone", "mode", "role", "peer", "bucket", "topic", "scope"}
	kcFields  = []string{"Host", "Port", "Name", "Zone", "Role", "Addr", "Kind", "Owner", "State", "Shard"}
	kcWords   = []string{"blue", "green", "red", "shelf-a", "shelf-b", "leader", "primary", "replica", "east", "west", "idle", "green-2", "cold", "warm"}
	kcRare1   = []string{"amber", "ochre", "slate", "cobalt", "coral", "olive", "ivory", "jade", "rust", "teal", "umber", "azure"}
	kcRare2   = []string{"fox", "owl", "elk", "ram", "yak", "emu", "gnu", "cod", "eel", "bat"}
	kcDirs    = []string{"/srv/t", "/var/lib/app", "/tmp", "/data/in", "/etc/app/conf.d"}
	kcFiles   = []string{"a.json", "index.db", "x", "rules.yaml", "seg.log", "out.tar"}
	kcClosing = []string{"accepted", "ignored", "queued", "applied"}
)

// kvcolon rewrites e's message when statement key writes glued pairs or
// a Go struct; line i's values come from a stream of their own.
func (m *wildMsg) kvcolon(e *event, key string, i int) {
	r := m.stmtRand(key, 11)
	if len(e.KVs) > 0 || r.IntN(3) != 0 { // a statement in three
		return
	}
	line := rand.New(rand.NewPCG(m.seed*7919+uint64(i), 0x4c0))
	msg := strings.TrimRight(strings.Join(strings.Fields(e.Msg), " "), " .:")
	if r.IntN(3) == 0 { // a Go struct, %+v
		fields := r.Perm(len(kcFields))[:2+r.IntN(2)]
		pools := make([][]string, len(fields))
		for k := range fields {
			pools[k] = kcPool(r)
		}
		var kv []string
		for k, f := range fields {
			v := kcValue(line, pools[k])
			if kcFields[f] == "Port" {
				v = strconv.Itoa(1024 + line.IntN(40000))
			}
			kv = append(kv, kcFields[f]+":"+v)
		}
		s := "{" + strings.Join(kv, " ") + "}"
		if r.IntN(2) == 0 {
			s = "&" + s
		}
		if r.IntN(2) == 0 {
			s += " " + wpick(r, kcClosing)
		}
		e.Msg = msg + " " + s
		return
	}
	keys := r.Perm(len(kcKeys))[:1+r.IntN(2)]
	var kv []string
	for _, k := range keys {
		name := kcKeys[k]
		var v string
		if name == "src" || name == "dst" || r.IntN(5) == 0 {
			v = kcPath(line, r.IntN(3) == 0)
		} else {
			v = kcValue(line, kcPool(r))
		}
		kv = append(kv, name+":"+v)
	}
	e.Msg = msg + " " + strings.Join(kv, " ")
}

// kcPool is a statement's few common values of a field.
func kcPool(r *rand.Rand) []string {
	p := r.Perm(len(kcWords))[:2+r.IntN(3)]
	out := make([]string, len(p))
	for k, x := range p {
		out[k] = kcWords[x]
	}
	return out
}

// kcValue is a line's value: one of pool's, or on three lines in ten one
// seen on few lines.
func kcValue(line *rand.Rand, pool []string) string {
	if line.IntN(10) < 3 {
		switch line.IntN(3) {
		case 0:
			return wpick(line, kcRare1) + "-" + wpick(line, kcRare2)
		case 1:
			return wpick(line, kcRare1) + "_" + strconv.Itoa(line.IntN(100))
		default:
			return wpick(line, kcRare2) + wpick(line, kcRare1)
		}
	}
	return wpick(line, pool)
}

// kcPath is a line's file path, absolute or relative.
func kcPath(line *rand.Rand, rel bool) string {
	p := wpick(line, kcDirs) + "/" + wpick(line, kcFiles)
	if line.IntN(10) < 3 {
		p = wpick(line, kcDirs) + "/" + wpick(line, kcRare1) + "/" + wpick(line, kcFiles)
	}
	if rel {
		return strings.TrimPrefix(p, "/")
	}
	return p
}
