package analyze

import (
	"fmt"
	"net/netip"
	"strings"
)

// fixFor words the fix of p on hop h: which record or setting to change to
// what, and where. owner, when known, names who serves the reverse zone.
func fixFor(h *HopResult, p Problem, owner *zoneOwner) string {
	ip := h.IP
	target := suggestedName(h)
	rr := addrType(ip)
	switch p.Name {
	case NoPTR, GenericPTRName:
		fix := fmt.Sprintf("ask the owner of the IP block to set the PTR of %s to %s%s", ip, target, ownerText(owner))
		if f := h.Checks.HELOForward; f != nil && f.Name == target && f.MatchesIP {
			return fix + fmt.Sprintf("; %s already resolves to %s, so FCrDNS passes once the PTR is changed", target, ip)
		}
		return fix + fmt.Sprintf("; %s must also have an %s record %s", target, rr, ip)
	case MultiPTR:
		return fmt.Sprintf("ask the owner of the IP block to keep a single PTR for %s: %s%s", ip, target, ownerText(owner))
	case FCrDNSFail:
		name := h.RDNS
		if len(h.Checks.PTR) > 0 {
			name = h.Checks.PTR[0]
		}
		if name == "" {
			// Offline, a reply may say FCrDNS failed without naming the PTR.
			return fmt.Sprintf("find the PTR name of %s (dig -x %s) and add the %s record of that name pointing to %s in its DNS, or have the PTR changed to a name that resolves to it", ip, ip, rr, ip)
		}
		return fmt.Sprintf("add the record \"%s. IN %s %s\" in the DNS of %s (or have the PTR of %s changed to a name that resolves to it)", name, rr, ip, zoneOf(name), ip)
	case HELOMismatch, HELOUnresolvable:
		if confirmed := confirmedNames(h.Checks.Forward); len(confirmed) > 0 && h.Checks.GenericPTR == nil {
			return fmt.Sprintf("make the relay announce %s: %s", confirmed[0], heloSetting(h.Software, confirmed[0]))
		}
		if helo, kind := heloName(h.HELO); kind == heloFQDN {
			return fmt.Sprintf("add the record \"%s. IN %s %s\" in the DNS of %s, or make the relay announce another name that resolves to %s (%s)", helo, rr, ip, zoneOf(helo), ip, heloSetting(h.Software, "NAME"))
		}
		return fmt.Sprintf("make the relay announce a fully-qualified name that resolves to %s and is its PTR name: %s", ip, heloSetting(h.Software, "NAME"))
	case PTRMismatch:
		helo, _ := heloName(h.HELO)
		ptr := h.RDNS
		if len(h.Checks.PTR) > 0 {
			ptr = h.Checks.PTR[0]
		}
		// The HELO is what the relay's admin set today; a PTR in another
		// domain is more often a previous tenant's, so it changes first.
		return fmt.Sprintf("pick one name and align both: ask the owner of the IP block to set the PTR of %s to %s%s, or make the relay announce %s (%s)", ip, helo, ownerText(owner), ptr, heloSetting(h.Software, ptr))
	case PTRTempError:
		if h.Checks.PTRStatus != StatusFound {
			return fmt.Sprintf("retry later; if it persists, the name servers of the reverse zone of %s are failing: check with `dig -x %s` and tell their DNS admin", ip, ip)
		}
		return "retry later; if it persists, the name servers of the names involved are failing: check them with `dig NAME A` and tell their DNS admin"
	}
	return ""
}

// suggestedName is the name the relay should carry: its HELO when that
// names this IP or nothing yet, else a forward-confirmed PTR name that is
// not generic.
func suggestedName(h *HopResult) string {
	helo, kind := heloName(h.HELO)
	if kind == heloFQDN {
		// A HELO that resolves to another host names that host, not this one.
		if f := h.Checks.HELOForward; f == nil || f.MatchesIP || f.Status == StatusNXDomain || f.Status == StatusNoData {
			return helo
		}
	}
	if h.Checks.GenericPTR == nil {
		if c := confirmedNames(h.Checks.Forward); len(c) > 0 {
			return c[0]
		}
	}
	return "the relay's own mail host name (e.g. mail.<your domain>)"
}

func ownerText(o *zoneOwner) string {
	if o == nil {
		return ""
	}
	if len(o.NameServers) == 0 {
		return fmt.Sprintf(" (the reverse zone is %s)", o.Zone)
	}
	return fmt.Sprintf(" (the reverse zone %s is served by %s: set the PTR in that provider's panel or ask its support)", o.Zone, strings.Join(o.NameServers, ", "))
}

// zoneOf names where a host name's records are kept, its registrable domain.
func zoneOf(name string) string {
	if d := registrable(name); d != "" {
		return d
	}
	return name
}

// heloSetting says where the HELO name is set on the relay's MTA.
func heloSetting(software, name string) string {
	switch software {
	case "postfix":
		return fmt.Sprintf("in /etc/postfix/main.cf set smtp_helo_name = %s (it defaults to $myhostname), then run postfix reload", name)
	case "exim":
		return fmt.Sprintf("set helo_data = %s on the remote_smtp transport (it defaults to primary_hostname), then restart Exim", name)
	case "exchange":
		return fmt.Sprintf("set the send connector's FQDN: Set-SendConnector -Identity <connector> -Fqdn %s", name)
	case "sendmail":
		return fmt.Sprintf("in sendmail.mc add define(`confDOMAIN_NAME', `%s')dnl, rebuild sendmail.cf and restart", name)
	case "opensmtpd":
		return fmt.Sprintf("add helo %s to the relay action in smtpd.conf", name)
	}
	return fmt.Sprintf("Postfix: smtp_helo_name = %s (default $myhostname); Exim: helo_data = %s (default primary_hostname); Exchange: the send connector's FQDN", name, name)
}

// addrType is the address record type of ip's family.
func addrType(ip netip.Addr) string {
	if ip.Is6() {
		return "AAAA"
	}
	return "A"
}
