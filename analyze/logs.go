package analyze

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"hopcheck/parse"
	"hopcheck/parse/mtalog"
	"hopcheck/parse/reply"
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
	// DefaultMaxRelays bounds the relays an Aggregator tracks; events of
	// further relays are only counted (LogStats.Overflow).
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
	Problem  string // the DESIGN.md problem the reply points at, if any
	Count    int
	Example  string // the first such reply text, cut to a few hundred bytes
}

// Relay is what the logs say about one relay, and, after Recheck, its
// verdict.
type Relay struct {
	RelayKey
	// HELO names: for inbound clients as logged; for our relays --helo or
	// the syslog host (HELOInferred).
	HELO         []string
	HELOInferred bool
	// RDNSLogged are reverse names the MTA logged for the IP.
	RDNSLogged []string
	// MayBeForged is Sendmail's mark that the client's PTR name did not
	// resolve back to it.
	MayBeForged bool
	// Software is the MTA that wrote the lines ("postfix", "exim",
	// "sendmail"): for our relays, the one whose HELO setting a fix names.
	Software string

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
	Reported map[string]int

	// Set by Recheck.
	Checked  bool // looked up (false offline or without an IP)
	Checks   Checks
	Problems []Problem
	Verdict  Verdict
}

// AggregatorOptions configure an Aggregator.
type AggregatorOptions struct {
	// SenderIPs are our sending addresses (--sender-ip). With exactly one,
	// outbound refusals that do not quote our IP are attributed to it.
	SenderIPs []netip.Addr
	// HELO is the name our relays announce (--helo); empty means infer it
	// from the syslog host of the line.
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
	Overflow   int // events of relays past MaxRelays, not aggregated
}

// Aggregator folds log events into per-relay summaries. It is streaming
// and its memory is bounded by the number of distinct relays. It is not
// safe for concurrent use.
type Aggregator struct {
	opts   AggregatorOptions
	relays map[RelayKey]*Relay
	stats  LogStats
	cache  replyCache
}

// NewAggregator returns an empty Aggregator.
func NewAggregator(opts AggregatorOptions) *Aggregator {
	if opts.MaxRelays <= 0 {
		opts.MaxRelays = DefaultMaxRelays
	}
	return &Aggregator{opts: opts, relays: make(map[RelayKey]*Relay), cache: replyCache{m: make(map[replyCacheKey]replyClass)}}
}

// Add counts ev if it is a refusal or a DNS warning; other events are
// ignored. Its example is built from the event's reply text.
func (a *Aggregator) Add(ev mtalog.Event) {
	if cls, ok := a.cache.classify(&ev); ok {
		a.add(&ev, nil, cls)
	}
}

// AddLine is Add with the log line the event came from, kept as an
// example.
func (a *Aggregator) AddLine(ev mtalog.Event, line []byte) {
	if cls, ok := a.cache.classify(&ev); ok {
		a.add(&ev, line, cls)
	}
}

// Stats returns the counts so far.
func (a *Aggregator) Stats() LogStats { return a.stats }

// Relays returns the relays in rank order (see Rank).
func (a *Aggregator) Relays() []*Relay {
	out := make([]*Relay, 0, len(a.relays))
	for _, r := range a.relays {
		out = append(out, r)
	}
	Rank(out)
	return out
}

// replyClass is what the aggregator needs of a classified reply.
type replyClass struct {
	category reply.Category
	status   string
	code     int
	rule     string
	problem  string
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

// classify says whether ev is counted and classifies its reply.
func (c *replyCache) classify(ev *mtalog.Event) (replyClass, bool) {
	switch {
	case ev.Direction == mtalog.Inbound && ev.Kind == mtalog.DNSWarning && ev.RemoteIP.IsValid():
		return replyClass{category: reply.RDNS, rule: warningRule, problem: warningProblem(ev.Reply)}, true
	case ev.Direction == mtalog.Inbound && ev.Kind == mtalog.Reject && ev.RemoteIP.IsValid():
	case ev.Direction == mtalog.Outbound && ev.Code >= 400 &&
		(ev.Kind == mtalog.Bounced || ev.Kind == mtalog.Deferred || ev.Kind == mtalog.Expired):
	default:
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
func warningProblem(text string) string {
	l := strings.ToLower(text)
	switch {
	case strings.Contains(l, "temporary failure"), strings.Contains(l, "try again"):
		return PTRTempError
	case strings.Contains(l, "no host name found"), strings.Contains(l, "no ptr"):
		return NoPTR
	}
	return FCrDNSFail
}

func (a *Aggregator) add(ev *mtalog.Event, line []byte, cls replyClass) {
	key := RelayKey{Direction: ev.Direction, IP: ev.RemoteIP}
	if ev.Direction == mtalog.Outbound {
		key.IP = a.ourIP(ev, cls)
	}
	rel := a.relays[key]
	if rel == nil {
		if len(a.relays) >= a.opts.MaxRelays {
			a.stats.Overflow++
			return
		}
		rel = &Relay{RelayKey: key, Categories: make(map[reply.Category]int), Reported: make(map[string]int),
			Software: ev.Dialect.String()}
		a.relays[key] = rel
	}
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
	identity := ev.Kind == mtalog.DNSWarning || cls.category == reply.RDNS || cls.category == reply.HELO
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
		if cls.category == reply.RDNS || cls.category == reply.HELO {
			rel.RefusedBy = addBounded(rel.RefusedBy, refuser(ev), maxRelayRefusers)
		}
	}
	rel.addExample(ev, line, identity)
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
	text := cut(string(ex[:min(len(ex), maxExampleBytes+4)]), maxExampleBytes)
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
// the reply quotes, else the only --sender-ip, else none.
func (a *Aggregator) ourIP(ev *mtalog.Event, cls replyClass) netip.Addr {
	if cls.clientIP.IsValid() && cls.clientIP != ev.RemoteIP {
		return cls.clientIP
	}
	if len(a.opts.SenderIPs) == 1 {
		return a.opts.SenderIPs[0]
	}
	return netip.Addr{}
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
		Category: cls.category, Problem: cls.problem, Count: 1, Example: cut(ev.Reply, maxReplyBytes)})
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

// cut shortens s to at most n bytes on a UTF-8 boundary, marking the cut.
func cut(s string, n int) string {
	if len(s) <= n {
		return strings.Clone(s)
	}
	i := n
	for i > 0 && s[i]&0xc0 == 0x80 {
		i--
	}
	return s[:i] + "…"
}

// verdictRank orders statuses for the ranking: what to fix first; relays
// not judged yet come last.
func verdictRank(status string) int {
	switch status {
	case Misaligned:
		return 0
	case Unknown:
		return 1
	case Aligned:
		return 2
	}
	return 3
}

// Rank sorts relays for a reader: our relays before the clients we refused;
// within each, relays with reverse DNS or HELO trouble first, then by
// verdict (misaligned, unknown, aligned), then by how often they were
// refused for identity reasons and in all; ties by IP.
func Rank(relays []*Relay) {
	slices.SortStableFunc(relays, func(x, y *Relay) int {
		if x.Direction != y.Direction {
			return int(y.Direction) - int(x.Direction) // outbound (2) first
		}
		if (x.Identity > 0) != (y.Identity > 0) {
			if x.Identity > 0 {
				return -1
			}
			return 1
		}
		if d := verdictRank(x.Verdict.Status) - verdictRank(y.Verdict.Status); d != 0 {
			return d
		}
		if x.Identity != y.Identity {
			return y.Identity - x.Identity
		}
		if x.Count != y.Count {
			return y.Count - x.Count
		}
		return x.IP.Compare(y.IP)
	})
}

// CheckRelay checks one relay's IP and HELO name as checkHop does for a
// hop of a message and gives its verdict, with a fix for every problem.
func CheckRelay(ctx context.Context, r Resolver, ip netip.Addr, helo string) (Verdict, Checks, []Problem) {
	return checkRelay(ctx, r, parse.Hop{Index: 1, IP: ip, HELO: helo}, "", nil)
}

// checkRelay judges hop: from DNS, or offline (r == nil) from what was
// logged plus the problems the replies reported.
func checkRelay(ctx context.Context, r Resolver, hop parse.Hop, software string, reported []Problem) (Verdict, Checks, []Problem) {
	hs := []HopResult{{Hop: hop, Checked: true, Software: software}}
	h := &hs[0]
	if r == nil {
		h.Checks, h.Problems = checkRecorded(hop)
		for _, p := range reported {
			if !slices.ContainsFunc(h.Problems, func(q Problem) bool { return q.Name == p.Name }) {
				h.Problems = append(h.Problems, p)
			}
		}
	} else {
		h.Checks, h.Problems = checkHop(ctx, r, hop)
	}
	v := verdict(ctx, r, hs, 0)
	v.Hop = 0
	for i := range h.Problems {
		p := &h.Problems[i]
		if p.Fix == "" {
			p.Fix = fixFor(h, *p, nil)
		}
	}
	return v, h.Checks, h.Problems
}

func times(n int) string {
	if n == 1 {
		return "once"
	}
	return fmt.Sprintf("%d times", n)
}

// reportedProblems turns the problems the replies and warnings pointed at
// into Problems, most frequent first.
func (rel *Relay) reportedProblems() []Problem {
	names := make([]string, 0, len(rel.Reported))
	for n := range rel.Reported {
		if ownerOf[n] != "" {
			names = append(names, n)
		}
	}
	slices.SortFunc(names, func(a, b string) int {
		if d := rel.Reported[b] - rel.Reported[a]; d != 0 {
			return d
		}
		return strings.Compare(a, b)
	})
	who := "the remote servers"
	if rel.Direction == mtalog.Inbound {
		who = "our server"
	}
	out := make([]Problem, 0, len(names))
	for _, n := range names {
		out = append(out, Problem{Name: n, Owner: ownerOf[n],
			Detail: fmt.Sprintf("%s reported %s %s (offline: as logged)", who, n, times(rel.Reported[n]))})
	}
	return out
}

// checkHELO is the HELO name a relay is checked with: an inferred syslog
// host name is used only when it is fully qualified, since syslog often
// logs the short host name while the MTA announces the full one.
func (rel *Relay) checkHELO() string {
	if len(rel.HELO) == 0 {
		return ""
	}
	if rel.HELOInferred && !strings.Contains(rel.HELO[0], ".") {
		return ""
	}
	return rel.HELO[0]
}

// RecheckOptions configure Recheck.
type RecheckOptions struct {
	// Concurrency bounds the relays checked at once (default 32).
	Concurrency int
	// Internal replaces DefaultInternal: relays there are ours or our
	// clients' private hosts, whose reverse DNS no receiver judges.
	Internal []netip.Prefix
	// Progress, if not nil, is called after each check with the number
	// done and the total, from any goroutine.
	Progress func(done, total int)
}

// Recheck gives every relay a verdict. Online, each distinct (IP, HELO) is
// checked once, at most Concurrency at a time (the Resolver caches and
// deduplicates the queries); offline (r == nil) relays are judged from what
// was logged. Relays in the internal ranges are not checked.
func Recheck(ctx context.Context, r Resolver, relays []*Relay, opts RecheckOptions) {
	concurrency, progress := opts.Concurrency, opts.Progress
	if concurrency <= 0 {
		concurrency = 32
	}
	internal := opts.Internal
	if internal == nil {
		internal = DefaultInternal
	}
	type job struct {
		hop      parse.Hop
		software string
		reported []Problem
		members  []*Relay
		v        Verdict
		c        Checks
		ps       []Problem
	}
	type jobKey struct {
		ip       netip.Addr
		helo     string
		software string
	}
	index := make(map[jobKey]*job)
	var jobs []*job
	for _, rel := range relays {
		if !rel.IP.IsValid() {
			rel.judgeUnattributed()
			continue
		}
		if inPrefixes(rel.IP, internal) {
			rel.Checks = Checks{PTRStatus: StatusNotChecked, FCrDNS: StatusNotChecked, HELOMatch: MatchNone}
			rel.Verdict = Verdict{Status: Aligned, IP: rel.IP, HELO: rel.checkHELO(), Fix: "internal address: its reverse DNS is not judged by receivers"}
			continue
		}
		k := jobKey{rel.IP, rel.checkHELO(), rel.Software}
		j := index[k]
		if j == nil || r == nil {
			// The logged reverse name shows drift online and is the
			// evidence offline, where each relay is judged on its own.
			rdns := ""
			if len(rel.RDNSLogged) > 0 {
				rdns = rel.RDNSLogged[0]
			}
			j = &job{hop: parse.Hop{Index: 1, IP: rel.IP, HELO: k.helo, RDNS: rdns, MayBeForged: rel.MayBeForged}, software: rel.Software}
			if r == nil {
				j.reported = rel.reportedProblems()
			}
			index[k] = j
			jobs = append(jobs, j)
		}
		j.members = append(j.members, rel)
	}

	var done atomic.Int64
	work := make(chan *job)
	var wg sync.WaitGroup
	for range min(concurrency, max(len(jobs), 1)) {
		wg.Go(func() {
			for j := range work {
				j.v, j.c, j.ps = checkRelay(ctx, r, j.hop, j.software, j.reported)
				n := done.Add(1)
				if progress != nil {
					progress(int(n), len(jobs))
				}
			}
		})
	}
	for _, j := range jobs {
		work <- j
	}
	close(work)
	wg.Wait()
	for _, j := range jobs {
		for _, rel := range j.members {
			rel.Checked = r != nil
			rel.Verdict, rel.Checks, rel.Problems = j.v, j.c, j.ps
			rel.Verdict.HELO = rel.checkHELO()
		}
	}
	Rank(relays)
}

// judgeUnattributed gives the verdict of outbound refusals whose sending
// IP the log does not show.
func (rel *Relay) judgeUnattributed() {
	rel.Checks = Checks{PTRStatus: StatusNotChecked, FCrDNS: StatusNotChecked, HELOMatch: MatchNone}
	rel.Problems = rel.reportedProblems()
	for i := range rel.Problems {
		rel.Problems[i].Fix = "run again with --sender-ip ADDR (our sending address) to check it"
	}
	rel.Verdict = Verdict{Status: Unknown, HELO: rel.checkHELO(),
		Fix: "the log does not show which of our addresses the remote servers refused (their replies do not quote it): run again with --sender-ip ADDR"}
	if rel.Identity == 0 {
		rel.Verdict.Status = Aligned
		rel.Verdict.Fix = ""
	}
	if len(rel.Problems) > 0 {
		rel.Verdict.Problem, rel.Verdict.Owner, rel.Verdict.Detail = rel.Problems[0].Name, rel.Problems[0].Owner, rel.Problems[0].Detail
	}
}

// ScanOptions configure Aggregator.Scan.
type ScanOptions struct {
	// Since and Until, when not zero, keep events at or after Since and
	// before Until.
	Since, Until time.Time
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
var scanChunk = 1 << 20

type chunk struct {
	mem     *scanBuf // returned to the free list when done
	buf     []byte   // whole lines, within mem
	first   int      // line number of the first line
	tooLong int      // over-long lines the reader dropped before this chunk
}

type scanItem struct {
	ev         mtalog.Event
	cls        replyClass
	start, end int
}

type parsed struct {
	c     *chunk
	items []scanItem
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
	parsers := make([]*mtalog.Parser, workers)
	for i := range parsers {
		parsers[i] = newParser()
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
		readErr = readChunks(r, maxLine, free, in, stop, opts.Lines)
	})
	for i := range workers {
		wg.Go(func() {
			defer close(out[i])
			cache := replyCache{m: make(map[replyCacheKey]replyClass)}
			for c := range in[i] {
				out[i] <- parseChunk(c, parsers[i], &cache, &opts)
			}
		})
	}

	var err error
	for n := 0; ; n++ {
		p, ok := <-out[n%workers]
		if !ok {
			break
		}
		a.stats.TooLong += p.c.tooLong
		a.stats.Lines += p.c.tooLong
		if err == nil {
			for i := range p.items {
				it := &p.items[i]
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
func readChunks(r io.Reader, maxLine int, free chan *scanBuf, in []chan *chunk, stop chan struct{}, lines *atomic.Int64) error {
	var carry []byte // the unfinished last line of the previous buffer
	line, seq, tooLong := 1, 0, 0
	discarding := false
	send := func(mem *scanBuf, buf []byte) bool {
		c := &chunk{mem: mem, buf: buf, first: line, tooLong: tooLong}
		n := bytes.Count(buf, []byte{'\n'})
		if len(buf) > 0 && buf[len(buf)-1] != '\n' {
			n++
		}
		line += n
		tooLong = 0
		if lines != nil {
			lines.Add(int64(n + c.tooLong))
		}
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
			// Counted after the lines before it, which send numbered.
			tooLong++
			line++
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

// parseChunk parses the lines of c and classifies the events to count.
func parseChunk(c *chunk, p *mtalog.Parser, cache *replyCache, opts *ScanOptions) parsed {
	res := parsed{c: c, items: c.mem.items[:0]}
	buf := c.buf
	for ln, pos := c.first, 0; pos < len(buf); ln++ {
		end := bytes.IndexByte(buf[pos:], '\n')
		next := pos + end + 1
		if end < 0 {
			end = len(buf) - pos
			next = len(buf)
		}
		line := buf[pos : pos+end]
		start := pos
		pos = next
		line = bytes.TrimSuffix(line, []byte("\r"))
		ev, ok := p.Parse(line)
		if !ok {
			continue
		}
		if !opts.Since.IsZero() && ev.Time.Before(opts.Since) || !opts.Until.IsZero() && !ev.Time.Before(opts.Until) {
			continue
		}
		cls, ok := cache.classify(&ev)
		if !ok {
			continue
		}
		ev.Line = ln
		res.items = append(res.items, scanItem{ev: ev, cls: cls, start: start, end: start + len(line)})
	}
	return res
}
