package logstream

import (
	"os"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"
	"github.com/nxadm/tail"
)

// inotifyWorks tells whether inotify can be had: the tail library ends the
// program when it cannot create its watcher.
var inotifyWorks = sync.OnceValue(func() bool {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return false
	}
	w.Close()
	return true
})

// follow reads held, which is at the path, with the tail library from
// pos.Offset. The library is nxadm/tail, the maintained fork of hpcloud/tail:
// its lines carry their end offset, without which a reopen inside the
// library (on truncation, or a rotation taken for one) cannot be seen and
// positions go wrong. It runs until the library gives the file up (moved or
// deleted) or moves to another one, the checks find it stuck, Reopen, or Stop
// (false).
func (f *follower) follow() bool {
	t, err := tail.TailFile(f.path, tail.Config{
		Location:      &tail.SeekInfo{Offset: f.pos.Offset},
		Follow:        true,
		MustExist:     true,
		Poll:          f.opts.Poll,
		CompleteLines: true, // hold a partial last line until its "\n"
		Logger:        tail.DiscardingLogger,
	})
	if err != nil {
		if !f.heldAtPath() {
			return true // rotated meanwhile
		}
		f.count(func(s *Stats) { s.ReopenErrors++ })
		f.notice("%v", err)
		return f.sleep(checkEvery)
	}
	defer t.Stop()
	// The library opens the path itself: make sure it got held's file.
	if !f.heldAtPath() {
		return true
	}
	check := time.NewTicker(checkEvery)
	defer check.Stop()
	suspect := 0
	for {
		select {
		case l, ok := <-t.Lines:
			if !ok {
				// An error after the file moved away is the rotation (the
				// library fails to watch a path that is gone for a moment).
				if err := t.Wait(); err != nil && f.heldAtPath() {
					f.count(func(s *Stats) { s.ReopenErrors++ })
					f.logf("%s: %v", f.path, err)
					if !f.opts.Poll {
						// Such as no inotify watch left to have.
						f.opts.Poll = true
						f.logf("%s: polling from now on", f.path)
					}
					return f.sleep(checkEvery)
				}
				return true
			}
			suspect = 0
			// The library reopens the path by name when the file shrinks,
			// which a rotation can look like: only the line's end offset
			// tells. Go on only if the path still names held.
			if l.SeekInfo.Offset != f.pos.Offset+int64(len(l.Text))+1 {
				if !f.heldAtPath() {
					return true
				}
				f.truncated()
			}
			f.pos.Offset = l.SeekInfo.Offset
			text, cut := f.cut(l.Text)
			if !f.send(Line{Text: text, Pos: f.pos, Truncated: cut}) {
				return false
			}
		case <-check.C:
			if f.stale() {
				suspect++
			} else {
				suspect = 0
			}
			if suspect >= 2 {
				return true
			}
		case <-f.reopen:
			return true
		case <-f.quit:
			return false
		}
	}
}

func (f *follower) heldAtPath() bool {
	fi, err := os.Stat(f.path)
	return err == nil && idOf(fi) == fileID{f.pos.Dev, f.pos.Inode}
}
