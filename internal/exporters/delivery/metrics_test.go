package delivery

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Every counter of a known reason exists at zero from the start (Prometheus
// practice: rate() and alerts on it work before the first failure). Before,
// gopulse_exporter_dropped_total did not exist until the first drop.
func TestCountersExistAtZero(t *testing.T) {
	cfg := testConfig(t, "http://127.0.0.1:9")
	reg := prometheus.NewPedanticRegistry()
	q, err := New(cfg, Deps{Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			key := mf.GetName()
			for _, lp := range m.GetLabel() {
				if lp.GetName() == "reason" || lp.GetName() == "kind" {
					key += "/" + lp.GetValue()
				}
				if lp.GetName() == "exporter" && lp.GetValue() != "test" {
					t.Errorf("%s: exporter=%q", mf.GetName(), lp.GetValue())
				}
			}
			if v := m.GetCounter().GetValue(); v != 0 {
				t.Errorf("%s = %v at start", key, v)
			}
			seen[key] = true
		}
	}
	want := []string{"gopulse_exporter_sent_total", "gopulse_exporter_queue_bytes", "gopulse_exporter_queue_disk_bytes",
		"gopulse_exporter_queue_errors_total/torn_tail", "gopulse_exporter_queue_errors_total/corrupt"}
	for _, r := range FailReasons {
		want = append(want, "gopulse_exporter_failed_total/"+r)
	}
	for _, r := range DropReasons {
		want = append(want, "gopulse_exporter_dropped_total/"+r)
	}
	for _, w := range want {
		if !seen[w] {
			t.Errorf("%s does not exist at start", w)
		}
	}
	if !seen["gopulse_exporter_dropped_total/queue_full"] || !seen["gopulse_exporter_failed_total/network"] {
		t.Fatal("the reasons that matter most are missing")
	}
}

// gopulse_exporter_queue_bytes is the backlog: what is written and not yet
// delivered. Before, it was the size of the segment files, which keep
// delivered records until the segment is full and deleted, so it could not
// drive a backlog alert.
func TestQueueBytesIsTheBacklog(t *testing.T) {
	var accept atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if !accept.Load() {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	cfg := testConfig(t, srv.URL)
	h := start(t, cfg, Deps{})
	body := strings.Repeat("x", 500)
	for range 20 {
		h.enqueue(body)
	}
	if err := h.q.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	frame := float64(frameHeader + len(body))
	// The backend refuses: everything is backlog.
	waitFor(t, "the backlog to be counted", 5*time.Second, func() bool {
		return h.metric("gopulse_exporter_queue_bytes") == 20*frame
	})
	if st := h.q.Stats(); st.BacklogBytes != int64(20*frame) {
		t.Fatalf("stats backlog %d", st.BacklogBytes)
	}
	// The backend accepts: the backlog drains to zero, while the segment
	// file still holds the delivered records.
	accept.Store(true)
	waitFor(t, "the backlog to drain", 10*time.Second, func() bool {
		return h.metric("gopulse_exporter_queue_bytes") == 0 && h.metric("gopulse_exporter_sent_total") == 20
	})
	if d := h.metric("gopulse_exporter_queue_disk_bytes"); d != 20*frame {
		t.Errorf("disk bytes %v, want %v (the active segment keeps delivered records)", d, 20*frame)
	}
	if st := h.q.Stats(); st.BacklogBytes != 0 || st.Dropped != 0 {
		t.Errorf("stats %+v", st)
	}
}

// Stats tells readiness when and why items were dropped.
func TestStatsReportDrops(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "bad payload", http.StatusBadRequest)
	}))
	defer srv.Close()
	h := start(t, testConfig(t, srv.URL), Deps{})
	before := time.Now()
	h.enqueue("a", "b", "c")
	waitFor(t, "the drops", 5*time.Second, func() bool { return h.q.Stats().Dropped == 3 })
	st := h.q.Stats()
	if st.LastDropReason != "status_400" || st.LastDrop.Before(before) {
		t.Fatalf("stats %+v", st)
	}
	if v := h.metric("gopulse_exporter_dropped_total", "reason", "status_400"); v != 3 {
		t.Fatalf("dropped_total %v", v)
	}
}
