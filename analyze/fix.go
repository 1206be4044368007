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
	// confirmed are the PTR names known to resolve back: looked up now, or
	// offline the name the receiver verified.
	confirmed []string
}

// fixes words the fix of each problem: which record or setting to change to
// what, and where. Every problem of the vocabulary has one (a test checks);
// relay-rewrite is worded where the path is known (see Analyze).
var fixes = map[problem.Name]func(f *fixContext) string{
	problem.NoPTR:      (*fixContext).setPTR,
	problem.GenericPTR: (*fixContext).setPTR,
	problem.MultiPTR: func(f *fixContext) string {
		return f.by("ask the owner of the IP block to keep a single PTR for %s: %s%s", f.id.IP, f.target(), ownerText(f.owner))
	},
	problem.FCrDNSFail: func(f *fixContext) string {
		ip, rr := f.id.IP, addrType(f.id.IP)
		name := f.id.RDNS
		if len(f.c.PTR) > 0 {
			name = f.c.PTR[0]
		}
		if name == "" {
			// Offline, a reply may say FCrDNS failed without naming the PTR.
			return f.by("find the PTR name of %s (dig -x %s) and add the %s record of that name pointing to %s in its DNS, or have the PTR changed to a name that resolves to it", ip, ip, rr, ip)
		}
		if len(f.c.Forward) > 0 && f.c.Forward[0].Status == dns.Found {
			// The PTR name is another host's: an A record for it would
			// make one name point to two servers.
			if t := f.confirmedName(); t != "" {
				return f.by("have the PTR of %s changed from %s (which points to %s) to %s, which already resolves to %s: ask the owner of the IP block%s", ip, name, joinAddrs(f.c.Forward[0].Addrs), t, ip, ownerText(f.owner))
			}
			return f.by("have the PTR of %s changed from %s (which points to %s, another host) to the relay's own name, and give that name the %s record %s", ip, name, joinAddrs(f.c.Forward[0].Addrs), rr, ip)
		}
		return f.by("add the record \"%s. IN %s %s\" in the DNS of %s (or have the PTR of %s changed to a name that resolves to it)", name, rr, ip, zoneOf(name), ip)
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
		return f.by("pick one name and align both: ask the owner of the IP block to set the PTR of %s to %s%s, or make the relay announce %s (%s)", f.id.IP, helo, ownerText(f.owner), ptr, f.setting(ptr))
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

// by words a fix for whoever acts: as it is for our own relays, as what
// its admin must do for someone else's server.
func (f *fixContext) by(format string, args ...any) string {
	s := sprintf(format, args...)
	if f.id.Remote {
		return "the sender's admin must " + s
	}
	return s
}

// setting says where the relay's HELO name is set: on our relay, in its
// MTA's terms; on someone else's, generically.
func (f *fixContext) setting(name string) string {
	if f.id.Remote {
		return sprintf("the name its MTA announces, such as Postfix's smtp_helo_name or Exim's helo_data, set to %s", name)
	}
	return heloSetting(f.id.MTA, name)
}

// setPTR is the fix of a missing or generic PTR.
func (f *fixContext) setPTR() string {
	ip, target := f.id.IP, f.target()
	fix := f.by("ask the owner of the IP block to set the PTR of %s to %s%s", ip, target, ownerText(f.owner))
	if f.resolvesToIP(target) {
		return fix + sprintf("; %s already resolves to %s, so FCrDNS passes once the PTR is changed", target, ip)
	}
	return fix + sprintf("; %s must also have an %s record %s", target, addrType(ip), ip)
}

// announce is the fix of a HELO that is not the relay's name.
func (f *fixContext) announce() string {
	ip := f.id.IP
	if t := f.confirmedName(); t != "" {
		return f.by("make the relay announce %s: %s", t, f.setting(t))
	}
	if helo, kind := heloName(f.id.HELO); kind == heloFQDN && usableName(helo) {
		return f.by("add the record \"%s. IN %s %s\" in the DNS of %s, or make the relay announce another name that resolves to %s (%s)", helo, addrType(ip), ip, zoneOf(helo), ip, f.setting("NAME"))
	}
	return f.by("make the relay announce a fully-qualified name that resolves to %s and is its PTR name: %s", ip, f.setting("NAME"))
}

// confirmedName is a name of the sender that already resolves to its IP
// and can be its PTR: a forward-confirmed PTR name that is not generic,
// the HELO when it resolves to the IP, or another known name that does.
func (f *fixContext) confirmedName() string {
	if f.c.GenericPTR == nil {
		for _, n := range f.confirmed {
			if usableName(n) {
				return n
			}
		}
	}
	if hf := f.c.HELOForward; hf != nil && hf.MatchesIP && usableName(hf.Name) {
		return hf.Name
	}
	for _, n := range confirmedNames(f.c.aliases) {
		if usableName(n) {
			return n
		}
	}
	return ""
}

// resolvesToIP reports whether a lookup showed name resolving to the IP.
func (f *fixContext) resolvesToIP(name string) bool {
	for _, fw := range append(append([]Forward{}, f.c.Forward...), f.c.aliases...) {
		if fw.Name == name && fw.MatchesIP {
			return true
		}
	}
	hf := f.c.HELOForward
	return hf != nil && hf.Name == name && hf.MatchesIP
}

// target is the name the relay's PTR should carry: its HELO when that
// names this IP; else a name of the sender that already resolves to it;
// else a HELO that names nothing yet, to be created — never a name that
// cannot work (localhost.localdomain, a name under no public suffix, an
// internal name that does not resolve), nor a HELO naming another host.
func (f *fixContext) target() string {
	helo, kind := heloName(f.id.HELO)
	usable := kind == heloFQDN && usableName(helo)
	hf := f.c.HELOForward
	if usable && hf != nil && hf.MatchesIP {
		return helo
	}
	if n := f.confirmedName(); n != "" {
		return n
	}
	if usable && (hf == nil || hf.Status == dns.NXDomain || hf.Status == dns.NoData) && !internalName(helo, hf) {
		return helo
	}
	if f.id.Remote {
		return "the sender's own mail host name"
	}
	return "the relay's own mail host name (e.g. mail.<your domain>)"
}

// privateTLDs are suffixes that no public DNS serves: a PTR target or HELO
// under one of them can never forward-confirm.
var privateTLDs = map[string]bool{
	"localdomain": true, "localhost": true, "local": true, "lan": true, "home": true, "internal": true,
	"corp": true, "intranet": true, "private": true, "invalid": true, "arpa": true, "domain": true,
}

// usableName reports whether name can be a mail relay's public name: a
// fully-qualified name under a public suffix (or the documentation TLDs
// .test and .example), not under a private one.
func usableName(name string) bool {
	name = dns.NormalizeName(name)
	i := strings.LastIndexByte(name, '.')
	if i <= 0 || i == len(name)-1 {
		return false
	}
	tld := name[i+1:]
	if privateTLDs[tld] {
		return false
	}
	if tld == "test" || tld == "example" {
		return true
	}
	_, icann := publicsuffix.PublicSuffix(name)
	return icann
}

// internalLabels name the private parts of a company's namespace; an
// Active Directory host is typically HOST.corp.company.example.
var internalLabels = map[string]bool{"corp": true, "internal": true, "local": true, "lan": true, "ad": true, "intra": true, "intranet": true}

// internalName reports whether name looks like an internal host that the
// public DNS does not know: a private label and no address.
func internalName(name string, fw *Forward) bool {
	if fw == nil || fw.Status == dns.Found {
		return false
	}
	labels := strings.Split(name, ".")
	for _, l := range labels[:len(labels)-1] {
		if internalLabels[l] {
			return true
		}
	}
	return false
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
