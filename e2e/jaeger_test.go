//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"net/url"
	"testing"
	"time"

	"github.com/gopulse/gopulse/event"
	"github.com/gopulse/gopulse/internal/exporters/delivery"
	"github.com/gopulse/gopulse/internal/exporters/jaeger"
)

type procs map[uint32]event.Proc

func (p procs) Proc(pid uint32) (event.Proc, bool) { v, ok := p[pid]; return v, ok }

type jaegerTrace struct {
	TraceID string `json:"traceID"`
	Spans   []struct {
		SpanID        string `json:"spanID"`
		OperationName string `json:"operationName"`
		Duration      int64  `json:"duration"` // µs
		References    []struct {
			RefType string `json:"refType"`
			SpanID  string `json:"spanID"`
		} `json:"references"`
		Tags []struct {
			Key   string `json:"key"`
			Value any    `json:"value"`
		} `json:"tags"`
		ProcessID string `json:"processID"`
	} `json:"spans"`
	Processes map[string]struct {
		ServiceName string `json:"serviceName"`
		Tags        []struct {
			Key   string `json:"key"`
			Value any    `json:"value"`
		} `json:"tags"`
	} `json:"processes"`
}

// gcCycle returns the events of one GC cycle and a long non-GC pause.
func gcCycle(pid, cycle uint32, start int64) []event.Runtime {
	return []event.Runtime{
		{Kind: event.KindGCStart, PID: pid, Cycle: cycle, TS: start},
		{Kind: event.KindSTW, PID: pid, Cycle: cycle, StartNS: start + 2000, DurationNS: 45_000, Reason: event.STWGCSweepTermination},
		{Kind: event.KindSTW, PID: pid, Cycle: cycle, StartNS: start + 4_000_000, DurationNS: 80_000, Reason: event.STWGCMarkTermination},
		{Kind: event.KindGCEnd, PID: pid, Cycle: cycle, TS: start + 4_100_000, StartNS: start, DurationNS: 4_080_000,
			SweepTermNS: 47_000, MarkNS: 3_953_000, MarkTermNS: 80_000},
		{Kind: event.KindSTW, PID: pid, StartNS: start + 6_000_000, DurationNS: 3_000_000, Reason: event.STWStackDump},
	}
}

// runJaeger exports cycles GC cycles of one fake process through q and
// checks they come back from the query API at queryURL.
func runJaeger(t *testing.T, proto jaeger.Protocol, q jaeger.Queue, drain func(), queryURL string) {
	service := uniq("e2e-gc-" + string(proto))
	const pid, cycles = 4242, 20
	cfg := jaeger.DefaultConfig()
	cfg.Protocol = proto
	cfg.BatchSpans = 32
	cfg.SampleRate = 1 // every cycle comes back
	x, err := jaeger.New(cfg, jaeger.Deps{
		Queue: q, Logger: testLogger(t), Version: "e2e",
		Procs: procs{pid: {PID: pid, Exe: "/opt/e2e/" + service, Service: service, GoVersion: "go1.26.8"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Now().Add(-30 * time.Second).UnixNano()
	for c := uint32(1); c <= cycles; c++ {
		evs := gcCycle(pid, c, t0+int64(c)*int64(100*time.Millisecond))
		for i := range evs {
			x.HandleRuntime(&evs[i])
		}
	}
	if err := x.Close(); err != nil {
		t.Fatal(err)
	}
	drain()

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var resp struct {
		Data []jaegerTrace `json:"data"`
	}
	eventually(t, time.Minute, "traces in jaeger", func() error {
		resp.Data = nil
		err := getJSON(ctx, queryURL, "/api/traces", url.Values{"service": {service}, "limit": {"100"}, "lookback": {"1h"}}, nil, &resp)
		if err != nil {
			return err
		}
		if len(resp.Data) != 2*cycles {
			return fmt.Errorf("%d traces, want %d", len(resp.Data), 2*cycles)
		}
		return nil
	})
	gc, stw := 0, 0
	for _, tr := range resp.Data {
		ops := map[string]int{}
		var rootID string
		for _, s := range tr.Spans {
			ops[s.OperationName]++
			if s.OperationName == jaeger.NameGCCycle {
				rootID = s.SpanID
				if s.Duration != 4080 {
					t.Errorf("gc cycle duration %dµs, want 4080", s.Duration)
				}
			}
		}
		switch {
		case ops[jaeger.NameGCCycle] == 1:
			gc++
			if len(tr.Spans) != 4 || ops[jaeger.NameSweepTerm] != 1 || ops[jaeger.NameMark] != 1 || ops[jaeger.NameMarkTerm] != 1 {
				t.Errorf("gc trace %s spans %v", tr.TraceID, ops)
			}
			for _, s := range tr.Spans {
				if s.OperationName != jaeger.NameGCCycle && (len(s.References) != 1 || s.References[0].SpanID != rootID || s.References[0].RefType != "CHILD_OF") {
					t.Errorf("span %s not a child of the cycle: %+v", s.OperationName, s.References)
				}
			}
		case ops["stw stack_dump"] == 1 && len(tr.Spans) == 1:
			stw++
		default:
			t.Errorf("unexpected trace %v", ops)
		}
		for _, p := range tr.Processes {
			tags := map[string]any{}
			for _, tg := range p.Tags {
				tags[tg.Key] = tg.Value
			}
			if p.ServiceName != service || tags["process.executable.path"] != "/opt/e2e/"+service || fmt.Sprint(tags["process.pid"]) != fmt.Sprint(pid) {
				t.Errorf("process %s tags %v", p.ServiceName, tags)
			}
		}
	}
	if gc != cycles || stw != cycles {
		t.Fatalf("gc traces %d, stw traces %d, want %d each", gc, stw, cycles)
	}
	t.Logf("%s: %d GC-cycle traces and %d pause traces read back", proto, gc, stw)
}

func TestJaegerV2OTLP(t *testing.T) {
	otlp := env(t, "GOPULSE_E2E_JAEGER2_OTLP")
	query := env(t, "GOPULSE_E2E_JAEGER2_QUERY")
	q := startQueue(t, queueOpts{
		name: "jaeger", endpoints: []delivery.Endpoint{{URL: otlp + jaeger.OTLPPath}},
		headers: jaeger.ProtocolHeaders(),
	})
	runJaeger(t, jaeger.ProtocolOTLP, q, func() { waitDrained(t, q, time.Minute) }, query)
}

func TestJaegerV1APIv2(t *testing.T) {
	addr := env(t, "GOPULSE_E2E_JAEGER1_GRPC")
	query := env(t, "GOPULSE_E2E_JAEGER1_QUERY")
	tr := jaeger.NewGRPCTransport(jaeger.GRPCConfig{})
	t.Cleanup(func() { tr.Close() })
	q := startQueue(t, queueOpts{
		name: "jaeger_v1", endpoints: []delivery.Endpoint{{URL: "http://" + addr}}, transport: tr,
	})
	runJaeger(t, jaeger.ProtocolAPIv2, q, func() { waitDrained(t, q, time.Minute) }, query)
}

// TestJaegerV2RealAgent: the real agent probes a real GC-heavy Go program
// and exports its GC cycles over OTLP to Jaeger v2; a GC-cycle trace with
// its phase spans comes back by the target's service name, with the
// target's pid on the process.
func TestJaegerV2RealAgent(t *testing.T) {
	otlp := env(t, "GOPULSE_E2E_JAEGER2_OTLP")
	query := env(t, "GOPULSE_E2E_JAEGER2_QUERY")
	a := startRealAgent(t, freeAddr(t), fmt.Sprintf(`  jaeger:
    protocol: otlp
    sampling: {rate: 1}
    endpoints:
      - url: %s%s
`, otlp, jaeger.OTLPPath))

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var found jaegerTrace
	eventually(t, 2*time.Minute, "a gc-cycle trace of the target", func() error {
		var resp struct {
			Data []jaegerTrace `json:"data"`
		}
		err := getJSON(ctx, query, "/api/traces", url.Values{"service": {a.service}, "operation": {jaeger.NameGCCycle},
			"limit": {"20"}, "lookback": {"1h"}}, nil, &resp)
		if err != nil {
			return err
		}
		for _, tr := range resp.Data {
			ops := map[string]int{}
			for _, s := range tr.Spans {
				ops[s.OperationName]++
			}
			if ops[jaeger.NameGCCycle] == 1 && ops[jaeger.NameMark] == 1 && ops[jaeger.NameSweepTerm] == 1 && ops[jaeger.NameMarkTerm] == 1 {
				found = tr
				return nil
			}
		}
		return fmt.Errorf("%d traces for service %s, none a complete gc cycle", len(resp.Data), a.service)
	})
	for _, p := range found.Processes {
		tags := map[string]any{}
		for _, tg := range p.Tags {
			tags[tg.Key] = tg.Value
		}
		if p.ServiceName != a.service || fmt.Sprint(tags["process.pid"]) != a.pid() {
			t.Errorf("process %s tags %v, want service %s pid %s", p.ServiceName, tags, a.service, a.pid())
		}
	}
	t.Logf("gc-cycle trace %s of %s (pid %s): %d spans", found.TraceID, a.service, a.pid(), len(found.Spans))
}
