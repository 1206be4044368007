package analyze

import (
	"context"
	"net/netip"
	"slices"
	"strings"
	"sync"

	mdns "github.com/miekg/dns"

	"hopcheck/dns"
	"hopcheck/probe"
)

// Target is one sending server to audit directly: an IP or a host name, and
// the name it announces in HELO when it sends, when known.
type Target struct {
	Host string // an IPv4 or IPv6 address, or a host name
	HELO string
}

// AuditOptions configure Audit.
type AuditOptions struct {
	// Probe, when not nil, talks SMTP to each address (port 25 or another)
	// and the banner and EHLO reply are compared with DNS.
	Probe func(ctx context.Context, ip netip.Addr) probe.Result
	// Authoritative asks the reverse zone's own servers and compares their
	// answer with the resolver's (has a PTR change propagated?).
	Authoritative bool
	Auth          dns.AuthOptions
	// Compare are more resolvers whose PTR answers are compared with the
	// main one's, by name (a resolver still serving an old PTR is named).
	Compare []NamedResolver
}

// NamedResolver is a resolver and what to call it in a report.
type NamedResolver struct {
	Name string
	dns.Resolver
}

// Audit is what a direct audit of one target found.
type Audit struct {
	Target Target
	// Name is the host name audited ("" for an address); ResolveError says
	// why it gave no address.
	Name         string
	ResolveError string
	Addrs        []AddrAudit
}

// HELOSource says where the HELO an address was judged with came from.
type HELOSource string

// HELO sources.
const (
	HELOGiven  HELOSource = "given"  // the caller said what the server announces
	HELOBanner HELOSource = "banner" // taken from the SMTP greeting's host name
	HELONone   HELOSource = "none"   // not known: the HELO was not checked
)

// AddrAudit is the audit of one address of a target.
type AddrAudit struct {
	IP         netip.Addr
	HELO       string
	HELOSource HELOSource
	Judgment   Judgment
	// SMTP is what the server showed on port 25 (nil without a probe);
	// Banner compares it with DNS.
	SMTP   *probe.Result
	Banner []string
	// Propagation compares the resolver's PTR with the reverse zone's own
	// servers and other resolvers (nil when not asked).
	Propagation *Propagation
}

// Worst is the status of the worst address of an audit: misaligned before
// unknown before aligned.
func (a *Audit) Worst() Status {
	worst := Aligned
	if a.ResolveError != "" || len(a.Addrs) == 0 {
		worst = Unknown
	}
	for _, x := range a.Addrs {
		if verdictRank(x.Judgment.Verdict.Status) < verdictRank(worst) {
			worst = x.Judgment.Verdict.Status
		}
	}
	return worst
}

// Propagation is the same PTR question put to several sources.
type Propagation struct {
	Zone      *dns.ZoneOwner
	Resolver  PTRAnswer   // the main resolver's answer
	Servers   []PTRAnswer // the zone's own servers, asked directly
	Resolvers []PTRAnswer // the other resolvers compared
	// Agree says every source gave the same names.
	Agree bool
	// Summary says what the comparison means, in plain words.
	Summary string
}

// PTRAnswer is one source's PTR answer.
type PTRAnswer struct {
	Source string // "resolver 127.0.0.53:53", "ns1.provider.example (192.0.2.53:53)"
	Status dns.Status
	Names  []string
	TTL    uint32
	Err    string
}

// Audit checks targets concurrently, each address through Judge, with the
// SMTP probe and the propagation check when asked. Results keep the
// targets' order.
func AuditTargets(ctx context.Context, r dns.Resolver, targets []Target, concurrency int, opts AuditOptions) []Audit {
	out := make([]Audit, len(targets))
	sem := make(chan struct{}, max(concurrency, 1))
	var wg sync.WaitGroup
	for i, t := range targets {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			out[i] = AuditTarget(ctx, r, t, opts)
		})
	}
	wg.Wait()
	return out
}

// AuditTarget audits one target: every A and AAAA address of a host name
// (an IPv6 path without an IPv6 PTR is a classic cause of refusals, so
// both families are shown), or the one address given.
func AuditTarget(ctx context.Context, r dns.Resolver, t Target, opts AuditOptions) Audit {
	a := Audit{Target: t}
	var ips []netip.Addr
	if ip, err := netip.ParseAddr(strings.Trim(t.Host, "[]")); err == nil {
		ips = []netip.Addr{ip.Unmap()}
	} else {
		a.Name = dns.NormalizeName(t.Host)
		addrs := dns.Addrs(ctx, r, a.Name)
		switch {
		case addrs.Err != nil:
			a.ResolveError = addrs.Err.Error()
		case len(addrs.List) == 0:
			a.ResolveError = sprintf("%s has no A or AAAA record (%s)", a.Name, addrs.Status)
		}
		ips = addrs.List
	}
	a.Addrs = make([]AddrAudit, len(ips))
	var wg sync.WaitGroup
	for i, ip := range ips {
		wg.Go(func() { a.Addrs[i] = auditAddr(ctx, r, ip, t.HELO, opts) })
	}
	wg.Wait()
	return a
}

func auditAddr(ctx context.Context, r dns.Resolver, ip netip.Addr, helo string, opts AuditOptions) AddrAudit {
	x := AddrAudit{IP: ip, HELO: helo, HELOSource: HELOGiven}
	if opts.Probe != nil {
		res := opts.Probe(ctx, ip)
		x.SMTP = &res
	}
	if helo == "" {
		x.HELOSource = HELONone
		if x.SMTP != nil && x.SMTP.BannerHost != "" && !strings.HasPrefix(x.SMTP.BannerHost, "[") {
			x.HELO, x.HELOSource = x.SMTP.BannerHost, HELOBanner
		}
	}
	x.Judgment = Judge(ctx, r, Identity{IP: ip, HELO: x.HELO})
	if x.SMTP != nil {
		x.Banner = bannerNotes(x.SMTP, &x.Judgment.Checks)
	}
	if opts.Authoritative || len(opts.Compare) > 0 {
		x.Propagation = propagation(ctx, r, ip, x.Judgment, opts)
	}
	return x
}

// bannerNotes compares the names a server shows on port 25 with its PTR
// and forward DNS, and says the difference users confuse.
func bannerNotes(res *probe.Result, c *Checks) []string {
	if res.Outcome != probe.OK && res.Outcome != probe.Rejected {
		return []string{"SMTP: " + res.Detail}
	}
	confirmed := confirmedNames(c.Forward)
	var notes []string
	say := func(what, host string) {
		switch {
		case host == "":
			notes = append(notes, what+" names no host")
		case slices.Contains(confirmed, host):
			notes = append(notes, sprintf("%s names %s, the forward-confirmed PTR name", what, host))
		case len(confirmed) > 0:
			notes = append(notes, sprintf("%s names %s, not the PTR name %s", what, host, confirmed[0]))
		case len(c.PTR) > 0:
			notes = append(notes, sprintf("%s names %s; the PTR name %s does not resolve back", what, host, c.PTR[0]))
		default:
			notes = append(notes, sprintf("%s names %s; the address has no PTR to compare with", what, host))
		}
	}
	say("the greeting (banner)", res.BannerHost)
	if res.Outcome == probe.OK && res.EHLOCode/100 == 2 {
		say("the EHLO reply", res.EHLOHost)
	}
	notes = append(notes, "receivers judge the HELO this server sends when it delivers (Postfix smtp_helo_name, default $myhostname; Exim helo_data, default primary_hostname); the banner is what it shows when it receives (Postfix smtpd_banner): both should carry the name the PTR points to")
	return notes
}

// propagation asks the same PTR of the main resolver, of the reverse
// zone's own servers and of the other resolvers, and says whether they
// agree.
func propagation(ctx context.Context, r dns.Resolver, ip netip.Addr, j Judgment, opts AuditOptions) *Propagation {
	p := &Propagation{Resolver: ptrAnswer(ctx, r, "your resolver", ip)}
	if opts.Authoritative {
		name := j.Checks.ptr.Final
		if name == "" {
			name = dns.ReverseName(ip)
		}
		p.Zone = j.Owner
		if p.Zone == nil {
			p.Zone = dns.ZoneOwnerOf(ctx, r, j.Checks.ptr)
		}
		if p.Zone != nil {
			for _, a := range dns.AskAuthoritative(ctx, r, p.Zone, name, mdns.TypePTR, opts.Auth) {
				src := a.NS
				if a.Addr != "" {
					src += " (" + a.Addr + ")"
				}
				p.Servers = append(p.Servers, PTRAnswer{Source: src, Status: a.Status, Names: a.Values, TTL: a.TTL, Err: a.Err})
			}
		}
	}
	for _, nr := range opts.Compare {
		p.Resolvers = append(p.Resolvers, ptrAnswer(ctx, nr.Resolver, "resolver "+nr.Name, ip))
	}
	p.Agree, p.Summary = p.judge(opts.Authoritative)
	return p
}

func ptrAnswer(ctx context.Context, r dns.Resolver, source string, ip netip.Addr) PTRAnswer {
	res := dns.Lookup(ctx, r, dns.ReverseName(ip), mdns.TypePTR)
	a := PTRAnswer{Source: source, Status: res.Status, Names: dns.Values(res.Records)}
	if len(res.Records) > 0 {
		a.TTL = res.Records[0].Header().Ttl
	}
	if res.Err != nil {
		a.Err = res.Err.Error()
	}
	return a
}

func sameAnswer(a, b PTRAnswer) bool {
	if a.Status == dns.Found || b.Status == dns.Found {
		return a.Status == b.Status && slices.Equal(a.Names, b.Names)
	}
	return a.Status == b.Status || (a.Status != dns.Temporary && b.Status != dns.Temporary)
}

// judge says whether the sources agree, and what it means.
func (p *Propagation) judge(authoritative bool) (bool, string) {
	show := func(a PTRAnswer) string {
		if a.Status == dns.Found {
			return strings.Join(a.Names, ", ")
		}
		return string(a.Status)
	}
	if authoritative {
		if p.Zone == nil {
			return false, "the reverse zone's servers could not be found: propagation cannot be checked"
		}
		var published *PTRAnswer
		for i := range p.Servers {
			if p.Servers[i].Status != dns.Temporary {
				published = &p.Servers[i]
				break
			}
		}
		if published == nil {
			return false, sprintf("no server of %s answered: propagation cannot be checked", p.Zone.Zone)
		}
		for _, s := range p.Servers {
			if s.Status != dns.Temporary && !sameAnswer(s, *published) {
				return false, sprintf("the servers of %s disagree (%s says %s, %s says %s): a change is still spreading between them", p.Zone.Zone, published.Source, show(*published), s.Source, show(s))
			}
		}
		if !sameAnswer(p.Resolver, *published) {
			return false, sprintf("the change is published (%s serves %s) but your resolver still answers %s from its cache: it may do so for up to %d more seconds (the TTL it reports)", p.Zone.Zone, show(*published), show(p.Resolver), p.Resolver.TTL)
		}
		for _, o := range p.Resolvers {
			if !sameAnswer(o, *published) {
				return false, sprintf("%s still answers %s while %s serves %s: it may do so for up to %d more seconds", o.Source, show(o), p.Zone.Zone, show(*published), o.TTL)
			}
		}
		return true, sprintf("your resolver and the servers of %s agree: %s", p.Zone.Zone, show(*published))
	}
	for _, o := range p.Resolvers {
		if !sameAnswer(o, p.Resolver) {
			return false, sprintf("%s answers %s but your resolver %s: one of them still serves a cached answer (TTL %d s and %d s)", o.Source, show(o), show(p.Resolver), o.TTL, p.Resolver.TTL)
		}
	}
	return true, "every resolver compared gives the same answer: " + show(p.Resolver)
}
