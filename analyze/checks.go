package analyze

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"sync"

	"golang.org/x/net/publicsuffix"

	"hopcheck/parse"
)

// Problem names, as in DESIGN.md.
const (
	NoPTR            = "no-ptr"
	PTRMismatch      = "ptr-mismatch"
	FCrDNSFail       = "fcrdns-fail"
	HELOMismatch     = "helo-mismatch"
	HELOUnresolvable = "helo-unresolvable"
	GenericPTRName   = "generic-ptr"
	MultiPTR         = "multi-ptr"
	PTRTempError     = "ptr-temperror"
	RelayRewrite     = "relay-rewrite"
)

// Owners of fixes, as in DESIGN.md.
const (
	OwnerIP    = "ip-owner"
	OwnerMail  = "mail-admin"
	OwnerDNS   = "dns-admin"
	OwnerRelay = "relay-admin"
)

// ownerOf is who fixes each problem (DESIGN.md's table). ptr-mismatch may
// be fixed on either side; the IP block's owner comes first (see fixFor).
var ownerOf = map[string]string{
	NoPTR: OwnerIP, GenericPTRName: OwnerIP, MultiPTR: OwnerIP, PTRMismatch: OwnerIP,
	FCrDNSFail: OwnerDNS, PTRTempError: OwnerDNS,
	HELOMismatch: OwnerMail, HELOUnresolvable: OwnerMail,
	RelayRewrite: OwnerRelay,
}

// problem makes a Problem with its owner and a detail in words.
func problem(name, format string, args ...any) Problem {
	return Problem{Name: name, Owner: ownerOf[name], Detail: fmt.Sprintf(format, args...)}
}

// severity orders problems for the verdict: the first one a receiver trips
// over comes first. Temporary failures come last: they decide nothing.
var severity = map[string]int{
	NoPTR: 1, FCrDNSFail: 2, GenericPTRName: 3, HELOUnresolvable: 4, HELOMismatch: 5,
	PTRMismatch: 6, MultiPTR: 7, RelayRewrite: 8, PTRTempError: 9,
}

// Lookup statuses in Checks.
const (
	StatusFound      = string(statusFound)
	StatusNXDomain   = string(statusNXDomain)
	StatusNoData     = string(statusNoData)
	StatusTempError  = string(statusTempError)
	StatusNotChecked = "not-checked"
)

// FCrDNS results.
const (
	FCrDNSPass    = "pass"
	FCrDNSFailed  = "fail"
	FCrDNSUnknown = "unknown"
)

// HELO match results, as in DESIGN.md.
const (
	MatchExact      = "exact"
	MatchSameDomain = "same-domain"
	MatchMismatch   = "mismatch"
	MatchLiteral    = "literal"
	MatchNone       = "none"
)

// Problem is one thing wrong with a hop.
type Problem struct {
	Name   string // a DESIGN.md problem name
	Owner  string // who fixes it
	Detail string // what is wrong, with this hop's values
	Fix    string // what to change to what, and where
}

// Forward is the forward resolution of one name.
type Forward struct {
	Name      string
	Addrs     []netip.Addr
	Status    string // found, nxdomain, nodata, temperror
	MatchesIP bool   // one of Addrs is the hop's IP
	Error     string // the temporary failure, when Status is temperror
}

// Generic is a PTR name judged generic, and why.
type Generic struct {
	Name   string
	Reason string
}

// Drift is a difference between the reverse name the receiver recorded
// and today's PTR names.
type Drift struct {
	Recorded string
	Now      []string
}

// Checks are the DNS facts of one hop, as looked up now (or, offline, as
// the receiver recorded them).
type Checks struct {
	PTR         []string // today's PTR names, in answer order
	PTRStatus   string   // found, nxdomain, nodata, temperror, not-checked
	PTRError    string   // the temporary failure, when PTRStatus is temperror
	Forward     []Forward
	FCrDNS      string // pass, fail, unknown, not-checked
	HELOMatch   string // exact, same-domain, mismatch, literal, none
	HELOForward *Forward
	GenericPTR  *Generic
	RDNSDrift   *Drift

	ptrEnd string // the name the PTR lookup ended at, after RFC 2317 CNAMEs
}

// maxPTRNames bounds how many PTR names of one IP are resolved forward.
const maxPTRNames = 10

// checkHop looks up hop's IP and names and derives its problems.
func checkHop(ctx context.Context, r Resolver, hop parse.Hop) (Checks, []Problem) {
	ip := hop.IP
	c := Checks{FCrDNS: StatusNotChecked}
	names, res := ptrNames(ctx, r, ip)
	c.PTR = names
	c.PTRStatus = string(res.Status)
	c.ptrEnd = res.Final
	if res.Err != nil {
		c.PTRError = res.Err.Error()
	}

	helo, heloKind := heloName(hop.HELO)
	var wg sync.WaitGroup
	if heloKind == heloFQDN {
		c.HELOForward = &Forward{Name: helo}
		wg.Go(func() { resolveForward(ctx, r, c.HELOForward, ip) })
	}
	c.Forward = make([]Forward, min(len(names), maxPTRNames))
	for i := range c.Forward {
		c.Forward[i].Name = names[i]
		wg.Go(func() { resolveForward(ctx, r, &c.Forward[i], ip) })
	}
	wg.Wait()

	if res.Status == statusFound {
		c.FCrDNS = fcrdns(c.Forward)
		for _, n := range names {
			if ok, why := GenericPTR(n, ip); ok {
				c.GenericPTR = &Generic{Name: n, Reason: why}
				break
			}
		}
	}
	c.HELOMatch = heloMatch(helo, heloKind, names, c.Forward)
	definite := res.Status != statusTempError
	switch {
	case hop.RDNS != "" && definite && !contains(names, hop.RDNS):
		c.RDNSDrift = &Drift{Recorded: hop.RDNS, Now: names}
	case hop.RDNS == "" && hop.RDNSRecorded && c.FCrDNS == FCrDNSPass:
		// The receiver found no verified name then; one resolves now.
		c.RDNSDrift = &Drift{Now: names}
	}
	return c, problemsFromDNS(hop, c, helo, heloKind)
}

// resolveForward fills f with the addresses of f.Name.
func resolveForward(ctx context.Context, r Resolver, f *Forward, ip netip.Addr) {
	list, st, err := addrs(ctx, r, f.Name)
	f.Addrs, f.Status = list, string(st)
	if err != nil {
		f.Error = err.Error()
	}
	for _, a := range list {
		if a == ip {
			f.MatchesIP = true
		}
	}
}

// fcrdns applies Postfix's rule: pass when any PTR name resolves back to the
// IP; unknown when none does but a lookup failed.
func fcrdns(fw []Forward) string {
	temp := false
	for _, f := range fw {
		if f.MatchesIP {
			return FCrDNSPass
		}
		temp = temp || f.Status == StatusTempError
	}
	if temp {
		return FCrDNSUnknown
	}
	return FCrDNSFailed
}

type heloKind int

const (
	heloNone heloKind = iota
	heloLiteral
	heloBare // a name with no dot: not a fully-qualified domain name
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
	s = normalizeName(s)
	if _, err := netip.ParseAddr(s); err == nil {
		return s, heloLiteral // a bare IP announced without brackets
	}
	if !strings.Contains(s, ".") {
		return s, heloBare
	}
	return s, heloFQDN
}

// heloMatch compares the HELO name with the PTR names, preferring those
// that are forward-confirmed.
func heloMatch(helo string, kind heloKind, names []string, fw []Forward) string {
	switch kind {
	case heloNone:
		return MatchNone
	case heloLiteral:
		return MatchLiteral
	}
	candidates := confirmedNames(fw)
	if len(candidates) == 0 {
		candidates = names
	}
	if len(candidates) == 0 {
		return MatchMismatch
	}
	if contains(candidates, helo) {
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

func confirmedNames(fw []Forward) []string {
	var out []string
	for _, f := range fw {
		if f.MatchesIP {
			out = append(out, f.Name)
		}
	}
	return out
}

// registrable is name's registrable domain (eTLD+1), "" when it has none.
func registrable(name string) string {
	d, err := publicsuffix.EffectiveTLDPlusOne(name)
	if err != nil {
		return ""
	}
	return d
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// problemsFromDNS derives a hop's problems from today's lookups. Fix texts
// are filled in later, when the verdict knows the context.
func problemsFromDNS(hop parse.Hop, c Checks, helo string, kind heloKind) []Problem {
	var ps []Problem
	add := func(name, format string, args ...any) { ps = append(ps, problem(name, format, args...)) }
	ip := hop.IP
	switch c.PTRStatus {
	case StatusTempError:
		add(PTRTempError, "the PTR lookup of %s failed (%s): nothing can be concluded about its reverse DNS", ip, c.PTRError)
	case StatusNXDomain, StatusNoData:
		add(NoPTR, "%s has no PTR record (%s)", ip, c.PTRStatus)
	case StatusFound:
		if len(c.PTR) > 1 {
			add(MultiPTR, "%s has %d PTR names (%s); receivers use whichever comes first, so results flip", ip, len(c.PTR), strings.Join(c.PTR, ", "))
		}
		switch c.FCrDNS {
		case FCrDNSFailed:
			add(FCrDNSFail, "the PTR name %s does not resolve back to %s (%s)", c.PTR[0], ip, forwardSummary(c.Forward[0]))
		case FCrDNSUnknown:
			add(PTRTempError, "the forward lookup of %s failed (%s): FCrDNS cannot be decided", c.PTR[0], c.Forward[0].Error)
		}
		if c.GenericPTR != nil {
			add(GenericPTRName, "the PTR name %s looks generic: %s", c.GenericPTR.Name, c.GenericPTR.Reason)
		}
	}
	identityBroken := c.PTRStatus != StatusFound || c.FCrDNS != FCrDNSPass || c.GenericPTR != nil
	if why := heloNotAName(helo, kind); why != "" {
		add(HELOUnresolvable, "%s", why)
	}
	if kind == heloFQDN {
		f := c.HELOForward
		switch {
		case f.Status == StatusTempError:
			add(PTRTempError, "the lookup of the HELO name %s failed (%s)", helo, f.Error)
		case f.Status != StatusFound:
			add(HELOUnresolvable, "the HELO name %s does not resolve (%s)", helo, f.Status)
		case !f.MatchesIP && c.FCrDNS == FCrDNSPass && c.GenericPTR == nil:
			add(HELOMismatch, "PTR and forward DNS agree on %s, but the relay announces %s, which resolves to %s", strings.Join(confirmedNames(c.Forward), ", "), helo, joinAddrs(f.Addrs))
		case !f.MatchesIP:
			add(HELOUnresolvable, "the HELO name %s resolves to %s, not to %s", helo, joinAddrs(f.Addrs), ip)
		case !identityBroken && c.HELOMatch == MatchMismatch:
			add(PTRMismatch, "the HELO name %s resolves to %s, but its PTR names %s", helo, ip, strings.Join(c.PTR, ", "))
		}
	}
	return ps
}

// heloNotAName says why an announced HELO is no host name at all, or "".
func heloNotAName(helo string, kind heloKind) string {
	switch kind {
	case heloLiteral:
		return fmt.Sprintf("the relay announces the address literal %s instead of a host name", helo)
	case heloBare:
		return fmt.Sprintf("the relay announces %q, which is not a fully-qualified domain name", helo)
	}
	return ""
}

func forwardSummary(f Forward) string {
	if f.Status != StatusFound {
		return f.Name + ": " + f.Status
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
