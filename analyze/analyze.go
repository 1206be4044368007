package analyze

import (
	"context"
	"net/netip"
	"sync"

	"hopcheck/dns"
	"hopcheck/parse"
	"hopcheck/problem"
)

// DefaultInternal are the ranges whose senders are the receiving side's own:
// RFC 1918, loopback, link-local, shared address space (RFC 6598) and
// unique local IPv6.
var DefaultInternal = []netip.Prefix{
	netip.MustParsePrefix("10.0.0.0/8"),
	netip.MustParsePrefix("172.16.0.0/12"),
	netip.MustParsePrefix("192.168.0.0/16"),
	netip.MustParsePrefix("127.0.0.0/8"),
	netip.MustParsePrefix("169.254.0.0/16"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("::1/128"),
	netip.MustParsePrefix("fe80::/10"),
	netip.MustParsePrefix("fc00::/7"),
}

// maxCheckedHops bounds the hops of one path that are looked up.
const maxCheckedHops = 64

// Options configure Analyze and Message.
type Options struct {
	// Resolver answers the lookups; nil means offline: judge from what the
	// receivers recorded.
	Resolver dns.Resolver
	// Internal replaces DefaultInternal when non-nil.
	Internal []netip.Prefix
	// SenderIP and HELO are, for a bounce, the refused relay's address and
	// announced name when the bounce does not say them.
	SenderIP netip.Addr
	HELO     string
}

func (o Options) internal() []netip.Prefix {
	if o.Internal == nil {
		return DefaultInternal
	}
	return o.Internal
}

// HopResult is one hop with what the analyzer found.
type HopResult struct {
	parse.Hop
	Internal bool
	// Checked is true when the hop's IP was looked up (or, offline, judged
	// from the record): external hops with an IP up to the judged one.
	Checked  bool
	Checks   Checks
	Problems []Problem
	// MTA is the relay's software as its own stamp on the previous hop
	// names it.
	MTA parse.MTA
	// Platform names the big mail platform (Microsoft 365, Google, …) both
	// ends of the hop belong to: the platform's own hop, not checked.
	Platform string
	// Refused marks the connection a bounce reported as refused, which left
	// no Received field: its address came as Bounce.RelayIPSource says.
	Refused bool

	refused *refusedConn // what the bounce says of it, when Refused
}

// refusedConn is the connection a bounce reports as refused: a hop, the
// names known for its sender, and the problem the remote's reply reported
// (evidence offline, as a log's refusal is).
type refusedConn struct {
	hop      parse.Hop
	names    []string
	reported []Problem
}

// identity is the hop's sender as Judge sees it.
func (h *HopResult) identity() Identity {
	id := Identity{IP: h.IP, HELO: h.HELO, RDNS: h.RDNS, RDNSRecorded: h.RDNSRecorded, MayBeForged: h.MayBeForged, MTA: h.MTA}
	if h.refused != nil {
		id.Names, id.Reported = h.refused.names, h.refused.reported
	}
	return id
}

// Finding is a problem on a hop other than the judged one's main problem.
type Finding struct {
	Hop  int
	IP   netip.Addr
	HELO string
	Problem
}

// Result is a complete analysis.
type Result struct {
	// Source describes the message read, when Read read it.
	Source MessageSource
	// Bounce is what the remote server said, when the input was a bounce.
	Bounce   *Bounce
	Hops     []HopResult
	Verdict  Verdict
	Findings []Finding
	Offline  bool
}

// Analyze checks every external hop of a path (chronological, as from
// parse.Hops), picks the hop the receiver judged — the newest whose sender
// is external — and gives the verdict. Lookups of different hops run
// concurrently; the Resolver bounds and deduplicates them.
func Analyze(ctx context.Context, hops []parse.Hop, opts Options) *Result {
	return analyzePath(ctx, hops, nil, opts)
}

// analyzePath is Analyze with, for a bounce, the refused connection added
// as the newest hop and judged.
func analyzePath(ctx context.Context, hops []parse.Hop, refused *refusedConn, opts Options) *Result {
	res := &Result{Offline: opts.Resolver == nil, Hops: make([]HopResult, len(hops), len(hops)+1)}
	for i, h := range hops {
		res.Hops[i] = HopResult{Hop: h}
	}
	if refused != nil {
		j := refused.hop
		j.Index = len(hops) + 1
		res.Hops = append(res.Hops, HopResult{Hop: j, Refused: true, refused: refused})
	}
	internal := opts.internal()
	for i := range res.Hops {
		h := &res.Hops[i]
		h.Internal = h.IP.IsValid() && inPrefixes(h.IP, internal)
		if h.IP.IsValid() && !h.Refused {
			h.Platform = platformInternal(h)
		}
		h.Checked = h.IP.IsValid() && !h.Internal && h.Platform == ""
		if i > 0 {
			h.MTA = parse.StampMTA(res.Hops[i-1].Raw)
		}
	}

	judged := judgedHop(res.Hops, refused != nil)
	// Hops after the judged one are the receiving side's own: not checked,
	// so that no finding asks the receiver's provider to fix its hosts.
	for i := judged + 1; judged >= 0 && i < len(res.Hops); i++ {
		res.Hops[i].Checked = false
	}
	// A crafted header can carry thousands of Received fields; MTAs give
	// up on a message long before (Postfix's hopcount_limit is 50). Only
	// the maxCheckedHops nearest the judged hop are looked up.
	checked := 0
	for i := len(res.Hops) - 1; i >= 0; i-- {
		if res.Hops[i].Checked {
			checked++
			res.Hops[i].Checked = checked <= maxCheckedHops
		}
	}
	verdicts := make([]Verdict, len(res.Hops))
	var wg sync.WaitGroup
	for i := range res.Hops {
		h := &res.Hops[i]
		if !h.Checked {
			h.Checks = notChecked()
			continue
		}
		wg.Go(func() {
			j := Judge(ctx, opts.Resolver, h.identity())
			h.Checks, h.Problems, verdicts[i] = j.Checks, j.Problems, j.Verdict
		})
	}
	wg.Wait()

	if judged < 0 {
		res.Verdict = Verdict{Status: Unknown, Blocker: NoExternalHop,
			Fix: "no hop with an external sender's IP was found: the full headers of the received message (every Received field) or the sending IP are needed"}
	} else {
		res.Verdict = verdicts[judged]
		res.Verdict.Hop = res.Hops[judged].Index
		if origin := originHop(res.Hops); origin >= 0 && origin != judged && res.Verdict.Status == Misaligned {
			o, j := &res.Hops[origin], &res.Hops[judged]
			p := newProblem(problem.RelayRewrite, sprintf("the message entered at hop %d (%s), but the receiver judged hop %d (%s): a relay in between is the sender receivers see", o.Index, o.IP, j.Index, j.IP))
			p.Fix = sprintf("fix the relay of hop %d (%s), not the origin at hop %d", j.Index, describe(j.Hop), o.Index)
			j.Problems = append(j.Problems, p)
		}
	}
	for i := range res.Hops {
		h := &res.Hops[i]
		for _, p := range h.Problems {
			if i == judged && p.Name == res.Verdict.Problem {
				continue
			}
			res.Findings = append(res.Findings, Finding{Hop: h.Index, IP: h.IP, HELO: h.HELO, Problem: p})
		}
	}
	return res
}

func inPrefixes(ip netip.Addr, list []netip.Prefix) bool {
	for _, p := range list {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// judgedHop returns the index (into hops) of the newest hop whose sender is
// external, or -1. Hops that move mail inside the receiving organisation
// (sender name, receiving host and the final receiver all in one registrable
// domain, as Gmail's and Exchange Online's internal hops are) are passed
// over even with public addresses.
func judgedHop(hops []HopResult, refused bool) int {
	if refused {
		// The refused connection a bounce reported is the one judged.
		return len(hops) - 1
	}
	// receiving collects the domains of the hosts that received the
	// message from hop i on: a sender in one of them is the receiving
	// side passing mail on (Exchange Online's outlook.com and
	// office365.com hosts, Gmail's internal hops).
	receiving := map[string]bool{}
	for i := len(hops) - 1; i >= 0; i-- {
		h := hops[i]
		if d := registrable(dns.NormalizeName(h.By)); d != "" {
			receiving[d] = true
		}
		if !h.Checked {
			continue
		}
		if d := senderDomain(h.Hop); d != "" && receiving[d] {
			continue
		}
		return i
	}
	// Mail that never left one organisation: its newest external sender.
	for i := len(hops) - 1; i >= 0; i-- {
		if hops[i].Checked {
			return i
		}
	}
	return -1
}

// originHop returns the oldest hop with an external sender, or -1.
func originHop(hops []HopResult) int {
	for i, h := range hops {
		if h.Checked {
			return i
		}
	}
	return -1
}

// senderDomain is the registrable domain of a hop's sender: of the reverse
// name the receiver verified when its stamp records one (an "unknown" there
// is a sender from outside, whatever its HELO claims), else of the HELO.
func senderDomain(h parse.Hop) string {
	if h.RDNSRecorded || h.RDNS != "" {
		return registrable(h.RDNS)
	}
	name, kind := heloName(h.HELO)
	if kind == heloFQDN {
		return registrable(name)
	}
	return ""
}

// describe names a hop's sender by its IP and the name it announced (or
// the recorded reverse name when it announced none).
func describe(h parse.Hop) string {
	name, kind := heloName(h.HELO)
	if kind != heloFQDN {
		name = h.RDNS
	}
	if name == "" || name == h.IP.String() {
		return h.IP.String()
	}
	return sprintf("%s, %s", h.IP, name)
}
