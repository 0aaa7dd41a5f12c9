package agent

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/gopulse/gopulse/internal/exporters/prom"
	"github.com/gopulse/gopulse/internal/health"
)

// ErrNoHandover: the runtime source cannot hand its probes over.
var ErrNoHandover = errors.New("runtime source cannot hand over")

// HandoverVersion is the handover file's format version.
const HandoverVersion = 1

// Handover is what an agent leaves its successor (gopulse agent
// --takeover) besides the BPF objects the probes pin: the Prometheus
// aggregation's counters, the probes' own state and the health verdicts
// (the successor answers load balancers with them at once).
type Handover struct {
	Version int                  `json:"version"`
	Runtime prom.RuntimeSnapshot `json:"runtime"`
	Probes  json.RawMessage      `json:"probes,omitempty"`
	Health  []health.Saved       `json:"health,omitempty"`
}

// HandoverSource is a RuntimeSource that can stop for a successor without
// detaching: it pins its kernel objects and returns its own state.
type HandoverSource interface {
	Handover() (json.RawMessage, error)
}

// Handover hands the probes and the aggregation over to a successor and
// writes the state to path; call it after Run returned, instead of Close
// for the probes (Close must still be called for the rest). Everything the
// probes read before stopping has been aggregated by then (Run stops the
// probes before the consumers).
func (a *Agent) Handover(path string) error {
	hs, ok := a.source.(HandoverSource)
	if a.source == nil || !ok {
		return ErrNoHandover
	}
	probes, err := hs.Handover()
	if err != nil {
		return err
	}
	h := Handover{Version: HandoverVersion, Runtime: a.runtime.Snapshot(), Probes: probes, Health: a.engine.Export()}
	return WriteHandover(path, &h)
}

// WriteHandover writes h to path atomically.
func WriteHandover(path string, h *Handover) error {
	b, err := json.Marshal(h)
	if err != nil {
		return fmt.Errorf("encode handover: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return fmt.Errorf("write handover: %w", err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return fmt.Errorf("write handover: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write handover: %w", err)
	}
	return nil
}

// ReadHandover reads a handover file written by WriteHandover.
func ReadHandover(path string) (*Handover, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read handover: %w", err)
	}
	var h Handover
	if err := json.Unmarshal(b, &h); err != nil {
		return nil, fmt.Errorf("decode handover %s: %w", path, err)
	}
	if h.Version != HandoverVersion {
		return nil, fmt.Errorf("handover %s: version %d, want %d", path, h.Version, HandoverVersion)
	}
	return &h, nil
}
