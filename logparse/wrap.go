package logparse

// CRI lines: "2024-01-02T15:04:05.123456789Z stdout F message", where the
// tag is F (full) or P (partial: the line continues in the next one).
// Docker json-file lines: {"log":"message\n","stream":"stdout","time":"…"};
// a log value without its final newline is a chunk of a longer line.

// unwrapLine recognises a CRI or docker line, reassembles partial lines and
// returns the inner body and the wrapper's timestamp. Lines that are not
// wrapped are returned as they are.
func (s *Stream) unwrapLine(line []byte, r *Record) ([]byte, int64, error) {
	if len(line) > 30 && digit(line[0]) {
		if body, ts, stream, partial, ok := splitCRI(line); ok {
			s.wrapper = "cri"
			return s.assemble(body, ts, stream, partial, r)
		}
	}
	if len(line) > 8 && line[0] == '{' && hasLit(line, 1, `"log":`) {
		w := &s.wrapRec
		w.Reset()
		if (JSON{}).Parse(line, w) == nil {
			var body, stream []byte
			var ts int64
			found := false
			for _, f := range w.Fields {
				switch string(f.Key) {
				case "log":
					body, found = f.Value, true
				case "stream":
					stream = f.Value
				case "time":
					if t, n, ok := ParseRFC3339(f.Value); ok && n == len(f.Value) {
						ts = t
					}
				}
			}
			if found {
				s.wrapper = "docker"
				partial := true
				if n := len(body); n > 0 && body[n-1] == '\n' {
					body, partial = body[:n-1], false
					if n := len(body); n > 0 && body[n-1] == '\r' {
						body = body[:n-1]
					}
				}
				return s.assemble(body, ts, stream, partial, r)
			}
		}
	}
	return line, 0, nil
}

// assemble joins partial pieces; it returns ErrPartial until the last piece.
func (s *Stream) assemble(body []byte, ts int64, stream []byte, partial bool, r *Record) ([]byte, int64, error) {
	r.Wrapper = s.wrapper
	r.Stream = stream
	if partial {
		if len(s.partial) == 0 {
			s.pstream = append(s.pstream[:0], stream...)
		}
		room := s.maxLine - len(s.partial)
		if len(body) > room {
			body = body[:room]
			s.partTrnc = true
		}
		s.partial = append(s.partial, body...)
		return nil, 0, ErrPartial
	}
	if len(s.partial) > 0 {
		room := s.maxLine - len(s.partial)
		if len(body) > room {
			body = body[:room]
			s.partTrnc = true
		}
		s.unwrap = append(append(s.unwrap[:0], s.partial...), body...)
		s.partial = s.partial[:0]
		r.Truncated = r.Truncated || s.partTrnc
		s.partTrnc = false
		return s.unwrap, ts, nil
	}
	return body, ts, nil
}

// splitCRI splits a CRI log line.
func splitCRI(line []byte) (body []byte, ts int64, stream []byte, partial bool, ok bool) {
	t, n, ok := ParseRFC3339(line)
	if !ok || n >= len(line) || line[n] != ' ' {
		return nil, 0, nil, false, false
	}
	i := n + 1
	switch {
	case hasLit(line, i, "stdout "), hasLit(line, i, "stderr "):
		stream = line[i : i+6 : i+6]
		i += 7
	default:
		return nil, 0, nil, false, false
	}
	if i >= len(line) || (line[i] != 'F' && line[i] != 'P') {
		return nil, 0, nil, false, false
	}
	partial = line[i] == 'P'
	i++
	for i < len(line) && line[i] != ' ' { // tag may carry more ":"-separated flags
		if line[i] != ':' && !isAlnum(line[i]) {
			return nil, 0, nil, false, false
		}
		i++
	}
	if i < len(line) {
		i++ // the space before the message
	}
	return line[i:], t, stream, partial, true
}
