// Package miner groups free-text log messages into templates.
//
// It is Drain-like but structure-aware. A message (the part of a line after
// its header, which the caller strips) is split on whitespace and every
// token is classified: numbers, IPs, hex ids, UUIDs, durations, sizes,
// clock times, paths, key=value values and any token carrying digits are
// parameters and are masked. What remains, the sequence of constant
// tokens, is the message's signature, so a template does not depend on how
// many parameter tokens a line has ("403 bytes sent" and "1190 bytes
// (1.16 KB) sent" agree).
//
// Signatures are then generalised in three generic ways:
//   - merge: signatures equal but at one position (not the first) become
//     one template with a word parameter there once MergeDistinct distinct
//     values were seen: a user name varies, "stored as bytes" and "stored
//     as values" stay apart;
//   - cover: a signature that a wildcard template matches joins it, also
//     when it was seen before the wildcard existed;
//   - fold: a signature that equals a template plus one or two extra words
//     exactly where that template has parameters joins it (a host name
//     without digits where other lines have an IP).
//
// Template ids are the 64-bit FNV-1a hash of the template's canonical text
// (its words, "<*>" for word parameters, not the typed parameters between
// words), so equal input gives equal ids across runs and restarts, and an id
// does not change when a line merely shows a parameter at a new place. Memory is bounded: at
// most MaxClusters signatures are kept; the least recently used is evicted.
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
	// ConsolidateEvery runs Consolidate after this many new signatures;
	// default 256. Negative disables it (call Consolidate yourself).
	ConsolidateEvery int
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
	if c.ConsolidateEvery == 0 {
		c.ConsolidateEvery = 256
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
	glue   []bool   // piece k is glued to the parameter after it ("uid=<*>")
	gaps   []string // len(pieces)+1: rendered parameters before piece k ("" = none)
	types  [][]ParamType
	count  uint64
	g      *group
	folded bool // member of g by folding: does not shape g's text
	seq    uint64
	// LRU list
	prev, next *cluster
}

// group is a template: one or more clusters, with wildcard positions.
type group struct {
	pieces  [][]byte
	glue    []bool
	wild    []bool
	varGap  []bool        // some shaping member has a parameter in gap k
	gapText []string      // the parameters' text in gap k (first seen)
	gapType [][]ParamType // and their types
	members []*cluster
	seq     uint64
	count   uint64
	dirty   bool
	tmpl    Template
}

type star struct {
	groups []*group
}

// Miner mines templates. It is not safe for concurrent use.
type Miner struct {
	cfg      Config
	clusters map[uint64]*cluster
	stars    map[uint64]*star
	byLen    map[int][]*group
	lru      cluster // sentinel
	n        int
	seq      uint64
	fresh    int    // new clusters since the last Consolidate
	last     *group // the group of the last Add or Match, for Params

	// scratch, reused per line
	toks   []token
	pieces [][]byte
	glue   []bool
	varAt  []bool
}

// New returns a Miner.
func New(cfg Config) *Miner {
	cfg.defaults()
	m := &Miner{
		cfg:      cfg,
		clusters: make(map[uint64]*cluster),
		stars:    make(map[uint64]*star),
		byLen:    make(map[int][]*group),
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

func hashString(h uint64, s string) uint64 {
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
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

// scan tokenizes msg into m.pieces, m.glue and m.varAt and returns the
// signature hash.
func (m *Miner) scan(msg []byte) uint64 {
	m.toks = tokenize(msg, m.toks, m.cfg.MaxTokens)
	h := m.collect(msg)
	if len(m.pieces) == 0 && len(m.toks) > 0 {
		// Only parameters: let their leading letters ("attempt_", "jetty-")
		// tell such messages apart.
		for i := range m.toks {
			t := &m.toks[i]
			if t.typ == ParamNone || t.key > t.s {
				continue
			}
			k := t.s
			for k < t.e && isAlpha(msg[k]) {
				k++
			}
			if k > t.s && k < t.e {
				t.key = k
				if t.cs < k {
					t.cs = k
				}
				if t.ce < t.cs {
					t.ce = t.cs
				}
			}
		}
		h = m.collect(msg)
	}
	return h
}

func (m *Miner) collect(msg []byte) uint64 {
	m.pieces = m.pieces[:0]
	m.glue = m.glue[:0]
	m.varAt = append(m.varAt[:0], false)
	h := uint64(fnvOffset)
	for i := range m.toks {
		t := &m.toks[i]
		if t.s == t.e {
			continue
		}
		if t.typ == ParamNone {
			m.pieces = append(m.pieces, msg[t.s:t.e])
			m.glue = append(m.glue, false)
			m.varAt = append(m.varAt, false)
			h = hashSep(hashBytes(h, msg[t.s:t.e]), 0)
			continue
		}
		if t.key > t.s {
			m.pieces = append(m.pieces, msg[t.s:t.key])
			m.glue = append(m.glue, true)
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

// gapText renders the parameters of gap k of the current line (between
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

func (m *Miner) lookup(h uint64) *cluster {
	c := m.clusters[h]
	if c != nil && !m.samePieces(c) {
		c = m.clusters[h^collisionSalt]
		if c != nil && !m.samePieces(c) {
			c = nil
		}
	}
	return c
}

const collisionSalt = 0x9e3779b97f4a7c15

// Add mines one message and returns the template it belongs to now. The
// returned value is valid until the next call.
func (m *Miner) Add(msg []byte) *Template {
	h := m.scan(msg)
	c := m.lookup(h)
	if c == nil {
		if x := m.clusters[h]; x != nil {
			h ^= collisionSalt // a different signature with the same hash
		}
		c = m.newCluster(h, msg)
	} else {
		m.touch(c)
		m.unionGaps(c, msg)
	}
	c.count++
	c.g.count++
	m.last = c.g
	return m.template(c.g)
}

// Match returns the template msg belongs to without changing the miner,
// or nil when no template covers it.
func (m *Miner) Match(msg []byte) *Template {
	h := m.scan(msg)
	m.last = nil
	if c := m.lookup(h); c != nil {
		m.last = c.g
		return m.template(c.g)
	}
	if g := m.findCover(m.pieces, nil, nil); g != nil {
		m.last = g
		return m.template(g)
	}
	if g := m.findFold(m.pieces, nil); g != nil {
		return m.template(g)
	}
	return nil
}

// Param is one parameter value of a message: a sub-slice of it.
type Param struct {
	Type  ParamType
	Value []byte
}

// Params appends to dst the parameter values of the message last given to
// Match (or Add), in line order: its typed tokens, and its words where the
// template has word parameters. The values point into that message.
func (m *Miner) Params(msg []byte, dst []Param) []Param {
	var wild []bool
	if g := m.last; g != nil && len(g.pieces) == len(m.pieces) {
		wild = g.wild
	}
	piece := 0
	for i := range m.toks {
		t := &m.toks[i]
		if t.s == t.e {
			continue
		}
		if t.typ == ParamNone {
			if wild != nil && wild[piece] {
				cs, ce := trimPunct(msg, int(t.s), int(t.e))
				dst = append(dst, Param{Type: ParamWord, Value: msg[cs:ce]})
			}
			piece++
			continue
		}
		if t.key > t.s {
			piece++
		}
		dst = append(dst, Param{Type: t.typ, Value: msg[t.cs:t.ce]})
	}
	return dst
}

// Render returns the template of msg as a line of its own, without
// changing the miner.
func (m *Miner) Render(msg []byte) Template {
	m.scan(msg)
	c := &cluster{pieces: m.pieces, glue: m.glue, gaps: make([]string, len(m.pieces)+1), types: make([][]ParamType, len(m.pieces)+1)}
	for k, v := range m.varAt {
		if v {
			c.gaps[k], c.types[k] = m.gapText(msg, k)
		}
	}
	n := len(m.pieces)
	g := &group{pieces: c.pieces, glue: c.glue, wild: make([]bool, n), varGap: make([]bool, n+1),
		gapText: make([]string, n+1), gapType: make([][]ParamType, n+1), dirty: true}
	for k := range c.gaps {
		g.setGap(k, c.gaps[k], c.types[k])
	}
	return *m.template(g)
}

func (m *Miner) unionGaps(c *cluster, msg []byte) {
	for k, v := range m.varAt {
		if v && c.gaps[k] == "" {
			c.gaps[k], c.types[k] = m.gapText(msg, k)
			if !c.folded {
				c.g.setGap(k, c.gaps[k], c.types[k])
			}
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
	c.glue = append([]bool(nil), m.glue...)
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

	if g := m.findCover(c.pieces, nil, nil); g != nil {
		m.join(g, c, false)
	} else if g := m.findFold(c.pieces, nil); g != nil {
		m.join(g, c, true)
	} else {
		g := m.newGroup(c.pieces, c.glue, nil, c.seq)
		m.join(g, c, false)
		m.register(g)
	}
	m.fresh++
	if m.cfg.ConsolidateEvery > 0 && m.fresh >= m.cfg.ConsolidateEvery {
		m.Consolidate()
	}
	return c
}

func (m *Miner) newGroup(pieces [][]byte, glue, wild []bool, seq uint64) *group {
	g := &group{pieces: pieces, glue: glue, seq: seq, varGap: make([]bool, len(pieces)+1),
		gapText: make([]string, len(pieces)+1), gapType: make([][]ParamType, len(pieces)+1)}
	if wild == nil {
		g.wild = make([]bool, len(pieces))
	} else {
		g.wild = append([]bool(nil), wild...)
	}
	m.byLen[len(pieces)] = append(m.byLen[len(pieces)], g)
	return g
}

func (m *Miner) dropGroup(g *group) {
	m.unregister(g)
	l := m.byLen[len(g.pieces)]
	for j, x := range l {
		if x == g {
			l = append(l[:j], l[j+1:]...)
			break
		}
	}
	if len(l) == 0 {
		delete(m.byLen, len(g.pieces))
	} else {
		m.byLen[len(g.pieces)] = l
	}
}

func (m *Miner) join(g *group, c *cluster, folded bool) {
	c.g = g
	c.folded = folded
	g.members = append(g.members, c)
	g.count += c.count
	g.dirty = true
	if !folded {
		for k, s := range c.gaps {
			g.setGap(k, s, c.types[k])
		}
	}
}

// setGap records the parameters of gap k unless the group has some already.
func (g *group) setGap(k int, text string, types []ParamType) {
	if text == "" || g.gapText[k] != "" {
		return
	}
	g.gapText[k], g.gapType[k], g.varGap[k] = text, types, true
	g.dirty = true
}

// moveAll moves every member of from into to and drops from.
func (m *Miner) moveAll(from, to *group, folded bool) {
	m.dropGroup(from)
	for _, c := range from.members {
		m.join(to, c, folded || c.folded)
	}
	from.members = nil
	if to.seq > from.seq {
		to.seq = from.seq
	}
}

// covers reports whether g's template matches pieces (with wild positions
// of pieces, when given, only at g's wild positions).
func covers(g *group, pieces [][]byte, wild []bool) bool {
	if len(g.pieces) != len(pieces) {
		return false
	}
	for i, p := range g.pieces {
		if g.wild[i] {
			continue
		}
		if wild != nil && wild[i] {
			return false
		}
		if string(p) != string(pieces[i]) {
			return false
		}
	}
	return true
}

// findCover returns the oldest group with wildcards that covers pieces.
func (m *Miner) findCover(pieces [][]byte, wild []bool, self *group) *group {
	var best *group
	for _, g := range m.byLen[len(pieces)] {
		if g == self || !hasWild(g) {
			continue
		}
		if covers(g, pieces, wild) && (best == nil || g.seq < best.seq) {
			best = g
		}
	}
	return best
}

func hasWild(g *group) bool {
	for _, w := range g.wild {
		if w {
			return true
		}
	}
	return false
}

// folds reports whether pieces is g's template plus one or two extra words
// placed where g has parameters, with enough constants left to be sure.
func folds(g *group, pieces [][]byte, wild []bool) bool {
	extra := len(pieces) - len(g.pieces)
	if extra < 1 || extra > 2 {
		return false
	}
	matched, j := 0, 0
	for i, p := range pieces {
		if j < len(g.pieces) && (g.wild[j] || string(g.pieces[j]) == string(p)) && (wild == nil || !wild[i] || g.wild[j]) {
			if !g.wild[j] {
				matched++
			}
			j++
			continue
		}
		// extra piece i sits in g's gap j: g must have a parameter there,
		// and a key ("user=") is structure, never an extra word
		// (a word parameter there is the same parameter)
		if !g.varGap[j] || isKey(p) {
			return false
		}
		if j == 0 {
			return false // keep the first word: it names the event
		}
	}
	return j == len(g.pieces) && matched >= 2*extra
}

// findFold returns the oldest group into which pieces fold.
func (m *Miner) findFold(pieces [][]byte, wild []bool) *group {
	var best *group
	for d := 1; d <= 2; d++ {
		for _, g := range m.byLen[len(pieces)-d] {
			if folds(g, pieces, wild) && (best == nil || g.seq < best.seq) {
				best = g
			}
		}
		if best != nil {
			return best
		}
	}
	return nil
}

// Consolidate applies cover and fold to all groups: signatures seen before
// a wider template existed join it. Add calls it every ConsolidateEvery
// new signatures; call it before reading templates back after a batch.
func (m *Miner) Consolidate() {
	m.fresh = 0
	lens := make([]int, 0, len(m.byLen))
	for n := range m.byLen {
		lens = append(lens, n)
	}
	sort.Ints(lens)
	for _, n := range lens {
		// cover: groups inside a wildcard group of the same length
		l := append([]*group(nil), m.byLen[n]...)
		sort.Slice(l, func(i, j int) bool { return l[i].seq < l[j].seq })
		for _, g := range l {
			if g.members == nil {
				continue
			}
			if w := m.findCover(g.pieces, g.wild, g); w != nil && w.members != nil {
				m.moveAll(g, w, false)
			}
		}
	}
	for _, n := range lens {
		if len(m.byLen[n-1])+len(m.byLen[n-2]) == 0 {
			continue
		}
		l := append([]*group(nil), m.byLen[n]...)
		sort.Slice(l, func(i, j int) bool { return l[i].seq < l[j].seq })
		if len(l)*(len(m.byLen[n-1])+len(m.byLen[n-2])) > 1<<20 {
			continue // bound the work on pathological streams
		}
		for _, g := range l {
			if g.members == nil {
				continue
			}
			if t := m.findFold(g.pieces, g.wild); t != nil {
				m.moveAll(g, t, true)
			}
		}
	}
	m.mergeSameText()
}

// mergeSameText joins groups that render the same template text: a word
// parameter and a typed parameter at the same place are one template.
func (m *Miner) mergeSameText() {
	var all []*group
	for _, l := range m.byLen {
		all = append(all, l...)
	}
	sort.Slice(all, func(i, j int) bool { return all[i].seq < all[j].seq })
	byText := make(map[string]*group, len(all))
	for _, g := range all {
		if g.members == nil {
			continue
		}
		t := m.template(g).Text
		if first, ok := byText[t]; ok {
			m.moveAll(g, first, true)
			continue
		}
		byText[t] = g
	}
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

// mergeable: a word parameter is never found at the first position (it
// names the event) nor in signatures of fewer than three words.
func mergeable(g *group, i int) bool {
	return i > 0 && (len(g.pieces) >= 3 || g.glue[i]) && !g.wild[i]
}

func isKey(p []byte) bool { return len(p) > 0 && p[len(p)-1] == '=' }

// register adds g to the star index of each of its constant positions and
// merges when a position has seen enough distinct values.
func (m *Miner) register(g *group) {
	for i := range g.pieces {
		if !mergeable(g, i) {
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
		if !mergeable(g, i) {
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
}

// merge turns position i into a parameter for all groups of s.
func (m *Miner) merge(s *star, i int) {
	olds := append([]*group(nil), s.groups...)
	first := olds[0]
	wild := append([]bool(nil), first.wild...)
	wild[i] = true
	ng := m.newGroup(first.pieces, first.glue, wild, first.seq)
	for _, g := range olds {
		m.moveAll(g, ng, false)
	}
	m.register(ng)
}

func (m *Miner) template(g *group) *Template {
	if !g.dirty {
		g.tmpl.Count = g.count
		return &g.tmpl
	}
	g.dirty = false
	var b strings.Builder
	var params []ParamType
	n := len(g.pieces)
	for k := 0; k <= n; k++ {
		gap, types := g.gapText[k], g.gapType[k]
		if gap != "" {
			if b.Len() > 0 && !(k > 0 && !g.wild[k-1] && g.glue[k-1]) {
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
	text := b.String()
	if text != g.tmpl.Text || g.tmpl.Text == "" {
		g.tmpl.Text = text
		g.tmpl.ID = structureID(g)
		g.tmpl.Params = params
	}
	g.tmpl.Count = g.count
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
		out = append(out, *m.template(c.g))
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].Text < out[j].Text
	})
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
		m.dropGroup(g)
		g.members = nil
	}
}

// structureID hashes a template's canonical text: its words, with "<*>"
// for word parameters, without the parameters between the words. It does
// not change when a line shows a parameter at a new place between words
// (the text does), only when the words themselves generalise.
func structureID(g *group) uint64 {
	h := uint64(fnvOffset)
	for i, p := range g.pieces {
		if i > 0 {
			h = hashString(h, " ")
		}
		if g.wild[i] {
			h = hashString(h, "<*>")
			h = hashSep(h, 1) // a literal "<*>" word hashes differently
			continue
		}
		h = hashBytes(h, p)
	}
	return h
}

// NumTemplates returns the number of templates (what Templates would
// return, without building them). It costs one step per distinct message
// length, not per template.
func (m *Miner) NumTemplates() int {
	n := 0
	for _, l := range m.byLen {
		n += len(l)
	}
	return n
}
