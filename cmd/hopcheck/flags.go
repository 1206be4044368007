package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"os"
	"strings"
	"time"

	"hopcheck/analyze"
	"hopcheck/dns"
	"hopcheck/report"
)

// stringList is a repeatable string flag.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

// commonUsage documents the common flags in every command's help.
const commonUsage = `  --format FORMAT      text (default), json, html (one self-contained page)
                       or markdown (for tickets)
  --redact             replace the local parts of email addresses and
                       Message-IDs, to share the report outside the team
  -o FILE              write the report to FILE
  --resolver ADDR      DNS server to ask, an IP[:PORT], repeatable
                       (default: /etc/resolv.conf)
  --zone FILE          answer DNS from a zone file, repeatable (no network);
                       with --resolver, the file answers the names it covers
                       and the resolver the rest (a what-if of a planned fix)
  --offline            no DNS at all: judge from what was recorded
  --internal CIDR      internal sender ranges, repeatable (replaces the defaults:
                       RFC 1918, loopback, link-local, 100.64.0.0/10, fc00::/7)
  --timeout DURATION   timeout of each DNS query attempt (default 3s)
`

// limitsUsage documents the DNS limits of the commands that re-check many
// names at once.
const limitsUsage = `  --max-qps N          DNS queries a second at most, for a public resolver that
                       throttles (e.g. 1000); default no bound
  --max-inflight N     DNS queries in flight at each resolver (default 384)
`

// common are the flags every analysing command shares.
type common struct {
	format    string
	output    string
	resolvers stringList
	zones     stringList
	offline   bool
	internal  stringList
	timeout   time.Duration
	// Set by registerLimits, for the commands that take them.
	maxQPS      float64
	maxInflight int
	redact      bool
}

func (c *common) register(fs *flag.FlagSet) {
	fs.StringVar(&c.format, "format", "text", "output `FORMAT`: text, json, html or markdown")
	fs.BoolVar(&c.redact, "redact", false, "replace the local parts of email addresses and Message-IDs")
	fs.StringVar(&c.output, "o", "", "write the report to `FILE` instead of standard output")
	fs.Var(&c.resolvers, "resolver", "ask this DNS server `ADDR[:PORT]` (repeatable; default: /etc/resolv.conf)")
	fs.Var(&c.zones, "zone", "answer DNS from this RFC 1035 zone `FILE` (repeatable); with --resolver, only for the names it covers")
	fs.BoolVar(&c.offline, "offline", false, "no DNS at all: judge from what the headers recorded")
	fs.Var(&c.internal, "internal", "treat senders in this `CIDR` as internal (repeatable; replaces the defaults)")
	fs.DurationVar(&c.timeout, "timeout", 3*time.Second, "timeout of each DNS query attempt")
}

// registerLimits adds the DNS limits of limitsUsage.
func (c *common) registerLimits(fs *flag.FlagSet) {
	fs.Float64Var(&c.maxQPS, "max-qps", 0, "DNS queries a second at most (0: no bound)")
	fs.IntVar(&c.maxInflight, "max-inflight", 0, "DNS queries in flight at each resolver (0: the default)")
}

// usageError is a command line that cannot be run.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// parseArgs parses flags and arguments in any order, as gh and kubectl do:
// the standard flag package stops at the first argument.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// newFlagSet returns a flag set that reports errors instead of printing
// and exiting; flagExit prints them.
func newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

// flagExit maps a parse error to an exit code, printing help or the error.
func flagExit(err error, usage string, e env) int {
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(e.stdout, usage)
		return exitAligned
	}
	fmt.Fprintf(e.stderr, "hopcheck: %v\n(see hopcheck help)\n", err)
	return exitUsage
}

// resolver builds the Resolver the flags ask for and says what it is:
// the network, zone files alone (no network at all), or with --resolver
// both, the files answering the names they cover (a what-if of a planned
// change in the real world).
func (c *common) resolver() (dns.Resolver, string, error) {
	if c.offline {
		if len(c.zones) > 0 || len(c.resolvers) > 0 {
			return nil, "", usageError{"--offline excludes --zone and --resolver"}
		}
		return nil, "offline", nil
	}
	var servers []string
	for _, r := range c.resolvers {
		s, err := dns.ParseServer(r)
		if err != nil {
			return nil, "", usageError{"--" + err.Error()}
		}
		servers = append(servers, s)
	}
	var zone *dns.Zone
	if len(c.zones) > 0 {
		var err error
		if zone, err = dns.LoadZoneFiles(c.zones...); err != nil {
			return nil, "", err
		}
		if len(servers) == 0 {
			return zone, "zone files: " + strings.Join(c.zones, ", "), nil
		}
	}
	if len(servers) == 0 {
		var err error
		servers, err = dns.SystemServers("/etc/resolv.conf")
		if err != nil {
			// The analysis goes on and says "temporary DNS failure"
			// for every lookup, with the reason.
			servers = nil
		}
	}
	if c.maxQPS < 0 || c.maxInflight < 0 {
		return nil, "", usageError{"--max-qps and --max-inflight take a positive number (0: the default)"}
	}
	cl := dns.NewClient(dns.ClientOptions{Servers: servers, Timeout: c.timeout, MaxQPS: c.maxQPS, Concurrency: c.maxInflight})
	if zone != nil {
		return dns.Overlay{Zone: zone, Net: cl}, fmt.Sprintf("zone files %s over %s", strings.Join(c.zones, ", "), strings.Join(servers, ", ")), nil
	}
	return cl, strings.Join(servers, ", "), nil
}

// dnsSetup is what the common DNS flags ask for.
type dnsSetup struct {
	resolver dns.Resolver   // nil offline
	name     string         // what answers, for the report's source
	internal []netip.Prefix // nil for the defaults
}

// dns reads the common DNS flags. When ok is false the command stops with
// exit, the problem already printed.
func (c *common) dns(usage string, e env) (d dnsSetup, exit int, ok bool) {
	var err error
	if d.internal, err = c.internalRanges(); err != nil {
		return d, flagExit(err, usage, e), false
	}
	if d.resolver, d.name, err = c.resolver(); err != nil {
		var ue usageError
		if errors.As(err, &ue) {
			return d, flagExit(err, usage, e), false
		}
		fmt.Fprintf(e.stderr, "hopcheck: %v\n", err)
		return d, inputExit(err), false
	}
	return d, 0, true
}

// internalRanges parses --internal.
func (c *common) internalRanges() ([]netip.Prefix, error) {
	if len(c.internal) == 0 {
		return nil, nil
	}
	out := make([]netip.Prefix, 0, len(c.internal))
	for _, s := range c.internal {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			a, aerr := netip.ParseAddr(s)
			if aerr != nil {
				return nil, usageError{fmt.Sprintf("--internal %q: not a CIDR range", s)}
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// openOutput opens -o, or returns stdout.
func (c *common) openOutput(e env) (io.Writer, func() error, error) {
	if c.output == "" || c.output == "-" {
		return e.stdout, func() error { return nil }, nil
	}
	f, err := os.Create(c.output)
	if err != nil {
		return nil, nil, err
	}
	return f, f.Close, nil
}

func (c *common) checkFormat() error {
	switch c.format {
	case "text", "json", "html", "markdown":
		return nil
	}
	return usageError{fmt.Sprintf("--format %q: want text, json, html or markdown", c.format)}
}

// render writes a message report in the chosen format, redacted when
// asked; reports that show the time of the analysis show now.
func (c *common) render(w io.Writer, e env, m *report.Message) error {
	if c.redact {
		m = report.Redact(m)
	}
	if m.Source.Time.IsZero() {
		withTime := *m
		withTime.Source.Time = time.Now()
		m = &withTime
	}
	return renderView(c, w, w, e, m, messageRenderers)
}

// renderers are the four renderings of one kind of report view.
type renderers[V any] struct {
	text     func(io.Writer, V, report.TextOptions) error
	json     func(io.Writer, V) error
	html     func(io.Writer, V, report.HTMLOptions) error
	markdown func(io.Writer, V) error
}

var (
	messageRenderers = renderers[*report.Message]{report.Text, report.JSON, report.HTML, report.Markdown}
	logsRenderers    = renderers[*report.Logs]{report.LogsText, report.LogsJSON, report.LogsHTML, report.LogsMarkdown}
	checkRenderers   = renderers[*report.Check]{report.CheckText, report.CheckJSON, report.CheckHTML, report.CheckMarkdown}
)

// renderView writes v to out in the chosen format; colours are used when
// term, which out writes to, is a terminal.
func renderView[V any](c *common, out, term io.Writer, e env, v V, r renderers[V]) error {
	switch c.format {
	case "json":
		return r.json(out, v)
	case "html":
		return r.html(out, v, report.HTMLOptions{})
	case "markdown":
		return r.markdown(out, v)
	}
	return r.text(out, v, report.TextOptions{Color: useColor(term, e)})
}

// blockerHint turns a fact that blocked a verdict into advice about this
// command's flags, "" when there is none to give.
func blockerHint(b analyze.Blocker) string {
	switch b {
	case analyze.NothingRecorded:
		return "run without --offline to look the relay's PTR up"
	case analyze.RelayAddressUnknown:
		return "give the refused relay's address with --sender-ip ADDR"
	case analyze.SenderNotInLog:
		return "run again with --sender-ip ADDR (our sending address)"
	case analyze.NoExternalHop:
		return "paste every Received field of the received message, or give the sending IP with --sender-ip"
	}
	return ""
}
