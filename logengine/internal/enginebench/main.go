// Command enginebench measures the shared log engine on a whole file, per
// CPU-second: parse only (parse), parse + schema update (schema), the
// agent's online path (online: parse, refine, template mining, schema
// update), parse + template mining (mine), or the two passes of `gopulse
// logs parse` without its JSON output (twopass). scripts/bench-logs-schema.sh
// runs it beside the OTel Collector's filelog receiver, scripts/bench-drain.sh
// beside Loki's Drain. With -preload the file is read into memory before the
// clock starts (as the Drain peer does).
//
//	enginebench [-mode parse|schema|online|mine|twopass] [-preload] FILE
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"time"

	"github.com/gopulse/gopulse/logengine"
	"github.com/gopulse/gopulse/logparse"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "enginebench:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("enginebench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	mode := fs.String("mode", "schema", "parse, schema (parse + schema update), online (parse, mining, schema), mine (parse, mining), twopass (mine, then match every line again) or minemsg (the miner alone on messages parsed beforehand)")
	preload := fs.Bool("preload", false, "read the file into memory before measuring")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of the run to this file")
	messages := fs.String("messages", "", "minemsg: also write the messages mined, one per line, to this file (for the Drain peer)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			return fmt.Errorf("cpu profile: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("cpu profile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	if fs.NArg() != 1 {
		return errors.New("usage: enginebench [-mode parse|schema|online] FILE")
	}
	switch *mode {
	case "parse", "schema", "online", "mine", "twopass", "minemsg":
	default:
		return fmt.Errorf("unknown mode %q", *mode)
	}
	if *mode == "minemsg" {
		return measureMessages(fs.Arg(0), *messages, stdout)
	}
	if *preload || *mode == "twopass" {
		return measureLoaded(fs.Arg(0), *mode, stdout)
	}
	return measure(fs.Arg(0), *mode, stdout)
}

// measure reads path through the engine and prints one line of figures.
func measure(path, mode string, out io.Writer) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("open %s: %w", path, err)
	}
	defer f.Close()
	rd, err := logparse.Decompress(f)
	if err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	cpu0 := cpuTime()
	wall0 := time.Now()
	eng, err := logengine.New(logengine.Config{Schema: mode != "parse", MaxTemplates: 1024})
	if err != nil {
		return err
	}
	st := eng.NewStream()
	lr := logparse.NewLineReader(rd, 0)
	var lines, nbytes, failed, fields int64
	for {
		line, _, err := lr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("read %s: %w", path, err)
		}
		lines++
		nbytes += int64(len(line)) + 1
		var r *logengine.Result
		switch mode {
		case "parse":
			r = st.Parse(line)
		case "schema":
			r = st.Infer(line)
		default:
			r = st.Online(line)
		}
		if r.Failed() {
			failed++
		}
		fields += int64(len(r.Rec.Fields))
	}
	cpu := cpuTime() - cpu0
	wall := time.Since(wall0)
	if cpu <= 0 {
		return errors.New("cpu time not available on this system")
	}
	sc := st.Schema()
	fmt.Fprintf(out, "file=%s format=%s mode=%s lines=%d failed=%d fields=%d schema_fields=%d templates=%d bytes=%d cpu_s=%.3f wall_s=%.3f mb_per_cpu_s=%.1f\n",
		path, st.Format(), mode, lines, failed, fields, len(sc.Fields), eng.Templates(), nbytes, cpu.Seconds(), wall.Seconds(), float64(nbytes)/1e6/cpu.Seconds())
	return nil
}

// readLines reads the lines of path into memory.
func readLines(path string) ([][]byte, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, fmt.Errorf("open %s: %w", path, err)
	}
	defer f.Close()
	rd, err := logparse.Decompress(f)
	if err != nil {
		return nil, 0, fmt.Errorf("read %s: %w", path, err)
	}
	var lines [][]byte
	var nbytes int64
	lr := logparse.NewLineReader(rd, 0)
	for {
		line, _, err := lr.Next()
		if errors.Is(err, io.EOF) {
			return lines, nbytes, nil
		}
		if err != nil {
			return nil, 0, fmt.Errorf("read %s: %w", path, err)
		}
		lines = append(lines, append([]byte(nil), line...))
		nbytes += int64(len(line)) + 1
	}
}

// measureMessages parses every line of path (not measured), keeps each
// record's message and context, then measures a fresh engine's miner
// adding them in order: template mining alone, on the same messages that
// -messages writes for the Drain peer (a multi-line record's line breaks
// as blanks, for both).
func measureMessages(path, out string, w io.Writer) error {
	lines, _, err := readLines(path)
	if err != nil {
		return err
	}
	eng, err := logengine.New(logengine.Config{})
	if err != nil {
		return err
	}
	st := eng.NewStream()
	var msgs [][]byte
	var ctxs []uint64
	var nbytes int64
	keep := func(r *logengine.Result) {
		if r.Err != nil || r.Partial || len(r.Rec.Message) == 0 {
			return
		}
		m := append([]byte(nil), r.Rec.Message...)
		for i, c := range m {
			if c == '\n' || c == '\r' {
				m[i] = ' '
			}
		}
		msgs = append(msgs, m)
		ctxs = append(ctxs, st.Context())
		nbytes += int64(len(m)) + 1
	}
	for _, line := range lines {
		keep(st.Parse(line))
	}
	for {
		r, ok := st.Flush(logengine.ModeParse)
		if !ok {
			break
		}
		keep(r)
	}
	if out != "" {
		if err := writeLines(out, msgs); err != nil {
			return err
		}
	}
	cpu0 := cpuTime()
	wall0 := time.Now()
	eng, err = logengine.New(logengine.Config{MaxTemplates: 1024})
	if err != nil {
		return err
	}
	m := eng.Miner()
	for i, msg := range msgs {
		m.AddIn(msg, ctxs[i])
	}
	cpu := cpuTime() - cpu0
	wall := time.Since(wall0)
	if cpu <= 0 {
		return errors.New("cpu time not available on this system")
	}
	fmt.Fprintf(w, "file=%s mode=minemsg lines=%d messages=%d templates=%d bytes=%d cpu_s=%.3f wall_s=%.3f mb_per_cpu_s=%.1f\n",
		path, len(lines), len(msgs), eng.Templates(), nbytes, cpu.Seconds(), wall.Seconds(), float64(nbytes)/1e6/cpu.Seconds())
	return nil
}

func writeLines(path string, lines [][]byte) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("messages: %w", err)
	}
	bw := bufio.NewWriter(f)
	for _, l := range lines {
		bw.Write(l)
		bw.WriteByte('\n')
	}
	if err := bw.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("messages: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("messages: %w", err)
	}
	return nil
}

// measureLoaded reads path into memory, then runs the engine over its
// lines (twice for twopass) and prints one line of figures. Mode minemsg
// parses every line first and measures the template miner alone on the
// records' messages (what Drain is given when it gets messages, see
// -messages).
func measureLoaded(path, mode string, out io.Writer) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("open %s: %w", path, err)
	}
	defer f.Close()
	rd, err := logparse.Decompress(f)
	if err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	var lines [][]byte
	var nbytes int64
	lr := logparse.NewLineReader(rd, 0)
	for {
		line, _, err := lr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("read %s: %w", path, err)
		}
		lines = append(lines, append([]byte(nil), line...))
		nbytes += int64(len(line)) + 1
	}
	cpu0 := cpuTime()
	wall0 := time.Now()
	eng, err := logengine.New(logengine.Config{Schema: mode == "schema" || mode == "online", MaxTemplates: 1024})
	if mode == "twopass" {
		eng, err = logengine.New(logengine.Config{MaxTemplates: 1 << 16, Params: true})
	}
	if err != nil {
		return err
	}
	st := eng.NewStream()
	var failed, fields int64
	count := func(r *logengine.Result) {
		if r.Failed() {
			failed++
		}
		fields += int64(len(r.Rec.Fields))
	}
	for _, line := range lines {
		switch mode {
		case "parse":
			count(st.Parse(line))
		case "schema":
			count(st.Infer(line))
		case "mine", "twopass":
			count(st.Learn(line))
		default:
			count(st.Online(line))
		}
	}
	if mode == "twopass" {
		eng.EndLearning()
		st = st.Again()
		for _, line := range lines {
			st.Analyze(line)
		}
	}
	cpu := cpuTime() - cpu0
	wall := time.Since(wall0)
	if cpu <= 0 {
		return errors.New("cpu time not available on this system")
	}
	fmt.Fprintf(out, "file=%s format=%s mode=%s lines=%d failed=%d fields=%d templates=%d bytes=%d cpu_s=%.3f wall_s=%.3f mb_per_cpu_s=%.1f\n",
		path, st.Format(), mode, len(lines), failed, fields, eng.Templates(), nbytes, cpu.Seconds(), wall.Seconds(), float64(nbytes)/1e6/cpu.Seconds())
	return nil
}
