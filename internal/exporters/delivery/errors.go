package delivery

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Sentinel errors.
var (
	ErrClosed        = errors.New("delivery queue closed")
	ErrRunning       = errors.New("delivery queue already running")
	ErrTooLarge      = errors.New("payload larger than max_record_bytes")
	ErrNoHealthCheck = errors.New("endpoint has no health url")
)

// StatusError is a response the backend gave. Transports other than HTTP
// (e.g. gRPC) map their status onto the closest HTTP code: 429 for
// "resource exhausted", 503 for "unavailable", 400 for "invalid argument".
type StatusError struct {
	Code int
	// RetryAfter is the server's Retry-After, zero when absent.
	RetryAfter time.Duration
	// Body is the start of the response body, for logs.
	Body string
}

func (e *StatusError) Error() string {
	if e.Body == "" {
		return fmt.Sprintf("status %d", e.Code)
	}
	return fmt.Sprintf("status %d: %s", e.Code, e.Body)
}

// Retryable reports whether the status is worth retrying: 429 and 5xx.
func (e *StatusError) Retryable() bool {
	return e.Code == http.StatusTooManyRequests || e.Code >= 500
}

// PermanentError marks an error that retrying cannot fix (e.g. a payload the
// backend rejects as invalid); the payload is dropped and counted.
type PermanentError struct {
	Kind string // bounded: becomes the `reason` label
	Err  error
}

func (e *PermanentError) Error() string { return e.Kind + ": " + e.Err.Error() }
func (e *PermanentError) Unwrap() error { return e.Err }

// outcome is the classification of one send.
type outcome struct {
	ok         bool
	retry      bool
	reason     string // bounded label value
	retryAfter time.Duration
	throttled  bool // 429: ease off the endpoint
}

// classify decides what to do after a send returned err.
func classify(err error) outcome {
	if err == nil {
		return outcome{ok: true}
	}
	var se *StatusError
	if errors.As(err, &se) {
		switch {
		case se.Code == http.StatusTooManyRequests:
			return outcome{retry: true, reason: "status_429", retryAfter: se.RetryAfter, throttled: true}
		case se.Code >= 500:
			return outcome{retry: true, reason: "status_5xx", retryAfter: se.RetryAfter}
		case se.Code >= 400:
			return outcome{reason: "status_" + strconv.Itoa(se.Code)}
		default:
			return outcome{reason: "status_other"}
		}
	}
	var pe *PermanentError
	if errors.As(err, &pe) {
		return outcome{reason: pe.Kind}
	}
	return outcome{retry: true, reason: "network"}
}

// ParseRetryAfter parses a Retry-After value: delay-seconds or an HTTP-date.
// It returns zero when v is empty or invalid, or names a past date.
func ParseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		if secs > 1<<31 {
			secs = 1 << 31
		}
		return time.Duration(secs) * time.Second
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0
	}
	if d := t.Sub(now); d > 0 {
		return d
	}
	return 0
}
