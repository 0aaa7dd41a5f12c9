package freetext

import "testing"

// splitPipesRef is splitPipes without its first test (a '|' among the
// bytes its loop reads): what it returned before.
func splitPipesRef(line []byte, h *Header) bool {
	first, spaces := 0, 0
	for first < len(line) && first < 40 && line[first] != '|' && line[first] != '\t' {
		if line[first] == ' ' {
			spaces++ // "2024-01-05 10:15:00.123|…": a date and a clock
			if spaces > 1 {
				return false
			}
		}
		first++
	}
	// a blank before the pipe: " | " columns are the grammar's
	if first >= len(line) || line[first] != '|' || first == 0 || line[first-1] == ' ' || !isTimeText(line[:first], true) {
		return false
	}
	h.Time = line[:first]
	pos := first + 1
	for n := 0; n < 4; n++ {
		i := pos
		for i < len(line) && line[i] != '|' && line[i] != ' ' && line[i] != '\t' {
			i++
		}
		if i >= len(line) || line[i] != '|' {
			break
		}
		f := line[pos:i]
		switch {
		case isInt(f) && h.PID == nil:
			h.PID = f
		case isLevel(f) && h.Level == nil:
			h.Level = trimLevel(f)
		case h.Component == nil:
			h.Component = f
		}
		pos = i + 1
	}
	h.Message = line[pos:]
	return true
}

// TestSplitPipesAsReference: the pipe test changes nothing, on lines with
// their first pipe at every place around the 41 bytes the loop reads.
func TestSplitPipesAsReference(t *testing.T) {
	bases := []string{
		"2024-01-05 10:15:00.123",
		"2024-01-05T10:15:00.123456789+02:00",
		"081109 203615 148 INFO dfs.DataNode: x",
		"1704449700.123",
	}
	for _, b := range bases {
		for at := 0; at <= 48; at++ {
			for _, pad := range []string{"", "x", "1", " ", "\t"} {
				line := []byte(b)
				for len(line) < at {
					line = append(line, pad...)
					if pad == "" {
						line = append(line, '0')
					}
				}
				line = append(line[:at:at], '|')
				line = append(line, "DEBUG|rest of it"...)
				var got, want Header
				if g, w := splitPipes(line, &got), splitPipesRef(line, &want); g != w || !sameHeader(&got, &want) {
					t.Errorf("splitPipes(%q) = %v %+v, reference %v %+v", line, g, got, w, want)
				}
			}
		}
	}
}

// FuzzSplitPipesAsReference checks splitPipes against the reference.
func FuzzSplitPipesAsReference(f *testing.F) {
	for _, s := range []string{"2024-01-05 10:15:00.123|INFO|main|x", "0123456789012345678901234567890123456789|x", "a|b"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		var got, want Header
		if g, w := splitPipes(line, &got), splitPipesRef(line, &want); g != w || !sameHeader(&got, &want) {
			t.Errorf("splitPipes(%q) = %v %+v, reference %v %+v", line, g, got, w, want)
		}
	})
}

func sameHeader(a, b *Header) bool {
	return string(a.Time) == string(b.Time) && string(a.Level) == string(b.Level) && string(a.PID) == string(b.PID) &&
		string(a.Thread) == string(b.Thread) && string(a.Component) == string(b.Component) && string(a.Host) == string(b.Host) &&
		string(a.Program) == string(b.Program) && string(a.Source) == string(b.Source) && string(a.Message) == string(b.Message) &&
		(a.Message == nil) == (b.Message == nil)
}
