//go:build linux

package agent

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gopulse/gopulse/event"
	"github.com/gopulse/gopulse/internal/config"
	"github.com/gopulse/gopulse/internal/pipeline"
	"github.com/gopulse/gopulse/internal/taildrill"
	"github.com/gopulse/gopulse/probes"
)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func httpDo(t *testing.T, method, url string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestMainReload runs the daemon (Main) without probes: POST /-/reload is
// refused while lifecycle.enable_reload is off; a config with problems is
// refused with every problem named (500, metric 0) and the agent runs on
// with the old one; SIGHUP and a valid config are applied (the new listen
// address serves, the metric is 1 with a newer timestamp); the context's
// end (SIGTERM) stops Main without error.
func TestMainReload(t *testing.T) {
	dir := t.TempDir()
	logFile := filepath.Join(dir, "app.log")
	appendFile(t, logFile, "level=info msg=one\n")
	cfgFile := filepath.Join(dir, "agent.yaml")
	addr1, addr2 := freeAddr(t), freeAddr(t)
	cfg := func(listen string, reload bool, extra string) string {
		return fmt.Sprintf(`listen: %s
state_dir: %s
probes: {mode: "off"}
logs: {paths: [%q], start_at: beginning, poll_interval: 50ms}
kubernetes: {enabled: false}
lifecycle: {enable_reload: %v, shutdown_grace: 1s}
%s`, listen, filepath.Join(dir, "state"), logFile, reload, extra)
	}
	write := func(s string) {
		if err := os.WriteFile(cfgFile, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(cfg(addr1, false, ""))
	run := startAgentRun(cfgFile, dir)
	defer run.end(t, "agent log")
	metric := func(addr, name string) string {
		_, body := httpDo(t, "GET", "http://"+addr+"/metrics")
		for _, l := range strings.Split(body, "\n") {
			if strings.HasPrefix(l, name+" ") {
				return strings.TrimPrefix(l, name+" ")
			}
		}
		return ""
	}
	waitUntil(t, "the agent serving", 20*time.Second, func() bool {
		resp, err := http.Get("http://" + addr1 + "/healthz")
		if err == nil {
			resp.Body.Close()
		}
		return err == nil && resp.StatusCode == 200
	})
	if got := metric(addr1, "gopulse_config_last_reload_successful"); got != "1" {
		t.Fatalf("gopulse_config_last_reload_successful at start = %q, want 1", got)
	}
	ts0 := metric(addr1, "gopulse_config_last_reload_success_timestamp_seconds")

	// The lifecycle API is off by default.
	if code, body := httpDo(t, "POST", "http://"+addr1+"/-/reload"); code != http.StatusForbidden {
		t.Fatalf("POST /-/reload with enable_reload off: %d %s, want 403", code, body)
	}

	// SIGHUP reloads whatever lifecycle.enable_reload says; this one
	// turns the API on.
	write(cfg(addr1, true, ""))
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the reload by SIGHUP", 20*time.Second, func() bool {
		return metric(addr1, "gopulse_config_last_reload_success_timestamp_seconds") != ts0
	})

	// A config with three problems is refused, each one named.
	write(cfg(addr1, true, "health: {window: -1s}\nbogus: 1\n") + "logs_extra: [\n")
	code, body := httpDo(t, "POST", "http://"+addr1+"/-/reload")
	if code != http.StatusInternalServerError || !strings.Contains(body, "reload refused") {
		t.Fatalf("invalid config: %d %s, want 500", code, body)
	}
	write(cfg(addr1, true, "health: {window: -1s}\nbogus: 1\n"))
	code, body = httpDo(t, "POST", "http://"+addr1+"/-/reload")
	if code != http.StatusInternalServerError || !strings.Contains(body, "health.window") || !strings.Contains(body, "bogus") {
		t.Fatalf("invalid config: %d %s, want 500 naming health.window and bogus", code, body)
	}
	if got := metric(addr1, "gopulse_config_last_reload_successful"); got != "0" {
		t.Fatalf("after a refused reload gopulse_config_last_reload_successful = %q, want 0", got)
	}
	if l := run.logs.String(); !strings.Contains(l, "health.window") || !strings.Contains(l, "bogus") {
		t.Fatalf("the refused reload's problems are not logged:\n%s", l)
	}

	// A valid config with a new listen address is applied.
	write(cfg(addr2, true, "health: {window: 5s}\n"))
	if code, body := httpDo(t, "POST", "http://"+addr1+"/-/reload"); code != http.StatusOK {
		t.Fatalf("valid config: %d %s", code, body)
	}
	if got := metric(addr2, "gopulse_config_last_reload_successful"); got != "1" {
		t.Fatalf("after a reload gopulse_config_last_reload_successful = %q on the new address, want 1", got)
	}
	fresh := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	if _, err := fresh.Get("http://" + addr1 + "/healthz"); err == nil {
		t.Errorf("the old listen address still serves after the reload")
	}
	if err := run.stopWithin(t, 30*time.Second); err != nil {
		t.Fatalf("Main after its context ended: %v", err)
	}
}

// TestReloadKeepsEveryLine: lines written at 20,000/s are tailed into a
// counting Loki endpoint while the config is reloaded five times (valid
// and invalid alternating; of the three valid ones, one changes the poll
// interval, so the log sources run on with the tailer's new settings, one
// leaves the logs config alone, so they run on, and one changes the
// multi-line wait, the field names and the node name, so they run on with
// their parsers' new settings and new labels): every line must arrive
// exactly once, each stream in order. Before, the tailer's last read at a stop committed
// through a cancelled context, the Loki batch was dropped by the failed
// hand-over and the final commit counted its lines as delivered: a batch
// lost per reload (and per graceful stop). Then two ways of sending twice
// at a reload: the last line, held by the multi-line assembler (it may be
// continued) and so not committed, was emitted by the stop and read again
// by the next agent (a line per reload: a clean-clone CI run counted 3
// extra); and the push in flight when the queue stopped was cancelled and
// sent again by the next agent although the backend had taken it (a batch
// of up to 1,000 lines, on most runs).
func TestReloadKeepsEveryLine(t *testing.T) {
	const lines, rate = 100_000, 20_000
	dir := t.TempDir()
	sink, err := taildrill.NewSink()
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()
	w := &taildrill.Writer{Path: filepath.Join(dir, "logs", "app.log"), Rate: rate, Pad: 20}
	os.MkdirAll(filepath.Dir(w.Path), 0o755)
	if err := w.Open(); err != nil {
		t.Fatal(err)
	}
	cfgFile := filepath.Join(dir, "agent.yaml")
	addr := freeAddr(t)
	burst := 20
	wait, names, node := "5s", "gopulse", "n1"
	valid := func(poll string) string {
		return fmt.Sprintf(`listen: %s
state_dir: %s
probes: {mode: "off"}
logs: {paths: [%q], start_at: beginning, poll_interval: %s, multiline: {max_wait: `+wait+`}, field_names: `+names+`}
kubernetes: {enabled: false, node_name: `+node+`}
lifecycle: {enable_reload: true, shutdown_grace: 30s}
health: {new_error_template_burst: %d}
exporters:
  loki: {endpoints: [{url: %q}], queue: {max_bytes: 512MiB}}
`, addr, filepath.Join(dir, "state"), filepath.Join(dir, "logs", "*.log"), poll, burst, sink.URL()+"/loki/api/v1/push")
	}
	write := func(s string) {
		if err := os.WriteFile(cfgFile, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(valid("100ms"))
	run := startAgentRun(cfgFile, dir)
	defer run.end(t, "agent log")
	waitUntil(t, "the agent serving", 20*time.Second, func() bool {
		resp, err := http.Get("http://" + addr + "/healthz")
		if err == nil {
			resp.Body.Close()
		}
		return err == nil && resp.StatusCode == 200
	})
	werr := make(chan error, 1)
	go func() { werr <- w.Run(context.Background(), lines) }()
	for i := 0; i < 5; i++ {
		time.Sleep(700 * time.Millisecond)
		if i%2 == 1 {
			write(valid("soon"))
		} else {
			// The first valid reload changes the poll interval (the
			// tailer's own setting: the sources run on with it), the
			// second only a health threshold (the sources run on), the
			// third the multi-line wait, the field names (the parsers'
			// settings) and the node (a label): the sources run on
			// with them.
			burst++
			if i == 4 {
				wait, names, node = "3s", "otel", "n2"
			}
			write(valid([]string{"50ms", "50ms", "50ms"}[i/2]))
		}
		code, body := httpDo(t, "POST", "http://"+addr+"/-/reload")
		if want := []int{200, 500}[i%2]; code != want {
			t.Fatalf("reload %d: %d %s, want %d", i+1, code, body, want)
		}
		t.Logf("reload %d (%d) at line %d", i+1, code, w.Seq.Count())
	}
	if err := <-werr; err != nil {
		t.Fatal(err)
	}
	if l := run.logs.String(); strings.Count(l, "the log sources run on") != 3 || strings.Count(l, "the logs config did not change") != 1 ||
		strings.Count(l, `changed=[tailer]`) != 1 || strings.Count(l, `changed="[field_names multiline kubernetes]"`) != 1 ||
		strings.Count(l, "the log sources start again") != 0 || strings.Count(l, `msg="tailing log file"`) != 1 {
		t.Errorf("want one reload keeping the log sources as they are, one with the tailer's new settings and one with the parsers' new settings and labels; none building them again nor opening the file again")
	}
	werr2 := taildrill.Wait(context.Background(), 60*time.Second, lines, func() (int64, error) { return int64(sink.Distinct(lines)), nil })
	res := taildrill.Check(sink.Counts(), lines)
	t.Logf("RELOAD in-process: %s; sink %+v", res, sink.Stats())
	if werr2 != nil || res.Lost > 0 {
		t.Fatalf("lost: %s (%v)", res, werr2)
	}
	if res.Duplicated > 0 {
		t.Errorf("%d lines duplicated (ranges %v), want every line once", res.Duplicated, res.DupRanges)
	}
	if n := sink.Backwards(); n > 0 {
		t.Errorf("%d lines arrived after a later line of their stream, want the stream in order", n)
	}
	if s0, s1 := sink.StreamOf(0), sink.StreamOf(lines-1); !strings.Contains(s0, `node="n1"`) || !strings.Contains(s1, `node="n2"`) {
		t.Errorf("the first line came under %s, the last under %s; want node n1, then n2", s0, s1)
	}
	if err := run.stop(); err != nil {
		t.Errorf("Main: %v", err)
	}
}

// TestStopPersistsWhatCannotBeSent: SIGTERM (the context's end) while Loki
// is down: Main returns nil once the grace period is over, logging what it
// keeps; the next start sends every line, none twice beyond a batch.
func TestStopPersistsWhatCannotBeSent(t *testing.T) {
	const lines = 5000
	dir := t.TempDir()
	sink, err := taildrill.NewSink()
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()
	sink.SetDown(true)
	w := &taildrill.Writer{Path: filepath.Join(dir, "logs", "app.log"), Rate: 50_000}
	os.MkdirAll(filepath.Dir(w.Path), 0o755)
	if err := w.Open(); err != nil {
		t.Fatal(err)
	}
	if err := w.Run(context.Background(), lines); err != nil {
		t.Fatal(err)
	}
	cfgFile := filepath.Join(dir, "agent.yaml")
	addr := freeAddr(t)
	os.WriteFile(cfgFile, []byte(fmt.Sprintf(`listen: %s
state_dir: %s
probes: {mode: "off"}
logs: {paths: [%q], start_at: beginning, poll_interval: 50ms}
kubernetes: {enabled: false}
lifecycle: {shutdown_grace: 1s}
exporters:
  loki: {endpoints: [{url: %q}]}
`, addr, filepath.Join(dir, "state"), filepath.Join(dir, "logs", "*.log"), sink.URL()+"/loki/api/v1/push")), 0o644)
	run := startAgentRun(cfgFile, dir)
	defer run.end(t, "first agent's log")
	waitUntil(t, "every line read, Loki refusing", 20*time.Second, func() bool {
		resp, err := http.Get("http://" + addr + "/metrics")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return strings.Contains(string(body), fmt.Sprintf("\ngopulse_tail_lines_total %d\n", lines)) && sink.Stats().Refused > 0
	})
	t0 := time.Now()
	if err := run.stopWithin(t, 20*time.Second); err != nil {
		t.Fatalf("Main after SIGTERM with Loki down: %v", err)
	}
	took := time.Since(t0)
	if !strings.Contains(run.logs.String(), "grace period over") {
		t.Fatalf("the stop did not say it kept the queue (after %s):\n%s", took, run.logs.String())
	}
	if got := sink.Distinct(lines); got != 0 {
		t.Fatalf("%d lines delivered while Loki was down", got)
	}
	sink.SetDown(false)
	run2 := startAgentRun(cfgFile, dir)
	defer run2.end(t, "second agent's log")
	if err := taildrill.Wait(context.Background(), 30*time.Second, lines, func() (int64, error) { return int64(sink.Distinct(lines)), nil }); err != nil {
		t.Fatalf("after the restart: %v", err)
	}
	res := taildrill.Check(sink.Counts(), lines)
	t.Logf("stopped %s after SIGTERM with Loki down; after the restart: %s", took.Round(time.Millisecond), res)
	if res.Lost > 0 || res.Duplicated > 1000 {
		t.Fatalf("after the restart: %s", res)
	}
}

// selSource is a runtime source that records the selections it is given.
type selSource struct {
	mu     sync.Mutex
	sels   []*probes.Selector
	minAge []time.Duration
	closed int
}

func (s *selSource) Run(ctx context.Context) error { <-ctx.Done(); return nil }
func (s *selSource) Close() error                  { s.mu.Lock(); s.closed++; s.mu.Unlock(); return nil }
func (s *selSource) Stats() SourceStats            { return SourceStats{} }
func (s *selSource) SetSelection(sel *probes.Selector, minAge time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sels, s.minAge = append(s.sels, sel), append(s.minAge, minAge)
}

// A reload hands the new probes.discovery rules and min_age to the running
// probes (which are neither rebuilt nor closed) and keeps the probe
// settings that need a restart; the probes are closed once, at the stop.
func TestReloadAppliesProcessSelection(t *testing.T) {
	dir := t.TempDir()
	cfgFile := filepath.Join(dir, "agent.yaml")
	addr := freeAddr(t)
	cfg := func(probesYAML string) string {
		return fmt.Sprintf(`listen: %s
state_dir: %s
probes: %s
logs: {paths: []}
kubernetes: {enabled: false}
lifecycle: {enable_reload: true}
`, addr, filepath.Join(dir, "state"), probesYAML)
	}
	os.WriteFile(cfgFile, []byte(cfg(`{sample_interval: 1s, min_age: 2s}`)), 0o644)
	logs := &syncBuffer{}
	opts := Options{Logger: slog.New(slog.NewTextHandler(logs, nil)), ConfigFile: cfgFile}
	c, err := LoadConfig(cfgFile, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	src := &selSource{}
	builds := 0
	d := newDaemon(opts, c, func(event.RuntimeSink, *pipeline.Resolver) (RuntimeSource, error) { builds++; return src, nil })
	stop := runReloading(t, d, c)
	os.WriteFile(cfgFile, []byte(cfg(`{sample_interval: 5s, min_age: 0s, discovery: {exclude: [{exe: "sleepy-*"}]}}`)), 0o644)
	if code, body := httpDo(t, "POST", "http://"+addr+"/-/reload"); code != http.StatusOK {
		t.Fatalf("reload: %d %s", code, body)
	}
	src.mu.Lock()
	n, minAge := len(src.sels), src.minAge
	src.mu.Unlock()
	if n != 1 || minAge[0] != 0 {
		t.Fatalf("selections handed to the probes: %d, min ages %v; want one with 0s", n, minAge)
	}
	if got := d.cfg.Load().Probes; got.SampleInterval != time.Second || got.MinAge != 0 || len(got.Discovery.Exclude) != 1 {
		t.Fatalf("running probes settings after the reload: %+v (want sample_interval kept at 1s, the new discovery and min_age)", got)
	}
	if !strings.Contains(logs.String(), "change at the next restart") {
		t.Errorf("the kept probe settings were not logged:\n%s", logs.String())
	}
	// The same selection again: nothing handed over.
	if code, body := httpDo(t, "POST", "http://"+addr+"/-/reload"); code != http.StatusOK {
		t.Fatalf("second reload: %d %s", code, body)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	src.mu.Lock()
	defer src.mu.Unlock()
	if len(src.sels) != 1 || builds != 1 || src.closed != 1 {
		t.Fatalf("selections %d (want 1), probes built %d times (want 1), closed %d times (want 1)", len(src.sels), builds, src.closed)
	}
}

// TestReloadRemovedSourceKeepsItsHeldRecord: a reload stops the tailer with
// the last record of each file held by the multi-line assembler (it waits
// for a line that may continue it; logs.multiline.max_wait is long here).
// The file the new config still tails is read again from that record's
// first line, so the record is not emitted at the stop (it would then
// arrive twice); the file the new config drops is read by nobody after the
// stop, so its record is emitted then, once.
func TestReloadRemovedSourceKeepsItsHeldRecord(t *testing.T) {
	dir := t.TempDir()
	sink, err := taildrill.NewSink()
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()
	kept, dropped := filepath.Join(dir, "kept.log"), filepath.Join(dir, "dropped.log")
	appendFile(t, kept, "level=info msg=\"kept first\" seq=0\nlevel=info msg=\"kept held\" seq=1\n")
	appendFile(t, dropped, "level=info msg=\"dropped first\" seq=2\nlevel=info msg=\"dropped held\" seq=3\n")
	cfgFile := filepath.Join(dir, "agent.yaml")
	addr := freeAddr(t)
	cfg := func(paths ...string) string {
		q := make([]string, len(paths))
		for i, p := range paths {
			q[i] = fmt.Sprintf("%q", p)
		}
		return fmt.Sprintf(`listen: %s
state_dir: %s
probes: {mode: "off"}
logs: {paths: [%s], start_at: beginning, poll_interval: 50ms, multiline: {max_wait: 1h}}
kubernetes: {enabled: false}
lifecycle: {enable_reload: true, shutdown_grace: 5s}
exporters:
  loki: {endpoints: [{url: %q}]}
`, addr, filepath.Join(dir, "state"), strings.Join(q, ", "), sink.URL()+"/loki/api/v1/push")
	}
	os.WriteFile(cfgFile, []byte(cfg(kept, dropped)), 0o644)
	run := startAgentRun(cfgFile, dir)
	defer run.end(t, "agent log")
	counts := func() []uint16 { return firstCounts(sink, 5) }
	waitUntil(t, "the first line of each file delivered", 20*time.Second, func() bool {
		c := counts()
		return c[0] == 1 && c[2] == 1
	})
	time.Sleep(300 * time.Millisecond) // a few polls: nothing else may come
	if c := counts(); c[1] != 0 || c[3] != 0 {
		t.Fatalf("the held records came out before the reload: counts %v", c)
	}
	os.WriteFile(cfgFile, []byte(cfg(kept)), 0o644)
	if code, body := httpDo(t, "POST", "http://"+addr+"/-/reload"); code != http.StatusOK {
		t.Fatalf("reload: %d %s", code, body)
	}
	waitUntil(t, "the dropped file's held record delivered", 20*time.Second, func() bool { return counts()[3] == 1 })
	// The kept file goes on: its held record comes out with the next line,
	// once.
	appendFile(t, kept, "level=info msg=\"kept next\" seq=4\n")
	waitUntil(t, "the kept file's held record delivered", 20*time.Second, func() bool { return counts()[1] >= 1 })
	time.Sleep(300 * time.Millisecond)
	if c := counts(); c[0] != 1 || c[1] != 1 || c[2] != 1 || c[3] != 1 || c[4] != 0 {
		t.Fatalf("deliveries per seq %v; want 1 1 1 1 0 (seq 4 held: it may be continued)", c)
	}
}

// agentRun is the agent's Main running on a config file, as the daemon
// runs it, with its log kept for a failing test.
type agentRun struct {
	logs   *syncBuffer
	cancel context.CancelFunc
	done   chan error
	once   sync.Once
	err    error
}

// startAgentRun starts Main on cfgFile, its pins under dir.
func startAgentRun(cfgFile, dir string) *agentRun {
	ctx, cancel := context.WithCancel(context.Background())
	r := &agentRun{logs: &syncBuffer{}, cancel: cancel, done: make(chan error, 1)}
	go func() {
		r.done <- Main(ctx, Options{Logger: slog.New(slog.NewTextHandler(r.logs, nil)), ConfigFile: cfgFile, PinDir: filepath.Join(dir, "pins")})
	}()
	return r
}

// stop ends the run (SIGTERM's path: the context ends) and returns Main's
// error; later calls return the same at once.
func (r *agentRun) stop() error {
	r.once.Do(func() {
		r.cancel()
		r.err = <-r.done
	})
	return r.err
}

// stopWithin is stop, failing the test when Main takes longer than d.
func (r *agentRun) stopWithin(t *testing.T, d time.Duration) error {
	t.Helper()
	errc := make(chan error, 1)
	go func() { errc <- r.stop() }()
	select {
	case err := <-errc:
		return err
	case <-time.After(d):
		t.Fatalf("Main did not return within %s of its context's end", d)
		return nil
	}
}

// end is the deferred stop: it stops the run if the test did not, and
// prints the agent's log under title when the test failed.
func (r *agentRun) end(t *testing.T, title string) {
	r.stop()
	if t.Failed() {
		t.Logf("%s:\n%s", title, r.logs.String())
	}
}

// TestReloadKeepsUnchangedLogSources: a reload keeps the log sources
// running, parsers and all, whether it leaves the logs config alone (here
// only health.new_error_template_burst changes) or changes what the
// parsers apply in place (logs.field_names, logs.multiline) or the labels
// (kubernetes.node_name): the file is not opened again ("tailing log file"
// once), the templates mined before the reload are still counted by the
// next agent, and a line of a template learnt before the reload carries
// that template's id (a parser built again learns the template from that
// line and hands out another id: dashboards split, the health engine sees
// a new error template). The record the multi-line assembler held at the
// reload comes out once: with the next line, or at the reload when the
// assembly is turned off (the next lines are then records of their own);
// with a new node name it comes out under the new labels. Before, a change
// of field_names, multiline or kubernetes built every source again from
// its committed offset: the file opened twice, the held record read again
// and the templates mined from scratch.
func TestReloadKeepsUnchangedLogSources(t *testing.T) {
	const base = "field_names: gopulse, multiline: {max_wait: 1h}"
	for _, tc := range []struct {
		name, logs, node, extra string
		singleLine              bool
	}{
		{name: "health threshold", logs: base, node: "n1", extra: "health: {new_error_template_burst: 5}\n"},
		{name: "field names", logs: "field_names: otel, multiline: {max_wait: 1h}", node: "n1"},
		{name: "multiline wait", logs: "field_names: gopulse, multiline: {max_wait: 30m}", node: "n1"},
		{name: "multiline off", logs: "field_names: gopulse, multiline: {disabled: true}", node: "n1", singleLine: true},
		{name: "node", logs: base, node: "n2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			sink, err := taildrill.NewSink()
			if err != nil {
				t.Fatal(err)
			}
			defer sink.Close()
			logFile := filepath.Join(dir, "app.log")
			appendFile(t, logFile, "level=info msg=\"user alice logged in from 10.0.0.5\" seq=0\n"+
				"level=info msg=\"user bob logged in from 10.0.0.6\" seq=1\n"+
				"level=info msg=\"user carol logged in from 10.0.0.7\" seq=2\n"+
				"level=error msg=\"held until the next line\" seq=3\n")
			cfgFile := filepath.Join(dir, "agent.yaml")
			addr := freeAddr(t)
			cfg := func(logs, node, extra string) string {
				return lokiReloadConfig(addr, dir, logFile, sink.URL(), logs, node, extra)
			}
			os.WriteFile(cfgFile, []byte(cfg(base, "n1", "health: {new_error_template_burst: 20}\n")), 0o644)
			run := startAgentRun(cfgFile, dir)
			defer run.end(t, "agent log")
			counts := func() []uint16 { return firstCounts(sink, 6) }
			templates := func() int {
				_, body := httpDo(t, "GET", "http://"+addr+"/metrics")
				for _, l := range strings.Split(body, "\n") {
					if strings.HasPrefix(l, `gopulse_log_templates{format="logfmt"} `) {
						n, _ := strconv.Atoi(l[strings.LastIndexByte(l, ' ')+1:])
						return n
					}
				}
				return -1
			}
			waitUntil(t, "the first three lines delivered", 20*time.Second, func() bool {
				c := counts()
				return c[0] == 1 && c[1] == 1 && c[2] == 1
			})
			time.Sleep(300 * time.Millisecond) // a few polls: nothing else may come
			if c := counts(); c[3] != 0 {
				t.Fatalf("the held record came out before the reload: counts %v", c)
			}
			learnt := sink.TemplateOf(2)
			if learnt == 0 || sink.TemplateOf(0) != learnt {
				t.Fatalf("template ids before the reload: %x %x %x, want one (carol's line generalised alice's template)",
					sink.TemplateOf(0), sink.TemplateOf(1), learnt)
			}
			before := templates()
			if before != 1 {
				t.Fatalf("templates mined before the reload: %d, want 1", before)
			}
			os.WriteFile(cfgFile, []byte(cfg(tc.logs, tc.node, tc.extra)), 0o644)
			if code, body := httpDo(t, "POST", "http://"+addr+"/-/reload"); code != http.StatusOK {
				t.Fatalf("reload: %d %s", code, body)
			}
			after := templates()
			if tc.singleLine {
				waitUntil(t, "the held record delivered at the reload", 20*time.Second, func() bool { return counts()[3] == 1 })
			}
			appendFile(t, logFile, "level=info msg=\"user dave logged in from 10.0.0.8\" seq=4\nlevel=info msg=\"the last line\" seq=5\n")
			waitUntil(t, "dave's line delivered", 20*time.Second, func() bool { return counts()[4] >= 1 })
			time.Sleep(300 * time.Millisecond)
			// The next agent has read since the reload: every open it made
			// is logged by now.
			opens := strings.Count(run.logs.String(), `msg="tailing log file"`)
			wantAfter := before
			if tc.singleLine {
				wantAfter++ // the held record, mined as it came out at the reload
			}
			if opens != 1 || after != wantAfter {
				t.Errorf("opened %d times (want 1), %d templates after the reload, want %d (the parser goes on)", opens, after, wantAfter)
			}
			if !strings.Contains(run.logs.String(), "the log sources run on") || strings.Contains(run.logs.String(), "start again") {
				t.Errorf("the kept log sources were not logged")
			}
			if got := sink.TemplateOf(4); got != learnt {
				t.Errorf("dave's line (after the reload) has template %x, want %x: the template learnt before the reload", got, learnt)
			}
			want := []uint16{1, 1, 1, 1, 1, 0} // seq 5 held: it may be continued
			if tc.singleLine {
				want[5] = 1
			}
			if c := counts(); !slices.Equal(c, want) {
				t.Fatalf("deliveries per seq %v; want %v", c, want)
			}
			if s0, s3 := sink.StreamOf(0), sink.StreamOf(3); !strings.Contains(s0, `node="n1"`) || !strings.Contains(s3, `node="`+tc.node+`"`) {
				t.Errorf("seq 0 came under %s, seq 3 (held at the reload) under %s; want node n1, then %s", s0, s3, tc.node)
			}
		})
	}
}

// firstCounts is how many times each of a sink's first n lines arrived.
func firstCounts(sink *taildrill.Sink, n int) []uint16 {
	c := sink.Counts()
	for len(c) < n {
		c = append(c, 0)
	}
	return c[:n]
}

// runReloading builds d's agent for c, serves d's HTTP on c.Listen (closed
// at the test's end) and runs the agent, and each agent a reload makes in
// its place, until stop is called; stop returns the last run's error.
func runReloading(t *testing.T, d *daemon, c *config.Config) (stop func() error) {
	t.Helper()
	a, err := d.build(c, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.listen(c.Listen); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.closeHTTP)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		for {
			next, err := d.runOne(ctx, a)
			if next == nil {
				done <- err
				return
			}
			a = next
		}
	}()
	return func() error { cancel(); return <-done }
}

// TestReloadDuringRotationAndRecord: a reload that changes the parsers'
// settings or the labels while a multi-line record is being assembled
// across a rotation — its first lines in the file renamed away (one
// written there after the rename, by a writer that has not reopened), the
// rest in the new file — loses and repeats nothing: every line arrives
// once, and the record comes out whole, with its lines in order, unless
// the reload turns the assembly off (then it comes out at the reload with
// the lines read so far, and each later line is a record of its own).
// Before, such a reload built the sources again from their committed
// offsets (here too nothing was lost or repeated, but every format and
// template was learnt again).
func TestReloadDuringRotationAndRecord(t *testing.T) {
	frames := []string{"    at handler.go:12", "    at server.go:40", "    at main.go:7"}
	for _, tc := range []struct {
		name, logs, node string
		singleLine       bool
	}{
		{name: "field names", logs: "field_names: otel, multiline: {max_wait: 1h}", node: "n1"},
		{name: "multiline wait", logs: "multiline: {max_wait: 30m}", node: "n1"},
		{name: "node", logs: "multiline: {max_wait: 1h}", node: "n2"},
		{name: "multiline off", logs: "multiline: {disabled: true}", node: "n1", singleLine: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			sink, err := taildrill.NewSink()
			if err != nil {
				t.Fatal(err)
			}
			defer sink.Close()
			sink.KeepLines()
			logFile := filepath.Join(dir, "app.log")
			appendFile(t, logFile, "level=info msg=\"request served\" seq=0\n"+
				"level=info msg=\"request served\" seq=1\n"+
				"level=info msg=\"request served\" seq=2\n"+
				"level=error msg=\"request failed\" seq=3\n"+frames[0]+"\n")
			cfgFile := filepath.Join(dir, "agent.yaml")
			addr := freeAddr(t)
			cfg := func(logs, node string) string {
				return lokiReloadConfig(addr, dir, logFile, sink.URL(), logs, node, "")
			}
			os.WriteFile(cfgFile, []byte(cfg("multiline: {max_wait: 1h}", "n1")), 0o644)
			run := startAgentRun(cfgFile, dir)
			defer run.end(t, "agent log")
			counts := func() []uint16 { return firstCounts(sink, 6) }
			waitUntil(t, "the first three lines delivered", 20*time.Second, func() bool {
				c := counts()
				return c[0] == 1 && c[1] == 1 && c[2] == 1
			})
			time.Sleep(200 * time.Millisecond)
			// logrotate renames the file; the writer writes one more line
			// to the old one, then reopens.
			if err := os.Rename(logFile, logFile+".1"); err != nil {
				t.Fatal(err)
			}
			appendFile(t, logFile+".1", frames[1]+"\n")
			appendFile(t, logFile, frames[2]+"\nlevel=info msg=\"request served\" seq=4\n")
			os.WriteFile(cfgFile, []byte(cfg(tc.logs, tc.node)), 0o644)
			if code, body := httpDo(t, "POST", "http://"+addr+"/-/reload"); code != http.StatusOK {
				t.Fatalf("reload: %d %s", code, body)
			}
			appendFile(t, logFile, "level=info msg=\"the last line\" seq=5\n")
			want := []uint16{1, 1, 1, 1, 1, 0} // seq 5 held: it may be continued
			last := 4
			if tc.singleLine {
				want[5], last = 1, 5
			}
			waitUntil(t, "the lines delivered", 20*time.Second, func() bool { return counts()[last] >= 1 })
			time.Sleep(300 * time.Millisecond)
			if c := counts(); !slices.Equal(c, want) {
				t.Fatalf("deliveries per seq %v; want %v", c, want)
			}
			// Each frame once, in order: all in seq 3's record, or (the
			// assembly turned off) the first ones there and the others
			// on their own.
			var record string
			seen := make([]int, len(frames))
			order := []int{}
			for _, l := range sink.Lines() {
				if strings.Contains(l, "seq=3") {
					record = l
				}
				for i, f := range frames {
					if n := strings.Count(l, strings.TrimSpace(f)); n > 0 {
						seen[i] += n
						order = append(order, i)
					}
				}
			}
			if !slices.Equal(seen, []int{1, 1, 1}) || !slices.IsSorted(order) {
				t.Fatalf("frames seen %v times in the order %v, want each once in order; lines:\n%s", seen, order, strings.Join(sink.Lines(), "\n"))
			}
			if !tc.singleLine && !strings.Contains(record, strings.Join(frames, "\n")) {
				t.Fatalf("seq 3's record %q, want it whole across the rotation and the reload", record)
			}
			if !strings.Contains(record, frames[0]) {
				t.Fatalf("seq 3's record %q, want it to hold its first frame", record)
			}
			if l := run.logs.String(); !strings.Contains(l, "the log sources run on") || strings.Contains(l, "start again") {
				t.Errorf("the log sources were not kept")
			}
		})
	}
}

// lokiReloadConfig is the agent config the reload tests write: one log
// file tailed from the beginning into a Loki sink, reload enabled, with
// the logs section's extra keys, the node name and any further sections.
func lokiReloadConfig(addr, dir, logFile, sinkURL, logs, node, extra string) string {
	return fmt.Sprintf(`listen: %s
state_dir: %s
probes: {mode: "off"}
logs: {paths: [%q], start_at: beginning, poll_interval: 50ms, %s}
kubernetes: {enabled: false, node_name: %s}
lifecycle: {enable_reload: true, shutdown_grace: 5s}
exporters:
  loki: {endpoints: [{url: %q}]}
%s`, addr, filepath.Join(dir, "state"), logFile, logs, node, sinkURL+"/loki/api/v1/push", extra)
}
