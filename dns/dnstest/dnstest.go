// Package dnstest runs a real DNS server on loopback, over UDP and TCP on
// one port, answering from zone files — for tests and benchmarks of code
// that talks DNS. Names can be made to fail in the ways real servers fail:
// SERVFAIL, no answer at all, truncated UDP answers, slow answers.
package dnstest

import (
	"context"
	"net"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"

	hdns "hopcheck/dns"
)

// Options shape the server's behaviour. Names are fully qualified and
// lower case ("10.2.0.192.in-addr.arpa.").
type Options struct {
	Zone     *hdns.Zone
	ServFail map[string]bool // answered SERVFAIL
	Drop     map[string]bool // never answered
	Truncate map[string]bool // UDP answers come back empty with TC set
	Delay    time.Duration   // every answer waits this long
}

// Server is a running test server.
type Server struct {
	Addr string // "127.0.0.1:port", the same port for UDP and TCP
	udp  *dns.Server
	tcp  *dns.Server
	opts Options

	UDPQueries atomic.Int64
	TCPQueries atomic.Int64
	// MaxInFlight is the most queries the server was handling at once.
	MaxInFlight atomic.Int64
	inFlight    atomic.Int64

	mu    sync.Mutex
	asked map[question]int
}

type question struct {
	name  string
	qtype uint16
}

// Asked is how many times name (fully qualified, lower case) was asked
// for qtype, over UDP and TCP.
func (s *Server) Asked(name string, qtype uint16) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.asked[question{name, qtype}]
}

// Start starts a server for the life of the test or benchmark.
func Start(tb testing.TB, opts Options) *Server {
	tb.Helper()
	s := &Server{opts: opts, asked: make(map[question]int)}
	mux := dns.NewServeMux()
	mux.HandleFunc(".", s.serve)
	var (
		pc  net.PacketConn
		ln  net.Listener
		err error
	)
	// Bind UDP first, then TCP on the same port; another process may hold
	// the TCP port, so try a few.
	for range 20 {
		pc, err = net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			tb.Fatalf("dnstest: %v", err)
		}
		ln, err = net.Listen("tcp", pc.LocalAddr().String())
		if err == nil {
			break
		}
		pc.Close()
	}
	if err != nil {
		tb.Fatalf("dnstest: no port free for UDP and TCP: %v", err)
	}
	s.Addr = pc.LocalAddr().String()
	s.udp = &dns.Server{PacketConn: pc, Handler: mux}
	s.tcp = &dns.Server{Listener: ln, Handler: mux}
	for _, srv := range []*dns.Server{s.udp, s.tcp} {
		started := make(chan struct{})
		srv.NotifyStartedFunc = func() { close(started) }
		go func() {
			if err := srv.ActivateAndServe(); err != nil {
				select {
				case <-started:
				default:
					close(started)
				}
			}
		}()
		<-started
	}
	tb.Cleanup(func() {
		s.udp.Shutdown()
		s.tcp.Shutdown()
	})
	return s
}

func (s *Server) serve(w dns.ResponseWriter, req *dns.Msg) {
	n := s.inFlight.Add(1)
	// Counted out before the answer is written: once written, the client
	// may send its next query before this handler returns.
	done := sync.OnceFunc(func() { s.inFlight.Add(-1) })
	defer done()
	for m := s.MaxInFlight.Load(); n > m && !s.MaxInFlight.CompareAndSwap(m, n); m = s.MaxInFlight.Load() {
	}
	_, isTCP := w.RemoteAddr().(*net.TCPAddr)
	if isTCP {
		s.TCPQueries.Add(1)
	} else {
		s.UDPQueries.Add(1)
	}
	if len(req.Question) != 1 {
		m := new(dns.Msg)
		m.SetRcode(req, dns.RcodeFormatError)
		done()
		w.WriteMsg(m)
		return
	}
	q := req.Question[0]
	name := dns.CanonicalName(q.Name)
	s.mu.Lock()
	s.asked[question{name, q.Qtype}]++
	s.mu.Unlock()
	if s.opts.Delay > 0 {
		time.Sleep(s.opts.Delay)
	}
	if s.opts.Drop[name] {
		return
	}
	m := new(dns.Msg)
	m.SetReply(req)
	m.Authoritative = true
	if opt := req.IsEdns0(); opt != nil {
		m.SetEdns0(opt.UDPSize(), false)
	}
	switch {
	case s.opts.ServFail[name]:
		m.Rcode = dns.RcodeServerFailure
	case s.opts.Truncate[name] && !isTCP:
		m.Truncated = true
	case s.opts.Zone == nil:
		m.Rcode = dns.RcodeRefused
	default:
		ans, err := s.opts.Zone.Query(context.Background(), name, q.Qtype)
		if err != nil {
			// A name the zones do not cover: a recursive resolver that
			// failed to reach its servers says SERVFAIL.
			m.Rcode = dns.RcodeServerFailure
			break
		}
		if ans.NXDomain {
			m.Rcode = dns.RcodeNameError
		}
		m.Answer = ans.Records
		m.Ns = ans.Authority
	}
	done()
	// A client that gave up is no failure of the server.
	_ = w.WriteMsg(m)
}

// Zones loads the zone files that match a glob pattern, failing tb when
// none match or one does not load.
func Zones(tb testing.TB, pattern string) *hdns.Zone {
	tb.Helper()
	files, err := filepath.Glob(pattern)
	if err != nil || len(files) == 0 {
		tb.Fatalf("dnstest: no zone files match %s: %v", pattern, err)
	}
	z, err := hdns.LoadZoneFiles(files...)
	if err != nil {
		tb.Fatal(err)
	}
	return z
}
