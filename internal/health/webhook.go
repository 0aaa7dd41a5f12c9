package health

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// SignatureHeader carries "sha256=" + hex(HMAC-SHA256(secret, body)).
const SignatureHeader = "X-Gopulse-Signature"

// ErrWebhookStatus is returned for a non-2xx webhook answer.
var ErrWebhookStatus = errors.New("webhook status")

// Webhook is one receiver of decisions.
type Webhook struct {
	URL        string
	Secret     string
	Events     []string // drain, restore, state; empty = drain and restore
	Timeout    time.Duration
	MaxRetries int
	Headers    map[string]string
}

func (w Webhook) wants(c Change) bool {
	kinds := w.Events
	if len(kinds) == 0 {
		kinds = []string{string(Drain), string(Restore)}
	}
	for _, k := range kinds {
		if k == "state" || c.Decision != "" && k == string(c.Decision) {
			return true
		}
	}
	return false
}

// Payload is the JSON body of a webhook call.
type Payload struct {
	Event     string    `json:"event"` // drain, restore or state
	Decision  Decision  `json:"decision,omitempty"`
	From      State     `json:"from"`
	To        State     `json:"to"`
	Time      time.Time `json:"time"`
	PID       int       `json:"pid"`
	Exe       string    `json:"exe"`
	Service   string    `json:"service"`
	Namespace string    `json:"namespace,omitempty"`
	Pod       string    `json:"pod,omitempty"`
	Container string    `json:"container,omitempty"`
	Reasons   []Reason  `json:"reasons"`
}

// Sign returns the X-Gopulse-Signature value of body.
func Sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Verify checks a signature in constant time.
func Verify(secret string, body []byte, sig string) bool {
	return hmac.Equal([]byte(Sign(secret, body)), []byte(sig))
}

type delivery struct {
	hook int
	body []byte
	kind string
}

// Notifier delivers changes to webhooks from its own goroutine, with
// retries, exponential backoff and jitter. Notify never blocks: a full
// queue drops the delivery and counts it.
type Notifier struct {
	hooks   []Webhook
	client  *http.Client
	log     *slog.Logger
	queue   chan delivery
	backoff time.Duration

	sent, failed, dropped *prometheus.CounterVec
	closeOnce             sync.Once
	done                  chan struct{}
}

// NewNotifier returns a notifier; reg may be nil.
func NewNotifier(hooks []Webhook, client *http.Client, log *slog.Logger, reg prometheus.Registerer) (*Notifier, error) {
	if client == nil {
		client = &http.Client{}
	}
	n := &Notifier{
		hooks: hooks, client: client, log: log, queue: make(chan delivery, 256), backoff: 500 * time.Millisecond,
		done: make(chan struct{}),
		sent: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "gopulse_webhook_sent_total",
			Help: "Webhook deliveries acknowledged with 2xx."}, []string{"event"}),
		failed: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "gopulse_webhook_failed_total",
			Help: "Webhook deliveries abandoned after their retries."}, []string{"event"}),
		dropped: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "gopulse_webhook_dropped_total",
			Help: "Webhook deliveries dropped because the queue was full."}, []string{"event"}),
	}
	if reg != nil {
		for _, c := range []prometheus.Collector{n.sent, n.failed, n.dropped} {
			if err := reg.Register(c); err != nil {
				return nil, fmt.Errorf("register webhook metrics: %w", err)
			}
		}
	}
	return n, nil
}

// Notify implements Listener; it never blocks.
func (n *Notifier) Notify(c Change) {
	kind := string(c.Decision)
	if kind == "" {
		kind = "state"
	}
	p := Payload{Event: kind, Decision: c.Decision, From: c.From, To: c.To, Time: c.At.UTC(),
		PID: c.Proc.PID, Exe: c.Proc.Exe, Service: c.Proc.Service, Namespace: c.Proc.Namespace,
		Pod: c.Proc.Pod, Container: c.Proc.Container, Reasons: c.Reasons}
	if p.Reasons == nil {
		p.Reasons = []Reason{}
	}
	body, err := json.Marshal(p)
	if err != nil {
		n.log.Error("encode webhook payload", "err", err)
		return
	}
	for i, h := range n.hooks {
		if !h.wants(c) {
			continue
		}
		select {
		case n.queue <- delivery{hook: i, body: body, kind: kind}:
		default:
			n.dropped.WithLabelValues(kind).Inc()
		}
	}
}

// Run delivers until ctx ends.
func (n *Notifier) Run(ctx context.Context) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-n.done:
			return nil
		case d := <-n.queue:
			if err := n.deliver(ctx, d); err != nil {
				n.failed.WithLabelValues(d.kind).Inc()
				n.log.Warn("webhook delivery abandoned", "url", n.hooks[d.hook].URL, "event", d.kind, "err", err)
			} else {
				n.sent.WithLabelValues(d.kind).Inc()
			}
		}
	}
}

// Close stops Run; safe to call twice.
func (n *Notifier) Close() error {
	n.closeOnce.Do(func() { close(n.done) })
	return nil
}

func (n *Notifier) deliver(ctx context.Context, d delivery) error {
	h := n.hooks[d.hook]
	var err error
	for attempt := 0; attempt <= h.MaxRetries; attempt++ {
		if attempt > 0 {
			wait := n.backoff << min(attempt-1, 10)
			wait = wait/2 + rand.N(wait/2+1) // jitter
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-n.done:
				return err
			case <-time.After(wait):
			}
		}
		var retry bool
		retry, err = n.post(ctx, h, d)
		if err == nil || !retry {
			return err
		}
	}
	return err
}

func (n *Notifier) post(ctx context.Context, h Webhook, d delivery) (retry bool, err error) {
	timeout := h.Timeout
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.URL, bytes.NewReader(d.body))
	if err != nil {
		return false, fmt.Errorf("build webhook request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Gopulse-Event", d.kind)
	for k, v := range h.Headers {
		req.Header.Set(k, v)
	}
	if h.Secret != "" {
		req.Header.Set(SignatureHeader, Sign(h.Secret, d.body))
	}
	resp, err := n.client.Do(req)
	if err != nil {
		return true, fmt.Errorf("post webhook: %w", err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode/100 == 2 {
		return false, nil
	}
	retry = resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500 || resp.StatusCode == http.StatusRequestTimeout
	return retry, fmt.Errorf("%w %d", ErrWebhookStatus, resp.StatusCode)
}

// SetBackoff sets the first retry delay (tests use a short one).
func (n *Notifier) SetBackoff(d time.Duration) { n.backoff = d }
