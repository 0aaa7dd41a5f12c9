// Command logbench generates deterministic access logs and measures
// gopulse's parse speed in MB per CPU-second, for scripts/bench-logs.sh.
//
//	logbench gen -n 2000000 -format combined > nginx.log
//	logbench gen -n 2000000 -format json > nginx.jsonl
//	logbench parse [-observer schema|none] FILE…
//	logbench detect FILE…   (format counts and the first unparsed lines)
//
// parse reads each file through LineReader and a Stream (detection, the
// format's parser, timestamps) and feeds every record to an Observer: the
// hook where schema inference is plugged in (see observer.go; by default a
// schema.Inferrer, so the figures are parse + schema; -observer none parses only).
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"runtime/pprof"
	"strconv"
	"time"

	"github.com/gopulse/gopulse/logparse"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "logbench:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New("usage: logbench gen|parse …")
	}
	switch args[0] {
	case "gen":
		fs := flag.NewFlagSet("gen", flag.ContinueOnError)
		n := fs.Int("n", 2_000_000, "lines")
		format := fs.String("format", "combined", "combined or json")
		seed := fs.Uint64("seed", 1, "random seed")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		w := bufio.NewWriterSize(stdout, 1<<20)
		if err := generate(w, *n, *format, *seed); err != nil {
			return err
		}
		return w.Flush()
	case "detect":
		for _, f := range args[1:] {
			if err := detectFile(f, stdout); err != nil {
				return err
			}
		}
		return nil
	case "parse":
		fs := flag.NewFlagSet("parse", flag.ContinueOnError)
		prof := fs.String("cpuprofile", "", "write a CPU profile to this file")
		observer := fs.String("observer", "schema", "what to do with each record: schema (parse + schema inference) or none (parse only)")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		if *prof != "" {
			pf, err := os.Create(*prof)
			if err != nil {
				return fmt.Errorf("create profile: %w", err)
			}
			defer pf.Close()
			if err := pprof.StartCPUProfile(pf); err != nil {
				return fmt.Errorf("start profile: %w", err)
			}
			defer pprof.StopCPUProfile()
		}
		for _, f := range fs.Args() {
			if err := parseFile(f, *observer, stdout); err != nil {
				return err
			}
		}
		return nil
	}
	return fmt.Errorf("unknown command %q", args[0])
}

var (
	methods   = []string{"GET", "GET", "GET", "GET", "POST", "POST", "PUT", "DELETE", "HEAD", "PATCH"}
	paths     = []string{"/", "/index.html", "/api/v1/users/", "/api/v1/orders/", "/static/js/app.", "/static/css/site.", "/search?q=", "/login", "/logout", "/health", "/metrics", "/images/product-", "/cart/items/", "/checkout?step=", "/favicon.ico"}
	protocols = []string{"HTTP/1.1", "HTTP/1.1", "HTTP/1.1", "HTTP/2.0", "HTTP/1.0"}
	statuses  = []int{200, 200, 200, 200, 200, 200, 304, 301, 302, 404, 404, 403, 500, 502, 503, 201, 204}
	referers  = []string{"-", "-", "-", "https://www.example.com/", "https://www.example.com/search?q=shoes", "https://shop.example.org/cart", "http://localhost:8080/"}
	agents    = []string{
		"Mozilla/5.0 (X11; Linux x86_64; rv:123.0) Gecko/20100101 Firefox/123.0",
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36",
		"Mozilla/5.0 (iPhone; CPU iPhone OS 17_3 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.3 Mobile/15E148 Safari/604.1",
		"curl/8.5.0", "Go-http-client/1.1", "kube-probe/1.29", "Prometheus/2.49.1", "-",
	}
	months = []string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}
)

// generate writes n deterministic nginx "combined" lines, or the same
// records as JSON lines.
func generate(w *bufio.Writer, n int, format string, seed uint64) error {
	if format != "combined" && format != "json" {
		return fmt.Errorf("unknown format %q", format)
	}
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	t := time.Date(2024, 3, 5, 0, 0, 0, 0, time.UTC)
	var b []byte
	for i := 0; i < n; i++ {
		t = t.Add(time.Duration(rng.IntN(50)) * time.Millisecond)
		b = b[:0]
		var ip []byte
		if rng.IntN(20) == 0 {
			ip = fmt.Appendf(nil, "2001:db8:%x::%x", rng.IntN(0xffff), rng.IntN(0xffff))
		} else {
			ip = fmt.Appendf(nil, "%d.%d.%d.%d", 10+rng.IntN(200), rng.IntN(256), rng.IntN(256), 1+rng.IntN(254))
		}
		user := "-"
		if rng.IntN(10) == 0 {
			user = "user" + strconv.Itoa(rng.IntN(500))
		}
		ts := fmt.Sprintf("%02d/%s/%d:%02d:%02d:%02d +0000", t.Day(), months[t.Month()-1], t.Year(), t.Hour(), t.Minute(), t.Second())
		path := paths[rng.IntN(len(paths))]
		if path[len(path)-1] == '/' || path[len(path)-1] == '=' || path[len(path)-1] == '-' || path[len(path)-1] == '.' {
			path += strconv.Itoa(rng.IntN(100000))
		}
		method, proto := methods[rng.IntN(len(methods))], protocols[rng.IntN(len(protocols))]
		status := statuses[rng.IntN(len(statuses))]
		size := rng.IntN(60000)
		ref, ua := referers[rng.IntN(len(referers))], agents[rng.IntN(len(agents))]
		if format == "combined" {
			b = fmt.Appendf(b, "%s - %s [%s] \"%s %s %s\" %d %d \"%s\" \"%s\"\n", ip, user, ts, method, path, proto, status, size, ref, ua)
		} else {
			b = fmt.Appendf(b, `{"remote_addr":%q,"remote_user":%q,"time_local":%q,"method":%q,"path":%q,"protocol":%q,"status":%d,"body_bytes_sent":%d,"http_referer":%q,"http_user_agent":%q}`+"\n",
				ip, user, ts, method, path, proto, status, size, ref, ua)
		}
		if _, err := w.Write(b); err != nil {
			return fmt.Errorf("write: %w", err)
		}
	}
	return nil
}

// parseFile parses a file and prints lines, bytes, CPU seconds and MB per
// CPU-second as one line of text.
func parseFile(path, observer string, out io.Writer) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("open %s: %w", path, err)
	}
	defer f.Close()
	rd, err := logparse.Decompress(f)
	if err != nil {
		return err
	}
	obs, err := newObserver(observer)
	if err != nil {
		return err
	}
	cpu0 := cpuTime()
	wall0 := time.Now()
	lr := logparse.NewLineReader(rd, 0)
	s := logparse.NewStream(logparse.StreamOptions{})
	var r logparse.Record
	var lines, nbytes, failed int64
	for {
		line, trunc, err := lr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		lines++
		nbytes += int64(len(line)) + 1
		perr := s.Parse(line, &r)
		if errors.Is(perr, logparse.ErrPartial) {
			continue
		}
		r.Truncated = r.Truncated || trunc
		if perr != nil {
			failed++
		}
		obs.Observe(&r)
	}
	cpu := cpuTime() - cpu0
	wall := time.Since(wall0)
	if cpu <= 0 {
		return errors.New("cpu time not available on this system")
	}
	fmt.Fprintf(out, "file=%s format=%s observer=%s lines=%d failed=%d bytes=%d cpu_s=%.3f wall_s=%.3f mb_per_cpu_s=%.1f\n",
		path, s.Format(), obs.Name(), lines, failed, nbytes, cpu.Seconds(), wall.Seconds(), float64(nbytes)/1e6/cpu.Seconds())
	return nil
}

// detectFile prints the stream format, the per-format line counts and the
// first few lines that no format parsed.
func detectFile(path string, out io.Writer) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("open %s: %w", path, err)
	}
	defer f.Close()
	lr := logparse.NewLineReader(f, 0)
	s := logparse.NewStream(logparse.StreamOptions{})
	var r logparse.Record
	shown := 0
	for {
		line, _, err := lr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		if perr := s.Parse(line, &r); perr != nil && !errors.Is(perr, logparse.ErrPartial) && shown < 3 {
			fmt.Fprintf(out, "  unparsed %d: %.160q\n", lr.Line(), line)
			shown++
		}
	}
	fmt.Fprintf(out, "%s: format=%s wrapper=%s counts=%v\n", path, s.Format(), s.Wrapper(), s.Formats())
	return nil
}
