//go:build !linux

package agent

import (
	"context"
	"errors"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// agentLock is a no-op outside Linux, where the probes (and so takeover)
// are not supported.
type agentLock struct{}

func acquireAgentLock(ctx context.Context, dir string, takeover bool, wait time.Duration) (*agentLock, error) {
	if takeover {
		return nil, errors.New("takeover is only supported on linux")
	}
	return nil, nil
}

func (l *agentLock) release() {}

func notifyHandover() (<-chan os.Signal, func()) { return nil, func() {} }

// notifyReload returns a channel that receives SIGHUP (reload the config).
func notifyReload() (<-chan os.Signal, func()) {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGHUP)
	return ch, func() { signal.Stop(ch) }
}
