// Package problem is hopcheck's vocabulary of identity problems: the name of
// each way a sending relay's reverse DNS, forward DNS or HELO can be wrong,
// who fixes it, how it ranks against the others, and what it means in plain
// words. Every other package names problems and owners with these constants.
package problem

// Name is a problem's stable name, as written in JSON and reports.
type Name string

// The problems, in the words of docs/vocabulary.md.
const (
	NoPTR            Name = "no-ptr"
	PTRMismatch      Name = "ptr-mismatch"
	FCrDNSFail       Name = "fcrdns-fail"
	HELOMismatch     Name = "helo-mismatch"
	HELOUnresolvable Name = "helo-unresolvable"
	GenericPTR       Name = "generic-ptr"
	MultiPTR         Name = "multi-ptr"
	PTRTempError     Name = "ptr-temperror"
	RelayRewrite     Name = "relay-rewrite"
)

// Owner is who must act to fix a problem.
type Owner string

// The owners.
const (
	IPOwner    Owner = "ip-owner"    // the hosting provider or ISP of the address block
	MailAdmin  Owner = "mail-admin"  // the admin of the relay's MTA
	DNSAdmin   Owner = "dns-admin"   // the admin of the name's DNS zone
	RelayAdmin Owner = "relay-admin" // the admin of a gateway or smart host in between
)

// Info is what the vocabulary says of one problem.
type Info struct {
	Owner Owner
	// Rank orders problems for a verdict: the first one a receiver trips
	// over comes first. Temporary failures come last: they decide nothing.
	Rank int
	// Meaning says what the problem is, in plain words.
	Meaning string
}

// table is the one place a problem is defined. ptr-mismatch may be fixed on
// either side; the IP block's owner comes first, the HELO change is offered
// as the alternative.
var table = map[Name]Info{
	NoPTR:            {IPOwner, 1, "the sending IP has no PTR record: receivers find no name for it"},
	FCrDNSFail:       {DNSAdmin, 2, "the PTR name does not resolve back to the sending IP (forward-confirmed reverse DNS fails)"},
	GenericPTR:       {IPOwner, 3, "the PTR name looks like a provider's generic or dynamic name, which receivers score as a home or throwaway host"},
	HELOUnresolvable: {MailAdmin, 4, "the HELO name is not a resolvable host name pointing to the sending IP"},
	HELOMismatch:     {MailAdmin, 5, "PTR and forward DNS agree, but the relay announces another name in HELO"},
	PTRMismatch:      {IPOwner, 6, "the PTR name and the HELO name differ"},
	MultiPTR:         {IPOwner, 7, "the sending IP has several PTR names; receivers use whichever comes first, so verdicts flip"},
	RelayRewrite:     {RelayAdmin, 8, "the relay the receiver judged is not the one the sender configured: a gateway or smart host in between"},
	PTRTempError:     {DNSAdmin, 9, "the lookups failed for now (timeout, SERVFAIL): nothing can be concluded"},
}

// All lists every problem in rank order.
func All() []Name {
	out := make([]Name, len(table))
	for n, info := range table {
		out[info.Rank-1] = n
	}
	return out
}

// Known reports whether n is a problem of the vocabulary.
func (n Name) Known() bool { _, ok := table[n]; return ok }

// Owner is who fixes n; "" for an unknown name.
func (n Name) Owner() Owner { return table[n].Owner }

// Rank orders n among the problems (1 first); unknown names rank last.
func (n Name) Rank() int {
	if info, ok := table[n]; ok {
		return info.Rank
	}
	return len(table) + 1
}

// Meaning says what n is in plain words.
func (n Name) Meaning() string { return table[n].Meaning }

// owners says who each owner is, in words.
var owners = map[Owner]string{
	IPOwner:    "the owner of the IP block: hosting provider or ISP",
	MailAdmin:  "the mail admin of the relay",
	DNSAdmin:   "the DNS admin of the name's domain",
	RelayAdmin: "the admin of the relay in between",
}

// Describe says who o is, in words.
func (o Owner) Describe() string { return owners[o] }
