package taildrill

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// AgentConfig is what the drill's agent is given.
type AgentConfig struct {
	Bin       string   // the gopulse binary
	Dir       string   // state and queue live under Dir
	LogGlobs  []string // logs.paths
	LokiURL   string   // base URL
	Poll      time.Duration
	Rescan    time.Duration
	QueueMax  string // e.g. 512MiB
	ExtraYAML string // appended at the top level
}

// Agent is one `gopulse agent` process at a time: Start, Kill (SIGKILL),
// Start again on the same state dir.
type Agent struct {
	cfg    AgentConfig
	file   string
	listen string

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan error
	out    bytes.Buffer
	cpu    time.Duration // CPU of processes already gone
	starts int
}

// NewAgent writes the config file.
func NewAgent(cfg AgentConfig) (*Agent, error) {
	if cfg.Poll == 0 {
		cfg.Poll = 250 * time.Millisecond
	}
	if cfg.Rescan == 0 {
		cfg.Rescan = 10 * time.Second
	}
	if cfg.QueueMax == "" {
		cfg.QueueMax = "512MiB"
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	listen := ln.Addr().String()
	ln.Close()
	var globs []string
	for _, g := range cfg.LogGlobs {
		globs = append(globs, strconv.Quote(g))
	}
	y := fmt.Sprintf(`listen: %s
state_dir: %s
probes:
  mode: "off"
logs:
  paths: [%s]
  poll_interval: %s
  rescan_interval: %s
  start_at: beginning
kubernetes:
  enabled: false
exporters:
  loki:
    endpoints: [{url: %q}]
    queue: {max_bytes: %s}
%s`, listen, filepath.Join(cfg.Dir, "state"), strings.Join(globs, ", "), cfg.Poll, cfg.Rescan,
		cfg.LokiURL+"/loki/api/v1/push", cfg.QueueMax, cfg.ExtraYAML)
	file := filepath.Join(cfg.Dir, "agent.yaml")
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return nil, err
	}
	if err := os.WriteFile(file, []byte(y), 0o644); err != nil {
		return nil, err
	}
	return &Agent{cfg: cfg, file: file, listen: listen}, nil
}

// Addr is the agent's HTTP address.
func (a *Agent) Addr() string { return a.listen }

type lockedWriter struct {
	mu *sync.Mutex
	b  *bytes.Buffer
}

func (w lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

// Start starts the agent and waits until it serves /healthz.
func (a *Agent) Start(ctx context.Context) error {
	a.mu.Lock()
	if a.cmd != nil {
		a.mu.Unlock()
		return errors.New("agent already running")
	}
	cmd := exec.Command(a.cfg.Bin, "agent", "--config", a.file, "--log-level", "info")
	cmd.SysProcAttr = procAttr()
	w := lockedWriter{&a.mu, &a.out}
	cmd.Stdout, cmd.Stderr = w, w
	a.starts++
	fmt.Fprintf(&a.out, "=== start %d\n", a.starts)
	if err := cmd.Start(); err != nil {
		a.mu.Unlock()
		return err
	}
	a.cmd = cmd
	exited := make(chan error, 1)
	a.exited = exited
	a.mu.Unlock()
	go func() { exited <- cmd.Wait() }()
	deadline := time.Now().Add(60 * time.Second)
	for {
		select {
		case err := <-exited:
			exited <- err
			return fmt.Errorf("agent exited at start-up: %v", err)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
		resp, err := http.Get("http://" + a.listen + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return errors.New("agent did not serve /healthz within 60 s")
		}
	}
}

// Kill kills the agent with SIGKILL and waits for it.
func (a *Agent) Kill() error { return a.stop(syscall.SIGKILL, 0) }

// Stop stops the agent with SIGINT (a graceful shutdown), killing it after
// timeout.
func (a *Agent) Stop(timeout time.Duration) error { return a.stop(syscall.SIGINT, timeout) }

func (a *Agent) stop(sig syscall.Signal, timeout time.Duration) error {
	a.mu.Lock()
	cmd, exited := a.cmd, a.exited
	a.mu.Unlock()
	if cmd == nil {
		return nil
	}
	cpu, _ := ProcCPU(cmd.Process.Pid)
	if err := cmd.Process.Signal(sig); err != nil {
		return err
	}
	var err error
	if timeout > 0 {
		select {
		case err = <-exited:
		case <-time.After(timeout):
			cmd.Process.Kill()
			err = <-exited
		}
	} else {
		err = <-exited
	}
	if st, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok && cmd.ProcessState != nil {
		cpu = time.Duration(st.Utime.Nano() + st.Stime.Nano())
	}
	a.mu.Lock()
	a.cpu += cpu
	a.cmd = nil
	a.mu.Unlock()
	if sig == syscall.SIGKILL {
		return nil
	}
	return err
}

// CPU returns the CPU time of every agent process so far (the running one
// up to now).
func (a *Agent) CPU() time.Duration {
	a.mu.Lock()
	defer a.mu.Unlock()
	c := a.cpu
	if a.cmd != nil {
		if cur, err := ProcCPU(a.cmd.Process.Pid); err == nil {
			c += cur
		}
	}
	return c
}

// Output returns what the agents printed.
func (a *Agent) Output() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.out.String()
}

// Metrics returns the agent's /metrics text.
func (a *Agent) Metrics() (string, error) {
	resp, err := http.Get("http://" + a.listen + "/metrics")
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	_, err = b.ReadFrom(resp.Body)
	return b.String(), err
}

// ProcCPU returns utime+stime of a process from /proc/PID/stat.
func ProcCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, errors.New("bad stat")
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, errors.New("bad stat")
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	const hz = 100 // USER_HZ on Linux
	return time.Duration(ut+st) * time.Second / hz, nil
}
