package dns

import (
	"context"
	"errors"
	"sync"
	"time"

	mdns "github.com/miekg/dns"
)

// Paced is a Resolver that passes queries to another at most QPS a second,
// with bursts of at most Burst: a token bucket, kept as the time the next
// query may go (the generic cell rate algorithm), so that it costs no
// goroutine and no timer while idle. A query waits for its turn or for its
// context to end. It is safe for concurrent use.
//
// Over a caching Client, answers from the cache wait their turn too: the
// bound on the queries that reach the network is then conservative, and a
// burst of lines never becomes a burst of queries.
type Paced struct {
	next     Resolver
	interval time.Duration // between two queries at the sustained rate
	burst    time.Duration // how far ahead of the rate queries may go: (Burst-1) intervals

	mu  sync.Mutex
	tat time.Time // theoretical arrival time of the next query at the rate
}

// NewPaced paces queries to r at qps a second, with bursts of burst
// queries (at least 1). A qps of 0 or less returns r itself: no bound.
func NewPaced(r Resolver, qps float64, burst int) Resolver {
	if qps <= 0 {
		return r
	}
	interval := time.Duration(float64(time.Second) / qps)
	return &Paced{next: r, interval: interval, burst: time.Duration(max(burst, 1)-1) * interval}
}

// Query implements Resolver.
func (p *Paced) Query(ctx context.Context, name string, qtype uint16) (*Answer, error) {
	if wait := p.reserve(time.Now()); wait > 0 {
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			reason := "canceled"
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				reason = "timeout"
			}
			return nil, &TempError{Name: name, Type: mdns.TypeToString[qtype], Reason: reason + " while waiting for the query rate limit", Err: ctx.Err()}
		}
	}
	return p.next.Query(ctx, name, qtype)
}

// reserve takes the next turn and says how long to wait for it. A turn
// given up (the context ended) is not handed back: the bound only errs on
// the safe side.
func (p *Paced) reserve(now time.Time) time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.tat.Before(now) {
		p.tat = now
	}
	at := p.tat.Add(-p.burst)
	p.tat = p.tat.Add(p.interval)
	return at.Sub(now)
}
