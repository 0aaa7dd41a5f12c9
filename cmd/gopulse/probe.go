package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/gopulse/gopulse/event"
	"github.com/gopulse/gopulse/probes"
	"github.com/gopulse/gopulse/probes/rtstate"
)

type probeFlags struct {
	pids     pidList
	all      bool
	json     bool
	duration time.Duration
	trace    bool
	budget   float64
	verbose  bool
	attach   string

	// --all's process selection (probes.Selection): each flag is one rule.
	exe, cmdline, port       stringList
	exExe, exCmdline, exPort stringList
	noDefaultExclude         bool
	minAge                   time.Duration
}

// selection returns the probes.Selection the flags describe: a process is
// watched when it matches one of --exe, --cmdline, --port (any process
// when none is given) and none of the --exclude-* flags nor the default
// exclusions.
func (f *probeFlags) selection() probes.Selection {
	var s probes.Selection
	for _, v := range f.exe {
		s.Include = append(s.Include, probes.Rule{Exe: v})
	}
	for _, v := range f.cmdline {
		s.Include = append(s.Include, probes.Rule{Cmdline: v})
	}
	for _, v := range f.port {
		s.Include = append(s.Include, probes.Rule{Ports: []string{v}})
	}
	for _, v := range f.exExe {
		s.Exclude = append(s.Exclude, probes.Rule{Exe: v})
	}
	for _, v := range f.exCmdline {
		s.Exclude = append(s.Exclude, probes.Rule{Cmdline: v})
	}
	for _, v := range f.exPort {
		s.Exclude = append(s.Exclude, probes.Rule{Ports: []string{v}})
	}
	if f.noDefaultExclude {
		s.DefaultExclude = []probes.Rule{}
	}
	return s
}

func (f *probeFlags) selects() bool {
	return len(f.exe)+len(f.cmdline)+len(f.port)+len(f.exExe)+len(f.exCmdline)+len(f.exPort) > 0 || f.noDefaultExclude || f.minAge != 0
}

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }

func (f *probeFlags) register(fs *flag.FlagSet) {
	fs.Var(&f.pids, "pid", "watch the process `pid` (repeatable)")
	fs.BoolVar(&f.all, "all", false, "watch every Go process (new ones are picked up)")
	fs.BoolVar(&f.json, "json", false, "write JSON lines (one event per line) instead of a table")
	fs.DurationVar(&f.duration, "duration", 0, "stop after this long (0: until interrupted, or until the --exec program or every --pid exits)")
	fs.BoolVar(&f.trace, "trace", false, "trace mode: per-goroutine create/exit/scheduling events, held to --budget")
	fs.Float64Var(&f.budget, "budget", 0.05, "trace-mode overhead budget, fraction of one CPU")
	fs.BoolVar(&f.verbose, "v", false, "log attach details to stderr")
	fs.StringVar(&f.attach, "attach", "", "force the attach `mechanism`: perf_event (per-offset uprobes even where uprobe_multi links exist); default: the best the kernel offers")
	fs.Var(&f.exe, "exe", "with --all: watch processes whose executable matches the `glob` (a path when it holds a '/', else the base name; repeatable)")
	fs.Var(&f.cmdline, "cmdline", "with --all: watch processes whose command line matches the `regexp` (repeatable)")
	fs.Var(&f.port, "port", "with --all: watch processes listening on this TCP `port` or range 8000-8999 (repeatable)")
	fs.Var(&f.exExe, "exclude-exe", "with --all: skip processes whose executable matches the `glob` (repeatable)")
	fs.Var(&f.exCmdline, "exclude-cmdline", "with --all: skip processes whose command line matches the `regexp` (repeatable)")
	fs.Var(&f.exPort, "exclude-port", "with --all: skip processes listening on this TCP `port` or range (repeatable)")
	fs.BoolVar(&f.noDefaultExclude, "no-default-exclude", false, "with --all: also watch the Go toolchain's programs (go, compile, link, vet, gopls…), skipped by default")
	fs.DurationVar(&f.minAge, "min-age", 0, "with --all: watch a process that starts later once it has run this long (0: at once)")
	fs.Bool("exec", false, "start the program given after --exec (and its arguments) and watch it from its first instruction; must come last")
}

func probeCommand() *command {
	return &command{
		path:    "probe",
		summary: "watch Go programs' runtime live (GC, pauses, goroutines, scheduling)",
		usage:   "probe (--pid N… | --all | --exec CMD [ARG…]) [flags]",
		long: `Watches Go programs' runtime with eBPF uprobes: GC cycles, every
stop-the-world pause, goroutines and scheduling latency. Prints a table every
second, or JSON lines with --json (see docs/probes.md for the fields).

With --exec, the program's stdout and stderr go to gopulse's stderr; gopulse
exits with its status. When gopulse is interrupted or --duration ends, the
program gets SIGTERM (then SIGKILL after 10 s); it is also killed if gopulse
dies. With --pid, gopulse stops once every given process has exited.
Needs root, or CAP_BPF, CAP_PERFMON and CAP_SYS_PTRACE.`,
		examples: `sudo gopulse probe --pid 1234
sudo gopulse probe --all --json > events.jsonl
sudo gopulse probe --all --exe 'api-*' --port 8080 --exclude-cmdline '-test\.'
sudo gopulse probe --json --exec ./server -p 8080
sudo gopulse probe --pid 1234 --trace --budget 0.05 --duration 30s`,
		flags: func(fs *flag.FlagSet) { new(probeFlags).register(fs) },
	}
}

// runProbe implements 'gopulse probe'.
func runProbe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var f probeFlags
	c := probeCommand()
	c.flags = f.register
	var execArgs []string
	for i, a := range args {
		if a == "--exec" || a == "-exec" {
			execArgs = args[i+1:]
			args = args[:i]
			if len(execArgs) == 0 {
				return usageErr(c, "--exec needs a program to run")
			}
			break
		}
	}
	_, pos, err := parseCommandFlags(c, args, stdout, stderr)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageErr(c, "unexpected argument %q", pos[0])
	}
	pids, all, jsonOut, duration, trace, budget, verbose := f.pids, &f.all, &f.json, &f.duration, &f.trace, &f.budget, &f.verbose
	modes := 0
	for _, on := range []bool{len(pids) > 0, *all, len(execArgs) > 0} {
		if on {
			modes++
		}
	}
	if modes != 1 {
		return usageErr(c, "give exactly one of --pid, --all or --exec CMD")
	}
	if !*all && f.selects() {
		return usageErr(c, "--exe, --cmdline, --port, --exclude-*, --no-default-exclude and --min-age select processes for --all")
	}
	if f.minAge < 0 {
		return usageErr(c, "--min-age must not be negative")
	}
	for _, pid := range pids {
		if _, err := os.Stat("/proc/" + strconv.Itoa(pid)); errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("pid %d: %w", pid, probes.ErrNoProcess)
		}
	}

	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))

	var out probeOutput
	if *jsonOut {
		out = newJSONOutput(stdout)
	} else {
		out = newTableOutput(stdout, isTerminal(stdout))
	}
	cfg := probes.Config{All: *all, Trace: *trace, TraceBudget: *budget, Attach: f.attach, MinAge: f.minAge}
	if *all {
		sel, err := f.selection().Compile()
		if err != nil {
			return usageErr(c, "%v", err)
		}
		cfg.Select = sel
	}
	// --pid runs end once every given process's exit has been written:
	// not on a count of watched processes, which read 0 before the attach
	// (a run whose analysis outlasted the first tick ended with nothing
	// written, under load).
	exits := &pidExits{probeOutput: out, left: map[uint32]bool{}}
	for _, pid := range pids {
		exits.left[uint32(pid)] = true
	}
	out = exits
	m, err := probes.New(cfg, probes.Deps{Logger: logger, Sink: out})
	if err != nil {
		return err
	}
	defer m.Close()
	// Attach before the table starts: analysing a large binary can take
	// longer than a tick, and a tick with no process ends a --pid run.
	for _, pid := range pids {
		if err := m.Watch(pid, *trace); err != nil {
			return fmt.Errorf("probe: %w", err)
		}
	}

	if *duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, *duration)
		defer cancel()
	}
	runCtx, stopRun := context.WithCancel(ctx)
	defer stopRun()

	var cmd *exec.Cmd
	if len(execArgs) > 0 {
		cmd = exec.Command(execArgs[0], execArgs[1:]...)
		cmd.Stdin = os.Stdin
		cmd.Stdout, cmd.Stderr = stderr, stderr
		// The program dies with gopulse, even by kill -9 (the kernel sends
		// Pdeathsig when the thread that forked it exits: that thread is
		// kept locked for the fork and stays in the runtime's pool).
		dieWithParent(cmd)
		runtime.LockOSThread()
		err := m.StartCommand(cmd, *trace)
		runtime.UnlockOSThread()
		if err != nil {
			return fmt.Errorf("--exec %s: %w", execArgs[0], err)
		}
	}

	var wg sync.WaitGroup
	var runErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		runErr = m.Run(runCtx)
		stopRun() // e.g. a --pid that cannot be watched
	}()
	// Table refresh / JSON flush once a second.
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-runCtx.Done():
				return
			case <-t.C:
				st := m.Stats()
				out.Tick(m.Procs(), st)
				if len(pids) > 0 && exits.allExited() {
					stopRun() // every process given with --pid has exited
				}
			}
		}
	}()

	var exitErr error
	if cmd != nil {
		waitDone := make(chan error, 1)
		go func() { waitDone <- cmd.Wait() }()
		select {
		case err := <-waitDone:
			m.Unwatch(cmd.Process.Pid) // drains the child's remaining events
			exitErr = childExit(err)
		case <-ctx.Done():
			// --duration ended or gopulse was interrupted: ask the program
			// to stop (SIGTERM), insist after a grace period (SIGKILL, exit
			// status 137). A program that ends by the SIGTERM counts as
			// success.
			err := stopChild(cmd, waitDone, childGrace)
			m.Unwatch(cmd.Process.Pid)
			exitErr = childExit(err)
			var ee exitError
			if errors.As(exitErr, &ee) && ee.code == 128+int(syscall.SIGTERM) {
				exitErr = nil
			}
		}
		stopRun()
	} else {
		<-runCtx.Done()
	}
	wg.Wait()
	m.Flush()
	if runErr == nil {
		out.Tick(m.Procs(), m.Stats())
	}
	if err := out.Close(); err != nil {
		return fmt.Errorf("write output: %w", err)
	}
	if runErr != nil {
		return runErr
	}
	return exitErr
}

// childGrace is how long a program started with --exec has to exit after
// SIGTERM before it is killed.
const childGrace = 10 * time.Second

// stopChild sends SIGTERM, then SIGKILL after grace, and returns cmd.Wait's
// result.
func stopChild(cmd *exec.Cmd, waitDone <-chan error, grace time.Duration) error {
	_ = cmd.Process.Signal(syscall.SIGTERM)
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case err := <-waitDone:
		return err
	case <-t.C:
		_ = cmd.Process.Kill()
		return <-waitDone
	}
}

// childExit turns cmd.Wait's error into gopulse's exit status: the
// program's own status, or 128+N when signal N ended it (the shell's
// convention).
func childExit(err error) error {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return exitError{code: 128 + int(ws.Signal())}
		}
		return exitError{code: ee.ExitCode()}
	}
	return err
}

type pidList []int

func (p *pidList) String() string {
	s := make([]string, len(*p))
	for i, v := range *p {
		s[i] = strconv.Itoa(v)
	}
	return strings.Join(s, ",")
}

func (p *pidList) Set(v string) error {
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		return fmt.Errorf("invalid pid %q", v)
	}
	*p = append(*p, n)
	return nil
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// probeOutput receives events (HandleRuntime, under the manager's lock) and
// a tick once a second.
type probeOutput interface {
	event.RuntimeSink
	Tick(procs []probes.ProcInfo, st probes.Stats)
	Close() error
}

// pidExits passes events on to the output and notes the exits of the
// processes given with --pid.
type pidExits struct {
	probeOutput
	mu   sync.Mutex
	left map[uint32]bool // not exited yet
}

func (p *pidExits) HandleRuntime(ev *event.Runtime) {
	if ev.Kind == event.KindProcExit {
		p.mu.Lock()
		delete(p.left, ev.PID)
		p.mu.Unlock()
	}
	p.probeOutput.HandleRuntime(ev)
}

// allExited reports whether every --pid process's exit was handled.
func (p *pidExits) allExited() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.left) == 0
}

// jsonOutput writes one JSON object per event. Encoding appends into one
// reused buffer.
type jsonOutput struct {
	mu  sync.Mutex
	w   *bufio.Writer
	buf []byte
	err error
}

func newJSONOutput(w io.Writer) *jsonOutput {
	return &jsonOutput{w: bufio.NewWriterSize(w, 64<<10), buf: make([]byte, 0, 512)}
}

func (o *jsonOutput) HandleRuntime(ev *event.Runtime) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.buf = appendEventJSON(o.buf[:0], ev)
	o.buf = append(o.buf, '\n')
	if _, err := o.w.Write(o.buf); err != nil && o.err == nil {
		o.err = err
	}
}

func (o *jsonOutput) Tick([]probes.ProcInfo, probes.Stats) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if err := o.w.Flush(); err != nil && o.err == nil {
		o.err = err
	}
}

func (o *jsonOutput) Close() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if err := o.w.Flush(); err != nil && o.err == nil {
		o.err = err
	}
	return o.err
}

// appendEventJSON appends ev as a JSON object (no trailing newline). Every
// object has "type", "pid" and "ts" (Unix ns).
func appendEventJSON(b []byte, ev *event.Runtime) []byte {
	b = append(b, `{"type":"`...)
	b = append(b, ev.Kind.String()...)
	b = append(b, `","pid":`...)
	b = strconv.AppendUint(b, uint64(ev.PID), 10)
	b = appendInt(b, "ts", ev.TS)
	switch ev.Kind {
	case event.KindGCStart:
		b = appendInt(b, "cycle", int64(ev.Cycle))
		b = appendInt(b, "start_ns", ev.StartNS)
	case event.KindGCEnd:
		b = appendInt(b, "cycle", int64(ev.Cycle))
		b = appendInt(b, "start_ns", ev.StartNS)
		b = appendInt(b, "duration_ns", ev.DurationNS)
		b = appendInt(b, "sweep_term_ns", ev.SweepTermNS)
		b = appendInt(b, "mark_ns", ev.MarkNS)
		b = appendInt(b, "mark_term_ns", ev.MarkTermNS)
		if ev.Partial {
			b = append(b, `,"partial":true`...)
		}
	case event.KindSTW:
		b = append(b, `,"reason":"`...)
		b = append(b, ev.Reason.String()...)
		b = append(b, '"')
		b = appendInt(b, "start_ns", ev.StartNS)
		b = appendInt(b, "duration_ns", ev.DurationNS)
		if ev.Reason.IsGC() {
			b = appendInt(b, "cycle", int64(ev.Cycle))
		}
	case event.KindGoroutineCreate:
		b = appendInt(b, "goid", int64(ev.Goid))
		b = appendInt(b, "parent_goid", int64(ev.ParentGoid))
		b = appendString(b, "site", ev.Site)
	case event.KindGoroutineExit:
		b = appendInt(b, "goid", int64(ev.Goid))
		b = appendString(b, "site", ev.Site)
	case event.KindSchedLatency:
		b = appendInt(b, "goid", int64(ev.Goid))
		b = appendInt(b, "latency_ns", ev.LatencyNS)
	case event.KindSample:
		b = appendInt(b, "goroutines", ev.Goroutines)
		if h := ev.Sched; h != nil {
			b = append(b, `,"sched_counts":[`...)
			for i, c := range h.Counts {
				if i > 0 {
					b = append(b, ',')
				}
				b = strconv.AppendUint(b, c, 10)
			}
			b = append(b, ']')
		}
	case event.KindProcExit:
		if ev.ExitErr != nil {
			b = appendString(b, "error", ev.ExitErr.Error())
		}
	}
	return append(b, '}')
}

func appendInt(b []byte, key string, v int64) []byte {
	b = append(b, ',', '"')
	b = append(b, key...)
	b = append(b, '"', ':')
	return strconv.AppendInt(b, v, 10)
}

func appendString(b []byte, key, v string) []byte {
	b = append(b, ',', '"')
	b = append(b, key...)
	b = append(b, '"', ':')
	b = append(b, '"')
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20:
			b = append(b, `\u00`...)
			b = append(b, hexDigits[c>>4], hexDigits[c&0xf])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}

const hexDigits = "0123456789abcdef"

// tableOutput aggregates per process and prints a table every second.
type tableOutput struct {
	mu    sync.Mutex
	w     io.Writer
	tty   bool
	procs map[uint32]*procWindow
	start time.Time
	last  time.Time
}

type procWindow struct {
	gcs       int
	stws      []int64 // pause durations this window
	stwTotal  int
	goroutine int64
	schedPrev []uint64
	schedCur  []uint64
	schedB    []float64
	delta     []uint64
	traceLat  []int64
	exited    bool
}

func newTableOutput(w io.Writer, tty bool) *tableOutput {
	now := time.Now()
	return &tableOutput{w: w, tty: tty, procs: make(map[uint32]*procWindow), start: now, last: now}
}

func (o *tableOutput) HandleRuntime(ev *event.Runtime) {
	o.mu.Lock()
	defer o.mu.Unlock()
	p := o.procs[ev.PID]
	if p == nil {
		p = &procWindow{}
		o.procs[ev.PID] = p
	}
	switch ev.Kind {
	case event.KindGCEnd:
		p.gcs++
	case event.KindSTW:
		p.stws = append(p.stws, ev.DurationNS)
		p.stwTotal++
	case event.KindSample:
		p.goroutine = ev.Goroutines
		if ev.Sched != nil {
			p.schedCur = append(p.schedCur[:0], ev.Sched.Counts...)
			p.schedB = append(p.schedB[:0], ev.Sched.Buckets...)
		}
	case event.KindSchedLatency:
		p.traceLat = append(p.traceLat, ev.LatencyNS)
	case event.KindProcExit:
		p.exited = true
	}
}

func (o *tableOutput) Tick(procs []probes.ProcInfo, st probes.Stats) {
	o.mu.Lock()
	defer o.mu.Unlock()
	now := time.Now()
	secs := now.Sub(o.last).Seconds()
	o.last = now
	var b strings.Builder
	if o.tty {
		b.WriteString("\x1b[H\x1b[2J")
	}
	fmt.Fprintf(&b, "gopulse probe  %s  processes=%d probes=%d events=%d lost=%d",
		now.Format(time.TimeOnly), st.Processes, st.ProbesAttached, st.Events, st.EventsLost)
	if st.TraceDuty > 0 {
		fmt.Fprintf(&b, " trace_overhead=%.2f%% duty=%.0f%%", 100*st.TraceOverhead, 100*st.TraceDuty)
	}
	b.WriteString("\n")
	fmt.Fprintf(&b, "%-8s %-16s %6s %7s %9s %9s %9s %9s %8s %8s %8s %s\n",
		"PID", "EXE", "GC/s", "STW", "STW_MAX", "STW_P99", "SCHED_P50", "SCHED_P99", "G_LIVE", "G_NEW", "G_EXIT", "LEAK_SUSPECTS")
	byPID := make(map[int]probes.ProcInfo, len(procs))
	for _, p := range procs {
		byPID[p.PID] = p
	}
	keys := make([]uint32, 0, len(o.procs))
	for pid := range o.procs {
		keys = append(keys, pid)
	}
	for _, p := range procs {
		if _, ok := o.procs[uint32(p.PID)]; !ok {
			keys = append(keys, uint32(p.PID))
			o.procs[uint32(p.PID)] = &procWindow{}
		}
	}
	slices.Sort(keys)
	for _, pid := range keys {
		w := o.procs[pid]
		info := byPID[int(pid)]
		slices.Sort(w.stws)
		var maxSTW, p99 int64
		if n := len(w.stws); n > 0 {
			maxSTW = w.stws[n-1]
			p99 = w.stws[min(n-1, n*99/100)]
		}
		p50s, p99s := "-", "-"
		if len(w.schedCur) > 0 {
			w.delta = probes.HistDelta(w.delta, w.schedCur, w.schedPrev)
			h := event.SchedHistogram{Counts: w.delta, Buckets: w.schedB}
			if i := rtstate.Quantile(h, 0.5); i >= 0 && i+1 < len(w.schedB) {
				p50s = fmtDur(int64(w.schedB[i+1] * 1e9))
				p99s = fmtDur(int64(w.schedB[rtstate.Quantile(h, 0.99)+1] * 1e9))
			}
			w.schedPrev = append(w.schedPrev[:0], w.schedCur...)
		} else if n := len(w.traceLat); n > 0 {
			slices.Sort(w.traceLat)
			p50s, p99s = fmtDur(w.traceLat[n/2]), fmtDur(w.traceLat[min(n-1, n*99/100)])
		}
		live := "-"
		if w.goroutine > 0 {
			live = strconv.FormatInt(w.goroutine, 10)
		}
		exe := info.Service
		if w.exited {
			exe += " (exited)"
		}
		sus := strings.Join(info.Suspects, ",") // sorted by the manager
		fmt.Fprintf(&b, "%-8d %-16.16s %6.1f %7d %9s %9s %9s %9s %8s %8d %8d %s\n",
			pid, exe, float64(w.gcs)/secs, len(w.stws), fmtDur(maxSTW), fmtDur(p99), p50s, p99s,
			live, info.Created, info.Exited, sus)
		w.gcs, w.stws, w.traceLat = 0, w.stws[:0], w.traceLat[:0]
		if w.exited {
			delete(o.procs, pid)
		}
	}
	io.WriteString(o.w, b.String())
}

func fmtDur(ns int64) string {
	if ns <= 0 {
		return "-"
	}
	return time.Duration(ns).Round(time.Microsecond).String()
}

func (o *tableOutput) Close() error { return nil }
