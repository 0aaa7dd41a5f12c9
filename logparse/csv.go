package logparse

import (
	"strconv"

	"github.com/gopulse/gopulse/event"
)

// CSV parses log records written as comma-separated values (RFC 4180): a
// fixed list of columns per line, the text ones quoted with a quote inside
// doubled. IIS's comma-delimited log format, Exchange's message tracking
// and protocol logs and PostgreSQL's csvlog write their records so: a
// time, ids, names, a severity and a code, the message as one quoted
// column, then columns that are mostly empty. A line is taken only when it
// is plainly such a record: at least csvMinColumns columns joined by bare
// commas, a quoted column of several words with letters (the message or
// another text; a quoted time is not one), and no quote inside an
// unquoted column (a PostgreSQL csvlog record, recognised by its columns
// below, needs no text column). The columns become the fields
// col.1, col.2…; the first column that reads as a time is the record's
// time, and the first that is a level word the level. Which column holds
// the message is decided per stream, as for JSON records without a known
// message key (jsonmsg.go): the column whose values read as text on about
// as many records as the best one and that is not one constant.
type CSV struct{}

// csvMinColumns is the fewest columns of a line CSV takes.
const csvMinColumns = 8

// csvKeys are the columns' field names, built once.
var csvKeys = func() [][]byte {
	ks := make([][]byte, 64)
	for i := range ks {
		k := "col." + strconv.Itoa(i+1)
		ks[i] = []byte(k)[:len(k):len(k)]
	}
	return ks
}()

// Name returns "csv".
func (CSV) Name() string { return "csv" }

// Parse parses one CSV record.
func (CSV) Parse(line []byte, r *Record) error {
	n, text := 0, false
	for i := 0; i <= len(line); {
		if n == len(csvKeys) {
			return r.Fail("csv", "too many columns", i)
		}
		var v []byte
		if i < len(line) && line[i] == '"' {
			j, doubled := i+1, false
			for {
				if j >= len(line) {
					return r.Fail("csv", "unterminated quoted column", i)
				}
				if line[j] == '"' {
					if j+1 < len(line) && line[j+1] == '"' {
						doubled = true
						j += 2
						continue
					}
					break
				}
				j++
			}
			v = line[i+1 : j : j]
			if doubled {
				v = csvUnquote(r, v)
			}
			if !text && textWeight(r, v) == 2 {
				text = true
			}
			i = j + 1
			if i < len(line) && line[i] != ',' {
				return r.Fail("csv", "text after a quoted column", i)
			}
		} else {
			j := i
			for j < len(line) && line[j] != ',' {
				if line[j] == '"' {
					return r.Fail("csv", "quote in an unquoted column", j)
				}
				j++
			}
			v = line[i:j:j]
			i = j
		}
		r.Add(csvKeys[n], v, event.TypeString)
		n++
		i++ // the comma, or past the end
	}
	if n < csvMinColumns {
		r.Fields = r.Fields[:len(r.Fields)-n]
		return r.Fail("csv", "too few columns", 0)
	}
	cols := r.Fields[len(r.Fields)-n:]
	pg := isPGCSV(cols)
	if !text && !pg {
		r.Fields = r.Fields[:len(r.Fields)-n]
		return r.Fail("csv", "no quoted text column", 0)
	}
	for k := range cols {
		f := &cols[k]
		if pg {
			f.Key = pgCSVKeys[k]
		}
		v := f.Value
		if len(v) == 0 {
			continue
		}
		if r.TS == 0 && v[0] >= '0' && v[0] <= '9' {
			if ns, m, l, ok := r.parseAnyTime(v, 0); ok && m == len(v) {
				r.SetTS(ns, l)
				f.Type = event.TypeTimestamp
				continue
			}
		}
		if r.Level == nil && len(v) >= 3 && (!pg || k == pgSeverity) {
			if l := NormalizeLevel(v); l != nil {
				r.Level = l
				f.Type = event.TypeEnum
				continue
			}
		}
		if t := classify(v); t != event.TypeString {
			f.Type = t
		}
	}
	if pg {
		r.Message = cols[pgMessage].Value
	}
	r.Format = "csv"
	r.Body = line
	return nil
}

// PostgreSQL's csvlog writes a fixed list of columns, documented with the
// table a log file loads into ("Using CSV-Format Log Output" in the
// server's manual, runtime-config-logging): 22 up to 8.4, then
// application_name (9.0, 23), backend_type (13, 24), leader_pid and
// query_id (14, 26). Its message is the 14th column whatever the record's
// other columns hold, so a record recognised as csvlog takes it from the
// first line, where the stream's vote on a message column (jsonmsg.go)
// has too few records to tell the message from a constant text column
// such as backend_type's "client backend"; and its fields take the
// manual's column names (those of its postgres_log table, which
// Filebeat's postgresql module, parsing csvlog, mostly keeps too)
// instead of col.N.
var pgCSVKeys = func() [][]byte {
	names := []string{"log_time", "user_name", "database_name", "process_id", "connection_from",
		"session_id", "session_line_num", "command_tag", "session_start_time", "virtual_transaction_id",
		"transaction_id", "error_severity", "sql_state_code", "message", "detail", "hint",
		"internal_query", "internal_query_pos", "context", "query", "query_pos", "location",
		"application_name", "backend_type", "leader_pid", "query_id"}
	ks := make([][]byte, len(names))
	for i, k := range names {
		ks[i] = []byte(k)[:len(k):len(k)]
	}
	return ks
}()

// pgSeverity and pgMessage are the indexes of csvlog's error_severity
// (the record's level) and message columns.
const (
	pgSeverity = 11
	pgMessage  = 13
)

// isPGCSV reports whether cols are a PostgreSQL csvlog record: 22 to 26
// columns, the 12th a severity the server writes (LOG, ERROR, FATAL,
// PANIC, WARNING, NOTICE, INFO, DEBUG or DEBUG1-5) and the 13th a SQLSTATE
// code (five digits or upper-case letters).
func isPGCSV(cols []event.Field) bool {
	if len(cols) < 22 || len(cols) > len(pgCSVKeys) {
		return false
	}
	code := cols[12].Value
	if len(code) != 5 {
		return false
	}
	for _, c := range code {
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	switch sev := string(cols[11].Value); sev {
	case "LOG", "ERROR", "FATAL", "PANIC", "WARNING", "NOTICE", "INFO", "DEBUG":
		return true
	default:
		return len(sev) == 6 && sev[:5] == "DEBUG" && sev[5] >= '1' && sev[5] <= '5'
	}
}

// csvUnquote returns v with each doubled quote made one, in r's scratch.
func csvUnquote(r *Record, v []byte) []byte {
	start := len(r.scratch)
	for i := 0; i < len(v); i++ {
		r.scratch = append(r.scratch, v[i])
		if v[i] == '"' && i+1 < len(v) && v[i+1] == '"' {
			i++
		}
	}
	return r.scratch[start:len(r.scratch):len(r.scratch)]
}
