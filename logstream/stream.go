package logstream

import (
	"io"
	"sync"
	"time"
)

// base holds what every Source shares: the channel, the stop signal and the
// counters.
type base struct {
	out      chan Line
	quit     chan struct{} // closed by Stop
	done     chan struct{} // closed when the source's goroutine has ended
	stopOnce sync.Once
	mu       sync.Mutex
	stats    Stats
	err      error // why the source ended, if it failed
}

func newBase() base {
	return base{out: make(chan Line, 64), quit: make(chan struct{}), done: make(chan struct{})}
}

func (b *base) Lines() <-chan Line { return b.out }

func (b *base) Stats() Stats {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.stats
}

// Stop signals the goroutine and waits for it to end.
func (b *base) Stop() error {
	b.stopOnce.Do(func() { close(b.quit) })
	<-b.done
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.err
}

func (b *base) Reopen() {}

// send delivers l unless the source is stopped first.
func (b *base) send(l Line) bool {
	select {
	case b.out <- l:
	case <-b.quit:
		return false
	}
	b.mu.Lock()
	b.stats.Lines++
	b.stats.LastLine = time.Now()
	b.mu.Unlock()
	return true
}

func (b *base) count(f func(*Stats)) {
	b.mu.Lock()
	f(&b.stats)
	b.mu.Unlock()
}

func (b *base) fail(err error) {
	b.mu.Lock()
	b.err = err
	b.mu.Unlock()
}

// stopped reports whether Stop was called.
func (b *base) stopped() bool {
	select {
	case <-b.quit:
		return true
	default:
		return false
	}
}

type stream struct{ base }

// Stream delivers the lines of r as they arrive, such as those of
// "journalctl -f -o short-iso" piped to stdin. A last line without "\n" is
// held until r ends, then delivered. Pos.Offset counts the bytes of r. Stop
// does not wait for a Read in progress: that goroutine ends when the Read
// returns.
func Stream(r io.Reader) Source {
	s := &stream{newBase()}
	chunks := make(chan []byte)
	var readErr error
	go func() {
		defer close(chunks)
		buf := make([]byte, 32<<10)
		for {
			n, err := r.Read(buf)
			if n > 0 {
				select {
				case chunks <- append([]byte(nil), buf[:n]...):
				case <-s.quit:
					return
				}
			}
			if err != nil {
				if err != io.EOF {
					readErr = err // read by the other goroutine after chunks is closed
				}
				return
			}
		}
	}()
	go func() {
		defer close(s.done)
		defer close(s.out)
		sp := newSplitter(DefaultMaxLine)
		var off int64
		ok := true
		emit := func(text []byte, cut bool, raw int64) {
			off += raw
			ok = ok && s.send(Line{Text: string(text), Truncated: cut, Pos: Position{Path: "-", Offset: off}})
		}
		for ok {
			select {
			case c, open := <-chunks:
				if !open {
					sp.flush(emit)
					s.fail(readErr)
					return
				}
				sp.write(c, emit)
			case <-s.quit:
				return
			}
		}
	}()
	return s
}
