// Package miner groups free-text log messages into templates.
//
// It is Drain-like but structure-aware. A message (the part of a line after
// its header, which the caller strips) is split on whitespace and every
// token is classified: numbers, IPs, hex ids, UUIDs, durations, sizes,
// clock times, paths and any token carrying digits are variables and are
// masked. What remains, the sequence of constant tokens, is the message's
// signature, so a template does not depend on how many variable tokens a
// line has ("403 bytes sent" and "1190 bytes (1.16 KB) sent" agree).
//
// Signatures that differ at exactly one position are merged into a
// template with a word parameter there once MergeDistinct different values
// were seen at that position: a user name varies, but "stored as bytes" and
// "stored as values" stay apart.
//
// Template ids are the 64-bit FNV-1a hash of the template text, so equal
// input gives equal ids across runs and restarts. Memory is bounded: at
// most MaxClusters signatures are kept, the least recently used is evicted.
package miner

import (
	"sort"
	"strings"
)

// Config tunes a Miner. The zero value gives the defaults.
type Config struct {
	// MaxClusters bounds the number of distinct signatures kept (LRU);
	// default 8192.
	MaxClusters int
	// MaxTokens bounds the tokens of a message considered; default 96.
	MaxTokens int
	// MergeDistinct is the number of distinct values at one position that
	// turns that position into a parameter; default 3.
	MergeDistinct int
}

func (c *Config) defaults() {
	if c.MaxClusters <= 0 {
		c.MaxClusters = 8192
	}
	if c.MaxTokens <= 0 {
		c.MaxTokens = 96
	}
	if c.MergeDistinct < 2 {
		c.MergeDistinct = 3
	}
}

// Template is a mined template. Text uses "<*>" for every parameter (the
// LogHub convention); Params holds the parameters' types in order.
type Template struct {
	ID     uint64
	Text   string
	Params []ParamType
	Count  uint64 // lines that matched it (while its signatures were kept)
}

// cluster is one signature: a sequence of constant pieces.
type cluster struct {
	hash   uint64
	pieces [][]byte
	gaps   []string // len(pieces)+1: rendered variables before piece k ("" = none)
	types  [][]ParamType
	count  uint64
	g      *group
	seq    uint64
	// LRU list
	prev, next *cluster
}

// group is a template: one or more clusters, with wildcard positions.
type group struct {
	pieces  [][]byte
	wild    []bool
	members []*cluster
	seq     uint64
	count   uint64
	dirty   bool
	tmpl    Template
	inWild  bool
}

type star struct {
	groups []*group
}

// Miner mines templates. It is not safe for concurrent use.
type Miner struct {
	cfg      Config
	clusters map[uint64]*cluster
	stars    map[uint64]*star
	wild     map[int][]*group // groups with wildcards, by piece count
	lru      cluster          // sentinel
	n        int
	seq      uint64

	// scratch, reused per line
	toks   []token
	pieces [][]byte
	varAt  []bool
}

// New returns a Miner.
func New(cfg Config) *Miner {
	cfg.defaults()
	m := &Miner{
		cfg:      cfg,
		clusters: make(map[uint64]*cluster),
		stars:    make(map[uint64]*star),
		wild:     make(map[int][]*group),
	}
	m.lru.next, m.lru.prev = &m.lru, &m.lru
	return m
}

// Len returns the number of signatures kept.
func (m *Miner) Len() int { return m.n }

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

func hashBytes(h uint64, b []byte) uint64 {
	for _, c := range b {
		h ^= uint64(c)
		h *= fnvPrime
	}
	return h
}

func hashSep(h uint64, sep byte) uint64 {
	h ^= uint64(sep)
	h *= fnvPrime
	h ^= 0xff
	h *= fnvPrime
	return h
}

// scan tokenizes msg into m.pieces and m.varAt and returns the signature hash.
func (m *Miner) scan(msg []byte) uint64 {
	m.toks = tokenize(msg, m.toks, m.cfg.MaxTokens)
	m.pieces = m.pieces[:0]
	m.varAt = append(m.varAt[:0], false)
	h := uint64(fnvOffset)
	for i := range m.toks {
		t := &m.toks[i]
		if t.s == t.e {
			continue
		}
		if t.typ == ParamNone {
			m.pieces = append(m.pieces, msg[t.s:t.e])
			m.varAt = append(m.varAt, false)
			h = hashSep(hashBytes(h, msg[t.s:t.e]), 0)
			continue
		}
		if t.key > t.s {
			m.pieces = append(m.pieces, msg[t.s:t.key])
			m.varAt = append(m.varAt, false)
			h = hashSep(hashBytes(h, msg[t.s:t.key]), 0)
		}
		m.varAt[len(m.varAt)-1] = true
	}
	h ^= uint64(len(m.pieces))
	h *= fnvPrime
	return h
}

func (m *Miner) samePieces(c *cluster) bool {
	if len(c.pieces) != len(m.pieces) {
		return false
	}
	for i, p := range c.pieces {
		if string(p) != string(m.pieces[i]) {
			return false
		}
	}
	return true
}

// gapText renders the variables of gap k of the current line (between
// piece k-1 and piece k) with their punctuation, e.g. "[<*>]".
func (m *Miner) gapText(msg []byte, k int) (string, []ParamType) {
	var b strings.Builder
	var types []ParamType
	gap := 0
	for i := range m.toks {
		t := &m.toks[i]
		if t.s == t.e {
			continue
		}
		if t.typ == ParamNone {
			gap++
			continue
		}
		if t.key > t.s {
			gap++
		}
		if gap != k {
			if gap > k {
				break
			}
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.Write(msg[t.key:t.cs])
		b.WriteString("<*>")
		b.Write(msg[t.ce:t.e])
		types = append(types, t.typ)
	}
	return b.String(), types
}

// Add mines one message and returns the template it belongs to now. The
// returned value is valid until the next call.
func (m *Miner) Add(msg []byte) *Template {
	h := m.scan(msg)
	c := m.clusters[h]
	if c != nil && !m.samePieces(c) {
		c = nil
		h ^= 0x9e3779b97f4a7c15 // collision: use the other slot
		if c2 := m.clusters[h]; c2 != nil && m.samePieces(c2) {
			c = c2
		}
	}
	if c == nil {
		c = m.newCluster(h, msg)
	} else {
		m.touch(c)
		m.unionGaps(c, msg)
	}
	c.count++
	c.g.count++
	return m.template(c.g)
}

// Match returns the template msg belongs to without changing the miner,
// or nil when no template covers it.
func (m *Miner) Match(msg []byte) *Template {
	h := m.scan(msg)
	c := m.clusters[h]
	if c != nil && !m.samePieces(c) {
		c = m.clusters[h^0x9e3779b97f4a7c15]
		if c != nil && !m.samePieces(c) {
			c = nil
		}
	}
	if c != nil {
		return m.template(c.g)
	}
	if g := m.findWild(); g != nil {
		return m.template(g)
	}
	return nil
}

// Render returns the template of msg as a line of its own (what a new
// signature would give), without changing the miner.
func (m *Miner) Render(msg []byte) Template {
	m.scan(msg)
	c := &cluster{pieces: m.pieces, gaps: make([]string, len(m.pieces)+1), types: make([][]ParamType, len(m.pieces)+1)}
	for k, v := range m.varAt {
		if v {
			c.gaps[k], c.types[k] = m.gapText(msg, k)
		}
	}
	g := &group{pieces: m.pieces, wild: make([]bool, len(m.pieces)), members: []*cluster{c}, dirty: true}
	return *m.template(g)
}

func (m *Miner) unionGaps(c *cluster, msg []byte) {
	for k, v := range m.varAt {
		if v && c.gaps[k] == "" {
			c.gaps[k], c.types[k] = m.gapText(msg, k)
			c.g.dirty = true
		}
	}
}

func (m *Miner) newCluster(h uint64, msg []byte) *cluster {
	if m.n >= m.cfg.MaxClusters {
		m.evict(m.lru.prev)
	}
	m.seq++
	c := &cluster{hash: h, seq: m.seq}
	size := 0
	for _, p := range m.pieces {
		size += len(p)
	}
	buf := make([]byte, 0, size)
	c.pieces = make([][]byte, len(m.pieces))
	for i, p := range m.pieces {
		s := len(buf)
		buf = append(buf, p...)
		c.pieces[i] = buf[s:len(buf):len(buf)]
	}
	c.gaps = make([]string, len(c.pieces)+1)
	c.types = make([][]ParamType, len(c.pieces)+1)
	for k, v := range m.varAt {
		if v {
			c.gaps[k], c.types[k] = m.gapText(msg, k)
		}
	}
	m.clusters[h] = c
	m.n++
	m.pushFront(c)

	if g := m.findWild(); g != nil {
		m.join(g, c)
		return c
	}
	m.seq++
	g := &group{pieces: c.pieces, wild: make([]bool, len(c.pieces)), seq: m.seq}
	m.join(g, c)
	m.register(g)
	return c
}

func (m *Miner) join(g *group, c *cluster) {
	c.g = g
	g.members = append(g.members, c)
	g.count += c.count
	g.dirty = true
}

// findWild returns a group with wildcards whose template covers m.pieces.
func (m *Miner) findWild() *group {
	var best *group
	for _, g := range m.wild[len(m.pieces)] {
		ok := true
		for i, p := range g.pieces {
			if !g.wild[i] && string(p) != string(m.pieces[i]) {
				ok = false
				break
			}
		}
		if ok && (best == nil || g.seq < best.seq) {
			best = g
		}
	}
	return best
}

// starKey hashes g's pieces with position i (and every wildcard) masked.
func starKey(g *group, i int) uint64 {
	h := uint64(fnvOffset)
	for j, p := range g.pieces {
		if j == i || g.wild[j] {
			h = hashSep(h, 1)
			continue
		}
		h = hashSep(hashBytes(h, p), 0)
	}
	h ^= uint64(len(g.pieces))<<8 | uint64(i)<<32
	h *= fnvPrime
	return h
}

// register adds g to the star index of each of its constant positions and
// merges when a position has seen enough distinct values.
func (m *Miner) register(g *group) {
	for i := range g.pieces {
		if g.wild[i] {
			continue
		}
		k := starKey(g, i)
		s := m.stars[k]
		if s == nil {
			s = &star{}
			m.stars[k] = s
		}
		s.groups = append(s.groups, g)
		if len(s.groups) >= m.cfg.MergeDistinct {
			m.merge(s, i)
			return // g is gone; the merged group registered itself
		}
	}
}

func (m *Miner) unregister(g *group) {
	for i := range g.pieces {
		if g.wild[i] {
			continue
		}
		k := starKey(g, i)
		s := m.stars[k]
		if s == nil {
			continue
		}
		for j, x := range s.groups {
			if x == g {
				s.groups = append(s.groups[:j], s.groups[j+1:]...)
				break
			}
		}
		if len(s.groups) == 0 {
			delete(m.stars, k)
		}
	}
	if g.inWild {
		l := m.wild[len(g.pieces)]
		for j, x := range l {
			if x == g {
				l = append(l[:j], l[j+1:]...)
				break
			}
		}
		if len(l) == 0 {
			delete(m.wild, len(g.pieces))
		} else {
			m.wild[len(g.pieces)] = l
		}
		g.inWild = false
	}
}

// merge turns position i into a parameter for all groups of s.
func (m *Miner) merge(s *star, i int) {
	olds := append([]*group(nil), s.groups...)
	first := olds[0]
	m.seq++
	ng := &group{pieces: first.pieces, wild: append([]bool(nil), first.wild...), seq: first.seq}
	ng.wild[i] = true
	for _, g := range olds {
		if g.seq < ng.seq {
			ng.seq = g.seq
		}
		m.unregister(g)
		for _, c := range g.members {
			m.join(ng, c)
		}
	}
	// a wider template may now cover other existing wildcard groups too
	m.wild[len(ng.pieces)] = append(m.wild[len(ng.pieces)], ng)
	ng.inWild = true
	m.register(ng)
}

func (m *Miner) template(g *group) *Template {
	if !g.dirty {
		return &g.tmpl
	}
	g.dirty = false
	var b strings.Builder
	var params []ParamType
	n := len(g.pieces)
	for k := 0; k <= n; k++ {
		// union of the members' variables in gap k: the oldest member's text
		gap := ""
		var types []ParamType
		var gseq uint64
		for _, c := range g.members {
			if c.gaps[k] != "" && (gap == "" || c.seq < gseq) {
				gap, types, gseq = c.gaps[k], c.types[k], c.seq
			}
		}
		if gap != "" {
			if b.Len() > 0 && !(k > 0 && !g.wild[k-1] && strings.HasSuffix(string(g.pieces[k-1]), "=")) {
				b.WriteByte(' ')
			}
			b.WriteString(gap)
			params = append(params, types...)
		}
		if k == n {
			break
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		if g.wild[k] {
			b.WriteString("<*>")
			params = append(params, ParamWord)
		} else {
			b.Write(g.pieces[k])
		}
	}
	g.tmpl = Template{ID: hashBytes(fnvOffset, []byte(b.String())), Text: b.String(), Params: params, Count: g.count}
	return &g.tmpl
}

// Templates returns the current templates, most frequent first.
func (m *Miner) Templates() []Template {
	seen := make(map[*group]bool)
	var out []Template
	for c := m.lru.next; c != &m.lru; c = c.next {
		if seen[c.g] {
			continue
		}
		seen[c.g] = true
		t := *m.template(c.g)
		t.Count = c.g.count
		out = append(out, t)
	}
	sortTemplates(out)
	return out
}

func (m *Miner) pushFront(c *cluster) {
	c.prev, c.next = &m.lru, m.lru.next
	m.lru.next.prev = c
	m.lru.next = c
}

func (m *Miner) touch(c *cluster) {
	if m.lru.next == c {
		return
	}
	c.prev.next, c.next.prev = c.next, c.prev
	m.pushFront(c)
}

func (m *Miner) evict(c *cluster) {
	if c == &m.lru {
		return
	}
	c.prev.next, c.next.prev = c.next, c.prev
	c.prev, c.next = nil, nil
	delete(m.clusters, c.hash)
	m.n--
	g := c.g
	for j, x := range g.members {
		if x == c {
			g.members = append(g.members[:j], g.members[j+1:]...)
			break
		}
	}
	g.count -= c.count
	g.dirty = true
	if len(g.members) == 0 {
		m.unregister(g)
	}
}

func sortTemplates(t []Template) {
	sort.SliceStable(t, func(i, j int) bool {
		if t[i].Count != t[j].Count {
			return t[i].Count > t[j].Count
		}
		return t[i].Text < t[j].Text
	})
}
