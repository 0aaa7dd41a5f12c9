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
//
// Observe is built for the steady state of a stream: a field is found by
// its position in the record (checked against its name) before the name
// map is consulted, and each field remembers a few recent values with
// their votes (a small direct-mapped cache, dropped for fields whose values
// rarely repeat), so a value seen again is neither classified nor hashed
// again: equal values vote alike and leave the cardinality sketch and the
// distinct-value list unchanged, so the results are the same as
// classifying and hashing every value. A value that is classified starts
// with the scan for its field's previous vote (IPv4, number), which gives
// the same vote as the full sequence of checks when it matches. Each field
// costs about 3 KB (the cache: 8 values of up to 256 bytes).
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

type layoutCount struct {
	layout string
	n      uint32
}

// A field remembers up to valueCacheN recent values of at most
// valueCacheMax bytes (see fieldStat.cache).
//
// A field whose values are rarely seen again (ids, sizes, addresses) does
// not pay for the cache: after cacheTrial values with fewer than one hit in
// cacheMinHits, the field goes without it for cacheRetry times as long,
// then tries again.
const (
	valueCacheN   = 8
	valueCacheMax = 256
	cacheTrial    = 1024
	cacheMinHits  = 8
	cacheRetry    = 8
)

// cachedValue is a value seen before, with the parser's type for it and
// the vote and layout it got.
type cachedValue struct {
	key    shortKey
	typ    event.FieldType
	vote   vote
	ok     bool
	layout string
}

// cacheSlot picks the slot of a value from its length and three of its
// bytes: cheap, and enough to keep the few values of an enum apart.
func cacheSlot(v []byte) int {
	n := len(v)
	if n == 0 {
		return 0
	}
	return (n + int(v[0]) + 3*int(v[n>>1]) + 5*int(v[n-1])) & (valueCacheN - 1)
}

type fieldStat struct {
	name    string
	key     shortKey         // name, for a quick comparison
	votes   [numVotes]uint32 // in the sample
	present uint32           // sampled records holding the field
	count   uint64
	layouts []layoutCount // timestamp layouts seen, with their counts
	timeKey bool          // the name says timestamp (timeKey)
	hint    vote          // vote of the last value classified (classifyHint)

	// recent values: one seen again is not classified or hashed again
	cache   [valueCacheN]cachedValue
	cacheOn bool     // the cache is in use (it hits often enough)
	tries   uint32   // values since the last change of cacheOn
	hits    uint32   // of them, found in the cache
	small   []uint64 // distinct value hashes, up to EnumMax+1
	values  []string // the values of small

	// drift
	winVotes   [numVotes]uint32
	winPresent uint32
	prevWin    uint32          // winPresent of the previous window
	estType    event.FieldType // established type, TypeUnknown before
	known      bool            // part of the established schema

	hll [hllM]uint8
}

const (
	hllP = 8
	hllM = 1 << hllP
)

// Inferrer infers the schema of one stream. It is not safe for concurrent use.
type Inferrer struct {
	cfg    Config
	fields []*fieldStat
	byName map[string]int32
	pos    []int32 // field index last seen at each record position, -1 none
	exact  bool    // tests: classify and hash every value (no caches)
	n      uint64
	slots  [][]obs // the sample: one slot per sampled record
	rng    uint64
	cur    []obs // scratch for the current record
	seen   []bool

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

// Constants of the value hash (those of wyhash).
const (
	hk0 = 0xa0761d6478bd642f
	hk1 = 0xe7037ed1a0b428db
	hk2 = 0x8ebc6af09c88c6e3
	hk3 = 0x589965cc75374cc3
)

// mum multiplies to 128 bits and folds the halves.
func mum(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	return hi ^ lo
}

// hash64 is a deterministic 64-bit hash in the manner of wyhash: sixteen
// bytes per 64×64→128-bit multiply, the tail read as two overlapping
// words, and a final multiply that mixes every bit (HyperLogLog needs
// well-mixed bits).
func hash64(b []byte) uint64 {
	n := len(b)
	seed := uint64(n) ^ hk0
	for len(b) > 16 {
		seed = mum(binary.LittleEndian.Uint64(b)^hk1, binary.LittleEndian.Uint64(b[8:])^seed)
		b = b[16:]
	}
	var a, c uint64
	switch {
	case len(b) >= 8:
		a = binary.LittleEndian.Uint64(b)
		c = binary.LittleEndian.Uint64(b[len(b)-8:])
	case len(b) >= 4:
		a = uint64(binary.LittleEndian.Uint32(b))
		c = uint64(binary.LittleEndian.Uint32(b[len(b)-4:]))
	case len(b) > 0:
		a = uint64(b[0])<<16 | uint64(b[len(b)>>1])<<8 | uint64(b[len(b)-1])
	}
	return mum(mum(a^hk1, c^seed)^hk2, uint64(n)^hk3)
}

// Observe adds one record. It returns the drift events noticed at this
// record (usually none); the slice is valid until the next call.
func (s *Inferrer) Observe(r *logparse.Record) []Change {
	s.n++
	s.changes = s.changes[:0]
	s.cur = s.cur[:0]
	for i := range r.Fields {
		f := &r.Fields[i]
		// the field last seen at this position, if it has this name;
		// else the name map
		idx := int32(-1)
		if i < len(s.pos) {
			if idx = s.pos[i]; idx >= 0 && !s.fields[idx].key.is(f.Key) {
				idx = -1
			}
		}
		if idx < 0 {
			if idx = s.fieldAt(i, f.Key); idx < 0 {
				continue
			}
		}
		if s.seen[idx] {
			continue // a repeated key: the first value counts
		}
		s.seen[idx] = true
		fs := s.fields[idx]
		var v vote
		var layout string
		same := false
		if fs.cacheOn {
			c := &fs.cache[cacheSlot(f.Value)]
			fs.tries++
			if c.ok && c.key.n == len(f.Value) && c.typ == f.Type && c.key.is(f.Value) {
				same = true
				fs.hits++
				v, layout = c.vote, c.layout
			} else {
				v, layout = classifyHint(f, fs.timeKey, s.cfg.Year, fs.hint)
				if len(f.Value) <= valueCacheMax {
					c.key = keyOf(f.Value, c.key.long[:0])
					c.typ, c.vote, c.layout, c.ok = f.Type, v, layout, true
				}
			}
			if fs.tries == cacheTrial {
				fs.cacheOn = fs.hits*cacheMinHits >= fs.tries
				fs.tries, fs.hits = 0, 0
			}
		} else {
			v, layout = classifyHint(f, fs.timeKey, s.cfg.Year, fs.hint)
			if fs.tries++; fs.tries == cacheTrial*cacheRetry {
				fs.cacheOn, fs.tries = !s.exact, 0 // try the cache again
			}
		}
		fs.hint = v
		fs.count++
		if v != voteNull {
			if !same {
				s.observeValue(fs, f.Value)
			}
			if layout != "" {
				fs.addLayout(layout)
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

// fieldAt returns the index of the field named key, found in the name map
// or added if it is new, and remembers it for position i of the record;
// -1 once MaxFields are tracked.
func (s *Inferrer) fieldAt(i int, key []byte) int32 {
	idx, ok := s.byName[string(key)]
	if !ok {
		if len(s.fields) >= s.cfg.MaxFields {
			s.overflow++
			return -1
		}
		idx = int32(len(s.fields))
		fs := &fieldStat{name: string(key), key: keyOf(key, nil), timeKey: timeKey(key), cacheOn: !s.exact}
		buf := make([]byte, valueCacheN*valueCacheMax) // one array for the cache
		for j := range fs.cache {
			fs.cache[j].key.long = buf[j*valueCacheMax : j*valueCacheMax : (j+1)*valueCacheMax]
		}
		s.fields = append(s.fields, fs)
		s.byName[fs.name] = idx
		s.seen = append(s.seen, false)
	}
	if i < s.cfg.MaxFields && !s.exact {
		for len(s.pos) <= i {
			s.pos = append(s.pos, -1)
		}
		s.pos[i] = idx
	}
	return idx
}

// shortKey holds a byte string for quick equality tests: its length and
// two words that together hold every byte of a string of up to 16 bytes
// (the first and the last 8, 4 or 1–3 bytes), so that short strings (field
// names, most values) compare without touching memory elsewhere. Longer
// strings are compared in full, with a copy kept in long.
type shortKey struct {
	n    int
	a, b uint64
	long []byte // a copy of the bytes when n > 16
}

// words returns the two words of shortKey for b.
func words(b []byte) (uint64, uint64) {
	n := len(b)
	switch {
	case n >= 8:
		return binary.LittleEndian.Uint64(b), binary.LittleEndian.Uint64(b[n-8:])
	case n >= 4:
		return uint64(binary.LittleEndian.Uint32(b)), uint64(binary.LittleEndian.Uint32(b[n-4:]))
	case n > 0:
		return uint64(b[0])<<16 | uint64(b[n>>1])<<8 | uint64(b[n-1]), 0
	}
	return 0, 0
}

// keyOf makes the shortKey of b, copying b into buf when it is long.
func keyOf(b, buf []byte) shortKey {
	k := shortKey{n: len(b), long: buf}
	k.a, k.b = words(b)
	if len(b) > 16 {
		k.long = append(buf[:0], b...)
	}
	return k
}

// is reports whether b equals the string of k.
func (k *shortKey) is(b []byte) bool {
	if len(b) != k.n {
		return false
	}
	a, c := words(b)
	return a == k.a && c == k.b && (k.n <= 16 || string(b) == string(k.long))
}

func (fs *fieldStat) addLayout(layout string) {
	for j := range fs.layouts {
		if fs.layouts[j].layout == layout {
			fs.layouts[j].n++
			return
		}
	}
	fs.layouts = append(fs.layouts, layoutCount{layout: layout, n: 1})
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

func (s *Inferrer) observeValue(fs *fieldStat, v []byte) {
	h := hash64(v)
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

func topLayout(ls []layoutCount) string {
	best, n := "", uint32(0)
	for _, l := range ls {
		if l.n > n || l.n == n && l.layout < best {
			best, n = l.layout, l.n
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
