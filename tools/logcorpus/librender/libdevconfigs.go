package main

// The configurations of the libdev part, the development share of the
// round written by real libraries: tune on it. Each one's group hashes to
// libdev under the split rule (partOf); TestPlanSplit pins it.

import (
	"context"
	"log/slog"
	"time"

	apex "github.com/apex/log"
	apexjson "github.com/apex/log/handlers/json"
	apexlogfmt "github.com/apex/log/handlers/logfmt"
	"github.com/hashicorp/go-hclog"
	"github.com/lmittmann/tint"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

func libdevConfigs() []config {
	return []config{
		// zap's console encoder with its development encoder config
		// (zap.NewDevelopment: ISO 8601 time, capital level, logger name,
		// short caller).
		{Name: "zap-dev-console", Group: "zap", Library: "go.uber.org/zap",
			Source: "https://github.com/uber-go/zap/blob/master/config.go (NewDevelopmentEncoderConfig)",
			New: goRenderer(zapWith(func() zapcore.Encoder {
				return zapcore.NewConsoleEncoder(zap.NewDevelopmentEncoderConfig())
			}, true))},
		// the production encoder config with the console encoder (epoch
		// seconds, lowercase level), as zap.NewProductionConfig() with
		// Encoding "console" writes.
		{Name: "zap-prod-console", Group: "zap", Library: "go.uber.org/zap",
			Source: "https://github.com/uber-go/zap/blob/master/config.go (NewProductionEncoderConfig, Encoding \"console\")",
			New: goRenderer(zapWith(func() zapcore.Encoder {
				return zapcore.NewConsoleEncoder(zap.NewProductionEncoderConfig())
			}, false))},
		// the production config made readable the way many programs do:
		// EncodeTime = zapcore.ISO8601TimeEncoder, capital levels, console.
		{Name: "zap-iso-console", Group: "zap", Library: "go.uber.org/zap",
			Source: "https://pkg.go.dev/go.uber.org/zap/zapcore#ISO8601TimeEncoder (zap FAQ and README's custom configuration)",
			New: goRenderer(zapWith(func() zapcore.Encoder {
				c := zap.NewProductionEncoderConfig()
				c.EncodeTime = zapcore.ISO8601TimeEncoder
				c.EncodeLevel = zapcore.CapitalLevelEncoder
				return zapcore.NewConsoleEncoder(c)
			}, false))},

		// hclog's default text format (Consul, Nomad, Vault, Terraform
		// plugins), a named logger, and its JSON format.
		{Name: "hclog-text", Group: "hclog", Library: "github.com/hashicorp/go-hclog",
			Source: "https://github.com/hashicorp/go-hclog#readme (hclog.New(&hclog.LoggerOptions{Name: …}))",
			New:    goRenderer(hclogWith(false))},
		{Name: "hclog-json", Group: "hclog", Structured: true, Library: "github.com/hashicorp/go-hclog",
			Source: "https://pkg.go.dev/github.com/hashicorp/go-hclog#LoggerOptions (JSONFormat)",
			New:    goRenderer(hclogWith(true))},

		// apex/log's logfmt and JSON handlers.
		{Name: "apex-logfmt", Group: "apex/log", Structured: true, Library: "github.com/apex/log",
			Source: "https://github.com/apex/log/tree/master/handlers/logfmt",
			New:    goRenderer(apexWith(func(w *syncBuffer) apex.Handler { return apexlogfmt.New(w) }))},
		{Name: "apex-json", Group: "apex/log", Structured: true, Library: "github.com/apex/log",
			Source: "https://github.com/apex/log/tree/master/handlers/json",
			New:    goRenderer(apexWith(func(w *syncBuffer) apex.Handler { return apexjson.New(w) }))},

		// tint: slog handler, its default time (time.StampMilli) and the
		// README's time.Kitchen, without colour (a file).
		{Name: "tint-default", Group: "tint", Library: "github.com/lmittmann/tint",
			Source: "https://pkg.go.dev/github.com/lmittmann/tint#Options (NoColor, default TimeFormat time.StampMilli)",
			New:    goRenderer(tintWith(""))},
		{Name: "tint-kitchen", Group: "tint", Library: "github.com/lmittmann/tint",
			Source: "https://github.com/lmittmann/tint#usage (TimeFormat: time.Kitchen)",
			New:    goRenderer(tintWith(time.Kitchen))},

		// Python's logging, format strings that real software sets.
		{Name: "py-gunicorn", Group: "python:gunicorn", Library: "python3 logging",
			Source: "https://github.com/benoitc/gunicorn/blob/master/gunicorn/glogging.py (CONFIG_DEFAULTS, formatter generic)",
			New:    pyLogging{Fmt: "%(asctime)s [%(process)d] [%(levelname)s] %(message)s", Datefmt: "[%Y-%m-%d %H:%M:%S %z]"}.New},
		{Name: "py-celery-worker", Group: "python:celery-worker", Library: "python3 logging",
			Source: "https://github.com/celery/celery/blob/main/celery/app/defaults.py (worker_log_format)",
			New:    pyLogging{Fmt: "[%(asctime)s: %(levelname)s/%(processName)s] %(message)s"}.New},
		{Name: "py-tornado", Group: "python:tornado", Library: "python3 logging",
			Source: "https://github.com/tornadoweb/tornado/blob/master/tornado/log.py (LogFormatter.DEFAULT_FORMAT without colour, DEFAULT_DATE_FORMAT)",
			New:    pyLogging{Fmt: "[%(levelname)1.1s %(asctime)s %(module)s:%(lineno)d] %(message)s", Datefmt: "%y%m%d %H:%M:%S"}.New},
		{Name: "py-homeassistant", Group: "python:homeassistant", Library: "python3 logging",
			Source: "https://github.com/home-assistant/core/blob/dev/homeassistant/bootstrap.py (async_enable_logging: fmt, FORMAT_DATETIME)",
			New: pyLogging{Fmt: "%(asctime)s.%(msecs)03d %(levelname)s (%(threadName)s) [%(name)s] %(message)s",
				Datefmt: "%Y-%m-%d %H:%M:%S"}.New},

		// Ruby's Logger: the default formatter, its datetime_format, and
		// the proc formatter of its docs.
		{Name: "ruby-default", Group: "ruby:default", Library: "ruby logger",
			Source: "https://docs.ruby-lang.org/en/3.1/Logger.html (default format)",
			New:    rubyLogger{}.New},
		{Name: "ruby-datetime", Group: "ruby:datetime-format", Library: "ruby logger",
			Source: "https://docs.ruby-lang.org/en/3.1/Logger.html (logger.datetime_format = '%Y-%m-%d %H:%M:%S')",
			New:    rubyLogger{DatetimeFormat: "%Y-%m-%d %H:%M:%S"}.New},
		{Name: "ruby-proc", Group: "ruby:proc-formatter", Library: "ruby logger",
			Source: "https://docs.ruby-lang.org/en/3.1/Logger.html (formatter = proc { |severity, datetime, progname, msg| \"#{datetime}: #{msg}\\n\" })",
			New:    rubyLogger{ProcFormatter: true}.New},

		// java.util.logging on one line, the format the best-known answer
		// on how to get it gives.
		{Name: "jul-iso", Group: "jul:iso-bracket", Library: "java.util.logging",
			Source: "https://stackoverflow.com/questions/194765 (java.util.logging.SimpleFormatter.format=[%1$tF %1$tT] [%4$-7s] %5$s %n)",
			New:    julLogger{Format: "[%1$tF %1$tT] [%4$-7s] %5$s %n"}.New},
	}
}

// zapWith writes an entry with the event's time and call site through a
// zapcore.Core (what zap.Logger does after its level check; calling the
// core leaves out the exit of Fatal).
func zapWith(enc func() zapcore.Encoder, named bool) func(w *syncBuffer) func(e *Event) error {
	return func(w *syncBuffer) func(e *Event) error {
		core := zapcore.NewCore(enc(), w, zapcore.DebugLevel)
		levels := map[string]zapcore.Level{"trace": zapcore.DebugLevel, "debug": zapcore.DebugLevel, "info": zapcore.InfoLevel,
			"warn": zapcore.WarnLevel, "error": zapcore.ErrorLevel, "fatal": zapcore.FatalLevel}
		return func(e *Event) error {
			ent := zapcore.Entry{Level: levels[e.Level], Time: e.T, Message: e.Msg,
				Caller: zapcore.EntryCaller{Defined: true, File: "/src/" + e.App + "/" + e.Logger + "/" + e.File, Line: e.Line}}
			if named {
				ent.LoggerName = e.Logger
			}
			fields := make([]zapcore.Field, 0, len(e.KVs))
			for _, p := range e.KVs {
				switch v := typed(p[1]).(type) {
				case int64:
					fields = append(fields, zap.Int64(p[0], v))
				case bool:
					fields = append(fields, zap.Bool(p[0], v))
				default:
					if isErrKey(p[0]) {
						fields = append(fields, zap.NamedError(p[0], errorString(p[1])))
						continue
					}
					fields = append(fields, zap.String(p[0], p[1]))
				}
			}
			return core.Write(ent, fields)
		}
	}
}

func hclogWith(json bool) func(w *syncBuffer) func(e *Event) error {
	return func(w *syncBuffer) func(e *Event) error {
		var now time.Time
		l := hclog.New(&hclog.LoggerOptions{Level: hclog.Trace, Output: w, JSONFormat: json, TimeFn: func() time.Time { return now }})
		levels := map[string]hclog.Level{"trace": hclog.Trace, "debug": hclog.Debug, "info": hclog.Info,
			"warn": hclog.Warn, "error": hclog.Error, "fatal": hclog.Error}
		return func(e *Event) error {
			now = e.T
			l.ResetNamed(e.App+"."+e.Logger).Log(levels[e.Level], e.Msg, kvArgs(e)...)
			return nil
		}
	}
}

func apexWith(mk func(w *syncBuffer) apex.Handler) func(w *syncBuffer) func(e *Event) error {
	return func(w *syncBuffer) func(e *Event) error {
		h := mk(w)
		levels := map[string]apex.Level{"trace": apex.DebugLevel, "debug": apex.DebugLevel, "info": apex.InfoLevel,
			"warn": apex.WarnLevel, "error": apex.ErrorLevel, "fatal": apex.FatalLevel}
		return func(e *Event) error {
			f := apex.Fields{}
			for _, p := range e.KVs {
				f[p[0]] = typed(p[1])
			}
			return h.HandleLog(&apex.Entry{Timestamp: e.T, Level: levels[e.Level], Message: e.Msg, Fields: f})
		}
	}
}

func tintWith(timeFormat string) func(w *syncBuffer) func(e *Event) error {
	return func(w *syncBuffer) func(e *Event) error {
		h := tint.NewHandler(w, &tint.Options{NoColor: true, Level: slog.LevelDebug - 4, TimeFormat: timeFormat})
		levels := map[string]slog.Level{"trace": slog.LevelDebug - 4, "debug": slog.LevelDebug, "info": slog.LevelInfo,
			"warn": slog.LevelWarn, "error": slog.LevelError, "fatal": slog.LevelError + 4}
		return func(e *Event) error {
			r := slog.NewRecord(e.T, levels[e.Level], e.Msg, 0)
			r.Add(kvArgs(e)...)
			return h.Handle(context.Background(), r)
		}
	}
}
