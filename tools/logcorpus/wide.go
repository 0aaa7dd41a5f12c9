package main

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// The fourth round of header layouts (2026-12-04, "wide"): more real
// layouts for the development part. The development loop rendered its
// projects in 38 layouts, most of them alike in kind (a date, a level word,
// maybe a bracketed component, the message), so a header model tuned on it
// could learn those shapes rather than headers in general. These layouts
// differ in kind: levels padded or after the logger, processes and threads
// in brackets or parentheses, "|" and "::" separators, key=value pairs
// before the free text, month names, time without a date, monotonic
// seconds, Rust module paths, Python source locations in braces. Each is
// as a real library or program writes it by default (or with the one
// documented setting named), its source cited beside it. None is one of
// the r3 layouts (r3.go) or a near-copy of one (TestWideLayouts checks the
// names; the choice is argued in docs/logcorpus.md).
//
// They are rendered in the development part only, each with a
// deterministic share of the development projects (wideLayouts), never in
// a held-back part: shapes and r3Shapes are untouched, so the held-back
// parts and r3 stay byte-identical.

// wideProjects is how many development projects each wide layout renders:
// 13 layouts × 10 projects keep the development loop's build and score
// time within its budget (docs/logcorpus.md).
const wideProjects = 10

// rustPath is a Rust module path for an event: crate::module.
func rustPath(e *event) string {
	r := strings.NewReplacer("-", "_", ".", "_")
	return r.Replace(e.App) + "::" + r.Replace(e.Comp)
}

// pyModule is a Python module name for an event: package.module.
func pyModule(e *event) string {
	r := strings.NewReplacer("-", "_", ".", "_")
	return r.Replace(e.App) + "." + r.Replace(strings.TrimSuffix(e.File, ".go"))
}

// pyLevel is Python logging's level name.
func pyLevel(l string) string {
	return lvl(l, map[string]string{"trace": "DEBUG", "debug": "DEBUG", "info": "INFO", "warn": "WARNING", "error": "ERROR", "fatal": "CRITICAL"})
}

// funcName picks a function or method name for a call site (stable per
// file and line, as a real call site has one).
func funcName(e *event, names []string) string {
	return pick(names, e.File+":"+strconv.Itoa(e.Line))
}

var wideShapes = []shape{
	// Apache Tomcat's OneLineFormatter (org.apache.juli), the formatter of
	// catalina.out in Tomcat's shipped conf/logging.properties: time as
	// "dd-MMM-yyyy HH:mm:ss.SSS" (its documented default), the JUL level
	// name, [thread], the source class and method, the message. Source:
	// Tomcat API docs, org.apache.juli.OneLineFormatter, and the Tomcat
	// commit "BZ 64190 Add 'proper' ms support to OneLineFormatter" (dev
	// list, which names the default format).
	{Name: "tomcat-juli", Render: func(e *event) string {
		lv := lvl(e.Level, map[string]string{"trace": "FINER", "debug": "FINE", "info": "INFO", "warn": "WARNING", "error": "SEVERE", "fatal": "SEVERE"})
		th := map[string]string{"main": "main", "worker-1": "http-nio-8080-exec-1", "worker-2": "http-nio-8080-exec-7",
			"pool-2-thread-1": "Catalina-utility-1", "grpc-default-executor-0": "Catalina-utility-2"}[e.Thread]
		method := funcName(e, []string{"start", "init", "run", "process", "invoke", "load", "startInternal", "doFilter", "service", "reload"})
		return fmt.Sprintf("%s %s [%s] %s.%s %s%s", e.T.Format("02-Jan-2006 15:04:05.000"), lv, th, e.Class, method, e.Msg, textKVs(e))
	}},
	// Rust env_logger's default format: "[" RFC 3339 time in seconds, the
	// level left-aligned in five columns, the module path "]" message.
	// Source: env_logger's crate docs ("[2017-11-09T02:12:24Z ERROR main]
	// ...") and its DefaultFormat (write_level pads to five).
	{Name: "rust-env-logger", Render: func(e *event) string {
		lv := lvl(e.Level, map[string]string{"trace": "TRACE", "debug": "DEBUG", "info": "INFO", "warn": "WARN", "error": "ERROR", "fatal": "ERROR"})
		return fmt.Sprintf("[%s %-5s %s] %s%s", e.T.UTC().Format("2006-01-02T15:04:05Z"), lv, rustPath(e), e.Msg, textKVs(e))
	}},
	// Rust tracing-subscriber's default (Full) fmt format: RFC 3339 time in
	// microseconds, the level right-aligned in five columns, the target and
	// ":", the message, then the event's fields as key=value. Source:
	// tracing-subscriber docs, fmt::format (Full, Pretty's sample lines
	// "2022-02-15T18:44:24.535324Z  INFO fmt_pretty: preparing to shave
	// yaks").
	{Name: "rust-tracing", Render: func(e *event) string {
		lv := lvl(e.Level, map[string]string{"trace": "TRACE", "debug": "DEBUG", "info": "INFO", "warn": "WARN", "error": "ERROR", "fatal": "ERROR"})
		return fmt.Sprintf("%s %5s %s: %s%s", micros(e).UTC().Format("2006-01-02T15:04:05.000000Z"), lv, rustPath(e), e.Msg, textKVs(e))
	}},
	// Celery's worker log, its default worker_log_format
	// "[%(asctime)s: %(levelname)s/%(processName)s] %(message)s": the
	// process is MainProcess or a pool worker. Source: celery/app/defaults.py
	// (DEFAULT_PROCESS_LOG_FMT, the worker_log_format default), as read.
	{Name: "celery-worker", Render: func(e *event) string {
		proc := "MainProcess"
		if e.TID%3 != 0 {
			proc = "ForkPoolWorker-" + strconv.Itoa(1+e.TID%4)
		}
		return fmt.Sprintf("[%s: %s/%s] %s%s", e.T.Format("2006-01-02 15:04:05,000"), pyLevel(e.Level), proc, e.Msg, textKVs(e))
	}},
	// gunicorn's error log: Logger.error_fmt "%(asctime)s [%(process)d]
	// [%(levelname)s] %(message)s", the pid the master's or a worker's,
	// with the bracketed datefmt "[%Y-%m-%d %H:%M:%S %z]" of current
	// releases. Source: gunicorn/glogging.py (error_fmt and CONFIG_DEFAULTS'
	// "generic" formatter; the stored versions read are older and have
	// datefmt "%Y-%m-%d %H:%M:%S" without brackets or zone: the current
	// one is as quoted by projects that copy gunicorn's config).
	{Name: "gunicorn", Render: func(e *event) string {
		return fmt.Sprintf("[%s] [%d] [%s] %s%s", e.T.Format("2006-01-02 15:04:05 -0700"), e.PID+e.TID%5, pyLevel(e.Level), e.Msg, textKVs(e))
	}},
	// loguru's default sink format: "{time:YYYY-MM-DD HH:mm:ss.SSS} |
	// {level: <8} | {name}:{function}:{line} - {message}" (no colour).
	// Source: loguru's README and docs (the default format's sample line
	// "2022-10-12 07:16:35.085 | DEBUG    | __main__:<module>:1 - ...").
	{Name: "loguru", Render: func(e *event) string {
		lv := lvl(e.Level, map[string]string{"trace": "TRACE", "debug": "DEBUG", "info": "INFO", "warn": "WARNING", "error": "ERROR", "fatal": "CRITICAL"})
		fn := funcName(e, []string{"run", "start", "handle", "process", "_loop", "sync", "main", "<module>", "close", "reconcile"})
		return fmt.Sprintf("%s | %-8s | %s:%s:%d - %s%s", e.T.Format("2006-01-02 15:04:05.000"), lv, pyModule(e), fn, e.Line, e.Msg, textKVs(e))
	}},
	// Apache Airflow's log_format default "[%(asctime)s]
	// {%(filename)s:%(lineno)d} %(levelname)s - %(message)s" with its
	// time-zone-aware formatter (ISO time, milliseconds, %z). Source:
	// Airflow's default airflow.cfg ([logging] log_format) and
	// airflow.utils.log's TimezoneAware formatter (time "%Y-%m-%dT%H:%M:%S",
	// msec "%s.%03d", tz "%z").
	{Name: "airflow", Render: func(e *event) string {
		return fmt.Sprintf("[%s] {%s:%d} %s - %s%s", e.T.Format("2006-01-02T15:04:05.000-0700"), strings.TrimSuffix(e.File, ".go")+".py", e.Line, pyLevel(e.Level), e.Msg, textKVs(e))
	}},
	// journalctl -o short-monotonic: the monotonic clock (seconds since
	// boot, "[%5llu.%06llu]") instead of the wall clock, then host,
	// identifier[pid]: message as in the short format. Source: journalctl(1)
	// ("short-monotonic: very similar, but shows monotonic timestamps
	// instead of wallclock timestamps").
	{Name: "journald-monotonic", Render: func(e *event) string {
		t := micros(e)
		up := t.Unix() - 1709500000 + int64(e.PID%1000)*600 // a boot some days before the stream
		return fmt.Sprintf("[%5d.%06d] %s %s[%d]: %s%s", up, t.Nanosecond()/1000, e.Host, e.Comp, e.PID, e.Msg, textKVs(e))
	}},
	// Serilog's file sink default output template "{Timestamp:yyyy-MM-dd
	// HH:mm:ss.fff zzz} [{Level:u3}] {Message:lj}{NewLine}{Exception}": the
	// offset with a colon, a three-letter level. Source: Serilog wiki
	// "Formatting Output" ({Level:u3}) and Serilog.Sinks.File's
	// FileLoggerConfigurationExtensions (DefaultOutputTemplate), as read.
	{Name: "serilog-file", Render: func(e *event) string {
		lv := lvl(e.Level, map[string]string{"trace": "VRB", "debug": "DBG", "info": "INF", "warn": "WRN", "error": "ERR", "fatal": "FTL"})
		return fmt.Sprintf("%s [%s] %s%s", e.T.Format("2006-01-02 15:04:05.000 -07:00"), lv, e.Msg, textKVs(e))
	}},
	// NLog's default layout, "${longdate}|${level:uppercase=true}|${logger}|
	// ${message:withexception=true}" (longdate is yyyy-MM-dd HH:mm:ss.ffff),
	// the logger a .NET type name. Source: NLog wiki, "SimpleLayout" (the
	// default Layout of many targets).
	{Name: "nlog", Render: func(e *event) string {
		frac := fmt.Sprintf("%04d", micros(e).Nanosecond()/100000)
		return fmt.Sprintf("%s.%s|%s|%s|%s%s", e.T.Format("2006-01-02 15:04:05"), frac, upper(e.Level), pascalDotted(e.Class), e.Msg, textKVs(e))
	}},
	// log15's TerminalFormat without colour: "[LVL] [01-02|15:04:05] msg ",
	// the message padded to 40 columns when key/value pairs follow, the
	// pairs logfmt; levels dbug/info/warn/eror/crit upper-cased, no trace.
	// Source: github.com/inconshreveable/log15 format.go (TerminalFormat).
	{Name: "log15-term", Render: func(e *event) string {
		lv := lvl(e.Level, map[string]string{"trace": "DBUG", "debug": "DBUG", "info": "INFO", "warn": "WARN", "error": "EROR", "fatal": "CRIT"})
		var b strings.Builder
		fmt.Fprintf(&b, "[%s] [%s] %s ", lv, e.T.Format("01-02|15:04:05"), e.Msg)
		if len(e.KVs) > 0 {
			if len(e.Msg) < 40 {
				b.WriteString(strings.Repeat(" ", 40-len(e.Msg)))
			}
			b.WriteString(strings.TrimPrefix(logfmtKVs(e.KVs), " "))
		}
		return b.String()
	}},
	// WildFly's (JBoss EAP's) console handler default pattern "%d{HH:mm:ss,SSS}
	// %-5p [%c] (%t) %s%e%n": time without a date, the level padded, the
	// category in brackets, the thread in parentheses. Source: WildFly
	// model reference (docs.wildfly.org wildscribe, logging console-handler
	// named-formatter default) and Red Hat's JBoss EAP 6 guide (console log
	// handler sample).
	{Name: "wildfly-console", Render: func(e *event) string {
		lv := lvl(e.Level, map[string]string{"trace": "TRACE", "debug": "DEBUG", "info": "INFO", "warn": "WARN", "error": "ERROR", "fatal": "FATAL"})
		th := map[string]string{"main": "main", "worker-1": "default task-1", "worker-2": "ServerService Thread Pool -- 64",
			"pool-2-thread-1": "MSC service thread 1-3", "grpc-default-executor-0": "Controller Boot Thread"}[e.Thread]
		return fmt.Sprintf("%s %-5s [%s] (%s) %s%s", e.T.Format("15:04:05,000"), lv, e.Class, th, e.Msg, textKVs(e))
	}},
	// PostgreSQL with the log_line_prefix pgBadger documents for stderr
	// logs, '%t [%p]: [%l-1] user=%u,db=%d,app=%a,client=%h ': a time in
	// seconds with its zone, the pid, the session's line number, key=value
	// session fields (empty for background processes), then the severity
	// and message. Source: pgBadger's documentation (POSTGRESQL
	// CONFIGURATION) and PostgreSQL's log_line_prefix escapes.
	{Name: "postgres-pgbadger", Render: func(e *event) string {
		lv := lvl(e.Level, map[string]string{"trace": "DEBUG", "debug": "DEBUG", "info": "LOG", "warn": "WARNING", "error": "ERROR", "fatal": "FATAL"})
		sess := "user=,db=,app=,client= "
		if e.TID%3 != 0 {
			user := pick([]string{"app", "postgres", "replicator", "grafana", "api"}, strconv.Itoa(e.TID))
			db := pick([]string{"orders", "app", "postgres", "metrics"}, strconv.Itoa(e.TID*7))
			app := pick([]string{"psql", "pgbouncer", "api-server", "[unknown]"}, strconv.Itoa(e.TID*13))
			sess = fmt.Sprintf("user=%s,db=%s,app=%s,client=10.0.%d.%d ", user, db, app, e.TID%4, 10+e.TID)
		}
		return fmt.Sprintf("%s [%d]: [%d-1] %s%s:  %s%s", e.T.Format("2006-01-02 15:04:05 MST"), e.PID+e.TID, 1+e.Seq/40, sess, lv, e.Msg, textKVs(e))
	}},
}

// wideLayouts are the wide layouts a development project is rendered in:
// each wide layout takes the wideProjects development projects with the
// lowest FNV-1a 64 hash of "layout|module" (pinned by TestWideLayouts). A
// project outside the development part gets none.
func wideLayouts(p project) []shape {
	if part, _ := projectPart(p); part != partDev {
		return nil
	}
	var out []shape
	for _, s := range wideShapes {
		for _, q := range wideShare(s) {
			if q.Module == p.Module {
				out = append(out, s)
				break
			}
		}
	}
	return out
}

// wideShare is the development projects a wide layout renders.
func wideShare(s shape) []project {
	var devs []project
	for _, p := range projects {
		if part, _ := projectPart(p); part == partDev {
			devs = append(devs, p)
		}
	}
	sort.SliceStable(devs, func(i, j int) bool {
		return hash64(s.Name+"|"+devs[i].Module) < hash64(s.Name+"|"+devs[j].Module)
	})
	return devs[:min(wideProjects, len(devs))]
}
