package jaeger

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sync"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/gopulse/gopulse/internal/exporters/delivery"
)

// postSpansMethod is jaeger-idl api_v2 CollectorService.PostSpans.
const postSpansMethod = "/jaeger.api_v2.CollectorService/PostSpans"

// ErrTransportClosed is returned by Send after Close.
var ErrTransportClosed = errors.New("jaeger grpc transport closed")

// GRPCConfig configures the api_v2 gRPC transport.
type GRPCConfig struct {
	// TLS is used for https:// endpoints; nil means the system roots.
	TLS *tls.Config
	// Headers are sent as gRPC metadata (e.g. authorization).
	Headers map[string]string
}

// GRPCTransport sends encoded PostSpansRequest messages (EncodeJaeger's
// output, as queued by the delivery layer) to Jaeger v1 collectors with
// CollectorService.PostSpans. Endpoint URLs are http://host:port (plaintext)
// or https://host:port (TLS). It implements delivery.Transport; gRPC status
// codes are mapped onto HTTP ones for the queue's classification.
type GRPCTransport struct {
	cfg    GRPCConfig
	md     metadata.MD
	mu     sync.Mutex
	conns  map[string]*grpc.ClientConn
	closed bool
}

var _ delivery.Transport = (*GRPCTransport)(nil)

// NewGRPCTransport returns a transport; connections are made on first use.
func NewGRPCTransport(cfg GRPCConfig) *GRPCTransport {
	md := metadata.MD{}
	for k, v := range cfg.Headers {
		md.Append(k, v)
	}
	return &GRPCTransport{cfg: cfg, md: md, conns: make(map[string]*grpc.ClientConn)}
}

func (t *GRPCTransport) conn(rawURL string) (*grpc.ClientConn, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return nil, ErrTransportClosed
	}
	if c, ok := t.conns[rawURL]; ok {
		return c, nil
	}
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" {
		return nil, &delivery.PermanentError{Kind: "bad_endpoint", Err: fmt.Errorf("parse endpoint %q: %w", rawURL, err)}
	}
	creds := insecure.NewCredentials()
	if u.Scheme == "https" {
		cfg := t.cfg.TLS
		if cfg == nil {
			cfg = &tls.Config{MinVersion: tls.VersionTLS12}
		}
		creds = credentials.NewTLS(cfg)
	}
	c, err := grpc.NewClient(u.Host, grpc.WithTransportCredentials(creds))
	if err != nil {
		return nil, &delivery.PermanentError{Kind: "bad_endpoint", Err: fmt.Errorf("grpc client %s: %w", u.Host, err)}
	}
	t.conns[rawURL] = c
	return c, nil
}

// Send posts one encoded PostSpansRequest.
func (t *GRPCTransport) Send(ctx context.Context, ep delivery.Endpoint, body []byte) error {
	c, err := t.conn(ep.URL)
	if err != nil {
		return err
	}
	if len(t.md) > 0 {
		ctx = metadata.NewOutgoingContext(ctx, t.md)
	}
	var reply rawMessage
	err = c.Invoke(ctx, postSpansMethod, rawMessage(body), &reply, grpc.ForceCodecV2(rawCodec{}))
	if err == nil {
		return nil
	}
	st, ok := status.FromError(err)
	if !ok {
		return fmt.Errorf("post spans to %s: %w", ep.URL, err)
	}
	code := 0
	switch st.Code() {
	case codes.ResourceExhausted:
		code = http.StatusTooManyRequests
	case codes.Unavailable, codes.DeadlineExceeded, codes.Canceled, codes.Aborted:
		return fmt.Errorf("post spans to %s: %w", ep.URL, err) // network-like: retried
	case codes.InvalidArgument, codes.OutOfRange, codes.FailedPrecondition:
		code = http.StatusBadRequest
	case codes.Unauthenticated:
		code = http.StatusUnauthorized
	case codes.PermissionDenied:
		code = http.StatusForbidden
	case codes.NotFound, codes.Unimplemented:
		code = http.StatusNotFound
	default: // Internal, Unknown, DataLoss
		code = http.StatusInternalServerError
	}
	return &delivery.StatusError{Code: code, Body: st.Code().String() + ": " + st.Message()}
}

// Close closes the connections. It is safe to call twice.
func (t *GRPCTransport) Close() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.closed = true
	var errs []error
	for k, c := range t.conns {
		errs = append(errs, c.Close())
		delete(t.conns, k)
	}
	return errors.Join(errs...)
}

// rawMessage is an already encoded protobuf message.
type rawMessage []byte

// rawCodec passes rawMessage through untouched; named "proto" so the server
// decodes it with its own protobuf codec.
type rawCodec struct{}

func (rawCodec) Name() string { return "proto" }

func (rawCodec) Marshal(v any) (mem.BufferSlice, error) {
	m, ok := v.(rawMessage)
	if !ok {
		return nil, fmt.Errorf("raw codec: cannot marshal %T", v)
	}
	return mem.BufferSlice{mem.SliceBuffer(m)}, nil
}

func (rawCodec) Unmarshal(data mem.BufferSlice, v any) error {
	m, ok := v.(*rawMessage)
	if !ok {
		return fmt.Errorf("raw codec: cannot unmarshal into %T", v)
	}
	*m = data.Materialize()
	return nil
}
