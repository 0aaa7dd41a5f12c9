package prom

import (
	"github.com/gopulse/gopulse/internal/exporters/pbwire"
)

// Remote write 1.0 wire format (prompb):
//
//	WriteRequest { repeated TimeSeries timeseries = 1; }
//	TimeSeries   { repeated Label labels = 1; repeated Sample samples = 2; }
//	Label        { string name = 1; string value = 2; }
//	Sample       { double value = 1; int64 timestamp = 2; }
//
// Labels are sorted by name, so __name__ comes first for our label names.

// extraLabels are up to two labels added to a process's base labels. They
// must be sorted by name.
type extraLabels struct {
	n     int
	names [2]string
	vals  [2]string
}

func appendPBLabel(b []byte, name, value string) []byte {
	b, m := pbwire.BeginMessage(b, 1)
	b = pbwire.AppendString(b, 1, name)
	b = pbwire.AppendString(b, 2, value)
	return pbwire.EndMessage(b, m)
}

// appendSeries appends one TimeSeries with one sample. Labels with an empty
// value are left out (Prometheus treats them as absent); zero scalars are
// omitted as proto3 does, so the bytes equal prompb's Marshal.
func appendSeries(b []byte, name, suffix string, base []labelPair, ex *extraLabels, v float64, tsMs int64) []byte {
	b, ts := pbwire.BeginMessage(b, 1)
	named := false
	i, j := 0, 0
	for i < len(base) || j < ex.n {
		var ln, lv string
		if j >= ex.n || (i < len(base) && base[i].name < ex.names[j]) {
			ln, lv = base[i].name, base[i].value
			i++
		} else {
			ln, lv = ex.names[j], ex.vals[j]
			j++
		}
		if !named && ln > "__name__" {
			b = appendNameLabel(b, name, suffix)
			named = true
		}
		if lv != "" {
			b = appendPBLabel(b, ln, lv)
		}
	}
	if !named {
		b = appendNameLabel(b, name, suffix)
	}
	b, m := pbwire.BeginMessage(b, 2)
	if v != 0 {
		b = pbwire.AppendDouble(b, 1, v)
	}
	if tsMs != 0 {
		b = pbwire.AppendInt64(b, 2, tsMs)
	}
	b = pbwire.EndMessage(b, m)
	return pbwire.EndMessage(b, ts)
}

// appendNameLabel writes __name__ = name+suffix without concatenating.
func appendNameLabel(b []byte, name, suffix string) []byte {
	b, m := pbwire.BeginMessage(b, 1)
	b = pbwire.AppendString(b, 1, "__name__")
	b = pbwire.AppendTag(b, 2, pbwire.WireBytes)
	b = pbwire.AppendVarint(b, uint64(len(name)+len(suffix)))
	b = append(b, name...)
	b = append(b, suffix...)
	return pbwire.EndMessage(b, m)
}

// AppendWriteRequest appends the runtime series of processes start, start+1,
// … as the timeseries of a remote-write WriteRequest (the message has no
// other fields, so the output is a complete request). It stops after the
// process that takes b past maxBytes and returns the next process index (or
// -1 when done) and the number of samples written. It allocates nothing:
// label messages are encoded once per process and copied.
func (r *Runtime) AppendWriteRequest(b []byte, tsMs int64, start, maxBytes int) ([]byte, int, int) {
	c := &r.enc
	samples := 0
	startLen := len(b)
	next := -1
	r.agg.View(func(procs []*proc) {
		for pi := start; pi < len(procs); pi++ {
			p := procs[pi]
			l := labelsOf(p, r.ext)
			base := l.baseEnc
			end := len(base)
			b = appendSeries2(b, c.info.enc, base, l.splitGoVersion, l.infoEnc[0].enc, l.splitStripped, l.infoEnc[1].enc, 1, tsMs)
			b = appendSeries2(b, c.cycles.enc, base, end, nil, end, nil, float64(p.GCCycles), tsMs)
			b = appendSeries2(b, c.gs.enc, base, end, nil, end, nil, float64(p.Goroutines), tsMs)
			b = appendSeries2(b, c.created.enc, base, end, nil, end, nil, float64(p.Created), tsMs)
			b = appendSeries2(b, c.leaks.enc, base, end, nil, end, nil, float64(p.Suspects), tsMs)
			samples += 5
			var n int
			hc := histCum{h: &p.GCDuration}
			b, n = appendHistChunks(b, l, &c.gcDur, nil, c.gcLe, &c.inf, hc.at, p.GCDuration.Count, p.GCDuration.Sum, tsMs)
			samples += n
			for reason := range p.Pauses {
				h := &p.Pauses[reason]
				if h.Count == 0 {
					continue
				}
				hc := histCum{h: h}
				b, n = appendHistChunks(b, l, &c.pause, &c.reasons[reason], c.pauseLe, &c.inf, hc.at, h.Count, h.Sum, tsMs)
				samples += n
			}
			if p.HasSched {
				s := &p.Sched
				_, le := l.schedBounds(s.Bounds)
				b, n = appendHistChunks(b, l, &c.sched, nil, le, &c.inf, func(k int) uint64 { return s.Cum[k] }, s.Count, s.Sum, tsMs)
				samples += n
			} else if p.SchedTrace.Count > 0 {
				// Trace mode's own histogram, once it has a goroutine's
				// wait. Never an empty one in the configured buckets before
				// the runtime's histogram is first read: that process's
				// series would change bucket set a second later.
				hc := histCum{h: &p.SchedTrace}
				b, n = appendHistChunks(b, l, &c.sched, nil, c.schedLe, &c.inf, hc.at, p.SchedTrace.Count, p.SchedTrace.Sum, tsMs)
				samples += n
			}
			if maxBytes > 0 && len(b)-startLen >= maxBytes && pi+1 < len(procs) {
				next = pi + 1
				return
			}
		}
	})
	return b, next, samples
}
