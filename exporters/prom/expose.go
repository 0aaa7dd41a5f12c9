package prom

import (
	"bytes"
	"math"
	"strconv"
	"strings"

	"github.com/gopulse/gopulse/event"
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
	h   *hist
	k   int
	acc uint64
}

func (c *histCum) at(k int) uint64 {
	if k < c.k {
		c.k, c.acc = 0, 0
	}
	for ; c.k <= k; c.k++ {
		c.acc += c.h.counts[c.k]
	}
	return c.acc
}

// AppendExposition appends the runtime series in the Prometheus text format
// 0.0.4, or in OpenMetrics 1.0 when om is set (without the final "# EOF",
// which the caller writes after any other families). It allocates nothing.
func (r *Runtime) AppendExposition(b []byte, om bool) []byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.order) == 0 {
		return b
	}
	b = appendHeader(b, om, nameInfo, "gauge", "Watched Go process, with its Go version and whether it is stripped.")
	for _, ps := range r.order {
		b = appendSeriesStart(b, nameInfo, "", ps.labels)
		b = append(b, ',')
		b = append(b, ps.info...)
		b = append(b, "} 1\n"...)
	}
	b = appendHeader(b, om, nameGCCycles, "counter", "Finished GC cycles.")
	for _, ps := range r.order {
		b = appendUintSample(b, nameGCCycles, ps.labels, ps.gcCycles)
	}
	b = appendHeader(b, om, nameGCDuration, "histogram", "GC cycle duration, from start to the end of mark termination.")
	for _, ps := range r.order {
		c := histCum{h: &ps.gcDur}
		b = appendHist(b, om, nameGCDuration, ps.labels, "", r.gcLe, c.at, ps.gcDur.count, ps.gcDur.sum)
	}
	b = appendHeader(b, om, namePause, "histogram", "Stop-the-world pauses by reason.")
	for _, ps := range r.order {
		for reason := range ps.pauses {
			h := &ps.pauses[reason]
			if h.count == 0 {
				continue
			}
			c := histCum{h: h}
			b = appendHist(b, om, namePause, ps.labels, event.STWReason(reason).String(), r.pauseLe, c.at, h.count, h.sum)
		}
	}
	b = appendHeader(b, om, nameSched, "histogram", "Scheduling latency: time goroutines spend runnable before running.")
	for _, ps := range r.order {
		if ps.hasSched {
			s := &ps.sched
			b = appendHist(b, om, nameSched, ps.labels, "", s.leStr, func(k int) uint64 { return s.cum[k] }, s.count, s.sum)
			continue
		}
		c := histCum{h: &ps.schedTrace}
		b = appendHist(b, om, nameSched, ps.labels, "", r.schedLe, c.at, ps.schedTrace.count, ps.schedTrace.sum)
	}
	b = appendHeader(b, om, nameGoroutines, "gauge", "Live goroutines.")
	for _, ps := range r.order {
		b = appendIntSample(b, nameGoroutines, ps.labels, ps.goroutines)
	}
	b = appendHeader(b, om, nameCreated, "counter", "Goroutines created (trace mode).")
	for _, ps := range r.order {
		b = appendUintSample(b, nameCreated, ps.labels, ps.created)
	}
	b = appendHeader(b, om, nameLeaks, "gauge", "Goroutine creation sites flagged as leaking (trace mode).")
	for _, ps := range r.order {
		b = appendIntSample(b, nameLeaks, ps.labels, int64(ps.suspects))
	}
	return b
}
