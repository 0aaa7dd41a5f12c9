package jaeger

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/jaegertracing/jaeger-idl/proto-gen/api_v2"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/gopulse/gopulse/internal/exporters/delivery"
)

// gogoCodec decodes with the gogo-generated methods, as Jaeger's collector
// does.
type gogoCodec struct{}

type gogoMsg interface {
	Marshal() ([]byte, error)
	Unmarshal([]byte) error
}

func (gogoCodec) Name() string { return "proto" }
func (gogoCodec) Marshal(v any) (mem.BufferSlice, error) {
	b, err := v.(gogoMsg).Marshal()
	return mem.BufferSlice{mem.SliceBuffer(b)}, err
}
func (gogoCodec) Unmarshal(d mem.BufferSlice, v any) error {
	m, ok := v.(gogoMsg)
	if !ok {
		return fmt.Errorf("not a gogo message: %T", v)
	}
	return m.Unmarshal(d.Materialize())
}

type collector struct {
	api_v2.UnimplementedCollectorServiceServer
	mu    sync.Mutex
	spans []api_v2.PostSpansRequest
	auth  []string
	fail  error
}

func (c *collector) PostSpans(ctx context.Context, r *api_v2.PostSpansRequest) (*api_v2.PostSpansResponse, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	md, _ := metadata.FromIncomingContext(ctx)
	c.auth = append(c.auth, md.Get("authorization")...)
	if c.fail != nil {
		return nil, c.fail
	}
	c.spans = append(c.spans, *r)
	return &api_v2.PostSpansResponse{}, nil
}

func TestGRPCTransportPostSpans(t *testing.T) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer(grpc.ForceServerCodecV2(gogoCodec{}))
	col := &collector{}
	api_v2.RegisterCollectorServiceServer(srv, col)
	go srv.Serve(lis)
	defer srv.Stop()

	enc := NewEncoder(testProcs, "")
	buildSpans(t, enc, gcEvents(42, 9, time.Now().UnixNano()))
	tr := NewGRPCTransport(GRPCConfig{Headers: map[string]string{"authorization": "Bearer t0k"}})
	defer tr.Close()
	ep := delivery.Endpoint{URL: "http://" + lis.Addr().String()}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := tr.Send(ctx, ep, enc.EncodeJaeger()); err != nil {
		t.Fatalf("Send: %v", err)
	}
	col.mu.Lock()
	if len(col.spans) != 1 || len(col.spans[0].Batch.Spans) != 5 || col.spans[0].Batch.Spans[0].Process.ServiceName != "shop-api" {
		t.Fatalf("collector got %+v", col.spans)
	}
	if len(col.auth) != 1 || col.auth[0] != "Bearer t0k" {
		t.Errorf("authorization metadata = %v", col.auth)
	}
	col.mu.Unlock()

	for _, tc := range []struct {
		err  error
		code int
	}{
		{status.Error(codes.ResourceExhausted, "slow down"), 429},
		{status.Error(codes.InvalidArgument, "bad span"), 400},
		{status.Error(codes.Internal, "boom"), 500},
	} {
		col.mu.Lock()
		col.fail = tc.err
		col.mu.Unlock()
		err := tr.Send(ctx, ep, enc.EncodeJaeger())
		var se *delivery.StatusError
		if !errors.As(err, &se) || se.Code != tc.code {
			t.Errorf("%v: Send = %v, want status %d", tc.err, err, tc.code)
		}
	}
	srv.Stop()
	var se *delivery.StatusError
	if err := tr.Send(ctx, ep, enc.EncodeJaeger()); err == nil || errors.As(err, &se) {
		t.Errorf("Send to a stopped server = %v, want a retryable network error", err)
	}
	tr.Close()
	if err := tr.Send(ctx, ep, nil); !errors.Is(err, ErrTransportClosed) {
		t.Errorf("Send after Close = %v", err)
	}
}
