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

// siblings opens the files in the directory of a stream's path that are
// rotated forms of it (app.log.1, app.log-20260101.gz, app-20260101.log…),
// the path itself and the files of skip excluded (see listRotated). The
// caller closes those it does not take.
func (t *Tailer) siblings(stream string, skip map[fileKey]bool) []*rotCandidate {
	dir, base := filepath.Split(stream)
	return t.listRotated(filepath.Clean(dir), func(_ string, rot rotName) bool { return rot.base == base }, false, skip)
}

// maxListPasses bounds the re-listings of a directory that keeps getting
// new rotated names while it is looked at.
const maxListPasses = 8

// listRotated opens the rotated-looking files of dir that want selects
// (recent: only those modified since the tailer's since, tested with a
// stat before they are opened). A rotation may be renaming files while
// they are looked at, so their names are opened from the newest to the
// oldest — numbered names by ascending number: a rotation moves a file
// only to a higher number — and the directory is listed again for names
// that appeared meanwhile (the oldest file moved to a new number, a new
// dated name): so every file that was there while the directory was
// looked at is opened, and one opened under two names (or listed in skip)
// is kept once. Identity and content then come from the descriptors, not
// the names.
func (t *Tailer) listRotated(dir string, want func(name string, rot rotName) bool, recent bool, skip map[fileKey]bool) []*rotCandidate {
	type entry struct {
		name string
		rot  rotName
	}
	visited := map[string]bool{}
	seen := map[fileKey]bool{}
	var out []*rotCandidate
	for range maxListPasses {
		ents, err := os.ReadDir(dir)
		if err != nil {
			break
		}
		var names []entry
		for _, e := range ents {
			name := e.Name()
			if visited[name] || !e.Type().IsRegular() {
				continue
			}
			if rot, ok := parseRotated(name); ok && want(name, rot) {
				names = append(names, entry{name, rot})
			}
		}
		if len(names) == 0 {
			break
		}
		slices.SortStableFunc(names, func(a, b entry) int {
			switch {
			case a.rot.dated != b.rot.dated:
				if b.rot.dated {
					return -1
				}
				return 1
			case a.rot.dated:
				return 0
			case a.rot.index < b.rot.index:
				return -1
			case a.rot.index > b.rot.index:
				return 1
			}
			return 0
		})
		for _, e := range names {
			visited[e.name] = true
			p := filepath.Join(dir, e.name)
			if recent {
				if fi, err := os.Stat(p); err != nil || !fi.ModTime().After(t.since) {
					continue
				}
			}
			if t.hook != nil {
				t.hook("list.open " + e.name)
			}
			c := openCandidate(p, e.rot)
			if c == nil {
				continue
			}
			if seen[c.key] || skip[c.key] || (recent && !c.mtime.After(t.since)) {
				c.close()
				continue
			}
			seen[c.key] = true
			out = append(out, c)
		}
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
	// The file at the path first (it is the newest), then its siblings: a
	// file renamed away meanwhile is found among them.
	cur := openCandidate(sp, rotName{})
	var skip map[fileKey]bool
	if cur != nil {
		defer cur.close()
		skip = map[fileKey]bool{cur.key: true}
	}
	cands := t.siblings(sp, skip)
	defer closeCandidates(cands)
	if t.hook != nil {
		t.hook("resume.listed")
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
		if hasFP && fp.n == 0 && r.Offset == 0 {
			// Empty when committed: nothing to resume, and nothing to
			// identify it by but an inode that may serve another file
			// now (it would take that file from its own record). Whatever
			// it holds now is read as a file not seen before.
			continue
		}
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
	// Siblings written while the agent was down that it never saw: not
	// open or finished, and not the same content as a file placed here
	// (the plain and the compressed form of one file, seen both while
	// logrotate compressed it; a copy of the live file).
	placed := make([]*rotCandidate, 0, len(olds)+1)
	for _, o := range olds {
		placed = append(placed, o.c)
	}
	if cur != nil && (liveRec != nil || len(recs) > 0 || t.stateCovers(sp)) {
		placed = append(placed, cur)
	}
	var unseen []*rotCandidate
	if len(recs) > 0 || t.stateCovers(sp) {
		for _, c := range cands {
			if used[c] || !c.mtime.After(t.since) {
				continue
			}
			if t.knownCandidate(c) || t.sameContent(c, placed) {
				continue
			}
			unseen = append(unseen, c)
			placed = append(placed, c)
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
		t.openLive(s, cur, liveRec.Offset)
	} else if cur != nil && (len(recs) > 0 || t.stateCovers(sp)) {
		// A new file at the path (rotation while down): from its start.
		if !t.knownCandidate(cur) {
			t.openLive(s, cur, 0)
		}
	}
	if len(s.files) == 0 {
		delete(t.streams, sp)
	}
}

// sameContent reports whether c has the content of one of others: the
// same fingerprint over the same length (a full KiB, or the whole of two
// short files of one size).
func (t *Tailer) sameContent(c *rotCandidate, others []*rotCandidate) bool {
	fp, ok := t.candFP(c, -1)
	if !ok || fp.n == 0 {
		return false
	}
	for _, o := range others {
		if o == c {
			continue
		}
		if ofp, ok := t.candFP(o, -1); ok && ofp == fp {
			return true
		}
	}
	return false
}

// knownCandidate reports whether c is a file already open or finished.
func (t *Tailer) knownCandidate(c *rotCandidate) bool {
	stream := c.path
	if c.rot.base != "" {
		stream = filepath.Join(filepath.Dir(c.path), c.rot.base)
	}
	fpOf := func(n int) (fingerprint, bool) { return t.candFP(c, n) }
	if t.known(c.key, stream, true, fpOf) {
		return true
	}
	return c.rot.comp != "" && t.compressedShortDone(stream, fpOf)
}

// compressedShortDone reports whether a compressed file's content is the
// whole content of a short finished file of stream (shorter than fpBytes:
// its fingerprint covers all of it). A short rotated file compressed by
// logrotate after it was read is a new inode that the prefix rule of known
// (a full fingerprint) cannot recognise; its whole content, same length
// and checksum, can.
func (t *Tailer) compressedShortDone(stream string, fpOf func(int) (fingerprint, bool)) bool {
	var whole fingerprint
	have := false
	for i := range t.done {
		r := &t.done[i]
		rfp, ok := r.fingerprint()
		if !ok || r.Stream != stream || rfp.n == 0 || rfp.n >= fpBytes {
			continue
		}
		if !have {
			if whole, have = fpOf(-1); !have {
				return false
			}
		}
		if whole == rfp {
			return true
		}
	}
	return false
}

// openOld adds a rotated-away file to its stream (taking the candidate's
// descriptor), read from off to its end.
func (t *Tailer) openOld(s *tailStream, c *rotCandidate, off int64) {
	if c.rot.comp != "" {
		t.openCompressed(s, c, off)
		return
	}
	fp, _ := t.candFP(c, -1)
	f := c.take()
	if f == nil {
		return
	}
	tf := &tailFile{path: c.path, f: f, key: c.key, fp: fp, offset: off, committed: off, order: t.nextOrder()}
	// Rotated a moment ago: its writer may not have reopened its log yet.
	tf.until = c.mtime.Add(t.rotateGrace)
	t.insertOld(s, tf)
	t.log.Info("reading rotated log file", "path", c.path, "stream", s.path, "offset", off)
}

// openLive makes c, the file found at the stream's path, its live file
// (taking the descriptor), read from off. If it was renamed away since,
// the next look at the path follows that as a rotation.
func (t *Tailer) openLive(s *tailStream, c *rotCandidate, off int64) {
	fp, _ := t.candFP(c, -1)
	f := c.take()
	if f == nil {
		return
	}
	tf := &tailFile{stream: s, path: s.path, f: f, key: c.key, fp: fp, live: true, offset: off, committed: off, order: t.nextOrder()}
	s.files = append(s.files, tf)
	t.dirty = true
	t.log.Info("tailing log file", "path", s.path, "offset", off)
}

// adoptSiblings reads whole the rotated siblings of tailed streams that the
// tailer never saw and that were written since it started (or since the
// state it resumed): a file created and rotated away before it was opened.
// paths limits the look to those names (inotify); nil looks at every
// stream's siblings and every watched directory.
func (t *Tailer) adoptSiblings(paths []string) {
	var cands []*rotCandidate
	now := time.Now()
	look := t.now()
	if paths == nil {
		dirs := map[string]bool{}
		for sp := range t.streams {
			dirs[filepath.Dir(sp)] = true
		}
		for p := range t.pendingSibs {
			dirs[filepath.Dir(p)] = true
		}
		// The watched directories too: a rotated file may lie where no
		// stream is open now.
		for d := range t.watched {
			dirs[d] = true
		}
		for d := range dirs {
			cands = append(cands, t.listRotated(d, t.siblingOf(d), true, nil)...)
		}
	} else {
		for _, p := range paths {
			if c := t.siblingCandidate(p); c != nil {
				cands = append(cands, c)
			}
		}
	}
	defer closeCandidates(cands)
	for _, c := range cands {
		sp := filepath.Join(filepath.Dir(c.path), c.rot.base)
		if !c.mtime.After(t.sinceOf(sp)) {
			delete(t.pendingSibs, c.path)
			continue
		}
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
	if paths == nil {
		// Every file of these directories modified before the look began
		// is known now: a restart looks again only at newer ones.
		t.lookedAt = look
		for p := range t.pendingSibs {
			if !slices.ContainsFunc(cands, func(c *rotCandidate) bool { return c.path == p }) {
				delete(t.pendingSibs, p) // gone
			}
		}
	}
}

// siblingOf returns the filter of listRotated for the rotated files in dir
// whose stream the globs select (and that the globs do not select
// themselves: those are streams of their own).
func (t *Tailer) siblingOf(dir string) func(string, rotName) bool {
	return func(name string, rot rotName) bool {
		return !t.matched(filepath.Join(dir, name)) && t.matched(filepath.Join(dir, rot.base))
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

// siblingCandidate opens p as a rotated sibling of a path the globs
// select; nil if it is not one, or was not modified since the tailer's
// since.
func (t *Tailer) siblingCandidate(p string) *rotCandidate {
	rot, ok := parseRotated(filepath.Base(p))
	if !ok || t.matched(p) {
		return nil
	}
	sp := filepath.Join(filepath.Dir(p), rot.base)
	if !t.matched(sp) {
		return nil
	}
	c := openCandidate(p, rot)
	if c != nil && !c.mtime.After(t.since) {
		c.close()
		return nil
	}
	return c
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
	t.lastCommit = t.now()
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
	// Files modified after the tailer last listed its directories may be
	// files it never saw (it was busy reading, or a rotation renamed them
	// while it looked): a restart looks at them. Files not identified yet
	// count as unseen too.
	looked := t.lookedAt
	for p := range t.pendingSibs {
		if fi, err := os.Stat(p); err == nil && fi.ModTime().Before(looked) {
			looked = fi.ModTime()
		}
	}
	st := &stateFile{Version: stateVersion, Saved: t.lastCommit, Looked: looked, Globs: t.cfg.Paths}
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
