package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/gopulse/gopulse/event"
	"github.com/gopulse/gopulse/internal/config"
	"github.com/gopulse/gopulse/internal/pipeline"
	"github.com/gopulse/gopulse/probes"
)

type agentFlags struct {
	config       string
	listen       string
	level        string
	logJSON      bool
	pprof        bool
	takeover     bool
	takeoverWait time.Duration
	pinDir       string
	trace        agentPIDs
}

func (f *agentFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.config, "config", "", "YAML config `file` (default: the embedded default, see 'gopulse config default')")
	fs.StringVar(&f.listen, "listen", "", "serve /metrics, /healthz, /readyz and /v1/health on `host:port` (overrides the config)")
	fs.StringVar(&f.level, "log-level", "info", "log `level`: debug, info, warn or error")
	fs.BoolVar(&f.logJSON, "log-json", false, "log JSON lines instead of text")
	fs.BoolVar(&f.pprof, "pprof", false, "serve net/http/pprof under /debug/pprof/ on the listen address")
	fs.BoolVar(&f.takeover, "takeover", false, "hot upgrade: take over the probes and counters of the agent running with the same state dir, which then exits")
	fs.DurationVar(&f.takeoverWait, "takeover-timeout", 30*time.Second, "with --takeover: how long to wait for the running agent to hand over")
	fs.StringVar(&f.pinDir, "pin-dir", probes.DefaultPinDir, "bpffs `dir` where BPF maps and links are pinned during a takeover")
	fs.Var(&f.trace, "trace", "also run trace mode (per-goroutine events) for `pid` (repeatable; adds to probes.trace_pids)")
}

func agentCommand() *command {
	return &command{
		path:    "agent",
		summary: "run the node daemon (probes, logs, exporters, health)",
		usage:   "agent [--config FILE] [--listen ADDR] [flags]",
		long: `Runs the node daemon: probes every selected Go process, tails the configured
log files, feeds the health engine and the exporters, and serves /metrics,
/healthz, /readyz and /v1/health. See docs/agent.md and docs/config.md.`,
		examples: `sudo gopulse agent
sudo gopulse agent --config /etc/gopulse/config.yaml --listen 0.0.0.0:9464
sudo gopulse agent --trace 1234 --log-level debug
sudo gopulse-new agent --config /etc/gopulse/config.yaml --takeover   # hot upgrade`,
		flags: func(fs *flag.FlagSet) { new(agentFlags).register(fs) },
	}
}

// runAgent runs the node daemon.
func runAgent(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var f agentFlags
	c := agentCommand()
	c.flags = f.register
	_, pos, err := parseCommandFlags(c, args, stdout, stderr)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageErr(c, "unexpected argument %q", pos[0])
	}
	level, logJSON, cfgFile, listen, tracePIDs := &f.level, &f.logJSON, &f.config, &f.listen, f.trace
	takeover, takeoverWait, pinDir, pprofOn := &f.takeover, &f.takeoverWait, &f.pinDir, &f.pprof
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(*level)); err != nil {
		return usageErr(c, "bad --log-level %q (want debug, info, warn or error)", *level)
	}
	var h slog.Handler = slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: lvl})
	if *logJSON {
		h = slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: lvl})
	}
	logger := slog.New(h)

	var cfg *config.Config
	if *cfgFile != "" {
		cfg, err = config.Load(*cfgFile)
	} else {
		cfg, err = config.Default()
	}
	if err != nil {
		return fmt.Errorf("config:\n%w", err)
	}
	if *listen != "" {
		if err := cfg.SetListen(*listen); err != nil {
			return err
		}
	}
	cfg.Probes.TracePIDs = append(cfg.Probes.TracePIDs, tracePIDs...)

	// One agent per state dir; --takeover asks the running one to hand over
	// and waits for it to exit.
	handoverReq, stopNotify := notifyHandover()
	defer stopNotify()
	lock, err := acquireAgentLock(ctx, cfg.StateDir, *takeover, *takeoverWait)
	if err != nil {
		return err
	}
	defer lock.release()
	popts := probeOptions{pinDir: *pinDir}
	hfile := handoverPath(cfg.StateDir)
	var handover *pipeline.Handover
	if *takeover {
		handover, popts.seed, popts.adopt = loadHandover(hfile, *pinDir, logger)
	} else {
		clearHandover(hfile, *pinDir, logger)
	}

	a, err := pipeline.NewAgent(cfg, pipeline.AgentDeps{
		Logger:           logger,
		NewRuntimeSource: newProbeSourceOpts(cfg, logger, popts),
		Pprof:            *pprofOn,
		Handover:         handover,
		// Exporters plug in here: RuntimeSinks (Prometheus aggregation,
		// Jaeger), LogSinks (Loki) and their ReadyChecks.
	})
	if err != nil {
		return err
	}
	if handover != nil {
		_ = os.Remove(hfile) // consumed: a later restart must not count it twice
	}
	runCtx, cancelRun := context.WithCancel(ctx)
	defer cancelRun()
	handingOver := make(chan struct{})
	go func() {
		select {
		case <-handoverReq:
			logger.Info("takeover requested: handing over to the new agent")
			close(handingOver)
			cancelRun()
		case <-runCtx.Done():
		}
	}()
	runErr := a.Run(runCtx)
	select {
	case <-handingOver:
		if err := a.Handover(hfile); err != nil {
			// The successor starts from scratch (it finds no pins).
			logger.Error("handover failed: detaching the probes", "err", err)
			_ = os.RemoveAll(*pinDir)
		} else {
			logger.Info("handed over: probes pinned, counters written", "pin_dir", *pinDir, "file", hfile)
		}
	default:
	}
	// Detaching hundreds of uprobes can stall in the kernel; a daemon asked
	// to stop must stop, so closing is bounded.
	closed := make(chan error, 1)
	go func() { closed <- a.Close() }()
	select {
	case err := <-closed:
		if err != nil {
			logger.Warn("agent close", "err", err)
		}
	case <-time.After(agentCloseTimeout):
		logger.Error("agent close timed out; exiting anyway", "timeout", agentCloseTimeout.String())
	}
	return runErr
}

// agentCloseTimeout bounds the release of probes and files at exit.
const agentCloseTimeout = 10 * time.Second

// newProbeSource builds the probes manager for the agent: every Go process
// in default mode, trace mode for the configured pids.
func newProbeSource(cfg *config.Config, logger *slog.Logger) func(event.RuntimeSink, *pipeline.Resolver) (pipeline.RuntimeSource, error) {
	return newProbeSourceOpts(cfg, logger, probeOptions{})
}

// probeOptions are the takeover settings of the agent's probes.
type probeOptions struct {
	pinDir string
	adopt  bool                  // take over the predecessor's pinned maps and links
	seed   *probes.HandoverState // its decoder state
}

func newProbeSourceOpts(cfg *config.Config, logger *slog.Logger, opts probeOptions) func(event.RuntimeSink, *pipeline.Resolver) (pipeline.RuntimeSource, error) {
	return func(sink event.RuntimeSink, _ *pipeline.Resolver) (pipeline.RuntimeSource, error) {
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
			All:         cfg.Probes.MinAge == 0, // else the discoverer below
			TraceBudget: cfg.Probes.TraceBudget,
			RingBytes:   ring,
			PinDir:      opts.pinDir,
			Adopt:       opts.adopt,
			Seed:        opts.seed,
		}
		deps := probes.Deps{Logger: logger.With("component", "probes"), Sink: sink, SampleInterval: cfg.Probes.SampleInterval}
		m, err := probes.New(pc, deps)
		if err != nil && opts.adopt {
			// Nothing usable to adopt: detach the predecessor's probes (by
			// removing their pins) and start afresh.
			logger.Warn("cannot adopt the previous agent's probes: starting new ones (events during the takeover are lost)", "err", err)
			if opts.pinDir != "" {
				_ = os.RemoveAll(opts.pinDir)
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
		src := probeSource{m: m}
		if cfg.Probes.MinAge > 0 {
			src.disc = newDiscoverer(m, logger.With("component", "probes"), cfg.Probes.MinAge)
		}
		return src, nil
	}
}

// agentPIDs is the repeatable --trace flag.
type agentPIDs []int

func (p *agentPIDs) String() string { return fmt.Sprint([]int(*p)) }
func (p *agentPIDs) Set(s string) error {
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 {
		return fmt.Errorf("want a pid, got %q", s)
	}
	*p = append(*p, n)
	return nil
}

type probeSource struct {
	m    *probes.Manager
	disc *discoverer // nil: the manager discovers processes itself
}

func (p probeSource) Run(ctx context.Context) error {
	if p.disc == nil {
		return p.m.Run(ctx)
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		p.disc.run(ctx)
	}()
	err := p.m.Run(ctx)
	cancel()
	<-done
	return err
}

func (p probeSource) Close() error { return p.m.Close() }

// Handover pins the probes for a successor and returns their state.
func (p probeSource) Handover() (json.RawMessage, error) {
	st, err := p.m.Handover()
	if err != nil {
		return nil, err
	}
	return json.Marshal(st)
}

// loadHandover reads the predecessor's handover file; adopt reports
// whether its pinned maps are there.
func loadHandover(file, pinDir string, logger *slog.Logger) (h *pipeline.Handover, seed *probes.HandoverState, adopt bool) {
	h, err := pipeline.ReadHandover(file)
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
func (p probeSource) Stats() pipeline.SourceStats {
	s := p.m.Stats()
	return pipeline.SourceStats{ProbesAttached: s.ProbesAttached, Processes: s.Processes, EventsLost: s.EventsLost}
}

func configValidateCommand() *command {
	return &command{
		path:    "config validate",
		summary: "check agent config files, reporting every problem",
		usage:   "config validate FILE…",
		long: `Checks agent configuration files as the agent would load them: YAML syntax,
unknown keys, types, values, log formats and patterns. Every problem is
reported, as FILE:LINE:COL: key.path: message. ${VAR} references to
variables that are not set are reported unless they have a default
(${VAR:-default}). Exit status 1 when a file has a problem.`,
		examples: `gopulse config validate /etc/gopulse/config.yaml
gopulse config default > my.yaml && gopulse config validate my.yaml`,
		flags: func(*flag.FlagSet) {},
		args:  "file",
	}
}

func runConfigValidate(args []string, stdout, stderr io.Writer) error {
	c := configValidateCommand()
	_, files, err := parseCommandFlags(c, args, stdout, stderr)
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return usageErr(c, "no config file given")
	}
	bad := 0
	for _, f := range files {
		if _, err := config.Load(f); err != nil {
			bad++
			if n := problemCount(err); n > 1 {
				fmt.Fprintf(stderr, "%s: %d problems:\n", f, n)
			}
			fmt.Fprintln(stderr, err)
			continue
		}
		fmt.Fprintf(stdout, "%s: ok\n", f)
	}
	if bad > 0 {
		return exitError{1}
	}
	return nil
}

// problemCount counts the problems joined in err.
func problemCount(err error) int {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return len(j.Unwrap())
	}
	return 1
}

func configDefaultCommand() *command {
	return &command{
		path:     "config default",
		summary:  "print the embedded default agent config",
		usage:    "config default",
		long:     "Prints the configuration the agent uses when it is started without --config.",
		examples: "gopulse config default > /etc/gopulse/config.yaml",
		flags:    func(*flag.FlagSet) {},
	}
}

func runConfigDefault(args []string, stdout, stderr io.Writer) error {
	c := configDefaultCommand()
	_, pos, err := parseCommandFlags(c, args, stdout, stderr)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageErr(c, "unexpected argument %q", pos[0])
	}
	_, err = stdout.Write(config.DefaultYAML())
	return err
}
