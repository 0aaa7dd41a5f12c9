package agent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/gopulse/gopulse/event"
	"github.com/gopulse/gopulse/internal/config"
	"github.com/gopulse/gopulse/internal/exporters/delivery"
	"github.com/gopulse/gopulse/internal/exporters/jaeger"
	"github.com/gopulse/gopulse/internal/exporters/loki"
	"github.com/gopulse/gopulse/internal/exporters/prom"
	"github.com/gopulse/gopulse/internal/failover"
	"github.com/gopulse/gopulse/internal/health"
	"github.com/gopulse/gopulse/internal/pipeline"
	"github.com/gopulse/gopulse/internal/version"
	"github.com/gopulse/gopulse/logparse"
)

// RuntimeSource produces runtime events (the probes manager, through a small
// adapter in cmd/gopulse).
type RuntimeSource interface {
	Run(ctx context.Context) error
	Close() error
	Stats() SourceStats
}

// SourceStats are the runtime source's own counters.
type SourceStats struct {
	ProbesAttached int
	Processes      int
	EventsLost     uint64
}

// ReadyCheck returns an error while a component is not ready (e.g. an
// exporter failing beyond its threshold).
type ReadyCheck struct {
	Name  string
	Check func() error
}

// Deps are the agent's collaborators; everything but Logger is optional.
type Deps struct {
	Logger   *slog.Logger
	Registry Registry // nil: a new prometheus.Registry
	// NewRuntimeSource builds the probes, feeding sink. When it fails the
	// agent keeps running (logs, health of what it sees) and /readyz says why.
	NewRuntimeSource func(sink event.RuntimeSink, resolver *pipeline.Resolver) (RuntimeSource, error)
	RuntimeSinks     []pipeline.NamedSink // exporters consuming runtime events
	LogSinks         []event.LogSink      // exporters consuming log records
	ReadyChecks      []ReadyCheck
	ProcRoot         string // default /proc
	HTTPClient       *http.Client
	// Pprof serves net/http/pprof under /debug/pprof/ (off by default).
	Pprof bool
	// Handover is a predecessor's state (gopulse agent --takeover, or the
	// agent before a reload): the Prometheus aggregation starts from its
	// counters.
	Handover *Handover
	// ExternalHTTP: the caller serves Handler() on its own listener (the
	// daemon keeps one listener across reloads); Listen binds only the
	// checks' addresses.
	ExternalHTTP bool
	// Collectors are registered with the agent's registry too (the
	// daemon's reload metrics).
	Collectors []prometheus.Collector

	// logs: the logs pipeline of the agent before a reload whose logs
	// config did not change (see logsUnchanged): it goes on here, rebound
	// to this agent's sinks and health engine, instead of a new one.
	logs *logsPipeline
}

// logsPipeline is an agent's log tailer and the router parsing its lines.
type logsPipeline struct {
	tailer *pipeline.Tailer
	router *pipeline.LogRouter
}

// Registry is where the agent registers its metrics and gathers them for
// /metrics and remote write (a *prometheus.Registry).
type Registry interface {
	prometheus.Registerer
	prometheus.Gatherer
}

// Agent is the node daemon: probes and log tailers feed the health engine
// and the exporters; /metrics, /healthz, /readyz and /v1/health are served.
type Agent struct {
	cfg  *config.Config
	deps Deps
	log  *slog.Logger
	reg  Registry

	resolver  *pipeline.Resolver
	node      string            // the machine's name (label `node`)
	extLabels map[string]string // remote write's external labels, node included
	engine    *health.Engine
	checks    *failover.Server
	notifier  *health.Notifier
	fanout    *pipeline.RuntimeFanout
	runtime   *prom.Runtime
	rw        *prom.RemoteWriter
	loki      *loki.Exporter
	jaeger    *jaeger.Exporter
	queues    []exporterQueue // Loki and Jaeger delivery queues
	closers   []func() error  // transports
	tailer    *pipeline.Tailer
	router    *pipeline.LogRouter
	source    RuntimeSource
	srcErr    error
	srv       *http.Server
	ln        net.Listener
	listened  bool

	// dropWindow: the agent is not ready while it dropped data this
	// recently (readyDropWindow; tests shorten it).
	dropWindow time.Duration
	drops      dropWatch

	// grace is how long a stop leaves the delivery queues to send what
	// they hold (lifecycle.shutdown_grace; 0 on a reload: the next
	// agent sends it). Written before Run's context ends.
	grace time.Duration
	// keepSource: Close leaves the runtime source open (a reload hands it
	// to the next agent).
	keepSource bool
	// keepLogs: Close leaves the tailer open (a reload hands it to the
	// next agent, see Deps.logs).
	keepLogs bool

	closeOnce sync.Once
}

// New builds every component; nothing runs until Run.
func New(cfg *config.Config, deps Deps) (*Agent, error) {
	if deps.Logger == nil {
		return nil, errors.New("agent: logger is required")
	}
	a := &Agent{cfg: cfg, deps: deps, log: deps.Logger, reg: deps.Registry, dropWindow: readyDropWindow,
		grace: cfg.Lifecycle.ShutdownGrace}
	if a.reg == nil {
		a.reg = prometheus.NewRegistry()
	}
	if err := a.reg.Register(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})); err != nil {
		return nil, fmt.Errorf("register process collector: %w", err)
	}
	if err := a.reg.Register(collectors.NewGoCollector()); err != nil {
		return nil, fmt.Errorf("register go collector: %w", err)
	}

	var pods pipeline.PodLookup
	if cfg.Kubernetes.Enabled {
		k, err := pipeline.NewKubeClient(pipeline.KubeOptions{KubeletURL: cfg.Kubernetes.KubeletURL, APIServer: cfg.Kubernetes.APIServer,
			NodeName: cfg.Kubernetes.NodeName, Refresh: cfg.Kubernetes.Refresh}, a.log)
		switch {
		case errors.Is(err, pipeline.ErrNoKubernetes):
			a.log.Debug("not in kubernetes: services are named after executables")
		case err != nil:
			return nil, fmt.Errorf("kubernetes client: %w", err)
		default:
			pods = k
		}
	}
	a.resolver = pipeline.NewResolver(deps.ProcRoot, pods)
	a.node = pipeline.NodeName(cfg.Kubernetes.NodeName)
	a.resolver.SetNode(a.node)

	hooks := make([]health.Webhook, 0, len(cfg.Webhooks))
	for _, w := range cfg.Webhooks {
		hooks = append(hooks, health.Webhook{URL: w.URL, Secret: w.Secret, Events: w.Events, Timeout: w.Timeout,
			MaxRetries: w.MaxRetries, Headers: w.Headers})
	}
	var listeners []health.Listener
	if len(hooks) > 0 {
		n, err := health.NewNotifier(hooks, deps.HTTPClient, a.log, a.reg)
		if err != nil {
			return nil, err
		}
		a.notifier = n
		listeners = append(listeners, n)
	}
	listeners = append(listeners, logChanges{a.log})
	eng, err := health.New(HealthConfig(cfg.Health), a.resolver, listeners...)
	if err != nil {
		return nil, fmt.Errorf("health engine: %w", err)
	}
	a.engine = eng
	if cfg.Health.SchedCPUWait > 0 {
		eng.SetCPUWaiter(newCPUWait())
	}
	if err := a.reg.Register(health.NewCollector(eng)); err != nil {
		return nil, fmt.Errorf("register health metrics: %w", err)
	}
	if a.checks, err = failover.New(FailoverConfig(cfg.Checks), failover.Deps{Logger: a.log.With("component", "checks"),
		Verdicts: eng, MinWindows: eng.MinWindows(), Registerer: a.reg}); err != nil {
		return nil, fmt.Errorf("checks: %w", err)
	}

	if h := deps.Handover; h != nil && len(h.Health) > 0 {
		// Only processes still running: a pid that exited meanwhile must
		// not be answered for.
		alive := make([]health.Saved, 0, len(h.Health))
		for _, sv := range h.Health {
			if _, err := os.Stat(filepath.Join(a.resolver.ProcRoot(), strconv.Itoa(sv.PID))); err == nil {
				alive = append(alive, sv)
			}
		}
		eng.Import(alive)
		a.log.Info("resumed the verdicts handed over", "processes", len(alive), "exited", len(h.Health)-len(alive))
	}
	// Remote write labels every series with the node (the agent's own
	// series too: two agents' gopulse_* series must not collide) and the
	// configured external labels.
	a.extLabels = map[string]string{"node": a.node}
	for k, v := range cfg.Exporters.Prometheus.ExternalLabels {
		a.extLabels[k] = v
	}
	rtc := prom.DefaultRuntimeConfig()
	rtc.ExternalLabels = a.extLabels
	a.runtime = prom.NewRuntime(rtc)
	if h := deps.Handover; h != nil {
		if skipped := a.runtime.Restore(h.Runtime, nil); len(skipped) > 0 {
			a.log.Warn("histogram buckets changed: histograms restart for these processes", "pids", skipped)
		}
	}
	sinks := append([]pipeline.NamedSink{
		{Name: "health", Sink: exitSink{eng, a.resolver}},
		{Name: "prometheus", Sink: &labeledSink{rt: a.runtime, resolver: a.resolver, known: map[uint32]bool{}}},
	}, deps.RuntimeSinks...)
	logSinks := deps.LogSinks
	if err := a.newBackends(&sinks, &logSinks); err != nil {
		a.closeBackends()
		return nil, err
	}
	if a.fanout, err = pipeline.NewRuntimeFanout(sinks, 0, a.reg); err != nil {
		return nil, err
	}

	if rwc := cfg.Exporters.Prometheus.RemoteWrite; len(rwc.Endpoints) > 0 {
		c := prom.DefaultRemoteWriteConfig()
		c.Interval = cfg.Exporters.Prometheus.Interval
		c.ExternalLabels = a.extLabels
		c.Queue.Endpoints = deliveryEndpoints(rwc.Endpoints)
		c.Queue.Dir = cfg.QueueDir("prometheus", rwc.Queue)
		c.Queue.MaxQueueBytes = int64(rwc.Queue.MaxBytes)
		applyDelivery(&c.Queue, rwc)
		c.Queue.SegmentBytes = min(c.Queue.SegmentBytes, c.Queue.MaxQueueBytes/2)
		c.Queue.MaxRecordBytes = min(c.Queue.MaxRecordBytes, int(c.Queue.MaxQueueBytes/2))
		if err := os.MkdirAll(c.Queue.Dir, 0o750); err != nil {
			return nil, fmt.Errorf("prometheus remote write queue dir: %w", err)
		}
		c.HTTP = deliveryHTTP(rwc)
		if a.rw, err = prom.NewRemoteWriter(c, prom.RemoteWriteDeps{Logger: a.log.With("exporter", "prometheus"),
			Registerer: a.reg, Runtime: a.runtime, Gatherer: a.reg}); err != nil {
			return nil, fmt.Errorf("prometheus remote write: %w", err)
		}
	}

	if kept := deps.logs; len(cfg.Logs.Paths) > 0 && kept != nil {
		kept.router.Rebind(pipeline.LogRouterOptions{Sinks: logSinks, Observer: eng, Procs: a.resolver, Pods: pods, Node: a.node})
		for _, c := range append(kept.router.Collectors(), kept.tailer.Collectors()...) {
			if err := a.reg.Register(c); err != nil {
				return nil, fmt.Errorf("register log metrics: %w", err)
			}
		}
		a.tailer, a.router = kept.tailer, kept.router
		a.keepLogs = true // the daemon's until this agent runs (daemon.build)
	} else if len(cfg.Logs.Paths) > 0 {
		ovs := logOverrides(cfg)
		opts, err := logEngineOptions(cfg)
		if err != nil {
			return nil, err
		}
		a.router, err = pipeline.NewLogRouter(pipeline.LogRouterOptions{Factory: pipeline.LogParserFactory(opts), Overrides: ovs, Sinks: logSinks,
			Observer: eng, Procs: a.resolver, Pods: pods, Node: a.node}, a.log, a.reg)
		if err != nil {
			return nil, err
		}
		a.tailer, err = pipeline.NewTailer(tailConfig(cfg), a.router, a.log, a.reg)
		if err != nil {
			return nil, err
		}
	}

	if cfg.Probes.Mode != "off" && deps.NewRuntimeSource != nil {
		a.source, a.srcErr = deps.NewRuntimeSource(a.fanout, a.resolver)
		if a.srcErr != nil {
			a.log.Error("runtime probes unavailable; the agent runs without them (see /readyz)", "err", a.srcErr)
		}
	}
	a.registerSelfMetrics()
	for _, c := range deps.Collectors {
		if err := a.reg.Register(c); err != nil {
			return nil, fmt.Errorf("register metrics: %w", err)
		}
	}

	mux := http.NewServeMux()
	mux.Handle("GET /metrics", prom.NewHandler(a.reg, a.runtime, a.log))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	mux.HandleFunc("GET /readyz", a.serveReady)
	mux.Handle("GET /v1/health", eng.Handler())
	mux.Handle("GET /v1/check/{name}", a.checks.Handler())
	if deps.Pprof {
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	}
	a.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	return a, nil
}

// logOverrides are cfg's logs.overrides, for the log router.
func logOverrides(cfg *config.Config) []pipeline.LogOverride {
	ovs := make([]pipeline.LogOverride, 0, len(cfg.Logs.Overrides))
	for _, o := range cfg.Logs.Overrides {
		ovs = append(ovs, pipeline.LogOverride{Path: o.Path, Format: o.Format, Pattern: o.Pattern, Service: o.Service})
	}
	return ovs
}

// logEngineOptions are the log parsers' settings of cfg.
func logEngineOptions(cfg *config.Config) (pipeline.LogEngineOptions, error) {
	names, err := logparse.ParseNaming(cfg.Logs.FieldNames)
	if err != nil {
		return pipeline.LogEngineOptions{}, fmt.Errorf("logs.field_names: %w", err)
	}
	return pipeline.LogEngineOptions{Names: names, SingleLine: cfg.Logs.Multiline.Disabled,
		MaxRecordBytes: int(cfg.Logs.Multiline.MaxBytes), MultilineWait: cfg.Logs.Multiline.MaxWait}, nil
}

// tailConfig is the log tailer's part of cfg.
func tailConfig(cfg *config.Config) pipeline.TailConfig {
	return pipeline.TailConfig{Paths: cfg.Logs.Paths, Exclude: cfg.Logs.Exclude, Poll: cfg.Logs.PollInterval,
		Rescan: cfg.Logs.RescanInterval, MaxLine: int(cfg.Logs.MaxLineBytes), StartAtEnd: cfg.Logs.StartAt == "end",
		StateFile: filepath.Join(cfg.StateDir, "log-offsets.json"), CommitLines: cfg.Logs.CommitLines,
		CommitInterval: cfg.Logs.CommitInterval, RotateGrace: cfg.Logs.RotateGrace}
}

// FailoverConfig converts the config file's checks.
func FailoverConfig(cs []config.Check) failover.Config {
	var out failover.Config
	for _, c := range cs {
		out.Checks = append(out.Checks, failover.Check{Name: c.Name, AgentAddr: c.AgentCheck, DegradedWeight: c.DegradedWeight,
			Target: failover.Target{PID: c.PID, Exe: c.Exe, Service: c.Service, Port: c.Port}})
	}
	return out
}

// HealthConfig converts the config file's health section.
func HealthConfig(h config.Health) health.Config {
	g := h.GoroutineGrowth
	return health.Config{
		Window: h.Window, WorsenAfter: h.WorsenAfter, RecoverAfter: h.RecoverAfter, HeartbeatFailures: h.HeartbeatFails, DrainHold: h.DrainHold,
		STWP99:        health.DurationThreshold{Degraded: h.STWP99.Degraded, Unhealthy: h.STWP99.Unhealthy},
		STWMax:        health.DurationThreshold{Degraded: h.STWMax.Degraded, Unhealthy: h.STWMax.Unhealthy},
		SchedP99:      health.DurationThreshold{Degraded: h.SchedP99.Degraded, Unhealthy: h.SchedP99.Unhealthy},
		SchedCPUWait:  h.SchedCPUWait,
		GCCPU:         health.FloatThreshold{Degraded: h.GCCPU.Degraded, Unhealthy: h.GCCPU.Unhealthy},
		GrowthWindows: g.Windows, GrowthMinPerWindow: g.MinPerWindow, GrowthMinRelative: g.MinRelative,
		Growth:         health.FloatThreshold{Degraded: float64(g.Degraded), Unhealthy: float64(g.Unhealthy)},
		ErrorRate:      health.FloatThreshold{Degraded: h.ErrorRate.Degraded, Unhealthy: h.ErrorRate.Unhealthy},
		ErrorMinEvents: h.ErrorRate.MinEvents, NewErrorBurst: h.NewErrorBurst,
	}
}

func (a *Agent) registerSelfMetrics() {
	stats := func() SourceStats {
		if a.source == nil {
			return SourceStats{}
		}
		return a.source.Stats()
	}
	v := version.Get()
	a.reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "gopulse_build_info",
			Help: "1, labelled with the agent's version, source revision and Go version.",
			ConstLabels: prometheus.Labels{"version": v.Version, "revision": v.Revision, "goversion": v.GoVersion,
				"goarch": runtime.GOARCH}}, func() float64 { return 1 }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "gopulse_agent_probes_attached", Help: "Uprobe links attached."},
			func() float64 { return float64(stats().ProbesAttached) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "gopulse_agent_processes_watched", Help: "Go processes watched by the probes."},
			func() float64 { return float64(stats().Processes) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "gopulse_agent_events_lost_total", Help: "Runtime events lost in the BPF ring buffer."},
			func() float64 { return float64(stats().EventsLost) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "gopulse_agent_ready", Help: "1 when /readyz answers 200."},
			func() float64 {
				if a.ready() == nil {
					return 1
				}
				return 0
			}),
	)
}

// readyDropWindow: the agent is not ready while it dropped data within
// this long.
const readyDropWindow = time.Minute

// ready returns why the agent is not ready, or nil: a required component
// is down (the probes cannot load or attach, an exporter's backend keeps
// failing), or data is being dropped (an exporter gave items up, the
// fan-out or the BPF ring buffer lost runtime events) within dropWindow.
func (a *Agent) ready() error {
	now := time.Now()
	var errs []error
	if a.cfg.Probes.Mode != "off" && a.deps.NewRuntimeSource != nil {
		switch {
		case a.srcErr != nil:
			errs = append(errs, fmt.Errorf("probes: %w", a.srcErr))
		case a.source != nil:
			s := a.source.Stats()
			if s.Processes > 0 && s.ProbesAttached == 0 {
				errs = append(errs, fmt.Errorf("probes: %d processes watched but no probe attached", s.Processes))
			}
			if err := a.drops.check("probes", "runtime events lost in the ring buffer", s.EventsLost, now, a.dropWindow); err != nil {
				errs = append(errs, err)
			}
		}
	}
	for _, name := range a.fanout.QueueNames() {
		if err := a.drops.check("pipeline "+name, "runtime events dropped (consumer queue full)", a.fanout.Dropped(name), now, a.dropWindow); err != nil {
			errs = append(errs, err)
		}
	}
	for _, q := range a.queues {
		if err := q.ready(now, a.dropWindow); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", q.name, err))
		}
	}
	if a.rw != nil {
		if err := queueReady(a.rw.Stats(), int64(a.cfg.Exporters.Prometheus.RemoteWrite.Queue.MaxBytes), now, a.dropWindow); err != nil {
			errs = append(errs, fmt.Errorf("prometheus remote write: %w", err))
		}
	}
	for _, c := range a.deps.ReadyChecks {
		if err := c.Check(); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", c.Name, err))
		}
	}
	return errors.Join(errs...)
}

func (a *Agent) serveReady(w http.ResponseWriter, _ *http.Request) {
	if err := a.ready(); err != nil {
		http.Error(w, "not ready:\n"+err.Error(), http.StatusServiceUnavailable)
		return
	}
	fmt.Fprintln(w, "ready")
}

// Handler returns the agent's HTTP handler (for tests).
func (a *Agent) Handler() http.Handler { return a.srv.Handler }

// Engine returns the health engine.
func (a *Agent) Engine() *health.Engine { return a.engine }

// Listen binds the HTTP address (unless ExternalHTTP) and the checks'
// agent-check addresses; Run calls it when it was not called. The address
// is nil with ExternalHTTP.
func (a *Agent) Listen() (net.Addr, error) {
	if a.listened {
		if a.ln == nil {
			return nil, nil
		}
		return a.ln.Addr(), nil
	}
	var ln net.Listener
	if !a.deps.ExternalHTTP {
		var err error
		if ln, err = net.Listen("tcp", a.cfg.Listen); err != nil {
			return nil, fmt.Errorf("listen %s: %w", a.cfg.Listen, err)
		}
	}
	if err := a.checks.Listen(); err != nil {
		if ln != nil {
			ln.Close()
		}
		return nil, err
	}
	a.ln, a.listened = ln, true
	if ln == nil {
		return nil, nil
	}
	return ln.Addr(), nil
}

// CheckAddr returns the bound agent-check address of a check (nil when it
// has none or Listen was not called).
func (a *Agent) CheckAddr(name string) net.Addr { return a.checks.Addr(name) }

// Run runs every component until ctx ends or one fails. It stops in
// stages so that nothing read is lost: the readers (probes, log tailer)
// first, the fan-out after the probes' last drain, the exporters' batchers
// after the readers, and the delivery queues last, once they have sent what
// they hold or the grace period (lifecycle.shutdown_grace) ran out; Close
// then persists what is left for the next start.
func (a *Agent) Run(ctx context.Context) error {
	addr, err := a.Listen()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	errc := make(chan error, 16)
	// run runs f with rctx; the returned channel closes when f returned.
	// A failure stops the agent.
	run := func(name string, rctx context.Context, f func(context.Context) error) <-chan struct{} {
		done := make(chan struct{})
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer close(done)
			if err := f(rctx); err != nil && !errors.Is(err, context.Canceled) {
				errc <- fmt.Errorf("%s: %w", name, err)
				cancel()
			}
		}()
		return done
	}
	// after returns a context that ends once ctx ended, every one of
	// deps is closed and wait returned.
	after := func(wait func(), deps ...<-chan struct{}) context.Context {
		c, cf := context.WithCancel(context.WithoutCancel(ctx))
		go func() {
			<-ctx.Done()
			for _, d := range deps {
				<-d
			}
			if wait != nil {
				wait()
			}
			cf()
		}()
		return c
	}
	closed := func() <-chan struct{} { c := make(chan struct{}); close(c); return c }

	run("health", ctx, a.tick)
	run("checks", ctx, a.checks.Run)
	if a.notifier != nil {
		run("webhooks", ctx, a.notifier.Run)
	}
	// Readers.
	logsDone, probesDone := closed(), closed()
	if a.tailer != nil {
		logsDone = run("logs", ctx, a.tailer.Run)
	}
	if a.source != nil {
		probesDone = run("probes", ctx, a.source.Run)
	}
	// The fan-out hands the probes' last drain to its consumers.
	fanoutDone := run("fanout", after(nil, probesDone), a.fanout.Run)
	// Batchers: what is left goes to the queues when they stop.
	var batchers []<-chan struct{}
	if a.loki != nil {
		batchers = append(batchers, run("loki", after(nil, logsDone), a.loki.Run))
	}
	if a.jaeger != nil {
		batchers = append(batchers, run("jaeger", after(nil, fanoutDone), a.jaeger.Run))
	}
	// Queues: they send until they are empty or the grace period ends.
	sendCtx := after(a.drain, append(batchers, logsDone, fanoutDone)...)
	if a.rw != nil {
		run("prometheus_remote_write", sendCtx, a.rw.Run)
	}
	for _, q := range a.queues {
		run(q.name+"_queue", sendCtx, q.q.Run)
	}
	if !a.deps.ExternalHTTP {
		run("http", ctx, func(ctx context.Context) error {
			go func() {
				<-ctx.Done()
				sctx, c := context.WithTimeout(context.Background(), 2*time.Second)
				defer c()
				_ = a.srv.Shutdown(sctx)
			}()
			if err := a.srv.Serve(a.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				return err
			}
			return nil
		})
	}
	listen := a.cfg.Listen
	if addr != nil {
		listen = addr.String()
	}
	a.log.Info("gopulse agent running", "listen", listen, "log_paths", len(a.cfg.Logs.Paths),
		"probes", a.cfg.Probes.Mode, "probes_ok", a.source != nil)
	wg.Wait()
	close(errc)
	var errs []error
	for err := range errc {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// drain waits up to the grace period for the delivery queues to have sent
// everything they hold.
func (a *Agent) drain() {
	if a.grace <= 0 || (len(a.queues) == 0 && a.rw == nil) {
		return
	}
	start := time.Now()
	deadline := start.Add(a.grace)
	fctx, cancel := context.WithDeadline(context.Background(), deadline)
	for _, q := range a.queues {
		_ = q.q.Flush(fctx) // the memory buffer goes to disk, where it is sent from
	}
	cancel()
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for {
		var backlog int64
		for _, q := range a.queues {
			backlog += q.q.Stats().BacklogBytes
		}
		if a.rw != nil {
			backlog += a.rw.Stats().BacklogBytes
		}
		if backlog == 0 {
			a.log.Info("stopping: the exporters sent everything queued", "took", time.Since(start).Round(time.Millisecond).String())
			return
		}
		if time.Now().After(deadline) {
			a.log.Warn("stopping: grace period over, the rest of the queues is kept on disk for the next start",
				"grace", a.grace.String(), "backlog_bytes", backlog)
			return
		}
		<-t.C
	}
}

func (a *Agent) tick(ctx context.Context) error {
	t := time.NewTicker(max(a.cfg.Health.Window/10, 50*time.Millisecond))
	defer t.Stop()
	a.engine.Tick(time.Now())
	for {
		select {
		case <-ctx.Done():
			return nil
		case now := <-t.C:
			a.engine.Tick(now)
		}
	}
}

// Close releases everything; safe to call twice.
func (a *Agent) Close() error {
	var errs []error
	a.closeOnce.Do(func() {
		if a.source != nil && !a.keepSource {
			errs = append(errs, a.source.Close())
		}
		if a.tailer != nil && !a.keepLogs {
			errs = append(errs, a.tailer.Close())
		}
		if a.notifier != nil {
			errs = append(errs, a.notifier.Close())
		}
		if a.rw != nil {
			errs = append(errs, a.rw.Close())
		}
		errs = append(errs, a.closeBackends())
		errs = append(errs, a.fanout.Close(), a.srv.Close(), a.checks.Close())
	})
	return errors.Join(errs...)
}

// exitSink feeds the health engine and forgets exited processes.
type exitSink struct {
	e *health.Engine
	r *pipeline.Resolver
}

func (s exitSink) HandleRuntime(ev *event.Runtime) {
	s.e.HandleRuntime(ev)
	if ev.Kind == event.KindProcExit {
		s.r.Forget(ev.PID)
	}
}

// logChanges logs every health change.
type logChanges struct{ log *slog.Logger }

func (l logChanges) Notify(c health.Change) {
	reasons := make([]string, 0, len(c.Reasons))
	for _, r := range c.Reasons {
		reasons = append(reasons, r.String())
	}
	l.log.Info("health changed", "pid", c.Proc.PID, "service", c.Proc.Service, "from", c.From.String(), "to", c.To.String(),
		"decision", string(c.Decision), "reasons", reasons)
}

// labeledSink feeds the Prometheus runtime aggregation, naming each process
// (pid, exe, service, Kubernetes placement) the first time it is seen.
type labeledSink struct {
	rt       *prom.Runtime
	resolver *pipeline.Resolver
	known    map[uint32]bool // only touched by the fan-out goroutine
}

func (s *labeledSink) HandleRuntime(ev *event.Runtime) {
	if ev.Kind == event.KindProcExit {
		delete(s.known, ev.PID)
		s.rt.HandleRuntime(ev)
		return
	}
	if !s.known[ev.PID] {
		p := s.resolver.Proc(ev.PID)
		s.rt.UpsertProc(&p)
		s.known[ev.PID] = true
	}
	s.rt.HandleRuntime(ev)
}

// applyDelivery sets the delivery settings of a backend's config section.
func applyDelivery(c *delivery.Config, b config.Backend) {
	q := b.Queue
	c.MemoryBytes, c.FlushInterval = int(q.MemoryBytes), q.FlushInterval
	c.Fsync, c.FsyncInterval = delivery.FsyncPolicy(q.Fsync), q.FsyncInterval
	c.Retry, c.Breaker, c.Concurrency, c.HealthInterval = b.Retry, b.Breaker, b.Concurrency, b.HealthInterval
}

func deliveryEndpoints(eps []config.Endpoint) []delivery.Endpoint {
	out := make([]delivery.Endpoint, 0, len(eps))
	for _, e := range eps {
		out = append(out, delivery.Endpoint{URL: e.URL, HealthURL: e.HealthURL})
	}
	return out
}

func deliveryHTTP(b config.Backend) delivery.HTTPConfig {
	return delivery.HTTPConfig{
		Timeout: b.Timeout,
		TLS: delivery.TLSConfig{CAFile: b.TLS.CAFile, CertFile: b.TLS.CertFile, KeyFile: b.TLS.KeyFile,
			ServerName: b.TLS.ServerName, InsecureSkipVerify: b.TLS.InsecureSkipVerify},
		Username: b.Auth.Username, Password: b.Auth.Password, BearerToken: b.Auth.BearerToken, Headers: b.Headers,
	}
}

// exporterQueue is one exporter's delivery queue and its cap.
type exporterQueue struct {
	name string
	q    *delivery.Queue
	cap  int64
}

// readyFill is the queue fill above which an exporter counts as failing:
// its backend has not taken the data for long enough to fill most of the
// on-disk queue.
const readyFill = 0.9

func (q exporterQueue) ready(now time.Time, window time.Duration) error {
	return queueReady(q.q.Stats(), q.cap, now, window)
}

// queueReady fails while the queue is nearly full (its backend is failing)
// or dropped items within window.
func queueReady(st delivery.Stats, capBytes int64, now time.Time, window time.Duration) error {
	var errs []error
	if capBytes > 0 && float64(st.DiskBytes) >= readyFill*float64(capBytes) {
		errs = append(errs, fmt.Errorf("delivery queue %d of %d bytes full: the backend is failing", st.DiskBytes, capBytes))
	}
	if !st.LastDrop.IsZero() && now.Sub(st.LastDrop) < window {
		errs = append(errs, fmt.Errorf("dropping data: %d items dropped so far, the last %s ago (%s)",
			st.Dropped, now.Sub(st.LastDrop).Round(time.Millisecond), st.LastDropReason))
	}
	return errors.Join(errs...)
}

// dropWatch notices counters of lost data growing: the agent is not ready
// for a window after it saw one grow.
type dropWatch struct {
	mu   sync.Mutex
	seen map[string]dropSeen
}

type dropSeen struct {
	total uint64
	grew  time.Time // when total was last seen growing
	delta uint64    // by how much
}

func (d *dropWatch) check(name, what string, total uint64, now time.Time, window time.Duration) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.seen == nil {
		d.seen = map[string]dropSeen{}
	}
	s := d.seen[name]
	if total > s.total {
		s.delta, s.grew = total-s.total, now
	}
	s.total = total
	d.seen[name] = s
	if !s.grew.IsZero() && now.Sub(s.grew) < window {
		return fmt.Errorf("%s: dropping data: %d %s (%d so far), seen %s ago", name, s.delta, what, total,
			now.Sub(s.grew).Round(time.Millisecond))
	}
	return nil
}

func (a *Agent) newQueue(name string, b config.Backend, headers map[string]string, tr delivery.Transport) (*delivery.Queue, error) {
	c := delivery.DefaultConfig()
	c.Name = name
	// Loki keeps each stream in push order: one request in flight, and no
	// newer request while an older one waits for its retry.
	c.Ordered = name == "loki"
	c.Endpoints = deliveryEndpoints(b.Endpoints)
	c.Dir = a.cfg.QueueDir(name, b.Queue)
	c.MaxQueueBytes = int64(b.Queue.MaxBytes)
	applyDelivery(&c, b)
	c.SegmentBytes = min(c.SegmentBytes, c.MaxQueueBytes/2)
	c.MaxRecordBytes = min(c.MaxRecordBytes, int(c.MaxQueueBytes/2))
	if err := os.MkdirAll(c.Dir, 0o750); err != nil {
		return nil, fmt.Errorf("%s queue dir: %w", name, err)
	}
	q, err := delivery.New(c, delivery.Deps{Logger: a.log.With("exporter", name), Registerer: a.reg, Transport: tr,
		HTTP: deliveryHTTP(b), ProtocolHeaders: headers})
	if err != nil {
		return nil, fmt.Errorf("%s queue: %w", name, err)
	}
	a.queues = append(a.queues, exporterQueue{name: name, q: q, cap: c.MaxQueueBytes})
	return q, nil
}

// newBackends builds the Loki and Jaeger exporters that have endpoints.
func (a *Agent) newBackends(sinks *[]pipeline.NamedSink, logSinks *[]event.LogSink) error {
	ex := &a.cfg.Exporters
	if len(ex.Loki.Endpoints) > 0 {
		q, err := a.newQueue("loki", ex.Loki, loki.ProtocolHeaders(), nil)
		if err != nil {
			return err
		}
		if a.loki, err = loki.New(loki.DefaultConfig(), loki.Deps{Queue: q, Logger: a.log.With("exporter", "loki")}); err != nil {
			return err
		}
		*logSinks = append(*logSinks, a.loki)
	}
	if len(ex.Jaeger.Endpoints) > 0 {
		c := jaeger.DefaultConfig()
		c.STWThreshold = ex.Jaeger.MinSTW
		c.SampleRate, c.SlowPause, c.SlowCycle = ex.Jaeger.Sampling.Rate, ex.Jaeger.Sampling.SlowPause, ex.Jaeger.Sampling.SlowCycle
		var tr delivery.Transport
		headers := jaeger.ProtocolHeaders()
		if ex.Jaeger.Protocol == "api_v2" {
			c.Protocol = jaeger.ProtocolAPIv2
			md := map[string]string{}
			for k, v := range ex.Jaeger.Headers {
				md[k] = v
			}
			if tok := ex.Jaeger.Auth.BearerToken; tok != "" {
				md["authorization"] = "Bearer " + tok
			}
			g := jaeger.NewGRPCTransport(jaeger.GRPCConfig{Headers: md})
			tr, headers = g, nil
			a.closers = append(a.closers, g.Close)
		}
		q, err := a.newQueue("jaeger", ex.Jaeger.Backend, headers, tr)
		if err != nil {
			return err
		}
		if a.jaeger, err = jaeger.New(c, jaeger.Deps{Queue: q, Procs: procLookup{a.resolver}, Logger: a.log.With("exporter", "jaeger"),
			Registerer: a.reg, Version: version.Get().Version}); err != nil {
			return err
		}
		*sinks = append(*sinks, pipeline.NamedSink{Name: "jaeger", Sink: a.jaeger})
	}
	return nil
}

// closeBackends flushes the exporters, then closes their queues.
func (a *Agent) closeBackends() error {
	var errs []error
	if a.loki != nil {
		errs = append(errs, a.loki.Close())
	}
	if a.jaeger != nil {
		errs = append(errs, a.jaeger.Close())
	}
	for _, q := range a.queues {
		errs = append(errs, q.q.Close())
	}
	for _, c := range a.closers {
		errs = append(errs, c())
	}
	return errors.Join(errs...)
}

// procLookup adapts the resolver for the Jaeger resource attributes.
type procLookup struct{ r *pipeline.Resolver }

func (p procLookup) Proc(pid uint32) (event.Proc, bool) {
	pr := p.r.Proc(pid)
	return pr, pr.Exe != ""
}
