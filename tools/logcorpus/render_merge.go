package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/gopulse/gopulse/logengine"
)

// render: a template's text must render the lines it is given for. Every
// record's message is matched against its template's text read as a
// pattern, "<*>" standing for any text (blanks aside, which templates
// normalise): a template whose constant text is not in its line, or is in
// another order, names an event the line is not (a tail template's prefix
// matched one word late, a word dropped from the front), and a consumer
// that extracts the parameters by the text gets them wrong. Both passes are
// checked: the second pass of two (`logs parse`) and the agent's one pass.

// textRenders reports whether the words of text that hold no parameter are
// words of msg in the same order, the first and the last where text opens
// or ends with one. Parameters are left out (a gap's text is that of the
// first line seen, which may hold more values than this line, or other
// quotes), so what fails is a template whose constant text is not in its
// line: a word dropped, an event's words in another's place.
func textRenders(text string, msg []byte) bool {
	tw, mw := strings.Fields(text), strings.Fields(string(msg))
	if len(tw) == 0 {
		return len(mw) == 0
	}
	first, last := tw[0], tw[len(tw)-1]
	if !strings.Contains(first, "<*>") && (len(mw) == 0 || mw[0] != first) {
		return false
	}
	if !strings.Contains(last, "<*>") && (len(mw) == 0 || mw[len(mw)-1] != last) {
		return false
	}
	j := 0
	for _, w := range tw {
		if strings.Contains(w, "<*>") {
			continue
		}
		for j < len(mw) && mw[j] != w {
			j++
		}
		if j == len(mw) {
			return false
		}
		j++
	}
	return true
}

// textStats counts the records of d whose template does not render
// their message, in two passes and in one, and keeps a few examples.
type textStats struct {
	records, two, online int
	examples             []string
}

func textCheck(d dataset, keep int) (textStats, error) {
	var st textStats
	see := func(pass string, r *logengine.Result, n *int) {
		if !r.HasTemplate || len(r.Rec.Message) == 0 {
			return
		}
		if textRenders(r.Template.Text, r.Rec.Message) {
			return
		}
		*n++
		if len(st.examples) < keep {
			st.examples = append(st.examples, fmt.Sprintf("%s: %q\n\t\ttemplate %q", pass, r.Rec.Message, r.Template.Text))
		}
	}
	eng, err := logengine.New(logengine.Config{MaxTemplates: 1 << 16})
	if err != nil {
		return st, err
	}
	s := eng.NewStream()
	for _, l := range d.lines {
		s.Learn(l)
	}
	for _, ok := s.Flush(logengine.ModeLearn); ok; _, ok = s.Flush(logengine.ModeLearn) {
	}
	eng.EndLearning()
	s = s.Again()
	for _, l := range d.lines {
		r := s.Analyze(l)
		if !r.Partial {
			st.records++
			see("two passes", r, &st.two)
		}
	}
	for r, ok := s.Flush(logengine.ModeAnalyze); ok; r, ok = s.Flush(logengine.ModeAnalyze) {
		st.records++
		see("two passes", r, &st.two)
	}
	eng, err = logengine.New(logengine.Config{MaxTemplates: 1024, Schema: true})
	if err != nil {
		return st, err
	}
	s = eng.NewStream()
	for _, l := range d.lines {
		if r := s.Online(l); !r.Partial {
			see("one pass", r, &st.online)
		}
	}
	for r, ok := s.Flush(logengine.ModeOnline); ok; r, ok = s.Flush(logengine.ModeOnline) {
		see("one pass", r, &st.online)
	}
	return st, nil
}

// textCheckPart prints, per dataset of a part, the records whose template
// does not render their message; with detail, a few of them.
func textCheckPart(sets []dataset, detail bool, w io.Writer) error {
	var all textStats
	for _, d := range sets {
		keep := 0
		if detail {
			keep = 3
		}
		st, err := textCheck(d, keep)
		if err != nil {
			return fmt.Errorf("%s: %w", d.name, err)
		}
		all.records += st.records
		all.two += st.two
		all.online += st.online
		if st.two+st.online == 0 {
			continue
		}
		fmt.Fprintf(w, "%-60s %6d %6d %6d\n", d.name, st.records, st.two, st.online)
		for _, e := range st.examples {
			fmt.Fprintf(w, "\t%s\n", e)
		}
	}
	fmt.Fprintf(w, "%-60s %6d %6d %6d\n", "ALL (records, not rendered: two passes, one pass)", all.records, all.two, all.online)
	return nil
}
