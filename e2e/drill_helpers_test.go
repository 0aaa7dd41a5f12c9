//go:build e2e

package e2e

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// ---------------------------------------------------------------- HAProxy

// srvState is one HAProxy server's state, from `show servers state`.
type srvState struct {
	Op     int // srv_op_state: 0 stopped, 1 starting, 2 running, 3 stopping
	Admin  int // srv_admin_state flags: 0 ready; 0x08 drained (forced, as by an agent), 0x01 maint…
	Weight int // srv_uweight
}

func (s srvState) String() string {
	op := map[int]string{0: "DOWN", 1: "STARTING", 2: "UP", 3: "STOPPING"}[s.Op]
	adm := "ready"
	switch {
	case s.Admin&0x18 != 0:
		adm = "DRAIN"
	case s.Admin != 0:
		adm = fmt.Sprintf("admin=%#x", s.Admin)
	}
	return fmt.Sprintf("%s/%s/w%d", op, adm, s.Weight)
}

func (s srvState) drained() bool { return s.Admin&0x18 != 0 }

// ready: up, no admin flag, full weight.
func (s srvState) ready() bool { return s.Op == 2 && s.Admin == 0 && s.Weight == 100 }

// haproxyCmd sends one command to the admin socket and returns the reply.
func haproxyCmd(sock, cmd string) (string, error) {
	c, err := net.DialTimeout("unix", sock, 2*time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, cmd+"\n"); err != nil {
		return "", err
	}
	b, err := io.ReadAll(c)
	return string(b), err
}

// serverStates reads every server of the backends.
func serverStates(sock string, backends ...string) (map[string]srvState, error) {
	out := map[string]srvState{}
	for _, be := range backends {
		reply, err := haproxyCmd(sock, "show servers state "+be)
		if err != nil {
			return nil, err
		}
		var cols []string
		for _, line := range strings.Split(reply, "\n") {
			if h, ok := strings.CutPrefix(line, "# "); ok {
				cols = strings.Fields(h)
				continue
			}
			f := strings.Fields(line)
			if len(cols) == 0 || len(f) < len(cols) {
				continue
			}
			val := func(name string) int {
				i := slices.Index(cols, name)
				if i < 0 {
					return -1
				}
				n, _ := strconv.Atoi(f[i])
				return n
			}
			name := f[slices.Index(cols, "srv_name")]
			out[name] = srvState{Op: val("srv_op_state"), Admin: val("srv_admin_state"), Weight: val("srv_uweight")}
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no servers in %v", backends)
	}
	return out, nil
}

// stateChange is a server state seen to change.
type stateChange struct {
	At       time.Time
	Server   string
	From, To srvState
}

// stateRecorder polls the servers' states and keeps every change.
type stateRecorder struct {
	mu      sync.Mutex
	cur     map[string]srvState
	changes []stateChange
	errs    int
	stop    context.CancelFunc
	done    chan struct{}
}

func recordStates(sock string, every time.Duration, backends ...string) *stateRecorder {
	ctx, cancel := context.WithCancel(context.Background())
	r := &stateRecorder{stop: cancel, done: make(chan struct{})}
	go func() {
		defer close(r.done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			st, err := serverStates(sock, backends...)
			now := time.Now()
			r.mu.Lock()
			if err != nil {
				r.errs++
			} else {
				for name, s := range st {
					if old, ok := r.cur[name]; ok && old != s {
						r.changes = append(r.changes, stateChange{At: now, Server: name, From: old, To: s})
					}
				}
				r.cur = st
			}
			r.mu.Unlock()
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return r
}

func (r *stateRecorder) close() { r.stop(); <-r.done }

func (r *stateRecorder) state(server string) srvState {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.cur[server]
}

// changesOf returns the changes of servers (all when none named) in [from, to).
func (r *stateRecorder) changesOf(from, to time.Time, servers ...string) []stateChange {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []stateChange
	for _, c := range r.changes {
		if c.At.Before(from) || !c.At.Before(to) || len(servers) > 0 && !slices.Contains(servers, c.Server) {
			continue
		}
		out = append(out, c)
	}
	return out
}

// waitState waits until cond holds for server, and returns when it was
// first seen to.
func (r *stateRecorder) waitState(ctx context.Context, server string, cond func(srvState) bool) (time.Time, error) {
	for {
		r.mu.Lock()
		s, ok := r.cur[server]
		r.mu.Unlock()
		if ok && cond(s) {
			return time.Now(), nil
		}
		select {
		case <-ctx.Done():
			return time.Time{}, fmt.Errorf("server %s: still %v: %w", server, s, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// agentReply reads one agent-check reply, as HAProxy does.
func agentReply(addr string) (string, error) {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(3 * time.Second))
	return bufio.NewReader(c).ReadString('\n')
}

// ---------------------------------------------------------------- load

// result is one client request.
type result struct {
	Start   time.Time
	Dur     time.Duration
	Backend string // X-Backend of the answer
	Err     string // "" when it got a 200
}

// loadGen sends GET url at a fixed rate (open loop: the schedule does not
// wait for answers), at most maxInFlight at once, until stopped or total
// requests were sent.
type loadGen struct {
	url         string
	rate        int
	total       int
	maxInFlight int
	client      *http.Client

	mu      sync.Mutex
	results []result
	stop    context.CancelFunc
	done    chan struct{}
	wg      sync.WaitGroup
}

func startLoad(url string, rate, total int) *loadGen {
	tr := &http.Transport{MaxIdleConnsPerHost: 512, IdleConnTimeout: 30 * time.Second,
		DialContext: (&net.Dialer{Timeout: 2 * time.Second}).DialContext}
	g := &loadGen{url: url, rate: rate, total: total, maxInFlight: 2000,
		client: &http.Client{Transport: tr, Timeout: 10 * time.Second}, done: make(chan struct{}),
		results: make([]result, 0, total)}
	ctx, cancel := context.WithCancel(context.Background())
	g.stop = cancel
	go g.run(ctx)
	return g
}

func (g *loadGen) run(ctx context.Context) {
	defer close(g.done)
	sem := make(chan struct{}, g.maxInFlight)
	interval := time.Second / time.Duration(g.rate)
	start := time.Now()
	for i := 0; i < g.total; i++ {
		next := start.Add(time.Duration(i) * interval)
		if d := time.Until(next); d > 0 {
			select {
			case <-ctx.Done():
				g.wg.Wait()
				return
			case <-time.After(d):
			}
		}
		select {
		case sem <- struct{}{}:
		default:
			g.add(result{Start: time.Now(), Err: "not sent: too many requests in flight"})
			continue
		}
		g.wg.Add(1)
		go func() {
			defer g.wg.Done()
			defer func() { <-sem }()
			g.add(g.one())
		}()
	}
	g.wg.Wait()
}

func (g *loadGen) one() result {
	r := result{Start: time.Now()}
	resp, err := g.client.Get(g.url)
	if err != nil {
		r.Dur, r.Err = time.Since(r.Start), err.Error()
		return r
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	r.Dur = time.Since(r.Start)
	r.Backend = resp.Header.Get("X-Backend")
	switch {
	case err != nil:
		r.Err = "body: " + err.Error()
	case resp.StatusCode != http.StatusOK:
		r.Err = "status " + strconv.Itoa(resp.StatusCode)
	}
	return r
}

func (g *loadGen) add(r result) {
	g.mu.Lock()
	g.results = append(g.results, r)
	g.mu.Unlock()
}

// finish stops sending and waits for the answers in flight.
func (g *loadGen) finish() []result {
	g.stop()
	<-g.done
	g.mu.Lock()
	defer g.mu.Unlock()
	return slices.Clone(g.results)
}

// ---------------------------------------------------------------- figures

// phaseStats are the client's figures over the requests started in a phase.
type phaseStats struct {
	Requests, Failed int
	P50, P99, P999   time.Duration
	SickShare        float64 // share of the answered requests served by the sick backend
	FailedExamples   []string
}

func statsOf(rs []result, from, to time.Time, sick string) phaseStats {
	var s phaseStats
	var lat []time.Duration
	answered, onSick := 0, 0
	for _, r := range rs {
		if r.Start.Before(from) || !r.Start.Before(to) {
			continue
		}
		s.Requests++
		// A failed request counts with its time spent (a timeout is as slow
		// as it gets for the user).
		lat = append(lat, r.Dur)
		if r.Err != "" {
			s.Failed++
			if len(s.FailedExamples) < 3 {
				s.FailedExamples = append(s.FailedExamples, r.Err)
			}
			continue
		}
		answered++
		if r.Backend == sick {
			onSick++
		}
	}
	slices.Sort(lat)
	q := func(p float64) time.Duration {
		if len(lat) == 0 {
			return 0
		}
		i := int(math.Ceil(p*float64(len(lat)))) - 1
		return lat[max(0, min(i, len(lat)-1))]
	}
	s.P50, s.P99, s.P999 = q(0.50), q(0.99), q(0.999)
	if answered > 0 {
		s.SickShare = float64(onSick) / float64(answered)
	}
	return s
}

func ms(d time.Duration) string {
	switch {
	case d == 0:
		return "–"
	case d < 10*time.Millisecond:
		return fmt.Sprintf("%.1f ms", float64(d)/1e6)
	default:
		return fmt.Sprintf("%.0f ms", float64(d)/1e6)
	}
}

// ---------------------------------------------------------------- CPU

// cpuGroups are the drill's CPU cgroups: one parent with a large CPU weight,
// so that unrelated jobs on the machine do not decide the drill's latency
// figures (on a dedicated machine this changes nothing), holding a leaf
// for the test process itself (and the agent and HAProxy it starts) and one
// leaf per backend with a CPU quota, the limit of a container: the
// backends, which share this machine, stand for backends on machines of
// their own, where a sick one burns its own quota and not its neighbours'
// CPU. It uses the cgroup v2 cpu controller when there is one, else v1's.
type cpuGroups struct {
	dir    string
	v2     bool
	back   string // the test process's cgroup before, to return to
	leaves []string
}

const cpuPeriod = 100000

func newCPUGroups(name string) (*cpuGroups, error) {
	var errs []string
	for _, root := range []string{"/sys/fs/cgroup", "/sys/fs/cgroup/unified"} {
		ctrl, err := os.ReadFile(filepath.Join(root, "cgroup.controllers"))
		if err != nil || !slices.Contains(strings.Fields(string(ctrl)), "cpu") {
			continue
		}
		g := &cpuGroups{dir: filepath.Join(root, name), v2: true, back: root}
		if err := g.setup(map[string]string{"cpu.weight": "1000"}, filepath.Join(root, "cgroup.subtree_control")); err == nil {
			return g, nil
		} else {
			errs = append(errs, err.Error())
		}
	}
	if _, err := os.Stat("/sys/fs/cgroup/cpu/cpu.shares"); err == nil {
		g := &cpuGroups{dir: filepath.Join("/sys/fs/cgroup/cpu", name), back: "/sys/fs/cgroup/cpu"}
		if err := g.setup(map[string]string{"cpu.shares": "10240"}, ""); err == nil {
			return g, nil
		} else {
			errs = append(errs, err.Error())
		}
	}
	if len(errs) == 0 {
		errs = append(errs, "no cgroup cpu controller (v2 or v1) found")
	}
	return nil, fmt.Errorf("cpu cgroups: %s", strings.Join(errs, "; "))
}

func (g *cpuGroups) setup(files map[string]string, rootSubtree string) error {
	if rootSubtree != "" {
		if err := os.WriteFile(rootSubtree, []byte("+cpu"), 0o644); err != nil {
			return fmt.Errorf("%s: %w", rootSubtree, err)
		}
	}
	if err := os.Mkdir(g.dir, 0o755); err != nil && !os.IsExist(err) {
		return err
	}
	for f, v := range files {
		if err := os.WriteFile(filepath.Join(g.dir, f), []byte(v), 0o644); err != nil {
			os.Remove(g.dir)
			return fmt.Errorf("%s/%s: %w", g.dir, f, err)
		}
	}
	if g.v2 {
		if err := os.WriteFile(filepath.Join(g.dir, "cgroup.subtree_control"), []byte("+cpu"), 0o644); err != nil {
			os.Remove(g.dir)
			return fmt.Errorf("%s/cgroup.subtree_control: %w", g.dir, err)
		}
	}
	return nil
}

// join moves pid into the leaf, capped at cores CPUs (0: no cap).
func (g *cpuGroups) join(pid int, leaf string, cores float64) error {
	dir := filepath.Join(g.dir, leaf)
	if err := os.Mkdir(dir, 0o755); err != nil && !os.IsExist(err) {
		return err
	}
	g.leaves = append(g.leaves, dir)
	if cores == 0 { // the test, the agent, HAProxy: ahead of the backends
		f, v := "cpu.shares", "4096"
		if g.v2 {
			f, v = "cpu.weight", "400"
		}
		if err := os.WriteFile(filepath.Join(dir, f), []byte(v), 0o644); err != nil {
			return fmt.Errorf("%s/%s: %w", dir, f, err)
		}
	}
	if cores > 0 {
		quota := strconv.Itoa(int(cores * cpuPeriod))
		files := [][2]string{{"cpu.cfs_period_us", strconv.Itoa(cpuPeriod)}, {"cpu.cfs_quota_us", quota}}
		if g.v2 {
			files = [][2]string{{"cpu.max", quota + " " + strconv.Itoa(cpuPeriod)}}
		}
		for _, f := range files {
			if err := os.WriteFile(filepath.Join(dir, f[0]), []byte(f[1]), 0o644); err != nil {
				return fmt.Errorf("%s/%s: %w", dir, f[0], err)
			}
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "cgroup.procs"), []byte(strconv.Itoa(pid)), 0o644); err != nil {
		return fmt.Errorf("%s/cgroup.procs: %w", dir, err)
	}
	return nil
}

// close moves the test process back and removes the cgroups (their other
// processes must have exited).
func (g *cpuGroups) close() {
	_ = os.WriteFile(filepath.Join(g.back, "cgroup.procs"), []byte(strconv.Itoa(os.Getpid())), 0o644)
	for _, d := range append(slices.Clone(g.leaves), g.dir) {
		for range 50 { // a process may take a moment to leave
			if err := os.Remove(d); err == nil || os.IsNotExist(err) {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
}

// loadAvg returns the 1-minute load average.
func loadAvg() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return -1
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return -1
	}
	v, _ := strconv.ParseFloat(f[0], 64)
	return v
}
