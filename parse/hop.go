package parse

import (
	"net/netip"
	"time"
)

// Hop is one Received field: a connection that a receiving server accepted
// and stamped. Fields the stamp does not carry are left zero.
type Hop struct {
	// Index is the hop's place in the path: 1 is the oldest Received field
	// (the bottom one), the highest index the newest (the top one).
	Index int
	// Raw is the field's unfolded value, kept for display whether or not it
	// was understood.
	Raw string
	// Parsed is false when the field matched no known stamp shape; then only
	// Raw (and perhaps Time) is set.
	Parsed bool

	// HELO is the name the sender announced, as written; an address literal
	// keeps its brackets ("[192.0.2.1]", "[IPv6:2001:db8::1]").
	HELO string
	// IP is the connecting address: IPv4-mapped IPv6 is unmapped, any port
	// and zone are dropped. Invalid when the stamp records none.
	IP netip.Addr
	// RDNS is the reverse name the receiver recorded: lower case, without a
	// trailing dot; empty when it recorded none or "unknown".
	RDNS string
	// RDNSRecorded is true when the stamp records the receiver's reverse
	// lookup ("unknown" included), so an empty RDNS means the receiver
	// found no verified name rather than that the stamp does not say.
	RDNSRecorded bool
	// MayBeForged is Sendmail's "(may be forged)": the receiver's FCrDNS
	// check failed at the time.
	MayBeForged bool

	By   string // the receiving host
	With string // protocol: SMTP, ESMTPS, ESMTPSA, LMTP, HTTP, …
	ID   string // the receiver's queue or message id
	For  string // the envelope recipient, without angle brackets
	TLS  string // TLS details as recorded (version, cipher), if any

	// Time is the stamp's date; zero when missing or unreadable.
	Time time.Time
	// Delay is the time since the previous (older) hop's stamp; valid only
	// when HasDelay is true (both stamps carry a date).
	Delay    time.Duration
	HasDelay bool
}
