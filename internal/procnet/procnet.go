// Package procnet reads the listening TCP sockets of a process from procfs:
// the LISTEN entries of its network namespace's tables (/proc/PID/net/tcp
// and tcp6) by socket inode, and the socket inodes its descriptors hold.
// The probes' process selection (rules on ports) and the failover server
// (the process listening on a port) both use it.
package procnet

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
)

// Listening is the LISTEN sockets of one network namespace: socket inode →
// local port.
type Listening map[uint64]uint16

// ReadListening reads the LISTEN sockets of a process's network namespace
// from procDir (e.g. /proc/1234): its net/tcp and net/tcp6 tables. A
// missing table (no IPv6) is not an error.
func ReadListening(procDir string) (Listening, error) {
	l := Listening{}
	var firstErr error
	for _, t := range []string{"/net/tcp", "/net/tcp6"} {
		if err := l.add(procDir + t); err != nil && firstErr == nil {
			firstErr = err
		}
	}
	return l, firstErr
}

// add adds the LISTEN sockets of one /proc/net/tcp table.
func (l Listening) add(file string) error {
	f, err := os.Open(file)
	if err != nil {
		if os.IsNotExist(err) {
			return nil
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
		port, err := strconv.ParseUint(string(local[i+1:]), 16, 16)
		if err != nil {
			continue
		}
		if ino, err := strconv.ParseUint(string(fields[9]), 10, 64); err == nil && ino != 0 {
			l[ino] = uint16(port)
		}
	}
	if err := s.Err(); err != nil {
		return fmt.Errorf("read %s: %w", file, err)
	}
	return nil
}

// HeldPorts returns the ports of the sockets in l that one of the
// descriptors in procDir/fd holds (one entry per descriptor; nil when the
// directory cannot be read).
func (l Listening) HeldPorts(procDir string) []uint16 {
	if len(l) == 0 {
		return nil
	}
	fds, err := os.ReadDir(procDir + "/fd")
	if err != nil {
		return nil
	}
	var ports []uint16
	for _, fd := range fds {
		link, err := os.Readlink(procDir + "/fd/" + fd.Name())
		if err != nil || len(link) < 10 || link[:8] != "socket:[" {
			continue
		}
		ino, err := strconv.ParseUint(link[8:len(link)-1], 10, 64)
		if err != nil {
			continue
		}
		if p, ok := l[ino]; ok {
			ports = append(ports, p)
		}
	}
	return ports
}
