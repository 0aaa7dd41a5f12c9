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
	mode := fs.String("mode", "schema", "parse, schema (parse + schema update), online (parse, mining, schema), mine (parse, mining) or twopass (mine, then match every line again)")
	preload := fs.Bool("preload", false, "read the file into memory before measuring")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of the run to this file")
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
	case "parse", "schema", "online", "mine", "twopass":
	default:
		return fmt.Errorf("unknown mode %q", *mode)
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

// measureLoaded reads path into memory, then runs the engine over its
// lines (twice for twopass) and prints one line of figures.
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
