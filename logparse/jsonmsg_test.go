package logparse

import (
	"fmt"
	"testing"
)

// The records below are written for these tests: no logger's key set is
// copied whole, but each places its message as a kind of logger does
// (GELF's short_message, structlog's event, a program's own key).

func parseAll(t *testing.T, lines []string) []string {
	t.Helper()
	s := NewStream(StreamOptions{Year: 2025})
	var r Record
	var msgs []string
	for i, l := range lines {
		if err := s.Parse([]byte(l), &r); err != nil {
			t.Fatalf("line %d: %v", i+1, err)
		}
		if r.Format != "json" {
			t.Fatalf("line %d: format %q", i+1, r.Format)
		}
		if r.Message == nil {
			msgs = append(msgs, "<nil>")
			continue
		}
		msgs = append(msgs, string(r.Message))
	}
	return msgs
}

func TestJSONMessageUnknownKey(t *testing.T) {
	words := []string{"cache warmup finished in %d ms", "lease lost for slot %d: timeout", "shard %d rebalanced", "reader closed"}
	var lines, want []string
	for i := range 100 {
		m := fmt.Sprintf(words[i%len(words)], i)
		if i%len(words) == 3 {
			m = words[3]
		}
		lines = append(lines, fmt.Sprintf(`{"when":"2025-02-03T10:00:%02d.5Z","txt":%q,"sev":"Info","rid":"%08x","origin":"Shelf.Loader"}`, i%60, m, i*2654435761))
		want = append(want, m)
	}
	got := parseAll(t, lines)
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("line %d: message %q, want %q", i+1, got[i], want[i])
		}
	}
}

func TestJSONMessageOutvotesPairs(t *testing.T) {
	// a statement's own error pair, on many records and more varied than
	// the message, does not take the message; nor does a constant
	// service name with a blank written before it
	var lines, want []string
	for i := range 120 {
		m := "request failed"
		if i%3 == 0 {
			m = fmt.Sprintf("job %d queued", i)
		}
		pair := ""
		if i%5 != 4 {
			pair = fmt.Sprintf(`,"error":"dial tcp: connection %d refused"`, i)
		}
		lines = append(lines, fmt.Sprintf(`{"version":"1.1","service":"billing gateway","short_message":%q,"level":6,"thread":"main"%s}`, m, pair))
		want = append(want, m)
	}
	got := parseAll(t, lines)
	for i := range want {
		if i < msgConstant {
			continue // the service name is not yet known for a constant
		}
		if got[i] != want[i] {
			t.Errorf("line %d: message %q, want %q", i+1, got[i], want[i])
		}
	}
	// the first records: the error pair is written after the message
	for i := range 4 {
		if got[i] == fmt.Sprintf("dial tcp: connection %d refused", i) {
			t.Errorf("line %d: the error pair %q taken for the message", i+1, got[i])
		}
	}
}

func TestJSONMessageKnownKeyFirst(t *testing.T) {
	lines := []string{
		`{"msg":"served","event":"http request done","path":"/a b"}`,
		`{"message":"","event":"a text that is not the message"}`,
		`{"ts":1730000000,"n":3,"ok":true}`,
		`{"id":"a1b2c3d4","logger":"svc.Reader","at":"2025-01-02 03:04:05"}`,
	}
	got := parseAll(t, lines)
	want := []string{"served", "", "<nil>", "<nil>"}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("line %d: message %q, want %q", i+1, got[i], want[i])
		}
	}
}

func TestJSONMessageRecordWithoutKey(t *testing.T) {
	// after the vote, a record without the winning key takes its own
	// most text-like value rather than no message at all
	var lines []string
	for i := range msgVoteRecords + 2 {
		lines = append(lines, fmt.Sprintf(`{"event":"worker %d started","pid":%d}`, i, 100+i))
	}
	lines = append(lines, `{"pid":7,"note":"shutting down now","rid":"9f8e7d6c"}`)
	got := parseAll(t, lines)
	if got[0] != "worker 0 started" || got[msgVoteRecords+1] != fmt.Sprintf("worker %d started", msgVoteRecords+1) {
		t.Errorf("messages %q … %q", got[0], got[msgVoteRecords+1])
	}
	if g := got[len(got)-1]; g != "shutting down now" {
		t.Errorf("record without the key: message %q", g)
	}
}

func TestTextWeight(t *testing.T) {
	var r Record
	for v, want := range map[string]int{
		"lease lost for slot 7: timeout": 2,
		"reader closed":                  2,
		"started":                        1,
		"Info":                           0, // a level word
		"Warn":                           0,
		"a91c07e2":                       0, // an id
		"Shelf.Loader":                   0, // a dotted name
		"10.0.0.7:8080":                  0,
		"worker-3":                       0,
		"2025-02-03 10:00:01.5":          0, // a time, without letters
		"Feb  3 10:00:01":                0, // a time, with them
		"":                               0,
	} {
		if got := textWeight(&r, []byte(v)); got != want {
			t.Errorf("textWeight(%q) = %d, want %d", v, got, want)
		}
	}
}

func TestJSONMessageZeroAllocs(t *testing.T) {
	s := NewStream(StreamOptions{Year: 2025, DetectLines: 1})
	var r Record
	line := []byte(`{"@t":"2025-02-03T10:00:01.5Z","body":"lease lost for slot 7: timeout","sev":"Warn","rid":"03bd5f10","origin":"Shelf.Lease"}`)
	for range 2 * msgVoteRecords {
		if err := s.Parse(line, &r); err != nil {
			t.Fatal(err)
		}
	}
	if string(r.Message) != "lease lost for slot 7: timeout" {
		t.Fatalf("message %q", r.Message)
	}
	if a := testing.AllocsPerRun(200, func() { _ = s.Parse(line, &r) }); a != 0 {
		t.Errorf("%.1f allocs per line", a)
	}
	// during the vote too, once each key was seen
	s = NewStream(StreamOptions{Year: 2025, DetectLines: 1})
	_ = s.Parse(line, &r)
	if a := testing.AllocsPerRun(20, func() { _ = s.Parse(line, &r) }); a != 0 {
		t.Errorf("voting: %.1f allocs per line", a)
	}
}

// An access log written as JSON has no message: its method is one word and
// its user agents are names and versions between blanks, so the vote
// finds no key and no record is given one (it would be mined as one).
func TestJSONAccessLogHasNoMessage(t *testing.T) {
	agents := []string{
		"Mozilla/5.0 (X11; Linux x86_64; rv:123.0) Gecko/20100101 Firefox/123.0",
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36",
		"Mozilla/5.0 (iPhone; CPU iPhone OS 17_3 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.3 Mobile/15E148 Safari/604.1",
		"curl/8.5.0",
	}
	methods := []string{"GET", "PUT", "POST", "DELETE"}
	s := NewStream(StreamOptions{Year: 2025, DetectLines: 1})
	var r Record
	for i := range 3 * msgVoteRecords {
		line := fmt.Sprintf(`{"remote_addr":"10.0.0.%d","time_local":"05/Mar/2024:00:00:%02d +0000","method":%q,"path":"/api/v1/users/%d","status":200,"http_user_agent":%q}`,
			i%250, i%60, methods[i%len(methods)], i, agents[i%len(agents)])
		if err := s.Parse([]byte(line), &r); err != nil {
			t.Fatal(err)
		}
		if i >= msgVoteRecords && len(r.Message) > 0 {
			t.Fatalf("record %d: message %q, want none", i, r.Message)
		}
	}
	for _, a := range agents[:2] {
		if w := textWeight(&r, []byte(a)); w != 0 {
			t.Errorf("textWeight(%q) = %d, want 0", a, w)
		}
	}
}
