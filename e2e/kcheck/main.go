// Command kcheck runs gopulse's probe checks inside a virtual machine of the
// kernel matrix (scripts/test-kernels.sh boots it as part of an initramfs).
// It drives the real CLI, as a user would, against the gcload target and
// compares what `gopulse probe --json` reports with the target's own
// runtime/metrics over a window the target is quiesced at both ends of.
//
//	kcheck -gopulse /bin/gopulse CHECK...
//
// A CHECK is MODE:TARGET, MODE one of
//
//	exec   gopulse probe --exec TARGET: GC cycles and pauses exact
//	pid    TARGET started first, then gopulse probe --pid: the same
//	trace  gopulse probe --trace --exec TARGET: goroutine events, the
//	       leaking creation site flagged, overhead held to the budget
//
// MODE+perf forces per-offset perf-event uprobes (--attach perf_event).
//
// Each check prints one line "RESULT NAME PASS|FAIL details" on stdout.
// Every run must log the kernel mechanisms gopulse chose exactly once, and
// they must be the ones the running kernel calls for.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

func main() {
	gopulse := flag.String("gopulse", "/bin/gopulse", "the gopulse binary")
	timeout := flag.Duration("timeout", 5*time.Minute, "time limit per check")
	flag.Parse()
	failed := 0
	for _, c := range flag.Args() {
		mode, target, ok := strings.Cut(c, ":")
		name := mode + "/" + filepath.Base(target)
		if !ok {
			fmt.Printf("RESULT %s FAIL bad check %q (want MODE:TARGET)\n", c, c)
			failed++
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), *timeout)
		start := time.Now()
		var extra []string
		if m, ok := strings.CutSuffix(mode, "+perf"); ok {
			// Per-offset perf-event uprobes forced where uprobe_multi
			// links exist (gopulse probe --attach perf_event); before
			// 6.6 that is the default check.
			if !haveUprobeMulti() {
				fmt.Printf("RESULT %s SKIP per-offset uprobes are the default before Linux 6.6\n", name)
				continue
			}
			mode, extra = m, []string{"--attach", "perf_event"}
		}
		detail, err := run(ctx, mode, *gopulse, target, extra)
		cancel()
		took := time.Since(start).Round(100 * time.Millisecond)
		if err != nil {
			var fe *failure
			if errors.As(err, &fe) {
				// The whole of gopulse's stderr (and the target's, with
				// --exec) goes to the console log for the post-mortem.
				for _, l := range fe.stderr {
					fmt.Printf("LOG %s %s\n", name, l)
				}
			}
			fmt.Printf("RESULT %s FAIL %v (%s; took %v)\n", name, oneLine(err.Error()), detail, took)
			failed++
			continue
		}
		fmt.Printf("RESULT %s PASS %s (took %v)\n", name, detail, took)
	}
	if failed > 0 {
		os.Exit(1)
	}
}

// haveUprobeMulti reports whether the running kernel is 6.6 or later.
func haveUprobeMulti() bool {
	b, err := os.ReadFile("/proc/sys/kernel/osrelease")
	var maj, minor int
	if err == nil {
		_, err = fmt.Sscanf(string(b), "%d.%d", &maj, &minor)
	}
	return err == nil && maj*1000+minor >= 6006
}

// lastWords is gopulse's own last error line ("gopulse probe: …"), as
// ": …" for a failure's detail, so that a RESULT line says why and a known
// failure can be told apart by its signature.
func lastWords(l *lines) string {
	t := l.text()
	for i := len(t) - 1; i >= 0; i-- {
		if strings.HasPrefix(t[i], "gopulse") {
			return ": " + t[i]
		}
	}
	return ""
}

// fatalSignal is the first line of a Go program's crash on a fatal signal
// ("SIGSEGV: segmentation violation").
var fatalSignal = regexp.MustCompile(`^(SIG[A-Z]+): `)

// crashFrames is how many innermost frames targetCrash names.
const crashFrames = 4

// targetCrash names the target's crash when the stream (gopulse's stderr,
// which carries the target's with --exec) holds a Go fatal-signal dump:
// ": target SIGSEGV at pc=0x… in f<-caller<-…", the innermost frames of the
// goroutine that took the signal, so that a known failure's signature can
// be one crash site and not every crash of the check.
func targetCrash(l *lines) string {
	t := l.text()
	for i := 0; i < len(t); i++ {
		m := fatalSignal.FindStringSubmatch(t[i])
		if m == nil {
			continue
		}
		pc := ""
		var frames []string
		inStack := false
	scan:
		for _, s := range t[i+1:] {
			switch {
			case pc == "" && strings.HasPrefix(s, "PC="):
				pc, _, _ = strings.Cut(s, " ")
			case strings.HasPrefix(s, "goroutine "):
				if inStack {
					break scan
				}
				inStack = true
			case inStack && s == "":
				break scan
			case inStack && !strings.HasPrefix(s, "\t"):
				// "pkg.(*T).f(args)": the name ends at the last '('.
				if j := strings.LastIndex(s, "("); j > 0 {
					frames = append(frames, s[:j])
				}
				if len(frames) == crashFrames {
					break scan
				}
			}
		}
		return fmt.Sprintf(": target %s at %s in %s", m[1], pc, strings.Join(frames, "<-"))
	}
	return ""
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// failure is an error that carries gopulse's stderr.
type failure struct {
	err    error
	stderr []string
}

func (f *failure) Error() string { return f.err.Error() }
func (f *failure) Unwrap() error { return f.err }

func withLog(err error, l *lines) error {
	if err == nil {
		return nil
	}
	return &failure{err: err, stderr: l.text()}
}

func run(ctx context.Context, mode, gopulse, target string, extra []string) (string, error) {
	switch mode {
	case "exec":
		return exactExec(ctx, gopulse, target, extra)
	case "pid":
		return exactPID(ctx, gopulse, target, extra)
	case "trace":
		return traceBudget(ctx, gopulse, target, extra)
	}
	return "", fmt.Errorf("unknown mode %q", mode)
}

// snapshot is gcload's reply to "mark" (testdata/targets/gcload).
type snapshot struct {
	UnixNS       int64  `json:"unix_ns"`
	GCCycles     uint64 `json:"gc_cycles"`
	PauseCount   uint64 `json:"gc_pause_count"`
	PauseTotalNS uint64 `json:"gc_pause_total_ns"`
}

// event is the part of a `gopulse probe --json` line the checks read.
type event struct {
	Type       string `json:"type"`
	PID        int    `json:"pid"`
	StartNS    int64  `json:"start_ns"`
	DurationNS int64  `json:"duration_ns"`
	Reason     string `json:"reason"`
	Cycle      int64  `json:"cycle"`
}

// lines collects a stream's lines and hands snapshot lines to a channel.
type lines struct {
	mu    sync.Mutex
	all   []string
	snaps chan snapshot
	done  chan struct{}
}

func collect(r io.Reader) *lines {
	l := &lines{snaps: make(chan snapshot, 16), done: make(chan struct{})}
	go func() {
		defer close(l.done)
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			t := sc.Text()
			l.mu.Lock()
			l.all = append(l.all, t)
			l.mu.Unlock()
			if strings.HasPrefix(t, `{"unix_ns"`) {
				var s snapshot
				if json.Unmarshal([]byte(t), &s) == nil {
					l.snaps <- s
				}
			}
		}
	}()
	return l
}

func (l *lines) text() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.all...)
}

// waitFor waits until a line contains s.
func (l *lines) waitFor(ctx context.Context, s string) error {
	for {
		for _, t := range l.text() {
			if strings.Contains(t, s) {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %q: %w; output so far: %s", s, ctx.Err(), tail(l.text()))
		case <-l.done:
			return fmt.Errorf("stream ended before %q; output: %s", s, tail(l.text()))
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func tail(ls []string) string {
	if len(ls) > 8 {
		ls = ls[len(ls)-8:]
	}
	return strings.Join(ls, " | ")
}

// window marks the target twice, the second time once at least minCycles
// GC cycles ran since the first (GC is slow under emulation).
func window(ctx context.Context, in io.Writer, snaps <-chan snapshot) (a, b snapshot, err error) {
	const minCycles = 8
	mark := func() (snapshot, error) {
		if _, err := io.WriteString(in, "mark\n"); err != nil {
			return snapshot{}, fmt.Errorf("mark: %w", err)
		}
		select {
		case s := <-snaps:
			return s, nil
		case <-ctx.Done():
			return snapshot{}, fmt.Errorf("no reply to mark: %w", ctx.Err())
		}
	}
	if a, err = mark(); err != nil {
		return a, b, err
	}
	for wait := time.Second; ; wait = min(2*wait, 8*time.Second) {
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return a, b, ctx.Err()
		}
		if b, err = mark(); err != nil || b.GCCycles-a.GCCycles >= minCycles {
			return a, b, err
		}
	}
}

// compare checks the probe events of pid between two snapshots against
// the runtime's counts: cycles and pauses exact, pause total within 5%.
func compare(stdout []byte, pid int, a, b snapshot) (string, error) {
	var ends, pauses int
	var total, lastCycle int64
	for _, ln := range bytes.Split(stdout, []byte("\n")) {
		if len(ln) == 0 {
			continue
		}
		var e event
		if err := json.Unmarshal(ln, &e); err != nil {
			return "", fmt.Errorf("bad JSON line %q: %w", ln, err)
		}
		if e.PID != pid || e.StartNS <= a.UnixNS || e.StartNS >= b.UnixNS {
			continue
		}
		switch {
		case e.Type == "gc_end":
			ends++
			lastCycle = e.Cycle
		case e.Type == "stw" && strings.HasPrefix(e.Reason, "gc_"):
			pauses++
			total += e.DurationNS
		}
	}
	wantCycles, wantPauses := int(b.GCCycles-a.GCCycles), int(b.PauseCount-a.PauseCount)
	wantTotal := int64(b.PauseTotalNS - a.PauseTotalNS)
	d := fmt.Sprintf("gc_cycles=%d/%d pauses=%d/%d pause_total=%v/%v", ends, wantCycles, pauses, wantPauses,
		time.Duration(total), time.Duration(wantTotal))
	var errs []error
	if ends != wantCycles || lastCycle != int64(b.GCCycles) {
		errs = append(errs, fmt.Errorf("GC cycles %d (last #%d), runtime says %d (last #%d)", ends, lastCycle, wantCycles, b.GCCycles))
	}
	if pauses != wantPauses {
		errs = append(errs, fmt.Errorf("GC pauses %d, runtime says %d", pauses, wantPauses))
	}
	if wantTotal <= 0 || math.Abs(float64(total-wantTotal))/float64(wantTotal) > 0.05 {
		errs = append(errs, fmt.Errorf("pause total %v, runtime says %v (> 5%% apart)", time.Duration(total), time.Duration(wantTotal)))
	}
	return d, errors.Join(errs...)
}

var mechRe = regexp.MustCompile(`msg="bpf mechanisms" kernel=(\S+) attach=(\S+) memlock=(\S+) ring_buffer=(\S+)`)

// mechanisms checks that gopulse logged its mechanisms exactly once and
// that they suit the running kernel: uprobe_multi links from 6.6, per-offset
// perf-event uprobes before; the memlock limit removed before 5.11 (unless
// it was unlimited already), left alone from 5.11 on.
func mechanisms(stderr []string, extra []string) (string, error) {
	var found [][]string
	for _, l := range stderr {
		if m := mechRe.FindStringSubmatch(l); m != nil {
			found = append(found, m)
		}
	}
	if len(found) != 1 {
		return "", fmt.Errorf("%d start-up lines naming the mechanisms, want 1", len(found))
	}
	m := found[0]
	d := fmt.Sprintf("attach=%s memlock=%s", m[2], m[3])
	var maj, minor int
	if _, err := fmt.Sscanf(m[1], "%d.%d", &maj, &minor); err != nil {
		return d, fmt.Errorf("kernel release %q: %w", m[1], err)
	}
	v := maj*1000 + minor
	wantAttach := "perf_event"
	if v >= 6006 && len(extra) == 0 {
		wantAttach = "uprobe_multi"
	}
	if m[2] != wantAttach {
		return d, fmt.Errorf("kernel %s: attach=%s, want %s", m[1], m[2], wantAttach)
	}
	switch {
	case v < 5011 && m[3] != "rlimit_removed" && m[3] != "rlimit_unlimited":
		return d, fmt.Errorf("kernel %s charges BPF memory to RLIMIT_MEMLOCK but memlock=%s", m[1], m[3])
	case v >= 5011 && m[3] != "memcg" && m[3] != "rlimit_unlimited":
		return d, fmt.Errorf("kernel %s accounts BPF memory to the cgroup but memlock=%s", m[1], m[3])
	}
	if m[4] != "true" {
		return d, fmt.Errorf("ring_buffer=%s", m[4])
	}
	return d, nil
}

// gopulseCmd prepares gopulse with its stdout in a buffer and its stderr
// collected.
func gopulseCmd(ctx context.Context, gopulse string, args ...string) (*exec.Cmd, *bytes.Buffer, *lines, io.WriteCloser, error) {
	cmd := exec.CommandContext(ctx, gopulse, args...)
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 30 * time.Second
	var out bytes.Buffer
	cmd.Stdout = &out
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, nil, nil, nil, err
	}
	errPipe, err := cmd.StderrPipe()
	if err != nil {
		return nil, nil, nil, nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, nil, nil, nil, fmt.Errorf("start gopulse: %w", err)
	}
	return cmd, &out, collect(errPipe), in, nil
}

func exactExec(ctx context.Context, gopulse, target string, extra []string) (string, error) {
	// The target's stdin and stdout are gopulse's: "mark" goes in through
	// gopulse, the snapshots come back on its stderr.
	args := append(append([]string{"probe", "--json", "-v"}, extra...), "--exec", target, "-parked", "300")
	cmd, out, errs, in, err := gopulseCmd(ctx, gopulse, args...)
	if err != nil {
		return "", err
	}
	a, b, werr := window(ctx, in, errs.snaps)
	io.WriteString(in, "quit\n")
	in.Close()
	err = cmd.Wait()
	<-errs.done
	if werr != nil {
		return "", withLog(werr, errs)
	}
	if err != nil {
		return "", withLog(fmt.Errorf("gopulse probe --exec: %w%s%s", err, lastWords(errs), targetCrash(errs)), errs)
	}
	mech, merr := mechanisms(errs.text(), extra)
	pid, err := childPID(errs.text())
	if err != nil {
		return mech, err
	}
	d, err := compare(out.Bytes(), pid, a, b)
	return d + " " + mech, withLog(errors.Join(err, merr), errs)
}

var watchRe = regexp.MustCompile(`msg="watching process" pid=(\d+)`)

func childPID(stderr []string) (int, error) {
	for _, l := range stderr {
		if m := watchRe.FindStringSubmatch(l); m != nil {
			return strconv.Atoi(m[1])
		}
	}
	return 0, fmt.Errorf("gopulse -v did not log the watched process")
}

func exactPID(ctx context.Context, gopulse, target string, extra []string) (string, error) {
	tg := exec.CommandContext(ctx, target, "-parked", "300")
	tin, err := tg.StdinPipe()
	if err != nil {
		return "", err
	}
	tout, err := tg.StdoutPipe()
	if err != nil {
		return "", err
	}
	if err := tg.Start(); err != nil {
		return "", fmt.Errorf("start target: %w", err)
	}
	defer func() {
		io.WriteString(tin, "quit\n")
		tin.Close()
		tg.Wait()
	}()
	snaps := collect(tout)
	pid := tg.Process.Pid
	cmd, out, errs, in, err := gopulseCmd(ctx, gopulse, append(append([]string{"probe", "--json", "-v"}, extra...), "--pid", strconv.Itoa(pid))...)
	if err != nil {
		return "", err
	}
	defer in.Close()
	if err := errs.waitFor(ctx, fmt.Sprintf(`msg="watching process" pid=%d`, pid)); err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		return "", err
	}
	a, b, werr := window(ctx, tin, snaps.snaps)
	cmd.Process.Signal(os.Interrupt)
	err = cmd.Wait()
	<-errs.done
	if werr != nil {
		return "", werr
	}
	if err != nil {
		return "", withLog(fmt.Errorf("gopulse probe --pid: %w%s%s", err, lastWords(errs), targetCrash(errs)), errs)
	}
	mech, merr := mechanisms(errs.text(), extra)
	d, err := compare(out.Bytes(), pid, a, b)
	return d + " " + mech, withLog(errors.Join(err, merr), errs)
}

var tableHead = regexp.MustCompile(`trace_overhead=([0-9.]+)% duty=([0-9.]+)%`)

// traceBudget runs trace mode on a target that churns goroutines and leaks
// some: goroutine creations and exits are seen, the leaking site is
// flagged, and the overhead estimate stays within the budget on average
// (the criterion of probes.TestTraceMode).
func traceBudget(ctx context.Context, gopulse, target string, extra []string) (string, error) {
	const budget = 0.05
	const seconds = 15
	args := append(append([]string{"probe", "-v", "--trace", "--budget", fmt.Sprint(budget)}, extra...),
		"--exec", target, "-parked", "50", "-leak", "100", "-churnrate", "200")
	cmd := exec.CommandContext(ctx, gopulse, args...)
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 30 * time.Second
	outPipe, err := cmd.StdoutPipe()
	if err != nil {
		return "", err
	}
	errPipe, err := cmd.StderrPipe()
	if err != nil {
		return "", err
	}
	in, err := cmd.StdinPipe()
	if err != nil {
		return "", err
	}
	if err := cmd.Start(); err != nil {
		return "", err
	}
	out, errs := collect(outPipe), collect(errPipe)
	// One table per second: stop after `seconds` tables with an overhead.
	deadline := time.Now().Add(seconds * 4 * time.Second)
	for time.Now().Before(deadline) {
		n := 0
		for _, l := range out.text() {
			if tableHead.MatchString(l) {
				n++
			}
		}
		if n >= seconds {
			break
		}
		select {
		case <-ctx.Done():
		case <-time.After(200 * time.Millisecond):
		}
	}
	io.WriteString(in, "quit\n")
	in.Close()
	err = cmd.Wait()
	<-out.done
	<-errs.done
	if err != nil {
		return "", withLog(fmt.Errorf("gopulse probe --trace: %w%s%s", err, lastWords(errs), targetCrash(errs)), errs)
	}
	var overheads []float64
	var created, exited int64
	var suspects string
	for _, l := range out.text() {
		if m := tableHead.FindStringSubmatch(l); m != nil {
			o, _ := strconv.ParseFloat(m[1], 64)
			overheads = append(overheads, o/100)
			continue
		}
		// PID EXE GC/s STW STW_MAX STW_P99 SCHED_P50 SCHED_P99 G_LIVE G_NEW G_EXIT [LEAK_SUSPECTS]
		f := strings.Fields(l)
		if len(f) >= 11 && f[1] == filepath.Base(target) {
			c, err1 := strconv.ParseInt(f[9], 10, 64)
			x, err2 := strconv.ParseInt(f[10], 10, 64)
			if err1 == nil && err2 == nil {
				created, exited = max(created, c), max(exited, x)
			}
			if len(f) >= 12 {
				suspects = f[11]
			}
		}
	}
	mech, merr := mechanisms(errs.text(), extra)
	d := fmt.Sprintf("windows=%d created=%d exited=%d suspects=%s %s", len(overheads), created, exited, suspects, mech)
	var errsOut []error
	if len(overheads) < 5 {
		return d, fmt.Errorf("only %d trace-overhead windows reported", len(overheads))
	}
	var sum float64
	for _, o := range overheads[2:] {
		sum += o
	}
	mean := sum / float64(len(overheads)-2)
	d = fmt.Sprintf("overhead_mean=%.2f%% budget=%.0f%% ", 100*mean, 100*budget) + d
	if mean > 1.25*budget {
		errsOut = append(errsOut, fmt.Errorf("mean trace overhead %.2f%% over the %.0f%% budget (%v)", 100*mean, 100*budget, overheads))
	}
	if created == 0 || exited == 0 {
		errsOut = append(errsOut, fmt.Errorf("no goroutine events (created %d, exited %d)", created, exited))
	}
	if !strings.Contains(suspects, "main.leaker") || strings.Contains(suspects, "main.churnOnce") {
		errsOut = append(errsOut, fmt.Errorf("leak suspects %q, want main.leaker and not main.churnOnce", suspects))
	}
	return d, withLog(errors.Join(append(errsOut, merr)...), errs)
}
