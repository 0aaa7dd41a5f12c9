// Package loki exports parsed log records to Grafana Loki through its push
// API: a snappy-compressed protobuf logproto.PushRequest (the wire format of
// github.com/grafana/loki/pkg/push), written by hand into reused buffers.
//
// Stream labels are bounded: job, service, node, namespace, pod, container
// and format (Loki's advice: labels say where a line comes from, with few
// values each; Loki 3 derives service_name from service).
// Everything inferred from the line (event.LogRecord.Fields, the level and
// the template id as template_id, 16 hex digits) goes in as structured
// metadata. A template merge reported before the batch is sent
// (AliasTemplate) gives its pending entries the merged template's id.
// Entries keep their arrival order within a stream.
package loki

import (
	"bytes"
	"unicode/utf8"

	"github.com/klauspost/compress/s2"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/gopulse/gopulse/event"
)

// Stream label names, in the sorted order Loki expects in a selector.
var streamLabelNames = [...]string{"container", "format", "job", "namespace", "node", "pod", "service"}

const (
	lblContainer = iota
	lblFormat
	lblJob
	lblNamespace
	lblNode
	lblPod
	lblService
	numLabels
)

// Limits applied while encoding, matching Loki's defaults.
const (
	// DefaultMaxLineBytes is Loki's default max_line_size.
	DefaultMaxLineBytes = 256 << 10
	// DefaultMaxMetadataEntries is Loki's default
	// max_structured_metadata_entries_count.
	DefaultMaxMetadataEntries = 128
	// defaultMaxStreams bounds the stream index kept across batches.
	defaultMaxStreams = 4096
)

// span is a slice of the encoder's arena.
type span struct{ off, n int32 }

type entry struct {
	ts     int64
	line   span
	md     int32 // first metadata pair in Encoder.pairs
	nmd    int32
	next   int32 // next entry of the same stream, -1 at the tail
	size   int32 // encoded Entry message size
	tsSize int32
}

type pair struct{ name, value span }

type stream struct {
	labels     string
	head, tail int32
	entries    int32
}

// Encoder accumulates log records into one Loki PushRequest and encodes it.
// Appending copies what the record points to, so the record may be reused as
// soon as Append returns. Steady-state appends and encodes allocate nothing:
// the arena, the entry table, the stream index and the output buffers are
// reused from batch to batch. An Encoder is not safe for concurrent use.
type Encoder struct {
	job          string
	maxLine      int
	maxMetadata  int
	maxStreams   int
	arena        []byte
	entries      []entry
	pairs        []pair
	streams      []stream
	index        map[string]int32
	active       []int32 // streams with entries in this batch, first-seen order
	key          []byte  // scratch: the stream selector being built
	lastFormat   string  // the previous record's stream inputs, for a fast path
	lastLabels   []event.Label
	lastStream   int32
	vals         [numLabels][]byte
	raw, snapped []byte
	tmpl         []tmplRef // template_id values in the arena, for AliasTemplate
}

// tmplRef is a template_id value written in the arena.
type tmplRef struct {
	off int32
	id  uint64
}

const hexDigits = "0123456789abcdef"

// putID writes id as 16 hex digits.
func (e *Encoder) putID(id uint64) span {
	off := len(e.arena)
	for i := 15; i >= 0; i-- {
		e.arena = append(e.arena, hexDigits[id>>(4*uint(i))&0xf])
	}
	return span{int32(off), 16}
}

// AliasTemplate gives the entries of the batch that carry template id from
// the id to (the template of from was merged into that of to).
func (e *Encoder) AliasTemplate(from, to uint64) {
	for i := range e.tmpl {
		t := &e.tmpl[i]
		if t.id != from {
			continue
		}
		t.id = to
		b := e.arena[t.off : t.off+16]
		for k := 15; k >= 0; k-- {
			b[15-k] = hexDigits[to>>(4*uint(k))&0xf]
		}
	}
}

// NewEncoder returns an Encoder that puts job in every stream's job label
// (unless a record carries its own).
func NewEncoder(job string) *Encoder {
	return &Encoder{
		job:         job,
		maxLine:     DefaultMaxLineBytes,
		maxMetadata: DefaultMaxMetadataEntries,
		maxStreams:  defaultMaxStreams,
		index:       make(map[string]int32),
		lastStream:  -1,
	}
}

// Len returns the number of entries appended since the last Reset.
func (e *Encoder) Len() int { return len(e.entries) }

// Bytes returns an estimate of the uncompressed request size so far.
func (e *Encoder) Bytes() int { return len(e.arena) + 16*len(e.entries) }

// Reset forgets the appended entries and keeps the buffers.
func (e *Encoder) Reset() {
	for _, si := range e.active {
		s := &e.streams[si]
		s.head, s.tail, s.entries = -1, -1, 0
	}
	e.active = e.active[:0]
	e.entries = e.entries[:0]
	e.pairs = e.pairs[:0]
	e.arena = e.arena[:0]
	e.tmpl = e.tmpl[:0]
	if len(e.streams) > e.maxStreams {
		clear(e.index)
		e.streams = e.streams[:0]
		e.lastStream = -1
	}
}

func (e *Encoder) put(b []byte) span {
	off := len(e.arena)
	e.arena = append(e.arena, b...)
	return span{int32(off), int32(len(b))}
}

// putText copies b as valid UTF-8: Loki refuses a whole push (400) when
// one line, label or metadata value is not. Invalid sequences become
// U+FFFD; bad reports whether there were any.
func (e *Encoder) putText(b []byte) (sp span, bad bool) {
	if utf8.Valid(b) {
		return e.put(b), false
	}
	off := len(e.arena)
	e.arena = appendValidUTF8(e.arena, b)
	return span{int32(off), int32(len(e.arena) - off)}, true
}

// appendValidUTF8 appends b to dst with every invalid sequence replaced by
// U+FFFD.
func appendValidUTF8(dst, b []byte) []byte {
	for len(b) > 0 {
		i := 0
		for i < len(b) {
			if b[i] < utf8.RuneSelf {
				i++
				continue
			}
			r, n := utf8.DecodeRune(b[i:])
			if r == utf8.RuneError && n == 1 {
				break
			}
			i += n
		}
		dst = append(dst, b[:i]...)
		if i == len(b) {
			break
		}
		dst = utf8.AppendRune(dst, utf8.RuneError)
		b = b[i+1:]
	}
	return dst
}

// labelValue returns b with every invalid byte, and U+FFFD, as '?'.
func labelValue(b []byte) []byte {
	out := make([]byte, 0, len(b))
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		if r == utf8.RuneError {
			out = append(out, '?')
		} else {
			out = append(out, b[:n]...)
		}
		b = b[n:]
	}
	return out
}

// cutUTF8 cuts b to at most n bytes, not inside a multi-byte sequence.
func cutUTF8(b []byte, n int) []byte {
	if len(b) <= n {
		return b
	}
	i := n
	for j := 0; j < utf8.UTFMax && i > 0 && !utf8.RuneStart(b[i]); j++ {
		i--
	}
	if !utf8.RuneStart(b[i]) {
		i = n // not UTF-8 anyway
	}
	return b[:i]
}

func (e *Encoder) putString(s string) span {
	off := len(e.arena)
	e.arena = append(e.arena, s...)
	return span{int32(off), int32(len(s))}
}

// putName copies a structured metadata name, turning it into a valid Loki
// label name ([a-zA-Z_][a-zA-Z0-9_]*) so that LogQL can address it.
func (e *Encoder) putName(b []byte) span {
	off := len(e.arena)
	if len(b) > 0 && b[0] >= '0' && b[0] <= '9' {
		e.arena = append(e.arena, '_')
	}
	for _, c := range b {
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			c = '_'
		}
		e.arena = append(e.arena, c)
	}
	return span{int32(off), int32(len(e.arena) - off)}
}

func (e *Encoder) bytes(s span) []byte { return e.arena[s.off : s.off+s.n] }

// Append adds one record to the batch.
func (e *Encoder) Append(rec *event.LogRecord) {
	si := e.streamOf(rec)
	s := &e.streams[si]

	line := cutUTF8(rec.Body, e.maxLine)
	lsp, badLine := e.putText(line)
	en := entry{ts: rec.TS, line: lsp, md: int32(len(e.pairs)), next: -1}

	hasLevel := false
	for i := range rec.Fields {
		if int(en.nmd) >= e.maxMetadata {
			break
		}
		f := &rec.Fields[i]
		if len(f.Key) == 0 || len(f.Value) == 0 {
			continue // Loki drops empty structured metadata values
		}
		if string(f.Key) == "level" {
			hasLevel = true
		}
		name := e.putName(f.Key)
		value, _ := e.putText(f.Value)
		e.pairs = append(e.pairs, pair{name: name, value: value})
		en.nmd++
	}
	if len(rec.Level) > 0 && !hasLevel && int(en.nmd) < e.maxMetadata {
		value, _ := e.putText(rec.Level)
		e.pairs = append(e.pairs, pair{name: e.putString("level"), value: value})
		en.nmd++
	}
	if rec.TemplateID != 0 && int(en.nmd) < e.maxMetadata {
		name := e.putString("template_id")
		v := e.putID(rec.TemplateID)
		e.tmpl = append(e.tmpl, tmplRef{off: v.off, id: rec.TemplateID})
		e.pairs = append(e.pairs, pair{name: name, value: v})
		en.nmd++
	}
	// A line that was not valid UTF-8 says so (its bad bytes are U+FFFD).
	if badLine && int(en.nmd) < e.maxMetadata {
		e.pairs = append(e.pairs, pair{name: e.putString("invalid_utf8"), value: e.putString("true")})
		en.nmd++
	}
	en.tsSize, en.size = e.entrySize(&en)

	idx := int32(len(e.entries))
	e.entries = append(e.entries, en)
	if s.tail < 0 {
		s.head = idx
		e.active = append(e.active, si)
	} else {
		e.entries[s.tail].next = idx
	}
	s.tail = idx
	s.entries++
}

// streamOf returns the index of the record's stream, creating it when new.
// Consecutive records of one stream (the common case: a tailer reads a file
// at a time) skip building the selector.
func (e *Encoder) streamOf(rec *event.LogRecord) int32 {
	if e.lastStream >= 0 && rec.Format == e.lastFormat && sameLabels(rec.Labels, e.lastLabels) {
		return e.lastStream
	}
	si := e.lookupStream(rec)
	e.lastStream, e.lastFormat = si, rec.Format
	e.lastLabels = append(e.lastLabels[:0], rec.Labels...)
	return si
}

func sameLabels(a, b []event.Label) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func (e *Encoder) lookupStream(rec *event.LogRecord) int32 {
	for i := range e.vals {
		e.vals[i] = e.vals[i][:0]
	}
	e.vals[lblJob] = append(e.vals[lblJob], e.job...)
	e.vals[lblFormat] = append(e.vals[lblFormat], rec.Format...)
	for _, l := range rec.Labels {
		switch l.Name {
		case "job":
			e.vals[lblJob] = append(e.vals[lblJob][:0], l.Value...)
		case "namespace":
			e.vals[lblNamespace] = append(e.vals[lblNamespace][:0], l.Value...)
		case "pod":
			e.vals[lblPod] = append(e.vals[lblPod][:0], l.Value...)
		case "node":
			e.vals[lblNode] = append(e.vals[lblNode][:0], l.Value...)
		case "service":
			e.vals[lblService] = append(e.vals[lblService][:0], l.Value...)
		case "container":
			e.vals[lblContainer] = append(e.vals[lblContainer][:0], l.Value...)
		case "format":
			e.vals[lblFormat] = append(e.vals[lblFormat][:0], l.Value...)
		}
	}
	k := append(e.key[:0], '{')
	first := true
	for i, v := range e.vals {
		if len(v) == 0 {
			continue
		}
		if !first {
			k = append(k, ", "...)
		}
		first = false
		k = append(k, streamLabelNames[i]...)
		k = append(k, '=', '"')
		if !utf8.Valid(v) || bytes.ContainsRune(v, utf8.RuneError) {
			// Loki parses the selector with PromQL's lexer, which refuses
			// U+FFFD too: '?' stands for each bad byte.
			v = labelValue(v) // once per new stream
		}
		for _, c := range v {
			switch c {
			case '"', '\\':
				k = append(k, '\\', c)
			case '\n':
				k = append(k, '\\', 'n')
			default:
				k = append(k, c)
			}
		}
		k = append(k, '"')
	}
	k = append(k, '}')
	e.key = k
	if si, ok := e.index[string(k)]; ok {
		return si
	}
	si := int32(len(e.streams))
	labels := string(k)
	e.streams = append(e.streams, stream{labels: labels, head: -1, tail: -1})
	e.index[labels] = si
	return si
}

func sizeLen(n int) int { return protowire.SizeBytes(n) }

func (e *Encoder) entrySize(en *entry) (tsSize, size int32) {
	sec, nsec := splitTS(en.ts)
	ts := 0
	if sec != 0 {
		ts += 1 + protowire.SizeVarint(uint64(sec))
	}
	if nsec != 0 {
		ts += 1 + protowire.SizeVarint(uint64(nsec))
	}
	n := 1 + sizeLen(ts)
	if en.line.n > 0 {
		n += 1 + sizeLen(int(en.line.n))
	}
	for _, p := range e.pairs[en.md : en.md+en.nmd] {
		n += 1 + sizeLen(pairSize(p))
	}
	return int32(ts), int32(n)
}

func pairSize(p pair) int {
	n := 0
	if p.name.n > 0 {
		n += 1 + sizeLen(int(p.name.n))
	}
	if p.value.n > 0 {
		n += 1 + sizeLen(int(p.value.n))
	}
	return n
}

func splitTS(ts int64) (sec int64, nsec int32) {
	sec, ns := ts/1e9, ts%1e9
	if ns < 0 {
		sec--
		ns += 1e9
	}
	return sec, int32(ns)
}

// AppendProto appends the batch as an uncompressed PushRequest to dst.
func (e *Encoder) AppendProto(dst []byte) []byte {
	for _, si := range e.active {
		s := &e.streams[si]
		size := 1 + sizeLen(len(s.labels))
		for i := s.head; i >= 0; i = e.entries[i].next {
			size += 1 + sizeLen(int(e.entries[i].size))
		}
		dst = protowire.AppendTag(dst, 1, protowire.BytesType)
		dst = protowire.AppendVarint(dst, uint64(size))
		dst = protowire.AppendTag(dst, 1, protowire.BytesType)
		dst = protowire.AppendString(dst, s.labels)
		for i := s.head; i >= 0; i = e.entries[i].next {
			dst = e.appendEntry(dst, &e.entries[i])
		}
	}
	return dst
}

func (e *Encoder) appendEntry(dst []byte, en *entry) []byte {
	dst = protowire.AppendTag(dst, 2, protowire.BytesType)
	dst = protowire.AppendVarint(dst, uint64(en.size))
	sec, nsec := splitTS(en.ts)
	dst = protowire.AppendTag(dst, 1, protowire.BytesType)
	dst = protowire.AppendVarint(dst, uint64(en.tsSize))
	if sec != 0 {
		dst = protowire.AppendTag(dst, 1, protowire.VarintType)
		dst = protowire.AppendVarint(dst, uint64(sec))
	}
	if nsec != 0 {
		dst = protowire.AppendTag(dst, 2, protowire.VarintType)
		dst = protowire.AppendVarint(dst, uint64(nsec))
	}
	if en.line.n > 0 {
		dst = protowire.AppendTag(dst, 2, protowire.BytesType)
		dst = protowire.AppendBytes(dst, e.bytes(en.line))
	}
	for _, p := range e.pairs[en.md : en.md+en.nmd] {
		dst = protowire.AppendTag(dst, 3, protowire.BytesType)
		dst = protowire.AppendVarint(dst, uint64(pairSize(p)))
		if p.name.n > 0 {
			dst = protowire.AppendTag(dst, 1, protowire.BytesType)
			dst = protowire.AppendBytes(dst, e.bytes(p.name))
		}
		if p.value.n > 0 {
			dst = protowire.AppendTag(dst, 2, protowire.BytesType)
			dst = protowire.AppendBytes(dst, e.bytes(p.value))
		}
	}
	return dst
}

// Encode returns the batch as a snappy-compressed PushRequest, the body of
// a POST to /loki/api/v1/push with Content-Type application/x-protobuf. The
// result is valid until the next call to Encode.
func (e *Encoder) Encode() []byte {
	e.raw = e.AppendProto(e.raw[:0])
	// s2's snappy-compatible block encoder: Loki decodes it with
	// golang/snappy like any other snappy block.
	if n := s2.MaxEncodedLen(len(e.raw)); cap(e.snapped) < n {
		e.snapped = make([]byte, n)
	}
	e.snapped = s2.EncodeSnappy(e.snapped[:cap(e.snapped)], e.raw)
	return e.snapped
}
