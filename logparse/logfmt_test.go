package logparse

import "testing"

// TestLogfmtNestedQuotes: a quoted value holding quoted text of its own,
// escaped once, after an escaped backslash (\\" — a bare quote to a strict
// reader) or not at all, is one value of a logfmt line; quotes that do
// not balance still fail the line, a quote glued to text on both sides
// is text, and a value closed where its first
// quote is followed by a blank reads as before.
func TestLogfmtNestedQuotes(t *testing.T) {
	cases := []struct {
		line, msg string // msg "": the line is no logfmt
	}{
		{`level=error msg="sync failed. cause=\"timeout\" peer=4" shard=2`, `sync failed. cause="timeout" peer=4`},
		{`level=error msg="sync failed. cause=\"Get \\"http://10.0.0.9/v1\\": dial tcp 10.0.0.9:80: i/o timeout\" peer=9" shard=2`,
			`sync failed. cause="Get \"http://10.0.0.9/v1\": dial tcp 10.0.0.9:80: i/o timeout" peer=9`},
		{`level=error msg="sync failed cause="Get "http://h/v1": EOF" peer=9" shard=2`, `sync failed cause="Get "http://h/v1": EOF" peer=9`},
		{`level=error msg="sync failed (see "x")" shard=2`, `sync failed (see "x")`},
		{`level=error msg="a "b" shard=2`, ``},
		{`level=error msg="a"b shard=2`, ``},
		{`level=error msg="a b"c" shard=2`, `a b"c`}, // a quote glued on both sides is text
		{`level=error msg="say "hi" shard=2`, ``},
		{`level=info msg="plain text" shard=2`, `plain text`},
	}
	for _, c := range cases {
		var r Record
		err := Logfmt{}.Parse([]byte(c.line), &r)
		if c.msg == "" {
			if err == nil {
				t.Errorf("%s: parsed as logfmt, msg %q", c.line, r.Message)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", c.line, err)
			continue
		}
		if string(r.Message) != c.msg || len(r.Fields) != 3 || string(r.Fields[2].Value) != "2" {
			t.Errorf("%s:\n msg %q (%d fields)\nwant %q", c.line, r.Message, len(r.Fields), c.msg)
		}
	}
}
