package logparse

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
)

// LineReader reads lines from an io.Reader with a size cap: a line longer
// than the cap is cut to it, flagged, and the rest of it skipped, so that no
// line is lost and memory stays bounded. It allocates nothing per line once
// its buffer has grown to the longest line seen.
type LineReader struct {
	br  *bufio.Reader
	max int
	buf []byte
	n   uint64
}

// NewLineReader returns a LineReader; max <= 0 means DefaultMaxLine.
func NewLineReader(r io.Reader, max int) *LineReader {
	if max <= 0 {
		max = DefaultMaxLine
	}
	return &LineReader{br: bufio.NewReaderSize(r, 64<<10), max: max}
}

// Buffered returns the number of bytes read from the source and not yet
// returned: 0 means that the next call may block on the source.
func (l *LineReader) Buffered() int { return l.br.Buffered() }

// Next returns the next line without its "\n" or "\r\n", whether it was
// truncated, and io.EOF after the last line. A last line without a newline
// is returned. The line is valid until the next call.
func (l *LineReader) Next() ([]byte, bool, error) {
	l.buf = l.buf[:0]
	truncated := false
	for {
		chunk, err := l.br.ReadSlice('\n')
		if !truncated {
			room := l.max - len(l.buf)
			c := chunk
			if n := len(c); n > 0 && c[n-1] == '\n' {
				c = c[:n-1]
			}
			if len(c) > room {
				c = c[:room]
				truncated = true
			}
			if len(l.buf) == 0 && err == nil && !truncated {
				// the common case: the whole line is in bufio's buffer
				l.n++
				return trimCR(c), false, nil
			}
			l.buf = append(l.buf, c...)
		}
		switch {
		case err == nil:
			l.n++
			return trimCR(l.buf), truncated, nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF):
			if len(l.buf) == 0 && len(chunk) == 0 && !truncated {
				return nil, false, io.EOF
			}
			l.n++
			return trimCR(l.buf), truncated, nil
		default:
			return nil, false, fmt.Errorf("read line %d: %w", l.n+1, err)
		}
	}
}

// Line returns the number of lines returned so far.
func (l *LineReader) Line() uint64 { return l.n }

func trimCR(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\r' {
		return b[:n-1]
	}
	return b
}

// Decompress returns r itself, or a gzip reader when r starts with the gzip
// magic bytes. Close the returned reader if it is an io.Closer.
func Decompress(r io.Reader) (io.Reader, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	magic, err := br.Peek(2)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("peek input: %w", err)
	}
	if bytes.Equal(magic, []byte{0x1f, 0x8b}) {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("open gzip: %w", err)
		}
		return zr, nil
	}
	return br, nil
}
