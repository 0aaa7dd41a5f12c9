package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gopulse/gopulse/event"
	"github.com/gopulse/gopulse/internal/config"
	"github.com/gopulse/gopulse/internal/pipeline"
	"github.com/gopulse/gopulse/probes"
)

// Options are the command line's settings of a daemon run (gopulse agent).
type Options struct {
	Logger *slog.Logger
	// ConfigFile is the YAML config; "" is the embedded default.
	ConfigFile string
	// Listen overrides the config's listen address ("" keeps it).
	Listen string
	// TracePIDs are added to probes.trace_pids.
	TracePIDs []int
	// Pprof serves net/http/pprof under /debug/pprof/.
	Pprof bool
	// Takeover asks the agent running with the same state dir to hand its
	// probes and counters over, and waits up to TakeoverWait for it.
	Takeover     bool
	TakeoverWait time.Duration
	// PinDir is the bpffs directory of a takeover's pins.
	PinDir string

	procRoot string // tests: the proc file system the agents read
}

// LoadConfig reads the config file (the embedded default when file is
// "") and applies the command line's overrides.
func LoadConfig(file, listen string, tracePIDs []int) (*config.Config, error) {
	var (
		cfg *config.Config
		err error
	)
	if file != "" {
		cfg, err = config.Load(file)
	} else {
		cfg, err = config.Default()
	}
	if err != nil {
		return nil, fmt.Errorf("config:\n%w", err)
	}
	if listen != "" {
		if err := cfg.SetListen(listen); err != nil {
			return nil, err
		}
	}
	cfg.Probes.TracePIDs = append(cfg.Probes.TracePIDs, tracePIDs...)
	return cfg, nil
}

// Main runs the node daemon until ctx ends (SIGINT/SIGTERM) or a successor
// takes over: one agent per state dir, built from the config, run, reloaded
// on SIGHUP or POST /-/reload, then handed over or stopped and closed.
func Main(ctx context.Context, opts Options) error {
	// Registered first: a SIGHUP must never kill the agent.
	reloadSig, stopReload := notifyReload()
	defer stopReload()
	logger := opts.Logger
	cfg, err := LoadConfig(opts.ConfigFile, opts.Listen, opts.TracePIDs)
	if err != nil {
		return err
	}

	// One agent per state dir; --takeover asks the running one to hand over
	// and waits for it to exit.
	handoverReq, stopNotify := notifyHandover()
	defer stopNotify()
	lock, err := acquireAgentLock(ctx, cfg.StateDir, opts.Takeover, opts.TakeoverWait)
	if err != nil {
		return err
	}
	defer lock.release()
	popts := ProbeOptions{PinDir: opts.PinDir}
	hfile := HandoverPath(cfg.StateDir)
	var handover *Handover
	if opts.Takeover {
		handover, popts.Seed, popts.Adopt = loadHandover(hfile, opts.PinDir, logger)
	} else {
		clearHandover(hfile, opts.PinDir, logger)
	}

	d := newDaemon(opts, cfg, NewProbeSource(cfg, logger, popts))
	d.handoverReq, d.reloadSig, d.hfile = handoverReq, reloadSig, hfile
	a, err := d.build(cfg, handover, nil)
	if err != nil {
		d.closeSource()
		return err
	}
	if handover != nil {
		_ = os.Remove(hfile) // consumed: a later restart must not count it twice
	}
	if err := d.listen(cfg.Listen); err != nil {
		d.stop(a)
		return err
	}
	defer d.closeHTTP()
	for {
		next, err := d.runOne(ctx, a)
		if next == nil {
			return err
		}
		a = next
	}
}

// daemon is what lives across reloads: the probes, the HTTP listener,
// the reload metrics.
type daemon struct {
	opts        Options
	log         *slog.Logger
	cfg         atomic.Pointer[config.Config] // the running config
	cur         atomic.Pointer[Agent]
	handoverReq <-chan os.Signal
	reloadSig   <-chan os.Signal
	reloadReq   chan chan error // POST /-/reload
	hfile       string

	// The runtime source is built once, by the first agent, and handed
	// from agent to agent; its sink follows the running agent's fan-out.
	newSource func(event.RuntimeSink, *pipeline.Resolver) (RuntimeSource, error)
	sink      switchSink
	srcBuilt  bool
	src       RuntimeSource
	srcErr    error
	// srcRes is the resolver the runtime source was built with (the
	// first agent's): its pod lookup follows the running agent's.
	srcRes *pipeline.Resolver

	srv *http.Server
	ln  net.Listener

	reloadOK     atomic.Bool
	reloadOKTime atomic.Int64 // unix nanoseconds
	metrics      []prometheus.Collector
}

func newDaemon(opts Options, cfg *config.Config, newSource func(event.RuntimeSink, *pipeline.Resolver) (RuntimeSource, error)) *daemon {
	d := &daemon{opts: opts, log: opts.Logger, newSource: newSource, reloadReq: make(chan chan error)}
	d.cfg.Store(cfg)
	d.reloadOK.Store(true) // the config loaded at start
	d.reloadOKTime.Store(time.Now().UnixNano())
	d.metrics = []prometheus.Collector{
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "gopulse_config_last_reload_successful",
			Help: "1 when the last configuration reload (or the start) succeeded, 0 when it was refused."},
			func() float64 {
				if d.reloadOK.Load() {
					return 1
				}
				return 0
			}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "gopulse_config_last_reload_success_timestamp_seconds",
			Help: "Unix time of the last successful configuration reload (or of the start)."},
			func() float64 { return float64(d.reloadOKTime.Load()) / 1e9 }),
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /-/reload", d.serveReload)
	mux.HandleFunc("PUT /-/reload", d.serveReload)
	mux.Handle("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d.cur.Load().Handler().ServeHTTP(w, r)
	}))
	d.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	return d
}

func (d *daemon) file() string {
	if d.opts.ConfigFile == "" {
		return "(embedded default)"
	}
	return d.opts.ConfigFile
}

// source hands the runtime source to an agent, building it the first time.
func (d *daemon) source(sink event.RuntimeSink, r *pipeline.Resolver) (RuntimeSource, error) {
	d.sink.set(sink)
	if !d.srcBuilt {
		d.srcBuilt = true
		d.srcRes = r
		d.src, d.srcErr = d.newSource(&d.sink, r)
	} else if d.srcRes != nil && r != nil && d.srcRes != r {
		// The probes' process selection (pod labels and annotations)
		// looks pods up as the running config says: a reload may have
		// changed kubernetes.kubelet_url, api_server or node_name.
		d.srcRes.SetPods(r.Pods())
	}
	if d.srcErr != nil {
		return nil, d.srcErr
	}
	return d.src, nil
}

func (d *daemon) closeSource() {
	if d.src != nil {
		if err := d.src.Close(); err != nil {
			d.log.Warn("close probes", "err", err)
		}
		d.src = nil
	}
}

// build makes the agent of cfg, starting from h (nil: from scratch) and
// going on with the logs pipeline kept (nil: a new one).
func (d *daemon) build(cfg *config.Config, h *Handover, kept *logsPipeline) (*Agent, error) {
	a, err := New(cfg, Deps{
		logs:             kept,
		Logger:           d.log,
		NewRuntimeSource: d.source,
		Pprof:            d.opts.Pprof,
		Handover:         h,
		ProcRoot:         d.opts.procRoot,
		ExternalHTTP:     true,
		Collectors:       d.metrics,
		// Exporters plug in here: RuntimeSinks (Prometheus aggregation,
		// Jaeger), LogSinks (Loki) and their ReadyChecks.
	})
	if err != nil {
		return nil, err
	}
	a.keepSource = true // the daemon's
	if _, err := a.Listen(); err != nil {
		a.Close() // leaves the kept logs pipeline open (keepLogs)
		return nil, err
	}
	a.keepLogs = false // the agent's now
	if a.tailer != nil {
		// The log files take their start positions now, before a reload
		// answers: a line written after it is read even with start_at: end.
		a.tailer.Open()
	}
	d.cur.Store(a)
	return a, nil
}

// runOne runs a until it stops (nil next) or a reload replaces it.
func (d *daemon) runOne(ctx context.Context, a *Agent) (next *Agent, err error) {
	runCtx, stopRun := context.WithCancel(ctx)
	defer stopRun()
	runDone := make(chan error, 1)
	go func() { runDone <- a.Run(runCtx) }()
	for {
		select {
		case err := <-runDone: // a component failed
			d.stop(a)
			return nil, err
		case <-ctx.Done():
			d.log.Info("stopping: the readers stop, the exporters send what is queued", "grace", a.grace.String())
			err := <-runDone
			d.stop(a)
			return nil, err
		case <-d.handoverReq:
			d.log.Info("takeover requested: handing over to the new agent")
			a.grace = 0
			stopRun()
			runErr := <-runDone
			if err := a.Handover(d.hfile); err != nil {
				// The successor starts from scratch (it finds no pins).
				d.log.Error("handover failed: detaching the probes", "err", err)
				_ = os.RemoveAll(d.opts.PinDir)
			} else {
				d.log.Info("handed over: probes pinned, counters written", "pin_dir", d.opts.PinDir, "file", d.hfile)
			}
			d.stop(a)
			return nil, runErr
		case <-d.reloadSig:
			d.log.Info("SIGHUP: reloading the config", "file", d.file())
			next, _, fatal := d.reload(a, stopRun, runDone)
			if fatal != nil {
				return nil, fatal
			}
			if next != nil {
				return next, nil
			}
		case reply := <-d.reloadReq:
			d.log.Info("POST /-/reload: reloading the config", "file", d.file())
			next, err, fatal := d.reload(a, stopRun, runDone)
			reply <- err
			if fatal != nil {
				return nil, fatal
			}
			if next != nil {
				return next, nil
			}
		}
	}
}

// ErrReloadRefused: the new config was not applied; the agent runs on
// with the old one.
var ErrReloadRefused = errors.New("reload refused, the running config is kept")

// reload applies the config file again. An invalid config is refused
// before anything stops (next is nil and a runs on). A valid one stops a
// (its readers commit their offsets, the batchers hand what they hold to
// the on-disk queues), keeps the probes running and builds the next agent
// on the same state: queues, log offsets, probe state, the Prometheus
// counters and the health verdicts. When the next agent cannot be built,
// the old config is built again (fatal when even that fails).
func (d *daemon) reload(a *Agent, stopRun func(), runDone <-chan error) (next *Agent, err, fatal error) {
	old := d.cfg.Load()
	cfg, err := LoadConfig(d.opts.ConfigFile, d.opts.Listen, d.opts.TracePIDs)
	if err == nil && d.opts.ConfigFile != "" && cfg.Empty() {
		// Every setting would fall back to its default (no logs, no
		// exporters): far more often a file read while it was being
		// written in place than a wish.
		err = fmt.Errorf("%s holds no settings (empty, or only comments): a file written in place may have been read half-written; "+
			"write the config to a temporary file and rename it over this one (write {} for the defaults)", d.opts.ConfigFile)
	}
	if err == nil && cfg.StateDir != old.StateDir {
		err = fmt.Errorf("state_dir: %q → %q needs a restart (the agent's lock and state live there)", old.StateDir, cfg.StateDir)
	}
	var ln net.Listener
	if err == nil && cfg.Listen != old.Listen {
		if ln, err = net.Listen("tcp", cfg.Listen); err != nil {
			err = fmt.Errorf("listen %s: %w", cfg.Listen, err)
		}
	}
	if err != nil {
		d.refused(err)
		return nil, fmt.Errorf("%w: %w", ErrReloadRefused, err), nil
	}
	// The probes run on across reloads (their state is the point): the
	// process selection applies at once, the other probe settings at the
	// next restart.
	var sel *probes.Selector
	if live := liveProbes(old.Probes, cfg.Probes); !reflect.DeepEqual(cfg.Probes, live) {
		d.log.Warn("reload: probes settings other than discovery and min_age change at the next restart only; the running ones are kept")
		cfg.Probes = live
	}
	newSel := !reflect.DeepEqual(cfg.Probes.Discovery, old.Probes.Discovery) || cfg.Probes.MinAge != old.Probes.MinAge
	if newSel {
		if sel, err = cfg.Probes.Discovery.Selection().Compile(); err != nil {
			err = fmt.Errorf("probes.discovery: %w", err)
			d.refused(err)
			return nil, fmt.Errorf("%w: %w", ErrReloadRefused, err), nil
		}
	}
	var parserOpts pipeline.LogEngineOptions
	if parserOpts, err = logEngineOptions(cfg); err != nil {
		d.refused(err)
		return nil, fmt.Errorf("%w: %w", ErrReloadRefused, err), nil
	}
	start := time.Now()
	a.grace = 0 // what is queued stays on disk for the next agent
	var kept *logsPipeline
	var changed []string // what the kept log sources apply in place
	if a.tailer != nil {
		var keep bool
		changed, keep = logsChanges(old, cfg)
		switch {
		case keep && len(changed) == 0:
			// The log sources go on: the tailer stops and commits, and
			// the next agent runs the same tailer and router (their
			// files, offsets, held records and parsers: formats, header
			// models, templates, schemas).
			d.log.Info("reload: the logs config did not change; the log sources run on with their parsers' state")
		case keep:
			// The same tailer and router go on and apply the changes in
			// place once the next agent is built: the tailer's settings
			// (Tailer.Reconfigure: the sources no longer selected stop,
			// new paths start), the overrides (LogRouter.SetOverrides:
			// a source whose format or pattern changed starts again),
			// field_names and multiline (LogRouter.Retune) and
			// kubernetes (LogRouter.Relabel); every other source keeps
			// its parser's state.
			d.log.Info("reload: the logs settings changed; the log sources run on with their parsers' state and apply the changes in place",
				"changed", changed)
		default:
			// A log file the new config no longer tails is read by
			// nobody after this stop: the record it holds is emitted,
			// not left to a replay that will not come.
			a.tailer.Successor(cfg.Logs.Paths, cfg.Logs.Exclude)
			d.log.Info("reload: the logs config changed; the log sources start again from their committed offsets")
		}
		if keep {
			a.tailer.Continue()
			a.keepLogs = true
			kept = &logsPipeline{tailer: a.tailer, router: a.router}
		}
	} else if len(cfg.Logs.Paths) > 0 {
		d.log.Info("reload: logs.paths set; the log sources start")
	}
	stopRun()
	if err := <-runDone; err != nil {
		d.log.Warn("reload: the running agent stopped with an error", "err", err)
	}
	carry := &Handover{Version: HandoverVersion, Runtime: a.runtime.Snapshot(), Health: a.engine.Export()}
	if err := a.Close(); err != nil {
		d.log.Warn("reload: close the running agent", "err", err)
	}
	next, err = d.build(cfg, carry, kept)
	if err != nil {
		if ln != nil {
			ln.Close()
		}
		d.refused(err)
		d.log.Error("reload: the new config cannot run; going back to the running one", "err", err)
		back, berr := d.build(old, carry, kept) // kept: none of cfg's logs changes applied to it yet
		if berr != nil {
			if kept != nil {
				kept.tailer.Close()
			}
			d.closeSource()
			return nil, nil, fmt.Errorf("reload failed and the running config cannot be restored: %w", berr)
		}
		return back, fmt.Errorf("%w: %w", ErrReloadRefused, err), nil
	}
	if kept != nil && len(changed) > 0 {
		// The next agent's sinks take the records the changes emit (of
		// the sources that stop or start again, a record being assembled
		// when the assembly is turned off), and the commit makes them
		// durable.
		if slices.Contains(changed, "overrides") {
			restarted, relabelled := kept.router.SetOverrides(logOverrides(cfg))
			for _, p := range restarted {
				d.log.Info("log source starts again: its override's format or pattern changed; its templates go on", "path", p)
			}
			for _, p := range relabelled {
				d.log.Info("log source relabelled: its override's service changed; its parser goes on", "path", p)
			}
		}
		if slices.Contains(changed, "field_names") || slices.Contains(changed, "multiline") {
			for _, p := range kept.router.Retune(pipeline.LogParserFactory(parserOpts), parserOpts) {
				d.log.Info("log source starts again: its parser cannot change its settings", "path", p)
			}
		}
		if slices.Contains(changed, "kubernetes") {
			for _, p := range kept.router.Relabel() {
				d.log.Info("log source relabelled: the kubernetes settings name it otherwise; its parser goes on", "path", p)
			}
		}
		rctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		if err := kept.tailer.Reconfigure(rctx, tailConfig(cfg)); err != nil {
			d.log.Warn("reload: log offsets not committed after the sources that stop; they are committed with the next lines", "err", err)
		}
		cancel()
	}
	if ln != nil {
		d.serveOn(ln)
	}
	if s, ok := d.src.(selectionSetter); ok && newSel {
		s.SetSelection(sel, cfg.Probes.MinAge)
		d.log.Info("reload: process selection replaced; the next rescan decides every process again")
	}
	d.cfg.Store(cfg)
	d.reloadOK.Store(true)
	d.reloadOKTime.Store(time.Now().UnixNano())
	d.log.Info("config reloaded", "file", d.file(), "took", time.Since(start).Round(time.Millisecond).String())
	return next, nil, nil
}

// logsChanges lists what a reload from running to next changes of what
// shapes the log sources, each of which the running tailer and router
// apply in place (keep):
//   - "tailer": logs.paths, exclude, poll_interval, rescan_interval,
//     max_line_bytes, start_at, commit_lines, commit_interval,
//     rotate_grace (Tailer.Reconfigure);
//   - "overrides": logs.overrides (LogRouter.SetOverrides);
//   - "field_names", "multiline": the parsers' settings (LogRouter.Retune);
//   - "kubernetes": the node label and the pod lookups naming services
//     (LogRouter.Rebind, Relabel).
//
// keep is false when either config tails nothing (there is no tailer to
// keep, or none to go on), when state_dir changed (where the offsets live;
// a reload refuses it anyway), or when something else in the logs section
// differs that nothing applies in place (a setting added later and not
// listed here): the log sources are then built again from their committed
// offsets. Anything outside logs, state_dir and kubernetes (health
// thresholds, checks, webhooks, probes, Prometheus, Jaeger, listen, and the
// Loki exporter: its endpoints, credentials, batching, queue) is applied
// around the kept sources: their records go to the next agent's sinks and
// health engine (LogRouter.Rebind), which make them durable before each
// commit.
func logsChanges(running, next *config.Config) (changed []string, keep bool) {
	if len(next.Logs.Paths) == 0 || len(running.Logs.Paths) == 0 || running.StateDir != next.StateDir {
		return nil, false
	}
	r, n := running.Logs, next.Logs
	if !slices.Equal(r.Paths, n.Paths) || !slices.Equal(r.Exclude, n.Exclude) || r.PollInterval != n.PollInterval ||
		r.RescanInterval != n.RescanInterval || r.MaxLineBytes != n.MaxLineBytes || r.StartAt != n.StartAt ||
		r.CommitLines != n.CommitLines || r.CommitInterval != n.CommitInterval || r.RotateGrace != n.RotateGrace {
		changed = append(changed, "tailer")
	}
	if !slices.Equal(r.Overrides, n.Overrides) {
		changed = append(changed, "overrides")
	}
	if r.FieldNames != n.FieldNames {
		changed = append(changed, "field_names")
	}
	if r.Multiline != n.Multiline {
		changed = append(changed, "multiline")
	}
	if running.Kubernetes != next.Kubernetes {
		changed = append(changed, "kubernetes")
	}
	// Everything else in logs must be equal: a setting none of the above
	// applies in place needs the sources built again.
	l := n
	l.Paths, l.Exclude, l.PollInterval, l.RescanInterval, l.MaxLineBytes = r.Paths, r.Exclude, r.PollInterval, r.RescanInterval, r.MaxLineBytes
	l.StartAt, l.CommitLines, l.CommitInterval, l.RotateGrace = r.StartAt, r.CommitLines, r.CommitInterval, r.RotateGrace
	l.Overrides, l.FieldNames, l.Multiline = r.Overrides, r.FieldNames, r.Multiline
	if !reflect.DeepEqual(r, l) {
		return nil, false
	}
	return changed, true
}

// selectionSetter is a runtime source whose process selection can change
// while it runs (the probes).
type selectionSetter interface {
	SetSelection(sel *probes.Selector, minAge time.Duration)
}

// liveProbes is the probes section a reload from running to next applies:
// the running one with next's discovery rules and min_age.
func liveProbes(running, next config.Probes) config.Probes {
	running.Discovery, running.MinAge = next.Discovery, next.MinAge
	return running
}

// refused logs every problem of a refused reload.
func (d *daemon) refused(err error) {
	d.reloadOK.Store(false)
	ps := problems(err)
	for _, p := range ps {
		d.log.Error("reload refused", "file", d.file(), "problem", p.Error())
	}
	d.log.Error("reload refused: the running config is kept", "file", d.file(), "problems", len(ps))
}

// problems lists the errors joined in err, under LoadConfig's wrapping.
func problems(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, problems(e)...)
		}
		return out
	}
	if w := errors.Unwrap(err); w != nil && strings.HasPrefix(err.Error(), "config:\n") {
		return problems(w)
	}
	return []error{err}
}

func (d *daemon) serveReload(w http.ResponseWriter, r *http.Request) {
	if !d.cfg.Load().Lifecycle.EnableReload {
		http.Error(w, "the lifecycle API is not enabled (lifecycle.enable_reload: true; SIGHUP reloads anyway)", http.StatusForbidden)
		return
	}
	reply := make(chan error, 1)
	select {
	case d.reloadReq <- reply:
	case <-r.Context().Done():
		return
	}
	select {
	case err := <-reply:
		if err != nil {
			http.Error(w, "failed to reload config: "+err.Error(), http.StatusInternalServerError)
			return
		}
		fmt.Fprintln(w, "config reloaded")
	case <-r.Context().Done():
	}
}

// listen binds the HTTP address and serves the running agent there.
func (d *daemon) listen(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", addr, err)
	}
	d.serveOn(ln)
	return nil
}

// serveOn serves on ln instead of the previous listener.
func (d *daemon) serveOn(ln net.Listener) {
	old := d.ln
	d.ln = ln
	go func() {
		if err := d.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) && !errors.Is(err, net.ErrClosed) {
			d.log.Error("http server", "err", err)
		}
	}()
	if old != nil {
		old.Close()
		// Idle keep-alive connections to the old address close too.
		d.srv.SetKeepAlivesEnabled(false)
		d.srv.SetKeepAlivesEnabled(true)
	}
}

func (d *daemon) closeHTTP() {
	sctx, c := context.WithTimeout(context.Background(), 2*time.Second)
	defer c()
	_ = d.srv.Shutdown(sctx)
}

// stop closes the last agent and the probes. Detaching hundreds of
// uprobes can stall in the kernel; a daemon asked to stop must stop, so
// closing is bounded.
func (d *daemon) stop(a *Agent) {
	closed := make(chan error, 1)
	go func() {
		err := a.Close()
		d.closeSource()
		closed <- err
	}()
	select {
	case err := <-closed:
		if err != nil {
			d.log.Warn("agent close", "err", err)
		}
	case <-time.After(agentCloseTimeout):
		d.log.Error("agent close timed out; exiting anyway", "timeout", agentCloseTimeout.String())
	}
}

// switchSink passes runtime events to the running agent's fan-out (set
// between two agents' runs, while the probes are stopped).
type switchSink struct {
	p atomic.Pointer[event.RuntimeSink]
}

func (s *switchSink) set(sink event.RuntimeSink) { s.p.Store(&sink) }

func (s *switchSink) HandleRuntime(ev *event.Runtime) { (*s.p.Load()).HandleRuntime(ev) }

// Free is the running fan-out's room (probes pace a replay with it).
func (s *switchSink) Free() int {
	if q, ok := (*s.p.Load()).(interface{ Free() int }); ok {
		return q.Free()
	}
	return pipeline.DefaultQueueLen
}

// agentCloseTimeout bounds the release of probes and files at exit.
const agentCloseTimeout = 10 * time.Second

// ProbeOptions are the takeover settings of the agent's probes.
type ProbeOptions struct {
	PinDir string
	Adopt  bool                  // take over the predecessor's pinned maps and links
	Seed   *probes.HandoverState // its decoder state
}

// NewProbeSource builds the probes manager for the agent: the Go processes
// probes.discovery selects in default mode (once min_age old), trace mode
// for the configured pids.
func NewProbeSource(cfg *config.Config, logger *slog.Logger, opts ProbeOptions) func(event.RuntimeSink, *pipeline.Resolver) (RuntimeSource, error) {
	return func(sink event.RuntimeSink, resolver *pipeline.Resolver) (RuntimeSource, error) {
		sel, err := cfg.Probes.Discovery.Selection().Compile()
		if err != nil {
			return nil, fmt.Errorf("probes.discovery: %w", err)
		}
		ring := int(cfg.Probes.RingBytes)
		if ring == 0 {
			// Default mode sends a few events per GC cycle: a small ring keeps
			// the agent's RSS low. Trace mode needs room for bursts.
			ring = 2 << 20
			if len(cfg.Probes.TracePIDs) > 0 {
				ring = 64 << 20
			}
		}
		pc := probes.Config{
			All:         true,
			Select:      sel,
			MinAge:      cfg.Probes.MinAge,
			TraceBudget: cfg.Probes.TraceBudget,
			RingBytes:   ring,
			Attach:      probeAttach(cfg.Probes.Attach),
			PinDir:      opts.PinDir,
			Adopt:       opts.Adopt,
			Seed:        opts.Seed,
		}
		deps := probes.Deps{Logger: logger.With("component", "probes"), Sink: sink, SampleInterval: cfg.Probes.SampleInterval}
		if resolver != nil {
			deps.Pods = resolver
		}
		m, err := probes.New(pc, deps)
		if err != nil && opts.Adopt {
			// Nothing usable to adopt: detach the predecessor's probes (by
			// removing their pins) and start afresh.
			logger.Warn("cannot adopt the previous agent's probes: starting new ones (events during the takeover are lost)", "err", err)
			if opts.PinDir != "" {
				_ = os.RemoveAll(opts.PinDir)
			}
			pc.Adopt, pc.Seed = false, nil
			m, err = probes.New(pc, deps)
		}
		if err != nil {
			return nil, fmt.Errorf("start probes: %w", err)
		}
		for _, pid := range cfg.Probes.TracePIDs {
			if err := m.Watch(pid, true); err != nil {
				logger.Warn("trace mode not enabled", "pid", pid, "err", err)
			}
		}
		return probeSource{m: m}, nil
	}
}

type probeSource struct {
	m *probes.Manager
}

func (p probeSource) Run(ctx context.Context) error { return p.m.Run(ctx) }

func (p probeSource) Close() error { return p.m.Close() }

// SetSelection replaces the process selection (a config reload).
func (p probeSource) SetSelection(sel *probes.Selector, minAge time.Duration) {
	p.m.SetSelection(sel, minAge)
}

// Handover pins the probes for a successor and returns their state.
func (p probeSource) Handover() (json.RawMessage, error) {
	st, err := p.m.Handover()
	if err != nil {
		return nil, err
	}
	return json.Marshal(st)
}

func (p probeSource) Stats() SourceStats {
	s := p.m.Stats()
	return SourceStats{ProbesAttached: s.ProbesAttached, Processes: s.Processes, EventsLost: s.EventsLost}
}

// loadHandover reads the predecessor's handover file; adopt reports
// whether its pinned maps are there.
func loadHandover(file, pinDir string, logger *slog.Logger) (h *Handover, seed *probes.HandoverState, adopt bool) {
	h, err := ReadHandover(file)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			logger.Warn("ignoring the handover file: counters start from zero", "err", err)
		} else {
			logger.Info("takeover: no handover file: counters start from zero", "file", file)
		}
		h = nil
	} else if len(h.Probes) > 0 {
		seed = new(probes.HandoverState)
		if err := json.Unmarshal(h.Probes, seed); err != nil {
			logger.Warn("ignoring the probes' handover state", "err", err)
			seed = nil
		}
	}
	if _, err := os.Stat(filepath.Join(pinDir, "maps")); err == nil {
		adopt = true
	} else {
		logger.Warn("takeover: no pinned probes to adopt", "pin_dir", pinDir)
	}
	return h, seed, adopt
}

// clearHandover removes what an unfinished takeover left: pins nobody
// adopted (removing them detaches those probes) and the handover file.
func clearHandover(file, pinDir string, logger *slog.Logger) {
	if _, err := os.Stat(pinDir); err == nil {
		logger.Warn("removing pins left by an unfinished takeover", "pin_dir", pinDir)
		if err := os.RemoveAll(pinDir); err != nil {
			logger.Warn("remove stale pins", "pin_dir", pinDir, "err", err)
		}
	}
	_ = os.Remove(file)
}

// probeAttach maps probes.attach to probes.Config.Attach ("auto" chooses).
func probeAttach(s string) string {
	if s == "auto" {
		return ""
	}
	return s
}
