package analyze

import (
	"context"
	"io"
	"net/netip"
	"strings"

	"hopcheck/dns"
	"hopcheck/parse"
	"hopcheck/parse/reply"
	"hopcheck/problem"
)

// MessageSource describes a message that was read.
type MessageSource struct {
	Kind      string // "message" or "bounce"
	Subject   string // decoded
	MessageID string
	// Shape says how the input was laid out (parse.Message.Shape: "eml",
	// "headers", "quoted", "gmail-original", …); Warnings what the reader
	// noticed that the user should hear.
	Shape    string
	Warnings []string
}

// Read reads a message — pasted headers, a whole .eml, an mbox entry or a
// bounce — within lim and analyses it: the one call the command line and a
// web page make. Errors are about the input (*parse.InputError and
// parse.ErrTooLarge among them).
func Read(ctx context.Context, in io.Reader, lim parse.Limits, opts Options) (*Result, error) {
	m, err := parse.ReadMessage(in, lim)
	if err != nil {
		return nil, err
	}
	res, err := Message(ctx, m, lim, opts)
	if err != nil {
		return nil, err
	}
	res.Source.Subject, _ = m.Header.Text("Subject")
	res.Source.MessageID = m.Header.Get("Message-Id")
	res.Source.Shape, res.Source.Warnings = m.Shape, m.Warnings
	return res, nil
}

// AddressSource says how the refused relay's address of a bounce was found.
type AddressSource string

// Address sources.
const (
	AddressQuoted   AddressSource = "quoted"   // the remote server's reply quotes it
	AddressGiven    AddressSource = "given"    // the caller gave it (Options.SenderIP)
	AddressInferred AddressSource = "inferred" // resolved from a name (Bounce.RelayIPName)
)

// Message analyses a message as parse.ReadMessage read it. A bounce is
// recognised: the hop judged is then the connection the remote server
// refused — from the reporting relay, which left no Received field — and
// the returned original's Received fields are the path before it. Any
// other message is judged by its own Received fields.
func Message(ctx context.Context, m *parse.Message, lim parse.Limits, opts Options) (*Result, error) {
	b, err := parse.ReadBounce(m, lim)
	if err != nil {
		return nil, err
	}
	if b == nil {
		res := Analyze(ctx, parse.Hops(m.Received()), opts)
		res.Source.Kind = "message"
		return res, nil
	}
	var hops []parse.Hop
	if b.Original != nil {
		hops = parse.Hops(b.Original.Received())
	}
	bounce := classify(b)
	refused := parse.Hop{IP: opts.SenderIP, HELO: opts.HELO}
	if refused.IP.IsValid() {
		bounce.RelayIPSource = AddressGiven
	} else {
		refused.IP, bounce.RelayIPSource, bounce.RelayIPName = refusedAddress(ctx, opts.Resolver, b, bounce)
	}
	if refused.HELO == "" && bounce.Category == reply.HELO && len(bounce.Recipients) > 0 && len(bounce.Recipients[0].Names) > 0 {
		refused.HELO = bounce.Recipients[0].Names[0] // "<name>: Helo command rejected" quotes it
	}
	if refused.HELO == "" {
		refused.HELO = b.ReportingMTA
	}
	bounce.RelayIP = refused.IP
	var res *Result
	if refused.IP.IsValid() {
		refused.Raw = sprintf("(the connection %s refused, reconstructed from the bounce; address %s)", orName(bounce.RemoteMTA, "the remote server"), bounce.RelayIPHow())
		refused.Parsed = true
		refused.By = bounce.RemoteMTA
		conn := &refusedConn{hop: refused, names: []string{b.ReportingMTA, bounce.RelayIPName}}
		if bounce.Problem.Known() {
			// Offline, the reply is the evidence, as a log's refusal is.
			conn.reported = []Problem{newProblem(bounce.Problem, sprintf("the remote server reported %s (offline: as the bounce says)", bounce.Problem))}
		}
		res = analyzePath(ctx, hops, conn, opts)
	} else {
		res = analyzePath(ctx, hops, nil, opts)
		res.Verdict = Verdict{Status: Unknown, Blocker: RelayAddressUnknown,
			Fix: sprintf("the bounce names no address of the refused relay %s and none could be resolved: its sending address is needed", orName(b.ReportingMTA, "(unnamed)"))}
	}
	res.Bounce = bounce
	res.Source.Kind = "bounce"
	identity := bounce.Category == reply.RDNS || bounce.Category == reply.HELO
	switch {
	case res.Verdict.Status == Aligned && identity:
		bounce.Explanation += sprintf(" The relay %s is aligned now: the mismatch was fixed since, or the remote server saw another address (an IPv6 path, another relay).", refused.IP)
	case !identity && bounce.Category != "":
		// A full mailbox or an unknown user is never DNS's fault: the
		// relay's identity is checked all the same, and said to be apart.
		bounce.Explanation += " This refusal is not about reverse DNS or HELO; the relay's identity below is checked all the same, and is not why this message bounced."
	}
	return res, nil
}

// RelayIPHow says in words how the refused relay's address was found.
func (b *Bounce) RelayIPHow() string {
	switch b.RelayIPSource {
	case AddressQuoted:
		return "quoted by the remote server"
	case AddressGiven:
		return "given by you"
	case AddressInferred:
		return "inferred from DNS (the address of " + b.RelayIPName + ")"
	}
	return "unknown"
}

// classify reads the recipients' replies with the reply knowledge base;
// the bounce's own fields are those of the first failed recipient (or the
// first one).
func classify(b *parse.Bounce) *Bounce {
	out := &Bounce{ReportingMTA: b.ReportingMTA, Family: b.Family}
	first := -1
	for i, rc := range b.Recipients {
		rep := reply.Parse(rc.Diagnostic)
		r := BounceRecipient{
			Recipient: rc.FinalRecipient, Action: rc.Action, Status: rc.Status, ReplyCode: rep.Code,
			Diagnostic: rc.Diagnostic, RemoteMTA: rc.RemoteMTA, RemoteIP: rep.RemoteIP,
			Category: rep.Category, Permanent: rep.Permanent && rc.Action != "delayed", Problem: rep.Problem,
			Explanation: rep.Explanation, ClientIP: rep.ClientIP, Names: rep.Names,
		}
		if r.Status == "" {
			r.Status = rep.Status
		}
		if r.RemoteMTA == "" {
			r.RemoteMTA = rep.RemoteHost
		}
		out.Recipients = append(out.Recipients, r)
		if first < 0 && rc.Action == "failed" {
			first = i
		}
	}
	if first < 0 {
		first = 0
	}
	if len(out.Recipients) > 0 {
		r := out.Recipients[first]
		out.Status, out.ReplyCode, out.Diagnostic = r.Status, r.ReplyCode, r.Diagnostic
		out.RemoteMTA, out.RemoteIP, out.Category = r.RemoteMTA, r.RemoteIP, r.Category
		out.Permanent, out.Explanation, out.Problem = r.Permanent, r.Explanation, r.Problem
	}
	return out
}

// refusedAddress finds the refused connection's address: the one the
// remote quoted, else the reporting relay's address from DNS (inferred,
// with the name resolved).
func refusedAddress(ctx context.Context, r dns.Resolver, b *parse.Bounce, bounce *Bounce) (netip.Addr, AddressSource, string) {
	// A receiving server's notice to its postmaster names the client it
	// refused; any other bounce, the reply may quote our address.
	if b.ClientIP.IsValid() {
		return b.ClientIP, AddressQuoted, ""
	}
	for _, rc := range bounce.Recipients {
		if rc.ClientIP.IsValid() {
			return rc.ClientIP, AddressQuoted, ""
		}
	}
	if r == nil {
		return netip.Addr{}, "", ""
	}
	// A PTR name the reply quotes ("<name>: Unverified Client host
	// rejected") names the refused host and comes first. A quoted HELO
	// does not: the remote may have found it resolves nowhere, or elsewhere.
	var names []string
	for _, rc := range bounce.Recipients {
		if rc.Category == reply.RDNS {
			names = append(names, rc.Names...)
		}
	}
	if b.ReportingMTA != "" {
		names = append(names, b.ReportingMTA)
	}
	// An IPv6 refusal quotes IPv6 guidelines; otherwise IPv4 is the usual path.
	wantV6 := strings.Contains(strings.ToLower(bounce.Diagnostic), "ipv6")
	for _, name := range names {
		list := dns.Addrs(ctx, r, name).List
		for _, ip := range list {
			if ip.Is6() == wantV6 {
				return ip, AddressInferred, name
			}
		}
		if len(list) > 0 {
			return list[0], AddressInferred, name
		}
	}
	return netip.Addr{}, "", ""
}

func orName(s, alt string) string {
	if s == "" {
		return alt
	}
	return s
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
	Category     reply.Category
	Permanent    bool
	Problem      problem.Name // the problem the reply points to, if any
	Explanation  string       // what the reply means, in plain words
	Recipients   []BounceRecipient
	// RelayIP is the refused relay's address, invalid when unknown;
	// RelayIPSource says how it was found, RelayIPName the name it was
	// resolved from when inferred.
	RelayIP       netip.Addr
	RelayIPSource AddressSource
	RelayIPName   string
}

// BounceRecipient is one recipient's refusal in a bounce, classified.
type BounceRecipient struct {
	Recipient   string
	Action      string // failed, delayed, …
	Status      string
	ReplyCode   int
	Diagnostic  string
	RemoteMTA   string
	RemoteIP    netip.Addr // the refusing server's address, when the text gives it
	ClientIP    netip.Addr // the sender's address as the refusing server quoted it
	Names       []string   // names the reply quotes (HELO, PTR)
	Category    reply.Category
	Permanent   bool
	Problem     problem.Name // the problem the reply points to
	Explanation string
}
