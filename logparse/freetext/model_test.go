package freetext

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gopulse/gopulse/event"
	"github.com/gopulse/gopulse/logparse"
)

// parseAll runs one stream's lines through a NewParser and returns each
// record's message and fields (as "k=v" strings).
func parseAll(t testing.TB, lines []string) (msgs []string, fields [][]string, ts []int64) {
	p := NewParser(2024)
	var r logparse.Record
	for _, l := range lines {
		r.Reset()
		if err := p.Parse([]byte(l), &r); err != nil {
			t.Fatal(err)
		}
		msgs = append(msgs, string(r.Message))
		var f []string
		for _, x := range r.Fields {
			f = append(f, string(x.Key)+"="+string(x.Value))
		}
		fields = append(fields, f)
		ts = append(ts, r.TS)
	}
	return msgs, fields, ts
}

func TestModelRecordIDFirst(t *testing.T) {
	var lines []string
	for i, m := range []string{"ready to serve", "node 4 went away", "3 jobs requeued", "ready to serve", "scheduler started"} {
		lines = append(lines, fmt.Sprintf("%06d node-%d sched.core boot.ok %d %d %s", 412+i, i%3, 1700000000+i, i%2, m))
	}
	msgs, fields, ts := parseAll(t, lines)
	for i := 2; i < len(lines); i++ { // from minLines on
		want := strings.SplitN(lines[i], " ", 7)[6]
		if msgs[i] != want {
			t.Errorf("line %d: message %q, want %q (fields %v)", i, msgs[i], want, fields[i])
		}
		if ts[i] != int64(1700000000+i)*1e9 {
			t.Errorf("line %d: ts %d", i, ts[i])
		}
	}
	if got := strings.Join(fields[4], " "); got != "id=000416 host=node-1 component=sched.core category=boot.ok time=1700000004 pid=0" {
		t.Errorf("fields %s", got)
	}
}

func TestModelHostAndBracketFirst(t *testing.T) {
	var lines []string
	for i, m := range []string{"connection accepted", "connection closed", "config reloaded", "connection accepted"} {
		lines = append(lines, fmt.Sprintf("web-%d [worker-%d] <0.%d.0> %s", i%2, i, 100+i, m))
	}
	msgs, fields, _ := parseAll(t, lines)
	if msgs[3] != "connection accepted" || strings.Join(fields[3], " ") != "host=web-1 thread=worker-3 context=0.103.0" {
		t.Errorf("got %q %v", msgs[3], fields[3])
	}
}

// TestModelLeavesMessagesAlone: words, numbers or names that only some
// messages start with are no header.
func TestModelLeavesMessagesAlone(t *testing.T) {
	lines := []string{
		"2024-01-05 10:15:00 INFO svc.A: web-1 joined the pool",
		"2024-01-05 10:15:01 INFO svc.A: 3 pods evicted",
		"2024-01-05 10:15:02 INFO svc.A: cache warmed",
		"2024-01-05 10:15:03 INFO svc.A: web-2 joined the pool",
		"2024-01-05 10:15:04 INFO svc.A: shutting down",
	}
	msgs, _, _ := parseAll(t, lines)
	for i, l := range lines {
		if want := l[strings.Index(l, ": ")+2:]; msgs[i] != want {
			t.Errorf("line %d: message %q, want %q", i, msgs[i], want)
		}
	}
}

// TestModelColumnOfNamesAndWords: a component column holds upper-case
// words on some lines and names with a digit or a dash on others; it is
// one header field with one key on every line.
func TestModelColumnOfNamesAndWords(t *testing.T) {
	comps := []string{"DISK", "NET", "K8S", "API-", "DISK", "V2", "NET", "DISK", "GC", "K8S"}
	texts := []string{"volume mounted", "link is up", "pod evicted", "request served", "volume full"}
	var lines []string
	for i, c := range comps {
		lines = append(lines, fmt.Sprintf("2024-01-05 10:15:%02d, Info                  %-7s%s", i, c, texts[i%len(texts)]))
	}
	msgs, fields, _ := parseAll(t, lines)
	for i := 3; i < len(lines); i++ {
		if want := texts[i%len(texts)]; msgs[i] != want {
			t.Errorf("line %d: message %q, want %q (fields %v)", i, msgs[i], want, fields[i])
		}
		if want := "category=" + comps[i]; fields[i][len(fields[i])-1] != want {
			t.Errorf("line %d: fields %v, want %s last", i, fields[i], want)
		}
	}
}

// TestModelSecondLevelStaysInMessage: a bracketed level opening the
// message of a line whose header has its level ("[ERR] memq: …", a
// library's own prefix) is the message's, however many lines carry one,
// and the record has one level key.
func TestModelSecondLevelStaysInMessage(t *testing.T) {
	var lines []string
	for i := 0; i < 12; i++ {
		lv := []string{"[INFO]", "[ERR]", "[WARN]"}[i%3]
		lines = append(lines, fmt.Sprintf("1704449700.%03d node-%d INFO %s memq: queue %d drained", i, i%2, lv, i))
	}
	msgs, fields, ts := parseAll(t, lines)
	for i, l := range lines {
		if want := l[strings.Index(l, "INFO ")+5:]; msgs[i] != want {
			t.Errorf("line %d: message %q, want %q (fields %v)", i, msgs[i], want, fields[i])
		}
		if got := strings.Join(fields[i], " "); strings.Count(got, "level=") != 1 || strings.Contains(got, "thread=") {
			t.Errorf("line %d: fields %s", i, got)
		}
		if ts[i] != 1704449700e9+int64(i)*1e6 {
			t.Errorf("line %d: ts %d", i, ts[i])
		}
	}
}

// TestModelStopsAtClosedHeader: a header that closes with a mark of its
// own (here a lone dash) is all the header there is: the model takes no
// bracketed or tagged opener of the message, however many lines have one.
func TestModelStopsAtClosedHeader(t *testing.T) {
	var lines []string
	for i := 0; i < 20; i++ {
		op := []string{"[cache]", "[cache ads]", "[linear]"}[i%3]
		lines = append(lines, fmt.Sprintf("2024-01-05 10:15:%02d,000 - sync - INFO - %s watch %d opened", i, op, i))
	}
	msgs, fields, _ := parseAll(t, lines)
	for i, l := range lines {
		if want := l[strings.Index(l, "INFO - ")+7:]; msgs[i] != want {
			t.Errorf("line %d: message %q, want %q (fields %v)", i, msgs[i], want, fields[i])
		}
	}
}

func TestLevelWordsStayInMessages(t *testing.T) {
	msgs, fields, _ := parseAll(t, []string{"Error reading config file", "Warning signs ahead", "ERROR disk full", "[warn] low memory"})
	if msgs[0] != "Error reading config file" || msgs[1] != "Warning signs ahead" || len(fields[0]) != 0 {
		t.Errorf("capitalised words taken for levels: %q %q %v", msgs[0], msgs[1], fields[0])
	}
	if msgs[2] != "disk full" || msgs[3] != "low memory" {
		t.Errorf("levels not found: %q %q", msgs[2], msgs[3])
	}
}

func TestPythonBasic(t *testing.T) {
	msgs, fields, _ := parseAll(t, []string{"WARNING:kind.runtime:using podman due to KIND_EXPERIMENTAL_PROVIDER"})
	if msgs[0] != "using podman due to KIND_EXPERIMENTAL_PROVIDER" || strings.Join(fields[0], " ") != "level=WARNING component=kind.runtime" {
		t.Errorf("%q %v", msgs[0], fields[0])
	}
}

func TestTimeLayoutsParsed(t *testing.T) {
	for _, l := range []string{
		"081109 203615 148 INFO dfs.DataNode: done",
		"17/06/09 20:10:40 INFO spark.SecurityManager: done",
		"2016-09-28 04:30:30, Info                  CBS    done",
		"2015-10-18 18:01:47,978 INFO [main] org.Foo: done",
		"- 1117838570 2005.06.03 R02-M1-N0 RAS KERNEL INFO done",
		"Dec 10 06:55:46 LabSZ sshd[24200]: done",
		"03-17 16:13:38.811  1702  2395 D WindowManager: done",
		"05-Jan-2024 10:15:00.123 INFO [main] org.acme.Pool.start done",
		"2024-01-05 10:15:00.1234|INFO|Acme.Store|done",
		"1704449700.123 db-7 INFO done",
		"[WARN] 2024-01-05 10:15:00.000 [main] done",
		"ERROR [flush-3] 2024-01-05 10:15:00,123 done",
		"812:S 05 Jan 2024 10:15:00.123 * done",
		"edge-3 2024-01-05T10:15:00Z ERROR done",
	} {
		_, fields, ts := parseAll(t, []string{l})
		if ts[0] == 0 {
			t.Errorf("%q: no ts (fields %v)", l, fields[0])
		}
	}
}

// FuzzModel feeds lines to one stream's parser: the message is always the
// end of the line, every field value a part of it, and nothing panics.
func FuzzModel(f *testing.F) {
	f.Add("000412 node-7 sched.core ready 1700000000 1 msg\n000413 node-3 sched.core ready 1700000001 0 other msg\n000414 node-7 sched.core ready 1700000002 1 x")
	f.Add("web-1 [w-1] <0.1.0> a\nweb-2 [w-2] <0.2.0> b\nweb-3 [w-3] <0.3.0> c\nweb-4 [w-4] <0.4.0>")
	f.Add("2024-01-05 10:15:00 INFO a: b\n- 1117838570 2005.06.03 x\n17/06/09 20:10:40 y\n\n[ ] :\n|||")
	f.Add("2024-03-10T13:55:07.123Z\tINFO\traft\tstarted\t{\"a\": 1}\n2024-03-10T13:55:07.123Z\tWARN\tslow\nx\ty\tz")
	f.Add("13:55:07.123 request_id=F7a9 pid=<0.412.0> [info] ok\n[2024-03-10T13:55:07.123Z]  INFO: app/12 on web-1: up (a=1, b=\"x y\")")
	f.Fuzz(func(t *testing.T, s string) {
		p := NewParser(2024)
		var r logparse.Record
		for _, l := range strings.Split(s, "\n") {
			r.Reset()
			line := []byte(l)
			if err := p.Parse(line, &r); err != nil {
				t.Fatal(err)
			}
			if !bytes.HasSuffix(line, r.Message) {
				// only a group of pairs after it: "msg (k=v, k2=v2)"
				ok := false
				for k := bytes.LastIndex(line, []byte(" (")); k >= 0 && !ok; k = bytes.LastIndex(line[:k], []byte(" (")) {
					ok = bytes.HasSuffix(line[:k], r.Message) && bytes.HasSuffix(line, []byte(")"))
				}
				if !ok {
					t.Fatalf("message %q is not the end of %q", r.Message, l)
				}
			}
			for _, x := range r.Fields {
				if len(x.Value) > 0 && !bytes.Contains(line, x.Value) {
					t.Fatalf("field %s=%q not in %q", x.Key, x.Value, l)
				}
			}
			if rest, n := p.Rehead(r.Message); n > 0 && !bytes.HasSuffix(r.Message, rest) {
				t.Fatalf("Rehead %q of %q", rest, r.Message)
			}
		}
	})
}

// A component column found over a settled window stays the stream's
// header while a run of lines whose grammar header took a field more
// (here "CMD    - port: 80": the component and a dash) leaves the column
// on fewer than nine lines in ten: every line with the column keeps it
// out of its message, so no line is read with another layout than its
// neighbours.
func TestModelHoldsSettledLayout(t *testing.T) {
	comps := []string{"XDSC", "TRAN", "GOOG", "MAIN", "STAT"}
	var lines []string
	for i := 0; i < 200; i++ {
		ts := fmt.Sprintf("2024-08-03 12:%02d:%02d, Info                  ", i/60%60, i%60)
		if i >= 100 && i%7 == 0 {
			lines = append(lines, ts+"WORK    - port: 443")
			continue
		}
		lines = append(lines, ts+comps[i%len(comps)]+"   Attempt to subscribe to a resource of type Lease")
	}
	msgs, _, _ := parseAll(t, lines)
	for i, m := range msgs {
		if i >= 40 && strings.Contains(lines[i], "Attempt") && m != "Attempt to subscribe to a resource of type Lease" {
			t.Fatalf("line %d %q: message %q", i+1, lines[i], m)
		}
	}
}

// TestYearInference: year-less times take the parser's year, move on a
// year when the stream crosses a new year, and take the year before when
// they would lie in the future of the moment the stream was opened.
func TestYearInference(t *testing.T) {
	_, _, ts := parseAll(t, []string{
		"Dec 31 23:59:58 gw1 cron[4]: tick",
		"Jan  1 00:00:02 gw1 cron[4]: tick",
		"Jan  1 00:00:03 gw1 cron[4]: tick",
	}) // parseAll's parser has year 2024
	want := []time.Time{
		time.Date(2024, 12, 31, 23, 59, 58, 0, time.UTC),
		time.Date(2025, 1, 1, 0, 0, 2, 0, time.UTC),
		time.Date(2025, 1, 1, 0, 0, 3, 0, time.UTC),
	}
	for i := range want {
		if ts[i] != want[i].UnixNano() {
			t.Errorf("line %d: ts %s, want %s", i, time.Unix(0, ts[i]).UTC(), want[i])
		}
	}

	now := time.Now().UTC()
	if now.Month() == time.December && now.Day() > 20 || now.Month() == time.January && now.Day() < 3 {
		t.Skip("the future check is tested away from a new year")
	}
	ahead := now.Add(72 * time.Hour)
	p := NewParser(now.Year())
	var r logparse.Record
	if err := p.Parse([]byte(ahead.Format(time.Stamp)+" gw1 cron[4]: tick"), &r); err != nil {
		t.Fatal(err)
	}
	if got := time.Unix(0, r.TS).UTC(); got.Year() != now.Year()-1 || got.Month() != ahead.Month() || got.Day() != ahead.Day() {
		t.Errorf("a time three days ahead read as %s, want it in %d", got, now.Year()-1)
	}
}

// TestModelComposedColumns: a header of columns no grammar rule names —
// a level spelled in lower case, a bracketed pid, a thread of plain words
// and names closed by a separator column, a time after them — is found by
// the shapes of its columns alone, each field typed, one key per column.
func TestModelComposedColumns(t *testing.T) {
	threads := []string{"main", "worker-1", "pool-2-thread-1", "main", "io"}
	texts := []string{"volume mounted on /data", "link is up", "pod evicted after 3 retries", "request served", "volume full"}
	lvls := []string{"info", "warn", "error", "info", "debug"}
	var lines []string
	for i := 0; i < 12; i++ {
		lines = append(lines, fmt.Sprintf("%s (%d) %-16s :: [2024-01-05 10:15:%02d.%03d] %s", lvls[i%5], 4000+i%3, threads[i%5], i, i, texts[i%5]))
	}
	msgs, fields, ts := parseAll(t, lines)
	for i := 3; i < len(lines); i++ {
		if want := texts[i%5]; msgs[i] != want {
			t.Errorf("line %d: message %q, want %q (fields %v)", i, msgs[i], want, fields[i])
		}
		want := fmt.Sprintf("level=%s pid=%d component=%s time=2024-01-05 10:15:%02d.%03d", lvls[i%5], 4000+i%3, threads[i%5], i, i)
		if got := strings.Join(fields[i], " "); got != want {
			t.Errorf("line %d: fields %s, want %s", i, got, want)
		}
		if wantTS := time.Date(2024, 1, 5, 10, 15, i, i*1e6, time.UTC).UnixNano(); ts[i] != wantTS {
			t.Errorf("line %d: ts %d, want %d", i, ts[i], wantTS)
		}
	}
}

// TestModelLevelColumnAnySpelling: a column of single-letter levels is the
// record's level; the same letters opening some messages only are not.
func TestModelLevelColumnAnySpelling(t *testing.T) {
	var lines []string
	for i := 0; i < 10; i++ {
		m := []string{"I am message", "message", "E is a letter", "message", "I quit message"}[i%5]
		lines = append(lines, fmt.Sprintf("web-%d %s %s %d", i%2, []string{"I", "W", "E", "D", "I"}[i%5], m, i))
	}
	msgs, fields, _ := parseAll(t, lines)
	for i := 3; i < len(lines); i++ {
		if want := lines[i][8:]; msgs[i] != want {
			t.Errorf("line %d: message %q, want %q (fields %v)", i, msgs[i], want, fields[i])
		}
	}
	lines = lines[:0]
	for i := 0; i < 10; i++ {
		m := []string{"I am here", "starting", "I see it", "done", "I quit"}[i%5]
		lines = append(lines, fmt.Sprintf("2024-01-05 10:15:%02d web-%d %s", i, i%2, m))
	}
	msgs, _, _ = parseAll(t, lines)
	for i, l := range lines[3:] {
		if want := l[strings.Index(l, "web-")+6:]; msgs[i+3] != want {
			t.Errorf("line %d: message %q, want %q", i, msgs[i], want)
		}
	}
}

// TestClockTimes: a time of day alone is put on the stream's reading day,
// one day later each time the times fall back by more than twelve hours.
func TestClockTimes(t *testing.T) {
	day0 := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC).UnixNano()
	p := Parser{Year: 2026, m: &model{}, o: &logparse.DateOrder{}, last: new(int), pre: new([]byte), y: &years{}, d: &days{day: day0}}
	var r logparse.Record
	for i, c := range []struct {
		line string
		ts   time.Time
	}{
		{"23:59:58.120 INFO [main] o.e.App - started", time.Date(2026, 5, 1, 23, 59, 58, 120e6, time.UTC)},
		{"23:59:59,5 WARN [main] o.e.App - slow", time.Date(2026, 5, 1, 23, 59, 59, 500e6, time.UTC)},
		{"00:00:01.000 INFO [main] o.e.App - tick", time.Date(2026, 5, 2, 0, 0, 1, 0, time.UTC)},
		{"00:00:00.900 INFO [main] o.e.App - late", time.Date(2026, 5, 2, 0, 0, 0, 900e6, time.UTC)},
		{"11:00:00 INFO [main] o.e.App - noon", time.Date(2026, 5, 2, 11, 0, 0, 0, time.UTC)},
	} {
		r.Reset()
		if err := p.Parse([]byte(c.line), &r); err != nil {
			t.Fatal(err)
		}
		if r.TS != c.ts.UnixNano() || r.TSLayout != LayoutClock {
			t.Errorf("line %d: ts %v (%s), want %v", i, time.Unix(0, r.TS).UTC(), r.TSLayout, c.ts)
		}
	}
	// a Parser for a past year has no reading day: no ts
	q := NewParser(2019)
	r.Reset()
	_ = q.Parse([]byte("10:00:00.000 INFO x"), &r)
	if r.TS != 0 {
		t.Errorf("ts %d for a past year's stream", r.TS)
	}
}

// TestModelNoAllocs: a stream's parser with its header model allocates
// nothing per line once its layout settled, whatever columns it takes.
func TestModelNoAllocs(t *testing.T) {
	for _, line := range []string{
		"info (4001) worker-1         :: [2024-01-05 10:15:03.120] volume mounted on /data",
		"web-7 W #4242 <main> {grpc} 12:00:01,250 link is up",
		"13:55:07.123 WARN  [org.x.Cat] (pool 3) queue drained",
		"2024-03-10T13:55:07.123Z\tINFO\traft.transport\tpeer 7 connected\t{\"peer\": 7}",
		"13:55:07.123 request_id=F7a9c2e1b04d pid=<0.412.0> [info] queue drained",
		"[2024-03-10T13:55:07.123Z]  INFO: myapp/1234 on web-1: request served (req_id=7, path=/x)",
	} {
		p := NewParser(time.Now().Year())
		var r logparse.Record
		b := []byte(line)
		for i := 0; i < 100; i++ {
			r.Reset()
			_ = p.Parse(b, &r)
		}
		if a := testing.AllocsPerRun(200, func() {
			r.Reset()
			_ = p.Parse(b, &r)
		}); a != 0 {
			t.Errorf("%q: %.1f allocs per line", line, a)
		}
	}
}

// TestModelPaddedColumn: a column padded to its width (two blanks or more
// after it on nearly every line) closes the header whatever its tokens
// look like: "main" and "pool-2-thread-1" alike, one key.
func TestModelPaddedColumn(t *testing.T) {
	threads := []string{"main", "worker-1", "pool-2-thread-1", "main", "io"}
	texts := []string{"volume mounted on /data", "link is up", "pod evicted after 3 retries", "request served", "volume full"}
	var lines []string
	for i := 0; i < 12; i++ {
		lines = append(lines, fmt.Sprintf("2024-01-05T10:15:%02dZ [%d] ERROR %-20s %s", i, 4000+i, threads[i%5], texts[i%5]))
	}
	msgs, fields, _ := parseAll(t, lines)
	for i := 3; i < len(lines); i++ {
		if want := texts[i%5]; msgs[i] != want {
			t.Errorf("line %d: message %q, want %q (fields %v)", i, msgs[i], want, fields[i])
		}
		if want := "component=" + threads[i%5]; fields[i][len(fields[i])-1] != want {
			t.Errorf("line %d: fields %v, want %s last", i, fields[i], want)
		}
	}
}

// TestSeparatorRunsAndBracketedFields: separators of any punctuation run,
// a bracketed word before the level, a pid:tid (no time), and a bracketed
// level opening the message after a header's own level.
func TestSeparatorRunsAndBracketedFields(t *testing.T) {
	var lines []string
	for i, th := range []string{"worker-2", "main", "main", "pool-2-thread-1", "main", "io", "main", "worker-1"} {
		lines = append(lines, fmt.Sprintf("[2024-06-08 23:06:0%d,413] >> {%s} >> WARN  Error reading config %d", i, th, i))
	}
	msgs, fields, _ := parseAll(t, lines)
	for i := 3; i < len(lines); i++ {
		if want := fmt.Sprintf("Error reading config %d", i); msgs[i] != want {
			t.Errorf("line %d: message %q, want %q (fields %v)", i, msgs[i], want, fields[i])
		}
	}
	var h Header
	Split([]byte("2024-05-13 03:42:49.827 --- 49153 --- INFO --- web.example.com [INFO] serf: Received query"), &h)
	if string(h.Level) != "INFO" || len(h.Thread) != 0 {
		t.Errorf("level %q thread %q message %q", h.Level, h.Thread, h.Message)
	}
	if isTimeText([]byte("1299:5"), true) || !isTimeText([]byte("12:05"), true) {
		t.Error("a pid:tid read as a time, or a clock not")
	}
}

// journalctl -o short-monotonic: "[seconds.micros] host identifier[pid]:
// message". The grammar knows no monotonic clock, so the model takes the
// header; the identifier with its pid is a tag, the header's last field,
// read as program and pid, and the message's first word stays the
// message's ("postgres deleted.").
func TestModelIdentifierWithPid(t *testing.T) {
	var lines []string
	progs := []string{"restmapper", "events", "record", "mts", "tailscaled"}
	for i, m := range []string{"Invalidating discovery information", "Unable to write event", "Unable to write event", "postgres deleted.", "portlist: can't run lsof", "auth_suxi deleted."} {
		lines = append(lines, fmt.Sprintf("[%d.%06d] ip-10-0-%d-33.ec2.internal %s[%d]: %s", 10280771+i, 214022+i, i, progs[i%len(progs)], 48479, m))
	}
	msgs, fields, _ := parseAll(t, lines)
	for i := 2; i < len(lines); i++ { // from minLines on
		want := lines[i][strings.Index(lines[i], "]: ")+3:]
		if msgs[i] != want {
			t.Errorf("line %d: message %q, want %q (fields %v)", i, msgs[i], want, fields[i])
		}
	}
	if got := strings.Join(fields[3], " "); !strings.Contains(got, "host=ip-10-0-3-33.ec2.internal") || !strings.Contains(got, "program=mts pid=48479") {
		t.Errorf("fields %s", got)
	}
	// a tag without a pid stays what it was: "comp:" a component
	if shapeOf([]byte("restmapper[48479]:")) != shTag || shapeOf([]byte("x[1]:")) != shNone || shapeOf([]byte("restmapper[ab]:")) != shNone {
		t.Error("shapes of identifiers")
	}
}

// TestUptimeColumn: seconds since boot, bracketed and padded inside the
// brackets as journalctl -o short-monotonic and dmesg write them
// ("[    5.123456]", "[724107.123701]"), are a float field uptime: not a
// thread (nor a time: no wall clock).
func TestUptimeColumn(t *testing.T) {
	texts := []string{"Started Journal Service.", "Server listening on 0.0.0.0 port 22.", "link is up", "Reached target Basic System."}
	var lines, ups []string
	for i := 0; i < 40; i++ {
		up := fmt.Sprintf("%d.%06d", i*i*977, i*7919%1000000)
		lines = append(lines, fmt.Sprintf("[%12s] node-7 unit-%d: %s", up, i%3, texts[i%4]))
		ups = append(ups, up)
	}
	p := NewParser(2024)
	var r logparse.Record
	for i, l := range lines {
		r.Reset()
		if err := p.Parse([]byte(l), &r); err != nil {
			t.Fatal(err)
		}
		if i < minLines {
			continue
		}
		v, ok := r.Get(KeyUptime)
		if !ok || string(v) != ups[i] {
			t.Errorf("line %q: uptime %q (%v), want %q; fields %v", l, v, ok, ups[i], r.Fields)
			continue
		}
		for _, f := range r.Fields {
			if string(f.Key) == KeyUptime && f.Type != event.TypeFloat {
				t.Errorf("line %q: uptime typed %v, want float", l, f.Type)
			}
			if string(f.Key) == KeyThread || string(f.Key) == KeyTime {
				t.Errorf("line %q: %s=%q, want none", l, f.Key, f.Value)
			}
		}
		if r.TS != 0 {
			t.Errorf("line %q: ts %d from seconds since boot", l, r.TS)
		}
	}
}

// TestUptimeHostProgram: after seconds since boot, journalctl -o
// short-monotonic writes the host and the syslog identifier, with or
// without a pid ("[    5.123456] myhost systemd[1]: …", "… myhost
// kernel: …"): host and program, whatever the host's spelling (a plain
// word has no shape of its own).
func TestUptimeHostProgram(t *testing.T) {
	var lines []string
	want := []struct{ prog, pid, msg string }{{"kernel", "", "ACPI: Core revision 20220331"}, {"systemd", "1", "Started Journal Service."}, {"sshd", "812", "Server listening on 0.0.0.0 port 22."}}
	for i := 0; i < 30; i++ {
		w := want[i%3]
		id := w.prog + ":"
		if w.pid != "" {
			id = w.prog + "[" + w.pid + "]:"
		}
		lines = append(lines, fmt.Sprintf("[%12s] raspberrypi %s %s", fmt.Sprintf("%d.%06d", i*37, i*7919%1000000), id, w.msg))
	}
	msgs, fields, _ := parseAll(t, lines)
	for i := minLines; i < len(lines); i++ { // once the model has lines
		w := want[i%3]
		if msgs[i] != w.msg {
			t.Errorf("line %q: message %q, want %q (fields %v)", lines[i], msgs[i], w.msg, fields[i])
		}
		for _, f := range []string{"host=raspberrypi", "program=" + w.prog} {
			if !slices.Contains(fields[i], f) {
				t.Errorf("line %q: no %s in fields %v", lines[i], f, fields[i])
			}
		}
	}
}

// TestModelAnyMarks: a layout's separators and brackets are a type of
// their own whatever marks it chose (isMarkRun, groupMarks), and a
// bracketed group holding blanks is one column (groupEnd).
func TestModelAnyMarks(t *testing.T) {
	for _, c := range []struct {
		tok  string
		mark bool
	}{{"/", true}, {";", true}, {"·", true}, {"¦", true}, {"»", true}, {"~>", true}, {"-", true}, {"a/", false}, {"é", false}, {"(", false}, {"...", false}, {"////", false}, {"", false}} {
		if got := shapeOf([]byte(c.tok)) == shDash; got != c.mark {
			t.Errorf("separator %q: %v", c.tok, got)
		}
	}
	for _, c := range []struct {
		tok  string
		o, c int
	}{{"[main]", 1, 1}, {"<<id>>", 2, 2}, {"|main|", 1, 1}, {"«main»", 2, 2}, {"⟨web7⟩", 3, 3}, {"【LOG】", 3, 3}, {"«»", 0, 0}, {"|", 0, 0}, {"«main", 0, 0}, {"main", 0, 0}} {
		if o, cl := groupMarks([]byte(c.tok)); o != c.o || cl != c.c {
			t.Errorf("groupMarks(%q) = %d, %d; want %d, %d", c.tok, o, cl, c.o, c.c)
		}
	}
	for _, c := range []struct{ line, tok string }{
		{"«Background Worker 3» msg", "«Background Worker 3»"},
		{"<GC Thread#7> msg", "<GC Thread#7>"},
		{"|pool 4 thread 5| msg", "|pool 4 thread 5|"},
		{"{user: acme} msg", "{user: acme}"},
		{"⟨Signal Dispatcher⟩: msg", "⟨Signal Dispatcher⟩:"},
		{"<nil> is not > 3", "<nil>"},            // a group of its own
		{"| main | msg", "|"},                    // a separator, no group
		{"<- sent to peer> x", "<-"},             // an arrow opens no group
		{"«a b»c d", "«a"},                       // no blank after the closing mark
		{"{\"k\": 1, \"v\": 2} rest", "{\"k\":"}, // a quoted text is content
	} {
		s, e := scanToken([]byte(c.line), 0)
		if got := c.line[s:e]; got != c.tok {
			t.Errorf("scanToken(%q) = %q, want %q", c.line, got, c.tok)
		}
	}
}

// TestModelWildHeader: a header of columns no shape names, in brackets and
// separators of any kind, a multi-word name in one bracketed column, and a
// column written on some lines only (the host), whose separator is the
// layout's: every line's message is its own.
func TestModelWildHeader(t *testing.T) {
	msgs := []string{"connection accepted", "config reloaded from disk", "worker 7 stopped", "connection closed by peer"}
	names := []string{"main", "Background Worker 3", "GC Thread#2", "pool 4 thread 11"}
	var lines, want []string
	for i := 0; i < 80; i++ {
		host := ""
		if i%3 == 0 {
			host = fmt.Sprintf(" · ⟨node%02d.rack3⟩", i%7)
		}
		m := msgs[i*7%len(msgs)]
		lines = append(lines, fmt.Sprintf("«2024-03-10T13:55:%02d» · 【%08x】 · «%s» · info%s » %s", i%60, i*2654435761, names[i%len(names)], host, m))
		want = append(want, m)
	}
	got, fields, _ := parseAll(t, lines)
	for i := 8; i < len(lines); i++ {
		if got[i] != want[i] {
			t.Errorf("line %d %q: message %q, want %q (fields %v)", i, lines[i], got[i], want[i], fields[i])
		}
	}
}

// TestModelNameOfWordsBetweenSeparators: a column holding a name of one to
// three words ("main", "Signal Dispatcher", "pool 4 thread 11") between
// the layout's separators is one header field, so the messages after it
// keep their words and the columns after it keep their positions; a
// message's words before a separator of its own stay the message's.
func TestModelNameOfWordsBetweenSeparators(t *testing.T) {
	names := []string{"main", "Signal Dispatcher", "pool 4 thread 11", "reaper", "HTTP Handler", "GC Thread#7"}
	texts := []string{"connection accepted", "cache warmed up", "3 pods evicted", "config reloaded", "shutting down now"}
	var lines []string
	for i := 0; i < 64; i++ {
		lines = append(lines, fmt.Sprintf("%06d ¦ %s ¦ %08x ¦ %s", 412+i, names[i%len(names)], 0x3ab00+i*977, texts[i%len(texts)]))
	}
	msgs, fields, _ := parseAll(t, lines)
	for i := 32; i < len(lines); i++ { // settled
		if want := texts[i%len(texts)]; msgs[i] != want {
			t.Errorf("line %d: message %q, want %q (fields %v)", i, msgs[i], want, fields[i])
		}
		if got := strings.Join(fields[i], " "); !strings.Contains(got, "="+names[i%len(names)]) {
			t.Errorf("line %d: fields %s lack %q", i, got, names[i%len(names)])
		}
	}
	// the words of a message before a separator no column of the stream
	// holds stay the message's
	m := &model{}
	m.addMark(hashTok([]byte("¦")))
	if end := wordsToMark([]byte("cache warmed | up"), len("cache"), m); end != 0 {
		t.Errorf("words closed by a mark of no column: %d", end)
	}
	if end := wordsToMark([]byte("Signal Dispatcher ¦ x"), len("Signal"), m); end != len("Signal Dispatcher") {
		t.Errorf("a name of two words: %d", end)
	}
	if end := wordsToMark([]byte("failed reason: x ¦ y"), len("failed"), m); end != 0 {
		t.Errorf("a clause's opening taken: %d", end)
	}
}

// TestModelSymbolLevels: a level written as a symbol, in a column of the
// stream's lines, is the record's level and no part of its message: alone
// (log-symbols' and consola's "ℹ" "✔" "⚠" "✖"), after a time, before its
// word padded to the longest word's width (signale's badge and label), and
// a bullet that is a level only in a column that showed a symbol of levels
// (apex/log's and goreleaser's "•" beside "⨯"). A column of one bullet or
// mark on every line stays a separator.
func TestModelSymbolLevels(t *testing.T) {
	type sym struct{ sym, word, level string }
	set := []sym{{"ℹ", "info", "info"}, {"✔", "success", "info"}, {"⚠", "warning", "warn"}, {"✖", "error", "error"}}
	bullets := []sym{{"•", "", "info"}, {"•", "", "info"}, {"⨯", "", "error"}, {"•", "", "info"}}
	msgs := []string{"Nitro server built in %d ms", "listening on port %d", "retrying request %d", "cannot find module m%d"}
	for _, c := range []struct {
		name   string
		set    []sym
		format func(s sym, i int) string
		word   bool // the level field is the symbol's word
	}{
		{"consola", set, func(s sym, i int) string { return s.sym + " " }, false},
		{"time", set, func(s sym, i int) string { return fmt.Sprintf("2024-01-05 10:15:%02d.%03d %s ", i%60, i, s.sym) }, false},
		{"signale", set, func(s sym, i int) string { return fmt.Sprintf("%s  %-8s ", s.sym, s.word) }, true},
		{"apex", bullets, func(s sym, i int) string { return s.sym + " " }, false},
	} {
		var lines, want []string
		var sy []sym
		for i := 0; i < 64; i++ {
			k := i * 7 % 11 % 4
			m := fmt.Sprintf(msgs[k], i)
			lines = append(lines, c.format(c.set[k], i)+m)
			want = append(want, m)
			sy = append(sy, c.set[k])
		}
		p := NewParser(2024)
		var r logparse.Record
		for i, l := range lines {
			r.Reset()
			if err := p.Parse([]byte(l), &r); err != nil {
				t.Fatal(err)
			}
			if i < settled {
				continue // the layout is learnt on the first lines (Rehead)
			}
			lv := sy[i].sym
			if c.word {
				lv = sy[i].word
			}
			if got := string(r.Message); got != want[i] {
				t.Errorf("%s line %d: message %q, want %q", c.name, i, got, want[i])
			}
			if got := string(r.Level); got != sy[i].level {
				t.Errorf("%s line %d %q: level %q, want %q", c.name, i, l, got, sy[i].level)
			}
			n := 0
			for _, f := range r.Fields {
				if string(f.Key) == KeyLevel {
					n++
					if string(f.Value) != lv {
						t.Errorf("%s line %d: level field %q, want %q", c.name, i, f.Value, lv)
					}
				}
			}
			if n != 1 {
				t.Errorf("%s line %d: %d level fields", c.name, i, n)
			}
		}
	}
	// one mark on every line is the layout's separator, not a level
	for _, mark := range []string{"•", "→", "·"} {
		var lines []string
		for i := 0; i < 40; i++ {
			lines = append(lines, fmt.Sprintf("web-%d %s "+msgs[i%4], i%3, mark, i))
		}
		got, fields, _ := parseAll(t, lines)
		for i := settled; i < len(lines); i++ {
			if want := lines[i][len("web-0 "+mark+" "):]; got[i] != want {
				t.Errorf("separator %q line %d: message %q, want %q (fields %v)", mark, i, got[i], want, fields[i])
			}
			for _, f := range fields[i] {
				if strings.HasPrefix(f, KeyLevel+"=") {
					t.Errorf("separator %q line %d: a level field %q", mark, i, f)
				}
			}
		}
	}
}

// TestModelLevelPaddedInsideBrackets: a level column padded inside its
// brackets ("<WARN   >", two tokens) beside a pid that grows a digit and
// a column present on some lines only parses every line (a lone '>' at
// the level's position made the parser panic).
func TestModelLevelPaddedInsideBrackets(t *testing.T) {
	levels := []string{"<WARN   >", "<INFO   >", "<ERROR  >", "<DEBUG  >", "<FATAL  >"}
	msgs := []string{"cache warmed in %d steps", "lease renewed for shard %d", "queue drained after %d restarts", "snapshot %d written to disk", "peer %d joined the ring"}
	var lines []string
	pid := 2000
	for i := 0; i < 140; i++ {
		pid += 500 + (i*7919)%1000
		ctx := ""
		if i%10 < 3 {
			ctx = fmt.Sprintf(" · [01HVTPRW%04dF6YJ1D64M00TNA3A]", i)
		}
		lines = append(lines, fmt.Sprintf("[%d] · ⟨19-April-2024_08-13-%02d GMT+2⟩ · %s%s · tenant:%d | %s",
			pid, i%60, levels[(i*3)%len(levels)], ctx, 1+(i*104729)%30000, fmt.Sprintf(msgs[(i*7)%len(msgs)], i%97)))
	}
	got, _, _ := parseAll(t, lines)
	for i, m := range got {
		if !strings.Contains(lines[i], m) {
			t.Errorf("line %d: message %q not in %q", i, m, lines[i])
		}
	}
}
