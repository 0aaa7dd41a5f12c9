package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// A runtime's logger runs as a child process (python3, ruby, java) that
// reads one event per line on its standard input, as tab-separated
// fields with \\, \t and \n escaped:
//
//	sec nsec level logger class file line pid tid thread msg task_id
//
// and answers each with the bytes its logger wrote, framed as their
// length in decimal, a newline, then the bytes.
type procRenderer struct {
	cmd  *exec.Cmd
	in   *bufio.Writer
	inc  io.Closer
	out  *bufio.Reader
	tmp  string
	errb *bytes.Buffer
	// name is the logger name the runtime is given (the event's logger
	// unless set)
	name func(e *Event) string
}

func startProc(tmp string, name string, args ...string) (renderer, error) {
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), "TZ=UTC", "LC_ALL=C.UTF-8", "PYTHONIOENCODING=utf-8")
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	errb := &bytes.Buffer{}
	cmd.Stderr = errb
	if err := cmd.Start(); err != nil {
		if tmp != "" {
			os.RemoveAll(tmp)
		}
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	return &procRenderer{cmd: cmd, in: bufio.NewWriter(in), inc: in, out: bufio.NewReader(out), tmp: tmp, errb: errb}, nil
}

func escapeField(s string) string {
	return strings.NewReplacer("\\", "\\\\", "\t", "\\t", "\n", "\\n").Replace(s)
}

func (p *procRenderer) Render(e *Event) ([]byte, error) {
	name := e.Logger
	if p.name != nil {
		name = p.name(e)
	}
	fields := []string{
		strconv.FormatInt(e.T.Unix(), 10), strconv.Itoa(e.T.Nanosecond()), e.Level, name, e.Class, e.File,
		strconv.Itoa(e.Line), strconv.Itoa(e.PID), strconv.Itoa(e.TID), e.Thread, textMsg(e), taskID(e),
	}
	for i, f := range fields {
		if i > 0 {
			p.in.WriteByte('\t')
		}
		p.in.WriteString(escapeField(f))
	}
	p.in.WriteByte('\n')
	if err := p.in.Flush(); err != nil {
		return nil, p.failed(err)
	}
	head, err := p.out.ReadString('\n')
	if err != nil {
		return nil, p.failed(err)
	}
	n, err := strconv.Atoi(strings.TrimSpace(head))
	if err != nil {
		return nil, p.failed(fmt.Errorf("frame %q: %w", head, err))
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(p.out, b); err != nil {
		return nil, p.failed(err)
	}
	return b, nil
}

func (p *procRenderer) failed(err error) error {
	return fmt.Errorf("%s: %w: %s", filepath.Base(p.cmd.Path), err, strings.TrimSpace(p.errb.String()))
}

func (p *procRenderer) Close() error {
	p.inc.Close()
	err := p.cmd.Wait()
	if p.tmp != "" {
		os.RemoveAll(p.tmp)
	}
	if err != nil {
		return p.failed(err)
	}
	return nil
}

// taskID is a Celery-like task id drawn from the event (stable for a
// given event, so the output stays deterministic).
func taskID(e *Event) string {
	h := uint64(e.T.UnixNano()) ^ uint64(e.Line)*0x9e3779b97f4a7c15
	return fmt.Sprintf("%08x-%04x-%04x-%04x-%012x", uint32(h), uint16(h>>32), 0x4000|uint16(h>>48)&0x0fff, 0x8000|uint16(h>>20)&0x3fff, (h*0xff51afd7ed558ccd)&0xffffffffffff)
}

// pyLogging configures Python's logging module: a Formatter with fmt,
// datefmt and style, the clock in UTC (converter = time.gmtime). Extra
// record attributes (Celery's task_name and task_id) come from the event.
type pyLogging struct {
	Fmt         string `json:"fmt"`
	Datefmt     string `json:"datefmt,omitempty"`
	Style       string `json:"style,omitempty"`
	ProcessName string `json:"process_name,omitempty"`
}

func (c pyLogging) New() (renderer, error) {
	if c.Style == "" {
		c.Style = "%"
	}
	cfg, err := json.Marshal(c)
	if err != nil {
		return nil, err
	}
	python := os.Getenv("LIBRENDER_PYTHON")
	if python == "" {
		python = "python3"
	}
	r, err := startProc("", python, "-c", pyScript, string(cfg))
	if err != nil {
		return nil, err
	}
	// Python loggers are named after modules: app.component
	r.(*procRenderer).name = func(e *Event) string { return e.App + "." + e.Logger }
	return r, nil
}

const pyScript = `
import io, json, logging, sys, time
cfg = json.loads(sys.argv[1])
fmt = logging.Formatter(cfg["fmt"], cfg.get("datefmt"), style=cfg["style"])
fmt.converter = time.gmtime
buf = io.StringIO()
h = logging.StreamHandler(buf)
h.setFormatter(fmt)
levels = {"trace": logging.DEBUG, "debug": logging.DEBUG, "info": logging.INFO, "warn": logging.WARNING,
          "error": logging.ERROR, "fatal": logging.CRITICAL}
def unesc(s):
    out, i = [], 0
    while i < len(s):
        c = s[i]
        if c == "\\" and i + 1 < len(s):
            n = s[i + 1]
            out.append({"t": "\t", "n": "\n"}.get(n, n))
            i += 2
            continue
        out.append(c)
        i += 1
    return "".join(out)
start = None
out = sys.stdout.buffer
for line in sys.stdin:
    f = [unesc(x) for x in line.rstrip("\n").split("\t")]
    sec, nsec, level, name, cls, fname, lineno, pid, tid, thread, msg, task = f
    created = int(sec) + int(nsec) / 1e9
    if start is None:
        start = created - 0.8
    module = fname[:-3] if fname.endswith(".go") else fname
    rec = logging.LogRecord(name, levels[level], "/app/" + name + "/" + fname, int(lineno), msg, None, None, func=None)
    rec.created = created
    rec.msecs = float(int(nsec) // 1000000)
    rec.relativeCreated = (created - start) * 1000
    rec.module = module
    rec.filename = fname
    rec.process = int(pid)
    rec.processName = cfg.get("process_name") or "MainProcess"
    if "%" in rec.processName:
        rec.processName = rec.processName % (1 + int(tid) % 4)
    rec.thread = 139800000000000 + int(tid) * 4096
    rec.threadName = thread
    rec.task_name = name + ".tasks." + module
    rec.task_id = task
    h.handle(rec)
    b = buf.getvalue().encode("utf-8")
    buf.seek(0)
    buf.truncate()
    out.write(str(len(b)).encode() + b"\n" + b)
    out.flush()
`

// rubyLogger configures Ruby's Logger: the default formatter, with an
// optional datetime_format, or the proc formatter of Logger's docs.
type rubyLogger struct {
	DatetimeFormat string `json:"datetime_format,omitempty"`
	ProcFormatter  bool   `json:"proc_formatter,omitempty"`
}

func (c rubyLogger) New() (renderer, error) {
	cfg, err := json.Marshal(c)
	if err != nil {
		return nil, err
	}
	r, err := startProc("", "ruby", "-e", rubyScript, string(cfg))
	if err != nil {
		return nil, err
	}
	// a Ruby program's progname is the program
	r.(*procRenderer).name = func(e *Event) string { return e.App }
	return r, nil
}

// The clock and the pid are injected by redefining Time.now and
// Process.pid, which Logger#add and Logger::Formatter read.
const rubyScript = `
require "json"
require "logger"
require "stringio"
cfg = JSON.parse(ARGV[0])
$now = Time.now
$pid = 1
Time.define_singleton_method(:now) { $now }
Process.define_singleton_method(:pid) { $pid }
io = StringIO.new
logger = Logger.new(io)
logger.level = Logger::DEBUG
logger.datetime_format = cfg["datetime_format"] if cfg["datetime_format"]
if cfg["proc_formatter"]
  logger.formatter = proc do |severity, datetime, progname, msg|
    "#{datetime}: #{msg}\n"
  end
end
levels = {"trace" => Logger::DEBUG, "debug" => Logger::DEBUG, "info" => Logger::INFO, "warn" => Logger::WARN,
          "error" => Logger::ERROR, "fatal" => Logger::FATAL}
def unesc(s)
  s.gsub(/\\(.)/) { {"t" => "\t", "n" => "\n"}.fetch($1, $1) }
end
$stdout.binmode
$stdin.each_line do |line|
  f = line.chomp("\n").split("\t", -1).map { |x| unesc(x) }
  sec, nsec, level, name, _cls, _file, _line, pid, _tid, _thread, msg, _task = f
  $now = Time.at(sec.to_i, nsec.to_i, :nsec)
  $pid = pid.to_i
  logger.progname = name
  logger.add(levels.fetch(level), msg)
  b = io.string.b
  io.truncate(0)
  io.rewind
  $stdout.write("#{b.bytesize}\n")
  $stdout.write(b)
  $stdout.flush
end
`

// julLogger configures java.util.logging: SimpleFormatter with the
// format of the java.util.logging.SimpleFormatter.format property, run
// by the JDK's single-file source launcher.
type julLogger struct {
	Format string
}

func (c julLogger) New() (renderer, error) {
	tmp, err := os.MkdirTemp("", "librender-jul")
	if err != nil {
		return nil, err
	}
	src := filepath.Join(tmp, "Render.java")
	if err := os.WriteFile(src, []byte(julSource), 0o644); err != nil {
		os.RemoveAll(tmp)
		return nil, err
	}
	return startProc(tmp, "java", "-Xshare:auto", "-XX:TieredStopAtLevel=1", "-Duser.timezone=UTC", "-Duser.language=en", "-Duser.country=US",
		"-Djava.util.logging.SimpleFormatter.format="+c.Format, src)
}

const julSource = `
import java.io.*;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.logging.*;

public class Render {
    static String unesc(String s) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 1 < s.length()) {
                char n = s.charAt(++i);
                b.append(n == 't' ? '\t' : n == 'n' ? '\n' : n);
                continue;
            }
            b.append(c);
        }
        return b.toString();
    }

    public static void main(String[] args) throws Exception {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        StreamHandler h = new StreamHandler(buf, new SimpleFormatter());
        h.setLevel(Level.ALL);
        h.setEncoding("UTF-8");
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        OutputStream out = new BufferedOutputStream(System.out);
        String line;
        while ((line = in.readLine()) != null) {
            String[] f = line.split("\t", -1);
            for (int i = 0; i < f.length; i++) f[i] = unesc(f[i]);
            Level lv;
            switch (f[2]) {
                case "trace": lv = Level.FINER; break;
                case "debug": lv = Level.FINE; break;
                case "info": lv = Level.INFO; break;
                case "warn": lv = Level.WARNING; break;
                default: lv = Level.SEVERE;
            }
            LogRecord r = new LogRecord(lv, f[10]);
            r.setInstant(Instant.ofEpochSecond(Long.parseLong(f[0]), Long.parseLong(f[1])));
            r.setLoggerName(f[4]);
            r.setSourceClassName(f[4]);
            String file = f[5];
            String method = file.endsWith(".go") ? file.substring(0, file.length() - 3) : file;
            StringBuilder m = new StringBuilder();
            boolean up = false;
            for (char c : method.toCharArray()) {
                if (c == '_' || c == '-') { up = true; continue; }
                m.append(up ? Character.toUpperCase(c) : c);
                up = false;
            }
            r.setSourceMethodName(m.toString());
            h.publish(r);
            h.flush();
            byte[] b = buf.toByteArray();
            buf.reset();
            out.write((b.length + "\n").getBytes(StandardCharsets.US_ASCII));
            out.write(b);
            out.flush();
        }
    }
}
`
