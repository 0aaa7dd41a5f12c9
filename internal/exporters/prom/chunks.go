package prom

import (
	"math"

	"github.com/gopulse/gopulse/event"
	"github.com/gopulse/gopulse/internal/exporters/pbwire"
)

// chunk is one remote-write Label message, encoded once (key included) and
// copied into every series that carries it.
type chunk struct {
	name string
	enc  []byte
}

func newChunk(name, value string) chunk {
	return chunk{name: name, enc: appendPBLabel(nil, name, value)}
}

// histChunks are the __name__ labels of a histogram's three series.
type histChunks struct{ bucket, sum, count chunk }

func newHistChunks(name string) histChunks {
	return histChunks{
		bucket: newChunk("__name__", name+"_bucket"),
		sum:    newChunk("__name__", name+"_sum"),
		count:  newChunk("__name__", name+"_count"),
	}
}

// runtimeChunks are the label messages every process shares.
type runtimeChunks struct {
	info, cycles, gs, created, leaks chunk
	gcDur, pause, sched              histChunks
	gcLe, pauseLe, schedLe           []chunk
	inf                              chunk
	reasons                          []chunk
}

func newRuntimeChunks(r *Runtime) runtimeChunks {
	les := func(ss []string) []chunk {
		out := make([]chunk, len(ss))
		for i, s := range ss {
			out[i] = newChunk("le", s)
		}
		return out
	}
	c := runtimeChunks{
		info:    newChunk("__name__", nameInfo),
		cycles:  newChunk("__name__", nameGCCycles),
		gs:      newChunk("__name__", nameGoroutines),
		created: newChunk("__name__", nameCreated),
		leaks:   newChunk("__name__", nameLeaks),
		gcDur:   newHistChunks(nameGCDuration),
		pause:   newHistChunks(namePause),
		sched:   newHistChunks(nameSched),
		gcLe:    les(r.gcLeS),
		pauseLe: les(r.pauseLeS),
		schedLe: les(r.schedLeS),
		inf:     newChunk("le", "+Inf"),
	}
	for i := 0; i <= int(event.STWOther); i++ {
		c.reasons = append(c.reasons, newChunk("reason", event.STWReason(i).String()))
	}
	return c
}

func sampleSize(v float64, ts int64) int {
	n := 0
	if v != 0 {
		n += 9
	}
	if ts != 0 {
		n += 1 + pbwire.SizeVarint(uint64(ts))
	}
	return n
}

// appendSeries2 appends one TimeSeries: the __name__ label, the process's
// pre-encoded base labels with up to two extra labels spliced in at their
// sorted offsets (s1 <= s2; a nil extra adds nothing), and one sample. The
// length is computed first, so nothing is moved afterwards.
func appendSeries2(b []byte, name, base []byte, s1 int, e1 []byte, s2 int, e2 []byte, v float64, ts int64) []byte {
	ss := sampleSize(v, ts)
	size := len(name) + len(base) + len(e1) + len(e2) + 1 + pbwire.SizeVarint(uint64(ss)) + ss
	b = pbwire.AppendTag(b, 1, pbwire.WireBytes)
	b = pbwire.AppendVarint(b, uint64(size))
	b = append(b, name...)
	b = append(b, base[:s1]...)
	b = append(b, e1...)
	b = append(b, base[s1:s2]...)
	b = append(b, e2...)
	b = append(b, base[s2:]...)
	b = pbwire.AppendTag(b, 2, pbwire.WireBytes)
	b = pbwire.AppendVarint(b, uint64(ss))
	if v != 0 {
		b = pbwire.AppendTag(b, 1, pbwire.WireFixed64)
		b = pbwire.AppendFixed64(b, math.Float64bits(v))
	}
	if ts != 0 {
		b = pbwire.AppendUint64(b, 2, uint64(ts))
	}
	return b
}

// appendHistChunks appends the series of one histogram; reason may be nil.
func appendHistChunks(b []byte, ps *procLabels, names *histChunks, reason *chunk, le []chunk, inf *chunk, cum func(int) uint64, count uint64, sum float64, ts int64) ([]byte, int) {
	base := ps.baseEnc
	sr := len(base)
	var re []byte
	if reason != nil {
		sr, re = ps.splitReason, reason.enc
	}
	for k := range le {
		b = appendSeries2(b, names.bucket.enc, base, ps.splitLe, le[k].enc, sr, re, float64(cum(k)), ts)
	}
	b = appendSeries2(b, names.bucket.enc, base, ps.splitLe, inf.enc, sr, re, float64(count), ts)
	b = appendSeries2(b, names.sum.enc, base, sr, re, len(base), nil, sum, ts)
	b = appendSeries2(b, names.count.enc, base, sr, re, len(base), nil, float64(count), ts)
	return b, len(le) + 3
}
