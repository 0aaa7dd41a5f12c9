//go:build !linux

package gopulsereceiver

import (
	"context"
	"errors"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/receiver"
)

// errNonLinux: eBPF uprobes exist only on Linux.
var errNonLinux = errors.New("the gopulse receiver is only supported on linux")

func createMetricsReceiver(context.Context, receiver.Settings, component.Config, consumer.Metrics) (receiver.Metrics, error) {
	return nil, errNonLinux
}
