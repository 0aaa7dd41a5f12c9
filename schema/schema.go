// Package schema infers a typed schema per log stream and reports drift.
//
// An Inferrer sees every record of one stream. Every value votes for a
// type (int, float, bool, timestamp with its layout, duration, IP, UUID,
// hex id, string; empty, "-" and "null" vote null). The first SampleFirst
// records all vote; after them a reservoir of Reservoir records keeps a
// uniform sample of the whole stream (Algorithm R with a seeded generator),
// so the schema follows the stream without growing. A field's type is the
// vote that reaches the Confidence threshold among its non-null values;
// ints and floats together make a float; a string field with few distinct
// values is an enum; otherwise string. Cardinality is a HyperLogLog
// estimate over all values.
//
// Drift is found on consecutive windows of Window records: a field that
// appears, a field that disappears for a whole window (after holding at
// least 5% of the previous one: sparse fields do not flap), or a field whose
// window type differs from the established type (at the same confidence).
//
// Everything is deterministic: equal input gives equal schemas, ids and
// drift events. Observe allocates nothing per record once every field of
// the stream has been seen.
package schema

import (
	"encoding/binary"
	"math"
	"math/bits"
	"sort"
	"strconv"

	"github.com/gopulse/gopulse/event"
	"github.com/gopulse/gopulse/logparse"
)

// Config tunes an Inferrer. The zero value gives the defaults.
type Config struct {
	SampleFirst int     // records that all vote before sampling starts; default 100
	Reservoir   int     // reservoir size after that; default 1000
	Confidence  float64 // share of non-null votes a type needs; default 0.7
	EnumMax     int     // most distinct values of an enum; default 16
	Examples    int     // example values kept per field; default 3
	Window      int     // records per drift window; default 1000
	MaxFields   int     // fields tracked per stream; default 256
	Seed        uint64  // reservoir sampling seed; default 1
	Year        int     // year for timestamps without one (syslog); default 0
}

func (c *Config) defaults() {
	if c.SampleFirst <= 0 {
		c.SampleFirst = 100
	}
	if c.Reservoir < c.SampleFirst {
		c.Reservoir = 1000
		if c.Reservoir < c.SampleFirst {
			c.Reservoir = c.SampleFirst
		}
	}
	if c.Confidence <= 0 || c.Confidence > 1 {
		c.Confidence = 0.7
	}
	if c.EnumMax <= 0 {
		c.EnumMax = 16
	}
	if c.Examples <= 0 {
		c.Examples = 3
	}
	if c.Window <= 0 {
		c.Window = 1000
	}
	if c.MaxFields <= 0 {
		c.MaxFields = 256
	}
	if c.Seed == 0 {
		c.Seed = 1
	}
}

// Field is one field of a schema.
type Field struct {
	Name        string
	Type        event.FieldType
	Layout      string   // timestamp layout ("rfc3339", "syslog", …) for TypeTimestamp
	Confidence  float64  // share of non-null sampled values that voted Type
	NullRate    float64  // share of sampled records where the field is absent or null
	Cardinality uint64   // estimated distinct values (all records)
	Examples    []string // the first distinct values seen
	Values      []string // TypeEnum: every value seen
	Count       uint64   // records holding the field (all records)
}

// Schema is the inferred schema of a stream.
type Schema struct {
	ID      string // stable: hash of the sorted "name:type" pairs
	Records uint64 // records observed
	Fields  []Field
}

// ChangeKind is the kind of a drift event.
type ChangeKind uint8

const (
	FieldAdded ChangeKind = iota + 1
	FieldRemoved
	TypeChanged
)

func (k ChangeKind) String() string {
	switch k {
	case FieldAdded:
		return "field_added"
	case FieldRemoved:
		return "field_removed"
	case TypeChanged:
		return "type_changed"
	}
	return "unknown"
}

// Change is one drift event.
type Change struct {
	Kind   ChangeKind
	Field  string
	From   event.FieldType // TypeChanged, FieldRemoved
	To     event.FieldType // TypeChanged, FieldAdded
	Record uint64          // 1-based record number at which it was noticed
	OldID  string          // schema id before and after
	NewID  string
}

type obs struct {
	field int32
	v     vote
}

type fieldStat struct {
	name    string
	votes   [numVotes]uint32 // in the sample
	present uint32           // sampled records holding the field
	count   uint64
	layouts map[string]uint32
	small   []uint64 // distinct value hashes, up to EnumMax+1
	values  []string // the values of small
	hll     [hllM]uint8
	memo    [memoN]memo // classification of recent values, by value hash

	// drift
	winVotes   [numVotes]uint32
	winPresent uint32
	prevWin    uint32          // winPresent of the previous window
	estType    event.FieldType // established type, TypeUnknown before
	known      bool            // part of the established schema
}

const (
	hllP = 8
	hllM = 1 << hllP
)

// memo caches the classification of one value of a field: fields such as a
// method, a status or a user agent repeat a few values, whose type need not
// be worked out again. The parser's type is part of the key.
type memo struct {
	h      uint64
	typ    event.FieldType
	v      vote
	layout string
	set    bool
}

const memoN = 8

// Inferrer infers the schema of one stream. It is not safe for concurrent use.
type Inferrer struct {
	cfg    Config
	fields []*fieldStat
	byName map[string]int32
	n      uint64
	slots  [][]obs // the sample: one slot per sampled record
	rng    uint64
	cur    []obs // scratch for the current record
	seen   []bool
	atPos  []int32 // field index last seen at each position of a record, -1 for none

	win      uint64 // records in the current window
	estID    string
	changes  []Change
	lastID   string
	idDirty  bool
	overflow uint64
}

// New returns an Inferrer.
func New(cfg Config) *Inferrer {
	cfg.defaults()
	return &Inferrer{
		cfg:     cfg,
		byName:  make(map[string]int32),
		slots:   make([][]obs, 0, cfg.Reservoir),
		rng:     cfg.Seed,
		idDirty: true,
	}
}

// splitmix64
func (s *Inferrer) rand() uint64 {
	s.rng += 0x9e3779b97f4a7c15
	z := s.rng
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// hash64 is a deterministic 64-bit hash, eight bytes at a time, with a
// murmur-style finaliser (HyperLogLog needs well-mixed bits).
func hash64(b []byte) uint64 {
	h := uint64(len(b)) * 0x9e3779b97f4a7c15
	for len(b) >= 8 {
		h ^= binary.LittleEndian.Uint64(b)
		h *= 0xbf58476d1ce4e5b9
		h ^= h >> 31
		b = b[8:]
	}
	var tail uint64
	for i, c := range b {
		tail |= uint64(c) << (8 * i)
	}
	h ^= tail
	h *= 0x94d049bb133111eb
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	return h
}

// Observe adds one record. It returns the drift events noticed at this
// record (usually none); the slice is valid until the next call.
func (s *Inferrer) Observe(r *logparse.Record) []Change {
	s.n++
	s.changes = s.changes[:0]
	s.cur = s.cur[:0]
	for i := range r.Fields {
		f := &r.Fields[i]
		// Records of a stream mostly repeat their keys in the same order:
		// check the field seen at this position before the map lookup.
		idx, ok := int32(-1), false
		if i < len(s.atPos) {
			if j := s.atPos[i]; j >= 0 && s.fields[j].name == string(f.Key) {
				idx, ok = j, true
			}
		}
		if !ok {
			idx, ok = s.byName[string(f.Key)]
		}
		if !ok {
			if len(s.fields) >= s.cfg.MaxFields {
				s.overflow++
				continue
			}
			idx = int32(len(s.fields))
			s.fields = append(s.fields, &fieldStat{name: string(f.Key)})
			s.byName[s.fields[idx].name] = idx
			s.seen = append(s.seen, false)
		}
		if i < len(s.atPos) {
			s.atPos[i] = idx
		} else if i == len(s.atPos) && i < s.cfg.MaxFields {
			s.atPos = append(s.atPos, idx)
		}
		if s.seen[idx] {
			continue // a repeated key: the first value counts
		}
		s.seen[idx] = true
		fs := s.fields[idx]
		h := hash64(f.Value)
		m := &fs.memo[h%memoN]
		if !m.set || m.h != h || m.typ != f.Type {
			m.v, m.layout = classify(f, s.cfg.Year)
			m.h, m.typ, m.set = h, f.Type, true
		}
		v, layout := m.v, m.layout
		fs.count++
		if v != voteNull {
			s.observeValue(fs, h, f.Value)
			if layout != "" {
				if fs.layouts == nil {
					fs.layouts = make(map[string]uint32, 1)
				}
				fs.layouts[layout]++
			}
		}
		fs.winVotes[v]++
		fs.winPresent++
		s.cur = append(s.cur, obs{field: idx, v: v})
	}
	for _, o := range s.cur {
		s.seen[o.field] = false
	}
	s.sample()
	s.win++
	if s.n == uint64(s.cfg.SampleFirst) {
		s.establish()
	} else if s.win >= uint64(s.cfg.Window) {
		s.drift()
	}
	return s.changes
}

// sample puts the current record in the reservoir (all of the first
// records, then with probability Reservoir/n).
func (s *Inferrer) sample() {
	var slot int
	switch {
	case len(s.slots) < s.cfg.Reservoir:
		s.slots = append(s.slots, nil)
		slot = len(s.slots) - 1
	default:
		j := s.rand() % s.n
		if j >= uint64(s.cfg.Reservoir) {
			return
		}
		slot = int(j)
		for _, o := range s.slots[slot] {
			fs := s.fields[o.field]
			fs.votes[o.v]--
			fs.present--
		}
	}
	s.slots[slot] = append(s.slots[slot][:0], s.cur...)
	for _, o := range s.cur {
		fs := s.fields[o.field]
		fs.votes[o.v]++
		fs.present++
	}
	s.idDirty = true
}

func (s *Inferrer) observeValue(fs *fieldStat, h uint64, v []byte) {
	// HyperLogLog register update
	idx := h >> (64 - hllP)
	rank := uint8(bits.LeadingZeros64(h<<hllP|1<<(hllP-1)) + 1)
	if rank > fs.hll[idx] {
		fs.hll[idx] = rank
	}
	if len(fs.small) <= s.cfg.EnumMax {
		found := false
		for _, x := range fs.small {
			if x == h {
				found = true
				break
			}
		}
		if !found {
			fs.small = append(fs.small, h)
			fs.values = append(fs.values, string(v))
		}
	}
}

func (fs *fieldStat) cardinality(enumMax int) uint64 {
	if len(fs.small) <= enumMax {
		return uint64(len(fs.small))
	}
	sum, zeros := 0.0, 0
	for _, r := range fs.hll {
		sum += math.Ldexp(1, -int(r))
		if r == 0 {
			zeros++
		}
	}
	m := float64(hllM)
	est := 0.7213 / (1 + 1.079/m) * m * m / sum
	if est <= 2.5*m && zeros > 0 {
		est = m * math.Log(m/float64(zeros))
	}
	if c := uint64(len(fs.small)); uint64(est+0.5) < c {
		return c
	}
	return uint64(est + 0.5)
}

// decide turns votes into a type and its confidence.
func decide(votes *[numVotes]uint32, conf float64) (event.FieldType, float64) {
	nonNull := uint32(0)
	best := voteString
	for v := voteString; v < numVotes; v++ {
		nonNull += votes[v]
		if votes[v] > votes[best] {
			best = v
		}
	}
	if nonNull == 0 {
		return event.TypeUnknown, 0
	}
	share := float64(votes[best]) / float64(nonNull)
	num := votes[voteInt] + votes[voteFloat]
	if best == voteInt && votes[voteFloat] > 0 && float64(num)/float64(nonNull) >= conf {
		return event.TypeFloat, float64(num) / float64(nonNull) // ints with some floats
	}
	if share >= conf {
		return voteTypes[best], share
	}
	if float64(num)/float64(nonNull) >= conf {
		return event.TypeFloat, float64(num) / float64(nonNull)
	}
	// no type is confident: a string, with the share of values that are
	// strings anyway (anything is a string)
	return event.TypeString, 1
}

func (s *Inferrer) fieldType(fs *fieldStat, votes *[numVotes]uint32) (event.FieldType, float64) {
	t, c := decide(votes, s.cfg.Confidence)
	if t == event.TypeString && len(fs.small) <= s.cfg.EnumMax && fs.count >= uint64(2*len(fs.small)) && len(fs.small) > 0 {
		t = event.TypeEnum
	}
	return t, c
}

// Schema returns the current schema, fields in first-seen order.
func (s *Inferrer) Schema() Schema {
	sc := Schema{Records: s.n, ID: s.ID()}
	samples := float64(len(s.slots))
	for _, fs := range s.fields {
		t, c := s.fieldType(fs, &fs.votes)
		f := Field{
			Name:        fs.name,
			Type:        t,
			Confidence:  c,
			Cardinality: fs.cardinality(s.cfg.EnumMax),
			Examples:    append([]string(nil), fs.values[:min(len(fs.values), s.cfg.Examples)]...),
			Count:       fs.count,
		}
		if samples > 0 {
			f.NullRate = 1 - float64(fs.present-fs.votes[voteNull])/samples
		}
		switch t {
		case event.TypeTimestamp:
			f.Layout = topLayout(fs.layouts)
		case event.TypeEnum:
			f.Values = append([]string(nil), fs.values...)
		}
		sc.Fields = append(sc.Fields, f)
	}
	return sc
}

func topLayout(m map[string]uint32) string {
	best, n := "", uint32(0)
	for l, c := range m {
		if c > n || c == n && l < best {
			best, n = l, c
		}
	}
	return best
}

// ID returns the schema id of the current sample: the hash of the sorted
// "name:type" pairs of the fields present in it.
func (s *Inferrer) ID() string {
	if !s.idDirty {
		return s.lastID
	}
	s.idDirty = false
	pairs := make([]string, 0, len(s.fields))
	for _, fs := range s.fields {
		if fs.present == 0 {
			continue
		}
		t, _ := s.fieldType(fs, &fs.votes)
		pairs = append(pairs, fs.name+":"+t.String())
	}
	s.lastID = idOf(pairs)
	return s.lastID
}

func idOf(pairs []string) string {
	sort.Strings(pairs)
	h := uint64(14695981039346656037)
	for _, p := range pairs {
		for i := 0; i < len(p); i++ {
			h ^= uint64(p[i])
			h *= 1099511628211
		}
		h ^= '\n'
		h *= 1099511628211
	}
	return strconv.FormatUint(h, 16)
}

// establish fixes the schema after the first sample.
func (s *Inferrer) establish() {
	for _, fs := range s.fields {
		fs.estType, _ = s.fieldType(fs, &fs.winVotes)
		fs.known = true
		fs.prevWin = fs.winPresent * uint32(s.cfg.Window) / uint32(max(s.n, 1))
		fs.winVotes = [numVotes]uint32{}
		fs.winPresent = 0
	}
	s.estID = s.establishedID()
	s.win = 0
}

func (s *Inferrer) establishedID() string {
	var pairs []string
	for _, fs := range s.fields {
		if fs.known {
			pairs = append(pairs, fs.name+":"+fs.estType.String())
		}
	}
	return idOf(pairs)
}

// drift compares the window that just ended with the established schema.
func (s *Inferrer) drift() {
	start := len(s.changes)
	for _, fs := range s.fields {
		switch {
		case !fs.known && fs.winPresent > 0:
			t, _ := s.fieldType(fs, &fs.winVotes)
			fs.known, fs.estType = true, t
			s.changes = append(s.changes, Change{Kind: FieldAdded, Field: fs.name, To: t, Record: s.n})
		case fs.known && fs.winPresent == 0 && fs.prevWin*20 < uint32(s.cfg.Window):
			// a sparse field missing from one window is not a removal
		case fs.known && fs.winPresent == 0:
			fs.known = false
			s.changes = append(s.changes, Change{Kind: FieldRemoved, Field: fs.name, From: fs.estType, Record: s.n})
		case fs.known:
			t, _ := decide(&fs.winVotes, s.cfg.Confidence)
			if t == event.TypeUnknown {
				break // only nulls in the window: not a type change
			}
			est := fs.estType
			if est == event.TypeEnum {
				est = event.TypeString // enum vs string is a cardinality matter
			}
			if t != est && !(t == event.TypeInt && est == event.TypeFloat) && est != event.TypeUnknown {
				s.changes = append(s.changes, Change{Kind: TypeChanged, Field: fs.name, From: fs.estType, To: t, Record: s.n})
				fs.estType = t
			} else if est == event.TypeUnknown {
				fs.estType = t
			}
		}
		fs.prevWin = fs.winPresent
		fs.winVotes = [numVotes]uint32{}
		fs.winPresent = 0
	}
	s.win = 0
	if len(s.changes) > start {
		old := s.estID
		s.estID = s.establishedID()
		for i := start; i < len(s.changes); i++ {
			s.changes[i].OldID, s.changes[i].NewID = old, s.estID
		}
	}
}

// Flush ends the current drift window early (at the end of an input) and
// returns the drift events it finds. Windows shorter than a tenth of
// Window are ignored.
func (s *Inferrer) Flush() []Change {
	s.changes = s.changes[:0]
	if s.n < uint64(s.cfg.SampleFirst) {
		if s.n > 0 {
			s.establish()
		}
		return nil
	}
	if s.win*10 >= uint64(s.cfg.Window) {
		s.drift()
	}
	return s.changes
}
