package probes

import "sort"

// LeakConfig tunes LeakDetector.
type LeakConfig struct {
	// Windows is how many consecutive observation windows the live count of
	// a site must not shrink in (default 5).
	Windows int
	// MinGrowth is the least growth of the live count over those windows
	// (default 10 goroutines).
	MinGrowth int64
}

// LeakDetector flags goroutine-leak suspects: creation sites whose live
// goroutine count keeps growing. Feed it Created/Exited as events arrive and
// call Tick once per window (e.g. every second). Pure logic; not safe for
// concurrent use.
type LeakDetector struct {
	cfg   LeakConfig
	sites map[string]*siteHistory
}

type siteHistory struct {
	live    int64
	history []int64 // live count at the last cfg.Windows+1 ticks, oldest first
	suspect bool
}

// NewLeakDetector returns a detector with cfg's zero fields defaulted.
func NewLeakDetector(cfg LeakConfig) *LeakDetector {
	if cfg.Windows <= 0 {
		cfg.Windows = 5
	}
	if cfg.MinGrowth <= 0 {
		cfg.MinGrowth = 10
	}
	return &LeakDetector{cfg: cfg, sites: make(map[string]*siteHistory)}
}

func (l *LeakDetector) site(name string) *siteHistory {
	s := l.sites[name]
	if s == nil {
		s = &siteHistory{history: make([]int64, 0, l.cfg.Windows+1)}
		l.sites[name] = s
	}
	return s
}

// Created records one goroutine created at site.
func (l *LeakDetector) Created(site string) { l.site(site).live++ }

// Exited records the exit of one goroutine created at site.
func (l *LeakDetector) Exited(site string) {
	if s := l.sites[site]; s != nil && s.live > 0 {
		s.live--
	}
}

// Live returns the live goroutine count of site.
func (l *LeakDetector) Live(site string) int64 {
	if s := l.sites[site]; s != nil {
		return s.live
	}
	return 0
}

// Tick closes a window and re-evaluates every site. A site is a suspect
// when its live count did not shrink at any of the last Windows ticks and
// grew by at least MinGrowth over them (trace mode sees only part of the
// time, so a window without growth does not clear a suspect). Sites with no live goroutines are
// forgotten.
func (l *LeakDetector) Tick() {
	for name, s := range l.sites {
		if s.live == 0 {
			delete(l.sites, name)
			continue
		}
		if len(s.history) == cap(s.history) {
			copy(s.history, s.history[1:])
			s.history = s.history[:len(s.history)-1]
		}
		s.history = append(s.history, s.live)
		s.suspect = false
		if len(s.history) < cap(s.history) {
			continue
		}
		grows := true
		for i := 1; i < len(s.history); i++ {
			if s.history[i] < s.history[i-1] {
				grows = false
				break
			}
		}
		s.suspect = grows && s.history[len(s.history)-1]-s.history[0] >= l.cfg.MinGrowth
	}
}

// Suspects appends the suspect sites, sorted, to dst.
func (l *LeakDetector) Suspects(dst []string) []string {
	n := len(dst)
	for name, s := range l.sites {
		if s.suspect {
			dst = append(dst, name)
		}
	}
	sort.Strings(dst[n:])
	return dst
}
