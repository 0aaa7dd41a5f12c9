package logparse

import (
	"github.com/gopulse/gopulse/event"
)

// A JSON record's message is found by its key (msg, message, @message,
// @mt: keyRole). Real loggers write it under many other keys: GELF under
// short_message (Graylog's GELF payload specification; flowgger's and
// Tenzir's GELF readers list it as the message field), structlog under
// event (its JSONRenderer renders the event dict, whose message is the
// "event" key), Serilog's compact format under @m beside the template
// @mt, OpenTelemetry's log data model under Body, and a program's own
// encoder under whatever it chose (txt, text, rendered…). No list of
// names covers them, so a stream whose JSON records carry none of the
// known keys learns which of its keys holds the message from its own
// records: the key whose string values read as text — several words with
// letters, not a time, a level word, an id (a single token with digits)
// or a dotted name (a logger, a class, a host) — on the most records, and
// that takes the most distinct values (a thread or a host name with a
// blank repeats a few values; a message varies with its event and its
// parameters). A key that a record writes on some lines only (a
// statement's own "error" pair) is outvoted by the key every record has.
//
// The vote is taken over the first msgVoteRecords records that have no
// known message key, and each of them takes the leader of the vote so far
// (after its own), so a stream's first records already mostly take the
// key its later ones do; after the vote, every record takes the winning
// key, and a record without it takes its own most text-like value, so
// that no JSON record is left without a message (and a template).
//
// CSV records (csv.go) choose their message column by the same vote: a
// column is a key like any other.

const (
	msgVoteRecords = 64 // records that vote on the message key
	msgVoteKeys    = 32 // keys followed in the vote; the record's others are ignored
	msgDistinct    = 32 // distinct values counted per key (an open-addressed set of hashes)
)

// msgVote is a stream's vote on the key of its JSON messages.
type msgVote struct {
	key   []byte // the winner, once the vote is over
	done  bool
	none  bool // the vote is over and no key held several words on half its records
	seen  int
	cands []msgCand
}

// msgCand is one key's standing in the vote.
type msgCand struct {
	key      []byte
	text     int // the sum of its values' textWeight
	prose    int // values of several words (textWeight 2)
	distinct int // distinct text-like values, up to msgDistinct
	set      [msgDistinct]uint32
}

// eligible reports whether c may hold the message of a stream whose best
// key sums best text weight over seen records: it reads as text on about
// as many records as the best (a pair that a statement adds on some lines
// does not), and its value is not one constant (a service or a host
// name with a blank).
func (c *msgCand) eligible(best, seen int) bool {
	return c.text > 0 && c.text*4 >= best*3 && c.prose*2 >= seen && (seen < msgConstant || c.distinct > 1)
}

// msgConstant is how many records one value must fill before its key is
// taken for a constant.
const msgConstant = 8

// see counts value v of the key in the distinct set.
func (c *msgCand) see(v []byte) {
	if c.distinct >= msgDistinct {
		return
	}
	h := uint32(2166136261)
	for _, b := range v {
		h = (h ^ uint32(b)) * 16777619
	}
	h |= 1 // 0 marks an empty slot
	for i := h % msgDistinct; ; i = (i + 1) % msgDistinct {
		switch c.set[i] {
		case h:
			return
		case 0:
			c.set[i] = h
			c.distinct++
			return
		}
	}
}

// fill sets r.Message, for a JSON record that has none, from the key the
// stream's vote chose.
func (m *msgVote) fill(r *Record) {
	if !m.done {
		m.vote(r)
	}
	if m.key != nil {
		for i := range r.Fields {
			f := &r.Fields[i]
			if f.Type == event.TypeString && len(f.Value) > 0 && string(f.Key) == string(m.key) {
				r.Message = f.Value
				return
			}
		}
	}
	if m.none {
		return
	}
	// no value under the key: the record's own value of several words
	// (none in an access log written as JSON: its method, user agent and
	// referer are no message)
	best, bw := -1, 1
	for i := range r.Fields {
		f := &r.Fields[i]
		if f.Type != event.TypeString || keyRole(f.Key) != RoleField {
			continue
		}
		if w := textWeight(r, f.Value); w > bw {
			best, bw = i, w
		}
	}
	if best >= 0 {
		r.Message = r.Fields[best].Value
	}
}

// vote adds r's string fields to the vote and sets m.key to the leader.
func (m *msgVote) vote(r *Record) {
	for i := range r.Fields {
		f := &r.Fields[i]
		if f.Type != event.TypeString || keyRole(f.Key) != RoleField {
			continue
		}
		w := textWeight(r, f.Value)
		c := m.cand(f.Key, w > 0)
		if c == nil {
			continue
		}
		c.text += w
		if w == 2 {
			c.prose++
		}
		if w > 0 {
			c.see(f.Value)
		}
	}
	m.seen++
	best := 0
	for j := range m.cands {
		best = max(best, m.cands[j].text)
	}
	// the leader: the first of the record's keys that is eligible
	// (encoders write their fixed fields, the message among them, before
	// a statement's own pairs)
	m.key = nil
	for i := range r.Fields {
		f := &r.Fields[i]
		if f.Type != event.TypeString {
			continue
		}
		if c := m.cand(f.Key, false); c != nil && c.eligible(best, m.seen) {
			m.key = c.key
			break
		}
	}
	if m.seen >= msgVoteRecords {
		m.done = true
		if m.key == nil {
			// the record had none: the first eligible key of the vote
			for j := range m.cands {
				if m.cands[j].eligible(best, m.seen) {
					m.key = m.cands[j].key
					break
				}
			}
		}
		m.none = true
		for j := range m.cands {
			if m.cands[j].prose*2 >= m.seen {
				m.none = false
			}
		}
		m.cands = nil
	}
}

// cand returns the vote's entry for key k, adding it when add and there is
// room; nil otherwise.
func (m *msgVote) cand(k []byte, add bool) *msgCand {
	for j := range m.cands {
		if string(m.cands[j].key) == string(k) {
			return &m.cands[j]
		}
	}
	if !add || len(m.cands) >= msgVoteKeys {
		return nil
	}
	m.cands = append(m.cands, msgCand{key: append([]byte(nil), k...)})
	return &m.cands[len(m.cands)-1]
}

// textWeight says how much v reads as a message: 2 for several words
// with letters, 1 for a single word of letters, 0 for a time, a level word,
// an id (a token with a digit) or a name (a token with a dot, a slash or
// a colon: a logger, a class, a path, a host:port).
func textWeight(r *Record, v []byte) int {
	if len(v) < 2 || levelIndex(v) >= 0 {
		return 0
	}
	blank, letters, run := false, false, 0
	digit, name := false, false
	for i, c := range v {
		switch {
		case c == ' ':
			if i > 0 && i < len(v)-1 {
				blank = true
			}
			run = 0
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80:
			if run++; run >= 2 {
				letters = true
			}
		case c >= '0' && c <= '9':
			digit = true
			run = 0
		case c == '.' || c == '/' || c == ':' || c == '\\' || c == '@':
			name = true
			run = 0
		default:
			run = 0
		}
	}
	if !letters {
		return 0
	}
	if !blank {
		if digit || name {
			return 0
		}
		return 1
	}
	if _, n, _, ok := r.parseAnyTime(v, 0); ok && n == len(v) {
		return 0
	}
	if words, tokens := plainWords(v); words < 2 || words*2 < tokens {
		// blanks between names and versions, not between words (a
		// user agent: "Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101")
		return 0
	}
	return 2
}

// plainWords counts v's blank-separated tokens and those of them that are
// words: two letters or more, with punctuation around them at most.
func plainWords(v []byte) (words, tokens int) {
	for i := 0; i < len(v); {
		for i < len(v) && v[i] == ' ' {
			i++
		}
		if i == len(v) {
			break
		}
		j := i
		for j < len(v) && v[j] != ' ' {
			j++
		}
		tokens++
		a, b := i, j
		for a < b && isWordPunct(v[a]) {
			a++
		}
		for b > a && isWordPunct(v[b-1]) {
			b--
		}
		word := b-a >= 2
		for k := a; k < b && word; k++ {
			c := v[k]
			word = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80 || c == '-' || c == '\''
		}
		if word {
			words++
		}
		i = j
	}
	return words, tokens
}

func isWordPunct(c byte) bool {
	switch c {
	case ',', ';', ':', '.', '!', '?', '(', ')', '[', ']', '"', '\'':
		return true
	}
	return false
}
