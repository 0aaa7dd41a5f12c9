package main

import "math/rand/v2"

// subcomp (wild -msg subcomp, not part of all): a component and a
// subsystem clause between the header and the message, shared by many of
// a program's events. Libraries that log through their host's logger
// name themselves and the part of them that speaks ("redis: connection
// pool: conn[12] rejected by hook", "sentinel: …" in go-redis; hclog's
// named sub-loggers, "agent.http: …", nested as "raft: snapshot: …";
// Python's %(name)s before a message that names its subsystem); the
// header before it has columns of its own, so a header model that is
// still learning the layout may read the component as a header column on
// some lines. Per layout, one component word and two subsystem clauses of
// two words; per statement, one of: behind the component and a clause
// (about half of the statements, so five or more events share one
// prefix), behind the component alone, or bare. The events behind one
// prefix are the component's own (sentences, not error texts: the
// statement's message, whose values vary) and stay apart; the ground
// truth is the statement.

var (
	subcompNames   = []string{"relay", "vault", "shelf", "quarry", "beacon", "ledger"}
	subcompClauses = []string{"connection pool", "lease table", "write queue", "peer cache", "slot map", "session store"}
)

// subcompMsg is a layout's component and its subsystem clauses.
type subcompMsg struct {
	seed    uint64
	name    string
	clauses [2]string
}

func newSubcompMsg(seed uint64) *subcompMsg {
	rng := rand.New(rand.NewPCG(seed, 0x5c0b))
	s := &subcompMsg{seed: seed, name: wpick(rng, subcompNames)}
	p := rng.Perm(len(subcompClauses))
	s.clauses = [2]string{subcompClauses[p[0]], subcompClauses[p[1]]}
	return s
}

// apply writes the prefix of statement key into e.Msg.
func (s *subcompMsg) apply(e *event, key string) {
	r := rand.New(rand.NewPCG(s.seed^uint64(fnv32(key)), 0x5c0c))
	switch x := r.IntN(20); {
	case x < 10: // behind the component and a clause
		e.Msg = s.name + ": " + s.clauses[x%2] + ": " + e.Msg
	case x < 14: // behind the component alone
		e.Msg = s.name + ": " + e.Msg
	}
}
