package freetext

// A source word and a level label of several words, ended by a colon,
// after the time: "[03-Feb-2025 10:00:01 UTC] PHP Fatal error:  …". A
// runtime's error log writes its name and the error type before each
// message; the type is one word on most lines ("PHP Warning:", read as a
// source and a level by levelAhead) and two or three on others ("Fatal
// error", "Parse error", "Recoverable fatal error"). PHP's error log
// writes `PHP Warning:  … in /var/www/html/index.php on line 10` and `PHP
// Fatal error:  Uncaught Error: …` in one file, its error types "Warning,
// Notice, Fatal error, etc." (explaintopic.com's and mynw.cn's write-ups of
// the default format: time, "PHP prefix + level", message, file, line).
// Left in the message, such a label is read as a "Fatal error: <*>" tail
// that merges every fatal event of the file into one template.
//
// The label is taken only in that position (right after the time and an
// upper-case source word) and only in that spelling: a capitalised word,
// at most one lower-case word, and a lower-case level word with its colon
// ("error:", "warning:", "notice:") — the way a level of several words
// ends. A message that opens with "Connection error:" after a plain time
// is left alone: no source word precedes it.

// srcLabel reports the level label of several words that starts at pos
// in line (blanks skipped): its bounds without the colon, and where it
// ends (after the colon). end is 0 when there is none.
func srcLabel(line []byte, pos int) (ls, le, end int) {
	c := cursor{line: line, pos: pos}
	for n := 0; n < 3; n++ {
		s, e := c.peek()
		if s >= e {
			return 0, 0, 0
		}
		tok := line[s:e]
		if n == 0 {
			if !capitalisedOnly(tok) {
				return 0, 0, 0
			}
			ls = s
			c.pos = e
			continue
		}
		if tok[len(tok)-1] == ':' {
			w := tok[:len(tok)-1]
			if len(w) < 4 || !lowerOnly(w) || !isLevel(tok) || e < len(line) && line[e] != ' ' && line[e] != '\t' {
				return 0, 0, 0
			}
			return ls, e - 1, e
		}
		if n == 2 || !lowerOnly(tok) {
			return 0, 0, 0
		}
		c.pos = e
	}
	return 0, 0, 0
}

// lowerOnly: lower-case letters only.
func lowerOnly(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if c < 'a' || c > 'z' {
			return false
		}
	}
	return true
}
