package taildrill

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"unicode/utf8"

	"github.com/golang/snappy"
	"github.com/grafana/loki/pkg/push"
)

// Sink is a Loki push endpoint (POST /loki/api/v1/push, snappy protobuf)
// that counts every line by its seq=N field. SetDown makes it answer 503,
// a backend outage.
type Sink struct {
	srv      *http.Server
	ln       net.Listener
	upstream string

	mu          sync.Mutex
	counts      []uint16
	pushes      int
	entries     int
	noSeq       int
	invalidUTF8 int
	down        bool
	refused     int
	// last is the last seq that arrived per stream (its labels);
	// backwards counts the entries that arrived after a later one of
	// their stream (re-sent, or out of order).
	last      map[string]int
	backwards int
	// streamOf is, per seq, 1 + the index in streams of the labels of its
	// last arrival (0: none yet).
	streamOf []uint16
	streams  []string
	// templateOf is, per seq, the template_id (structured metadata) of
	// its last arrival (0: none).
	templateOf []uint64
	// keep: every entry's line is kept, in arrival order (KeepLines).
	keep  bool
	lines []string
}

// NewProxy is a Sink in front of a real Loki at upstream: every push is
// forwarded, and its lines are counted when Loki accepted it (2xx). Loki
// itself drops an entry identical to one it has (same stream, timestamp and
// line), so duplicates are counted here, on the way in.
func NewProxy(upstream string) (*Sink, error) {
	s, err := NewSink()
	if err != nil {
		return nil, err
	}
	s.upstream = upstream
	return s, nil
}

// NewSink listens on a free loopback port and serves.
func NewSink() (*Sink, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &Sink{ln: ln}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /loki/api/v1/push", s.push)
	mux.HandleFunc("GET /ready", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ready\n") })
	s.srv = &http.Server{Handler: mux}
	go s.srv.Serve(ln)
	return s, nil
}

// URL is the base URL (push to URL + /loki/api/v1/push).
func (s *Sink) URL() string { return "http://" + s.ln.Addr().String() }

// SetDown starts (true) or ends an outage.
func (s *Sink) SetDown(down bool) {
	s.mu.Lock()
	s.down = down
	s.mu.Unlock()
}

// Close stops the server.
func (s *Sink) Close() error { return s.srv.Close() }

func (s *Sink) push(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	down := s.down
	if down {
		s.refused++
	}
	s.mu.Unlock()
	if down {
		http.Error(w, "outage", http.StatusServiceUnavailable)
		return
	}
	if s.upstream != "" {
		req, err := http.NewRequestWithContext(r.Context(), http.MethodPost, s.upstream+"/loki/api/v1/push", bytes.NewReader(body))
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		req.Header = r.Header.Clone()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			http.Error(w, "upstream: "+err.Error(), http.StatusBadGateway)
			return
		}
		rb, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode/100 != 2 {
			w.WriteHeader(resp.StatusCode)
			w.Write(rb)
			return
		}
	}
	raw, err := snappy.Decode(nil, body)
	var req push.PushRequest
	if err == nil {
		err = req.Unmarshal(raw)
	}
	if err != nil {
		http.Error(w, "decode push: "+err.Error(), http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pushes++
	for _, st := range req.Streams {
		for _, e := range st.Entries {
			s.entries++
			if !utf8.ValidString(e.Line) {
				s.invalidUTF8++
			}
			if s.keep {
				s.lines = append(s.lines, e.Line)
			}
			seq, ok := ParseSeq([]byte(e.Line))
			if !ok {
				s.noSeq++
				continue
			}
			if last, ok := s.last[st.Labels]; ok && seq <= last {
				s.backwards++
			} else {
				if s.last == nil {
					s.last = map[string]int{}
				}
				s.last[st.Labels] = seq
			}
			for len(s.counts) <= seq {
				s.counts = append(s.counts, make([]uint16, max(1024, len(s.counts)))...)
			}
			if s.counts[seq] < 65535 {
				s.counts[seq]++
			}
			for len(s.streamOf) < len(s.counts) {
				s.streamOf = append(s.streamOf, make([]uint16, len(s.counts)-len(s.streamOf))...)
			}
			si := slices.Index(s.streams, st.Labels)
			if si < 0 && len(s.streams) < 65535 {
				si = len(s.streams)
				s.streams = append(s.streams, st.Labels)
			}
			s.streamOf[seq] = uint16(si + 1)
			for len(s.templateOf) < len(s.counts) {
				s.templateOf = append(s.templateOf, make([]uint64, len(s.counts)-len(s.templateOf))...)
			}
			s.templateOf[seq] = 0
			for _, md := range e.StructuredMetadata {
				if md.Name == "template_id" {
					s.templateOf[seq], _ = strconv.ParseUint(md.Value, 16, 64)
				}
			}
		}
	}
	w.WriteHeader(http.StatusNoContent)
}

// SinkStats are the endpoint's counters.
type SinkStats struct {
	Pushes, Entries, NoSeq, InvalidUTF8, Refused int
}

// Stats returns the counters.
func (s *Sink) Stats() SinkStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return SinkStats{Pushes: s.pushes, Entries: s.entries, NoSeq: s.noSeq, InvalidUTF8: s.invalidUTF8, Refused: s.refused}
}

// Backwards returns how many lines arrived after a later line of their
// stream (per labels): 0 when every stream arrived in order, each line
// once.
func (s *Sink) Backwards() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.backwards
}

// StreamOf returns the stream labels (Loki's selector, e.g.
// {job="gopulse", service="api"}) under which seq last arrived, "" if it
// did not.
func (s *Sink) StreamOf(seq int) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if seq < 0 || seq >= len(s.streamOf) || s.streamOf[seq] == 0 {
		return ""
	}
	return s.streams[s.streamOf[seq]-1]
}

// KeepLines makes the sink keep every entry's line from now on (Lines):
// for tests of a few lines that check what records hold.
func (s *Sink) KeepLines() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keep = true
}

// Lines returns the lines kept since KeepLines, in arrival order.
func (s *Sink) Lines() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.lines)
}

// TemplateOf returns the template_id (structured metadata) with which seq
// last arrived, 0 if it did not or had none.
func (s *Sink) TemplateOf(seq int) uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if seq < 0 || seq >= len(s.templateOf) {
		return 0
	}
	return s.templateOf[seq]
}

// Counts returns how many times each sequence number arrived.
func (s *Sink) Counts() []uint16 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]uint16(nil), s.counts...)
}

// Distinct returns how many of the sequence numbers in [0, n) arrived.
func (s *Sink) Distinct(n int) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := 0
	for i := 0; i < n && i < len(s.counts); i++ {
		if s.counts[i] > 0 {
			c++
		}
	}
	return c
}

var seqKey = []byte("seq=")

// ParseSeq finds seq=N in a line.
func ParseSeq(line []byte) (int, bool) {
	i := bytes.Index(line, seqKey)
	if i < 0 {
		return 0, false
	}
	j := i + len(seqKey)
	k := j
	for k < len(line) && line[k] >= '0' && line[k] <= '9' {
		k++
	}
	n, err := strconv.Atoi(string(line[j:k]))
	return n, err == nil
}

// Result is the outcome of a drill: every sequence number in [0, Lines)
// must arrive; Lost did not, Duplicated counts the extra arrivals.
type Result struct {
	Lines      int
	Lost       int
	Duplicated int
	LostRanges []string // the first few missing ranges
	DupRanges  []string // the first few ranges that arrived more than once, and any numbered past Lines
}

func (r Result) String() string {
	return fmt.Sprintf("%d lines, %d lost %v, %d duplicated %v", r.Lines, r.Lost, r.LostRanges, r.Duplicated, r.DupRanges)
}

// Check compares counts (per sequence number) with the n lines written.
func Check(counts []uint16, n int) Result {
	r := Result{Lines: n}
	for seq := 0; seq < n; seq++ {
		c := 0
		if seq < len(counts) {
			c = int(counts[seq])
		}
		if c > 1 {
			end := seq
			for end+1 < n && end+1 < len(counts) && counts[end+1] > 1 {
				end++
				r.Duplicated += int(counts[end]) - 1
			}
			r.Duplicated += c - 1
			if len(r.DupRanges) < 8 {
				r.DupRanges = append(r.DupRanges, fmt.Sprintf("%d-%d", seq, end))
			}
			seq = end
			continue
		}
		if c > 0 {
			continue
		}
		end := seq
		for end+1 < n && (end+1 >= len(counts) || counts[end+1] == 0) {
			end++
		}
		r.Lost += end - seq + 1
		if len(r.LostRanges) < 8 {
			r.LostRanges = append(r.LostRanges, fmt.Sprintf("%d-%d", seq, end))
		}
		seq = end
	}
	extra, first, last := 0, -1, -1
	for seq := n; seq < len(counts); seq++ {
		if counts[seq] > 0 {
			r.Duplicated += int(counts[seq]) // never written: count as extra
			extra += int(counts[seq])
			if first < 0 {
				first = seq
			}
			last = seq
		}
	}
	if extra > 0 {
		r.DupRanges = append(r.DupRanges, fmt.Sprintf("%d past the %d written, %d-%d", extra, n, first, last))
	}
	return r
}
