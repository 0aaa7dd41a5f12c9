package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// The sixth round (2026-12-05, r6): projects and header layouts that no
// earlier part has (neither dev, held, fresh, r3, r4 nor r5, nor the
// development part's wide layouts), held back whole like r5. It was built
// blind: at the time of main 5f664fd's engine, by someone who ran no score
// on any part and read no engine change. Only the coordinator scores r6
// (docs/logcorpus.md): nobody tunes on it, and nobody working on the
// engine reads this file.

// r6Projects are modules never used in the corpus before, all held back,
// chosen for a spread of logging libraries (klog, zerolog, zap fields, slog
// key/value twice, logrus WithField chains, Pion's leveled printf logger,
// asynq's and quic-go's printf loggers, Vitess's glog-style log.Infof) and
// for domains the corpus lacks. Licences read from each module's LICENSE.
// Of the other candidates, 9 were refused by the module proxy (or offered
// no usable version), one (a BGP daemon for Kubernetes) gave 25 statements
// only and one repeated a style already chosen: left out before anything
// was rendered.
var r6Projects = []project{
	{"github.com/google/cadvisor", "v0.61.0", "Apache-2.0", false},             // container resource monitor, klog Infof/Warningf
	{"github.com/inbucket/inbucket/v3", "v3.2.0", "MIT", false},                // disposable mail server (SMTP, POP3), zerolog chains
	{"github.com/FerretDB/FerretDB", "v1.24.2", "Apache-2.0", false},           // MongoDB wire protocol on PostgreSQL, zap fields
	{"github.com/mochi-mqtt/server/v2", "v2.7.9", "MIT", false},                // MQTT broker (IoT), slog key/value
	{"github.com/gubernator-io/gubernator/v2", "v2.13.0", "Apache-2.0", false}, // distributed rate limiter, logrus WithField chains
	{"github.com/pion/webrtc/v4", "v4.2.26", "MIT", false},                     // WebRTC stack, Pion's leveled printf logger
	{"github.com/hibiken/asynq", "v0.26.0", "MIT", false},                      // Redis task queue, printf logger (Infof, Warnf)
	{"vitess.io/vitess", "v0.24.4", "Apache-2.0", false},                       // MySQL sharding, glog-style log.Infof/Errorf
	{"github.com/emiago/sipgo", "v1.7.3", "BSD-2-Clause", false},               // SIP (VoIP signalling) stack, slog key/value
	{"github.com/quic-go/quic-go", "v0.65.0", "MIT", false},                    // QUIC and HTTP/3 transport, printf logger (Debugf)
}

const partR6 = "r6" // sixth round: new projects and new header layouts, held back whole

// r6Plan is the fixed rule that makes the r6 part (pinned by TestR6Plan),
// decided before any of it was rendered or scored. It is r5Plan's rule
// with r6's lists and the salt "r6|":
//   - the i-th r6 project (list order) is rendered in the new layouts 2i
//     and 2i+1 (mod their number), and every second one (odd i) also in
//     one layout of the development part (shapes and wide layouts),
//     earlier[hash(module) mod n];
//   - each new layout also renders one development project,
//     devs[hash("r6|"+layout) mod len(devs)], so that a failure in a new
//     layout can be told from a failure on new events.
func r6Plan() []r3Set {
	return heldRoundPlan("r6|", append(append([]shape{}, shapes...), wideShapes...), r6Projects, r6Shapes)
}

// csvField quotes s as PostgreSQL's csvlog does (appendCSVLiteral): in
// double quotes, each double quote doubled.
func csvField(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// r6RustTarget is a Rust module path for the event's call site, as the log
// crate's target defaults to module_path!() ("etcd::raft::transport").
func r6RustTarget(e *event) string {
	id := func(s string) string {
		s = strings.NewReplacer("-", "_", ".", "_", "/", "_").Replace(strings.ToLower(s))
		if s == "" {
			return "main"
		}
		return s
	}
	return id(e.App) + "::" + id(e.Comp) + "::" + id(strings.TrimSuffix(e.File, ".go"))
}

// r6Shapes are header layouts never rendered in the corpus before r6, each
// as a real library or program writes it by default (or with the one
// documented option named), from other languages' loggers, a database's
// CSV log, a firewall, a game engine and an operating system's log tool.
// They are rendered in the r6 part only.
var r6Shapes = []shape{
	// macOS `log show` with its default style (--style default): the
	// columns Timestamp (local time with microseconds and the offset),
	// Thread (hex), Type (Default, Info, Debug, Error, Fault), Activity
	// (hex), PID, TTL, then "process: (library) [subsystem:category]
	// message". The column header line `log show` prints first is left
	// out (the corpus renders events only). Source: log(1) (show, --style)
	// and os_log's levels in Apple's "Logging" documentation (OSLogType).
	{Name: "macos-log-show", Render: func(e *event) string {
		typ := lvl(e.Level, map[string]string{"trace": "Debug", "debug": "Debug", "info": "Info", "warn": "Default", "error": "Error", "fatal": "Fault"})
		thread := fmt.Sprintf("%#x", 0x2c00+e.TID*0x1b3)
		act := "0x0"
		if e.TID%3 == 1 {
			act = fmt.Sprintf("%#x", 0x5a000+e.Seq/5)
		}
		sub := "[com." + strings.ToLower(upperWord(e.App, "app")) + ":" + e.Comp + "] "
		return fmt.Sprintf("%s %-10s %-11s %-20s %-6d %-4d %s: (%s) %s%s%s", micros(e).Format("2006-01-02 15:04:05.000000-0700"), thread, typ, act, e.PID, 0,
			e.App, "lib"+strings.ToLower(upperWord(e.Comp, "core"))+".dylib", sub, e.Msg, textKVs(e))
	}},
	// PostgreSQL's csvlog (log_destination = 'csvlog', PostgreSQL 14+):
	// log_time with milliseconds and zone, user, database, pid, client
	// host:port, session id (start time and pid in hex), session line
	// number, command tag, session start, virtual and real transaction ids,
	// severity (DEBUG1, LOG, WARNING, ERROR, FATAL), SQLSTATE, the message
	// quoted, detail … location empty, application name, backend type,
	// leader pid and query id. Source: PostgreSQL manual, "Using CSV-Format
	// Log Output" (19.8.4), and src/backend/utils/error/csvlog.c.
	{Name: "postgres-csvlog", Render: func(e *event) string {
		sev := lvl(e.Level, map[string]string{"trace": "DEBUG2", "debug": "DEBUG1", "info": "LOG", "warn": "WARNING", "error": "ERROR", "fatal": "FATAL"})
		state := lvl(e.Level, map[string]string{"trace": "00000", "debug": "00000", "info": "00000", "warn": "01000", "error": "XX000", "fatal": "57P01"})
		tag := pick([]string{"SELECT", "INSERT", "UPDATE", "idle", "COMMIT", "authentication", ""}, e.File)
		pid := e.PID + e.TID
		return fmt.Sprintf("%s,%s,%s,%d,%s,%x.%x,%d,%s,%s,%d/%d,0,%s,%s,%s,,,,,,,,,%s,\"client backend\",,0",
			e.T.UTC().Format("2006-01-02 15:04:05.000 MST"), csvField("app"), csvField(e.App), pid, csvField("10.0.0."+strconv.Itoa(2+e.TID%200)+":"+strconv.Itoa(40000+pid%20000)),
			e.Start.Unix(), pid, e.Seq+1, csvField(tag), e.Start.UTC().Format("2006-01-02 15:04:05 MST"), 3+e.TID%8, e.Seq/4+1,
			sev, state, csvField(e.Msg+textKVs(e)), csvField(e.Comp))
	}},
	// Serilog's compact JSON (Serilog.Formatting.Compact,
	// RenderedCompactJsonFormatter): "@t" the timestamp in .NET's
	// round-trip format (seven fractional digits and the offset), "@m"
	// the rendered message, "@i" the event type (a hash of the message
	// template, eight hex digits), "@l" the level, left out for
	// Information, then the properties. Source: the
	// serilog-formatting-compact README (CLEF, "Rendered" format).
	{Name: "serilog-clef", Structured: true, Render: func(e *event) string {
		lv := lvl(e.Level, map[string]string{"trace": "Verbose", "debug": "Debug", "info": "", "warn": "Warning", "error": "Error", "fatal": "Fatal"})
		keys := []string{"@t", "@m", "@i"}
		vals := map[string]any{"@t": micros(e).UTC().Format("2006-01-02T15:04:05.0000000-07:00"), "@m": e.Msg,
			"@i": fmt.Sprintf("%08x", uint32(hash64(e.File+":"+strconv.Itoa(e.Line))))}
		if lv != "" {
			keys = append(keys, "@l")
			vals["@l"] = lv
		}
		for _, p := range e.KVs {
			if _, dup := vals[p[0]]; !dup {
				keys = append(keys, p[0])
				vals[p[0]] = jsonValue(p[1])
			}
		}
		keys = append(keys, "SourceContext")
		vals["SourceContext"] = pascalDotted(e.Class)
		return jsonPairs(keys, vals)
	}},
	// Unreal Engine's log file (Saved/Logs/*.log, -LogTimes=UTC, the
	// default): "[YYYY.MM.DD-HH.MM.SS:mmm][frame]LogCategory: Verbosity:
	// message", the frame counter modulo 1000 right-aligned in three
	// columns, no verbosity word for Log. Source: Unreal Engine's
	// FOutputDeviceHelper::FormatLogLine (Core, OutputDeviceHelper.cpp)
	// and the "Logging in Unreal Engine" documentation.
	{Name: "unreal-engine", Render: func(e *event) string {
		verb := lvl(e.Level, map[string]string{"trace": "VeryVerbose: ", "debug": "Verbose: ", "info": "", "warn": "Warning: ", "error": "Error: ", "fatal": "Error: "})
		cat := "Log" + pascalDotted(strings.ReplaceAll(e.Comp, "-", "."))
		return fmt.Sprintf("[%s:%03d][%3d]%s: %s%s%s", e.T.UTC().Format("2006.01.02-15.04.05"), e.T.Nanosecond()/1e6, (e.Seq*3+e.TID)%1000, strings.ReplaceAll(cat, ".", ""), verb, e.Msg, textKVs(e))
	}},
	// A Minecraft (Java Edition) dedicated server's console and
	// logs/latest.log, from the log4j2.xml shipped in the server jar:
	// "[%d{HH:mm:ss}] [%t/%level]: %msg%n" — the time of day alone, the
	// thread's name and the level. Source: the server jar's log4j2.xml
	// and latest.log lines ("[13:55:07] [Server thread/INFO]: Done").
	{Name: "minecraft-server", Render: func(e *event) string {
		lv := lvl(e.Level, map[string]string{"trace": "DEBUG", "debug": "DEBUG", "info": "INFO", "warn": "WARN", "error": "ERROR", "fatal": "FATAL"})
		th := "Server thread"
		switch e.TID % 5 {
		case 1:
			th = "Worker-Main-" + strconv.Itoa(1+e.TID%7)
		case 2:
			th = "Netty Epoll Server IO #" + strconv.Itoa(e.TID%4)
		case 3:
			th = "User Authenticator #" + strconv.Itoa(1+e.TID%3)
		}
		return fmt.Sprintf("[%s] [%s/%s]: %s%s", e.T.Format("15:04:05"), th, lv, e.Msg, textKVs(e))
	}},
	// Tor's log (a Log line in torrc, or stdout): "Mon DD HH:MM:SS.mmm
	// [severity] message", milliseconds by the default
	// LogTimeGranularity, severities debug, info, notice, warn, err; debug
	// and info messages start with the calling function's name
	// ("circuit_build_times_add_time(): "). Source: Tor's manual
	// (Log, LogTimeGranularity) and src/lib/log/log.c (log_prefix_,
	// should_log_function_name).
	{Name: "tor", Render: func(e *event) string {
		sev := lvl(e.Level, map[string]string{"trace": "debug", "debug": "info", "info": "notice", "warn": "warn", "error": "err", "fatal": "err"})
		fn := ""
		if sev == "debug" || sev == "info" {
			fn = pick([]string{"connection_handle_read", "circuit_expire_building", "channel_tls_handle_cell", "router_rebuild_descriptor",
				"dns_resolve", "rend_service_intro_established", "command_process_create_cell", "relay_send_command_from_edge_"}, e.File+":"+strconv.Itoa(e.Line)) + "(): "
		}
		return fmt.Sprintf("%s [%s] %s%s%s", e.T.Format("Jan 02 15:04:05.000"), sev, fn, e.Msg, textKVs(e))
	}},
	// FortiGate (FortiOS 7.x) event log in its default format, as sent to
	// a syslog server or read from the disk log: all key=value, "date=…
	// time=…" first, then devname, devid, eventtime (nanoseconds since the
	// epoch), tz, logid, type, subtype, level, vd, logdesc and msg in
	// quotes. Source: the FortiOS Log Message Reference (log message
	// format, "Event" log examples).
	{Name: "fortigate", Render: func(e *event) string {
		lv := lvl(e.Level, map[string]string{"trace": "debug", "debug": "debug", "info": "information", "warn": "warning", "error": "error", "fatal": "critical"})
		logid := fmt.Sprintf("01%02d0%05d", hash64(e.Comp)%30, hash64(e.File+":"+strconv.Itoa(e.Line))%100000)
		sub := pick([]string{"system", "router", "vpn", "user", "ha", "sdwan", "wireless"}, e.Comp)
		msg := strings.ReplaceAll(e.Msg+textKVs(e), `"`, `\"`)
		return fmt.Sprintf(`date=%s time=%s devname="%s" devid="FG100FTK%08d" eventtime=%d tz="+0000" logid="%s" type="event" subtype="%s" level="%s" vd="root" logdesc="%s" msg="%s"`,
			e.T.UTC().Format("2006-01-02"), e.T.UTC().Format("15:04:05"), e.Host, hash64(e.Host)%100000000, micros(e).UnixNano(), logid, sub, lv, pascalDotted(e.Comp)+" event", msg)
	}},
	// log4rs (Rust) with its default encoder, PatternEncoder's default
	// pattern "{d} {l} {t} - {m}{n}": the local time in ISO 8601 with
	// nanoseconds and the offset (chrono's %+), the level (TRACE … ERROR)
	// unpadded, the target (the module path), " - ", the message. Source:
	// log4rs's docs (encode::pattern, "The default pattern is
	// {d} {l} {t} - {m}{n}", {d} defaulting to ISO 8601).
	{Name: "log4rs", Render: func(e *event) string {
		lv := lvl(e.Level, map[string]string{"trace": "TRACE", "debug": "DEBUG", "info": "INFO", "warn": "WARN", "error": "ERROR", "fatal": "ERROR"})
		return fmt.Sprintf("%s %s %s - %s%s", micros(e).Format("2006-01-02T15:04:05.000000000-07:00"), lv, r6RustTarget(e), e.Msg, textKVs(e))
	}},
	// The debug module of Node.js (npm "debug") writing to a file or a
	// pipe (stderr not a TTY, the default DEBUG_HIDE_DATE unset): the
	// time as Date#toISOString() (UTC, milliseconds), the namespace
	// ("app:component"), the message; no level. Source: debug's README
	// ("Output streams", "Environment Variables") and src/node.js
	// (formatArgs, getDate).
	{Name: "node-debug", Render: func(e *event) string {
		return fmt.Sprintf("%s %s:%s %s%s", e.T.UTC().Format("2006-01-02T15:04:05.000Z"), e.App, e.Comp, e.Msg, textKVs(e))
	}},
	// Twisted's (Python) classic log file, as twistd writes twistd.log:
	// "%Y-%m-%d %H:%M:%S%z [system] message", no level: the system is the
	// event's log_system ("-" outside any context, "HTTPChannel,3,10.0.0.7"
	// inside a connection), or else "namespace#level" (levels debug, info,
	// warn, error, critical). Source: twisted.logger's
	// formatEventAsClassicLogText and FileLogObserver (time format
	// "%Y-%m-%d %H:%M:%S%z"), and Twisted's "Logging with twisted.logger"
	// howto.
	{Name: "twisted", Render: func(e *event) string {
		sys := "-"
		switch e.TID % 4 {
		case 1:
			sys = fmt.Sprintf("%sProtocol,%d,10.0.0.%d", strings.ReplaceAll(pascalDotted(e.Comp), ".", ""), e.Seq%50, 2+e.TID%200)
		case 2:
			sys = "HTTPChannel," + strconv.Itoa(e.Seq%40) + ",127.0.0.1"
		case 3:
			sys = strings.ReplaceAll(e.App+"."+e.Comp, "-", "_") + "#" + lvl(e.Level, map[string]string{"trace": "debug", "debug": "debug", "info": "info", "warn": "warn", "error": "error", "fatal": "critical"})
		}
		return fmt.Sprintf("%s [%s] %s%s", e.T.Format("2006-01-02 15:04:05-0700"), sys, e.Msg, textKVs(e))
	}},
}

// r6YearLess are the r6 layouts whose time has no year (r6TimeOf reads it as
// year 0); r6ClockOnly those with the time of day alone.
var (
	r6YearLess  = map[string]bool{"tor": true}
	r6ClockOnly = map[string]bool{"minecraft-server": true}
)

// r6TimeOf reads the time back out of a line an r6 layout rendered, with
// its precision, so the renderer check can compare it with the event's
// time.
func r6TimeOf(name, line string) (t time.Time, prec time.Duration, ok bool, err error) {
	cut := func(from, to string) string { return between(line, from, to) }
	head := func(n int) string { return line[:min(n, len(line))] }
	switch name {
	case "macos-log-show":
		return timeAt("2006-01-02 15:04:05.000000-0700", head(31), time.Microsecond)
	case "postgres-csvlog":
		return timeAt("2006-01-02 15:04:05.000 MST", head(27), time.Millisecond)
	case "serilog-clef":
		return timeAt("2006-01-02T15:04:05.0000000-07:00", cut(`"@t":"`, `"`), time.Microsecond)
	case "unreal-engine":
		return timeAt("2006.01.02-15.04.05.000", strings.Replace(cut("[", "]"), ":", ".", 1), time.Millisecond)
	case "minecraft-server":
		return timeAt("15:04:05", cut("[", "]"), time.Second)
	case "tor":
		return timeAt("Jan 02 15:04:05.000", head(19), time.Millisecond)
	case "fortigate":
		return timeAt("2006-01-02 15:04:05", cut("date=", " ")+" "+cut("time=", " "), time.Second)
	case "node-debug":
		return timeAt("2006-01-02T15:04:05.000Z", strings.Fields(line)[0], time.Millisecond)
	case "twisted":
		return timeAt("2006-01-02 15:04:05-0700", head(24), time.Second)
	case "log4rs":
		return timeAt("2006-01-02T15:04:05.000000000-07:00", strings.Fields(line)[0], time.Microsecond)
	}
	return time.Time{}, 0, false, nil
}
