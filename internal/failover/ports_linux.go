package failover

import (
	"fmt"
	"os"
	"slices"

	"github.com/gopulse/gopulse/internal/procnet"
)

// procPorts finds listening sockets in procfs: /proc/PID/net/tcp{,6} (the
// table of the process's network namespace, so processes in containers
// are found too) for the socket inodes listening on the port, then
// /proc/PID/fd for the processes holding them.
type procPorts struct{ root string }

// ListeningPIDs implements PortOwners.
func (p procPorts) ListeningPIDs(port int, pids []int) ([]int, error) {
	byNS := map[string]procnet.Listening{}
	var out []int
	var firstErr error
	for _, pid := range pids {
		dir := fmt.Sprintf("%s/%d", p.root, pid)
		ns, err := os.Readlink(dir + "/ns/net")
		if err != nil {
			continue // gone, or not ours to read
		}
		l, ok := byNS[ns]
		if !ok {
			if l, err = procnet.ReadListening(dir); err != nil && firstErr == nil {
				firstErr = err
			}
			byNS[ns] = l
		}
		if port > 0 && port <= 0xffff && slices.Contains(l.HeldPorts(dir), uint16(port)) {
			out = append(out, pid)
		}
	}
	if len(out) > 0 {
		return out, nil
	}
	return nil, firstErr
}
