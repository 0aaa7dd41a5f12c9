// Command enginebench measures the shared log engine on a whole file, per
// CPU-second: parse only, parse + schema update, or the agent's online path
// (parse, refine, template mining, schema update). scripts/bench-logs-schema.sh
// runs it beside the OTel Collector's filelog receiver.
//
//	enginebench [-mode parse|schema|online] FILE
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
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
	mode := fs.String("mode", "schema", "parse, schema (parse + schema update) or online (parse, mining, schema)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("usage: enginebench [-mode parse|schema|online] FILE")
	}
	switch *mode {
	case "parse", "schema", "online":
	default:
		return fmt.Errorf("unknown mode %q", *mode)
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
