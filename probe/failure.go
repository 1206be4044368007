package probe

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"syscall"
	"time"
)

// errTLS marks a server that opened with a TLS record.
var errTLS = errors.New("the server speaks TLS first")

// foreign reports a first reply that cannot be SMTP from its first bytes:
// a TLS record (handshake 0x16 or alert 0x15, then major version 3) or
// anything not starting with a reply code's first digit.
func foreign(head []byte) error {
	switch {
	case len(head) == 0 || head[0] >= '2' && head[0] <= '5':
		return nil
	case (head[0] == 0x16 || head[0] == 0x15) && (len(head) < 2 || head[1] == 0x03):
		return errTLS
	}
	return notSMTPf("it sent %s", quote(head))
}

type stage int

const (
	stageGreeting stage = iota
	stageEHLO
)

// failure turns an error met while connected into an outcome and its
// explanation.
func (s *session) failure(st stage, err error) (Outcome, string) {
	wait := s.opts.ReadTimeout
	var bad notSMTP
	switch {
	case s.ctx.Err() != nil:
		return cancelled(s.ctx)
	case errors.Is(err, errTLS):
		return TLSOnly, "the server speaks TLS first: this is an implicit-TLS port such as 465, not a plain SMTP port such as 25"
	case errors.As(err, &bad) && st == stageGreeting:
		return NotSMTP, "the greeting is not SMTP: " + string(bad)
	case errors.As(err, &bad):
		return NotSMTP, "the reply to EHLO is not SMTP: " + string(bad)
	case errors.Is(err, os.ErrDeadlineExceeded) && st == stageGreeting:
		return Timeout, fmt.Sprintf("no greeting within %v: the port is filtered or the server is silent (stalled, or waiting for TLS first)", wait)
	case errors.Is(err, os.ErrDeadlineExceeded):
		return Timeout, fmt.Sprintf("no reply to EHLO within %v: the server is stalled or slowing clients down on purpose", wait)
	case errors.Is(err, io.ErrUnexpectedEOF) && st == stageGreeting:
		return Closed, "the server closed the connection in the middle of its greeting"
	case hungUp(err) && st == stageGreeting:
		return Closed, "the server closed the connection without a greeting"
	case hungUp(err):
		return Closed, "the server closed the connection after its greeting, before answering EHLO"
	}
	return Error, err.Error()
}

func hungUp(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// dialFailure explains a failed connection attempt. ctx is the caller's,
// so that its cancellation is told apart from ConnectTimeout.
func dialFailure(ctx context.Context, addr netip.AddrPort, wait time.Duration, err error) (Outcome, string) {
	var ne net.Error
	switch {
	case ctx.Err() != nil:
		return cancelled(ctx)
	case errors.Is(err, syscall.ECONNREFUSED):
		return Refused, fmt.Sprintf("connection refused: nothing listens on port %d of %v, or a firewall rejects the connection", addr.Port(), addr.Addr())
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return Timeout, fmt.Sprintf("no answer to the connection within %v: port %d of %v is filtered or the host is silent", wait, addr.Port(), addr.Addr())
	}
	// The address is said once: drop the "dial tcp addr:" prefix.
	if oe := (*net.OpError)(nil); errors.As(err, &oe) {
		err = oe.Err
	}
	return Error, fmt.Sprintf("cannot connect to %v: %v", addr, err)
}

// cancelled reports the caller's context ending: its deadline is a timeout,
// anything else an error.
func cancelled(ctx context.Context) (Outcome, string) {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return Timeout, "the caller's deadline passed before the probe finished"
	}
	return Error, "the probe was cancelled"
}

// rejection explains a greeting that refuses service.
func rejection(r reply) string {
	switch {
	case r.code == 554:
		return "the server refuses SMTP service to this client (554)"
	case r.code/100 == 4:
		return fmt.Sprintf("the server turns this client away for now (%d)", r.code)
	}
	return fmt.Sprintf("the greeting has code %d instead of 220: the server refuses service", r.code)
}
