package dns

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	mdns "github.com/miekg/dns"
)

// Outcome classes a query's result for metrics, as mox does: a definite
// answer with data or without, or a failure that says nothing.
type Outcome string

// Query outcomes.
const (
	OutcomeOK        Outcome = "ok"        // NOERROR, with or without data
	OutcomeNXDomain  Outcome = "nxdomain"  // the name does not exist
	OutcomeTimeout   Outcome = "timeout"   // no answer in time
	OutcomeTemporary Outcome = "temporary" // SERVFAIL, REFUSED, unreachable, …
)

// Outcomes lists every Outcome, for exporting zero counters.
var Outcomes = []Outcome{OutcomeOK, OutcomeNXDomain, OutcomeTimeout, OutcomeTemporary}

// Counting is a Resolver that passes every query to Resolver and counts it
// by outcome, with its latency. It is safe for concurrent use.
type Counting struct {
	Resolver Resolver
	// Observe, if not nil, sees every query as it completes (qtype as
	// "PTR", "A", …), from any goroutine.
	Observe func(qtype string, outcome Outcome, took time.Duration)

	counts  [4]atomic.Int64 // indexed like Outcomes
	latency atomic.Int64    // nanoseconds, summed
}

// QueryStats are the counts of a Counting resolver.
type QueryStats struct {
	Queries  int64
	ByResult map[Outcome]int64
	Latency  time.Duration // summed over all queries
}

// Query implements Resolver.
func (c *Counting) Query(ctx context.Context, name string, qtype uint16) (*Answer, error) {
	start := time.Now()
	ans, err := c.Resolver.Query(ctx, name, qtype)
	took := time.Since(start)
	o := outcomeOf(ans, err)
	for i, x := range Outcomes {
		if x == o {
			c.counts[i].Add(1)
		}
	}
	c.latency.Add(int64(took))
	if c.Observe != nil {
		c.Observe(mdns.TypeToString[qtype], o, took)
	}
	return ans, err
}

// Stats returns the counts so far.
func (c *Counting) Stats() QueryStats {
	s := QueryStats{ByResult: make(map[Outcome]int64, len(Outcomes)), Latency: time.Duration(c.latency.Load())}
	for i, o := range Outcomes {
		n := c.counts[i].Load()
		s.ByResult[o] = n
		s.Queries += n
	}
	return s
}

func outcomeOf(ans *Answer, err error) Outcome {
	var te *TempError
	switch {
	case err == nil && ans.NXDomain:
		return OutcomeNXDomain
	case err == nil:
		return OutcomeOK
	case errors.As(err, &te) && te.Reason == "timeout":
		return OutcomeTimeout
	}
	return OutcomeTemporary
}
