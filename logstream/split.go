package logstream

import "bytes"

// DefaultMaxLine is the longest line delivered whole, in bytes. Longer lines
// are cut to it and flagged, so that one line without an end cannot take the
// memory: a log's lines are far shorter (Postfix's own limit is 2 KiB).
const DefaultMaxLine = 64 << 10

// splitter cuts bytes that arrive in pieces into lines. A line is handed on
// only once its "\n" arrives, so a line still being written is never split
// in two; flush hands on the last line of an input that has ended.
type splitter struct {
	max  int
	buf  []byte // the line so far, at most max+1 bytes: a "\r" after max bytes is not yet a cut
	over bool   // more than max+1 bytes arrived: the rest is dropped
	raw  int64  // bytes of the line so far, "\n" excluded, for the position
}

func newSplitter(max int) *splitter {
	if max <= 0 {
		max = DefaultMaxLine
	}
	return &splitter{max: max}
}

// write feeds p and calls emit for each line it ends; raw is the line's size
// in the input, "\n" included. text is only valid during the call.
func (s *splitter) write(p []byte, emit func(text []byte, truncated bool, raw int64)) {
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		part := p
		if i >= 0 {
			part = p[:i]
		}
		s.add(part)
		if i < 0 {
			return
		}
		s.raw++
		s.emit(emit)
		p = p[i+1:]
	}
}

// flush hands on a last line that has no "\n", if any.
func (s *splitter) flush(emit func(text []byte, truncated bool, raw int64)) {
	if s.raw > 0 {
		s.emit(emit)
	}
}

func (s *splitter) add(part []byte) {
	s.raw += int64(len(part))
	if room := s.max + 1 - len(s.buf); room > 0 {
		n := min(room, len(part))
		s.buf = append(s.buf, part[:n]...)
		part = part[n:]
	}
	if len(part) > 0 {
		s.over = true
	}
}

func (s *splitter) emit(emit func(text []byte, truncated bool, raw int64)) {
	text, cut := s.buf, s.over
	if !cut {
		text = bytes.TrimSuffix(text, []byte("\r"))
	}
	if len(text) > s.max {
		text, cut = text[:s.max], true
	}
	emit(text, cut, s.raw)
	s.buf, s.over, s.raw = s.buf[:0], false, 0
}
