package agent

import (
	"errors"
	"path/filepath"
)

// Hot upgrade (gopulse agent --takeover). One agent runs per state dir: it
// holds an exclusive lock on STATE_DIR/agent.lock and writes its pid to
// STATE_DIR/agent.pid. A successor started with --takeover signals it
// (SIGUSR2); the running agent then stops polling, pins its BPF maps and
// uprobe links under the pin dir (the probes keep firing and the ring
// buffer keeps filling), writes its counters to STATE_DIR/handover.json,
// closes everything else and releases the lock. The successor, which waits
// for the lock, adopts the pins (removing them), seeds its aggregation from
// the handover file and drains the ring buffer where its predecessor
// stopped.

// ErrAgentRunning: another agent holds the state dir's lock.
var ErrAgentRunning = errors.New("another gopulse agent is running")

// ErrTakeoverTimeout: the running agent did not hand over in time.
var ErrTakeoverTimeout = errors.New("takeover: the running agent did not hand over in time")

const (
	agentLockFile     = "agent.lock"
	agentPIDFile      = "agent.pid"
	agentHandoverFile = "handover.json"
)

// HandoverPath is the handover file of the agent using stateDir.
func HandoverPath(stateDir string) string { return filepath.Join(stateDir, agentHandoverFile) }
