package analyze

import (
	"fmt"
	"net/netip"
	"strings"

	"golang.org/x/net/publicsuffix"

	"hopcheck/dns"
	"hopcheck/parse"
	"hopcheck/problem"
)

var sprintf = fmt.Sprintf

// fixContext is what a fix is worded from: the identity, its checks and
// who serves its reverse zone.
type fixContext struct {
	id    Identity
	c     *Checks
	owner *dns.ZoneOwner
}

// fixes words the fix of each problem: which record or setting to change to
// what, and where. Every problem of the vocabulary has one (a test checks);
// relay-rewrite is worded where the path is known (see Analyze).
var fixes = map[problem.Name]func(f *fixContext) string{
	problem.NoPTR:      (*fixContext).setPTR,
	problem.GenericPTR: (*fixContext).setPTR,
	problem.MultiPTR: func(f *fixContext) string {
		return sprintf("ask the owner of the IP block to keep a single PTR for %s: %s%s", f.id.IP, f.target(), ownerText(f.owner))
	},
	problem.FCrDNSFail: func(f *fixContext) string {
		ip, rr := f.id.IP, addrType(f.id.IP)
		name := f.id.RDNS
		if len(f.c.PTR) > 0 {
			name = f.c.PTR[0]
		}
		if name == "" {
			// Offline, a reply may say FCrDNS failed without naming the PTR.
			return sprintf("find the PTR name of %s (dig -x %s) and add the %s record of that name pointing to %s in its DNS, or have the PTR changed to a name that resolves to it", ip, ip, rr, ip)
		}
		return sprintf("add the record \"%s. IN %s %s\" in the DNS of %s (or have the PTR of %s changed to a name that resolves to it)", name, rr, ip, zoneOf(name), ip)
	},
	problem.HELOMismatch:     (*fixContext).announce,
	problem.HELOUnresolvable: (*fixContext).announce,
	problem.PTRMismatch: func(f *fixContext) string {
		helo, _ := heloName(f.id.HELO)
		ptr := f.id.RDNS
		if len(f.c.PTR) > 0 {
			ptr = f.c.PTR[0]
		}
		// The HELO is what the relay's admin set today; a PTR in another
		// domain is more often a previous tenant's, so it changes first.
		return sprintf("pick one name and align both: ask the owner of the IP block to set the PTR of %s to %s%s, or make the relay announce %s (%s)", f.id.IP, helo, ownerText(f.owner), ptr, heloSetting(f.id.MTA, ptr))
	},
	problem.PTRTempError: func(f *fixContext) string {
		if te, ok := dns.Unreachable(f.c.ptr.Err); ok {
			return sprintf("retry when your resolver answers: %s did not (%s), so nothing was learned about %s or its reverse zone; check that resolver or use another", strings.Join(te.Servers, ", "), te.Reason, f.id.IP)
		}
		if f.c.PTRStatus != dns.Found {
			return sprintf("retry later; if it persists, the name servers of the reverse zone of %s are failing: check with `dig -x %s` and tell their DNS admin", f.id.IP, f.id.IP)
		}
		return "retry later; if it persists, the name servers of the names involved are failing: check them with `dig NAME A` and tell their DNS admin"
	},
}

// fix words the fix of p.
func (f *fixContext) fix(p Problem) string {
	if fn := fixes[p.Name]; fn != nil {
		return fn(f)
	}
	return ""
}

// setPTR is the fix of a missing or generic PTR.
func (f *fixContext) setPTR() string {
	ip, target := f.id.IP, f.target()
	fix := sprintf("ask the owner of the IP block to set the PTR of %s to %s%s", ip, target, ownerText(f.owner))
	if hf := f.c.HELOForward; hf != nil && hf.Name == target && hf.MatchesIP {
		return fix + sprintf("; %s already resolves to %s, so FCrDNS passes once the PTR is changed", target, ip)
	}
	return fix + sprintf("; %s must also have an %s record %s", target, addrType(ip), ip)
}

// announce is the fix of a HELO that is not the relay's name.
func (f *fixContext) announce() string {
	ip, mta := f.id.IP, f.id.MTA
	if confirmed := confirmedNames(f.c.Forward); len(confirmed) > 0 && f.c.GenericPTR == nil {
		return sprintf("make the relay announce %s: %s", confirmed[0], heloSetting(mta, confirmed[0]))
	}
	if helo, kind := heloName(f.id.HELO); kind == heloFQDN {
		return sprintf("add the record \"%s. IN %s %s\" in the DNS of %s, or make the relay announce another name that resolves to %s (%s)", helo, addrType(ip), ip, zoneOf(helo), ip, heloSetting(mta, "NAME"))
	}
	return sprintf("make the relay announce a fully-qualified name that resolves to %s and is its PTR name: %s", ip, heloSetting(mta, "NAME"))
}

// target is the name the relay should carry: its HELO when that names this
// IP or nothing yet, else a forward-confirmed PTR name that is not generic.
func (f *fixContext) target() string {
	helo, kind := heloName(f.id.HELO)
	if kind == heloFQDN {
		// A HELO that resolves to another host names that host, not this one.
		if hf := f.c.HELOForward; hf == nil || hf.MatchesIP || hf.Status == dns.NXDomain || hf.Status == dns.NoData {
			return helo
		}
	}
	if f.c.GenericPTR == nil {
		if c := confirmedNames(f.c.Forward); len(c) > 0 {
			return c[0]
		}
	}
	return "the relay's own mail host name (e.g. mail.<your domain>)"
}

func ownerText(o *dns.ZoneOwner) string {
	if o == nil {
		return ""
	}
	if len(o.NameServers) == 0 {
		return sprintf(" (the reverse zone is %s)", o.Zone)
	}
	return sprintf(" (the reverse zone %s is served by %s: set the PTR in that provider's panel or ask its support)", o.Zone, strings.Join(o.NameServers, ", "))
}

// zoneOf names where a host name's records are kept, its registrable domain.
func zoneOf(name string) string {
	if d := registrable(name); d != "" {
		return d
	}
	return name
}

// registrable is name's registrable domain (eTLD+1), "" when it has none.
func registrable(name string) string {
	d, err := publicsuffix.EffectiveTLDPlusOne(name)
	if err != nil {
		return ""
	}
	return d
}

// heloSetting says where the HELO name is set on the relay's MTA.
func heloSetting(mta parse.MTA, name string) string {
	switch mta {
	case parse.Postfix:
		return sprintf("in /etc/postfix/main.cf set smtp_helo_name = %s (it defaults to $myhostname), then run postfix reload", name)
	case parse.Exim:
		return sprintf("set helo_data = %s on the remote_smtp transport (it defaults to primary_hostname), then restart Exim", name)
	case parse.Exchange:
		return sprintf("set the send connector's FQDN: Set-SendConnector -Identity <connector> -Fqdn %s", name)
	case parse.Sendmail:
		return sprintf("in sendmail.mc add define(`confDOMAIN_NAME', `%s')dnl, rebuild sendmail.cf and restart", name)
	case parse.OpenSMTPD:
		return sprintf("add helo %s to the relay action in smtpd.conf", name)
	}
	return sprintf("Postfix: smtp_helo_name = %s (default $myhostname); Exim: helo_data = %s (default primary_hostname); Exchange: the send connector's FQDN", name, name)
}

// addrType is the address record type of ip's family.
func addrType(ip netip.Addr) string {
	if ip.Is6() {
		return "AAAA"
	}
	return "A"
}
