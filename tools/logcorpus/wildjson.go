package main

import (
	"fmt"
	"io"
	"math/rand/v2"
	"sort"
	"strings"
)

// wildjson: JSON records whose message is under a key that no rule names.
// Real loggers put the message under many keys: GELF's short_message
// (Graylog's GELF payload specification, and every GELF decoder's field
// table), structlog's event (its JSONRenderer renders the event dict,
// whose message key is "event"), Serilog's compact format @m beside the
// template @mt, OpenTelemetry's log data model Body, and whatever a
// program's own encoder names it (txt, text, Text, rendered…). Each
// layout draws the message key from such a pool, a time key and spelling,
// a level key whose values are spelt as .NET and Serilog do (Info, Warn,
// Fatal) or as numbers (GELF's syslog levels), and the fields that sit
// beside the message on every line: a short hex id that changes on every
// line (a request or span id), a dotted source name (a logger or a class),
// a host, a pid, a thread, and the statement's own key/value pairs (flat,
// or nested under one object). The keys are in an order of the layout's
// own.
//
// Ground truth per line: the statement's message (key/value pairs are
// fields, as in every structured shape). Scores as wild: message, GA two
// passes and one pass with aliases followed. The seeds are wild's: dev
// iterated on, held reported as means only; the layouts come from a
// random stream of their own, so no wild layout moves.
//
//	logcorpus wildjson -seeds dev|held [-n N] [-synth-lines N] [-detail] [-dump DIR]

var (
	jsonMsgKeys = []string{"txt", "short_message", "event", "body", "Text", "rendered", "@m", "@msg", "@txt",
		"text", "Body", "RenderedMessage", "line", "what", "content", "description", "summary", "Msg"}
	jsonTimeKeys  = []string{"when", "ts", "time", "timestamp", "@t", "Timestamp", "at", "logged_at", "instant", "date", "@timestamp", "t"}
	jsonLevelKeys = []string{"sev", "level", "severity", "lvl", "Level", "@l", "loglevel", "priority", "lv", "Severity"}
	jsonIDKeys    = []string{"rid", "req", "trace", "span", "cid", "request_id", "traceId", "corr", "tid", "@i"}
	jsonSrcKeys   = []string{"origin", "logger", "src", "category", "SourceContext", "source", "name", "component", "module"}
	jsonNestKeys  = []string{"props", "ctx", "fields", "data", "attrs", "Properties"}
	// keys a statement's own pair must not take: the roles the engine
	// knows, which a real encoder would not write twice either
	jsonReserved = map[string]bool{"msg": true, "message": true, "@message": true, "@mt": true, "level": true, "lvl": true, "severity": true,
		"loglevel": true, "levelname": true, "log.level": true, "@l": true, "time": true, "ts": true, "t": true, "date": true, "timestamp": true,
		"@t": true, "@timestamp": true, "datetime": true}
)

// jsonField is one key of a JSON layout: its value on line i of event e
// (nil leaves it out of the line) and the varying value scored as a
// field ("" for none).
type jsonField struct {
	key string
	val func(e *event, i int) (any, string)
}

// jsonLayout is a composed JSON record layout.
type jsonLayout struct {
	seed   uint64
	msgKey string
	fields []jsonField // in the layout's order; the message is one of them
	nest   string      // the key of the object holding the pairs; "" for flat
	tags   []string    // for the per-kind figures
}

func newJSONLayout(seed uint64) *jsonLayout {
	rng := rand.New(rand.NewPCG(seed, 0x150a))
	l := &jsonLayout{seed: seed, msgKey: wpick(rng, jsonMsgKeys)}
	used := map[string]bool{l.msgKey: true}
	pick := func(pool []string) string {
		for {
			k := wpick(rng, pool)
			if !used[k] {
				used[k] = true
				return k
			}
		}
	}
	l.tags = append(l.tags, "msg-"+l.msgKey)
	var fs []jsonField
	// the time
	tk := pick(jsonTimeKeys)
	switch tf := rng.IntN(4); tf {
	case 0, 1:
		layout := wpick(rng, []string{"2006-01-02T15:04:05.000Z07:00", "2006-01-02T15:04:05.0000000Z07:00", "2006-01-02 15:04:05.000", "2006-01-02T15:04:05.999999999Z07:00"})
		fs = append(fs, jsonField{tk, func(e *event, _ int) (any, string) { return e.T.UTC().Format(layout), "" }})
		l.tags = append(l.tags, "time-text")
	case 2:
		fs = append(fs, jsonField{tk, func(e *event, _ int) (any, string) { return float64(e.T.UnixMicro()) / 1e6, "" }})
		l.tags = append(l.tags, "time-epoch")
	default:
		fs = append(fs, jsonField{tk, func(e *event, _ int) (any, string) { return e.T.UnixMilli(), "" }})
		l.tags = append(l.tags, "time-epoch-ms")
	}
	// the level, or none
	if rng.IntN(5) > 0 {
		lk := pick(jsonLevelKeys)
		spell := wpick(rng, []string{"title", "title", "upper", "lower", "syslog", "serilog"})
		fs = append(fs, jsonField{lk, func(e *event, _ int) (any, string) {
			lv := synthLevel(e.Level)
			switch spell {
			case "upper":
				return strings.ToUpper(lv), ""
			case "lower":
				return lv, ""
			case "syslog": // GELF: the syslog severity number
				return map[string]int{"trace": 7, "debug": 7, "info": 6, "warn": 4, "error": 3, "fatal": 2}[lv], ""
			case "serilog":
				return map[string]string{"trace": "Verbose", "debug": "Debug", "info": "Information", "warn": "Warning", "error": "Error", "fatal": "Fatal"}[lv], ""
			}
			return strings.ToUpper(lv[:1]) + lv[1:], ""
		}})
		l.tags = append(l.tags, "level-"+spell)
	}
	// the message
	fs = append(fs, jsonField{l.msgKey, func(e *event, _ int) (any, string) { return jsonMessage(e), "" }})
	// a short hex id on every line
	if rng.IntN(5) > 0 {
		ik, width := pick(jsonIDKeys), wpick(rng, []int{8, 8, 12, 16, 32})
		fs = append(fs, jsonField{ik, func(e *event, i int) (any, string) {
			r := lineRand(seed, 1, i)
			v := fmt.Sprintf("%016x%016x", r.Uint64(), r.Uint64())[:width]
			return v, v
		}})
		l.tags = append(l.tags, "id")
	}
	// a dotted source name
	if rng.IntN(4) > 0 {
		sk := pick(jsonSrcKeys)
		fs = append(fs, jsonField{sk, func(e *event, _ int) (any, string) { return e.Class, e.Class }})
		l.tags = append(l.tags, "source")
	}
	if rng.IntN(2) == 0 {
		hk := pick([]string{"host", "hostname", "node", "machine", "Host"})
		fs = append(fs, jsonField{hk, func(e *event, _ int) (any, string) { return e.Host, e.Host }})
	}
	if rng.IntN(3) == 0 {
		fs = append(fs, jsonField{pick([]string{"pid", "process", "ProcessId"}), func(e *event, _ int) (any, string) { return e.PID, "" }})
	}
	if rng.IntN(3) == 0 {
		fs = append(fs, jsonField{pick([]string{"thread", "ThreadName", "worker", "goroutine"}), func(e *event, _ int) (any, string) { return e.Thread, e.Thread }})
	}
	rng.Shuffle(len(fs), func(i, j int) { fs[i], fs[j] = fs[j], fs[i] })
	if rng.IntN(3) == 0 {
		// GELF: a version first
		fs = append([]jsonField{{"version", func(*event, int) (any, string) { return "1.1", "" }}}, fs...)
		used["version"] = true
	}
	l.fields = fs
	if rng.IntN(3) == 0 {
		l.nest = pick(jsonNestKeys)
		l.tags = append(l.tags, "pairs-nested")
	} else {
		l.tags = append(l.tags, "pairs-flat")
	}
	return l
}

// jsonMessage is e's message as a JSON layout writes it: the statement's
// text alone (its pairs are fields).
func jsonMessage(e *event) string { return strings.Join(strings.Fields(e.Msg), " ") }

// line renders event e as line i; it returns the line and the values
// scored as fields.
func (l *jsonLayout) line(e *event, i int) (string, []string) {
	var kv []any
	var vals []string
	taken := map[string]bool{}
	for _, f := range l.fields {
		v, fv := f.val(e, i)
		kv = append(kv, f.key, v)
		taken[f.key] = true
		if fv != "" {
			vals = append(vals, fv)
		}
	}
	var pairs []any
	for _, p := range e.KVs {
		k := p[0]
		if l.nest == "" && (taken[k] || jsonReserved[k]) {
			k = "x_" + k
		}
		if l.nest == "" {
			taken[k] = true
		}
		pairs = append(pairs, k, jsonValue(p[1]))
	}
	switch {
	case l.nest != "" && len(pairs) > 0:
		kv = append(kv, l.nest, jsonObjectRaw(pairs))
	case l.nest == "":
		kv = append(kv, pairs...)
	}
	return jsonLine(kv...), vals
}

// jsonObjectRaw is a nested object for jsonLine: a raw JSON text.
type jsonObjectRaw []any

func (o jsonObjectRaw) MarshalJSON() ([]byte, error) { return []byte(jsonLine(o...)), nil }

// wildJSONRender renders l around st's events.
func wildJSONRender(seed uint64, l *jsonLayout, st []stmt, lines int) (*wildSet, error) {
	evs, truth, _, err := genEvents(project{Module: "wild"}, st, true, lines, seed)
	if err != nil {
		return nil, err
	}
	s := &wildSet{}
	for i := range evs {
		m := jsonMessage(&evs[i])
		if m == "" {
			continue // a record of pairs alone has no message to find
		}
		line, vals := l.line(&evs[i], len(s.lines))
		s.lines = append(s.lines, []byte(line))
		s.msgs = append(s.msgs, m)
		s.short = append(s.short, m)
		s.vals = append(s.vals, vals)
		s.truth = append(s.truth, truth[i])
	}
	return s, nil
}

// wildJSON scores the JSON layouts of one seed range.
func wildJSON(which string, nSeeds, lines int, detail bool, dump string, load func(p project) ([]stmt, error), w io.Writer) error {
	first, err := wildSeedFirst("wildjson", which, nSeeds)
	if err != nil {
		return err
	}
	devProjects := developmentProjects()
	var tot wildAgg
	per := map[string]*wildAgg{}
	if detail {
		fmt.Fprintf(w, "%-7s %6s %6s %7s %7s  %s\n", "seed", "msg", "fields", "GA-2p", "GA-1pA", "first line")
	}
	for i := 0; i < nSeeds; i++ {
		seed := first + uint64(i)
		l := newJSONLayout(seed)
		p := devProjects[int(seed*0x9e3779b97f4a7c15>>33)%len(devProjects)]
		st, err := load(p)
		if err != nil {
			return err
		}
		s, err := wildJSONRender(seed, l, st, lines)
		if err != nil {
			return err
		}
		sc, err := scoreWild(s)
		if err != nil {
			return err
		}
		if err := dumpWild(dump, which, seed, s); err != nil {
			return err
		}
		tot.add(sc)
		for _, k := range l.tags {
			addKind(per, k, sc)
		}
		if detail {
			fmt.Fprintf(w, "%-7d %6.3f %6s %7.4f %7.4f  %q\n", seed, sc.msg, opt(sc.fields, sc.fieldsN), sc.two, sc.one, wildFirstLine(s))
		}
	}
	fmt.Fprintf(w, "wildjson %s: %d layouts, message %.4f, GA two-pass %.4f, one-pass with aliases %.4f\n",
		which, tot.n, meanOf(tot.msg, tot.n), meanOf(tot.two, tot.n), meanOf(tot.one, tot.n))
	if detail {
		var names []string
		for k := range per {
			names = append(names, k)
		}
		sort.Strings(names)
		fmt.Fprintf(w, "per kind (mean over the layouts that hold it):\n%-24s %4s %6s %7s %7s\n", "kind", "n", "msg", "GA-2p", "GA-1pA")
		for _, k := range names {
			a := per[k]
			fmt.Fprintf(w, "%-24s %4d %6.3f %7.4f %7.4f\n", k, a.n, meanOf(a.msg, a.n), meanOf(a.two, a.n), meanOf(a.one, a.n))
		}
	}
	return nil
}
