package analyze

import (
	"context"
	"net/netip"
	"slices"
	"strings"
	"sync"

	"hopcheck/dns"
	"hopcheck/parse"
	"hopcheck/problem"
)

// Identity is one sending identity to judge: the address a connection came
// from, the name it announced, and what a receiver recorded of it. Message
// hops, log relays, bounce relays and audited servers are all judged as one.
type Identity struct {
	IP   netip.Addr
	HELO string // as announced; address literals keep their brackets
	// RDNS is the reverse name a receiver recorded for IP; RDNSRecorded says
	// the receiver recorded its lookup at all, so that RDNS "" means it
	// found no verified name ("unknown") rather than that nothing is known.
	RDNS         string
	RDNSRecorded bool
	// MayBeForged is Sendmail's mark that the PTR name did not resolve back.
	MayBeForged bool
	// MTA is the relay's software when known: the fix names its setting.
	MTA parse.MTA
	// Remote says the server is someone else's (a client our server
	// refused): fixes say what its admin must do, not what we must.
	Remote bool
	// Names are other names known for the sender (a bounce's reporting
	// MTA): one that forward-confirms to IP is a better PTR target than a
	// HELO that cannot work.
	Names []string
	// Reported are problems receivers reported for this identity (a log's
	// refusals): offline they are evidence, online the lookups decide.
	Reported []Problem
}

// recorded reports whether a receiver's reverse lookup is known.
func (id Identity) recorded() bool { return id.RDNSRecorded || id.RDNS != "" }

// Status is a verdict's outcome.
type Status string

// Verdict statuses.
const (
	Aligned    Status = "aligned"
	Misaligned Status = "misaligned"
	Unknown    Status = "unknown"
)

// Blocker says why a verdict is Unknown without a problem to show: a fact,
// which a caller turns into advice in its own terms.
type Blocker string

// Blockers.
const (
	NoExternalHop       Blocker = "no-external-hop"       // no hop with an external sender's address
	NothingRecorded     Blocker = "nothing-recorded"      // offline, and the receiver recorded no reverse name
	RelayAddressUnknown Blocker = "relay-address-unknown" // a bounce names no address of the refused relay
	SenderNotInLog      Blocker = "sender-not-in-log"     // a log does not show which of our addresses was refused
)

// Problem is one thing wrong with an identity.
type Problem struct {
	Name   problem.Name
	Owner  problem.Owner
	Detail string // what is wrong, with this identity's values
	Fix    string // what to change to what, and where
}

// newProblem makes a Problem with its owner from the vocabulary.
func newProblem(name problem.Name, detail string) Problem {
	return Problem{Name: name, Owner: name.Owner(), Detail: detail}
}

// Verdict is the answer for one identity, or for the hop a receiver judged.
type Verdict struct {
	Status  Status
	Hop     int // index of the judged hop in a path, 0 otherwise
	IP      netip.Addr
	HELO    string
	Problem problem.Name
	Owner   problem.Owner
	Detail  string // what is wrong, with the values
	// Fix is what to change to what, and where; for Unknown, what blocked
	// a decision.
	Fix     string
	Blocker Blocker
}

// Judgment is everything Judge found about one identity.
type Judgment struct {
	Checks   Checks
	Problems []Problem // ranked: the one a receiver trips over first comes first
	Verdict  Verdict
	// Owner is who serves the reverse zone of IP, when a problem is the IP
	// block owner's and DNS could tell.
	Owner *dns.ZoneOwner
}

// Judge checks one identity and gives its verdict, with a fix for every
// problem. With a Resolver it looks the identity up now; with nil it judges
// offline, from what the receiver recorded, by the same rules.
func Judge(ctx context.Context, r dns.Resolver, id Identity) Judgment {
	var j Judgment
	var ev evidence
	if r == nil {
		j.Checks, ev = recordedEvidence(id)
	} else {
		j.Checks, ev = lookUp(ctx, r, id)
	}
	ps := rules(id, &j.Checks, ev)
	if r == nil {
		for _, p := range id.Reported {
			if !slices.ContainsFunc(ps, func(q Problem) bool { return q.Name == p.Name }) {
				ps = append(ps, p)
			}
		}
	}
	slices.SortStableFunc(ps, func(a, b Problem) int { return a.Name.Rank() - b.Name.Rank() })
	if r != nil && slices.ContainsFunc(ps, func(p Problem) bool { return p.Owner == problem.IPOwner }) {
		j.Owner = dns.ZoneOwnerOf(ctx, r, j.Checks.ptr)
	}
	fc := &fixContext{id: id, c: &j.Checks, owner: j.Owner, confirmed: ev.confirmed}
	for i := range ps {
		if ps[i].Fix == "" {
			ps[i].Fix = fc.fix(ps[i])
		}
	}
	j.Problems = ps
	j.Verdict = verdictOf(id, r == nil, ps)
	return j
}

// verdictOf gives the verdict of ranked problems.
func verdictOf(id Identity, offline bool, ps []Problem) Verdict {
	v := Verdict{IP: id.IP, HELO: id.HELO}
	if len(ps) == 0 {
		v.Status = Aligned
		if offline && !id.recorded() {
			v.Status, v.Blocker = Unknown, NothingRecorded
			v.Fix = "offline, and no reverse name was recorded for this relay: its PTR must be looked up"
		}
		return v
	}
	p := ps[0]
	v.Status = Misaligned
	if p.Name == problem.PTRTempError {
		v.Status = Unknown
	}
	v.Problem, v.Owner, v.Detail, v.Fix = p.Name, p.Owner, p.Detail, p.Fix
	return v
}

// Lookup outcomes in Checks beyond dns.Status.
const NotChecked dns.Status = "not-checked"

// FCrDNS results.
const (
	FCrDNSPass    = "pass"
	FCrDNSFailed  = "fail"
	FCrDNSUnknown = "unknown"
)

// HELO match results.
const (
	MatchExact      = "exact"
	MatchSameDomain = "same-domain"
	MatchMismatch   = "mismatch"
	MatchLiteral    = "literal"
	MatchNone       = "none"
)

// Forward is the forward resolution of one name.
type Forward struct {
	Name      string
	Addrs     []netip.Addr
	Status    dns.Status
	MatchesIP bool   // one of Addrs is the identity's IP
	Error     string // the temporary failure, when Status is temperror
	Source    string // what answered: a resolver's address or a zone file
	TTL       uint32 // the answer's TTL (the smallest of its records)
}

// Generic is a PTR name judged generic, and why.
type Generic struct {
	Name   string
	Reason string
}

// Drift is a difference between the reverse name a receiver recorded and
// today's PTR names.
type Drift struct {
	Recorded string
	Now      []string
}

// Checks are the DNS facts of one identity, as looked up now (or, offline,
// not checked: the evidence is then what the receiver recorded).
type Checks struct {
	PTR         []string   // today's PTR names, in answer order
	PTRStatus   dns.Status // found, nxdomain, nodata, temperror, not-checked
	PTRError    string     // the temporary failure, when PTRStatus is temperror
	PTRSource   string     // what answered the PTR lookup: a resolver's address or a zone file
	PTRTTL      uint32     // the PTR answer's TTL
	Forward     []Forward
	FCrDNS      string // pass, fail, unknown, not-checked
	HELOMatch   string // exact, same-domain, mismatch, literal, none
	HELOForward *Forward
	GenericPTR  *Generic
	RDNSDrift   *Drift

	ptr     dns.Result // the PTR lookup: where it ended (RFC 2317), its failure, its zone's SOA
	aliases []Forward  // the resolution of Identity.Names
}

// notChecked are the Checks of an identity that was not looked up.
func notChecked() Checks {
	return Checks{PTRStatus: NotChecked, FCrDNS: string(NotChecked), HELOMatch: MatchNone}
}

// evidence is what the rules judge: today's DNS, or what a receiver
// recorded. Online and offline judgments differ only in it.
type evidence struct {
	recorded  bool       // the facts are a receiver's record, not lookups
	status    dns.Status // of the PTR; "" when nothing is known
	names     []string   // PTR names (now) or the recorded name
	fcrdns    string
	confirmed []string // names that resolve back to the IP
	forward   []Forward
	heloFwd   *Forward // nil when the HELO was not looked up
	generic   *Generic
	forged    bool
}

// maxPTRNames bounds how many PTR names of one IP are resolved forward.
const maxPTRNames = 10

// lookUp gathers an identity's DNS facts now, in two round trips at most:
// the PTR and the HELO's address at once, then the PTR names' addresses.
// Forward confirmation asks only the IP's family (A for IPv4, AAAA for
// IPv6), as Postfix does.
func lookUp(ctx context.Context, r dns.Resolver, id Identity) (Checks, evidence) {
	ip := id.IP
	c := Checks{FCrDNS: string(NotChecked)}
	helo, kind := heloName(id.HELO)
	var wg sync.WaitGroup
	if kind == heloFQDN {
		c.HELOForward = &Forward{Name: helo}
		wg.Go(func() { resolveForward(ctx, r, c.HELOForward, ip) })
	}
	names, res := dns.PTR(ctx, r, ip)
	c.PTR, c.PTRStatus, c.PTRSource, c.PTRTTL, c.ptr = names, res.Status, res.Source, dns.MinTTL(res.Records), res
	if res.Err != nil {
		c.PTRError = res.Err.Error()
	}
	c.Forward = make([]Forward, min(len(names), maxPTRNames))
	for i := range c.Forward {
		c.Forward[i].Name = names[i]
		wg.Go(func() { resolveForward(ctx, r, &c.Forward[i], ip) })
	}
	for _, n := range id.Names {
		if n = dns.NormalizeName(n); strings.Contains(n, ".") && n != helo && !slices.Contains(names, n) && len(c.aliases) < maxPTRNames {
			c.aliases = append(c.aliases, Forward{Name: n})
		}
	}
	for i := range c.aliases {
		wg.Go(func() { resolveForward(ctx, r, &c.aliases[i], ip) })
	}
	wg.Wait()
	if res.Status == dns.Found {
		c.FCrDNS = fcrdns(c.Forward)
		for _, n := range names {
			if ok, why := GenericPTR(n, ip); ok {
				c.GenericPTR = &Generic{Name: n, Reason: why}
				break
			}
		}
	}
	confirmed := confirmedNames(c.Forward)
	c.HELOMatch = heloMatch(helo, kind, names, confirmed)
	switch {
	case id.RDNS != "" && res.Status != dns.Temporary && !slices.Contains(names, id.RDNS):
		c.RDNSDrift = &Drift{Recorded: id.RDNS, Now: names}
	case id.RDNS == "" && id.RDNSRecorded && c.FCrDNS == FCrDNSPass:
		// The receiver found no verified name then; one resolves now.
		c.RDNSDrift = &Drift{Now: names}
	}
	return c, evidence{status: res.Status, names: names, fcrdns: c.FCrDNS, confirmed: confirmed,
		forward: c.Forward, heloFwd: c.HELOForward, generic: c.GenericPTR}
}

// recordedEvidence reads the facts a receiver recorded: a verified reverse
// name (receivers record only names that resolve back), "unknown", or a
// name marked "may be forged".
func recordedEvidence(id Identity) (Checks, evidence) {
	c := notChecked()
	ev := evidence{recorded: true}
	switch {
	case id.MayBeForged:
		ev.status, ev.names, ev.fcrdns = dns.Found, []string{id.RDNS}, FCrDNSFailed
		ev.forged = true
	case id.RDNS != "":
		ev.status, ev.names, ev.fcrdns, ev.confirmed = dns.Found, []string{id.RDNS}, FCrDNSPass, []string{id.RDNS}
	case id.RDNSRecorded:
		ev.status = dns.NXDomain
	}
	if id.RDNS != "" {
		if ok, why := GenericPTR(id.RDNS, id.IP); ok {
			ev.generic = &Generic{Name: id.RDNS, Reason: why}
			c.GenericPTR = ev.generic
		}
	}
	helo, kind := heloName(id.HELO)
	var recorded []string
	if id.RDNS != "" {
		recorded = []string{id.RDNS}
	}
	c.HELOMatch = heloMatch(helo, kind, recorded, nil)
	return c, ev
}

// resolveForward fills f with the addresses of f.Name.
func resolveForward(ctx context.Context, r dns.Resolver, f *Forward, ip netip.Addr) {
	a := dns.AddrsLike(ctx, r, f.Name, ip)
	f.Addrs, f.Status, f.Source, f.TTL = a.List, a.Status, a.Source, a.TTL
	if a.Err != nil {
		f.Error = a.Err.Error()
	}
	f.MatchesIP = slices.Contains(a.List, ip)
}

// fcrdns applies Postfix's rule: pass when any PTR name resolves back to the
// IP; unknown when none does but a lookup failed.
func fcrdns(fw []Forward) string {
	temp := false
	for _, f := range fw {
		if f.MatchesIP {
			return FCrDNSPass
		}
		temp = temp || f.Status == dns.Temporary
	}
	if temp {
		return FCrDNSUnknown
	}
	return FCrDNSFailed
}

func confirmedNames(fw []Forward) []string {
	var out []string
	for _, f := range fw {
		if f.MatchesIP {
			out = append(out, f.Name)
		}
	}
	return out
}

// rules derive an identity's problems from the evidence. Fix texts are
// filled in by Judge.
func rules(id Identity, c *Checks, ev evidence) []Problem {
	var ps []Problem
	add := func(name problem.Name, detail string) {
		if ev.recorded {
			detail += " (offline: as the receiver recorded it)"
		}
		ps = append(ps, newProblem(name, detail))
	}
	ip := id.IP.String()
	switch ev.status {
	case dns.Temporary:
		add(problem.PTRTempError, "the PTR lookup of "+ip+" failed ("+c.PTRError+"): nothing can be concluded about its reverse DNS")
	case dns.NXDomain, dns.NoData:
		if ev.recorded {
			add(problem.NoPTR, "the receiver recorded no verified reverse name for "+ip+": no PTR, or a PTR that does not resolve back")
		} else {
			add(problem.NoPTR, ip+" has no PTR record ("+string(ev.status)+")")
		}
	case dns.Found:
		if len(ev.names) > 1 {
			add(problem.MultiPTR, sprintf("%s has %d PTR names (%s); receivers use whichever comes first, so results flip", ip, len(ev.names), strings.Join(ev.names, ", ")))
		}
		switch {
		case ev.forged:
			add(problem.FCrDNSFail, sprintf("the receiver marked %s (may be forged): its PTR name %s did not resolve back to it", ip, id.RDNS))
		case ev.fcrdns == FCrDNSFailed:
			add(problem.FCrDNSFail, sprintf("the PTR name %s does not resolve back to %s (%s)", ev.names[0], ip, forwardSummary(ev.forward[0])))
		case ev.fcrdns == FCrDNSUnknown:
			add(problem.PTRTempError, sprintf("the forward lookup of %s failed (%s): FCrDNS cannot be decided", ev.names[0], ev.forward[0].Error))
		}
		if g := ev.generic; g != nil {
			if ev.recorded {
				add(problem.GenericPTR, sprintf("the recorded reverse name %s looks generic: %s", g.Name, g.Reason))
			} else {
				add(problem.GenericPTR, sprintf("the PTR name %s looks generic: %s", g.Name, g.Reason))
			}
		}
	}
	identityOK := ev.status == dns.Found && ev.fcrdns == FCrDNSPass && ev.generic == nil
	helo, kind := heloName(id.HELO)
	if why := heloNotAName(helo, kind); why != "" {
		add(problem.HELOUnresolvable, why)
	}
	if kind != heloFQDN {
		return ps
	}
	f := ev.heloFwd
	switch {
	case f == nil:
		// Not looked up: only what was recorded can differ.
		if identityOK && c.HELOMatch == MatchMismatch {
			add(problem.PTRMismatch, sprintf("the relay announced %s, but its reverse name was %s", helo, ev.names[0]))
		}
	case f.Status == dns.Temporary:
		add(problem.PTRTempError, sprintf("the lookup of the HELO name %s failed (%s)", helo, f.Error))
	case f.Status != dns.Found:
		add(problem.HELOUnresolvable, sprintf("the HELO name %s does not resolve (%s)", helo, f.Status))
	case !f.MatchesIP && ev.fcrdns == FCrDNSPass && ev.generic == nil:
		add(problem.HELOMismatch, sprintf("PTR and forward DNS agree on %s, but the relay announces %s, which resolves to %s", strings.Join(ev.confirmed, ", "), helo, joinAddrs(f.Addrs)))
	case !f.MatchesIP:
		add(problem.HELOUnresolvable, sprintf("the HELO name %s resolves to %s, not to %s", helo, joinAddrs(f.Addrs), ip))
	case identityOK && c.HELOMatch == MatchMismatch:
		add(problem.PTRMismatch, sprintf("the HELO name %s resolves to %s, but its PTR names %s", helo, ip, strings.Join(ev.names, ", ")))
	}
	return ps
}

type heloKind int

const (
	heloNone heloKind = iota
	heloLiteral
	heloBare    // a name with no dot: not a fully-qualified domain name
	heloPrivate // under a suffix no public DNS serves (localhost.localdomain, .lan, .internal)
	heloFQDN
)

// heloName normalizes an announced HELO name and says what kind it is.
func heloName(s string) (string, heloKind) {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return "", heloNone
	case strings.HasPrefix(s, "["):
		return s, heloLiteral
	case len(s) > 2 && s[0] == '?' && s[len(s)-1] == '?':
		// qmail writes a literal's brackets as '?': "?192.0.2.1?".
		if _, err := netip.ParseAddr(s[1 : len(s)-1]); err == nil {
			return s, heloLiteral
		}
	}
	s = dns.NormalizeName(s)
	if _, err := netip.ParseAddr(s); err == nil {
		return s, heloLiteral // a bare IP announced without brackets
	}
	if !strings.Contains(s, ".") {
		return s, heloBare
	}
	if !usableName(s) {
		return s, heloPrivate
	}
	return s, heloFQDN
}

// heloMatch compares the HELO name with the PTR names, preferring those
// that are forward-confirmed.
func heloMatch(helo string, kind heloKind, names, confirmed []string) string {
	switch kind {
	case heloNone:
		return MatchNone
	case heloLiteral:
		return MatchLiteral
	}
	candidates := confirmed
	if len(candidates) == 0 {
		candidates = names
	}
	if len(candidates) == 0 {
		return MatchMismatch
	}
	if slices.Contains(candidates, helo) {
		return MatchExact
	}
	hd := registrable(helo)
	for _, n := range candidates {
		if hd != "" && registrable(n) == hd {
			return MatchSameDomain
		}
	}
	return MatchMismatch
}

// heloNotAName says why an announced HELO is no host name at all, or "".
func heloNotAName(helo string, kind heloKind) string {
	switch kind {
	case heloLiteral:
		return sprintf("the relay announces the address literal %s instead of a host name", helo)
	case heloBare:
		return sprintf("the relay announces %q, which is not a fully-qualified domain name", helo)
	case heloPrivate:
		return sprintf("the relay announces %q, a name under a suffix no public DNS serves", helo)
	}
	return ""
}

func forwardSummary(f Forward) string {
	if f.Status != dns.Found {
		return f.Name + ": " + string(f.Status)
	}
	return f.Name + " → " + joinAddrs(f.Addrs)
}

func joinAddrs(list []netip.Addr) string {
	s := make([]string, len(list))
	for i, a := range list {
		s[i] = a.String()
	}
	return strings.Join(s, ", ")
}
