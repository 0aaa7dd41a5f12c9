package prom

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"
)

// Content types served.
const (
	ContentTypeText        = "text/plain; version=0.0.4; charset=utf-8"
	ContentTypeOpenMetrics = "application/openmetrics-text; version=1.0.0; charset=utf-8"
)

// Handler serves /metrics: gopulse's own series from a client_golang
// Gatherer, then the runtime series, in text 0.0.4 or OpenMetrics 1.0 as the
// Accept header asks.
type Handler struct {
	gatherer prometheus.Gatherer
	runtime  *Runtime
	log      *slog.Logger
	pool     sync.Pool
	gzPool   sync.Pool
}

// NewHandler returns the /metrics handler. gatherer or runtime may be nil.
func NewHandler(gatherer prometheus.Gatherer, runtime *Runtime, log *slog.Logger) *Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	h := &Handler{gatherer: gatherer, runtime: runtime, log: log}
	h.pool.New = func() any { return new(bytes.Buffer) }
	h.gzPool.New = func() any {
		gz, _ := gzip.NewWriterLevel(io.Discard, gzip.BestSpeed)
		return gz
	}
	return h
}

// WantsOpenMetrics reports whether an Accept header asks for OpenMetrics
// (at a higher or equal weight than the text format).
func WantsOpenMetrics(accept string) bool {
	omQ, textQ := -1.0, -1.0
	for _, part := range strings.Split(accept, ",") {
		fields := strings.Split(part, ";")
		mt := strings.TrimSpace(fields[0])
		q := 1.0
		for _, p := range fields[1:] {
			p = strings.TrimSpace(p)
			if v, ok := strings.CutPrefix(p, "q="); ok {
				q = parseQ(v)
			}
		}
		switch mt {
		case "application/openmetrics-text":
			omQ = max(omQ, q)
		case "text/plain", "*/*":
			textQ = max(textQ, q)
		}
	}
	return omQ > 0 && omQ >= textQ
}

func parseQ(s string) float64 {
	var v float64
	var frac float64 = 0
	div := 1.0
	for _, c := range s {
		switch {
		case c == '.':
			frac = 1
		case c >= '0' && c <= '9':
			if frac == 0 {
				v = v*10 + float64(c-'0')
			} else {
				div *= 10
				v += float64(c-'0') / div
			}
		default:
			return 0
		}
	}
	return v
}

func acceptsGzip(ae string) bool {
	for _, part := range strings.Split(ae, ",") {
		enc, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.TrimSpace(enc) != "gzip" {
			continue
		}
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok && parseQ(v) == 0 {
			return false
		}
		return true
	}
	return false
}

// ServeHTTP writes the exposition.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	om := WantsOpenMetrics(r.Header.Get("Accept"))
	if h.runtime != nil {
		h.runtime.Prune(time.Now())
	}
	buf := h.pool.Get().(*bytes.Buffer)
	buf.Reset()
	defer h.pool.Put(buf)

	if err := h.encode(buf, om); err != nil {
		h.log.Warn("encode metrics", "err", err)
	}
	ct := ContentTypeText
	if om {
		ct = ContentTypeOpenMetrics
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Vary", "Accept, Accept-Encoding")
	if acceptsGzip(r.Header.Get("Accept-Encoding")) {
		w.Header().Set("Content-Encoding", "gzip")
		gz := h.gzPool.Get().(*gzip.Writer)
		gz.Reset(w)
		_, err := gz.Write(buf.Bytes())
		if err == nil {
			err = gz.Close()
		}
		h.gzPool.Put(gz)
		if err != nil {
			h.log.Debug("write metrics response", "err", err)
		}
		return
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		h.log.Debug("write metrics response", "err", err)
	}
}

// encode writes the whole exposition into buf. A gather error is returned
// but what could be gathered is still written.
func (h *Handler) encode(buf *bytes.Buffer, om bool) error {
	var gerr error
	if h.gatherer != nil {
		mfs, err := h.gatherer.Gather()
		gerr = err
		for _, mf := range mfs {
			if om {
				_, err = expfmt.MetricFamilyToOpenMetrics(buf, mf)
			} else {
				_, err = expfmt.MetricFamilyToText(buf, mf)
			}
			if err != nil && gerr == nil {
				gerr = err
			}
		}
	}
	if h.runtime != nil {
		b := buf.AvailableBuffer()
		b = h.runtime.AppendExposition(b, om)
		buf.Write(b)
	}
	if om {
		buf.WriteString("# EOF\n")
	}
	return gerr
}
