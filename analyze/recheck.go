package analyze

import (
	"context"
	"net/netip"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"hopcheck/dns"
	"hopcheck/parse/mtalog"
	"hopcheck/problem"
)

// RelayVerdict is the judgment of one relay of a log, apart from its
// counters, with the time it was made.
type RelayVerdict struct {
	Judgment
	Checked   bool // looked up (false offline, for internal and unattributed relays)
	CheckedAt time.Time
}

// RecheckOptions configure Recheck and CheckRelay.
type RecheckOptions struct {
	// Concurrency bounds the relays checked at once (default
	// DefaultRecheckConcurrency online, the number of CPUs offline). It is
	// the relay count, not the query count: the Resolver bounds the
	// queries in flight at each server (dns.ClientOptions.Concurrency)
	// and paces them (dns.ClientOptions.MaxQPS), so this only needs to be
	// large enough to keep those bounds busy.
	Concurrency int
	// Internal replaces DefaultInternal: relays there are ours or our
	// clients' private hosts, whose reverse DNS no receiver judges.
	Internal []netip.Prefix
	// Progress, if not nil, is called after each check with the number
	// done and the total, from any goroutine.
	Progress func(done, total int)
	// Now is the clock of CheckedAt (time.Now when nil).
	Now func() time.Time
}

func (o RecheckOptions) now() time.Time {
	if o.Now != nil {
		return o.Now()
	}
	return time.Now()
}

// CheckRelay judges one relay: from DNS, or offline (r == nil) from what
// was logged plus the problems the replies reported.
func CheckRelay(ctx context.Context, r dns.Resolver, rel *Relay, opts RecheckOptions) RelayVerdict {
	internal := opts.Internal
	if internal == nil {
		internal = DefaultInternal
	}
	switch {
	case !rel.IP.IsValid():
		return rel.unattributed(opts.now())
	case inPrefixes(rel.IP, internal):
		return RelayVerdict{CheckedAt: opts.now(), Judgment: Judgment{Checks: notChecked(),
			Verdict: Verdict{Status: Aligned, IP: rel.IP, HELO: rel.checkHELO(), Fix: "internal address: its reverse DNS is not judged by receivers"}}}
	}
	j := Judge(ctx, r, rel.identity(r == nil))
	j.Verdict.HELO = rel.checkHELO()
	return RelayVerdict{Judgment: j, Checked: r != nil, CheckedAt: opts.now()}
}

// identity is the relay as Judge sees it; offline, the problems its replies
// reported are evidence too.
func (rel *Relay) identity(offline bool) Identity {
	id := Identity{IP: rel.IP, HELO: rel.checkHELO(), MayBeForged: rel.MayBeForged, Remote: !rel.Outbound()}
	if rel.Outbound() {
		// Inbound, the MTA that logged is ours, not the client's.
		id.MTA = rel.MTA
	}
	// The logged reverse name shows drift online and is the evidence
	// offline.
	if len(rel.RDNSLogged) > 0 {
		id.RDNS = rel.RDNSLogged[0]
	}
	if offline {
		id.Reported = rel.reportedProblems()
	}
	return id
}

// DefaultRecheckConcurrency is how many relays Recheck checks at once
// online by default: each has up to two queries in its first round trip,
// so this keeps the default bound of queries in flight of a dns.Client
// (dns.DefaultConcurrency) busy; the client's own bound holds the wire.
const DefaultRecheckConcurrency = 512

// Recheck judges every relay. Online, each distinct identity is checked
// once, at most Concurrency at a time (the Resolver caches and deduplicates
// the queries); offline (r == nil) relays are judged from what was logged.
// Relays in the internal ranges are not checked.
func Recheck(ctx context.Context, r dns.Resolver, relays []Relay, opts RecheckOptions) map[RelayKey]RelayVerdict {
	concurrency := opts.Concurrency
	switch {
	case concurrency > 0:
	case r == nil:
		// Offline judging is CPU work only.
		concurrency = runtime.GOMAXPROCS(0)
	default:
		concurrency = DefaultRecheckConcurrency
	}
	type job struct {
		rel     *Relay
		members []RelayKey
		v       RelayVerdict
	}
	type jobKey struct {
		ip   netip.Addr
		helo string
		mta  string
	}
	index := make(map[jobKey]*job)
	var jobs []*job
	for i := range relays {
		rel := &relays[i]
		k := jobKey{rel.IP, rel.checkHELO(), string(rel.MTA)}
		j := index[k]
		// Offline each relay is judged on its own evidence; unattributed
		// relays share no identity.
		if j == nil || r == nil || !rel.IP.IsValid() {
			j = &job{rel: rel}
			index[k] = j
			jobs = append(jobs, j)
		}
		j.members = append(j.members, rel.RelayKey)
	}

	var done atomic.Int64
	work := make(chan *job)
	var wg sync.WaitGroup
	for range min(concurrency, max(len(jobs), 1)) {
		wg.Go(func() {
			for j := range work {
				j.v = CheckRelay(ctx, r, j.rel, opts)
				n := done.Add(1)
				if opts.Progress != nil {
					opts.Progress(int(n), len(jobs))
				}
			}
		})
	}
	for _, j := range jobs {
		work <- j
	}
	close(work)
	wg.Wait()
	out := make(map[RelayKey]RelayVerdict, len(relays))
	for _, j := range jobs {
		for _, k := range j.members {
			out[k] = j.v
		}
	}
	return out
}

// unattributed is the verdict of outbound refusals whose sending IP the log
// does not show.
func (rel *Relay) unattributed(now time.Time) RelayVerdict {
	v := RelayVerdict{CheckedAt: now}
	v.Checks = notChecked()
	v.Problems = rel.reportedProblems()
	for i := range v.Problems {
		v.Problems[i].Fix = "our sending address is needed to check it"
	}
	v.Verdict = Verdict{Status: Unknown, HELO: rel.checkHELO(), Blocker: SenderNotInLog,
		Fix: "the log does not show which of our addresses the remote servers refused (their replies do not quote it)"}
	if rel.Identity == 0 {
		v.Verdict.Status, v.Verdict.Blocker, v.Verdict.Fix = Aligned, "", ""
	}
	if len(v.Problems) > 0 {
		p := v.Problems[0]
		v.Verdict.Problem, v.Verdict.Owner, v.Verdict.Detail = p.Name, p.Owner, p.Detail
	}
	return v
}

// reportedProblems turns the problems the replies and warnings pointed at
// into Problems, most frequent first.
func (rel *Relay) reportedProblems() []Problem {
	names := make([]problem.Name, 0, len(rel.Reported))
	for n := range rel.Reported {
		if n.Known() {
			names = append(names, n)
		}
	}
	slices.SortFunc(names, func(a, b problem.Name) int {
		if d := rel.Reported[b] - rel.Reported[a]; d != 0 {
			return d
		}
		return strings.Compare(string(a), string(b))
	})
	who := "the remote servers"
	if rel.Direction == mtalog.Inbound {
		who = "our server"
	}
	out := make([]Problem, 0, len(names))
	for _, n := range names {
		out = append(out, newProblem(n, sprintf("%s reported %s %s (offline: as logged)", who, n, Times(rel.Reported[n]))))
	}
	return out
}

// Times says how often: "once", "3 times".
func Times(n int) string {
	if n == 1 {
		return "once"
	}
	return sprintf("%d times", n)
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

// verdictRank orders statuses for the ranking: what to fix first; relays
// not judged yet come last.
func verdictRank(status Status) int {
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
// verdict (misaligned, unknown, aligned; verdicts may be nil), then by how
// often they were refused for identity reasons and in all; ties by IP.
func Rank(relays []Relay, verdicts map[RelayKey]RelayVerdict) {
	slices.SortStableFunc(relays, func(x, y Relay) int {
		if x.Direction != y.Direction {
			return int(y.Direction) - int(x.Direction) // outbound (2) first
		}
		if (x.Identity > 0) != (y.Identity > 0) {
			if x.Identity > 0 {
				return -1
			}
			return 1
		}
		if d := verdictRank(verdicts[x.RelayKey].Verdict.Status) - verdictRank(verdicts[y.RelayKey].Verdict.Status); d != 0 {
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
