package analyze

import (
	"container/list"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"
	"unsafe"

	"hopcheck/internal/textutil"
	"hopcheck/parse"
	"hopcheck/parse/mtalog"
	"hopcheck/parse/reply"
	"hopcheck/problem"
)

// RelayKey names one relay of a log summary: for outbound lines one of our
// sending IPs (invalid when the log does not show which), for inbound lines
// the client our server refused.
type RelayKey struct {
	Direction mtalog.Direction
	IP        netip.Addr
}

// Bounds of the per-relay state: memory grows with the number of relays,
// never with the number of lines.
const (
	maxRelayHELOs    = 4
	maxRelayRDNS     = 4
	maxRelayReplies  = 16
	maxRelayRefusers = 16
	maxRelayExamples = 3
	maxExampleBytes  = 300
	maxReplyBytes    = 300
	// DefaultMaxRelays bounds the relays an Aggregator tracks; past it the
	// least recently seen relay is evicted (LogStats.Evicted).
	DefaultMaxRelays = 200000
	// replyCacheKeyBytes is how much of a reply text keys the
	// classification cache: enough to hold the codes, the quoted client IP
	// and the words the knowledge base matches on, short enough that
	// per-message ids at the end of a reply do not defeat the cache.
	replyCacheKeyBytes = 200
	replyCacheMax      = 8192
)

// warningRule is the Rule of MTA DNS warnings, which carry no reply.
const warningRule = "mta-dns-warning"

// ReplyCount is one distinct refusal a relay received (or, inbound, that
// our server gave), keyed by status and knowledge-base rule.
type ReplyCount struct {
	Status   string
	Code     int
	Rule     string
	Category reply.Category
	Problem  problem.Name // the problem the reply points at, if any
	Count    int
	Example  string // the first such reply text, cut to a few hundred bytes
}

// Relay is what the logs say about one relay: counters and evidence, no
// verdict (see Recheck).
type Relay struct {
	RelayKey
	// HELO names: for inbound clients as logged; for our relays the
	// configured name or the syslog host (HELOInferred).
	HELO         []string
	HELOInferred bool
	// RDNSLogged are reverse names the MTA logged for the IP.
	RDNSLogged []string
	// MayBeForged is Sendmail's mark that the client's PTR name did not
	// resolve back to it.
	MayBeForged bool
	// MTA wrote the lines: for our relays, the one whose HELO setting a
	// fix names.
	MTA parse.MTA

	Count    int // events aggregated: Refusals + Warnings
	Refusals int // rejects (inbound) or bounces and deferrals (outbound)
	Warnings int // MTA DNS warnings about the client
	Identity int // events about reverse DNS or HELO (rdns, helo, warnings)

	First, Last time.Time
	Categories  map[reply.Category]int
	Replies     []ReplyCount
	// RefusedBy are, outbound, the registrable domains of the servers
	// that refused us for reverse DNS or HELO reasons.
	RefusedBy []string
	// Examples are the first log lines, those about reverse DNS or HELO
	// first, cut to a few hundred bytes.
	Examples         []string
	identityExamples int

	// Reported counts the problems the replies and warnings point at.
	Reported map[problem.Name]int

	// While the Aggregator counts, Categories and Reported are kept as
	// these short lists, cheaper to bump than maps; copies (Relay,
	// Snapshot) have them as maps.
	cats []counted[reply.Category]
	reps []counted[problem.Name]
}

// counted is one key's count in a short list.
type counted[K comparable] struct {
	k K
	n int
}

// bump counts k once more.
func bump[K comparable](list []counted[K], k K) []counted[K] {
	for i := range list {
		if list[i].k == k {
			list[i].n++
			return list
		}
	}
	return append(list, counted[K]{k, 1})
}

// countMap is m with list's counts added, as a new map.
func countMap[K comparable](m map[K]int, list []counted[K]) map[K]int {
	out := make(map[K]int, len(m)+len(list))
	for k, n := range m {
		out[k] = n
	}
	for _, c := range list {
		out[c.k] += c.n
	}
	return out
}

// clone is a deep copy of r, safe to read while the original changes.
func (r *Relay) clone() Relay {
	c := *r
	c.HELO = slices.Clone(r.HELO)
	c.RDNSLogged = slices.Clone(r.RDNSLogged)
	c.Categories = countMap(r.Categories, r.cats)
	c.cats = nil
	c.Replies = slices.Clone(r.Replies)
	c.RefusedBy = slices.Clone(r.RefusedBy)
	c.Examples = slices.Clone(r.Examples)
	c.Reported = countMap(r.Reported, r.reps)
	c.reps = nil
	return c
}

// AggregatorOptions configure an Aggregator.
type AggregatorOptions struct {
	// SenderIPs are our sending addresses. Outbound refusals that do not
	// quote our IP are attributed to the only one of the connection's
	// address family.
	SenderIPs []netip.Addr
	// HELO is the name our relays announce; empty means infer it from the
	// syslog host of the line.
	HELO string
	// MaxRelays bounds the relays tracked (DefaultMaxRelays when zero).
	MaxRelays int
}

// LogStats count what a scan saw.
type LogStats struct {
	Lines      int // lines read
	Events     int // lines the parser understood as events
	Unknown    int // lines the parser did not understand
	TooLong    int // lines over the parser's limit, skipped
	Aggregated int // events counted for a relay
	Evicted    int // relays dropped, least recently seen first, to stay within MaxRelays
}

// Change is what one event changed in an Aggregator: what a live follower
// alerts on.
type Change struct {
	Counted bool // the event was a refusal or DNS warning, counted for Key
	Key     RelayKey
	// Identity says the event is about reverse DNS or HELO.
	Identity bool
	// NewRelay: the relay was not tracked before this event.
	NewRelay bool
	// FirstIdentity: the relay's first event about reverse DNS or HELO.
	FirstIdentity bool
	// Evicted, when valid (its Direction set), is the relay dropped to make
	// room.
	Evicted RelayKey
	// The event's reply as the aggregator classified it, for those that
	// alert and count on: its category, enhanced status, the provider the
	// reply names, and, outbound, who refused (as RefusedBy lists them).
	Category  reply.Category
	Status    string
	Provider  string
	RefusedBy string
}

// Aggregator folds log events into per-relay summaries. It is streaming
// and its memory is bounded by MaxRelays. It is not safe for concurrent
// use.
type Aggregator struct {
	opts   AggregatorOptions
	relays map[RelayKey]*list.Element // of *Relay, most recently seen first
	lru    list.List
	stats  LogStats
	cache  *replyCache // shared with a scan's workers
	local  *replyLocal // AddLine's view of it

	lastServer, lastDomain string // refuser's memory
}

// NewAggregator returns an empty Aggregator.
func NewAggregator(opts AggregatorOptions) *Aggregator {
	if opts.MaxRelays <= 0 {
		opts.MaxRelays = DefaultMaxRelays
	}
	cache := newReplyCache()
	return &Aggregator{opts: opts, relays: make(map[RelayKey]*list.Element), cache: cache, local: cache.local()}
}

// Add counts ev if it is a refusal or a DNS warning (other events change
// nothing) and says what changed. Its example is the event's reply text.
func (a *Aggregator) Add(ev mtalog.Event) Change {
	return a.AddLine(ev, nil)
}

// AddLine is Add with the log line the event came from, kept as an
// example.
func (a *Aggregator) AddLine(ev mtalog.Event, line []byte) Change {
	if cls, ok := a.local.classify(&ev); ok {
		return a.add(&ev, line, cls)
	}
	return Change{}
}

// Stats returns the counts so far.
func (a *Aggregator) Stats() LogStats { return a.stats }

// Relay returns a copy of one relay's summary.
func (a *Aggregator) Relay(k RelayKey) (Relay, bool) {
	if e := a.relays[k]; e != nil {
		return e.Value.(*Relay).clone(), true
	}
	return Relay{}, false
}

// Snapshot returns copies of every relay's summary, ranked without
// verdicts (see Rank): safe to read and judge while events keep coming.
func (a *Aggregator) Snapshot() []Relay {
	out := make([]Relay, 0, len(a.relays))
	for e := a.lru.Front(); e != nil; e = e.Next() {
		out = append(out, e.Value.(*Relay).clone())
	}
	Rank(out, nil)
	return out
}

// replyClass is what the aggregator needs of a classified reply.
type replyClass struct {
	category reply.Category
	status   string
	code     int
	rule     string
	problem  problem.Name
	provider string // who refused, as the reply says (reply.Provider)
	clientIP netip.Addr
	// clientIsRemote: the reply quotes the event's own remote address,
	// which the cache key masks; clientIP is then that address.
	clientIsRemote bool
}

type replyCacheKey struct {
	code   int
	status string
	prefix string
}

// replyCache memoizes reply.Parse: logs repeat the same few replies, and
// classifying one costs microseconds. Its key is the code, the status and
// the reply's first replyCacheKeyBytes bytes with every quote of the
// event's remote address masked, so that the same reject quoting each
// client's own address ("cannot find your hostname, [192.0.2.7]") is
// classified once, not once per client. One replyCache is shared by the
// Aggregator and a scan's workers, each through its own replyLocal.
type replyCache struct {
	mu sync.RWMutex
	m  map[replyCacheKey]replyClass
}

func newReplyCache() *replyCache { return &replyCache{m: make(map[replyCacheKey]replyClass)} }

// replyLocal is one goroutine's view of a shared replyCache: its own map
// in front (no lock on a hit), and scratch for building keys.
type replyLocal struct {
	shared *replyCache
	m      map[replyCacheKey]replyClass
	buf    []byte
}

func (c *replyCache) local() *replyLocal {
	return &replyLocal{shared: c, m: make(map[replyCacheKey]replyClass)}
}

// classify says whether ev is counted and classifies its reply.
func (c *replyLocal) classify(ev *mtalog.Event) (replyClass, bool) {
	if ev.IsIdentityWarning() {
		return replyClass{category: reply.RDNS, rule: warningRule, problem: warningProblem(ev.Reply)}, true
	}
	if !ev.IsRefusal() {
		return replyClass{}, false
	}
	prefix := ev.Reply[:min(len(ev.Reply), replyCacheKeyBytes)]
	masked := c.mask(prefix, ev.RemoteIP)
	key := replyCacheKey{code: ev.Code, status: ev.Status, prefix: masked}
	if cls, ok := c.m[key]; ok {
		return cls.of(ev), true
	}
	c.shared.mu.RLock()
	cls, ok := c.shared.m[key]
	c.shared.mu.RUnlock()
	// The key must own its strings: the event's may be borrowed from a
	// buffer that is about to be reused.
	key.prefix = strings.Clone(key.prefix)
	key.status = strings.Clone(key.status)
	if !ok {
		r := reply.Parse(ev.Reply)
		cls = replyClass{category: r.Category, status: r.Status, code: r.Code, rule: r.Rule, problem: r.Problem, provider: r.Provider, clientIP: r.ClientIP}
		if cls.status == "" {
			cls.status = ev.Status
		}
		cls.status = strings.Clone(cls.status)
		if cls.code == 0 {
			cls.code = ev.Code
		}
		if len(masked) != len(prefix) || masked != prefix {
			// The key masked the remote address: a reply that quotes it
			// as the client quotes each event's own.
			if cls.clientIP == ev.RemoteIP {
				cls.clientIsRemote, cls.clientIP = true, netip.Addr{}
			}
		}
		c.shared.mu.Lock()
		if len(c.shared.m) >= replyCacheMax {
			clear(c.shared.m)
		}
		c.shared.m[key] = cls
		c.shared.mu.Unlock()
	}
	if len(c.m) >= replyCacheMax {
		clear(c.m)
	}
	c.m[key] = cls
	return cls.of(ev), true
}

// of is the class for ev: with ev's own address as the client when the
// reply quoted it.
func (cls replyClass) of(ev *mtalog.Event) replyClass {
	if cls.clientIsRemote {
		cls.clientIP = ev.RemoteIP
	}
	return cls
}

// mask replaces every quote of ip in s (a whole token: not part of a
// longer number or name) with a NUL byte. The result is s itself when ip
// is not quoted, else a string over c.buf, valid until the next call.
func (c *replyLocal) mask(s string, ip netip.Addr) string {
	if !ip.IsValid() {
		return s
	}
	var b [64]byte
	t := ip.AppendTo(b[:0])
	q := unsafe.String(&t[0], len(t))
	out, rest, masked := c.buf[:0], s, false
	for {
		i := strings.Index(rest, q)
		if i < 0 {
			break
		}
		end := i + len(q)
		before := len(s) - len(rest) + i
		if (before == 0 || !ipByte(s[before-1])) && (end == len(rest) || !ipByte(rest[end])) {
			out = append(out, rest[:i]...)
			out = append(out, 0)
			masked = true
		} else {
			out = append(out, rest[:end]...)
		}
		rest = rest[end:]
	}
	if !masked {
		return s
	}
	out = append(out, rest...)
	c.buf = out
	return unsafe.String(&out[0], len(out))
}

// ipByte reports whether c can continue an address or a name: a quote of
// an address must not be part of a longer token.
func ipByte(c byte) bool {
	return c == '.' || c == ':' || '0' <= c && c <= '9' || 'a' <= c|0x20 && c|0x20 <= 'z'
}

// warningProblem names the problem an MTA's DNS warning reports.
func warningProblem(text string) problem.Name {
	var buf [512]byte
	l := lowerASCII(buf[:0], text)
	switch {
	case strings.Contains(l, "temporary failure"), strings.Contains(l, "try again"):
		return problem.PTRTempError
	case strings.Contains(l, "no host name found"), strings.Contains(l, "no ptr"):
		return problem.NoPTR
	}
	return problem.FCrDNSFail
}

// lowerASCII is s with ASCII letters in lower case, built in buf when it
// fits (no allocation for the usual warning).
func lowerASCII(buf []byte, s string) string {
	if len(s) > cap(buf) {
		return strings.ToLower(s)
	}
	b := buf[:len(s)]
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b[i] = c
	}
	return unsafe.String(unsafe.SliceData(b), len(b))
}

func (a *Aggregator) add(ev *mtalog.Event, line []byte, cls replyClass) Change {
	key := RelayKey{Direction: ev.Direction, IP: ev.RemoteIP}
	if ev.Direction == mtalog.Outbound {
		key.IP = a.ourIP(ev, cls)
	}
	identity := ev.Kind == mtalog.DNSWarning || cls.category == reply.RDNS || cls.category == reply.HELO
	ch := Change{Counted: true, Key: key, Identity: identity, Category: cls.category, Status: cls.status, Provider: cls.provider}
	if ev.Direction == mtalog.Outbound && ev.Kind != mtalog.DNSWarning {
		ch.RefusedBy = a.refuser(ev)
	}
	var rel *Relay
	if e := a.relays[key]; e != nil {
		a.lru.MoveToFront(e)
		rel = e.Value.(*Relay)
	} else {
		if len(a.relays) >= a.opts.MaxRelays {
			old := a.lru.Back()
			ch.Evicted = a.lru.Remove(old).(*Relay).RelayKey
			delete(a.relays, ch.Evicted)
			a.stats.Evicted++
		}
		rel = &Relay{RelayKey: key, MTA: ev.Dialect.MTA()}
		a.relays[key] = a.lru.PushFront(rel)
		ch.NewRelay = true
	}
	ch.FirstIdentity = identity && rel.Identity == 0
	a.stats.Aggregated++
	rel.Count++
	if rel.First.IsZero() || (!ev.Time.IsZero() && ev.Time.Before(rel.First)) {
		rel.First = ev.Time
	}
	if ev.Time.After(rel.Last) {
		rel.Last = ev.Time
	}
	if cls.problem != "" {
		rel.reps = bump(rel.reps, cls.problem)
	}
	if ev.Kind == mtalog.DNSWarning {
		rel.Warnings++
	} else {
		rel.Refusals++
		rel.cats = bump(rel.cats, cls.category)
		rel.addReply(ev, cls)
	}
	if identity {
		rel.Identity++
	}

	switch ev.Direction {
	case mtalog.Inbound:
		rel.MayBeForged = rel.MayBeForged || ev.MayBeForged
		if ev.HELO != "" {
			rel.HELO = addBounded(rel.HELO, ev.HELO, maxRelayHELOs)
		}
		if ev.RemoteName != "" {
			rel.RDNSLogged = addBounded(rel.RDNSLogged, strings.ToLower(ev.RemoteName), maxRelayRDNS)
		}
	case mtalog.Outbound:
		helo := a.opts.HELO
		if helo == "" && ev.Host != "" {
			helo = ev.Host
			rel.HELOInferred = true
		}
		if helo != "" {
			rel.HELO = addBounded(rel.HELO, helo, maxRelayHELOs)
		}
		if identity && len(rel.RefusedBy) < maxRelayRefusers {
			rel.RefusedBy = addBounded(rel.RefusedBy, ch.RefusedBy, maxRelayRefusers)
		}
	}
	rel.addExample(ev, line, identity)
	return ch
}

// addExample keeps the first lines, those about reverse DNS or HELO before
// (and in place of) the others.
func (rel *Relay) addExample(ev *mtalog.Event, line []byte, identity bool) {
	if len(rel.Examples) == maxRelayExamples && (!identity || rel.identityExamples == maxRelayExamples) {
		return
	}
	ex := line
	if ex == nil {
		ex = []byte(ev.Reply)
	}
	text := textutil.Cut(string(ex[:min(len(ex), maxExampleBytes+4)]), maxExampleBytes)
	if len(rel.Examples) == maxRelayExamples {
		rel.Examples = rel.Examples[:maxRelayExamples-1]
	}
	if !identity {
		rel.Examples = append(rel.Examples, text)
		return
	}
	rel.Examples = slices.Insert(rel.Examples, rel.identityExamples, text)
	rel.identityExamples++
}

// ourIP finds which of our addresses an outbound refusal is about: the one
// the reply quotes, else the only sender IP of the connection's family,
// else none.
func (a *Aggregator) ourIP(ev *mtalog.Event, cls replyClass) netip.Addr {
	if cls.clientIP.IsValid() && cls.clientIP != ev.RemoteIP {
		return cls.clientIP
	}
	if !ev.RemoteIP.IsValid() {
		if len(a.opts.SenderIPs) == 1 {
			return a.opts.SenderIPs[0]
		}
		return netip.Addr{}
	}
	// A connection to an IPv6 server left from our IPv6 address.
	var ours netip.Addr
	for _, ip := range a.opts.SenderIPs {
		if ip.Is4() == ev.RemoteIP.Unmap().Is4() {
			if ours.IsValid() {
				return netip.Addr{}
			}
			ours = ip
		}
	}
	return ours
}

func (rel *Relay) addReply(ev *mtalog.Event, cls replyClass) {
	for i := range rel.Replies {
		r := &rel.Replies[i]
		if r.Status == cls.status && r.Rule == cls.rule {
			r.Count++
			return
		}
	}
	if len(rel.Replies) >= maxRelayReplies {
		// The rarest tail is lumped into the last entry's count rather
		// than growing without bound.
		rel.Replies[len(rel.Replies)-1].Count++
		return
	}
	rel.Replies = append(rel.Replies, ReplyCount{Status: cls.status, Code: cls.code, Rule: cls.rule,
		Category: cls.category, Problem: cls.problem, Count: 1, Example: textutil.Cut(ev.Reply, maxReplyBytes)})
}

// refuser names who refused an outbound delivery: the registrable domain
// of the remote server, else the recipient's domain, else the server's IP.
// The last server's domain is remembered: a log names the same few servers
// over and over.
func (a *Aggregator) refuser(ev *mtalog.Event) string {
	if ev.RemoteName == "" {
		return refuserOther(ev)
	}
	if ev.RemoteName != a.lastServer {
		d := registrable(strings.ToLower(ev.RemoteName))
		// Owned copies: the event's strings may be borrowed.
		a.lastServer, a.lastDomain = strings.Clone(ev.RemoteName), strings.Clone(d)
	}
	if a.lastDomain != "" {
		return a.lastDomain
	}
	return refuserOther(ev)
}

// refuserOther names the refuser of an event whose server has no
// registrable name: the recipient's domain (an owned copy: the event's
// strings may be borrowed), else the server's IP.
func refuserOther(ev *mtalog.Event) string {
	if i := strings.LastIndexByte(ev.To, '@'); i >= 0 && i+1 < len(ev.To) {
		return strings.Clone(strings.ToLower(ev.To[i+1:]))
	}
	if ev.RemoteIP.IsValid() {
		return ev.RemoteIP.String()
	}
	return ""
}

func addBounded(list []string, s string, limit int) []string {
	if s == "" || len(list) >= limit || slices.Contains(list, s) {
		return list
	}
	return append(list, strings.Clone(s))
}

// Outbound reports whether the relay is one of ours, refused by remote
// servers (else it is a client our server refused).
func (r *Relay) Outbound() bool { return r.Direction == mtalog.Outbound }

// About says whether the reply was about reverse DNS or HELO.
func (rc ReplyCount) About() bool { return rc.Category == reply.RDNS || rc.Category == reply.HELO }
