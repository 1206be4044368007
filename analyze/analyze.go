package analyze

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/miekg/dns"

	"hopcheck/parse"
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

// Options configure Analyze.
type Options struct {
	// Resolver answers the lookups; nil means offline: judge from what the
	// receivers recorded.
	Resolver Resolver
	// Internal replaces DefaultInternal when non-nil.
	Internal []netip.Prefix
	// Judge, when valid, is the connection a receiver refused that left no
	// Received field (a bounce's reporting relay): it is added as the
	// newest hop and judged.
	Judge parse.Hop
}

// Verdict statuses.
const (
	Aligned    = "aligned"
	Misaligned = "misaligned"
	Unknown    = "unknown"
)

// HopResult is one hop with what the analyzer found.
type HopResult struct {
	parse.Hop
	Internal bool
	// Checked is true when the hop's IP was looked up (or, offline, judged
	// from the record): external hops with an IP.
	Checked  bool
	Checks   Checks
	Problems []Problem
	// Software is the relay's MTA as its own stamp on the previous hop
	// names it ("postfix", "exim", "exchange", "sendmail"), "" if unknown.
	Software string
}

// Verdict is the answer for the hop the receiver judged.
type Verdict struct {
	Status  string // aligned, misaligned, unknown
	Hop     int    // index of the judged hop, 0 when none
	IP      netip.Addr
	HELO    string
	Problem string
	Owner   string
	Fix     string // concrete words: what to change to what, where; for unknown, what blocked a decision
	Detail  string // what is wrong, with the hop's values
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
	// Bounce is what the remote server said, when the input was a bounce.
	Bounce   *Bounce
	Hops     []HopResult
	Verdict  Verdict
	Findings []Finding
	Offline  bool
}

// Bounce is a remote server's refusal as a bounce reported it, classified.
// Its fields are those of the first failed recipient; Recipients has all.
type Bounce struct {
	Family       string // the bounce's shape: dsn, exim, gmail, exchange, …
	Status       string // enhanced status code, "5.7.25"
	ReplyCode    int
	Diagnostic   string     // the remote's reply, verbatim
	RemoteMTA    string     // the server that refused
	ReportingMTA string     // the relay that reported the refusal (the refused relay)
	RemoteIP     netip.Addr // the refusing server's address, when the bounce gives it
	Category     string     // reply category: rdns, helo, blocklist, …
	Permanent    bool
	Problem      string // the DESIGN.md problem the reply points to, if any
	Explanation  string // what the reply means, in plain words
	Recipients   []BounceRecipient
	// RelayIP is the refused relay's address and RelayIPSource how it was
	// found (IPQuoted, IPGiven, IPInferred); invalid when unknown.
	RelayIP       netip.Addr
	RelayIPSource string
}

// Analyze checks every external hop of a path (chronological, as from
// parse.Hops), picks the hop the receiver judged — the newest whose sender
// is external — and gives the verdict. Lookups of different hops run
// concurrently; the Resolver bounds and deduplicates them.
func Analyze(ctx context.Context, hops []parse.Hop, opts Options) *Result {
	internal := opts.Internal
	if internal == nil {
		internal = DefaultInternal
	}
	res := &Result{Offline: opts.Resolver == nil, Hops: make([]HopResult, len(hops), len(hops)+1)}
	for i, h := range hops {
		res.Hops[i] = HopResult{Hop: h}
	}
	if opts.Judge.IP.IsValid() {
		j := opts.Judge
		j.Index = len(hops) + 1
		res.Hops = append(res.Hops, HopResult{Hop: j})
	}
	for i := range res.Hops {
		h := &res.Hops[i]
		h.Internal = h.IP.IsValid() && inPrefixes(h.IP, internal)
		h.Checked = h.IP.IsValid() && !h.Internal
		if i > 0 {
			h.Software = mtaSoftware(res.Hops[i-1].Raw)
		}
	}

	judged := judgedHop(res.Hops, opts.Judge.IP.IsValid())
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
	var wg sync.WaitGroup
	for i := range res.Hops {
		h := &res.Hops[i]
		if !h.Checked {
			h.Checks = Checks{PTRStatus: StatusNotChecked, FCrDNS: StatusNotChecked, HELOMatch: MatchNone}
			continue
		}
		if opts.Resolver == nil {
			h.Checks, h.Problems = checkRecorded(h.Hop)
			continue
		}
		wg.Go(func() { h.Checks, h.Problems = checkHop(ctx, opts.Resolver, h.Hop) })
	}
	wg.Wait()

	res.Verdict = verdict(ctx, opts.Resolver, res.Hops, judged)
	if judged >= 0 {
		if origin := originHop(res.Hops); origin >= 0 && origin != judged && res.Verdict.Status == Misaligned {
			o, j := &res.Hops[origin], &res.Hops[judged]
			p := problem(RelayRewrite, "the message entered at hop %d (%s), but the receiver judged hop %d (%s): a relay in between is the sender receivers see", o.Index, o.IP, j.Index, j.IP)
			p.Fix = fmt.Sprintf("fix the relay of hop %d (%s), not the origin at hop %d", j.Index, describe(j.Hop), o.Index)
			j.Problems = append(j.Problems, p)
		}
	}
	for i := range res.Hops {
		h := &res.Hops[i]
		for k := range h.Problems {
			if h.Problems[k].Fix == "" {
				h.Problems[k].Fix = fixFor(h, h.Problems[k], nil)
			}
			if i == judged && h.Problems[k].Name == res.Verdict.Problem {
				continue
			}
			res.Findings = append(res.Findings, Finding{Hop: h.Index, IP: h.IP, HELO: h.HELO, Problem: h.Problems[k]})
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
func judgedHop(hops []HopResult, judge bool) int {
	if judge {
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
		if d := registrable(normalizeName(h.By)); d != "" {
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

// verdict judges hops[judged].
func verdict(ctx context.Context, r Resolver, hops []HopResult, judged int) Verdict {
	if judged < 0 {
		return Verdict{Status: Unknown, Fix: "no hop with an external sender's IP was found: paste the full headers of the received message (every Received field), or give the sending IP"}
	}
	h := &hops[judged]
	v := Verdict{Hop: h.Index, IP: h.IP, HELO: h.HELO}
	if len(h.Problems) == 0 {
		v.Status = Aligned
		if r == nil && !h.RDNSRecorded {
			v.Status = Unknown
			v.Fix = "offline, and no reverse name was recorded for this relay: run without --offline to look its PTR up"
		}
		return v
	}
	sort.SliceStable(h.Problems, func(a, b int) bool { return severity[h.Problems[a].Name] < severity[h.Problems[b].Name] })
	p := &h.Problems[0]
	v.Status = Misaligned
	if p.Name == PTRTempError {
		v.Status = Unknown
	}
	var owner *zoneOwner
	if r != nil && p.Owner == OwnerIP {
		owner = reverseZoneOwner(ctx, r, h.Checks.ptrEnd)
	}
	p.Fix = fixFor(h, *p, owner)
	v.Problem, v.Owner, v.Fix, v.Detail = p.Name, p.Owner, p.Fix, p.Detail
	return v
}

// checkRecorded judges a hop offline, from the reverse name and HELO the
// receiver recorded.
func checkRecorded(hop parse.Hop) (Checks, []Problem) {
	c := Checks{PTRStatus: StatusNotChecked, FCrDNS: StatusNotChecked}
	helo, kind := heloName(hop.HELO)
	var recorded []string
	if hop.RDNS != "" {
		recorded = []string{hop.RDNS}
	}
	c.HELOMatch = heloMatch(helo, kind, recorded, nil)
	var ps []Problem
	add := func(name, format string, args ...any) {
		p := problem(name, format, args...)
		p.Detail += " (offline: as the receiver recorded it)"
		ps = append(ps, p)
	}
	switch {
	case hop.MayBeForged:
		add(FCrDNSFail, "the receiver marked %s (may be forged): its PTR name %s did not resolve back to it", hop.IP, hop.RDNS)
	case hop.RDNS == "" && hop.RDNSRecorded:
		add(NoPTR, "the receiver recorded no verified reverse name for %s: no PTR, or a PTR that does not resolve back", hop.IP)
	}
	if hop.RDNS != "" {
		if ok, why := GenericPTR(hop.RDNS, hop.IP); ok {
			c.GenericPTR = &Generic{Name: hop.RDNS, Reason: why}
			add(GenericPTRName, "the recorded reverse name %s looks generic: %s", hop.RDNS, why)
		}
	}
	if why := heloNotAName(helo, kind); why != "" {
		add(HELOUnresolvable, "%s", why)
	}
	if kind == heloFQDN && hop.RDNS != "" && c.HELOMatch == MatchMismatch && c.GenericPTR == nil {
		add(PTRMismatch, "the relay announced %s, but its reverse name was %s", helo, hop.RDNS)
	}
	return c, ps
}

// zoneOwner is who serves the reverse zone an IP's PTR lives in.
type zoneOwner struct {
	Zone        string
	NameServers []string
}

// reverseZoneOwner finds the zone that holds the PTR name (where the PTR
// lookup ended, after RFC 2317 CNAMEs) from the SOA, and its name servers;
// nil when it cannot tell.
func reverseZoneOwner(ctx context.Context, r Resolver, name string) *zoneOwner {
	if name == "" {
		return nil
	}
	ans, err := r.Query(ctx, name, dns.TypeSOA)
	if err != nil {
		return nil
	}
	zone := ""
	for _, rr := range append(ans.Records, ans.Authority...) {
		if soa, ok := rr.(*dns.SOA); ok {
			zone = soa.Hdr.Name
			break
		}
	}
	if zone == "" {
		return nil
	}
	o := &zoneOwner{Zone: normalizeName(zone)}
	for _, rr := range lookup(ctx, r, zone, dns.TypeNS).Records {
		o.NameServers = append(o.NameServers, normalizeName(rr.(*dns.NS).Ns))
	}
	slices.Sort(o.NameServers)
	o.NameServers = slices.Compact(o.NameServers)
	return o
}

// mtaSoftware names the MTA that wrote a Received stamp.
func mtaSoftware(raw string) string {
	l := strings.ToLower(raw)
	switch {
	case strings.Contains(l, "(postfix"):
		return "postfix"
	case strings.Contains(l, "exim"):
		return "exim"
	case strings.Contains(l, "microsoft smtp"):
		return "exchange"
	case strings.Contains(l, "sendmail") || strings.Contains(l, "/8."):
		return "sendmail"
	case strings.Contains(l, "opensmtpd"):
		return "opensmtpd"
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
	return fmt.Sprintf("%s, %s", h.IP, name)
}
