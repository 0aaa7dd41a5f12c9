// Package delivery is the delivery layer shared by gopulse's exporters: a
// bounded in-memory batch in front of a bounded on-disk write-ahead log,
// retries with backoff and jitter, Retry-After, per-endpoint circuit breakers
// and adaptive (AIMD) concurrency, and failover between endpoints.
//
// An exporter encodes a request body and hands it to Enqueue; the queue makes
// it durable and delivers it to one of the endpoints through a Transport
// (HTTP by default). One record is one request. After a crash (kill -9) the
// records that were in flight are sent again: nothing flushed is lost and the
// duplicates are at most the unacknowledged requests.
package delivery

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Deps are the queue's collaborators.
type Deps struct {
	Logger     *slog.Logger
	Registerer prometheus.Registerer
	// Transport sends payloads; nil means an HTTPTransport built from HTTP.
	Transport Transport
	// HTTP configures the default transport.
	HTTP HTTPConfig
	// ProtocolHeaders are the exporter's own headers for the default transport.
	ProtocolHeaders map[string]string
}

// item is one dispatched record (in flight or waiting for a retry).
type item struct {
	off       uint64
	body      []byte
	items     uint32
	attempt   int
	notBefore time.Time
	inflight  bool
	orphan    bool // its segment was dropped by the size cap
}

// Queue is one exporter's delivery queue.
type Queue struct {
	cfg Config
	log *slog.Logger
	tr  Transport
	m   *metrics

	// memMu guards the in-memory batch.
	memMu    sync.Mutex
	mem      []byte
	memMetas []recMeta
	closed   bool

	// flushMu serialises flushes (and swaps the batch buffers).
	flushMu    sync.Mutex
	spare      []byte
	spareMetas []recMeta
	lastSync   time.Time

	// mu guards the log, the acknowledgements and the dispatcher state.
	mu         sync.Mutex
	w          *wal
	ack        *ackFile
	committed  uint64
	acked      map[uint64]struct{}
	ackScratch []uint64
	cursor     uint64
	pending    map[uint64]*item
	retries    []*item // ascending offsets
	eps        []*endpointState
	loggedKind map[string]bool
	bufs       [][]byte
	maxPending int

	notify   chan struct{}
	flushReq chan struct{}

	// drops counts items given up on; lastDrop is when (unix ns) and why
	// the last ones were, for readiness.
	drops    atomic.Uint64
	lastDrop atomic.Pointer[dropNote]

	// stopWait bounds how long a send in flight when Run's context ends
	// may still take (inflightStopWait; tests shorten it).
	stopWait time.Duration

	runMu     sync.Mutex
	running   bool
	closing   bool
	cancelRun context.CancelFunc
	runDone   chan struct{}
	closeOnce sync.Once
	closeErr  error
}

// New opens (and recovers) the queue. Call Run to deliver and Close at the end.
func New(cfg Config, deps Deps) (*Queue, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("delivery config: %w", err)
	}
	if cfg.MemoryBytes > int(cfg.SegmentBytes) {
		cfg.MemoryBytes = int(cfg.SegmentBytes)
	}
	log := deps.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	tr := deps.Transport
	if tr == nil {
		h := deps.HTTP
		if h.Timeout == 0 {
			h.Timeout = 30 * time.Second
		}
		t, err := NewHTTPTransport(h, deps.ProtocolHeaders)
		if err != nil {
			return nil, fmt.Errorf("http transport: %w", err)
		}
		tr = t
	}
	m, err := newMetrics(cfg.Name, deps.Registerer)
	if err != nil {
		return nil, err
	}
	ack, committed, acked, err := openAckFile(cfg.Dir)
	if err != nil {
		return nil, err
	}
	w, st, err := openWAL(cfg.Dir, cfg.SegmentBytes, committed)
	if err != nil {
		ack.close()
		return nil, err
	}
	w.syncOnRotate = cfg.Fsync != FsyncNever
	if st.tornTail > 0 {
		m.walErrors.WithLabelValues("torn_tail").Add(float64(st.tornTail))
		log.Warn("queue recovery skipped a torn tail record", "exporter", cfg.Name, "dir", cfg.Dir)
	}
	if st.corrupt > 0 {
		m.walErrors.WithLabelValues("corrupt").Add(float64(st.corrupt))
		log.Warn("queue recovery skipped corrupt records", "exporter", cfg.Name, "dir", cfg.Dir, "segments", st.corrupt)
	}
	q := &Queue{
		cfg: cfg, log: log, tr: tr, m: m,
		mem:        make([]byte, 0, cfg.MemoryBytes),
		spare:      make([]byte, 0, cfg.MemoryBytes),
		w:          w,
		ack:        ack,
		acked:      make(map[uint64]struct{}),
		pending:    make(map[uint64]*item),
		loggedKind: make(map[string]bool),
		notify:     make(chan struct{}, 1),
		flushReq:   make(chan struct{}, 1),
		stopWait:   inflightStopWait,
	}
	q.committed = w.firstAtOrAfter(committed)
	for _, o := range acked {
		if o >= q.committed {
			q.acked[o] = struct{}{}
		}
	}
	q.advanceCommitted()
	q.cursor = q.committed
	for i, ep := range cfg.Endpoints {
		es := newEndpointState(ep, i, &cfg)
		es.label = endpointLabel(ep.URL)
		q.eps = append(q.eps, es)
		m.up.WithLabelValues(es.label).Set(1)
		m.limit.WithLabelValues(es.label).Set(es.limit)
		m.inflight.WithLabelValues(es.label).Set(0)
	}
	q.maxPending = min(maxAcked, 2*cfg.Concurrency.Max*len(cfg.Endpoints)+cfg.Concurrency.Max)
	if err := w.deleteBelow(q.committed); err != nil {
		log.Warn("queue cleanup", "exporter", cfg.Name, "err", err)
	}
	q.setQueueBytesLocked()
	return q, nil
}

// Enqueue copies payload (one encoded request body holding `items` items)
// into the in-memory batch. When the batch is full it is written to the log
// first: the caller feels the disk as backpressure, never an unbounded queue.
// When the on-disk queue is full its oldest segment is dropped.
func (q *Queue) Enqueue(ctx context.Context, payload []byte, items int) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if len(payload) > q.cfg.MaxRecordBytes {
		q.drop("too_large", items)
		return ErrTooLarge
	}
	frame := frameHeader + len(payload)
	var blockedSince time.Time
	for {
		q.memMu.Lock()
		if q.closed {
			q.memMu.Unlock()
			return ErrClosed
		}
		if len(q.mem) == 0 || len(q.mem)+frame <= q.cfg.MemoryBytes {
			q.mem = appendFrame(q.mem, payload, uint32(items))
			q.memMetas = append(q.memMetas, recMeta{n: uint32(len(payload)), items: uint32(items)})
			n := len(q.mem)
			q.memMu.Unlock()
			q.m.memBytes.Set(float64(n))
			if !blockedSince.IsZero() {
				q.m.blocked.Add(time.Since(blockedSince).Seconds())
			}
			if n >= q.cfg.MemoryBytes/2 {
				signal(q.flushReq)
			}
			return nil
		}
		q.memMu.Unlock()
		if blockedSince.IsZero() {
			blockedSince = time.Now()
		}
		if err := q.Flush(ctx); err != nil {
			return err
		}
	}
}

// Flush writes the in-memory batch to the log (and fsyncs it under
// FsyncAlways).
func (q *Queue) Flush(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	q.flushMu.Lock()
	defer q.flushMu.Unlock()
	return q.flushLocked()
}

func (q *Queue) flushLocked() error {
	q.memMu.Lock()
	frames, metas := q.mem, q.memMetas
	q.mem, q.memMetas = q.spare[:0], q.spareMetas[:0]
	q.memMu.Unlock()
	q.spare, q.spareMetas = frames, metas
	q.m.memBytes.Set(0)
	if len(frames) == 0 {
		return q.maybeSync(false)
	}
	q.mu.Lock()
	if q.w == nil {
		q.mu.Unlock()
		return ErrClosed
	}
	if err := q.makeRoom(int64(len(frames))); err != nil {
		q.mu.Unlock()
		return err
	}
	_, err := q.w.write(frames, metas)
	q.setQueueBytesLocked()
	q.mu.Unlock()
	if err != nil {
		lost := 0
		for _, m := range metas {
			lost += int(m.items)
		}
		q.drop("write_error", lost)
		return err
	}
	signal(q.notify)
	return q.maybeSync(q.cfg.Fsync == FsyncAlways)
}

func (q *Queue) maybeSync(force bool) error {
	switch {
	case force:
	case q.cfg.Fsync == FsyncInterval && time.Since(q.lastSync) >= q.cfg.FsyncInterval:
	default:
		return nil
	}
	q.lastSync = time.Now()
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.w == nil {
		return nil
	}
	return q.w.sync(false)
}

// makeRoom drops the oldest segments until n more bytes fit under the cap.
func (q *Queue) makeRoom(n int64) error {
	for q.w.total+n > q.cfg.MaxQueueBytes {
		if len(q.w.segs) == 1 {
			if q.w.active().size == 0 {
				return nil
			}
			if err := q.w.rotate(); err != nil {
				return err
			}
		}
		s, err := q.w.dropOldest()
		lost := 0
		for _, r := range s.recs {
			off := s.base + uint64(r.pos)
			if off < q.committed {
				continue
			}
			if _, ok := q.acked[off]; ok {
				delete(q.acked, off)
				continue
			}
			if it, ok := q.pending[off]; ok {
				if it.inflight {
					it.orphan = true // counted if it fails
					continue
				}
				q.removeRetry(it)
				delete(q.pending, off)
				q.putBuf(it.body)
			}
			lost += int(r.items)
		}
		if lost > 0 {
			q.drop("queue_full", lost)
			q.logOnce("queue_full", "queue full: dropped the oldest segment", "items", lost)
		}
		if q.committed < s.end() {
			q.committed = q.w.firstAtOrAfter(s.end())
			q.advanceCommitted()
		}
		if q.cursor < s.end() {
			q.cursor = q.w.firstAtOrAfter(s.end())
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// Run flushes and delivers until ctx is done. Requests in flight when it
// stops are cancelled and sent again by the next Run (or after a restart).
func (q *Queue) Run(ctx context.Context) error {
	q.runMu.Lock()
	if q.running {
		q.runMu.Unlock()
		return ErrRunning
	}
	if q.closing {
		q.runMu.Unlock()
		return ErrClosed
	}
	ctx, cancel := context.WithCancel(ctx)
	q.running, q.cancelRun, q.runDone = true, cancel, make(chan struct{})
	q.runMu.Unlock()
	defer func() {
		cancel()
		q.runMu.Lock()
		q.running = false
		close(q.runDone)
		q.runMu.Unlock()
	}()

	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		q.flusher(ctx)
	}()
	if hc, ok := q.tr.(HealthChecker); ok {
		wg.Add(1)
		go func() {
			defer wg.Done()
			q.healthLoop(ctx, hc)
		}()
	}
	q.dispatch(ctx, &wg)
	wg.Wait()
	// Sends the stop cut short (after stopWait) went back to the retry list.
	q.flushMu.Lock()
	err := q.flushLocked()
	q.flushMu.Unlock()
	return err
}

func (q *Queue) flusher(ctx context.Context) {
	t := time.NewTicker(q.cfg.FlushInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-q.flushReq:
		}
		if err := q.Flush(ctx); err != nil && !errors.Is(err, context.Canceled) {
			q.log.Error("queue flush", "exporter", q.cfg.Name, "err", err)
		}
	}
}

func (q *Queue) healthLoop(ctx context.Context, hc HealthChecker) {
	t := time.NewTicker(q.cfg.HealthInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		for _, es := range q.eps {
			if es.ep.HealthURL == "" {
				continue
			}
			cctx, cancel := context.WithTimeout(ctx, q.cfg.HealthInterval)
			err := hc.Check(cctx, es.ep)
			cancel()
			if ctx.Err() != nil {
				return
			}
			q.mu.Lock()
			before := es.state
			now := time.Now()
			es.healthResult(now, err == nil)
			q.noteState(es, before, err)
			if before != stateClosed && es.state == stateClosed {
				q.retryNow(now)
			}
			q.mu.Unlock()
		}
		signal(q.notify)
	}
}

// dispatch starts sends while there are records and endpoint capacity.
func (q *Queue) dispatch(ctx context.Context, wg *sync.WaitGroup) {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		q.mu.Lock()
		wake := q.dispatchLocked(ctx, wg)
		q.mu.Unlock()
		var tc <-chan time.Time
		if !wake.IsZero() {
			d := max(time.Until(wake), time.Millisecond)
			if !timer.Stop() {
				select {
				case <-timer.C:
				default:
				}
			}
			timer.Reset(d)
			tc = timer.C
		}
		select {
		case <-ctx.Done():
			return
		case <-q.notify:
		case <-tc:
		}
	}
}

// dispatchLocked launches what it can and returns when to look again (zero:
// on the next notification).
func (q *Queue) dispatchLocked(ctx context.Context, wg *sync.WaitGroup) time.Time {
	for {
		if ctx.Err() != nil {
			return time.Time{}
		}
		now := time.Now()
		var wake time.Time
		// Choose the record: the oldest due retry, else the next new one.
		var it *item
		ri := -1
		for i, r := range q.retries {
			if !r.notBefore.After(now) {
				it, ri = r, i
				break
			}
			wake = earliest(wake, r.notBefore)
		}
		if it == nil && q.cfg.Ordered && len(q.retries) > 0 {
			return wake
		}
		if it == nil && q.cfg.Ordered && q.inflightTotal() > 0 {
			return time.Time{}
		}
		newRec := false
		if it == nil {
			q.skipAcked()
			if q.cursor >= q.w.end() || len(q.pending) >= q.maxPending {
				return wake
			}
			newRec = true
		}
		es, epWake := q.pickEndpoint(now)
		if es == nil {
			return earliest(wake, epWake)
		}
		if newRec {
			body, items, err := q.w.read(q.cursor, q.getBuf())
			off := q.cursor
			q.cursor = q.w.next(off)
			if err != nil {
				q.putBuf(body)
				q.drop("read_error", int(items))
				q.logOnce("read", "queue read failed; record skipped", "err", err)
				q.ackLocked(off)
				continue
			}
			it = &item{off: off, body: body, items: items}
			q.pending[off] = it
		} else {
			q.retries = slices.Delete(q.retries, ri, ri+1)
		}
		it.inflight = true
		es.acquire()
		q.m.inflight.WithLabelValues(es.label).Set(float64(es.inflight))
		wg.Add(1)
		go func() {
			defer wg.Done()
			q.send(ctx, it, es)
		}()
	}
}

func (q *Queue) inflightTotal() int {
	n := 0
	for _, es := range q.eps {
		n += es.inflight
	}
	return n
}

// pickEndpoint returns the first endpoint in priority order that can take a
// request. A healthy endpoint that is only at its concurrency limit stops the
// search: traffic waits for it rather than spilling over.
func (q *Queue) pickEndpoint(now time.Time) (*endpointState, time.Time) {
	var wake time.Time
	for _, es := range q.eps {
		before := es.state
		ok, t := es.available(now)
		if before != es.state {
			q.noteState(es, before, nil)
		}
		if ok {
			return es, time.Time{}
		}
		wake = earliest(wake, t)
		if es.state == stateClosed && !now.Before(es.pausedUntil) {
			return nil, time.Time{}
		}
	}
	return nil, wake
}

// inflightStopWait is how long a send in flight when the queue stops may
// still take to be answered. Cancelled at once, a push the backend had
// already taken would be sent again by the next run (a reload, a restart):
// its records delivered twice. A backend that does not answer within this
// bound (or the transport's timeout) gets the record again later.
const inflightStopWait = 5 * time.Second

func (q *Queue) send(ctx context.Context, it *item, es *endpointState) {
	start := time.Now()
	// The send outlives the stop by at most stopWait.
	sctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	stopAfter := context.AfterFunc(ctx, func() {
		t := time.NewTimer(q.stopWait)
		defer t.Stop()
		select {
		case <-t.C:
			cancel()
		case <-sctx.Done():
		}
	})
	defer stopAfter()
	err := q.tr.Send(sctx, es.ep, it.body)
	lat := time.Since(start)
	o := classify(err)
	now := time.Now()

	q.mu.Lock()
	defer func() {
		q.m.inflight.WithLabelValues(es.label).Set(float64(es.inflight))
		q.m.limit.WithLabelValues(es.label).Set(es.limit)
		q.mu.Unlock()
		signal(q.notify)
	}()
	it.inflight = false
	if !o.ok && ctx.Err() != nil {
		// Shutdown (the send cut short, or failing while the queue
		// stops): not counted against the backend; sent again later.
		es.released()
		q.requeue(it)
		return
	}
	q.m.reqDuration.Observe(lat.Seconds())
	before := es.state
	switch {
	case o.ok:
		es.success(lat, &q.cfg)
		q.m.sent.Add(float64(it.items))
		q.finish(it)
	case o.retry:
		es.failure(now, o, &q.cfg)
		q.m.failed.WithLabelValues(o.reason).Add(float64(it.items))
		if it.orphan {
			q.drop("queue_full", int(it.items))
			q.finish(it)
			break
		}
		it.attempt++
		it.notBefore = now.Add(q.backoff(it.attempt))
		q.log.Debug("send failed; will retry", "exporter", q.cfg.Name, "endpoint", es.label,
			"attempt", it.attempt, "err", err)
		q.requeue(it)
	default:
		es.rejected()
		q.drop(o.reason, int(it.items))
		q.logOnce(o.reason, "backend rejected a payload; dropped", "endpoint", es.label, "err", err)
		q.finish(it)
	}
	q.noteState(es, before, err)
	if before != stateClosed && es.state == stateClosed {
		q.retryNow(now)
	}
}

// retryNow makes every waiting retry due: they failed because an endpoint
// was down, and one is back. Retry-After pauses live on the endpoints and
// still hold.
func (q *Queue) retryNow(now time.Time) {
	for _, r := range q.retries {
		if r.notBefore.After(now) {
			r.notBefore = now
		}
	}
}

// noteState logs and exports breaker transitions.
func (q *Queue) noteState(es *endpointState, before breakerState, err error) {
	if before == es.state {
		return
	}
	up := 0.0
	if es.state == stateClosed {
		up = 1
	}
	q.m.up.WithLabelValues(es.label).Set(up)
	switch es.state {
	case stateOpen:
		q.log.Warn("endpoint down; failing over", "exporter", q.cfg.Name, "endpoint", es.label,
			"retry_in", es.openTimeout, "err", err)
	case stateClosed:
		q.log.Info("endpoint up", "exporter", q.cfg.Name, "endpoint", es.label)
	}
}

func (q *Queue) requeue(it *item) {
	i, _ := slices.BinarySearchFunc(q.retries, it.off, func(r *item, off uint64) int {
		switch {
		case r.off < off:
			return -1
		case r.off > off:
			return 1
		}
		return 0
	})
	q.retries = slices.Insert(q.retries, i, it)
}

func (q *Queue) removeRetry(it *item) {
	if i := slices.Index(q.retries, it); i >= 0 {
		q.retries = slices.Delete(q.retries, i, i+1)
	}
}

// finish acknowledges a delivered or dropped record.
func (q *Queue) finish(it *item) {
	delete(q.pending, it.off)
	q.putBuf(it.body)
	it.body = nil
	q.ackLocked(it.off)
}

func (q *Queue) ackLocked(off uint64) {
	if q.w == nil || off < q.committed {
		return
	}
	if off == q.committed {
		q.committed = q.w.next(off)
		q.advanceCommitted()
	} else {
		q.acked[off] = struct{}{}
	}
	q.ackScratch = q.ackScratch[:0]
	for o := range q.acked {
		q.ackScratch = append(q.ackScratch, o)
	}
	if err := q.ack.store(q.committed, q.ackScratch, q.cfg.Fsync == FsyncAlways); err != nil {
		q.logOnce("ack", "persist acknowledgements", "err", err)
	}
	if err := q.w.deleteBelow(q.committed); err != nil {
		q.logOnce("cleanup", "delete acknowledged segment", "err", err)
	}
	q.setQueueBytesLocked()
}

// backlogLocked is what the queue still has to deliver: the bytes from the
// oldest unacknowledged record to the end of the log, less the records
// acknowledged out of order above it.
func (q *Queue) backlogLocked() int64 {
	n := int64(q.w.end()) - int64(q.committed)
	for off := range q.acked {
		if i, j, ok := q.w.find(off); ok {
			n -= frameHeader + int64(q.w.segs[i].recs[j].n)
		}
	}
	return max(n, 0)
}

func (q *Queue) setQueueBytesLocked() {
	q.m.queueBytes.Set(float64(q.backlogLocked()))
	q.m.diskBytes.Set(float64(q.w.total))
}

// dropNote is the last drop: when and why.
type dropNote struct {
	at     time.Time
	reason string
}

// drop counts items given up on.
func (q *Queue) drop(reason string, items int) {
	q.m.dropped.WithLabelValues(reason).Add(float64(items))
	q.drops.Add(uint64(items))
	q.lastDrop.Store(&dropNote{at: time.Now(), reason: reason})
}

func (q *Queue) advanceCommitted() {
	for {
		if _, ok := q.acked[q.committed]; !ok {
			return
		}
		delete(q.acked, q.committed)
		q.committed = q.w.next(q.committed)
	}
}

// skipAcked moves the cursor over records acknowledged before a restart.
func (q *Queue) skipAcked() {
	for q.cursor < q.w.end() {
		if _, ok := q.acked[q.cursor]; !ok {
			return
		}
		q.cursor = q.w.next(q.cursor)
	}
}

func (q *Queue) backoff(attempt int) time.Duration {
	r := q.cfg.Retry
	d := float64(r.InitialBackoff) * math.Pow(r.Multiplier, float64(attempt-1))
	d = math.Min(d, float64(r.MaxBackoff))
	d -= d * r.Jitter * rand.Float64()
	return time.Duration(d)
}

func (q *Queue) logOnce(kind, msg string, args ...any) {
	if q.loggedKind[kind] {
		return
	}
	q.loggedKind[kind] = true
	q.log.Warn(msg, append([]any{"exporter", q.cfg.Name, "kind", kind}, args...)...)
}

func (q *Queue) getBuf() []byte {
	if n := len(q.bufs); n > 0 {
		b := q.bufs[n-1]
		q.bufs = q.bufs[:n-1]
		return b[:0]
	}
	return nil
}

func (q *Queue) putBuf(b []byte) {
	if b != nil && len(q.bufs) < q.maxPending {
		q.bufs = append(q.bufs, b[:0])
	}
}

// Close stops Run if it is running, writes the in-memory batch to the log,
// syncs and closes it. It is safe to call more than once.
func (q *Queue) Close() error {
	q.closeOnce.Do(func() {
		q.runMu.Lock()
		q.closing = true
		running, cancel, done := q.running, q.cancelRun, q.runDone
		q.runMu.Unlock()
		if running {
			cancel()
			<-done
		}
		q.flushMu.Lock()
		err := q.flushLocked()
		q.memMu.Lock()
		q.closed = true
		q.memMu.Unlock()
		q.flushMu.Unlock()

		q.mu.Lock()
		errs := []error{err}
		if q.w != nil {
			errs = append(errs, q.w.sync(true), q.ack.f.Sync(), q.w.close(), q.ack.close())
			q.w = nil
		}
		q.mu.Unlock()
		q.closeErr = errors.Join(errs...)
	})
	return q.closeErr
}

// Stats is a snapshot of the queue, for tests, status pages and readiness.
type Stats struct {
	DiskBytes    int64 // the on-disk queue files
	BacklogBytes int64 // written and not yet acknowledged (gopulse_exporter_queue_bytes)
	Pending      int   // dispatched, not yet acknowledged
	Committed    uint64
	End          uint64
	// Dropped counts the items given up on since New, all reasons;
	// LastDrop and LastDropReason tell when and why the last ones were.
	Dropped        uint64
	LastDrop       time.Time
	LastDropReason string
}

// Stats returns a snapshot.
func (q *Queue) Stats() Stats {
	var st Stats
	st.Dropped = q.drops.Load()
	if d := q.lastDrop.Load(); d != nil {
		st.LastDrop, st.LastDropReason = d.at, d.reason
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.w == nil {
		return st
	}
	st.DiskBytes, st.BacklogBytes, st.Pending, st.Committed, st.End = q.w.total, q.backlogLocked(), len(q.pending), q.committed, q.w.end()
	return st
}

func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

func earliest(a, b time.Time) time.Time {
	switch {
	case a.IsZero():
		return b
	case b.IsZero():
		return a
	case b.Before(a):
		return b
	}
	return a
}
