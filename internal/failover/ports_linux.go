package failover

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
)

// procPorts finds listening sockets in procfs: /proc/PID/net/tcp{,6} (the
// table of the process's network namespace, so processes in containers
// are found too) for the socket inodes listening on the port, then
// /proc/PID/fd for the processes holding them.
type procPorts struct{ root string }

// ListeningPIDs implements PortOwners.
func (p procPorts) ListeningPIDs(port int, pids []int) ([]int, error) {
	inodesByNS := map[string]map[uint64]bool{} // netns → listening inodes
	var out []int
	var firstErr error
	for _, pid := range pids {
		ns, err := os.Readlink(fmt.Sprintf("%s/%d/ns/net", p.root, pid))
		if err != nil {
			continue // gone, or not ours to read
		}
		inodes, ok := inodesByNS[ns]
		if !ok {
			inodes = map[uint64]bool{}
			for _, f := range []string{"tcp", "tcp6"} {
				if err := listeningInodes(fmt.Sprintf("%s/%d/net/%s", p.root, pid, f), port, inodes); err != nil && firstErr == nil {
					firstErr = err
				}
			}
			inodesByNS[ns] = inodes
		}
		if len(inodes) > 0 && holdsSocket(fmt.Sprintf("%s/%d/fd", p.root, pid), inodes) {
			out = append(out, pid)
		}
	}
	if len(out) > 0 {
		return out, nil
	}
	return nil, firstErr
}

// listeningInodes adds to inodes the sockets of a /proc/net/tcp table that
// are in state LISTEN on port.
func listeningInodes(file string, port int, inodes map[uint64]bool) error {
	f, err := os.Open(file)
	if err != nil {
		if os.IsNotExist(err) {
			return nil // no IPv6
		}
		return fmt.Errorf("read %s: %w", file, err)
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	s.Buffer(make([]byte, 0, 4096), 1<<20)
	s.Scan() // header
	for s.Scan() {
		fields := bytes.Fields(s.Bytes())
		if len(fields) < 10 || string(fields[3]) != "0A" { // TCP_LISTEN
			continue
		}
		local := fields[1]
		i := bytes.LastIndexByte(local, ':')
		if i < 0 {
			continue
		}
		pt, err := strconv.ParseUint(string(local[i+1:]), 16, 16)
		if err != nil || int(pt) != port {
			continue
		}
		if ino, err := strconv.ParseUint(string(fields[9]), 10, 64); err == nil && ino != 0 {
			inodes[ino] = true
		}
	}
	return s.Err()
}

// holdsSocket reports whether a process's fd directory links one of inodes.
func holdsSocket(fdDir string, inodes map[uint64]bool) bool {
	d, err := os.Open(fdDir)
	if err != nil {
		return false
	}
	defer d.Close()
	names, err := d.Readdirnames(-1)
	if err != nil {
		return false
	}
	for _, n := range names {
		l, err := os.Readlink(fdDir + "/" + n)
		if err != nil || len(l) < 9 || l[:8] != "socket:[" {
			continue
		}
		if ino, err := strconv.ParseUint(l[8:len(l)-1], 10, 64); err == nil && inodes[ino] {
			return true
		}
	}
	return false
}
