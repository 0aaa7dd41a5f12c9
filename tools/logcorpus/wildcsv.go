package main

import (
	"fmt"
	"io"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
)

// wildcsv: records written as comma-separated values, the message one
// quoted column among many. Programs and servers that log to CSV write a
// fixed list of columns per line: IIS's comma-delimited log format (a
// client address, a user name with "-" for none, a date and time, a
// service and server name, status codes, then the request), Exchange's
// message tracking and protocol logs (RFC 4180 CSV under a "#Fields:"
// header: a date-time, connector and session ids, addresses, an event id,
// then a free-text source context), PostgreSQL's csvlog (a time, user,
// database, pid, host, session id, line number, a command tag, a severity,
// an SQLSTATE code, then the message quoted, then detail, hint and query
// columns that are mostly empty). Each layout draws 10-19 columns in that
// spirit: a time, ids, names, a host, an address, a pid, a severity and a
// code before the message, 5-10 trailing columns that are mostly empty or
// constant, each column quoted or not. The message is RFC 4180 quoted:
// a quote inside it is doubled, and some statements quote their
// parameters ("block ""9"" lost"), as programs do around a name.
//
// Ground truth per line: the statement (as wild's, its key/value pairs
// part of the text), and the message. Scores as wild. The seeds are
// wild's: dev iterated on, held reported as means only; the layouts come
// from a random stream of their own, so no wild layout moves.
//
//	logcorpus wildcsv -seeds dev|held [-n N] [-synth-lines N] [-detail] [-dump DIR]

// csvCol is one column of a CSV layout: its text on line i of event e
// (unquoted) and the varying value scored as a field ("" for none).
type csvCol struct {
	quote bool
	val   func(e *event, i int) (string, string)
}

// csvLayout is a composed CSV record layout.
type csvLayout struct {
	seed     uint64
	before   []csvCol // the columns before the message
	after    []csvCol // the trailing ones
	quoteArg bool     // some statements quote their parameters
	tags     []string
}

func csvQuote(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

func newCSVLayout(seed uint64) *csvLayout {
	rng := rand.New(rand.NewPCG(seed, 0xc5f))
	l := &csvLayout{seed: seed, quoteArg: rng.IntN(3) > 0}
	q := func(p int) bool { return rng.IntN(10) < p }
	// the time first
	tl := wpick(rng, []string{"2006-01-02 15:04:05.000", "2006-01-02T15:04:05.000Z", "2006-01-02 15:04:05", "01/02/2006 15:04:05", "2006-01-02T15:04:05.000000-07:00"})
	l.before = append(l.before, csvCol{q(3), func(e *event, _ int) (string, string) { return e.T.UTC().Format(tl), "" }})
	l.tags = append(l.tags, "time")
	// ids, names, a host, an address, a pid: 1-5 columns
	n := 1 + rng.IntN(5)
	kinds := []string{"app", "host", "pid", "ip", "user", "session", "seq", "thread", "db", "empty", "dash"}
	for k := 0; k < n; k++ {
		kind := wpick(rng, kinds)
		ci := k + 2
		var c csvCol
		switch kind {
		case "app":
			c = csvCol{q(7), func(e *event, _ int) (string, string) { return e.App, "" }}
		case "host":
			c = csvCol{q(6), func(e *event, _ int) (string, string) { return e.Host, e.Host }}
		case "pid":
			c = csvCol{q(2), func(e *event, _ int) (string, string) { return strconv.Itoa(e.PID), "" }}
		case "ip":
			c = csvCol{q(7), func(e *event, i int) (string, string) {
				r := lineRand(seed, ci, i/7)
				v := fmt.Sprintf("10.%d.%d.%d", r.IntN(4), r.IntN(256), 1+r.IntN(254))
				return v, v
			}}
		case "user":
			users := []string{"svc-" + strings.ToLower(wpick(rng, []string{"loader", "sync", "api"})), "admin", "-", "jdoe", "backup"}
			c = csvCol{q(6), func(e *event, i int) (string, string) {
				return users[lineRand(seed, ci, i/5).IntN(len(users))], ""
			}}
		case "session":
			c = csvCol{q(5), func(e *event, i int) (string, string) {
				r := lineRand(seed, ci, i/3)
				v := fmt.Sprintf("%08x.%04x", r.Uint32(), r.IntN(1<<16))
				return v, v
			}}
		case "seq":
			c = csvCol{q(1), func(e *event, _ int) (string, string) { v := strconv.Itoa(e.Seq); return v, v }}
		case "thread":
			c = csvCol{q(5), func(e *event, _ int) (string, string) { return e.Thread, "" }}
		case "db":
			c = csvCol{q(8), func(*event, int) (string, string) { return "shelf", "" }}
		case "empty":
			c = csvCol{q(4), func(*event, int) (string, string) { return "", "" }}
		default:
			c = csvCol{false, func(*event, int) (string, string) { return "-", "" }}
		}
		l.before = append(l.before, c)
	}
	// a severity and a code just before the message
	spell := wpick(rng, []string{"upper", "title", "num"})
	l.before = append(l.before, csvCol{q(3), func(e *event, _ int) (string, string) {
		lv := synthLevel(e.Level)
		switch spell {
		case "title":
			return strings.ToUpper(lv[:1]) + lv[1:], ""
		case "num":
			return strconv.Itoa(map[string]int{"trace": 0, "debug": 1, "info": 2, "warn": 3, "error": 4, "fatal": 5}[lv]), ""
		}
		return strings.ToUpper(lv), ""
	}})
	l.tags = append(l.tags, "level-"+spell)
	code := wpick(rng, []string{"letter", "sqlstate", "num"})
	l.before = append(l.before, csvCol{q(3), func(e *event, _ int) (string, string) {
		h := fnv32(e.File + strconv.Itoa(e.Line))
		switch code {
		case "letter":
			return fmt.Sprintf("%c%03d", "EWI"[h%3], h%1000), ""
		case "sqlstate":
			return fmt.Sprintf("%02d%03d", h%60, h%1000), ""
		}
		return strconv.Itoa(int(h % 100000)), ""
	}})
	l.tags = append(l.tags, "code-"+code)
	// the trailing columns: mostly empty, some constant
	for k, m := 0, 5+rng.IntN(6); k < m; k++ {
		switch rng.IntN(6) {
		case 0:
			v := wpick(rng, []string{"loader", "main", "worker", "default"})
			l.after = append(l.after, csvCol{q(8), func(*event, int) (string, string) { return v, "" }})
		case 1:
			l.after = append(l.after, csvCol{true, func(*event, int) (string, string) { return "", "" }})
		default:
			l.after = append(l.after, csvCol{false, func(*event, int) (string, string) { return "", "" }})
		}
	}
	l.tags = append(l.tags, fmt.Sprintf("cols-%d", (len(l.before)+1+len(l.after))/5*5))
	if l.quoteArg {
		l.tags = append(l.tags, "quoted-args")
	}
	return l
}

// message is e's message as the layout writes it (unquoted): on a third
// of the statements, with quoteArg, every token with a digit quoted.
func (l *csvLayout) message(e *event) string {
	m := synthMessage(e)
	if !l.quoteArg || fnv32(fmt.Sprint(l.seed, e.File, e.Line))%3 != 0 {
		return m
	}
	ws := strings.Split(m, " ")
	for i, w := range ws {
		if strings.ContainsAny(w, "0123456789") && !strings.Contains(w, `"`) {
			ws[i] = `"` + w + `"`
		}
	}
	return strings.Join(ws, " ")
}

func (l *csvLayout) line(e *event, i int, msg string) (string, []string) {
	var parts, vals []string
	add := func(c csvCol) {
		v, fv := c.val(e, i)
		if c.quote {
			v = csvQuote(v)
		}
		parts = append(parts, v)
		if fv != "" {
			vals = append(vals, fv)
		}
	}
	for _, c := range l.before {
		add(c)
	}
	parts = append(parts, csvQuote(msg))
	for _, c := range l.after {
		add(c)
	}
	return strings.Join(parts, ","), vals
}

// wildCSVRender renders l around st's events.
func wildCSVRender(seed uint64, l *csvLayout, st []stmt, lines int) (*wildSet, error) {
	evs, truth, _, err := genEvents(project{Module: "wild"}, st, false, lines, seed)
	if err != nil {
		return nil, err
	}
	s := &wildSet{}
	for i := range evs {
		m := synthMessage(&evs[i])
		if m == "" || strings.Contains(strings.SplitN(m, " ", 2)[0], "=") {
			continue // a message that is only pairs is no text message
		}
		m = l.message(&evs[i])
		line, vals := l.line(&evs[i], len(s.lines), m)
		s.lines = append(s.lines, []byte(line))
		s.msgs = append(s.msgs, m)
		s.short = append(s.short, m)
		s.vals = append(s.vals, vals)
		s.truth = append(s.truth, truth[i])
	}
	return s, nil
}

// wildCSVRecords scores the CSV layouts of one seed range.
func wildCSVRecords(which string, nSeeds, lines int, detail bool, dump, hdr string, load func(p project) ([]stmt, error), w io.Writer) error {
	first, err := wildSeedFirst("wildcsv", which, nSeeds)
	if err != nil {
		return err
	}
	if hdr != "" && hdr != "lead" {
		return fmt.Errorf("wildcsv: -hdr %q: want lead or nothing", hdr)
	}
	devProjects := developmentProjects()
	var tot wildAgg
	per := map[string]*wildAgg{}
	if detail {
		fmt.Fprintf(w, "%-7s %6s %6s %7s %7s  %s\n", "seed", "msg", "fields", "GA-2p", "GA-1pA", "first line")
	}
	for i := 0; i < nSeeds; i++ {
		seed := first + uint64(i)
		l := newCSVLayout(seed)
		if hdr == "lead" {
			csvLead(seed, l) // wild_detect.go
		}
		p := devProjects[int(seed*0x9e3779b97f4a7c15>>33)%len(devProjects)]
		st, err := load(p)
		if err != nil {
			return err
		}
		s, err := wildCSVRender(seed, l, st, lines)
		if err != nil {
			return err
		}
		sc, err := scoreWild(s)
		if err != nil {
			return err
		}
		if err := dumpWild(dump, which, seed, s); err != nil {
			return err
		}
		tot.add(sc)
		for _, k := range l.tags {
			addKind(per, k, sc)
		}
		if detail {
			fmt.Fprintf(w, "%-7d %6.3f %6s %7.4f %7.4f  %q\n", seed, sc.msg, opt(sc.fields, sc.fieldsN), sc.two, sc.one, wildFirstLine(s))
		}
	}
	fmt.Fprintf(w, "wildcsv %s%s: %d layouts, message %.4f, fields %.4f (%d layouts with varying values), GA two-pass %.4f, one-pass with aliases %.4f\n",
		which, csvLeadName(hdr), tot.n, meanOf(tot.msg, tot.n), meanOf(tot.fields, tot.fieldsN), tot.fieldsN, meanOf(tot.two, tot.n), meanOf(tot.one, tot.n))
	if detail {
		var names []string
		for k := range per {
			names = append(names, k)
		}
		sort.Strings(names)
		fmt.Fprintf(w, "per kind (mean over the layouts that hold it):\n%-24s %4s %6s %6s %7s %7s\n", "kind", "n", "msg", "fields", "GA-2p", "GA-1pA")
		for _, k := range names {
			a := per[k]
			fmt.Fprintf(w, "%-24s %4d %6.3f %6s %7.4f %7.4f\n", k, a.n, meanOf(a.msg, a.n), opt(meanOf(a.fields, a.fieldsN), a.fieldsN), meanOf(a.two, a.n), meanOf(a.one, a.n))
		}
	}
	return nil
}
