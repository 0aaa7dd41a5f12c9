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
	"strings"
	"time"

	"github.com/gopulse/gopulse/config"
	"github.com/gopulse/gopulse/event"
	"github.com/gopulse/gopulse/pipeline"
	"github.com/gopulse/gopulse/probes"
)

// runAgent runs the node daemon: `gopulse agent [--config FILE] [--listen ADDR]`.
func runAgent(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("agent", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgFile := fs.String("config", "", "YAML config `file` (default: the embedded default; see 'gopulse config default')")
	listen := fs.String("listen", "", "serve /metrics, /healthz, /readyz, /v1/health on `addr` (overrides the config)")
	level := fs.String("log-level", "info", "log level: debug, info, warn, error")
	logJSON := fs.Bool("log-json", false, "log JSON lines instead of text")
	pprofOn := fs.Bool("pprof", false, "serve net/http/pprof under /debug/pprof/ on the listen address")
	takeover := fs.Bool("takeover", false, "hot upgrade: take over the probes and counters of the agent running with the same state dir, which then exits")
	takeoverWait := fs.Duration("takeover-timeout", 30*time.Second, "with --takeover: how long to wait for the running agent to hand over")
	pinDir := fs.String("pin-dir", probes.DefaultPinDir, "bpffs `dir` where BPF maps and links are pinned during a takeover (bpffs is mounted on /sys/fs/bpf if absent)")
	var tracePIDs agentPIDs
	fs.Var(&tracePIDs, "trace", "also run trace mode (per-goroutine events) for `pid` (repeatable; adds to probes.trace_pids)")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(*level)); err != nil {
		fmt.Fprintf(stderr, "gopulse agent: bad --log-level %q\n", *level)
		return errUsage
	}
	var h slog.Handler = slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: lvl})
	if *logJSON {
		h = slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: lvl})
	}
	logger := slog.New(h)

	var cfg *config.Config
	var err error
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

// runConfig: `gopulse config validate FILE…` and `gopulse config default`.
func runConfig(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	const use = "usage: gopulse config validate FILE… | gopulse config default\n"
	if len(args) == 0 {
		fmt.Fprint(stderr, use)
		return errUsage
	}
	switch args[0] {
	case "default":
		_, err := stdout.Write(config.DefaultYAML())
		return err
	case "validate":
		if len(args) < 2 {
			fmt.Fprint(stderr, use)
			return errUsage
		}
		bad := 0
		for _, f := range args[1:] {
			if _, err := config.Load(f); err != nil {
				bad++
				var cerr *config.Error
				if errors.As(err, &cerr) || strings.Contains(err.Error(), "\n") {
					fmt.Fprintf(stderr, "%s: %d problem(s):\n", f, len(strings.Split(err.Error(), "\n")))
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
	default:
		fmt.Fprint(stderr, use)
		return errUsage
	}
}
