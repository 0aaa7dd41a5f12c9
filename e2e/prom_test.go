//go:build e2e

package e2e

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/gopulse/gopulse/event"
	"github.com/gopulse/gopulse/exporters/delivery"
	"github.com/gopulse/gopulse/exporters/prom"
)

// promQuery runs an instant query and returns the first sample's value.
func promQuery(ctx context.Context, base, query string) (float64, int, error) {
	var resp struct {
		Status string `json:"status"`
		Data   struct {
			Result []struct {
				Metric map[string]string `json:"metric"`
				Value  [2]any            `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := getJSON(ctx, base, "/api/v1/query", url.Values{"query": {query}}, nil, &resp); err != nil {
		return 0, 0, err
	}
	if len(resp.Data.Result) == 0 {
		return 0, 0, errors.New("no series for " + query)
	}
	s, _ := resp.Data.Result[0].Value[1].(string)
	v, err := strconv.ParseFloat(s, 64)
	return v, len(resp.Data.Result), err
}

// TestPrometheusScrapeAndRemoteWrite: Prometheus scrapes the /metrics
// handler on GOPULSE_E2E_PROM_SCRAPE (the address its config targets), and
// series remote-written to it arrive; both are read back with /api/v1/query.
//
// The scrape target is exporters/prom's handler served here; once the agent
// exists, `gopulse agent --listen $GOPULSE_E2E_PROM_SCRAPE` can replace it.
func TestPrometheusScrapeAndRemoteWrite(t *testing.T) {
	base := env(t, "GOPULSE_E2E_PROM_URL")
	scrape := env(t, "GOPULSE_E2E_PROM_SCRAPE")
	service := uniq("e2e-prom")
	const pid = 31337

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	rt := prom.NewRuntime(prom.DefaultRuntimeConfig())
	rt.UpsertProc(&event.Proc{PID: pid, Exe: "/opt/e2e/" + service, Service: service, GoVersion: "go1.26.8"})

	lis, err := net.Listen("tcp", scrape)
	if err != nil {
		t.Fatalf("listen on the scrape address: %v", err)
	}
	srv := &http.Server{Handler: http.NewServeMux(), ReadHeaderTimeout: 5 * time.Second}
	srv.Handler.(*http.ServeMux).Handle("/metrics", prom.NewHandler(reg, rt, testLogger(t)))
	go srv.Serve(lis)
	t.Cleanup(func() { srv.Close() })

	// Remote write the same runtime series (no job label: they did not
	// come through a scrape).
	cfg := prom.DefaultRemoteWriteConfig()
	cfg.Interval = time.Second
	cfg.Queue.Endpoints = []delivery.Endpoint{{URL: base + "/api/v1/write"}}
	cfg.Queue.Dir = t.TempDir()
	dreg := prometheus.NewRegistry()
	w, err := prom.NewRemoteWriter(cfg, prom.RemoteWriteDeps{Logger: testLogger(t), Registerer: dreg, Runtime: rt})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done; w.Close() })

	// GC cycles keep coming while Prometheus scrapes.
	stop := make(chan struct{})
	fed := make(chan struct{})
	go func() {
		defer close(fed)
		for c := uint32(1); ; c++ {
			now := time.Now().UnixNano()
			evs := []event.Runtime{
				{Kind: event.KindSTW, PID: pid, StartNS: now - 3e6, DurationNS: 50_000, Reason: event.STWGCSweepTermination},
				{Kind: event.KindSTW, PID: pid, StartNS: now - 1e5, DurationNS: 70_000, Reason: event.STWGCMarkTermination},
				{Kind: event.KindGCEnd, PID: pid, Cycle: c, TS: now, StartNS: now - 3e6, DurationNS: 3e6, SweepTermNS: 50_000, MarkNS: 2_880_000, MarkTermNS: 70_000},
			}
			for i := range evs {
				rt.HandleRuntime(&evs[i])
			}
			select {
			case <-stop:
				return
			case <-time.After(100 * time.Millisecond):
			}
		}
	}()
	defer func() { close(stop); <-fed }()

	qctx, qcancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer qcancel()
	eventually(t, 90*time.Second, "scraped series", func() error {
		v, _, err := promQuery(qctx, base, fmt.Sprintf(`gopulse_go_gc_cycles_total{job="gopulse",service=%q}`, service))
		if err != nil {
			return err
		}
		if v < 1 {
			return fmt.Errorf("gc cycles %v", v)
		}
		if _, _, err := promQuery(qctx, base, fmt.Sprintf(`gopulse_go_stw_pause_seconds_count{job="gopulse",service=%q,reason="gc_mark_termination"}`, service)); err != nil {
			return err
		}
		_, _, err = promQuery(qctx, base, `up{job="gopulse"} == 1`)
		return err
	})
	eventually(t, 90*time.Second, "remote-written series", func() error {
		v, _, err := promQuery(qctx, base, fmt.Sprintf(`gopulse_go_gc_cycles_total{job="",service=%q}`, service))
		if err != nil {
			return err
		}
		if v < 1 {
			return fmt.Errorf("gc cycles %v", v)
		}
		return nil
	})
	if sent := counter(t, dreg, "gopulse_exporter_sent_total", nil); sent <= 0 {
		t.Errorf("remote write sent_total = %v", sent)
	}
}
