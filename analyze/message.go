package analyze

import (
	"context"
	"fmt"
	"net/netip"
	"strings"

	"hopcheck/parse"
	"hopcheck/parse/reply"
)

// Ways the refused relay's address of a bounce was found (Bounce.RelayIPSource
// starts with one of them).
const (
	IPQuoted   = "quoted by the remote server"
	IPGiven    = "given with --sender-ip"
	IPInferred = "inferred from DNS" // followed by the name resolved
)

// Message analyses a message as parse.ReadMessage read it. A bounce is
// recognised: the hop judged is then the connection the remote server
// refused — from the reporting relay, which left no Received field — and
// the returned original's Received fields are the path before it. Any
// other message is judged by its own Received fields.
func Message(ctx context.Context, m *parse.Message, opts Options) (*Result, error) {
	b, err := parse.ReadBounce(m, parse.DefaultLimits)
	if err != nil {
		return nil, err
	}
	if b == nil {
		o := opts
		o.Judge = parse.Hop{}
		return Analyze(ctx, parse.Hops(m.Received()), o), nil
	}
	var hops []parse.Hop
	if b.Original != nil {
		hops = parse.Hops(b.Original.Received())
	}
	bounce := classify(b)
	judge := opts.Judge
	if judge.IP.IsValid() {
		judge.Raw = IPGiven
	} else {
		judge = refusedHop(ctx, opts.Resolver, b, bounce)
		judge.HELO = opts.Judge.HELO
	}
	if judge.HELO == "" && bounce.Category == string(reply.HELO) && len(bounce.Recipients) > 0 && len(bounce.Recipients[0].Names) > 0 {
		judge.HELO = bounce.Recipients[0].Names[0] // "<name>: Helo command rejected" quotes it
	}
	if judge.HELO == "" {
		judge.HELO = b.ReportingMTA
	}
	bounce.RelayIP, bounce.RelayIPSource = judge.IP, judge.Raw
	if judge.IP.IsValid() {
		judge.Raw = fmt.Sprintf("(the connection %s refused, reconstructed from the bounce; address %s)", orName(bounce.RemoteMTA, "the remote server"), judge.Raw)
		judge.Parsed = true
		judge.By = bounce.RemoteMTA
	}
	o := opts
	o.Judge = judge
	res := Analyze(ctx, hops, o)
	res.Bounce = bounce
	if !judge.IP.IsValid() {
		res.Verdict = Verdict{Status: Unknown, Fix: fmt.Sprintf("the bounce names no address of the refused relay %s and none could be resolved: give it with --sender-ip", orName(b.ReportingMTA, "(unnamed)"))}
	} else if res.Verdict.Status == Aligned && (bounce.Category == string(reply.RDNS) || bounce.Category == string(reply.HELO)) {
		bounce.Explanation += fmt.Sprintf(" The relay %s is aligned now: the mismatch was fixed since, or the remote server saw another address (an IPv6 path, another relay).", judge.IP)
	}
	return res, nil
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
			Category: string(rep.Category), Permanent: rep.Permanent && rc.Action != "delayed", Problem: rep.Problem,
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

// refusedHop reconstructs the refused connection: the address the remote
// quoted, else the reporting relay's address from DNS (inferred). Raw is
// set to how the address was found.
func refusedHop(ctx context.Context, r Resolver, b *parse.Bounce, bounce *Bounce) parse.Hop {
	for _, rc := range bounce.Recipients {
		if rc.ClientIP.IsValid() {
			return parse.Hop{IP: rc.ClientIP, Raw: IPQuoted}
		}
	}
	if r == nil {
		return parse.Hop{}
	}
	// A PTR name the reply quotes ("<name>: Unverified Client host
	// rejected") names the refused host and comes first. A quoted HELO
	// does not: the remote may have found it resolves nowhere, or elsewhere.
	var names []string
	for _, rc := range bounce.Recipients {
		if rc.Category == string(reply.RDNS) {
			names = append(names, rc.Names...)
		}
	}
	if b.ReportingMTA != "" {
		names = append(names, b.ReportingMTA)
	}
	// An IPv6 refusal quotes IPv6 guidelines; otherwise IPv4 is the usual path.
	wantV6 := strings.Contains(strings.ToLower(bounce.Diagnostic), "ipv6")
	for _, name := range names {
		list, _, _ := addrs(ctx, r, name)
		for _, ip := range list {
			if ip.Is6() == wantV6 {
				return parse.Hop{IP: ip, Raw: fmt.Sprintf("%s (the address of %s)", IPInferred, name)}
			}
		}
		if len(list) > 0 {
			return parse.Hop{IP: list[0], Raw: fmt.Sprintf("%s (the address of %s)", IPInferred, name)}
		}
	}
	return parse.Hop{}
}

func orName(s, alt string) string {
	if s == "" {
		return alt
	}
	return s
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
	Category    string
	Permanent   bool
	Problem     string // the DESIGN.md problem the reply points to
	Explanation string
}
