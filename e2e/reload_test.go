//go:build e2e

package e2e

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gopulse/gopulse/internal/taildrill"
)

// TestReloadUnderLoad is issue 10's acceptance for reloads: the real agent
// tails 100,000 numbered lines written at 5,000 lines/s into the real Loki
// (through a proxy that counts every sequence number Loki accepted, per
// stream in the order they arrived) and probes a GC-heavy Go target, while
// its config is reloaded five times, valid and invalid alternating, by
// SIGHUP and by POST /-/reload. Every line must arrive exactly once — none
// lost, none duplicated (a push in flight when a queue stops is let finish
// and acknowledged; a record the log engine holds is read again by the new
// tailer, not emitted at the stop) — and each stream in order, up to and
// after the SIGTERM below; Loki, asked afterwards, must count exactly the
// 100,000 lines. (Loki 3.7 drops an entry identical — timestamp, line,
// metadata — to its stream's last one or to one in the head block of the
// stream's open chunk, and a line the agent sends again carries the same
// ts=, so Loki's count alone could hide duplicates: the proxy counts them
// on the way in.) An invalid config must be refused (HTTP 500,
// gopulse_config_last_reload_successful 0, every problem logged) and a
// valid one applied; the target's gopulse_go_gc_cycles_total must never go
// backwards nor vanish. Every valid reload changes the log poll interval,
// the last one also logs.field_names, logs.multiline.max_wait and
// kubernetes.node_name: each must keep the log source running (its file
// opened once, its parser going on with the changes applied in place).
// Then SIGTERM: the agent sends what is queued and exits 0.
func TestReloadUnderLoad(t *testing.T) {
	base := env(t, "GOPULSE_E2E_LOKI_URL")
	if os.Geteuid() != 0 {
		if os.Getenv("CI") == "true" {
			t.Fatal("the agent attaches uprobes and needs root on CI")
		}
		t.Skip("the agent attaches uprobes and needs root")
	}
	const lines, rate = 100_000, 5_000
	bin := buildBinary(t, "../cmd/gopulse")
	dir := t.TempDir()
	target := filepath.Join(dir, uniq("e2e-reload-gc"))
	if err := os.Rename(buildBinary(t, "./gctarget"), target); err != nil {
		t.Fatal(err)
	}
	tgt := exec.Command(target, "-gc", "20ms")
	if err := tgt.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tgt.Process.Kill(); tgt.Wait() })
	pidLabel := fmt.Sprintf(`pid="%d"`, tgt.Process.Pid)

	proxy, err := taildrill.NewProxy(base)
	if err != nil {
		t.Fatal(err)
	}
	defer proxy.Close()
	tag := uniq("reload")
	w := &taildrill.Writer{Path: filepath.Join(dir, "logs", "app.log"), Rate: rate, Pad: 20, Tag: tag}
	if err := os.MkdirAll(filepath.Dir(w.Path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := w.Open(); err != nil {
		t.Fatal(err)
	}

	listen := freeAddr(t)
	cfgFile := filepath.Join(dir, "agent.yaml")
	// Valid configs differ in the health window and the log poll
	// interval, the last one also in the parsers' settings (field names,
	// multi-line wait) and the node name; the invalid one has three
	// problems (a negative window, a duration that is not one, an unknown
	// key).
	parsers := func(names, wait, node string) string {
		return fmt.Sprintf("field_names: %s\n  multiline: {max_wait: %s}\nkubernetes: {enabled: false, node_name: %s}", names, wait, node)
	}
	valid := func(window string, poll string, parsers string) string {
		return fmt.Sprintf(`listen: %s
state_dir: %s
lifecycle: {enable_reload: true, shutdown_grace: 30s}
probes: {mode: default, min_age: 1s, sample_interval: 1s}
logs:
  paths: [%q]
  poll_interval: %s
  start_at: beginning
  %s
health: {window: %s}
exporters:
  loki:
    endpoints: [{url: %q}]
    queue: {max_bytes: 512MiB}
`, listen, filepath.Join(dir, "state"), filepath.Join(dir, "logs", "*.log"), poll, parsers, window, proxy.URL()+"/loki/api/v1/push")
	}
	first := parsers("gopulse", "1s", "e2e-node-a")
	invalid := strings.Replace(valid("-1s", "250ms", first), "poll_interval: 250ms", "poll_interval: soon", 1) +
		"unknown_key: 1\n"
	write := func(s string) {
		t.Helper()
		if err := os.WriteFile(cfgFile, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(valid("10s", "250ms", first))

	out := &lockedBuffer{}
	agent := exec.Command(bin, "agent", "--config", cfgFile)
	agent.Stdout, agent.Stderr = out, out
	if err := agent.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- agent.Wait() }()
	stopped := false
	defer func() {
		if !stopped {
			agent.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("agent output:\n%s", lastLines(out.String(), 150))
		}
	}()
	metrics := func() (string, error) {
		resp, err := http.Get("http://" + listen + "/metrics")
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return string(b), err
	}
	sample := func(body, name, label string) (float64, bool) {
		for _, line := range strings.Split(body, "\n") {
			if strings.HasPrefix(line, name) && strings.Contains(line, label) {
				v, err := strconv.ParseFloat(line[strings.LastIndexByte(line, ' ')+1:], 64)
				return v, err == nil
			}
		}
		return 0, false
	}
	// The agent is up and probes the target.
	eventually(t, 60*time.Second, "the target's GC cycles on /metrics", func() error {
		select {
		case err := <-exited:
			exited <- err
			return fmt.Errorf("the agent exited: %v", err)
		default:
		}
		body, err := metrics()
		if err != nil {
			return err
		}
		if v, ok := sample(body, "gopulse_go_gc_cycles_total{", pidLabel); !ok || v == 0 {
			return errors.New("no gc cycles for the target yet")
		}
		return nil
	})

	// The GC counter watcher: never backwards, never gone.
	watchCtx, stopWatch := context.WithCancel(context.Background())
	var (
		wmu      sync.Mutex
		gcSeen   []float64
		gcErrors []string
	)
	watchDone := make(chan struct{})
	go func() {
		defer close(watchDone)
		last := -1.0
		for watchCtx.Err() == nil {
			body, err := metrics()
			if err == nil {
				v, ok := sample(body, "gopulse_go_gc_cycles_total{", pidLabel)
				wmu.Lock()
				switch {
				case !ok:
					gcErrors = append(gcErrors, "series gone")
				case v < last:
					gcErrors = append(gcErrors, fmt.Sprintf("went back from %g to %g", last, v))
				default:
					last = v
					gcSeen = append(gcSeen, v)
				}
				wmu.Unlock()
			}
			time.Sleep(100 * time.Millisecond)
		}
	}()

	// 100k lines at 5k/s: 20 s, during which five reloads happen.
	ctx := context.Background()
	werr := make(chan error, 1)
	go func() { werr <- w.Run(ctx, lines) }()

	reloadMetric := func() (ok, ts float64) {
		body, err := metrics()
		if err != nil {
			t.Fatalf("metrics: %v", err)
		}
		ok, _ = sample(body, "gopulse_config_last_reload_successful ", "")
		ts, _ = sample(body, "gopulse_config_last_reload_success_timestamp_seconds ", "")
		return ok, ts
	}
	post := func() (int, string) {
		resp, err := http.Post("http://"+listen+"/-/reload", "", nil)
		if err != nil {
			t.Fatalf("POST /-/reload: %v", err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	steps := []struct {
		cfg   string
		valid bool
		hup   bool
	}{
		{valid("5s", "100ms", first), true, true},
		{invalid, false, false},
		{valid("10s", "250ms", first), true, false},
		{invalid, false, true},
		{valid("7s", "200ms", parsers("otel", "2s", "e2e-node-b")), true, true},
	}
	reloadsDone := 0
	for i, s := range steps {
		time.Sleep(3 * time.Second)
		_, ts0 := reloadMetric()
		write(s.cfg)
		how := "POST /-/reload"
		if s.hup {
			how = "SIGHUP"
			if err := agent.Process.Signal(syscall.SIGHUP); err != nil {
				t.Fatal(err)
			}
		} else {
			code, body := post()
			if s.valid && code != http.StatusOK {
				t.Fatalf("reload %d (valid): POST /-/reload answered %d: %s", i+1, code, body)
			}
			if !s.valid && (code != http.StatusInternalServerError || !strings.Contains(body, "unknown_key") ||
				!strings.Contains(body, "poll_interval") || !strings.Contains(body, "health.window")) {
				t.Fatalf("reload %d (invalid): POST /-/reload answered %d, want 500 naming the three problems: %s", i+1, code, body)
			}
		}
		eventually(t, 30*time.Second, fmt.Sprintf("reload %d (%s, valid=%v) reflected in the metrics", i+1, how, s.valid), func() error {
			ok, ts := reloadMetric()
			if s.valid && (ok != 1 || ts <= ts0) {
				return fmt.Errorf("successful=%g timestamp %g (before %g)", ok, ts, ts0)
			}
			if !s.valid && ok != 0 {
				return fmt.Errorf("successful=%g", ok)
			}
			return nil
		})
		// The probes still deliver after the reload: the counter grows.
		body, err := metrics()
		if err != nil {
			t.Fatal(err)
		}
		gc0, _ := sample(body, "gopulse_go_gc_cycles_total{", pidLabel)
		eventually(t, 20*time.Second, fmt.Sprintf("the target's GC cycles growing after reload %d", i+1), func() error {
			body, err := metrics()
			if err != nil {
				return err
			}
			if v, ok := sample(body, "gopulse_go_gc_cycles_total{", pidLabel); !ok || v <= gc0 {
				return fmt.Errorf("gopulse_go_gc_cycles_total %g (present %v), was %g at the reload", v, ok, gc0)
			}
			return nil
		})
		reloadsDone++
		t.Logf("reload %d by %s (valid=%v) done at line %d of %d", i+1, how, s.valid, w.Seq.Count(), lines)
	}
	if err := <-werr; err != nil {
		t.Fatal(err)
	}
	// The valid reloads took effect; the refused ones named each problem.
	logs := out.String()
	if n := strings.Count(logs, `msg="config reloaded"`); n != 3 {
		t.Errorf("%d reloads applied, want 3", n)
	}
	for _, p := range []string{"unknown_key", "poll_interval", "health.window"} {
		if strings.Count(logs, "reload refused") < 2 || !strings.Contains(logs, p) {
			t.Errorf("the refused reloads did not log problem %q", p)
		}
	}
	// Each applied reload kept the log source: its file opened once, its
	// parser going on (the last one with new field names, multi-line
	// wait and node label applied in place).
	if n := strings.Count(logs, "the log sources run on"); n != 3 || strings.Contains(logs, "start again") ||
		strings.Count(logs, `msg="tailing log file"`) != 1 || !strings.Contains(logs, `changed="[tailer field_names multiline kubernetes]"`) {
		t.Errorf("the log source was not kept across the reloads (%d kept, want 3; %d opens of the file, want 1)",
			n, strings.Count(logs, `msg="tailing log file"`))
	}

	// Every line reaches Loki, once, each stream in order.
	t0 := time.Now()
	werr2 := taildrill.Wait(ctx, 3*time.Minute, lines, func() (int64, error) { return int64(proxy.Distinct(lines)), nil })
	res := taildrill.Check(proxy.Counts(), lines)
	stopWatch()
	<-watchDone
	wmu.Lock()
	gcFirst, gcLast := gcSeen[0], gcSeen[len(gcSeen)-1]
	gcErrs := gcErrors
	wmu.Unlock()
	t.Logf("RELOAD lines=%d reloads=%d (3 valid, 2 refused) lost=%d duplicated=%d backwards=%d (all in %s after the last line was written); gc cycles of the target %g → %g over %d samples, %d discontinuities; proxy %+v",
		lines, reloadsDone, res.Lost, res.Duplicated, proxy.Backwards(), time.Since(t0).Round(time.Millisecond), gcFirst, gcLast, len(gcSeen), len(gcErrs), proxy.Stats())
	if werr2 != nil || res.Lost > 0 {
		t.Fatalf("lost lines: %s (%v)", res, werr2)
	}
	if res.Duplicated > 0 {
		t.Errorf("duplicated lines across %d applied reloads: %s", 3, res)
	}
	if b := proxy.Backwards(); b > 0 {
		t.Errorf("%d lines arrived after a later line of their stream", b)
	}
	if len(gcErrs) > 0 {
		t.Errorf("gopulse_go_gc_cycles_total of the target not continuous across reloads: %v", gcErrs[:min(len(gcErrs), 10)])
	}
	if gcLast <= gcFirst {
		t.Errorf("gopulse_go_gc_cycles_total did not grow during the reloads: %g → %g", gcFirst, gcLast)
	}

	// SIGTERM: stop reading, send what is queued, exit 0.
	if err := agent.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		stopped = true
		if err != nil {
			t.Fatalf("after SIGTERM the agent exited with %v, want status 0", err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("the agent did not exit within 60 s of SIGTERM")
	}
	if !strings.Contains(out.String(), "exporters sent everything queued") {
		t.Errorf("SIGTERM: the agent did not report its queues sent")
	}
	// The stop sent nothing twice either.
	if res := taildrill.Check(proxy.Counts(), lines); res.Lost > 0 || res.Duplicated > 0 || proxy.Backwards() > 0 {
		t.Errorf("after SIGTERM: %s, %d backwards", res, proxy.Backwards())
	}
	// Loki itself has every line, and no copy it kept.
	got := lokiCount(t, base, `{job="gopulse"} |= "run=`+tag+` "`, time.Since(t0)+5*time.Minute, lines)
	t.Logf("RELOAD loki_count=%d of %d", got, lines)
	if got != lines {
		t.Errorf("Loki counts %d lines of the run, want exactly %d", got, lines)
	}
}
