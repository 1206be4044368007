package mtalog

import (
	"bufio"
	"bytes"
	"errors"
	"io"
)

// Scanner reads the lines of a finished input (a file, a pipe its writer
// has closed), feeds them to a Parser and yields the Events, in the manner
// of bufio.Scanner. It is a batch scanner: it stops for good at the first
// io.EOF or read error, and it parses a last line without its newline as a
// whole line. A growing log, whose last line may be half written, is not
// its input: package logstream follows such a log and delivers whole lines,
// to be given to Parser.Parse. Lines longer than the Parser's MaxLine are
// counted as too long and skipped whole; memory stays bounded by MaxLine
// whatever the input.
type Scanner struct {
	r     io.Reader
	br    *bufio.Reader
	p     *Parser
	ev    Event
	dirty bool // ev holds the last event
	line  int
	err   error
}

// NewScanner returns a Scanner that reads r with p.
func NewScanner(r io.Reader, p *Parser) *Scanner {
	return &Scanner{r: r, p: p}
}

// Scan advances to the next Event and reports whether there is one. It
// returns false at the end of the input or on a read error (see Err).
func (s *Scanner) Scan() bool {
	if s.br == nil {
		// Room for a MaxLine line and its "\r\n".
		s.br = bufio.NewReaderSize(s.r, max(s.p.MaxLine+2, 16))
	}
	for s.err == nil {
		line, err := s.br.ReadSlice('\n')
		switch {
		case err == bufio.ErrBufferFull: // bufio returns its sentinels unwrapped
			s.line++
			s.p.stats.Lines++
			s.p.stats.TooLong++
			s.err = s.discardRest()
			continue
		case err != nil:
			s.err = err // after io.EOF, the last unterminated line is still read
		}
		if len(line) == 0 {
			continue
		}
		s.line++
		line = bytes.TrimSuffix(line, []byte("\n"))
		line = bytes.TrimSuffix(line, []byte("\r"))
		if s.dirty {
			s.ev, s.dirty = Event{}, false
		}
		if s.p.parse(line, &s.ev) {
			s.ev.Line = s.line
			s.dirty = true
			return true
		}
	}
	return false
}

// discardRest drops the rest of an over-long line without keeping it.
func (s *Scanner) discardRest() error {
	for {
		_, err := s.br.ReadSlice('\n')
		if err != bufio.ErrBufferFull {
			return err
		}
	}
}

// Event returns the Event found by the last successful Scan.
func (s *Scanner) Event() Event { return s.ev }

// Err returns the first read error, nil at a clean end of input.
func (s *Scanner) Err() error {
	if errors.Is(s.err, io.EOF) {
		return nil
	}
	return s.err
}
