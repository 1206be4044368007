package main

import (
	"context"
	"fmt"
	"io"
	"net/netip"
	"os"
	"strconv"
	"time"

	"hopcheck/analyze"
	"hopcheck/dns"
	"hopcheck/parse"
	"hopcheck/probe"
	"hopcheck/report"
)

var checkUsage = `Usage: hopcheck check [flags] TARGET...

Audits sending servers directly, as every troubleshooting guide teaches
(dig -x IP, dig A NAME, then a look at port 25), in one command: the PTR of
each address, its forward confirmation, the HELO name against both, and with
--smtp the banner and EHLO reply. A TARGET is an IPv4 or IPv6 address or a
host name; for a host name every A and AAAA address is checked (an IPv6 path
without an IPv6 PTR is a classic cause of refusals).

Flags:
  --helo NAME          the name the server announces when it sends (Postfix
                       smtp_helo_name / myhostname, Exim helo_data); without
                       it the HELO is not checked, or taken from --smtp
  --smtp               connect to port 25, read the banner, send EHLO, read the
                       reply, QUIT (never MAIL FROM); compare both with DNS
  --port N             the SMTP port (default 25)
  --authoritative      ask the reverse zone's own name servers too: has a PTR
                       change reached the resolvers yet?
  --ns-port N          the port of those name servers (default 53)
  --file FILE          an inventory: one target per line, optionally followed
                       by its HELO name; # starts a comment
` + commonUsage + limitsUsage + `
Several --resolver flags are compared: the first answers the audit, each
other one's PTR answer is compared with it.

Examples:
  hopcheck check 203.0.113.25 --helo mail.example.com
  hopcheck check mail.example.com --smtp
  hopcheck check 203.0.113.25 --authoritative
  hopcheck check --file relays.txt --format json -o audit.json
  hopcheck check 203.0.113.25 --zone planned-ptr.zone --resolver 127.0.0.53

Exit codes: 0 every target aligned, 1 a target is misaligned, 2 a target
could not be decided, 64 usage, 65 unreadable inventory, 66 not found.
`

func runCheck(args []string, e env) int {
	var (
		c            common
		helo, file   string
		smtp, auth   bool
		port, nsPort int
	)
	fs := newFlagSet("check")
	c.register(fs)
	c.registerLimits(fs)
	fs.StringVar(&helo, "helo", "", "the `NAME` the server announces when it sends")
	fs.BoolVar(&smtp, "smtp", false, "read the SMTP banner and EHLO reply")
	fs.IntVar(&port, "port", 25, "SMTP `PORT`")
	fs.BoolVar(&auth, "authoritative", false, "ask the reverse zone's own servers too")
	fs.IntVar(&nsPort, "ns-port", 53, "`PORT` of the reverse zone's servers")
	fs.StringVar(&file, "file", "", "an inventory `FILE` of targets")
	hosts, err := parseArgs(fs, args)
	if err != nil {
		return flagExit(err, checkUsage, e)
	}
	switch {
	case len(hosts) == 0 && file == "":
		err = usageError{"check needs a TARGET (an IP or a host name) or --file"}
	case port < 1 || port > 65535:
		err = usageError{"--port " + strconv.Itoa(port) + ": want 1 to 65535"}
	case nsPort < 1 || nsPort > 65535:
		err = usageError{"--ns-port " + strconv.Itoa(nsPort) + ": want 1 to 65535"}
	case c.offline:
		err = usageError{"check looks DNS up now: --offline does not apply"}
	default:
		err = c.checkFormat()
	}
	if err != nil {
		return flagExit(err, checkUsage, e)
	}
	targets := make([]analyze.Target, 0, len(hosts))
	for _, h := range hosts {
		targets = append(targets, analyze.Target{Host: h, HELO: helo})
	}
	if file != "" {
		in, closeIn, err := openInput(file, e)
		if err != nil {
			fmt.Fprintf(e.stderr, "hopcheck: %v\n", err)
			return inputExit(err)
		}
		entries, err := parse.ReadInventory(in)
		closeIn()
		if err != nil {
			fmt.Fprintf(e.stderr, "hopcheck: %s: %v\n", file, err)
			return exitDataErr
		}
		for _, en := range entries {
			targets = append(targets, analyze.Target{Host: en.Target, HELO: en.HELO})
		}
	}

	// The first resolver answers the audit; each further one is compared.
	var compare []analyze.NamedResolver
	if len(c.resolvers) > 1 {
		for _, r := range c.resolvers[1:] {
			s, err := dns.ParseServer(r)
			if err != nil {
				return flagExit(usageError{"--" + err.Error()}, checkUsage, e)
			}
			compare = append(compare, analyze.NamedResolver{Name: s, Resolver: dns.NewClient(dns.ClientOptions{Servers: []string{s}, Timeout: c.timeout})})
		}
		c.resolvers = c.resolvers[:1]
	}
	d, code, ok := c.dns(checkUsage, e)
	if !ok {
		return code
	}
	opts := analyze.AuditOptions{Authoritative: auth, Auth: dns.AuthOptions{Port: strconv.Itoa(nsPort), Timeout: c.timeout}, Compare: compare}
	if smtp {
		po := probe.Options{ConnectTimeout: c.timeout, ReadTimeout: c.timeout}
		if name, err := os.Hostname(); err == nil && len(name) > 0 {
			po.EHLOName = name
		}
		opts.Probe = func(ctx context.Context, ip netip.Addr) probe.Result {
			return probe.Probe(ctx, netip.AddrPortFrom(ip, uint16(port)), po)
		}
	}
	audits := analyze.AuditTargets(context.Background(), d.resolver, targets, 32, opts)
	view := report.NewCheck(report.CheckSource{Resolver: d.name, SMTP: smtp, Authoritative: auth, Version: version()}, audits)

	w, closeOut, err := c.openOutput(e)
	if err != nil {
		fmt.Fprintf(e.stderr, "hopcheck: %v\n", err)
		return exitUsage
	}
	err = c.renderCheck(w, e, view)
	if err == nil {
		err = closeOut()
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "hopcheck: %v\n", err)
		return exitUnknown
	}
	switch {
	case view.Counts[analyze.Misaligned] > 0:
		return exitMisaligned
	case view.Counts[analyze.Unknown] > 0:
		return exitUnknown
	}
	return exitAligned
}

// renderCheck writes an audit in the chosen format, redacted when asked,
// as render does for a message.
func (c *common) renderCheck(w io.Writer, e env, v *report.Check) error {
	if c.redact {
		v = report.Redact(v)
	}
	if v.Source.Time.IsZero() {
		withTime := *v
		withTime.Source.Time = time.Now()
		v = &withTime
	}
	return renderView(c, w, w, e, v, checkRenderers)
}
