//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang/snappy"
	"github.com/grafana/loki/pkg/push"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/gopulse/gopulse/event"
	"github.com/gopulse/gopulse/internal/exporters/delivery"
	"github.com/gopulse/gopulse/internal/exporters/loki"
)

// lokiEntry is one line read back.
type lokiEntry struct {
	TS       int64
	Line     string
	Stream   map[string]string
	Metadata map[string]string
}

// queryLoki reads every line of selector in [from, to] back, page by page
// (lines must have distinct timestamps).
func queryLoki(ctx context.Context, base, selector string, from, to int64, fn func(lokiEntry)) error {
	return queryLokiPages(ctx, base, selector, from, to, 5000, fn)
}

// queryLokiPages is queryLoki with page entries per query (at most the
// server's max_entries_limit_per_query).
func queryLokiPages(ctx context.Context, base, selector string, from, to int64, page int, fn func(lokiEntry)) error {
	start := from
	for {
		q := url.Values{
			"query": {selector}, "direction": {"forward"}, "limit": {strconv.Itoa(page)},
			"start": {strconv.FormatInt(start, 10)}, "end": {strconv.FormatInt(to, 10)},
		}
		var resp struct {
			Status string `json:"status"`
			Data   struct {
				Result []struct {
					Stream map[string]string   `json:"stream"`
					Values [][]json.RawMessage `json:"values"`
				} `json:"result"`
			} `json:"data"`
		}
		hdr := map[string]string{"X-Loki-Response-Encoding-Flags": "categorize-labels"}
		if err := getJSON(ctx, base, "/loki/api/v1/query_range", q, hdr, &resp); err != nil {
			return err
		}
		n, last := 0, start
		for _, r := range resp.Data.Result {
			for _, v := range r.Values {
				var e lokiEntry
				var ts string
				if len(v) < 2 || json.Unmarshal(v[0], &ts) != nil || json.Unmarshal(v[1], &e.Line) != nil {
					return fmt.Errorf("bad value %s", v)
				}
				e.TS, _ = strconv.ParseInt(ts, 10, 64)
				e.Stream = r.Stream
				if len(v) > 2 {
					var cat struct {
						StructuredMetadata map[string]string `json:"structuredMetadata"`
					}
					if err := json.Unmarshal(v[2], &cat); err != nil {
						return fmt.Errorf("categorized labels %s: %w", v[2], err)
					}
					e.Metadata = cat.StructuredMetadata
				}
				fn(e)
				n++
				last = max(last, e.TS)
			}
		}
		if n < page {
			return nil
		}
		start = last + 1
	}
}

// countLoki counts the lines of selector in [from, to].
func countLoki(ctx context.Context, base, selector string, from, to int64) (int, error) {
	n := 0
	err := queryLoki(ctx, base, selector, from, to, func(lokiEntry) { n++ })
	return n, err
}

// logLine fills rec with line seq of run: a logfmt line with four fields.
func logLine(rec *event.LogRecord, buf []byte, job string, base int64, seq, run int) []byte {
	buf = fmt.Appendf(buf[:0], "level=info msg=\"order placed\" seq=%d run=%d user=u%d amount=%d.%02d", seq, run, seq%977, seq%500, seq%100)
	*rec = event.LogRecord{
		Format: "logfmt",
		TS:     base + int64(seq)*1000 + int64(run),
		Level:  []byte("info"),
		Body:   buf,
		Labels: []event.Label{{Name: "job", Value: job}, {Name: "namespace", Value: "e2e"}, {Name: "pod", Value: "pod-" + strconv.Itoa(seq%4)}},
		Fields: []event.Field{
			{Key: []byte("msg"), Value: []byte("order placed"), Type: event.TypeString},
			{Key: []byte("seq"), Value: strconv.AppendInt(nil, int64(seq), 10), Type: event.TypeInt},
			{Key: []byte("user.id"), Value: fmt.Appendf(nil, "u%d", seq%977), Type: event.TypeString},
		},
	}
	return buf
}

// parseSeq returns the seq and run of a line written by logLine.
func parseSeq(line string) (seq, run int, ok bool) {
	i := strings.Index(line, " seq=")
	j := strings.Index(line, " run=")
	if i < 0 || j < 0 {
		return 0, 0, false
	}
	seq, err1 := strconv.Atoi(line[i+5 : j])
	k := strings.IndexByte(line[j+5:], ' ')
	if k < 0 {
		return 0, 0, false
	}
	run, err2 := strconv.Atoi(line[j+5 : j+5+k])
	return seq, run, err1 == nil && err2 == nil
}

func lokiExporter(t *testing.T, q loki.Queue) *loki.Exporter {
	t.Helper()
	cfg := loki.DefaultConfig()
	cfg.FlushInterval = 200 * time.Millisecond
	x, err := loki.New(cfg, loki.Deps{Queue: q, Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	return x
}

// orderCheck wraps the HTTP transport and checks, for every push Loki
// accepted, that each stream's entries come after everything Loki accepted
// for that stream before: the order in which Loki received them.
type orderCheck struct {
	tr *delivery.HTTPTransport

	mu       sync.Mutex
	inflight int
	maxIn    int
	last     map[string]int64 // stream labels -> newest accepted timestamp
	pushes   int
	problems []string
}

func (c *orderCheck) Send(ctx context.Context, ep delivery.Endpoint, body []byte) error {
	c.mu.Lock()
	c.inflight++
	c.maxIn = max(c.maxIn, c.inflight)
	c.mu.Unlock()
	err := c.tr.Send(ctx, ep, body)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.inflight--
	if err != nil {
		return err
	}
	c.pushes++
	raw, derr := snappy.Decode(nil, body)
	var req push.PushRequest
	if derr == nil {
		derr = req.Unmarshal(raw)
	}
	if derr != nil {
		c.problems = append(c.problems, "decode push: "+derr.Error())
		return nil
	}
	for _, st := range req.Streams {
		prev := c.last[st.Labels]
		for _, e := range st.Entries {
			ts := e.Timestamp.UnixNano()
			if ts <= prev && len(c.problems) < 5 {
				c.problems = append(c.problems, fmt.Sprintf("push %d, stream %s: entry %d after %d", c.pushes, st.Labels, ts, prev))
			}
			prev = ts
		}
		c.last[st.Labels] = prev
	}
	return nil
}

func TestLokiPush100k(t *testing.T) {
	base := env(t, "GOPULSE_E2E_LOKI_URL")
	job := uniq("e2e-100k")
	reg := prometheus.NewRegistry()
	htr, err := delivery.NewHTTPTransport(delivery.HTTPConfig{Timeout: 10 * time.Second}, loki.ProtocolHeaders())
	if err != nil {
		t.Fatal(err)
	}
	oc := &orderCheck{tr: htr, last: map[string]int64{}}
	q := startQueue(t, queueOpts{
		name: "loki", endpoints: []delivery.Endpoint{{URL: base + loki.PushPath}},
		headers: loki.ProtocolHeaders(), reg: reg, ordered: true, transport: oc,
	})
	x := lokiExporter(t, q)
	const lines = 100_000
	t0 := time.Now().Add(-time.Minute).UnixNano()
	var rec event.LogRecord
	var buf []byte
	for i := 0; i < lines; i++ {
		buf = logLine(&rec, buf, job, t0, i, 1)
		x.HandleLog(&rec)
	}
	if err := x.Close(); err != nil {
		t.Fatal(err)
	}
	waitDrained(t, q, 2*time.Minute)
	if sent := counter(t, reg, "gopulse_exporter_sent_total", nil); sent != lines {
		t.Errorf("gopulse_exporter_sent_total = %v, want %d", sent, lines)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	seen := make([]bool, lines)
	var got, bad, disorder int
	var disorderEx []string
	eventually(t, time.Minute, "all lines back", func() error {
		clear(seen)
		got, bad, disorder = 0, 0, 0
		disorderEx = disorderEx[:0]
		// Per stream, in the order Loki returns them. The key is the whole
		// label set: Loki may shard a busy stream (__stream_shard__).
		lastSeq := map[string]int{}
		err := queryLoki(ctx, base, `{job="`+job+`"}`, t0, t0+lines*1000+1e9, func(e lokiEntry) {
			seq, _, ok := parseSeq(e.Line)
			if !ok || seq >= lines || seen[seq] {
				bad++
				return
			}
			seen[seq] = true
			got++
			key := fmt.Sprint(e.Stream) // fmt prints maps sorted by key
			if prev, ok := lastSeq[key]; ok && seq <= prev {
				disorder++
				if len(disorderEx) < 5 {
					disorderEx = append(disorderEx, fmt.Sprintf("%v: seq %d (ts %d) after %d", e.Stream, seq, e.TS, prev))
				}
			}
			lastSeq[key] = seq
			md := e.Metadata
			if md["seq"] != strconv.Itoa(seq) || md["user_id"] != fmt.Sprintf("u%d", seq%977) || md["msg"] != "order placed" || md["level"] != "info" {
				if bad < 5 {
					t.Errorf("line %d: structured metadata %v", seq, md)
				}
				bad++
			}
			if e.Stream["namespace"] != "e2e" || e.Stream["pod"] != "pod-"+strconv.Itoa(seq%4) || e.Stream["format"] != "logfmt" {
				bad++
			}
		})
		if err != nil {
			return err
		}
		if got != lines {
			return fmt.Errorf("%d of %d lines back", got, lines)
		}
		return nil
	})
	if bad != 0 {
		t.Fatalf("%d lines with wrong content, metadata or labels", bad)
	}
	if disorder != 0 {
		t.Fatalf("%d lines read back out of order within their stream: %v", disorder, disorderEx)
	}
	oc.mu.Lock()
	defer oc.mu.Unlock()
	if len(oc.problems) > 0 {
		t.Fatalf("pushes reached Loki out of order: %v", oc.problems)
	}
	if oc.maxIn != 1 {
		t.Fatalf("%d pushes in flight at once, want 1 (ordered delivery)", oc.maxIn)
	}
	t.Logf("%d lines pushed in %d ordered pushes and read back in order with structured metadata", got, oc.pushes)
}
