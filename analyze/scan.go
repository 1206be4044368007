package analyze

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"

	"hopcheck/parse/mtalog"
	"hopcheck/parse/reply"
)

// ScanOptions configure Aggregator.Scan.
type ScanOptions struct {
	// Window keeps the events inside it.
	Window mtalog.Window
	// Workers is how many goroutines parse lines (default 2). Chunks of the
	// input are dealt to them in turn and their events are aggregated in
	// input order, so the result does not depend on scheduling.
	Workers int
	// OnEvent, if not nil, sees every event the Aggregator counts, in
	// input order, with its line; an error stops the scan.
	OnEvent func(ev *mtalog.Event, line []byte) error
	// Lines, if not nil, is advanced as lines are read, and Relays set to
	// the relays found so far (for progress).
	Lines, Relays *atomic.Int64
}

// scanChunk is the size of the blocks a scan reads and parses at once (a
// variable so that tests can make chunk boundaries frequent).
var scanChunk = 256 << 10

type chunk struct {
	mem     *scanBuf // returned to the free list when done
	buf     []byte   // whole lines, within mem
	tooLong int      // over-long lines the reader dropped before this chunk
}

type scanItem struct {
	ev         mtalog.Event
	cls        replyClass
	line       int // within the chunk, from 0
	start, end int
}

type parsed struct {
	c     *chunk
	items []scanItem
	lines int // lines in the chunk
}

// scanBuf is a block of input and the events parsed from it, reused from
// chunk to chunk so that a scan allocates neither per chunk.
type scanBuf struct {
	data  []byte
	items []scanItem
}

// Scan reads a whole log from r, parses its lines with parsers made by
// newParser (one per worker; they must be configured alike) and aggregates
// the events. Lines longer than the parsers' MaxLine are counted and
// skipped. Memory stays bounded: a few chunks of input and the relays.
func (a *Aggregator) Scan(r io.Reader, newParser func() *mtalog.Parser, opts ScanOptions) error {
	workers := opts.Workers
	if workers <= 0 {
		workers = 2
	}
	// The reply knowledge base is compiled on first use, which takes a
	// few milliseconds: have it done while the first blocks are read
	// rather than in a worker that holds up the others.
	go reply.Parse("")
	parsers := make([]*mtalog.Parser, workers)
	for i := range parsers {
		parsers[i] = newParser()
		// Events live no longer than their chunk unless OnEvent may keep
		// them: the Aggregator copies what it keeps.
		parsers[i].Borrow = opts.OnEvent == nil
	}
	maxLine := parsers[0].MaxLine
	if maxLine+1 > scanChunk/2 {
		return fmt.Errorf("scan: MaxLine %d exceeds half the chunk size", maxLine)
	}
	// Two chunks in flight per worker keep both sides busy; free bounds the
	// buffers to that.
	free := make(chan *scanBuf, 2*workers+1)
	for range cap(free) {
		free <- &scanBuf{data: make([]byte, scanChunk)}
	}
	in := make([]chan *chunk, workers)
	out := make([]chan parsed, workers)
	for i := range workers {
		in[i] = make(chan *chunk, 2)
		out[i] = make(chan parsed, 2)
	}
	stop := make(chan struct{})
	var readErr error
	var wg sync.WaitGroup
	wg.Go(func() {
		defer func() {
			for _, c := range in {
				close(c)
			}
		}()
		readErr = readChunks(r, maxLine, free, in, stop)
	})
	for i := range workers {
		wg.Go(func() {
			defer close(out[i])
			cache := a.cache.local()
			for c := range in[i] {
				p := parseChunk(c, parsers[i], cache, &opts)
				if opts.Lines != nil {
					opts.Lines.Add(int64(p.lines + c.tooLong))
				}
				out[i] <- p
			}
		})
	}

	var err error
	next := 1 // the number of the next line
	for n := 0; ; n++ {
		p, ok := <-out[n%workers]
		if !ok {
			break
		}
		a.stats.TooLong += p.c.tooLong
		a.stats.Lines += p.c.tooLong
		next += p.c.tooLong
		first := next
		next += p.lines
		if err == nil {
			for i := range p.items {
				it := &p.items[i]
				it.ev.Line = first + it.line
				line := p.c.buf[it.start:it.end]
				if opts.OnEvent != nil {
					if err = opts.OnEvent(&it.ev, line); err != nil {
						close(stop)
						break
					}
				}
				a.add(&it.ev, line, it.cls)
			}
		}
		p.c.mem.items = p.items[:0]
		free <- p.c.mem
		if opts.Relays != nil {
			opts.Relays.Store(int64(len(a.relays)))
		}
	}
	wg.Wait()
	for _, p := range parsers {
		st := p.Stats()
		a.stats.Lines += st.Lines
		a.stats.Events += st.Events
		a.stats.Unknown += st.Unknown
		a.stats.TooLong += st.TooLong
	}
	if err != nil {
		return err
	}
	return readErr
}

// readChunks reads r into buffers from free, cut after the last newline,
// and deals them to the workers in turn. A line longer than maxLine is
// dropped and counted without being kept.
func readChunks(r io.Reader, maxLine int, free chan *scanBuf, in []chan *chunk, stop chan struct{}) error {
	var carry []byte // the unfinished last line of the previous buffer
	seq, tooLong := 0, 0
	discarding := false
	// Lines are counted by the workers as they split them, not here: one
	// pass over the input fewer.
	send := func(mem *scanBuf, buf []byte) bool {
		c := &chunk{mem: mem, buf: buf, tooLong: tooLong}
		tooLong = 0
		select {
		case in[seq%len(in)] <- c:
			seq++
			return true
		case <-stop:
			return false
		}
	}
	for {
		var sb *scanBuf
		select {
		case sb = <-free:
		case <-stop:
			return nil
		}
		buf := sb.data
		n := copy(buf, carry)
		m, err := readFull(r, buf[n:])
		n += m
		data := buf[:n]
		if discarding {
			// The rest of an over-long line, up to its newline.
			i := bytes.IndexByte(data, '\n')
			if i < 0 {
				carry = carry[:0]
				if err != nil {
					// An empty chunk still carries the count.
					send(sb, data[:0])
					return finish(err)
				}
				free <- sb
				continue
			}
			discarding = false
			data = data[i+1:]
		}
		end := bytes.LastIndexByte(data, '\n') + 1
		if err != nil {
			end = len(data) // the last line may lack its newline
		}
		tail := data[end:]
		carry = append(carry[:0], tail...)
		drop := len(carry) > maxLine
		if drop {
			carry, discarding = carry[:0], true
		}
		if end > 0 || err != nil {
			if !send(sb, data[:end]) {
				return nil
			}
		} else {
			free <- sb
		}
		if drop {
			// Counted after the lines before it, which send dealt.
			tooLong++
		}
		if err != nil {
			return finish(err)
		}
	}
}

// readFull fills buf unless the input ends or fails first. Unlike
// io.ReadFull it keeps a reader's own io.ErrUnexpectedEOF (a truncated gzip
// stream) apart from a clean end of input, io.EOF.
func readFull(r io.Reader, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		m, err := r.Read(buf[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// finish maps the end of input to a nil error.
func finish(err error) error {
	if errors.Is(err, io.EOF) {
		return nil
	}
	return err
}

// parseChunk parses the lines of c, counts them, and classifies the
// events to count. Most lines are turned away by the parser before an
// event is built; the one Event it fills is copied out only when kept.
func parseChunk(c *chunk, p *mtalog.Parser, cache *replyLocal, opts *ScanOptions) parsed {
	res := parsed{c: c, items: c.mem.items[:0]}
	buf := c.buf
	var ev mtalog.Event
	ln, pos := 0, 0
	for ; pos < len(buf); ln++ {
		end := bytes.IndexByte(buf[pos:], '\n')
		next := pos + end + 1
		if end < 0 {
			end = len(buf) - pos
			next = len(buf)
		}
		line := buf[pos : pos+end]
		start := pos
		pos = next
		if len(line) > 0 && line[len(line)-1] == '\r' {
			line = line[:len(line)-1]
		}
		if !p.ParseTo(line, &ev) {
			continue
		}
		if opts.Window.Contains(ev.Time) {
			if cls, ok := cache.classify(&ev); ok {
				res.items = append(res.items, scanItem{ev: ev, cls: cls, line: ln, start: start, end: start + len(line)})
			}
		}
		ev = mtalog.Event{}
	}
	res.lines = ln
	return res
}
