package prom

import (
	"math"

	"github.com/gopulse/gopulse/event"
	"github.com/gopulse/gopulse/exporters/internal/pbwire"
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

// extras are the series' own labels, sorted by name, __name__ first (it
// sorts before every lower-case label name).
type extras struct {
	n int
	c [3]*chunk
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

// appendSeriesChunks appends one TimeSeries from pre-encoded labels. The
// length is computed first, so nothing is moved afterwards.
func appendSeriesChunks(b []byte, base []chunk, ex *extras, v float64, ts int64) []byte {
	size := 0
	for i := range base {
		size += len(base[i].enc)
	}
	for i := 0; i < ex.n; i++ {
		size += len(ex.c[i].enc)
	}
	ss := sampleSize(v, ts)
	size += 1 + pbwire.SizeVarint(uint64(ss)) + ss

	b = pbwire.AppendTag(b, 1, pbwire.WireBytes)
	b = pbwire.AppendVarint(b, uint64(size))
	i, j := 0, 0
	for i < len(base) || j < ex.n {
		if j >= ex.n || (i < len(base) && base[i].name < ex.c[j].name) {
			b = append(b, base[i].enc...)
			i++
			continue
		}
		b = append(b, ex.c[j].enc...)
		j++
	}
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

// appendHistChunks appends the series of one histogram.
func appendHistChunks(b []byte, base []chunk, names *histChunks, reason *chunk, le []chunk, inf *chunk, cum func(int) uint64, count uint64, sum float64, ts int64) ([]byte, int) {
	var ex extras
	ex.c[0] = &names.bucket
	ex.n = 2
	leSlot := 1
	if reason != nil {
		// "le" < "reason"
		ex.c[2] = reason
		ex.n = 3
	}
	for k := range le {
		ex.c[leSlot] = &le[k]
		b = appendSeriesChunks(b, base, &ex, float64(cum(k)), ts)
	}
	ex.c[leSlot] = inf
	b = appendSeriesChunks(b, base, &ex, float64(count), ts)
	ex = extras{n: 1}
	if reason != nil {
		ex.c[1] = reason
		ex.n = 2
	}
	ex.c[0] = &names.sum
	b = appendSeriesChunks(b, base, &ex, sum, ts)
	ex.c[0] = &names.count
	b = appendSeriesChunks(b, base, &ex, float64(count), ts)
	return b, len(le) + 3
}
