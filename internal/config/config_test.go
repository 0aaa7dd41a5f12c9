package config

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestDefaultEmbedded(t *testing.T) {
	cfg, err := Parse("default.yaml", DefaultYAML(), env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Listen != "127.0.0.1:9464" {
		t.Errorf("listen = %q", cfg.Listen)
	}
	want := []string{"/var/log/pods/**/*.log", "/var/log/*.log"}
	if strings.Join(cfg.Logs.Paths, ",") != strings.Join(want, ",") {
		t.Errorf("paths = %v", cfg.Logs.Paths)
	}
	if cfg.Probes.Mode != "default" {
		t.Errorf("probes = %+v", cfg.Probes)
	}
	cfg, err = Parse("default.yaml", DefaultYAML(), env(map[string]string{"GOPULSE_LISTEN": "0.0.0.0:9999"}))
	if err != nil || cfg.Listen != "0.0.0.0:9999" {
		t.Fatalf("env override: %v %v", cfg, err)
	}
}

func TestParseFull(t *testing.T) {
	src := `
listen: 127.0.0.1:${PORT:-9000}
state_dir: /tmp/gp
probes:
  mode: trace
  trace_pids: [12, 13]
  trace_budget: 2%
logs:
  paths: [/var/log/app/*.log]
  commit_lines: 5000
  rotate_grace: 30s
  overrides:
    - path: /var/log/app/access.log
      pattern: '<ip:client> - - [<ts:time>] "<method> <path> <_>" <int:status>'
      service: web
exporters:
  prometheus:
    remote_write:
      endpoints:
        - url: https://prom.example:9090/api/v1/write
      auth: {bearer_token: "${TOKEN}"}
      headers: {X-Scope-OrgID: team-a}
  loki:
    endpoints:
      - url: http://loki-a:3100
      - url: http://loki-b:3100
        health_url: http://loki-b:3100/ready
    tls: {ca_file: /etc/ca.pem, cert_file: /c.pem, key_file: /k.pem}
    queue: {dir: /q/loki, max_bytes: 64MiB}
  jaeger:
    protocol: api_v2
    endpoints: [{url: "http://jaeger:14268"}]
    timeout: 3s
health:
  window: 5s
  stw_p99: {degraded: 5ms, unhealthy: 20ms}
  gc_cpu: {degraded: 20%, unhealthy: 0.4}
webhooks:
  - url: https://hooks.example/gopulse
    secret: $${not-expanded}
    events: [drain, restore]
    max_retries: 4
`
	cfg, err := Parse("x.yaml", []byte(src), env(map[string]string{"TOKEN": "s3cret"}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Listen != "127.0.0.1:9000" {
		t.Errorf("listen %q", cfg.Listen)
	}
	if cfg.Probes.TraceBudget != 0.02 || len(cfg.Probes.TracePIDs) != 2 {
		t.Errorf("probes %+v", cfg.Probes)
	}
	if got := cfg.Exporters.Prometheus.RemoteWrite.Auth.BearerToken; got != "s3cret" {
		t.Errorf("token %q", got)
	}
	if cfg.Exporters.Jaeger.Timeout != 3*time.Second || cfg.Exporters.Jaeger.Endpoints[0].URL != "http://jaeger:14268" {
		t.Errorf("jaeger %+v", cfg.Exporters.Jaeger)
	}
	if got := cfg.Exporters.Prometheus.RemoteWrite.Headers["X-Scope-OrgID"]; got != "team-a" {
		t.Errorf("header %q", got)
	}
	if cfg.Exporters.Loki.Queue.MaxBytes != 64<<20 || cfg.QueueDir("loki", cfg.Exporters.Loki.Queue) != "/q/loki" {
		t.Errorf("loki queue %+v", cfg.Exporters.Loki.Queue)
	}
	if cfg.QueueDir("jaeger", cfg.Exporters.Jaeger.Queue) != "/tmp/gp/queue/jaeger" {
		t.Errorf("jaeger queue dir")
	}
	if cfg.Health.Window != 5*time.Second || cfg.Health.STWP99.Unhealthy != 20*time.Millisecond || cfg.Health.GCCPU.Degraded != 0.2 {
		t.Errorf("health %+v", cfg.Health)
	}
	// Untouched keys keep their defaults.
	if cfg.Health.RecoverAfter != Defaults().Health.RecoverAfter || cfg.Health.STWMax != Defaults().Health.STWMax {
		t.Errorf("defaults lost: %+v", cfg.Health)
	}
	if cfg.Logs.CommitLines != 5000 || cfg.Logs.RotateGrace != 30*time.Second || cfg.Logs.CommitInterval != time.Second {
		t.Errorf("logs commit %d every %s, rotate grace %s", cfg.Logs.CommitLines, cfg.Logs.CommitInterval, cfg.Logs.RotateGrace)
	}
	if cfg.Webhooks[0].Secret != "${not-expanded}" {
		t.Errorf("secret %q", cfg.Webhooks[0].Secret)
	}
}

// Every problem is reported at once, each with its line:col.
func TestParseReportsEverything(t *testing.T) {
	src := `listen: "localhost:99999"
probes:
  mode: fast
  sample_intervall: 1s
  trace_pids: [1, x]
logs:
  paths: /var/log/*.log
  poll_interval: 10
health:
  window: ten seconds
  stw_p99: {degraded: 50ms, unhealthy: 10ms}
  worsen_after: -1
exporters:
  loki:
    endpoints:
      - url: loki:3100
  jaeger: {protocol: grpc}
webhooks:
  - url: http://h
    secret: ${MISSING}
bogus: 1
`
	_, err := Parse("bad.yaml", []byte(src), env(nil))
	if err == nil {
		t.Fatal("no error")
	}
	msg := err.Error()
	wants := []string{
		`bad.yaml:4:3: probes.sample_intervall: unknown key "sample_intervall" (did you mean "sample_interval"?)`,
		`bad.yaml:5:19: probes.trace_pids[1]: want an integer, got "x"`,
		`bad.yaml:7:10: logs.paths: want a list, got "/var/log/*.log"`,
		`bad.yaml:8:18: logs.poll_interval: want a duration like 500ms or 10s, got "10"`,
		`bad.yaml:10:11: health.window: want a duration`,
		`bad.yaml:20:13: webhooks[0].secret: environment variable MISSING is not set`,
		`bad.yaml:21:1: bogus: unknown key "bogus"`,
		// type errors no longer hide the value problems of the same file
		`bad.yaml:1:9: listen: bad port "99999"`,
		`bad.yaml:3:9: probes.mode: want default, trace or off, got "fast"`,
		`bad.yaml:11:12: health.stw_p99: want 0 < degraded ≤ unhealthy`,
		`bad.yaml:12:17: health.worsen_after: must be at least 1, got -1`,
		`bad.yaml:16:14: exporters.loki.endpoints[0].url: want an http:// or https:// URL`,
		`bad.yaml:17:22: exporters.jaeger.protocol: want otlp or api_v2, got "grpc"`,
	}
	for _, w := range wants {
		if !strings.Contains(msg, w) {
			t.Errorf("missing %q in\n%s", w, msg)
		}
	}
	if !errors.Is(err, ErrUnknownKey) || !errors.Is(err, ErrType) || !errors.Is(err, ErrValue) {
		t.Errorf("sentinels not wrapped: %v", err)
	}
	// A key that failed to decode is not reported twice (health.window
	// kept its default; logs.poll_interval is not "must be positive").
	if n := len(strings.Split(msg, "\n")); n != len(wants) {
		t.Errorf("got %d problems, want %d:\n%s", n, len(wants), msg)
	}
	// In position order.
	var last int
	for _, l := range strings.Split(msg, "\n") {
		var line int
		fmt.Sscanf(strings.TrimPrefix(l, "bad.yaml:"), "%d", &line)
		if line < last {
			t.Errorf("problems out of order:\n%s", msg)
			break
		}
		last = line
	}
	// Decoding problems are fixed; now only value problems remain, all listed.
	src2 := `listen: "localhost:99999"
probes:
  mode: fast
  attach: multi
health:
  stw_p99: {degraded: 50ms, unhealthy: 10ms}
  worsen_after: -1
exporters:
  loki:
    endpoints:
      - url: loki:3100
  jaeger: {protocol: grpc}
logs:
  field_names: ecs
  multiline: {max_wait: 0s, max_bytes: 100}
  commit_lines: 0
  rotate_grace: 0s
`
	_, err = Parse("bad.yaml", []byte(src2), env(nil))
	if err == nil {
		t.Fatal("no error")
	}
	msg = err.Error()
	wants = []string{
		`bad.yaml:1:9: listen: bad port "99999"`,
		`bad.yaml:3:9: probes.mode: want default, trace or off, got "fast"`,
		`bad.yaml:4:11: probes.attach: want auto or perf_event, got "multi"`,
		`bad.yaml:6:12: health.stw_p99: want 0 < degraded ≤ unhealthy`,
		`bad.yaml:7:17: health.worsen_after: must be at least 1, got -1`,
		`bad.yaml:11:14: exporters.loki.endpoints[0].url: want an http:// or https:// URL`,
		`bad.yaml:12:22: exporters.jaeger.protocol: want otlp or api_v2, got "grpc"`,
		`bad.yaml:14:16: logs.field_names: want gopulse or otel, got "ecs"`,
		`bad.yaml:15:25: logs.multiline.max_wait: must be positive, got 0s`,
		`bad.yaml:15:40: logs.multiline.max_bytes: must be at least 1KiB`,
		`bad.yaml:16:17: logs.commit_lines: must be at least 1, got 0`,
		`bad.yaml:17:17: logs.rotate_grace: must be positive, got 0s`,
	}
	for _, w := range wants {
		if !strings.Contains(msg, w) {
			t.Errorf("missing %q in\n%s", w, msg)
		}
	}
	if n := len(strings.Split(msg, "\n")); n != len(wants) {
		t.Errorf("got %d problems, want %d:\n%s", n, len(wants), msg)
	}
}

func TestSyntaxError(t *testing.T) {
	_, err := Parse("s.yaml", []byte("listen: [1,\n"), env(nil))
	if !errors.Is(err, ErrSyntax) || !strings.Contains(err.Error(), "s.yaml") {
		t.Fatalf("err = %v", err)
	}
	// Syntax errors carry a line and a column too.
	for src, want := range map[string]string{
		"probes:\n  mode: default\n min_age: 2s\n": "s.yaml:3:2: ",
		"listen: 'x\n":                     "s.yaml:1:9: ",
		"logs:\n\t- a\n":                   "s.yaml:2:1: ",
		"health: {window: 1s\nlisten: x\n": "s.yaml:2:",
	} {
		_, err := Parse("s.yaml", []byte(src), env(nil))
		if !errors.Is(err, ErrSyntax) || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("%q: err = %v, want prefix %q", src, err, want)
		}
	}
	_, err = Parse("s.yaml", []byte("listen: a:1\n---\nlisten: b:2\n"), env(nil))
	if !errors.Is(err, ErrSyntax) {
		t.Fatalf("two documents: %v", err)
	}
}

func TestEmptyFileIsDefaults(t *testing.T) {
	cfg, err := Parse("e.yaml", nil, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Listen != Defaults().Listen || len(cfg.Logs.Paths) != 0 {
		t.Errorf("cfg %+v", cfg)
	}
}

func TestExpand(t *testing.T) {
	d := &decoder{env: env(map[string]string{"A": "1", "E": ""}), pos: map[string]Pos{}}
	for in, want := range map[string]string{
		"x${A}y":      "x1y",
		"${B:-dflt}":  "dflt",
		"${E:-dflt}":  "dflt",
		"$$A":         "$A",
		"cost $5":     "cost $5",
		"${A}${A:-2}": "11",
	} {
		got, ok := d.expand(nil, "p", in)
		if !ok || got != want {
			t.Errorf("expand(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	if _, ok := d.expand(nil, "p", "${A"); ok {
		t.Error("unterminated accepted")
	}
	if _, ok := d.expand(nil, "p", "${1X}"); ok {
		t.Error("bad name accepted")
	}
}

func TestByteSize(t *testing.T) {
	for in, want := range map[string]ByteSize{"1024": 1024, "64KiB": 64 << 10, "1.5MiB": 3 << 19, "2GB": 2e9, "10 MB": 1e7} {
		got, err := ParseByteSize(in)
		if err != nil || got != want {
			t.Errorf("%q = %d, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "MiB", "-1", "5PB"} {
		if _, err := ParseByteSize(in); err == nil {
			t.Errorf("%q accepted", in)
		}
	}
}

func TestSetListen(t *testing.T) {
	cfg := Defaults()
	if err := cfg.SetListen("0.0.0.0:1"); err != nil || cfg.Listen != "0.0.0.0:1" {
		t.Fatal(err)
	}
	if err := cfg.SetListen("nope"); !errors.Is(err, ErrValue) {
		t.Fatalf("err = %v", err)
	}
}

// The example in docs/config.md is a valid config.
func TestDocsExample(t *testing.T) {
	data, err := os.ReadFile("../../docs/config.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(data), "```yaml\n")
	if !ok {
		t.Fatal("no yaml example in docs/config.md")
	}
	example, _, _ := strings.Cut(rest, "```")
	cfg, err := Parse("docs/config.md", []byte(example), env(map[string]string{"PROM_TOKEN": "t", "HOOK_SECRET": "s", "NODE_IP": "10.0.0.1"}))
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Webhooks) != 1 || cfg.Kubernetes.KubeletURL != "http://10.0.0.1:10255" {
		t.Fatalf("%+v", cfg)
	}
}

func TestChecks(t *testing.T) {
	cfg, err := Parse("t.yaml", []byte(`
checks:
  - {name: api-1, agent_check: "127.0.0.1:9701", port: 8081}
  - {name: api-2, pid: 4242, degraded_weight: 25%}
  - {name: db, exe: /usr/bin/postgres}
  - {name: web, service: web}
`), env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Checks) != 4 || cfg.Checks[0].Port != 8081 || cfg.Checks[0].AgentCheck != "127.0.0.1:9701" ||
		cfg.Checks[1].DegradedWeight != 0.25 || cfg.Checks[2].Exe != "/usr/bin/postgres" || cfg.Checks[3].Service != "web" {
		t.Fatalf("%+v", cfg.Checks)
	}
	_, err = Parse("t.yaml", []byte(`listen: 127.0.0.1:9464
checks:
  - {name: "a b", pid: 1}
  - {name: x, agent_check: "9701", pid: 1}
  - {name: x, pid: 1, port: 80}
  - {name: y}
  - {name: z, agent_check: "127.0.0.1:9701", port: 70000, degraded_weight: 150%}
  - {name: w, agent_check: "127.0.0.1:9701", pid: 1}
  - {name: v, agent_check: "127.0.0.1:9464", pid: 1}
`), env(nil))
	for _, want := range []string{
		`t.yaml:3:12: checks[0].name: want a name`, `t.yaml:4:28: checks[1].agent_check: want host:port, got "9701"`,
		`t.yaml:5:12: checks[2].name: duplicate check name "x"`, `t.yaml:5:5: checks[2]: set exactly one of pid, exe, service, port`,
		`checks[3]: set exactly one`, `checks[4].port: want a TCP port 1-65535, got 70000`,
		`checks[4].degraded_weight: want a weight in (0, 1]`, `checks[5].agent_check: 127.0.0.1:9701 is used by another check`,
		`checks[6].agent_check: 127.0.0.1:9464 is the agent's listen address`,
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if _, err := Parse("t.yaml", []byte("checks: [{name: u, pid: 1, prot: 80}]\n"), env(nil)); err == nil || !strings.Contains(err.Error(), `checks[0].prot: unknown key "prot"`) {
		t.Errorf("err = %v", err)
	}
}

// Log formats and patterns are compiled when the config is checked: a typo
// in a format or a pattern that does not compile is a config error (the
// agent used to ship those lines unparsed).
func TestOverrideFormatAndPattern(t *testing.T) {
	src := `logs:
  overrides:
    - {path: /var/log/a.log, format: nginxx}
    - {path: /var/log/b.log, pattern: '<ip:client> <int:status'}
    - {path: /var/log/c.log, pattern: '<bogus:x> <rest:msg>'}
    - {path: /var/log/d.log, format: json}
    - {path: /var/log/e.log, pattern: '<ip:client> - <_> [<ts:time>] "<method> <path> <_>" <int:status>'}
`
	_, err := Parse("o.yaml", []byte(src), env(nil))
	if err == nil {
		t.Fatal("accepted")
	}
	msg := err.Error()
	for _, w := range []string{
		`o.yaml:3:38: logs.overrides[0].format: unknown format "nginxx"`,
		`o.yaml:4:39: logs.overrides[1].pattern: `,
		`o.yaml:5:39: logs.overrides[2].pattern: `,
	} {
		if !strings.Contains(msg, w) {
			t.Errorf("missing %q in\n%s", w, msg)
		}
	}
	if n := len(strings.Split(msg, "\n")); n != 3 {
		t.Errorf("%d problems, want 3:\n%s", n, msg)
	}
}

// Every delivery setting of docs/exporters.md can be set per exporter.
func TestDeliverySettings(t *testing.T) {
	src := `exporters:
  loki:
    endpoints: [{url: "http://l:3100/loki/api/v1/push"}]
    queue: {max_bytes: 64MiB, memory_bytes: 1MiB, flush_interval: 50ms, fsync: always, fsync_interval: 2s}
    retry: {initial_backoff: 100ms, max_backoff: 10s, multiplier: 3, jitter: 0.1, max_retry_after: 1m}
    breaker: {failure_threshold: 3, open_timeout: 2s, max_open_timeout: 1m}
    concurrency: {min: 2, max: 4, latency_target: 1s, backoff: 0.7}
    health_interval: 3s
`
	cfg, err := Parse("d.yaml", []byte(src), env(nil))
	if err != nil {
		t.Fatal(err)
	}
	l := cfg.Exporters.Loki
	if l.Queue.Fsync != "always" || l.Queue.MemoryBytes != 1<<20 || l.Queue.FlushInterval != 50*time.Millisecond ||
		l.Retry.Multiplier != 3 || l.Retry.MaxBackoff != 10*time.Second || l.Breaker.FailureThreshold != 3 ||
		l.Breaker.OpenTimeout != 2*time.Second || l.Concurrency.Backoff != 0.7 || l.Concurrency.Max != 4 || l.HealthInterval != 3*time.Second {
		t.Fatalf("%+v", l)
	}
	// Defaults are delivery's.
	if j := cfg.Exporters.Jaeger; j.Queue.Fsync != "interval" || j.Retry.InitialBackoff == 0 || j.Breaker.FailureThreshold == 0 {
		t.Fatalf("defaults: %+v", j)
	}
	bad := `exporters:
  loki:
    queue: {fsync: sometimes}
    retry: {initial_backoff: 10s, max_backoff: 1s, jitter: 2}
    breaker: {failure_threshold: 0}
    concurrency: {min: 3, max: 2, backoff: 1.5}
`
	_, err = Parse("d.yaml", []byte(bad), env(nil))
	if err == nil {
		t.Fatal("accepted")
	}
	for _, w := range []string{"exporters.loki.queue.fsync: want always, interval or never", "exporters.loki.retry: want 0 < initial_backoff",
		"exporters.loki.retry.jitter", "exporters.loki.breaker.failure_threshold", "exporters.loki.concurrency: want 1 ≤ min ≤ max",
		"exporters.loki.concurrency.backoff"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("missing %q in\n%v", w, err)
		}
	}
}

func TestDiscovery(t *testing.T) {
	cfg, err := Parse("t.yaml", []byte(`
probes:
  discovery:
    include:
      - {exe: "api-*"}
      - {exe: "/opt/**/bin/*", cmdline: "--role=(web|batch)", ports: [8080, "9000-9100"]}
      - namespace: "shop-*"
        pod_labels: {app.kubernetes.io/part-of: shop}
    exclude:
      - pod_annotations: {example.com/probe: "off"}
kubernetes: {enabled: true}
`), env(nil))
	if err != nil {
		t.Fatal(err)
	}
	d := cfg.Probes.Discovery
	if len(d.Include) != 3 || d.Include[1].Ports[0] != "8080" || d.Include[2].PodLabels["app.kubernetes.io/part-of"] != "shop" ||
		d.Exclude[0].PodAnnotations["example.com/probe"] != "off" || d.DefaultExclude != nil {
		t.Fatalf("%+v", d)
	}
	sel, err := d.Selection().Compile()
	if err != nil || !sel.NeedsPods() {
		t.Fatalf("compile: %v", err)
	}
	// default_exclude: [] drops the built-in exclusions.
	cfg, err = Parse("t.yaml", []byte("probes:\n  discovery:\n    default_exclude: []\n"), env(nil))
	if err != nil || cfg.Probes.Discovery.DefaultExclude == nil || len(cfg.Probes.Discovery.DefaultExclude) != 0 {
		t.Fatalf("%v %#v", err, cfg.Probes.Discovery)
	}

	src := `probes:
  discovery:
    include:
      - {exe: "[api", cmdline: "(x"}
      - {}
      - ports: [0, "90-80", 443]
      - {namespace: prod, exe: go}
    exclude:
      - {pod_labels: {app: "[x"}, exee: go}
kubernetes:
  enabled: false
`
	_, err = Parse("bad.yaml", []byte(src), env(nil))
	if err == nil {
		t.Fatal("no error")
	}
	wants := []string{
		`bad.yaml:4:15: probes.discovery.include[0].exe: bad glob "[api": syntax error in pattern`,
		`bad.yaml:4:32: probes.discovery.include[0].cmdline: bad regular expression: missing closing ): ` + "`(x`",
		`bad.yaml:5:9: probes.discovery.include[1]: empty rule: set at least one of exe, cmdline, namespace, pod_labels, pod_annotations, ports`,
		`bad.yaml:6:17: probes.discovery.include[2].ports[0]: want a TCP port (1-65535) or a range like 8000-8999, got "0"`,
		`bad.yaml:6:20: probes.discovery.include[2].ports[1]: want a TCP port`,
		`bad.yaml:7:21: probes.discovery.include[3].namespace: needs kubernetes.enabled: true`,
		`bad.yaml:9:22: probes.discovery.exclude[0].pod_labels: needs kubernetes.enabled: true`,
		`bad.yaml:9:28: probes.discovery.exclude[0].pod_labels.app: bad glob "[x"`,
		`bad.yaml:9:35: probes.discovery.exclude[0].exee: unknown key "exee" (did you mean "exe"?)`,
	}
	for _, w := range wants {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("missing %q in:\n%v", w, err)
		}
	}
	if n := len(err.(interface{ Unwrap() []error }).Unwrap()); n != len(wants) {
		t.Errorf("%d errors, want %d:\n%v", n, len(wants), err)
	}
}

func TestSchedCPUWait(t *testing.T) {
	cfg, err := Parse("t.yaml", []byte("health: {sched_cpu_wait: 80%}\n"), env(nil))
	if err != nil || cfg.Health.SchedCPUWait != 0.8 {
		t.Fatalf("80%%: %v %v", cfg.Health.SchedCPUWait, err)
	}
	if cfg, err := Parse("t.yaml", []byte("health: {sched_cpu_wait: 0}\n"), env(nil)); err != nil || cfg.Health.SchedCPUWait != 0 {
		t.Fatalf("0: %v %v", cfg.Health.SchedCPUWait, err)
	}
	if cfg, err := Parse("t.yaml", []byte("listen: 127.0.0.1:0\n"), env(nil)); err != nil || cfg.Health.SchedCPUWait != 0.5 {
		t.Fatalf("default: %v %v", cfg.Health.SchedCPUWait, err)
	}
	for _, v := range []string{"150%", "-0.1"} {
		if _, err := Parse("t.yaml", []byte("health: {sched_cpu_wait: "+v+"}\n"), env(nil)); err == nil || !strings.Contains(err.Error(), "health.sched_cpu_wait") {
			t.Errorf("%s: err = %v", v, err)
		}
	}
}
