package miner

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
)

// distinctTemplates mines msgs and returns how many templates their lines
// end up in (after learning all of them, as in two passes).
func distinctTemplates(t *testing.T, msgs []string) (int, []string) {
	t.Helper()
	got := mineAll(Config{}, msgs)
	seen := map[string]bool{}
	for _, g := range got {
		seen[g] = true
	}
	return len(seen), got
}

func TestNamesWithADigitVary(t *testing.T) {
	n, got := distinctTemplates(t, []string{"connected to web7 after retry", "connected to web3 after retry"})
	if n != 1 || got[0] != "connected to <*> after retry" {
		t.Errorf("web7/web3: %q", got)
	}
	// a name with a digit that does not vary stays a word
	n, got = distinctTemplates(t, []string{"ssh2 session opened", "ssh2 session opened"})
	if n != 1 || got[0] != "ssh2 session opened" {
		t.Errorf("ssh2: %q", got)
	}
	// and two plain words are two events
	n, got = distinctTemplates(t, []string{"eth0 link is up now", "eth0 link is down now", "eth0 link is up now", "eth0 link is down now"})
	if n != 2 {
		t.Errorf("link up/down: %q", got)
	}
}

func TestBooleansAndURLsAreValues(t *testing.T) {
	n, got := distinctTemplates(t, []string{"leader elected: true", "leader elected: false"})
	if n != 1 || got[0] != "leader elected: <*>" {
		t.Errorf("true/false: %q", got)
	}
	n, got = distinctTemplates(t, []string{"GET /api/v1/orders?page=2&sort=asc took 5ms", "GET /api/v1/users?id=7 took 9ms"})
	if n != 1 || got[0] != "GET <*> took <*>" {
		t.Errorf("URLs: %q", got)
	}
}

func TestFirstWordParameter(t *testing.T) {
	var msgs []string
	for _, w := range []string{"alpha", "beta", "gamma", "delta"} {
		msgs = append(msgs, w+": tunneling connection read failed")
	}
	n, got := distinctTemplates(t, msgs)
	if n != 1 || got[0] != "<*>: tunneling connection read failed" {
		t.Errorf("first word: %q", got)
	}
	// three words are not enough, and neither are short templates
	n, got = distinctTemplates(t, msgs[:3])
	if n != 3 {
		t.Errorf("three first words merged: %q", got)
	}
	n, got = distinctTemplates(t, []string{"tickTime set to 1", "maxSession set to 2", "minSession set to 3", "initLimit set to 4"})
	if n != 4 {
		t.Errorf("short templates merged on their first word: %q", got)
	}
}

func TestErrorTail(t *testing.T) {
	msgs := []string{
		"failed to sync pod web-1: context deadline exceeded",
		"failed to sync pod web-2: dial tcp 10.0.0.1:443: connect: connection refused",
		"failed to sync pod web-3: EOF",
		"failed to sync pod web-4: the object has been modified; please apply your changes",
	}
	n, got := distinctTemplates(t, msgs)
	if n != 1 || got[0] != "failed to sync pod <*>: <*>" {
		t.Errorf("error tails: %q", got)
	}
	// tails that repeat are events of their own
	var rep []string
	for i := 0; i < 3; i++ {
		rep = append(rep, fmt.Sprintf("Declined payment %d: card expired", i), fmt.Sprintf("Declined payment %d: card expired", i+10))
	}
	rep = append(rep, "Declined payment 7: insufficient funds", "Declined payment 8: insufficient funds")
	if n, got := distinctTemplates(t, rep); n != 2 {
		t.Errorf("repeating tails merged: %q", got)
	}
	// a component prefix is no clause: "serf: x" and "serf: y" stay apart
	if n, got := distinctTemplates(t, []string{"serf: EventMemberJoin node1", "serf: Shutting down query loop", "serf: received leave intent"}); n != 3 {
		t.Errorf("component prefix taken for a clause: %q", got)
	}
}

func TestSharedTails(t *testing.T) {
	// error texts that follow several clauses are free text: after
	// "Closing:" (a clause of one word) and after "failed to … :" whose
	// tails repeat, they are one parameter
	errs := []string{"context deadline exceeded", "dial tcp 10.0.0.1:443: connect: connection refused", "broken pipe", "permission denied"}
	var msgs []string
	for i := 0; i < 3; i++ {
		for _, e := range errs {
			msgs = append(msgs, "failed to dial backend web-1: "+e, "Closing: "+e, "Unexpected metadata error: "+e, "Unexpected metadata error: "+e)
		}
	}
	n, got := distinctTemplates(t, msgs)
	want := map[string]bool{"failed to dial backend web-1: <*>": true, "Closing: <*>": true, "Unexpected metadata error: <*>": true}
	for _, g := range got {
		if !want[g] {
			t.Errorf("shared tails: %d templates: %q", n, got)
			break
		}
	}
	// a component's events, each after the component only, stay apart
	var comp []string
	for i := 0; i < 3; i++ {
		comp = append(comp, "memberlist: Suspect web has failed, no acks received", "memberlist: Marking web as failed, suspect timeout reached",
			"memberlist: Stream connection from peer closed")
	}
	if n, got := distinctTemplates(t, comp); n != 3 {
		t.Errorf("component events merged: %q", got)
	}
	// a tail after one-word prefixes that differ in that word only is no
	// evidence: the word may be the event's value ("alpha: tunneling …")
	if n, got := distinctTemplates(t, []string{"alpha: tunneling connection read", "beta: tunneling connection read",
		"alpha: read 5 bytes, connection closed", "beta: read 7 bytes, connection closed"}); n != 4 {
		t.Errorf("one-word prefixes taken for clauses: %q", got)
	}
}

func TestWordParameterTakesAValue(t *testing.T) {
	// two word parameters (no two lines differ in one word only); then
	// the second comes as a number
	var words []string
	for i, w := range []string{"alpha", "beta", "gamma", "delta"} {
		words = append(words, fmt.Sprintf("compaction moved the revision range from %s to web-%d", w, i))
	}
	value := "compaction moved the revision range from epsilon to 42"
	for _, msgs := range [][]string{append(append([]string(nil), words...), value), append([]string{value}, words...)} {
		if n, got := distinctTemplates(t, msgs); n != 1 || got[0] != "compaction moved the revision range from <*> to <*>" {
			t.Errorf("a value where a word parameter is: %q", got)
		}
	}
	// the value must stand where the word parameter is
	if n, got := distinctTemplates(t, append(append([]string(nil), words...), "compaction moved the revision 42 range from epsilon to")); n != 2 {
		t.Errorf("a value elsewhere taken for the word parameter: %q", got)
	}
}

func TestFirstWordFolds(t *testing.T) {
	msgs := []string{"4f3a9c2e creating parent directory of /var/a", "7d2e1b0c creating parent directory of /var/b", "search creating parent directory of /var/c"}
	if n, got := distinctTemplates(t, msgs); n != 1 {
		t.Errorf("a word where the first value is: %q", got)
	}
	// a short template's first word still names the event
	if n, got := distinctTemplates(t, []string{"4f3a9c2e deleted", "search deleted"}); n != 2 {
		t.Errorf("short template folded on its first word: %q", got)
	}
}

func TestLabels(t *testing.T) {
	// the word after a label varies in a signature of two words, and a
	// late word joins once numbers and words made one template
	msgs := []string{"QUERY: 4711", "QUERY: kafka", "QUERY: etcd", "QUERY: web", "QUERY: 99", "QUERY: search"}
	if n, got := distinctTemplates(t, msgs); n != 1 || got[0] != "QUERY: <*>" {
		t.Errorf("label values: %q", got)
	}
	// two words stay two events without a label, and so do labels after
	// a label
	if n, got := distinctTemplates(t, []string{"link up", "link down", "link flapping"}); n != 3 {
		t.Errorf("two words merged: %q", got)
	}
	if n, got := distinctTemplates(t, []string{"LOG: bad:", "LOG: WroteRequest:", "LOG: Dial:"}); n != 3 {
		t.Errorf("labels after a label merged: %q", got)
	}
	// a label that varies needs two words after it
	var first []string
	for _, w := range []string{"checkout", "ingest", "billing", "search"} {
		first = append(first, w+": btree watcher: closed")
	}
	if n, got := distinctTemplates(t, first); n != 1 || got[0] != "<*>: btree watcher: closed" {
		t.Errorf("varying label: %q", got)
	}
}

func TestTailTextIsOneParameter(t *testing.T) {
	// the first tail starts with a value ("x509:"): the template still
	// reads "…create: <*>", and the tail parameter holds the whole text
	msgs := []string{
		"could not check database, going to attempt create: x509: certificate has expired",
		"could not check database, going to attempt create: EOF",
		"could not check database, going to attempt create: dial tcp 10.0.0.1:5432: connect: connection refused",
	}
	m := New(Config{})
	for _, s := range msgs {
		m.Add([]byte(s))
	}
	for _, s := range msgs {
		tp := m.Match([]byte(s))
		if tp == nil || tp.Text != "could not check database, going to attempt create: <*>" {
			t.Fatalf("%q: template %+v", s, tp)
		}
	}
	m.Match([]byte(msgs[0]))
	ps := m.Params([]byte(msgs[0]), nil)
	if len(ps) != 1 || string(ps[0].Value) != "x509: certificate has expired" {
		t.Errorf("params: %q", ps)
	}
	// a value that closes the clause belongs to the prefix
	m = New(Config{})
	for _, e := range []string{"EOF", "x509: bad certificate", "connection refused"} {
		m.Add([]byte("failed to dial 10.0.0.1:443: " + e))
	}
	if tp := m.Match([]byte("failed to dial 10.0.0.2:443: x509: bad certificate")); tp == nil || tp.Text != "failed to dial <*>: <*>" {
		t.Errorf("value closing the clause: %+v", tp)
	}
}

func TestFoldIntoTail(t *testing.T) {
	// a word where a tail template's prefix has a value
	var msgs []string
	for i, e := range []string{"EOF", "context canceled", "dial tcp 10.0.0.1:443: connect: connection refused", "broken pipe", "i/o timeout"} {
		msgs = append(msgs, fmt.Sprintf("Aborted scan of path '/var/lib/%d' due to an unexpected error: %s", i, e))
	}
	msgs = append(msgs, "Aborted scan of path 'billing' due to an unexpected error: invalid argument")
	if n, got := distinctTemplates(t, msgs); n != 1 || got[0] != "Aborted scan of path '<*>' due to an unexpected error: <*>" {
		t.Errorf("word in a tail template's value: %q", got)
	}
}

func TestContextKeepsEventsApart(t *testing.T) {
	m := New(Config{})
	m.AddIn([]byte("Processing the event EventType: JOB_SETUP"), 1)
	m.AddIn([]byte("Processing the event EventType: CONTAINER_REMOTE_LAUNCH for container c_1"), 2)
	m.AddIn([]byte("Processing the event EventType: TASK_ABORT"), 1)
	if a, b := m.MatchIn([]byte("Processing the event EventType: JOB_SETUP"), 1).Text, m.MatchIn([]byte("Processing the event EventType: CONTAINER_REMOTE_LAUNCH for container c_1"), 2).Text; a == b {
		t.Errorf("two components' events merged: %q", a)
	}
	// one signature from two contexts is one template
	x := m.AddIn([]byte("Stopping service now"), 1).ID
	if y := m.AddIn([]byte("Stopping service now"), 2).ID; x != y {
		t.Errorf("same signature, two templates")
	}
}

func TestIDsSurviveMerges(t *testing.T) {
	m := New(Config{})
	var ids []uint64
	for _, u := range []string{"alice", "bob", "carol", "dave"} {
		ids = append(ids, m.Add([]byte("Invalid user "+u+" from 10.0.0.1 port 22")).ID)
	}
	// the merged template keeps the oldest id; the others are aliases of it
	if ids[3] != ids[0] {
		t.Fatalf("merged template id %x, first line's %x", ids[3], ids[0])
	}
	for _, id := range ids {
		if m.Resolve(id) != ids[0] {
			t.Fatalf("id %x resolves to %x, want %x", id, m.Resolve(id), ids[0])
		}
	}
	if ids[1] == ids[0] || m.Aliases() == 0 {
		t.Fatalf("no alias recorded: %x", ids)
	}
}

func TestSameTextOneID(t *testing.T) {
	m := New(Config{})
	a := m.Add([]byte("connected to 10.0.0.1 after retry")).ID // a typed value
	m.Add([]byte("connected to web7 after retry"))
	m.Add([]byte("connected to web3 after retry")) // a word parameter at the same place
	byText := map[string]uint64{}
	for _, tp := range m.Templates() {
		if id, ok := byText[tp.Text]; ok && id != tp.ID {
			t.Fatalf("text %q has ids %x and %x", tp.Text, id, tp.ID)
		}
		byText[tp.Text] = tp.ID
	}
	if got := m.Match([]byte("connected to web9 after retry")); got == nil || got.ID != a {
		t.Fatalf("word-parameter lines: %+v, want id %x", got, a)
	}
}

func TestOnlineMatchesTwoPass(t *testing.T) {
	msgs := benchMessages(512)
	for i := 0; i < 64; i++ {
		msgs = append(msgs, []byte(fmt.Sprintf("worker %s finished job: %s", []string{"alpha", "beta", "gamma", "delta"}[i%4],
			[]string{"ok", "context canceled", "dial tcp 10.0.0.1:80: connect: connection refused", "EOF"}[i/4%4])))
	}
	checkOnlineMatchesTwoPass(t, msgs)
}

// checkOnlineMatchesTwoPass fails when a line's id from one pass, its
// merges followed, is not the template two passes match it to.
func checkOnlineMatchesTwoPass(t *testing.T, msgs [][]byte) {
	t.Helper()
	one := New(Config{})
	online := make([]uint64, len(msgs))
	for i, s := range msgs {
		online[i] = one.Add(s).ID
	}
	two := New(Config{})
	for _, s := range msgs {
		two.Add(s)
	}
	for i, s := range msgs {
		tp := two.Match(s)
		if tp == nil {
			t.Fatalf("no template for %q", s)
		}
		if got := one.Resolve(online[i]); got != tp.ID {
			t.Fatalf("line %d %q: online id %x resolves to %x, two-pass %x (%q)", i, s, online[i], got, tp.ID, tp.Text)
		}
	}
}

func TestSeveralWordsVaryAtOnce(t *testing.T) {
	// no two lines differ in one word only: both names vary together
	pairs := [][2]string{{"alpha", "north"}, {"beta", "south"}, {"gamma", "east"}, {"delta", "west"}}
	var msgs []string
	for _, p := range pairs {
		msgs = append(msgs, "rebalanced shard set of tenant "+p[0]+" after losing the replica in zone "+p[1])
	}
	n, got := distinctTemplates(t, msgs)
	if n != 1 || got[0] != "rebalanced shard set of tenant <*> after losing the replica in zone <*>" {
		t.Errorf("two varying words: %q", got)
	}
	// three combinations are not enough (one position alone needs three
	// values; two at once need four)
	n, got = distinctTemplates(t, msgs[:3])
	if n != 3 {
		t.Errorf("three combinations merged: %q", got)
	}
	// nor are short sentences that share too few words: verb and object
	// of "failed to <verb> <object>" are different events
	n, got = distinctTemplates(t, []string{"failed to close raft storage", "failed to open raft snapshot",
		"failed to sync raft journal", "failed to read raft index", "failed to purge raft log"})
	if n != 5 {
		t.Errorf("verb/object merged: %q", got)
	}
	// positions after a clause's ':' are left to the tail rule
	n, got = distinctTemplates(t, []string{
		"could not refresh the cached lease: alpha went away",
		"could not refresh the cached lease: beta went missing",
		"could not refresh the cached lease: gamma went dark",
		"could not refresh the cached lease: delta went quiet",
	})
	if n != 1 || got[0] != "could not refresh the cached lease: <*>" {
		t.Errorf("tail: %q", got)
	}
}

func TestTailWithAWordParameter(t *testing.T) {
	// the tails vary and so does one word of the prefix: no two lines
	// share the prefix, yet they are one event
	msgs := []string{
		"rejected the lease option 'alpha': context deadline exceeded",
		"rejected the lease option 'beta': connection reset by peer",
		"rejected the lease option 'gamma': no such file or directory",
		"rejected the lease option 'delta': EOF",
		"rejected the lease option 'omega': permission denied",
	}
	n, got := distinctTemplates(t, msgs)
	if n != 1 || got[0] != "rejected the lease option '<*>': <*>" {
		t.Errorf("word and tail: %q", got)
	}
	// in one pass: the line that brings the evidence makes the template,
	// and the ids handed out before resolve to it
	m := New(Config{})
	var ids []uint64
	for _, s := range msgs {
		ids = append(ids, m.Add([]byte(s)).ID)
	}
	if tm := m.Match([]byte(msgs[0])); tm == nil || tm.Text != "rejected the lease option '<*>': <*>" {
		t.Fatalf("one pass: %+v", tm)
	}
	for i, id := range ids {
		if m.Resolve(id) != m.Resolve(ids[0]) {
			t.Errorf("line %d: id %x resolves to %x, line 0's to %x", i, id, m.Resolve(id), m.Resolve(ids[0]))
		}
	}
	// a line read after the template exists joins it
	if tm := m.Add([]byte("rejected the lease option 'kappa': i/o timeout")); tm.Text != "rejected the lease option '<*>': <*>" {
		t.Errorf("later line: %q", tm.Text)
	}
	// two values of the word are not enough
	n, got = distinctTemplates(t, []string{
		"rejected the lease option 'alpha': context deadline exceeded",
		"rejected the lease option 'beta': connection reset by peer",
		"rejected the lease option 'alpha': no such file or directory",
		"rejected the lease option 'beta': EOF",
	})
	if n == 1 {
		t.Errorf("two words merged: %q", got)
	}
	// nor is a prefix of fewer than three words besides it
	n, got = distinctTemplates(t, []string{
		"failed to close: context deadline exceeded",
		"failed to open: connection reset by peer",
		"failed to sync: no such file or directory",
		"failed to read: EOF",
		"failed to seek: permission denied",
	})
	if n == 1 {
		t.Errorf("verbs merged: %q", got)
	}
}

func TestTailWithoutColon(t *testing.T) {
	// "failed to re-tag images %v": an error's text with no ':' before it
	errs := []string{"no such file or directory", "broken pipe", "context deadline exceeded",
		"dial tcp 10.1.2.3:80: connect: connection refused", "unexpected EOF",
		"resource temporarily unavailable", "the object has been modified", "too many open files",
		"i/o timeout", "database is locked"}
	var msgs []string
	for _, e := range errs {
		msgs = append(msgs, "image build failed while re-tagging images "+e)
	}
	n, got := distinctTemplates(t, msgs)
	if n != 1 || got[0] != "image build failed while re-tagging images <*>" {
		t.Errorf("error tails: %q", got)
	}
	// the transitions of a state machine have one length: events of their own
	var tr []string
	states := []string{"NEW", "UNASSIGNED", "ASSIGNED", "RUNNING", "CLEANUP", "SUCCEEDED", "FAILED", "KILLED", "KILL_WAIT", "COMMIT"}
	for i := 1; i < len(states); i++ {
		tr = append(tr, "task attempt transitioned from "+states[i-1]+" to "+states[i])
	}
	n, got = distinctTemplates(t, tr)
	if n != len(tr) {
		t.Errorf("transitions merged: %q", got)
	}
	// continuations with keys are structured events
	var kv []string
	for _, v := range []string{"accept connection", "append to logs", "commit logs now", "compact logs", "copy the snapshot", "create state file", "close raft storage", "open the write ahead log", "release wal"} {
		kv = append(kv, "raft store worker failed to "+v+" error=EOF")
	}
	n, got = distinctTemplates(t, kv)
	if n != len(kv) {
		t.Errorf("keyed continuations merged: %q", got)
	}
}

func TestFoldPlacesTheWordInAnyGap(t *testing.T) {
	// the name is a number in most lines and a word in the last: the word
	// belongs in the number's gap, not on the wildcard after it
	msgs := []string{
		"sharing folder with device 65 (alpha) now",
		"sharing folder with device 66 (beta) now",
		"sharing folder with device 67 (gamma) now",
		"sharing folder with device payments (delta) now",
	}
	n, got := distinctTemplates(t, msgs)
	if n != 1 || got[3] != "sharing folder with device <*> (<*>) now" {
		t.Errorf("fold: %q", got)
	}
}

func TestHeaderWordMakesNoSharedTail(t *testing.T) {
	// a header word left in the message once ("POOL redis: …", a column
	// of the header taken for the message) does not make the text after
	// "redis:" an error text that other events report: the component's
	// events stay apart
	events := []string{"failed to get a usable connection after retries",
		"all nodes are marked as failed, picking the temporarily failing node",
		"pings to all nodes are failing, picking a random node across the cluster",
		"conn rejected by hook, returning to pool"}
	var msgs []string
	for i := 0; i < 3; i++ {
		for _, e := range events {
			msgs = append(msgs, "redis: "+e)
		}
	}
	for _, e := range events {
		msgs = append(msgs, "POOL redis: "+e)
	}
	got := mineAll(Config{}, msgs)
	seen := map[string]bool{}
	for i, m := range msgs {
		if strings.HasPrefix(m, "redis: ") {
			seen[got[i]] = true
		}
	}
	if len(seen) != len(events) {
		t.Errorf("%d templates for %d events after \"redis:\": %q", len(seen), len(events), got)
	}
}

// A word position whose few distinct words each repeat, many lines each
// when the evidence arrives, names events ("Received install-key query",
// "Received use-key query", "failed to take snapshot" / "failed to open
// snapshot"): it needs two distinct words more than values do, which come
// few lines each.
func TestRepeatingWordsNameEvents(t *testing.T) {
	var msgs []string
	for _, w := range []string{"install-key", "use-key", "remove-key"} {
		for i := 0; i < 40; i++ {
			msgs = append(msgs, "Received "+w+" query from the cluster")
		}
	}
	if n, got := distinctTemplates(t, msgs); n != 3 {
		t.Errorf("repeating event names merged: %q", got)
	}
	// the same three words, few lines each: values
	if n, got := distinctTemplates(t, []string{"Received alpha query from the cluster", "Received beta query from the cluster", "Received gamma query from the cluster"}); n != 1 {
		t.Errorf("values that do not repeat kept apart: %q", got)
	}
	// five distinct words are values however often each repeats
	msgs = msgs[:0]
	for _, w := range []string{"alpha", "beta", "gamma", "delta", "epsilon"} {
		for i := 0; i < 20; i++ {
			msgs = append(msgs, "Received "+w+" query from the cluster")
		}
	}
	if n, got := distinctTemplates(t, msgs); n != 1 || got[0] != "Received <*> query from the cluster" {
		t.Errorf("five repeating words kept apart: %q", got)
	}
	// names with a digit vary as before
	msgs = msgs[:0]
	for _, w := range []string{"web-1", "web-2"} {
		for i := 0; i < 20; i++ {
			msgs = append(msgs, "Received "+w+" query from the cluster")
		}
	}
	if n, got := distinctTemplates(t, msgs); n != 1 {
		t.Errorf("names with a digit kept apart: %q", got)
	}
}

func TestRepeatingWordsOnline(t *testing.T) {
	var msgs [][]byte
	for _, w := range []string{"alpha", "beta", "gamma", "delta", "epsilon", "alpha", "zeta"} {
		for i := 0; i < 9; i++ {
			msgs = append(msgs, []byte("Received "+w+" query from the cluster"))
		}
	}
	checkOnlineMatchesTwoPass(t, msgs)
}

// Many events behind one component's prefix ("vault: peer cache: …"),
// each a sentence that its logging call's fields follow, are the
// component's events, not the error texts of one event: however many
// there are, they stay apart. Error texts after a clause (no fields) still
// make a tail template, also when the statement's own fields follow them
// (the same keys after every tail).
func TestFieldEventsMakeNoTail(t *testing.T) {
	events := []string{"dropped stale entry key=%d", "refreshing entries for shard shard=%d",
		"gave up on peer after retries peer=%d tries=3", "evicted cold entries count=%d",
		"rebalanced slots across owners owners=%d", "skipping pinned entry key=%d",
		"entry expired before read key=%d", "cache warmed from snapshot size=%d",
		"write back deferred under load queue=%d", "peer handed over its entries peer=%d"}
	var msgs []string
	for i := 0; i < 6; i++ {
		for j, e := range events {
			msgs = append(msgs, "vault: peer cache: "+strings.Replace(e, "%d", strconv.Itoa(100*i+j), 1))
		}
	}
	errs := []string{"connection reset by peer", "i/o timeout", "no such host", "broken pipe",
		"permission denied", "context canceled", "too many open files", "disk quota exceeded", "unexpected EOF"}
	for i := 0; i < 2; i++ {
		for j, e := range errs {
			msgs = append(msgs, "vault: failed to flush write queue: "+e)
			// one statement's errors before its own fields: the same keys
			msgs = append(msgs, "vault: dropping stale entry from index: "+e+" entry="+strconv.Itoa(10*i+j))
		}
	}
	got := mineAll(Config{}, msgs)
	seen := map[string]bool{}
	flush, stale := map[string]bool{}, map[string]bool{}
	for i, m := range msgs {
		switch {
		case strings.Contains(m, "peer cache:"):
			seen[got[i]] = true
		case strings.Contains(m, "flush"):
			flush[got[i]] = true
		default:
			stale[got[i]] = true
		}
	}
	if len(seen) != len(events) {
		t.Errorf("%d templates for %d events after \"vault: peer cache:\": %q", len(seen), len(events), got)
	}
	if len(flush) != 1 || len(stale) != 1 {
		t.Errorf("%d and %d templates for two events' error texts: %q", len(flush), len(stale), got)
	}
}
