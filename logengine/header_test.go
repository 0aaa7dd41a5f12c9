package logengine

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestOneKVTokenIsNoLogfmt: a free-text stream where some lines are one
// k=v token does not become logfmt, and those lines keep their text.
func TestOneKVTokenIsNoLogfmt(t *testing.T) {
	eng, _ := New(Config{})
	st := eng.NewStream()
	for i := 0; i < 60; i++ {
		line := fmt.Sprintf("cache|hitRatio=0.%02d", i)
		if i%3 == 0 {
			line = fmt.Sprintf("worker %d finished the batch", i)
		}
		r := st.Online([]byte(line))
		if r.Rec.Format == "logfmt" {
			t.Fatalf("line %d %q parsed as logfmt", i, line)
		}
	}
	if f := st.Format(); f == "logfmt" {
		t.Fatalf("stream detected as %s", f)
	}
}

// TestTimestampThenLogfmt: a timestamp followed by logfmt pairs is no
// syslog line with hostname "level=info": the pairs are fields.
func TestTimestampThenLogfmt(t *testing.T) {
	eng, _ := New(Config{SingleLine: true})
	st := eng.NewStream()
	r := st.Online([]byte(`2024-03-10T13:55:00Z level=info msg="user logged in" user=u1`))
	if _, ok := r.Rec.Get("hostname"); ok || string(r.Rec.Message) != "user logged in" || string(r.Rec.Level) != "info" || r.Rec.TS == 0 {
		t.Fatalf("format %s, message %q, level %q, ts %d, fields %v", r.Rec.Format, r.Rec.Message, r.Rec.Level, r.Rec.TS, r.Rec.Fields)
	}
	if u, _ := r.Rec.Get("user"); string(u) != "u1" {
		t.Fatalf("user %q", u)
	}
}

// TestOneLevelKey: a JSON record with a level whose message starts with a
// level word keeps both, with one level key.
func TestOneLevelKey(t *testing.T) {
	eng, _ := New(Config{SingleLine: true})
	st := eng.NewStream()
	r := st.Online([]byte(`{"level":"warn","msg":"ERROR budget exceeded for tenant a"}`))
	n := 0
	for _, f := range r.Rec.Fields {
		if string(f.Key) == "level" {
			n++
		}
	}
	if n != 1 || string(r.Rec.Message) != "ERROR budget exceeded for tenant a" {
		t.Fatalf("%d level keys, message %q", n, r.Rec.Message)
	}
}

// TestOnlineRejoinsFirstLines: a stream whose header the model learns
// (record id, host, component, epoch first) groups its first lines, read
// before the layout was known, as its later ones, in one pass as in two.
func TestOnlineRejoinsFirstLines(t *testing.T) {
	var lines []string
	events := []string{"Decision logs dropped due to an encoding failure.", "Starting bundle loader.", "Log upload queue was empty."}
	for i := 0; i < 30; i++ {
		lines = append(lines, fmt.Sprintf("%06d worker-%d logs.info fs.mount %d %d %s", i+1, i%4, 1725963254+i, i%2, events[i%3]))
	}
	eng, _ := New(Config{SingleLine: true})
	st := eng.NewStream()
	var ids []uint64
	for _, l := range lines {
		r := st.Online([]byte(l))
		if !r.HasTemplate {
			t.Fatalf("no template for %q", l)
		}
		ids = append(ids, r.Template.ID)
	}
	// the stream ends before its header model settled: the ids handed
	// out before are aliases of their templates from then on
	if _, ok := st.Flush(ModeOnline); ok {
		t.Fatal("a record left at the end of single lines")
	}
	for i := range lines {
		for j := range lines {
			same := eng.Resolve(ids[i]) == eng.Resolve(ids[j])
			if same != (i%3 == j%3) {
				t.Fatalf("lines %d and %d: same template %v (ids %x %x)", i, j, same, eng.Resolve(ids[i]), eng.Resolve(ids[j]))
			}
			if ids[i] == ids[j] && i%3 != j%3 {
				t.Fatalf("lines %d and %d of two events were handed one id %x", i, j, ids[i])
			}
		}
	}
}

// TestOnlineNoIDOverTwoEvents: before a stream's header model knows the
// layout (here bunyan's long format, "name LEVEL logger name/pid on
// host: message", with a constant first column), the messages still hold
// the header, and the miner joins lines of several events whose header
// ends alike into one tail template ("app DBG <*> <*> on <*>: <*>"). An
// id handed out for it could never be split by an alias: each line read
// before the model settled carries an id of its own signature, whose
// lines are one event (or, for the signature a template was made for,
// that template's id, which stays with it when the template splits), and
// that id becomes an alias of the event's template once the layout is
// known. One pass then groups as two passes, and no id handed out covers
// lines that two passes group apart.
func TestOnlineNoIDOverTwoEvents(t *testing.T) {
	events := []string{
		"opening the journal",
		"journal replay done",
		"flushed %d pages to disk",
		"lease renewed for shard %d",
		"dropping stale peer %d",
		"compaction finished",
		"snapshot written in %d ms",
		"rejected a write: the volume is read-only",
	}
	loggers := []string{"io.ex.store.Journal", "io.ex.store.Pager", "io.ex.raft.Lease", "io.ex.net.Peers", "io.ex.store.Compactor"}
	levels := []string{"DBG", "INF", "WRN", "ERR"}
	hosts := []string{"node-a.example.internal", "ip-10-0-3-17.ec2.internal", "gke-pool-1-abc"}
	var lines []string
	for i := 0; i < 300; i++ {
		e := (i*5 + i/7) % len(events)
		msg := events[e]
		if strings.Contains(msg, "%d") {
			msg = fmt.Sprintf(msg, 7+i*31%211)
		}
		lines = append(lines, fmt.Sprintf("appd %s %s appd/7245 on %s: %s", levels[(i+e)%len(levels)], loggers[(i*3+e)%len(loggers)], hosts[(i+i/3)%len(hosts)], msg))
	}
	eng := mustNew(t, Config{SingleLine: true, Schema: true, MaxTemplates: 1024})
	st := eng.NewStream()
	var ids []uint64
	for _, l := range lines {
		r := st.Online([]byte(l))
		if !r.HasTemplate {
			t.Fatalf("no template for %q", l)
		}
		ids = append(ids, r.Template.ID)
	}
	one, two := onlineAndTwoPass(t, lines)
	samePartition(t, lines, one, two)
	// an id handed out covers lines that two passes group apart only
	// where no alias could part them again
	first := map[uint64]int{}
	for i, id := range ids {
		if j, ok := first[id]; ok && two[j] != two[i] {
			t.Fatalf("lines %d %q and %d %q, two events in two passes, were handed one id %x", j+1, lines[j], i+1, lines[i], id)
		}
		if _, ok := first[id]; !ok {
			first[id] = i
		}
	}
}

// settledLines is the number of lines after which the free-text header
// model holds a layout it finds (freetext's settled).
const settledLines = 32

// onlineAndTwoPass returns, per line, the template id one pass gives with
// aliases followed and the id two passes give.
func onlineAndTwoPass(t *testing.T, lines []string) (one, two []uint64) {
	t.Helper()
	eng := mustNew(t, Config{SingleLine: true, Schema: true, MaxTemplates: 1024})
	st := eng.NewStream()
	for _, l := range lines {
		r := st.Online([]byte(l))
		if !r.HasTemplate {
			t.Fatalf("no template for %q", l)
		}
		one = append(one, r.Template.ID)
	}
	for i := range one {
		one[i] = eng.Resolve(one[i])
	}
	eng2 := mustNew(t, Config{SingleLine: true, MaxTemplates: 1 << 16})
	st2 := eng2.NewStream()
	for _, l := range lines {
		st2.Learn([]byte(l))
	}
	eng2.EndLearning()
	st2 = st2.Again()
	for _, l := range lines {
		r := st2.Analyze([]byte(l))
		if !r.HasTemplate {
			t.Fatalf("no template for %q", l)
		}
		two = append(two, r.Template.ID)
	}
	return one, two
}

// samePartition fails unless a and b group the lines alike.
func samePartition(t *testing.T, lines []string, a, b []uint64) {
	t.Helper()
	ab, ba := map[uint64]uint64{}, map[uint64]uint64{}
	for i := range a {
		x, okx := ab[a[i]]
		y, oky := ba[b[i]]
		if okx && x != b[i] || oky && y != a[i] {
			t.Fatalf("line %d %q: one pass and two passes group it differently (%x / %x)", i+1, lines[i], a[i], b[i])
		}
		ab[a[i]], ba[b[i]] = b[i], a[i]
	}
}

// A stream whose header layout (a component column after the level, as
// Windows CBS logs have it) is only found after some lines, because a few
// early lines lack the column: the templates of lines read before that
// join those of the same events read after, so one pass groups as two.
func TestOnlineLayoutFoundLate(t *testing.T) {
	events := []string{
		"--resolve-addrs must be one of three names",
		"Capturing CPU profile for %d seconds ...",
		"could not reach the coordination server after %d tries",
		"peer %d rejected the handshake",
		"wrote the state file in %d ms",
		"lost the lease on shard %d",
	}
	comps := []string{"NETL", "CLI", "CTRL", "WGEN", "IPNS", "MAGI"}
	var lines []string
	for i := 0; i < 200; i++ {
		ts := fmt.Sprintf("2024-10-23 15:%02d:%02d, Info                  ", i/60, i%60)
		if i < 14 && i%4 == 1 { // the column is missing on some early lines
			lines = append(lines, ts+fmt.Sprintf("starting the engine number %d", i))
			continue
		}
		e := (i * 7 / 3) % len(events)
		msg := events[e]
		if strings.Contains(msg, "%d") {
			msg = fmt.Sprintf(msg, 3+i*13%97)
		}
		lines = append(lines, ts+comps[e]+"   "+msg)
	}
	one, two := onlineAndTwoPass(t, lines)
	samePartition(t, lines, one, two)
}

// A line that the second pass reads with a header layout it was not
// mined with (the model's layout moved between the passes: here lines
// read in between, where every message opens with a name, make it take
// that column) takes the template its message had when it was mined, as
// one pass gives it, when its message as read now was never mined:
// otherwise it would be a template of its own ("finished job <*>" beside
// "worker-a finished job <*>"), and two passes would group it apart from
// the same event's other lines.
func TestTwoPassReadsAsMined(t *testing.T) {
	var lines []string
	for i := 0; i < 200; i++ {
		ts := fmt.Sprintf("2024-03-10 10:%02d:%02d INFO ", i/60%60, i%60)
		switch i % 4 {
		case 0, 1:
			lines = append(lines, ts+fmt.Sprintf("worker-a finished job %d in time", 100+i))
		case 2:
			lines = append(lines, ts+fmt.Sprintf("starting the scheduler loop number %d", i))
		default:
			lines = append(lines, ts+fmt.Sprintf("lost the lease on shard %d again", i))
		}
	}
	eng := mustNew(t, Config{SingleLine: true})
	st := eng.NewStream()
	mined := map[string]uint64{}
	for _, l := range lines {
		r := st.Online([]byte(l))
		mined[l] = r.Template.ID
	}
	eng.EndLearning()
	st = st.Again()
	for i := 0; i < 300; i++ { // the layout moves: a name column
		st.Parse([]byte(fmt.Sprintf("2024-03-10 11:%02d:%02d INFO node-%c%c reported shard %d", i/60%60, i%60, 'a'+i%26, 'a'+i/26%26, i)))
	}
	moved := false
	for _, l := range lines {
		r := st.Analyze([]byte(l))
		if strings.HasPrefix(l[len("2024-03-10 10:00:00 INFO "):], "worker-a") && !strings.HasPrefix(string(r.Rec.Message), "worker-a") {
			moved = true
		}
		if got, want := eng.Resolve(r.Template.ID), eng.Resolve(mined[l]); got != want {
			t.Fatalf("%q: second pass template %x %q, mined as %x", l, got, r.Template.Text, want)
		}
	}
	if !moved {
		t.Fatal("the layout did not move between the passes: the test tests nothing")
	}
}

// TestIDColumnIsNoContext: a padded source column of a few words and many
// session ids (SQL Server's ERRORLOG: "spid85", "spid20s", "Logon") is no
// context for the miner: the lines of one event, whatever their session,
// share one template, in one pass and in two. Each event's varying word is
// a plain word (a database's name), which the miner takes for a parameter
// only from lines of one context. The stream's first lines, read before
// the header model knew the column and its values, are not judged.
func TestIDColumnIsNoContext(t *testing.T) {
	events := []string{"Starting up database '%s'.", "Setting database option %s to ON for database '%s'.", "CHECKDB for database '%s' finished without errors.", "Login succeeded for user '%s'."}
	names := []string{"msdb", "tempdb", "model", "master", "orders", "billing", "ledger", "audit", "reports", "staging", "archive", "inventory"}
	var lines []string
	var truth []int
	for i := 0; i < 400; i++ {
		src := fmt.Sprintf("spid%d%s", 5+i*37%120, []string{"", "s"}[i%2])
		if i%5 == 2 {
			src = []string{"Logon", "Server", "Backup"}[i%3]
		}
		e := i * 7 % len(events)
		msg := events[e]
		if strings.Count(msg, "%s") == 2 {
			msg = fmt.Sprintf(msg, []string{"AUTO_CLOSE", "READ_COMMITTED_SNAPSHOT", "RECOVERY"}[0], names[i/4*5%len(names)])
		} else {
			msg = fmt.Sprintf(msg, names[i/4*5%len(names)])
		}
		lines = append(lines, fmt.Sprintf("2024-08-14 05:%02d:%02d.%02d %-12s%s", i/60%60, i%60, i*7%100, src, msg))
		truth = append(truth, e)
	}
	one, two := onlineAndTwoPass(t, lines)
	for name, ids := range map[string][]uint64{"one pass": one, "two passes": two} {
		tmpl := map[int]map[uint64]bool{}
		for i, id := range ids {
			if i < 16 {
				continue // read before the column and its values were known
			}
			if tmpl[truth[i]] == nil {
				tmpl[truth[i]] = map[uint64]bool{}
			}
			tmpl[truth[i]][id] = true
		}
		for e, ts := range tmpl {
			if len(ts) != 1 {
				t.Errorf("%s: event %q has %d templates, want 1", name, events[e], len(ts))
			}
		}
	}
}

// A thread column padded to one width (log4j's %-23t), whose longest name
// fills it and is followed by one blank only: the model reads it as a
// column once enough lines showed the padding (model.closed), after the
// first lines were mined with the thread name in their messages. That
// change of layout must reach the early lines' templates (rehead) as a
// change of shape does, so one pass groups them as two.
func TestOnlineOverflowColumnFoundLate(t *testing.T) {
	events := []string{
		"--listen-addrs names a port that is already taken port=%d",
		"could not refresh the lease, retrying attempt=%d",
		"Failed to read the spool directory. Falling back to memory err=%d",
		"compacted the journal segments=%d",
		"rejected a handshake from peer id=%d",
		"snapshot written to disk bytes=%d",
		"scheduler queue drained pending=%d",
	}
	threads := []string{"main", "worker-2", "pool-7-thread-1", "grpc-default-executor-0", "worker-1"}
	var lines []string
	for i := 0; i < 240; i++ {
		e := (i*5 + i/7) % len(events)
		th := threads[(i*3+i/4)%len(threads)]
		lines = append(lines, fmt.Sprintf("2024-08-11T12:%02d:%02d.471000Z  INFO (23880) %-23s %s",
			i/60%60, i%60, th, fmt.Sprintf(events[e], 10+i*37%991)))
	}
	one, two := onlineAndTwoPass(t, lines)
	samePartition(t, lines, one, two)
}

// TestIdleSettlesProvisional: a quiet stream, whose header model has not
// settled (fewer than 32 lines), hands the lines whose signature joined a
// tail template (one error's text after "failed to sync …:") provisional
// ids of their own signatures; once it gets no line for MultilineWait, Expire records
// each as an alias of its template, so the consumers see one template per
// event and not one per message. Lines read after that, while the model
// is still unsettled, get ids of their own (none handed out before), which
// the next idle wait aliases in turn.
func TestIdleSettlesProvisional(t *testing.T) {
	const wait = 3 * time.Second
	eng := mustNew(t, Config{SingleLine: true, MultilineWait: wait})
	st := eng.NewStream()
	read := func(errs ...string) []uint64 {
		var ids []uint64
		for i, e := range errs {
			r := st.Online([]byte(fmt.Sprintf("2024-03-10 13:55:0%d INFO failed to sync the volume mounts: %s", i, e)))
			if !r.HasTemplate {
				t.Fatalf("no template for %q", e)
			}
			ids = append(ids, r.Template.ID)
		}
		return ids
	}
	distinct := func(ids []uint64) int {
		m := map[uint64]bool{}
		for _, id := range ids {
			m[eng.Resolve(id)] = true
		}
		return len(m)
	}
	first := read("permission denied", "no space left on device", "device or resource busy", "read-only file system", "input/output error")
	if !st.Provisional() {
		t.Fatal("no provisional id on a stream of 5 lines")
	}
	if n := distinct(first); n < 2 {
		t.Fatalf("the fixture no longer exercises provisional ids: %d template", n)
	}
	t0 := time.Unix(1700000000, 0)
	for _, at := range []time.Duration{0, wait - time.Nanosecond} {
		if _, ok := st.Expire(t0.Add(at), ModeOnline); ok {
			t.Fatal("a record from a single-line stream")
		}
		if n := distinct(first); n == 1 {
			t.Fatalf("provisional ids settled %v after the last line, before the wait %v", at, wait)
		}
	}
	st.Expire(t0.Add(wait), ModeOnline)
	if n := distinct(first); n != 1 || st.Provisional() {
		t.Fatalf("after the idle wait, 5 lines of one event resolve to %d templates (provisional left: %v)", n, st.Provisional())
	}
	aliases := eng.TakeAliases(nil)
	if len(aliases) == 0 {
		t.Fatal("no alias to take after the idle wait")
	}
	// the stream goes on, still unsettled: a message read before (no space left)
	// gets a new id, which the next idle wait aliases too
	again := read("no space left on device", "stale file handle", "too many links")
	for _, id := range again {
		for _, old := range first {
			if id == old {
				t.Fatalf("id %x handed out again after it was aliased", id)
			}
		}
	}
	st.Expire(t0.Add(2*wait), ModeOnline)
	st.Expire(t0.Add(3*wait), ModeOnline)
	if n := distinct(append(first, again...)); n != 1 {
		t.Fatalf("after the second idle wait, 8 lines of one event resolve to %d templates", n)
	}
}

// TestOnlineFirstLinesKeepTemplateIDs: in a stream whose header layout is
// read from its first line on (ISO time, level, thread, class), a line
// read before the header model settled whose signature a template was
// made for carries that template's id as read, not a provisional id of
// its own: every line of an event carries one id, with no alias to
// follow, as the lines read after the model settled do.
func TestOnlineFirstLinesKeepTemplateIDs(t *testing.T) {
	events := []string{
		"Accepted socket connection from /10.0.%d.4:52110",
		"Expiring session 0x%x, timeout of 10000ms exceeded",
		"Processed session termination for sessionid: 0x%x",
		"Closed socket connection for client /10.0.%d.9:40234 which had sessionid 0x15aa",
		"Snapshotting: 0x%x to /var/lib/zk/version-2/snapshot",
	}
	classes := []string{"NIOServerCnxnFactory@197", "ZooKeeperServer@355", "PrepRequestProcessor@486", "NIOServerCnxn@1007", "FileTxnSnapLog@240"}
	var lines []string
	var ev []int
	for i := 0; i < 120; i++ {
		e := (i*3 + i/4) % len(events)
		lines = append(lines, fmt.Sprintf("2024-07-29 17:%02d:%02d,%03d - INFO  [NIOServerCxn.Factory:0.0.0.0/0.0.0.0:2181:%s] - %s",
			i/60, i%60, i*7%1000, classes[e], fmt.Sprintf(events[e], 17+i*29%200)))
		ev = append(ev, e)
	}
	eng := mustNew(t, Config{SingleLine: true, Schema: true, MaxTemplates: 1024})
	st := eng.NewStream()
	idOf := map[int]uint64{}
	for i, l := range lines {
		r := st.Online([]byte(l))
		if !r.HasTemplate {
			t.Fatalf("no template for %q", l)
		}
		if id, ok := idOf[ev[i]]; ok && id != r.Template.ID {
			t.Fatalf("line %d %q: id %x, its event's first line had %x", i+1, l, r.Template.ID, id)
		}
		idOf[ev[i]] = r.Template.ID
	}
	if len(idOf) != len(events) {
		t.Fatalf("%d ids for %d events", len(idOf), len(events))
	}
	one, two := onlineAndTwoPass(t, lines)
	samePartition(t, lines, one, two)
}
