package freetext

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gopulse/gopulse/event"
	"github.com/gopulse/gopulse/logparse"
)

// The settled-layout fast path (fast.go) must give the grammar's header,
// byte for byte, on every line. These tests feed streams of lines through
// one stream's layouts and compare each line's header with Split's on the
// same line. hdr: run them after every change of the grammar:
//
//	go test ./logparse/freetext -run 'Fast' -count=1
//	go test ./logparse/freetext -run '^$' -fuzz FuzzFastMatchesGrammar -fuzztime 60s

// sameHeader reports how a and b, headers of line, differ ("" when they
// do not): every field the same part of the line, or nil in both.
func sameHeader(line []byte, a, b *Header, fa, fb bool) string {
	if fa != fb {
		return fmt.Sprintf("found %v, grammar %v", fa, fb)
	}
	if a.ended != b.ended {
		return fmt.Sprintf("ended %v, grammar %v", a.ended, b.ended)
	}
	names := []string{"Time", "Level", "PID", "Host", "Program", "Thread", "Component", "Source", "Message"}
	af, bf := a.fields(), b.fields()
	for k := range af {
		x, y := *af[k], *bf[k]
		if (x == nil) != (y == nil) || len(x) != len(y) || x != nil && cap(line)-cap(x) != cap(line)-cap(y) {
			return fmt.Sprintf("%s %q, grammar %q", names[k], x, y)
		}
	}
	return ""
}

// alwaysLayouts returns layouts that never pause (see trialLines): the
// layouts on every line.
func alwaysLayouts() *layouts {
	return &layouts{keep: true}
}

// checkStream feeds lines through one stream's layouts and compares each
// line's header with the grammar's. It returns the lines the layouts
// answered.
func checkStream(t testing.TB, lines [][]byte) uint64 {
	t.Helper()
	p := Parser{lay: alwaysLayouts()}
	for _, line := range lines {
		var a, b Header
		fa := p.header(line, &a)
		fb := Split(line, &b)
		if d := sameHeader(line, &a, &b, fa, fb); d != "" {
			t.Fatalf("line %q: fast path: %s", line, d)
		}
	}
	return p.lay.hits
}

// mutateDigits replaces about one digit in three of line by another digit:
// the lines of a layout, with other dates, counts and ids.
func mutateDigits(line []byte, rnd *rand.Rand) []byte {
	out := bytes.Clone(line)
	for i, c := range out {
		if isDigit(c) && rnd.IntN(3) == 0 {
			out[i] = byte('0' + rnd.IntN(10))
		}
	}
	return out
}

// Header parts of the generated lines (invented, in the shapes of common
// logs and of none in particular).
var (
	genTimes = []string{
		"240105 101500", "2024-01-05 10:15:00,123", "24/01/05 10:15:00", "[01.05 10:15:00]",
		"Jan  5 10:15:00", "Dec 31 23:59:59", "2024-01-05T10:15:00.123Z", "1704449700", "1704449700123",
		"2704449700", "1704449700.123", "[Fri Jan 05 10:15:00 2024]", "I0105 10:15:00.123456",
		"05-Jan-2024 10:15:00.463", "02 Jan 2024 10:15:00.000", "2024/01/05 10:15:00", "20240105 101500",
		"1904-01-05 10:15:00", "3004-01-05 10:15:00", "01-05 10:15:00.123", "2024.01.05", "- 1704449700 2024.01.05",
		"20240105-10:15:00:123|Steps|1001|", "10:15:00.123 UTC", "", "", "",
	}
	genMids = []string{
		"", "77", "1200  1300 I", "INFO", "WARN", "ERROR", "[INFO]", "INFO:", "info", "Error", "- INFO ", "|",
		"gw1 authd[4242]:", "authd[12]:", "[main]", "[pool-2 worker 7]", "[o.e.c.Service]", "(worker thread 3)",
		"R02-M1-N0 RAS KERNEL INFO", "node-7 unix.hw", "main.go:42]", "store.Writer$Flusher:", "svc.api -",
		"WARN[0012]", "LOG:", "sched.core", "000412", "web7", "tokio::net:", "pkg/file.go:42:", "12 34",
		"DEBUG [req-1 - -]", "<0.123.0>", "1.2.3.4", "-",
	}
	genWords = []string{
		"worker", "stalled", "after", "35ms", "Error", "reading", "config", "-", "INFO", "key=value", "a=1",
		"[x]", "(y)", "10.0.0.1:80", "/api/v1?page=2", "2024-01-05", "10:15:00", "Jan", "5", "2020", "UTC",
		"1704449700", "199", "203", "x:", "pkg.Class:", "[", "]", "((", "\t", "blk_-1608999687919862906",
	}
)

// genStream returns a stream of n lines: a few layouts built from the parts
// above, repeated with other digits and other messages.
func genStream(rnd *rand.Rand, n int) [][]byte {
	heads := make([]string, 1+rnd.IntN(4))
	for i := range heads {
		var sb strings.Builder
		sb.WriteString(genTimes[rnd.IntN(len(genTimes))])
		for k := rnd.IntN(3); k > 0; k-- {
			if sb.Len() > 0 {
				sb.WriteByte(' ')
			}
			sb.WriteString(genMids[rnd.IntN(len(genMids))])
		}
		heads[i] = sb.String()
	}
	lines := make([][]byte, n)
	for i := range lines {
		var sb strings.Builder
		sb.WriteString(heads[rnd.IntN(len(heads))])
		for k := rnd.IntN(7); k > 0; k-- {
			if rnd.IntN(4) > 0 || sb.Len() == 0 {
				sb.WriteByte(' ')
			}
			sb.WriteString(genWords[rnd.IntN(len(genWords))])
		}
		lines[i] = mutateDigits([]byte(sb.String()), rnd)
	}
	return lines
}

// TestFastMatchesGrammar: generated streams and the header cases, each
// line also with other digits.
func TestFastMatchesGrammar(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	var hits, lines uint64
	for s := 0; s < 400; s++ {
		st := genStream(rnd, 200)
		hits += checkStream(t, st)
		lines += uint64(len(st))
	}
	var cases [][]byte
	for round := 0; round < 50; round++ {
		for _, c := range headerCases {
			cases = append(cases, mutateDigits([]byte(c.line), rnd))
		}
	}
	hits += checkStream(t, cases)
	lines += uint64(len(cases))
	t.Logf("%d lines, %d headers from a layout", lines, hits)
	if hits < lines/10 {
		t.Fatalf("only %d of %d lines fit a layout: the fast path is not taken", hits, lines)
	}
}

// LogHub-like lines: the header shapes of the six LogHub sets, written
// here with invented values.
var loghubLike = []string{
	"081109 203615 148 INFO dfs.DataNode$PacketResponder: PacketResponder 1 for block blk_38865049064139660 terminating",
	"081109 203807 222 INFO dfs.DataNode$DataXceiver: Receiving block blk_-6952295868487656571 src: /10.251.126.5:41226 dest: /10.251.126.5:50010",
	"081109 204005 35 INFO dfs.FSNamesystem: BLOCK* NameSystem.addStoredBlock: blockMap updated: 10.251.73.220:50010 is added to blk_7128370237687728475 size 67108864",
	"2015-10-18 18:01:47,978 INFO [main] org.apache.hadoop.mapreduce.v2.app.MRAppMaster: Created MRAppMaster for application appattempt_1445144423722_0020_000001",
	"2015-10-18 18:01:52,406 WARN [RMCommunicator Allocator] org.apache.hadoop.ipc.Client: Address change detected. Old: msra-sa-41/10.190.173.170:9000",
	"Dec 10 06:55:46 LabSZ sshd[24200]: reverse mapping checking getaddrinfo for ns.marryaldkfaczcz.com [173.234.31.186] failed - POSSIBLE BREAK-IN ATTEMPT!",
	"Dec 10 09:32:20 LabSZ sshd[24680]: Accepted password for fztu from 119.137.62.142 port 49116 ssh2",
	"[10.30 16:49:06] chrome.exe - proxy.cse.cuhk.edu.hk:5070 open through proxy proxy.cse.cuhk.edu.hk:5070 HTTPS",
	"[10.30 16:49:07] chrome.exe *64 - www.google.com:443 close, 0 bytes sent, 0 bytes received, lifetime <1 sec",
	"17/06/09 20:10:40 INFO executor.CoarseGrainedExecutorBackend: Registered signal handlers for [TERM, HUP, INT]",
	"17/06/09 20:10:41 INFO spark.SecurityManager: Changing view acls to: yarn,curi",
	"2015-07-29 17:41:44,747 - INFO  [QuorumPeer[myid=1]/0:0:0:0:0:0:0:0:2181:FastLeaderElection@774] - Notification time out: 3200",
	"2015-07-29 19:04:12,394 - WARN  [RecvWorker:188978561024:QuorumCnxManager$RecvWorker@765] - Interrupting SendWorker",
	"- 1117838570 2005.06.03 R02-M1-N0-C:J12-U11 2005-06-03-15.42.50.675872 R02-M1-N0-C:J12-U11 RAS KERNEL INFO instruction cache parity error corrected",
	"I1121 10:00:00.123456       1 main.go:42] Starting controller name=x",
	"2024-01-05T10:15:00.123Z level=info msg=\"x\" user=u",
}

func TestFastMatchesGrammarLogHubLike(t *testing.T) {
	rnd := rand.New(rand.NewPCG(3, 4))
	var lines [][]byte
	for i := 0; i < 20000; i++ {
		l := []byte(loghubLike[rnd.IntN(len(loghubLike))])
		if i%8 == 0 {
			l = mutateDigits(l, rnd) // first digits too: other classes
		} else {
			l = mutateClock(l, rnd)
		}
		lines = append(lines, l)
	}
	hits := checkStream(t, lines)
	t.Logf("%d lines, %d headers from a layout", len(lines), hits)
	if hits < uint64(len(lines))/2 {
		t.Fatalf("only %d of %d lines fit a layout", hits, len(lines))
	}
}

// TestFastParserMatches: a stream's Parser with and without its layouts
// makes the same records (the header model and the fields after the
// header included).
func TestFastParserMatches(t *testing.T) {
	rnd := rand.New(rand.NewPCG(5, 6))
	for s := 0; s < 100; s++ {
		fast, full := NewParser(2024), NewParser(2024)
		full.lay = nil
		st := genStream(rnd, 200)
		if s%2 == 0 {
			st = st[:0]
			for i := 0; i < 200; i++ {
				st = append(st, mutateDigits([]byte(loghubLike[rnd.IntN(len(loghubLike))]), rnd))
			}
		}
		var a, b logparse.Record
		for _, line := range st {
			a.Reset()
			b.Reset()
			fast.Parse(line, &a)
			full.Parse(line, &b)
			if d := diffRecords(&a, &b); d != "" {
				t.Fatalf("stream %d, line %q: %s", s, line, d)
			}
			if fast.Extended() != full.Extended() || !bytes.Equal(fast.Unextended(), full.Unextended()) || fast.Layout() != full.Layout() {
				t.Fatalf("stream %d, line %q: model state differs", s, line)
			}
		}
	}
}

func diffRecords(a, b *logparse.Record) string {
	if a.Format != b.Format || !bytes.Equal(a.Message, b.Message) || (a.Message == nil) != (b.Message == nil) ||
		!bytes.Equal(a.Level, b.Level) || a.TS != b.TS || a.TSLayout != b.TSLayout || !bytes.Equal(a.Body, b.Body) {
		return fmt.Sprintf("record %q %q %d %s, grammar %q %q %d %s", a.Message, a.Level, a.TS, a.TSLayout, b.Message, b.Level, b.TS, b.TSLayout)
	}
	if len(a.Fields) != len(b.Fields) {
		return fmt.Sprintf("fields %v, grammar %v", fieldList(a.Fields), fieldList(b.Fields))
	}
	for i := range a.Fields {
		x, y := a.Fields[i], b.Fields[i]
		if !bytes.Equal(x.Key, y.Key) || !bytes.Equal(x.Value, y.Value) || x.Type != y.Type {
			return fmt.Sprintf("fields %v, grammar %v", fieldList(a.Fields), fieldList(b.Fields))
		}
	}
	return ""
}

func fieldList(fs []event.Field) []string {
	var out []string
	for _, f := range fs {
		out = append(out, fmt.Sprintf("%s=%q", f.Key, f.Value))
	}
	return out
}

// FuzzFastMatchesGrammar: the lines of the input (split at '\n'), each
// followed by copies with other digits, through one stream's layouts.
func FuzzFastMatchesGrammar(f *testing.F) {
	for _, c := range headerCases {
		f.Add(c.line, uint64(1))
	}
	for _, l := range loghubLike {
		f.Add(l+"\n"+l, uint64(2))
	}
	f.Add("1904 a\n2004 a\n1704449700 x\n2704449700 x", uint64(3))
	f.Add("[[[[\n] ] ]:\n2024-01-05 |a|b|", uint64(4))
	f.Fuzz(func(t *testing.T, in string, seed uint64) {
		rnd := rand.New(rand.NewPCG(seed, seed>>1))
		var lines [][]byte
		for _, l := range strings.Split(in, "\n") {
			lines = append(lines, []byte(l))
			for k := 0; k < 3; k++ {
				lines = append(lines, mutateDigits([]byte(l), rnd))
			}
		}
		checkStream(t, lines)
	})
}

// TestFastNoAllocs: a stream's Parser allocates nothing per line once its
// layouts are known.
func TestFastNoAllocs(t *testing.T) {
	lines := make([][]byte, len(loghubLike))
	for i, l := range loghubLike {
		lines[i] = []byte(l)
	}
	p := NewParser(2024)
	var r logparse.Record
	for _, l := range lines {
		r.Reset()
		p.Parse(l, &r)
	}
	i := 0
	allocs := testing.AllocsPerRun(200, func() {
		r.Reset()
		p.Parse(lines[i%len(lines)], &r)
		i++
	})
	if allocs != 0 {
		t.Fatalf("Parse allocates %v per line", allocs)
	}
}

// mutateClock is mutateDigits off the start of words: the lines of a
// stream whose clocks tick and counts change, not their first digits.
func mutateClock(line []byte, rnd *rand.Rand) []byte {
	out := bytes.Clone(line)
	for i, c := range out {
		if i >= 2 && isDigit(c) && isDigit(out[i-1]) && isDigit(out[i-2]) && rnd.IntN(2) == 0 {
			out[i] = byte('0' + rnd.IntN(10))
		}
	}
	return out
}

// BenchmarkHeader: a stream's header as Parser finds it (fast: the
// layouts, paused where they seldom fit), through its layouts on every
// line (layouts) and through the grammar on every line (grammar), on LogHub-like lines whose
// clocks and counts change (stream) and on lines whose every digit may
// change (mixed: few lines repeat a layout, the layouts pause).
func BenchmarkHeader(b *testing.B) {
	for _, in := range []string{"stream", "mixed"} {
		rnd := rand.New(rand.NewPCG(7, 8))
		lines := make([][]byte, 4096)
		size := 0
		for i := range lines {
			l := []byte(loghubLike[rnd.IntN(len(loghubLike)-2)])
			if in == "stream" {
				lines[i] = mutateClock(l, rnd)
			} else {
				lines[i] = mutateDigits(l, rnd)
			}
			size += len(lines[i])
		}
		for _, mode := range []string{"fast", "layouts", "grammar"} {
			b.Run(in+"/"+mode, func(b *testing.B) {
				p := Parser{}
				if mode == "fast" {
					p.lay = &layouts{}
				}
				if mode == "layouts" {
					p.lay = alwaysLayouts()
				}
				b.SetBytes(int64(size / len(lines)))
				b.ReportAllocs()
				var h Header
				i := 0
				for b.Loop() {
					p.header(lines[i%len(lines)], &h)
					i++
				}
			})
		}
	}
}
