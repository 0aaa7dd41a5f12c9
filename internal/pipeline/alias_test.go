package pipeline

import (
	"fmt"
	"log/slog"
	"strconv"
	"testing"

	"github.com/gopulse/gopulse/event"
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
