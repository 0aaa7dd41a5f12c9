// Package config is gopulse's agent configuration: a strict YAML file with
// ${ENV} and ${ENV:-default} expansion, whose every problem is reported at
// once with its line and column, and an embedded default used when no file is
// given.
package config

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	goccy "github.com/goccy/go-yaml"
	goccyparser "github.com/goccy/go-yaml/parser"
	"gopkg.in/yaml.v3"

	"github.com/gopulse/gopulse/internal/exporters/delivery"
	"github.com/gopulse/gopulse/logparse"
	"github.com/gopulse/gopulse/probes"
)

// formatNames are the built-in log formats an override may pin.
func formatNames() []string {
	var names []string
	for _, p := range logparse.DefaultParsers(2000) {
		names = append(names, p.Name())
	}
	return names
}

//go:embed default.yaml
var defaultYAML []byte

// DefaultYAML returns the embedded default configuration file.
func DefaultYAML() []byte { return bytes.Clone(defaultYAML) }

// Config is the agent configuration.
type Config struct {
	// Listen is the address of /metrics, /healthz, /readyz and /v1/health.
	Listen string `yaml:"listen"`
	// StateDir keeps the log offsets and the exporters' default queues.
	StateDir   string     `yaml:"state_dir"`
	Probes     Probes     `yaml:"probes"`
	Logs       Logs       `yaml:"logs"`
	Kubernetes Kubernetes `yaml:"kubernetes"`
	Exporters  Exporters  `yaml:"exporters"`
	Health     Health     `yaml:"health"`
	Webhooks   []Webhook  `yaml:"webhooks"`
	Checks     []Check    `yaml:"checks"`
	Lifecycle  Lifecycle  `yaml:"lifecycle"`

	pos    map[string]Pos
	failed map[string]bool // keys that did not decode (Parse only)
	file   string
	empty  bool // the file held no YAML document (see Empty)
}

// Empty reports whether the parsed file held no YAML document at all
// (nothing, or only comments and blank lines): every setting is then its
// default. A reload refuses such a file, which is most often one caught
// half-written; `{}` asks for the defaults.
func (c *Config) Empty() bool { return c.empty }

// Lifecycle configures reloads and shutdown.
type Lifecycle struct {
	// EnableReload serves POST /-/reload (off by default, like
	// Prometheus's --web.enable-lifecycle); SIGHUP reloads regardless.
	EnableReload bool `yaml:"enable_reload"`
	// ShutdownGrace is how long SIGTERM/SIGINT leave the exporters to send
	// what is queued before the rest is persisted for the next start.
	ShutdownGrace time.Duration `yaml:"shutdown_grace"`
}

// Probes selects and configures the runtime probes.
type Probes struct {
	// Mode is "default" (runtime accounting, ≤1% overhead, plus trace mode
	// for TracePIDs) or "off"; "trace" is accepted as a synonym of default.
	Mode           string        `yaml:"mode"`
	TracePIDs      []int         `yaml:"trace_pids"`   // per-goroutine events, held to TraceBudget
	TraceBudget    float64       `yaml:"trace_budget"` // fraction of the target's CPU, e.g. 0.05 or 5%
	SampleInterval time.Duration `yaml:"sample_interval"`
	// MinAge: processes are probed once they have run this long, so that
	// short-lived Go programs (build tools…) cost nothing. 0 probes every Go
	// process as soon as it is seen.
	MinAge time.Duration `yaml:"min_age"`
	// RingBytes is the BPF ring buffer size; 0 picks 2MiB, or 64MiB when
	// trace pids are set (per-goroutine events are many).
	RingBytes ByteSize `yaml:"ring_bytes"`
	// Attach is how uprobes are attached: "auto" (default: the best
	// mechanism the kernel offers, logged at start-up) or "perf_event"
	// (per-offset perf-event uprobes even where uprobe_multi links exist).
	Attach string `yaml:"attach"`
	// Discovery selects the Go processes probed (trace_pids always are).
	Discovery Discovery `yaml:"discovery"`
}

// Discovery selects the processes the probes attach to: those matching an
// include rule (every Go process when there is none) and no exclude or
// default_exclude rule (see probes.Selection).
type Discovery struct {
	Include []ProcessRule `yaml:"include"`
	Exclude []ProcessRule `yaml:"exclude"`
	// DefaultExclude replaces the built-in exclusions (the Go toolchain's
	// programs, pods annotated gopulse.io/exclude: "true"); [] drops them.
	DefaultExclude []ProcessRule `yaml:"default_exclude"`
}

// ProcessRule is one rule of Discovery; every criterion set must hold.
type ProcessRule struct {
	Exe            string            `yaml:"exe"`     // glob: the path when it holds a '/', else the base name
	Cmdline        string            `yaml:"cmdline"` // regular expression (RE2) on the arguments joined by spaces
	Namespace      string            `yaml:"namespace"`
	PodLabels      map[string]string `yaml:"pod_labels"`
	PodAnnotations map[string]string `yaml:"pod_annotations"`
	Ports          []string          `yaml:"ports"` // listening TCP ports or ranges: 8080, "9000-9100"
}

func (r ProcessRule) rule() probes.Rule {
	return probes.Rule{Exe: r.Exe, Cmdline: r.Cmdline, Namespace: r.Namespace, PodLabels: r.PodLabels,
		PodAnnotations: r.PodAnnotations, Ports: r.Ports}
}

func rules(rs []ProcessRule) []probes.Rule {
	if rs == nil {
		return nil
	}
	out := make([]probes.Rule, len(rs))
	for i, r := range rs {
		out[i] = r.rule()
	}
	return out
}

// Selection returns the probes' process selection (validated by Parse).
func (d Discovery) Selection() probes.Selection {
	return probes.Selection{Include: rules(d.Include), Exclude: rules(d.Exclude), DefaultExclude: rules(d.DefaultExclude)}
}

// Logs configures the log tailers.
type Logs struct {
	Paths          []string      `yaml:"paths"` // globs, ** allowed; missing paths are skipped
	Exclude        []string      `yaml:"exclude"`
	PollInterval   time.Duration `yaml:"poll_interval"`
	RescanInterval time.Duration `yaml:"rescan_interval"`
	MaxLineBytes   ByteSize      `yaml:"max_line_bytes"`
	StartAt        string        `yaml:"start_at"` // "end" (default) or "beginning" for files never seen
	// CommitLines and CommitInterval bound the lines and the time between
	// two commits of the offsets (each first makes the lines durable in the
	// exporters' queues): after a crash, at most that much is read again.
	CommitLines    int           `yaml:"commit_lines"`
	CommitInterval time.Duration `yaml:"commit_interval"`
	// RotateGrace: how long a rotated-away file is still read (writers
	// that have not reopened their log), and how long the copy of a
	// truncated file is looked for.
	RotateGrace time.Duration `yaml:"rotate_grace"`
	Overrides   []LogOverride `yaml:"overrides"`
	// FieldNames: "gopulse" (each format's own names) or "otel"
	// (OpenTelemetry semantic names: client.address, url.path, …).
	FieldNames string    `yaml:"field_names"`
	Multiline  Multiline `yaml:"multiline"`
}

// Multiline configures the assembly of multi-line records (stack traces,
// indented continuation lines), detected per stream.
type Multiline struct {
	Disabled bool          `yaml:"disabled"`  // one record per line
	MaxWait  time.Duration `yaml:"max_wait"`  // a quiet stream's last record is emitted after this
	MaxBytes ByteSize      `yaml:"max_bytes"` // a longer record goes on in a new one
}

// LogOverride forces a format, pattern or service for the files matching Path.
type LogOverride struct {
	Path    string `yaml:"path"`
	Format  string `yaml:"format"`
	Pattern string `yaml:"pattern"`
	Service string `yaml:"service"`
}

// Kubernetes configures pod metadata lookups.
type Kubernetes struct {
	Enabled    bool          `yaml:"enabled"`
	KubeletURL string        `yaml:"kubelet_url"` // read-only kubelet API, e.g. http://127.0.0.1:10255
	APIServer  string        `yaml:"api_server"`  // empty: in-cluster discovery from the environment
	NodeName   string        `yaml:"node_name"`
	Refresh    time.Duration `yaml:"refresh"`
}

// Exporters configures every backend.
type Exporters struct {
	Prometheus Prometheus `yaml:"prometheus"`
	Loki       Backend    `yaml:"loki"`
	Jaeger     Jaeger     `yaml:"jaeger"`
}

// Prometheus configures remote write (the /metrics endpoint is always on).
type Prometheus struct {
	RemoteWrite Backend       `yaml:"remote_write"`
	Interval    time.Duration `yaml:"interval"`
	// ExternalLabels are added to every remote-written series (as
	// Prometheus's global.external_labels), e.g. {cluster: prod}. Every
	// series already carries `node`.
	ExternalLabels map[string]string `yaml:"external_labels"`
}

// Jaeger configures the GC-trace exporter.
type Jaeger struct {
	Backend  `yaml:",inline"`
	Protocol string        `yaml:"protocol"` // "otlp" (Jaeger v2) or "api_v2" (Jaeger v1)
	MinSTW   time.Duration `yaml:"min_stw"`  // non-GC pauses at least this long get a span
	// Sampling of GC-cycle traces: cycles with a pause ≥ slow_pause or a
	// duration ≥ slow_cycle are all traced, sample_rate of the others.
	Sampling TraceSampling `yaml:"sampling"`
}

// TraceSampling selects the GC cycles that get a trace.
type TraceSampling struct {
	Rate      float64       `yaml:"rate"` // 0..1 or a percentage
	SlowPause time.Duration `yaml:"slow_pause"`
	SlowCycle time.Duration `yaml:"slow_cycle"`
}

// Backend is one exporter's endpoints (in failover order), their shared
// HTTP settings and the on-disk queue. No endpoint disables the exporter.
type Backend struct {
	Endpoints []Endpoint        `yaml:"endpoints"`
	Timeout   time.Duration     `yaml:"timeout"`
	Headers   map[string]string `yaml:"headers"`
	Auth      Auth              `yaml:"auth"`
	TLS       TLS               `yaml:"tls"`
	Queue     Queue             `yaml:"queue"`
	// Retry, Breaker and Concurrency tune delivery (exporters/delivery);
	// HealthInterval is the period of the endpoints' health_url checks.
	Retry          delivery.RetryConfig       `yaml:"retry"`
	Breaker        delivery.BreakerConfig     `yaml:"breaker"`
	Concurrency    delivery.ConcurrencyConfig `yaml:"concurrency"`
	HealthInterval time.Duration              `yaml:"health_interval"`
}

// Endpoint is one backend URL.
type Endpoint struct {
	URL       string `yaml:"url"`
	HealthURL string `yaml:"health_url"` // polled with GET when set; 2xx = healthy
}

// Auth is basic or bearer authentication (not both).
type Auth struct {
	Username    string `yaml:"username"`
	Password    string `yaml:"password"`
	BearerToken string `yaml:"bearer_token"`
}

// TLS configures TLS and mTLS.
type TLS struct {
	CAFile             string `yaml:"ca_file"`
	CertFile           string `yaml:"cert_file"`
	KeyFile            string `yaml:"key_file"`
	ServerName         string `yaml:"server_name"`
	InsecureSkipVerify bool   `yaml:"insecure_skip_verify"`
}

// Queue is an exporter's on-disk queue.
type Queue struct {
	Dir      string   `yaml:"dir"` // default: STATE_DIR/queue/EXPORTER
	MaxBytes ByteSize `yaml:"max_bytes"`
	// MemoryBytes bounds the in-memory batch in front of the on-disk log,
	// written every FlushInterval (or when full).
	MemoryBytes   ByteSize      `yaml:"memory_bytes"`
	FlushInterval time.Duration `yaml:"flush_interval"`
	// Fsync is always (every flush), interval (every FsyncInterval) or never.
	Fsync         string        `yaml:"fsync"`
	FsyncInterval time.Duration `yaml:"fsync_interval"`
}

// Health holds the windows, hysteresis and thresholds of the verdicts.
type Health struct {
	Window         time.Duration `yaml:"window"`
	WorsenAfter    int           `yaml:"worsen_after"`       // consecutive windows before a worse state is taken
	RecoverAfter   int           `yaml:"recover_after"`      // consecutive windows before a better state is taken
	HeartbeatFails int           `yaml:"heartbeat_failures"` // unhealthy when silent windows exceed this
	DrainHold      int           `yaml:"drain_hold"`         // a drained process is restored no sooner than this many windows after the drain

	STWP99   DurationThreshold `yaml:"stw_p99"`
	STWMax   DurationThreshold `yaml:"stw_max"`
	SchedP99 DurationThreshold `yaml:"sched_p99"`
	// SchedCPUWait: scheduling latency is not held against a process
	// whose threads waited for a CPU at least this share of their
	// runnable time in the window (node saturated), unless its own
	// cgroup's CPU limit throttled it (see health.Config.SchedCPUWait);
	// 0 judges it whatever the wait.
	SchedCPUWait    float64         `yaml:"sched_cpu_wait"`
	GCCPU           RatioThreshold  `yaml:"gc_cpu"`
	GoroutineGrowth GrowthThreshold `yaml:"goroutine_growth"`
	ErrorRate       RateThreshold   `yaml:"error_rate"`
	NewErrorBurst   int             `yaml:"new_error_template_burst"` // errors of a never-seen template in one window
}

// DurationThreshold marks a signal degraded or unhealthy above a duration.
type DurationThreshold struct {
	Degraded  time.Duration `yaml:"degraded"`
	Unhealthy time.Duration `yaml:"unhealthy"`
}

// RatioThreshold is a fraction (0.25) or percentage ("25%").
type RatioThreshold struct {
	Degraded  float64 `yaml:"degraded"`
	Unhealthy float64 `yaml:"unhealthy"`
}

// RateThreshold is events per second.
type RateThreshold struct {
	Degraded  float64 `yaml:"degraded"`
	Unhealthy float64 `yaml:"unhealthy"`
	MinEvents int     `yaml:"min_events"` // ignore windows with fewer matching events
}

// GrowthThreshold flags a goroutine count that keeps growing: over Windows
// consecutive windows, each window adds at least MinPerWindow goroutines, and
// the total growth exceeds Degraded / Unhealthy.
type GrowthThreshold struct {
	Windows      int     `yaml:"windows"`
	MinPerWindow int     `yaml:"min_per_window"`
	Degraded     int     `yaml:"degraded"`
	Unhealthy    int     `yaml:"unhealthy"`
	MinRelative  float64 `yaml:"min_relative"` // and total growth ≥ this fraction of the starting count
}

// Webhook receives failover decisions.
type Webhook struct {
	URL        string            `yaml:"url"`
	Secret     string            `yaml:"secret"` // HMAC-SHA256 key for X-Gopulse-Signature
	Events     []string          `yaml:"events"` // drain, restore, state; empty = drain and restore
	Timeout    time.Duration     `yaml:"timeout"`
	MaxRetries int               `yaml:"max_retries"`
	Headers    map[string]string `yaml:"headers"`
}

// Check serves one backend's health to a load balancer: HAProxy's
// agent-check on AgentCheck, and GET /v1/check/NAME with Consul's status
// codes. It speaks for the processes selected by exactly one of PID, Exe,
// Service and Port (see docs/failover.md).
type Check struct {
	Name       string `yaml:"name"`
	AgentCheck string `yaml:"agent_check"` // host:port HAProxy's agent-check connects to; empty: HTTP only
	PID        int    `yaml:"pid"`
	Exe        string `yaml:"exe"` // executable path, or base name
	Service    string `yaml:"service"`
	Port       int    `yaml:"port"` // the process listening on this TCP port
	// DegradedWeight is the weight answered while degraded (default 50%).
	DegradedWeight float64 `yaml:"degraded_weight"`
}

// backend returns a Backend with the delivery defaults and the given queue cap.
func backend(maxBytes ByteSize) Backend {
	d := delivery.DefaultConfig()
	return Backend{
		Timeout: 30 * time.Second,
		Queue: Queue{MaxBytes: maxBytes, MemoryBytes: ByteSize(d.MemoryBytes), FlushInterval: d.FlushInterval,
			Fsync: string(d.Fsync), FsyncInterval: d.FsyncInterval},
		Retry: d.Retry, Breaker: d.Breaker, Concurrency: d.Concurrency, HealthInterval: d.HealthInterval,
	}
}

// Defaults returns the built-in values that a file overrides key by key.
func Defaults() Config {
	return Config{
		Listen:   "127.0.0.1:9464",
		StateDir: "/var/lib/gopulse",
		Probes: Probes{
			Mode:           "default",
			TraceBudget:    0.05,
			SampleInterval: time.Second,
			MinAge:         2 * time.Second,
			Attach:         "auto",
		},
		Logs: Logs{
			PollInterval:   500 * time.Millisecond,
			RescanInterval: 10 * time.Second,
			MaxLineBytes:   256 << 10,
			StartAt:        "end",
			CommitLines:    1000,
			CommitInterval: time.Second,
			RotateGrace:    5 * time.Second,
			FieldNames:     "gopulse",
			Multiline:      Multiline{MaxWait: time.Second, MaxBytes: 256 << 10},
		},
		Kubernetes: Kubernetes{Refresh: 30 * time.Second},
		Lifecycle:  Lifecycle{ShutdownGrace: 10 * time.Second},
		Exporters: Exporters{
			Prometheus: Prometheus{Interval: 15 * time.Second, RemoteWrite: backend(256 << 20)},
			Loki:       backend(256 << 20),
			Jaeger: Jaeger{Protocol: "otlp", MinSTW: time.Millisecond, Backend: backend(128 << 20),
				Sampling: TraceSampling{Rate: 0.01, SlowPause: time.Millisecond, SlowCycle: 100 * time.Millisecond}},
		},
		Health: Health{
			Window:         10 * time.Second,
			WorsenAfter:    2,
			RecoverAfter:   3,
			HeartbeatFails: 3,
			STWP99:         DurationThreshold{Degraded: 25 * time.Millisecond, Unhealthy: 100 * time.Millisecond},
			STWMax:         DurationThreshold{Degraded: 100 * time.Millisecond, Unhealthy: 500 * time.Millisecond},
			SchedP99:       DurationThreshold{Degraded: 50 * time.Millisecond, Unhealthy: 250 * time.Millisecond},
			SchedCPUWait:   0.5,
			GCCPU:          RatioThreshold{Degraded: 0.25, Unhealthy: 0.5},
			GoroutineGrowth: GrowthThreshold{
				Windows: 3, MinPerWindow: 10, Degraded: 500, Unhealthy: 2000, MinRelative: 0.2,
			},
			ErrorRate:     RateThreshold{Degraded: 5, Unhealthy: 50, MinEvents: 10},
			NewErrorBurst: 20,
		},
	}
}

// Default returns the embedded default configuration.
func Default() (*Config, error) {
	return Parse("default.yaml", defaultYAML, osEnv)
}

// Load reads and validates FILE, expanding environment variables.
func Load(file string) (*Config, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	return Parse(file, data, osEnv)
}

// Parse decodes and validates data. env looks up environment variables (nil:
// the process environment). On any problem it returns every problem joined
// and no config: a config is never half-applied.
func Parse(file string, data []byte, env func(string) (string, bool)) (*Config, error) {
	if env == nil {
		env = osEnv
	}
	cfg := Defaults()
	cfg.file = file
	d := &decoder{file: file, env: env, pos: map[string]Pos{}}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil && !errors.Is(err, io.EOF) {
		return nil, syntaxError(file, data, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, &Error{File: file, Line: extra.Line, Col: extra.Column, Msg: "more than one YAML document", Kind: ErrSyntax}
	}
	if len(doc.Content) > 0 {
		d.decode(doc.Content[0], reflect.ValueOf(&cfg).Elem(), "")
	} else {
		cfg.empty = true
	}
	cfg.pos = d.pos
	// Value checks run even after type errors, so that every problem is
	// reported at once; a key that failed to decode is not checked again.
	cfg.failed = d.failed
	verr := cfg.Validate()
	cfg.failed = nil
	if len(d.errs) > 0 || verr != nil {
		errs := append(d.errs, unjoin(verr)...)
		sortErrors(errs)
		return nil, errors.Join(errs...)
	}
	return &cfg, nil
}

func unjoin(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// sortErrors orders problems by position (unpositioned ones last, in order).
func sortErrors(errs []error) {
	sort.SliceStable(errs, func(i, j int) bool {
		a, _ := errs[i].(*Error)
		b, _ := errs[j].(*Error)
		if a == nil || b == nil || a.Line == 0 || b.Line == 0 {
			return a != nil && b != nil && a.Line != 0 && b.Line == 0
		}
		return a.Line < b.Line || a.Line == b.Line && a.Col < b.Col
	})
}

// syntaxError positions a YAML syntax error. yaml.v3 gives only a line;
// goccy/go-yaml's parser, run on the same bytes, gives the line and column
// of the offending token.
func syntaxError(file string, data []byte, err error) *Error {
	e := &Error{File: file, Msg: strings.TrimPrefix(err.Error(), "yaml: "), Kind: ErrSyntax}
	if n, rest, ok := strings.Cut(e.Msg, ": "); ok && strings.HasPrefix(n, "line ") {
		if l, cerr := strconv.Atoi(strings.TrimPrefix(n, "line ")); cerr == nil {
			e.Line, e.Col, e.Msg = l, 1, rest
		}
	}
	var se *goccy.SyntaxError
	if _, perr := goccyparser.ParseBytes(data, 0); errors.As(perr, &se) && se.Token != nil && se.Token.Position != nil {
		e.Line, e.Col, e.Msg = se.Token.Position.Line, se.Token.Position.Column, se.Message
	}
	return e
}

// Validate checks the values, reporting every problem (errors.Join) with the
// position of its key when the config came from a file.
func (c *Config) Validate() error {
	v := validator{c: c}
	if err := checkHostPort(c.Listen); err != nil {
		v.bad("listen", "%v", err)
	}
	if c.StateDir == "" {
		v.bad("state_dir", "must not be empty")
	}
	switch c.Probes.Mode {
	case "default", "trace", "off":
	default:
		v.bad("probes.mode", "want default, trace or off, got %q", c.Probes.Mode)
	}
	for i, pid := range c.Probes.TracePIDs {
		if pid <= 0 {
			v.bad(fmt.Sprintf("probes.trace_pids[%d]", i), "pid must be positive, got %d", pid)
		}
	}
	if c.Probes.TraceBudget <= 0 || c.Probes.TraceBudget > 1 {
		v.bad("probes.trace_budget", "want a fraction in (0, 1] such as 0.05 or 5%%, got %g", c.Probes.TraceBudget)
	}
	v.positive("probes.sample_interval", c.Probes.SampleInterval)
	if c.Probes.MinAge < 0 {
		v.bad("probes.min_age", "must not be negative")
	}
	if c.Probes.RingBytes != 0 && c.Probes.RingBytes < 4096 {
		v.bad("probes.ring_bytes", "must be 0 (automatic) or at least 4KiB")
	}
	switch c.Probes.Attach {
	case "", "auto", "perf_event":
	default:
		v.bad("probes.attach", "want auto or perf_event, got %q", c.Probes.Attach)
	}
	for _, l := range []struct {
		name  string
		rules []ProcessRule
	}{{"include", c.Probes.Discovery.Include}, {"exclude", c.Probes.Discovery.Exclude}, {"default_exclude", c.Probes.Discovery.DefaultExclude}} {
		for i, r := range l.rules {
			p := fmt.Sprintf("probes.discovery.%s[%d]", l.name, i)
			for _, e := range r.rule().Check() {
				if e.Field == "" {
					v.bad(p, "%v", e.Err)
				} else {
					v.bad(p+"."+e.Field, "%v", e.Err)
				}
			}
			if !c.Kubernetes.Enabled && l.name != "default_exclude" {
				for _, k := range []struct {
					key string
					on  bool
				}{{"namespace", r.Namespace != ""}, {"pod_labels", len(r.PodLabels) > 0}, {"pod_annotations", len(r.PodAnnotations) > 0}} {
					if k.on {
						v.bad(p+"."+k.key, "needs kubernetes.enabled: true (pods are looked up there)")
					}
				}
			}
		}
	}

	for i, g := range c.Logs.Paths {
		v.glob(fmt.Sprintf("logs.paths[%d]", i), g)
	}
	for i, g := range c.Logs.Exclude {
		v.glob(fmt.Sprintf("logs.exclude[%d]", i), g)
	}
	v.positive("logs.poll_interval", c.Logs.PollInterval)
	v.positive("logs.rescan_interval", c.Logs.RescanInterval)
	v.atLeast("logs.commit_lines", c.Logs.CommitLines, 1)
	v.positive("logs.commit_interval", c.Logs.CommitInterval)
	v.positive("logs.rotate_grace", c.Logs.RotateGrace)
	if c.Logs.MaxLineBytes < 256 {
		v.bad("logs.max_line_bytes", "must be at least 256B")
	}
	if c.Logs.StartAt != "end" && c.Logs.StartAt != "beginning" {
		v.bad("logs.start_at", "want end or beginning, got %q", c.Logs.StartAt)
	}
	if c.Logs.FieldNames != "gopulse" && c.Logs.FieldNames != "otel" {
		v.bad("logs.field_names", "want gopulse or otel, got %q", c.Logs.FieldNames)
	}
	v.positive("logs.multiline.max_wait", c.Logs.Multiline.MaxWait)
	if c.Logs.Multiline.MaxBytes < 1024 {
		v.bad("logs.multiline.max_bytes", "must be at least 1KiB")
	}
	for i, o := range c.Logs.Overrides {
		p := fmt.Sprintf("logs.overrides[%d]", i)
		if o.Path == "" {
			v.bad(p, "path is required")
		} else {
			v.glob(p+".path", o.Path)
		}
		if o.Format != "" && o.Pattern != "" {
			v.bad(p, "set format or pattern, not both")
		}
		if o.Format == "" && o.Pattern == "" && o.Service == "" {
			v.bad(p, "set at least one of format, pattern, service")
		}
		if o.Format != "" && !slices.Contains(formatNames(), o.Format) {
			msg := fmt.Sprintf("unknown format %q", o.Format)
			if s := suggestName(o.Format, formatNames()); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			}
			v.bad(p+".format", "%s; known: %s", msg, strings.Join(formatNames(), ", "))
		}
		if o.Pattern != "" {
			if _, err := logparse.CompilePattern(o.Pattern); err != nil {
				v.bad(p+".pattern", "%v", err)
			}
		}
	}

	if c.Kubernetes.KubeletURL != "" {
		v.url("kubernetes.kubelet_url", c.Kubernetes.KubeletURL)
	}
	if c.Kubernetes.APIServer != "" {
		v.url("kubernetes.api_server", c.Kubernetes.APIServer)
	}
	v.positive("kubernetes.refresh", c.Kubernetes.Refresh)
	if c.Lifecycle.ShutdownGrace < 0 {
		v.bad("lifecycle.shutdown_grace", "must not be negative, got %s", c.Lifecycle.ShutdownGrace)
	}

	ex := &c.Exporters
	v.backend("exporters.prometheus.remote_write", ex.Prometheus.RemoteWrite)
	v.positive("exporters.prometheus.interval", ex.Prometheus.Interval)
	for name, val := range ex.Prometheus.ExternalLabels {
		p := "exporters.prometheus.external_labels." + name
		switch {
		case !validLabelName(name):
			v.bad(p, "label names start with a lower-case letter, then letters, digits and _")
		case slices.Contains([]string{"le", "reason", "go_version", "stripped", "quantile"}, name):
			v.bad(p, "%q is a label of gopulse's own series", name)
		case val == "":
			v.bad(p, "empty value")
		}
	}
	v.backend("exporters.loki", ex.Loki)
	if ex.Jaeger.Protocol != "otlp" && ex.Jaeger.Protocol != "api_v2" {
		v.bad("exporters.jaeger.protocol", "want otlp or api_v2, got %q", ex.Jaeger.Protocol)
	}
	v.backend("exporters.jaeger", ex.Jaeger.Backend)
	if r := ex.Jaeger.Sampling.Rate; r < 0 || r > 1 {
		v.bad("exporters.jaeger.sampling.rate", "want a fraction in [0, 1] such as 0.01 or 1%%, got %g", r)
	}
	v.positive("exporters.jaeger.sampling.slow_pause", ex.Jaeger.Sampling.SlowPause)
	v.positive("exporters.jaeger.sampling.slow_cycle", ex.Jaeger.Sampling.SlowCycle)

	h := &c.Health
	v.positive("health.window", h.Window)
	if h.Window > 0 && h.Window < 100*time.Millisecond {
		v.bad("health.window", "must be at least 100ms, got %s", h.Window)
	}
	v.atLeast("health.worsen_after", h.WorsenAfter, 1)
	v.atLeast("health.recover_after", h.RecoverAfter, 1)
	v.atLeast("health.heartbeat_failures", h.HeartbeatFails, 0)
	v.atLeast("health.drain_hold", h.DrainHold, 0)
	v.durThreshold("health.stw_p99", h.STWP99)
	v.durThreshold("health.stw_max", h.STWMax)
	v.durThreshold("health.sched_p99", h.SchedP99)
	if w := h.SchedCPUWait; !(w >= 0 && w <= 1) {
		v.bad("health.sched_cpu_wait", "want a share in [0, 1] such as 50%%, or 0 to judge scheduling latency whatever the CPU wait, got %g", w)
	}
	if g := h.GCCPU; g.Degraded <= 0 || g.Unhealthy > 1 || g.Degraded > g.Unhealthy {
		v.bad("health.gc_cpu", "want 0 < degraded ≤ unhealthy ≤ 1, got degraded=%g unhealthy=%g", g.Degraded, g.Unhealthy)
	}
	if g := h.GoroutineGrowth; g.Windows < 1 || g.MinPerWindow < 1 || g.Degraded < 1 || g.Degraded > g.Unhealthy || g.MinRelative < 0 {
		v.bad("health.goroutine_growth", "want windows ≥ 1, min_per_window ≥ 1, 1 ≤ degraded ≤ unhealthy, min_relative ≥ 0")
	}
	if r := h.ErrorRate; r.Degraded <= 0 || r.Degraded > r.Unhealthy || r.MinEvents < 0 {
		v.bad("health.error_rate", "want 0 < degraded ≤ unhealthy and min_events ≥ 0, got degraded=%g unhealthy=%g", r.Degraded, r.Unhealthy)
	}
	v.atLeast("health.new_error_template_burst", h.NewErrorBurst, 1)

	for i, w := range c.Webhooks {
		p := fmt.Sprintf("webhooks[%d]", i)
		v.url(p+".url", w.URL)
		for j, e := range w.Events {
			if e != "drain" && e != "restore" && e != "state" {
				v.bad(fmt.Sprintf("%s.events[%d]", p, j), "want drain, restore or state, got %q", e)
			}
		}
		if w.Timeout < 0 {
			v.bad(p+".timeout", "must not be negative")
		}
		if w.MaxRetries < 0 {
			v.bad(p+".max_retries", "must not be negative")
		}
	}
	names, addrs := map[string]bool{}, map[string]bool{}
	for i, ch := range c.Checks {
		p := fmt.Sprintf("checks[%d]", i)
		if !validCheckName(ch.Name) {
			v.bad(p+".name", "want a name of letters, digits, '.', '_' or '-', got %q", ch.Name)
		} else if names[ch.Name] {
			v.bad(p+".name", "duplicate check name %q", ch.Name)
		}
		names[ch.Name] = true
		if ch.AgentCheck != "" {
			if err := checkHostPort(ch.AgentCheck); err != nil {
				v.bad(p+".agent_check", "%v", err)
			} else if addrs[ch.AgentCheck] && !strings.HasSuffix(ch.AgentCheck, ":0") {
				v.bad(p+".agent_check", "%s is used by another check", ch.AgentCheck)
			} else if ch.AgentCheck == c.Listen && !strings.HasSuffix(ch.AgentCheck, ":0") {
				v.bad(p+".agent_check", "%s is the agent's listen address", ch.AgentCheck)
			}
			addrs[ch.AgentCheck] = true
		}
		set := 0
		for _, on := range []bool{ch.PID != 0, ch.Exe != "", ch.Service != "", ch.Port != 0} {
			if on {
				set++
			}
		}
		if set != 1 {
			v.bad(p, "set exactly one of pid, exe, service, port (the process the check speaks for)")
		}
		if ch.PID < 0 {
			v.bad(p+".pid", "must be positive, got %d", ch.PID)
		}
		if ch.Port < 0 || ch.Port > 65535 {
			v.bad(p+".port", "want a TCP port 1-65535, got %d", ch.Port)
		}
		if ch.DegradedWeight < 0 || ch.DegradedWeight > 1 {
			v.bad(p+".degraded_weight", "want a weight in (0, 1] such as 50%%, got %g", ch.DegradedWeight)
		}
	}
	sortErrors(v.errs)
	return errors.Join(v.errs...)
}

type validator struct {
	c    *Config
	errs []error
}

// bad records a problem at path, positioned at the closest known key,
// unless that key (or one above or below it) already failed to decode.
func (v *validator) bad(path, format string, args ...any) {
	for f := range v.c.failed {
		if related(f, path) {
			return
		}
	}
	e := &Error{File: v.c.file, Path: path, Msg: fmt.Sprintf(format, args...), Kind: ErrValue}
	for p := path; ; {
		if pos, ok := v.c.pos[p]; ok {
			e.Line, e.Col = pos.Line, pos.Col
			break
		}
		i := lastSep(p)
		if i < 0 {
			break
		}
		p = p[:i]
	}
	v.errs = append(v.errs, e)
}

// related reports whether one key path is the other or lies under it.
func related(a, b string) bool {
	if len(a) > len(b) {
		a, b = b, a
	}
	return a == b || strings.HasPrefix(b, a) && (b[len(a)] == '.' || b[len(a)] == '[') || a == ""
}

func lastSep(p string) int {
	for i := len(p) - 1; i >= 0; i-- {
		if p[i] == '.' || p[i] == '[' {
			return i
		}
	}
	return -1
}

func (v *validator) positive(path string, d time.Duration) {
	if d <= 0 {
		v.bad(path, "must be positive, got %s", d)
	}
}

func (v *validator) atLeast(path string, n, lo int) {
	if n < lo {
		v.bad(path, "must be at least %d, got %d", lo, n)
	}
}

func (v *validator) durThreshold(path string, t DurationThreshold) {
	if t.Degraded <= 0 || t.Degraded > t.Unhealthy {
		v.bad(path, "want 0 < degraded ≤ unhealthy, got degraded=%s unhealthy=%s", t.Degraded, t.Unhealthy)
	}
}

func (v *validator) glob(path, g string) {
	if g == "" {
		v.bad(path, "empty path")
		return
	}
	if _, err := filepath.Match(g, ""); err != nil {
		v.bad(path, "bad glob %q: %v", g, err)
	}
}

func (v *validator) url(path, s string) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		v.bad(path, "want an http:// or https:// URL with a host, got %q", s)
		return
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			v.bad(path, "bad port %q", p)
		}
	}
}

func (v *validator) backend(path string, b Backend) {
	for i, ep := range b.Endpoints {
		p := fmt.Sprintf("%s.endpoints[%d]", path, i)
		v.url(p+".url", ep.URL)
		if ep.HealthURL != "" {
			v.url(p+".health_url", ep.HealthURL)
		}
	}
	v.positive(path+".timeout", b.Timeout)
	if b.Auth.BearerToken != "" && (b.Auth.Username != "" || b.Auth.Password != "") {
		v.bad(path+".auth", "set basic auth or bearer_token, not both")
	}
	if b.Auth.Password != "" && b.Auth.Username == "" {
		v.bad(path+".auth.username", "required with a password")
	}
	if (b.TLS.CertFile == "") != (b.TLS.KeyFile == "") {
		v.bad(path+".tls", "cert_file and key_file go together")
	}
	v.queue(path+".queue", b.Queue)
	r := b.Retry
	if r.InitialBackoff <= 0 || r.MaxBackoff < r.InitialBackoff {
		v.bad(path+".retry", "want 0 < initial_backoff ≤ max_backoff, got %s and %s", r.InitialBackoff, r.MaxBackoff)
	}
	if r.Multiplier < 1 {
		v.bad(path+".retry.multiplier", "must be at least 1, got %g", r.Multiplier)
	}
	if r.Jitter < 0 || r.Jitter > 1 {
		v.bad(path+".retry.jitter", "want a fraction in [0, 1], got %g", r.Jitter)
	}
	v.positive(path+".retry.max_retry_after", r.MaxRetryAfter)
	br := b.Breaker
	v.atLeast(path+".breaker.failure_threshold", br.FailureThreshold, 1)
	if br.OpenTimeout <= 0 || br.MaxOpenTimeout < br.OpenTimeout {
		v.bad(path+".breaker", "want 0 < open_timeout ≤ max_open_timeout, got %s and %s", br.OpenTimeout, br.MaxOpenTimeout)
	}
	cc := b.Concurrency
	if cc.Min < 1 || cc.Max < cc.Min {
		v.bad(path+".concurrency", "want 1 ≤ min ≤ max, got min=%d max=%d", cc.Min, cc.Max)
	}
	v.positive(path+".concurrency.latency_target", cc.LatencyTarget)
	if cc.Backoff <= 0 || cc.Backoff >= 1 {
		v.bad(path+".concurrency.backoff", "want a factor in (0, 1), got %g", cc.Backoff)
	}
	v.positive(path+".health_interval", b.HealthInterval)
}

func (v *validator) queue(path string, q Queue) {
	if q.MaxBytes < 1<<20 {
		v.bad(path+".max_bytes", "must be at least 1MiB")
	}
	if q.MemoryBytes < 4<<10 {
		v.bad(path+".memory_bytes", "must be at least 4KiB")
	}
	v.positive(path+".flush_interval", q.FlushInterval)
	switch q.Fsync {
	case "always", "never":
	case "interval":
		v.positive(path+".fsync_interval", q.FsyncInterval)
	default:
		v.bad(path+".fsync", "want always, interval or never, got %q", q.Fsync)
	}
}

func checkHostPort(s string) error {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return fmt.Errorf("want host:port, got %q", s)
	}
	if host != "" && net.ParseIP(host) == nil && !validHostname(host) {
		return fmt.Errorf("bad host %q", host)
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("bad port %q", port)
	}
	return nil
}

func validCheckName(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for _, c := range s {
		if !(c == '-' || c == '_' || c == '.' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

func validLabelName(s string) bool {
	for i, c := range s {
		if !(c >= 'a' && c <= 'z' || i > 0 && (c == '_' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9')) {
			return false
		}
	}
	return s != ""
}

func validHostname(h string) bool {
	if len(h) > 253 {
		return false
	}
	for _, c := range h {
		if !(c == '-' || c == '.' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

// SetListen overrides the listen address (the --listen flag) and validates it.
func (c *Config) SetListen(addr string) error {
	if err := checkHostPort(addr); err != nil {
		return fmt.Errorf("listen: %w: %w", err, ErrValue)
	}
	c.Listen = addr
	return nil
}

// QueueDir returns the on-disk queue directory of an exporter.
func (c *Config) QueueDir(exporter string, q Queue) string {
	if q.Dir != "" {
		return q.Dir
	}
	return filepath.Join(c.StateDir, "queue", exporter)
}
