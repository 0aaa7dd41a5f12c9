package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"time"

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
// takes over: one agent per state dir, built from the config, run, then
// handed over or closed.
func Main(ctx context.Context, opts Options) error {
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

	a, err := New(cfg, Deps{
		Logger:           logger,
		NewRuntimeSource: NewProbeSource(cfg, logger, popts),
		Pprof:            opts.Pprof,
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
			_ = os.RemoveAll(opts.PinDir)
		} else {
			logger.Info("handed over: probes pinned, counters written", "pin_dir", opts.PinDir, "file", hfile)
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
