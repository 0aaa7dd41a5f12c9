package main

// The configurations of the r8 part, held back whole: nobody who works on
// the log engine reads this file (docs/logcorpus.md, "r8"). Each one's
// group hashes to r8 under the split rule (partOf); TestPlanSplit pins it.

import (
	"context"
	"io"
	"log/slog"
	"strconv"
	"time"

	charm "github.com/charmbracelet/log"
	kitlog "github.com/go-kit/log"
	"github.com/go-kit/log/level"
	"github.com/inconshreveable/log15"
	"github.com/rs/zerolog"
	"github.com/sirupsen/logrus"
)

func r8Configs() []config {
	return []config{
		// zerolog: the README's "Pretty logging" (ConsoleWriter, its
		// default time.Kitchen time), with NoColor as for a file.
		{Name: "zerolog-console", Group: "zerolog", Library: "github.com/rs/zerolog",
			Source: "https://github.com/rs/zerolog#pretty-logging (console.go: consoleDefaultTimeFormat = time.Kitchen)",
			New:    goRenderer(zerologConsole(zerolog.ConsoleWriter{NoColor: true}, false))},
		// zerolog ConsoleWriter with an RFC 3339 time and the caller, as
		// the README's "Add file and line number to log" shows it.
		{Name: "zerolog-console-caller", Group: "zerolog", Library: "github.com/rs/zerolog",
			Source: "https://github.com/rs/zerolog#add-file-and-line-number-to-log, ConsoleWriter{TimeFormat: time.RFC3339}",
			New:    goRenderer(zerologConsole(zerolog.ConsoleWriter{NoColor: true, TimeFormat: time.RFC3339}, true))},
		// zerolog's default output: JSON, time in RFC 3339 seconds.
		{Name: "zerolog-json", Group: "zerolog", Structured: true, Library: "github.com/rs/zerolog",
			Source: "https://github.com/rs/zerolog#simple-logging-example",
			New:    goRenderer(zerologConsole(zerolog.ConsoleWriter{}, false))},

		// logrus TextFormatter writing to a file: DisableColors and
		// FullTimestamp (README, "Formatters").
		{Name: "logrus-text", Group: "logrus", Structured: true, Library: "github.com/sirupsen/logrus",
			Source: "https://github.com/sirupsen/logrus#formatters (TextFormatter{DisableColors: true, FullTimestamp: true})",
			New:    goRenderer(logrusWith(&logrus.TextFormatter{DisableColors: true, FullTimestamp: true}))},
		// logrus TextFormatter with a TimestampFormat, as in its godoc
		// example of TimestampFormat.
		{Name: "logrus-text-datetime", Group: "logrus", Structured: true, Library: "github.com/sirupsen/logrus",
			Source: "https://pkg.go.dev/github.com/sirupsen/logrus#TextFormatter (TimestampFormat \"2006-01-02 15:04:05\")",
			New:    goRenderer(logrusWith(&logrus.TextFormatter{DisableColors: true, FullTimestamp: true, TimestampFormat: "2006-01-02 15:04:05"}))},
		{Name: "logrus-json", Group: "logrus", Structured: true, Library: "github.com/sirupsen/logrus",
			Source: "https://github.com/sirupsen/logrus#formatters (JSONFormatter)",
			New:    goRenderer(logrusWith(&logrus.JSONFormatter{}))},

		// charmbracelet/log: NewWithOptions with ReportTimestamp and a
		// prefix (README, "Options"), to a file (no colour).
		{Name: "charm-text", Group: "charmbracelet/log", Library: "github.com/charmbracelet/log",
			Source: "https://github.com/charmbracelet/log#options (ReportTimestamp, Prefix; default TimeFormat 2006/01/02 15:04:05)",
			New:    goRenderer(charmWith(charm.TextFormatter))},
		{Name: "charm-logfmt", Group: "charmbracelet/log", Structured: true, Library: "github.com/charmbracelet/log",
			Source: "https://github.com/charmbracelet/log#format (LogfmtFormatter)",
			New:    goRenderer(charmWith(charm.LogfmtFormatter))},

		// log15: StreamHandler with LogfmtFormat (what its docs recommend
		// for files) and JsonFormat.
		{Name: "log15-logfmt", Group: "log15", Structured: true, Library: "github.com/inconshreveable/log15",
			Source: "https://pkg.go.dev/github.com/inconshreveable/log15#LogfmtFormat",
			New:    goRenderer(log15With(log15.LogfmtFormat))},
		{Name: "log15-json", Group: "log15", Structured: true, Library: "github.com/inconshreveable/log15",
			Source: "https://pkg.go.dev/github.com/inconshreveable/log15#JsonFormat",
			New:    goRenderer(log15With(log15.JsonFormat))},

		// go-kit/log: the package doc's "ts"/"caller" context with the
		// level package, logfmt and JSON (as Prometheus and Thanos log).
		{Name: "gokit-logfmt", Group: "go-kit/log", Structured: true, Library: "github.com/go-kit/log",
			Source: "https://pkg.go.dev/github.com/go-kit/log#hdr-Contextual_Loggers (log.With(logger, \"ts\", log.DefaultTimestampUTC, \"caller\", log.DefaultCaller))",
			New:    goRenderer(gokitWith(kitlog.NewLogfmtLogger))},
		{Name: "gokit-json", Group: "go-kit/log", Structured: true, Library: "github.com/go-kit/log",
			Source: "https://pkg.go.dev/github.com/go-kit/log#NewJSONLogger",
			New:    goRenderer(gokitWith(kitlog.NewJSONLogger))},

		// log/slog's two handlers, defaults (the package doc); trace and
		// fatal as the custom levels programs define print (DEBUG-4, ERROR+4).
		{Name: "slog-text", Group: "log/slog", Structured: true, Library: "log/slog",
			Source: "https://pkg.go.dev/log/slog#TextHandler",
			New: goRenderer(slogWith(func(w *syncBuffer, o *slog.HandlerOptions) slog.Handler {
				return slog.NewTextHandler(w, o)
			}))},
		{Name: "slog-json", Group: "log/slog", Structured: true, Library: "log/slog",
			Source: "https://pkg.go.dev/log/slog#JSONHandler",
			New: goRenderer(slogWith(func(w *syncBuffer, o *slog.HandlerOptions) slog.Handler {
				return slog.NewJSONHandler(w, o)
			}))},

		// Python's logging, format strings that real software sets.
		{Name: "py-basic", Group: "python:basic", Library: "python3 logging",
			Source: "https://docs.python.org/3/library/logging.html#logging.basicConfig (BASIC_FORMAT)",
			New:    pyLogging{Fmt: "%(levelname)s:%(name)s:%(message)s"}.New},
		{Name: "py-celery-task", Group: "python:celery-task", Library: "python3 logging",
			Source: "https://github.com/celery/celery/blob/main/celery/app/defaults.py (worker_task_log_format)",
			New: pyLogging{Fmt: "[%(asctime)s: %(levelname)s/%(processName)s] %(task_name)s[%(task_id)s]: %(message)s",
				ProcessName: "ForkPoolWorker-%d"}.New},
		{Name: "py-airflow", Group: "python:airflow", Library: "python3 logging",
			Source: "https://github.com/apache/airflow/blob/main/airflow-core/src/airflow/config_templates/config.yml (logging.log_format)",
			New:    pyLogging{Fmt: "[%(asctime)s] {%(filename)s:%(lineno)d} %(levelname)s - %(message)s"}.New},
		{Name: "py-scrapy", Group: "python:scrapy", Library: "python3 logging",
			Source: "https://github.com/scrapy/scrapy/blob/master/scrapy/settings/default_settings.py (LOG_FORMAT, LOG_DATEFORMAT)",
			New:    pyLogging{Fmt: "%(asctime)s [%(name)s] %(levelname)s: %(message)s", Datefmt: "%Y-%m-%d %H:%M:%S"}.New},
		{Name: "py-django-verbose", Group: "python:django-verbose", Library: "python3 logging",
			Source: "https://docs.djangoproject.com/en/5.2/topics/logging/#examples (formatter \"verbose\", style \"{\")",
			New:    pyLogging{Fmt: "{levelname} {asctime} {module} {process:d} {thread:d} {message}", Style: "{"}.New},
		{Name: "py-salt", Group: "python:salt", Library: "python3 logging",
			Source: "https://github.com/saltstack/salt/blob/master/salt/config/__init__.py (_DFLT_LOG_FMT_LOGFILE, _DFLT_LOG_DATEFMT_LOGFILE)",
			New: pyLogging{Fmt: "%(asctime)s,%(msecs)03d [%(name)-17s:%(lineno)-4d][%(levelname)-8s][%(process)d] %(message)s",
				Datefmt: "%Y-%m-%d %H:%M:%S"}.New},

		// java.util.logging's SimpleFormatter: the first example of its
		// javadoc, and the JDK's default two-line format
		// ($JAVA_HOME/conf/logging.properties leaves it unset).
		{Name: "jul-javadoc", Group: "jul:javadoc-bracket", Library: "java.util.logging",
			Source: "https://docs.oracle.com/en/java/javase/17/docs/api/java.logging/java/util/logging/SimpleFormatter.html#format(java.util.logging.LogRecord) (\"%4$s: %5$s [%1$tc]%n\")",
			New:    julLogger{Format: "%4$s: %5$s [%1$tc]%n"}.New},
		{Name: "jul-default", Group: "jul:default-two-line", Library: "java.util.logging",
			Source: "https://docs.oracle.com/en/java/javase/17/docs/api/java.logging/java/util/logging/SimpleFormatter.html (default format)",
			New:    julLogger{Format: "%1$tb %1$td, %1$tY %1$tl:%1$tM:%1$tS %1$Tp %2$s%n%4$s: %5$s%6$s%n"}.New},
	}
}

// zerologConsole writes through a zerolog logger, into a ConsoleWriter when
// cw has no Out (JSON otherwise: cw is then the zero value). The clock is
// zerolog.TimestampFunc; the caller, when asked for, is the call site.
func zerologConsole(cw zerolog.ConsoleWriter, caller bool) func(w *syncBuffer) func(e *Event) error {
	return func(w *syncBuffer) func(e *Event) error {
		var now time.Time
		zerolog.TimestampFunc = func() time.Time { return now }
		var out zerolog.Logger
		if cw.NoColor || cw.TimeFormat != "" {
			cw.Out = w
			out = zerolog.New(cw)
		} else {
			out = zerolog.New(w)
		}
		out = out.Level(zerolog.TraceLevel).With().Timestamp().Logger()
		levels := map[string]zerolog.Level{"trace": zerolog.TraceLevel, "debug": zerolog.DebugLevel, "info": zerolog.InfoLevel,
			"warn": zerolog.WarnLevel, "error": zerolog.ErrorLevel, "fatal": zerolog.FatalLevel}
		return func(e *Event) error {
			now = e.T
			ev := out.WithLevel(levels[e.Level])
			if caller {
				ev = ev.Str(zerolog.CallerFieldName, e.Logger+"/"+e.File+":"+strconv.Itoa(e.Line))
			}
			for _, p := range e.KVs {
				switch v := typed(p[1]).(type) {
				case int64:
					ev = ev.Int64(p[0], v)
				case bool:
					ev = ev.Bool(p[0], v)
				default:
					if isErrKey(p[0]) {
						ev = ev.AnErr(p[0], errorString(p[1]))
						continue
					}
					ev = ev.Str(p[0], p[1])
				}
			}
			ev.Msg(e.Msg)
			return nil
		}
	}
}

type errorString string

func (e errorString) Error() string { return string(e) }

func logrusWith(f logrus.Formatter) func(w *syncBuffer) func(e *Event) error {
	return func(w *syncBuffer) func(e *Event) error {
		l := logrus.New()
		l.Out = w
		l.Formatter = f
		l.SetLevel(logrus.TraceLevel)
		levels := map[string]logrus.Level{"trace": logrus.TraceLevel, "debug": logrus.DebugLevel, "info": logrus.InfoLevel,
			"warn": logrus.WarnLevel, "error": logrus.ErrorLevel, "fatal": logrus.FatalLevel}
		return func(e *Event) error {
			fields := logrus.Fields{}
			for _, p := range e.KVs {
				if isErrKey(p[0]) {
					fields[p[0]] = errorString(p[1])
					continue
				}
				fields[p[0]] = typed(p[1])
			}
			l.WithTime(e.T).WithFields(fields).Log(levels[e.Level], e.Msg)
			return nil
		}
	}
}

func charmWith(f charm.Formatter) func(w *syncBuffer) func(e *Event) error {
	return func(w *syncBuffer) func(e *Event) error {
		var now time.Time
		l := charm.NewWithOptions(w, charm.Options{ReportTimestamp: true, Level: charm.DebugLevel, Formatter: f,
			TimeFunction: func(time.Time) time.Time { return now }})
		levels := map[string]charm.Level{"trace": charm.DebugLevel, "debug": charm.DebugLevel, "info": charm.InfoLevel,
			"warn": charm.WarnLevel, "error": charm.ErrorLevel, "fatal": charm.FatalLevel}
		return func(e *Event) error {
			now = e.T
			l.WithPrefix(e.Logger).Log(levels[e.Level], e.Msg, kvArgs(e)...)
			return nil
		}
	}
}

func log15With(format func() log15.Format) func(w *syncBuffer) func(e *Event) error {
	return func(w *syncBuffer) func(e *Event) error {
		h := log15.StreamHandler(w, format())
		levels := map[string]log15.Lvl{"trace": log15.LvlDebug, "debug": log15.LvlDebug, "info": log15.LvlInfo,
			"warn": log15.LvlWarn, "error": log15.LvlError, "fatal": log15.LvlCrit}
		return func(e *Event) error {
			return h.Log(&log15.Record{Time: e.T, Lvl: levels[e.Level], Msg: e.Msg, Ctx: kvArgs(e),
				KeyNames: log15.RecordKeyNames{Time: "t", Msg: "msg", Lvl: "lvl"}})
		}
	}
}

func gokitWith(mk func(w io.Writer) kitlog.Logger) func(w *syncBuffer) func(e *Event) error {
	return func(w *syncBuffer) func(e *Event) error {
		var cur *Event
		l := mk(w)
		l = kitlog.With(l, "ts", kitlog.TimestampFormat(func() time.Time { return cur.T.UTC() }, time.RFC3339Nano),
			"caller", kitlog.Valuer(func() any { return cur.File + ":" + strconv.Itoa(cur.Line) }))
		return func(e *Event) error {
			cur = e
			var ll kitlog.Logger
			switch e.Level {
			case "trace", "debug":
				ll = level.Debug(l)
			case "info":
				ll = level.Info(l)
			case "warn":
				ll = level.Warn(l)
			default:
				ll = level.Error(l)
			}
			return ll.Log(append([]any{"msg", e.Msg}, kvArgs(e)...)...)
		}
	}
}

func slogWith(mk func(w *syncBuffer, o *slog.HandlerOptions) slog.Handler) func(w *syncBuffer) func(e *Event) error {
	return func(w *syncBuffer) func(e *Event) error {
		h := mk(w, &slog.HandlerOptions{Level: slog.LevelDebug - 4})
		levels := map[string]slog.Level{"trace": slog.LevelDebug - 4, "debug": slog.LevelDebug, "info": slog.LevelInfo,
			"warn": slog.LevelWarn, "error": slog.LevelError, "fatal": slog.LevelError + 4}
		return func(e *Event) error {
			r := slog.NewRecord(e.T, levels[e.Level], e.Msg, 0)
			r.Add(kvArgs(e)...)
			return h.Handle(context.Background(), r)
		}
	}
}
