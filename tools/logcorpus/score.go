package main

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/gopulse/gopulse/logengine"
)

// dataset is one generated log with its truth.
type dataset struct {
	name  string
	lines [][]byte
	truth []string
}

func loadPart(cache, part string) ([]dataset, error) {
	logs, err := filepath.Glob(filepath.Join(cache, part, "*.log"))
	if err != nil {
		return nil, err
	}
	if len(logs) == 0 {
		return nil, fmt.Errorf("no datasets in %s: run logcorpus build first", filepath.Join(cache, part))
	}
	sort.Strings(logs)
	var out []dataset
	for _, l := range logs {
		raw, err := os.ReadFile(l)
		if err != nil {
			return nil, err
		}
		tr, err := os.ReadFile(strings.TrimSuffix(l, ".log") + ".truth")
		if err != nil {
			return nil, err
		}
		d := dataset{name: strings.TrimSuffix(filepath.Base(l), ".log")}
		d.lines = bytes.Split(bytes.TrimSuffix(raw, []byte("\n")), []byte("\n"))
		d.truth = strings.Split(strings.TrimSuffix(string(tr), "\n"), "\n")
		if len(d.lines) != len(d.truth) {
			return nil, fmt.Errorf("%s: %d lines, %d truths", l, len(d.lines), len(d.truth))
		}
		out = append(out, d)
	}
	return out, nil
}

// Result of one dataset.
type result struct {
	twoPass, online, onlineFinal float64
	groups, truthGroups          int
}

// mine groups the lines of d in two passes (as `gopulse logs parse`) and
// in one pass (as the agent: schema inference on, 1024 templates per
// source), and returns the per-line template ids and texts. A record that
// holds several lines (multi-line assembly) gives its template to each.
func mine(d dataset, see func(line int, r *logengine.Result)) (two, online, final []string, texts []string, err error) {
	n := len(d.lines)
	two, online, texts = make([]string, n), make([]string, n), make([]string, n)
	ids := make([]uint64, n)
	eng, err := logengine.New(logengine.Config{MaxTemplates: 1 << 16})
	if err != nil {
		return nil, nil, nil, nil, err
	}
	st := eng.NewStream()
	for _, l := range d.lines {
		st.Learn(l)
	}
	for _, ok := st.Flush(logengine.ModeLearn); ok; _, ok = st.Flush(logengine.ModeLearn) {
	}
	eng.EndLearning()
	put := func(r *logengine.Result, id, text []string, raw []uint64) {
		if r.Partial {
			return
		}
		i, text1, id1 := "", "", uint64(0)
		if r.HasTemplate {
			id1, text1 = r.Template.ID, r.Template.Text
			i = strconv.FormatUint(id1, 16)
		} else {
			text1 = "<no template: " + r.Rec.Format + ">"
			i = text1
		}
		for k := 0; k < max(r.Rec.Lines, 1); k++ {
			j := int(r.Rec.Line) - 1 + k
			if j < 0 || j >= n {
				continue
			}
			id[j] = i
			if text != nil {
				text[j] = text1
			}
			if raw != nil {
				raw[j] = id1
			}
		}
	}
	st = st.Again()
	for _, l := range d.lines {
		r := st.Analyze(l)
		put(r, two, texts, nil)
		if see != nil && !r.Partial && r.Rec.Line > 0 && int(r.Rec.Line) <= n {
			see(int(r.Rec.Line)-1, r)
		}
	}
	for r, ok := st.Flush(logengine.ModeAnalyze); ok; r, ok = st.Flush(logengine.ModeAnalyze) {
		put(r, two, texts, nil)
		if see != nil && !r.Partial && r.Rec.Line > 0 && int(r.Rec.Line) <= n {
			see(int(r.Rec.Line)-1, r)
		}
	}

	eng, err = logengine.New(logengine.Config{MaxTemplates: 1024, Schema: true})
	if err != nil {
		return nil, nil, nil, nil, err
	}
	st = eng.NewStream()
	for _, l := range d.lines {
		put(st.Online(l), online, nil, ids)
	}
	for r, ok := st.Flush(logengine.ModeOnline); ok; r, ok = st.Flush(logengine.ModeOnline) {
		put(r, online, nil, ids)
	}
	// the ids as a consumer that follows the miner's aliases sees them
	final = make([]string, n)
	for i, id := range ids {
		if id == 0 {
			final[i] = online[i]
			continue
		}
		final[i] = strconv.FormatUint(eng.Resolve(id), 16)
	}
	return two, online, final, texts, nil
}

// Halves of the development part (session 18): a development project is
// in half A when the FNV-1a 64-bit hash of its module path is even, in
// half B when it is odd; all of its datasets (its own layouts, the cross
// and wide layouts) go with it. A rule is kept only when it carries over
// from one half to the other, so neither half is a tuning set alone.
const (
	halfA = "a"
	halfB = "b"
)

func devHalf(module string) string {
	if hash64(module)%2 == 0 {
		return halfA
	}
	return halfB
}

// datasetHalf is the half of a development dataset, from the project whose
// slug names it (slug(module)+"__"+layout).
func datasetHalf(name string) (string, error) {
	s, _, ok := strings.Cut(name, "__")
	if ok {
		for _, p := range projects {
			if slug(p.Module) == s {
				return devHalf(p.Module), nil
			}
		}
	}
	return "", fmt.Errorf("dataset %s: no project of the list", name)
}

func score(cache, part string, detail bool, predDir string, w io.Writer) error {
	return scoreHalf(cache, part, "", detail, predDir, w)
}

// scoreHalf scores a part, or one half of the development part when half
// is "a" or "b"; for the development part it prints each half's means too.
func scoreHalf(cache, part, half string, detail bool, predDir string, w io.Writer) error {
	ds, err := loadPart(cache, part)
	if err != nil {
		return err
	}
	halves := map[string]string{}
	if part == partDev {
		var keep []dataset
		for _, d := range ds {
			h, err := datasetHalf(d.name)
			if err != nil {
				return err
			}
			halves[d.name] = h
			if half == "" || h == half {
				keep = append(keep, d)
			}
		}
		ds = keep
		if len(ds) == 0 {
			return fmt.Errorf("no datasets of half %s in %s", half, filepath.Join(cache, part))
		}
	}
	var hsum [2]result
	var hn [2]float64
	if predDir != "" {
		if err := os.MkdirAll(predDir, 0o755); err != nil {
			return err
		}
	}
	var sum result
	if detail {
		fmt.Fprintf(w, "%-62s %7s %7s %7s %6s %6s\n", "dataset", "GA-2p", "GA-1p", "GA-1pA", "groups", "truth")
	}
	for _, d := range ds {
		two, online, final, texts, err := mine(d, nil)
		if err != nil {
			return err
		}
		r := result{twoPass: groupingAccuracy(d.truth, two), online: groupingAccuracy(d.truth, online),
			onlineFinal: groupingAccuracy(d.truth, final), groups: distinct(two), truthGroups: distinct(d.truth)}
		sum.twoPass += r.twoPass
		sum.online += r.online
		sum.onlineFinal += r.onlineFinal
		if h, ok := halves[d.name]; ok {
			i := 0
			if h == halfB {
				i = 1
			}
			hsum[i].twoPass += r.twoPass
			hsum[i].online += r.online
			hsum[i].onlineFinal += r.onlineFinal
			hn[i]++
		}
		if detail {
			fmt.Fprintf(w, "%-62s %7.4f %7.4f %7.4f %6d %6d\n", d.name, r.twoPass, r.online, r.onlineFinal, r.groups, r.truthGroups)
		}
		if predDir != "" {
			if err := writePred(filepath.Join(predDir, d.name+".tsv"), d, texts); err != nil {
				return err
			}
		}
	}
	for i, h := range []string{halfA, halfB} {
		if hn[i] > 0 {
			fmt.Fprintf(w, "%s half %s: %d datasets, mean GA two-pass %.4f, online %.4f, online with aliases followed %.4f\n",
				part, h, int(hn[i]), hsum[i].twoPass/hn[i], hsum[i].online/hn[i], hsum[i].onlineFinal/hn[i])
		}
	}
	n := float64(len(ds))
	fmt.Fprintf(w, "%s: %d datasets, mean GA two-pass %.4f, online %.4f, online with aliases followed %.4f\n",
		part, len(ds), sum.twoPass/n, sum.online/n, sum.onlineFinal/n)
	return nil
}

// writePred writes, per truth group, the predicted templates with counts,
// the split and merged groups first.
func writePred(path string, d dataset, texts []string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	bw := bufio.NewWriter(f)
	byTruth := map[string]map[string]int{}
	byPred := map[string]map[string]int{}
	for i, t := range d.truth {
		if byTruth[t] == nil {
			byTruth[t] = map[string]int{}
		}
		byTruth[t][texts[i]]++
		if byPred[texts[i]] == nil {
			byPred[texts[i]] = map[string]int{}
		}
		byPred[texts[i]][t]++
	}
	var keys []string
	for k := range byTruth {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		bad := len(byTruth[k]) > 1
		for p := range byTruth[k] {
			if len(byPred[p]) > 1 {
				bad = true
			}
		}
		mark := "ok  "
		if bad {
			mark = "BAD "
		}
		fmt.Fprintf(bw, "%s%s\n", mark, k)
		for p, n := range byTruth[k] {
			fmt.Fprintf(bw, "\t%5d %s\n", n, p)
		}
	}
	fmt.Fprintln(bw, "\n# example lines")
	seen := map[string]int{}
	for i, t := range d.truth {
		if seen[t] < 2 {
			seen[t]++
			fmt.Fprintf(bw, "%s\n\t%s\n\t%s\n", t, d.lines[i], texts[i])
		}
	}
	return bw.Flush()
}

func distinct(xs []string) int {
	m := map[string]bool{}
	for _, x := range xs {
		m[x] = true
	}
	return len(m)
}

// groupingAccuracy: a line counts when the lines of its predicted group
// are exactly the lines of its true group (LogHub's GA).
func groupingAccuracy(truth, pred []string) float64 {
	if len(truth) != len(pred) || len(truth) == 0 {
		return 0
	}
	tg := map[string][]int{}
	pg := map[string]int{}
	for i := range truth {
		tg[truth[i]] = append(tg[truth[i]], i)
		pg[pred[i]]++
	}
	correct := 0
	for _, idx := range tg {
		p := pred[idx[0]]
		ok := pg[p] == len(idx)
		for _, i := range idx {
			ok = ok && pred[i] == p
		}
		if ok {
			correct += len(idx)
		}
	}
	return float64(correct) / float64(len(truth))
}

// scoreLoghub scores the LogHub-2k sets under dir (one directory per
// system, X/X_2k.log with X/X_2k.log_structured.csv as the truth: its
// EventTemplate column) as score does the corpus.
func scoreLoghub(dir string, w io.Writer) error {
	logs, err := filepath.Glob(filepath.Join(dir, "*", "*_2k.log"))
	if err != nil || len(logs) == 0 {
		return fmt.Errorf("no LogHub sets under %s", dir)
	}
	sort.Strings(logs)
	fmt.Fprintf(w, "%-12s %7s %7s %7s %6s %6s\n", "dataset", "GA-2p", "GA-1p", "GA-1pA", "groups", "truth")
	for _, l := range logs {
		raw, err := os.ReadFile(l)
		if err != nil {
			return err
		}
		f, err := os.Open(l + "_structured.csv")
		if err != nil {
			return err
		}
		rows, err := csv.NewReader(f).ReadAll()
		f.Close()
		if err != nil {
			return err
		}
		col := -1
		for i, h := range rows[0] {
			if strings.TrimPrefix(h, "\ufeff") == "EventTemplate" {
				col = i
			}
		}
		if col < 0 {
			return fmt.Errorf("%s: no EventTemplate column", l)
		}
		d := dataset{name: strings.TrimSuffix(filepath.Base(l), "_2k.log")}
		for _, line := range bytes.Split(bytes.TrimSuffix(raw, []byte("\n")), []byte("\n")) {
			d.lines = append(d.lines, bytes.TrimSuffix(line, []byte("\r")))
		}
		for _, r := range rows[1:] {
			d.truth = append(d.truth, r[col])
		}
		if len(d.lines) != len(d.truth) {
			return fmt.Errorf("%s: %d lines, %d truths", l, len(d.lines), len(d.truth))
		}
		two, online, final, _, err := mine(d, nil)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "%-12s %7.4f %7.4f %7.4f %6d %6d\n", d.name, groupingAccuracy(d.truth, two), groupingAccuracy(d.truth, online),
			groupingAccuracy(d.truth, final), distinct(two), distinct(d.truth))
	}
	return nil
}
