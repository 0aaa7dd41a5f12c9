package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
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

	a, err := pipeline.NewAgent(cfg, pipeline.AgentDeps{
		Logger:           logger,
		NewRuntimeSource: newProbeSource(cfg, logger),
		Pprof:            *pprofOn,
		// Exporters plug in here: RuntimeSinks (Prometheus aggregation,
		// Jaeger), LogSinks (Loki) and their ReadyChecks.
	})
	if err != nil {
		return err
	}
	runErr := a.Run(ctx)
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
		m, err := probes.New(probes.Config{
			All:         cfg.Probes.MinAge == 0, // else the discoverer below
			TraceBudget: cfg.Probes.TraceBudget,
			RingBytes:   ring,
		}, probes.Deps{Logger: logger.With("component", "probes"), Sink: sink, SampleInterval: cfg.Probes.SampleInterval})
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
