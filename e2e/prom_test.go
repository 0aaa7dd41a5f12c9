//go:build e2e

package e2e

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"testing"
	"time"
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

// TestPrometheusScrapeAndRemoteWrite: the real agent (`gopulse agent
// --listen $GOPULSE_E2E_PROM_SCRAPE`, the address Prometheus's config
// scrapes) probes a real GC-heavy Go program; Prometheus scrapes the agent,
// and the agent also remote-writes to Prometheus. Both copies of the target's
// GC-cycle counter are read back with /api/v1/query: the scraped one carries
// job="gopulse", the remote-written one no job (it came through no scrape).
func TestPrometheusScrapeAndRemoteWrite(t *testing.T) {
	base := env(t, "GOPULSE_E2E_PROM_URL")
	scrape := env(t, "GOPULSE_E2E_PROM_SCRAPE")
	a := startRealAgent(t, scrape, fmt.Sprintf(`  prometheus:
    interval: 1s
    remote_write:
      endpoints:
        - url: %s/api/v1/write
`, base))
	pid := a.pid()

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var scraped, written float64
	eventually(t, 2*time.Minute, "scraped series", func() error {
		v, _, err := promQuery(ctx, base, fmt.Sprintf(`gopulse_go_gc_cycles_total{job="gopulse",pid=%q}`, pid))
		if err != nil {
			return err
		}
		if v < 1 {
			return fmt.Errorf("gc cycles %v", v)
		}
		scraped = v
		if _, _, err := promQuery(ctx, base, fmt.Sprintf(`gopulse_go_stw_pause_seconds_count{job="gopulse",pid=%q}`, pid)); err != nil {
			return err
		}
		_, _, err = promQuery(ctx, base, `up{job="gopulse"} == 1`)
		return err
	})
	eventually(t, 2*time.Minute, "remote-written series", func() error {
		v, _, err := promQuery(ctx, base, fmt.Sprintf(`gopulse_go_gc_cycles_total{job="",pid=%q}`, pid))
		if err != nil {
			return err
		}
		if v < 1 {
			return fmt.Errorf("gc cycles %v", v)
		}
		written = v
		return nil
	})
	// The agent's own delivery metrics, scraped: the remote writes it sent,
	// and none refused (e.g. 400 "out of order sample" when requests
	// overtake each other).
	eventually(t, time.Minute, "remote write sent_total", func() error {
		v, _, err := promQuery(ctx, base, `sum(gopulse_exporter_sent_total{job="gopulse",exporter="prometheus_remote_write"})`)
		if err != nil {
			return err
		}
		if v <= 0 {
			return fmt.Errorf("sent_total %v", v)
		}
		return nil
	})
	if v, _, err := promQuery(ctx, base, `sum(gopulse_exporter_dropped_total{job="gopulse",exporter="prometheus_remote_write"})`); err == nil && v != 0 {
		t.Errorf("the agent dropped %v remote-written samples", v)
	}
	t.Logf("target pid %s: gc cycles scraped %v, remote-written %v", pid, scraped, written)
}
