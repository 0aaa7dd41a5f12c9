// Package miner groups free-text log messages into templates.
//
// It is Drain-like but structure-aware. A message (the part of a line after
// its header, which the caller strips) is split by the shared lexer
// (logparse/token): numbers, addresses, ids, UUIDs, durations, sizes,
// times, paths, URLs, booleans, quoted strings, key=value values and any
// token carrying two or more digits are parameters. What remains, the
// sequence of constant words, is the message's signature, so a template
// does not depend on how many parameter tokens a line has ("403 bytes
// sent" and "1190 bytes (1.16 KB) sent" agree). Two readings come before
// the signature: structured context that ends the message (a JSON object,
// a { k: v } map, Go's map[k:v]) is read as key=value pairs (foldObject),
// a closing "(k=v, k=v)" list is one value (foldParens),
// and a level word written as a label near the message's start is a value
// once the rest of the line was also seen without it (markSeverity), as
// is a source prefix that opens it, "ring(0):", "func():", "{ctx}"
// (prefixShaped).
//
// Signatures are generalised by evidence, as lines arrive:
//   - merge: signatures equal but at one position become one template
//     with a word parameter there when the words seen there show it to
//     vary: two distinct names with a digit (web7 and web3, db-2 and
//     db-3: the lexer leaves such names words, as ssh2 and log4j are
//     constants), or MergeDistinct (3) distinct plain words; plain words
//     seen twice stay apart ("stored as bytes" and "stored as values",
//     "link up" and "link down" are different events), and plain words
//     that repeat, more than eight lines per distinct word when the
//     evidence arrives, need two words more: a few words that each
//     repeat name events ("Received install-key query", "Received
//     use-key query"; "failed to take snapshot", "failed to open
//     snapshot"), values come few lines each. The first word,
//     which usually names the event, needs MergeDistinct+1 words (one
//     less with a name with a digit among them: "relay-8:") and
//     three words after it (two after a label, a word ending in ':':
//     "<*>: btree watcher: <*>"); a signature of two words only varies
//     after a label ("QUERY: <*>", not "LOG: bad:" and "LOG: Dial:") or
//     where its first word alone was seen with values ("Copying <*>").
//     The first word of a shorter signature that has a value after its
//     second word ("redis took <*>", "node-4 refused lease <*>") varies
//     too when the words seen there come as a value's do: a name with a
//     digit among them, at most four lines per distinct word when the
//     evidence arrives, and none of them opening a signature one word
//     longer or shorter with the same second word ("RemoveContainer for
//     <*>" beside "RemoveContainer for <*> failed" names events). With
//     no value after it ("auth_suxi deleted.", "web-4 has joined") the
//     first word of two or three words varies as values do: the same
//     conditions, MergeDistinct+1 distinct words, and most of them
//     compound names (parts joined by '_', '-' or '.', or a digit), so
//     "Pod deleted." and "Node deleted." stay events;
//   - several: signatures equal but at two or more word positions at
//     once (no two lines differ in one word only) become one template
//     when each of those positions shows one more distinct value than a
//     single position needs, the words they share are at least three
//     times the positions that vary, and no position lies after a
//     clause's ':' (the tail rule's part);
//   - tail: signatures equal up to a word or value ending in ':' that
//     closes a clause of at least two words, and different after it,
//     become one template whose tail is one parameter when the tails do
//     not repeat, or eight distinct tails were seen: the Go idiom "doing x:
//     %v" with an error's text of any length. Not so when the tails are a
//     component's events: sentences that a logging call's "key=" fields
//     follow, not all with the same keys (fieldEvents; error texts carry
//     no fields): where they do not repeat, one such tail beside another
//     tail, and among the eight, two with different keys. A few tails that
//     repeat are events of their own, unless two of them are wrapped errors with
//     different operations ("open <*>: no space left on device", "dial
//     tcp <*>: i/o timeout": one or two lower-case words, perhaps with a
//     value, a ':', and the inner error's words), which make the tail one
//     parameter however often each repeats. One word of the prefix may vary with the tail
//     ("bad value 'x': <error>") when it shows the variability a single
//     position needs and the prefix keeps three words besides it (two
//     after a label that opens it: "<*>: btree watcher: <error>"). A tail
//     may also start after three words of a sentence without a ':'
//     ("failed to re-tag images %v"): such lines join the tail candidates
//     of their prefix, and make a tail template of their own when eight
//     distinct tails were seen whose first words are nearly as many, with
//     three lengths or more and no "key=" in them, or when two tails of
//     fewer were also seen after other events' clauses (the stream's
//     error texts), or after other events' words with no ':' either
//     (noteSoft; not when one of the two prefixes opens the other: one
//     sentence going on further), and three of their first words differ
//     ("compaction halted, cause err <error>"). A tail template reads
//     "prefix <*>": the values between a prefix that a word closes
//     ("create:") and the tail's first word belong to the tail, and after
//     a value that closes it ("dial <*>:"), those after that value. A tail seen after two
//     prefixes that differ as two events' do (in length, or in two words
//     or more) is free text of the stream, an error's text that several
//     events report: two such tails make a tail template even when they
//     repeat, and also after a clause of one word ("Closing: <error>"),
//     where nothing else does (a component's own events, "memberlist:
//     Suspect …", follow only it); there the template takes no tail
//     that opens with a clause of its own (three words before its first
//     ':', "memberlist: Failed to send nack: <error>", an event of the
//     component) or with a capitalised word ("memberlist: Got ping for
//     unexpected node <*>": Go's error strings start in lower case)
//     unless that whole tail was seen after another prefix too. Tails count by their head: a tail
//     that is a clause of its own (three words before a ':') counts once
//     whatever follows that clause ("pool: failed to dial after <*>
//     attempts: <error>" is one tail of "pool:", however many errors it
//     reports), heads that differ in one word only leave the choice to
//     their own clause (where that word is masked), and two tails that do
//     not repeat are no free text when one is a clause followed by "key="
//     pairs or by values only ("… by hook: <*>"). A tail template takes
//     in the signatures seen before it that fold into it (a word where
//     its prefix has a value) and the tail templates whose prefix is its
//     own plus one or two pieces. No tail template is made over a prefix
//     that opens three lines in four of all those added and opens with
//     values or whose tails all open with one word: a header the caller
//     did not strip (headerLike); it is made when other lines dilute that
//     prefix (release: a burst of one event's errors);
//   - cover: a signature that a wildcard template matches joins it, also
//     when it was seen before the wildcard existed;
//   - fold: a signature that equals a template plus one or two extra words
//     exactly where that template has parameters joins it (a host name
//     without digits where other lines have an IP), with two of the
//     template's words matched per extra word (one for a name with a
//     digit: "hostDir: worker-7" joins "hostDir: <*>"), also before the
//     first word of a template of three words or more ("search creating
//     parent directory of <*>" joins "<*> creating parent directory of
//     <*>"), and of two words, with one word matched, when the extra
//     first word ends as the template's opening value does ("ledger
//     overflows int" and "billing:" join "<*> overflows int" and "<*>:
//     disables caching of <*>"; "Volume not found" stays apart from
//     "<*>: not found");
//     A line whose prefix equals a tail template's plus one or two words
//     where that prefix has a value joins it too ("path 'billing' due to
//     …: <error>" joins "path '<*>' due to …: <*>");
//   - thin: a signature that equals a template less one or two of its
//     word parameters, with a value where each of them is, joins it
//     ("COMPACT beta => 16799" joins "COMPACT <*> => <*>");
//   - same text: two templates that read the same are one (the one with
//     word parameters keeps its structure, the older keeps its id).
//
// Every decision is made when the line that brings the evidence arrives,
// so one pass (the agent) and two passes (`gopulse logs parse`, which
// mines everything first) group alike; only the lines seen before a merge
// carry the id of a template that was merged since. What a bounded search
// leaves out (a signature seen before the template it folds into could
// take it) Consolidate joins, every ConsolidateEvery new signatures and at
// most 1,024 lines after a new signature, as two passes do once at the
// end of their first.
//
// Template ids. A template's id is the 64-bit hash of its canonical text
// when it was made (deterministic: equal input gives equal ids across
// runs). It never changes as the template generalises; when templates are
// merged, the merged template keeps the id of the oldest one, and the ids
// of the others become aliases of it (Resolve), so that an id handed out
// is never silently orphaned. Memory is bounded: at most MaxClusters
// signatures are kept; the least recently used is evicted.
package miner

import (
	"encoding/binary"
	"math/bits"
	"sort"
	"strings"

	"github.com/gopulse/gopulse/logparse/token"
)

// Config tunes a Miner. The zero value gives the defaults.
type Config struct {
	// MaxClusters bounds the number of distinct signatures kept (LRU);
	// default 8192.
	MaxClusters int
	// MaxTokens bounds the tokens of a message considered; default 96.
	MaxTokens int
	// MergeDistinct is the number of distinct plain words at one position
	// that turns that position into a parameter; default 3.
	MergeDistinct int
	// ConsolidateEvery runs Consolidate after this many new signatures;
	// default 256. Negative disables it (call Consolidate yourself).
	// Every merge is also made as soon as its evidence arrives; Consolidate
	// only catches what a bounded search left out.
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

// ParamType is the type of a template parameter: a class of the shared
// lexer (token.String for a word that varies).
type ParamType = token.Class

// The parameter types.
const (
	ParamNone     = token.Word
	ParamInt      = token.Int
	ParamFloat    = token.Float
	ParamBool     = token.Bool
	ParamIP       = token.IP
	ParamHex      = token.Hex
	ParamUUID     = token.UUID
	ParamDuration = token.Duration
	ParamSize     = token.Size
	ParamTime     = token.Time
	ParamPath     = token.Path
	ParamURL      = token.URL
	ParamID       = token.ID
	ParamQuoted   = token.Quoted
	ParamWord     = token.String // a word that varies between lines, or a tail of free text
)

// Template is a mined template. Text uses "<*>" for every parameter (the
// LogHub convention); Params holds the parameters' types in order.
type Template struct {
	ID     uint64
	Text   string
	Params []ParamType
	Count  uint64 // lines that matched it (while its signatures were kept), each once
}

// cluster is one signature: a sequence of constant pieces.
type cluster struct {
	hash   uint64
	pieces [][]byte
	glue   []bool   // piece k is glued to the parameter after it ("uid=<*>")
	gaps   []string // len(pieces)+1: rendered parameters before piece k ("" = none)
	types  [][]ParamType
	gapSet uint64 // bit k: gap k (k < 64) seen
	count  uint64
	reread uint64 // of count, lines re-read as another message since (RehomeAll)
	g      *group
	folded bool // member of g by folding or tail: does not shape g's text
	seq    uint64
	own    uint64 // the id of the template made for it, 0 if it joined one (see OwnID)
	out    bool   // no longer in Miner.clusters (evicted, or its key taken): not recent
	// LRU list
	prev, next *cluster
}

// group is a template: one or more clusters, with wildcard positions.
type group struct {
	pieces  [][]byte
	glue    []bool
	wild    []bool
	tail    bool          // a tail template: pieces is the prefix, the rest of a line one parameter
	varGap  []bool        // some shaping member has a parameter in gap k
	gapText []string      // the parameters' text in gap k (first seen)
	gapType [][]ParamType // and their types
	members []*cluster
	seq     uint64 // of its oldest member
	count   uint64
	reread  uint64 // its members' reread: count less reread is its lines
	id      uint64
	dirty   bool
	live    bool
	handed  bool     // its id was handed out (returned by Add)
	textKey uint64   // hash of tmpl.Text in the text index
	ctx     uint64   // the context (logger, component) of its first line
	bounds  []int    // piece counts at which a tail may start
	soft    []int    // and without a ':' (see collect)
	weak    []int    // and after a clause of one word ("Closing: …")
	tkeys   []uint64 // tail candidate sets it is in
	tkey    uint64   // a tail template: its key in Miner.tailOf
	weakT   bool     // a tail template after a clause of one word: shared tails only
	tmpl    Template
}

type star struct {
	groups []*group
	n      int    // a tail candidate set: the prefix's length
	mask   uint64 // and its masked word, if any
	weak   bool   // after a clause of one word: shared tails only
	gone   uint64 // lines of the candidates that left the set (headerLike)
}

// Miner mines templates. It is not safe for concurrent use.
type Miner struct {
	cfg        Config
	clusters   map[uint64]*cluster
	stars      map[uint64]*star
	tails      map[uint64]*star     // candidates for a tail template, by prefix
	tailSeen   map[uint64]*tailInfo // the tails seen after boundaries, by tailHash
	foldSeen   map[uint64]foldInfo  // the extra words of folds, by foldHash (sibling.go)
	softSeen   map[uint64]*tailInfo // the tails seen after boundaries without ':' (noteSoft)
	tailOf     map[uint64]*group    // tail templates, by prefix
	patterns   []tailPattern        // prefixes of tail templates with a word parameter
	patSeen    map[tailPattern]bool
	byLen      map[int][]*group
	byText     map[uint64]*group
	aliases    map[uint64]uint64
	ghosts     map[uint64]ghost  // evicted signatures, by hash (see reclaim)
	gone       map[uint64]uint64 // ids of templates dropped by eviction, by text key (see retext)
	graves     []grave           // the last signatures of templates dropped by eviction (see sweepGraves)
	graveDigit []bool
	merges     uint64  // templates made by merging (word parameters, tails)
	swept      uint64  // merges at the last sweepGraves
	news       []Alias // aliases recorded since the last TakeAliases
	lru        cluster // sentinel
	n          int
	ngroups    int
	seq        uint64
	fresh      int                // new clusters since the last Consolidate
	sinceCons  int                // lines added since the last Consolidate
	last       *group             // the group of the last Add or Match, for Params
	lastSig    *cluster           // the signature of the last Add (OwnID)
	exact      bool               // the last Match found its signature (Exact)
	newSig     bool               // the last Add made a new signature (NewSignature)
	ctx        uint64             // context of the line being added
	lines      uint64             // lines added before the one being added (headerLike)
	held       []uint64           // tail candidate sets headerLike held back, to decide again
	sev        *[sevSlots]sevSlot // the forms each rest was seen in (see markSeverity); made at the first severity word
	sevTok     int                // the token markSeverity found, or -1
	sevKeep    [3]int32           // a source prefix's own CS, CE and Key (see prefixShaped)
	restH      uint64             // the signature without that token's word (restHash)
	restN      int                // and its length
	adding     bool               // scan is reading a line for Add
	sevJoin    uint64             // a signature to join to the line's template (see severityForms)
	recent     [recentN]*cluster  // the signatures of the last lines added, most recent first (see match)
	found      *cluster           // the signature match found for the line being added, or nil
	noMatch    bool               // match finds nothing: every line takes the full path (TestMatchAsFullPath)

	// scratch, reused per line
	toks   []token.Token
	toks2  []token.Token // the other buffer of toks (see objectPairs)
	pieces [][]byte
	glue   []bool
	varAt  []bool
	varSet uint64 // bit k: varAt[k] (k < 64), for unionGaps
	digit  []bool // piece k holds a digit
	boundN []int  // piece counts at which a tail may start (see collect)
	softN  []int  // the same without a ':' before it
	weakN  []int  // the same after a ':' closing a clause of one word
	// the piece count before the values that end the line when one of
	// them closes a clause ("… label <*>: <*>"), else -1
	valClose int
}

// New returns a Miner.
func New(cfg Config) *Miner {
	cfg.defaults()
	m := &Miner{
		cfg:      cfg,
		clusters: make(map[uint64]*cluster),
		stars:    make(map[uint64]*star),
		tails:    make(map[uint64]*star),
		tailSeen: make(map[uint64]*tailInfo),
		foldSeen: make(map[uint64]foldInfo),
		tailOf:   make(map[uint64]*group),
		patSeen:  make(map[tailPattern]bool),
		byLen:    make(map[int][]*group),
		byText:   make(map[uint64]*group),
		aliases:  make(map[uint64]uint64),
		ghosts:   make(map[uint64]ghost),
		gone:     make(map[uint64]uint64),
	}
	m.lru.next, m.lru.prev = &m.lru, &m.lru
	return m
}

// Len returns the number of signatures kept.
func (m *Miner) Len() int { return m.n }

// NumTemplates returns the number of templates.
func (m *Miner) NumTemplates() int { return m.ngroups }

// Aliases returns the number of recorded aliases (ids of merged templates).
func (m *Miner) Aliases() int { return len(m.aliases) }

// Alias says that the template of id From joined the template of id To.
type Alias struct{ From, To uint64 }

// maxNewAliases bounds the aliases kept for TakeAliases when nobody takes
// them (Resolve still knows them all).
const maxNewAliases = 4096

// TakeAliases appends to dst the aliases recorded since the last call, in
// the order they were made, and forgets them.
func (m *Miner) TakeAliases(dst []Alias) []Alias {
	dst = append(dst, m.news...)
	m.news = m.news[:0]
	return dst
}

// alias records that id from now stands for id to (Resolve), and hands the
// merge out (TakeAliases) when from was handed out: a template made and
// merged within one Add had an id nobody got.
func (m *Miner) alias(from, to uint64, handed bool) {
	m.aliases[from] = to
	if handed && len(m.news) < maxNewAliases {
		m.news = append(m.news, Alias{From: from, To: to})
	}
}

// Resolve returns the id of the template that the template id was merged
// into (following merges of merges), or id itself.
func (m *Miner) Resolve(id uint64) uint64 {
	x := id
	for i := 0; i < 64; i++ {
		y, ok := m.aliases[x]
		if !ok {
			break
		}
		x = y
	}
	if x != id {
		if y := m.aliases[id]; y != x {
			m.aliases[id] = x // shorten the chain
		}
	}
	return x
}

// Hashing: 8 bytes per step, mixed with a 64×64→128-bit multiply.
const (
	hk0 = 0xa0761d6478bd642f
	hk1 = 0xe7037ed1a0b428db
	hk2 = 0x8ebc6af09c88c6e3
)

func mix(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	return hi ^ lo
}

func hashPiece(h uint64, b []byte) uint64 {
	for len(b) >= 8 {
		h = mix(h^binary.LittleEndian.Uint64(b)^hk1, hk0)
		b = b[8:]
	}
	return mix(h^tail(b)^hk2, hk0^uint64(len(b)+1))
}

// tail returns the bytes of b (fewer than 8) as a little-endian word,
// read in two overlapping loads: the bytes they share are the same.
func tail(b []byte) uint64 {
	switch n := len(b); {
	case n >= 4:
		return uint64(binary.LittleEndian.Uint32(b)) | uint64(binary.LittleEndian.Uint32(b[n-4:]))<<(8*(n-4))
	case n >= 2:
		return uint64(binary.LittleEndian.Uint16(b)) | uint64(b[n-1])<<(8*(n-1))
	case n == 1:
		return uint64(b[0])
	}
	return 0
}

func hashSep(h uint64, sep uint64) uint64 { return mix(h^sep^hk1, hk2) }

const fnvOffset = 14695981039346656037

func hashString(h uint64, s string) uint64 {
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

// scan tokenizes msg into m.pieces, m.glue and m.varAt (and what else
// collect reads) and returns the signature hash.
//
// When adding, a line whose signature is one of the last lines' (match)
// is known without its hash, and m.found is that signature; and only the
// pieces and the gaps with values are read (pieces), the rest of what
// collect reads (glue, digits, tail boundaries) being needed only for a
// new signature, which AddIn reads it for.
func (m *Miner) scan(msg []byte) uint64 {
	m.toks = token.Split(msg, m.toks, m.cfg.MaxTokens)
	m.foldObject(msg)
	form := m.markSeverity(msg)
	var h uint64
	if m.adding && form == 0 {
		m.pieceList(msg)
		if c := m.match(); c != nil {
			// what lookup(h) would return: c is kept under h (see remember)
			m.found = c
			if m.sev != nil {
				m.severityForms(c.hash, 1) // the rest seen without a severity word
			}
			return c.hash
		}
		h = m.pieceHash()
	} else {
		h = m.sign(msg)
	}
	if form != 0 {
		m.restH, m.restN = m.restHash(msg, m.toks[m.sevTok].S)
	}
	if form == 0 {
		if m.adding && m.sev != nil {
			m.severityForms(h, 1) // the rest seen without a severity word
		}
	} else if t := &m.toks[m.sevTok]; m.restN > 0 && m.severityForms(m.restH, form) {
		t.Class, t.Key = token.String, t.S // the word is a value of the line
		h = m.sign(msg)
	} else {
		t.CS, t.CE = t.S, t.S // a word of the signature
		if form == formPrefix && t.Class != token.Word {
			t.CS, t.CE, t.Key = m.sevKeep[0], m.sevKeep[1], m.sevKeep[2]
		}
		if m.sev != nil && m.adding {
			if sl := &m.sev[m.restH&(sevSlots-1)]; sl.h == m.restH {
				sl.word = h
			}
		}
	}
	if len(m.pieces) == 0 && len(m.toks) > 0 {
		// Only parameters: let their leading letters ("attempt_", "jetty-")
		// tell such messages apart.
		for i := range m.toks {
			t := &m.toks[i]
			if t.Class == token.Word || t.Key > t.S {
				continue
			}
			k := t.S
			for k < t.E && isAlpha(msg[k]) {
				k++
			}
			if k > t.S && k < t.E {
				t.Key = k
				if t.CS < k {
					t.CS = k
				}
				if t.CE < t.CS {
					t.CE = t.CS
				}
			}
		}
		h = m.sign(msg)
	}
	return h
}

func isAlpha(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }

// foldObject reads structured context that ends a message — an object in
// braces or a Go map ("… {"user":"bob","n":3}", "… { user: 'bob', n: 3
// }", "… map[n:3 user:bob]") whose brackets balance from a token that
// opens with one to the end of the message — as key=value pairs are read:
// each key a word of the signature, each value a value. Word by word, a
// value with blanks ("error": "i/o timeout"), a word value in single
// quotes or after a glued "key:", and compact JSON (one token for the
// whole object) split one event per value; the keys stay, as a
// statement's keys are its event's (zap's console encoder writes a
// statement's fields so: another set of keys is another statement).
//
// Independent sources it helps: zap's console encoder (the fields as JSON
// after the message), logform's simple format (winston: "level: message
// {json}"), Monolog's LineFormatter (its context JSON after the message),
// Node's util.inspect of an object (console.log), Go's %v of a map;
// measured on wild -msg context and synth -seeds doc. A second JSON block
// after the object ("{"error":"EOF"} []", "… {"req":"a91c"}": Monolog's
// "%context% %extra%", which writes an empty one as "[]") is one value
// after the pairs (wild -msg ctxblock).
func (m *Miner) foldObject(msg []byte) {
	end := len(msg)
	for end > 0 && (msg[end-1] == ' ' || msg[end-1] == '\t' || msg[end-1] == '\r') {
		end--
	}
	if end < 2 {
		return
	}
	if msg[end-1] == ')' {
		m.foldParens(msg, end)
		return
	}
	if msg[end-1] != '}' && msg[end-1] != ']' {
		return
	}
	i, open, sep := m.groupAt(msg, len(m.toks)-1)
	if i < 0 {
		return
	}
	tail, rest := token.Token{}, len(m.toks)
	if t, p := &m.toks[i], &m.toks[i-1]; i >= 2 && p.S < p.E && msg[p.E-1] == '}' && jsonBlock(msg[t.S:end]) {
		// a second block of extra data after a JSON object (Monolog's
		// "%context% %extra%", "[]" when empty): one value, the object
		// before it the pairs
		if j, o, sp := m.groupAt(msg, i-1); j >= 0 && o == 1 {
			tail = token.Token{S: t.S, E: int32(end), CS: t.S, CE: int32(end), Key: t.S, Class: token.String}
			i, open, sep, end, rest = j, o, sp, int(p.E), i
		}
	}
	if open == 0 {
		return // a group that closes the message ("[preauth]"): no object
	}
	if m.wordsBefore(msg, i) {
		m.objectPairs(msg, i, int(m.toks[i].S), int(m.toks[i].S)+open, end, sep, tail, rest)
	}
}

// groupAt returns the token that opens the bracketed group closing with
// token last, how many bytes open it (1 for '{', 4 for "map[", 0 for
// another bracket) and its items' separator; i < 0 when the brackets do
// not balance within 64 tokens.
func (m *Miner) groupAt(msg []byte, last int) (i, open int, sep byte) {
	depth := 0
	for i = last; i >= 1 && last-i < 64; i-- {
		t := &m.toks[i]
		if t.S == t.E {
			continue
		}
		for j := t.E - 1; j >= t.S; j-- {
			switch msg[j] {
			case '}', ']':
				depth++
			case '{', '[':
				depth--
			}
		}
		if depth < 0 {
			return -1, 0, 0
		}
		if depth > 0 {
			continue
		}
		switch {
		case msg[t.S] == '{':
			return i, 1, ','
		case t.E-t.S > 4 && string(msg[t.S:t.S+4]) == "map[":
			return i, 4, ' '
		}
		return i, 0, 0
	}
	return -1, 0, 0
}

// jsonBlock reports whether b is a JSON array or object as a logger
// writes one: "[]", "{}", or opening with a quoted key or a nested value.
func jsonBlock(b []byte) bool {
	if len(b) < 2 {
		return false
	}
	switch string(b[:2]) {
	case "[]", "{}", "{\"", "[{", "[\"", "[[":
		return true
	}
	return false
}

// wordsBefore reports whether a token before i is a word of a sentence:
// a block that is the whole message is no context of one.
func (m *Miner) wordsBefore(msg []byte, i int) bool {
	for k := 0; k < i; k++ {
		if p := &m.toks[k]; p.S < p.E && p.Class == token.Word && wordy(msg[p.S:p.E]) {
			return true
		}
	}
	return false
}

// foldParens reads a parenthesised list of pairs that closes a message
// ("failed to seal segment (seg=91, error=write /a.seg: no space left on
// device)": a token opening with "(", a name and "=", whose parentheses
// balance to the message's end) as one value: the statement's extra
// fields, written after its words. Word by word, a raw value with blanks,
// commas or colons split one event by its values' shapes, and a one-word
// value ("error=EOF") made a shorter signature that a sibling event's
// took; whole, the list is the context of the event, as the error text of
// a tail is. Messages are grouped by their words before it.
//
// Independent sources: Serilog's output templates that write an event's
// remaining properties after the message ({Properties}, its wiki's
// Formatting-Output), logback's %X without a key, which writes the whole
// MDC as "key=value" items joined by ", " (MDCConverter; a pattern such as
// "%m (%X)" closes the message with it), and JBoss LogManager's %X, the
// same list in braces (jboss-logmanager pull 152); measured on wild -msg
// ctxblock.
func (m *Miner) foldParens(msg []byte, end int) {
	depth := 0
	for i := len(m.toks) - 1; i >= 1 && len(m.toks)-i <= 64; i-- {
		t := &m.toks[i]
		if t.S == t.E {
			continue
		}
		for j := t.E - 1; j >= t.S; j-- {
			switch msg[j] {
			case ')':
				depth++
			case '(':
				depth--
			}
		}
		if depth < 0 {
			return
		}
		if depth > 0 || msg[t.S] != '(' {
			continue
		}
		if pairKey(msg, int(t.S)+1, end) < 0 || !m.wordsBefore(msg, i) {
			return
		}
		m.toks = append(m.toks[:i], token.Token{S: t.S, E: int32(end), CS: t.S, CE: int32(end), Key: t.S, Class: token.String})
		return
	}
}

// pairKey returns the index of the '=' that ends a name at p ("seg=",
// "error="), or -1.
func pairKey(msg []byte, p, end int) int {
	if p >= end || !isAlpha(msg[p]) && msg[p] != '_' {
		return -1
	}
	for k := p; k < end && k-p < 64; k++ {
		switch c := msg[k]; {
		case c == '=':
			return k
		case isAlpha(c), c >= '0' && c <= '9', c == '_', c == '-', c == '.':
		default:
			return -1
		}
	}
	return -1
}

// objectPairs replaces m.toks[i:] by the pairs of the object msg[s:end]
// (body from b, items separated by sep), followed by m.toks[rest:], or by
// tail when it is a value (a block after the object), or leaves them when
// an item has no key.
func (m *Miner) objectPairs(msg []byte, i, s, b, end int, sep byte, tail token.Token, rest int) {
	out := append(m.toks2[:0], m.toks[:i]...)
	last := end - 1 // the closing bracket
	p := b
	for p < last {
		for p < last && (msg[p] == ' ' || msg[p] == '\t') {
			p++
		}
		if p >= last {
			break
		}
		// the item: to the next separator outside quotes and brackets
		q, depth, inq := p, 0, byte(0)
		for ; q < last; q++ {
			c := msg[q]
			if inq != 0 {
				if c == '\\' {
					q++
				} else if c == inq {
					inq = 0
				}
				continue
			}
			if c == '"' || c == '\'' {
				inq = c
			} else if c == '{' || c == '[' {
				depth++
			} else if c == '}' || c == ']' {
				depth--
			} else if c == sep && depth == 0 {
				break
			}
		}
		// its key: a name, perhaps quoted, and ':' or '='
		k := p
		if msg[k] == '"' || msg[k] == '\'' {
			k++
			for k < q && msg[k] != msg[p] {
				k++
			}
			k++
		} else {
			for k < q && (isAlpha(msg[k]) || msg[k] >= '0' && msg[k] <= '9' || msg[k] == '_' || msg[k] == '-' || msg[k] == '.') {
				k++
			}
		}
		if k <= p || k >= q || msg[k] != ':' && msg[k] != '=' {
			m.toks2 = out
			return // an item with no key: no object of pairs
		}
		vs := k + 1
		for vs < q && (msg[vs] == ' ' || msg[vs] == '\t') {
			vs++
		}
		cs, ce := vs, q
		for ce > cs && (msg[ce-1] == ' ' || msg[ce-1] == '\t') {
			ce--
		}
		if ce-cs >= 2 && (msg[cs] == '"' || msg[cs] == '\'') && msg[ce-1] == msg[cs] {
			cs, ce = cs+1, ce-1
		}
		ts, te := p, q
		if len(out) == i {
			ts = s // the first pair carries the opening bracket
		}
		if q >= last {
			te = end // the last, the closing one
		}
		out = append(out, token.Token{S: int32(ts), E: int32(te), Key: int32(k + 1), CS: int32(cs), CE: int32(ce), Class: token.String})
		p = q + 1
	}
	if len(out) == i {
		m.toks2 = out
		return
	}
	if tail.Class != token.Word {
		out = append(out, tail)
	} else {
		out = append(out, m.toks[rest:]...)
	}
	m.toks, m.toks2 = out, m.toks
}

// Severity words. A level word written as a label in a message —
// followed by a colon ("ERROR: cannot open x", "Warning: …"), in brackets
// or stars ("[warn] …", "*ERROR* …") or in capitals ("WARN …"), and not
// after a plain word of a sentence ("rpc error: …", "unexpected error: …"
// keep theirs) — is a value of the line, not a word of its signature,
// when the rest of the line was also seen without such a word: programs
// write the word at the start of a message on some lines of a statement
// only (a helper whose level is decided at run time writes it for
// warnings and errors, not for the rest). As a word of the signature it
// split one event in two or three, and as a one-word clause before free
// text ("Warn: <*>") it made a tail template of every event it opened. A
// statement always written with its word keeps it ("ERROR: %v", "[WARN]
// serf: …" are their events' words, and "ERROR:" is all that tells such
// an event from the error texts other events report). A level column of
// a header the caller did not strip ("~ WARN ~ …") is read the same way
// where some lines have no level. The evidence is a small table of the
// forms each rest was seen in (bounded: a slot per hash, the last rest
// wins), written by Add only.
//
// Independent sources it helps: Squid's cache.log ("ERROR:", "WARNING:"
// on some messages only), Go programs that write the level into a
// log.Printf format or a logger's prefix (log.Lmsgprefix), logform's
// simple format ("info: message"), PostgreSQL's "LOG:"/"ERROR:" after a
// log_line_prefix; measured on wild -msg prefix and column.
const sevSlots = 1 << 11

type sevSlot struct {
	h     uint64
	word  uint64 // the signature of the last line that kept its word, before the evidence
	forms uint8
}

// markSeverity finds the first severity word of m.toks (m.sevTok, its
// bounds noted in the token, which stays a word) and returns its form (a
// bit per level; 0 when there is none).
func (m *Miner) markSeverity(msg []byte) uint8 {
	m.sevTok = -1
	toks := m.toks
	if len(toks) > 6 {
		toks = toks[:6] // a label opens the message, or follows a header left in it
	}
	prev := -1
	for i := range toks {
		t := &toks[i]
		s, e := int(t.S), int(t.E)
		if s >= e {
			continue
		}
		if prev < 0 && prefixShaped(msg[s:e]) {
			ce := e
			if msg[ce-1] == ':' {
				ce--
			}
			m.sevKeep = [3]int32{t.CS, t.CE, t.Key} // a value glued to its name ("ring(0):") keeps its own bounds as a word
			t.CS, t.CE = int32(s), int32(ce)        // its bounds, should it be a value
			m.sevTok = i
			return formPrefix
		}
		if (msg[s]|0x20)-'a' < 26 && msg[e-1]-'a' < 26 {
			return 0 // the sentence has begun ("retrying the flush …", "Received …")
		}
		if n := e - s; n >= 4 && n <= 12 && (msg[e-1] == ':' || sevOpen[msg[s]] || msg[s]-'A' < 26 && msg[s+1]-'A' < 26) && t.Class == token.Word {
			if cs, ce, lv, ok := severityWord(msg[s:e]); ok {
				if prev >= 0 && toks[prev].Class == token.Word && plainWord(msg[toks[prev].S:toks[prev].E]) {
					return 0 // "rpc error: …": the sentence's word
				}
				t.CS, t.CE = int32(s+cs), int32(s+ce) // its bounds, should it be a value
				m.sevTok = i
				return 2 << lv
			}
		}
		prev = i
	}
	return 0
}

// Source prefixes. A message that opens with the name of where it comes
// from, in a shape no sentence's word has — a driver or device and its
// instance ("ring(0): …", "eth(1): …", as Linux's dev_printk family and
// BSD drivers prefix a device's messages), a C function's name
// ("flush_queue(): …", __func__ written before the message) or a context
// token in braces ("{blue} …", a mapped diagnostic context such as
// log4j's %X{key}, which log4j2's %notEmpty{} drops on the lines where it
// is unset) — is read as a severity word is: a value of the line once the
// rest of the line was also seen without it, a word of the signature
// until then. The same event written by a helper called from code that
// sets the context and from code that does not stays one event; a
// statement always written with its prefix keeps it.
const formPrefix = 1 << 7

// prefixShaped: "name(N):" or "name():" (a name of two letters or more,
// N digits), or "{word}".
func prefixShaped(p []byte) bool {
	n := len(p)
	if n >= 3 && n <= 32 && p[0] == '{' && p[n-1] == '}' {
		for _, c := range p[1 : n-1] {
			if !isAlpha(c) && c-'0' >= 10 && c != '_' && c != '-' && c != '.' {
				return false
			}
		}
		return true
	}
	if n < 5 || n > 40 || p[n-1] != ':' || p[n-2] != ')' {
		return false
	}
	k := n - 3
	for k >= 0 && p[k]-'0' < 10 {
		k--
	}
	if k < 2 || p[k] != '(' {
		return false
	}
	letters := 0
	for _, c := range p[:k] {
		switch {
		case isAlpha(c):
			letters++
		case c-'0' < 10 || c == '_' || c == '-' || c == '.':
		default:
			return false
		}
	}
	return letters >= 2
}

// sevOpen: the bytes a severity word that does not end in ':' may open
// with, but for two capitals: a bracket or a star.
var sevOpen = func() (t [256]bool) {
	for _, c := range "[(<*" {
		t[c] = true
	}
	return t
}()

// severityForms records (when adding) that the rest of signature h was
// seen in form, and reports whether it was seen both with a severity word
// and without one. Two words alone are no evidence: "WARNING: %s" and
// "Error: %s" are two statements whose rests are the error texts they
// report.
//
// When adding, the line that brings the evidence also names the signature
// that lines with the word made before it (m.sevJoin), for AddIn to join
// to the template of the rest: one pass then groups as two passes do.
func (m *Miner) severityForms(h uint64, form uint8) bool {
	if m.sev == nil {
		if form == 1 || !m.adding {
			return false // no severity word seen yet: no table
		}
		m.sev = new([sevSlots]sevSlot)
	}
	sl := &m.sev[h&(sevSlots-1)]
	if sl.h != h {
		if !m.adding {
			return false
		}
		sl.h, sl.forms, sl.word = h, 0, 0
	}
	had := sl.forms&1 != 0 && sl.forms&^1 != 0
	if m.adding {
		sl.forms |= form
	}
	f := sl.forms | form
	now := f&1 != 0 && f&^1 != 0
	if now && !had && m.adding && sl.word != 0 {
		m.sevJoin, sl.word = sl.word, 0
	}
	return now
}

// plainWord: letters, perhaps joined by '-', '_' or '\”, ending in a
// letter: a word of a sentence.
func plainWord(p []byte) bool {
	if len(p) == 0 || !isAlpha(p[len(p)-1]) {
		return false
	}
	for _, c := range p {
		if !isAlpha(c) && c != '-' && c != '_' && c != '\'' {
			return false
		}
	}
	return true
}

// severityWord reports whether p is a level word marked as a label, and
// the bounds of the word in p.
func severityWord(p []byte) (cs, ce, lv int, ok bool) {
	if len(p) < 4 || len(p) > 12 {
		return 0, 0, 0, false
	}
	if c, l := p[0], p[len(p)-1]; l != ':' && c != '[' && c != '(' && c != '<' && c != '*' && (c > 'Z' || p[1] > 'Z') {
		return 0, 0, 0, false // neither a label, nor wrapped, nor in capitals
	}
	s, e := 0, len(p)
	for s < e && (p[s] == '[' || p[s] == '(' || p[s] == '<' || p[s] == '*') {
		s++
	}
	colon := p[e-1] == ':'
	if colon {
		e--
	}
	closed := e
	for e > s && (p[e-1] == ']' || p[e-1] == ')' || p[e-1] == '>' || p[e-1] == '*') {
		e--
	}
	wrapped := s > 0 && e < closed
	if s > 0 != (e < closed) {
		return 0, 0, 0, false // "[warn" or "warn]": a part of something else
	}
	n := e - s
	if n < 4 || n > 8 {
		return 0, 0, 0, false
	}
	var buf [8]byte
	upper := true
	for i, c := range p[s:e] {
		if !isAlpha(c) {
			return 0, 0, 0, false
		}
		upper = upper && c <= 'Z'
		buf[i] = c | 0x20
	}
	switch string(buf[:n]) {
	case "trace", "debug":
		lv = 0
	case "info", "notice":
		lv = 1
	case "warn", "warning":
		lv = 2
	case "error", "severe":
		lv = 3
	case "fatal", "critical", "crit", "alert", "emerg", "panic":
		lv = 4
	default:
		return 0, 0, 0, false
	}
	if !colon && !wrapped && !upper {
		return 0, 0, 0, false // "Error reading config", "error handling": words of the sentence
	}
	return s, e, lv, true
}

// sign returns the hash of the signature of m.toks, having read it: all
// of it (collect), or when adding only its pieces and the gaps with
// values (pieceList).
func (m *Miner) sign(msg []byte) uint64 {
	if !m.adding {
		return m.collect(msg)
	}
	m.pieceList(msg)
	return m.pieceHash()
}

// pieceList reads the pieces of m.toks' signature into m.pieces and the
// gaps that hold values into m.varAt, as collect does.
func (m *Miner) pieceList(msg []byte) {
	m.pieces = m.pieces[:0]
	m.varAt = append(m.varAt[:0], false)
	var set uint64
	for i := range m.toks {
		t := &m.toks[i]
		if t.S == t.E {
			continue
		}
		if t.Class == token.Word {
			m.pieces = append(m.pieces, msg[t.S:t.E])
			m.varAt = append(m.varAt, false)
			continue
		}
		if t.Key > t.S {
			m.pieces = append(m.pieces, msg[t.S:t.Key])
			m.varAt = append(m.varAt, true)
		} else {
			m.varAt[len(m.varAt)-1] = true
		}
		set |= 1 << uint(len(m.varAt)-1) // 0 from gap 64 on
	}
	m.varSet = set
}

// pieceHash returns the hash collect returns for m.pieces.
func (m *Miner) pieceHash() uint64 {
	h := uint64(fnvOffset)
	for _, p := range m.pieces {
		h = hashSep(hashPiece(h, p), 0)
	}
	return hashSep(h, uint64(len(m.pieces)))
}

// recentN is how many of the last lines' signatures match compares a
// line with.
const recentN = 8

// match returns the signature of the last lines added whose pieces are
// m.pieces', or nil. A signature is recent only while it is kept under
// the hash of its pieces (remember), so what match returns is what
// lookup would: the template match of a line before its signature is
// hashed. Lines of a stream repeat a few events: 75% to 99.6% of the
// lines of LogHub's six are found so, 31% of the generated corpus's (whose
// sets hold many more events per line).
func (m *Miner) match() *cluster {
	n := len(m.pieces)
	if n == 0 || m.noMatch {
		return nil // only values: scan reads them again
	}
	for i, c := range m.recent {
		if c == nil {
			return nil
		}
		if len(c.pieces) != n || c.out {
			continue
		}
		same := true
		for k := n - 1; k >= 0; k-- { // the last pieces tell events of one opening apart
			if string(c.pieces[k]) != string(m.pieces[k]) {
				same = false
				break
			}
		}
		if same {
			for ; i > 0; i-- { // to the front (no copy: a pointer copy calls the runtime)
				m.recent[i] = m.recent[i-1]
			}
			m.recent[0] = c
			return c
		}
	}
	return nil
}

// remember makes c, the signature of a line just added whose pieces hash
// to h, the most recent, when it is kept under h (not salted after a
// collision: lookup finds a salted signature only while the signature
// its hash collides with is kept).
func (m *Miner) remember(c *cluster, h uint64) {
	if c.hash != h || c.out || m.recent[0] == c {
		return
	}
	i := 0
	for i < recentN-1 && m.recent[i] != c && m.recent[i] != nil {
		i++
	}
	for ; i > 0; i-- {
		m.recent[i] = m.recent[i-1]
	}
	m.recent[0] = c
}

func (m *Miner) collect(msg []byte) uint64 {
	m.pieces = m.pieces[:0]
	m.glue = m.glue[:0]
	m.varAt = append(m.varAt[:0], false)
	m.boundN = m.boundN[:0]
	m.softN = m.softN[:0]
	m.weakN = m.weakN[:0]
	m.valClose = -1
	all := 0
	h := uint64(fnvOffset)
	m.digit = m.digit[:0]
	// A tail may start after a token ending in ':' that closes a clause
	// of at least two words ("failed to sync <*>: …", not "serf: …").
	colon, words := false, 0
	var set uint64
	for i := range m.toks {
		t := &m.toks[i]
		if t.S == t.E {
			continue
		}
		if t.Class == token.Word || t.Key > t.S {
			hard := false
			if colon {
				if words >= 2 {
					m.boundN = append(m.boundN, len(m.pieces))
					hard = true
				} else if words == 1 && len(m.pieces) <= maxSoft {
					// after one word ("Closing: …", "QUERY: …") a tail
					// needs the evidence of shared tails (noteTail)
					m.weakN = append(m.weakN, len(m.pieces))
				}
				words = 0
			}
			// a tail may also start after three words of a sentence,
			// without a ':' ("failed to tag images <error>"); such a tail
			// needs more evidence (enoughSoft)
			if !hard && !colon && all >= 3 && len(m.pieces) <= maxSoft {
				m.softN = append(m.softN, len(m.pieces))
			}
			end := t.E
			glued := false
			if t.Class != token.Word {
				end, glued = t.Key, true
			}
			p := msg[t.S:end]
			if len(p) >= 2 && wordy(p) {
				words++
				all++
			}
			m.pieces = append(m.pieces, p)
			m.valClose = -1
			m.glue = append(m.glue, glued)
			m.digit = append(m.digit, t.Digit && !glued || glued && nameLike(p))
			m.varAt = append(m.varAt, false)
			h = hashSep(hashPiece(h, p), 0)
		}
		if t.Class != token.Word {
			m.varAt[len(m.varAt)-1] = true
			set |= 1 << uint(len(m.varAt)-1) // 0 from gap 64 on
		}
		colon = msg[t.E-1] == ':'
		if colon && t.Class != token.Word && int(t.E) < len(msg) {
			m.valClose = len(m.pieces)
		}
	}
	m.varSet = set
	return hashSep(h, uint64(len(m.pieces)))
}

// restHash returns the signature collect made without the piece of the
// severity word at msg[at:], and the number of its pieces (-1: no such
// piece).
func (m *Miner) restHash(msg []byte, at int32) (uint64, int) {
	h, n := uint64(fnvOffset), -1
	for _, p := range m.pieces {
		if n < 0 && len(p) > 0 && &p[0] == &msg[at] {
			n = 0
			continue
		}
		h = hashSep(hashPiece(h, p), 0)
	}
	if n < 0 {
		return 0, -1
	}
	return hashSep(h, uint64(len(m.pieces)-1)), len(m.pieces) - 1
}

// wordy: a piece with two letters that is not wholly in brackets ([INFO],
// (forced)): a word of a sentence.
func wordy(p []byte) bool {
	if len(p) >= 2 && (p[0] == '[' || p[0] == '(' || p[0] == '<') {
		c := p[len(p)-1]
		if c == ':' && len(p) > 2 {
			c = p[len(p)-2]
		}
		if c == ']' || c == ')' || c == '>' {
			return false
		}
	}
	letters := 0
	for _, c := range p {
		if isAlpha(c) {
			if letters++; letters == 2 {
				return true
			}
		}
	}
	return false
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
		if t.S == t.E {
			continue
		}
		if t.Class == token.Word {
			gap++
			continue
		}
		if t.Key > t.S {
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
		b.Write(msg[t.Key:t.CS])
		b.WriteString("<*>")
		b.Write(msg[t.CE:t.E])
		types = append(types, t.Class)
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
func (m *Miner) Add(msg []byte) *Template { return m.AddIn(msg, 0) }

// AddIn is Add for a message logged in a context: a hash of the logger,
// component or source file that the line's header names (0 for none).
// Lines of one signature share a template whatever their context, but a
// word or a tail that differs between lines is only taken for a parameter
// when they come from one context: "EventType: JOB_SETUP" from one
// component and "EventType: TASK_ABORT" from another are two events.
func (m *Miner) AddIn(msg []byte, ctx uint64) *Template {
	m.ctx = ctx
	m.adding = true
	m.found = nil
	h := m.scan(msg)
	m.adding = false
	c := m.found
	if c == nil {
		c = m.lookup(h)
	}
	m.newSig = c == nil
	if c == nil {
		m.collect(msg) // the rest of the signature's reading, for a new one
		key := h
		if x := m.clusters[h]; x != nil {
			key ^= collisionSalt // a different signature with the same hash
		}
		c = m.newCluster(key, msg)
	} else {
		m.touch(c)
		m.unionGaps(c, msg)
	}
	m.remember(c, h)
	c.count++
	c.g.count++
	if c.folded && c.count == minSibling {
		m.splitSibling(c) // sibling.go
	}
	c.g.handed = true
	if m.sevJoin != 0 {
		// the lines that kept their severity word before the evidence
		// join the template of their rest (see markSeverity)
		if oc := m.clusters[m.sevJoin]; oc != nil && oc != c && oc.g != nil && oc.g.live && c.g.live && oc.g != c.g {
			if len(oc.g.members) == 1 {
				m.moveAll(oc.g, c.g, true)
			} else {
				m.detach(oc, c.g)
			}
		}
		m.sevJoin = 0
	}
	if m.sinceCons++; m.fresh > 0 && m.sinceCons >= consolidateLines && m.cfg.ConsolidateEvery > 0 {
		m.Consolidate()
	}
	m.lines++
	if len(m.held) > 0 && m.lines%heldEvery == 0 {
		m.release()
	}
	m.last, m.lastSig = c.g, c
	return m.template(c.g)
}

// OwnID reports whether the id of the last Add's template names that
// line's event for good: the template was made for the line's signature
// and kept the id made for it through every merge and split since, or the
// signature shapes a template that is no tail template (it joined by a
// merge or a cover, the evidence that it is one event with the rest).
// The miner keeps a template's id with the signature it was made for when
// the signatures that joined it by its tail leave it again (RehomeAll),
// and merges of the template are recorded as aliases of it. A signature
// that joined by a tail or a fold (a folded member) may be another event
// whose text ended alike: its template's id is not its own.
func (m *Miner) OwnID() bool {
	c := m.lastSig
	return c != nil && c.g != nil && (c.own != 0 && c.g.id == c.own || !c.folded && !c.g.tail)
}

// Rehome tells the miner that a message it mined, old, is really the
// message new (its header was read differently then): new is added, and
// the template old had joins new's, the older of their ids surviving.
func (m *Miner) Rehome(old, new []byte, ctx uint64) {
	m.RehomeAll([]Move{{Old: old, New: new, Ctx: ctx}})
}

// Move is one message that Rehome re-reads: Old as it was mined, New as
// it reads now, logged in the context Ctx.
type Move struct {
	Old, New []byte
	Ctx      uint64
}

// RehomeAll is Rehome for several messages re-read at once (the lines an
// engine reheads when a stream's header layout changes). A tail template
// every signature of which is among them splits as they are re-read:
// each signature joins the template of its message as it reads now. Such
// a template was made of messages read with their header, and holds the
// lines of several events whose header ended alike ("containerd DBG <*>
// <*> on <*>: <*>" over "…: creating task" and "…: get snapshot mounts",
// bunyan's "name/pid on host:" before the stream's layout was known);
// moving all of it into the template of the first message re-read would
// join those events for good. The signature the template was made for
// (its founder) is re-read last, so that the template's id, which its lines
// may carry, stays with it and its event. Any other template, or a tail template
// holding a signature that is not re-read (a message whose tail varies
// after header and message words alike, mined since), moves whole, as
// Rehome always did.
//
// Independent sources it helps: layouts whose header ends in a mark the
// model learns only after its first lines — bunyan's long format
// ("name/pid on host:"), a constant program column (containerd, journald
// identifiers), a dotted logger before the message.
func (m *Miner) RehomeAll(moves []Move) {
	olds := make([]*cluster, len(moves))
	re := make(map[*cluster]bool, len(moves))
	for i := range moves {
		m.ctx = moves[i].Ctx
		if c := m.lookup(m.scan(moves[i].Old)); c != nil {
			olds[i] = c
			re[c] = true
		}
	}
	split := make(map[*group]bool)
	for c := range re {
		g := c.g
		if _, ok := split[g]; ok || !g.live {
			continue
		}
		all := g.tail && len(g.members) > 1
		for _, x := range g.members {
			if all && !re[x] {
				all = false
			}
		}
		split[g] = all
	}
	order := make([]int, 0, len(moves))
	for i, c := range olds {
		if c == nil || !split[c.g] || c.own != c.g.id {
			order = append(order, i)
		}
	}
	for i, c := range olds {
		if c != nil && split[c.g] && c.own == c.g.id {
			order = append(order, i) // a split template's founder, last
		}
	}
	for _, i := range order {
		oc := olds[i]
		var og *group
		if oc != nil {
			og = oc.g
		}
		m.AddIn(moves[i].New, moves[i].Ctx)
		ng := m.last
		if oc != nil && oc.count > oc.reread {
			// the line was counted as oc's when it was mined, and
			// AddIn counted it again: it is a line of its reading now
			oc.reread++
			oc.g.reread++
		}
		if og == nil || !og.live || ng == nil || !ng.live || og == ng {
			continue
		}
		if split[og] && m.clusters[oc.hash] == oc && len(og.members) > 1 {
			m.detach(oc, ng)
			continue
		}
		m.moveAll(og, ng, true)
	}
}

// detach moves the signature c out of its template into to (as a folded
// member: it does not shape to's text); c's template keeps its id and
// its other signatures.
func (m *Miner) detach(c *cluster, to *group) {
	unlink(c)
	m.join(to, c, true)
}

// unlink takes the signature c out of its template's members and counts
// (the caller joins it to another template).
func unlink(c *cluster) {
	from := c.g
	for j, x := range from.members {
		if x == c {
			from.members = append(from.members[:j], from.members[j+1:]...)
			break
		}
	}
	from.count -= c.count
	from.reread -= c.reread
	from.dirty = true
}

// Adopt records that from, an id its caller handed out for lines that now
// belong to the template of id to, stands for that template (Resolve,
// TakeAliases): the provisional ids an engine hands out before a stream's
// header layout is known (see logengine). An id that is a live
// template's own is left alone.
func (m *Miner) Adopt(from, to uint64) {
	to = m.Resolve(to)
	if from == to || m.Resolve(from) == to || m.liveGroup(from) != nil {
		return
	}
	m.alias(from, to, true)
}

// IDOf returns the id of the template the signature of msg (one Add was
// given) is in now, or 0 when the miner does not hold that signature.
func (m *Miner) IDOf(msg []byte, ctx uint64) uint64 {
	m.ctx = ctx
	if c := m.lookup(m.scan(msg)); c != nil && c.g != nil && c.g.live {
		return c.g.id
	}
	return 0
}

// Matched returns how many lines the template of the last Add has
// matched, counting a line once more each time RehomeAll re-reads it:
// the evidence the miner decides on (Template.Count counts each line
// once).
func (m *Miner) Matched() uint64 {
	if m.last == nil {
		return 0
	}
	return m.last.count
}

// NewSignature reports whether the last Add made a signature the miner
// did not hold.
func (m *Miner) NewSignature() bool { return m.newSig }

// Match returns the template msg belongs to without changing the miner,
// or nil when no template covers it.
func (m *Miner) Match(msg []byte) *Template { return m.MatchIn(msg, 0) }

// MatchIn is Match for a message logged in a context (see AddIn).
func (m *Miner) MatchIn(msg []byte, ctx uint64) *Template {
	m.ctx = ctx
	h := m.scan(msg)
	m.last = nil
	c := m.lookup(h)
	m.exact = c != nil
	if c != nil {
		m.last = c.g
		return m.template(c.g)
	}
	if g := m.findCover(m.pieces, nil, nil); g != nil {
		m.last = g
		return m.template(g)
	}
	if g := m.findTail(m.pieces); g != nil {
		m.last = g
		return m.template(g)
	}
	if g := m.findFold(m.pieces, nil); g != nil {
		return m.template(g)
	}
	if g := m.findThin(m.pieces, nil, m.lineGap); g != nil {
		return m.template(g)
	}
	return nil
}

// Exact reports whether the last Match found the message's own signature,
// one that Add was given, rather than a template that would take it.
func (m *Miner) Exact() bool { return m.exact }

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
	tail, fromGap, closed := -1, false, false
	if g := m.last; g != nil {
		switch {
		case g.tail && len(m.pieces) >= len(g.pieces):
			wild, tail, fromGap = g.wild, len(g.pieces), tailFromGap(g.pieces)
		case len(g.pieces) == len(m.pieces):
			wild = g.wild
		}
	}
	piece := 0
	for i := range m.toks {
		t := &m.toks[i]
		if t.S == t.E {
			continue
		}
		if tail >= 0 && piece == tail && (t.Class == token.Word || t.Key > t.S || fromGap || closed) {
			// the rest of the message is the tail parameter
			e := len(msg)
			for e > int(t.S) && token.IsSpace(msg[e-1]) {
				e--
			}
			return append(dst, Param{Type: ParamWord, Value: msg[t.S:e]})
		}
		if t.Class == token.Word {
			if wild != nil && piece < len(wild) && wild[piece] {
				cs, ce := token.Trim(msg, int(t.S), int(t.E))
				dst = append(dst, Param{Type: ParamWord, Value: msg[cs:ce]})
			}
			piece++
			continue
		}
		if t.Key > t.S {
			piece++
		}
		dst = append(dst, Param{Type: t.Class, Value: msg[t.CS:t.CE]})
		// a value that closes the prefix's clause: the tail follows
		closed = tail >= 0 && piece == tail && msg[t.E-1] == ':'
	}
	return dst
}

// Render returns the template of msg as a line of its own, without
// changing the miner.
func (m *Miner) Render(msg []byte) Template {
	m.scan(msg)
	n := len(m.pieces)
	g := &group{pieces: m.pieces, glue: m.glue, wild: make([]bool, n), varGap: make([]bool, n+1),
		gapText: make([]string, n+1), gapType: make([][]ParamType, n+1), dirty: true}
	for k, v := range m.varAt {
		if v {
			s, t := m.gapText(msg, k)
			g.setGap(k, s, t)
		}
	}
	t := *m.template(g)
	t.ID = canonicalID(g)
	return t
}

func (m *Miner) unionGaps(c *cluster, msg []byte) {
	// the gaps below 64 by their bits: most lines bring none new
	for todo := m.varSet &^ c.gapSet; todo != 0; todo &= todo - 1 {
		k := bits.TrailingZeros64(todo)
		m.unionGap(c, msg, k)
		c.gapSet |= 1 << k
	}
	for k := 64; k < len(m.varAt); k++ {
		if m.varAt[k] {
			m.unionGap(c, msg, k)
		}
	}
}

// unionGap joins the values of msg's gap k to c's.
func (m *Miner) unionGap(c *cluster, msg []byte, k int) {
	if c.gaps[k] == "" {
		c.gaps[k], c.types[k] = m.gapText(msg, k)
		if !c.folded && c.g.setGap(k, c.gaps[k], c.types[k]) {
			m.retext(c.g)
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
			if k < 64 {
				c.gapSet |= 1 << k
			}
		}
	}
	if x := m.clusters[h]; x != nil {
		x.out = true // a salted key taken again: x is no longer found
	}
	m.clusters[h] = c
	m.n++
	m.pushFront(c)

	bounds := append([]int(nil), m.boundN...)
	soft := append([]int(nil), m.softN...)
	weak := append([]int(nil), m.weakN...)
	var made *group // the group made for c, if any
	switch g := m.findCover(c.pieces, nil, nil); {
	case g != nil:
		m.join(g, c, false)
		m.retext(g)
	default:
		if g := m.findTail(c.pieces); g != nil {
			m.join(g, c, true)
			// its tail, seen after this prefix, is evidence elsewhere
			m.noteTail(c.pieces, nil, len(g.pieces), 0)
			break
		}
		if g := m.findFold(c.pieces, nil); g != nil {
			m.noteFold(c.pieces, nil, c.gap, g)
			m.join(g, c, true)
			break
		}
		if g := m.findThin(c.pieces, nil, m.lineGap); g != nil {
			m.join(g, c, true)
			break
		}
		if g := m.findTailFold(c.pieces); g != nil {
			m.join(g, c, true)
			m.noteTail(c.pieces, nil, len(g.pieces), 0)
			break
		}
		g := m.newGroup(c.pieces, c.glue, nil, c.seq)
		made = g
		g.bounds = bounds
		g.soft = soft
		g.weak = weak
		g.ctx = m.ctx
		m.join(g, c, false)
		g.id = canonicalID(g)
		c.own = g.id
		m.retext(g)
		if g.live {
			m.absorbFolds(g)
		}
		if g.live {
			m.register(g)
		}
		if g.live {
			m.registerTail(g)
		}
		if g.live {
			m.registerSoft(g)
		}
		if g.live {
			m.registerWeak(g)
		}
		if g.live && len(g.pieces) == 1 && g.varGap[1] {
			m.registerSlot(g)
		}
	}
	if gh, ok := m.ghosts[h]; ok {
		delete(m.ghosts, h)
		m.reclaim(c, gh, made)
	}
	m.fresh++
	if m.cfg.ConsolidateEvery > 0 && m.fresh >= m.cfg.ConsolidateEvery {
		m.Consolidate()
	}
	return c
}

// maxGhosts bounds the evicted signatures remembered, per signature kept.
const maxGhosts = 4

// ghost is an evicted signature: the group it was in, and how.
type ghost struct {
	g      *group
	folded bool
}

// reclaim returns a signature that was evicted (gh) and is seen again (c)
// to the template it had, so that its lines before and after the eviction
// carry one id, as two passes (whose miner keeps every signature) group
// them: when that template still lives, a template made for c alone joins
// it; when it was dropped with its last signature, the template c is in
// now takes its id (a template made for c, whose own id nobody got) or
// records it as an alias (Resolve, TakeAliases). Without it an id handed
// out before the eviction would lead nowhere, and the event would carry
// a second id from then on.
func (m *Miner) reclaim(c *cluster, gh ghost, made *group) {
	g := c.g
	old := gh.g
	if !old.live {
		// merged into another template since (its id is an alias of that
		// template's, or that template took its id), or dropped
		id := m.Resolve(old.id)
		old = nil
		if id != gh.g.id {
			old = m.liveGroup(id)
		}
		if old == nil {
			switch {
			case id == g.id:
			case made == g && len(g.members) == 1 && g.id == canonicalID(g):
				// a template made for c alone: its id was never handed out
				m.alias(g.id, id, false)
				delete(m.aliases, id)
				g.id, g.dirty = id, true
			default:
				m.alias(id, g.id, true)
				delete(m.aliases, g.id)
			}
			return
		}
	}
	if old != g && made == g && len(g.members) == 1 {
		m.moveAll(g, old, gh.folded)
	}
}

// liveGroup returns the live template of id, or nil.
func (m *Miner) liveGroup(id uint64) *group {
	for x := m.lru.next; x != &m.lru; x = x.next {
		if x.g.live && x.g.id == id {
			return x.g
		}
	}
	return nil
}

func (m *Miner) newGroup(pieces [][]byte, glue, wild []bool, seq uint64) *group {
	g := &group{pieces: pieces, glue: glue, seq: seq, varGap: make([]bool, len(pieces)+1),
		gapText: make([]string, len(pieces)+1), gapType: make([][]ParamType, len(pieces)+1), live: true, dirty: true}
	if wild == nil {
		g.wild = make([]bool, len(pieces))
	} else {
		g.wild = append([]bool(nil), wild...)
	}
	m.byLen[len(pieces)] = append(m.byLen[len(pieces)], g)
	m.ngroups++
	return g
}

// dropGroup removes an empty or merged group from every index.
func (m *Miner) dropGroup(g *group) {
	if !g.live {
		return
	}
	g.live = false
	m.ngroups--
	m.unregister(g)
	m.unregisterTail(g)
	if x, ok := m.byText[g.textKey]; ok && x == g {
		delete(m.byText, g.textKey)
	}
	if g.tail {
		if x := m.tailOf[g.tkey]; x == g {
			delete(m.tailOf, g.tkey)
		}
		return
	}
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
	g.reread += c.reread
	g.dirty = true
	if c.seq < g.seq {
		g.seq = c.seq
	}
	if !folded {
		for k, s := range c.gaps {
			g.setGap(k, s, c.types[k])
		}
	}
}

// setGap records the parameters of gap k unless the group has some
// already; it reports whether the group changed.
func (g *group) setGap(k int, text string, types []ParamType) bool {
	if text == "" || k >= len(g.gapText) || g.gapText[k] != "" {
		return false
	}
	g.gapText[k], g.gapType[k], g.varGap[k] = text, types, true
	g.dirty = true
	return true
}

// moveAll moves every member of from into to and drops from; the older of
// the two ids survives and the other becomes its alias.
func (m *Miner) moveAll(from, to *group, folded bool) {
	if from == to || !from.live {
		return
	}
	fromSeq, toSeq := from.seq, to.seq // join moves to.seq
	m.dropGroup(from)
	for _, c := range from.members {
		m.join(to, c, folded || c.folded)
	}
	from.members = nil
	m.adoptID(to, from, fromSeq, toSeq)
}

// adoptID makes to carry the id of the older of to and from (by their
// seqs before they were joined), recording the other id as an alias of it.
func (m *Miner) adoptID(to, from *group, fromSeq, toSeq uint64) {
	switch {
	case from.id == to.id:
		to.handed = to.handed || from.handed
	case fromSeq < toSeq || fromSeq == toSeq && from.id < to.id:
		if to.id != 0 {
			m.alias(to.id, from.id, to.handed)
		}
		to.id, to.handed = from.id, from.handed
	case from.id != 0:
		m.alias(from.id, to.id, from.handed)
	}
	delete(m.aliases, to.id) // the survivor's id is no alias
	m.pruneAliases()
}

// pruneAliases bounds the alias table: when it holds more than eight
// entries per signature kept, aliases whose template is gone are dropped.
func (m *Miner) pruneAliases() {
	if len(m.aliases) <= 8*m.cfg.MaxClusters {
		return
	}
	live := make(map[uint64]bool, m.ngroups)
	for c := m.lru.next; c != &m.lru; c = c.next {
		live[c.g.id] = true
	}
	for k := range m.aliases {
		if !live[m.Resolve(k)] {
			delete(m.aliases, k)
		}
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
	if extra < 1 || extra > 2 || g.tail {
		return false
	}
	return foldFrom(g, pieces, wild, 0, 0, extra, 0)
}

// foldFrom aligns pieces[i:] with g.pieces[j:] with left extra words
// still to place, matched constants so far. Each extra word may sit in any
// gap where g has a parameter, not only the first that fits: "device
// web-8 (x)" against "device <*> (<*>)" puts web-8 in the gap, not on
// the wildcard after it.
func foldFrom(g *group, pieces [][]byte, wild []bool, i, j, left, matched int) bool {
	return foldNeed(g, pieces, wild, i, j, left, matched, 0)
}

// foldNeed is foldFrom with the constants the extra words placed so far
// need matched: two for a plain word, one for a name with a digit, which
// is a value more often than a word of the event ("hostDir: worker-7"
// joins "hostDir: <*>").
func foldNeed(g *group, pieces [][]byte, wild []bool, i, j, left, matched, need int) bool {
	if i == len(pieces) {
		return j == len(g.pieces) && left == 0 && matched >= need
	}
	p := pieces[i]
	if j < len(g.pieces) && (g.wild[j] || string(g.pieces[j]) == string(p)) && (wild == nil || !wild[i] || g.wild[j]) {
		add := 0
		if !g.wild[j] {
			add = 1
		}
		if foldNeed(g, pieces, wild, i+1, j+1, left, matched+add, need) {
			return true
		}
	}
	// extra piece i sits in g's gap j: g must have a parameter there, a
	// key ("user=") is structure, never an extra word, and the first word
	// names the event
	if left == 0 || !g.varGap[j] || isKey(p) || j == 0 && len(g.pieces) < 2 {
		return false
	}
	first := j == 0 && sameClose(p, g.gapText[0])
	if j == 0 && len(g.pieces) < 3 && !first {
		return false
	}
	if nameLike(p) || first {
		// a name with a digit, or a word closed as the value that opens
		// the template ("billing:" where "<*>:" was seen): that position
		// was seen to vary
		need++
	} else {
		need += 2
	}
	return foldNeed(g, pieces, wild, i+1, j, left-1, matched, need)
}

// sameClose reports whether word p ends as the last parameter of a gap's
// text does: with the same punctuation ("billing:" as "<*>:"), or with
// none ("search" as "<*>").
func sameClose(p []byte, gap string) bool {
	k := strings.LastIndex(gap, "<*>")
	if k < 0 {
		return false
	}
	end := gap[k+3:]
	if end == "" {
		c := p[len(p)-1]
		return isAlpha(c) || c >= '0' && c <= '9'
	}
	return len(p) > len(end) && string(p[len(p)-len(end):]) == end
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

// thins reports whether pieces are g's template with one or two of its
// word parameters given as values instead: "COMPACT beta => 16799" is
// "COMPACT <*> => <*>" whose second word parameter came as a number. Each
// missing word parameter sits where the pieces have a value (gap(k): the
// pieces have a parameter before piece k), and the constants matched are
// at least twice the words missing.
func thins(g *group, pieces [][]byte, wild []bool, gap func(int) bool) bool {
	d := len(g.pieces) - len(pieces)
	if d < 1 || d > 2 || g.tail {
		return false
	}
	return thinFrom(g, pieces, wild, gap, 0, 0, d, 0, d)
}

func thinFrom(g *group, pieces [][]byte, wild []bool, gap func(int) bool, i, j, left, matched, d int) bool {
	if j == len(g.pieces) {
		return i == len(pieces) && left == 0 && matched >= 2*d
	}
	if i < len(pieces) && (g.wild[j] || string(g.pieces[j]) == string(pieces[i])) && (wild == nil || !wild[i] || g.wild[j]) {
		add := 0
		if !g.wild[j] {
			add = 1
		}
		if thinFrom(g, pieces, wild, gap, i+1, j+1, left, matched+add, d) {
			return true
		}
	}
	// g's word parameter j is a value of the pieces, before piece i
	if left == 0 || !g.wild[j] || !gap(i) {
		return false
	}
	return thinFrom(g, pieces, wild, gap, i, j+1, left-1, matched, d)
}

// findThin returns the oldest group with word parameters that pieces thin
// into (thins).
func (m *Miner) findThin(pieces [][]byte, wild []bool, gap func(int) bool) *group {
	var best *group
	for d := 1; d <= 2; d++ {
		for _, g := range m.byLen[len(pieces)+d] {
			if hasWild(g) && thins(g, pieces, wild, gap) && (best == nil || g.seq < best.seq) {
				best = g
			}
		}
		if best != nil {
			return best
		}
	}
	return nil
}

// lineGap reports whether the line being mined has a parameter before
// piece k (for findThin).
func (m *Miner) lineGap(k int) bool { return k < len(m.varAt) && m.varAt[k] }

// absorbThins moves into w, a group that has just got word parameters,
// the groups that thin into it: signatures seen before it generalised.
func (m *Miner) absorbThins(w *group) {
	if !hasWild(w) {
		return
	}
	n := len(w.pieces)
	for d := 1; d <= 2 && d < n; d++ {
		l := m.byLen[n-d]
		if len(l) > 4096 {
			continue // bound the work on pathological streams
		}
		for _, x := range append([]*group(nil), l...) {
			if x.live && x != w && !x.tail && thins(w, x.pieces, x.wild, func(k int) bool { return k < len(x.varGap) && x.varGap[k] }) {
				m.moveAll(x, w, true)
			}
		}
	}
}

// absorbFolds moves into g, a new group or one that has just got word
// parameters, the groups that fold into it: signatures seen before it
// existed or generalised (one pass must not wait for Consolidate to join
// them, two passes would find them joined).
func (m *Miner) absorbFolds(g *group) {
	n := len(g.pieces)
	for d := 1; d <= 2; d++ {
		l := m.byLen[n+d]
		if len(l) > 4096 {
			continue // bound the work on pathological streams
		}
		for _, x := range append([]*group(nil), l...) {
			if x.live && x != g && folds(g, x.pieces, x.wild) && !m.siblingOf(x, g) {
				m.moveAll(x, g, true)
			}
		}
	}
}

// absorbCovered moves into a wildcard group w the groups of its length it
// covers.
func (m *Miner) absorbCovered(w *group) {
	l := m.byLen[len(w.pieces)]
	if len(l) > 4096 {
		return
	}
	for _, x := range append([]*group(nil), l...) {
		if x.live && x != w && covers(w, x.pieces, x.wild) {
			m.moveAll(x, w, false)
		}
	}
}

// consolidateLines: Add also calls Consolidate after this many lines when
// a signature was made since the last one, so that a stream that makes few
// signatures (fewer than ConsolidateEvery) still joins, within a bounded
// number of lines, what two passes join at the end of their first
// (Engine.EndLearning): a signature seen before the template it folds
// into took the word or value that lets it fold.
const consolidateLines = 1024

// Consolidate applies cover and fold to all groups: signatures seen before
// a wider template existed join it. Add calls it every ConsolidateEvery
// new signatures, and after consolidateLines lines with a new signature
// among them; call it before reading templates back after a batch.
func (m *Miner) Consolidate() {
	m.fresh, m.sinceCons = 0, 0
	lens := make([]int, 0, len(m.byLen))
	for n := range m.byLen {
		lens = append(lens, n)
	}
	sort.Ints(lens)
	for _, n := range lens {
		l := append([]*group(nil), m.byLen[n]...)
		sort.Slice(l, func(i, j int) bool { return l[i].seq < l[j].seq })
		for _, g := range l {
			if !g.live {
				continue
			}
			if w := m.findCover(g.pieces, g.wild, g); w != nil && w.live {
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
			if !g.live {
				continue
			}
			if t := m.findFold(g.pieces, g.wild); t != nil && !m.siblingOf(g, t) {
				m.moveAll(g, t, true)
			}
		}
	}
	for _, n := range lens {
		if len(m.byLen[n+1])+len(m.byLen[n+2]) == 0 {
			continue
		}
		l := append([]*group(nil), m.byLen[n]...)
		sort.Slice(l, func(i, j int) bool { return l[i].seq < l[j].seq })
		if len(l)*(len(m.byLen[n+1])+len(m.byLen[n+2])) > 1<<20 {
			continue // bound the work on pathological streams
		}
		for _, g := range l {
			if !g.live || g.tail {
				continue
			}
			if t := m.findThin(g.pieces, g.wild, func(k int) bool { return k < len(g.varGap) && g.varGap[k] }); t != nil {
				m.moveAll(g, t, true)
			}
		}
	}
	m.sweepGraves()
}

// grave is the last signature of a template that eviction dropped, with
// that template's id and context.
type grave struct {
	c                  *cluster
	id, ctx            uint64
	bounds, soft, weak []int // its template's tail boundaries (see collect)
}

// sweepGraves gives the ids of templates that eviction dropped to the
// templates that would take their last signature now (cover, tail, fold,
// thin, as a new signature is placed): a line whose template was evicted
// before later lines generalised the event ("Remote device web-1 has not
// accepted …" before "Remote device <*> has not accepted …") carries an id
// that leads to the event's template, as two passes, whose miner keeps
// every signature, group it. It runs with Consolidate, when templates
// were merged since the last time (what else would take a signature that
// no template took when it was made), so a stream of new signatures that
// never generalise pays nothing for it.
func (m *Miner) sweepGraves() {
	if len(m.graves) == 0 || m.merges == m.swept {
		return
	}
	m.swept = m.merges
	keep := m.graves[:0]
	ctx, bounds, soft, weak, digit := m.ctx, m.boundN, m.softN, m.weakN, m.digit
	for _, gr := range m.graves {
		c := gr.c
		m.ctx, m.boundN, m.softN, m.weakN = gr.ctx, gr.bounds, gr.soft, gr.weak
		m.graveDigit = m.graveDigit[:0]
		for _, p := range c.pieces {
			m.graveDigit = append(m.graveDigit, strings.ContainsAny(string(p), "0123456789"))
		}
		m.digit = m.graveDigit
		g := m.findCover(c.pieces, nil, nil)
		if g == nil {
			g = m.findTail(c.pieces)
		}
		if g == nil {
			g = m.findFold(c.pieces, nil)
		}
		if g == nil {
			g = m.findThin(c.pieces, nil, func(k int) bool { return k < 64 && c.gapSet&(1<<k) != 0 })
		}
		if g == nil {
			g = m.findTailFold(c.pieces)
		}
		if g == nil || !g.live {
			keep = append(keep, gr)
			continue
		}
		if id := m.Resolve(gr.id); id != g.id {
			m.alias(id, g.id, true)
			delete(m.aliases, g.id)
		}
	}
	clear(m.graves[len(keep):])
	m.graves = keep
	m.ctx, m.boundN, m.softN, m.weakN = ctx, bounds, soft, weak
	m.digit = digit
}

// retext renders g's text again and joins g with an older template that
// reads the same (a typed parameter and a word parameter at one place).
func (m *Miner) retext(g *group) {
	if !g.live {
		return
	}
	t := m.template(g)
	k := hashString(fnvOffset, t.Text)
	if k == g.textKey && m.byText[k] == g {
		return
	}
	if x, ok := m.byText[g.textKey]; ok && x == g {
		delete(m.byText, g.textKey)
	}
	g.textKey = k
	o, ok := m.byText[k]
	if !ok || o == g || !o.live {
		m.byText[k] = g
		if id, ok := m.gone[k]; ok {
			// the text of a template whose lines were all evicted: it
			// is that template again, under its id
			delete(m.gone, k)
			if id = m.Resolve(id); id != g.id {
				m.alias(g.id, id, g.handed)
				delete(m.aliases, id)
				g.id, g.handed, g.dirty = id, true, true
			}
		}
		return
	}
	// one text, one template: the younger joins the older (which keeps
	// the older id either way), unless only the younger has word
	// parameters: then their structure survives, so that later lines
	// find it ("QUERY: <*>" from "QUERY: kafka", "QUERY: etcd", … takes in
	// "QUERY: <*>" from "QUERY: 4711", and "QUERY: search" then joins it)
	older, younger := o, g
	if g.seq < o.seq {
		older, younger = g, o
	}
	if hasWild(younger) && !hasWild(older) && !older.tail && !younger.tail {
		older, younger = younger, older
	}
	m.byText[k] = older
	m.moveAll(younger, older, true)
}

// starKey hashes g's pieces with position i (and every wildcard) masked.
func starKey(g *group, i int) uint64 {
	h := uint64(fnvOffset)
	for j, p := range g.pieces {
		if j == i || g.wild[j] {
			h = hashSep(h, 1)
			continue
		}
		h = hashSep(hashPiece(h, p), 0)
	}
	return hashSep(h, uint64(len(g.pieces))<<8|uint64(i)<<32) ^ mix(g.ctx, hk2)
}

// mergeable: a word parameter is never found in signatures of fewer than
// three words (unless the word is glued to a value), and the first word,
// which usually names the event, only with three words after it (two
// after a label), or before a value (valueAfter; enough asks more).
// valueSlot: the second word of a signature of two words where the
// signature of its first word alone has values ("Copying ingest" beside
// "Copying /var/lib/x"): that position is shown to be a parameter, so
// its words may merge as after a label.
func (m *Miner) valueSlot(g *group, i int) bool {
	if i != 1 || len(g.pieces) != 2 || g.tail || g.wild[1] || g.glue[1] || label(g.pieces[1]) || isKey(g.pieces[0]) {
		return false
	}
	for _, x := range m.byLen[1] {
		if x.live && !x.tail && x.varGap[1] && string(x.pieces[0]) == string(g.pieces[0]) {
			return true
		}
	}
	return false
}

// registerSlot registers at their second word the signatures of two
// words seen before g, the first word alone with values, showed that
// position to be a parameter (valueSlot), unless they are already.
func (m *Miner) registerSlot(g *group) {
	l := m.byLen[2]
	if len(l) > 4096 {
		return
	}
	for _, x := range append([]*group(nil), l...) {
		if x.live && !mergeable(x, 1) && string(x.pieces[0]) == string(g.pieces[0]) && m.valueSlot(x, 1) && !m.inStar(x, 1) {
			m.register(x)
		}
	}
}

// inStar reports whether g is registered at position i.
func (m *Miner) inStar(g *group, i int) bool {
	if s := m.stars[starKey(g, i)]; s != nil {
		for _, x := range s.groups {
			if x == g {
				return true
			}
		}
	}
	return false
}

func mergeable(g *group, i int) bool {
	if g.tail || g.wild[i] {
		return false
	}
	if i == 0 {
		return longFirst(g) || len(g.pieces) >= 2 && valueAfter(g) || shortFirst(g)
	}
	return len(g.pieces) >= 3 || g.glue[i] || len(g.pieces) == 2 && label(g.pieces[0]) && !label(g.pieces[1])
}

// longFirst: g has words enough after its first word for that word to
// vary with MergeDistinct+1 distinct words alone.
func longFirst(g *group) bool {
	return len(g.pieces) >= 4 || len(g.pieces) == 3 && label(g.pieces[0])
}

// shortFirst: g is a signature of two or three words whose first word is
// no label and not glued to a value ("auth_suxi deleted.", "web-4 has
// joined"): that word may name what the event is about, a value without a
// digit the lexer leaves a word; enough asks the evidence of compound
// names (compound) for it.
func shortFirst(g *group) bool {
	return (len(g.pieces) == 2 || len(g.pieces) == 3) && !g.glue[0] && !label(g.pieces[0]) && !isKey(g.pieces[0])
}

// compound reports whether a word is an identifier made of parts, as
// values are and the words of a sentence are not: letters and digits
// joined by '_', '-' or '.' inside ("auth_suxi", "backend-checkout",
// "db.orders"), or a name with a digit.
func compound(p []byte) bool {
	if nameLike(p) {
		return true
	}
	for len(p) > 0 && (p[len(p)-1] == '.' || p[len(p)-1] == ',' || p[len(p)-1] == ':') {
		p = p[:len(p)-1]
	}
	for k := 1; k+1 < len(p); k++ {
		if (p[k] == '_' || p[k] == '-' || p[k] == '.') && isAlpha(p[k-1]) && isAlpha(p[k+1]) {
			return true
		}
	}
	return false
}

func allLongFirst(gs []*group) bool {
	for _, g := range gs {
		if !longFirst(g) {
			return false
		}
	}
	return true
}

// valueAfter: g has a value after its second word ("redis took <*>"):
// its first word names what the value is about, so that word may vary
// like any other position of a template of four words.
func valueAfter(g *group) bool {
	for k := 2; k < len(g.varGap); k++ {
		if g.varGap[k] {
			return true
		}
	}
	return false
}

// label: a word ending in ':' ("QUERY:", "key:", "web-a:"), which a value
// follows or which names what follows: the word after a label may vary
// in a signature of two words ("QUERY: <*>", not when it is a label too:
// "LOG: bad:" and "LOG: WroteRequest:" are two events), and a label that varies
// itself needs two words after it, not three ("<*>: btree watcher: <*>").
func label(p []byte) bool {
	return len(p) >= 3 && p[len(p)-1] == ':' && wordy(p[:len(p)-1])
}

func isKey(p []byte) bool { return len(p) > 0 && p[len(p)-1] == '=' }

// hasKey: a "name=" piece among pieces (a lone "=" is punctuation).
func hasKey(pieces [][]byte) bool {
	for _, p := range pieces {
		if len(p) >= 2 && isKey(p) {
			return true
		}
	}
	return false
}

// nameLike reports whether a word is a name with a digit (web7, db-2),
// which the lexer leaves a word (ssh2 and log4j are names too) but which
// varies like a value when it varies at all.
func nameLike(p []byte) bool {
	for _, c := range p {
		if c >= '0' && c <= '9' {
			return true
		}
	}
	return false
}

// enough decides whether the groups of a star, which differ only at
// position i, show that position to be a parameter.
func (m *Miner) enough(s *star, i int) bool {
	n := len(s.groups)
	if n < 2 {
		return false
	}
	names, some := true, false
	for _, g := range s.groups {
		if !nameLike(g.pieces[i]) {
			names = false
		} else {
			some = true
		}
	}
	need := m.cfg.MergeDistinct
	switch {
	case names:
		need = 2
	case i == 0 && !some:
		need = m.cfg.MergeDistinct + 1
	}
	if n < need {
		return false
	}
	if i > 0 && !names && n < need+2 {
		// few distinct words that each repeat, many lines each, are
		// events' names ("Received install-key query", "Received use-key
		// query"): values come few lines each. Helps serf (nlog,
		// slog-text), raft (nlog, rust-tracing: "failed to <*> snapshot"),
		// caddy (hclog, rust-env-logger), Jaeger (cassandra, nlog:
		// "Failed to create <*> reader") and client-go (logcat:
		// "tunneling connection <*>")
		var lines uint64
		for _, g := range s.groups {
			lines += g.count
		}
		if lines > repeatLines*uint64(n) {
			return false
		}
	}
	if i == 0 && !allLongFirst(s.groups) {
		// a short signature whose first word varies before a value
		// ("redis took <*>", "etcd took <*>"): the first words must come
		// as a value's do, few lines each, not as the few event names of
		// a stream that each repeat ("StartContainer for <*>" and
		// "RemoveContainer for <*>" are two events)
		var lines uint64
		for _, g := range s.groups {
			lines += g.count
		}
		if lines > firstLines*uint64(n) {
			return false
		}
		digit, values, short := false, 0, false
		for _, g := range s.groups {
			if m.opensOther(g) {
				return false
			}
			digit = digit || nameLike(g.pieces[0])
			if compound(g.pieces[0]) {
				values++
			}
			short = short || !valueAfter(g) && !longFirst(g)
		}
		if short {
			// no value after the first word ("auth_suxi deleted."): the
			// first words must be values themselves, seen MergeDistinct+1
			// times, most of them compound names (a service, a table, a
			// host); "Pod deleted." and "Node deleted." name events.
			// Helps syncthing (tomcat-juli, zap-console: "<*> pulling")
			// and Tailscale (hclog: "<*> didn't exist.", journald once
			// its identifier is a header field: "<*> deleted.").
			if n < m.cfg.MergeDistinct+1 || values*2 <= n {
				return false
			}
		} else if !digit {
			return false
		}
	}
	return true
}

// opensOther reports whether g's first two words also open a template of
// another length: "RemoveContainer for <*>" beside "RemoveContainer for
// <*> failed <*>" shows the first word naming events, not a value.
func (m *Miner) opensOther(g *group) bool {
	n := len(g.pieces)
	for _, l := range [2]int{n - 1, n + 1} {
		if l < 2 {
			continue
		}
		xs := m.byLen[l]
		if len(xs) > maxScan {
			return true // unknown: keep the first word constant
		}
		for _, x := range xs {
			if x.live && !x.wild[0] && string(x.pieces[0]) == string(g.pieces[0]) && string(x.pieces[1]) == string(g.pieces[1]) {
				return true
			}
		}
	}
	return false
}

// firstLines is the mean number of lines per distinct first word above
// which first words that vary before a value are taken for event names.
const firstLines = 4

// repeatLines is the mean number of lines per distinct word above which
// the words seen at a position other than the first are taken for event
// names unless two more of them were seen (see enough).
const repeatLines = 8

// register adds g to the star index of each of its constant positions and
// merges when a position has seen enough distinct values.
func (m *Miner) register(g *group) {
	for i := range g.pieces {
		if !mergeable(g, i) && !m.valueSlot(g, i) {
			continue
		}
		k := starKey(g, i)
		s := m.stars[k]
		if s == nil {
			s = &star{}
			m.stars[k] = s
		}
		s.groups = append(s.groups, g)
		if m.enough(s, i) {
			m.merge(s, i)
			return // g is gone; the merged group registered itself
		}
	}
	m.mergeSeveral(g)
}

// maxScan bounds the templates of one length that mergeSeveral compares a
// new template with (pathological streams).
const maxScan = 1024

// mergeSeveral finds the templates of g's length and context that differ
// from g in two or more word positions at once ("reloading in X due to
// deletion of PLC Y" for five pairs X, Y: no two lines differ in one word,
// so no single position gathers evidence) and merges them when every
// such position shows the variability a single position needs (enough),
// and the words they share are at least three times the positions that
// vary ("failed to close Raft storage" and "failed to process Raft
// message" share too little to be one event).
func (m *Miner) mergeSeveral(g *group) {
	n := len(g.pieces)
	l := m.byLen[n]
	if n < 5 || n > 64 || g.tail || len(l) > maxScan || len(l) < 2 {
		return
	}
	limit := n // positions after a clause's ':' are left to the tail rule
	if len(g.bounds) > 0 {
		limit = g.bounds[0]
	}
	type cand struct {
		x    *group
		diff uint64
	}
	var cands []cand
	for _, x := range l {
		if x == g || !x.live || x.tail || x.ctx != g.ctx {
			continue
		}
		var diff uint64
		same, nd := 0, 0
		for i := 0; i < n; i++ {
			switch {
			case g.wild[i] && x.wild[i]:
			case !g.wild[i] && !x.wild[i] && string(g.pieces[i]) == string(x.pieces[i]):
				if wordy(g.pieces[i]) {
					same++
				}
			default:
				if i >= limit || isKey(g.pieces[i]) || isKey(x.pieces[i]) || g.glue[i] != x.glue[i] || !mergeable(g, i) && !g.wild[i] {
					nd = n // structure differs: never a parameter
				}
				diff |= 1 << i
				nd++
			}
			if nd > n/2 {
				break
			}
		}
		if nd >= 2 && nd <= n/2 && same >= 3*nd {
			cands = append(cands, cand{x, diff})
		}
	}
	if len(cands) < 2 {
		return
	}
	var best []*group
	var bestMask uint64
	for ci, c := range cands {
		dup := false
		for _, d := range cands[:ci] {
			if d.diff == c.diff {
				dup = true
				break
			}
		}
		if dup {
			continue
		}
		members := []*group{g}
		for _, d := range cands {
			if d.diff&^c.diff == 0 {
				members = append(members, d.x)
			}
		}
		if len(members) < 3 || len(members) <= len(best) || !m.variesAt(members, c.diff, 1) {
			continue
		}
		best, bestMask = members, c.diff
	}
	if best != nil {
		m.mergeGroups(best, bestMask, -1)
	}
}

// variesAt reports whether every position of mask varies enough among gs
// (as enough decides for one position, with extra more distinct values):
// a position some of them already hold as a parameter varies. mergeSeveral
// asks one more value: lines that differ in several words at once are
// likelier to be two events.
func (m *Miner) variesAt(gs []*group, mask uint64, extra int) bool {
	for i := 0; mask>>i != 0; i++ {
		if mask&(1<<i) == 0 {
			continue
		}
		names, wild := true, false
		var vals []string
		for _, g := range gs {
			if g.wild[i] {
				wild = true
				break
			}
			p := string(g.pieces[i])
			if !nameLike(g.pieces[i]) {
				names = false
			}
			found := false
			for _, v := range vals {
				if v == p {
					found = true
					break
				}
			}
			if !found {
				vals = append(vals, p)
			}
		}
		if wild {
			continue
		}
		need := m.cfg.MergeDistinct + extra
		switch {
		case names:
			need = 2 + extra
		case i == 0:
			need = m.cfg.MergeDistinct + 1 + extra
		}
		if len(vals) < need {
			return false
		}
	}
	return true
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
	m.mergeGroups(append([]*group(nil), s.groups...), 0, i)
}

// mergeGroups merges olds into one template with parameters at the
// positions of mask, at position at (unless -1), and wherever one of
// them has one.
func (m *Miner) mergeGroups(olds []*group, mask uint64, at int) {
	first := olds[0]
	for _, g := range olds {
		if g.seq < first.seq {
			first = g
		}
	}
	wild := append([]bool(nil), first.wild...)
	for i := range wild {
		if i < 64 && mask&(1<<i) != 0 || i == at {
			wild[i] = true
		}
		for _, g := range olds {
			if g.wild[i] {
				wild[i] = true
			}
		}
	}
	ng := m.newGroup(first.pieces, first.glue, wild, first.seq)
	m.merges++
	ng.id = first.id
	ng.bounds = first.bounds
	ng.soft = first.soft
	ng.weak = first.weak
	ng.ctx = first.ctx
	for _, g := range olds {
		m.moveAll(g, ng, false)
	}
	m.absorbCovered(ng)
	m.absorbThins(ng)
	m.absorbFolds(ng) // signatures with a word more where ng has a parameter now
	m.retext(ng)
	if ng.live {
		if t := m.tailFor(ng); t != nil {
			m.moveAll(ng, t, true)
			return
		}
		m.register(ng)
	}
	if ng.live {
		m.registerTail(ng)
	}
	if ng.live {
		m.registerSoft(ng)
	}
	if ng.live {
		m.registerWeak(ng)
	}
}

// tailFor returns the tail template that g's signatures belong to.
func (m *Miner) tailFor(g *group) *group {
	if len(m.tailOf) == 0 {
		return nil
	}
	for _, n := range g.bounds {
		if t := m.tailOf[tailKey(prefixKey(g.pieces[:n], g.wild[:n]), n, g.ctx)]; t != nil && t.live && m.prefixMatch(t, g.pieces) {
			return t
		}
	}
	for _, n := range g.soft {
		if hasKey(g.pieces[n:]) {
			continue
		}
		if t := m.tailOf[tailKey(prefixKey(g.pieces[:n], g.wild[:n]), n, g.ctx)]; t != nil && t.live && m.prefixMatch(t, g.pieces) {
			return t
		}
	}
	for _, n := range g.weak {
		if t := m.tailOf[tailKey(prefixKey(g.pieces[:n], g.wild[:n]), n, g.ctx)]; t != nil && t.live && m.weakTakes(g.pieces, g.wild, g.bounds, g.weak, g.valClose(), n) && m.prefixMatch(t, g.pieces) {
			return t
		}
	}
	for _, p := range m.patterns {
		for _, n := range g.bounds {
			if n != p.n {
				continue
			}
			if t := m.tailOf[tailKey(prefixKeyMask(g.pieces[:n], g.wild[:n], p.mask), n, g.ctx)]; t != nil && t.live && m.prefixMatch(t, g.pieces) {
				return t
			}
		}
	}
	return nil
}

// prefixMatch reports whether pieces start with t's prefix and have a
// tail. A name with a digit that differs from t's makes that position a
// parameter of t (the prefix key masks such names).
func (m *Miner) prefixMatch(t *group, pieces [][]byte) bool {
	if len(pieces) <= len(t.pieces) {
		return false
	}
	widen := false
	for i, p := range t.pieces {
		if t.wild[i] || string(p) == string(pieces[i]) {
			continue
		}
		if !nameLike(p) || !nameLike(pieces[i]) {
			return false
		}
		widen = true
	}
	if widen {
		for i, p := range t.pieces {
			if !t.wild[i] && string(p) != string(pieces[i]) {
				t.wild[i] = true
			}
		}
		t.dirty = true
		m.retext(t)
	}
	return t.live
}

// tailKey is the key of a tail template or candidate set: the prefix's
// hash, its length and the context.
func tailKey(prefix uint64, n int, ctx uint64) uint64 {
	return prefix ^ uint64(n) ^ mix(ctx, hk1)
}

// prefixKey hashes the first len(pieces) pieces as the key of a tail
// template or a tail candidate. Wildcards and names with a digit are
// masked: "failed to sync pod web-1: EOF" and "… web-2: i/o timeout" are
// one template with two parameters.
func prefixKey(pieces [][]byte, wild []bool) uint64 { return prefixKeyMask(pieces, wild, 0) }

// prefixKeyMask is prefixKey with the positions of mask masked too.
func prefixKeyMask(pieces [][]byte, wild []bool, mask uint64) uint64 {
	h := uint64(fnvOffset)
	for j, p := range pieces {
		if wild != nil && wild[j] || nameLike(p) || j < 64 && mask&(1<<j) != 0 {
			h = hashSep(h, 1)
			continue
		}
		h = hashSep(hashPiece(h, p), 0)
	}
	return h
}

// addTail files g in the tail candidate set under key k, made like proto
// when new, and notes g's tail. It returns the set, or nil when noting the
// tail folded g into a template (g is no longer live).
func (m *Miner) addTail(g *group, k uint64, proto star) *star {
	s := m.tails[k]
	if s == nil {
		s = &proto
		m.tails[k] = s
	}
	s.groups = append(s.groups, g)
	g.tkeys = append(g.tkeys, k)
	if m.noteTail(g.pieces, g.wild, proto.n, k); !g.live {
		return nil
	}
	return s
}

// registerTail adds g to the tail candidates of each of its boundaries
// and makes a tail template when the tails vary.
func (m *Miner) registerTail(g *group) {
	for _, n := range g.bounds {
		k := tailKey(prefixKey(g.pieces[:n], g.wild[:n]), n, g.ctx)
		s := m.addTail(g, k, star{n: n})
		if s == nil {
			return
		}
		if m.enoughTails(s) {
			m.mergeTail(s, n, k)
			return
		}
		// the same with one word of the prefix masked: the tails vary
		// and so does that word ("bad value 'x': <error>")
		if n > 64 {
			continue
		}
		for i := 0; i < n; i++ {
			if g.wild[i] || nameLike(g.pieces[i]) || isKey(g.pieces[i]) || !mergeable(g, i) || !prefixWords(g, n, i) && !labelFirst(g, n, i) {
				continue
			}
			k := tailKey(prefixKeyMask(g.pieces[:n], g.wild[:n], 1<<i), n, g.ctx)
			s := m.addTail(g, k, star{n: n, mask: 1 << i})
			if s == nil {
				return
			}
			if m.enoughTails(s) && m.variesAt(s.groups, 1<<i, 0) {
				m.mergeTail(s, n, k)
				return
			}
		}
	}
}

// tailInfo is what is known of one tail (the pieces after a boundary):
// the first prefix it was seen after, whether it was seen after another
// prefix since, and the tail candidate sets it is in.
type tailInfo struct {
	prefix []uint64 // the hash of each piece of the first prefix (0: masked)
	shared bool
	sets   []uint64
}

// pieceHashes appends the hash of each of pieces to dst, 0 for a
// wildcard or a name with a digit (as prefixKey masks them).
func pieceHashes(dst []uint64, pieces [][]byte, wild []bool) []uint64 {
	for j, p := range pieces {
		if wild != nil && wild[j] || nameLike(p) {
			dst = append(dst, 0)
			continue
		}
		dst = append(dst, hashPiece(fnvOffset, p)|1)
	}
	return dst
}

// otherPrefix reports whether a prefix differs from the recorded one as
// another event's does: in its length, or in two pieces or more. Two
// prefixes that differ in one word only may be one event whose word
// varies ("web-a: tunneling connection read…" and "web-b: …"): the
// tail after them is then no evidence.
func otherPrefix(first []uint64, pieces [][]byte, wild []bool) bool {
	if len(first) != len(pieces) {
		// one prefix ending with the other is one clause after more or
		// fewer words of a header ("redis: …" and "POOL redis: …"
		// where a header's component column was taken for the message
		// once): no evidence
		return !suffixPrefix(first, pieces, wild)
	}
	diff := 0
	for j, p := range pieces {
		h := uint64(0)
		if !(wild != nil && wild[j] || nameLike(p)) {
			h = hashPiece(fnvOffset, p) | 1
		}
		if h != first[j] && h != 0 && first[j] != 0 {
			diff++
		}
	}
	return diff >= 2
}

// suffixPrefix reports whether the shorter of a recorded prefix and
// pieces ends the longer (masked pieces match any).
func suffixPrefix(first []uint64, pieces [][]byte, wild []bool) bool {
	n := min(len(first), len(pieces))
	if n != 1 {
		return false
	}
	for k := 1; k <= n; k++ {
		j := len(pieces) - k
		h := uint64(0)
		if !(wild != nil && wild[j] || nameLike(pieces[j])) {
			h = hashPiece(fnvOffset, pieces[j]) | 1
		}
		if f := first[len(first)-k]; h != f && h != 0 && f != 0 {
			return false
		}
	}
	return true
}

// minShared is the fewest pieces of a tail that noteTail records: a
// single word after a clause is a value or a word of the event (the word
// rules decide), free text has several.
const minShared = 2

// maxTailSets bounds the candidate sets a tail remembers.
const maxTailSets = 8

// tailHash hashes the pieces of a tail (names with a digit and
// wildcards masked, as prefixKey does).
func tailHash(pieces [][]byte, wild []bool) uint64 {
	return hashSep(prefixKey(pieces, wild), uint64(len(pieces))<<8|2)
}

// noteTail records that g's tail after n pieces followed g's prefix, in
// the candidate set k. A tail seen after two different prefixes is free
// text of the stream (an error's text that several events report: "dial
// tcp …: connection refused" after "failed to sync pod <*>:" and after
// "lost connection to <*>:"), not the end of one event: a candidate set
// with two such tails is a tail template (enoughTails), and the sets the
// tail was seen in before are checked again when it becomes shared.
func (m *Miner) noteTail(pieces [][]byte, wild []bool, n int, k uint64) {
	if n+minShared > len(pieces) {
		return
	}
	var tw []bool
	if wild != nil {
		tw, wild = wild[n:], wild[:n]
	}
	th := tailHash(pieces[n:], tw)
	ti := m.tailSeen[th]
	if ti == nil {
		if len(m.tailSeen) >= m.cfg.MaxClusters {
			return // bounded: evidence stops growing, nothing breaks
		}
		ti = &tailInfo{prefix: pieceHashes(nil, pieces[:n], wild)}
		m.tailSeen[th] = ti
	}
	var recheck []uint64
	if !ti.shared && otherPrefix(ti.prefix, pieces[:n], wild) {
		ti.shared = true
		recheck = append(recheck, ti.sets...)
	}
	seen := false
	for _, x := range ti.sets {
		seen = seen || x == k
	}
	if !seen && k != 0 && len(ti.sets) < maxTailSets {
		ti.sets = append(ti.sets, k)
	}
	if recheck == nil {
		return
	}
	if s := m.tails[k]; k != 0 && s != nil {
		if t := m.tailOf[k]; t != nil && t.live && t.weakT {
			m.joinWeak(t, s)
		} else if m.enoughTails(s) && (s.mask == 0 || m.variesAt(s.groups, s.mask, 0)) {
			m.mergeTail(s, s.n, k)
		}
	}
	for _, x := range recheck {
		if s := m.tails[x]; x != k && s != nil {
			if t := m.tailOf[x]; t != nil && t.live && t.weakT {
				m.joinWeak(t, s)
			} else if m.enoughTails(s) && (s.mask == 0 || m.variesAt(s.groups, s.mask, 0)) {
				m.mergeTail(s, s.n, x)
			}
		}
	}
}

// sharedTails counts the candidates of s whose tail was seen after
// another prefix too (noteTail).
func (m *Miner) sharedTails(s *star) int {
	c := 0
	for _, g := range s.groups {
		if s.n >= len(g.pieces) {
			continue
		}
		if ti := m.tailSeen[tailHash(g.pieces[s.n:], g.wild[s.n:])]; ti != nil && ti.shared {
			c++
		}
	}
	return c
}

// sharedTail reports whether a tail was seen after two prefixes that
// differ as two events' do (noteTail): free text of the stream, an
// error's text, not one of a component's own events.
func (m *Miner) sharedTail(pieces [][]byte, wild []bool) bool {
	ti := m.tailSeen[tailHash(pieces, wild)]
	return ti != nil && ti.shared
}

// weakTakes reports whether the tail template after a clause of one word
// at n takes a line of these pieces, whose boundaries are bounds (after a
// clause of two words or more), weak (after one word) and valClose: not
// when its tail opens with a clause of its own (three words of a
// sentence before the first ':' after n, "memberlist: Failed to send
// nack: <error>", "memberlist: discarding stream with unacceptable label
// <*>: <*>"), an event of the component that reports an error, unless
// that whole tail was seen after another prefix too (an error's text
// that has such a clause). "Get <*>: dial tcp <*>: i/o timeout" opens
// with a clause of one word: error text.
func (m *Miner) weakTakes(pieces [][]byte, wild []bool, bounds, weak []int, valClose, n int) bool {
	first := len(pieces) + 1
	for _, b := range bounds {
		if b > n && b < first {
			first = b
		}
	}
	if valClose > n && valClose < first {
		first = valClose
	}
	for _, b := range weak {
		if b > n && b < first {
			return true
		}
	}
	if (first > len(pieces) || !sentenceOf(pieces, wild, n, first)) && !(n < len(pieces) && (wild == nil || !wild[n]) && capital(pieces[n])) {
		return true
	}
	var tw []bool
	if wild != nil {
		tw = wild[n:]
	}
	return m.sharedTail(pieces[n:], tw)
}

// capital: a word with an upper-case first letter and lower-case letters
// after it ("Got", "Failed"; not "EOF", "x509:"). Go's error strings
// start in lower case by convention; a component's own messages often do
// not.
func capital(p []byte) bool {
	if len(p) < 2 || p[0] < 'A' || p[0] > 'Z' {
		return false
	}
	for _, c := range p[1:] {
		if c >= 'A' && c <= 'Z' {
			return false
		}
	}
	return p[1] >= 'a' && p[1] <= 'z'
}

// joinWeak moves into t, the tail template after a clause of one word
// (weakT), the candidates of s whose tails are shared: the component's
// own events, whose tails follow only it, stay apart ("memberlist:
// Failed to send nack: <error>" is not "memberlist: <error>").
func (m *Miner) joinWeak(t *group, s *star) {
	var found []*group
	for _, g := range s.groups {
		if g != t && g.live && s.n < len(g.pieces) && m.weakTakes(g.pieces, g.wild, g.bounds, g.weak, g.valClose(), s.n) {
			found = append(found, g)
		}
	}
	for _, g := range found {
		m.moveAll(g, t, true)
	}
}

// valClose is the piece count before g's closing values when one of them
// closes a clause ("… label <*>: <*>"), else -1.
func (g *group) valClose() int {
	l := len(g.pieces)
	if g.varGap[l] && strings.Contains(strings.TrimSuffix(g.gapText[l], ":"), ":") {
		return l
	}
	return -1
}

// registerWeak adds g to the tail candidates of its boundaries after a
// clause of one word ("Closing: <error>", "runWSProxy: <error>"). Such a
// word is as often a component that names a family of events ("serf:
// EventMemberJoin …") as an event whose error text follows, so only
// shared tails (noteTail) make a tail template there: two tails of the
// candidates that were also seen after another prefix.
func (m *Miner) registerWeak(g *group) {
	for _, n := range g.weak {
		if n >= len(g.pieces) {
			continue
		}
		k := tailKey(prefixKey(g.pieces[:n], g.wild[:n]), n, g.ctx)
		s := m.addTail(g, k, star{n: n, weak: true})
		if s == nil {
			return
		}
		if t := m.tailOf[k]; t != nil && t.live && t.weakT {
			m.joinWeak(t, s)
			if !g.live {
				return
			}
			continue
		}
		if m.enoughTails(s) {
			m.mergeTail(s, n, k)
			return
		}
	}
}

// maxSoft: the longest prefix (in pieces) before a tail without ':'.
const maxSoft = 16

// registerSoft adds g to the tail candidates of its boundaries without a
// ':' and makes a tail template when enoughSoft says so.
func (m *Miner) registerSoft(g *group) {
	for _, n := range g.soft {
		if n >= len(g.pieces) || hasKey(g.pieces[n:]) {
			continue // a tail without ':' is free text, never "key="
		}
		k := tailKey(prefixKey(g.pieces[:n], g.wild[:n]), n, g.ctx)
		s := m.tails[k]
		if s == nil {
			s = &star{n: n}
			m.tails[k] = s
		}
		s.groups = append(s.groups, g)
		g.tkeys = append(g.tkeys, k)
		m.noteSoft(g, n)
		if m.enoughSoft(s, n) {
			m.mergeTail(s, n, k)
			return
		}
	}
}

// enoughSoft: a tail that no ':' introduces is a parameter when
// tailDistinct distinct tails were seen after the prefix, their first
// words are nearly as many (three in four: an error's text starts with
// any word; where they repeat, the prefix is too short and its
// continuations are events of their own, "failed to tag images <error>"
// and "failed to load images <error>" under "failed to"), they have at
// least three lengths (free text; "from NEW to ASSIGNED" and the other
// transitions of a state machine all have one) and hold no "key=" (the
// continuations "accept connection error=<*>" and "commit logs
// error=<*>" are structured events).
//
// Fewer tails do, of any lengths, when two of them are an error's text
// by the stream's own vocabulary, not by a list of words: tails seen
// after other events' clauses too (noteTail: "permission denied" after
// "failed to sync <*>:" and after "lost lease on <*>:", "open <*>: no
// such host" likewise) or after other events' words with no ':'
// (noteSoft: "no route to host" after "… replaced broker <*> with <*>"
// and after "… cause err"), and three of their first words differ. The
// error then follows a word ("… created err <error>", "… failed with
// <error>", "… got <error>") or the event's words with nothing between,
// and its word count varies from line to line. Go's standard library
// writes errors so ("http: Accept error: %v; retrying in %v", net/http's
// server.go), Python's logging with "%s error occurred: %s" and "Error
// occurred: %s" (pylint's logging checker, logging-too-few-args,
// logging-not-lazy); measured on wild -msg errslot and errtail.
func (m *Miner) enoughSoft(s *star, n int) bool {
	errs := len(s.groups) >= 2 && m.errorTails(s) >= 2
	if len(s.groups) < tailDistinct && !errs {
		return false
	}
	var firsts []string
	var lens uint64 // bit l: a tail of l pieces (up to 63)
	for _, g := range s.groups {
		if n >= len(g.pieces) {
			return false
		}
		if hasKey(g.pieces[n:]) {
			return false // "key=" in the tails: structure, not text
		}
		lens |= 1 << min(len(g.pieces)-n, 63)
		w := "<*>"
		if !g.wild[n] {
			w = string(g.pieces[n])
		}
		dup := false
		for _, f := range firsts {
			if f == w {
				dup = true
				break
			}
		}
		if !dup {
			firsts = append(firsts, w)
		}
	}
	if errs {
		return len(firsts) >= 3 && 2*len(firsts) >= len(s.groups)
	}
	return 4*len(firsts) >= 3*len(s.groups) && bits.OnesCount64(lens) >= 3
}

// errorTails counts, up to two, the candidates of s whose tail is an
// error's text of the stream: seen after other events' clauses too
// (noteTail), and not opening with a clause of the event's own, words
// and a ':' with no value ("… notifications before command: <error>",
// "… before reading reply: <error>" continue the event's sentence; "open
// <*>: <error>" has its operand).
func (m *Miner) errorTails(s *star) int {
	c := 0
	for _, g := range s.groups {
		n := s.n
		if n >= len(g.pieces) {
			continue
		}
		ok := m.sharedTail(g.pieces[n:], g.wild[n:]) || m.softShared(g, n)
		for _, b := range g.bounds {
			ok = ok && !(b > n && b <= n+2 && !valueIn(g, n, b))
		}
		for _, b := range g.weak {
			ok = ok && !(b == n+1 && !valueIn(g, n, b))
		}
		if ok {
			if c++; c == 2 {
				break
			}
		}
	}
	return c
}

// valueIn: g has a value between its pieces n and b (gaps n+1 to b).
func valueIn(g *group, n, b int) bool {
	for k := n + 1; k <= b; k++ {
		if g.varGap[k] {
			return true
		}
	}
	return false
}

// prefixWords: a prefix whose word i may vary keeps at least three words
// of a sentence besides it ("failed to <verb>: …" is not one event).
// labelFirst: the first word of a prefix is a label that two words
// follow ("<*>: btree watcher: <error>"), which may vary as a label that
// opens a template does (mergeable).
func labelFirst(g *group, n, i int) bool {
	if i != 0 || !label(g.pieces[0]) {
		return false
	}
	w := 0
	for j, p := range g.pieces[1:n] {
		if !g.wild[j+1] && wordy(p) {
			w++
		}
	}
	return w >= 2
}

func prefixWords(g *group, n, i int) bool {
	w := 0
	for j, p := range g.pieces[:n] {
		if j != i && !g.wild[j] && wordy(p) {
			w++
		}
	}
	return w >= 3
}

// tailPattern: the length and masked positions of the prefix of a tail
// template with a word parameter in its prefix; findTail tries each.
type tailPattern struct {
	n    int
	mask uint64
}

// maxPatterns bounds the prefix patterns findTail tries.
const maxPatterns = 256

func (m *Miner) unregisterTail(g *group) {
	for _, k := range g.tkeys {
		s := m.tails[k]
		if s == nil {
			continue
		}
		for j, x := range s.groups {
			if x == g {
				s.groups = append(s.groups[:j], s.groups[j+1:]...)
				s.gone += g.count
				break
			}
		}
		if len(s.groups) == 0 {
			delete(m.tails, k)
		}
	}
	g.tkeys = nil
}

// enoughTails: tails that do not repeat (none seen twice, on average,
// before the next came), or tailDistinct of them, or two that were seen
// after another prefix too (noteTail). A few tails that repeat, each
// only after this prefix, are events of their own ("…: card expired",
// "…: insufficient funds").
func (m *Miner) enoughTails(s *star) bool {
	n := len(s.groups)
	if n < 2 {
		return false
	}
	if s.weak {
		return m.sharedTails(s) >= 2
	}
	var seen uint64
	for _, g := range s.groups[:n-1] {
		seen += g.count
	}
	chains := chainTails(s)
	if !(seen <= uint64(n-1) || n >= tailDistinct || chains >= 2 || m.sharedTails(s) >= 2) {
		return false
	}
	if s.mask != 0 {
		return true
	}
	// tails that agree up to a clause of their own are one event whose
	// own tail varies ("pool: failed to dial after <*> attempts: <error>"
	// under "pool:"): they count once, by their head
	exact, h := tailHeads(s)
	if exact >= 2 && h < 2 {
		return false // one event whose word varies before its own tail: its own boundary decides, that word masked
	}
	if h < 2 {
		return m.sharedTails(s) >= 2
	}
	// tails that do not repeat are free text unless one holds a "key=":
	// structure, an event of its own ("failed to process conn by hook:
	// accept=<*>, err=<*>")
	some, two := fieldEvents(s)
	return seen <= uint64(h-1) && !keyedTails(s) && !some || h >= tailDistinct && !two || chains >= 2 || m.sharedTails(s) >= 2
}

// fieldEvents tells, from the tails of s, whether they are a component's
// events rather than one event's error texts: a logging call writes its
// fields ("key=" pairs) after its constant message, and an error's text,
// which fmt.Errorf and its kin write, has none. Each tail that is a
// sentence (three words or more) followed by "key=" pairs has the set of
// its keys; a tail without such pairs has none. some: the tails do not
// share one set (two sets of keys, or a set and none: "hole punch
// successful destination_peer=<*>" beside "peerstore does not support
// signed records"); two: two different sets of keys among them, two
// logging calls. Tails that all end in the same keys are one statement's
// errors before its own fields ("Error removing stale entry from volume
// db: <error> volume=<*>").
//
// Independent sources it helps: hclog's named sub-loggers ("[INFO]
// agent.http: Request finished: method=GET …", the sub-logger's name
// before the message, its pairs after), logrus' and slog's text handlers
// and zap's console encoder (the message, then the call's fields) under a
// component prefix written into the message (go-redis' "redis:
// connection pool: …", libp2p's subsystem loggers); measured on wild -msg
// subcomp.
func fieldEvents(s *star) (some, two bool) {
	var first uint64
	sets, none := 0, false
	for _, g := range s.groups {
		k := s.n
		for k < len(g.pieces) && !(len(g.pieces[k]) >= 2 && isKey(g.pieces[k])) {
			k++
		}
		if k == len(g.pieces) || !sentence(g, s.n, k) {
			none = true
			continue
		}
		h := uint64(fnvOffset)
		for _, p := range g.pieces[k:] {
			if len(p) >= 2 && isKey(p) {
				h = hashSep(hashPiece(h, p), 0)
			}
		}
		switch {
		case sets == 0:
			first, sets = h, 1
		case h != first:
			sets = 2
		}
	}
	return sets == 2 || sets == 1 && none, sets == 2
}

// chainTails counts, up to two, the distinct operations of the
// candidates of s whose tail is a wrapped error (errChain): two are an
// event's error values, however often each repeats and whatever the
// other tails are ("upload of <*> aborted: open <*>: no space left on
// device" and "…: dial tcp <*>: i/o timeout" beside "…: deadline
// exceeded" seen fifteen times), where a few tails that repeat are
// otherwise events of their own.
//
// Independent sources it helps: Go's wrapped errors (fmt.Errorf's %w
// writes "context: " before the inner error's text, go1.16
// src/fmt/errors_test.go; os.PathError and net.OpError read "open
// /x: no such file or directory", "dial tcp 10.0.0.4:443: i/o
// timeout") and the cause chains Rust's error reporters join with ": "
// on one line (docs.rs: salvor's runtime::error_chain, geolith-cli's
// error::report, "outer: inner: innermost"); measured on wild -msg
// errtail.
func chainTails(s *star) int {
	var op uint64
	c := 0
	for _, g := range s.groups {
		b := errChain(g, s.n)
		if b < 0 {
			continue
		}
		h := hashSep(prefixKey(g.pieces[s.n:b], nil), uint64(b-s.n))
		if c == 0 {
			op, c = h, 1
		} else if h != op {
			return 2
		}
	}
	return c
}

// errChain returns the end of the operation that opens the tail of g
// after n pieces when that tail is a wrapped error: one or two lower-case
// words (perhaps with values, its operand: "open <*>:", "dial tcp <*>:",
// "load manifest:") closed by a ':' that the inner error's text follows,
// words of its own (not a value or "key=" pairs alone: "initializing
// plugin: <*>", "attempting init: iss=<*>" are a component's events);
// -1 otherwise.
func errChain(g *group, n int) int {
	b := -1
	for _, x := range g.bounds {
		if x > n {
			b = x
			break
		}
	}
	for _, x := range g.weak {
		if x > n && (b < 0 || x < b) {
			b = x
			break
		}
	}
	if b < 0 || b >= len(g.pieces) || b-n > 2 {
		return -1
	}
	for k := n; k < b; k++ {
		p := g.pieces[k]
		if g.wild[k] || isKey(p) {
			return -1
		}
		if p[len(p)-1] == ':' {
			p = p[:len(p)-1]
		}
		if !plainWord(p) || p[0] < 'a' || p[0] > 'z' {
			return -1
		}
	}
	for _, p := range g.pieces[b:] {
		if !isKey(p) && wordy(p) {
			return b
		}
	}
	return -1
}

// keyedTails: a tail of s is a clause of its own followed by "key="
// pairs ("failed to process conn by hook: accept=<*>, err=<*>") or by
// values only ("failed to process idle conn by hook: <*>").
func keyedTails(s *star) bool {
	for _, g := range s.groups {
		cut := false
		for _, b := range g.bounds {
			if b > s.n && b < len(g.pieces) && sentence(g, s.n, b) {
				if isKey(g.pieces[b]) {
					return true
				}
				cut = true
				break
			}
		}
		l := len(g.pieces)
		if !cut && l > s.n && g.varGap[l] && tailFromGap(g.pieces) && sentence(g, s.n, l) {
			return true
		}
	}
	return false
}

// sentence: pieces [i, j) of g hold three words of a sentence or more,
// keys and labels not counted (a clause that names an event, "failed to
// dial after <*> attempts:", not labels and their values, "meta: x,
// userMeta:", "nid:<*> eid:<*>", nor keys, "key=<*>, err=<*> dial:").
func sentence(g *group, i, j int) bool { return sentenceOf(g.pieces, g.wild, i, j) }

func sentenceOf(pieces [][]byte, wild []bool, i, j int) bool {
	w := 0
	for k := i; k < j; k++ {
		if p := pieces[k]; (wild == nil || !wild[k]) && !isKey(p) && !label(p) && wordy(p) {
			w++
		}
	}
	return w >= 3
}

// tailHeads counts the heads of the tails of s: each tail up to its own
// first boundary after a clause of three words, if it has one, else
// whole. exact counts the distinct heads, events those that differ as
// two events do (in length or in two words or more, as otherPrefix
// tells prefixes apart): heads that differ in one word are one event
// whose word varies ("not responding to request <*> Ingress: <error>"
// and "… Job: <error>").
func tailHeads(s *star) (exact, events int) {
	type head struct {
		pieces [][]byte
		wild   []bool
		cut    bool // at its own boundary, not the whole tail
	}
	var heads []head
	seen := make(map[uint64]struct{}, len(s.groups))
	for _, g := range s.groups {
		e := len(g.pieces)
		for _, b := range g.bounds {
			if b > s.n && b < e && sentence(g, s.n, b) {
				e = b
				break
			}
		}
		if s.n >= e {
			continue
		}
		k := hashSep(prefixKey(g.pieces[s.n:e], g.wild[s.n:e]), uint64(e-s.n))
		if _, ok := seen[k]; ok {
			continue
		}
		seen[k] = struct{}{}
		h := head{g.pieces[s.n:e], g.wild[s.n:e], e < len(g.pieces)}
		same := false
		for _, x := range heads {
			if len(x.pieces) != len(h.pieces) || !x.cut || !h.cut {
				continue
			}
			diff := 0
			for j, p := range h.pieces {
				if !h.wild[j] && !x.wild[j] && !nameLike(p) && !nameLike(x.pieces[j]) && string(p) != string(x.pieces[j]) {
					diff++
				}
			}
			if diff <= 1 {
				same = true
				break
			}
		}
		if !same && len(heads) < tailDistinct {
			heads = append(heads, h)
		}
	}
	return len(seen), len(heads)
}

// tailDistinct distinct tails after one clause are a parameter even when
// each repeats: a handful of repeating tails can be events of their own
// (sshd's "Received disconnect from <ip>: 11: Bye Bye" and four more), a
// dozen are one event's error texts.
const tailDistinct = 8

// headerLike reports whether the candidates of a tail template, whose
// first n pieces agree, are lines read with a header the caller did not
// strip: they hold three lines in four of all the lines added so far
// (the prefix opens nearly every line, not one event among the stream's
// others) and the prefix opens with values (a time, an id: a message's
// first word names its event; "<*> <*> CET ; <<*>> ; main:") or every
// tail opens with one constant word (an error's text after a clause
// opens with any word; "Fr. <*> April <*> :: {LOG} :: span=<*> :: …":
// the header goes on). Its tails are the stream's messages, events of
// their own: their signatures stay apart, the header's values
// parameters, and a later boundary decides.
func (m *Miner) headerLike(s *star, olds []*group, n int) bool {
	c := s.gone
	lead, same := true, true
	var w []byte
	for _, g := range olds {
		c += g.count
		lead = lead && g.varGap[0]
		switch {
		case n >= len(g.pieces) || g.wild[n]:
			same = false
		case w == nil:
			w = g.pieces[n]
		case string(g.pieces[n]) != string(w):
			same = false
		}
	}
	return 4*c >= 3*m.lines && (lead || same)
}

// maxHeld bounds the candidate sets headerLike holds back; heldEvery is
// the lines between two decisions on them.
const (
	maxHeld   = 64
	heldEvery = 64
)

// hold records that headerLike held back the tail template of the set k,
// whose evidence sufficed: when other lines dilute its prefix (a burst of
// one event's errors, then the stream's other events) release makes it,
// though no new tail arrives to decide again.
func (m *Miner) hold(k uint64) {
	for _, x := range m.held {
		if x == k {
			return
		}
	}
	if len(m.held) < maxHeld {
		m.held = append(m.held, k)
	}
}

// release decides again on the sets headerLike held back.
func (m *Miner) release() {
	keep := m.held[:0]
	for _, k := range m.held {
		s := m.tails[k]
		if s == nil || m.tailOf[k] != nil {
			continue
		}
		if m.mergeTail(s, s.n, k); m.tailOf[k] == nil {
			keep = append(keep, k)
		}
	}
	m.held = keep
}

// mergeTail makes the tail template of the groups of s, whose first n
// pieces agree.
func (m *Miner) mergeTail(s *star, n int, k uint64) {
	olds := append([]*group(nil), s.groups...)
	if s.weak {
		// after a clause of one word only the shared tails join; the
		// others stay candidates, to join when their tail is seen after
		// another prefix (noteTail, joinWeak)
		shared := olds[:0]
		for _, g := range olds {
			if n < len(g.pieces) && m.weakTakes(g.pieces, g.wild, g.bounds, g.weak, g.valClose(), n) {
				shared = append(shared, g)
			}
		}
		if olds = shared; len(olds) == 0 {
			return
		}
	}
	if m.headerLike(s, olds, n) {
		m.hold(k)
		return
	}
	first := olds[0]
	for _, g := range olds {
		if g.seq < first.seq {
			first = g
		}
	}
	pieces := first.pieces[:n:n]
	glue := first.glue[:n:n]
	wild := append([]bool(nil), first.wild[:n]...)
	for _, g := range olds {
		for i := 0; i < n; i++ {
			if !g.wild[i] && string(g.pieces[i]) != string(pieces[i]) {
				wild[i] = true // a name with a digit that differs
			}
		}
	}
	ng := &group{pieces: pieces, glue: glue, wild: wild, tail: true, seq: first.seq, ctx: first.ctx,
		varGap: make([]bool, n+1), gapText: make([]string, n+1), gapType: make([][]ParamType, n+1), live: true, dirty: true, id: first.id, tkey: k}
	m.ngroups++
	m.merges++
	m.tailOf[k] = ng
	if s.weak {
		ng.weakT = true
	} else {
		delete(m.tails, k)
	}
	if n <= 64 {
		var mask uint64
		for i, w := range wild {
			if w && !nameLike(pieces[i]) {
				mask |= 1 << i
			}
		}
		if p := (tailPattern{n, mask}); mask != 0 && !m.patSeen[p] && len(m.patterns) < maxPatterns {
			m.patSeen[p] = true
			m.patterns = append(m.patterns, p)
		}
	}
	for _, g := range olds {
		m.moveAll(g, ng, true)
	}
	// the prefix's own parameters shape the text: those after its last
	// word too when that word does not close the clause ("dial <*>: <*>"),
	// not when it does ("attempt create: <*>", whatever value the first
	// tail started with: "x509: …", "EOF")
	for k := 0; k <= n; k++ {
		if k == n && tailFromGap(pieces) {
			break
		}
		if text, types := first.gapText[k], first.gapType[k]; text != "" {
			if k == n {
				// up to the value that closes the clause: "<*>]:" of
				// "methodConfig[3]: x509: …", the rest is the tail's
				text, types = clauseGap(text, types)
			}
			ng.setGap(k, text, types)
		}
	}
	m.absorbTails(ng)
	m.absorbTailFolds(ng)
	m.retext(ng)
}

// absorbTailFolds moves into t, a new tail template, the groups seen
// before it whose prefix folds into t's (findTailFold for the lines that
// come after: "Error joining pool web: HTTP request: EOF", seen before
// "Error joining pool <*>: HTTP request: <*>" was made from values there).
func (m *Miner) absorbTailFolds(t *group) {
	n := len(t.pieces)
	if n == 0 {
		return
	}
	var found []*group
	for l, gs := range m.byLen {
		if l <= n+1 || len(gs) > 4096 || !hasGap(t) {
			continue
		}
		for _, x := range gs {
			if !x.live || x.tail || x.ctx != t.ctx {
				continue
			}
			try := func(bs []int) bool {
				for _, b := range bs {
					if d := b - n; d >= 1 && d <= 2 && b < len(x.pieces) && foldFrom(t, x.pieces[:b], x.wild[:b], 0, 0, d, 0) {
						return true
					}
				}
				return false
			}
			if try(x.bounds) || try(x.weak) {
				found = append(found, x)
			}
		}
	}
	// tail templates whose prefix is t's and more: the lines that come
	// after with that prefix find t first
	for _, x := range m.tailOf {
		if x == t || !x.live || x.ctx != t.ctx {
			continue
		}
		if d := len(x.pieces) - n; d >= 1 && d <= 2 && (startsWith(x, t) || foldFrom(t, x.pieces, x.wild, 0, 0, d, 0)) {
			found = append(found, x)
		}
	}
	sort.Slice(found, func(i, j int) bool { return found[i].seq < found[j].seq })
	for _, x := range found {
		m.moveAll(x, t, true)
	}
}

// startsWith reports whether x's pieces start with t's (t's wildcards and
// names with a digit match any).
func startsWith(x, t *group) bool {
	for i, p := range t.pieces {
		if t.wild[i] || !x.wild[i] && string(x.pieces[i]) == string(p) || nameLike(p) && nameLike(x.pieces[i]) {
			continue
		}
		return false
	}
	return true
}

// hasGap: g has a parameter before one of its pieces or after its last
// (a tail template's value that closes its clause, "of <*>: …").
func hasGap(g *group) bool {
	for _, v := range g.varGap {
		if v {
			return true
		}
	}
	return false
}

// absorbTails moves into t, a tail template with a word parameter in its
// prefix, the tail templates made before it whose prefix it matches
// ("unknown file in context web TLS bundle: <*>", made when its tails were
// shared, joins "unknown file in context <*> TLS bundle: <*>").
func (m *Miner) absorbTails(t *group) {
	wild := false
	for i, w := range t.wild {
		wild = wild || w && !nameLike(t.pieces[i])
	}
	if !wild {
		return
	}
	var found []*group
	for _, g := range m.tailOf {
		if g == t || !g.live || g.ctx != t.ctx || len(g.pieces) != len(t.pieces) {
			continue
		}
		ok := true
		for i, p := range g.pieces {
			if t.wild[i] {
				continue
			}
			if g.wild[i] || string(p) != string(t.pieces[i]) {
				ok = false
				break
			}
		}
		if ok {
			found = append(found, g)
		}
	}
	sort.Slice(found, func(i, j int) bool { return found[i].seq < found[j].seq })
	for _, g := range found {
		m.moveAll(g, t, true)
	}
}

// clauseGap cuts the rendered parameters of a gap after the first one
// that ends in ':'.
func clauseGap(text string, types []ParamType) (string, []ParamType) {
	i := strings.IndexByte(text, ':')
	if i < 0 {
		return text, types
	}
	text = text[:i+1]
	if n := strings.Count(text, "<*>"); n < len(types) {
		types = types[:n]
	}
	return text, types
}

// tailFromGap reports whether the tail after prefix starts right after
// its last piece, values included: the last piece closes the clause
// ("create:"). Otherwise a value closes it ("dial <*>:") and belongs to
// the prefix.
func tailFromGap(prefix [][]byte) bool {
	if len(prefix) == 0 {
		return false
	}
	p := prefix[len(prefix)-1]
	return len(p) > 0 && p[len(p)-1] == ':'
}

// findTail returns the tail template whose prefix the line's pieces start
// with, using the boundaries found by collect.
func (m *Miner) findTail(pieces [][]byte) *group {
	if len(m.tailOf) == 0 {
		return nil
	}
	// prefix hashes as prefixKey makes them (names with a digit masked)
	h, done := uint64(fnvOffset), 0
	ph := func(n int) uint64 {
		for ; done < n; done++ {
			if m.digit[done] {
				h = hashSep(h, 1)
			} else {
				h = hashSep(hashPiece(h, pieces[done]), 0)
			}
		}
		return h
	}
	for _, n := range m.boundN {
		if g := m.tailOf[tailKey(ph(n), n, m.ctx)]; g != nil && g.live && m.prefixMatch(g, pieces) {
			return g
		}
		// "x: …" where the template has a value before the ':' ("<*>: …")
		if n >= 2 {
			done, h = 0, fnvOffset
			k := n - 1
			if g := m.tailOf[tailKey(ph(k), k, m.ctx)]; g != nil && g.live && g.gapText[k] != "" &&
				strings.HasSuffix(g.gapText[k], ":") && m.prefixMatch(g, pieces) {
				return g
			}
		}
	}
	// boundaries without a ':'
	done, h = 0, fnvOffset
	for _, n := range m.softN {
		if hasKey(pieces[n:]) {
			continue // a tail without ':' is free text, never "key="
		}
		if g := m.tailOf[tailKey(ph(n), n, m.ctx)]; g != nil && g.live && m.prefixMatch(g, pieces) {
			return g
		}
	}
	// after a clause of one word
	done, h = 0, fnvOffset
	for _, n := range m.weakN {
		if g := m.tailOf[tailKey(ph(n), n, m.ctx)]; g != nil && g.live && m.weakTakes(pieces, nil, m.boundN, m.weakN, m.valClose, n) && m.prefixMatch(g, pieces) {
			return g
		}
	}
	// prefixes with a word parameter
	for _, p := range m.patterns {
		for _, n := range m.boundN {
			if n != p.n || n > len(m.digit) {
				continue
			}
			h := uint64(fnvOffset)
			for j := 0; j < n; j++ {
				if m.digit[j] || p.mask&(1<<j) != 0 {
					h = hashSep(h, 1)
				} else {
					h = hashSep(hashPiece(h, pieces[j]), 0)
				}
			}
			if g := m.tailOf[tailKey(h, n, m.ctx)]; g != nil && g.live && m.prefixMatch(g, pieces) {
				return g
			}
		}
	}
	return nil
}

// maxTailFold bounds the tail templates findTailFold compares a line with.
const maxTailFold = 1024

// findTailFold returns the oldest tail template whose prefix the line's
// prefix at one of its boundaries folds into: one or two extra words
// where the template's prefix has a value ("Aborted scan of path
// 'billing' due to an unexpected error: …" joins "Aborted scan of path
// '<*>' due to an unexpected error: <*>").
func (m *Miner) findTailFold(pieces [][]byte) *group {
	if len(m.tailOf) == 0 || len(m.tailOf) > maxTailFold {
		return nil
	}
	var best *group
	try := func(n int) {
		for _, t := range m.tailOf {
			if !t.live || t.ctx != m.ctx || len(t.pieces) < n-2 || len(t.pieces) >= n || best != nil && best.seq < t.seq {
				continue
			}
			if d := n - len(t.pieces); foldFrom(t, pieces[:n], nil, 0, 0, d, 0) {
				best = t
			}
		}
	}
	for _, n := range m.boundN {
		try(n)
	}
	for _, n := range m.weakN {
		try(n)
	}
	return best
}

// canonicalID hashes a template's canonical text: its words, with "<*>"
// for word parameters, without the parameters between the words.
func canonicalID(g *group) uint64 {
	h := uint64(fnvOffset)
	for i, p := range g.pieces {
		if i > 0 {
			h = hashString(h, " ")
		}
		if g.wild[i] {
			h = hashString(h, "<*>")
			h ^= 0xff // a literal "<*>" word hashes differently
			continue
		}
		for _, c := range p {
			h ^= uint64(c)
			h *= 1099511628211
		}
	}
	if g.tail {
		h = hashString(h, " <*…>")
	}
	return h
}

func (m *Miner) template(g *group) *Template {
	if !g.dirty {
		g.tmpl.Count = g.count - g.reread
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
			// keep the punctuation around the word: "(<*>)", "<*>:"
			p := g.pieces[k]
			cs, ce := token.Trim(p, 0, len(p))
			b.Write(p[:cs])
			b.WriteString("<*>")
			b.Write(p[ce:])
			params = append(params, ParamWord)
		} else {
			b.Write(g.pieces[k])
		}
	}
	if g.tail {
		b.WriteString(" <*>")
		params = append(params, ParamWord)
	}
	g.tmpl.Text = b.String()
	g.tmpl.Params = params
	g.tmpl.ID = g.id
	g.tmpl.Count = g.count - g.reread
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
	c.out = true
	if x := m.clusters[c.hash]; x != nil {
		x.out = true // c's key taken by another since (see newCluster): that one goes too
	}
	delete(m.clusters, c.hash)
	m.n--
	g := c.g
	if len(m.ghosts) >= maxGhosts*m.cfg.MaxClusters {
		clear(m.ghosts) // bounded memory; deterministic
	}
	m.ghosts[c.hash] = ghost{g: g, folded: c.folded}
	for j, x := range g.members {
		if x == c {
			g.members = append(g.members[:j], g.members[j+1:]...)
			break
		}
	}
	g.count -= c.count
	g.reread -= c.reread
	g.dirty = true
	if len(g.members) == 0 {
		if x, ok := m.byText[g.textKey]; ok && x == g {
			if len(m.gone) >= maxGhosts*m.cfg.MaxClusters {
				clear(m.gone)
			}
			m.gone[g.textKey] = g.id
		}
		if len(m.graves) >= m.cfg.MaxClusters {
			m.graves = m.graves[:copy(m.graves, m.graves[len(m.graves)/2:])]
		}
		m.graves = append(m.graves, grave{c: c, id: g.id, ctx: g.ctx, bounds: g.bounds, soft: g.soft, weak: g.weak})
		m.dropGroup(g)
		g.members = nil
	}
}
