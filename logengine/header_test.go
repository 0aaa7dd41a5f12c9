package logengine

import (
	"fmt"
	"testing"
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
	for i := range lines {
		for j := range lines {
			same := eng.Resolve(ids[i]) == eng.Resolve(ids[j])
			if same != (i%3 == j%3) {
				t.Fatalf("lines %d and %d: same template %v (ids %x %x)", i, j, same, eng.Resolve(ids[i]), eng.Resolve(ids[j]))
			}
		}
	}
	// and the first line kept its id: the older template's survives
	if eng.Resolve(ids[0]) != ids[0] {
		t.Fatalf("first line's id %x became %x", ids[0], eng.Resolve(ids[0]))
	}
}
