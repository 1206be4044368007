package probe

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/netip"
	"time"
)

// Options tune a probe; the zero value is ready to use.
type Options struct {
	// EHLOName is the name announced in EHLO; default "hopcheck.invalid".
	// It must be printable ASCII without spaces.
	EHLOName string
	// ConnectTimeout bounds the TCP connection; default 10s.
	ConnectTimeout time.Duration
	// ReadTimeout bounds each exchange (sending a command and reading its
	// reply, or reading the greeting); default 10s.
	ReadTimeout time.Duration
	// Dialer opens the connection; nil means a net.Dialer.
	Dialer interface {
		DialContext(ctx context.Context, network, address string) (net.Conn, error)
	}
}

// Outcome says how far the conversation went.
type Outcome string

const (
	OK       Outcome = "ok"       // the greeting was read and EHLO answered (perhaps refused)
	Refused  Outcome = "refused"  // the connection was refused
	Timeout  Outcome = "timeout"  // no connection or no reply in time: filtered or silent
	TLSOnly  Outcome = "tls-only" // the server speaks TLS first (implicit TLS)
	NotSMTP  Outcome = "not-smtp" // the server speaks something other than SMTP
	Rejected Outcome = "rejected" // the greeting refuses service (554, or any non-2xx)
	Closed   Outcome = "closed"   // the server hung up
	Error    Outcome = "error"    // anything else, including cancellation
)

// Result is what a probe saw. Fields past the point where the conversation
// stopped are zero; Greeting and BannerHost survive a later failure.
type Result struct {
	Addr    netip.AddrPort
	Outcome Outcome
	// Detail explains a non-ok outcome in plain words; for OK it notes an
	// EHLO the server refused, and is otherwise empty.
	Detail string

	// Greeting holds the greeting's lines as received, without line
	// endings; characters unsafe to print are replaced by '?'.
	Greeting  []string
	GreetCode int
	// BannerHost is the domain the greeting announces, lower case without
	// a trailing dot, or an address literal; "" when it names none.
	BannerHost string

	// EHLOReply holds the reply to EHLO like Greeting.
	EHLOReply []string
	EHLOCode  int
	// EHLOHost is the domain of a 2xx EHLO reply, as for BannerHost.
	EHLOHost string

	Elapsed time.Duration
}

const defaultEHLOName = "hopcheck.invalid"

// Probe talks to the SMTP server at addr. It never fails: what went wrong
// is in the result's Outcome and Detail. The connection is always closed,
// and cancelling ctx abandons the probe at once.
func Probe(ctx context.Context, addr netip.AddrPort, opts Options) (res Result) {
	start := time.Now()
	res.Addr = addr
	defer func() { res.Elapsed = time.Since(start) }()

	opts = withDefaults(opts)
	switch {
	case !addr.IsValid():
		res.Outcome, res.Detail = Error, "no address to probe"
		return res
	case !validEHLOName(opts.EHLOName):
		// A space or line break would let the caller smuggle a second command.
		res.Outcome, res.Detail = Error, fmt.Sprintf("the EHLO name %+q is not a single printable ASCII word", opts.EHLOName)
		return res
	}

	dctx, cancel := context.WithTimeout(ctx, opts.ConnectTimeout)
	conn, err := opts.Dialer.DialContext(dctx, "tcp", addr.String())
	cancel()
	if err != nil {
		res.Outcome, res.Detail = dialFailure(ctx, addr, opts.ConnectTimeout, err)
		return res
	}
	// Closing the connection is what interrupts a blocked read on
	// cancellation; whoever gets there first closes it, once.
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer func() {
		if stop() {
			conn.Close()
		}
	}()

	s := &session{ctx: ctx, conn: conn, br: bufio.NewReader(conn), opts: opts}
	s.run(&res)
	return res
}

func withDefaults(o Options) Options {
	if o.EHLOName == "" {
		o.EHLOName = defaultEHLOName
	}
	if o.ConnectTimeout <= 0 {
		o.ConnectTimeout = 10 * time.Second
	}
	if o.ReadTimeout <= 0 {
		o.ReadTimeout = 10 * time.Second
	}
	if o.Dialer == nil {
		o.Dialer = &net.Dialer{}
	}
	return o
}

func validEHLOName(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] >= 0x7f {
			return false
		}
	}
	return s != ""
}

// session is one connected conversation.
type session struct {
	ctx  context.Context
	conn net.Conn
	br   *bufio.Reader
	opts Options
}

func (s *session) run(res *Result) {
	greet, err := s.greeting()
	if err != nil {
		res.Outcome, res.Detail = s.failure(stageGreeting, err)
		return
	}
	res.Greeting, res.GreetCode, res.BannerHost = greet.lines, greet.code, domainOf(greet)
	if greet.code/100 != 2 {
		res.Outcome, res.Detail = Rejected, rejection(greet)
		s.quit()
		return
	}

	ehlo, err := s.command("EHLO " + s.opts.EHLOName)
	if err != nil {
		res.Outcome, res.Detail = s.failure(stageEHLO, err)
		return
	}
	res.Outcome, res.EHLOReply, res.EHLOCode = OK, ehlo.lines, ehlo.code
	if ehlo.code/100 == 2 {
		res.EHLOHost = domainOf(ehlo)
	} else {
		res.Detail = fmt.Sprintf("the server refused EHLO with %d; the greeting was read", ehlo.code)
	}
	s.quit()
}

// greeting reads the server's opening reply. The whole of a multi-line
// greeting is read before EHLO goes out: servers such as Postfix's
// postscreen drop clients that talk early. The first byte already tells a
// TLS or other non-SMTP speaker apart, without waiting for a line end that
// may never come.
func (s *session) greeting() (reply, error) {
	s.conn.SetDeadline(time.Now().Add(s.opts.ReadTimeout))
	if _, err := s.br.Peek(1); err != nil {
		return reply{}, err
	}
	head, _ := s.br.Peek(s.br.Buffered())
	if err := foreign(head); err != nil {
		return reply{}, err
	}
	return readReply(s.br)
}

// command sends one command line and reads its reply.
func (s *session) command(cmd string) (reply, error) {
	s.conn.SetDeadline(time.Now().Add(s.opts.ReadTimeout))
	if _, err := io.WriteString(s.conn, cmd+"\r\n"); err != nil {
		return reply{}, err
	}
	return readReply(s.br)
}

// quitWait bounds the wait for QUIT's reply: the audit is done by then.
const quitWait = 2 * time.Second

// quit says goodbye and waits briefly for the 221 (or the server's
// hang-up), so that the server sees an orderly close rather than a reset.
// Failures no longer matter here.
func (s *session) quit() {
	s.conn.SetDeadline(time.Now().Add(min(s.opts.ReadTimeout, quitWait)))
	if _, err := io.WriteString(s.conn, "QUIT\r\n"); err == nil {
		readReply(s.br)
	}
}
