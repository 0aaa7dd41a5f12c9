// Package prom exports gopulse's metrics to Prometheus: a /metrics handler
// (text 0.0.4 and OpenMetrics 1.0) and remote write 1.0.
//
// Runtime encodes the series of the metric contract (gopulse_go_*) from
// gopulse's one per-process aggregation (internal/procstats), the same the
// OTel Collector receiver encodes from. Its encoders write into
// caller-owned buffers and allocate nothing per sample in steady state.
package prom

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gopulse/gopulse/event"
	"github.com/gopulse/gopulse/internal/procstats"
)

// RuntimeConfig bounds the runtime aggregation (buckets, leak thresholds,
// stale processes: procstats.Config) and labels the remote-written series.
type RuntimeConfig struct {
	procstats.Config

	// ExternalLabels are added to every remote-written series (not to the
	// /metrics exposition, which the scraper labels), unless the series
	// has a label of that name. Names must start with a lower-case letter
	// and must not be a runtime series' own label (le, reason, go_version,
	// stripped).
	ExternalLabels map[string]string
}

// DefaultRuntimeConfig returns the default buckets and leak thresholds.
func DefaultRuntimeConfig() RuntimeConfig { return RuntimeConfig{Config: procstats.DefaultConfig()} }

// procLabels is a process's encoded labels, rebuilt when its identity
// changes (procstats.Process.ProcGen).
type procLabels struct {
	gen    uint64
	valid  bool
	labels []byte // pid="…",exe="…",service="…"[,namespace,pod,container]
	sorted []labelPair
	enc    []chunk // sorted base labels, encoded for remote write
	// baseEnc is enc concatenated; split* are the byte offsets where a
	// label of that name sorts in.
	baseEnc                                             []byte
	splitGoVersion, splitStripped, splitLe, splitReason int
	infoEnc                                             [2]chunk
	info                                                []byte // go_version="…",stripped="…"

	// The runtime boundaries the scheduling-latency histogram was mapped
	// onto, as text and as encoded le labels.
	schedB   []float64
	schedLe  [][]byte
	schedEnc []chunk
}

// schedBounds returns the text and encoded forms of bounds, rebuilt only
// when they change (the runtime's buckets are the same from Go 1.20 on).
func (l *procLabels) schedBounds(bounds []float64) ([][]byte, []chunk) {
	if !slices.Equal(l.schedB, bounds) {
		l.schedB = slices.Clone(bounds)
		l.schedLe = leStrings(bounds)
		l.schedEnc = make([]chunk, len(bounds))
		for i, b := range l.schedLe {
			l.schedEnc[i] = newChunk("le", string(b))
		}
	}
	return l.schedLe, l.schedEnc
}

type proc = procstats.Process[procLabels]

type labelPair struct{ name, value string }

// Runtime aggregates runtime events per process and encodes them. It
// implements event.RuntimeSink and is safe for concurrent use.
type Runtime struct {
	cfg RuntimeConfig
	agg *procstats.Aggregator[procLabels]
	ext []labelPair // ExternalLabels, sorted

	gcLe, pauseLe, schedLe    [][]byte
	gcLeS, pauseLeS, schedLeS []string
	enc                       runtimeChunks
}

// NewRuntime returns an empty aggregator.
func NewRuntime(cfg RuntimeConfig) *Runtime {
	cfg.KeepExited = false // Prometheus series of an exited process disappear at once
	r := &Runtime{cfg: cfg, agg: procstats.New[procLabels](cfg.Config)}
	for k, v := range cfg.ExternalLabels {
		r.ext = append(r.ext, labelPair{k, v})
	}
	slices.SortFunc(r.ext, func(a, b labelPair) int { return strings.Compare(a.name, b.name) })
	r.gcLe = leStrings(cfg.GCBuckets)
	r.pauseLe = leStrings(cfg.PauseBuckets)
	r.schedLe = leStrings(cfg.SchedBuckets)
	r.gcLeS, r.pauseLeS, r.schedLeS = toStrings(r.gcLe), toStrings(r.pauseLe), toStrings(r.schedLe)
	r.enc = newRuntimeChunks(r)
	return r
}

func leStrings(b []float64) [][]byte {
	out := make([][]byte, len(b))
	for i, v := range b {
		out[i] = strconv.AppendFloat(nil, v, 'g', -1, 64)
	}
	return out
}

func toStrings(bs [][]byte) []string {
	out := make([]string, len(bs))
	for i, b := range bs {
		out[i] = string(b)
	}
	return out
}

// UpsertProc sets (or updates) a process's metadata. Events for a process may
// arrive before it; its labels are filled in then.
func (r *Runtime) UpsertProc(p *event.Proc) { r.agg.UpsertProc(p) }

// RemoveProc forgets a process and its series.
func (r *Runtime) RemoveProc(pid int) { r.agg.RemoveProc(pid) }

// HandleRuntime implements event.RuntimeSink.
func (r *Runtime) HandleRuntime(ev *event.Runtime) { r.agg.HandleRuntime(ev) }

// Prune removes the processes not seen for StaleAfter and returns how many
// it removed. The handler and the remote writer call it before encoding.
func (r *Runtime) Prune(now time.Time) int { return r.agg.Prune(now) }

// Len returns the number of processes with series.
func (r *Runtime) Len() int { return r.agg.Len() }

// Snapshot returns every process's cumulative series (for a takeover).
func (r *Runtime) Snapshot() RuntimeSnapshot { return r.agg.Snapshot() }

// Restore adds a predecessor's snapshot to the aggregation; see
// procstats.Aggregator.Restore.
func (r *Runtime) Restore(s RuntimeSnapshot, keep func(pid uint32) bool) []uint32 {
	return r.agg.Restore(s, keep)
}

// RuntimeSnapshot is the aggregation's counters and histograms handed over
// to a successor agent.
type RuntimeSnapshot = procstats.Snapshot

// ProcSnapshot is one process's cumulative series.
type ProcSnapshot = procstats.ProcSnapshot

// HistSnapshot is a histogram's per-bucket counts.
type HistSnapshot = procstats.HistSnapshot

// labelsOf returns p's encoded labels (ext are added to the remote-written
// ones), rebuilding them when its identity changed.
func labelsOf(p *proc, ext []labelPair) *procLabels {
	l := &p.Ext
	if !l.valid || l.gen != p.ProcGen {
		l.set(p.PID, &p.Proc, ext)
		l.gen, l.valid = p.ProcGen, true
	}
	return l
}

func (l *procLabels) set(pid uint32, p *event.Proc, ext []labelPair) {
	pairs := []labelPair{
		{"pid", strconv.Itoa(int(pid))},
		{"exe", p.Exe},
		{"service", p.Service},
	}
	if p.Node != "" {
		pairs = append(pairs, labelPair{"node", p.Node})
	}
	if p.Namespace != "" || p.Pod != "" || p.Container != "" {
		pairs = append(pairs, labelPair{"namespace", p.Namespace}, labelPair{"pod", p.Pod}, labelPair{"container", p.Container})
	}
	var b []byte
	for i, lp := range pairs {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendLabel(b, lp.name, lp.value)
	}
	l.labels = b
	l.info = appendLabel(nil, "go_version", p.GoVersion)
	l.info = append(l.info, ',')
	l.info = appendLabel(l.info, "stripped", strconv.FormatBool(p.Stripped))
	// Remote write also carries the external labels.
	for _, e := range ext {
		if !slices.ContainsFunc(pairs, func(lp labelPair) bool { return lp.name == e.name }) {
			pairs = append(pairs, e)
		}
	}
	slices.SortFunc(pairs, func(a, b labelPair) int {
		switch {
		case a.name < b.name:
			return -1
		case a.name > b.name:
			return 1
		}
		return 0
	})
	l.sorted = pairs
	l.enc = l.enc[:0]
	for _, lp := range pairs {
		if lp.value != "" {
			l.enc = append(l.enc, newChunk(lp.name, lp.value))
		}
	}
	l.infoEnc = [2]chunk{newChunk("go_version", p.GoVersion), newChunk("stripped", strconv.FormatBool(p.Stripped))}
	l.baseEnc = l.baseEnc[:0]
	for _, c := range l.enc {
		l.baseEnc = append(l.baseEnc, c.enc...)
	}
	split := func(name string) int {
		n := 0
		for _, c := range l.enc {
			if c.name < name {
				n += len(c.enc)
			}
		}
		return n
	}
	l.splitGoVersion, l.splitStripped = split("go_version"), split("stripped")
	l.splitLe, l.splitReason = split("le"), split("reason")
}

// appendLabel appends name="escaped value".
func appendLabel(b []byte, name, value string) []byte {
	b = append(b, name...)
	b = append(b, '=', '"')
	for i := 0; i < len(value); i++ {
		switch c := value[i]; c {
		case '\\':
			b = append(b, '\\', '\\')
		case '"':
			b = append(b, '\\', '"')
		case '\n':
			b = append(b, '\\', 'n')
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}
