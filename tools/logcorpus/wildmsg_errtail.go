package main

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
)

// Message-side kinds added after wild -msg all was fixed (all keeps
// naming the four of wildmsg.go, so its figures stay comparable):
//
//   - errtail: a statement that reports an error writes the error's text,
//     of any shape, into its message: one word ("timeout"), a phrase
//     ("permission denied"), or a chain of wrapped causes with their own
//     punctuation ("open /data/x.db: no such file or directory", "dial tcp
//     10.1.2.3:443: i/o timeout", nested two or three levels). Go wraps
//     errors so, each layer adding "context: " before the inner error's
//     text (fmt.Errorf with %w, go1.16 src/fmt/errors_test.go), and Rust's
//     error reporters print a cause chain joined with ": " on one line
//     (docs.rs: salvor's runtime::error_chain, geolith-cli's error::report,
//     "outer: inner: innermost"). A statement's errors are drawn from a
//     Zipf-weighted pool of its own, so one or two errors recur (a
//     frequent short one among many chained ones) while the text after
//     the statement's words varies: the whole error is one parameter of
//     one event. The error sits at the message's end after ": ", "
//     failed: ", " error: ", "err=" or "due to an error: ", in the middle
//     before a clause of its own (". Retrying..."), in parentheses at the
//     end, or single-quoted in the middle ("got error '…' while
//     syncing").
//
// The statements that write an error are chosen per statement (a code
// path), from a stream of their own; a statement with pairs (structured
// fields) keeps its message.

var (
	errOneWord = []string{"timeout", "EOF", "canceled", "unauthorized", "overloaded", "closed", "forbidden", "interrupted", "busy", "throttled"}
	errPhrase  = []string{"deadline exceeded", "permission denied", "connection refused", "disk quota reached",
		"no route to host", "resource busy", "too many requests", "lease not held", "stream closed by peer",
		"operation not permitted", "broken pipe", "host is down", "certificate signed by unknown authority",
		"quorum lost", "request entity too large", "bad file descriptor"}
	errCauses = []string{"connection reset by peer", "i/o timeout", "connection refused", "no such file or directory",
		"no space left on device", "no such host", "permission denied", "unexpected EOF", "read-only file system",
		"network is unreachable", "file exists", "is a directory"}
	errOps = []string{"flush segment", "load manifest", "fetch index", "commit batch", "write checkpoint",
		"decode reply", "sync shard", "refresh token", "open journal", "resolve peer"}
	errAfterMid = []string{". Retrying...", ". Will retry later", ". Giving up.", "; retrying in a while", ", will retry", ". Skipping"}
	errIntros   = []string{": ", " failed: ", " error: ", " err=", " due to an error: ", " failed with "}
	errQuoted   = []string{"got error '%s' while syncing", "saw error '%s' in handler", "error '%s' during flush"}
)

// errShape renders one error of shape k with line values from v.
func errShape(k int, v *vals) string {
	switch k % 9 {
	case 0:
		return errOneWord[k/9%len(errOneWord)]
	case 1, 2:
		return errPhrase[k/9%len(errPhrase)]
	case 3:
		return "open " + v.path() + ": " + errCauses[k/9%len(errCauses)]
	case 4:
		return "dial tcp " + v.ip() + ":" + v.port() + ": " + errCauses[k/9%3]
	case 5:
		return "read tcp " + v.ip() + ":" + v.port() + "->" + v.ip() + ":" + v.port() + ": read: " + errCauses[k/9%2]
	case 6:
		return errOps[k/9%len(errOps)] + ": " + errShape(k/9+3+k%2, v)
	case 7:
		return errOps[k/9%len(errOps)] + " " + fmt.Sprint(v.rng.IntN(900)) + ": " + errOps[(k/9+3)%len(errOps)] + ": " + errShape(k/9*9+1, v)
	}
	return fmt.Sprintf("Get %q: dial tcp %s:%s: %s", v.url(), v.ip(), v.port(), errCauses[k/9%3])
}

// errtail writes an error into e's message when the statement key
// reports one, line i's error drawn from the statement's pool.
func (m *wildMsg) errtail(e *event, key string, i int) {
	r := m.stmtRand(key, 5)
	if len(e.KVs) > 0 || r.IntN(5) >= 2 { // two statements in five report an error
		return
	}
	n := 3 + r.IntN(10)
	shapes := r.Perm(90)[:n]
	s := []float64{0.6, 0.9, 1.2}[r.IntN(3)]
	place := r.IntN(20)
	intro := wpick(r, errIntros)
	mid := wpick(r, errAfterMid)
	quoted := wpick(r, errQuoted)
	line := rand.New(rand.NewPCG(m.seed*7919+uint64(i), 0xe77a))
	total := 0.0
	for k := range shapes {
		total += 1 / math.Pow(float64(k+1), s)
	}
	x, k := line.Float64()*total, 0
	for ; k < n-1 && x > 1/math.Pow(float64(k+1), s); k++ {
		x -= 1 / math.Pow(float64(k+1), s)
	}
	err := errShape(shapes[k], &vals{rng: line, names: map[string][]string{}})
	msg := strings.TrimRight(strings.Join(strings.Fields(e.Msg), " "), " .")
	switch {
	case place < 10: // at the end
		e.Msg = msg + intro + err
	case place < 14: // in the middle, before a clause of its own
		e.Msg = msg + intro + err + mid
	case place < 17: // in parentheses at the end
		e.Msg = msg + " (" + err + ")"
	default: // single-quoted in the middle
		e.Msg = msg + ": " + fmt.Sprintf(quoted, err)
	}
}
