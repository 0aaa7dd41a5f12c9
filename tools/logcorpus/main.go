// Command logcorpus builds a labelled log corpus from the log statements
// of real open-source Go projects and scores gopulse's template mining on
// it.
//
//	logcorpus build [-cache DIR] [-lines N] [-src MODULE=DIR …]
//	logcorpus build -part r8|libdev [-cache DIR] [-lines N]   # the eighth round alone, written by real libraries (libround.go)
//	logcorpus build -part r9 [-cache DIR] [-lines N]   # the ninth round alone (r9.go)
//	logcorpus score [-cache DIR] [-part dev|held|fresh|r3|r4|r5|r6|r7|r8|r9|libdev] [-half a|b] [-detail] [-pred DIR]
//	logcorpus synth [-seeds dev|held] [-n N] [-synth-lines N] [-detail]   # composed header layouts (synth.go)
//	logcorpus wild [-seeds dev|held] [-n N] [-synth-lines N] [-msg KINDS] [-hdr KINDS] [-detail]    # headers of token kinds no rule names (wild.go)
//	logcorpus wildjson [-seeds dev|held] [-n N] [-synth-lines N] [-detail]    # JSON records whose message key no rule names (wildjson.go)
//	logcorpus wildcsv [-seeds dev|held] [-n N] [-synth-lines N] [-detail]    # CSV records, the message one quoted column (wildcsv.go)
//	logcorpus score -perturb shuffle|rotate|interleave|mix|drop500|burst|all [-part dev|held|fresh]  # one pass vs two passes on perturbed inputs (perturb.go)
//	logcorpus loghub -dir DIR   # the same scores on LogHub-2k sets (DIR/X/X_2k.log and its _structured.csv)
//
// build downloads each project of the list (projects.go) into the Go
// module cache (go mod download), extracts the format strings and messages
// of its klog, log, slog, zap, logr, hclog, go-kit and logrus calls with
// go/ast, renders each with generated values (values.go) and wraps the
// lines in real header layouts (shapes.go; wide.go, in the development part
// only). Every line's ground truth is its statement: the format string with its verbs as <*> (and, in text
// layouts, the keys of its key/value pairs). The corpus is written under
// the cache directory (default ~/.cache/gopulse/logcorpus), never into the
// repository: the projects' source and the rendered logs stay out of it.
//
// The corpus has a development part and held-back parts, split by project
// and by header layout with rules fixed before any tuning (heldBack in
// projects.go; r3Plan in r3.go, r4Plan in r4.go, r5Plan in r5.go, r6Plan in r6.go and r7Plan in r7.go: new
// projects in new header layouts, held back whole, never tuned on). score prints the grouping accuracy (GA) of
// the engine in two passes (as `gopulse logs parse`) and in one pass (as
// the agent), per dataset for the development part and only as totals for
// the held-back parts unless -detail is given.
//
// The eighth round (libround.go) is written by real logging libraries and
// runtimes' loggers through the nested module librender: a held-back part
// r8 and a development part libdev, split by libPartOf.
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "logcorpus:", err)
		os.Exit(1)
	}
}

func defaultCache() string {
	if c := os.Getenv("GOPULSE_CACHE"); c != "" {
		return filepath.Join(c, "logcorpus")
	}
	if c, err := os.UserCacheDir(); err == nil {
		return filepath.Join(c, "gopulse", "logcorpus")
	}
	return filepath.Join(os.TempDir(), "gopulse-logcorpus")
}

func run(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New("usage: logcorpus build|score|render|split [flags]")
	}
	fs := flag.NewFlagSet("logcorpus "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	cache := fs.String("cache", defaultCache(), "corpus directory")
	lines := fs.Int("lines", 2000, "lines per dataset")
	part := fs.String("part", partDev, "part to score: dev, held, fresh, r3, r4, r5, r6, r7, r8, r9 or libdev (build, split: -part r3 … r7 names that round's sets; build -part r8, r9 or libdev builds that part alone and names its sets)")
	half := fs.String("half", "", "score: only half a or b of the development part (projects by FNV-1a-64 of the module path: even a, odd b)")
	detail := fs.Bool("detail", false, "print per-dataset figures for the held-back part too")
	pred := fs.String("pred", "", "write each dataset's predicted templates beside the truth into this directory (development part only)")
	loghub := fs.String("dir", "", "loghub: the directory of the LogHub-2k sets")
	seeds := fs.String("seeds", "dev", "synth: the seed range, dev or held, or doc (every documented class on its own seeds)")
	nSeeds := fs.Int("n", synthSeeds, "synth: layouts (seeds) to score")
	dump := fs.String("dump", "", "synth: write each development layout's lines and messages into this directory")
	synthLines := fs.Int("synth-lines", 400, "synth: lines per layout")
	msgKinds := fs.String("msg", "", "wild: message-side phenomena, prefix, context, column, fold (comma-separated) or all (wildmsg.go); comp, component prefixes (wildmsg_prefix.go), errtail, error texts (wildmsg_errtail.go), nestquote, quoted values holding quotes (wildmsg_nestquote.go), errslot, error texts with no colon before them (wildmsg_errtail2.go), ctxblock, a block of extra fields closing the message (wildmsg_ctxblock.go), intag, a level and component tag written in the text (wildmsg_intag.go), nestfmt, a logfmt line nested in a msg value (wildmsg_nestfmt.go), structdump, a struct printed mid-message (wildmsg_structdump.go), subcomp, a component and subsystem clause before many events (wildmsg_merge.go), sibling, a sibling call site with constant words more or less (wildmsg_sibling.go), rawkv, raw key=value pairs after a padded message (wildmsg_rawkv.go), and kvcolon, values glued to their names by a colon and Go %+v structs (wildmsg_kvcolon.go), are not in all")
	hdrKinds := fs.String("hdr", "", "wild: header phenomena of the third round, colon, glued, padnum, absent (comma-separated) or all (wild_colon.go); colonctx and colongrow, label cases, are not in all (wild_hdrcolon.go), nor oddlevel, a level column of words beyond the common five (wild_oddlevel.go); bracketlevel is not in all either (wild_detect.go), nor srclabel and optbracket, a source word and a label of several words, an optional bracketed id (wild_hdrlabel.go); wildcsv: lead, a first column that reads as another format's header (wild_detect.go)")
	perturbKind := fs.String("perturb", "", "score one pass against two passes on perturbed inputs: shuffle, rotate, interleave, mix, drop500, burst or all")
	var srcs multiFlag
	fs.Var(&srcs, "src", "MODULE=DIR: read a project's source from DIR instead of the module cache (repeatable)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	switch args[0] {
	case "build":
		if *part != partDev && *part != partR3 && *part != partR4 && *part != partR5 && *part != partR6 && *part != partR7 && *part != partR8 && *part != partR9 && *part != partLibdev {
			return fmt.Errorf("build -part %q: only -part r3, r4, r5, r6 or r7 (name that round's sets), r8, r9 or libdev (build that part alone) is meaningful", *part)
		}
		return build(*cache, *lines, srcs, *part, stderr)
	case "score":
		if *part != partDev && *part != partHeld && *part != partFresh && *part != partR3 && *part != partR4 && *part != partR5 && *part != partR6 && *part != partR7 && *part != partR8 && *part != partR9 && *part != partLibdev {
			return fmt.Errorf("unknown part %q", *part)
		}
		if *part != partDev && *pred != "" {
			return errors.New("-pred is for the development part only")
		}
		if *half != "" && (*part != partDev || (*half != halfA && *half != halfB)) {
			return fmt.Errorf("-half %q: want a or b, with -part dev", *half)
		}
		if *perturbKind != "" {
			if *part == partR3 || *part == partR4 || *part == partR5 || *part == partR6 || *part == partR7 || *part == partR8 || *part == partR9 || *part == partLibdev {
				return errors.New("-perturb is for the dev, held and fresh parts")
			}
			return scorePerturbed(*cache, *part, *perturbKind, stdout)
		}
		return scoreHalf(*cache, *part, *half, *detail || *part == partDev || *part == partLibdev, *pred, stdout)
	case "render":
		if *part != partDev && *part != partLibdev {
			return errors.New("render: -part dev or libdev only")
		}
		sets, err := loadPart(*cache, *part)
		if err != nil {
			return err
		}
		return textCheckPart(sets, *detail || *part == partDev, stdout)
	case "loghub":
		if *loghub == "" {
			return errors.New("loghub: -dir is required")
		}
		return scoreLoghub(*loghub, stdout)
	case "synth", "wild", "wildjson", "wildcsv":
		st := map[string][]stmt{}
		load := func(p project) ([]stmt, error) {
			if s, ok := st[p.Module]; ok {
				return s, nil
			}
			dir := srcs[p.Module]
			if dir == "" {
				var err error
				if dir, err = moduleDir(p.Module, p.Version); err != nil {
					return nil, err
				}
			}
			s, err := extract(dir)
			if err != nil {
				return nil, fmt.Errorf("extract %s: %w", p.Module, err)
			}
			st[p.Module] = s
			return s, nil
		}
		if args[0] == "wild" || args[0] == "wildjson" || args[0] == "wildcsv" {
			n := *nSeeds
			if n == synthSeeds {
				n = wildSeeds
			}
			if args[0] == "wildjson" {
				return wildJSON(*seeds, n, *synthLines, *detail, *dump, load, stdout)
			}
			if args[0] == "wildcsv" {
				return wildCSVRecords(*seeds, n, *synthLines, *detail, *dump, *hdrKinds, load, stdout)
			}
			return wild(*seeds, n, *synthLines, *detail, *dump, *msgKinds, *hdrKinds, load, stdout)
		}
		return synth(*seeds, *nSeeds, *synthLines, *detail, *dump, load, stdout)
	case "split":
		for _, p := range projects {
			part, _ := projectPart(p)
			if part == partDev {
				part += " half " + devHalf(p.Module)
			}
			fmt.Fprintf(stdout, "project %-45s %s\n", p.Module, part)
		}
		for _, s := range shapes {
			fmt.Fprintf(stdout, "shape   %-45s %s\n", s.Name, partOf(s.Name))
		}
		for _, p := range projects {
			for _, s := range crossLayouts(p) {
				fmt.Fprintf(stdout, "cross   %-45s %s (dev)\n", p.Module, s.Name)
			}
		}
		for _, s := range wideShapes {
			for _, p := range wideShare(s) {
				fmt.Fprintf(stdout, "wide    %-45s %s (dev)\n", p.Module, s.Name)
			}
		}
		// the parts held back whole are named set by set only when asked
		// for (-part r3, -part r4, -part r5, -part r6, -part r7): whoever works on the engine must not
		// learn their projects and layouts from a listing of the others
		for _, r := range []struct {
			part string
			sets []r3Set
		}{{partR3, r3Plan()}, {partR4, r4Plan()}, {partR5, r5Plan()}, {partR6, r6Plan()}, {partR7, r7Plan()}, {partR9, r9Plan()}} {
			if *part != r.part {
				fmt.Fprintf(stdout, "%-7s %d sets, held back whole (listed with -part %s)\n", r.part, len(r.sets), r.part)
				continue
			}
			for _, s := range r.sets {
				fmt.Fprintf(stdout, "%-7s %-45s %s\n", r.part, s.Project.Module, s.Shape.Name)
			}
		}
		// the eighth round: libdev is a development part; r8 is named
		// only with -part r8
		for _, s := range libdevPlan() {
			fmt.Fprintf(stdout, "%-7s %-45s %s\n", partLibdev, s.Project.Module, s.Config)
		}
		if *part != partR8 {
			fmt.Fprintf(stdout, "%-7s %d sets, held back whole (listed with -part %s)\n", partR8, len(r8Plan()), partR8)
		} else {
			for _, s := range r8Plan() {
				fmt.Fprintf(stdout, "%-7s %-45s %s\n", partR8, s.Project.Module, s.Config)
			}
		}
		return nil
	}
	return fmt.Errorf("unknown command %q", args[0])
}

type multiFlag map[string]string

func (m *multiFlag) String() string { return fmt.Sprint(map[string]string(*m)) }

func (m *multiFlag) Set(s string) error {
	k, v, ok := strings.Cut(s, "=")
	if !ok {
		return fmt.Errorf("want MODULE=DIR, got %q", s)
	}
	if *m == nil {
		*m = map[string]string{}
	}
	(*m)[k] = v
	return nil
}

// moduleDir downloads mod@version into the module cache and returns its
// directory.
func moduleDir(mod, version string) (string, error) {
	tmp, err := os.MkdirTemp("", "logcorpus-dl")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	cmd := exec.Command("go", "mod", "download", "-json", mod+"@"+version)
	cmd.Dir = tmp
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off")
	out, err := cmd.Output()
	var res struct{ Dir, Error string }
	if jerr := json.Unmarshal(out, &res); jerr != nil || res.Dir == "" {
		if res.Error != "" {
			return "", fmt.Errorf("download %s@%s: %s", mod, version, res.Error)
		}
		return "", fmt.Errorf("download %s@%s: %v", mod, version, err)
	}
	return res.Dir, nil
}

func hash64(s string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	return h.Sum64()
}

// eventDef is one event of a project: the statements sharing a ground
// truth.
type eventDef struct {
	key   string
	stmts []stmt
}

// keys returns a statement's ground truth in a text layout and in a
// structured one.
func keys(s stmt) (text, structured string) {
	msg := s.Msg
	if s.Printf {
		msg = templateOf(s.Format)
	} else {
		msg = strings.Join(strings.Fields(msg), " ")
	}
	structured = msg
	text = msg
	for _, p := range s.KVs {
		text += " " + p.Key + "=<*>"
	}
	return text, structured
}

func usable(s stmt) bool {
	m := s.Msg
	if s.Printf {
		m = s.Format
	}
	if strings.ContainsAny(m, "\n\r") || strings.TrimSpace(m) == "" || len(m) > 300 {
		return false // multi-line records are another matter (issue 9, item 4)
	}
	t, _ := keys(s)
	return constantWords(t) >= 1
}

func slug(mod string) string {
	return strings.NewReplacer("/", "_", ".", "-").Replace(mod)
}

// build writes every part of the corpus into cache. The sets of the rounds
// held back whole (r3 to r7) are named on stderr only when show names their
// round (build -part r3 … -part r7): whoever works on the engine builds the
// corpus too, or reads its log, and must not learn their projects and
// layouts from it.
func build(cache string, lines int, srcs map[string]string, show string, stderr io.Writer) error {
	statements := map[string][]stmt{} // by module, for the r3 to r8 parts
	load := func(p project) ([]stmt, bool, error) {
		if st, ok := statements[p.Module]; ok {
			return st, true, nil
		}
		dir := srcs[p.Module]
		if dir == "" {
			if len(srcs) > 0 {
				return nil, false, nil // only the given sources (tests)
			}
			var err error
			if dir, err = moduleDir(p.Module, p.Version); err != nil {
				return nil, false, err
			}
		}
		st, err := extract(dir)
		if err != nil {
			return nil, false, fmt.Errorf("extract %s: %w", p.Module, err)
		}
		statements[p.Module] = st
		return st, true, nil
	}
	// the eighth round's parts are built alone when asked for by name
	switch show {
	case partR8:
		return buildLibRounds(cache, lines, []libRound{{partR8, r8Plan(), true}}, load, stderr)
	case partLibdev:
		return buildLibRounds(cache, lines, []libRound{{partLibdev, libdevPlan(), true}}, load, stderr)
	case partR9:
		return buildHeldRounds(cache, lines, []heldRound{{partR9, r9Plan(), true}}, load, stderr)
	}
	for _, part := range []string{partDev, partHeld, partFresh} {
		if err := os.MkdirAll(filepath.Join(cache, part), 0o755); err != nil {
			return err
		}
	}
	for _, p := range projects {
		st, ok, err := load(p)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		part, layoutPart := projectPart(p)
		var pool []shape
		for _, s := range shapes {
			if partOf(s.Name) == layoutPart {
				pool = append(pool, s)
			}
		}
		rng := rand.New(rand.NewPCG(hash64(p.Module), 7))
		rng.Shuffle(len(pool), func(i, j int) { pool[i], pool[j] = pool[j], pool[i] })
		n := 0
		for _, sh := range pool[:min(2, len(pool))] {
			k, err := writeDataset(cache, part, p, sh, st, lines)
			if err != nil {
				return err
			}
			n = k
		}
		fmt.Fprintf(stderr, "%-45s %-4s %5d statements, %4d events\n", p.Module, part, len(st), n)
		for _, sh := range crossLayouts(p) {
			if _, err := writeDataset(cache, partDev, p, sh, st, lines); err != nil {
				return err
			}
		}
		for _, sh := range wideLayouts(p) { // fourth round: development only (wide.go)
			if _, err := writeDataset(cache, partDev, p, sh, st, lines); err != nil {
				return err
			}
		}
	}
	// the rounds held back whole (r3.go … r7.go, r9.go), each named set by
	// set only when asked for: a build's log is read by whoever waits for
	// it, and a set's name names its project and layout
	if err := buildHeldRounds(cache, lines, []heldRound{{partR3, r3Plan(), show == partR3}, {partR4, r4Plan(), show == partR4},
		{partR5, r5Plan(), show == partR5}, {partR6, r6Plan(), show == partR6}, {partR7, r7Plan(), show == partR7}, {partR9, r9Plan(), false}}, load, stderr); err != nil {
		return err
	}
	// the eighth round, written by real libraries (libround.go): libdev
	// named, r8 counted
	return buildLibRounds(cache, lines, []libRound{{partLibdev, libdevPlan(), true}, {partR8, r8Plan(), false}}, load, stderr)
}

// heldRound is a round held back whole and its sets; named tells whether
// the build names them set by set or prints their number alone.
type heldRound struct {
	part  string
	sets  []r3Set
	named bool
}

// buildHeldRounds writes the sets of rounds held back whole into cache.
func buildHeldRounds(cache string, lines int, rounds []heldRound, load func(project) ([]stmt, bool, error), stderr io.Writer) error {
	for _, r := range rounds {
		if err := os.MkdirAll(filepath.Join(cache, r.part), 0o755); err != nil {
			return err
		}
		written := 0
		for _, set := range r.sets {
			st, ok, err := load(set.Project)
			if err != nil {
				return err
			}
			if !ok {
				continue
			}
			n, err := writeDataset(cache, r.part, set.Project, set.Shape, st, lines)
			if err != nil {
				return err
			}
			written++
			if r.named {
				fmt.Fprintf(stderr, "%-45s %-4s %5d statements, %4d events, %s\n", set.Project.Module, r.part, len(st), n, set.Shape.Name)
			}
		}
		if !r.named {
			fmt.Fprintf(stderr, "%s: %d sets, held back whole (build -part %s names them)\n", r.part, written, r.part)
		}
	}
	return nil
}

// appName is a module's program name: its last path element that is not
// a major version suffix.
func appName(mod string) string {
	parts := strings.Split(mod, "/")
	for i := len(parts) - 1; i > 0; i-- {
		v := parts[i]
		if len(v) < 2 || v[0] != 'v' || strings.Trim(v[1:], "0123456789") != "" {
			return v
		}
	}
	return parts[0]
}

// crossLayouts are the held-back header layouts a development project is
// also rendered in (third round, 2026-12-04): all of them, so that the
// development part has every layout with every development project (the
// held-back parts keep their unseen projects, not their unseen layouts).
// It replaced a narrower first rule (two development projects per
// held-back layout) that missed over-merges (docs/logcorpus.md).
func crossLayouts(p project) []shape {
	if part, _ := projectPart(p); part != partDev {
		return nil
	}
	var out []shape
	for _, s := range shapes {
		if partOf(s.Name) == partHeld {
			out = append(out, s)
		}
	}
	return out
}

func writeDataset(cache, part string, p project, sh shape, st []stmt, lines int) (int, error) {
	evs, truth, k, err := genEvents(p, st, sh.Structured, lines, hash64(p.Module+"|"+sh.Name))
	if err != nil {
		return 0, err
	}
	base := filepath.Join(cache, part, slug(p.Module)+"__"+sh.Name)
	logf, err := os.Create(base + ".log")
	if err != nil {
		return 0, err
	}
	defer logf.Close()
	truthf, err := os.Create(base + ".truth")
	if err != nil {
		return 0, err
	}
	defer truthf.Close()
	lw, tw := bufio.NewWriter(logf), bufio.NewWriter(truthf)
	for i := range evs {
		lw.WriteString(sh.Render(&evs[i]))
		lw.WriteByte('\n')
		tw.WriteString(truth[i])
		tw.WriteByte('\n')
	}
	if err := lw.Flush(); err != nil {
		return 0, err
	}
	return k, tw.Flush()
}

// genEvents draws the lines of one dataset of project p from its
// statements st (seeded): the events before a header is added, each
// line's truth (its statement's key) and the number of distinct events.
func genEvents(p project, st []stmt, structured bool, lines int, seed uint64) ([]event, []string, int, error) {
	byKey := map[string]*eventDef{}
	var evs []*eventDef
	for _, s := range st {
		if !usable(s) {
			continue
		}
		text, structuredKey := keys(s)
		k := text
		if structured {
			k = structuredKey
		}
		e := byKey[k]
		if e == nil {
			e = &eventDef{key: k}
			byKey[k] = e
			evs = append(evs, e)
		}
		e.stmts = append(e.stmts, s)
	}
	if len(evs) == 0 {
		return nil, nil, 0, fmt.Errorf("%s: no usable log statements", p.Module)
	}
	rng := rand.New(rand.NewPCG(seed, 11))
	sort.Slice(evs, func(i, j int) bool { return evs[i].key < evs[j].key })
	rng.Shuffle(len(evs), func(i, j int) { evs[i], evs[j] = evs[j], evs[i] })
	k := min(len(evs), 40+rng.IntN(81))
	evs = evs[:k]
	// Zipf-like frequencies: a few events dominate, many are rare, and
	// every chosen event occurs at least once.
	weights := make([]float64, k)
	total := 0.0
	for i := range weights {
		weights[i] = 1 / math.Pow(float64(i+1), 1.1)
		total += weights[i]
	}
	order := make([]int, 0, lines)
	for i := 0; i < k && i < lines; i++ {
		order = append(order, i)
	}
	for len(order) < lines {
		x := rng.Float64() * total
		i := 0
		for ; i < k-1 && x > weights[i]; i++ {
			x -= weights[i]
		}
		order = append(order, i)
	}
	rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })

	v := newVals(seed)
	t := time.Date(2024, 3, 10, 13, 55, 0, 0, time.UTC).Add(time.Duration(rng.IntN(86400*300)) * time.Second)
	pid := 1000 + rng.IntN(60000)
	start := t.Add(-time.Duration(800+pid%4000) * time.Millisecond) // the program started shortly before its first line
	hosts := []string{v.nodeName(), v.nodeName(), v.nodeName()}
	threads := []string{"main", "worker-1", "worker-2", "pool-2-thread-1", "grpc-default-executor-0"}
	out := make([]event, 0, len(order))
	truth := make([]string, 0, len(order))
	for seq, i := range order {
		e := evs[i]
		s := e.stmts[rng.IntN(len(e.stmts))]
		t = t.Add(time.Duration(rng.IntN(2000)) * time.Millisecond)
		ev := event{T: t, Start: start, Level: s.Level, Comp: compOf(s.File), Class: classOf(p.Module, s.File), File: filepath.Base(s.File),
			Line: s.Line, PID: pid, TID: 1 + rng.IntN(40), Host: hosts[rng.IntN(len(hosts))], Thread: threads[rng.IntN(len(threads))], Seq: seq + 1, App: appName(p.Module)}
		if s.Printf {
			ev.Msg = v.renderPrintf(s.Format, s.Args)
		} else {
			ev.Msg = s.Msg
		}
		for _, p := range s.KVs {
			ev.KVs = append(ev.KVs, [2]string{p.Key, v.value('v', p.Hint)})
		}
		out = append(out, ev)
		truth = append(truth, e.key)
	}
	return out, truth, k, nil
}

func compOf(file string) string {
	d := filepath.Base(filepath.Dir(file))
	if d == "." || d == "" {
		return "main"
	}
	return d
}

func classOf(mod, file string) string {
	parts := strings.Split(strings.TrimSuffix(file, ".go"), "/")
	last := parts[len(parts)-1]
	last = strings.ToUpper(last[:1]) + strings.ReplaceAll(last[1:], "_", "")
	parts[len(parts)-1] = last
	org := strings.Split(mod, "/")[0]
	return "io." + strings.Split(org, ".")[0] + "." + strings.ReplaceAll(strings.Join(parts, "."), "-", "")
}
