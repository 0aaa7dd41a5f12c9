package main

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
)

// Documented header classes: the default (or documented) line layouts of
// widely deployed servers and logging libraries, written as their own
// documentation shows them, each with its source. None of them comes from
// a corpus set: they test the header model on layouts written down by
// the software's authors, not by us. addDocClasses gives one to about one
// layout in four, drawing from a stream of its own (seed, 0xd0c5), so a
// layout it leaves alone is the one its seed composed before; and, from
// the same stream, wraps about one layout in twelve (documented or not)
// in the CRI container runtime's line prefix.
//
// Covered elsewhere already (shapes.go renders them in build's sets, or
// the LogHub sets hold them): Python logging's basicConfig and its common
// "asctime - name - levelname - message" layout, log4j and logback
// defaults, Kafka, Cassandra, Elasticsearch, ZooKeeper (LogHub), hclog,
// klog, zap, logrus, PostgreSQL's default log_line_prefix, MySQL 8,
// Redis, logcat and rsyslog.

// docLevels are a class's level words for trace, debug, info, warn,
// error and fatal, and the level each word means (a class without a
// trace or fatal level writes its nearest one).
type docLevels struct {
	words  [6]string
	truths [6]string
}

func levelIdx(l string) int {
	switch synthLevel(l) {
	case "trace":
		return 0
	case "debug":
		return 1
	case "info":
		return 2
	case "warn":
		return 3
	case "error":
		return 4
	}
	return 5
}

func (d *docLevels) word(e *event) string  { return d.words[levelIdx(e.Level)] }
func (d *docLevels) truth(e *event) string { return d.truths[levelIdx(e.Level)] }

var (
	truthsNoTrace = [6]string{"debug", "debug", "info", "warn", "error", "fatal"}
	truthsNoFatal = [6]string{"trace", "debug", "info", "warn", "error", "error"}
	truthsAll     = [6]string{"trace", "debug", "info", "warn", "error", "fatal"}
)

// docClass is one documented layout.
type docClass struct {
	name string
	// build sets l's fields (the ground truth), its renderer and its
	// level truth.
	build func(rng *rand.Rand, l *synthLayout)
}

// docTS is a ground-truth timestamp field of a documented class: the
// instant at prec, written with layout (in UTC unless zone).
func docTS(name, layout string, prec time.Duration, full, clock bool) synthField {
	return synthField{kind: "ts", prim: name, ts: tsSpell{name: name, layout: layout, full: full, clock: clock, prec: prec}}
}

func docField(name string, v func(e *event) string) synthField {
	return synthField{kind: name, prim: name, fp: fieldPrim{name: name, value: v}}
}

func docLevelField(_ *docLevels) synthField {
	return synthField{kind: "level", prim: "level", level: func(string) string { return "" }}
}

// fmtTS renders e's time in f's spelling.
func fmtTS(f synthField, e *event) string {
	if f.ts.epoch != 0 {
		return f.ts.render(e.T)
	}
	t := e.T.Truncate(f.ts.prec)
	if f.ts.zone {
		t = t.In(synthZone)
	} else {
		t = t.UTC()
	}
	s := t.Format(f.ts.layout)
	if i := strings.Index(f.ts.layout, "15"); f.ts.spaceHour && i >= 0 && s[i] == '0' {
		s = s[:i] + " " + s[i+1:]
	}
	return s
}

func stmtHash(e *event) uint32 { return fnv32(fmt.Sprint(e.File, e.Line)) }

func rustTarget(e *event) string {
	return strings.ReplaceAll(e.App, "-", "_") + "::" + strings.ReplaceAll(e.Comp, "-", "_")
}

func dotnetCategory(e *event) string {
	parts := strings.Split(strings.TrimPrefix(e.Class, "io."), ".")
	for i, p := range parts {
		if p != "" {
			parts[i] = strings.ToUpper(p[:1]) + p[1:]
		}
	}
	return strings.Join(parts, ".")
}

// dotnetEventID: most calls log event id 0, some a statement's own id.
func dotnetEventID(e *event) string {
	if h := stmtHash(e); h%3 != 0 {
		return strconv.Itoa(int(1000 + h%400))
	}
	return "0"
}

func docPick(e *event, words ...string) string { return words[fnv32(e.Comp)%uint32(len(words))] }

var docClasses = []docClass{
	// Ruby's Logger::Formatter: Format "%.1s, [%s #%d] %5s -- %s: %s",
	// datetime "%Y-%m-%dT%H:%M:%S.%6N"; progname empty in Rails.
	// https://ruby-doc.org/stdlib-2.4.1/libdoc/logger/rdoc/Logger/Formatter.html
	// https://rubydoc.info/github/ruby/ruby/Logger/Formatter
	{"doc-ruby-logger", func(rng *rand.Rand, l *synthLayout) {
		lv := &docLevels{[6]string{"DEBUG", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"}, truthsNoTrace}
		ts := docTS("doc-ruby-logger", "2006-01-02T15:04:05.000000", time.Microsecond, true, false)
		prog := rng.IntN(2) == 0
		l.fields = []synthField{ts, docLevelField(lv), docField("pid", func(e *event) string { return strconv.Itoa(e.PID) })}
		if prog {
			l.fields = append(l.fields, docField("progname", func(e *event) string { return e.App }))
		}
		l.levelTruth = lv.truth
		l.render = func(e *event) string {
			p := ""
			if prog {
				p = e.App
			}
			w := lv.word(e)
			return fmt.Sprintf("%s, [%s #%d] %5s -- %s:", w[:1], fmtTS(ts, e), e.PID, w, p)
		}
	}},
	// Spring Boot's default console pattern (logback): "%d  %5p %pid ---
	// [%app] [%15.15t] %-40.40logger{39} : %m"; Boot 3.x an ISO time with
	// offset and the application's name, 2.x "yyyy-MM-dd HH:mm:ss.SSS"
	// and no name. https://docs.spring.io/spring-boot/reference/features/logging.html
	// https://docs.spring.io/spring-boot/docs/2.1.9.RELEASE/reference/html/boot-features-logging.html
	{"doc-spring-boot", func(rng *rand.Rand, l *synthLayout) {
		lv := &docLevels{[6]string{"TRACE", "DEBUG", "INFO", "WARN", "ERROR", "ERROR"}, truthsNoFatal}
		boot3 := rng.IntN(2) == 0
		ts := docTS("doc-spring-boot", "2006-01-02 15:04:05.000", time.Millisecond, true, false)
		if boot3 {
			ts = docTS("doc-spring-boot", "2006-01-02T15:04:05.000Z07:00", time.Millisecond, true, false)
		}
		thread := func(e *event) string {
			t := e.Thread
			if len(t) > 15 {
				t = t[len(t)-15:]
			}
			return t
		}
		l.fields = []synthField{ts, docLevelField(lv), docField("pid", func(e *event) string { return strconv.Itoa(e.PID) }),
			docField("thread", thread), docField("logger", func(e *event) string { return abbrev(e.Class) })}
		if boot3 {
			l.fields = append(l.fields, docField("app", func(e *event) string { return e.App }))
		}
		l.levelTruth = lv.truth
		l.render = func(e *event) string {
			app := ""
			if boot3 {
				app = "[" + e.App + "] "
			}
			return fmt.Sprintf("%s %5s %d --- %s[%15s] %-40s :", fmtTS(ts, e), lv.word(e), e.PID, app, thread(e), abbrev(e.Class))
		}
	}},
	// PHP Monolog's LineFormatter: SIMPLE_FORMAT "[%datetime%]
	// %channel%.%level_name%: %message% %context% %extra%", the date
	// "Y-m-d\TH:i:s.uP"; an empty context or extra is written "[]".
	// https://github.com/Seldaek/monolog/blob/main/src/Monolog/Formatter/LineFormatter.php
	// https://github.com/Seldaek/monolog/blob/main/doc/01-usage.md
	{"doc-monolog", func(rng *rand.Rand, l *synthLayout) {
		lv := &docLevels{[6]string{"DEBUG", "DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}, truthsNoTrace}
		ts := docTS("doc-monolog", "2006-01-02T15:04:05.000000-07:00", time.Microsecond, true, false)
		l.fields = []synthField{ts, docLevelField(lv), docField("channel", func(e *event) string { return e.Comp })}
		l.levelTruth = lv.truth
		l.render = func(e *event) string { return fmt.Sprintf("[%s] %s.%s:", fmtTS(ts, e), e.Comp, lv.word(e)) }
		l.trailer = func(e *event) string {
			if len(e.KVs) == 0 {
				return " [] []"
			}
			m := map[string]any{}
			for _, p := range e.KVs {
				m[p[0]] = jsonValue(p[1])
			}
			b, _ := json.Marshal(m)
			return " " + string(b) + " []"
		}
	}},
	// nginx's error_log: "yyyy/MM/dd HH:mm:ss [level] pid#tid: *conn
	// message" (the connection's number on lines about a connection).
	// https://nginx.org/en/docs/ngx_core_module.html#error_log
	// https://l2dy.github.io/notes/Nginx/Nginx-Error-Log
	{"doc-nginx-error", func(rng *rand.Rand, l *synthLayout) {
		lv := &docLevels{[6]string{"debug", "debug", "info", "warn", "error", "crit"}, truthsNoTrace}
		ts := docTS("doc-nginx-error", "2006/01/02 15:04:05", time.Second, true, false)
		conn := func(e *event) string {
			if stmtHash(e)%3 == 0 {
				return ""
			}
			return strconv.Itoa(1 + (e.Seq*37+e.TID)%90000)
		}
		l.fields = []synthField{ts, docLevelField(lv), docField("pid", func(e *event) string { return strconv.Itoa(e.PID) }), docField("connection", conn)}
		l.levelTruth = lv.truth
		l.render = func(e *event) string {
			h := fmt.Sprintf("%s [%s] %d#0:", fmtTS(ts, e), lv.word(e), e.PID)
			if c := conn(e); c != "" {
				h += " *" + c
			}
			return h
		}
	}},
	// Apache httpd 2.4's error log, default ErrorLogFormat: "[%{u}t]
	// [%-m:%l] [pid %P:tid %T] [client %a] %M" (the client on lines about
	// a request). https://httpd.apache.org/docs/2.4/mod/core.html#errorlogformat
	// https://httpd.apache.org/docs/2.4/logs.html
	{"doc-apache-error", func(rng *rand.Rand, l *synthLayout) {
		lv := &docLevels{[6]string{"debug", "debug", "info", "warn", "error", "crit"}, truthsNoTrace}
		ts := docTS("doc-apache-error", "Mon Jan 02 15:04:05.000000 2006", time.Microsecond, true, false)
		mod := func(e *event) string {
			return docPick(e, "core", "ssl", "proxy", "mpm_event", "authz_core", "proxy_fcgi")
		}
		client := func(e *event) string {
			if stmtHash(e)%2 == 0 {
				return ""
			}
			return fmt.Sprintf("10.%d.%d.%d:%d", e.TID, e.Seq%250, 1+e.Seq*7%250, 30000+e.Seq*13%30000)
		}
		tid := func(e *event) string { return strconv.Itoa(139900000000000 + e.TID*4096) }
		l.fields = []synthField{ts, docLevelField(lv), docField("module", mod), docField("pid", func(e *event) string { return strconv.Itoa(e.PID) }),
			docField("tid", tid), docField("client", client)}
		l.levelTruth = lv.truth
		l.render = func(e *event) string {
			h := fmt.Sprintf("[%s] [%s:%s] [pid %d:tid %s]", fmtTS(ts, e), mod(e), lv.word(e), e.PID, tid(e))
			if c := client(e); c != "" {
				h += " [client " + c + "]"
			}
			return h
		}
	}},
	// MongoDB's text log before 4.4: "<timestamp> <severity> <component>
	// [<context>] <message>", iso8601-local time, the component padded.
	// https://www.mongodb.com/docs/v4.0/reference/log-messages/
	{"doc-mongodb-legacy", func(rng *rand.Rand, l *synthLayout) {
		lv := &docLevels{[6]string{"D", "D", "I", "W", "E", "F"}, truthsNoTrace}
		ts := docTS("doc-mongodb-legacy", "2006-01-02T15:04:05.000-0700", time.Millisecond, true, false)
		ts.ts.zone = true
		comp := func(e *event) string {
			return docPick(e, "NETWORK", "COMMAND", "CONTROL", "STORAGE", "REPL", "ACCESS", "QUERY", "INDEX", "SHARDING", "-")
		}
		ctx := func(e *event) string {
			if h := stmtHash(e); h%4 == 0 {
				return []string{"initandlisten", "ftdc", "WTJournalFlusher", "replexec-1"}[h/4%4]
			}
			return "conn" + strconv.Itoa(10+e.TID*3)
		}
		l.fields = []synthField{ts, docLevelField(lv), docField("component", comp), docField("context", ctx)}
		l.levelTruth = lv.truth
		l.render = func(e *event) string {
			return fmt.Sprintf("%s %s %-8s [%s]", fmtTS(ts, e), lv.word(e), comp(e), ctx(e))
		}
	}},
	// Envoy's application log, default --log-format "[%Y-%m-%d
	// %T.%e][%t][%l][%n] [%g:%#] %v" (thread id, level, logger, source
	// file and line). https://www.envoyproxy.io/docs/envoy/latest/operations/cli#cmdoption-log-format
	// https://docs.aws.amazon.com/elasticloadbalancing/latest/elbproxy/monitoring-log-format.html
	{"doc-envoy", func(rng *rand.Rand, l *synthLayout) {
		lv := &docLevels{[6]string{"trace", "debug", "info", "warning", "error", "critical"}, truthsAll}
		ts := docTS("doc-envoy", "2006-01-02 15:04:05.000", time.Millisecond, true, false)
		comp := func(e *event) string {
			return docPick(e, "main", "upstream", "config", "connection", "http", "router", "pool", "misc")
		}
		src := func(e *event) string {
			return fmt.Sprintf("source/common/%s/%s_impl.cc:%d", strings.ReplaceAll(e.Comp, "-", "_"), strings.TrimSuffix(e.File, ".go"), e.Line)
		}
		thr := func(e *event) string { return strconv.Itoa(10 + e.TID) }
		l.fields = []synthField{ts, docLevelField(lv), docField("thread", thr), docField("logger", comp), docField("source", src)}
		l.levelTruth = lv.truth
		l.render = func(e *event) string {
			return fmt.Sprintf("[%s][%s][%s][%s] [%s]", fmtTS(ts, e), thr(e), lv.word(e), comp(e), src(e))
		}
	}},
	// Erlang/OTP's logger_formatter default template [time," ",level,": ",
	// msg,"\n"], the time RFC 3339 with microseconds and an offset.
	// https://www.erlang.org/doc/apps/kernel/logger_formatter.html
	{"doc-erlang-logger", func(rng *rand.Rand, l *synthLayout) {
		lv := &docLevels{[6]string{"debug", "debug", "info", "warning", "error", "critical"}, truthsNoTrace}
		ts := docTS("doc-erlang-logger", "2006-01-02T15:04:05.000000-07:00", time.Microsecond, true, false)
		l.fields = []synthField{ts, docLevelField(lv)}
		l.levelTruth = lv.truth
		l.render = func(e *event) string { return fmt.Sprintf("%s %s:", fmtTS(ts, e), lv.word(e)) }
	}},
	// Rust tracing-subscriber's default Full format: "time LEVEL
	// span{k=v}:span2{k=v}: target: message k=v", the level right-aligned
	// to five. https://docs.rs/tracing-subscriber/latest/tracing_subscriber/fmt/format/struct.Full.html
	// https://docs.rs/tracing-subscriber/latest/tracing_subscriber/fmt/format/struct.Pretty.html
	{"doc-tracing-full", func(rng *rand.Rand, l *synthLayout) {
		lv := &docLevels{[6]string{"TRACE", "DEBUG", "INFO", "WARN", "ERROR", "ERROR"}, truthsNoFatal}
		ts := docTS("doc-tracing-full", "2006-01-02T15:04:05.000000Z", time.Microsecond, true, false)
		span := func(e *event) string {
			if stmtHash(e)%2 == 0 {
				return ""
			}
			return strconv.Itoa(100 + e.Seq*7%9000)
		}
		l.fields = []synthField{ts, docLevelField(lv), docField("target", rustTarget), docField("span", span)}
		l.levelTruth = lv.truth
		l.render = func(e *event) string {
			s := ""
			if v := span(e); v != "" {
				s = "request{id=" + v + "}: "
			}
			return fmt.Sprintf("%s %5s %s%s:", fmtTS(ts, e), lv.word(e), s, rustTarget(e))
		}
	}},
	// Rust env_logger's default format: "[time LEVEL target] message",
	// the level left-aligned to five, the time in seconds.
	// https://docs.rs/env_logger/latest/env_logger/
	{"doc-env-logger", func(rng *rand.Rand, l *synthLayout) {
		lv := &docLevels{[6]string{"TRACE", "DEBUG", "INFO", "WARN", "ERROR", "ERROR"}, truthsNoFatal}
		ts := docTS("doc-env-logger", "2006-01-02T15:04:05Z", time.Second, true, false)
		l.fields = []synthField{ts, docLevelField(lv), docField("target", rustTarget)}
		l.levelTruth = lv.truth
		l.render = func(e *event) string { return fmt.Sprintf("[%s %-5s %s]", fmtTS(ts, e), lv.word(e), rustTarget(e)) }
	}},
	// .NET Microsoft.Extensions.Logging's systemd console formatter:
	// "<severity>Category[EventId] message" on one line, no time.
	// https://learn.microsoft.com/dotnet/core/extensions/console-log-formatter
	{"doc-dotnet-systemd", func(rng *rand.Rand, l *synthLayout) {
		lv := &docLevels{[6]string{"<7>", "<7>", "<6>", "<4>", "<3>", "<2>"}, truthsNoTrace}
		l.fields = []synthField{docLevelField(lv), docField("category", dotnetCategory), docField("event_id", dotnetEventID)}
		l.levelTruth = lv.truth
		l.render = func(e *event) string { return fmt.Sprintf("%s%s[%s]", lv.word(e), dotnetCategory(e), dotnetEventID(e)) }
	}},
	// .NET's simple console formatter with SingleLine (and, on some
	// layouts, the TimestampFormat "HH:mm:ss " of the documentation's
	// example): "[time ]level: Category[EventId] message".
	// https://learn.microsoft.com/dotnet/core/extensions/console-log-formatter
	{"doc-dotnet-simple", func(rng *rand.Rand, l *synthLayout) {
		lv := &docLevels{[6]string{"trce", "dbug", "info", "warn", "fail", "crit"}, truthsAll}
		withTS := rng.IntN(2) == 0
		ts := docTS("doc-dotnet-simple", "15:04:05", time.Second, false, true)
		l.fields = []synthField{docLevelField(lv), docField("category", dotnetCategory), docField("event_id", dotnetEventID)}
		if withTS {
			l.fields = append([]synthField{ts}, l.fields...)
		}
		l.levelTruth = lv.truth
		l.render = func(e *event) string {
			t := ""
			if withTS {
				t = fmtTS(ts, e) + " "
			}
			return fmt.Sprintf("%s%s: %s[%s]", t, lv.word(e), dotnetCategory(e), dotnetEventID(e))
		}
	}},
	// Serilog's console sink, default outputTemplate "[{Timestamp:HH:mm:ss}
	// {Level:u3}] {Message:lj}". https://github.com/serilog/serilog-sinks-console
	// https://github.com/serilog/serilog/wiki/Formatting-Output
	{"doc-serilog-console", func(rng *rand.Rand, l *synthLayout) {
		lv := &docLevels{[6]string{"VRB", "DBG", "INF", "WRN", "ERR", "FTL"}, truthsAll}
		ts := docTS("doc-serilog-console", "15:04:05", time.Second, false, true)
		l.fields = []synthField{ts, docLevelField(lv)}
		l.levelTruth = lv.truth
		l.render = func(e *event) string { return fmt.Sprintf("[%s %s]", fmtTS(ts, e), lv.word(e)) }
	}},
	// gunicorn's error log: "%(asctime)s [%(process)d] [%(levelname)s]
	// %(message)s", datefmt "[%Y-%m-%d %H:%M:%S %z]".
	// https://github.com/benoitc/gunicorn/blob/master/gunicorn/glogging.py
	// https://github.com/benoitc/gunicorn/blob/master/examples/logging.conf
	{"doc-gunicorn", func(rng *rand.Rand, l *synthLayout) {
		lv := &docLevels{[6]string{"DEBUG", "DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}, truthsNoTrace}
		ts := docTS("doc-gunicorn", "2006-01-02 15:04:05 -0700", time.Second, true, false)
		l.fields = []synthField{ts, docLevelField(lv), docField("pid", func(e *event) string { return strconv.Itoa(e.PID) })}
		l.levelTruth = lv.truth
		l.render = func(e *event) string { return fmt.Sprintf("[%s] [%d] [%s]", fmtTS(ts, e), e.PID, lv.word(e)) }
	}},
	// uvicorn's default formatter "%(levelprefix)s %(message)s": the
	// level and a colon, left-aligned to nine.
	// https://github.com/encode/uvicorn/blob/master/uvicorn/config.py (LOGGING_CONFIG)
	// https://github.com/encode/uvicorn/blob/master/uvicorn/logging.py
	{"doc-uvicorn", func(rng *rand.Rand, l *synthLayout) {
		lv := &docLevels{[6]string{"TRACE", "DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}, truthsAll}
		l.fields = []synthField{docLevelField(lv)}
		l.levelTruth = lv.truth
		l.render = func(e *event) string { return fmt.Sprintf("%-9s", lv.word(e)+":") }
	}},
	// journalctl's -o short-iso ("2024-03-10T13:55:07+0000 host
	// prog[pid]: msg") and -o short-precise ("Mar 10 13:55:07.123456 host
	// prog[pid]: msg"). https://www.freedesktop.org/software/systemd/man/latest/journalctl.html
	// https://github.com/systemd/systemd/issues/26639
	{"doc-journal-short", func(rng *rand.Rand, l *synthLayout) {
		ts := docTS("doc-journal-short", "2006-01-02T15:04:05-0700", time.Second, true, false)
		if rng.IntN(2) == 0 {
			ts = docTS("doc-journal-short", "Jan 02 15:04:05.000000", time.Microsecond, false, false)
		}
		l.fields = []synthField{ts, docField("host", func(e *event) string { return e.Host }),
			docField("program", func(e *event) string { return e.Comp }), docField("pid", func(e *event) string { return strconv.Itoa(e.PID) })}
		l.render = func(e *event) string { return fmt.Sprintf("%s %s %s[%d]:", fmtTS(ts, e), e.Host, e.Comp, e.PID) }
	}},
}

// criPrefix is the CRI container runtime's line prefix (containerd,
// CRI-O): "RFC 3339 time with nanoseconds, stream, tag F (a full line)".
// https://github.com/kubernetes/design-proposals-archive/blob/main/node/kubelet-cri-logging.md
// https://grafana.com/docs/loki/latest/send-data/promtail/stages/cri/
func criPrefix(e *event) string {
	stream := "stdout"
	if l := synthLevel(e.Level); l == "error" || l == "fatal" || l == "warn" {
		stream = "stderr"
	}
	return e.T.UTC().Format(time.RFC3339Nano) + " " + stream + " F "
}

// addDocClasses turns about one layout in four into a documented class
// and wraps about one in twelve in the CRI prefix (see the top of the
// file). Its stream is its own: the layouts it leaves alone are as
// before.
func addDocClasses(seed uint64, l *synthLayout) {
	rng := rand.New(rand.NewPCG(seed, 0xd0c5))
	if rng.IntN(4) == 0 {
		c := docClasses[rng.IntN(len(docClasses))]
		*l = synthLayout{doc: c.name, sep: " ", end: " "}
		c.build(rng, l)
	}
	l.cri = rng.IntN(12) == 0
}
