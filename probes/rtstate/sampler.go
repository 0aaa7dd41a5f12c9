package rtstate

import (
	"errors"
	"fmt"
	"io/fs"
	"sync"
	"time"

	"github.com/gopulse/gopulse/event"
	"github.com/gopulse/gopulse/probes/gobin"
)

// SamplerDeps are the Sampler's optional collaborators.
type SamplerDeps struct {
	// Binary returns the analysed executable of pid, e.g. from a cache
	// keyed by inode; the Sampler does not close it. When nil the Sampler
	// opens /proc/PID/exe itself and closes it after Open.
	Binary func(pid int) (*gobin.Binary, error)
	// Now defaults to time.Now.
	Now func() time.Time
}

// idleTimeout is how long a Reader of a pid that is no longer sampled is
// kept (its process probably exited without anyone calling Forget).
const idleTimeout = 2 * time.Minute

// Sampler fills default-mode KindSample events for any number of processes,
// keeping one Reader per pid. Its Sample method has the shape the probes
// manager expects (probes.Sampler). It is safe for concurrent use.
type Sampler struct {
	deps SamplerDeps

	mu        sync.Mutex
	readers   map[int]*samplerEntry
	lastSweep time.Time
	closed    bool
}

type samplerEntry struct {
	r     *Reader
	s     Sample
	hist  event.SchedHistogram
	stats event.RuntimeStats
	used  time.Time
}

// NewSampler returns a Sampler. Call Close to release its readers.
func NewSampler(deps SamplerDeps) *Sampler {
	if deps.Now == nil {
		deps.Now = time.Now
	}
	return &Sampler{deps: deps, readers: make(map[int]*samplerEntry)}
}

// Sample reads pid's runtime accounting into ev: Goroutines (as
// /sched/goroutines:goroutines), Cycle (the GC count), Sched (cumulative
// scheduling-latency histogram), Stats (memory, GC configuration, CPU) and
// TS. It does not set Kind or PID. ev.Sched and ev.Stats point into the
// Sampler and are valid until the next Sample of the same pid. A process that exited gives an error wrapping
// ErrProcessGone; its reader is dropped.
func (s *Sampler) Sample(pid int, ev *event.Runtime) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return fmt.Errorf("sample pid %d: sampler closed", pid)
	}
	now := s.deps.Now()
	s.sweep(now)
	e := s.readers[pid]
	if e == nil {
		r, err := s.open(pid)
		if err != nil {
			return err
		}
		e = &samplerEntry{r: r}
		s.readers[pid] = e
	}
	e.used = now
	if err := e.r.Read(&e.s); err != nil {
		e.r.Close()
		delete(s.readers, pid)
		return err
	}
	e.hist = e.s.Sched
	e.stats = e.s.Stats
	ev.Goroutines = e.s.Goroutines
	ev.Cycle = e.s.GCCycles
	ev.Sched = &e.hist
	ev.Stats = &e.stats
	ev.TS = now.UnixNano()
	return nil
}

func (s *Sampler) open(pid int) (*Reader, error) {
	if s.deps.Binary != nil {
		b, err := s.deps.Binary(pid)
		if err != nil {
			return nil, fmt.Errorf("sample pid %d: %w", pid, err)
		}
		return Open(pid, b)
	}
	b, err := gobin.Open(fmt.Sprintf("/proc/%d/exe", pid))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("sample pid %d: %w: %w", pid, ErrProcessGone, err)
		}
		return nil, fmt.Errorf("sample pid %d: %w", pid, err)
	}
	defer b.Close()
	return Open(pid, b)
}

// sweep drops readers not used for idleTimeout, at most once a minute.
func (s *Sampler) sweep(now time.Time) {
	if now.Sub(s.lastSweep) < time.Minute {
		return
	}
	s.lastSweep = now
	for pid, e := range s.readers {
		if now.Sub(e.used) > idleTimeout {
			e.r.Close()
			delete(s.readers, pid)
		}
	}
}

// Forget drops the reader of pid (call it when the process exits).
func (s *Sampler) Forget(pid int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e := s.readers[pid]; e != nil {
		e.r.Close()
		delete(s.readers, pid)
	}
}

// Close drops every reader. It is safe to call more than once.
func (s *Sampler) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	for pid, e := range s.readers {
		e.r.Close()
		delete(s.readers, pid)
	}
	return nil
}
