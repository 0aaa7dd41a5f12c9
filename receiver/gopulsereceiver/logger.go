package gopulsereceiver

import (
	"log/slog"

	"go.uber.org/zap"
	"go.uber.org/zap/exp/zapslog"
)

// slogFromZap gives the probes (which log with log/slog) the collector's
// zap logger.
func slogFromZap(l *zap.Logger) *slog.Logger {
	if l == nil {
		l = zap.NewNop()
	}
	return slog.New(zapslog.NewHandler(l.Core()))
}
