package loki

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/golang/snappy"
	"github.com/grafana/loki/pkg/push"

	"github.com/gopulse/gopulse/event"
)

// testRecords returns n records spread over three streams, with fields.
func testRecords(n int) []event.LogRecord {
	recs := make([]event.LogRecord, n)
	base := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC).UnixNano()
	for i := range recs {
		pod := fmt.Sprintf("api-%d", i%3)
		recs[i] = event.LogRecord{
			Source: "/var/log/pods/x.log",
			Format: "logfmt",
			TS:     base + int64(i)*1001,
			Level:  []byte("info"),
			Body:   []byte(fmt.Sprintf(`level=info msg="request done" status=%d path=/v1/items/%d dur=%dms`, 200+i%5, i, i%97)),
			Labels: []event.Label{{Name: "service", Value: "api"}, {Name: "node", Value: "n1"}, {Name: "namespace", Value: "shop"}, {Name: "pod", Value: pod}, {Name: "container", Value: "api"}, {Name: "source", Value: "unbounded-ignored"}},
			Fields: []event.Field{
				{Key: []byte("msg"), Value: []byte("request done"), Type: event.TypeString},
				{Key: []byte("status"), Value: []byte(fmt.Sprint(200 + i%5)), Type: event.TypeInt},
				{Key: []byte("http.path"), Value: []byte(fmt.Sprintf("/v1/items/%d", i)), Type: event.TypeString},
				{Key: []byte("dur"), Value: []byte(fmt.Sprintf("%dms", i%97)), Type: event.TypeDuration},
			},
		}
	}
	return recs
}

// reference builds the same request with the official push types.
func reference(job string, recs []event.LogRecord) *push.PushRequest {
	req := &push.PushRequest{}
	idx := map[string]int{}
	for i := range recs {
		r := &recs[i]
		var ns, pod, ctr, svc, node string
		for _, l := range r.Labels {
			switch l.Name {
			case "service":
				svc = l.Value
			case "node":
				node = l.Value
			case "namespace":
				ns = l.Value
			case "pod":
				pod = l.Value
			case "container":
				ctr = l.Value
			}
		}
		sel := fmt.Sprintf(`{container=%q, format=%q, job=%q, namespace=%q, node=%q, pod=%q, service=%q}`, ctr, r.Format, job, ns, node, pod, svc)
		si, ok := idx[sel]
		if !ok {
			si = len(req.Streams)
			idx[sel] = si
			req.Streams = append(req.Streams, push.Stream{Labels: sel})
		}
		en := push.Entry{Timestamp: time.Unix(0, r.TS).UTC(), Line: string(r.Body)}
		for _, f := range r.Fields {
			name := string(bytes.ReplaceAll(f.Key, []byte("."), []byte("_")))
			en.StructuredMetadata = append(en.StructuredMetadata, push.LabelAdapter{Name: name, Value: string(f.Value)})
		}
		en.StructuredMetadata = append(en.StructuredMetadata, push.LabelAdapter{Name: "level", Value: string(r.Level)})
		req.Streams[si].Entries = append(req.Streams[si].Entries, en)
	}
	return req
}

func TestEncoderMatchesPushTypes(t *testing.T) {
	recs := testRecords(50)
	enc := NewEncoder("gopulse")
	for round := 0; round < 2; round++ { // the second round reuses every buffer
		for i := range recs {
			enc.Append(&recs[i])
		}
		if enc.Len() != len(recs) {
			t.Fatalf("Len = %d, want %d", enc.Len(), len(recs))
		}
		want, err := reference("gopulse", recs).Marshal()
		if err != nil {
			t.Fatal(err)
		}
		got := enc.AppendProto(nil)
		if !bytes.Equal(got, want) {
			t.Fatalf("round %d: encoding differs from push.PushRequest.Marshal (%d vs %d bytes)", round, len(got), len(want))
		}
		body := enc.Encode()
		raw, err := snappy.Decode(nil, body)
		if err != nil {
			t.Fatalf("snappy: %v", err)
		}
		var dec push.PushRequest
		if err := dec.Unmarshal(raw); err != nil {
			t.Fatalf("unmarshal: %v", err)
		}
		if len(dec.Streams) != 3 {
			t.Fatalf("streams = %d, want 3", len(dec.Streams))
		}
		// Per-stream order is arrival order.
		for _, s := range dec.Streams {
			for j := 1; j < len(s.Entries); j++ {
				if !s.Entries[j].Timestamp.After(s.Entries[j-1].Timestamp) {
					t.Fatalf("stream %s: entry %d out of order", s.Labels, j)
				}
			}
		}
		enc.Reset()
		if enc.Len() != 0 {
			t.Fatalf("Len after Reset = %d", enc.Len())
		}
	}
}

func TestEncoderEdgeCases(t *testing.T) {
	enc := NewEncoder("j")
	enc.maxLine = 8
	recs := []event.LogRecord{
		{TS: -1_500_000_000, Body: []byte("0123456789abc"), Labels: []event.Label{{Name: "pod", Value: `we"ird\pod`}}},
		{TS: 0, Body: nil, Fields: []event.Field{{Key: []byte("9lives"), Value: []byte("x")}, {Key: []byte("empty"), Value: nil}, {Key: []byte("level"), Value: []byte("warn")}}, Level: []byte("warn")},
	}
	for i := range recs {
		enc.Append(&recs[i])
	}
	var dec push.PushRequest
	if err := dec.Unmarshal(enc.AppendProto(nil)); err != nil {
		t.Fatal(err)
	}
	if len(dec.Streams) != 2 {
		t.Fatalf("streams = %d, want 2", len(dec.Streams))
	}
	if got, want := dec.Streams[0].Labels, `{job="j", pod="we\"ird\\pod"}`; got != want {
		t.Errorf("labels = %s, want %s", got, want)
	}
	e0 := dec.Streams[0].Entries[0]
	if e0.Line != "01234567" {
		t.Errorf("line not truncated: %q", e0.Line)
	}
	if !e0.Timestamp.Equal(time.Unix(0, -1_500_000_000)) {
		t.Errorf("negative ts = %v", e0.Timestamp)
	}
	md := dec.Streams[1].Entries[0].StructuredMetadata
	if len(md) != 2 || md[0].Name != "_9lives" || md[1].Name != "level" || md[1].Value != "warn" {
		t.Errorf("metadata = %+v", md)
	}
}

func TestEncoderStreamIndexBounded(t *testing.T) {
	enc := NewEncoder("j")
	enc.maxStreams = 10
	for i := 0; i < 25; i++ {
		rec := event.LogRecord{Body: []byte("x"), Labels: []event.Label{{Name: "pod", Value: fmt.Sprint(i)}}}
		enc.Append(&rec)
	}
	enc.Reset()
	if len(enc.streams) != 0 || len(enc.index) != 0 {
		t.Fatalf("stream index not pruned: %d streams", len(enc.streams))
	}
}

func TestEncoderZeroAllocs(t *testing.T) {
	recs := testRecords(64)
	enc := NewEncoder("gopulse")
	run := func() {
		for i := range recs {
			enc.Append(&recs[i])
		}
		enc.Encode()
		enc.Reset()
	}
	run()
	if a := testing.AllocsPerRun(20, run); a != 0 {
		t.Fatalf("allocs per batch = %v, want 0", a)
	}
}

func TestEncoderStreamFastPathFollowsReusedLabels(t *testing.T) {
	// The producer reuses its record and label slice: the fast path must
	// notice a changed label value.
	enc := NewEncoder("j")
	labels := []event.Label{{Name: "pod", Value: "a"}}
	rec := event.LogRecord{Format: "json", Body: []byte("x"), Labels: labels}
	enc.Append(&rec)
	enc.Append(&rec)
	labels[0].Value = "b"
	enc.Append(&rec)
	rec.Format = "logfmt"
	enc.Append(&rec)
	var dec push.PushRequest
	if err := dec.Unmarshal(enc.AppendProto(nil)); err != nil {
		t.Fatal(err)
	}
	want := []string{`{format="json", job="j", pod="a"}`, `{format="json", job="j", pod="b"}`, `{format="logfmt", job="j", pod="b"}`}
	if len(dec.Streams) != len(want) {
		t.Fatalf("streams = %d, want %d", len(dec.Streams), len(want))
	}
	for i, s := range dec.Streams {
		if s.Labels != want[i] {
			t.Errorf("stream %d = %s, want %s", i, s.Labels, want[i])
		}
	}
	if len(dec.Streams[0].Entries) != 2 {
		t.Errorf("first stream entries = %d, want 2", len(dec.Streams[0].Entries))
	}
}

// Invalid UTF-8 never reaches Loki, which refuses a whole push for one bad
// line: invalid sequences become U+FFFD in lines, metadata values and label
// values, and such a line carries invalid_utf8=true. A line cut at the
// length limit is cut between characters.
func TestEncoderInvalidUTF8(t *testing.T) {
	enc := NewEncoder("j")
	enc.maxLine = 10
	recs := []event.LogRecord{
		{TS: 1, Body: []byte("ok \xff\xfe end"), Labels: []event.Label{{Name: "pod", Value: "p\xc3"}},
			Fields: []event.Field{{Key: []byte("k"), Value: []byte("v\x80")}}},
		{TS: 2, Body: []byte("123456789é")}, // é is 2 bytes at 9..10: cut before it
		{TS: 3, Body: []byte("fine")},
	}
	for i := range recs {
		enc.Append(&recs[i])
	}
	var dec push.PushRequest
	if err := dec.Unmarshal(enc.AppendProto(nil)); err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, st := range dec.Streams {
		if !utf8.ValidString(st.Labels) || strings.ContainsRune(st.Labels, utf8.RuneError) {
			t.Errorf("labels %q", st.Labels)
		}
		for _, e := range st.Entries {
			lines = append(lines, e.Line)
			md := map[string]string{}
			for _, m := range e.StructuredMetadata {
				if !utf8.ValidString(m.Value) {
					t.Errorf("metadata %q", m.Value)
				}
				md[m.Name] = m.Value
			}
			switch e.Line {
			case "ok \uFFFD\uFFFD end":
				if md["invalid_utf8"] != "true" || md["k"] != "v\uFFFD" {
					t.Errorf("metadata %v", md)
				}
			default:
				if _, ok := md["invalid_utf8"]; ok {
					t.Errorf("%q flagged", e.Line)
				}
			}
		}
	}
	want := []string{"ok \uFFFD\uFFFD end", "123456789", "fine"}
	slices.Sort(lines)
	slices.Sort(want)
	if !slices.Equal(lines, want) {
		t.Fatalf("lines %q, want %q", lines, want)
	}
}

// TestEncoderTemplateID: a record's template id is sent as template_id
// metadata, and a merge reported before the batch is encoded changes it.
func TestEncoderTemplateID(t *testing.T) {
	recs := testRecords(4)
	for i := range recs {
		recs[i].TemplateID = uint64(0xabc + i%2)
	}
	enc := NewEncoder("gopulse")
	for i := range recs {
		enc.Append(&recs[i])
	}
	enc.AliasTemplate(0xabd, 0xabc)
	raw, err := snappy.Decode(nil, enc.Encode())
	if err != nil {
		t.Fatal(err)
	}
	var dec push.PushRequest
	if err := dec.Unmarshal(raw); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, s := range dec.Streams {
		for _, en := range s.Entries {
			for _, md := range en.StructuredMetadata {
				if md.Name == "template_id" {
					n++
					if md.Value != "0000000000000abc" {
						t.Fatalf("template_id %q, want the merged id", md.Value)
					}
				}
			}
		}
	}
	if n != len(recs) {
		t.Fatalf("%d template_id entries for %d records", n, len(recs))
	}
}
