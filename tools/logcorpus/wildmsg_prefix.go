package main

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// wild -msg comp: a component, target or context prefix between the
// header and the message. Many loggers write the name of where a line
// comes from at the start of the message rather than in a header column:
//
//   - a module path and " - ": log4rs' and fern's patterns around Rust's
//     log target (`{M} - {m}`, the target being `crate::mod::sub`), and
//     Python logging's %(name)s written before the message;
//   - a `(library) [subsystem:category]` pair: libraries that log through
//     their host's logger name themselves and a category;
//   - `name(N): `: Linux's dev_printk family prefixes a device's driver and
//     instance (`e1000e 0000:00:19.0 eth0:`), and drivers name a ring or
//     port with its number;
//   - `{ctx} `: a mapped diagnostic context (log4j's %X{key}) that is set
//     on some threads only, so the token is present on some lines and
//     absent on others (log4j2's %notEmpty{} drops it when empty);
//   - `func(): `: C programs that print __func__ before the message;
//   - shared: many different events behind one `[LEVEL] comp: ` prefix
//     (hclog's named sub-loggers, `[INFO] store: …`): the prefix is the
//     same on every line and the events behind it are many.
//
// Two failures follow: the same event written under two prefixes (a helper
// called from two modules, a context set on some lines only) must stay
// one event, and events that share one prefix must stay apart. Each
// statement is drawn one of four ways: under 2-4 of the layout's prefixes
// chosen per line, under one prefix absent on 20-40% of its lines, under
// one prefix always, or with none. The ground truth is the statement: the
// prefix names where a line came from, not what happened.

// wildMsgExtra are -msg kinds that "all" leaves out, so that `-msg all`
// renders as it did before they existed.
var wildMsgExtra = []string{"comp", "errtail", "nestquote", "errslot", "ctxblock", "intag", "nestfmt", "structdump", "subcomp", "sibling", "rawkv", "kvcolon"}

var compShapes = []string{"modpath", "libcat", "driver", "ctx", "func", "shared"}

// compMsg is a layout's prefix shape and the prefixes its statements draw
// from.
type compMsg struct {
	seed  uint64
	shape string
	pool  []string
}

func newCompMsg(seed uint64) *compMsg {
	rng := rand.New(rand.NewPCG(seed, 0xc0b9))
	c := &compMsg{seed: seed, shape: wpick(rng, compShapes)}
	n := 3 + rng.IntN(4)
	seen := map[string]bool{}
	for len(c.pool) < n {
		var p string
		switch c.shape {
		case "modpath":
			root := wpick(rng, []string{"shelf", "relay", "quarry", "lantern"})
			p = root + "::" + wpick(rng, []string{"io", "net", "store", "sched"}) + "::" + wpick(rng, []string{"disk", "tcp", "ws", "wal", "queue", "pool"}) + " - "
		case "libcat":
			p = "(" + wpick(rng, []string{"libvgpu.so", "libfabric.so.1", "libquic.so", "libcore.so.2"}) + ") [" +
				wpick(rng, []string{"org.acme", "io.relay", "net.quarry"}) + ":" + wpick(rng, []string{"net", "disk", "auth", "sched", "mem"}) + "] "
		case "driver":
			p = fmt.Sprintf("%s(%d): ", wpick(rng, []string{"ring", "nvme", "eth", "port", "mlx"}), rng.IntN(4))
		case "ctx":
			p = "{" + wpick(rng, []string{"blue", "green", "main", "bg", "io", "amber", "north"}) + "} "
		case "func":
			p = wpick(rng, []string{"flush_queue", "open_dev", "handle_req", "sync_meta", "poll_once", "reap", "attach", "rx_refill"}) + "(): "
		case "shared":
			p = wpick(rng, []string{"store", "raft", "agent.http", "scheduler", "fsm", "gateway"}) + ": "
		}
		if !seen[p] {
			seen[p] = true
			c.pool = append(c.pool, p)
		}
	}
	return c
}

// apply writes the prefix of line i of statement key into e.Msg.
func (c *compMsg) apply(e *event, key string, i int) {
	r := rand.New(rand.NewPCG(c.seed^uint64(fnv32(key)), 0xc0b))
	line := rand.New(rand.NewPCG(c.seed*7919+uint64(i), 0xc0b))
	home := r.IntN(len(c.pool))
	p := c.pool[home]
	x := r.IntN(20)
	if c.shape == "shared" {
		// one component in front of most events: the over-merge case
		home = 0
		p = c.pool[0]
		if x < 15 {
			x = 15
		}
	}
	switch {
	case x < 5: // the same event under 2-4 prefixes
		k := 2 + r.IntN(3)
		p = c.pool[(home+line.IntN(k))%len(c.pool)]
	case x < 11: // present on some lines only
		if line.IntN(100) < 20+r.IntN(21) {
			p = ""
		}
	case x < 18: // always the same prefix
	default:
		p = ""
	}
	if c.shape == "shared" && p != "" {
		p = "[" + strings.ToUpper(e.Level) + "] " + p
	}
	e.Msg = p + e.Msg
}
