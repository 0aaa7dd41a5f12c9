//go:build !linux

package failover

type procPorts struct{ root string }

// ListeningPIDs implements PortOwners: not supported off Linux.
func (procPorts) ListeningPIDs(int, []int) ([]int, error) { return nil, ErrNotSupported }
