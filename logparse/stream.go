package logparse

import (
	"time"
)

// DefaultMaxLine is the default line size limit: longer lines are cut and
// flagged Truncated.
const DefaultMaxLine = 10 << 20

// DefaultDetectLines is how many lines vote on a stream's format.
const DefaultDetectLines = 20

// StreamOptions configures a Stream.
type StreamOptions struct {
	// Parsers are the candidate formats, most specific first. Nil means
	// DefaultParsers(Year).
	Parsers []Parser
	// Fallback parses lines no candidate accepts (free text). Nil means such
	// lines return the error of the stream's format.
	Fallback Parser
	// MaxLine caps line length (DefaultMaxLine when 0).
	MaxLine int
	// DetectLines is the number of lines that vote (DefaultDetectLines when 0).
	DetectLines int
	// Year is used for layouts without a year (syslog, klog). 0 means "the
	// last 12 months": such a timestamp is put in the current year, or the
	// year before when that would be more than a day in the future (a
	// December line read in January).
	Year int
	// Now returns the current time for that choice; nil means time.Now.
	Now func() time.Time
	// Multiline joins the lines of multi-line records (stack traces,
	// indented continuations) before parsing; see MultilineOptions.
	Multiline MultilineOptions
}

// DefaultParsers returns every built-in format, most specific first.
func DefaultParsers(year int) []Parser {
	return []Parser{
		JSON{},
		NewSyslog5424(),
		NewALB(),
		NewELB(),
		NewCloudFront(),
		NewCalico(),
		NewSyslog3164(year),
		NewCombined(),
		NewCLF(),
		NewVhostCombined(),
		NewSSLRequest(),
		NewNginxError(),
		NewApacheError(),
		NewKlog(year),
		SlogText{},
		Logfmt{},
		CSV{},
	}
}

// Stream parses the lines of one log stream (one file or container). It
// unwraps CRI and docker json-file lines (reassembling partial lines),
// votes on the format over the first lines, then uses the winner for every
// line, trying the other candidates and then the fallback for a line that
// does not parse. A Stream is not safe for concurrent use.
type Stream struct {
	parsers  []Parser
	fallback Parser
	maxLine  int
	detect   int
	autoYear bool
	now      func() time.Time
	nowNS    int64 // last reading of now, refreshed every 4096 lines
	nowAge   int
	ym       yearMemo // withYearOf's day shifts for the last day and year seen

	votes   []int // per parser, during detection
	seen    int
	current int            // index of the stream's format; -1 while detecting
	free    bool           // the vote found free text: only the fallback (and JSON for '{' lines) is tried
	fbVotes int            // detection lines only the fallback took
	counts  []int          // lines per parser
	fbCount map[string]int // lines per fallback format name, and "empty" (see countFB)
	fbLast  string         // the name countFB counted last, fbLastN lines of it not yet in fbCount
	fbLastN int

	wrapper  string     // detected wrapper, "" for none
	partials [2]pending // CRI/docker partial lines being reassembled: stdout, stderr
	unwrap   []byte     // docker: the unescaped log text
	wrapRec  Record     // scratch for unescaped docker log text

	nextTrunc bool   // MarkTruncated: the next line was cut by its reader
	lineNo    uint64 // input lines so far
	bodyFirst uint64 // first input line of the body unwrapLine returned
	bodyLines int    // and its number of input lines (CRI/docker pieces)

	ml   MultilineOptions
	recs [2]mlRecord // multi-line records being assembled: stdout (or no wrapper), stderr

	msg msgVote // the key of the message of JSON records without a known one (jsonmsg.go)
}

// NewStream returns a Stream.
func NewStream(opts StreamOptions) *Stream {
	autoYear := opts.Year == 0
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if autoYear {
		opts.Year = opts.Now().UTC().Year()
	}
	if opts.Parsers == nil {
		opts.Parsers = DefaultParsers(opts.Year)
	}
	if opts.MaxLine <= 0 {
		opts.MaxLine = DefaultMaxLine
	}
	if opts.DetectLines <= 0 {
		opts.DetectLines = DefaultDetectLines
	}
	if opts.Multiline.MaxBytes <= 0 {
		opts.Multiline.MaxBytes = DefaultMaxRecord
	}
	if opts.Multiline.MaxWait <= 0 {
		opts.Multiline.MaxWait = DefaultMaxWait
	}
	return &Stream{
		ml:       opts.Multiline,
		parsers:  opts.Parsers,
		fallback: opts.Fallback,
		maxLine:  opts.MaxLine,
		detect:   opts.DetectLines,
		votes:    make([]int, len(opts.Parsers)),
		current:  -1,
		counts:   make([]int, len(opts.Parsers)),
		autoYear: autoYear,
		now:      opts.Now,
		fbCount:  make(map[string]int),
	}
}

// Format returns the stream's format: the detected one, or while the first
// lines are still voting, the leader so far ("" when nothing parsed).
func (s *Stream) Format() string {
	if s.current >= 0 {
		return s.parsers[s.current].Name()
	}
	if s.free {
		return s.fallback.Name()
	}
	best := -1
	for j, v := range s.votes {
		if v > 0 && (best < 0 || v > s.votes[best]) {
			best = j
		}
	}
	if best < 0 {
		return ""
	}
	return s.parsers[best].Name()
}

// Detected reports whether the vote is over and Format is fixed.
func (s *Stream) Detected() bool { return s.current >= 0 }

// Wrapper returns the detected wrapper ("cri", "docker" or "").
func (s *Stream) Wrapper() string { return s.wrapper }

// Formats returns how many lines each format parsed so far (the fallback's
// names included, and "empty" for empty lines), in a new map.
func (s *Stream) Formats() map[string]int {
	m := make(map[string]int, len(s.counts)+len(s.fbCount)+1)
	for i, n := range s.counts {
		if n > 0 {
			m[s.parsers[i].Name()] += n
		}
	}
	for k, n := range s.fbCount {
		m[k] += n
	}
	if s.fbLastN > 0 {
		m[s.fbLast] += s.fbLastN
	}
	return m
}

// countFB counts a line parsed by the fallback as format name (or
// "empty"). A stream's lines mostly repeat one name: it is counted in
// fbLastN, and the map is written only when the name changes (a map
// update per line cost about 1% of a free-text line's parse).
func (s *Stream) countFB(name string) {
	if name == s.fbLast {
		s.fbLastN++
		return
	}
	if s.fbLastN > 0 {
		s.fbCount[s.fbLast] += s.fbLastN
	}
	s.fbLast, s.fbLastN = name, 1
}

// Parse parses one line (without its newline; a trailing \r, a leading
// byte order mark and leading NUL bytes are removed) into r, which is Reset
// first. It returns ErrPartial for a wrapper line that is only part of a
// log line, and, with multi-line records, while the record the line belongs
// to may still go on (r then holds nothing): a record is returned by the
// call whose line starts the next record, or by Flush or Expire. Otherwise r
// is always filled — Body is set even when the error is not nil — so that
// no line is lost; r.Line and r.Lines tell which input lines it holds.
func (s *Stream) Parse(line []byte, r *Record) error {
	s.lineNo++
	s.bodyFirst, s.bodyLines = s.lineNo, 1
	r.Reset()
	r.Truncated, s.nextTrunc = s.nextTrunc, false
	if len(line) > s.maxLine {
		line = line[:s.maxLine]
		r.Truncated = true
	}
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	// A UTF-8 byte order mark (first line of some files) and the NUL bytes
	// that copytruncate rotation leaves at the start of a file are not part
	// of the line.
	if len(line) > 0 && (line[0] == 0 || line[0] == 0xEF) {
		if hasLit(line, 0, "\xEF\xBB\xBF") {
			line = line[3:]
		}
		for len(line) > 0 && line[0] == 0 {
			line = line[1:]
		}
	}
	body, wts, err := s.unwrapLine(line, r)
	if err != nil {
		return err
	}
	if s.ml.Enabled {
		return s.feed(body, wts, s.bodyFirst, s.bodyLines, r)
	}
	r.Line, r.Lines = s.bodyFirst, s.bodyLines
	err = s.parseBody(body, r)
	s.finishTS(r, wts)
	return err
}

// MarkTruncated says that the next line given to Parse was cut by whoever
// read it (a LineReader, a tailer): its record is flagged Truncated.
func (s *Stream) MarkTruncated() { s.nextTrunc = true }

// finishTS completes a year-less timestamp with the wrapper's year or the
// current one.
func (s *Stream) finishTS(r *Record, wts int64) {
	switch {
	case r.Wrapper != "" && wts != 0:
		switch r.TSLayout {
		case "":
			r.TS, r.TSLayout = wts, LayoutRFC3339
		default:
			if YearlessLayout(r.TSLayout) {
				r.TS = s.ym.withYearOf(r.TS, wts)
			}
		}
	case s.autoYear && YearlessLayout(r.TSLayout):
		if s.nowAge == 0 {
			s.nowNS = s.now().UnixNano()
		}
		s.nowAge = (s.nowAge + 1) & 4095
		r.TS = s.ym.withYearOf(r.TS, s.nowNS)
	}
}

func (s *Stream) parseBody(body []byte, r *Record) error {
	err := s.parseLine(body, r)
	if r.Message == nil && err == nil && (r.Format == "json" || r.Format == "csv") {
		s.msg.fill(r)
	}
	return err
}

func (s *Stream) parseLine(body []byte, r *Record) error {
	r.Body = body
	if len(trimSpace(body)) == 0 {
		r.Format = "empty"
		s.countFB("empty")
		return nil
	}
	mark := len(r.scratch)
	if s.free {
		return s.parseFree(body, r, mark)
	}
	if s.current >= 0 {
		if err := s.parsers[s.current].Parse(body, r); err == nil {
			s.counts[s.current]++
			return nil
		}
		r.resetParse(mark)
	}
	for i, p := range s.parsers {
		if i == s.current {
			continue
		}
		if err := p.Parse(body, r); err == nil {
			if s.current < 0 {
				s.vote(i)
			}
			s.counts[i]++
			return nil
		}
		r.resetParse(mark)
	}
	if s.current < 0 {
		s.vote(-1)
	}
	r.Body = body
	if s.fallback != nil {
		err := s.fallback.Parse(body, r)
		r.Body = body
		if err == nil {
			s.countFB(r.Format)
		}
		return err
	}
	name := "unknown"
	if s.current >= 0 {
		name = s.parsers[s.current].Name()
	}
	return r.Fail(name, "no format matches", 0)
}

// parseFree parses a line of a free-text stream: with the fallback, unless
// it is a JSON object that the JSON parser takes (a program that mostly
// writes text and sometimes JSON). Free-text streams do not pay for trying
// every format on every line.
func (s *Stream) parseFree(body []byte, r *Record, mark int) error {
	if b := trimSpace(body); b[0] == '{' && b[len(b)-1] == '}' {
		for i, p := range s.parsers {
			if p.Name() != "json" {
				continue
			}
			if err := p.Parse(body, r); err == nil {
				s.counts[i]++
				return nil
			}
			r.resetParse(mark)
		}
	}
	r.Body = body
	err := s.fallback.Parse(body, r)
	r.Body = body
	if err == nil {
		s.countFB(r.Format)
	}
	return err
}

// vote records that parser i (or none, -1) parsed a detection line, and
// fixes the format once enough lines voted: the format of at least half
// of them, or free text when at least half of them were taken by the
// fallback alone.
func (s *Stream) vote(i int) {
	if i >= 0 {
		s.votes[i]++
	} else {
		s.fbVotes++
	}
	s.seen++
	if s.seen < s.detect {
		return
	}
	best := -1
	for j, v := range s.votes {
		if v > 0 && (best < 0 || v > s.votes[best]) {
			best = j
		}
	}
	if best >= 0 && s.votes[best]*2 >= s.seen {
		s.current = best
		return
	}
	if s.fallback != nil && s.fbVotes*2 > s.seen {
		s.free = true
		return
	}
	// No clear winner: keep voting over a longer window.
	for j := range s.votes {
		s.votes[j] = 0
	}
	s.seen, s.fbVotes = 0, 0
	if s.detect < 1<<20 {
		s.detect *= 2
	}
}

// Flush parses a pending partial line (CRI "P" lines or docker chunks with
// no final part) and the pending multi-line records at the end of a
// stream. It returns false when nothing was pending; call it until then
// (stdout and stderr are kept apart).
func (s *Stream) Flush(r *Record) (bool, error) {
	for i := range s.partials {
		p := &s.partials[i]
		if p.n == 0 {
			continue
		}
		r.Reset()
		s.unwrap = append(s.unwrap[:0], p.buf...)
		p.buf = p.buf[:0]
		n := p.n
		p.n = 0
		r.Wrapper = s.wrapper
		r.Stream = p.stream
		r.Truncated = p.trunc
		p.trunc = false
		if s.ml.Enabled {
			if err := s.feed(s.unwrap, 0, p.first, n, r); err != ErrPartial {
				return true, err
			}
			continue
		}
		r.Line, r.Lines = p.first, n
		return true, s.parseBody(s.unwrap, r)
	}
	return s.flushRecords(r)
}

// pending is a partial line of one output stream.
type pending struct {
	buf    []byte
	stream []byte
	trunc  bool
	first  uint64 // input line of the first piece
	n      int    // pieces
}

// yearMemo holds what withYearOf computes for the lines of one day moved
// into one year: moving a time into another year shifts it by whole days
// that depend only on its day and the target year (its time of day is
// kept), so the lines of a stream, which mostly share a day and a
// reference year, need the calendar once.
type yearMemo struct {
	ok           bool
	day          int64 // ts's day (Unix days, floored)
	refLo, refHi int64 // the reference times of the year the shifts are for
	d0, d1       int64 // the shift into that year and into the year before
}

const dayNS = int64(24 * time.Hour)

// withYearOf is withYearOf(ts, ref), from the memo when ts's day and ref's
// year are those of the last call.
func (m *yearMemo) withYearOf(ts, ref int64) int64 {
	day := ts / dayNS
	if ts%dayNS < 0 {
		day--
	}
	if !m.ok || day != m.day || ref < m.refLo || ref >= m.refHi {
		y := time.Unix(0, ref).UTC().Year()
		base := day * dayNS
		t := time.Unix(0, base).UTC()
		m.ok, m.day = true, day
		m.refLo = time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano()
		m.refHi = time.Date(y+1, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano()
		m.d0 = time.Date(y, t.Month(), t.Day(), 0, 0, 0, 0, time.UTC).UnixNano() - base
		m.d1 = time.Date(y-1, t.Month(), t.Day(), 0, 0, 0, 0, time.UTC).UnixNano() - base
	}
	if moved := ts + m.d0; moved <= ref+int64(24*time.Hour) {
		return moved
	}
	return ts + m.d1
}

// withYearOf moves ts (parsed from a layout without a year) into the year of
// the wrapper's timestamp ref, or the year before when that would put it
// more than a day after ref (a December line read in January).
func withYearOf(ts, ref int64) int64 {
	t := time.Unix(0, ts).UTC()
	y := time.Unix(0, ref).UTC().Year()
	moved := time.Date(y, t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC).UnixNano()
	if moved > ref+int64(24*time.Hour) {
		moved = time.Date(y-1, t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC).UnixNano()
	}
	return moved
}
