package watch

import (
	"context"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"hopcheck/analyze"
	"hopcheck/dns"
	"hopcheck/logstream"
	"hopcheck/parse/mtalog"
)

// Defaults of Options.
const (
	DefaultRepeat  = time.Hour
	DefaultRecheck = 10 * time.Minute
	// MinInterval is the least time between two checks of one relay, as
	// long as Recheck is not shorter: a relay refused a thousand times a
	// minute is looked up once.
	MinInterval = time.Minute
	// workers bound the checks made at once.
	workers = 8
	// maxPending bounds the checks waiting; past it a due check is dropped
	// (and made at the relay's next refusal).
	maxPending = 10000
	// saveEvery is how often the position is saved while lines come.
	saveEvery = 10 * time.Second
	// maxRelays bounds the relays tracked; the least recently seen are
	// forgotten first.
	maxRelays = 100000
	// maxEpisodes bounds the open alerts kept; past it the one alerted
	// longest ago is forgotten.
	maxEpisodes = 10000
)

// Options configure an Engine.
type Options struct {
	// Resolver answers the re-checks' DNS; nil judges offline, from what
	// the log recorded. It should cache, deduplicate and pace (dns.Client
	// under dns.Paced): the engine bounds how many checks run at once and
	// how often a relay is checked, not the queries of one check.
	Resolver dns.Resolver
	// Internal replaces analyze.DefaultInternal.
	Internal []netip.Prefix
	// SenderIPs and HELO are our relays' addresses and name (as in
	// analyze.AggregatorOptions).
	SenderIPs []netip.Addr
	HELO      string
	// All makes every counted refusal trigger a check, not only those
	// about reverse DNS or HELO.
	All bool
	// Inbound alerts on the clients our server refused too; by default
	// only our relays refused by others are checked and alerted on.
	Inbound bool
	// Repeat is how long the same relay and problem stay quiet after an
	// alert (DefaultRepeat).
	Repeat time.Duration
	// Recheck is how often a misaligned relay is checked again, to see it
	// recover (DefaultRecheck).
	Recheck time.Duration
	// Location of timestamps without a zone (nil: time.Local).
	Location *time.Location
	// Now is the clock of alerts, windows and of the years of classic
	// syslog stamps (time.Now when nil).
	Now func() time.Time
	// Alert receives each alert, from Run's goroutine; an error ends Run.
	Alert func(Alert) error
	// Blocked hears, once each, the reasons verdicts could not be made
	// (such as analyze.SenderNotInLog), for advice about flags.
	Blocked func(analyze.Blocker)
	// Logf receives notices about the engine itself.
	Logf func(format string, args ...any)
	// Metrics are kept up to date (a set of its own when nil).
	Metrics *Metrics
	// StatePath is where State is saved: after alerts (at most once a
	// second), every 10 seconds while lines come, and when Run ends. ""
	// saves nothing.
	StatePath string
	// Tick is how often windows and re-checks are looked at (default 1s).
	Tick time.Duration
}

// Stats count what an Engine did. They are safe to read while it runs.
type Stats struct {
	Lines, Events, Unknown, TooLong int64
	Checks, Dropped, Alerts         int64
}

// Engine turns log lines into alerts and metrics; see the package
// documentation. Only Stats may be called while Run runs.
type Engine struct {
	opts    Options
	minGap  time.Duration
	parser  *mtalog.Parser
	agg     *analyze.Aggregator
	metrics *Metrics

	pos      logstream.Position
	checked  map[analyze.RelayKey]time.Time // when each relay was last queued for a check
	episodes map[analyze.RelayKey]*Episode
	queue    *queue
	results  chan result
	blocked  map[analyze.Blocker]bool

	posMoved  bool // the position moved since the last save
	mustSave  bool // an alert was sent since the last save
	lastSave  time.Time
	saveErr   string
	parserSt  mtalog.Stats
	buf       []byte // the line being handled
	stats     struct{ lines, events, unknown, tooLong, checks, dropped, alerts atomic.Int64 }
	emitError error
}

type result struct {
	s Subject
	v analyze.RelayVerdict
}

// New returns an Engine that resumes from st (LoadState; the zero State
// for none).
func New(opts Options, st State) *Engine {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Repeat <= 0 {
		opts.Repeat = DefaultRepeat
	}
	if opts.Recheck <= 0 {
		opts.Recheck = DefaultRecheck
	}
	if opts.Tick <= 0 {
		opts.Tick = time.Second
	}
	if opts.Metrics == nil {
		opts.Metrics = NewMetrics(opts.Now)
	}
	p := mtalog.NewParser(opts.Location)
	p.Now = opts.Now
	p.RefusalsOnly = true // nothing else is counted
	e := &Engine{
		opts: opts, minGap: min(opts.Recheck, MinInterval), parser: p, metrics: opts.Metrics,
		agg:      analyze.NewAggregator(analyze.AggregatorOptions{SenderIPs: opts.SenderIPs, HELO: opts.HELO, MaxRelays: maxRelays}),
		pos:      st.Position,
		checked:  make(map[analyze.RelayKey]time.Time),
		episodes: make(map[analyze.RelayKey]*Episode),
		queue:    newQueue(maxPending),
		results:  make(chan result, workers),
		blocked:  make(map[analyze.Blocker]bool),
	}
	for i := range st.Episodes {
		ep := st.Episodes[i]
		e.episodes[ep.key()] = &ep
		e.metrics.setMisaligned(ep.Direction.String(), addrString(ep.IP), ep.Problem, true)
	}
	for _, s := range st.Pending {
		e.queue.push(s)
	}
	e.metrics.pending.Set(float64(e.queue.size()))
	return e
}

// Stats returns the counts so far.
func (e *Engine) Stats() Stats {
	s := &e.stats
	return Stats{Lines: s.lines.Load(), Events: s.events.Load(), Unknown: s.unknown.Load(), TooLong: s.tooLong.Load(),
		Checks: s.checks.Load(), Dropped: s.dropped.Load(), Alerts: s.alerts.Load()}
}

// Run reads src until ctx ends, then stops src and saves the state: the
// lines src had not delivered and the checks not made are those of the
// next run. When src ends by itself (a stream), Run first waits for the
// checks due to be made. The error is src's failure, a failure to write an
// alert, or ctx's end before the checks of an ended src were made.
func (e *Engine) Run(ctx context.Context, src logstream.Source) error {
	e.metrics.watch(src)
	wctx, stopWorkers := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() { e.work(wctx) })
	}
	finish := func(err error) error {
		stopWorkers()
		wg.Wait()
		e.save(true)
		if err == nil {
			err = e.emitError
		}
		return err
	}
	tick := time.NewTicker(e.opts.Tick)
	defer tick.Stop()
	lines := src.Lines()
	var srcErr error
	for e.emitError == nil {
		select {
		case l, ok := <-lines:
			if !ok {
				srcErr, lines = src.Stop(), nil
				break
			}
			e.line(l)
		case r := <-e.results:
			e.result(r)
		case <-tick.C:
			e.tick()
		case <-ctx.Done():
			err := src.Stop()
			if lines == nil {
				err = ctx.Err() // the checks of an ended input were not all made
			}
			return finish(err)
		}
		if lines == nil && e.queue.size() == 0 {
			return finish(srcErr)
		}
		if e.mustSave && time.Since(e.lastSave) >= time.Second {
			e.save(false)
		}
	}
	src.Stop()
	return finish(nil)
}

// work makes the checks, until ctx ends; a check cut short by the end is
// left in flight, for the state.
func (e *Engine) work(ctx context.Context) {
	ropts := analyze.RecheckOptions{Internal: e.opts.Internal, Now: e.opts.Now}
	for {
		s, ok := e.queue.pop(ctx)
		if !ok {
			return
		}
		v := analyze.CheckRelay(ctx, e.opts.Resolver, s.relay(), ropts)
		if ctx.Err() != nil {
			return
		}
		select {
		case e.results <- result{s, v}:
		case <-ctx.Done():
			return
		}
	}
}

// line handles one line of the log.
func (e *Engine) line(l logstream.Line) {
	now := e.opts.Now()
	e.pos, e.posMoved = l.Pos, true
	e.stats.lines.Add(1)
	e.metrics.line(now)
	if l.Truncated {
		e.stats.tooLong.Add(1) // cut by the source: what is left is no whole line
		e.metrics.tooLong.Inc()
		return
	}
	e.buf = append(e.buf[:0], l.Text...) // neither the parser nor the aggregator keeps it
	ev, ok := e.parser.Parse(e.buf)
	st := e.parser.Stats()
	if n := st.Unknown - e.parserSt.Unknown; n > 0 {
		e.stats.unknown.Add(int64(n))
		e.metrics.unknown.Add(float64(n))
	}
	if n := st.TooLong - e.parserSt.TooLong; n > 0 {
		e.stats.tooLong.Add(int64(n))
		e.metrics.tooLong.Add(float64(n))
	}
	e.parserSt = st
	if !ok {
		return
	}
	e.stats.events.Add(1)
	ch := e.agg.AddLine(ev, e.buf)
	dir := ev.Direction.String()
	if dir == "" {
		dir = "none"
	}
	category := "none" // not counted: no reply from a server, or no client to judge
	if ch.Counted {
		category = string(ch.Category) // as the aggregator classified it
	}
	e.metrics.events.WithLabelValues(ev.Kind.String(), dir, category).Inc()
	if ch.Counted {
		e.counted(&ev, ch, dir, now)
	}
}

// counted handles an event the aggregator counted: the refusal metrics,
// the open episode's window, and a check when one is due.
func (e *Engine) counted(ev *mtalog.Event, ch analyze.Change, dir string, now time.Time) {
	if ch.Evicted.Direction != mtalog.NoDirection {
		delete(e.checked, ch.Evicted)
		e.queue.remove(ch.Evicted)
	}
	if ev.Kind != mtalog.DNSWarning {
		provider := ch.Provider
		if provider == "" {
			provider = ch.RefusedBy
		}
		e.metrics.refusal(dir, orOther(provider), orNone(ch.Status), string(ch.Category))
	}
	if !ch.Identity && !e.opts.All {
		return
	}
	if ep := e.episodes[ch.Key]; ep != nil {
		ep.Refusals++
		ep.Total++
		ep.RefusedBy = addBounded(ep.RefusedBy, ch.RefusedBy)
		ep.Statuses = addBounded(ep.Statuses, ch.Status)
	}
	if ch.Key.Direction == mtalog.Inbound && !e.opts.Inbound {
		return
	}
	if last, ok := e.checked[ch.Key]; ok && now.Sub(last) < e.minGap {
		return
	}
	rel, _ := e.agg.Relay(ch.Key)
	e.enqueue(subjectOf(&rel), now)
}

// enqueue queues a check of s, counting it dropped when the queue is full.
func (e *Engine) enqueue(s Subject, now time.Time) {
	if !e.queue.push(s) {
		e.stats.dropped.Add(1)
		e.metrics.dropped.Inc()
		return
	}
	e.checked[s.key()] = now
	e.metrics.pending.Set(float64(e.queue.size()))
}

func orOther(s string) string {
	if s == "" {
		return other
	}
	return s
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// maxListed bounds the refusers and statuses an episode lists.
const maxListed = 8

func addBounded(list []string, s string) []string {
	if s == "" || len(list) >= maxListed {
		return list
	}
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}

func addrString(ip netip.Addr) string {
	if !ip.IsValid() {
		return ""
	}
	return ip.String()
}
