package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"time"

	"github.com/gopulse/gopulse/internal/agent"
	"github.com/gopulse/gopulse/internal/config"
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

// runAgent runs the node daemon (internal/agent) with the command line's
// settings.
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
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(f.level)); err != nil {
		return usageErr(c, "bad --log-level %q (want debug, info, warn or error)", f.level)
	}
	var h slog.Handler = slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: lvl})
	if f.logJSON {
		h = slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: lvl})
	}
	return agent.Main(ctx, agent.Options{
		Logger:       slog.New(h),
		ConfigFile:   f.config,
		Listen:       f.listen,
		TracePIDs:    f.trace,
		Pprof:        f.pprof,
		Takeover:     f.takeover,
		TakeoverWait: f.takeoverWait,
		PinDir:       f.pinDir,
	})
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
