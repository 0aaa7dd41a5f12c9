package main

import (
	"bufio"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
)

// maxLine is the longest line kept whole; longer lines are cut and flagged.
const maxLine = 10 << 20

// logInput is one input of `gopulse logs`: a file, or stdin spooled to a
// temporary file so that it can be read twice (mining, then output).
type logInput struct {
	name  string // as given on the command line ("-" for stdin)
	path  string
	size  int64
	spool bool // path is a temporary copy of stdin
}

func openInputs(args []string, stdin io.Reader) ([]logInput, error) {
	if len(args) == 0 {
		args = []string{"-"}
	}
	var ins []logInput
	for _, a := range args {
		if a != "-" {
			st, err := os.Stat(a)
			if err != nil {
				closeInputs(ins)
				return nil, fmt.Errorf("open input: %w", err)
			}
			if st.IsDir() {
				closeInputs(ins)
				return nil, fmt.Errorf("open input %s: is a directory", a)
			}
			ins = append(ins, logInput{name: a, path: a, size: st.Size()})
			continue
		}
		f, err := os.CreateTemp("", "gopulse-logs-*")
		if err != nil {
			closeInputs(ins)
			return nil, fmt.Errorf("spool stdin: %w", err)
		}
		n, err := io.Copy(f, stdin)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		ins = append(ins, logInput{name: "-", path: f.Name(), size: n, spool: true})
		if err != nil {
			closeInputs(ins)
			return nil, fmt.Errorf("spool stdin: %w", err)
		}
	}
	return ins, nil
}

func closeInputs(ins []logInput) {
	for _, in := range ins {
		if in.spool {
			os.Remove(in.path)
		}
	}
}

// lineFunc receives each line (without its line ending), its 1-based
// number and whether it was truncated. The slice is reused.
type lineFunc func(line []byte, n uint64, truncated bool) error

// countingReader counts the compressed bytes read, for the progress bar.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// readLines reads in line by line, transparently gunzipping (detected by
// its magic bytes), and calls fn for each line. progress, when not nil, is
// called with the input bytes consumed so far every few thousand lines.
func readLines(ctx context.Context, in logInput, fn lineFunc, progress func(done int64)) error {
	f, err := os.Open(in.path)
	if err != nil {
		return fmt.Errorf("open input: %w", err)
	}
	defer f.Close()
	cr := &countingReader{r: f}
	br := bufio.NewReaderSize(cr, 256<<10)
	var r io.Reader = br
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return fmt.Errorf("read gzip %s: %w", in.name, err)
		}
		defer zr.Close()
		r = bufio.NewReaderSize(zr, 256<<10)
	}
	lr := r.(*bufio.Reader)
	var long []byte
	var n uint64
	for {
		frag, err := lr.ReadSlice('\n')
		line := frag
		truncated := false
		if errors.Is(err, bufio.ErrBufferFull) {
			// a long line: gather up to maxLine, drop the rest
			long = append(long[:0], frag...)
			for errors.Is(err, bufio.ErrBufferFull) {
				frag, err = lr.ReadSlice('\n')
				if room := maxLine - len(long); room > 0 {
					if len(frag) > room {
						long = append(long, frag[:room]...)
						truncated = true
					} else {
						long = append(long, frag...)
					}
				} else {
					truncated = true
				}
			}
			line = long
		}
		if len(line) > 0 {
			n++
			if line[len(line)-1] == '\n' {
				line = line[:len(line)-1]
			}
			if len(line) > 0 && line[len(line)-1] == '\r' {
				line = line[:len(line)-1]
			}
			if ferr := fn(line, n, truncated); ferr != nil {
				return ferr
			}
			if progress != nil && n%4096 == 0 {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				progress(cr.n)
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("read %s: %w", in.name, err)
		}
	}
	if progress != nil {
		progress(cr.n)
	}
	return nil
}
