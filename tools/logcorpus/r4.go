package main

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"path"
	"strconv"
	"strings"
	"time"
)

// The fourth round (2026-12-04, r4): projects and header layouts that no
// earlier part has (neither dev, held, fresh nor r3, nor the development
// part's wide layouts), held back whole like r3. r3 was scored after the
// session that built it, so the changes made in the session after it are
// judged here, on logs nobody working on them saw. Only the coordinator
// scores r4 (docs/logcorpus.md): nobody tunes on it, and nobody working on
// the engine reads this file.

// r4Projects are modules never used in the corpus before, all held back,
// with logging libraries and domains the earlier rounds have little of.
// Licences read from each module's LICENSE (COPYING for rclone).
var r4Projects = []project{
	{"sigs.k8s.io/descheduler", "v0.36.0", "Apache-2.0", false},                                    // Kubernetes pod descheduler, klog InfoS/ErrorS
	{"github.com/traefik/traefik/v3", "v3.7.13", "MIT", false},                                     // reverse proxy, zerolog chains
	{"github.com/thanos-io/thanos", "v0.39.2", "Apache-2.0", false},                                // metrics long-term storage, go-kit log
	{"github.com/ollama/ollama", "v0.17.4", "MIT", false},                                          // model server, slog
	{"github.com/apache/pulsar-client-go", "v0.19.0", "Apache-2.0", false},                         // Pulsar messaging client, its own logrus-like logger
	{"github.com/nektos/act", "v0.2.89", "MIT", false},                                             // runs GitHub Actions locally (CI), logrus
	{"sigs.k8s.io/kueue", "v0.17.0", "Apache-2.0", false},                                          // Kubernetes job queueing (scheduler), logr
	{"github.com/segmentio/kafka-go", "v0.4.51", "MIT", false},                                     // Kafka client, printf Logger
	{"github.com/distribution/distribution/v3", "v3.1.2", "Apache-2.0", false},                     // container registry (storage), logrus through its context logger
	{"gitlab.com/gitlab-org/gitlab-runner", "v1.11.1-0.20260903214710-fc1f1862bd91", "MIT", false}, // CI runner, logrus
	{"github.com/hashicorp/consul-template", "v0.41.1", "MPL-2.0", false},                          // renders Consul/Vault data to files, log.Printf "[LEVEL] (component)"
	{"github.com/rclone/rclone", "v1.76.0", "MIT", false},                                          // cloud storage sync, printf fs.Logf family
}

const partR4 = "r4" // fourth round: new projects and new header layouts, held back whole

// r4Plan is the fixed rule that makes the r4 part (pinned by TestR4Plan),
// decided before any of it was rendered or scored. It is r3Plan's rule
// with r4's lists:
//   - the i-th r4 project (list order) is rendered in the new layouts 2i
//     and 2i+1 (mod their number), and every second one (odd i) also in
//     one layout of the development part (shapes and wide layouts, all of
//     which the development part renders), earlier[hash(module) mod n];
//   - each new layout also renders one development project,
//     devs[hash("r4|"+layout) mod len(devs)] (devs in the order of
//     projects), so that a failure in a new layout can be told from a
//     failure on new events.
func r4Plan() []r3Set {
	return heldRoundPlan("r4|", append(append([]shape{}, shapes...), wideShapes...), r4Projects, r4Shapes)
}

// jsonObject renders key/value pairs as one JSON object, as Monolog's
// context and pino's single-line extras are written ("{}" when empty).
func jsonObject(kvs [][2]string) string {
	var fields []any
	for _, p := range kvs {
		fields = append(fields, p[0], jsonValue(p[1]))
	}
	return jsonLine(fields...)
}

// requestID is a Plug.RequestId-like id (20 URL-safe base64 characters)
// for the n-th line.
func requestID(n int) string {
	var b [15]byte
	binary.BigEndian.PutUint64(b[:8], hash64("req|"+strconv.Itoa(n)))
	binary.BigEndian.PutUint64(b[7:], hash64("id|"+strconv.Itoa(n)))
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// condensed shortens a Java logger name as Jetty's StdErrLog does:
// every package to its first letter, glued, then "." and the class
// (org.eclipse.jetty.server.Server is oejs.Server).
func condensed(class string) string {
	parts := strings.Split(class, ".")
	var b strings.Builder
	for _, p := range parts[:len(parts)-1] {
		if p != "" {
			b.WriteByte(p[0])
		}
	}
	return b.String() + "." + parts[len(parts)-1]
}

// r4Shapes are header layouts never rendered in the corpus before r4, each
// as a real library or program writes it by default (or with the one
// documented option named). They are rendered in the r4 part only.
var r4Shapes = []shape{
	// PHP Monolog 2/3 LineFormatter default: "[%datetime%]
	// %channel%.%level_name%: %message% %context% %extra%" with datetime
	// "Y-m-d\TH:i:s.uP"; the context as JSON, an empty extra as "[]". The
	// channels are Symfony's defaults. Source: Monolog's
	// src/Monolog/Formatter/LineFormatter.php (SIMPLE_FORMAT) and
	// NormalizerFormatter (SIMPLE_DATE), Symfony "Logging" docs.
	{Name: "monolog", Render: func(e *event) string {
		lv := lvl(e.Level, map[string]string{"trace": "DEBUG", "debug": "DEBUG", "info": "INFO", "warn": "WARNING", "error": "ERROR", "fatal": "CRITICAL"})
		ch := pick([]string{"app", "request", "security", "doctrine", "event", "php", "console", "cache", "messenger"}, e.Comp)
		ctx := "[]"
		if len(e.KVs) > 0 {
			ctx = jsonObject(e.KVs)
		}
		return fmt.Sprintf("[%s] %s.%s: %s %s []", micros(e).Format("2006-01-02T15:04:05.000000-07:00"), ch, lv, e.Msg, ctx)
	}},
	// Elixir Logger's console backend as a Phoenix project configures it
	// (mix phx.new's config/config.exs: format "$time $metadata[$level]
	// $message\n", metadata [:request_id]): the request id only in a
	// request's context, the level in lower case ("warning" since Elixir
	// 1.11). Source: Phoenix's generated config and Elixir's
	// Logger.Formatter docs ($time is HH:MM:SS.mmm).
	{Name: "elixir-phoenix", Render: func(e *event) string {
		lv := lvl(e.Level, map[string]string{"trace": "debug", "debug": "debug", "info": "info", "warn": "warning", "error": "error", "fatal": "critical"})
		meta := ""
		if e.TID%3 != 0 {
			meta = "request_id=" + requestID(e.Seq/4) + " " // one id per request, several lines each
		}
		return fmt.Sprintf("%s %s[%s] %s%s", e.T.Format("15:04:05.000"), meta, lv, e.Msg, textKVs(e))
	}},
	// pino-pretty with translateTime off (epoch milliseconds, its default
	// before v7) and singleLine on (extra properties as one JSON object on
	// the line): "[1522431328992] INFO (42 on foo): hello world". Source:
	// pino-pretty's README (options --translateTime, --singleLine, and the
	// sample output).
	{Name: "pino-pretty", Render: func(e *event) string {
		lv := lvl(e.Level, map[string]string{"trace": "TRACE", "debug": "DEBUG", "info": "INFO", "warn": "WARN", "error": "ERROR", "fatal": "FATAL"})
		extra := ""
		if len(e.KVs) > 0 {
			extra = " " + jsonObject(e.KVs)
		}
		return fmt.Sprintf("[%d] %s (%d on %s): %s%s", e.T.UnixMilli(), lv, e.PID, e.Host, e.Msg, extra)
	}},
	// The bunyan CLI's default "long" output: "[time] LEVEL: name/pid on
	// host: msg", the level right-aligned in five columns, single-line
	// extra fields in parentheses after the message. Source: bunyan(1)
	// (node-bunyan 2.0.5, Debian's manual page: "[2012-02-08T22:56:52.856Z]
	//  INFO: myservice/123 on example.com: My message").
	{Name: "bunyan-cli", Render: func(e *event) string {
		lv := lvl(e.Level, map[string]string{"trace": "TRACE", "debug": "DEBUG", "info": "INFO", "warn": "WARN", "error": "ERROR", "fatal": "FATAL"})
		extra := ""
		if len(e.KVs) > 0 {
			var kv []string
			for _, p := range e.KVs {
				kv = append(kv, p[0]+"="+p[1])
			}
			extra = " (" + strings.Join(kv, ", ") + ")"
		}
		return fmt.Sprintf("[%s] %5s: %s/%d on %s: %s%s", e.T.UTC().Format("2006-01-02T15:04:05.000Z"), lv, e.App, e.PID, e.Host, e.Msg, extra)
	}},
	// Log4j 1.2's TTCCLayout ("%r [%t] %-5p %c %x - %m%n"): milliseconds
	// since the program started, no date, [thread], the level padded, the
	// full logger name, the (empty) NDC, " - ". Source: the TTCCLayout
	// javadoc of log4j 1.2 ("176 [main] INFO  org.apache.log4j.examples.Sort
	// - Populating an array of 2 elements in reverse order.").
	{Name: "log4j-ttcc", Render: func(e *event) string {
		return fmt.Sprintf("%d [%s] %-5s %s - %s%s", e.T.Sub(e.Start).Milliseconds(), e.Thread, upper(e.Level), e.Class, e.Msg, textKVs(e))
	}},
	// HAProxy 2.4+ messages on stderr (print_message in src/errors.c):
	// "[NOTICE]   (1) : msg", the label bracketed and padded to ten
	// columns, the pid, " : ", no time. ha_alert, ha_warning, ha_notice
	// and ha_diag give ALERT, WARNING, NOTICE and DIAG. Source: HAProxy
	// src/errors.c (prefix of 11 bytes: '[' + 8 chars + ']').
	{Name: "haproxy-stderr", Render: func(e *event) string {
		lv := lvl(e.Level, map[string]string{"trace": "DIAG", "debug": "DIAG", "info": "NOTICE", "warn": "WARNING", "error": "ALERT", "fatal": "ALERT"})
		return fmt.Sprintf("%-10s (%d) : %s%s", "["+lv+"]", e.PID+e.TID%3, e.Msg, textKVs(e))
	}},
	// Caddy 2's console log encoder (its default on a terminal): zap's
	// console encoder with the time as "2006/01/02 15:04:05.000", the
	// level, the logger's name (none for the root logger), the message and
	// the fields as JSON. Source: Caddy's documentation ("Logging",
	// format console) and the startup lines it prints ("2024/03/10
	// 13:55:07.123\tINFO\tadmin\tadmin endpoint started\t{...}").
	{Name: "caddy-console", Render: func(e *event) string {
		name := pick([]string{"admin", "http", "http.log", "tls", "tls.obtain", "tls.cache.maintenance", "http.handlers.reverse_proxy", "pki.ca.local", "events"}, e.Comp)
		if e.TID%5 == 0 {
			return fmt.Sprintf("%s\t%s\t%s%s", e.T.Format("2006/01/02 15:04:05.000"), upper(e.Level), e.Msg, zapKVs(e.KVs))
		}
		return fmt.Sprintf("%s\t%s\t%s\t%s%s", e.T.Format("2006/01/02 15:04:05.000"), upper(e.Level), name, e.Msg, zapKVs(e.KVs))
	}},
	// Akka (classic) StdOutLogger: "[LEVEL] [MM/dd/yyyy HH:mm:ss.SSS]
	// [thread] [source] message", the thread a dispatcher's, the source an
	// actor path. Akka has no TRACE or FATAL. Source: Akka's
	// akka.event.Logging.StdOutLogger (format "[%s] [%s] [%s] [%s] %s"),
	// Akka docs "Logging".
	{Name: "akka", Render: func(e *event) string {
		lv := lvl(e.Level, map[string]string{"trace": "DEBUG", "debug": "DEBUG", "info": "INFO", "warn": "WARN", "error": "ERROR", "fatal": "ERROR"})
		sys := strings.NewReplacer(".", "-", "_", "-").Replace(e.App)
		th := fmt.Sprintf("%s-akka.actor.default-dispatcher-%d", sys, 2+e.TID%8)
		return fmt.Sprintf("[%s] [%s] [%s] [akka://%s/user/%s] %s%s", lv, e.T.Format("01/02/2006 15:04:05.000"), th, sys, e.Comp, e.Msg, textKVs(e))
	}},
	// RFC 5424 syslog as written to a file or a socket: "<PRI>1 timestamp
	// hostname app-name procid msgid structured-data msg", facility local4,
	// no structured data ("-"). Source: RFC 5424 section 6 and its example
	// "<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - ...".
	{Name: "syslog-rfc5424", Render: func(e *event) string {
		sev := map[string]int{"trace": 7, "debug": 7, "info": 6, "warn": 4, "error": 3, "fatal": 2}[e.Level]
		return fmt.Sprintf("<%d>1 %s %s %s %d %s - %s%s", 20*8+sev, e.T.UTC().Format("2006-01-02T15:04:05.000Z"), e.Host, e.App, e.PID, e.Comp, e.Msg, textKVs(e))
	}},
	// Zabbix server and agent log files: "PPPPPP:YYYYMMDD:HHMMSS.mmm msg",
	// the pid space-padded to six, no level. Source: Zabbix's manual (log
	// file monitoring: " 23480:20100328:154718.045 Zabbix agent started")
	// and "Zabbix Network Monitoring" (The Zabbix log file format).
	{Name: "zabbix", Render: func(e *event) string {
		return fmt.Sprintf("%6d:%s %s%s", e.PID+e.TID%4, e.T.Format("20060102:150405.000"), e.Msg, textKVs(e))
	}},
	// ClickHouse server log: "yyyy.MM.dd HH:mm:ss.uuuuuu [ thread ]
	// {query_id} <Level> Logger: message", the query id empty outside a
	// query. Source: ClickHouse issue 5293 and pull request 85967 (server
	// log lines "2019.05.15 23:39:30.469929 [ 1 ] {} <Information>
	// DatabaseOrdinary (db): Total 6 tables.").
	{Name: "clickhouse", Render: func(e *event) string {
		lv := lvl(e.Level, map[string]string{"trace": "Trace", "debug": "Debug", "info": "Information", "warn": "Warning", "error": "Error", "fatal": "Fatal"})
		qid := ""
		if e.TID%3 == 1 {
			h := strconv.FormatUint(hash64(strconv.Itoa(e.Seq/5)), 16)
			h = strings.Repeat("0", 16-len(h)) + h
			qid = h[:8] + "-" + h[8:12] + "-4" + h[13:16] + "-8" + h[1:4] + "-" + h[4:16]
		}
		return fmt.Sprintf("%s [ %d ] {%s} <%s> %s: %s%s", micros(e).Format("2006.01.02 15:04:05.000000"), e.PID+e.TID, qid, lv, path.Ext(e.Class)[1:], e.Msg, textKVs(e))
	}},
	// Jetty 9's StdErrLog (its default without SLF4J): "yyyy-MM-dd
	// HH:mm:ss.SSS:LEVEL:condensed.Logger:thread: message", the logger's
	// packages condensed to letters. StdErrLog has DBUG, INFO and WARN
	// only: errors are WARN. Source: Jetty 9.4 org.eclipse.jetty.util.log.
	// StdErrLog and its startup lines ("2016-02-16 10:34:29.118:INFO:
	// oejs.Server:main: jetty-9.3.7").
	{Name: "jetty-stderr", Render: func(e *event) string {
		lv := lvl(e.Level, map[string]string{"trace": "DBUG", "debug": "DBUG", "info": "INFO", "warn": "WARN", "error": "WARN", "fatal": "WARN"})
		th := map[string]string{"main": "main", "worker-1": "qtp1304836502-17", "worker-2": "qtp1304836502-21",
			"pool-2-thread-1": "Scheduler-1989780873-1", "grpc-default-executor-0": "qtp1304836502-14"}[e.Thread]
		return fmt.Sprintf("%s:%s:%s:%s: %s%s", e.T.Format("2006-01-02 15:04:05.000"), lv, condensed(e.Class), th, e.Msg, textKVs(e))
	}},
}

// timeAt is s read in layout, with the precision p a held-back round's
// time reader reports for it (ok: the layout writes a time there).
func timeAt(layout, s string, p time.Duration) (time.Time, time.Duration, bool, error) {
	t, err := time.Parse(layout, s)
	return t, p, true, err
}

// r4TimeOf reads the time back out of a line an r4 layout rendered, for
// the layouts that print one (with its precision), so the renderer check
// can compare it with the event's time: ok is false for the layouts with
// no wall-clock time (HAProxy, log4j's TTCC).
func r4TimeOf(name, line string) (t time.Time, prec time.Duration, ok bool, err error) {
	cut := func(from, to string) string { return between(line, from, to) }
	switch name {
	case "monolog":
		return timeAt("2006-01-02T15:04:05.000000-07:00", cut("[", "]"), time.Microsecond)
	case "elixir-phoenix":
		return timeAt("15:04:05.000", line[:12], time.Millisecond)
	case "pino-pretty":
		ms, err := strconv.ParseInt(cut("[", "]"), 10, 64)
		return time.UnixMilli(ms), time.Millisecond, true, err
	case "bunyan-cli":
		return timeAt("2006-01-02T15:04:05.000Z", cut("[", "]"), time.Millisecond)
	case "caddy-console":
		return timeAt("2006/01/02 15:04:05.000", line[:23], time.Millisecond)
	case "akka":
		return timeAt("01/02/2006 15:04:05.000", cut("] [", "]"), time.Millisecond)
	case "syslog-rfc5424":
		return timeAt("2006-01-02T15:04:05.000Z", strings.Fields(line)[1], time.Millisecond)
	case "zabbix":
		f := strings.Fields(line)[0]
		return timeAt("20060102:150405.000", f[strings.IndexByte(f, ':')+1:], time.Millisecond)
	case "clickhouse":
		return timeAt("2006.01.02 15:04:05.000000", line[:26], time.Microsecond)
	case "jetty-stderr":
		return timeAt("2006-01-02 15:04:05.000", line[:23], time.Millisecond)
	}
	return time.Time{}, 0, false, nil
}

// between is the text of line after the first from up to the next to ("" if
// either is missing): how the renderer checks read a field back.
func between(line, from, to string) string {
	i := strings.Index(line, from)
	if i < 0 {
		return ""
	}
	rest := line[i+len(from):]
	j := strings.Index(rest, to)
	if j < 0 {
		return ""
	}
	return rest[:j]
}
