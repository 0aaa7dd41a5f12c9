//go:build !linux || !(amd64 || arm64)

package probes

import (
	"context"
	"os/exec"
	"time"
)

// Manager is unavailable on this platform: New returns ErrNotSupported.
type Manager struct{}

// New returns ErrNotSupported outside linux/amd64 and linux/arm64.
func New(cfg Config, deps Deps) (*Manager, error) { return nil, ErrNotSupported }

// Run returns ErrNotSupported.
func (m *Manager) Run(ctx context.Context) error { return ErrNotSupported }

// Watch returns ErrNotSupported.
func (m *Manager) Watch(pid int, trace bool) error { return ErrNotSupported }

// StartCommand returns ErrNotSupported.
func (m *Manager) StartCommand(cmd *exec.Cmd, trace bool) error { return ErrNotSupported }

// Close does nothing.
func (m *Manager) Close() error { return nil }

// Flush does nothing.
func (m *Manager) Flush() {}

// Unwatch does nothing.
func (m *Manager) Unwatch(pid int) {}

// Mechanisms returns nothing.
func (m *Manager) Mechanisms() Mechanisms { return Mechanisms{} }

// Stats returns zero counters.
func (m *Manager) Stats() Stats { return Stats{} }

// Procs returns nothing.
func (m *Manager) Procs() []ProcInfo { return nil }

// Handover returns ErrNotSupported.
func (m *Manager) Handover() (*HandoverState, error) { return nil, ErrNotSupported }

// SetSelection does nothing.
func (m *Manager) SetSelection(sel *Selector, minAge time.Duration) {}
