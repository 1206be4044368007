package probe

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"
)

// fakeServer is an SMTP server stand-in on loopback that serves one
// connection and records every byte the client sends.
type fakeServer struct {
	addr netip.AddrPort
	done chan struct{}
	got  bytes.Buffer // written by the server goroutine until done closes
}

// serve listens on host and runs talk on the first connection; a nil talk
// accepts and never speaks. After talk returns, the server keeps reading
// (and recording) until the client closes.
func serve(t *testing.T, host string, talk func(c net.Conn, br *bufio.Reader)) *fakeServer {
	t.Helper()
	ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		t.Fatal(err)
	}
	return serveOn(t, ln, talk)
}

func serveOn(t *testing.T, ln net.Listener, talk func(c net.Conn, br *bufio.Reader)) *fakeServer {
	s := &fakeServer{addr: netip.MustParseAddrPort(ln.Addr().String()), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		c, err := ln.Accept()
		ln.Close()
		if err != nil {
			return
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(30 * time.Second)) // a stuck test fails rather than hangs
		br := bufio.NewReader(io.TeeReader(c, &s.got))
		if talk != nil {
			talk(c, br)
		}
		io.Copy(io.Discard, br)
	}()
	t.Cleanup(func() {
		ln.Close()
		<-s.done
	})
	return s
}

// received waits until the client has gone and returns what it sent.
func (s *fakeServer) received() string {
	<-s.done
	return s.got.String()
}

// converse greets, answers EHLO with ehlo and QUIT with 221, and refuses
// any other command.
func converse(greeting, ehlo string) func(net.Conn, *bufio.Reader) {
	return func(c net.Conn, br *bufio.Reader) {
		io.WriteString(c, greeting)
		for {
			line, err := br.ReadString('\n')
			switch {
			case err != nil:
				return
			case strings.HasPrefix(line, "EHLO "):
				io.WriteString(c, ehlo)
			case line == "QUIT\r\n":
				io.WriteString(c, "221 2.0.0 Bye\r\n")
				return
			default:
				io.WriteString(c, "502 5.5.2 Error: command not recognized\r\n")
			}
		}
	}
}

// say writes b and stays on the line without answering.
func say(b string) func(net.Conn, *bufio.Reader) {
	return func(c net.Conn, _ *bufio.Reader) { io.WriteString(c, b) }
}

const (
	ehloMail  = "250-mail.example.test Hello [192.0.2.1]\r\n250-PIPELINING\r\n250 8BITMIME\r\n"
	sentEHLO  = "EHLO hopcheck.invalid\r\nQUIT\r\n"
	quick     = 200 * time.Millisecond // read timeout for servers that stay silent
	patient   = 10 * time.Second       // read timeout for servers that answer
	slowest   = 5 * time.Second        // how long a quick probe may take on a loaded machine
	noCommand = ""
)

// facts are the comparable part of a Result.
type facts struct {
	Outcome    Outcome
	GreetCode  int
	BannerHost string
	EHLOCode   int
	EHLOHost   string
}

func TestProbe(t *testing.T) {
	tests := []struct {
		name    string
		talk    func(net.Conn, *bufio.Reader)
		timeout time.Duration
		want    facts
		lines   int    // how many greeting lines
		detail  string // in Detail
		sent    string // all the server received
	}{
		{"matching", converse("220 mail.example.test ESMTP Postfix\r\n", ehloMail), patient,
			facts{Outcome: OK, GreetCode: 220, BannerHost: "mail.example.test", EHLOCode: 250, EHLOHost: "mail.example.test"}, 1, "", sentEHLO},
		{"mismatching", converse("220 mx-old.example.test ESMTP\r\n", ehloMail), patient,
			facts{Outcome: OK, GreetCode: 220, BannerHost: "mx-old.example.test", EHLOCode: 250, EHLOHost: "mail.example.test"}, 1, "", sentEHLO},
		{"multi-line greeting", converse("220-mail.example.test ESMTP\r\n220-No UCE\r\n220 ready\r\n", ehloMail), patient,
			facts{Outcome: OK, GreetCode: 220, BannerHost: "mail.example.test", EHLOCode: 250, EHLOHost: "mail.example.test"}, 3, "", sentEHLO},
		{"greeting names no host", converse("220 ESMTP ready\r\n", ehloMail), patient,
			facts{Outcome: OK, GreetCode: 220, EHLOCode: 250, EHLOHost: "mail.example.test"}, 1, "", sentEHLO},
		{"EHLO refused", converse("220 mail.example.test ESMTP\r\n", "502 5.5.1 EHLO not supported\r\n"), patient,
			facts{Outcome: OK, GreetCode: 220, BannerHost: "mail.example.test", EHLOCode: 502}, 1, "refused EHLO", sentEHLO},
		{"554 greeting", converse("554 mx.example.test No SMTP service here\r\n", ""), patient,
			facts{Outcome: Rejected, GreetCode: 554, BannerHost: "mx.example.test"}, 1, "554", "QUIT\r\n"},
		{"421 greeting", converse("421 4.3.2 Service not available\r\n", ""), patient,
			facts{Outcome: Rejected, GreetCode: 421}, 1, "for now", "QUIT\r\n"},
		{"never speaks", nil, quick, facts{Outcome: Timeout}, 0, "filtered or the server is silent", noCommand},
		{"silent after greeting", say("220 mail.example.test ESMTP\r\n"), quick,
			facts{Outcome: Timeout, GreetCode: 220, BannerHost: "mail.example.test"}, 1, "no reply to EHLO", "EHLO hopcheck.invalid\r\n"},
		{"hangs up at once", func(c net.Conn, _ *bufio.Reader) { c.Close() }, patient,
			facts{Outcome: Closed}, 0, "without a greeting", noCommand},
		{"hangs up mid-greeting", func(c net.Conn, _ *bufio.Reader) {
			io.WriteString(c, "220-mail.example.test ESMTP\r\n")
			c.Close()
		}, patient, facts{Outcome: Closed}, 0, "in the middle of its greeting", noCommand},
		{"hangs up after greeting", func(c net.Conn, _ *bufio.Reader) {
			io.WriteString(c, "220 mail.example.test ESMTP\r\n")
			c.Close()
		}, patient, facts{Outcome: Closed, GreetCode: 220, BannerHost: "mail.example.test"}, 1, "after its greeting", noCommand},
		{"SSH", say("SSH-2.0-OpenSSH_9.6\r\n"), patient, facts{Outcome: NotSMTP}, 0, `"SSH-2.0-OpenSSH_9.6\r\n"`, noCommand},
		{"HTTP", say("HTTP/1.1 400 Bad Request\r\n\r\n"), patient, facts{Outcome: NotSMTP}, 0, `"HTTP/1.1 400 Bad Request\r\n\r\n"`, noCommand},
		{"binary", say("\x00\xff\x1b[31m"), patient, facts{Outcome: NotSMTP}, 0, `"\x00\xff\x1b[31m"`, noCommand},
		{"mismatched greeting codes", say("220-mail.example.test\r\n250 ready\r\n"), patient,
			facts{Outcome: NotSMTP}, 0, "line 2 has code 250", noCommand},
		{"TLS", say("\x16\x03\x03\x00\x31\x02\x00\x00\x2d\x03\x03"), patient, facts{Outcome: TLSOnly}, 0, "465", noCommand},
		{"garbled EHLO reply", converse("220 mail.example.test ESMTP\r\n", "hello there\r\n"), patient,
			facts{Outcome: NotSMTP, GreetCode: 220, BannerHost: "mail.example.test"}, 1, "reply to EHLO", "EHLO hopcheck.invalid\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := serve(t, "127.0.0.1", tt.talk)
			res := Probe(context.Background(), srv.addr, Options{ReadTimeout: tt.timeout})
			got := facts{res.Outcome, res.GreetCode, res.BannerHost, res.EHLOCode, res.EHLOHost}
			if got != tt.want {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
			if len(res.Greeting) != tt.lines {
				t.Errorf("greeting %q, want %d lines", res.Greeting, tt.lines)
			}
			if !strings.Contains(res.Detail, tt.detail) || (tt.detail == "") != (res.Detail == "") {
				t.Errorf("detail %q, want it to say %q", res.Detail, tt.detail)
			}
			if res.Addr != srv.addr {
				t.Errorf("addr %v, want %v", res.Addr, srv.addr)
			}
			if tt.timeout == quick && res.Elapsed > slowest {
				t.Errorf("took %v", res.Elapsed)
			}
			if sent := srv.received(); sent != tt.sent {
				t.Errorf("server received %q, want %q", sent, tt.sent)
			}
		})
	}
}

// The probe must never go past EHLO: whatever the server offers, it
// receives exactly one EHLO with the configured name and a QUIT.
func TestProbeSendsOnlyEHLOAndQUIT(t *testing.T) {
	srv := serve(t, "127.0.0.1", converse("220 mail.example.test ESMTP\r\n",
		"250-mail.example.test\r\n250-PIPELINING\r\n250-STARTTLS\r\n250-AUTH PLAIN LOGIN\r\n250 SMTPUTF8\r\n"))
	res := Probe(context.Background(), srv.addr, Options{EHLOName: "client.example.test"})
	if res.Outcome != OK {
		t.Fatalf("outcome %s: %s", res.Outcome, res.Detail)
	}
	if want := []string{"250-mail.example.test", "250-PIPELINING", "250-STARTTLS", "250-AUTH PLAIN LOGIN", "250 SMTPUTF8"}; !slices.Equal(res.EHLOReply, want) {
		t.Errorf("EHLO reply %q, want %q", res.EHLOReply, want)
	}
	if got, want := srv.received(), "EHLO client.example.test\r\nQUIT\r\n"; got != want {
		t.Errorf("server received %q, want %q", got, want)
	}
}

func TestProbeIPv6(t *testing.T) {
	ln, err := net.Listen("tcp", "[::1]:0")
	if err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	}
	srv := serveOn(t, ln, converse("220 mail.example.test ESMTP\r\n", ehloMail))
	res := Probe(context.Background(), srv.addr, Options{})
	if res.Outcome != OK || res.BannerHost != "mail.example.test" || res.EHLOHost != "mail.example.test" {
		t.Errorf("got %+v", res)
	}
	if srv.received() != sentEHLO {
		t.Errorf("server received %q", srv.received())
	}
}

func TestProbeRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := netip.MustParseAddrPort(ln.Addr().String())
	ln.Close()
	res := Probe(context.Background(), addr, Options{})
	if res.Outcome != Refused || !strings.Contains(res.Detail, "nothing listens on port") {
		t.Errorf("got %s: %s", res.Outcome, res.Detail)
	}
}

// dialFunc lets a test stand in for the network.
type dialFunc func(ctx context.Context, network, address string) (net.Conn, error)

func (f dialFunc) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	return f(ctx, network, address)
}

// A filtered port never answers the SYN: the dial blocks until its
// deadline. Other dial errors are passed on.
func TestProbeDialFailure(t *testing.T) {
	blackhole := dialFunc(func(ctx context.Context, _, _ string) (net.Conn, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	})
	unreachable := dialFunc(func(context.Context, string, string) (net.Conn, error) {
		return nil, &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connect: network is unreachable")}
	})
	for _, tt := range []struct {
		dialer  dialFunc
		outcome Outcome
		detail  string
	}{
		{blackhole, Timeout, "port 25 of 192.0.2.25 is filtered"},
		{unreachable, Error, "cannot connect to 192.0.2.25:25: connect: network is unreachable"},
	} {
		res := Probe(context.Background(), netip.MustParseAddrPort("192.0.2.25:25"), Options{ConnectTimeout: quick, Dialer: tt.dialer})
		if res.Outcome != tt.outcome || !strings.Contains(res.Detail, tt.detail) {
			t.Errorf("got %s: %s, want %s: %s", res.Outcome, res.Detail, tt.outcome, tt.detail)
		}
		if res.Elapsed > slowest {
			t.Errorf("took %v", res.Elapsed)
		}
	}
}

// The caller's context ends a probe stuck on a silent server at once: its
// deadline counts as a timeout, a cancellation as an error.
func TestProbeContext(t *testing.T) {
	for _, tt := range []struct {
		name    string
		ctx     func() (context.Context, context.CancelFunc)
		outcome Outcome
		detail  string
	}{
		{"cancel", func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(quick, cancel)
			return ctx, cancel
		}, Error, "cancelled"},
		{"deadline", func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), quick)
		}, Timeout, "the caller's deadline passed"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := serve(t, "127.0.0.1", nil)
			ctx, cancel := tt.ctx()
			defer cancel()
			res := Probe(ctx, srv.addr, Options{ReadTimeout: time.Hour})
			if res.Outcome != tt.outcome || !strings.Contains(res.Detail, tt.detail) {
				t.Errorf("got %s: %s", res.Outcome, res.Detail)
			}
			if res.Elapsed > slowest {
				t.Errorf("took %v", res.Elapsed)
			}
			if sent := srv.received(); sent != "" {
				t.Errorf("server received %q", sent)
			}
		})
	}
}

func TestProbeInvalidInput(t *testing.T) {
	noDial := dialFunc(func(context.Context, string, string) (net.Conn, error) {
		t.Error("dialled")
		return nil, errors.New("no")
	})
	for _, tt := range []struct {
		addr netip.AddrPort
		name string
	}{
		{netip.AddrPort{}, ""},
		{netip.MustParseAddrPort("192.0.2.25:25"), "x\r\nMAIL FROM:<>"},
		{netip.MustParseAddrPort("[2001:db8::25]:25"), "two words"},
	} {
		res := Probe(context.Background(), tt.addr, Options{EHLOName: tt.name, Dialer: noDial})
		if res.Outcome != Error || res.Detail == "" {
			t.Errorf("%v %q: got %s: %s", tt.addr, tt.name, res.Outcome, res.Detail)
		}
	}
}
