package prom

import (
	"strconv"

	"github.com/gopulse/gopulse/event"
	"github.com/gopulse/gopulse/internal/procstats"
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

func buckets(bounds []float64, h *procstats.Hist) map[float64]uint64 {
	m := make(map[float64]uint64, len(bounds))
	var acc uint64
	for i, b := range bounds {
		acc += h.Counts[i]
		m[b] = acc
	}
	return m
}

func (c *refCollector) Collect(ch chan<- prometheus.Metric) {
	r := c.r
	r.agg.View(func(procs []*proc) {
		for _, ps := range procs {
			lv := []string{strconv.Itoa(int(ps.PID)), ps.Proc.Exe, ps.Proc.Service}
			ch <- prometheus.MustNewConstMetric(c.info, prometheus.GaugeValue, 1, append(lv, ps.Proc.GoVersion, strconv.FormatBool(ps.Proc.Stripped))...)
			ch <- prometheus.MustNewConstMetric(c.cycles, prometheus.CounterValue, float64(ps.GCCycles), lv...)
			ch <- prometheus.MustNewConstHistogram(c.gcDur, ps.GCDuration.Count, ps.GCDuration.Sum, buckets(r.cfg.GCBuckets, &ps.GCDuration), lv...)
			for reason := range ps.Pauses {
				h := &ps.Pauses[reason]
				if h.Count == 0 {
					continue
				}
				ch <- prometheus.MustNewConstHistogram(c.pause, h.Count, h.Sum, buckets(r.cfg.PauseBuckets, h), append(lv, event.STWReason(reason).String())...)
			}
			if ps.HasSched {
				m := make(map[float64]uint64, len(ps.Sched.Bounds))
				for k, le := range ps.Sched.Bounds {
					m[le] = ps.Sched.Cum[k]
				}
				ch <- prometheus.MustNewConstHistogram(c.sched, ps.Sched.Count, ps.Sched.Sum, m, lv...)
			} else if ps.SchedTrace.Count > 0 {
				ch <- prometheus.MustNewConstHistogram(c.sched, ps.SchedTrace.Count, ps.SchedTrace.Sum, buckets(r.cfg.SchedBuckets, &ps.SchedTrace), lv...)
			}
			ch <- prometheus.MustNewConstMetric(c.gs, prometheus.GaugeValue, float64(ps.Goroutines), lv...)
			ch <- prometheus.MustNewConstMetric(c.created, prometheus.CounterValue, float64(ps.Created), lv...)
			ch <- prometheus.MustNewConstMetric(c.leaks, prometheus.GaugeValue, float64(ps.Suspects), lv...)
		}
	})
}
