//go:build linux && (amd64 || arm64)

package probes

import (
	"fmt"
	"os"
	"sync/atomic"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/ringbuf"
	"golang.org/x/sys/unix"
)

// ringReader reads the ring buffer the programs submit to. Records are
// submitted without wakeups (a wakeup costs the target microseconds), so
// the Manager polls: each drain reads until the ring is empty, without
// blocking, and decodes every record in place.
type ringReader struct {
	rd       *ringbuf.Reader
	rec      ringbuf.Record
	monoToRT int64         // CLOCK_REALTIME − CLOCK_MONOTONIC, for event timestamps
	n        atomic.Uint64 // records decoded (Stats.Events)
}

func newRingReader(events *ebpf.Map) (*ringReader, error) {
	rd, err := ringbuf.NewReader(events)
	if err != nil {
		return nil, fmt.Errorf("open ring buffer: %w", err)
	}
	return &ringReader{rd: rd, monoToRT: monoToRealtime()}, nil
}

// begin starts a drain: reads return at once once the ring is empty.
func (r *ringReader) begin() {
	r.rd.SetDeadline(time.Now().Add(-time.Second))
}

// next returns the next well-formed record, which aliases the reader's
// buffer until the following call; false when the ring is empty.
func (r *ringReader) next() (*rawEvent, bool) {
	for {
		if err := r.rd.ReadInto(&r.rec); err != nil {
			return nil, false
		}
		if ev, ok := decodeRecord(r.rec.RawSample); ok {
			return ev, true
		}
	}
}

func (r *ringReader) close() error { return r.rd.Close() }

// ringSize rounds n up to a power of two of at least one page.
func ringSize(n int) int {
	s := os.Getpagesize()
	for s < n {
		s <<= 1
	}
	return s
}

func monoToRealtime() int64 {
	var mono, rt unix.Timespec
	_ = unix.ClockGettime(unix.CLOCK_MONOTONIC, &mono)
	_ = unix.ClockGettime(unix.CLOCK_REALTIME, &rt)
	_ = unix.ClockGettime(unix.CLOCK_MONOTONIC, &mono)
	return rt.Nano() - mono.Nano()
}

// drainLocked decodes every record in the ring buffer, handing each to
// its process's decoder (or holding it for a handed-over process not
// watched yet).
func (m *Manager) drainLocked() uint64 {
	if m.closed {
		return 0
	}
	m.ring.begin()
	var n uint64
	for {
		r, ok := m.ring.next()
		if !ok {
			break
		}
		n++
		if p := m.ps.procs[r.PID]; p != nil {
			if p.backlog != nil {
				p.backlog = append(p.backlog, *r) // behind the held records
				continue
			}
			p.dec.handle(r, &m.ev, m.deps.Sink)
		} else if m.tk.seeds != nil {
			m.holdSeeded(r)
		}
	}
	m.ring.n.Add(n)
	if len(m.tk.backlogged) > 0 {
		m.replayLocked()
	}
	return n
}
