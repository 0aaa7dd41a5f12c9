package main

import (
	"math/rand/v2"
	"strconv"
	"strings"
)

// wild -msg errslot (not part of all): an error's text written into a
// message where no ':' introduces it, errtail's companion (errtail puts
// it after ": ", " failed: ", in parentheses or quotes):
//
//   - after a plain word or phrase with no colon ("compaction halted,
//     cause err broken pipe", "… with error …", "… failed with token …");
//   - after the statement's words with nothing between ("gave up waiting
//     on drain <error>");
//   - in the middle, before a lower-case clause of the statement's own
//     (", falling back to anonymous", "; will retry") or before a
//     sentence of its own with a value ("… <error>. Took 35ms", Go's
//     net/http server writes "http: Accept error: %v; retrying in %v",
//     https://go.dev/src/net/http/server.go);
//   - as the whole message after a short constant tag ("[WARN] (ui)
//     <error>", "Trace: <error>"): Python's logging.error("Error
//     occurred: %s", e) and logging.error("%s error occurred: %s", …)
//     forms (pylint's logging checker documents both:
//     pylint.pycqa.org, messages logging-too-few-args and
//     logging-not-lazy), and wrappers that prepend a level and a
//     component.
//
// A statement's errors are 3-15 distinct texts of any shape (errShape:
// words, phrases, wrapped chains with values), the most frequent on 5-10%
// of its lines and the rest about equally often, so the error's word
// count varies between lines of one event. Half the statements also
// carry a second, ordinary parameter with 3-6 values ("to queue-7 …"),
// which a group of few lines of one word count may take for a constant.
// The ground truth is the statement: the error, the tag's text and the
// ordinary value are parameters of one event.

var (
	esWords  = []string{"err", "error", "with error", "cause err", "reason", "with", "failed with", "got"}
	esClause = []string{", falling back to anonymous, see docs", ", falling back to defaults", "; will retry",
		", skipping this round", ", continuing without cache", " and gave up"}
	esTook  = []string{". Took ", ". Elapsed: ", ". Attempt "}
	esTags  = []string{"[L] (C)", "[L] (C)", "L (C)", "C trace:", "[L] <C>", "(L) C:"}
	esComps = []string{"ui", "sync", "store", "cron", "agent", "net", "api", "gc", "auth", "cache", "wal", "dns", "mq", "fs", "sched", "relay"}
	esQueue = []string{"queue-", "shard-", "topic-", "slot-", "part-", "lane-"}
	esPrep  = []string{" to ", " on ", " for ", " via "}
)

// errslot writes an error into e's message where statement key reports
// one, line i's error and value drawn from the statement's pools.
func (m *wildMsg) errslot(e *event, key string, i int) {
	r := m.stmtRand(key, 7)
	if len(e.KVs) > 0 || r.IntN(5) >= 2 { // two statements in five report an error
		return
	}
	n := 3 + r.IntN(13)
	shapes := r.Perm(90)[:n]
	for k, s := range shapes { // the most frequent is a word or a phrase
		if s%9 <= 2 {
			shapes[0], shapes[k] = shapes[k], shapes[0]
			break
		}
	}
	top := 5 + r.IntN(6) // of 100 lines, the most frequent error
	place := r.IntN(10)
	word := wpick(r, esWords)
	clause := wpick(r, esClause)
	took := wpick(r, esTook)
	tag := strings.Replace(wpick(r, esTags), "C", wpick(r, esComps), 1)
	var pool []string
	if r.IntN(2) == 0 {
		base := wpick(r, esQueue)
		for _, x := range r.Perm(40)[:3+r.IntN(4)] {
			pool = append(pool, base+strconv.Itoa(x))
		}
	}
	prep := wpick(r, esPrep)
	line := rand.New(rand.NewPCG(m.seed*7919+uint64(i), 0xe5107))
	k := 0
	if line.IntN(100) >= top {
		k = 1 + line.IntN(n-1)
	}
	err := errShape(shapes[k], &vals{rng: line, names: map[string][]string{}})
	msg := strings.TrimRight(strings.Join(strings.Fields(e.Msg), " "), " .,")
	if len(pool) > 0 {
		msg += prep + wpick(line, pool)
	}
	switch {
	case place < 3: // after a word, no colon
		e.Msg = msg + " " + word + " " + err
	case place < 5: // after the statement's words, nothing between
		e.Msg = msg + " " + err
	case place < 7: // in the middle, before a lower-case clause
		e.Msg = msg + " " + word + " " + err + clause
	case place < 8: // before a sentence with a value
		e.Msg = msg + ", " + word + " " + err + took + strconv.Itoa(1+line.IntN(900)) + "ms"
	default: // the whole message after a tag
		t := strings.Replace(tag, "L", strings.ToUpper(m.levelWord(e.Level)), 1)
		if len(pool) > 0 {
			t += " " + wpick(line, pool)
		}
		e.Msg = t + " " + err
	}
}
