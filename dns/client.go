package dns

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"

	mdns "github.com/miekg/dns"
)

// ClientOptions configure a network Client. Zero values take the defaults.
type ClientOptions struct {
	// Servers are recursive resolvers as "host:port" (a bare host gets :53).
	Servers []string
	// Timeout bounds each attempt of one query at one server (default 2s).
	Timeout time.Duration
	// Attempts is how many rounds over all servers a query gets (default 2).
	Attempts int
	// Concurrency bounds the queries on the wire at once (default 64).
	Concurrency int
	// MaxCacheEntries bounds the cache (default 200000).
	MaxCacheEntries int
	// NoRecursion asks without the RD bit: for authoritative servers.
	NoRecursion bool
}

// Client is the network Resolver: it asks recursive resolvers over UDP with
// EDNS0, retries truncated answers over TCP, caches answers for their TTL
// (negative ones for the SOA minimum), makes identical in-flight queries
// once, bounds concurrency and gives every attempt a timeout. It is safe for
// concurrent use.
type Client struct {
	opts ClientOptions
	udp  *mdns.Client
	tcp  *mdns.Client
	sem  chan struct{}

	mu    sync.Mutex
	cache map[cacheKey]*cacheEntry
}

type cacheKey struct {
	name  string
	qtype uint16
}

type cacheEntry struct {
	ready   chan struct{} // closed when ans/err are set
	ans     *Answer
	err     error
	expires time.Time
}

// NewClient returns a Client for opts.
func NewClient(opts ClientOptions) *Client {
	if opts.Timeout <= 0 {
		opts.Timeout = 2 * time.Second
	}
	if opts.Attempts <= 0 {
		opts.Attempts = 2
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = 64
	}
	if opts.MaxCacheEntries <= 0 {
		opts.MaxCacheEntries = 200000
	}
	servers := make([]string, 0, len(opts.Servers))
	for _, s := range opts.Servers {
		servers = append(servers, withPort(s))
	}
	opts.Servers = servers
	return &Client{
		opts:  opts,
		udp:   &mdns.Client{Net: "udp", UDPSize: ednsSize, Timeout: opts.Timeout},
		tcp:   &mdns.Client{Net: "tcp", Timeout: opts.Timeout},
		sem:   make(chan struct{}, opts.Concurrency),
		cache: make(map[cacheKey]*cacheEntry),
	}
}

// ednsSize is the EDNS0 buffer size advertised: large enough for multi-PTR
// answers, small enough to avoid fragmentation (DNS flag day 2020).
const ednsSize = 1232

// withPort adds :53 to a server given without a port.
func withPort(s string) string {
	if _, _, err := net.SplitHostPort(s); err == nil {
		return s
	}
	return net.JoinHostPort(strings.Trim(s, "[]"), "53")
}

// SystemServers reads the name servers of a resolv.conf(5) file.
func SystemServers(path string) ([]string, error) {
	cfg, err := mdns.ClientConfigFromFile(path)
	if err != nil {
		return nil, err
	}
	if len(cfg.Servers) == 0 {
		return nil, fmt.Errorf("%s lists no nameserver", path)
	}
	out := make([]string, len(cfg.Servers))
	for i, s := range cfg.Servers {
		out[i] = net.JoinHostPort(s, cfg.Port)
	}
	return out, nil
}

// Query implements Resolver.
func (c *Client) Query(ctx context.Context, name string, qtype uint16) (*Answer, error) {
	key := cacheKey{mdns.CanonicalName(name), qtype}
	c.mu.Lock()
	if e, ok := c.cache[key]; ok {
		select {
		case <-e.ready:
			if time.Now().Before(e.expires) {
				c.mu.Unlock()
				return e.ans, nil
			}
		default: // in flight: join it
			c.mu.Unlock()
			select {
			case <-e.ready:
				return e.ans, e.err
			case <-ctx.Done():
				return nil, &TempError{Name: key.name, Type: mdns.TypeToString[qtype], Reason: "timeout", Err: ctx.Err()}
			}
		}
	}
	if len(c.cache) >= c.opts.MaxCacheEntries {
		c.evictLocked()
	}
	e := &cacheEntry{ready: make(chan struct{})}
	c.cache[key] = e
	c.mu.Unlock()

	e.ans, e.err = c.exchange(ctx, key.name, qtype)
	ttl := time.Duration(0)
	if e.err == nil {
		ttl = answerTTL(e.ans)
	}
	e.expires = time.Now().Add(ttl)
	close(e.ready)
	if e.err != nil || ttl == 0 {
		c.mu.Lock()
		if c.cache[key] == e {
			delete(c.cache, key)
		}
		c.mu.Unlock()
	}
	return e.ans, e.err
}

// evictLocked drops expired entries, and if that frees nothing, half the
// finished ones: a bound on memory matters more than a perfect hit rate.
func (c *Client) evictLocked() {
	now := time.Now()
	for k, e := range c.cache {
		select {
		case <-e.ready:
			if now.After(e.expires) {
				delete(c.cache, k)
			}
		default:
		}
	}
	if len(c.cache) < c.opts.MaxCacheEntries {
		return
	}
	n := 0
	for k, e := range c.cache {
		select {
		case <-e.ready:
			if n%2 == 0 {
				delete(c.cache, k)
			}
			n++
		default:
		}
	}
}

// answerTTL is how long an answer may be cached: the smallest TTL in the
// answer, or for a negative answer the SOA's minimum (RFC 2308).
func answerTTL(a *Answer) time.Duration {
	var ttl uint32
	first := true
	take := func(t uint32) {
		if first || t < ttl {
			ttl, first = t, false
		}
	}
	for _, rr := range a.Records {
		take(rr.Header().Ttl)
	}
	if first {
		for _, rr := range a.Authority {
			if soa, ok := rr.(*mdns.SOA); ok {
				take(min(soa.Hdr.Ttl, soa.Minttl))
			}
		}
	}
	return time.Duration(ttl) * time.Second
}

// exchange asks the servers in turn until one gives a definite answer.
func (c *Client) exchange(ctx context.Context, name string, qtype uint16) (*Answer, error) {
	typ := mdns.TypeToString[qtype]
	if len(c.opts.Servers) == 0 {
		return nil, &TempError{Name: name, Type: typ, Reason: "no DNS server configured", Unreachable: true}
	}
	m := new(mdns.Msg)
	m.SetQuestion(name, qtype)
	m.SetEdns0(ednsSize, false)
	m.RecursionDesired = !c.opts.NoRecursion
	var last error
	reason := ""
	// ours stays true while every failure is our resolvers' own: they
	// could not be reached or refused us. A SERVFAIL or a timeout may be
	// the name's own servers failing behind them.
	ours := true
	for range c.opts.Attempts {
		for _, server := range c.opts.Servers {
			if ctx.Err() != nil {
				return nil, &TempError{Name: name, Type: typ, Reason: "timeout", Servers: c.opts.Servers, Err: ctx.Err()}
			}
			resp, err := c.ask(ctx, m, server)
			if err != nil {
				last, reason = err, netReason(err)
				ours = ours && reason != "timeout"
				continue
			}
			switch resp.Rcode {
			case mdns.RcodeSuccess, mdns.RcodeNameError:
				return &Answer{NXDomain: resp.Rcode == mdns.RcodeNameError, Records: resp.Answer, Authority: resp.Ns, Source: server}, nil
			default:
				reason = mdns.RcodeToString[resp.Rcode]
				last = fmt.Errorf("%s answered %s", server, reason)
				ours = ours && resp.Rcode == mdns.RcodeRefused
			}
		}
	}
	return nil, &TempError{Name: name, Type: typ, Reason: reason, Unreachable: ours, Servers: c.opts.Servers, Err: last}
}

// ask sends one query over UDP and repeats it over TCP when the answer was
// truncated: miekg/dns does neither fallback nor retry by itself.
func (c *Client) ask(ctx context.Context, m *mdns.Msg, server string) (*mdns.Msg, error) {
	c.sem <- struct{}{}
	defer func() { <-c.sem }()
	actx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
	defer cancel()
	resp, _, err := c.udp.ExchangeContext(actx, m, server)
	if err != nil {
		return nil, err
	}
	if resp.Truncated {
		resp, _, err = c.tcp.ExchangeContext(actx, m, server)
	}
	return resp, err
}

// netReason names a transport failure in the words a postmaster uses.
func netReason(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case errors.Is(err, context.Canceled):
		return "canceled"
	case strings.Contains(err.Error(), "connection refused"):
		return "server unreachable (connection refused)"
	case strings.Contains(err.Error(), "network is unreachable"):
		return "network unreachable"
	}
	return err.Error()
}
