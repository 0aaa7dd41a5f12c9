package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/gopulse/gopulse/logparse"
)

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

// batchFunc is a lineFunc that also learns whether more input is buffered
// (false: the next read may block).
type batchFunc func(line []byte, n uint64, truncated bool, more bool) error

// countingReader counts the (possibly compressed) bytes read.
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
	return readLinesFrom(ctx, in.name, f, func(line []byte, n uint64, truncated bool, _ bool) error {
		return fn(line, n, truncated)
	}, progress)
}

// readLinesFrom is readLines on any reader (stdin in --online mode).
func readLinesFrom(ctx context.Context, name string, src io.Reader, fn batchFunc, progress func(done int64)) error {
	cr := &countingReader{r: src}
	r, err := logparse.Decompress(cr)
	if err != nil {
		return fmt.Errorf("read %s: %w", name, err)
	}
	if c, ok := r.(io.Closer); ok {
		defer c.Close()
	}
	lr := logparse.NewLineReader(r, logparse.DefaultMaxLine)
	for {
		line, truncated, err := lr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("read %s: %w", name, err)
		}
		n := lr.Line()
		if err := fn(line, n, truncated, lr.Buffered() > 0); err != nil {
			return err
		}
		if n%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
			if progress != nil {
				progress(cr.n)
			}
		}
	}
	if progress != nil {
		progress(cr.n)
	}
	return nil
}
