package pipeline

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// siblings lists the files in the directory of a stream's path that are
// rotated forms of it (app.log.1, app.log-20260101.gz, app-20260101.log…),
// the path itself excluded.
func (t *Tailer) siblings(stream string) []*rotCandidate {
	dir, base := filepath.Split(stream)
	ents, err := os.ReadDir(filepath.Clean(dir))
	if err != nil {
		return nil
	}
	var out []*rotCandidate
	for _, e := range ents {
		name := e.Name()
		if name == base || !e.Type().IsRegular() {
			continue
		}
		rot, ok := parseRotated(name)
		if !ok || rot.base != base {
			continue
		}
		p := filepath.Join(dir, name)
		fi, err := os.Stat(p)
		if err != nil {
			continue
		}
		out = append(out, &rotCandidate{path: p, rot: rot, mtime: fi.ModTime(), size: fi.Size(), key: keyOf(fi)})
	}
	return out
}

// resume places the files of the saved state, at the first scan: each file
// that was being read is looked for at its path, then among the rotated
// siblings of its stream (renamed: same inode and fingerprint; copied or
// compressed: same fingerprint), and read from its committed offset; the
// siblings written while the agent was down that it never saw are read
// whole; then comes the file now at the stream's path. Per stream, oldest
// first.
func (t *Tailer) resume(paths []string) {
	st := t.state
	if st == nil {
		return
	}
	byStream := map[string][]fileState{}
	for _, r := range st.Files {
		if !r.Done {
			byStream[r.Stream] = append(byStream[r.Stream], r)
		}
	}
	streams := map[string]bool{}
	for s := range byStream {
		streams[s] = true
	}
	// Streams with rotated siblings but no record (created and rotated
	// while the agent was down) are looked at too.
	for _, p := range paths {
		streams[p] = true
	}
	for _, g := range t.cfg.Paths {
		for _, p := range t.rotatedUnder(g) {
			streams[p] = true
		}
	}
	// Streams with records first: a rotated file that a glob also matches
	// belongs to the stream that was reading it.
	order := make([]string, 0, len(streams))
	for sp := range streams {
		order = append(order, sp)
	}
	slices.SortFunc(order, func(a, b string) int {
		ra, rb := len(byStream[a]) > 0, len(byStream[b]) > 0
		switch {
		case ra && !rb:
			return -1
		case rb && !ra:
			return 1
		}
		return strings.Compare(a, b)
	})
	for _, sp := range order {
		if !t.matched(sp) {
			continue
		}
		t.resumeStream(sp, byStream[sp])
	}
}

// rotatedUnder returns the stream paths whose rotated siblings lie in the
// directory of glob g (non-recursive globs only: a "**" glob's rotated
// files are found through their stream's own path).
func (t *Tailer) rotatedUnder(g string) []string {
	if containsDoubleStar(g) {
		return nil
	}
	dir := filepath.Dir(g)
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range ents {
		if rot, ok := parseRotated(e.Name()); ok {
			p := filepath.Join(dir, rot.base)
			if matchGlob(g, p) {
				out = append(out, p)
			}
		}
	}
	return out
}

func containsDoubleStar(g string) bool { return strings.Contains(g, "**") }

func (t *Tailer) resumeStream(sp string, recs []fileState) {
	slices.SortFunc(recs, func(a, b fileState) int {
		switch {
		case a.Order < b.Order:
			return -1
		case a.Order > b.Order:
			return 1
		}
		return 0
	})
	s := t.stream(sp)
	cands := t.siblings(sp)
	var cur *rotCandidate
	if fi, err := os.Stat(sp); err == nil && fi.Mode().IsRegular() {
		cur = &rotCandidate{path: sp, mtime: fi.ModTime(), size: fi.Size(), key: keyOf(fi)}
	}
	used := map[*rotCandidate]bool{}
	type found struct {
		c   *rotCandidate
		rec fileState
	}
	var olds []found
	var liveRec *fileState
	for i := range recs {
		r := &recs[i]
		fp, hasFP := r.fingerprint()
		match := func(c *rotCandidate, sameKey bool) bool {
			if sameKey && (c.key != r.key() || c.rot.comp != "") {
				return false
			}
			if !hasFP {
				return sameKey
			}
			got, ok := t.candFP(c, fp.n)
			return ok && got == fp
		}
		// 1. Still at its stream's path (and not truncated meanwhile).
		if cur != nil && !used[cur] && match(cur, true) && cur.size >= r.Offset {
			used[cur] = true
			liveRec = r
			continue
		}
		// 2. Renamed: same inode and content.
		var hit *rotCandidate
		for _, c := range cands {
			if !used[c] && match(c, true) {
				hit = c
				break
			}
		}
		// 3. Copied (copytruncate) or compressed: same content, long enough.
		if hit == nil && hasFP && fp.n > 0 {
			for _, c := range cands {
				if !used[c] && match(c, false) && (c.rot.comp != "" || c.size >= r.Offset) {
					hit = c
					break
				}
			}
		}
		if hit == nil {
			if hasFP && fp.n == 0 && r.Offset == 0 {
				continue // an empty file: nothing to read
			}
			t.log.Warn("a log file the agent was reading is gone (not at its path nor among its rotated siblings): its unread lines are lost",
				"stream", sp, "path", r.Path, "offset", r.Offset)
			continue
		}
		used[hit] = true
		olds = append(olds, found{hit, *r})
	}
	// Siblings written while the agent was down that it never saw.
	var unseen []*rotCandidate
	if len(recs) > 0 || t.stateCovers(sp) {
		for _, c := range cands {
			if used[c] || !c.mtime.After(t.since) {
				continue
			}
			if t.knownCandidate(c) {
				continue
			}
			unseen = append(unseen, c)
		}
	}
	// Oldest first: the files being read, the unseen ones, in rotation order.
	all := make([]*rotCandidate, 0, len(olds)+len(unseen))
	recOf := map[*rotCandidate]fileState{}
	for _, o := range olds {
		all = append(all, o.c)
		recOf[o.c] = o.rec
	}
	all = append(all, unseen...)
	sortOldestFirst(all)
	for _, c := range all {
		r, ok := recOf[c]
		off := int64(0)
		if ok {
			off = r.Offset
		}
		t.openOld(s, c, off)
	}
	if liveRec != nil {
		t.openLive(s, sp, liveRec.Offset)
	} else if cur != nil && (len(recs) > 0 || t.stateCovers(sp)) {
		// A new file at the path (rotation while down): from its start.
		if !t.knownCandidate(cur) {
			t.openLive(s, sp, 0)
		}
	}
	if len(s.files) == 0 {
		delete(t.streams, sp)
	}
}

// knownCandidate reports whether c is a file already open or finished.
func (t *Tailer) knownCandidate(c *rotCandidate) bool {
	stream := c.path
	if c.rot.base != "" {
		stream = filepath.Join(filepath.Dir(c.path), c.rot.base)
	}
	return t.known(c.key, stream, true, func(n int) (fingerprint, bool) { return t.candFP(c, n) })
}

// openOld adds a rotated-away file to its stream, read from off to its end.
func (t *Tailer) openOld(s *tailStream, c *rotCandidate, off int64) {
	if c.rot.comp != "" {
		t.openCompressed(s, c.path, c.key, off, true)
		return
	}
	f, err := os.Open(c.path)
	if err != nil {
		t.log.Warn("open rotated log file", "path", c.path, "err", err)
		return
	}
	tf := &tailFile{path: c.path, f: f, key: c.key, offset: off, committed: off, order: t.nextOrder()}
	tf.fp, _ = t.fileFingerprint(f, -1)
	// Rotated a moment ago: its writer may not have reopened its log yet.
	tf.until = c.mtime.Add(t.rotateGrace)
	t.insertOld(s, tf)
	t.log.Info("reading rotated log file", "path", c.path, "stream", s.path, "offset", off)
}

// openLive opens the file at the stream's path at off.
func (t *Tailer) openLive(s *tailStream, p string, off int64) {
	f, err := os.Open(p)
	if err != nil {
		t.log.Warn("open log file", "path", p, "err", err)
		return
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return
	}
	tf := &tailFile{stream: s, path: p, f: f, key: keyOf(fi), live: true, offset: off, committed: off, order: t.nextOrder()}
	tf.fp, _ = t.fileFingerprint(f, -1)
	s.files = append(s.files, tf)
	t.dirty = true
	t.log.Info("tailing log file", "path", p, "offset", off)
}

// adoptSiblings reads whole the rotated siblings of tailed streams that the
// tailer never saw and that were written since it started (or since the
// state it resumed): a file created and rotated away before it was opened.
// paths limits the look to those names (inotify); nil looks at every
// stream's siblings.
func (t *Tailer) adoptSiblings(paths []string) {
	var cands []*rotCandidate
	now := time.Now()
	consider := func(c *rotCandidate) { cands = append(cands, c) }
	if paths == nil {
		dirs := map[string]bool{}
		for sp := range t.streams {
			dirs[filepath.Dir(sp)] = true
		}
		for p := range t.pendingSibs {
			dirs[filepath.Dir(p)] = true
		}
		for d := range dirs {
			ents, err := os.ReadDir(d)
			if err != nil {
				continue
			}
			for _, e := range ents {
				if c := t.siblingCandidate(filepath.Join(d, e.Name())); c != nil {
					consider(c)
				}
			}
		}
	} else {
		for _, p := range paths {
			if c := t.siblingCandidate(p); c != nil {
				consider(c)
			}
		}
	}
	for _, c := range cands {
		if !c.mtime.After(t.since) {
			delete(t.pendingSibs, c.path)
			continue
		}
		sp := filepath.Join(filepath.Dir(c.path), c.rot.base)
		if t.knownCandidate(c) || t.recoveringCopy(t.streams[sp], c) {
			delete(t.pendingSibs, c.path)
			continue
		}
		// Too short to be identified by a full fingerprint: a copy still
		// being written (copytruncate) has the first bytes of an open
		// file of the stream. Look again at the next polls, for a while.
		if c.size < fpBytes && t.prefixOfOpen(t.streams[sp], c) {
			until, ok := t.pendingSibs[c.path]
			if !ok {
				t.pendingSibs[c.path] = now.Add(t.rotateGrace)
				continue
			}
			if now.Before(until) {
				continue
			}
		}
		delete(t.pendingSibs, c.path)
		t.openOld(t.stream(sp), c, 0)
	}
}

func (s *tailStream) liveOrNil() *tailFile {
	if s == nil {
		return nil
	}
	return s.live()
}

// prefixOfOpen reports whether the content of c (short, or not readable
// yet) is the beginning of a file of s that is open.
func (t *Tailer) prefixOfOpen(s *tailStream, c *rotCandidate) bool {
	if s == nil {
		return false
	}
	fp, ok := t.candFP(c, -1)
	if !ok {
		return true // a compressed file being written
	}
	for _, f := range s.files {
		if f.f == nil || f.zr != nil {
			continue
		}
		if ffp, ok := t.fileFingerprint(f.f, fp.n); ok && ffp == fp {
			return true
		}
	}
	return false
}

// recoveringCopy reports whether c is the copy a truncated file of s waits for.
func (t *Tailer) recoveringCopy(s *tailStream, c *rotCandidate) bool {
	if s == nil {
		return false
	}
	for _, f := range s.files {
		if f.recovering {
			if fp, ok := t.candFP(c, f.fp.n); ok && fp == f.fp {
				return true
			}
		}
	}
	return false
}

// siblingCandidate returns p as a rotated sibling of a path the globs
// select, or nil.
func (t *Tailer) siblingCandidate(p string) *rotCandidate {
	rot, ok := parseRotated(filepath.Base(p))
	if !ok || t.matched(p) {
		return nil
	}
	sp := filepath.Join(filepath.Dir(p), rot.base)
	if !t.matched(sp) {
		return nil
	}
	fi, err := os.Stat(p)
	if err != nil || !fi.Mode().IsRegular() {
		return nil
	}
	return &rotCandidate{path: p, rot: rot, mtime: fi.ModTime(), size: fi.Size(), key: keyOf(fi)}
}

// onEvents handles inotify: new files are opened, rotations followed and
// unseen rotated siblings read at once.
func (t *Tailer) onEvents() {
	paths, overflow := t.watcher.Take(t.changed[:0])
	t.changed = paths
	if overflow {
		t.log.Warn("inotify queue overflowed: re-scanning")
		t.Scan()
		t.Poll()
		return
	}
	now := time.Now()
	rescan := false
	var sibs []string
	for _, p := range paths {
		if t.matched(p) {
			if s := t.streams[p]; s != nil {
				t.checkPath(s, now)
				continue
			}
			rescan = true
			continue
		}
		if fi, err := os.Stat(p); err == nil && fi.IsDir() {
			rescan = true // a new directory may hold matches
			continue
		}
		if rot, ok := parseRotated(filepath.Base(p)); ok {
			sp := filepath.Join(filepath.Dir(p), rot.base)
			if s := t.streams[sp]; s != nil {
				t.checkPath(s, now)
			}
			sibs = append(sibs, p)
		}
	}
	if rescan {
		for _, p := range t.expand() {
			t.watch(filepath.Dir(p))
			if s := t.streams[p]; s != nil && s.live() != nil {
				continue
			}
			t.openNew(p, false)
		}
	}
	if len(sibs) > 0 {
		t.adoptSiblings(sibs)
	}
	t.Poll()
}

// maybeCommit commits when enough lines or time passed.
func (t *Tailer) maybeCommit(ctx context.Context, timer bool) {
	if t.sinceCommit < t.cfg.CommitLines && (!timer || time.Since(t.lastCommit) < t.cfg.CommitInterval) {
		return
	}
	if !t.dirty && t.sinceCommit == 0 {
		return
	}
	if err := t.Commit(ctx); err != nil && ctx.Err() == nil {
		t.commitErrors.Inc()
		t.log.Warn("log offsets not committed; lines since the last commit will be read again after a crash", "err", err)
	}
}

// Commit makes the lines handed over so far durable downstream (Syncer)
// and then writes the offsets: for each stream, up to the first line its
// handler still holds (LineHolder). Files that left their path and are
// committed to their end are remembered as done.
func (t *Tailer) Commit(ctx context.Context) error {
	t.lastCommit = time.Now()
	type cand struct {
		f   *tailFile
		off int64
	}
	var cands []cand
	for _, s := range t.streams {
		held := 0
		if t.holder != nil {
			held = t.holder.Held(s.path)
		}
		if held == 0 {
			for _, f := range s.files {
				cands = append(cands, cand{f, f.offset})
			}
			continue
		}
		pos, ok := s.back(held)
		if !ok || !slices.Contains(s.files, pos.f) {
			continue // keep the previous commit
		}
		for _, f := range s.files {
			switch {
			case f.order < pos.f.order:
				cands = append(cands, cand{f, f.offset})
			case f == pos.f:
				cands = append(cands, cand{f, pos.off})
			}
		}
	}
	if t.syncer != nil {
		if err := t.syncer.Sync(ctx); err != nil {
			return fmt.Errorf("sync log sinks: %w", err)
		}
	}
	for _, c := range cands {
		c.f.committed = c.off
	}
	t.sinceCommit = 0
	if t.cfg.StateFile == "" {
		t.dropCommitted()
		return nil
	}
	// Files not identified yet keep counting as written after the state.
	saved := t.lastCommit
	for p := range t.pendingSibs {
		if fi, err := os.Stat(p); err == nil && fi.ModTime().Before(saved) {
			saved = fi.ModTime()
		}
	}
	st := &stateFile{Version: stateVersion, Saved: saved, Globs: t.cfg.Paths}
	now := time.Now()
	for _, s := range t.streams {
		for _, f := range s.files {
			if f.finished && f.committed >= f.offset {
				r := f.record(s.path, now)
				r.Done = true
				t.done = append(t.done, r)
				continue
			}
			st.Files = append(st.Files, f.record(s.path, now))
		}
	}
	t.dropCommitted()
	t.pruneDone(now)
	st.Files = append(st.Files, t.done...)
	if err := writeState(t.cfg.StateFile, st); err != nil {
		return err
	}
	t.dirty = false
	return nil
}

// SaveOffsets commits (kept for callers of the first API).
func (t *Tailer) SaveOffsets() error { return t.Commit(context.Background()) }

func (f *tailFile) record(stream string, now time.Time) fileState {
	return fileState{Stream: stream, Path: f.path, Dev: f.key.dev, Ino: f.key.ino, FPLen: f.fp.n,
		FP: strconv.FormatUint(f.fp.sum, 16), Offset: f.committed, Compressed: f.comp, Seen: now, Order: f.order}
}

// dropCommitted removes finished and committed files from their streams,
// and streams left empty.
func (t *Tailer) dropCommitted() {
	for p, s := range t.streams {
		kept := s.files[:0]
		for _, f := range s.files {
			if f.finished && f.committed >= f.offset {
				continue
			}
			kept = append(kept, f)
		}
		clear(s.files[len(kept):])
		s.files = kept
		if len(s.files) == 0 {
			delete(t.streams, p)
			t.h.CloseSource(p)
		}
	}
}

// maxDone bounds the finished files remembered; older ones, and those not
// seen for doneTTL, are forgotten.
const (
	maxDone = 512
	doneTTL = 7 * 24 * time.Hour
)

func (t *Tailer) pruneDone(now time.Time) {
	kept := t.done[:0]
	for _, r := range t.done {
		if now.Sub(r.Seen) < doneTTL {
			kept = append(kept, r)
		}
	}
	t.done = kept
	if len(t.done) > maxDone {
		t.done = append(t.done[:0], t.done[len(t.done)-maxDone:]...)
	}
}
