package delivery

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// The write-ahead log is a directory of segments named by the global offset
// of their first byte (%020d.wal). Offsets are contiguous across segments, so
// a record is identified by its global offset. Each record is framed as
//
//	len uint32 | crc32c uint32 (over items and payload) | items uint32 | payload
//
// all little-endian. Acknowledgements live in a separate file (see ackFile).

const (
	frameHeader = 12
	segSuffix   = ".wal"
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// walStats is what recovery found.
type walStats struct {
	tornTail int // a partial or corrupt last record, truncated
	corrupt  int // a corrupt record inside a closed segment; the rest of it was skipped
}

type recMeta struct {
	pos   int64 // within the segment
	n     uint32
	items uint32
}

type segment struct {
	base uint64
	f    *os.File
	size int64 // bytes in the file (valid bytes for the active segment)
	recs []recMeta
}

func (s *segment) end() uint64 { return s.base + uint64(s.size) }

// wal is not safe for concurrent use: the queue serialises access.
type wal struct {
	dir      string
	segBytes int64
	segs     []*segment // ascending; the last one is active
	total    int64      // bytes of all segments on disk
	scratch  []byte
	// syncOnRotate fsyncs a segment when it is closed (fsync policies other
	// than never).
	syncOnRotate bool
}

func segName(base uint64) string { return fmt.Sprintf("%020d%s", base, segSuffix) }

// openWAL opens (creating) the log in dir and recovers it. minBase is the
// committed offset from the ack file: a new log starts there so offsets never
// go backwards.
func openWAL(dir string, segBytes int64, minBase uint64) (*wal, walStats, error) {
	var st walStats
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, st, fmt.Errorf("create queue dir: %w", err)
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, st, fmt.Errorf("read queue dir: %w", err)
	}
	var bases []uint64
	for _, e := range ents {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, segSuffix) {
			continue
		}
		b, err := strconv.ParseUint(strings.TrimSuffix(name, segSuffix), 10, 64)
		if err != nil {
			continue
		}
		bases = append(bases, b)
	}
	slices.Sort(bases)
	w := &wal{dir: dir, segBytes: segBytes}
	for i, b := range bases {
		last := i == len(bases)-1
		s, corrupt, err := w.openSegment(b, last)
		if err != nil {
			w.close()
			return nil, st, err
		}
		if corrupt {
			if last {
				st.tornTail++
			} else {
				st.corrupt++
			}
		}
		w.segs = append(w.segs, s)
		w.total += s.size
	}
	if len(w.segs) == 0 || w.segs[len(w.segs)-1].size >= segBytes {
		next := minBase
		if n := len(w.segs); n > 0 && w.segs[n-1].end() > next {
			next = w.segs[n-1].end()
		}
		if err := w.newSegment(next); err != nil {
			w.close()
			return nil, st, err
		}
	}
	return w, st, nil
}

// openSegment indexes one segment file. A bad frame ends the scan; in the
// active (last) segment the file is truncated there.
func (w *wal) openSegment(base uint64, last bool) (*segment, bool, error) {
	path := filepath.Join(w.dir, segName(base))
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return nil, false, fmt.Errorf("open segment: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, false, fmt.Errorf("stat segment: %w", err)
	}
	s := &segment{base: base, f: f, size: fi.Size()}
	r := bufio.NewReaderSize(io.NewSectionReader(f, 0, fi.Size()), 1<<16)
	var hdr [frameHeader]byte
	var pos int64
	corrupt := false
	for pos < fi.Size() {
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			corrupt = true
			break
		}
		n := binary.LittleEndian.Uint32(hdr[0:])
		sum := binary.LittleEndian.Uint32(hdr[4:])
		if int64(n) > fi.Size()-pos-frameHeader {
			corrupt = true
			break
		}
		if cap(w.scratch) < int(n) {
			w.scratch = make([]byte, n)
		}
		p := w.scratch[:n]
		if _, err := io.ReadFull(r, p); err != nil {
			corrupt = true
			break
		}
		c := crc32.Update(crc32.Checksum(hdr[8:12], castagnoli), castagnoli, p)
		if c != sum {
			corrupt = true
			break
		}
		s.recs = append(s.recs, recMeta{pos: pos, n: n, items: binary.LittleEndian.Uint32(hdr[8:])})
		pos += frameHeader + int64(n)
	}
	if corrupt && last {
		if err := f.Truncate(pos); err != nil {
			f.Close()
			return nil, true, fmt.Errorf("truncate torn tail: %w", err)
		}
		s.size = pos
	}
	return s, corrupt, nil
}

func (w *wal) newSegment(base uint64) error {
	f, err := os.OpenFile(filepath.Join(w.dir, segName(base)), os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o640)
	if err != nil {
		return fmt.Errorf("create segment: %w", err)
	}
	w.segs = append(w.segs, &segment{base: base, f: f})
	if w.syncOnRotate {
		// Make the new file's directory entry durable too.
		if d, err := os.Open(w.dir); err == nil {
			err = d.Sync()
			d.Close()
			if err != nil {
				return fmt.Errorf("sync queue dir: %w", err)
			}
		}
	}
	return nil
}

func (w *wal) active() *segment { return w.segs[len(w.segs)-1] }

// appendFrame frames payload into dst.
func appendFrame(dst []byte, payload []byte, items uint32) []byte {
	start := len(dst)
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(payload)))
	dst = binary.LittleEndian.AppendUint32(dst, 0)
	dst = binary.LittleEndian.AppendUint32(dst, items)
	dst = append(dst, payload...)
	c := crc32.Checksum(dst[start+8:], castagnoli)
	binary.LittleEndian.PutUint32(dst[start+4:], c)
	return dst
}

// write appends already framed records (metas give their sizes) to the
// active segment and rotates it when full. It returns the global offset of
// the first record.
func (w *wal) write(frames []byte, metas []recMeta) (uint64, error) {
	s := w.active()
	off := s.end()
	if _, err := s.f.WriteAt(frames, s.size); err != nil {
		// Keep the index consistent with what a restart would find.
		_ = s.f.Truncate(s.size)
		return 0, fmt.Errorf("write segment: %w", err)
	}
	pos := s.size
	for _, m := range metas {
		s.recs = append(s.recs, recMeta{pos: pos, n: m.n, items: m.items})
		pos += frameHeader + int64(m.n)
	}
	s.size = pos
	w.total += int64(len(frames))
	if s.size >= w.segBytes {
		if w.syncOnRotate {
			// Later syncs only see the active segment.
			if err := s.f.Sync(); err != nil {
				return off, fmt.Errorf("sync segment: %w", err)
			}
		}
		if err := w.newSegment(s.end()); err != nil {
			return off, err
		}
	}
	return off, nil
}

// rotate closes the active segment (if it holds anything) and starts a new one.
func (w *wal) rotate() error {
	s := w.active()
	if s.size == 0 {
		return nil
	}
	if w.syncOnRotate {
		if err := s.f.Sync(); err != nil {
			return fmt.Errorf("sync segment: %w", err)
		}
	}
	return w.newSegment(s.end())
}

// dropOldest removes the oldest segment, which must not be the active one.
func (w *wal) dropOldest() (*segment, error) {
	s := w.segs[0]
	w.segs = w.segs[1:]
	w.total -= s.size
	s.f.Close()
	if err := os.Remove(filepath.Join(w.dir, segName(s.base))); err != nil && !errors.Is(err, os.ErrNotExist) {
		return s, fmt.Errorf("remove segment: %w", err)
	}
	return s, nil
}

// find returns the segment index and record index of the record at off.
func (w *wal) find(off uint64) (int, int, bool) {
	i := sort.Search(len(w.segs), func(i int) bool { return w.segs[i].end() > off })
	if i == len(w.segs) || off < w.segs[i].base {
		return 0, 0, false
	}
	s := w.segs[i]
	pos := int64(off - s.base)
	j := sort.Search(len(s.recs), func(j int) bool { return s.recs[j].pos >= pos })
	if j == len(s.recs) || s.recs[j].pos != pos {
		return 0, 0, false
	}
	return i, j, true
}

// firstAtOrAfter returns the offset of the first record at or after off, or
// the end of the log.
func (w *wal) firstAtOrAfter(off uint64) uint64 {
	for _, s := range w.segs {
		if s.end() <= off {
			continue
		}
		pos := int64(0)
		if off > s.base {
			pos = int64(off - s.base)
		}
		j := sort.Search(len(s.recs), func(j int) bool { return s.recs[j].pos >= pos })
		if j < len(s.recs) {
			return s.base + uint64(s.recs[j].pos)
		}
	}
	return w.end()
}

// next returns the offset of the record after the one at off.
func (w *wal) next(off uint64) uint64 { return w.firstAtOrAfter(off + 1) }

func (w *wal) end() uint64 { return w.active().end() }

// read returns the payload and item count of the record at off, read into buf.
func (w *wal) read(off uint64, buf []byte) ([]byte, uint32, error) {
	i, j, ok := w.find(off)
	if !ok {
		return buf, 0, fmt.Errorf("read record %d: not in log", off)
	}
	s := w.segs[i]
	m := s.recs[j]
	if cap(buf) < int(m.n) {
		buf = make([]byte, m.n)
	}
	buf = buf[:m.n]
	if _, err := s.f.ReadAt(buf, m.pos+frameHeader); err != nil {
		return buf, m.items, fmt.Errorf("read record %d: %w", off, err)
	}
	return buf, m.items, nil
}

// deleteBelow removes closed segments that end at or before committed.
func (w *wal) deleteBelow(committed uint64) error {
	for len(w.segs) > 1 && w.segs[0].end() <= committed {
		if _, err := w.dropOldest(); err != nil {
			return err
		}
	}
	return nil
}

func (w *wal) sync(all bool) error {
	if all {
		for _, s := range w.segs {
			if err := s.f.Sync(); err != nil {
				return fmt.Errorf("sync segment: %w", err)
			}
		}
		return nil
	}
	if err := w.active().f.Sync(); err != nil {
		return fmt.Errorf("sync segment: %w", err)
	}
	return nil
}

func (w *wal) close() error {
	var errs []error
	for _, s := range w.segs {
		if err := s.f.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	w.segs = nil
	return errors.Join(errs...)
}

// ackFile persists the committed offset (every record below it is done) and
// the records acknowledged out of order above it. It has two fixed slots
// written alternately, each with a sequence number and a CRC, so a torn write
// leaves the previous state readable.
type ackFile struct {
	f   *os.File
	seq uint64
	buf []byte
}

const (
	ackSlot  = 8192
	ackMagic = 0x67706171 // "gpaq"
	// maxAcked is the most out-of-order acknowledgements one slot holds.
	maxAcked = (ackSlot - 28) / 8
)

func openAckFile(dir string) (*ackFile, uint64, []uint64, error) {
	f, err := os.OpenFile(filepath.Join(dir, "ack"), os.O_RDWR|os.O_CREATE, 0o640)
	if err != nil {
		return nil, 0, nil, fmt.Errorf("open ack file: %w", err)
	}
	a := &ackFile{f: f, buf: make([]byte, 0, ackSlot)}
	var best struct {
		ok        bool
		seq       uint64
		committed uint64
		acked     []uint64
	}
	slot := make([]byte, ackSlot)
	for i := 0; i < 2; i++ {
		n, _ := f.ReadAt(slot, int64(i*ackSlot))
		p := slot[:n]
		if len(p) < 28 || binary.LittleEndian.Uint32(p) != ackMagic {
			continue
		}
		seq := binary.LittleEndian.Uint64(p[4:])
		committed := binary.LittleEndian.Uint64(p[12:])
		cnt := int(binary.LittleEndian.Uint32(p[20:]))
		if cnt > maxAcked || 24+8*cnt+4 > len(p) {
			continue
		}
		end := 24 + 8*cnt
		if crc32.Checksum(p[:end], castagnoli) != binary.LittleEndian.Uint32(p[end:]) {
			continue
		}
		if best.ok && seq <= best.seq {
			continue
		}
		best.ok, best.seq, best.committed = true, seq, committed
		best.acked = best.acked[:0]
		for k := 0; k < cnt; k++ {
			best.acked = append(best.acked, binary.LittleEndian.Uint64(p[24+8*k:]))
		}
	}
	a.seq = best.seq
	return a, best.committed, best.acked, nil
}

// store writes the state into the older slot.
func (a *ackFile) store(committed uint64, acked []uint64, sync bool) error {
	if len(acked) > maxAcked {
		acked = acked[:maxAcked] // the rest are redelivered after a crash
	}
	a.seq++
	b := a.buf[:0]
	b = binary.LittleEndian.AppendUint32(b, ackMagic)
	b = binary.LittleEndian.AppendUint64(b, a.seq)
	b = binary.LittleEndian.AppendUint64(b, committed)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(acked)))
	for _, o := range acked {
		b = binary.LittleEndian.AppendUint64(b, o)
	}
	b = binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
	a.buf = b
	if _, err := a.f.WriteAt(b, int64(a.seq%2)*ackSlot); err != nil {
		return fmt.Errorf("write ack file: %w", err)
	}
	if sync {
		if err := a.f.Sync(); err != nil {
			return fmt.Errorf("sync ack file: %w", err)
		}
	}
	return nil
}

func (a *ackFile) close() error { return a.f.Close() }
