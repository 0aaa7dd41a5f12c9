package miner

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func render(m *Miner, msg string) string {
	tp := m.Match([]byte(msg))
	if tp == nil {
		return "<nil>"
	}
	return tp.Text
}

func TestMasking(t *testing.T) {
	m := New(Config{})
	cases := map[string]string{
		"Connection from 10.1.2.3 port 5022 closed":          "Connection from <*> port <*> closed",
		"Got block [173.34.1.86] with id=abc":                "Got block [<*>] with id=<*>",
		"stored block (estimated size 16.0 KB, free 2.0 GB)": "stored block (estimated size <*>, free <*>)",
		"took 12ms to flush /var/lib/data/seg.1":             "took <*> to flush <*>",
		"session uid=0 euid=0 tty=ssh ruser= rhost=10.0.0.9": "session uid=<*> euid=<*> tty=<*> ruser= rhost=<*>",
		"lifetime <1 sec":       "lifetime <*>",
		"expires Nov 9 at noon": "expires <*> at noon",
		"request 123e4567-e89b-12d3-a456-426614174000 served": "request <*> served",
	}
	for in := range cases {
		m.Add([]byte(in))
	}
	for in, want := range cases {
		if got := render(m, in); got != want {
			t.Errorf("template(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParamTypes(t *testing.T) {
	m := New(Config{})
	tp := m.Add([]byte("user bob from 10.0.0.1 took 5ms for 42 items"))
	want := []ParamType{ParamIP, ParamDuration, ParamInt}
	if fmt.Sprint(tp.Params) != fmt.Sprint(want) {
		t.Fatalf("params = %v, want %v", tp.Params, want)
	}
}

// mineAll mines all messages and returns the template text of each.
func mineAll(cfg Config, msgs []string) []string {
	m := New(cfg)
	for _, s := range msgs {
		m.Add([]byte(s))
	}
	m.Consolidate()
	out := make([]string, len(msgs))
	for i, s := range msgs {
		out[i] = render(m, s)
	}
	return out
}

func TestWordParameterNeedsDistinctValues(t *testing.T) {
	users := []string{
		"Invalid user alice from 10.0.0.1",
		"Invalid user bob from 10.0.0.2",
		"Invalid user carol from 10.0.0.3",
		"Invalid user dave from 10.0.0.4",
	}
	got := mineAll(Config{}, users)
	for i, g := range got {
		if g != "Invalid user <*> from <*>" {
			t.Errorf("line %d: %q", i, g)
		}
	}
	// two values, many times each: constants of two different events
	two := []string{
		"Block rdd_1 stored as values in memory",
		"Block rdd_2 stored as bytes in memory",
		"Block rdd_3 stored as values in memory",
		"Block rdd_4 stored as bytes in memory",
	}
	got = mineAll(Config{}, two)
	if got[0] == got[1] || got[0] != got[2] || got[1] != got[3] {
		t.Errorf("bytes/values: %q", got)
	}
	// the first word names the event: never a parameter
	first := []string{"alpha set to 1", "beta set to 2", "gamma set to 3", "delta set to 4"}
	got = mineAll(Config{}, first)
	seen := map[string]bool{}
	for _, g := range got {
		seen[g] = true
	}
	if len(seen) != 4 {
		t.Errorf("first-word merge: %q", got)
	}
}

func TestVariableParameterCount(t *testing.T) {
	got := mineAll(Config{}, []string{
		"app.exe - host:80 close, 403 bytes sent, 426 bytes received, lifetime <1 sec",
		"app.exe - host:80 close, 1190 bytes (1.16 KB) sent, 1671 bytes (1.63 KB) received, lifetime 00:01",
	})
	if got[0] != got[1] {
		t.Fatalf("different templates for one event: %q", got)
	}
}

func TestFoldAndCover(t *testing.T) {
	// a host name without digits where other lines have an IP
	got := mineAll(Config{}, []string{
		"reverse mapping checking getaddrinfo for mail.example.org [10.0.0.1] failed - POSSIBLE BREAK-IN ATTEMPT!",
		"reverse mapping checking getaddrinfo for 10-0-0-2.example.net [10.0.0.2] failed - POSSIBLE BREAK-IN ATTEMPT!",
		"reverse mapping checking getaddrinfo for 10-0-0-3.example.net [10.0.0.3] failed - POSSIBLE BREAK-IN ATTEMPT!",
	})
	if got[0] != got[1] || got[1] != got[2] {
		t.Errorf("fold: %q", got)
	}
	// a signature seen before the wildcard existed joins it
	lines := []string{"Registering class Foo for class Bar"}
	for _, y := range []string{"Yak", "Zed", "Wok"} {
		for _, x := range []string{"Ant", "Bee", "Cat"} {
			lines = append(lines, "Registering class "+x+y+" for class "+y)
		}
	}
	got = mineAll(Config{}, lines)
	for i := 1; i < len(got); i++ {
		if got[i] != got[0] || got[0] != "Registering class <*> for class <*>" {
			t.Errorf("cover: %q", got)
			break
		}
	}
	// a key is structure, never an extra word
	got = mineAll(Config{}, []string{
		"auth failure; logname= uid=0 rhost=10.0.0.1",
		"auth failure; logname= uid=0 rhost=10.0.0.1 user=root",
	})
	if got[0] == got[1] {
		t.Errorf("key folded: %q", got)
	}
}

// TestGluedColonValues: a value glued to its name by ':' ("tag:blue",
// a Go %+v struct's "{Host:shelf-a") is a parameter after constant
// "tag:", on lines whose values are seen once as on lines whose values
// repeat: one template per statement, the names its words.
func TestGluedColonValues(t *testing.T) {
	var lines []string
	for i := 0; i < 12; i++ {
		v := []string{"blue", "green", "red"}[i%3]
		if i%4 == 3 {
			v = fmt.Sprintf("amber-%c", 'a'+i)
		}
		lines = append(lines, "trimming tag:"+v+" dst:/srv/t/"+v+".json",
			"probe {Host:"+v+" Port:"+fmt.Sprint(8000+i)+"} accepted")
	}
	got := mineAll(Config{}, lines)
	for i := range got {
		if got[i] != got[i%2] {
			t.Fatalf("line %d %q: template %q, want %q", i, lines[i], got[i], got[i%2])
		}
	}
	if !strings.HasPrefix(got[0], "trimming tag:<*> dst:<*>") || !strings.HasPrefix(got[1], "probe {Host:<*> <*>} accepted") {
		t.Errorf("templates %q, %q: want the names constant, the values parameters", got[0], got[1])
	}
}

// TestCompactObjectKeys: in a compact JSON object after a message
// ('{"error":"leader changed"}', no blank after the ':') the key is
// constant and the value the parameter, as with a blank after the ':'.
func TestCompactObjectKeys(t *testing.T) {
	got := mineAll(Config{}, []string{
		`could not start shelf-query {"error":"leader changed"} []`,
		`could not start shelf-query {"error":"disk full"} []`,
		`could not start shelf-query {"reason":"leader changed"} []`,
	})
	if got[0] != got[1] || got[0] == got[2] ||
		!strings.HasPrefix(got[0], `could not start shelf-query {"error":"<*>"}`) ||
		!strings.HasPrefix(got[2], `could not start shelf-query {"reason":"<*>"}`) {
		t.Errorf("templates %q: want the keys constant, the values parameters", got)
	}
}

func TestStableIDs(t *testing.T) {
	msgs := []string{"a b c 1", "a b c 2", "x y 3 z", "Invalid user q from 1.1.1.1"}
	ids := func() []uint64 {
		m := New(Config{})
		var out []uint64
		for _, s := range msgs {
			out = append(out, m.Add([]byte(s)).ID)
		}
		return out
	}
	a, b := ids(), ids()
	if fmt.Sprint(a) != fmt.Sprint(b) {
		t.Fatalf("ids differ between runs: %v %v", a, b)
	}
	if a[0] != a[1] || a[0] == a[2] {
		t.Fatalf("ids: %v", a)
	}
	if a[0] != hashString(fnvOffset, "a b c") {
		t.Fatalf("id is not the hash of the canonical template text")
	}
	// a parameter at a new place changes the text, not the id
	m := New(Config{})
	x := *m.Add([]byte("sent 10 packets"))
	y := *m.Add([]byte("sent 10 packets (2 KB)"))
	if x.ID != y.ID || x.Text == y.Text {
		t.Fatalf("gap union: %+v %+v", x, y)
	}
}

func TestBoundedMemory(t *testing.T) {
	m := New(Config{MaxClusters: 64})
	for i := 0; i < 10000; i++ {
		// every message a new signature (words without digits)
		m.Add([]byte("event " + word(i) + " happened on " + word(i*7+3)))
	}
	if m.Len() > 64 {
		t.Fatalf("kept %d signatures, cap 64", m.Len())
	}
	if n := len(m.Templates()); n > 64 {
		t.Fatalf("%d templates, cap 64", n)
	}
	for n, l := range m.byLen {
		for _, g := range l {
			if len(g.members) == 0 {
				t.Fatalf("empty group kept (len %d)", n)
			}
		}
	}
	// the miner still works after evictions
	a := m.Add([]byte("fresh message here"))
	if a.Text != "fresh message here" {
		t.Fatalf("after eviction: %q", a.Text)
	}
}

func word(i int) string {
	var b strings.Builder
	for j := 0; j < 4; j++ {
		b.WriteByte(byte('a' + i%26))
		i /= 26
	}
	return b.String()
}

func TestLongAndOddInput(t *testing.T) {
	m := New(Config{MaxTokens: 8})
	long := strings.Repeat("word ", 1000)
	if tp := m.Add([]byte(long)); tp == nil || tp.Text == "" {
		t.Fatal("no template for a long message")
	}
	for _, s := range []string{"", "   ", "\x00\x01", "\xff\xfe bad utf8 1", "only 1 2 3"} {
		m.Add([]byte(s))
		m.Match([]byte(s))
		m.Render([]byte(s))
	}
}

// TestFixture mines testdata/miner/app.log, a hand-written free-text log
// whose lines name their event in a trailing "#EVENT" comment, and checks
// that the grouping is exact.
func TestFixture(t *testing.T) {
	f, err := os.Open(filepath.Join("..", "..", "testdata", "miner", "messages.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var msgs, events []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		i := strings.LastIndex(line, " #")
		if i < 0 {
			continue
		}
		msgs = append(msgs, line[:i])
		events = append(events, line[i+2:])
	}
	got := mineAll(Config{}, msgs)
	byEvent := map[string]string{}
	byTmpl := map[string]string{}
	for i := range msgs {
		if tp, ok := byEvent[events[i]]; ok && tp != got[i] {
			t.Errorf("event %s split: %q vs %q", events[i], tp, got[i])
		}
		byEvent[events[i]] = got[i]
		if ev, ok := byTmpl[got[i]]; ok && ev != events[i] {
			t.Errorf("template %q merges %s and %s", got[i], ev, events[i])
		}
		byTmpl[got[i]] = events[i]
	}
}

func FuzzMiner(f *testing.F) {
	for _, s := range []string{"a b 1", "uid=0 x", "Nov 9 x", "1 KB", "<1 sec", "[1.2.3.4]:5", "", "= = ="} {
		f.Add(s)
	}
	m := New(Config{MaxClusters: 32, ConsolidateEvery: 8})
	f.Fuzz(func(t *testing.T, s string) {
		tp := m.Add([]byte(s))
		if tp == nil {
			t.Fatal("nil template")
		}
		if got := m.Match([]byte(s)); got == nil {
			t.Fatalf("Match after Add is nil for %q", s)
		}
	})
}

func TestParams(t *testing.T) {
	m := New(Config{})
	for _, u := range []string{"ann", "bob", "cy"} {
		m.Add([]byte("Invalid user " + u + " from 10.0.0.1 port 22 uid=0"))
	}
	m.Consolidate()
	msg := []byte("Invalid user dora from [10.0.0.2] port 2222 uid=7")
	if tp := m.Match(msg); tp == nil || tp.Text != "Invalid user <*> from <*> port <*> uid=<*>" {
		t.Fatalf("template %+v", tp)
	}
	var got []string
	for _, p := range m.Params(msg, nil) {
		got = append(got, p.Type.String()+":"+string(p.Value))
	}
	if want := "[string:dora ip:10.0.0.2 int:2222 int:7]"; fmt.Sprint(got) != want {
		t.Fatalf("params %v, want %s", got, want)
	}
	var dst []Param
	if a := testing.AllocsPerRun(100, func() { m.Match(msg); dst = m.Params(msg, dst[:0]) }); a != 0 {
		t.Fatalf("Match+Params allocate %v", a)
	}
}

func TestNumTemplates(t *testing.T) {
	m := New(Config{})
	if m.NumTemplates() != 0 {
		t.Fatal("templates in an empty miner")
	}
	for i := range 40 {
		m.Add([]byte(fmt.Sprintf("connection %d closed after %d bytes", i, i*7)))
		m.Add([]byte(fmt.Sprintf("user u%d logged in from 10.0.0.%d", i, i)))
	}
	if got, want := m.NumTemplates(), len(m.Templates()); got != want || got < 2 {
		t.Fatalf("NumTemplates %d, len(Templates) %d", got, want)
	}
}
