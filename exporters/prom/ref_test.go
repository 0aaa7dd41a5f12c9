package prom

import (
	"strconv"

	"github.com/gopulse/gopulse/event"
	"github.com/prometheus/client_golang/prometheus"
)

// refCollector exposes a Runtime's state through client_golang, the way a
// client_golang user would: the reference for equivalence tests and the
// peer in benchmarks.
type refCollector struct {
	r                                                     *Runtime
	info, cycles, gcDur, pause, sched, gs, created, leaks *prometheus.Desc
}

func newRefCollector(r *Runtime) *refCollector {
	base := []string{"pid", "exe", "service"}
	return &refCollector{
		r:       r,
		info:    prometheus.NewDesc(nameInfo, "i", append(base, "go_version", "stripped"), nil),
		cycles:  prometheus.NewDesc(nameGCCycles, "c", base, nil),
		gcDur:   prometheus.NewDesc(nameGCDuration, "d", base, nil),
		pause:   prometheus.NewDesc(namePause, "p", append(base, "reason"), nil),
		sched:   prometheus.NewDesc(nameSched, "s", base, nil),
		gs:      prometheus.NewDesc(nameGoroutines, "g", base, nil),
		created: prometheus.NewDesc(nameCreated, "c", base, nil),
		leaks:   prometheus.NewDesc(nameLeaks, "l", base, nil),
	}
}

func (c *refCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.info, c.cycles, c.gcDur, c.pause, c.sched, c.gs, c.created, c.leaks} {
		ch <- d
	}
}

func buckets(bounds []float64, h *hist) map[float64]uint64 {
	m := make(map[float64]uint64, len(bounds))
	var acc uint64
	for i, b := range bounds {
		acc += h.counts[i]
		m[b] = acc
	}
	return m
}

func (c *refCollector) Collect(ch chan<- prometheus.Metric) {
	r := c.r
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, ps := range r.order {
		lv := []string{strconv.Itoa(int(ps.pid)), ps.proc.Exe, ps.proc.Service}
		ch <- prometheus.MustNewConstMetric(c.info, prometheus.GaugeValue, 1, append(lv, ps.proc.GoVersion, strconv.FormatBool(ps.proc.Stripped))...)
		ch <- prometheus.MustNewConstMetric(c.cycles, prometheus.CounterValue, float64(ps.gcCycles), lv...)
		ch <- prometheus.MustNewConstHistogram(c.gcDur, ps.gcDur.count, ps.gcDur.sum, buckets(r.cfg.GCBuckets, &ps.gcDur), lv...)
		for reason := range ps.pauses {
			h := &ps.pauses[reason]
			if h.count == 0 {
				continue
			}
			ch <- prometheus.MustNewConstHistogram(c.pause, h.count, h.sum, buckets(r.cfg.PauseBuckets, h), append(lv, event.STWReason(reason).String())...)
		}
		if ps.hasSched {
			m := make(map[float64]uint64, len(ps.sched.le))
			for k, le := range ps.sched.le {
				m[le] = ps.sched.cum[k]
			}
			ch <- prometheus.MustNewConstHistogram(c.sched, ps.sched.count, ps.sched.sum, m, lv...)
		} else {
			ch <- prometheus.MustNewConstHistogram(c.sched, ps.schedTrace.count, ps.schedTrace.sum, buckets(r.cfg.SchedBuckets, &ps.schedTrace), lv...)
		}
		ch <- prometheus.MustNewConstMetric(c.gs, prometheus.GaugeValue, float64(ps.goroutines), lv...)
		ch <- prometheus.MustNewConstMetric(c.created, prometheus.CounterValue, float64(ps.created), lv...)
		ch <- prometheus.MustNewConstMetric(c.leaks, prometheus.GaugeValue, float64(ps.suspects), lv...)
	}
}
