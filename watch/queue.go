package watch

import (
	"container/list"
	"context"
	"maps"
	"slices"
	"sync"

	"hopcheck/analyze"
	"hopcheck/parse/mtalog"
)

// queue holds the relays whose check is due, our relays before clients,
// each once, first come first served within each; a relay stays counted
// (in flight) from the moment a worker takes it until its result is
// handled, so that a state saved meanwhile still holds it. Its size is
// bounded: a flood of clients cannot make it grow without end.
type queue struct {
	max  int
	wake chan struct{} // a token while something may wait to be taken

	mu       sync.Mutex
	ours     list.List // of Subject: outbound
	clients  list.List // of Subject: inbound
	index    map[analyze.RelayKey]*list.Element
	inFlight map[analyze.RelayKey]Subject
}

func newQueue(max int) *queue {
	return &queue{max: max, wake: make(chan struct{}, 1), index: make(map[analyze.RelayKey]*list.Element),
		inFlight: make(map[analyze.RelayKey]Subject)}
}

// push queues s unless it is queued or in flight already; false when the
// queue is full.
func (q *queue) push(s Subject) bool {
	k := s.key()
	q.mu.Lock()
	defer q.mu.Unlock()
	if _, ok := q.index[k]; ok {
		return true
	}
	if _, ok := q.inFlight[k]; ok {
		return true
	}
	if len(q.index)+len(q.inFlight) >= q.max {
		return false
	}
	l := &q.clients
	if s.Direction == mtalog.Outbound {
		l = &q.ours
	}
	q.index[k] = l.PushBack(s)
	q.signal()
	return true
}

func (q *queue) signal() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// remove drops a queued relay (evicted from the aggregator).
func (q *queue) remove(k analyze.RelayKey) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if e, ok := q.index[k]; ok {
		delete(q.index, k)
		if e.Value.(Subject).Direction == mtalog.Outbound {
			q.ours.Remove(e)
		} else {
			q.clients.Remove(e)
		}
	}
}

// pop takes the next relay to check, waiting for one until ctx ends.
func (q *queue) pop(ctx context.Context) (Subject, bool) {
	for {
		q.mu.Lock()
		l := &q.ours
		if l.Len() == 0 {
			l = &q.clients
		}
		if e := l.Front(); e != nil {
			s := l.Remove(e).(Subject)
			delete(q.index, s.key())
			q.inFlight[s.key()] = s
			if len(q.index) > 0 {
				q.signal() // for the next worker: one token wakes one
			}
			q.mu.Unlock()
			return s, true
		}
		q.mu.Unlock()
		select {
		case <-q.wake:
		case <-ctx.Done():
			return Subject{}, false
		}
	}
}

// done ends a relay's flight once its result is handled.
func (q *queue) done(k analyze.RelayKey) {
	q.mu.Lock()
	delete(q.inFlight, k)
	q.mu.Unlock()
}

// size is how many relays are queued or in flight.
func (q *queue) size() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.index) + len(q.inFlight)
}

// snapshot lists at most n relays in flight or queued, ours first.
func (q *queue) snapshot(n int) []Subject {
	q.mu.Lock()
	defer q.mu.Unlock()
	out := slices.SortedFunc(maps.Values(q.inFlight), func(a, b Subject) int { return a.IP.Compare(b.IP) })
	for _, l := range []*list.List{&q.ours, &q.clients} {
		for e := l.Front(); e != nil; e = e.Next() {
			out = append(out, e.Value.(Subject))
		}
	}
	// Ours first, whether in flight or queued: the cut keeps them.
	slices.SortStableFunc(out, func(a, b Subject) int { return int(b.Direction) - int(a.Direction) })
	return out[:min(len(out), n)]
}
