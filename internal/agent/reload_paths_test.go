//go:build linux

package agent

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gopulse/gopulse/event"
	"github.com/gopulse/gopulse/internal/config"
	"github.com/gopulse/gopulse/internal/pipeline"
	"github.com/gopulse/gopulse/internal/taildrill"
)

// TestReloadPathChangeKeepsOtherSources: a reload that changes only
// logs.paths keeps the sources the new config still selects running,
// while a.log is being written at ~2,000 lines/s and rotated (renamed
// away, the writer going on in a new a.log) right before the second
// reload. Reload 1 drops b.log and adds c.log; reload 2 adds b.log back.
// Every line of a.log arrives exactly once and in order, a.log is opened
// twice (at the start, and the new file at its path after the rotation;
// never again as a rebuilt source), and gopulse_tail_lines_total at the end is exactly the number
// of lines in the files while they were selected — nothing was read
// twice. b.log's held record comes out at the reload that drops it; what
// is written to b.log while it is not selected is not read; the added
// paths start at their end (start_at: end, as at a first start): c.log's
// and b.log's earlier lines are not read, the later ones are, once.
// Before, every reload rebuilt all sources: a.log was opened again at
// each reload (4 opens), c.log at the second, the line counter restarted
// (1,202 against 3,400 here) and the rotation around the second reload
// put 50 lines of a.log after later ones.
func TestReloadPathChangeKeepsOtherSources(t *testing.T) {
	dir := t.TempDir()
	sink, err := taildrill.NewSink()
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()
	a, b, c := filepath.Join(dir, "a.log"), filepath.Join(dir, "b.log"), filepath.Join(dir, "c.log")
	lines := func(from, to int, what string) string {
		var sb strings.Builder
		for i := from; i < to; i++ {
			fmt.Fprintf(&sb, "level=info msg=\"%s served\" path=/api/%d seq=%d\n", what, i%7, i)
		}
		return sb.String()
	}
	appendFile(t, c, lines(900, 903, "before")) // before c.log is selected: never read
	cfgFile := filepath.Join(dir, "agent.yaml")
	addr := freeAddr(t)
	cfg := func(paths ...string) string {
		q := make([]string, len(paths))
		for i, p := range paths {
			q[i] = strconv.Quote(p)
		}
		return fmt.Sprintf(`listen: %s
state_dir: %s
probes: {mode: "off"}
logs: {paths: [%s], start_at: end, poll_interval: 50ms, multiline: {max_wait: 1h}}
kubernetes: {enabled: false}
lifecycle: {enable_reload: true, shutdown_grace: 5s}
exporters:
  loki: {endpoints: [{url: %q}]}
`, addr, filepath.Join(dir, "state"), strings.Join(q, ", "), sink.URL()+"/loki/api/v1/push")
	}
	os.WriteFile(cfgFile, []byte(cfg(a, b)), 0o644)
	appendFile(t, a, "")
	appendFile(t, b, "")
	run := startAgentRun(cfgFile, dir)
	defer run.end(t, "agent log")
	opens := func(p string) int { return strings.Count(run.logs.String(), `msg="tailing log file" path=`+p+" ") }
	waitUntil(t, "a.log and b.log opened", 20*time.Second, func() bool { return opens(a) == 1 && opens(b) == 1 })
	reload := func() {
		t.Helper()
		if code, body := httpDo(t, "POST", "http://"+addr+"/-/reload"); code != http.StatusOK {
			t.Fatalf("reload: %d %s", code, body)
		}
	}
	counts := func() []uint16 { return firstCounts(sink, 7000) }

	// a.log: seq 0..2999, written by one writer throughout; renamed to
	// a.log.1 after seq 1899.
	const aLines = 3000
	progress := make(chan int, aLines)
	writeErr := make(chan error, 1)
	go func() {
		for i := 0; i < aLines; i += 10 {
			if i == 1900 {
				if err := os.Rename(a, a+".1"); err != nil {
					writeErr <- err
					return
				}
			}
			f, err := os.OpenFile(a, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
			if err == nil {
				_, err = f.WriteString(lines(i, i+10, "a"))
				f.Close()
			}
			if err != nil {
				writeErr <- err
				return
			}
			progress <- i + 10
			time.Sleep(5 * time.Millisecond)
		}
		writeErr <- nil
	}()
	waitWritten := func(n int) {
		t.Helper()
		for w := range progress {
			if w >= n {
				return
			}
		}
	}

	appendFile(t, b, lines(5000, 5100, "b"))
	waitUntil(t, "b.log's lines but its last delivered", 20*time.Second, func() bool { return counts()[5098] == 1 })
	waitWritten(1000)
	os.WriteFile(cfgFile, []byte(cfg(a, c)), 0o644) // b.log dropped, c.log added
	reload()
	appendFile(t, b, lines(5100, 5200, "b")) // not selected: never read
	appendFile(t, c, lines(6000, 6100, "c"))
	waitUntil(t, "c.log's lines but its last delivered", 20*time.Second, func() bool { return counts()[6098] == 1 })
	waitWritten(2000)                                  // a.log was renamed away at 1900
	os.WriteFile(cfgFile, []byte(cfg(a, b, c)), 0o644) // b.log added back
	reload()
	appendFile(t, b, lines(5200, 5300, "b"))
	appendFile(t, c, lines(6100, 6200, "c"))
	waitWritten(aLines)
	if err := <-writeErr; err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "every line but each file's last delivered", 30*time.Second, func() bool {
		c := counts()
		return c[aLines-2] == 1 && c[5298] == 1 && c[6198] == 1
	})
	time.Sleep(300 * time.Millisecond) // a few polls: nothing else may come
	_, metrics := httpDo(t, "GET", "http://"+addr+"/metrics")
	if err := run.stopWithin(t, 30*time.Second); err != nil {
		t.Fatalf("Main: %v", err)
	}

	got := counts()
	want := make([]uint16, len(got))
	for i := 0; i < aLines-1; i++ { // the last line of each file is held (it may be continued)
		want[i] = 1
	}
	for i := 5000; i < 5100; i++ { // 5099 held, emitted when b.log was dropped
		want[i] = 1
	}
	for i := 5200; i < 5299; i++ { // 5100..5199 written while b.log was not selected
		want[i] = 1
	}
	for i := 6000; i < 6199; i++ { // 900..902 there before c.log was selected
		want[i] = 1
	}
	var bad []string
	for i := range got {
		if got[i] != want[i] {
			bad = append(bad, fmt.Sprintf("seq %d: %d", i, got[i]))
		}
	}
	if len(bad) > 0 {
		t.Errorf("%d lines delivered a wrong number of times (want each once, the held last ones and the unselected ones never): %s", len(bad), strings.Join(bad[:min(len(bad), 20)], ", "))
	}
	if n := sink.Backwards(); n != 0 {
		t.Errorf("%d lines arrived after a later line of their file", n)
	}
	if n := opens(a); n != 2 {
		t.Errorf("a.log opened %d times, want 2 (at the start, then the new file after the rotation): its source was built again", n)
	}
	if n := opens(b); n != 2 {
		t.Errorf("b.log opened %d times, want 2 (at the start, then added back)", n)
	}
	if n := opens(c); n != 1 {
		t.Errorf("c.log opened %d times, want 1", n)
	}
	read := -1
	for _, l := range strings.Split(metrics, "\n") {
		if v, ok := strings.CutPrefix(l, "gopulse_tail_lines_total "); ok {
			read, _ = strconv.Atoi(v)
		}
	}
	// a.log 3,000; b.log 100 + 100 while selected; c.log 100 + 100.
	if wantRead := aLines + 400; read != wantRead {
		t.Errorf("gopulse_tail_lines_total = %d, want %d (every line of the selected files read once)", read, wantRead)
	}
	if !strings.Contains(run.logs.String(), `msg="log file no longer tailed: the new config does not select it" path=`+b) {
		t.Errorf("b.log's stop was not logged")
	}
}

// logsChanges keeps the log sources whenever both configs tail something
// and the state dir stays, and names what they apply in place. Before,
// field_names, multiline and kubernetes were not applied in place: a
// change of any of them built every source again.
func TestLogsChanges(t *testing.T) {
	base := func() *config.Config {
		d := config.Defaults()
		c := &d
		c.Logs.Paths = []string{"/var/log/*.log"}
		c.Exporters.Loki.Endpoints = []config.Endpoint{{URL: "http://loki:3100/loki/api/v1/push"}}
		return c
	}
	for _, tc := range []struct {
		name    string
		change  func(c *config.Config)
		keep    bool
		changed string
	}{
		{"nothing", func(*config.Config) {}, true, ""},
		{"health threshold", func(c *config.Config) { c.Health.NewErrorBurst++ }, true, ""},
		{"listen", func(c *config.Config) { c.Listen = "127.0.0.1:1" }, true, ""},
		{"jaeger", func(c *config.Config) { c.Exporters.Jaeger.Endpoints = []config.Endpoint{{URL: "http://j"}} }, true, ""},
		{"loki", func(c *config.Config) { c.Exporters.Loki.Endpoints[0].URL += "2" }, true, ""},
		{"paths", func(c *config.Config) { c.Logs.Paths = append(c.Logs.Paths, "/srv/*.log") }, true, "tailer"},
		{"exclude", func(c *config.Config) { c.Logs.Exclude = []string{"*.gz"} }, true, "tailer"},
		{"intervals, commits, start_at", func(c *config.Config) {
			c.Logs.PollInterval++
			c.Logs.RescanInterval++
			c.Logs.CommitLines++
			c.Logs.CommitInterval++
			c.Logs.RotateGrace++
			c.Logs.MaxLineBytes++
			c.Logs.StartAt = "beginning"
		}, true, "tailer"},
		{"override", func(c *config.Config) { c.Logs.Overrides = []config.LogOverride{{Path: "*.log", Format: "json"}} }, true, "overrides"},
		{"field names", func(c *config.Config) { c.Logs.FieldNames = "otel" }, true, "field_names"},
		{"multiline wait", func(c *config.Config) { c.Logs.Multiline.MaxWait++ }, true, "multiline"},
		{"multiline off", func(c *config.Config) { c.Logs.Multiline.Disabled = true }, true, "multiline"},
		{"node", func(c *config.Config) { c.Kubernetes.NodeName = "other" }, true, "kubernetes"},
		{"kubelet", func(c *config.Config) { c.Kubernetes.KubeletURL = "http://127.0.0.1:10255" }, true, "kubernetes"},
		{"all at once", func(c *config.Config) {
			c.Logs.Paths[0] = "/srv/*.log"
			c.Logs.Overrides = []config.LogOverride{{Path: "*.log", Service: "api"}}
			c.Logs.FieldNames = "otel"
			c.Logs.Multiline.MaxBytes++
			c.Kubernetes.Enabled = !c.Kubernetes.Enabled
		}, true, "tailer overrides field_names multiline kubernetes"},
		{"no paths left", func(c *config.Config) { c.Logs.Paths = nil }, false, ""},
		{"state dir", func(c *config.Config) { c.StateDir += "2" }, false, ""},
	} {
		next := base()
		tc.change(next)
		changed, keep := logsChanges(base(), next)
		if keep != tc.keep || strings.Join(changed, " ") != tc.changed {
			t.Errorf("%s: logsChanges = %q, %v; want %q, %v", tc.name, changed, keep, tc.changed, tc.keep)
		}
	}
	none := base()
	none.Logs.Paths = nil
	if _, keep := logsChanges(none, base()); keep {
		t.Errorf("logsChanges keeps the sources of a config that tails nothing")
	}
}

// TestReloadRefusesEmptyConfig: a config file with no YAML document (empty,
// or only comments) — what a reload reads when it catches a file being
// rewritten in place — is refused with the reason, the running config is
// kept (gopulse_config_last_reload_successful 0, the log file still
// tailed). Before, it was a valid config of defaults only: the reload
// answered 200 and the agent went on with no log paths and no exporters.
func TestReloadRefusesEmptyConfig(t *testing.T) {
	for _, tc := range []struct{ name, body string }{{"empty", ""}, {"comments only", "# rewritten\n\n# soon\n"}} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			sink, err := taildrill.NewSink()
			if err != nil {
				t.Fatal(err)
			}
			defer sink.Close()
			logFile := filepath.Join(dir, "app.log")
			appendFile(t, logFile, "level=info msg=\"first\" seq=0\nlevel=info msg=\"second\" seq=1\n")
			cfgFile := filepath.Join(dir, "agent.yaml")
			addr := freeAddr(t)
			os.WriteFile(cfgFile, []byte(fmt.Sprintf(`listen: %s
state_dir: %s
probes: {mode: "off"}
logs: {paths: [%q], start_at: beginning, poll_interval: 50ms, multiline: {max_wait: 1h}}
kubernetes: {enabled: false}
lifecycle: {enable_reload: true, shutdown_grace: 5s}
exporters:
  loki: {endpoints: [{url: %q}]}
`, addr, filepath.Join(dir, "state"), logFile, sink.URL()+"/loki/api/v1/push")), 0o644)
			run := startAgentRun(cfgFile, dir)
			defer run.end(t, "agent log")
			waitUntil(t, "the first line delivered", 20*time.Second, func() bool { return firstCounts(sink, 3)[0] == 1 })
			os.WriteFile(cfgFile, []byte(tc.body), 0o644)
			code, body := httpDo(t, "POST", "http://"+addr+"/-/reload")
			if code != http.StatusInternalServerError || !strings.Contains(body, "holds no settings") {
				t.Fatalf("reload of an %s config file: %d %q, want 500 saying it holds no settings", tc.name, code, body)
			}
			if _, m := httpDo(t, "GET", "http://"+addr+"/metrics"); !strings.Contains(m, "\ngopulse_config_last_reload_successful 0\n") {
				t.Errorf("gopulse_config_last_reload_successful is not 0 after the refused reload")
			}
			if !strings.Contains(run.logs.String(), "reload refused: the running config is kept") {
				t.Errorf("the refusal was not logged")
			}
			appendFile(t, logFile, "level=info msg=\"third\" seq=2\n")
			waitUntil(t, "the running config still tailing", 20*time.Second, func() bool { return firstCounts(sink, 3)[1] == 1 })
			if c := firstCounts(sink, 3); c[0] != 1 || c[1] != 1 || c[2] != 0 {
				t.Fatalf("deliveries per seq %v; want 1 1 0", c)
			}
		})
	}
}

// TestReloadRebuildReadsNewPathFromReload: a reload that builds the log
// tailer (the running config tails nothing; the new one a path, with
// start_at: end): the new file starts at its end as of the reload's answer,
// so the 100 lines written right after the 200 are all read, once. Before,
// the new tailer made its first scan only when the next agent's Run
// started, after the answer: lines written meanwhile were skipped as
// "before the start" (the wait timed out on 2 of 5 runs here). (A reload
// between two configs that both tail something keeps the tailer: see
// TestReloadPathChangeKeepsOtherSources.)
func TestReloadRebuildReadsNewPathFromReload(t *testing.T) {
	dir := t.TempDir()
	sink, err := taildrill.NewSink()
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()
	b := filepath.Join(dir, "b.log")
	appendFile(t, b, "level=info msg=\"before the reload\" seq=200\n")
	cfgFile := filepath.Join(dir, "agent.yaml")
	addr := freeAddr(t)
	cfg := func(wait string, paths ...string) string {
		q := make([]string, len(paths))
		for i, p := range paths {
			q[i] = strconv.Quote(p)
		}
		return fmt.Sprintf(`listen: %s
state_dir: %s
probes: {mode: "off"}
logs: {paths: [%s], start_at: end, poll_interval: 50ms, multiline: {max_wait: %s}}
kubernetes: {enabled: false}
lifecycle: {enable_reload: true, shutdown_grace: 5s}
exporters:
  loki: {endpoints: [{url: %q}]}
`, addr, filepath.Join(dir, "state"), strings.Join(q, ", "), wait, sink.URL()+"/loki/api/v1/push")
	}
	os.WriteFile(cfgFile, []byte(cfg("1h")), 0o644)
	run := startAgentRun(cfgFile, dir)
	defer run.end(t, "agent log")
	waitUntil(t, "the agent serving", 20*time.Second, func() bool {
		resp, err := http.Get("http://" + addr + "/healthz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	os.WriteFile(cfgFile, []byte(cfg("30m", b)), 0o644)
	if code, body := httpDo(t, "POST", "http://"+addr+"/-/reload"); code != http.StatusOK {
		t.Fatalf("reload: %d %s", code, body)
	}
	var sb strings.Builder
	for i := range 101 {
		fmt.Fprintf(&sb, "level=info msg=\"after the reload\" seq=%d\n", i)
	}
	appendFile(t, b, sb.String())
	if !strings.Contains(run.logs.String(), "logs.paths set; the log sources start") {
		t.Fatalf("the reload did not build the log sources")
	}
	waitUntil(t, "b.log's lines written after the reload delivered", 10*time.Second, func() bool { return sink.Distinct(100) == 100 })
	time.Sleep(300 * time.Millisecond)
	c := firstCounts(sink, 201)
	for i := range 100 {
		if c[i] != 1 {
			t.Fatalf("seq %d delivered %d times, want once", i, c[i])
		}
	}
	if c[100] != 0 || c[200] != 0 {
		t.Fatalf("seq 100 (held) delivered %d times, seq 200 (before the reload) %d times; want 0 and 0", c[100], c[200])
	}
}

// TestReloadProbesFollowKubernetes: the probes are built once, with the
// first agent's resolver, and kept across reloads; their process selection
// looks pods up through it (pod labels and annotations). A reload that
// points kubernetes.kubelet_url at another kubelet must move that lookup
// too. Before, the probes kept asking the first kubelet (namespace ns1
// here after the reload, want ns2).
func TestReloadProbesFollowKubernetes(t *testing.T) {
	dir := t.TempDir()
	const uid = "0a1b2c3d-1111-2222-3333-444455556666"
	procRoot := filepath.Join(dir, "proc")
	os.MkdirAll(filepath.Join(procRoot, "4242"), 0o755)
	os.WriteFile(filepath.Join(procRoot, "4242", "cgroup"), []byte("0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod"+
		strings.ReplaceAll(uid, "-", "_")+".slice/cri-containerd-"+strings.Repeat("ab", 32)+".scope\n"), 0o644)
	kubelet := func(ns string) *httptest.Server {
		return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, `{"items":[{"metadata":{"uid":%q,"namespace":%q,"name":"api-0"}}]}`, uid, ns)
		}))
	}
	k1, k2 := kubelet("ns1"), kubelet("ns2")
	defer k1.Close()
	defer k2.Close()
	cfgFile := filepath.Join(dir, "agent.yaml")
	addr := freeAddr(t)
	cfg := func(kubeletURL string) string {
		return fmt.Sprintf(`listen: %s
state_dir: %s
logs: {paths: []}
kubernetes: {enabled: true, kubelet_url: %q}
lifecycle: {enable_reload: true}
`, addr, filepath.Join(dir, "state"), kubeletURL)
	}
	os.WriteFile(cfgFile, []byte(cfg(k1.URL)), 0o644)
	logs := &syncBuffer{}
	opts := Options{Logger: slog.New(slog.NewTextHandler(logs, nil)), ConfigFile: cfgFile, procRoot: procRoot}
	c, err := LoadConfig(cfgFile, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	var probesRes *pipeline.Resolver
	d := newDaemon(opts, c, func(_ event.RuntimeSink, r *pipeline.Resolver) (RuntimeSource, error) {
		probesRes = r
		return &selSource{}, nil
	})
	stop := runReloading(t, d, c)
	ns := func() string {
		pod, inPod, err := probesRes.PodOf(4242)
		if err != nil || !inPod {
			t.Fatalf("PodOf: in pod %v, err %v", inPod, err)
		}
		return pod.Namespace
	}
	if got := ns(); got != "ns1" {
		t.Fatalf("before the reload: namespace %q, want ns1", got)
	}
	os.WriteFile(cfgFile, []byte(cfg(k2.URL)), 0o644)
	if code, body := httpDo(t, "POST", "http://"+addr+"/-/reload"); code != http.StatusOK {
		t.Fatalf("reload: %d %s", code, body)
	}
	if got := ns(); got != "ns2" {
		t.Errorf("after the reload to the second kubelet: the probes' pod lookup says namespace %q, want ns2", got)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
}

// TestReloadLokiChangeKeepsLogSources: a reload that changes only the Loki
// exporter (here its endpoint, as when a credential or a gateway changes)
// keeps the log sources: the file is not opened again, and the record held
// at the reload goes to the new endpoint once, with the next line. Every
// line arrives once over the two endpoints. Before, any change under
// exporters.loki built every log source again (opened twice, formats and
// templates learnt again).
func TestReloadLokiChangeKeepsLogSources(t *testing.T) {
	dir := t.TempDir()
	sinks := make([]*taildrill.Sink, 2)
	for i := range sinks {
		s, err := taildrill.NewSink()
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		sinks[i] = s
	}
	logFile := filepath.Join(dir, "app.log")
	appendFile(t, logFile, "level=info msg=\"one\" seq=0\nlevel=info msg=\"two\" seq=1\nlevel=info msg=\"held\" seq=2\n")
	cfgFile := filepath.Join(dir, "agent.yaml")
	addr := freeAddr(t)
	cfg := func(s *taildrill.Sink) string {
		return fmt.Sprintf(`listen: %s
state_dir: %s
probes: {mode: "off"}
logs: {paths: [%q], start_at: beginning, poll_interval: 50ms, multiline: {max_wait: 1h}}
kubernetes: {enabled: false}
lifecycle: {enable_reload: true, shutdown_grace: 5s}
exporters:
  loki: {endpoints: [{url: %q}]}
`, addr, filepath.Join(dir, "state"), logFile, s.URL()+"/loki/api/v1/push")
	}
	os.WriteFile(cfgFile, []byte(cfg(sinks[0])), 0o644)
	run := startAgentRun(cfgFile, dir)
	defer run.end(t, "agent log")
	waitUntil(t, "the first two lines delivered", 20*time.Second, func() bool { return firstCounts(sinks[0], 4)[1] == 1 })
	os.WriteFile(cfgFile, []byte(cfg(sinks[1])), 0o644)
	if code, body := httpDo(t, "POST", "http://"+addr+"/-/reload"); code != http.StatusOK {
		t.Fatalf("reload: %d %s", code, body)
	}
	appendFile(t, logFile, "level=info msg=\"next\" seq=3\n")
	waitUntil(t, "the held record delivered to the new endpoint", 20*time.Second, func() bool { return firstCounts(sinks[1], 4)[2] == 1 })
	time.Sleep(300 * time.Millisecond)
	c0, c1 := firstCounts(sinks[0], 4), firstCounts(sinks[1], 4)
	for i := range 3 {
		if c0[i]+c1[i] != 1 {
			t.Errorf("seq %d delivered %d times (old endpoint %d, new %d), want once", i, c0[i]+c1[i], c0[i], c1[i])
		}
	}
	if c0[3]+c1[3] != 0 {
		t.Errorf("seq 3 (held: it may be continued) delivered")
	}
	if n := strings.Count(run.logs.String(), `msg="tailing log file"`); n != 1 {
		t.Errorf("app.log opened %d times, want 1: the log sources were built again", n)
	}
	if !strings.Contains(run.logs.String(), "the log sources run on") {
		t.Errorf("the kept log sources were not logged")
	}
}

// TestReloadOverrideChangeRestartsOnlyItsSource: a reload that pins
// a.log's format (an override with a format) starts only that source
// again: the record its parser held is emitted at the reload under its old
// labels, its next lines are parsed as logfmt. An override that only names
// b.log's service (billing) keeps b.log's parser: the record it held comes
// out with its next line, under service="billing", and nothing is learnt
// again. Neither file is opened again. Before, any change of
// logs.overrides rebuilt every source (the files opened 4 times instead of
// 2), then any changed override started its source again.
func TestReloadOverrideChangeRestartsOnlyItsSource(t *testing.T) {
	dir := t.TempDir()
	sink, err := taildrill.NewSink()
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()
	a, b := filepath.Join(dir, "a.log"), filepath.Join(dir, "b.log")
	appendFile(t, a, "level=info msg=\"a one\" seq=0\nlevel=info msg=\"a two\" seq=1\nlevel=info msg=\"a held\" seq=2\n")
	appendFile(t, b, "level=info msg=\"b one\" seq=10\nlevel=info msg=\"b two\" seq=11\nlevel=info msg=\"b held\" seq=12\n")
	cfgFile := filepath.Join(dir, "agent.yaml")
	addr := freeAddr(t)
	cfg := func(overrides string) string {
		return fmt.Sprintf(`listen: %s
state_dir: %s
probes: {mode: "off"}
logs: {paths: [%q, %q], start_at: beginning, poll_interval: 50ms, multiline: {max_wait: 1h}, overrides: [%s]}
kubernetes: {enabled: false}
lifecycle: {enable_reload: true, shutdown_grace: 5s}
exporters:
  loki: {endpoints: [{url: %q}]}
`, addr, filepath.Join(dir, "state"), a, b, overrides, sink.URL()+"/loki/api/v1/push")
	}
	os.WriteFile(cfgFile, []byte(cfg("")), 0o644)
	run := startAgentRun(cfgFile, dir)
	defer run.end(t, "agent log")
	counts := func() []uint16 { return firstCounts(sink, 20) }
	waitUntil(t, "the lines but the held ones delivered", 20*time.Second, func() bool { c := counts(); return c[1] == 1 && c[11] == 1 })
	os.WriteFile(cfgFile, []byte(cfg(fmt.Sprintf("{path: %q, format: logfmt}, {path: %q, service: billing}", a, b))), 0o644)
	if code, body := httpDo(t, "POST", "http://"+addr+"/-/reload"); code != http.StatusOK {
		t.Fatalf("reload: %d %s", code, body)
	}
	waitUntil(t, "a.log's held record delivered at the reload", 20*time.Second, func() bool { return counts()[2] == 1 })
	if c := counts(); c[12] != 0 {
		t.Fatalf("b.log's held record came out at the reload (its source was started again)")
	}
	appendFile(t, a, "level=info msg=\"a next\" seq=3\n")
	appendFile(t, b, "level=info msg=\"b next\" seq=13\nlevel=info msg=\"b last\" seq=14\n")
	waitUntil(t, "the held records delivered", 20*time.Second, func() bool { c := counts(); return c[12] == 1 && c[13] == 1 })
	time.Sleep(300 * time.Millisecond)
	want := map[int]uint16{0: 1, 1: 1, 2: 1, 3: 0, 10: 1, 11: 1, 12: 1, 13: 1, 14: 0}
	c := counts()
	for seq, w := range want {
		if c[seq] != w {
			t.Errorf("seq %d delivered %d times, want %d", seq, c[seq], w)
		}
	}
	if s := sink.StreamOf(12); !strings.Contains(s, `service="billing"`) {
		t.Errorf("b.log's held record came under %s, want the new labels (service billing): it came out after the reload", s)
	}
	if s := sink.StreamOf(13); !strings.Contains(s, `service="billing"`) {
		t.Errorf("b.log's line after the reload came under %s, want service billing", s)
	}
	if s := sink.StreamOf(2); !strings.Contains(s, `service="a"`) {
		t.Errorf("a.log's held record came under %s, want service a", s)
	}
	if n := strings.Count(run.logs.String(), `msg="tailing log file"`); n != 2 {
		t.Errorf("files opened %d times, want 2: the sources were built again", n)
	}
	if !strings.Contains(run.logs.String(), `msg="log source starts again: its override's format or pattern changed; its templates go on" path=`+a) {
		t.Errorf("a.log's restart was not logged")
	}
	if !strings.Contains(run.logs.String(), `msg="log source relabelled: its override's service changed; its parser goes on" path=`+b) {
		t.Errorf("b.log's relabelling was not logged")
	}
	if strings.Contains(run.logs.String(), `its templates go on" path=`+b) {
		t.Errorf("b.log was started again")
	}
}
