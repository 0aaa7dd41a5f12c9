package miner

import (
	"fmt"
	"testing"
)

// headerEvents are the events of the header fixtures: their first words
// differ, as the messages of a program's different statements do.
var headerEvents = []string{
	"Flushed %d pages to the journal",
	"lease renewed for shard %d",
	"Rebalancing partitions across %d nodes",
	"queue drained, %d items left behind",
	"Snapshot %d written to the archive",
}

// A header the caller did not strip stays in every message. Where it
// ends in a clause ("… main:", "… :: APP ::") the prefix opens every line
// and its tails are the stream's messages: the header's values become
// parameters and the messages still group by their words, one template
// per event, in one pass as lines arrive, not one tail template over all.
func TestUnstrippedHeaderKeepsEvents(t *testing.T) {
	headers := map[string]func(i int) string{
		// the prefix opens with values (a clock, a request id)
		"values first": func(i int) string {
			return fmt.Sprintf("%02d%02d%02d.%03d UTC ~ <R%07X> ~ main: ", 9+i/60, i%60, (i*7)%60, i*37%1000, 0x3a00f1+i*7919)
		},
		// the prefix opens with words, and its tails all open with the
		// header's constant column
		"tails open alike": func(i int) string {
			return fmt.Sprintf("Mo. 3 Mai 2021_07.%02d.%02d:%03d :: APP :: ", i/60, i%60, i*53%1000)
		},
	}
	for name, header := range headers {
		t.Run(name, func(t *testing.T) {
			m := New(Config{})
			ids := make([]uint64, 0, 6*len(headerEvents))
			for i := 0; i < 6*len(headerEvents); i++ {
				ev := headerEvents[(i*3)%len(headerEvents)]
				ids = append(ids, m.Add([]byte(header(i)+fmt.Sprintf(ev, 10+i*13))).ID)
			}
			byEvent := map[int]uint64{}
			events := map[uint64]int{}
			for i, id := range ids {
				id = m.Resolve(id)
				e := (i * 3) % len(headerEvents)
				if was, ok := byEvent[e]; ok && was != id {
					t.Errorf("line %d of %q: template %x, earlier lines %x", i, headerEvents[e], id, was)
				}
				byEvent[e] = id
				if o, ok := events[id]; ok && o != e {
					t.Errorf("%q and %q share template %x (%q)", headerEvents[o], headerEvents[e], id, render(m, header(i)+fmt.Sprintf(headerEvents[e], 1)))
				}
				events[id] = e
			}
		})
	}
}

// A burst of one event's error texts opens the stream: its prefix holds
// every line, as a header's would, and opens with a value. When the
// stream's other events dilute it, the tail template is made after all,
// though no new tail arrives: the burst's lines end in one template.
func TestBurstOfOneEventStillMakesItsTail(t *testing.T) {
	errs := []string{"connection refused", "i/o timeout", "broken pipe", "context canceled",
		"no route to host", "permission denied", "too many open files", "unexpected EOF"}
	m := New(Config{})
	var burst []string
	for i := 0; i < 200; i++ {
		msg := fmt.Sprintf("%d retries left, could not reach the upstream store: %s", 3+i%5, errs[i%len(errs)])
		burst = append(burst, msg)
		m.Add([]byte(msg))
	}
	for i := 0; i < 400; i++ {
		m.Add([]byte(fmt.Sprintf(headerEvents[i%len(headerEvents)], i)))
	}
	id := m.IDOf([]byte(burst[0]), 0)
	for _, msg := range burst[1:len(errs)] {
		if got := m.IDOf([]byte(msg), 0); got != id {
			t.Fatalf("%q in %x, %q in %x (%q)", burst[0], id, msg, got, render(m, msg))
		}
	}
}
