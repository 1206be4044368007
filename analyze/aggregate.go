package analyze

import (
	"container/list"
	"maps"
	"net/netip"
	"slices"
	"strings"
	"time"

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
}

// clone is a deep copy of r, safe to read while the original changes.
func (r *Relay) clone() Relay {
	c := *r
	c.HELO = slices.Clone(r.HELO)
	c.RDNSLogged = slices.Clone(r.RDNSLogged)
	c.Categories = maps.Clone(r.Categories)
	c.Replies = slices.Clone(r.Replies)
	c.RefusedBy = slices.Clone(r.RefusedBy)
	c.Examples = slices.Clone(r.Examples)
	c.Reported = maps.Clone(r.Reported)
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
}

// Aggregator folds log events into per-relay summaries. It is streaming
// and its memory is bounded by MaxRelays. It is not safe for concurrent
// use.
type Aggregator struct {
	opts   AggregatorOptions
	relays map[RelayKey]*list.Element // of *Relay, most recently seen first
	lru    list.List
	stats  LogStats
	cache  replyCache
}

// NewAggregator returns an empty Aggregator.
func NewAggregator(opts AggregatorOptions) *Aggregator {
	if opts.MaxRelays <= 0 {
		opts.MaxRelays = DefaultMaxRelays
	}
	return &Aggregator{opts: opts, relays: make(map[RelayKey]*list.Element), cache: newReplyCache()}
}

// Add counts ev if it is a refusal or a DNS warning (other events change
// nothing) and says what changed. Its example is the event's reply text.
func (a *Aggregator) Add(ev mtalog.Event) Change {
	return a.AddLine(ev, nil)
}

// AddLine is Add with the log line the event came from, kept as an
// example.
func (a *Aggregator) AddLine(ev mtalog.Event, line []byte) Change {
	if cls, ok := a.cache.classify(&ev); ok {
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
	clientIP netip.Addr
}

type replyCacheKey struct {
	code   int
	status string
	prefix string
}

// replyCache memoizes reply.Parse: logs repeat the same few replies, and
// classifying one costs microseconds.
type replyCache struct {
	m map[replyCacheKey]replyClass
}

func newReplyCache() replyCache { return replyCache{m: make(map[replyCacheKey]replyClass)} }

// classify says whether ev is counted and classifies its reply.
func (c *replyCache) classify(ev *mtalog.Event) (replyClass, bool) {
	if ev.IsIdentityWarning() {
		return replyClass{category: reply.RDNS, rule: warningRule, problem: warningProblem(ev.Reply)}, true
	}
	if !ev.IsRefusal() {
		return replyClass{}, false
	}
	key := replyCacheKey{code: ev.Code, status: ev.Status, prefix: ev.Reply[:min(len(ev.Reply), replyCacheKeyBytes)]}
	if cls, ok := c.m[key]; ok {
		return cls, true
	}
	r := reply.Parse(ev.Reply)
	cls := replyClass{category: r.Category, status: r.Status, code: r.Code, rule: r.Rule, problem: r.Problem, clientIP: r.ClientIP}
	if cls.status == "" {
		cls.status = ev.Status
	}
	if cls.code == 0 {
		cls.code = ev.Code
	}
	if len(c.m) >= replyCacheMax {
		clear(c.m)
	}
	// The key must not pin the whole line's reply string.
	key.prefix = strings.Clone(key.prefix)
	key.status = strings.Clone(key.status)
	c.m[key] = cls
	return cls, true
}

// warningProblem names the problem an MTA's DNS warning reports.
func warningProblem(text string) problem.Name {
	l := strings.ToLower(text)
	switch {
	case strings.Contains(l, "temporary failure"), strings.Contains(l, "try again"):
		return problem.PTRTempError
	case strings.Contains(l, "no host name found"), strings.Contains(l, "no ptr"):
		return problem.NoPTR
	}
	return problem.FCrDNSFail
}

func (a *Aggregator) add(ev *mtalog.Event, line []byte, cls replyClass) Change {
	key := RelayKey{Direction: ev.Direction, IP: ev.RemoteIP}
	if ev.Direction == mtalog.Outbound {
		key.IP = a.ourIP(ev, cls)
	}
	identity := ev.Kind == mtalog.DNSWarning || cls.category == reply.RDNS || cls.category == reply.HELO
	ch := Change{Counted: true, Key: key, Identity: identity}
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
		rel = &Relay{RelayKey: key, Categories: make(map[reply.Category]int), Reported: make(map[problem.Name]int),
			MTA: ev.Dialect.MTA()}
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
		rel.Reported[cls.problem]++
	}
	if ev.Kind == mtalog.DNSWarning {
		rel.Warnings++
	} else {
		rel.Refusals++
		rel.Categories[cls.category]++
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
		if identity {
			rel.RefusedBy = addBounded(rel.RefusedBy, refuser(ev), maxRelayRefusers)
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

// refuser names who refused an outbound delivery: the registrable domain of
// the remote server, else the recipient's domain, else the server's IP.
func refuser(ev *mtalog.Event) string {
	if ev.RemoteName != "" {
		if d := registrable(strings.ToLower(ev.RemoteName)); d != "" {
			return d
		}
	}
	if i := strings.LastIndexByte(ev.To, '@'); i >= 0 && i+1 < len(ev.To) {
		return strings.ToLower(ev.To[i+1:])
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
