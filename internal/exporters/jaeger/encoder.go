package jaeger

import (
	"path/filepath"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/gopulse/gopulse/event"
)

// ProcLookup resolves a pid to the process it names, for the resource
// attributes (service.name, process.pid, process.executable.path, …).
type ProcLookup interface {
	Proc(pid uint32) (event.Proc, bool)
}

const (
	scopeName         = "github.com/gopulse/gopulse/internal/exporters/jaeger"
	unknownService    = "unknown_service:go"
	defaultMaxProcs   = 4096
	otlpKindInternal  = 1
	jaegerTypeString  = 0
	jaegerTypeBool    = 1
	jaegerTypeInt64   = 2
	jaegerFlagSampled = 1
)

// resource is one process's cached encodings.
type resource struct {
	pid        uint32
	resolved   bool   // built from a ProcLookup hit; false: a fallback to retry
	otlp       []byte // OTLP Resource message body
	jproc      []byte // jaeger Process message body
	head, tail int32
}

// Encoder collects spans and encodes them as one OTLP
// ExportTraceServiceRequest or one jaeger api_v2 PostSpansRequest. Steady
// state allocates nothing: spans, per-process resource encodings and the
// output buffers are reused. Not safe for concurrent use.
type Encoder struct {
	procs     ProcLookup
	version   string
	maxProcs  int
	spans     []span
	resources []resource
	index     map[uint32]int32
	active    []int32
	out       []byte
	scratch   []byte // one span
	group     []byte // the spans of one process
	exited    []uint32
}

// NewEncoder returns an Encoder. procs may be nil; version is the
// instrumentation scope version (gopulse's).
func NewEncoder(procs ProcLookup, version string) *Encoder {
	return &Encoder{procs: procs, version: version, maxProcs: defaultMaxProcs, index: make(map[uint32]int32)}
}

// Len returns the number of spans since the last Reset.
func (e *Encoder) Len() int { return len(e.spans) }

// Reset forgets the spans and keeps the buffers.
func (e *Encoder) Reset() {
	for _, ri := range e.active {
		r := &e.resources[ri]
		r.head, r.tail = -1, -1
	}
	e.active = e.active[:0]
	e.spans = e.spans[:0]
	for _, pid := range e.exited {
		e.forget(pid)
	}
	e.exited = e.exited[:0]
	if len(e.resources) > e.maxProcs {
		clear(e.index)
		e.resources = e.resources[:0]
	}
}

// forget drops a process's cached resource (swap-remove).
func (e *Encoder) forget(pid uint32) {
	ri, ok := e.index[pid]
	if !ok {
		return
	}
	last := int32(len(e.resources) - 1)
	if ri != last {
		e.resources[ri] = e.resources[last]
		e.index[e.resources[ri].pid] = ri
	}
	e.resources = e.resources[:last]
	delete(e.index, pid)
}

// ProcExited drops pid's cached resource after the current batch.
func (e *Encoder) ProcExited(pid uint32) { e.exited = append(e.exited, pid) }

// add appends one span, threading it onto its process's list.
func (e *Encoder) add(s span) {
	ri := e.resourceOf(s.pid)
	r := &e.resources[ri]
	idx := int32(len(e.spans))
	s.next = -1
	e.spans = append(e.spans, s)
	if r.tail < 0 {
		r.head = idx
		e.active = append(e.active, ri)
	} else {
		e.spans[r.tail].next = idx
	}
	r.tail = idx
}

func (e *Encoder) resourceOf(pid uint32) int32 {
	ri, ok := e.index[pid]
	if ok {
		r := &e.resources[ri]
		if r.resolved || r.head >= 0 || e.procs == nil {
			return ri
		}
		// A fallback resource: retry the lookup once per batch.
		if p, ok := e.procs.Proc(pid); ok {
			r.otlp, r.jproc, r.resolved = encodeResource(r.otlp[:0], r.jproc[:0], &p)
		}
		return ri
	}
	p, found := event.Proc{PID: int(pid), Service: unknownService}, false
	if e.procs != nil {
		if q, ok := e.procs.Proc(pid); ok {
			p, found = q, true
		}
	}
	r := resource{pid: pid, head: -1, tail: -1}
	r.otlp, r.jproc, _ = encodeResource(nil, nil, &p)
	r.resolved = found
	ri = int32(len(e.resources))
	e.resources = append(e.resources, r)
	e.index[pid] = ri
	return ri
}

// encodeResource builds the OTLP Resource and jaeger Process bodies.
func encodeResource(otlp, jproc []byte, p *event.Proc) ([]byte, []byte, bool) {
	svc := p.Service
	if svc == "" {
		svc = filepath.Base(p.Exe)
		if svc == "." || svc == "/" || svc == "" {
			svc = unknownService
		}
	}
	type kv struct {
		k, s  string
		i     int64
		isInt bool
	}
	attrs := []kv{
		{k: "service.name", s: svc},
		{k: "process.pid", i: int64(p.PID), isInt: true},
		{k: "process.runtime.name", s: "go"},
	}
	if p.Exe != "" {
		attrs = append(attrs, kv{k: "process.executable.path", s: p.Exe}, kv{k: "process.executable.name", s: filepath.Base(p.Exe)})
	}
	if p.GoVersion != "" {
		attrs = append(attrs, kv{k: "process.runtime.version", s: p.GoVersion})
	}
	if p.Namespace != "" {
		attrs = append(attrs, kv{k: "k8s.namespace.name", s: p.Namespace})
	}
	if p.Pod != "" {
		attrs = append(attrs, kv{k: "k8s.pod.name", s: p.Pod})
	}
	if p.Container != "" {
		attrs = append(attrs, kv{k: "k8s.container.name", s: p.Container})
	}
	for _, a := range attrs {
		if a.isInt {
			otlp = appendKVInt(otlp, 1, a.k, a.i)
		} else {
			otlp = appendKVStr(otlp, 1, a.k, a.s)
		}
	}
	jproc = protowire.AppendTag(jproc, 1, protowire.BytesType)
	jproc = protowire.AppendString(jproc, svc)
	for _, a := range attrs[1:] {
		if a.isInt {
			jproc = appendJaegerInt(jproc, 2, a.k, a.i)
		} else {
			jproc = appendJaegerStr(jproc, 2, a.k, a.s)
		}
	}
	return otlp, jproc, true
}

func appendMsgHeader(b []byte, field protowire.Number, n int) []byte {
	b = protowire.AppendTag(b, field, protowire.BytesType)
	return protowire.AppendVarint(b, uint64(n))
}

func appendStringField(b []byte, field protowire.Number, s string) []byte {
	b = protowire.AppendTag(b, field, protowire.BytesType)
	return protowire.AppendString(b, s)
}

// OTLP common.v1.KeyValue with a string / int / bool AnyValue.
func appendKVStr(b []byte, field protowire.Number, k, v string) []byte {
	anyN := 1 + protowire.SizeBytes(len(v))
	b = appendMsgHeader(b, field, 1+protowire.SizeBytes(len(k))+1+protowire.SizeBytes(anyN))
	b = appendStringField(b, 1, k)
	b = appendMsgHeader(b, 2, anyN)
	return appendStringField(b, 1, v)
}

func appendKVInt(b []byte, field protowire.Number, k string, v int64) []byte {
	anyN := 1 + protowire.SizeVarint(uint64(v))
	b = appendMsgHeader(b, field, 1+protowire.SizeBytes(len(k))+1+protowire.SizeBytes(anyN))
	b = appendStringField(b, 1, k)
	b = appendMsgHeader(b, 2, anyN)
	b = protowire.AppendTag(b, 3, protowire.VarintType)
	return protowire.AppendVarint(b, uint64(v))
}

func appendKVBool(b []byte, field protowire.Number, k string, v bool) []byte {
	b = appendMsgHeader(b, field, 1+protowire.SizeBytes(len(k))+1+protowire.SizeBytes(2))
	b = appendStringField(b, 1, k)
	b = appendMsgHeader(b, 2, 2)
	b = protowire.AppendTag(b, 2, protowire.VarintType)
	return protowire.AppendVarint(b, protowire.EncodeBool(v))
}

// jaeger api_v2 KeyValue.
func appendJaegerStr(b []byte, field protowire.Number, k, v string) []byte {
	n := 1 + protowire.SizeBytes(len(k))
	if v != "" {
		n += 1 + protowire.SizeBytes(len(v))
	}
	b = appendMsgHeader(b, field, n)
	b = appendStringField(b, 1, k)
	if v != "" {
		b = appendStringField(b, 3, v)
	}
	return b
}

func appendJaegerInt(b []byte, field protowire.Number, k string, v int64) []byte {
	n := 1 + protowire.SizeBytes(len(k)) + 2
	if v != 0 {
		n += 1 + protowire.SizeVarint(uint64(v))
	}
	b = appendMsgHeader(b, field, n)
	b = appendStringField(b, 1, k)
	b = protowire.AppendTag(b, 2, protowire.VarintType)
	b = protowire.AppendVarint(b, jaegerTypeInt64)
	if v != 0 {
		b = protowire.AppendTag(b, 5, protowire.VarintType)
		b = protowire.AppendVarint(b, uint64(v))
	}
	return b
}

func appendJaegerBool(b []byte, field protowire.Number, k string, v bool) []byte {
	n := 1 + protowire.SizeBytes(len(k)) + 2
	if v {
		n += 2
	}
	b = appendMsgHeader(b, field, n)
	b = appendStringField(b, 1, k)
	b = protowire.AppendTag(b, 2, protowire.VarintType)
	b = protowire.AppendVarint(b, jaegerTypeBool)
	if v {
		b = protowire.AppendTag(b, 4, protowire.VarintType)
		b = protowire.AppendVarint(b, 1)
	}
	return b
}

// appendOTLPSpan appends a trace.v1.Span body.
func appendOTLPSpan(b []byte, s *span) []byte {
	b = appendMsgHeader(b, 1, 16)
	b = append(b, s.traceID[:]...)
	b = appendMsgHeader(b, 2, 8)
	b = append(b, s.spanID[:]...)
	if !s.root() {
		b = appendMsgHeader(b, 4, 8)
		b = append(b, s.parentID[:]...)
	}
	b = appendStringField(b, 5, s.name)
	b = protowire.AppendTag(b, 6, protowire.VarintType)
	b = protowire.AppendVarint(b, otlpKindInternal)
	b = protowire.AppendTag(b, 7, protowire.Fixed64Type)
	b = protowire.AppendFixed64(b, uint64(s.start))
	b = protowire.AppendTag(b, 8, protowire.Fixed64Type)
	b = protowire.AppendFixed64(b, uint64(s.end))
	if s.cycle != noCycle {
		b = appendKVInt(b, 9, attrCycle, s.cycle)
	}
	if s.phase != "" {
		b = appendKVStr(b, 9, attrPhase, s.phase)
	}
	if s.reason != "" {
		b = appendKVStr(b, 9, attrReason, s.reason)
	}
	if s.stw {
		b = appendKVBool(b, 9, attrStopsTheWorld, true)
	}
	return b
}

// EncodeOTLP returns the spans as an OTLP ExportTraceServiceRequest, the body
// of a POST to /v1/traces with Content-Type application/x-protobuf. The
// result is valid until the next Encode call.
func (e *Encoder) EncodeOTLP() []byte {
	b := e.out[:0]
	for _, ri := range e.active {
		r := &e.resources[ri]
		// ScopeSpans: scope, then the spans.
		g := e.group[:0]
		scopeN := 1 + protowire.SizeBytes(len(scopeName))
		if e.version != "" {
			scopeN += 1 + protowire.SizeBytes(len(e.version))
		}
		g = appendMsgHeader(g, 1, scopeN)
		g = appendStringField(g, 1, scopeName)
		if e.version != "" {
			g = appendStringField(g, 2, e.version)
		}
		for i := r.head; i >= 0; i = e.spans[i].next {
			e.scratch = appendOTLPSpan(e.scratch[:0], &e.spans[i])
			g = appendMsgHeader(g, 2, len(e.scratch))
			g = append(g, e.scratch...)
		}
		e.group = g
		resN := 1 + protowire.SizeBytes(len(r.otlp))
		scopeSpansN := 1 + protowire.SizeBytes(len(g))
		b = appendMsgHeader(b, 1, resN+scopeSpansN)
		b = appendMsgHeader(b, 1, len(r.otlp))
		b = append(b, r.otlp...)
		b = appendMsgHeader(b, 2, len(g))
		b = append(b, g...)
	}
	e.out = b
	return b
}

// appendJaegerSpan appends a jaeger api_v2 Span body with its process.
func appendJaegerSpan(b []byte, s *span, proc []byte) []byte {
	b = appendMsgHeader(b, 1, 16)
	b = append(b, s.traceID[:]...)
	b = appendMsgHeader(b, 2, 8)
	b = append(b, s.spanID[:]...)
	b = appendStringField(b, 3, s.name)
	if !s.root() {
		b = appendMsgHeader(b, 4, 2+16+2+8) // SpanRef CHILD_OF (0, omitted)
		b = appendMsgHeader(b, 1, 16)
		b = append(b, s.traceID[:]...)
		b = appendMsgHeader(b, 2, 8)
		b = append(b, s.parentID[:]...)
	}
	b = protowire.AppendTag(b, 5, protowire.VarintType)
	b = protowire.AppendVarint(b, jaegerFlagSampled)
	b = appendTimestamp(b, 6, s.start)
	b = appendTimestamp(b, 7, s.end-s.start)
	if s.cycle != noCycle {
		b = appendJaegerInt(b, 8, attrCycle, s.cycle)
	}
	if s.phase != "" {
		b = appendJaegerStr(b, 8, attrPhase, s.phase)
	}
	if s.reason != "" {
		b = appendJaegerStr(b, 8, attrReason, s.reason)
	}
	if s.stw {
		b = appendJaegerBool(b, 8, attrStopsTheWorld, true)
	}
	b = appendMsgHeader(b, 10, len(proc))
	return append(b, proc...)
}

// appendTimestamp appends a google.protobuf Timestamp or Duration (same
// wire shape) of ns nanoseconds.
func appendTimestamp(b []byte, field protowire.Number, ns int64) []byte {
	sec, nsec := ns/1e9, ns%1e9
	if nsec < 0 && field == 6 { // Timestamp nanos are never negative
		sec--
		nsec += 1e9
	}
	n := 0
	if sec != 0 {
		n += 1 + protowire.SizeVarint(uint64(sec))
	}
	if nsec != 0 {
		n += 1 + protowire.SizeVarint(uint64(nsec))
	}
	b = appendMsgHeader(b, field, n)
	if sec != 0 {
		b = protowire.AppendTag(b, 1, protowire.VarintType)
		b = protowire.AppendVarint(b, uint64(sec))
	}
	if nsec != 0 {
		b = protowire.AppendTag(b, 2, protowire.VarintType)
		b = protowire.AppendVarint(b, uint64(nsec))
	}
	return b
}

// EncodeJaeger returns the spans as a jaeger api_v2 PostSpansRequest (each
// span carrying its own Process), the message of
// CollectorService.PostSpans. The result is valid until the next Encode call.
func (e *Encoder) EncodeJaeger() []byte {
	g := e.group[:0]
	for _, ri := range e.active {
		r := &e.resources[ri]
		for i := r.head; i >= 0; i = e.spans[i].next {
			e.scratch = appendJaegerSpan(e.scratch[:0], &e.spans[i], r.jproc)
			g = appendMsgHeader(g, 1, len(e.scratch))
			g = append(g, e.scratch...)
		}
	}
	e.group = g
	b := appendMsgHeader(e.out[:0], 1, len(g)) // PostSpansRequest.batch
	b = append(b, g...)
	e.out = b
	return b
}
