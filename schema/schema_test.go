package schema

import (
	"bufio"
	"fmt"
	"github.com/gopulse/gopulse/logparse/token"
	"os"
	"path/filepath"
	"testing"

	"github.com/gopulse/gopulse/event"
	"github.com/gopulse/gopulse/logparse"
)

func rec(kv ...string) *logparse.Record {
	r := &logparse.Record{Format: "test"}
	for i := 0; i+1 < len(kv); i += 2 {
		r.Add([]byte(kv[i]), []byte(kv[i+1]), event.TypeUnknown)
	}
	return r
}

func field(t *testing.T, sc Schema, name string) Field {
	t.Helper()
	for _, f := range sc.Fields {
		if f.Name == name {
			return f
		}
	}
	t.Fatalf("no field %q in %+v", name, sc.Fields)
	return Field{}
}

func TestClassify(t *testing.T) {
	cases := []struct {
		key, val string
		want     vote
	}{
		{"n", "42", voteInt},
		{"n", "-3.5", voteFloat},
		{"b", "TRUE", voteBool},
		{"d", "1.5s", voteDuration},
		{"d", "3m20s", voteDuration},
		{"ip", "10.0.0.1", voteIP},
		{"ip", "10.0.0.1:80", voteIP},
		{"ip", "[::1]:80", voteIP},
		{"ip", "2001:db8::1", voteIP},
		{"u", "123e4567-e89b-12d3-a456-426614174000", voteUUID},
		{"h", "0xdeadbeef", voteHex},
		{"h", "5f2b9c0d1e", voteHex},
		{"t", "2024-01-05T10:15:00Z", voteTimestamp},
		{"time", "1704449700", voteTimestamp},
		{"t", "05/Jan/2024:10:15:00 +0000", voteTimestamp},
		{"x", "2024-01-05 10:15:00,123", voteTimestamp},
		{"x", "-", voteNull},
		{"x", "null", voteNull},
		{"x", "", voteNull},
		{"s", "hello world", voteString},
		{"s", "999.1.1.1", voteString},
		{"count", "1704449700", voteInt},
	}
	for _, c := range cases {
		f := event.Field{Key: []byte(c.key), Value: []byte(c.val)}
		if got, _ := classify(&f, 2024); got != c.want {
			t.Errorf("classify(%s=%q) = %v, want %v", c.key, c.val, got, c.want)
		}
	}
}

func TestInference(t *testing.T) {
	s := New(Config{})
	levels := []string{"info", "warn", "error"}
	for i := 0; i < 300; i++ {
		lat := fmt.Sprint(i)
		if i%4 == 0 {
			lat = fmt.Sprintf("%d.5", i) // ints and floats: float
		}
		user := fmt.Sprintf("user-%d", i)
		kv := []string{
			"ts", fmt.Sprintf("2024-01-05T10:%02d:%02dZ", i/60%60, i%60),
			"level", levels[i%3],
			"latency", lat,
			"client", fmt.Sprintf("10.0.%d.%d", i/250, i%250),
			"ok", "true",
			"user", user,
		}
		if i%10 == 0 {
			kv = append(kv, "trace", "-") // optional, mostly absent
		}
		if i%5 == 0 {
			kv[7] = "not-an-ip" // 80% IPs: still an IP at 70%
		}
		s.Observe(rec(kv...))
	}
	sc := s.Schema()
	want := map[string]event.FieldType{
		"ts": event.TypeTimestamp, "level": event.TypeEnum, "latency": event.TypeFloat,
		"client": event.TypeIP, "ok": event.TypeBool, "user": event.TypeString,
	}
	for name, typ := range want {
		if f := field(t, sc, name); f.Type != typ {
			t.Errorf("%s: type %v, want %v", name, f.Type, typ)
		}
	}
	if f := field(t, sc, "ts"); f.Layout != logparse.LayoutRFC3339 {
		t.Errorf("ts layout %q", f.Layout)
	}
	if f := field(t, sc, "client"); f.Confidence < 0.75 || f.Confidence > 0.85 {
		t.Errorf("client confidence %.2f, want ~0.8", f.Confidence)
	}
	if f := field(t, sc, "trace"); f.NullRate < 0.99 {
		t.Errorf("trace null rate %.2f", f.NullRate)
	}
	if f := field(t, sc, "ts"); f.NullRate != 0 {
		t.Errorf("ts null rate %.2f", f.NullRate)
	}
	if f := field(t, sc, "level"); f.Cardinality != 3 || len(f.Values) != 3 || len(f.Examples) != 3 {
		t.Errorf("level: card %d values %v examples %v", f.Cardinality, f.Values, f.Examples)
	}
	if f := field(t, sc, "user"); f.Cardinality < 270 || f.Cardinality > 330 {
		t.Errorf("user cardinality %d, want ~300", f.Cardinality)
	}
}

func TestConfidenceThreshold(t *testing.T) {
	for _, c := range []struct {
		ints int
		conf float64
		want event.FieldType
	}{
		{ints: 65, conf: 0.7, want: event.TypeString},
		{ints: 75, conf: 0.7, want: event.TypeInt},
		{ints: 75, conf: 0.8, want: event.TypeString},
	} {
		s := New(Config{Confidence: c.conf, EnumMax: 1})
		for i := 0; i < 100; i++ {
			v := fmt.Sprint(i)
			if i >= c.ints {
				v = fmt.Sprintf("word%d", i)
			}
			s.Observe(rec("v", v))
		}
		if f := field(t, s.Schema(), "v"); f.Type != c.want {
			t.Errorf("%d%% ints at %.1f: %v, want %v", c.ints, c.conf, f.Type, c.want)
		}
	}
}

func TestStableID(t *testing.T) {
	a, b := New(Config{}), New(Config{})
	for i := 0; i < 50; i++ {
		a.Observe(rec("x", fmt.Sprint(i), "y", "s"))
		b.Observe(rec("y", "s", "x", fmt.Sprint(i)))
	}
	if a.ID() != b.ID() {
		t.Fatalf("field order changed the id: %s %s", a.ID(), b.ID())
	}
	c := New(Config{})
	for i := 0; i < 50; i++ {
		c.Observe(rec("x", "s", "y", "s"))
	}
	if c.ID() == a.ID() {
		t.Fatal("a type change kept the id")
	}
}

func TestDeterministic(t *testing.T) {
	run := func() string {
		s := New(Config{Reservoir: 50, SampleFirst: 20})
		for i := 0; i < 5000; i++ {
			v := fmt.Sprint(i)
			if i%3 == 0 {
				v = "x"
			}
			s.Observe(rec("a", v))
		}
		return fmt.Sprintf("%+v", s.Schema())
	}
	if a, b := run(), run(); a != b {
		t.Fatalf("two runs differ:\n%s\n%s", a, b)
	}
}

// TestDrift reads testdata/schema/drift.log: a stream whose "code" field
// turns from int to string, whose "user" field disappears and whose
// "region" field appears.
func TestDrift(t *testing.T) {
	f, err := os.Open(filepath.Join("..", "testdata", "schema", "drift.logfmt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s := New(Config{Window: 100})
	st := logparse.NewStream(logparse.StreamOptions{Year: 2024})
	var r logparse.Record
	var changes []Change
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if err := st.Parse(sc.Bytes(), &r); err != nil {
			t.Fatalf("parse %q: %v", sc.Text(), err)
		}
		changes = append(changes, s.Observe(&r)...)
	}
	changes = append(changes, s.Flush()...)
	got := map[string]Change{}
	for _, c := range changes {
		got[c.Kind.String()+" "+c.Field] = c
	}
	if c, ok := got["type_changed code"]; !ok || c.From != event.TypeInt || c.To != event.TypeString {
		t.Errorf("no int→string change of code: %+v", changes)
	}
	if _, ok := got["field_removed user"]; !ok {
		t.Errorf("no removal of user: %+v", changes)
	}
	if c, ok := got["field_added region"]; !ok || c.OldID == c.NewID {
		t.Errorf("no addition of region with a new schema id: %+v", changes)
	}
	if len(changes) != 3 {
		t.Errorf("%d changes, want 3: %+v", len(changes), changes)
	}
}

func TestObserveNoAllocs(t *testing.T) {
	s := New(Config{})
	r := rec("ts", "2024-01-05T10:15:00Z", "level", "info", "n", "42", "ip", "10.0.0.1", "msg", "hello")
	for i := 0; i < 2000; i++ {
		s.Observe(r)
	}
	if a := testing.AllocsPerRun(1000, func() { s.Observe(r) }); a != 0 {
		t.Fatalf("Observe allocates %v per record", a)
	}
}

func BenchmarkObserve(b *testing.B) {
	s := New(Config{})
	r := rec("ts", "2024-01-05T10:15:00Z", "level", "info", "status", "200", "client", "10.0.0.1",
		"latency", "0.25", "path", "/api/v1/items", "trace", "5f2b9c0d1e7a")
	size := 0
	for _, f := range r.Fields {
		size += len(f.Key) + len(f.Value) + 2
	}
	b.SetBytes(int64(size))
	b.ReportAllocs()
	for b.Loop() {
		s.Observe(r)
	}
}

func TestSparseFieldDoesNotFlap(t *testing.T) {
	s := New(Config{Window: 100})
	var changes []Change
	for i := 0; i < 2000; i++ {
		kv := []string{"a", "1"}
		if i%150 == 7 { // present in some windows, absent in others
			kv = append(kv, "err", "boom")
		}
		changes = append(changes, s.Observe(rec(kv...))...)
	}
	if len(changes) > 1 { // at most its first appearance
		t.Fatalf("sparse field flaps: %+v", changes)
	}
}

func FuzzObserve(f *testing.F) {
	for _, v := range []string{"42", "1.5s", "[::1]:80", "2024-01-05T10:15:00Z", "0x", "-", "\xff", "1e", "999999999999999999999"} {
		f.Add("k", v)
	}
	s := New(Config{SampleFirst: 5, Reservoir: 8, Window: 10, MaxFields: 4})
	f.Fuzz(func(t *testing.T, k, v string) {
		s.Observe(rec(k, v, "fixed", "1"))
		sc := s.Schema()
		for _, fl := range sc.Fields {
			if fl.NullRate < 0 || fl.NullRate > 1 || fl.Confidence < 0 || fl.Confidence > 1 {
				t.Fatalf("field %+v out of range", fl)
			}
		}
	})
}

// TestCachesKeepResults runs streams through an Inferrer with its caches
// (field by position, last value per field) and through one that
// classifies and hashes every value, and wants the same drift events at
// every record and the same schema at the end.
func TestCachesKeepResults(t *testing.T) {
	mixed := make([]*logparse.Record, 0, 6000)
	for i := 0; i < 6000; i++ {
		v := fmt.Sprint(i % 7) // repeats: the last-value cache hits
		switch {
		case i > 3000 && i%3 != 1:
			v = "word" // the type drifts
		case i%11 == 0:
			v = "-"
		}
		kv := []string{"a", v, "ts", fmt.Sprintf("2024-01-05T10:%02d:%02dZ", i/600%60, i/10%60)}
		if i%2 == 0 {
			kv = []string{"ts", kv[3], "a", v} // another order
		}
		if i%5 == 0 {
			kv = append(kv, "a", "dup", "time", "1704449700") // a repeated key; an epoch
		}
		if i < 2000 || i > 4000 {
			kv = append(kv, "late", fmt.Sprint(i%3 == 0))
		}
		r := rec(kv...)
		if i%4 == 0 { // the same value under another parser type
			for j := range r.Fields {
				if string(r.Fields[j].Key) == "a" {
					r.Fields[j].Type = event.TypeTimestamp
				}
			}
		}
		mixed = append(mixed, r)
	}
	for name, recs := range map[string][]*logparse.Record{"access": accessLog(12000), "mixed": mixed} {
		cfg := Config{Window: 200, SampleFirst: 50, Reservoir: 300}
		fast, exact := New(cfg), New(cfg)
		exact.exact = true
		for n, r := range recs {
			a := fmt.Sprintf("%+v", fast.Observe(r))
			if b := fmt.Sprintf("%+v", exact.Observe(r)); a != b {
				t.Fatalf("%s record %d: changes %s, want %s", name, n+1, a, b)
			}
		}
		a, b := fmt.Sprintf("%+v", fast.Flush()), fmt.Sprintf("%+v", exact.Flush())
		if a != b {
			t.Fatalf("%s flush: %s, want %s", name, a, b)
		}
		if a, b := fmt.Sprintf("%+v", fast.Schema()), fmt.Sprintf("%+v", exact.Schema()); a != b {
			t.Fatalf("%s schema:\n%s\nwant\n%s", name, a, b)
		}
		if a, b := counters(fast), counters(exact); a != b {
			t.Fatalf("%s counters:\n%s\nwant\n%s", name, a, b)
		}
	}
}

// counters prints every field's votes, counts, layouts, distinct values
// and sketch: what the caches could get wrong before it shows in a schema.
func counters(s *Inferrer) string {
	out := ""
	for _, fs := range s.fields {
		out += fmt.Sprintf("%s votes=%v present=%d count=%d layouts=%v small=%v values=%q hll=%v win=%v/%d\n",
			fs.name, fs.votes, fs.present, fs.count, fs.layouts, fs.small, fs.values, fs.hll, fs.winVotes, fs.winPresent)
	}
	return out
}

// TestCardinalityError checks the HyperLogLog estimate against the exact
// count: with 256 registers the standard error is 1.04/16 = 6.5%; every
// estimate must be within three of them.
func TestCardinalityError(t *testing.T) {
	for _, n := range []int{50, 1000, 20000, 200000} {
		for _, shape := range []string{"u%d", "%d", "/api/v1/users/%08d/orders?page=2&sort=desc", "10.%d.1.1"} {
			s := New(Config{})
			for i := 0; i < n; i++ {
				s.Observe(rec("v", fmt.Sprintf(shape, i)))
			}
			got := float64(field(t, s.Schema(), "v").Cardinality)
			if e := got/float64(n) - 1; e < -0.195 || e > 0.195 {
				t.Errorf("%d distinct %q: estimate %.0f (error %.1f%%)", n, shape, got, 100*e)
			}
		}
	}
}

func TestShortKey(t *testing.T) {
	eq := func(a, b []byte) bool { k := keyOf(a, nil); return k.is(b) }
	for n := 0; n <= 40; n++ {
		a := make([]byte, n)
		for i := range a {
			a[i] = byte('a' + i)
		}
		if !eq(a, append([]byte(nil), a...)) {
			t.Fatalf("len %d: equal strings differ", n)
		}
		for i := 0; i < n; i++ {
			b := append([]byte(nil), a...)
			b[i]++
			if eq(a, b) {
				t.Fatalf("len %d: a change at %d is missed", n, i)
			}
		}
		if eq(a, append(append([]byte(nil), a...), 'x')) {
			t.Fatalf("len %d: a longer string is equal", n)
		}
	}
}

var hintValues = []string{"", "-", "null", "true", "0", "42", "-7", "+3", "3.25", "1e9", "1e", "1704449700", "1704449700123",
	"10.0.0.1", "10.0.0.1:80", "256.0.0.1", "1.2.3", "1.2.3.4.5", "1.2.3.4:", "01.002.3.4", "1.5s", "3m20s", "10.5.5ms",
	"::1", "[::1]:80", "2001:db8::1", "123e4567-e89b-12d3-a456-426614174000", "0xdeadbeef", "5f2b9c0d1e",
	"2024-01-05T10:15:00Z", "05/Mar/2024:00:00:00 +0000", "2024-01-05 10:15:00,123", "Mozilla/5.0", "GET", "word", "/path"}

// TestClassifyHint checks that a hint never changes a vote: every value,
// under every hint, key kind and parser type, votes as without a hint.
func TestClassifyHint(t *testing.T) {
	for _, v := range hintValues {
		checkHint(t, v)
	}
}

func checkHint(t *testing.T, v string) {
	t.Helper()
	for _, key := range []string{"x", "time"} {
		for _, typ := range []event.FieldType{event.TypeUnknown, event.TypeInt, event.TypeTimestamp} {
			f := event.Field{Key: []byte(key), Value: []byte(v), Type: typ}
			want, wantLayout := classifyKey(&f, timeKey(f.Key), 2024)
			for h := voteNull; h < numVotes; h++ {
				if got, layout := classifyHint(&f, timeKey(f.Key), 2024, h); got != want || layout != wantLayout {
					t.Fatalf("%s=%q type %v hint %v: %v %q, want %v %q", key, v, typ, h, got, layout, want, wantLayout)
				}
			}
		}
	}
}

func FuzzClassifyHint(f *testing.F) {
	for _, v := range hintValues {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v string) { checkHint(t, v) })
}

// TestSharedLexer: the schema and the template miner type a value alike,
// through the one lexer (logparse/token): 999.1.1.1 is no address for
// either, and a value the miner takes for an address, a number, a
// duration, a UUID or a hex id gets that vote.
func TestSharedLexer(t *testing.T) {
	cases := map[string]vote{
		"999.1.1.1": voteString, "10.0.0.1": voteIP, "10.0.0.1:8080": voteIP, "[::1]:80": voteIP,
		"42": voteInt, "-3.5": voteFloat, "10ms": voteDuration, "5min": voteDuration, "0x1f": voteHex,
		"deadbeef01": voteHex, "123e4567-e89b-12d3-a456-426614174000": voteUUID, "web7": voteString,
	}
	for v, want := range cases {
		f := event.Field{Key: []byte("x"), Value: []byte(v), Type: event.TypeString}
		if got, _ := classify(&f, 0); got != want {
			t.Errorf("schema votes %v for %q, want %v", got, v, want)
		}
		c := token.Classify([]byte(v))
		mine := map[token.Class]vote{token.IP: voteIP, token.Int: voteInt, token.Float: voteFloat, token.Duration: voteDuration,
			token.Hex: voteHex, token.UUID: voteUUID}[c]
		if mine == 0 {
			mine = voteString
		}
		if mine != want {
			t.Errorf("the lexer classes %q as %v, the schema votes %v", v, c, want)
		}
	}
}
