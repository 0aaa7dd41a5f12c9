package schema

import (
	"bufio"
	"fmt"
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

// TestKeyOrderChanges: records whose keys move between positions, repeat,
// or come and go are counted per field by name (the position cache is only
// a shortcut).
func TestKeyOrderChanges(t *testing.T) {
	s := New(Config{})
	shapes := [][]string{
		{"a", "1", "b", "x", "c", "true"},
		{"c", "false", "a", "2", "b", "y"},
		{"b", "z", "b", "w", "a", "3"},
		{"d", "9"},
	}
	for i := range 400 {
		s.Observe(rec(shapes[i%len(shapes)]...))
	}
	got := map[string]uint64{}
	types := map[string]string{}
	for _, f := range s.Schema().Fields {
		got[f.Name] = f.Count
		types[f.Name] = f.Type.String()
	}
	want := map[string]uint64{"a": 300, "b": 300, "c": 200, "d": 100}
	for k, n := range want {
		if got[k] != n {
			t.Errorf("field %s counted %d times, want %d (all: %v)", k, got[k], n, got)
		}
	}
	if types["a"] != "int" || types["c"] != "bool" {
		t.Errorf("types %v", types)
	}
}
