//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gopulse/gopulse/internal/health"
)

// The failover drill's settings. The health windows are short so that the
// drill runs in minutes; everything else is a default (thresholds) or
// HAProxy's usual settings (see scripts/backends/haproxy-drill.cfg).
const (
	drillWindow        = time.Second
	drillWorsenAfter   = 2
	drillRecoverAfter  = 3
	drillAgentInter    = time.Second // agent-inter in haproxy-drill.cfg
	drillGrowthWindows = 10
	drillBackendCPU    = 0.5 // CPU limit of each backend (a 500m container)
	drillDrainHold     = 10  // windows
	drillRate          = 150 // requests per second, per cluster

	drillBaseline = 15 * time.Second
	drillSick     = 60 * time.Second
	drillAfter    = 10 * time.Second
	drillOscil    = 30 * time.Second
	drillBlipGap  = 2500 * time.Millisecond // 2.5 windows: no two bursts in adjacent windows

	// The acceptance figures.
	drillP99Ratio = 5.0
)

// drillBackend is one Go HTTP backend of the drill.
type drillBackend struct {
	name  string // g1…g3 (with gopulse), p1…p3 (without)
	port  int
	agent int // agent-check port (g* only)
	cmd   *exec.Cmd
}

func (b *drillBackend) addr() string { return "127.0.0.1:" + strconv.Itoa(b.port) }

func (b *drillBackend) mode(m string) error {
	resp, err := http.Post("http://"+b.addr()+"/admin/mode?m="+m, "text/plain", nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		body, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("%s mode %s: %d %s", b.name, m, resp.StatusCode, body)
	}
	return nil
}

// drillAgent is the real `gopulse agent` of the drill.
type drillAgent struct {
	t      *testing.T
	bin    string
	cfg    string
	pinDir string
	listen string
	out    *lockedBuffer
	cmd    *exec.Cmd
	exited chan error
}

func (a *drillAgent) start(takeover bool) {
	a.t.Helper()
	args := []string{"agent", "--config", a.cfg, "--pin-dir", a.pinDir}
	if takeover {
		args = append(args, "--takeover")
	}
	cmd := exec.Command(a.bin, args...)
	cmd.Stdout, cmd.Stderr = a.out, a.out
	if err := cmd.Start(); err != nil {
		a.t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	a.cmd, a.exited = cmd, exited
}

// stop ends the running agent (SIGINT, then SIGKILL).
func (a *drillAgent) stop() {
	if a.cmd == nil {
		return
	}
	a.cmd.Process.Signal(os.Interrupt)
	select {
	case <-a.exited:
	case <-time.After(30 * time.Second):
		a.cmd.Process.Kill()
		<-a.exited
	}
	a.cmd = nil
}

func (a *drillAgent) health(pid int) (health.Status, error) {
	resp, err := http.Get(fmt.Sprintf("http://%s/v1/health?pid=%d", a.listen, pid))
	if err != nil {
		return health.Status{}, err
	}
	defer resp.Body.Close()
	var rep health.Report
	if err := json.NewDecoder(resp.Body).Decode(&rep); err != nil {
		return health.Status{}, err
	}
	if len(rep.Processes) != 1 {
		return health.Status{}, fmt.Errorf("pid %d: %d %s", pid, resp.StatusCode, rep.Error)
	}
	return rep.Processes[0], nil
}

// phase is a named stretch of the drill.
type phase struct {
	name     string
	from, to time.Time
}

// TestFailoverDrill: HAProxy with gopulse's agent-check drains a Go backend
// whose runtime turns sick in ways its /healthz does not show, before its
// users notice, and restores it when it recovers; side by side with the
// same cluster behind HAProxy's plain /healthz check. Then flap-freedom: a
// backend oscillating around the thresholds, and the agent killed with
// kill -9, restarted and replaced with --takeover in steady state. See
// docs/failover.md.
func TestFailoverDrill(t *testing.T) {
	env(t, "GOPULSE_E2E_BACKENDS") // backends(…) runs it
	if os.Geteuid() != 0 {
		if os.Getenv("CI") == "true" {
			t.Fatal("the agent attaches uprobes and needs root on CI")
		}
		t.Skip("the agent attaches uprobes and needs root")
	}
	dir := t.TempDir()
	logDir := filepath.Join(dir, "logs")
	if err := os.MkdirAll(logDir, 0o755); err != nil {
		t.Fatal(err)
	}
	gopulse := buildBinary(t, "../cmd/gopulse")
	backendBin := buildBinary(t, "./drillbackend")
	cg, err := newCPUGroups(fmt.Sprintf("gopulse-drill-%d", os.Getpid()))
	if err != nil {
		t.Fatalf("%v: the drill runs its backends in CPU cgroups", err)
	}
	t.Cleanup(cg.close)
	if err := cg.join(os.Getpid(), "self", 0); err != nil { // and so the agent and HAProxy
		t.Fatal(err)
	}

	ports := newDrillPorts()
	freePort := ports.port
	// Six backends, each its own executable (copy) so that each is its own
	// service and its log file (NAME.log) counts for it alone.
	var bes []*drillBackend
	for _, name := range []string{"g1", "g2", "g3", "p1", "p2", "p3"} {
		b := &drillBackend{name: name, port: freePort(t)}
		if name[0] == 'g' {
			b.agent = freePort(t)
		}
		exe := filepath.Join(dir, "drill-"+name)
		copyFile(t, backendBin, exe)
		b.cmd = exec.Command(exe, "-listen", b.addr(), "-name", name, "-log", filepath.Join(logDir, "drill-"+name+".log"))
		// Each backend stands for one on a machine of its own: a container
		// with a CPU limit (drillBackendCPU, in a cgroup) and one P, so
		// that a sick one burns its own quota, not its neighbours' share of
		// this machine's two cores.
		b.cmd.Env = append(os.Environ(), "GOMAXPROCS=1")
		b.cmd.Stdout, b.cmd.Stderr = io.Discard, os.Stderr
		if err := b.cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { b.cmd.Process.Kill(); b.cmd.Wait() })
		if err := cg.join(b.cmd.Process.Pid, name, drillBackendCPU); err != nil {
			t.Fatal(err)
		}
		bes = append(bes, b)
	}
	byName := map[string]*drillBackend{}
	for _, b := range bes {
		byName[b.name] = b
		eventually(t, 10*time.Second, b.name+" /healthz", func() error {
			resp, err := http.Get("http://" + b.addr() + "/healthz")
			if err == nil {
				resp.Body.Close()
			}
			return err
		})
	}

	// The agent: checks for g1…g3 by their listening port.
	listen := "127.0.0.1:" + strconv.Itoa(freePort(t))
	var checks strings.Builder
	for _, b := range bes[:3] {
		fmt.Fprintf(&checks, "  - {name: %s, agent_check: \"127.0.0.1:%d\", port: %d}\n", b.name, b.agent, b.port)
	}
	cfgFile := filepath.Join(dir, "gopulse.yaml")
	if err := os.WriteFile(cfgFile, []byte(fmt.Sprintf(`listen: %s
state_dir: %s
probes: {mode: default, sample_interval: 500ms, min_age: 1s}
logs: {paths: ["%s/*.log"], poll_interval: 100ms, start_at: end}
kubernetes: {enabled: false}
health:
  window: %s
  worsen_after: %d
  recover_after: %d
  # Growth watched over 10 s, as the default 3 windows of 10 s watch 30 s.
  goroutine_growth: {windows: %d}
  # A drained backend gets no traffic and looks quiet: not restored within
  # 10 s of its drain (docs/failover.md).
  drain_hold: %d
checks:
%s`, listen, filepath.Join(dir, "state"), logDir, drillWindow, drillWorsenAfter, drillRecoverAfter, drillGrowthWindows, drillDrainHold, checks.String())), 0o644); err != nil {
		t.Fatal(err)
	}
	agent := &drillAgent{t: t, bin: gopulse, cfg: cfgFile, listen: listen, out: &lockedBuffer{},
		pinDir: fmt.Sprintf("/sys/fs/bpf/gopulse-drill-%d", os.Getpid())}
	agent.start(false)
	t.Cleanup(func() {
		agent.stop()
		os.RemoveAll(agent.pinDir)
		if t.Failed() {
			t.Logf("agent output (last 8 KiB):\n%s", tail(agent.out.String(), 8<<10))
		}
	})
	// Every backend measured and healthy; the checks answer ready.
	eventually(t, 60*time.Second, "every backend measured healthy", func() error {
		for _, b := range bes {
			st, err := agent.health(b.cmd.Process.Pid)
			if err != nil {
				return err
			}
			if st.State != health.Healthy {
				return fmt.Errorf("%s: %s %v", b.name, st.State, st.Reasons)
			}
		}
		for _, b := range bes[:3] {
			if l, err := agentReply(fmt.Sprintf("127.0.0.1:%d", b.agent)); err != nil || !strings.HasPrefix(l, "ready 100%") {
				return fmt.Errorf("%s agent-check: %q %v", b.name, l, err)
			}
		}
		return nil
	})

	// HAProxy, from the project's script, in this test's run dir.
	run := filepath.Join(dir, "haproxy")
	hEnv := []string{"GOPULSE_BACKENDS_RUN=" + run}
	fePort, plainPort := freePort(t), freePort(t)
	hEnv = append(hEnv, "HAPROXY_MONITOR_PORT="+strconv.Itoa(freePort(t)),
		"HAPROXY_GOPULSE_PORT="+strconv.Itoa(fePort), "HAPROXY_PLAIN_PORT="+strconv.Itoa(plainPort))
	for _, b := range bes {
		u := strings.ToUpper(b.name)
		hEnv = append(hEnv, fmt.Sprintf("HAPROXY_%s_PORT=%d", u, b.port))
		if b.agent != 0 {
			hEnv = append(hEnv, fmt.Sprintf("HAPROXY_%s_AGENT_PORT=%d", u, b.agent))
		}
	}
	backends(t, hEnv, "start", "haproxy")
	t.Cleanup(func() {
		if t.Failed() {
			if b, err := os.ReadFile(filepath.Join(run, "haproxy.log")); err == nil {
				t.Logf("haproxy log (last 8 KiB):\n%s", tail(string(b), 8<<10))
			}
		}
		backends(t, hEnv, "stop", "haproxy")
	})
	sock := filepath.Join(run, "haproxy.sock")
	rec := recordStates(sock, 50*time.Millisecond, "be_gopulse", "be_plain")
	defer rec.close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	for _, b := range bes {
		if _, err := rec.waitState(ctx, b.name, srvState.ready); err != nil {
			cancel()
			t.Fatalf("haproxy: %v", err)
		}
	}
	cancel()

	// Timing figures on a machine busy with something else mean little:
	// wait (a while) for it to calm down.
	quiet := float64(2 * runtime.NumCPU())
	loadAtStart := loadAvg()
	for deadline := time.Now().Add(2 * time.Minute); loadAtStart > quiet && time.Now().Before(deadline); loadAtStart = loadAvg() {
		t.Logf("load average %.1f > %.0f: waiting for the machine to calm down", loadAtStart, quiet)
		time.Sleep(15 * time.Second)
	}

	// The load, on both clusters at once, for the whole drill.
	start := time.Now()
	total := int((4 * time.Minute).Seconds()) * drillRate
	loadG := startLoad(fmt.Sprintf("http://127.0.0.1:%d/work", fePort), drillRate, total)
	loadP := startLoad(fmt.Sprintf("http://127.0.0.1:%d/work", plainPort), drillRate, total)
	var phases []phase
	mark := func(name string, from time.Time) { phases = append(phases, phase{name, from, time.Now()}) }
	sleep := func(d time.Duration) { time.Sleep(d) }

	// A timeline of the sick backends' verdicts and signals, for the log.
	watchCtx, stopWatch := context.WithCancel(context.Background())
	watchDone := make(chan struct{})
	go func() {
		defer close(watchDone)
		for watchCtx.Err() == nil {
			for _, name := range []string{"g2", "p2"} {
				if st, err := agent.health(byName[name].cmd.Process.Pid); err == nil {
					s := st.Signals
					t.Logf("+%5.1fs %s %-9s drained=%-5v stw99=%.1fms gc=%d gccpu=%.2f sched99=%.1fms g=%d grow=%d lines=%d err=%d new=%d",
						time.Since(start).Seconds(), name, st.State, st.Drained, s.STWP99*1e3, s.GCCycles, s.GCCPU, s.SchedP99*1e3,
						s.Goroutines, s.Growth, s.LogLines, s.Errors, s.NewErrors)
				}
			}
			select {
			case <-watchCtx.Done():
			case <-time.After(drillWindow):
			}
		}
	}()

	sleep(drillBaseline)
	mark("baseline", start)

	// Sick: g2 and p2 at the same moment.
	sickAt := time.Now()
	both(t, func() error { return byName["g2"].mode("sick") }, func() error { return byName["p2"].mode("sick") })
	ctx, cancel = context.WithTimeout(context.Background(), drillSick)
	drainedAt, drainErr := rec.waitState(ctx, "g2", srvState.drained)
	cancel()
	var drainReasons []string
	if st, err := agent.health(byName["g2"].cmd.Process.Pid); err == nil {
		for _, r := range st.Reasons {
			drainReasons = append(drainReasons, r.String())
		}
	}
	sleep(time.Until(sickAt.Add(drillSick)))
	mark("sick", sickAt)

	// Recovery: until gopulse restores g2 (at most 40 s), then a steady
	// stretch.
	recAt := time.Now()
	both(t, func() error { return byName["g2"].mode("healthy") }, func() error { return byName["p2"].mode("healthy") })
	ctx, cancel = context.WithTimeout(context.Background(), 40*time.Second)
	restoredAt, restoreErr := rec.waitState(ctx, "g2", srvState.ready)
	cancel()
	mark("recovery", recAt)
	afterAt := time.Now()
	sleep(drillAfter)
	mark("after", afterAt)
	stopWatch()
	<-watchDone

	// Flap-freedom 1: g3 oscillates around the thresholds — a burst of
	// error lines (unhealthy for the window it lands in) every 2.5 windows,
	// for 30 s.
	oscAt := time.Now()
	blips := 0
	for time.Since(oscAt) < drillOscil {
		if err := byName["g3"].mode("blip"); err != nil {
			t.Fatal(err)
		}
		blips++
		sleep(drillBlipGap)
	}
	// The verdict may still move while the last windows close.
	settle := time.Duration(drillRecoverAfter+2) * drillWindow
	sleep(settle)
	ctx, cancel = context.WithTimeout(context.Background(), 30*time.Second)
	_, oscErr := rec.waitState(ctx, "g3", srvState.ready)
	cancel()
	oscEnd := time.Now()
	mark("oscillation", oscAt)
	oscChanges := rec.changesOf(oscAt, oscEnd, "g3")

	// Flap-freedom 2: the agent is killed with kill -9 in steady state,
	// restarted (plain start: every process is unknown until measured), and
	// then replaced with --takeover (the verdicts are handed over). No
	// HAProxy server state may move.
	steadyAt := time.Now()
	before, err := serverStates(sock, "be_gopulse")
	if err != nil {
		t.Fatal(err)
	}
	agent.cmd.Process.Signal(syscall.SIGKILL)
	<-agent.exited
	agent.cmd = nil
	killedAt := time.Now()
	sleep(3 * drillAgentInter) // HAProxy's agent checks fail meanwhile
	agent.start(false)
	var firstAfterRestart []string
	eventually(t, 30*time.Second, "the restarted agent's checks", func() error {
		for _, b := range bes[:3] {
			l, err := agentReply(fmt.Sprintf("127.0.0.1:%d", b.agent))
			if err != nil {
				return err
			}
			if len(firstAfterRestart) < 3 {
				firstAfterRestart = append(firstAfterRestart, b.name+": "+strings.TrimSpace(l))
			}
			if !strings.HasPrefix(l, "ready 100%") {
				return fmt.Errorf("%s: %q", b.name, l)
			}
		}
		return nil
	})
	restartedAt := time.Now()
	sleep(3 * drillAgentInter)
	// Takeover: the old agent hands over; the new one answers with the
	// handed-over verdicts from its first reply.
	oldExited := agent.exited
	agent.start(true)
	select {
	case <-oldExited:
	case <-time.After(60 * time.Second):
		t.Fatalf("the old agent did not hand over\n%s", tail(agent.out.String(), 4<<10))
	}
	var takeoverReplies []string
	eventually(t, 30*time.Second, "the successor's checks", func() error {
		for _, b := range bes[:3] {
			l, err := agentReply(fmt.Sprintf("127.0.0.1:%d", b.agent))
			if err != nil {
				return err
			}
			if len(takeoverReplies) < 3 {
				takeoverReplies = append(takeoverReplies, b.name+": "+strings.TrimSpace(l))
			}
		}
		return nil
	})
	sleep(3 * drillAgentInter)
	restartEnd := time.Now()
	mark("agent restarts", steadyAt)
	restartChanges := rec.changesOf(steadyAt, restartEnd, "g1", "g2", "g3")
	after, err := serverStates(sock, "be_gopulse")
	if err != nil {
		t.Fatal(err)
	}

	resG, resP := loadG.finish(), loadP.finish()
	elapsed := time.Since(start)
	// Per-second client latency, for the log.
	for _, ph := range phases {
		var others []result // the requests the healthy backends answered
		for _, r := range resG {
			if r.Backend != "g2" {
				others = append(others, r)
			}
		}
		s := statsOf(others, ph.from, ph.to, "")
		var sick []result // the requests the sick backend answered, without gopulse
		for _, r := range resP {
			if r.Backend == "p2" {
				sick = append(sick, r)
			}
		}
		k := statsOf(sick, ph.from, ph.to, "")
		t.Logf("%s: with gopulse, g1 and g3 only: p50 %s p99 %s p99.9 %s; without, p2 only: p50 %s p99 %s p99.9 %s",
			ph.name, ms(s.P50), ms(s.P99), ms(s.P999), ms(k.P50), ms(k.P99), ms(k.P999))
	}
	for sec := 0; sec < int(elapsed.Seconds()); sec++ {
		from := start.Add(time.Duration(sec) * time.Second)
		g, p := statsOf(resG, from, from.Add(time.Second), "g2"), statsOf(resP, from, from.Add(time.Second), "p2")
		t.Logf("t=%3ds with: n=%3d fail=%d p50=%-8s p99=%-8s sick=%3.0f%% | without: n=%3d fail=%d p50=%-8s p99=%-8s sick=%3.0f%%",
			sec, g.Requests, g.Failed, ms(g.P50), ms(g.P99), 100*g.SickShare, p.Requests, p.Failed, ms(p.P50), ms(p.P99), 100*p.SickShare)
	}

	// The table.
	var tb strings.Builder
	fmt.Fprintf(&tb, "Failover drill: HAProxy %s, 3+3 Go backends (GOMAXPROCS=1, %g CPU each), %d req/s per cluster (open loop), window %s, worsen_after %d, recover_after %d, agent-inter %s; %s in all, load average %.1f at the start, %.1f at the end\n\n",
		haproxyVersion(), drillBackendCPU, drillRate, drillWindow, drillWorsenAfter, drillRecoverAfter, drillAgentInter, elapsed.Round(time.Second), loadAtStart, loadAvg())
	fmt.Fprintf(&tb, "| phase | cluster | requests | failed | p50 | p99 | p99.9 | sick backend's share |\n|---|---|---|---|---|---|---|---|\n")
	stats := map[string]map[string]phaseStats{}
	for _, ph := range phases {
		stats[ph.name] = map[string]phaseStats{}
		for _, c := range []struct {
			name string
			rs   []result
			sick string
		}{{"with gopulse", resG, "g2"}, {"without", resP, "p2"}} {
			s := statsOf(c.rs, ph.from, ph.to, c.sick)
			stats[ph.name][c.name] = s
			fmt.Fprintf(&tb, "| %s (%s) | %s | %d | %d | %s | %s | %s | %.1f%% |\n", ph.name, ph.to.Sub(ph.from).Round(time.Second),
				c.name, s.Requests, s.Failed, ms(s.P50), ms(s.P99), ms(s.P999), 100*s.SickShare)
		}
	}
	fmt.Fprintf(&tb, "\n")
	if drainErr == nil {
		fmt.Fprintf(&tb, "- sick → drained (HAProxy g2 DRAIN): %s; reasons: %s\n", drainedAt.Sub(sickAt).Round(10*time.Millisecond), strings.Join(drainReasons, "; "))
	} else {
		fmt.Fprintf(&tb, "- sick → drained: NEVER (%v)\n", drainErr)
	}
	if restoreErr == nil {
		fmt.Fprintf(&tb, "- recovered → restored (HAProxy g2 ready, weight 100): %s\n", restoredAt.Sub(recAt).Round(10*time.Millisecond))
	} else {
		fmt.Fprintf(&tb, "- recovered → restored: NEVER (%v)\n", restoreErr)
	}
	for _, c := range rec.changesOf(start, oscAt) {
		fmt.Fprintf(&tb, "- HAProxy: %s %s → %s at +%s\n", c.Server, c.From, c.To, c.At.Sub(start).Round(100*time.Millisecond))
	}
	for _, ph := range phases {
		for _, cl := range []string{"with gopulse", "without"} {
			if s := stats[ph.name][cl]; s.Failed > 0 {
				fmt.Fprintf(&tb, "- %s, %s: failed requests, e.g. %s\n", ph.name, cl, strings.Join(s.FailedExamples, "; "))
			}
		}
	}
	oscBound := 2 * int((drillOscil+settle+time.Duration(drillWorsenAfter+drillRecoverAfter)*drillWindow-1)/(time.Duration(drillWorsenAfter+drillRecoverAfter)*drillWindow))
	fmt.Fprintf(&tb, "- oscillation: %d error bursts on g3 in %s; HAProxy state changes of g3: %d (hysteresis bound %d)", blips, drillOscil, len(oscChanges), oscBound)
	for _, c := range oscChanges {
		fmt.Fprintf(&tb, "; %s→%s at +%s", c.From, c.To, c.At.Sub(oscAt).Round(100*time.Millisecond))
	}
	fmt.Fprintf(&tb, "\n- agent kill -9 at +%s, restarted, checks ready again after %s (first replies: %s); takeover replies: %s; HAProxy state changes of g1–g3 meanwhile: %d\n",
		killedAt.Sub(steadyAt).Round(100*time.Millisecond), restartedAt.Sub(killedAt).Round(100*time.Millisecond),
		strings.Join(firstAfterRestart, ", "), strings.Join(takeoverReplies, ", "), len(restartChanges))
	// The agent's decisions about the drill's backends, for the log.
	for _, l := range strings.Split(agent.out.String(), "\n") {
		if strings.Contains(l, "service=drill-") && strings.Contains(l, "health changed") || strings.Contains(l, "check answer changed") {
			t.Log(l)
		}
	}
	report := tb.String()
	t.Log("\n" + report)
	if f := os.Getenv("GOPULSE_DRILL_REPORT"); f != "" {
		if err := os.WriteFile(f, []byte(report), 0o644); err != nil {
			t.Error(err)
		}
	}

	// The acceptance figures.
	if drainErr != nil {
		t.Errorf("the sick backend was never drained: %v", drainErr)
	} else if lim := time.Duration(drillWorsenAfter+2)*drillWindow + drillAgentInter + time.Second; drainedAt.Sub(sickAt) > lim {
		// worsen_after windows, the window in progress, one more for the
		// signals to build, one agent-inter, a second of slack.
		t.Errorf("drained %s after the backend turned sick, want ≤ %s", drainedAt.Sub(sickAt), lim)
	}
	if restoreErr != nil {
		t.Errorf("the recovered backend was never restored: %v", restoreErr)
	} else if lim := time.Duration(2*drillRecoverAfter+2)*drillWindow + drillAgentInter + 3*time.Second; restoredAt.Sub(recAt) > lim {
		// recover_after windows twice (the way back may pass through
		// degraded), the window in progress, one for the heap and the
		// goroutines to be released, one agent-inter, slack for the GC to
		// free the sick heap.
		t.Errorf("restored %s after recovery, want ≤ %s", restoredAt.Sub(recAt), lim)
	}
	sg, sp := stats["sick"]["with gopulse"], stats["sick"]["without"]
	if sg.P99 <= 0 || float64(sp.P99)/float64(sg.P99) < drillP99Ratio {
		t.Errorf("sick-phase p99: %s with gopulse, %s without: ratio %.1f, want ≥ %.0f", sg.P99, sp.P99, float64(sp.P99)/float64(sg.P99), drillP99Ratio)
	}
	for _, ph := range phases {
		if s := stats[ph.name]["with gopulse"]; s.Failed > 0 {
			t.Errorf("%s: %d requests failed with gopulse: %v", ph.name, s.Failed, s.FailedExamples)
		}
	}
	if len(oscChanges) > oscBound {
		t.Errorf("the oscillating backend changed state %d times, hysteresis allows %d", len(oscChanges), oscBound)
	}
	if oscErr != nil {
		t.Errorf("g3 did not settle ready after the oscillation: %v", oscErr)
	}
	if len(restartChanges) > 0 {
		t.Errorf("agent restarts changed HAProxy server states: %+v", restartChanges)
	}
	for name, s := range before {
		if after[name] != s {
			t.Errorf("%s: %s before the agent restarts, %s after", name, s, after[name])
		}
	}
	for _, l := range takeoverReplies {
		if !strings.Contains(l, "ready 100%") {
			t.Errorf("after the takeover: %s (want the handed-over verdict at once)", l)
		}
	}
	if rec.errs > 0 {
		t.Logf("%d failed reads of the haproxy socket", rec.errs)
	}
}

// both runs two actions at once.
func both(t *testing.T, f, g func() error) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, fn := range []func() error{f, g} {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = fn() }()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

// drillPorts hands out the drill's fixed ports. They are picked below the
// kernel's ephemeral range (net.ipv4.ip_local_port_range): a port taken with
// ":0" is free when picked but may be the local port of one of the
// thousands of outgoing connections (the load, the checks) by the time the
// agent or HAProxy binds it, seconds later. Each port is checked free when
// handed out, and never handed out twice.
type drillPorts struct {
	used map[int]bool
	lo   int // the ephemeral range's lower end
	next int
}

func newDrillPorts() *drillPorts {
	lo := 32768
	if b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		if f := strings.Fields(string(b)); len(f) == 2 {
			if n, err := strconv.Atoi(f[0]); err == nil && n > 2048 {
				lo = n
			}
		}
	}
	// Start at a point that depends on the process, so that two drills at
	// once do not walk the same ports.
	base := 1024 + (lo-1024)/2
	return &drillPorts{used: map[int]bool{}, lo: lo, next: base + os.Getpid()%((lo-base)/2)}
}

func (d *drillPorts) port(t *testing.T) int {
	t.Helper()
	for range d.lo {
		p := d.next
		d.next++
		if d.next >= d.lo {
			d.next = 1024 + (d.lo-1024)/2
		}
		if d.used[p] {
			continue
		}
		l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p))
		if err != nil {
			continue
		}
		l.Close()
		d.used[p] = true
		return p
	}
	t.Fatalf("no free port below %d", d.lo)
	return 0
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o755); err != nil {
		t.Fatal(err)
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

func haproxyVersion() string {
	out, err := exec.Command("haproxy", "-v").Output()
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(out))
	if len(f) >= 3 {
		return f[2]
	}
	return "?"
}
