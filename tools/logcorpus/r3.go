package main

import (
	"fmt"
	"path"
	"strconv"
	"strings"
	"time"
)

// The third round (2026-12-04, r3): projects and header layouts that no
// earlier part has, held back whole. The first held-back part had been
// examined, and since the development part renders every development
// project in every held-back layout (crossLayouts), the fresh part tests
// new projects but no new header layouts. r3 has both: its projects are
// rendered nowhere else, and its layouts (r3Shapes) are rendered in no
// other part. Nobody tunes on it: it is scored only to report
// (docs/logcorpus.md).

// r3Projects are modules never used in the corpus before, all held back
// (none of them is split into the development part). Licences read from
// each module's LICENSE. CockroachDB itself is not open source; its
// storage engine pebble stands in for its logging (printf Infof/Fatalf).
var r3Projects = []project{
	{"github.com/cockroachdb/pebble", "v1.1.5", "BSD-3-Clause", false},                            // CockroachDB's storage engine, printf
	{"github.com/VictoriaMetrics/VictoriaLogs", "v1.52.2", "Apache-2.0", false},                   // a log database and agent (Loki-like), printf logger
	{"github.com/spiffe/spire", "v1.13.3", "Apache-2.0", false},                                   // identity server and agent (Vault-like), logrus fields
	{"github.com/seaweedfs/seaweedfs", "v0.0.0-20261109003541-7506e5f91cd6", "Apache-2.0", false}, // object and file store (MinIO-like), glog printf
	{"github.com/matrix-org/dendrite", "v0.13.8", "Apache-2.0", false},                            // Matrix homeserver, logrus WithField chains
	{"github.com/cloudnativelabs/kube-router/v2", "v2.1.0", "Apache-2.0", false},                  // Kubernetes networking, klog printf
	{"github.com/ipfs/kubo", "v0.43.1", "MIT", false},                                             // IPFS node, go-log (zap sugared)
	{"github.com/tikv/client-go/v2", "v2.0.8-0.20260803075849-c3b50791b9fb", "Apache-2.0", false}, // TiKV client (TiDB), zap fields
	{"github.com/go-acme/lego/v5", "v5.6.0", "MIT", false},                                        // ACME client (Traefik's), slog
	{"github.com/superfly/litefs", "v0.5.14", "Apache-2.0", false},                                // SQLite replication, log.Printf
	{"github.com/opencontainers/runc", "v1.5.3", "Apache-2.0", false},                             // container runtime, logrus
}

const partR3 = "r3" // third round: new projects and new header layouts, held back whole

// r3Set is one dataset of the r3 part.
type r3Set struct {
	Project project
	Shape   shape
}

// r3Plan is the fixed rule that makes the r3 part (pinned by TestR3Plan),
// decided before any of it was rendered or scored:
//   - the i-th r3 project (list order) is rendered in the new layouts
//     2i and 2i+1 (mod their number), and every second one (odd i) also
//     in one earlier layout, shapes[hash(module) mod len(shapes)];
//   - each new layout also renders one development project,
//     devs[hash(layout) mod len(devs)] (devs in the order of projects), so
//     that new layouts are tested with known event sets too.
func r3Plan() []r3Set { return heldRoundPlan("", shapes, r3Projects, r3Shapes) }

// heldRoundPlan is the rule of the rounds held back whole (r3, r4, r5),
// each with its own lists: the i-th project is rendered in the round's
// layouts 2i and 2i+1 (mod their number), every second one (odd i) also
// in earlier[hash(module) mod len(earlier)], and each layout also renders
// the development project devs[hash(salt+layout) mod len(devs)] (devs in
// the order of projects). r3's salt is empty and its earlier layouts are
// shapes alone (the wide layouts came after it); each plan is pinned by
// its own test, so a change here shows in all three.
func heldRoundPlan(salt string, earlier []shape, projs []project, layouts []shape) []r3Set {
	var out []r3Set
	n := len(layouts)
	for i, p := range projs {
		out = append(out, r3Set{p, layouts[(2*i)%n]}, r3Set{p, layouts[(2*i+1)%n]})
		if i%2 == 1 {
			out = append(out, r3Set{p, earlier[hash64(p.Module)%uint64(len(earlier))]})
		}
	}
	var devs []project
	for _, p := range projects {
		if part, _ := projectPart(p); part == partDev {
			devs = append(devs, p)
		}
	}
	for _, s := range layouts {
		out = append(out, r3Set{devs[hash64(salt+s.Name)%uint64(len(devs))], s})
	}
	return out
}

func pick(list []string, key string) string { return list[hash64(key)%uint64(len(list))] }

// tailPad is logback's %N.Nx on a long value: it keeps the last N
// characters (truncating from the left) and pads on the left.
func tailPad(s string, n int) string {
	if len(s) > n {
		s = s[len(s)-n:]
	}
	return fmt.Sprintf("%*s", n, s)
}

// shortenPackages abbreviates the package segments of a dotted class name
// to their first letter, left to right, until it fits in max characters
// (logback's %logger{N}, Jenkins' abbreviated logger names).
func shortenPackages(class string, max int) string {
	parts := strings.Split(class, ".")
	for i := 0; i < len(parts)-1 && len(strings.Join(parts, ".")) > max; i++ {
		if parts[i] != "" {
			parts[i] = parts[i][:1]
		}
	}
	return strings.Join(parts, ".")
}

func pascalDotted(class string) string {
	parts := strings.Split(class, ".")
	for i, p := range parts {
		p = strings.NewReplacer("-", "", "_", "").Replace(p)
		if p != "" {
			parts[i] = strings.ToUpper(p[:1]) + p[1:]
		}
	}
	return strings.Join(parts, ".")
}

func lvl(l string, m map[string]string) string { return m[l] }

// micros gives a line's time microseconds as a clock has them: the
// generated times are whole milliseconds, so the layouts that print
// microseconds add a deterministic sub-millisecond part.
func micros(e *event) time.Time {
	return e.T.Add(time.Duration((e.Seq*7919+e.TID*104729)%1000) * time.Microsecond)
}

// r3Shapes are header layouts never rendered in the corpus before r3, each
// as a real library or program writes it by default (or with the one
// documented option named). They are rendered in the r3 part only: never
// in the development part (crossLayouts ranges over shapes only).
var r3Shapes = []shape{
	// Spring Boot 3.x default console layout (Logback): ISO time, %5p
	// level, PID, "---", [application name], [%15.15t thread], %-40.40
	// logger abbreviated to 39, " : ". Source: Spring Boot reference,
	// "Logging / Log Format" (docs.spring.io/spring-boot/reference/features/logging.html).
	// Logback has no FATAL: it maps to ERROR.
	{Name: "spring-boot", Render: func(e *event) string {
		lv := lvl(e.Level, map[string]string{"trace": "TRACE", "debug": "DEBUG", "info": "INFO", "warn": "WARN", "error": "ERROR", "fatal": "ERROR"})
		lg := shortenPackages(e.Class, 39)
		if len(lg) > 40 {
			lg = lg[len(lg)-40:]
		}
		return fmt.Sprintf("%s %5s %d --- [%s] [%s] %-40s : %s%s", e.T.Format("2006-01-02T15:04:05.000Z07:00"), lv, e.PID, e.App, tailPad(e.Thread, 15), lg, e.Msg, textKVs(e))
	}},
	// nginx error log: "YYYY/MM/DD HH:MM:SS [level] PID#TID: *CID message",
	// the *CID connection serial only in a connection's context. Source:
	// ngx_log_error_core as described in l2dy.github.io/notes/Nginx/Nginx-Error-Log
	// and "Mastering Nginx", Error log file formats.
	{Name: "nginx-error", Render: func(e *event) string {
		lv := lvl(e.Level, map[string]string{"trace": "debug", "debug": "debug", "info": "notice", "warn": "warn", "error": "error", "fatal": "crit"})
		worker := e.PID + e.TID%4
		conn := ""
		if e.TID%3 != 0 {
			conn = "*" + strconv.Itoa(1000+e.Seq*3+e.TID%3) + " "
		}
		return fmt.Sprintf("%s [%s] %d#%d: %s%s%s", e.T.Format("2006/01/02 15:04:05"), lv, worker, worker, conn, e.Msg, textKVs(e))
	}},
	// glog (C++) since 0.7, with the year: "Lyyyymmdd hh:mm:ss.uuuuuu
	// threadid file:line] msg". Source: google/glog pull request 530
	// "Prepend the year to each glog line". glog has no debug level (VLOG
	// is I).
	{Name: "glog-cpp", Render: func(e *event) string {
		lv := lvl(e.Level, map[string]string{"trace": "I", "debug": "I", "info": "I", "warn": "W", "error": "E", "fatal": "F"})
		return fmt.Sprintf("%s%s %5d %s:%d] %s%s", lv, micros(e).Format("20060102 15:04:05.000000"), e.PID+e.TID, strings.TrimSuffix(e.File, ".go")+".cc", e.Line, e.Msg, textKVs(e))
	}},
	// MongoDB before 4.4: "<timestamp> <severity> <component> [<context>]
	// <message>", iso8601-local time, one-letter severity, the component
	// padded. Source: MongoDB 3.x manual, Reference > Log Messages
	// ("2014-11-03T18:28:32.450-0500 I NETWORK  [initandlisten] waiting for
	// connections on port 27017").
	{Name: "mongodb-legacy", Render: func(e *event) string {
		lv := lvl(e.Level, map[string]string{"trace": "D", "debug": "D", "info": "I", "warn": "W", "error": "E", "fatal": "F"})
		comp := pick([]string{"ACCESS", "COMMAND", "CONTROL", "INDEX", "NETWORK", "QUERY", "REPL", "SHARDING", "STORAGE", "WRITE", "-"}, e.Comp)
		ctx := "conn" + strconv.Itoa(100+e.TID*7)
		switch e.TID % 6 {
		case 0:
			ctx = "initandlisten"
		case 1:
			ctx = "replexec-" + strconv.Itoa(e.TID%4)
		}
		return fmt.Sprintf("%s %s %-8s [%s] %s%s", e.T.Format("2006-01-02T15:04:05.000-0700"), lv, comp, ctx, e.Msg, textKVs(e))
	}},
	// Apache httpd 2.4 default ErrorLogFormat: "[Wed Oct 11 14:32:52.123456
	// 2000] [module:level] [pid N:tid N] [client ip:port] message", the
	// client only in a request's context. Source: the HTTPD24_ERRORLOG grok
	// pattern (Logstash/Vector) and ModSecurity issue 1135's sample line.
	{Name: "apache-error", Render: func(e *event) string {
		lv := lvl(e.Level, map[string]string{"trace": "trace1", "debug": "debug", "info": "info", "warn": "warn", "error": "error", "fatal": "crit"})
		mod := pick([]string{"core", "ssl", "proxy", "proxy_http", "mpm_event", "http2", "authz_core", "cgid"}, e.Comp)
		client := ""
		if e.TID%2 == 0 {
			client = fmt.Sprintf("[client 10.%d.%d.%d:%d] ", e.TID%4, 10+e.TID, 2+e.Seq%200, 40000+e.Seq%20000)
		}
		return fmt.Sprintf("[%s] [%s:%s] [pid %d:tid %d] %s%s%s", micros(e).Format("Mon Jan 02 15:04:05.000000 2006"), mod, lv, e.PID, 139900000000000+int64(e.TID)*8392704, client, e.Msg, textKVs(e))
	}},
	// Ruby's Logger default formatter: "SeverityID, [DateTime #pid]
	// SeverityLabel -- ProgName: message" with DateTime as
	// %Y-%m-%dT%H:%M:%S.%6N and the label %5s. Source: Ruby stdlib
	// Logger::Formatter (ruby-doc.org) and lib/logger.rb's documented
	// sample "I, [1999-03-03T02:34:24.895701 #19074]  INFO -- Main: info.".
	{Name: "ruby-logger", Render: func(e *event) string {
		lv := lvl(e.Level, map[string]string{"trace": "DEBUG", "debug": "DEBUG", "info": "INFO", "warn": "WARN", "error": "ERROR", "fatal": "FATAL"})
		return fmt.Sprintf("%s, [%s #%d] %5s -- %s: %s%s", lv[:1], micros(e).Format("2006-01-02T15:04:05.000000"), e.PID, lv, e.Comp, e.Msg, textKVs(e))
	}},
	// .NET Microsoft.Extensions.Logging simple console formatter with its
	// options SingleLine = true and TimestampFormat = "HH:mm:ss " (no
	// colour): "13:55:00 info: Category[EventId] message", the level as
	// trce/dbug/info/warn/fail/crit. Source: Microsoft Learn, "Console log
	// formatting" (Simple formatter) and SimpleConsoleFormatterOptions.
	{Name: "dotnet-console", Render: func(e *event) string {
		lv := lvl(e.Level, map[string]string{"trace": "trce", "debug": "dbug", "info": "info", "warn": "warn", "error": "fail", "fatal": "crit"})
		return fmt.Sprintf("%s%s: %s[0] %s%s", e.T.Format("15:04:05 "), lv, pascalDotted(e.Class), e.Msg, textKVs(e))
	}},
	// Envoy's application log default format "[%Y-%m-%d %T.%e][%t][%l][%n]
	// [%g:%#] %v": time with milliseconds, thread id, spdlog level name,
	// logger name, source file:line. Source: Envoy command line options
	// (--log-format) and AWS "ELB for Envoy: Application log format".
	{Name: "envoy", Render: func(e *event) string {
		lv := lvl(e.Level, map[string]string{"trace": "trace", "debug": "debug", "info": "info", "warn": "warning", "error": "error", "fatal": "critical"})
		logger := pick([]string{"main", "upstream", "config", "connection", "http", "router", "pool", "misc", "runtime", "admin"}, e.Comp)
		src := "source/common/" + e.Comp + "/" + strings.TrimSuffix(e.File, ".go") + ".cc"
		return fmt.Sprintf("[%s][%d][%s][%s] [%s:%d] %s%s", e.T.Format("2006-01-02 15:04:05.000"), e.PID%1000*10+e.TID, lv, logger, src, e.Line, e.Msg, textKVs(e))
	}},
	// ZooKeeper's log4j layout "%d{ISO8601} [myid:%X{myid}] - %-5p
	// [%t:%C{1}@%L] - %m%n". Source: ZooKeeper's conf/log4j.properties
	// (as shipped, e.g. openEuler's zookeeper package).
	{Name: "zookeeper", Render: func(e *event) string {
		myid := 1 + e.PID%3
		th := map[string]string{"main": "main", "worker-1": "NIOWorkerThread-1", "worker-2": "NIOWorkerThread-2",
			"pool-2-thread-1": "CommitProcWorkThread-1", "grpc-default-executor-0": "SyncThread:" + strconv.Itoa(myid)}[e.Thread]
		return fmt.Sprintf("%s [myid:%d] - %-5s [%s:%s@%d] - %s%s", e.T.Format("2006-01-02 15:04:05,000"), myid, upper(e.Level), th, path.Ext(e.Class)[1:], e.Line, e.Msg, textKVs(e))
	}},
	// Jenkins controller log (java.util.logging through Jenkins'
	// SupportLogFormatter): "2024-11-26 06:10:38.045+0000 [id=1]\tINFO\t
	// winstone.Logger#logInternal: message", the logger's packages
	// abbreviated when long. Source: Jenkins startup logs quoted in
	// jenkinsci/helm-charts issue 104 and Websoft9/docker-library issue 961.
	{Name: "jenkins", Render: func(e *event) string {
		lv := lvl(e.Level, map[string]string{"trace": "FINER", "debug": "FINE", "info": "INFO", "warn": "WARNING", "error": "SEVERE", "fatal": "SEVERE"})
		method := pick([]string{"run", "doRun", "execute", "onAttained", "contextInitialized", "load", "save", "call", "perform", "launch", "doStart", "logInternal"}, e.File+":"+strconv.Itoa(e.Line))
		return fmt.Sprintf("%s [id=%d]\t%s\t%s#%s: %s%s", e.T.Format("2006-01-02 15:04:05.000-0700"), e.TID, lv, shortenPackages(e.Class, 32), method, e.Msg, textKVs(e))
	}},
	// zerolog's ConsoleWriter with its defaults (time.Kitchen, a
	// three-letter level, no colour): "3:50PM INF Hello world foo=bar".
	// Source: the pkg.go.dev docs of console writers built on zerolog's
	// (karmi/consolelog, theopenlane/logx consolelog) quoting that output.
	{Name: "zerolog-console", Render: func(e *event) string {
		lv := lvl(e.Level, map[string]string{"trace": "TRC", "debug": "DBG", "info": "INF", "warn": "WRN", "error": "ERR", "fatal": "FTL"})
		return fmt.Sprintf("%s %s %s%s", e.T.Format(time.Kitchen), lv, e.Msg, textKVs(e))
	}},
	// CockroachDB's crdb-v2 file format: "[IWEF]yymmdd hh:mm:ss.uuuuuu goid
	// [chan@]file:line redactionmark [tags] [counter] msg". Source:
	// CockroachDB docs, "Log formats" (crdb-v2), and the format line a
	// CockroachDB log file starts with.
	{Name: "crdb-v2", Render: func(e *event) string {
		lv := lvl(e.Level, map[string]string{"trace": "I", "debug": "I", "info": "I", "warn": "W", "error": "E", "fatal": "F"})
		ch := pick([]string{"", "", "1@", "2@", "3@"}, e.File)
		node := 1 + e.PID%3
		tags := fmt.Sprintf("[n%d]", node)
		switch e.TID % 3 {
		case 1:
			tags = fmt.Sprintf("[n%d,s%d]", node, node)
		case 2:
			tags = fmt.Sprintf("[n%d,s%d,r%d/%d]", node, node, 40+e.TID*3, 1+e.TID%3)
		}
		return fmt.Sprintf("%s%s %d %s%s/%s:%d ⋮ %s %d %s%s", lv, micros(e).Format("060102 15:04:05.000000"), 100+e.TID*13, ch, e.Comp, e.File, e.Line, tags, e.Seq, e.Msg, textKVs(e))
	}},
}
