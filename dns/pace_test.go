package dns_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	mdns "github.com/miekg/dns"

	"hopcheck/dns"
)

// counter answers every query at once and counts them.
type counter struct{ n atomic.Int64 }

func (c *counter) Query(context.Context, string, uint16) (*dns.Answer, error) {
	c.n.Add(1)
	return &dns.Answer{}, nil
}

// TestPacedBound: however many goroutines ask at once, the queries passed
// on stay within the rate plus the burst over the time taken.
func TestPacedBound(t *testing.T) {
	const qps, burst = 200, 5
	var c counter
	r := dns.NewPaced(&c, qps, burst)
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	start := time.Now()
	var wg sync.WaitGroup
	for range 32 {
		wg.Go(func() {
			for ctx.Err() == nil {
				r.Query(ctx, "example.test.", mdns.TypeA)
			}
		})
	}
	wg.Wait()
	took := time.Since(start)
	n := c.n.Load()
	if bound := int64(qps*took.Seconds()) + burst; n > bound || n < qps/10 {
		t.Fatalf("%d queries passed in %v; bound %d", n, took, bound)
	}
}

// TestPacedBurstAndCancel: a burst goes at once; a query waiting for its
// turn gives up when its context ends, as a temporary failure.
func TestPacedBurstAndCancel(t *testing.T) {
	var c counter
	r := dns.NewPaced(&c, 1, 3) // one a second after a burst of 3
	ctx := context.Background()
	for range 3 {
		if _, err := r.Query(ctx, "example.test.", mdns.TypeA); err != nil {
			t.Fatal(err)
		}
	}
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	_, err := r.Query(short, "example.test.", mdns.TypeA)
	if !dns.IsTemporary(err) || c.n.Load() != 3 {
		t.Fatalf("a 4th query at once: %v, %d passed", err, c.n.Load())
	}
	if dns.NewPaced(&c, 0, 0) != dns.Resolver(&c) {
		t.Error("a rate of 0 should be no pacing")
	}
}
