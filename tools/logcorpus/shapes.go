package main

import (
	"encoding/json"
	"fmt"
	"path"
	"strconv"
	"strings"
	"time"
)

// event is one rendered log statement before its header is added.
type event struct {
	T      time.Time
	Start  time.Time // when the stream's program started (layouts that print the time since)
	Level  string    // trace … fatal
	Comp   string    // short component (directory of the call site)
	Class  string    // Java-style logger name from the call site
	File   string    // base name of the call site's file
	Line   int
	PID    int
	TID    int
	Host   string
	Thread string
	App    string // the program's name (the module's last path element)
	Seq    int
	Msg    string
	KVs    [][2]string
}

// shape is a real header layout, as written by a logging library or a
// program's default configuration.
type shape struct {
	Name string
	// Structured shapes (JSON and logfmt lines) carry the message in a
	// field: their ground truth is the message alone, as the key/value
	// pairs are fields, not template text.
	Structured bool
	Render     func(e *event) string
}

func quoteIfNeeded(s string) string {
	if s == "" || strings.ContainsAny(s, " \"=\t") {
		return strconv.Quote(s)
	}
	return s
}

func logfmtKVs(kvs [][2]string) string {
	var b strings.Builder
	for _, p := range kvs {
		b.WriteByte(' ')
		b.WriteString(p[0])
		b.WriteByte('=')
		b.WriteString(quoteIfNeeded(p[1]))
	}
	return b.String()
}

// klogKVs: strings are always quoted, numbers bare.
func klogKVs(kvs [][2]string) string {
	var b strings.Builder
	for _, p := range kvs {
		b.WriteByte(' ')
		b.WriteString(p[0])
		b.WriteByte('=')
		if _, err := strconv.ParseFloat(p[1], 64); err == nil {
			b.WriteString(p[1])
		} else {
			b.WriteString(strconv.Quote(p[1]))
		}
	}
	return b.String()
}

func jsonValue(s string) any {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n
	}
	if s == "true" || s == "false" {
		return s == "true"
	}
	return s
}

// zapKVs: zap's console encoder puts the fields after a tab as JSON.
func zapKVs(kvs [][2]string) string {
	if len(kvs) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("\t{")
	for i, p := range kvs {
		if i > 0 {
			b.WriteString(", ")
		}
		k, _ := json.Marshal(p[0])
		v, _ := json.Marshal(jsonValue(p[1]))
		b.Write(k)
		b.WriteString(": ")
		b.Write(v)
	}
	b.WriteByte('}')
	return b.String()
}

func textKVs(e *event) string { return logfmtKVs(e.KVs) }

func upper(l string) string { return strings.ToUpper(l) }

func short(l string, n int) string {
	m := map[string][]string{
		"trace": {"T", "TRC", "TRACE"}, "debug": {"D", "DBG", "DEBUG"}, "info": {"I", "INF", "INFO"},
		"warn": {"W", "WRN", "WARN"}, "error": {"E", "ERR", "ERROR"}, "fatal": {"F", "FTL", "FATAL"},
	}
	return m[l][n]
}

func jsonLine(fields ...any) string {
	var b strings.Builder
	b.WriteByte('{')
	for i := 0; i+1 < len(fields); i += 2 {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(fields[i])
		v, _ := json.Marshal(fields[i+1])
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.String()
}

func withKVs(fields []any, kvs [][2]string) []any {
	for _, p := range kvs {
		fields = append(fields, p[0], jsonValue(p[1]))
	}
	return fields
}

var shapes = []shape{
	{Name: "klog", Render: func(e *event) string {
		msg := e.Msg
		if len(e.KVs) > 0 {
			msg = strconv.Quote(e.Msg) + klogKVs(e.KVs)
		}
		return fmt.Sprintf("%s%s %7d %s:%d] %s", short(e.Level, 0), e.T.Format("0102 15:04:05.000000"), e.TID, e.File, e.Line, msg)
	}},
	{Name: "cri-klog", Render: func(e *event) string {
		msg := e.Msg
		if len(e.KVs) > 0 {
			msg = strconv.Quote(e.Msg) + klogKVs(e.KVs)
		}
		return fmt.Sprintf("%s stderr F %s%s %7d %s:%d] %s", e.T.Add(3*time.Millisecond).Format(time.RFC3339Nano), short(e.Level, 0), e.T.Format("0102 15:04:05.000000"), e.TID, e.File, e.Line, msg)
	}},
	{Name: "zap-console", Render: func(e *event) string {
		return fmt.Sprintf("%s\t%s\t%s/%s:%d\t%s%s", e.T.Format("2006-01-02T15:04:05.000Z0700"), upper(e.Level), e.Comp, e.File, e.Line, e.Msg, zapKVs(e.KVs))
	}},
	{Name: "zap-json", Structured: true, Render: func(e *event) string {
		return jsonLine(withKVs([]any{"level", e.Level, "ts", float64(e.T.UnixMilli()) / 1000, "caller", e.Comp + "/" + e.File + ":" + strconv.Itoa(e.Line), "msg", e.Msg}, e.KVs)...)
	}},
	{Name: "logrus-text", Structured: true, Render: func(e *event) string {
		return fmt.Sprintf("time=%q level=%s msg=%s%s", e.T.Format(time.RFC3339), e.Level, strconv.Quote(e.Msg), logfmtKVs(e.KVs))
	}},
	{Name: "logrus-tty", Render: func(e *event) string {
		return fmt.Sprintf("%s[%04d] %-44s%s", upper(e.Level)[:4], e.Seq/10, e.Msg, logfmtKVs(e.KVs))
	}},
	{Name: "golog", Render: func(e *event) string {
		return e.T.Format("2006/01/02 15:04:05 ") + e.Msg + textKVs(e)
	}},
	{Name: "golog-shortfile-prefix", Render: func(e *event) string {
		return fmt.Sprintf("[%s] %s %s:%d: %s%s", e.Comp, e.T.Format("2006/01/02 15:04:05.000000"), e.File, e.Line, e.Msg, textKVs(e))
	}},
	{Name: "slog-text", Structured: true, Render: func(e *event) string {
		return fmt.Sprintf("time=%s level=%s msg=%s%s", e.T.Format("2006-01-02T15:04:05.000Z07:00"), upper(e.Level), quoteIfNeeded(e.Msg), logfmtKVs(e.KVs))
	}},
	{Name: "hclog", Render: func(e *event) string {
		kv := ""
		if len(e.KVs) > 0 {
			kv = ":" + logfmtKVs(e.KVs)
		}
		return fmt.Sprintf("%s [%-5s] %s: %s%s", e.T.Format("2006-01-02T15:04:05.000Z0700"), upper(e.Level), e.Comp, e.Msg, kv)
	}},
	{Name: "log4j", Render: func(e *event) string {
		return fmt.Sprintf("%s %s [%s] %s: %s%s", e.T.Format("2006-01-02 15:04:05,000"), upper(e.Level), e.Thread, e.Class, e.Msg, textKVs(e))
	}},
	{Name: "logback", Render: func(e *event) string {
		return fmt.Sprintf("%s [%s] %-5s %s - %s%s", e.T.Format("15:04:05.000"), e.Thread, upper(e.Level), abbrev(e.Class), e.Msg, textKVs(e))
	}},
	{Name: "python", Render: func(e *event) string {
		return fmt.Sprintf("%s - %s - %s - %s%s", e.T.Format("2006-01-02 15:04:05,000"), e.Comp, upper(e.Level), e.Msg, textKVs(e))
	}},
	{Name: "python-basic", Render: func(e *event) string {
		return fmt.Sprintf("%s:%s:%s%s", upper(e.Level), e.Comp, e.Msg, textKVs(e))
	}},
	{Name: "syslog", Render: func(e *event) string {
		return fmt.Sprintf("%s %s %s[%d]: %s%s", e.T.Format(time.Stamp), e.Host, e.Comp, e.PID, e.Msg, textKVs(e))
	}},
	{Name: "rsyslog-rfc3339", Render: func(e *event) string {
		return fmt.Sprintf("%s %s %s[%d]: %s%s", e.T.Format("2006-01-02T15:04:05.000000-07:00"), e.Host, e.Comp, e.PID, e.Msg, textKVs(e))
	}},
	{Name: "nats", Render: func(e *event) string {
		return fmt.Sprintf("[%d] %s [%s] %s%s", e.PID, e.T.Format("2006/01/02 15:04:05.000000"), short(e.Level, 1), e.Msg, textKVs(e))
	}},
	{Name: "record-id-first", Render: func(e *event) string {
		return fmt.Sprintf("%06d %s %s.%s %s %d %d %s%s", e.Seq, e.Host, e.Comp, e.Level, stateWord(e), e.T.Unix(), e.TID%2, e.Msg, textKVs(e))
	}},
	{Name: "dash-epoch-date", Render: func(e *event) string {
		alert := "-"
		if e.Level == "fatal" || e.Level == "error" {
			alert = "APPERR"
		}
		return fmt.Sprintf("%s %d %s %s %s %s APP %s %s %s%s", alert, e.T.Unix(), e.T.Format("2006.01.02"), e.Host, e.T.Format("2006-01-02-15.04.05.000000"), e.Host, strings.ToUpper(e.Comp), upper(e.Level), e.Msg, textKVs(e))
	}},
	{Name: "bracketed-es", Render: func(e *event) string {
		return fmt.Sprintf("[%s][%-5s][%-25s] [%s] %s%s", e.T.Format("2006-01-02T15:04:05,000"), upper(e.Level), abbrev(e.Class), e.Host, e.Msg, textKVs(e))
	}},
	{Name: "kafka", Render: func(e *event) string {
		return fmt.Sprintf("[%s] %s %s%s (%s)", e.T.Format("2006-01-02 15:04:05,000"), upper(e.Level), e.Msg, textKVs(e), e.Class)
	}},
	{Name: "yymmdd-hhmmss", Render: func(e *event) string {
		return fmt.Sprintf("%s %d %s %s: %s%s", e.T.Format("060102 150405"), e.TID, upper(e.Level), e.Class, e.Msg, textKVs(e))
	}},
	{Name: "yy-slash-date", Render: func(e *event) string {
		return fmt.Sprintf("%s %s %s: %s%s", e.T.Format("06/01/02 15:04:05"), upper(e.Level), e.Class, e.Msg, textKVs(e))
	}},
	{Name: "dd-mm-yy", Render: func(e *event) string {
		return fmt.Sprintf("%s %s [%s] %s%s", e.T.Format("02/01/06 15:04:05"), upper(e.Level), e.Comp, e.Msg, textKVs(e))
	}},
	{Name: "windows-cbs", Render: func(e *event) string {
		lv := map[string]string{"trace": "Info", "debug": "Info", "info": "Info", "warn": "Warning", "error": "Error", "fatal": "Error"}[e.Level]
		return fmt.Sprintf("%s, %-22s%-7s%s%s", e.T.Format("2006-01-02 15:04:05"), lv, strings.ToUpper(e.Comp[:min(4, len(e.Comp))]), e.Msg, textKVs(e))
	}},
	{Name: "postgres", Render: func(e *event) string {
		lv := map[string]string{"trace": "DEBUG", "debug": "DEBUG", "info": "LOG", "warn": "WARNING", "error": "ERROR", "fatal": "FATAL"}[e.Level]
		return fmt.Sprintf("%s UTC [%d] %s:  %s%s", e.T.Format("2006-01-02 15:04:05.000"), e.PID, lv, e.Msg, textKVs(e))
	}},
	{Name: "redis", Render: func(e *event) string {
		lv := map[string]string{"trace": ".", "debug": ".", "info": "*", "warn": "#", "error": "#", "fatal": "#"}[e.Level]
		return fmt.Sprintf("%d:M %s %s %s%s", e.PID, e.T.Format("02 Jan 2006 15:04:05.000"), lv, e.Msg, textKVs(e))
	}},
	{Name: "mysql", Render: func(e *event) string {
		lv := map[string]string{"trace": "Note", "debug": "Note", "info": "Note", "warn": "Warning", "error": "ERROR", "fatal": "ERROR"}[e.Level]
		return fmt.Sprintf("%s %d [%s] [MY-%06d] [Server] %s%s", e.T.Format("2006-01-02T15:04:05.000000Z"), e.TID%8, lv, 10000+e.Line, e.Msg, textKVs(e))
	}},
	{Name: "logcat", Render: func(e *event) string {
		return fmt.Sprintf("%s %5d %5d %s %s: %s%s", e.T.Format("01-02 15:04:05.000"), e.PID, e.TID, short(e.Level, 0), e.Comp, e.Msg, textKVs(e))
	}},
	{Name: "epoch-first", Render: func(e *event) string {
		return fmt.Sprintf("%d.%03d %s %s %s%s", e.T.Unix(), e.T.Nanosecond()/1e6, e.Host, upper(e.Level), e.Msg, textKVs(e))
	}},
	{Name: "cassandra", Render: func(e *event) string {
		return fmt.Sprintf("%-5s [%s] %s %s:%d - %s%s", upper(e.Level), e.Thread, e.T.Format("2006-01-02 15:04:05,000"), javaFile(e.Class), e.Line, e.Msg, textKVs(e))
	}},
	{Name: "host-first", Render: func(e *event) string {
		return fmt.Sprintf("%s %s %s %s%s", e.Host, e.T.Format(time.RFC3339), upper(e.Level), e.Msg, textKVs(e))
	}},
	{Name: "rabbitmq", Render: func(e *event) string {
		return fmt.Sprintf("%s [%s] <0.%d.0> %s%s", e.T.Format("2006-01-02 15:04:05.000000-07:00"), e.Level, 100+e.TID%900, e.Msg, textKVs(e))
	}},
	{Name: "coredns", Render: func(e *event) string {
		return fmt.Sprintf("[%s] %s: %s%s", upper(e.Level), "plugin/"+e.Comp, e.Msg, textKVs(e))
	}},
	{Name: "syslog-noyear-host-prog", Render: func(e *event) string {
		return fmt.Sprintf("%s %s %s: [%s] %s%s", e.T.Format("Jan _2 15:04:05"), e.Host, e.Comp, upper(e.Level), e.Msg, textKVs(e))
	}},
	{Name: "iso-pipe", Render: func(e *event) string {
		return fmt.Sprintf("%s|%s|%d|%s%s", e.T.Format("20060102-15:04:05:000"), e.Comp, e.TID, e.Msg, textKVs(e))
	}},
	{Name: "docker-json-golog", Render: func(e *event) string {
		inner := e.T.Format("2006/01/02 15:04:05 ") + e.Msg + textKVs(e) + "\n"
		return jsonLine("log", inner, "stream", "stderr", "time", e.T.Add(time.Millisecond).Format(time.RFC3339Nano))
	}},
	{Name: "bracket-level-first", Render: func(e *event) string {
		return fmt.Sprintf("[%s] %s [%s] %s%s", upper(e.Level), e.T.Format("2006-01-02 15:04:05.000"), e.Thread, e.Msg, textKVs(e))
	}},
}

func stateWord(e *event) string {
	return []string{"state_change.unavailable", "boot.ok", "net.link", "sched.core", "fs.mount"}[len(e.Comp)%5]
}

// abbrev shortens a Java logger name as logback's %logger{20} does: o.e.s.Foo.
func abbrev(class string) string {
	parts := strings.Split(class, ".")
	for i := 0; i < len(parts)-1; i++ {
		if parts[i] != "" {
			parts[i] = parts[i][:1]
		}
	}
	return strings.Join(parts, ".")
}

func javaFile(class string) string {
	return path.Ext(class)[1:] + ".java"
}
