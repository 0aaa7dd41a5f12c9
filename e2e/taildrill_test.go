//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gopulse/gopulse/event"
	"github.com/gopulse/gopulse/internal/exporters/delivery"
	"github.com/gopulse/gopulse/internal/exporters/loki"
	"github.com/gopulse/gopulse/internal/taildrill"
)

// lokiBackend is the real Loki for the drill: an outage kills it with
// SIGKILL and starts it again on its data (its WAL replays what it
// acknowledged).
type lokiBackend struct {
	t     *testing.T
	proxy *taildrill.Sink
}

func (b lokiBackend) URL() string { return b.proxy.URL() }

func (b lokiBackend) SetDown(_ context.Context, down bool) error {
	if down {
		killLoki(b.t)
	} else {
		backends(b.t, []string{"KEEP_DATA=1"}, "start", "loki")
	}
	return nil
}

// TestTailDrillLoki is the crash-and-rotate drill against the real Loki:
// the real agent tails a file written at 20,000 numbered lines/s and
// rotated by rename (numbered siblings, gzip from .3 on) and a second one
// at 1,000 lines/s rotated by copytruncate for 25 s (plus Loki's restart); it is killed with SIGKILL 22
// times at random points (some during a rotation, some followed by
// rotations and new files while it is down) and Loki itself is killed and
// restarted in the middle. A proxy in front of Loki checks every sequence
// number among the pushes Loki accepted and counts the duplicates (Loki
// drops an entry identical to one it has, so it cannot show them): none
// lost, at most one batch (1000 lines) per kill twice; Loki, asked after
// its restart, has every line.
func TestTailDrillLoki(t *testing.T) {
	base := env(t, "GOPULSE_E2E_LOKI_URL")
	bin := buildBinary(t, "../cmd/gopulse")
	proxy, err := taildrill.NewProxy(base)
	if err != nil {
		t.Fatal(err)
	}
	defer proxy.Close()
	ctx := context.Background()
	tag := uniq("drill")
	t0 := time.Now()
	rep, err := taildrill.Run(ctx, taildrill.Config{Bin: bin, Dir: t.TempDir(), Duration: 25 * time.Second,
		Rate: 20000, CTRate: 1000, Kills: 22, RotateEvery: 2 * time.Second,
		OutageAt: 8 * time.Second, OutageFor: 4 * time.Second, Seed: uint64(time.Now().UnixNano()),
		Tag: tag, Logf: t.Logf}, lokiBackend{t, proxy})
	if rep != nil && rep.Agent != nil {
		defer rep.Agent.Stop(30 * time.Second)
	}
	if err != nil {
		if rep != nil && rep.Agent != nil {
			t.Logf("agent output (tail):\n%s", lastLines(rep.Agent.Output(), 80))
		}
		t.Fatal(err)
	}
	n := int(rep.Lines)
	werr := taildrill.Wait(ctx, 5*time.Minute, rep.Lines, func() (int64, error) { return int64(proxy.Distinct(n)), nil })
	res := taildrill.Check(proxy.Counts(), n)
	t.Logf("%d kills (%d during a rotation), %d rotations (%d while down), %d files created while down; through the proxy: %s; proxy %+v",
		rep.Kills, rep.KillsInRotate, rep.Rotations, rep.DownRotations, rep.DownFiles, res, proxy.Stats())
	if werr != nil || res.Lost > 0 {
		t.Logf("agent output (tail):\n%s", lastLines(rep.Agent.Output(), 200))
		t.Fatalf("lost: %s (%v)", res, werr)
	}
	if max := rep.Kills * 1000; res.Duplicated > max {
		t.Errorf("%d duplicates, more than one batch (1000) per kill (%d)", res.Duplicated, max)
	}
	// Ask Loki itself how many of the run's lines it has (one metric query:
	// reading a million lines back takes minutes on a busy CI machine).
	// Loki drops entries identical to one it has, and the agent's
	// duplicates are identical (same line, its own timestamp), so the count
	// is of distinct lines; the proxy above checked every sequence number.
	got := lokiCount(t, base, `{job="gopulse"} |= "run=`+tag+` "`, time.Since(t0)+2*time.Minute, n)
	cpu := rep.Agent.CPU()
	t.Logf("DRILL lines=%d kills=%d lost=0 duplicated=%d loki_read_back=%d agent_cpu=%s (%.0f ns/line)",
		n, rep.Kills, res.Duplicated, got, cpu.Round(time.Millisecond), float64(cpu.Nanoseconds())/float64(n))
}

// lokiCount asks Loki how many entries sel selects over the last span (one
// metric query: reading 100,000s of lines back takes minutes on a busy CI
// machine), waiting up to 3 minutes for at least want.
func lokiCount(t *testing.T, base, sel string, span time.Duration, want int) int {
	t.Helper()
	var got int
	eventually(t, 3*time.Minute, "every line in Loki", func() error {
		q := url.Values{"query": {fmt.Sprintf("sum(count_over_time(%s [%ds]))", sel, int(span.Seconds()))},
			"time": {strconv.FormatInt(time.Now().UnixNano(), 10)}}
		var resp struct {
			Data struct {
				Result []struct {
					Value []json.RawMessage `json:"value"`
				} `json:"result"`
			} `json:"data"`
		}
		if err := getJSON(context.Background(), base, "/loki/api/v1/query", q, nil, &resp); err != nil {
			return err
		}
		if len(resp.Data.Result) != 1 || len(resp.Data.Result[0].Value) != 2 {
			return fmt.Errorf("no count yet: %+v", resp.Data)
		}
		var v string
		if err := json.Unmarshal(resp.Data.Result[0].Value[1], &v); err != nil {
			return err
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			return err
		}
		got = n
		if got < want {
			return fmt.Errorf("%d of %d lines in Loki", got, want)
		}
		return nil
	})
	return got
}

// TestLokiAcceptsInvalidUTF8: a push with invalid UTF-8 in lines, metadata
// and a label value is accepted by the real Loki (before, Loki answered 400
// for the whole push); the bad bytes come back as U+FFFD and the line
// carries invalid_utf8=true; in a label value (Loki refuses U+FFFD there,
// its selector parser takes it for an error) the bad byte becomes '?'.
func TestLokiAcceptsInvalidUTF8(t *testing.T) {
	base := env(t, "GOPULSE_E2E_LOKI_URL")
	reg := prometheus.NewRegistry()
	q := startQueue(t, queueOpts{name: "loki", endpoints: []delivery.Endpoint{{URL: base + loki.PushPath}},
		headers: loki.ProtocolHeaders(), ordered: true, reg: reg})
	x := lokiExporter(t, q)
	job := uniq("e2e-utf8")
	now := time.Now().UnixNano()
	lines := [][]byte{[]byte("latin-1 caf\xe9 au lait"), []byte("cut \xe2\x82"), []byte("fine line"), []byte("\xff\xfe binary")}
	for i, l := range lines {
		x.HandleLog(&event.LogRecord{TS: now + int64(i), Body: l, Format: "raw",
			Labels: []event.Label{{Name: "job", Value: job}, {Name: "pod", Value: "p\xc3od"}},
			Fields: []event.Field{{Key: []byte("user"), Value: []byte("j\xf6rg")}}})
	}
	if err := x.Close(); err != nil {
		t.Fatal(err)
	}
	waitDrained(t, q, time.Minute)
	if d := counter(t, reg, "gopulse_exporter_dropped_total", nil); d != 0 {
		t.Fatalf("Loki refused the push: %v lines dropped", d)
	}
	if s := counter(t, reg, "gopulse_exporter_sent_total", nil); s != float64(len(lines)) {
		t.Fatalf("sent %v lines, want %d", s, len(lines))
	}
	var got []lokiEntry
	eventually(t, time.Minute, "lines back", func() error {
		got = got[:0]
		err := queryLoki(context.Background(), base, `{job="`+job+`"}`, now-1e9, now+1e9, func(e lokiEntry) { got = append(got, e) })
		if err == nil && len(got) < len(lines) {
			err = fmt.Errorf("%d of %d lines", len(got), len(lines))
		}
		return err
	})
	want := map[string]bool{"latin-1 caf\uFFFD au lait": true, "cut \uFFFD\uFFFD": true, "fine line": false, "\uFFFD\uFFFD binary": true}
	for _, e := range got {
		flagged, ok := want[e.Line]
		if !ok {
			t.Errorf("unexpected line %q", e.Line)
			continue
		}
		if (e.Metadata["invalid_utf8"] == "true") != flagged {
			t.Errorf("line %q: metadata %v", e.Line, e.Metadata)
		}
		if e.Stream["pod"] != "p?od" {
			t.Errorf("pod label %q", e.Stream["pod"])
		}
	}
}

func lastLines(s string, n int) string {
	l := strings.Split(s, "\n")
	if len(l) > n {
		l = l[len(l)-n:]
	}
	return strings.Join(l, "\n")
}

var _ = os.Getenv
