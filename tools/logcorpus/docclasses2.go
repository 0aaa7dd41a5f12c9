package main

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"time"
)

// The second round of documented classes (docClasses2): more default or
// documented line layouts of widely deployed software, each written as
// its documentation (or its own source or test suite, where that is
// where the layout is written down) shows it, the source cited beside
// it. None comes from a corpus set, and none is one of docClasses,
// shapes or wideShapes. addDocClasses2 gives one to about one in four
// of the layouts that neither addClasses' nor addDocClasses' first round
// turned into a class of its own, from a stream of its own (seed,
// 0xd0c52), so every other layout is the one its seed composed before.

// docPick2 is a stable choice among words for a statement's component.
func docPick2(e *event, words ...string) string { return words[fnv32(e.Comp+"|2")%uint32(len(words))] }

// docStmt is a stable number for a statement (its file and line).
func docStmt(e *event, n uint32) uint32 { return stmtHash(e) / 7 % n }

// uptime is the time since the program started, as the JVM's uptime
// decoration writes it ("0.015s").
func uptime(e *event) string {
	d := e.T.Sub(e.Start)
	if e.Start.IsZero() || d < 0 {
		d = time.Duration(e.Seq) * 37 * time.Millisecond
	}
	return fmt.Sprintf("%.3fs", d.Seconds())
}

// sidekiqTID is Sidekiq's thread id: the thread object's id in base 36.
func sidekiqTID(e *event) string { return strconv.FormatInt(int64(1_400_000_000+e.TID*7919), 36) }

// sidekiqJob is the job class and id of a line logged inside a job
// (about half the statements), "" for the others.
func sidekiqJob(e *event) (class, jid string) {
	if docStmt(e, 2) == 0 {
		return "", ""
	}
	var name strings.Builder
	for _, w := range strings.FieldsFunc(e.Comp, func(r rune) bool { return r == '-' || r == '_' || r == '.' }) {
		name.WriteString(strings.ToUpper(w[:1]) + w[1:])
	}
	return name.String() + "Job", fmt.Sprintf("%024x", uint64(fnv32(fmt.Sprint(e.Seq/3, e.PID)))*0x9e3779b97f4a7c15)[:24]
}

// structlogValue is a value as structlog's ConsoleRenderer writes it
// (repr: strings in single quotes, numbers bare).
func structlogValue(v string) string {
	if _, err := strconv.ParseFloat(v, 64); err == nil {
		return v
	}
	if v == "true" || v == "false" {
		return strings.ToUpper(v[:1]) + v[1:]
	}
	return "'" + strings.ReplaceAll(v, "'", `\'`) + "'"
}

var docClasses2 = []docClass{
	// PHP's own error log (error_log = a file, log_errors on): "[d-M-Y
	// H:i:s e] PHP <type>:  <message>", the type "Notice", "Warning",
	// "Fatal error"; two blanks after the colon (php_error_cb).
	// https://www.php.net/manual/en/errorfunc.configuration.php#ini.error-log
	// https://www.explaintopic.com/php/understanding-php-error-log-formats-on-linux-servers-1765909267.html
	{"doc-php-error", func(rng *rand.Rand, l *synthLayout) {
		lv := &docLevels{[6]string{"PHP Notice", "PHP Notice", "PHP Notice", "PHP Warning", "PHP Fatal error", "PHP Fatal error"},
			[6]string{"info", "info", "info", "warn", "fatal", "fatal"}}
		ts := docTS("doc-php-error", "02-Jan-2006 15:04:05 MST", time.Second, true, false)
		l.fields = []synthField{ts, docLevelField(lv)}
		l.levelTruth = lv.truth
		l.end = "  "
		l.render = func(e *event) string { return fmt.Sprintf("[%s] %s:", fmtTS(ts, e), lv.word(e)) }
	}},
	// PHP-FPM's error log (php-fpm.conf error_log, log_level alert, error,
	// warning, notice, debug): "[d-M-Y H:i:s] LEVEL: message", a pool's
	// lines "[pool www] " first. https://www.php.net/manual/en/install.fpm.configuration.php
	// https://docs.huihoo.com/php/manual/2013-02-01/turkish/install.fpm.configuration.html
	{"doc-php-fpm", func(rng *rand.Rand, l *synthLayout) {
		lv := &docLevels{[6]string{"DEBUG", "DEBUG", "NOTICE", "WARNING", "ERROR", "ALERT"},
			[6]string{"debug", "debug", "info", "warn", "error", "fatal"}}
		ts := docTS("doc-php-fpm", "02-Jan-2006 15:04:05", time.Second, true, false)
		pool := func(e *event) string {
			if docStmt(e, 2) == 0 {
				return ""
			}
			return docPick2(e, "www", "api", "admin")
		}
		l.fields = []synthField{ts, docLevelField(lv), docField("pool", pool)}
		l.levelTruth = lv.truth
		l.render = func(e *event) string {
			h := fmt.Sprintf("[%s] %s:", fmtTS(ts, e), lv.word(e))
			if p := pool(e); p != "" {
				h += " [pool " + p + "]"
			}
			return h
		}
	}},
	// MariaDB's error log: "timestamp thread_id [level] message", the
	// time "%04d-%02d-%02d %2d:%02d:%02d" (the hour padded with a blank),
	// the thread 0 for the server's own lines, levels Note, Warning,
	// ERROR. https://mariadb.com/docs/server/server-management/server-monitoring-logs/error-log
	// https://mariadb.com/docs/reference/es10.4/logging/error/
	{"doc-mariadb", func(rng *rand.Rand, l *synthLayout) {
		lv := &docLevels{[6]string{"Note", "Note", "Note", "Warning", "ERROR", "ERROR"},
			[6]string{"info", "info", "info", "warn", "error", "error"}}
		ts := docTS("doc-mariadb", "2006-01-02 15:04:05", time.Second, true, false)
		ts.ts.spaceHour = true
		thread := func(e *event) string {
			if docStmt(e, 3) == 0 {
				return "0"
			}
			return strconv.Itoa(3 + e.TID*11)
		}
		l.fields = []synthField{ts, docLevelField(lv), docField("thread", thread)}
		l.levelTruth = lv.truth
		l.render = func(e *event) string { return fmt.Sprintf("%s %s [%s]", fmtTS(ts, e), thread(e), lv.word(e)) }
	}},
	// The JVM's unified logging (-Xlog, JDK 9+): decorations in brackets,
	// by default uptime, level and tags ("[0.015s][info][gc,heap] ..."),
	// or with the time decoration ("[2024-01-18T15:52:18.144+0000][info][gc]").
	// https://openjdk.org/jeps/158 https://openjdk.org/jeps/271
	// https://gist.github.com/buzztaiki/cc29d6ea3419b85ade13a3c20ca92d03
	{"doc-jvm-xlog", func(rng *rand.Rand, l *synthLayout) {
		lv := &docLevels{[6]string{"trace", "debug", "info", "warning", "error", "error"}, truthsNoFatal}
		withTime := rng.IntN(2) == 0
		ts := docTS("doc-jvm-xlog", "2006-01-02T15:04:05.000-0700", time.Millisecond, true, false)
		tags := func(e *event) string {
			return docPick2(e, "gc", "gc,heap", "gc,start", "class,load", "safepoint", "os,thread", "cds", "jit,compilation")
		}
		l.fields = []synthField{docLevelField(lv), docField("tags", tags)}
		if withTime {
			l.fields = append([]synthField{ts}, l.fields...)
		} else {
			l.fields = append(l.fields, docField("uptime", uptime))
		}
		l.levelTruth = lv.truth
		l.render = func(e *event) string {
			first := uptime(e)
			if withTime {
				first = fmtTS(ts, e)
			}
			return fmt.Sprintf("[%s][%s][%s]", first, lv.word(e), tags(e))
		}
	}},
	// Fluent Bit's own log: "[yyyy/MM/dd HH:mm:ss] [level] [component]
	// message", the level right-aligned to five ("[ info]", "[ warn]").
	// https://docs.fluentbit.io/manual/dev-4.0/pipeline/filters/standard-output
	// https://docs.fluentbit.io/manual/data-pipeline/inputs/fluentbit-logs
	{"doc-fluent-bit", func(rng *rand.Rand, l *synthLayout) {
		lv := &docLevels{[6]string{"trace", "debug", " info", " warn", "error", "error"}, truthsNoFatal}
		ts := docTS("doc-fluent-bit", "2006/01/02 15:04:05", time.Second, true, false)
		comp := func(e *event) string {
			return docPick2(e, "engine", "storage", "sp", "input:tail:tail.0", "output:es:es.0", "filter:kubernetes:kubernetes.0", "http_server", "upstream")
		}
		l.fields = []synthField{ts, docLevelField(lv), docField("component", comp)}
		l.levelTruth = lv.truth
		l.render = func(e *event) string { return fmt.Sprintf("[%s] [%s] [%s]", fmtTS(ts, e), lv.word(e), comp(e)) }
	}},
	// Fluentd's own log: time_format "%Y-%m-%d %H:%M:%S %z", then
	// "[level]: ", a worker's lines "#N " first (multi-process workers).
	// https://docs.fluentd.org/deployment/system-config
	// https://docs.fluentd.org/deployment/multi-process-workers.html
	{"doc-fluentd", func(rng *rand.Rand, l *synthLayout) {
		lv := &docLevels{[6]string{"trace", "debug", "info", "warn", "error", "fatal"}, truthsAll}
		ts := docTS("doc-fluentd", "2006-01-02 15:04:05 -0700", time.Second, true, false)
		worker := func(e *event) string {
			if docStmt(e, 3) == 0 {
				return "" // the supervisor's lines
			}
			return strconv.Itoa(e.TID % 4)
		}
		l.fields = []synthField{ts, docLevelField(lv), docField("worker", worker)}
		l.levelTruth = lv.truth
		l.render = func(e *event) string {
			h := fmt.Sprintf("%s [%s]:", fmtTS(ts, e), lv.word(e))
			if w := worker(e); w != "" {
				h += " #" + w
			}
			return h
		}
	}},
	// supervisord's activity log: "2007-09-08 14:43:22,886 INFO message",
	// four-letter levels (TRAC, DEBG, INFO, WARN, ERRO, CRIT).
	// https://supervisord.org/logging.html
	{"doc-supervisord", func(rng *rand.Rand, l *synthLayout) {
		lv := &docLevels{[6]string{"TRAC", "DEBG", "INFO", "WARN", "ERRO", "CRIT"}, truthsAll}
		ts := docTS("doc-supervisord", "2006-01-02 15:04:05,000", time.Millisecond, true, false)
		l.fields = []synthField{ts, docLevelField(lv)}
		l.levelTruth = lv.truth
		l.render = func(e *event) string { return fmt.Sprintf("%s %s", fmtTS(ts, e), lv.word(e)) }
	}},
	// Sidekiq's logger (6.0+): "UTC time pid=N tid=T [class=C jid=J] LEVEL:
	// message", the job's class and id on the lines of a job.
	// https://github.com/sidekiq/sidekiq/wiki/Logging
	{"doc-sidekiq", func(rng *rand.Rand, l *synthLayout) {
		lv := &docLevels{[6]string{"DEBUG", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"}, truthsNoTrace}
		ts := docTS("doc-sidekiq", "2006-01-02T15:04:05.000Z", time.Millisecond, true, false)
		class := func(e *event) string { c, _ := sidekiqJob(e); return c }
		jid := func(e *event) string { _, j := sidekiqJob(e); return j }
		l.fields = []synthField{ts, docLevelField(lv), docField("pid", func(e *event) string { return strconv.Itoa(e.PID) }),
			docField("tid", sidekiqTID), docField("class", class), docField("jid", jid)}
		l.levelTruth = lv.truth
		l.render = func(e *event) string {
			ctx := ""
			if c, j := sidekiqJob(e); c != "" {
				ctx = " class=" + c + " jid=" + j
			}
			return fmt.Sprintf("%s pid=%d tid=%s%s %s:", fmtTS(ts, e), e.PID, sidekiqTID(e), ctx, lv.word(e))
		}
	}},
	// Scrapy's LOG_FORMAT default "%(asctime)s [%(name)s] %(levelname)s:
	// %(message)s", LOG_DATEFORMAT "%Y-%m-%d %H:%M:%S".
	// https://docs.scrapy.org/en/latest/topics/logging.html
	{"doc-scrapy", func(rng *rand.Rand, l *synthLayout) {
		lv := &docLevels{[6]string{"DEBUG", "DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}, truthsNoTrace}
		ts := docTS("doc-scrapy", "2006-01-02 15:04:05", time.Second, true, false)
		name := func(e *event) string {
			return docPick2(e, "scrapy.core.engine", "scrapy.extensions.logstats", "scrapy.middleware", "scrapy.crawler",
				"scrapy.core.scraper", "scrapy.downloadermiddlewares.retry", strings.ReplaceAll(e.App, "-", "_"))
		}
		l.fields = []synthField{ts, docLevelField(lv), docField("logger", name)}
		l.levelTruth = lv.truth
		l.render = func(e *event) string { return fmt.Sprintf("%s [%s] %s:", fmtTS(ts, e), name(e), lv.word(e)) }
	}},
	// Unbound's log file (log-time-ascii: no): "[epoch] unbound[pid:thread]
	// level: message". https://gist.github.com/radixm46/bab5a461a8de9584fa917bed46922146
	// https://git.zx2c4.com/wireguard-openbsd/tree/usr.sbin/unbound/util/log.c
	{"doc-unbound", func(rng *rand.Rand, l *synthLayout) {
		lv := &docLevels{[6]string{"debug", "debug", "info", "warning", "error", "error"}, truthsNoFatal}
		ts := synthField{kind: "ts", prim: "doc-unbound", ts: tsSpell{name: "doc-unbound", full: true, prec: time.Second, epoch: 1}}
		pt := func(e *event) string { return fmt.Sprintf("%d:%d", e.PID, e.TID%4) }
		l.fields = []synthField{ts, docLevelField(lv), docField("pid-tid", pt)}
		l.levelTruth = lv.truth
		l.render = func(e *event) string { return fmt.Sprintf("[%s] unbound[%s] %s:", fmtTS(ts, e), pt(e), lv.word(e)) }
	}},
	// Squid's cache.log: "yyyy/MM/dd HH:mm:ss kidN| message" (SMP: the
	// kid's number; the master's lines have none).
	// https://www.squid-cache.org/Doc/code/ControlledCacheLogMessages.dyn
	// https://pastebin.com/yNfTLLwh
	{"doc-squid", func(rng *rand.Rand, l *synthLayout) {
		ts := docTS("doc-squid", "2006/01/02 15:04:05", time.Second, true, false)
		kid := func(e *event) string {
			if docStmt(e, 5) == 0 {
				return ""
			}
			return "kid" + strconv.Itoa(1+e.TID%4)
		}
		l.fields = []synthField{ts, docField("kid", kid)}
		l.render = func(e *event) string {
			if k := kid(e); k != "" {
				return fmtTS(ts, e) + " " + k + "|"
			}
			return fmtTS(ts, e) + "|"
		}
	}},
	// Mosquitto's log (log_timestamp true, the default): epoch seconds and
	// a colon. https://mosquitto.org/man/mosquitto-conf-5.html
	// https://pastebin.com/P2FvsF3P
	{"doc-mosquitto", func(rng *rand.Rand, l *synthLayout) {
		ts := synthField{kind: "ts", prim: "doc-mosquitto", ts: tsSpell{name: "doc-mosquitto", full: true, prec: time.Second, epoch: 1}}
		l.fields = []synthField{ts}
		l.render = func(e *event) string { return fmtTS(ts, e) + ":" }
	}},
	// structlog's default ConsoleRenderer (no colour): "time [level     ]
	// event", the level padded to nine, the event padded to 30 columns
	// when key/value pairs follow, the pairs sorted, their values repr'd.
	// https://www.structlog.org/en/21.3.0/getting-started.html
	// https://tessl.io/registry/tessl/pypi-structlog/25.4.0/files/docs/development-tools.md
	{"doc-structlog", func(rng *rand.Rand, l *synthLayout) {
		lv := &docLevels{[6]string{"debug", "debug", "info", "warning", "error", "critical"}, truthsNoTrace}
		ts := docTS("doc-structlog", "2006-01-02 15:04:05", time.Second, true, false)
		l.fields = []synthField{ts, docLevelField(lv)}
		l.levelTruth = lv.truth
		l.render = func(e *event) string { return fmt.Sprintf("%s [%-9s]", fmtTS(ts, e), lv.word(e)) }
		l.trailer = func(e *event) string {
			if len(e.KVs) == 0 {
				return ""
			}
			msg := strings.Join(strings.Fields(e.Msg), " ")
			kvs := append([][2]string(nil), e.KVs...)
			sort.SliceStable(kvs, func(i, j int) bool { return kvs[i][0] < kvs[j][0] })
			var b strings.Builder
			b.WriteString(strings.Repeat(" ", max(0, 30-len(msg))))
			for _, p := range kvs {
				b.WriteString(" " + p[0] + "=" + structlogValue(p[1]))
			}
			return b.String()
		}
	}},
	// pino-pretty's default output (its README and test suite): since 9.0
	// "[HH:MM:ss.l] LEVEL (pid): msg", before it "[epoch ms] LEVEL (pid on
	// host): msg"; the log object's other keys go on lines of their own
	// and are left out here. https://app.unpkg.com/pino-pretty@13.0.0/files/lib/utils/prettify-time.test.js
	// https://app.unpkg.com/pino-pretty@4.5.0/files/test/basic.test.js
	// https://socket.dev/npm/package/pino-pretty/diff/9.0.0
	{"doc-pino-pretty", func(rng *rand.Rand, l *synthLayout) {
		lv := &docLevels{[6]string{"TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"}, truthsAll}
		old := rng.IntN(2) == 0
		ts := docTS("doc-pino-pretty", "15:04:05.000", time.Millisecond, false, true)
		if old {
			ts = synthField{kind: "ts", prim: "doc-pino-pretty", ts: tsSpell{name: "doc-pino-pretty", full: true, prec: time.Millisecond, epoch: 2}}
		}
		l.fields = []synthField{ts, docLevelField(lv), docField("pid", func(e *event) string { return strconv.Itoa(e.PID) })}
		if old {
			l.fields = append(l.fields, docField("host", func(e *event) string { return e.Host }))
		}
		l.levelTruth = lv.truth
		l.bare = true
		l.render = func(e *event) string {
			if old {
				return fmt.Sprintf("[%s] %s (%d on %s):", fmtTS(ts, e), lv.word(e), e.PID, e.Host)
			}
			return fmt.Sprintf("[%s] %s (%d):", fmtTS(ts, e), lv.word(e), e.PID)
		}
	}},
}

// addDocClasses2 turns about one in four of the layouts still composed
// of primitives (no class of addClasses, no documented class of the
// first round) into a documented class of the second round, drawing from
// a stream of its own. The CRI prefix the first round decided is kept.
func addDocClasses2(seed uint64, l *synthLayout, composed bool) {
	rng := rand.New(rand.NewPCG(seed, 0xd0c52))
	if !composed || l.doc != "" || rng.IntN(4) != 0 {
		return
	}
	c := docClasses2[rng.IntN(len(docClasses2))]
	*l = synthLayout{doc: c.name, sep: " ", end: " ", cri: l.cri}
	c.build(rng, l)
}
