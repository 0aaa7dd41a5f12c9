package prom

import (
	"bytes"
	"math"
	"strconv"
	"strings"

	"github.com/gopulse/gopulse/event"
	"github.com/gopulse/gopulse/internal/procstats"
)

// The families of the metric contract that Runtime serves.
const (
	nameInfo       = "gopulse_go_info"
	nameGCCycles   = "gopulse_go_gc_cycles_total"
	nameGCDuration = "gopulse_go_gc_cycle_duration_seconds"
	namePause      = "gopulse_go_stw_pause_seconds"
	nameSched      = "gopulse_go_sched_latency_seconds"
	nameGoroutines = "gopulse_go_goroutines"
	nameCreated    = "gopulse_go_goroutines_created_total"
	nameLeaks      = "gopulse_go_goroutine_leak_suspects"
)

func appendHeader(b []byte, om bool, name, typ, help string) []byte {
	if om {
		base := name
		if typ == "counter" {
			base = strings.TrimSuffix(name, "_total")
		}
		b = append(b, "# TYPE "...)
		b = append(b, base...)
		b = append(b, ' ')
		b = append(b, typ...)
		b = append(b, "\n# HELP "...)
		b = append(b, base...)
		b = append(b, ' ')
		b = append(b, help...)
		return append(b, '\n')
	}
	b = append(b, "# HELP "...)
	b = append(b, name...)
	b = append(b, ' ')
	b = append(b, help...)
	b = append(b, "\n# TYPE "...)
	b = append(b, name...)
	b = append(b, ' ')
	b = append(b, typ...)
	return append(b, '\n')
}

// appendSeriesStart appends name{labels[,extra].
func appendSeriesStart(b []byte, name, suffix string, labels []byte) []byte {
	b = append(b, name...)
	b = append(b, suffix...)
	b = append(b, '{')
	return append(b, labels...)
}

func appendUintSample(b []byte, name string, labels []byte, v uint64) []byte {
	b = appendSeriesStart(b, name, "", labels)
	b = append(b, "} "...)
	b = strconv.AppendUint(b, v, 10)
	return append(b, '\n')
}

func appendIntSample(b []byte, name string, labels []byte, v int64) []byte {
	b = appendSeriesStart(b, name, "", labels)
	b = append(b, "} "...)
	b = strconv.AppendInt(b, v, 10)
	return append(b, '\n')
}

func appendFloat(b []byte, v float64) []byte {
	switch {
	case math.IsInf(v, 1):
		return append(b, "+Inf"...)
	case math.IsInf(v, -1):
		return append(b, "-Inf"...)
	case math.IsNaN(v):
		return append(b, "NaN"...)
	}
	return strconv.AppendFloat(b, v, 'g', -1, 64)
}

// appendHist appends one histogram series set; reason is an extra label when
// not empty. le and cum give the finite buckets (cum is cumulative).
func appendHist(b []byte, om bool, name string, labels []byte, reason string, le [][]byte, cum func(k int) uint64, count uint64, sum float64) []byte {
	for k := range le {
		b = appendSeriesStart(b, name, "_bucket", labels)
		if reason != "" {
			b = append(b, `,reason="`...)
			b = append(b, reason...)
			b = append(b, '"')
		}
		b = append(b, `,le="`...)
		b = append(b, le[k]...)
		if om && bytes.IndexAny(le[k], ".eEIN") < 0 {
			b = append(b, ".0"...) // OpenMetrics' canonical float: le="1.0"
		}
		b = append(b, `"} `...)
		b = strconv.AppendUint(b, cum(k), 10)
		b = append(b, '\n')
	}
	b = appendSeriesStart(b, name, "_bucket", labels)
	if reason != "" {
		b = append(b, `,reason="`...)
		b = append(b, reason...)
		b = append(b, '"')
	}
	b = append(b, `,le="+Inf"} `...)
	b = strconv.AppendUint(b, count, 10)
	b = append(b, '\n')
	for _, part := range [...]string{"_sum", "_count"} {
		b = appendSeriesStart(b, name, part, labels)
		if reason != "" {
			b = append(b, `,reason="`...)
			b = append(b, reason...)
			b = append(b, '"')
		}
		b = append(b, "} "...)
		if part == "_sum" {
			b = appendFloat(b, sum)
		} else {
			b = strconv.AppendUint(b, count, 10)
		}
		b = append(b, '\n')
	}
	return b
}

// histCum adapts a per-bucket histogram to cumulative counts.
type histCum struct {
	h   *procstats.Hist
	k   int
	acc uint64
}

func (c *histCum) at(k int) uint64 {
	if k < c.k {
		c.k, c.acc = 0, 0
	}
	for ; c.k <= k; c.k++ {
		c.acc += c.h.Counts[c.k]
	}
	return c.acc
}

// AppendExposition appends the runtime series in the Prometheus text format
// 0.0.4, or in OpenMetrics 1.0 when om is set (without the final "# EOF",
// which the caller writes after any other families). It allocates nothing
// once each process's labels are encoded.
func (r *Runtime) AppendExposition(b []byte, om bool) []byte {
	r.agg.View(func(procs []*proc) {
		b = r.appendExposition(b, om, procs)
	})
	return b
}

func (r *Runtime) appendExposition(b []byte, om bool, procs []*proc) []byte {
	if len(procs) == 0 {
		return b
	}
	b = appendHeader(b, om, nameInfo, "gauge", "Watched Go process, with its Go version and whether it is stripped.")
	for _, p := range procs {
		l := labelsOf(p, r.ext)
		b = appendSeriesStart(b, nameInfo, "", l.labels)
		b = append(b, ',')
		b = append(b, l.info...)
		b = append(b, "} 1\n"...)
	}
	b = appendHeader(b, om, nameGCCycles, "counter", "Finished GC cycles, the runtime's own count (since the process started).")
	for _, p := range procs {
		b = appendUintSample(b, nameGCCycles, p.Ext.labels, p.GCCycles)
	}
	b = appendHeader(b, om, nameGCDuration, "histogram", "GC cycle duration, from start to the end of mark termination.")
	for _, p := range procs {
		c := histCum{h: &p.GCDuration}
		b = appendHist(b, om, nameGCDuration, p.Ext.labels, "", r.gcLe, c.at, p.GCDuration.Count, p.GCDuration.Sum)
	}
	b = appendHeader(b, om, namePause, "histogram", "Stop-the-world pauses by reason.")
	for _, p := range procs {
		for reason := range p.Pauses {
			h := &p.Pauses[reason]
			if h.Count == 0 {
				continue
			}
			c := histCum{h: h}
			b = appendHist(b, om, namePause, p.Ext.labels, event.STWReason(reason).String(), r.pauseLe, c.at, h.Count, h.Sum)
		}
	}
	b = appendHeader(b, om, nameSched, "histogram", "Scheduling latency: time goroutines spend runnable before running.")
	for _, p := range procs {
		if p.HasSched {
			s := &p.Sched
			le, _ := p.Ext.schedBounds(s.Bounds)
			b = appendHist(b, om, nameSched, p.Ext.labels, "", le, func(k int) uint64 { return s.Cum[k] }, s.Count, s.Sum)
			continue
		}
		if p.SchedTrace.Count == 0 {
			continue // no histogram yet: see AppendWriteRequest
		}
		c := histCum{h: &p.SchedTrace}
		b = appendHist(b, om, nameSched, p.Ext.labels, "", r.schedLe, c.at, p.SchedTrace.Count, p.SchedTrace.Sum)
	}
	b = appendHeader(b, om, nameGoroutines, "gauge", "Live goroutines.")
	for _, p := range procs {
		b = appendIntSample(b, nameGoroutines, p.Ext.labels, p.Goroutines)
	}
	b = appendHeader(b, om, nameCreated, "counter", "Goroutines created (trace mode).")
	for _, p := range procs {
		b = appendUintSample(b, nameCreated, p.Ext.labels, p.Created)
	}
	b = appendHeader(b, om, nameLeaks, "gauge", "Goroutine creation sites flagged as leaking (trace mode).")
	for _, p := range procs {
		b = appendIntSample(b, nameLeaks, p.Ext.labels, int64(p.Suspects))
	}
	return b
}
