package logstream

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// FollowOptions says where Follow starts and how it watches the file.
type FollowOptions struct {
	// FromStart reads the lines already in the file; by default only lines
	// written after Follow are delivered (and a line being written then).
	FromStart bool
	// Resume continues after a saved Position of the same path: no line is
	// delivered twice and none is lost, also across rotations while no one
	// was reading, as long as the rotated files are still there uncompressed.
	Resume *Position
	// Poll checks the file four times a second instead of asking inotify
	// for changes. Polling is used anyway where inotify cannot be had (in
	// some containers, or with no watch left).
	Poll bool
	// MaxLine bounds Line.Text; default DefaultMaxLine.
	MaxLine int
	// Logger receives notices: waiting, rotations, truncations, lost data.
	Logger func(string)
}

// checkEvery is how often the follower checks by itself that the file at
// the path is still the one being read and that its lines arrive.
const checkEvery = 250 * time.Millisecond

type follower struct {
	base
	path   string
	opts   FollowOptions
	reopen chan struct{}

	// Owned by the run goroutine.
	pos     Position    // where the next line starts, in held
	held    *os.File    // the file pos is in, kept open so a deleted file can still be finished
	fresh   bool        // a newly found file is read from its start
	prev    os.FileInfo // the file finished last, to find those rotated after it
	visited []fileID    // files read lately, never taken for a newer rotated file
	lastErr string      // the last notice about opening, not repeated while it lasts
	split   *splitter   // for readHeld
	buf     []byte
}

type fileID struct{ dev, ino uint64 }

// Follow delivers the lines appended to the file at path, across rotations
// by rename, copytruncate, truncation, deletion and re-creation; it waits for
// a file that does not exist yet and then reads it from its start. A line is
// delivered once its "\n" is written. What is already written is read
// directly; new lines are then awaited and read by the tail library, which
// holds a line whole before MaxLine cuts it. The error is for a file that
// exists but cannot be read.
func Follow(path string, opts FollowOptions) (Source, error) {
	if !followSupported {
		return nil, errors.New("logstream: following a file needs a Unix system")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	if opts.MaxLine <= 0 {
		opts.MaxLine = DefaultMaxLine
	}
	f := &follower{base: newBase(), path: abs, opts: opts, reopen: make(chan struct{}, 1), fresh: opts.FromStart, buf: make([]byte, 64<<10)}
	if r := opts.Resume; r != nil && r.Inode != 0 {
		if r.Path == abs {
			f.pos = *r
		} else {
			f.logf("saved position is for %s, not %s: not resumed", r.Path, abs)
		}
	}
	if !opts.Poll && !inotifyWorks() {
		f.opts.Poll = true
		f.logf("%s: inotify cannot be had: polling", abs)
	}
	if err := f.open(); err != nil {
		return nil, err
	}
	go f.run()
	return f, nil
}

func (f *follower) Reopen() {
	select {
	case f.reopen <- struct{}{}:
	default:
	}
}

func (f *follower) logf(format string, args ...any) {
	if f.opts.Logger != nil {
		f.opts.Logger(fmt.Sprintf(format, args...))
	}
}

func (f *follower) run() {
	defer close(f.done)
	defer close(f.out)
	defer func() {
		if f.held != nil {
			f.held.Close()
		}
	}()
	for !f.stopped() {
		if f.held == nil {
			if err := f.open(); err != nil {
				f.count(func(s *Stats) { s.ReopenErrors++ })
				f.notice("%v", err)
			}
			if f.held == nil {
				if !f.sleep(checkEvery) {
					return
				}
				continue
			}
		}
		heldInfo, err := f.held.Stat()
		if err != nil {
			f.fail(err)
			return
		}
		if fi, err := os.Stat(f.path); err != nil || !os.SameFile(fi, heldInfo) {
			if !f.finish(heldInfo) {
				return
			}
			continue
		}
		if heldInfo.Size() < f.pos.Offset {
			f.truncated()
		}
		if !f.seekHeld() || !f.readHeld() || !f.follow() {
			return
		}
	}
}

// open opens into held the next file to read: the one pos names, else one
// rotated after the file finished last, else the one at the path. It leaves
// held nil while the path does not exist.
func (f *follower) open() error {
	for {
		if f.pos.Inode == 0 && f.prev != nil {
			if next := f.nextRotated(); next != nil {
				f.pos = Position{Path: f.path, Dev: idOf(next).dev, Inode: idOf(next).ino}
				f.logf("%s: reading %s, rotated since", f.path, next.Name())
			}
		}
		if f.pos.Inode != 0 {
			if f.held = f.findFile(f.pos.Dev, f.pos.Inode); f.held != nil {
				f.lastErr = ""
				return nil
			}
			f.count(func(s *Stats) { s.ReopenErrors++ })
			f.logf("%s: the file read last (inode %d) is gone: lines after byte %d of it are lost", f.path, f.pos.Inode, f.pos.Offset)
			f.pos, f.fresh = Position{}, true
		}
		file, err := os.Open(f.path)
		if errors.Is(err, fs.ErrNotExist) {
			f.fresh = true // every line of a file that appears later is new
			f.notice("%s does not exist: waiting for it", f.path)
			return nil
		}
		if err != nil {
			return err
		}
		fi, err := file.Stat()
		if err != nil {
			file.Close()
			return err
		}
		// A rotation between the look for rotated files and the open would
		// skip the file rotated then: look again.
		if f.prev != nil && f.nextRotated() != nil {
			file.Close()
			continue
		}
		id := idOf(fi)
		f.held, f.prev, f.lastErr = file, nil, ""
		f.pos = Position{Path: f.path, Dev: id.dev, Inode: id.ino}
		if !f.fresh {
			f.pos.Offset = lastLineEnd(file, fi.Size())
		}
		f.fresh = true
		return nil
	}
}

// notice logs msg unless it repeats the last one.
func (f *follower) notice(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if msg != f.lastErr {
		f.lastErr = msg
		f.logf("%s", msg)
	}
}

// lastLineEnd is where the last complete line of the first size bytes of
// file ends: starting there skips what is already there but not a line being
// written.
func lastLineEnd(file *os.File, size int64) int64 {
	from := max(size-DefaultMaxLine, 0)
	buf := make([]byte, size-from)
	n, _ := file.ReadAt(buf, from)
	if i := bytes.LastIndexByte(buf[:n], '\n'); i >= 0 {
		return from + int64(i) + 1
	}
	if from > 0 {
		return size // a line too long to wait for
	}
	return 0
}

func (f *follower) truncated() {
	f.count(func(s *Stats) { s.Truncations++ })
	f.logf("%s was truncated: reading it again from its start", f.path)
	f.pos.Offset = 0
}

// finish delivers the rest of held, whose file is no longer at the path,
// and moves on to the next file: one rotated after it, else the one at the
// path, from its start. A writer goes on appending to a renamed file until
// it reopens the log (logrotate tells it after the rename), so held is let
// go only once the writer is seen elsewhere: in a file at the path that is
// not empty, or in a later rotated file.
func (f *follower) finish(heldInfo os.FileInfo) bool {
	if heldInfo.Size() < f.pos.Offset {
		f.truncated()
	}
	f.prev = heldInfo
	f.visited = append(f.visited, idOf(heldInfo))
	if len(f.visited) > 16 {
		f.visited = f.visited[1:]
	}
	if !f.seekHeld() {
		return false
	}
	for f.readHeld() {
		fi, err := os.Stat(f.path)
		if err == nil && os.SameFile(fi, heldInfo) {
			f.prev = nil // moved back: follow it again
			return true
		}
		if err == nil && fi.Size() > 0 || f.nextRotated() != nil {
			break
		}
		if !f.sleep(checkEvery) {
			return false
		}
	}
	f.readHeld() // what came while deciding
	// The writer has moved on: a last line without "\n" will not be ended.
	f.split.flush(f.emit)
	if f.stopped() {
		return false
	}
	f.held.Close()
	f.held = nil
	f.count(func(s *Stats) { s.Rotations++ })
	f.logf("%s was rotated", f.path)
	f.pos, f.fresh = Position{}, true
	return true
}

// seekHeld sets held's offset to pos for readHeld.
func (f *follower) seekHeld() bool {
	f.split = newSplitter(f.opts.MaxLine)
	if _, err := f.held.Seek(f.pos.Offset, io.SeekStart); err != nil {
		f.fail(err)
		return false
	}
	return true
}

// readHeld delivers the lines of held up to its end, keeping a last line
// without "\n" in split; false after Stop. This reads what is already
// written, much faster than the tail library, and finishes rotated files.
func (f *follower) readHeld() bool {
	for !f.stopped() {
		n, err := f.held.Read(f.buf)
		f.split.write(f.buf[:n], f.emit)
		if err != nil {
			if err != io.EOF {
				f.logf("%s: %v", f.path, err)
			}
			break
		}
	}
	return !f.stopped()
}

func (f *follower) emit(text []byte, cut bool, raw int64) {
	if !f.stopped() {
		f.pos.Offset += raw
		f.send(Line{Text: string(text), Pos: f.pos, Truncated: cut})
	}
}

// findFile opens the file with that device and inode in the path's
// directory, where a rotated log is moved to.
func (f *follower) findFile(dev, ino uint64) *os.File {
	want := fileID{dev, ino}
	dir := filepath.Dir(f.path)
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if fi, err := e.Info(); err != nil || !fi.Mode().IsRegular() || idOf(fi) != want {
			continue
		}
		file, err := os.Open(filepath.Join(dir, e.Name()))
		if err != nil {
			continue
		}
		// Renamed again since the directory was read: not the one.
		if fi, err := file.Stat(); err != nil || idOf(fi) != want {
			file.Close()
			continue
		}
		return file
	}
	return nil
}

// nextRotated finds the oldest file rotated after prev, the file finished
// last: when more than one rotation happened since prev was read, their
// files come before the one at the path. Files are ordered by modification
// time, then by logrotate's numbering (".2" is older than ".1"); the
// directory is read until two readings agree, as a rotation may rename files
// meanwhile.
func (f *follower) nextRotated() os.FileInfo {
	var last os.FileInfo
	for range 5 {
		next := f.scanRotated()
		if last == nil && next == nil || last != nil && next != nil && os.SameFile(last, next) {
			return next
		}
		last = next
	}
	return last
}

func (f *follower) scanRotated() os.FileInfo {
	dir, base := filepath.Split(f.path)
	current, _ := os.Stat(f.path)
	entries, _ := os.ReadDir(dir)
	var best os.FileInfo
	for _, e := range entries {
		if !rotatedName(e.Name(), base) {
			continue
		}
		fi, err := e.Info()
		if err != nil || !fi.Mode().IsRegular() || fi.ModTime().Before(f.prev.ModTime()) ||
			current != nil && os.SameFile(fi, current) || slices.Contains(f.visited, idOf(fi)) {
			continue
		}
		if best == nil || olderRotated(fi, best) {
			best = fi
		}
	}
	return best
}

func olderRotated(a, b os.FileInfo) bool {
	if !a.ModTime().Equal(b.ModTime()) {
		return a.ModTime().Before(b.ModTime())
	}
	return rotationNumber(a.Name()) > rotationNumber(b.Name())
}

// rotationNumber is N of a name ending in ".N", else 0.
func rotationNumber(name string) int {
	n, _ := strconv.Atoi(strings.TrimPrefix(filepath.Ext(name), "."))
	return n
}

// rotatedName tells whether name is that of the log base rotated, such as
// "mail.log.1" or "mail.log-20261129", and not compressed: the number or
// date keeps a state file or a backup beside the log out.
func rotatedName(name, base string) bool {
	rest, ok := strings.CutPrefix(name, base)
	if !ok || len(rest) < 2 || !strings.ContainsRune(".-_", rune(rest[0])) || rest[1] < '0' || rest[1] > '9' {
		return false
	}
	switch filepath.Ext(name) {
	case ".gz", ".bz2", ".xz", ".zst", ".lz4", ".lzma", ".Z", ".zip":
		return false
	}
	return true
}

// sleep waits d unless Stop or Reopen comes first; false after Stop.
func (f *follower) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-f.reopen:
	case <-f.quit:
		return false
	}
	return true
}

// cut applies MaxLine to a line the tail library read, "\r" dropped.
func (f *follower) cut(s string) (string, bool) {
	if len(s) > f.opts.MaxLine+1 {
		return s[:f.opts.MaxLine], true
	}
	s = strings.TrimSuffix(s, "\r")
	if len(s) > f.opts.MaxLine {
		return s[:f.opts.MaxLine], true
	}
	return s, false
}

// stale reports whether the tail library seems not to follow held any more:
// the path names another file, held is shorter than what was read, or a
// whole line waits past pos. The library can miss a rotation that happens
// between its open and its first wait, and drops a change event that comes
// while it is busy; two stale checks in a row without a line in between make
// the follower take over, which loses nothing as it goes on from pos.
func (f *follower) stale() bool {
	fi, err := os.Stat(f.path)
	if err != nil || idOf(fi) != (fileID{f.pos.Dev, f.pos.Inode}) || fi.Size() < f.pos.Offset {
		return true
	}
	buf := make([]byte, min(fi.Size()-f.pos.Offset, 64<<10))
	n, _ := f.held.ReadAt(buf, f.pos.Offset)
	return bytes.IndexByte(buf[:n], '\n') >= 0
}
