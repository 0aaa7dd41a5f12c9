package pipeline

import (
	"fmt"
	"log/slog"
	"strconv"
	"testing"
	"time"

	"github.com/gopulse/gopulse/event"
	"github.com/gopulse/gopulse/logparse"
)

// aliasSink records the template ids of the records and follows merges.
type aliasSink struct {
	ids     []uint64
	aliases map[uint64]uint64
	merges  map[uint64]uint64 // from the merge records
}

func (s *aliasSink) HandleLog(r *event.LogRecord) {
	if r.Format != FormatTemplateMerge {
		s.ids = append(s.ids, r.TemplateID)
		return
	}
	if s.merges == nil {
		s.merges = map[uint64]uint64{}
	}
	for _, f := range r.Fields {
		if string(f.Key) == "merged_template_id" {
			from, err := strconv.ParseUint(string(f.Value), 16, 64)
			if err != nil || len(r.Labels) == 0 || r.Source == "" {
				panic(fmt.Sprintf("merge record %q %v: %v", f.Value, r.Labels, err))
			}
			s.merges[from] = r.TemplateID
		}
	}
}

func (s *aliasSink) AliasTemplate(from, to uint64) {
	if s.aliases == nil {
		s.aliases = map[uint64]uint64{}
	}
	s.aliases[from] = to
}

func (s *aliasSink) resolve(id uint64) uint64 {
	for i := 0; i < 64; i++ {
		to, ok := s.aliases[id]
		if !ok {
			break
		}
		id = to
	}
	return id
}

// TestLogRouterForwardsTemplateAliases: when the source's miner merges
// templates, the sinks that follow merges are told, so the ids they got
// for the lines of one event resolve to one id.
func TestLogRouterForwardsTemplateAliases(t *testing.T) {
	sink := &aliasSink{}
	router, err := NewLogRouter(LogRouterOptions{Factory: NewLogParser, Sinks: []event.LogSink{sink}}, slog.New(slog.DiscardHandler), nil)
	if err != nil {
		t.Fatal(err)
	}
	const src = "/var/log/auth.log"
	for i, u := range []string{"alice", "bob", "carol", "dave", "erin"} {
		router.HandleLine(src, []byte(fmt.Sprintf("2024-01-05 10:15:%02d WARN sshd.Auth: Invalid user %s from 10.0.0.%d port 22", i, u, i)), false)
	}
	router.CloseSource(src)
	if len(sink.ids) != 5 {
		t.Fatalf("%d records", len(sink.ids))
	}
	if len(sink.aliases) == 0 {
		t.Fatal("no template merge forwarded")
	}
	for i, id := range sink.ids {
		if sink.resolve(id) != sink.resolve(sink.ids[0]) {
			t.Fatalf("line %d: id %x resolves to %x, line 1 to %x", i, id, sink.resolve(id), sink.resolve(sink.ids[0]))
		}
	}
	// and each merge came as a record too: what a sink that cannot change
	// the records it sent (the Loki entries of earlier batches) records
	if fmt.Sprint(sink.merges) != fmt.Sprint(sink.aliases) {
		t.Fatalf("merge records %x, merges followed %x", sink.merges, sink.aliases)
	}
}

// TestLogRouterIdleSettlesProvisional: a quiet source (5 lines, before its
// free-text header model settles at 32) hands provisional template ids, one
// per message that joined a tail template (one error's text after "failed
// to sync …:"); once it gets no line for the multi-line wait, the router's
// Idle forwards their merges (to the sinks that follow them and as merge
// records) with no record to carry them, and the source stays open.
func TestLogRouterIdleSettlesProvisional(t *testing.T) {
	for _, single := range []bool{true, false} {
		t.Run(fmt.Sprintf("single-line=%v", single), func(t *testing.T) {
			held := 4
			if single {
				held = 5
			}
			sink := &aliasSink{}
			router, err := NewLogRouter(LogRouterOptions{Factory: LogParserFactory(LogEngineOptions{SingleLine: single}), Sinks: []event.LogSink{sink}}, slog.New(slog.DiscardHandler), nil)
			if err != nil {
				t.Fatal(err)
			}
			const src = "/var/log/auth.log"
			for i, e := range []string{"permission denied", "no space left on device", "device or resource busy", "read-only file system", "input/output error"} {
				router.HandleLine(src, []byte(fmt.Sprintf("2024-03-10 13:55:0%d INFO failed to sync the volume mounts: %s", i, e)), false)
			}
			distinct := func() int {
				m := map[uint64]bool{}
				for _, id := range sink.ids {
					m[sink.resolve(id)] = true
				}
				return len(m)
			}
			// multi-line, the last line waits for the wait too (a continuation)
			if len(sink.ids) != held || distinct() < 2 {
				t.Fatalf("%d records over %d templates: the fixture no longer exercises provisional ids", len(sink.ids), distinct())
			}
			t0 := time.Unix(1700000000, 0)
			router.Idle(t0)
			router.Idle(t0.Add(logparse.DefaultMaxWait - time.Millisecond))
			if distinct() == 1 {
				t.Fatal("the provisional ids were settled before the multi-line wait")
			}
			router.Idle(t0.Add(logparse.DefaultMaxWait))
			if n := distinct(); n != 1 {
				t.Fatalf("after the wait, 5 lines of one event resolve to %d templates (merges %x)", n, sink.aliases)
			}
			if fmt.Sprint(sink.merges) != fmt.Sprint(sink.aliases) {
				t.Fatalf("merge records %x, merges followed %x", sink.merges, sink.aliases)
			}
			if len(sink.ids) != 5 {
				t.Fatalf("%d records after the wait", len(sink.ids))
			}
			// and the source goes on: one more line, its record after the wait
			router.HandleLine(src, []byte("2024-03-10 13:56:00 INFO failed to sync the volume mounts: stale file handle"), false)
			router.Idle(t0.Add(2 * logparse.DefaultMaxWait))
			router.Idle(t0.Add(3 * logparse.DefaultMaxWait))
			if n := distinct(); len(sink.ids) != 6 || n != 1 {
				t.Fatalf("%d records over %d templates after a line more", len(sink.ids), n)
			}
		})
	}
}
