package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/gopulse/gopulse/logengine"
	"github.com/gopulse/gopulse/schema"
)

// inspectResult is what `logs inspect` found in one input.
type inspectResult struct {
	Source    string         `json:"source"`
	Lines     uint64         `json:"lines"`
	Errors    uint64         `json:"errors"`
	Truncated uint64         `json:"truncated"`
	Format    string         `json:"format"`
	Formats   map[string]int `json:"formats"`
	Wrapper   string         `json:"wrapper,omitempty"`
	Schema    schemaJSON     `json:"schema"`
	Drift     []driftJSON    `json:"drift"`
	DriftMore int            `json:"drift_not_shown,omitempty"` // events beyond maxDrift

	shape *recordShape // what logs parse prints for this input (jsonschema)
}

// maxDrift bounds the drift events kept per input.
const maxDrift = 1000

type schemaJSON struct {
	ID     string      `json:"id"`
	Fields []fieldJSON `json:"fields"`
}

type fieldJSON struct {
	Name        string   `json:"name"`
	Type        string   `json:"type"`
	Layout      string   `json:"layout,omitempty"`
	Confidence  float64  `json:"confidence"`
	NullRate    float64  `json:"null_rate"`
	Cardinality uint64   `json:"cardinality"`
	Examples    []string `json:"examples"`
	Values      []string `json:"values,omitempty"`
}

type driftJSON struct {
	Record uint64 `json:"record"`
	Kind   string `json:"kind"`
	Field  string `json:"field"`
	From   string `json:"from,omitempty"`
	To     string `json:"to,omitempty"`
	OldID  string `json:"old_schema_id"`
	NewID  string `json:"new_schema_id"`
}

type templateJSON struct {
	ID     string   `json:"id"`
	Count  uint64   `json:"count"`
	Text   string   `json:"template"`
	Params []string `json:"params"`
}

type inspectReport struct {
	Inputs    []inspectResult `json:"inputs"`
	Templates []templateJSON  `json:"templates"`
	TemplateN int             `json:"template_count"`
}

type logsInspectFlags struct {
	engineFlags
	output string
	top    int
}

func (f *logsInspectFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.output, "output", "table", "output `format`: table, json or jsonschema")
	fs.IntVar(&f.top, "top", 10, "number of templates to show")
	f.engineFlags.register(fs, "parse every line with `pattern` instead of detecting the format")
}

func logsInspectCommand() *command {
	return &command{
		path:    "logs inspect",
		summary: "detect the format, schema, templates and drift of log files",
		usage:   "logs inspect [--output table|json|jsonschema] [--top N] [--pattern P] [--field-names gopulse|otel] [--single-line] [FILE…|-]",
		long: `Prints, per input, the detected format (and the per-line mix), the inferred
schema (field, type, confidence, null rate, cardinality, examples) and schema
drift, then the top templates with their counts. Inputs may be
gzip-compressed; "-" or no FILE reads stdin.

A pattern names captures in angle brackets: <name>, <type:name> or <_>
(matched, not kept); types are int float ip ts duration quoted word level
rest kv, e.g. '<ip:client> - <_> [<ts:time>] "<method> <path> <_>" <int:status>'.`,
		examples: `gopulse logs inspect app.log
gopulse logs inspect --output json a.log b.log.gz
gopulse logs inspect --output jsonschema app.log > app.schema.json
gopulse logs inspect --pattern '<ip:client> <method> <int:status>' access.log`,
		flags: func(fs *flag.FlagSet) { new(logsInspectFlags).register(fs) },
		args:  "file",
	}
}

func runLogsInspect(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	var f logsInspectFlags
	c := logsInspectCommand()
	c.flags = f.register
	_, files, err := parseCommandFlags(c, args, stdout, stderr)
	if err != nil {
		return err
	}
	output, top := &f.output, &f.top
	switch *output {
	case "table", "json", "jsonschema":
	default:
		return usageErr(c, "unknown --output %q (want table, json or jsonschema)", *output)
	}
	an, err := newEngine(f.engineFlags, true, c)
	if err != nil {
		return err
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
	bar := newProgress(stderr, total)
	var rep inspectReport
	var base int64
	for _, in := range ins {
		st := an.NewStream()
		res := inspectResult{Source: in.name, shape: newRecordShape()}
		drift := func(ch []schema.Change) {
			for _, c := range ch {
				if len(res.Drift) >= maxDrift {
					res.DriftMore++
					continue
				}
				d := driftJSON{Record: c.Record, Kind: c.Kind.String(), Field: c.Field, OldID: c.OldID, NewID: c.NewID}
				if c.Kind != schema.FieldAdded {
					d.From = c.From.String()
				}
				if c.Kind != schema.FieldRemoved {
					d.To = c.To.String()
				}
				res.Drift = append(res.Drift, d)
			}
		}
		err := readLines(ctx, in, func(line []byte, n uint64, truncated bool) error {
			res.Lines = n
			if truncated {
				res.Truncated++
				st.MarkTruncated()
			}
			if r := st.Learn(line); r.Err != nil {
				res.Errors++
			} else {
				drift(r.Changes)
				if !r.Partial {
					res.shape.observe(&r.Rec)
				}
			}
			return nil
		}, func(done int64) { bar.update(base + done) })
		if err != nil {
			bar.done()
			return err
		}
		for r, ok := st.Flush(logengine.ModeLearn); ok; r, ok = st.Flush(logengine.ModeLearn) {
			if r.Err != nil {
				res.Errors++
			} else {
				drift(r.Changes)
				res.shape.observe(&r.Rec)
			}
		}
		base += in.size
		drift(st.FlushSchema())
		res.Format = st.Format()
		res.Formats = make(map[string]int)
		for k, v := range st.Formats() {
			res.Formats[k] = v
		}
		if res.Format == "" {
			res.Format = topFormat(res.Formats)
		}
		if res.Format == "" {
			res.Format = "none"
		}
		res.Wrapper = st.Wrapper()
		sc := st.Schema()
		res.Schema.ID = sc.ID
		for _, f := range sc.Fields {
			res.Schema.Fields = append(res.Schema.Fields, fieldJSON{
				Name: f.Name, Type: f.Type.String(), Layout: f.Layout,
				Confidence: round3(f.Confidence), NullRate: round3(f.NullRate),
				Cardinality: f.Cardinality, Examples: nonNil(f.Examples), Values: f.Values,
			})
		}
		if res.Drift == nil {
			res.Drift = []driftJSON{}
		}
		rep.Inputs = append(rep.Inputs, res)
	}
	bar.done()
	an.EndLearning()
	tmpls := an.Miner().Templates()
	rep.TemplateN = len(tmpls)
	rep.Templates = []templateJSON{}
	for i, t := range tmpls {
		if i >= *top {
			break
		}
		tj := templateJSON{ID: fmt.Sprintf("%016x", t.ID), Count: t.Count, Text: t.Text, Params: []string{}}
		for _, p := range t.Params {
			tj.Params = append(tj.Params, p.String())
		}
		rep.Templates = append(rep.Templates, tj)
	}

	switch *output {
	case "json":
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	case "jsonschema":
		return writeJSONSchema(stdout, rep.Inputs)
	}
	return writeInspectTable(stdout, &rep)
}

func round3(f float64) float64 { return float64(int64(f*1000+0.5)) / 1000 }

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func topFormat(m map[string]int) string {
	best, n := "", 0
	for k, v := range m {
		if k != "empty" && (v > n || v == n && k < best) {
			best, n = k, v
		}
	}
	return best
}

func writeInspectTable(w io.Writer, rep *inspectReport) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, in := range rep.Inputs {
		fmt.Fprintf(tw, "== %s: %d lines, format %s%s\n", in.Source, in.Lines, in.Format, wrapperNote(in.Wrapper))
		if len(in.Formats) > 1 {
			keys := make([]string, 0, len(in.Formats))
			for k := range in.Formats {
				keys = append(keys, k)
			}
			sort.Slice(keys, func(i, j int) bool {
				return in.Formats[keys[i]] > in.Formats[keys[j]] || in.Formats[keys[i]] == in.Formats[keys[j]] && keys[i] < keys[j]
			})
			var parts []string
			for _, k := range keys {
				parts = append(parts, fmt.Sprintf("%s %d", k, in.Formats[k]))
			}
			fmt.Fprintf(tw, "formats: %s\n", strings.Join(parts, ", "))
		}
		if in.Errors > 0 || in.Truncated > 0 {
			fmt.Fprintf(tw, "errors: %d, truncated: %d\n", in.Errors, in.Truncated)
		}
		fmt.Fprintf(tw, "\nschema %s\n", in.Schema.ID)
		fmt.Fprintln(tw, "FIELD\tTYPE\tCONF\tNULL%\tCARD\tEXAMPLES")
		for _, f := range in.Schema.Fields {
			typ := f.Type
			if f.Layout != "" {
				typ += "(" + f.Layout + ")"
			}
			fmt.Fprintf(tw, "%s\t%s\t%.2f\t%.1f\t%d\t%s\n", f.Name, typ, f.Confidence, 100*f.NullRate, f.Cardinality, examples(f.Examples))
		}
		fmt.Fprintln(tw)
		if len(in.Drift) == 0 {
			fmt.Fprintln(tw, "drift: none")
		} else {
			fmt.Fprintln(tw, "drift:")
			fmt.Fprintln(tw, "RECORD\tCHANGE\tFIELD\tFROM\tTO")
			for i, d := range in.Drift {
				if i == tableDrift {
					fmt.Fprintf(tw, "… %d more (--output json lists %d)\n", len(in.Drift)-tableDrift+in.DriftMore, len(in.Drift))
					break
				}
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", d.Record, d.Kind, d.Field, dash(d.From), dash(d.To))
			}
		}
		fmt.Fprintln(tw)
	}
	fmt.Fprintf(tw, "templates: %d (top %d)\n", rep.TemplateN, len(rep.Templates))
	if len(rep.Templates) > 0 {
		fmt.Fprintln(tw, "COUNT\tID\tTEMPLATE")
		for _, t := range rep.Templates {
			fmt.Fprintf(tw, "%d\t%s\t%s\n", t.Count, t.ID, clip(t.Text, 160))
		}
	}
	return tw.Flush()
}

// tableDrift is how many drift events the table shows.
const tableDrift = 20

func wrapperNote(w string) string {
	if w == "" {
		return ""
	}
	return " (in " + w + " wrapper)"
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func clip(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xc0 == 0x80 {
		n--
	}
	return s[:n] + "…"
}

func examples(ex []string) string {
	parts := make([]string, len(ex))
	for i, e := range ex {
		parts[i] = fmt.Sprintf("%q", clip(e, 40))
	}
	return strings.Join(parts, " ")
}

// progress draws a bar on stderr when it is a terminal and the input is
// big enough to wait for.
type progress struct {
	w     io.Writer
	total int64
	on    bool
	start time.Time
	last  time.Time
}

const progressMin = 32 << 20

func newProgress(w io.Writer, total int64) *progress {
	p := &progress{w: w, total: total, start: time.Now()}
	if f, ok := w.(*os.File); ok && total >= progressMin {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			p.on = true
		}
	}
	return p
}

func (p *progress) update(done int64) {
	if !p.on || p.total <= 0 {
		return
	}
	now := time.Now()
	if now.Sub(p.last) < 100*time.Millisecond {
		return
	}
	p.last = now
	frac := float64(done) / float64(p.total)
	if frac > 1 {
		frac = 1
	}
	const width = 30
	n := int(frac * width)
	rate := float64(done) / now.Sub(p.start).Seconds() / (1 << 20)
	fmt.Fprintf(p.w, "\r[%s%s] %3.0f%% %.0f MB/s ", strings.Repeat("#", n), strings.Repeat(" ", width-n), 100*frac, rate)
}

func (p *progress) done() {
	if p.on && !p.last.IsZero() {
		fmt.Fprintf(p.w, "\r%s\r", strings.Repeat(" ", 60))
	}
}
