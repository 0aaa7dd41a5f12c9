package logparse

// Normalised level names. NormalizeLevel returns sub-slices of this table,
// which must never be written to.
var levelNames = [...][]byte{
	lvlTrace: []byte("trace"),
	lvlDebug: []byte("debug"),
	lvlInfo:  []byte("info"),
	lvlWarn:  []byte("warn"),
	lvlError: []byte("error"),
	lvlFatal: []byte("fatal"),
}

const (
	lvlNone = iota - 1
	lvlTrace
	lvlDebug
	lvlInfo
	lvlWarn
	lvlError
	lvlFatal
)

// NormalizeLevel maps a level word to one of "trace", "debug", "info",
// "warn", "error" or "fatal" (case-insensitive; common synonyms such as
// "WARNING", "err", "crit", "notice", "dbg" and the single letters used by
// klog and others). It returns nil for anything else. The result is shared
// and read-only.
func NormalizeLevel(b []byte) []byte {
	if l := levelIndex(b); l >= 0 {
		return levelNames[l][:len(levelNames[l]):len(levelNames[l])]
	}
	return nil
}

func levelIndex(b []byte) int {
	if len(b) == 0 || len(b) > 13 {
		return lvlNone
	}
	if b[0] >= 0x80 {
		return symbolLevel(b)
	}
	var buf [13]byte
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf[i] = c
	}
	switch string(buf[:len(b)]) {
	// The numbers are pino/bunyan levels (10 trace … 60 fatal).
	// "vrb": Serilog's three-letter Verbose; "trce", "dbug": .NET's
	// console formatters (with "fail" and "crit" below).
	case "trace", "trc", "trac", "trce", "vrb", "verbose", "finest", "finer", "t", "10":
		return lvlTrace
	case "debug", "dbg", "debu", "dbug", "fine", "d", "debug1", "debug2", "debug3", "debug4", "debug5", "20":
		return lvlDebug
	case "info", "inf", "information", "informational", "notice", "note", "i", "n", "config", "log", "30":
		return lvlInfo
	case "warn", "warning", "wrn", "w", "wa", "40":
		return lvlWarn
	case "error", "err", "erro", "eror", "e", "severe", "fail", "failure", "50":
		return lvlError
	case "fatal", "ftl", "fata", "pani", "f", "crit", "critical", "alert", "emerg", "emergency", "panic", "dpanic", "c", "a", "60":
		return lvlFatal
	}
	return lvlNone
}

// symbolLevel maps a level written as a symbol to its level. Console
// loggers write the level so, alone or before its word: log-symbols and
// figures (Node; their ports py-log-symbols, Ruby's log-symbols, Go's
// guumaster/logsymbols) "ℹ" "✔" "⚠" "✖" with the fallbacks "√" "‼" "×";
// consola's fancy reporter those and "⚙" debug, "→" trace; signale's
// badges "ℹ" "✔" "⚠" "✖", "●" note, "›" debug; apex/log's and
// goreleaser's CLI handlers "•" and "⨯". A success is info; an emoji
// form (a variation selector after the symbol, "⚠️") is the symbol's.
func symbolLevel(b []byte) int {
	if n := len(b); n > 3 && string(b[n-3:]) == "\uFE0F" {
		b = b[:n-3]
	}
	switch string(b) {
	case "ℹ", "✔", "✓", "√", "✅", "•", "●":
		return lvlInfo
	case "⚠", "‼":
		return lvlWarn
	case "✖", "✘", "✗", "×", "⨯", "❌":
		return lvlError
	case "⚙", "›":
		return lvlDebug
	case "→":
		return lvlTrace
	}
	return lvlNone
}

// HeaderLevel normalises a header's level: a level word as NormalizeLevel
// does, or a syslog priority "<N>" written before a line with no syslog
// header after it (sd-daemon(3)'s "<4>" prefixes for the journal, .NET's
// systemd console formatter, the kernel's /dev/kmsg) as its severity.
func HeaderLevel(b []byte) []byte {
	if n := len(b); n >= 3 && n <= 5 && b[0] == '<' && b[n-1] == '>' {
		v := 0
		for _, c := range b[1 : n-1] {
			if c < '0' || c > '9' {
				return nil
			}
			v = v*10 + int(c-'0')
		}
		if v > 191 {
			return nil
		}
		return syslogLevel(v & 7)
	}
	return NormalizeLevel(b)
}

// syslogLevel maps a syslog severity (0..7) to a level name.
func syslogLevel(sev int) []byte {
	switch {
	case sev <= 2:
		return levelNames[lvlFatal]
	case sev == 3:
		return levelNames[lvlError]
	case sev == 4:
		return levelNames[lvlWarn]
	case sev <= 6:
		return levelNames[lvlInfo]
	default:
		return levelNames[lvlDebug]
	}
}
