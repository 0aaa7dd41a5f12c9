package logparse

// CRI lines: "2024-01-02T15:04:05.123456789Z stdout F message", where the
// tag is F (full) or P (partial: the line continues in the next one).
// Docker json-file lines: {"log":"message\n","stream":"stdout","time":"…"};
// a log value without its final newline is a chunk of a longer line.

// unwrapLine recognises a CRI or docker line, reassembles partial lines and
// returns the inner body and the wrapper's timestamp. Lines that are not
// wrapped are returned as they are.
func (s *Stream) unwrapLine(line []byte, r *Record) ([]byte, int64, error) {
	if len(line) >= 29 && digit(line[0]) { // "2006-01-02T15:04:05Z stdout F"
		if body, ts, stream, partial, ok := splitCRI(line); ok {
			s.wrapper = "cri"
			return s.assemble(body, ts, stream, partial, r)
		}
	}
	if len(line) > 8 && line[0] == '{' && hasLit(line, 1, `"log":`) {
		if body, ts, stream, ok := s.splitDocker(line); ok {
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
	return line, 0, nil
}

// assemble joins partial pieces; it returns ErrPartial until the last piece.
// Pieces of stdout and stderr are reassembled apart, as they may interleave.
func (s *Stream) assemble(body []byte, ts int64, stream []byte, partial bool, r *Record) ([]byte, int64, error) {
	r.Wrapper = s.wrapper
	r.Stream = stream
	p := &s.partials[0]
	if string(stream) == "stderr" {
		p = &s.partials[1]
	}
	if partial {
		if p.n == 0 {
			p.stream = append(p.stream[:0], stream...)
			p.first = s.lineNo
		}
		p.n++
		room := s.maxLine - len(p.buf)
		if len(body) > room {
			body = body[:room]
			p.trunc = true
		}
		p.buf = append(p.buf, body...)
		return nil, 0, ErrPartial
	}
	if p.n > 0 {
		room := s.maxLine - len(p.buf)
		if len(body) > room {
			body = body[:room]
			p.trunc = true
		}
		s.unwrap = append(append(s.unwrap[:0], p.buf...), body...)
		p.buf = p.buf[:0]
		s.bodyFirst, s.bodyLines = p.first, p.n+1
		p.n = 0
		r.Truncated = r.Truncated || p.trunc
		p.trunc = false
		return s.unwrap, ts, nil
	}
	return body, ts, nil
}

// splitCRI splits a CRI log line.
func splitCRI(line []byte) (body []byte, ts int64, stream []byte, partial bool, ok bool) {
	// The stream name follows the time's first blank (its fraction and
	// zone hold none, and its date and clock fill 19 bytes): a line
	// without it is no CRI line, and its time is not parsed.
	if len(line) < 19 || line[4] != '-' || line[7] != '-' {
		return nil, 0, nil, false, false
	}
	j := 19
	for j < len(line) && line[j] != ' ' {
		j++
	}
	if !hasLit(line, j+1, "stdout ") && !hasLit(line, j+1, "stderr ") {
		return nil, 0, nil, false, false
	}
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

// splitDocker reads a docker json-file line: {"log":"…","stream":"…","time":"…"}
// (other keys are skipped). The log text is unescaped into the Stream's
// own buffer.
func (s *Stream) splitDocker(line []byte) (body []byte, ts int64, stream []byte, ok bool) {
	i := 1
	found := false
	for {
		i = skipWS(line, i)
		if i >= len(line) || line[i] != '"' {
			return nil, 0, nil, false
		}
		ke, kesc := scanQuoted(line, i+1, '"')
		if ke < 0 || kesc {
			return nil, 0, nil, false
		}
		key := line[i+1 : ke]
		i = skipWS(line, ke+1)
		if i >= len(line) || line[i] != ':' {
			return nil, 0, nil, false
		}
		i = skipWS(line, i+1)
		if i < len(line) && line[i] == '"' {
			ve, esc := scanQuoted(line, i+1, '"')
			if ve < 0 {
				return nil, 0, nil, false
			}
			v := line[i+1 : ve : ve]
			switch string(key) {
			case "log":
				if esc {
					s.wrapRec.scratch = s.wrapRec.scratch[:0]
					v = unescape(&s.wrapRec, v)
				}
				body, found = v, true
			case "stream":
				stream = v
			case "time":
				if t, n, ok := ParseRFC3339(v); ok && n == len(v) {
					ts = t
				}
			}
			i = ve + 1
		} else {
			e := skipJSONValue(line, i, 1)
			if e < 0 {
				return nil, 0, nil, false
			}
			i = e
		}
		i = skipWS(line, i)
		if i >= len(line) {
			return nil, 0, nil, false
		}
		if line[i] == '}' {
			if skipWS(line, i+1) != len(line) {
				return nil, 0, nil, false
			}
			return body, ts, stream, found
		}
		if line[i] != ',' {
			return nil, 0, nil, false
		}
		i++
	}
}
