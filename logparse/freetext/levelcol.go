package freetext

// A level column learned from the stream. Level vocabularies reach past
// the words levelKind knows: java.util.logging's levels are SEVERE,
// WARNING, INFO, CONFIG, FINE, FINER and FINEST, and "third parties may
// define additional logging levels" (java.util.logging.Level); syslog
// names Notice, Alert, Critical and Emergency (RFC 5424 §6.2.1), and
// programs add their own (DIAG, AUDIT, TRACE2). A bracketed column whose
// tokens are levels the model knows on many of the stream's lines holds
// the level on every line: an upper-case word in brackets there is the
// line's level whatever the word, so the column stays the header's on
// the lines whose word no list holds, and an event written at a known
// and at an unknown level is one event. The word is the record's level
// field; its normalised level is none.

// levelColumn reports whether position p holds a level the model knows
// (modelLevel) on one line in three at least of the stream's.
func (m *model) levelColumn(p int) bool {
	return m != nil && p < maxExt && m.lines >= minLines && int(m.counts[p][shLevel])*3 >= m.lines
}

// levelWord reports whether tok is a word written as a level is: three
// to eight upper-case letters (a digit may close it, "TRACE2") in
// brackets or angles, one of them open when the word is padded inside
// them ("<AUDIT  >" is the tokens "<AUDIT" and ">").
func levelWord(tok []byte) bool {
	if len(tok) < 4 || tok[0] != '[' && tok[0] != '<' {
		return false
	}
	b := tok[1:]
	if c := b[len(b)-1]; c == ']' || c == '>' {
		b = b[:len(b)-1]
	}
	if len(b) < 3 || len(b) > 8 {
		return false
	}
	for i, c := range b {
		if !(c >= 'A' && c <= 'Z' || i >= 3 && i == len(b)-1 && c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}
