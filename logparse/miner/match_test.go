package miner

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// pair is two miners given the same lines: one finds a line's signature
// among the last lines' (match), the other always hashes it and looks it
// up (the full path). Everything a caller can read must be the same.
type pair struct {
	fast, full *Miner
	fa, fu     []Alias
}

func newPair(cfg Config) *pair {
	p := &pair{fast: New(cfg), full: New(cfg)}
	p.full.noMatch = true
	return p
}

func (p *pair) add(t testing.TB, msg []byte, ctx uint64) {
	t.Helper()
	a, b := p.fast.AddIn(msg, ctx), p.full.AddIn(msg, ctx)
	for _, m := range []*Miner{p.fast, p.full} {
		checkVarSet(t, m, msg)
	}
	if !reflect.DeepEqual(*a, *b) {
		t.Fatalf("AddIn(%q) = %+v, full path %+v", msg, *a, *b)
	}
	if p.fast.OwnID() != p.full.OwnID() || p.fast.NewSignature() != p.full.NewSignature() {
		t.Fatalf("AddIn(%q): OwnID %v NewSignature %v, full path %v %v", msg, p.fast.OwnID(), p.fast.NewSignature(), p.full.OwnID(), p.full.NewSignature())
	}
	if x, y := p.fast.Params(msg, nil), p.full.Params(msg, nil); !reflect.DeepEqual(x, y) {
		t.Fatalf("Params(%q) = %v, full path %v", msg, x, y)
	}
	p.fa, p.fu = p.fast.TakeAliases(p.fa[:0]), p.full.TakeAliases(p.fu[:0])
	if !reflect.DeepEqual(p.fa, p.fu) {
		t.Fatalf("AddIn(%q): aliases %v, full path %v", msg, p.fa, p.fu)
	}
}

// check compares what the two miners hold after their lines.
func (p *pair) check(t testing.TB, msgs [][]byte) {
	t.Helper()
	if x, y := p.fast.Templates(), p.full.Templates(); !reflect.DeepEqual(x, y) {
		t.Fatalf("templates differ:\n%v\nfull path:\n%v", x, y)
	}
	if p.fast.Len() != p.full.Len() || p.fast.Aliases() != p.full.Aliases() {
		t.Fatalf("signatures %d aliases %d, full path %d %d", p.fast.Len(), p.fast.Aliases(), p.full.Len(), p.full.Aliases())
	}
	for _, msg := range msgs {
		a, b := p.fast.Match(msg), p.full.Match(msg)
		if (a == nil) != (b == nil) || a != nil && !reflect.DeepEqual(*a, *b) {
			t.Fatalf("Match(%q) = %v, full path %v", msg, a, b)
		}
	}
}

// matchLines: events that repeat in varying order, with the readings
// that depend on more than a line's pieces: a severity word seen with
// and without its rest, a message of values only, an object after the
// message, a tail after a clause, a month and a day, a size and its unit.
func matchLines() [][]byte {
	var out [][]byte
	for i := 0; i < 600; i++ {
		var s string
		switch (i * 7 / 3) % 13 {
		case 0:
			s = fmt.Sprintf("Receiving block blk_%d src: /10.0.%d.%d:%d dest: /10.0.0.1:50010", i*7919, i%250, i%199, 40000+i)
		case 1:
			s = fmt.Sprintf("ERROR: cannot open /var/lib/x/%d.db", i%5)
		case 2:
			s = fmt.Sprintf("cannot open /var/lib/x/%d.db", i%7)
		case 3:
			s = fmt.Sprintf("%d %d.%d", i, i%10, i%3)
		case 4:
			s = fmt.Sprintf(`request served {"user":"u%d","n":%d}`, i%9, i)
		case 5:
			s = fmt.Sprintf("failed to sync pod web-%d: %s", i%6, []string{"connection refused", "i/o timeout", "EOF", "context canceled on node n" + fmt.Sprint(i%3)}[i%4])
		case 6:
			s = fmt.Sprintf("expires Nov %d at noon, size %d.5 KB", 1+i%28, i%40)
		case 7:
			s = fmt.Sprintf("[WARN] pool %s exhausted after %dms", []string{"alpha", "beta", "gamma", "delta", "eps"}[i%5], i%300)
		case 8:
			s = fmt.Sprintf("link %s on eth%d", []string{"up", "down"}[i%2], i%2)
		case 9:
			s = fmt.Sprintf("session uid=%d euid=0 tty=ssh ruser= rhost=10.1.%d.9 user=%s", i%4, i%9, []string{"root", "bob", "ann", "joe"}[i%4])
		case 10:
			s = fmt.Sprintf("Worker %s started task %d", []string{"alpha", "beta", "gamma", "delta", "eps", "zeta"}[i%6], i)
		case 11:
			s = fmt.Sprintf(`got "connection reset by peer" from 10.2.3.%d`, i%200)
		default:
			s = fmt.Sprintf("map[n:%d user:bob] state changed to %s", i, []string{"ready", "failed", "done"}[i%3])
		}
		out = append(out, []byte(s))
	}
	return out
}

// TestMatchAsFullPath: a line whose signature is one of the last lines'
// (match) leaves the miner and its answers as the full path does, also
// with signatures evicted (a few kept), and with the severity table in
// use.
func TestMatchAsFullPath(t *testing.T) {
	msgs := matchLines()
	for _, cfg := range []Config{{}, {MaxClusters: 6, ConsolidateEvery: 3}, {MaxClusters: 3}} {
		p := newPair(cfg)
		for i, msg := range msgs {
			p.add(t, msg, uint64(i%3))
		}
		p.fast.Consolidate()
		p.full.Consolidate()
		p.check(t, msgs)
		if cfg.MaxClusters == 0 {
			// the fast path was taken: most lines repeat a recent signature
			p.fast.noMatch = true
			if p.fast.match() != nil {
				t.Fatal("noMatch: match found a signature")
			}
		}
	}
}

// TestMatchSkipsASaltedSignature: a signature kept under a salted key
// (its hash collided with another signature's) is found by lookup only
// while the signature it collided with is kept; once that one is gone,
// its next line makes a new signature. match must not find it either.
func TestMatchSkipsASaltedSignature(t *testing.T) {
	msg := []byte("Receiving block blk_1 src: /10.0.0.1:1 dest: /10.0.0.2:2")
	other := []byte("Deleting block blk_2 file /data/x/2")
	p := newPair(Config{})
	p.add(t, other, 0)
	for _, m := range []*Miner{p.fast, p.full} {
		// as if other's hash were msg's: msg's signature is salted
		x := m.lastSig
		delete(m.clusters, x.hash)
		x.hash = m.scan(msg)
		m.clusters[x.hash] = x
	}
	p.add(t, msg, 0)
	p.add(t, msg, 0) // found under its salted key
	if p.fast.NewSignature() {
		t.Fatal("a salted signature was not found while its collision is kept")
	}
	for _, m := range []*Miner{p.fast, p.full} {
		m.evict(m.clusters[m.lastSig.hash^collisionSalt])
	}
	p.add(t, msg, 0)
	if !p.fast.NewSignature() {
		t.Fatal("a salted signature was found after its collision was evicted")
	}
	p.add(t, msg, 0)
	if p.fast.NewSignature() {
		t.Fatal("the new signature was not found again")
	}
	p.check(t, [][]byte{msg})
}

// TestMatchKeepsSeverityEvidence: a line found by match records its rest
// as seen without a severity word (see markSeverity) as the full path
// does: here a rest whose slot another rest took in between, so that a
// line of the same rest with "ERROR:" finds the evidence only if the
// matched line wrote it again.
func TestMatchKeepsSeverityEvidence(t *testing.T) {
	rest := []byte("cannot open the journal file")
	m := New(Config{})
	want := m.scan(rest) & (sevSlots - 1)
	var other []byte
	for i := 0; other == nil && i < 26*26*26; i++ {
		b := fmt.Appendf(nil, "event w%c%c%c happened", 'a'+i%26, 'a'+i/26%26, 'a'+i/676)
		if m.scan(b)&(sevSlots-1) == want {
			other = b
		}
	}
	if other == nil {
		t.Fatal("no signature with the rest's slot")
	}
	p := newPair(Config{})
	for _, msg := range [][]byte{[]byte("ERROR: boot failed"), rest, other, rest, []byte("ERROR: cannot open the journal file")} {
		p.add(t, msg, 0)
	}
	if a, b := p.fast.Match([]byte("ERROR: cannot open the journal file")).ID, p.fast.Match(rest).ID; a != b {
		t.Fatalf("the severity word's line has template %x, the rest's %x: the evidence was lost", a, b)
	}
	p.check(t, [][]byte{rest, other})
}

// TestMatchAsFullPathOnFiles runs the pair over every line of the LogHub
// and corpus files named by GOPULSE_MATCH_FILES (a glob; skipped when it
// is unset), each line's message being the text after its first four
// blanks' worth of header, as a header model roughly leaves it.
func TestMatchAsFullPathOnFiles(t *testing.T) {
	glob := os.Getenv("GOPULSE_MATCH_FILES")
	if glob == "" {
		t.Skip("GOPULSE_MATCH_FILES not set")
	}
	files, err := filepath.Glob(glob)
	if err != nil || len(files) == 0 {
		t.Fatalf("GOPULSE_MATCH_FILES=%q: %v, %d files", glob, err, len(files))
	}
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		p := newPair(Config{MaxClusters: 256})
		var msgs [][]byte
		sc := bufio.NewScanner(fh)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			line := sc.Text()
			for k := 0; k < 4; k++ {
				if i := strings.IndexByte(line, ' '); i >= 0 {
					line = line[i+1:]
				}
			}
			msg := []byte(line)
			msgs = append(msgs, msg)
			p.add(t, msg, uint64(len(msgs)%2))
		}
		fh.Close()
		p.check(t, msgs)
	}
}

// FuzzMatchAsFullPath: lines made of words, values and marks from the
// input (each byte picks one), so that signatures repeat in any order.
func FuzzMatchAsFullPath(f *testing.F) {
	f.Add([]byte("abcabcabd\nxyz\nabcabc"))
	f.Add([]byte{0, 1, 2, 3, 10, 0, 1, 2, 4, 10, 5, 6, 7, 10, 0, 1, 2, 3})
	f.Add([]byte("ERROR: x\nx\n\x01\x02\n"))
	vocab := []string{"connection", "from", "ERROR:", "[warn]", "failed:", "user=", "took", "ms", "Nov", "KB",
		`"quoted text"`, "{", "}", "map[", "]", "a:", "b=", "to", "web-", "node", "open", "x"}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 2000 {
			return
		}
		var msgs [][]byte
		var line []byte
		for i, c := range data {
			switch {
			case c == '\n':
				msgs = append(msgs, line)
				line = nil
				continue
			case c < 0x40:
				line = append(line, vocab[int(c)%len(vocab)]...)
			case c < 0x60:
				line = fmt.Appendf(line, "%d", int(c)*(i+1)%97)
			case c < 0x70:
				line = fmt.Appendf(line, "10.0.%d.%d", c%5, i%7)
			default:
				line = append(line, c)
			}
			if c%3 != 0 {
				line = append(line, ' ')
			}
		}
		msgs = append(msgs, line)
		for _, cfg := range []Config{{}, {MaxClusters: 4, ConsolidateEvery: 2}} {
			p := newPair(cfg)
			for i, msg := range msgs {
				p.add(t, msg, uint64(i%2))
			}
			p.check(t, msgs)
		}
	})
}

// TestUnionGapsPastBit64: a known signature takes the values of a line in
// gaps it had none in, by the bits of its first 64 gaps and past them by
// reading each gap (unionGaps), at both ends of a line of 80 words.
func TestUnionGapsPastBit64(t *testing.T) {
	words := make([]string, 80)
	for i := range words {
		words[i] = "w" + string(rune('a'+i/26)) + string(rune('a'+i%26))
	}
	line := func(vals map[int]string) []byte {
		var b strings.Builder
		for i, w := range words {
			if i > 0 {
				b.WriteByte(' ')
			}
			if v, ok := vals[i]; ok {
				b.WriteString(v + " ")
			}
			b.WriteString(w)
		}
		return []byte(b.String())
	}
	m := New(Config{MaxTokens: 200})
	m.Add(line(map[int]string{3: "17"}))
	m.Add(line(map[int]string{11: "42", 70: "9001"}))
	tpl := m.Add(line(map[int]string{3: "18", 63: "0x1f", 75: "12"}))
	if m.Len() != 1 {
		t.Fatalf("%d signatures, want 1", m.Len())
	}
	for _, gap := range []int{3, 11, 63, 70, 75} {
		want := words[gap-1] + " <*> " + words[gap]
		if !strings.Contains(tpl.Text, want) {
			t.Errorf("template %q lacks %q", tpl.Text, want)
		}
	}
	if n := strings.Count(tpl.Text, "<*>"); n != 5 {
		t.Errorf("template %q has %d parameters, want 5", tpl.Text, n)
	}
}

// checkVarSet fails unless m.varSet, which unionGaps reads, holds the
// gaps below 64 of m.varAt as bits.
func checkVarSet(t testing.TB, m *Miner, msg []byte) {
	t.Helper()
	var want uint64
	for k, v := range m.varAt {
		if v && k < 64 {
			want |= 1 << k
		}
	}
	if m.varSet != want {
		t.Fatalf("AddIn(%q): gap bits %#x, gaps with values %#x", msg, m.varSet, want)
	}
}
