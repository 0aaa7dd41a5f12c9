package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/gopulse/gopulse/logengine"
	"github.com/gopulse/gopulse/logparse/miner"
)

type logsParseFlags struct {
	engineFlags
	online bool
}

func (f *logsParseFlags) register(fs *flag.FlagSet) {
	f.engineFlags.register(fs, "parse every line with `pattern` instead of detecting the format (see 'gopulse help logs inspect')")
	fs.BoolVar(&f.online, "online", false, "one pass, printing each line as it is read (for endless input such as tail -f); a template's text and id may still change as it generalises")
}

func logsParseCommand() *command {
	return &command{
		path:    "logs parse",
		summary: "print one JSON record per log record",
		usage:   "logs parse [--pattern P] [--online] [--field-names gopulse|otel] [--single-line] [FILE…|-]",
		long: `Detects each input's format, parses every record into typed fields and mines
templates, then prints one JSON object per record, in input order:
{"line":N,"format":…,"level":…,"ts":…,"fields":{…},"message":…,"template":…,
"template_id":…,"params":[…]}. A record is a line, or several: a stack trace
(Go, Java, Python, Node.js, Ruby…) or lines indented under a record are joined
to it ("lines":K; the trace's type and message are fields), unless
--single-line. A record a --pattern does not match gives
{"line":N,"error":…,"raw":…}: nothing is dropped. --field-names otel prints
OpenTelemetry's names (client.address, url.path, http.response.status_code…).

Inputs may be gzip-compressed; "-" or no FILE reads stdin. Without --online
the input is read twice (templates are mined first, so every line carries its
template's final text and id). With --online, a template that merges into
another after lines were printed with its id is announced before the next
record: {"template_merge":{"merged_template_id":…,"template_id":…}} (the
lines printed with the first id belong to the second).`,
		examples: `gopulse logs parse app.log
kubectl logs my-pod | gopulse logs parse -
gopulse logs parse --pattern '<ip:client> <method> <int:status>' access.log
gopulse logs parse --field-names otel access.log
tail -f app.log | gopulse logs parse --online`,
		flags: func(fs *flag.FlagSet) { new(logsParseFlags).register(fs) },
		args:  "file",
	}
}

func runLogsParse(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	var f logsParseFlags
	c := logsParseCommand()
	c.flags = f.register
	_, files, err := parseCommandFlags(c, args, stdout, stderr)
	if err != nil {
		return err
	}
	online := &f.online
	an, err := newEngine(f.engineFlags, false, c)
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
	streams := make([]*logengine.Stream, len(ins))
	for i, in := range ins {
		st := an.NewStream()
		streams[i] = st
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
	for i, in := range ins {
		st := streams[i].Again() // the first lines' headers as pass 1 ended up reading them
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
		if err := parseOnlineInput(ctx, an, an.NewStream(), name, src, r, w); err != nil {
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

func parseOnlineInput(ctx context.Context, an *logengine.Engine, st *logengine.Stream, name, src string, r io.Reader, w *jsonWriter) error {
	var merges []miner.Alias
	// writeMerges writes the merges made since the last call and reports
	// whether there were any
	writeMerges := func() (bool, error) {
		merges = an.TakeAliases(merges[:0])
		for _, m := range merges {
			if err := w.writeMerge(src, m); err != nil {
				return false, err
			}
		}
		return len(merges) > 0, nil
	}
	// out writes the merges the record's line brought, then the record
	out := func(res *logengine.Result) error {
		if _, err := writeMerges(); err != nil {
			return err
		}
		return w.writeParsed(src, res)
	}
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
				if err := out(res); err != nil {
					return err
				}
				wrote = true
			}
			// an input idle for the multi-line wait settles its
			// provisional template ids even with no record to write
			if more, err := writeMerges(); err != nil {
				return err
			} else if more {
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
				if err := out(st.Online(b.data[start:end])); err != nil {
					return err
				}
				start = end
			}
			if b.last {
				if b.err != nil {
					return b.err
				}
				for res, ok := st.Flush(logengine.ModeOnline); ok; res, ok = st.Flush(logengine.ModeOnline) {
					if err := out(res); err != nil {
						return err
					}
				}
				if _, err := writeMerges(); err != nil { // Flush settled the provisional ids
					return err
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
