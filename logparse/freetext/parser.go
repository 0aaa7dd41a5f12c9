package freetext

import (
	"github.com/gopulse/gopulse/event"
	"github.com/gopulse/gopulse/logparse"
)

// Field names set by Parser.
const (
	KeyTime      = "time"
	KeyLevel     = "level"
	KeyHost      = "host"
	KeyProgram   = "program"
	KeyPID       = "pid"
	KeyThread    = "thread"
	KeyComponent = "component"
	KeySource    = "source"
)

// Parser is the free-text logparse.Parser, the Stream's fallback: it
// accepts every non-empty line, fills the header fields it finds and sets
// Message to the rest of the line. It is safe for concurrent use.
type Parser struct {
	// Year completes timestamps without a year (syslog style); 0 leaves
	// such timestamps unparsed (the text is still kept as a field).
	Year int
}

// Name returns "freetext".
func (Parser) Name() string { return "freetext" }

var (
	keyTime      = []byte(KeyTime)
	keyLevel     = []byte(KeyLevel)
	keyHost      = []byte(KeyHost)
	keyProgram   = []byte(KeyProgram)
	keyPID       = []byte(KeyPID)
	keyThread    = []byte(KeyThread)
	keyComponent = []byte(KeyComponent)
	keySource    = []byte(KeySource)
)

// Parse implements logparse.Parser. It never fails on a non-empty line.
func (p Parser) Parse(line []byte, r *logparse.Record) error {
	var h Header
	Split(line, &h)
	r.Format = "freetext"
	if len(h.Time) > 0 {
		r.Add(keyTime, h.Time, event.TypeTimestamp)
		if ts, n, layout, ok := logparse.ParseAnyTime(h.Time, p.Year); ok && n == len(h.Time) {
			r.TS, r.TSLayout = ts, layout
		}
	}
	if len(h.Level) > 0 {
		r.Add(keyLevel, h.Level, event.TypeEnum)
		r.Level = logparse.NormalizeLevel(h.Level)
	}
	if len(h.Host) > 0 {
		r.Add(keyHost, h.Host, event.TypeString)
	}
	if len(h.Program) > 0 {
		r.Add(keyProgram, h.Program, event.TypeString)
	}
	if len(h.PID) > 0 {
		r.Add(keyPID, h.PID, event.TypeInt)
	}
	if len(h.Thread) > 0 {
		r.Add(keyThread, h.Thread, event.TypeString)
	}
	if len(h.Component) > 0 {
		r.Add(keyComponent, h.Component, event.TypeString)
	}
	if len(h.Source) > 0 {
		r.Add(keySource, h.Source, event.TypeString)
	}
	r.Message = h.Message
	r.Body = line
	return nil
}

// Refine looks for a header nested at the start of r.Message (see
// SplitMessage) in a record another format produced, moves the fields it
// finds into r and leaves the rest as r.Message. Free-text records are left
// alone: their header was taken already. It reports whether it changed r.
func Refine(r *logparse.Record) bool {
	if r.Format == "freetext" || len(r.Message) == 0 {
		return false
	}
	var h Header
	if !SplitMessage(r.Message, &h) {
		return false
	}
	if len(h.Level) > 0 {
		r.Add(keyLevel, h.Level, event.TypeEnum)
		if r.Level == nil {
			r.Level = logparse.NormalizeLevel(h.Level)
		}
	}
	if len(h.Thread) > 0 {
		r.Add(keyThread, h.Thread, event.TypeString)
	}
	if len(h.Component) > 0 {
		r.Add(keyComponent, h.Component, event.TypeString)
	}
	r.Message = h.Message
	return true
}
