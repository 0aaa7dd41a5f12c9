package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/gopulse/gopulse/logengine"
)

const logsUsage = `Usage:
  gopulse logs inspect [--output table|json|jsonschema] [--top N] [--pattern P] [FILE…|-]
  gopulse logs parse [--pattern P] [--online] [FILE…|-]

inspect prints the detected format(s), the inferred schema, the top
templates and schema drift. parse prints one JSON object per input line.
Inputs may be gzip-compressed; "-" (or no FILE) reads stdin.
`

func runLogs(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, logsUsage)
		return errUsage
	}
	switch args[0] {
	case "parse":
		return runLogsParse(ctx, args[1:], stdin, stdout, stderr)
	case "inspect":
		return runLogsInspect(ctx, args[1:], stdin, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, logsUsage)
		return nil
	default:
		fmt.Fprintf(stderr, "gopulse logs: unknown command %q\n\n%s", args[0], logsUsage)
		return errUsage
	}
}

// parseFlags parses flags that may appear before, between or after the
// file arguments; "-" is a file (stdin), "--" ends the flags.
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	var files []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return files, nil
		}
		files = append(files, args[0])
		args = args[1:]
		if files[len(files)-1] == "--" {
			files = append(files[:len(files)-1], args...)
			return files, nil
		}
	}
}

func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

func flagErr(err error) error {
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	return errUsage
}

func runLogsParse(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("logs parse", stderr)
	pattern := fs.String("pattern", "", "parse every line with this pattern (e.g. `<ip:client> - <_> [<ts:time>] \"<method> <path> <_>\" <int:status>`)")
	online := fs.Bool("online", false, "one pass, printing each line as it is read (for endless input such as `tail -f`); a template's text and id may still change as it generalises")
	files, err := parseFlags(fs, args)
	if err != nil {
		return flagErr(err)
	}
	an, err := newEngine(*pattern, false)
	if err != nil {
		return err
	}
	if *online {
		return parseOnline(ctx, an, files, stdin, stdout)
	}
	ins, err := openInputs(files, stdin)
	if err != nil {
		return err
	}
	defer closeInputs(ins)

	var total int64
	for _, in := range ins {
		total += in.size
	}
	bar := newProgress(stderr, 2*total) // two passes
	defer bar.done()
	var base int64

	// Pass 1 mines templates over all inputs, so that every line of a
	// template gets the template's final text and id.
	for _, in := range ins {
		st := an.NewStream()
		if err := readLines(ctx, in, func(line []byte, _ uint64, truncated bool) error {
			if truncated {
				st.MarkTruncated()
			}
			st.Learn(line)
			return nil
		}, func(done int64) { bar.update(base + done) }); err != nil {
			return err
		}
		for _, ok := st.Flush(logengine.ModeLearn); ok; _, ok = st.Flush(logengine.ModeLearn) {
		}
		base += in.size
	}
	an.EndLearning()
	w := newJSONWriter(stdout)
	for _, in := range ins {
		st := an.NewStream()
		src := ""
		if len(ins) > 1 {
			src = in.name
		}
		if err := readLines(ctx, in, func(line []byte, n uint64, truncated bool) error {
			if truncated {
				st.MarkTruncated()
			}
			return w.writeParsed(src, st.Analyze(line))
		}, func(done int64) { bar.update(base + done) }); err != nil {
			w.flush()
			return err
		}
		// the last record, and a CRI/docker line left unfinished
		for res, ok := st.Flush(logengine.ModeAnalyze); ok; res, ok = st.Flush(logengine.ModeAnalyze) {
			if err := w.writeParsed(src, res); err != nil {
				return err
			}
		}
		base += in.size
	}
	return w.flush()
}

// parseOnline mines and prints in one pass. A reader goroutine hands over
// the lines in batches, one whenever the input has nothing more buffered,
// so that stdout is flushed per batch rather than per line, and a record
// that waits for a next line that does not come (the last line of a quiet
// `tail -f`) is printed after the multi-line wait.
func parseOnline(ctx context.Context, an *logengine.Engine, files []string, stdin io.Reader, stdout io.Writer) error {
	if len(files) == 0 {
		files = []string{"-"}
	}
	w := newJSONWriter(stdout)
	for _, name := range files {
		src := ""
		if len(files) > 1 {
			src = name
		}
		var r io.Reader = stdin
		if name != "-" {
			f, err := os.Open(name)
			if err != nil {
				return fmt.Errorf("open input: %w", err)
			}
			defer f.Close()
			r = f
		}
		if err := parseOnlineInput(ctx, an.NewStream(), name, src, r, w); err != nil {
			w.flush()
			return err
		}
	}
	return w.flush()
}

// lineBatch is a run of lines read together.
type lineBatch struct {
	data  []byte
	ends  []int  // end offset of each line in data
	trunc []bool // per line
	err   error  // the read error that ended the input (nil at EOF)
	last  bool
}

// onlineIdle is how often a waiting multi-line record is checked.
const onlineIdle = 250 * time.Millisecond

func parseOnlineInput(ctx context.Context, st *logengine.Stream, name, src string, r io.Reader, w *jsonWriter) error {
	batches := make(chan *lineBatch)
	free := make(chan *lineBatch, 2)
	stop := make(chan struct{})
	defer close(stop)
	go func() { // owned by this call; ends at the end of the input or on stop
		send := func(b *lineBatch) bool {
			select {
			case batches <- b:
				return true
			case <-stop:
				return false
			}
		}
		b := &lineBatch{}
		err := readLinesFrom(ctx, name, r, func(line []byte, _ uint64, truncated bool, more bool) error {
			b.data = append(b.data, line...)
			b.ends = append(b.ends, len(b.data))
			b.trunc = append(b.trunc, truncated)
			if more && len(b.ends) < 4096 {
				return nil
			}
			if !send(b) {
				return context.Canceled
			}
			select {
			case b = <-free:
				b.data, b.ends, b.trunc = b.data[:0], b.ends[:0], b.trunc[:0]
			default:
				b = &lineBatch{}
			}
			return nil
		}, nil)
		b.err, b.last = err, true
		send(b)
	}()
	tick := time.NewTicker(onlineIdle)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case now := <-tick.C:
			wrote := false
			for res, ok := st.Expire(now, logengine.ModeOnline); ok; res, ok = st.Expire(now, logengine.ModeOnline) {
				if err := w.writeParsed(src, res); err != nil {
					return err
				}
				wrote = true
			}
			if wrote {
				if err := w.flush(); err != nil {
					return err
				}
			}
		case b := <-batches:
			start := 0
			for i, end := range b.ends {
				if b.trunc[i] {
					st.MarkTruncated()
				}
				if err := w.writeParsed(src, st.Online(b.data[start:end])); err != nil {
					return err
				}
				start = end
			}
			if b.last {
				if b.err != nil {
					return b.err
				}
				for res, ok := st.Flush(logengine.ModeOnline); ok; res, ok = st.Flush(logengine.ModeOnline) {
					if err := w.writeParsed(src, res); err != nil {
						return err
					}
				}
				return w.flush()
			}
			if err := w.flush(); err != nil {
				return err
			}
			select {
			case free <- b:
			default:
			}
		}
	}
}
