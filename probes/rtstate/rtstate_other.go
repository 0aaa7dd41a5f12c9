//go:build !linux

package rtstate

import (
	"fmt"

	"github.com/gopulse/gopulse/probes/gobin"
)

// Reader samples one process. Not available on this platform.
type Reader struct{}

// Open returns ErrNotSupported on this platform.
func Open(pid int, bin *gobin.Binary) (*Reader, error) {
	return nil, fmt.Errorf("pid %d: %w", pid, ErrNotSupported)
}

// Read returns ErrNotSupported on this platform.
func (r *Reader) Read(s *Sample) error { return ErrNotSupported }

// Close does nothing.
func (r *Reader) Close() error { return nil }

// LoadBias returns ErrNotSupported on this platform.
func LoadBias(pid int, bin *gobin.Binary) (uint64, error) {
	return 0, fmt.Errorf("pid %d: %w", pid, ErrNotSupported)
}
