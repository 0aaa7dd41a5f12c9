package delivery

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"
)

// Transport delivers one encoded payload to one endpoint. Errors are
// classified with *StatusError (status codes, Retry-After) and
// *PermanentError; any other error is treated as a retryable network error.
type Transport interface {
	Send(ctx context.Context, ep Endpoint, body []byte) error
}

// HealthChecker is implemented by transports that can check an endpoint's
// health on their own (HTTP: GET HealthURL).
type HealthChecker interface {
	Check(ctx context.Context, ep Endpoint) error
}

// TLSConfig configures TLS and mutual TLS.
type TLSConfig struct {
	CAFile             string `yaml:"ca_file"`
	CertFile           string `yaml:"cert_file"` // client certificate for mTLS
	KeyFile            string `yaml:"key_file"`
	ServerName         string `yaml:"server_name"`
	InsecureSkipVerify bool   `yaml:"insecure_skip_verify"`
}

// HTTPConfig configures the HTTP transport.
type HTTPConfig struct {
	Timeout time.Duration `yaml:"timeout"`
	TLS     TLSConfig     `yaml:"tls"`
	// BasicAuth is used when Username is set; BearerToken otherwise when set.
	Username    string `yaml:"username"`
	Password    string `yaml:"password"`
	BearerToken string `yaml:"bearer_token"`
	// Headers are added to every request (after the exporter's own).
	Headers map[string]string `yaml:"headers"`
}

// Validate reports every problem of c, joined.
func (c *HTTPConfig) Validate() error {
	var errs []error
	if c.Timeout <= 0 {
		errs = append(errs, errors.New("http timeout must be positive"))
	}
	if (c.TLS.CertFile == "") != (c.TLS.KeyFile == "") {
		errs = append(errs, errors.New("tls cert_file and key_file go together"))
	}
	for _, f := range []string{c.TLS.CAFile, c.TLS.CertFile, c.TLS.KeyFile} {
		if f == "" {
			continue
		}
		if _, err := os.Stat(f); err != nil {
			errs = append(errs, fmt.Errorf("tls file: %w", err))
		}
	}
	if c.Username != "" && c.BearerToken != "" {
		errs = append(errs, errors.New("basic auth and bearer token are exclusive"))
	}
	for k := range c.Headers {
		if k == "" || strings.ContainsAny(k, " :\r\n") {
			errs = append(errs, fmt.Errorf("header name %q is invalid", k))
		}
	}
	return errors.Join(errs...)
}

// HTTPTransport POSTs payloads.
type HTTPTransport struct {
	client  *http.Client
	cfg     HTTPConfig
	headers http.Header
}

// maxErrorBody is how much of an error response is kept for logs.
const maxErrorBody = 256

// NewHTTPTransport builds the transport. protocolHeaders are the exporter's
// own (Content-Type, Content-Encoding, …); cfg.Headers are added after them.
func NewHTTPTransport(cfg HTTPConfig, protocolHeaders map[string]string) (*HTTPTransport, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	tc, err := cfg.TLS.build()
	if err != nil {
		return nil, err
	}
	tr := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSClientConfig:       tc,
		MaxIdleConnsPerHost:   16,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
		ForceAttemptHTTP2:     true,
	}
	h := http.Header{}
	for k, v := range protocolHeaders {
		h.Set(k, v)
	}
	for k, v := range cfg.Headers {
		h.Set(k, v)
	}
	if h.Get("User-Agent") == "" {
		h.Set("User-Agent", "gopulse")
	}
	return &HTTPTransport{client: &http.Client{Transport: tr, Timeout: cfg.Timeout}, cfg: cfg, headers: h}, nil
}

func (c *TLSConfig) build() (*tls.Config, error) {
	tc := &tls.Config{
		ServerName:         c.ServerName,
		InsecureSkipVerify: c.InsecureSkipVerify, //nolint:gosec // user's explicit choice
		MinVersion:         tls.VersionTLS12,
	}
	if c.CAFile != "" {
		pem, err := os.ReadFile(c.CAFile)
		if err != nil {
			return nil, fmt.Errorf("read ca file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("ca file %s: no certificates", c.CAFile)
		}
		tc.RootCAs = pool
	}
	if c.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(c.CertFile, c.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("load client certificate: %w", err)
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	return tc, nil
}

func (t *HTTPTransport) auth(req *http.Request) {
	switch {
	case t.cfg.Username != "":
		req.SetBasicAuth(t.cfg.Username, t.cfg.Password)
	case t.cfg.BearerToken != "":
		req.Header.Set("Authorization", "Bearer "+t.cfg.BearerToken)
	}
}

// Send POSTs body to ep.URL. 2xx is success; other statuses become a
// *StatusError.
func (t *HTTPTransport) Send(ctx context.Context, ep Endpoint, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ep.URL, bytes.NewReader(body))
	if err != nil {
		return &PermanentError{Kind: "bad_request", Err: err}
	}
	for k, v := range t.headers {
		req.Header[k] = v
	}
	t.auth(req)
	resp, err := t.client.Do(req)
	if err != nil {
		return fmt.Errorf("post %s: %w", ep.URL, err)
	}
	return t.finish(resp)
}

func (t *HTTPTransport) finish(resp *http.Response) error {
	defer resp.Body.Close()
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		// Drain (bounded) so the connection is reused; a broken body after a
		// 2xx status does not undo the delivery.
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		return nil
	}
	var sb [maxErrorBody]byte
	n, _ := io.ReadFull(resp.Body, sb[:])
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	return &StatusError{
		Code:       resp.StatusCode,
		RetryAfter: ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now()),
		Body:       strings.ToValidUTF8(strings.TrimSpace(string(sb[:n])), "?"),
	}
}

// Check GETs ep.HealthURL.
func (t *HTTPTransport) Check(ctx context.Context, ep Endpoint) error {
	if ep.HealthURL == "" {
		return ErrNoHealthCheck
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, ep.HealthURL, nil)
	if err != nil {
		return fmt.Errorf("health request: %w", err)
	}
	t.auth(req)
	resp, err := t.client.Do(req)
	if err != nil {
		return fmt.Errorf("get %s: %w", ep.HealthURL, err)
	}
	return t.finish(resp)
}
