package freetext

import (
	"testing"

	"github.com/gopulse/gopulse/logparse"
)

// TestSrcLabel: a source word and a level label of two or three words
// after the time are the header, as a one-word label is; labels of other
// shapes, or without the source word before them, stay in the message.
func TestSrcLabel(t *testing.T) {
	for _, c := range []struct {
		line, src, level, msg string
	}{
		{"[11-Mar-2026 08:14:02 UTC] QRX Fatal error:  ledger page 9 torn in /opt/q/Ledger.q on line 310", "QRX", "Fatal error", "ledger page 9 torn in /opt/q/Ledger.q on line 310"},
		{"[11-Mar-2026 08:14:03 UTC] QRX Parse error: unexpected brace in /opt/q/a.q on line 4", "QRX", "Parse error", "unexpected brace in /opt/q/a.q on line 4"},
		{"[11-Mar-2026 08:14:04 UTC] QRX Recoverable fatal error:  object of class Shelf could not be converted", "QRX", "Recoverable fatal error", "object of class Shelf could not be converted"},
		{"2026-03-11 08:14:05 QRX Core warning: module mirror already loaded", "QRX", "Core warning", "module mirror already loaded"},
		// the one-word label, as before
		{"[11-Mar-2026 08:14:06 UTC] QRX Warning:  slot 4 idle in /opt/q/Slot.q on line 8", "QRX", "Warning", "slot 4 idle in /opt/q/Slot.q on line 8"},
		// no source word: the message's own words
		{"2026-03-11 08:14:07 Connection error: peer reset", "", "", "Connection error: peer reset"},
		// a label that does not end in a level word, one of four
		// words, and one in capitals after its first word
		{"2026-03-11 08:14:08 QRX Shelf opened: 4 slots", "", "", "QRX Shelf opened: 4 slots"},
		{"2026-03-11 08:14:09 QRX Very bad fatal error: 4 slots", "", "", "QRX Very bad fatal error: 4 slots"},
		{"2026-03-11 08:14:10 QRX Fatal ERROR: 4 slots", "", "", "QRX Fatal ERROR: 4 slots"},
		// the colon glued to the next word
		{"2026-03-11 08:14:11 QRX Fatal error:x 4 slots", "", "", "QRX Fatal error:x 4 slots"},
	} {
		var h Header
		Split([]byte(c.line), &h)
		if string(h.Source) != c.src || string(h.Level) != c.level || string(h.Message) != c.msg {
			t.Errorf("%q: source %q level %q message %q, want %q %q %q", c.line, h.Source, h.Level, h.Message, c.src, c.level, c.msg)
		}
	}
}

func TestSrcLabelNoAllocs(t *testing.T) {
	line := []byte("[11-Mar-2026 08:14:02 UTC] QRX Fatal error:  ledger page 9 torn in /opt/q/Ledger.q on line 310")
	var r logparse.Record
	p := Parser{Year: 2026}
	if a := testing.AllocsPerRun(100, func() {
		r.Reset()
		p.Parse(line, &r)
	}); a != 0 {
		t.Fatalf("Parse allocates %v per line", a)
	}
}
