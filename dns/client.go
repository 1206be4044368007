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
	// Timeout is the longest one attempt of a query at one server waits
	// for an answer (default 2s). Within it the query is re-sent early,
	// when the retransmission timer expires: the server's smoothed
	// round-trip time plus four times its variation (RFC 6298), at least
	// 100 ms, doubling after each send, at most 3 sends an attempt. So a
	// lost datagram costs about one round-trip timer, not a Timeout.
	Timeout time.Duration
	// Attempts is how many rounds over all servers a query gets (default
	// 2): a query's whole budget stays Timeout × Attempts at each server.
	Attempts int
	// Concurrency bounds the queries in flight at each server (default
	// DefaultConcurrency, which suits a resolver on the host or the local
	// network). A server starts at 32 in flight, one more for every query
	// answered at the first send, up to the bound; the bound halves, down
	// to 8, when more than 5% of a window of 128 queries lose their first
	// datagram, and grows back by an eighth per window without such loss.
	// For a public resolver, set MaxQPS too.
	Concurrency int
	// MaxQPS, when positive, paces the queries that reach the network
	// (cache hits and joined in-flight queries do not count) to at most
	// this many a second, through Paced: public resolvers throttle a
	// client at roughly 1,000–1,500 queries a second.
	MaxQPS float64
	// MaxCacheEntries bounds the cache (default 200000).
	MaxCacheEntries int
	// NoRecursion asks without the RD bit: for authoritative servers.
	NoRecursion bool
}

// DefaultConcurrency is the default bound of queries in flight per server:
// a few hundred, what a resolver on the host or the local network takes
// (docs/performance.md has 256, 384 and 512 measured).
const DefaultConcurrency = 384

// Client is the network Resolver: it asks recursive resolvers over UDP with
// EDNS0, retries truncated answers over TCP, caches answers for their TTL
// (negative ones for the SOA minimum), makes identical in-flight queries
// once, bounds the queries in flight at each server, re-sends lost queries
// on a timer from the measured round-trip time and fails over from server
// to server. UDP goes through a few sockets per server that every query
// shares (random source ports from the kernel, rotated every 2048 queries
// or 30 seconds); an answer must match a pending query's random ID and its
// question, or it is dropped. It is safe for concurrent use.
type Client struct {
	opts ClientOptions
	ups  []*upstream
	tcp  *mdns.Client
	wire Resolver // the network, paced when MaxQPS is set

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
		opts.Concurrency = DefaultConcurrency
	}
	if opts.MaxCacheEntries <= 0 {
		opts.MaxCacheEntries = 200000
	}
	servers := make([]string, 0, len(opts.Servers))
	for _, s := range opts.Servers {
		servers = append(servers, withPort(s))
	}
	opts.Servers = servers
	c := &Client{
		opts:  opts,
		tcp:   &mdns.Client{Net: "tcp", Timeout: opts.Timeout},
		cache: make(map[cacheKey]*cacheEntry),
	}
	for _, s := range servers {
		c.ups = append(c.ups, newUpstream(s, opts.Timeout, opts.Concurrency))
	}
	c.wire = network{c}
	if opts.MaxQPS > 0 {
		// Bursts of a tenth of a second's worth.
		c.wire = NewPaced(c.wire, opts.MaxQPS, max(1, int(opts.MaxQPS/10)))
	}
	return c
}

// network is the Client below its cache: every query goes to the servers.
type network struct{ c *Client }

func (n network) Query(ctx context.Context, name string, qtype uint16) (*Answer, error) {
	return n.c.exchange(ctx, name, qtype)
}

// Close stops the Client's UDP sockets: queries not yet sent fail, each
// socket closes once the queries in flight on it are done. A Client that is
// simply dropped closes its sockets itself after two idle seconds.
func (c *Client) Close() error {
	for _, u := range c.ups {
		u.close()
	}
	return nil
}

// TransportStats returns what the UDP transport did so far, summed over
// the servers.
func (c *Client) TransportStats() TransportStats {
	var t TransportStats
	t.MinLimit = c.opts.Concurrency
	for _, u := range c.ups {
		u.mu.Lock()
		s := u.stats
		u.mu.Unlock()
		t.Sends += s.Sends
		t.Retransmits += s.Retransmits
		t.Losses += s.Losses
		t.Late += s.Late
		t.Unmatched += s.Unmatched
		t.Sockets += s.Sockets
		t.Backoffs += s.Backoffs
		t.MinLimit = min(t.MinLimit, s.MinLimit)
		t.RTTSum += s.RTTSum
		t.Answers += s.Answers
	}
	return t
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

	e.ans, e.err = c.wire.Query(ctx, key.name, qtype)
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
	packed, err := m.Pack()
	if err != nil {
		return nil, &TempError{Name: name, Type: typ, Reason: err.Error(), Err: err}
	}
	// The question section follows the 12-byte header: the name and 4
	// bytes of type and class. Answers are matched against it.
	qlen := 12
	for qlen < len(packed) && packed[qlen] != 0 {
		qlen += int(packed[qlen]) + 1
	}
	question := bytesLower(packed[12:min(qlen+5, len(packed))])
	var last error
	reason := ""
	// ours stays true while every failure is our resolvers' own: they
	// could not be reached or refused us. A SERVFAIL or a timeout may be
	// the name's own servers failing behind them.
	ours := true
	for range c.opts.Attempts {
		for i, server := range c.opts.Servers {
			if ctx.Err() != nil {
				return nil, &TempError{Name: name, Type: typ, Reason: "timeout", Servers: c.opts.Servers, Err: ctx.Err()}
			}
			resp, err := c.ups[i].exchange(ctx, m, packed, question, c.tcp)
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

// bytesLower is a lower-case copy of b (ASCII letters only).
func bytesLower(b []byte) []byte {
	out := make([]byte, len(b))
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		out[i] = c
	}
	return out
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
