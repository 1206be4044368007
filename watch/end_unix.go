//go:build unix

package watch

import (
	"bytes"
	"os"
	"path/filepath"
	"syscall"

	"hopcheck/logstream"
)

// endOf is the position just after the last whole line of the file at
// path, as logstream.Follow would start from it: a line being written is
// not skipped.
func endOf(path string) (logstream.Position, bool) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return logstream.Position{}, false
	}
	f, err := os.Open(abs)
	if err != nil {
		return logstream.Position{}, false
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		return logstream.Position{}, false
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return logstream.Position{}, false
	}
	size := fi.Size()
	from := max(size-logstream.DefaultMaxLine, 0)
	buf := make([]byte, size-from)
	n, _ := f.ReadAt(buf, from)
	off := size // a last line longer than a line may be is not waited for
	if i := bytes.LastIndexByte(buf[:n], '\n'); i >= 0 {
		off = from + int64(i) + 1
	} else if from == 0 {
		off = 0
	}
	return logstream.Position{Path: abs, Dev: uint64(st.Dev), Inode: uint64(st.Ino), Offset: off}, true
}
