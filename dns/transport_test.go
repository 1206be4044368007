package dns

import (
	"context"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	mdns "github.com/miekg/dns"
)

// lossyServer answers A queries for any name with 192.0.2.1, counting the
// datagrams per name; drop decides, per name and arrival (from 1), which
// datagrams it ignores, as a lossy network would.
type lossyServer struct {
	addr string
	pc   net.PacketConn
	drop func(name string, n int) bool

	mu   sync.Mutex
	seen map[string]int
	// spoof makes the server send forged answers first: the right ID
	// with another question, then a wrong ID with the right question.
	spoof bool
}

func startLossy(t *testing.T, drop func(name string, n int) bool, spoof bool) *lossyServer {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &lossyServer{addr: pc.LocalAddr().String(), pc: pc, drop: drop, spoof: spoof, seen: map[string]int{}}
	go s.serve()
	t.Cleanup(func() { pc.Close() })
	return s
}

func (s *lossyServer) asked(name string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.seen[name]
}

func (s *lossyServer) serve() {
	buf := make([]byte, 4096)
	for {
		n, from, err := s.pc.ReadFrom(buf)
		if err != nil {
			return
		}
		req := new(mdns.Msg)
		if req.Unpack(buf[:n]) != nil || len(req.Question) != 1 {
			continue
		}
		name := strings.ToLower(req.Question[0].Name)
		s.mu.Lock()
		s.seen[name]++
		k := s.seen[name]
		s.mu.Unlock()
		if s.drop != nil && s.drop(name, k) {
			continue
		}
		answer := func(id uint16, qname, ip string) {
			m := new(mdns.Msg)
			m.SetReply(req)
			m.Id = id
			m.Question[0].Name = qname
			rr, _ := mdns.NewRR(qname + " 60 IN A " + ip)
			m.Answer = []mdns.RR{rr}
			b, _ := m.Pack()
			s.pc.WriteTo(b, from)
		}
		if s.spoof {
			answer(req.Id, "forged.example.", "203.0.113.66")
			answer(req.Id+1, req.Question[0].Name, "203.0.113.66")
		}
		answer(req.Id, req.Question[0].Name, "192.0.2.1")
	}
}

// TestEarlyRetransmit: a dropped datagram costs one retransmission timer
// (the measured round trip, at least minRTO), not the attempt's timeout.
func TestEarlyRetransmit(t *testing.T) {
	srv := startLossy(t, func(name string, n int) bool { return name == "lost.example." && n == 1 }, false)
	c := NewClient(ClientOptions{Servers: []string{srv.addr}, Timeout: 2 * time.Second})
	defer c.Close()
	ctx := context.Background()
	// A first answer measures the round trip.
	if _, err := c.Query(ctx, "warm.example.", mdns.TypeA); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	ans, err := c.Query(ctx, "lost.example.", mdns.TypeA)
	took := time.Since(start)
	if err != nil || len(ans.Records) != 1 {
		t.Fatalf("answer %+v, %v", ans, err)
	}
	if took < minRTO || took > 3*minRTO {
		t.Errorf("the lost query took %v, want about one retransmission timer (%v)", took, minRTO)
	}
	if n := srv.asked("lost.example."); n != 2 {
		t.Errorf("the lost query was sent %d times, want 2", n)
	}
	if st := c.TransportStats(); st.Retransmits != 1 || st.Losses != 1 {
		t.Errorf("stats %+v, want one retransmission and one loss", st)
	}
}

// TestSendsBounded: a query that is never answered is sent at most
// maxSendsPerAttempt times per attempt, ends as a timeout (a temporary
// failure) after Timeout × Attempts, and is never taken for "no data".
func TestSendsBounded(t *testing.T) {
	srv := startLossy(t, func(name string, _ int) bool { return name == "black.example." }, false)
	const timeout = 400 * time.Millisecond
	c := NewClient(ClientOptions{Servers: []string{srv.addr}, Timeout: timeout, Attempts: 2})
	defer c.Close()
	ctx := context.Background()
	if _, err := c.Query(ctx, "warm.example.", mdns.TypeA); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err := c.Query(ctx, "black.example.", mdns.TypeA)
	took := time.Since(start)
	var te *TempError
	if !IsTemporary(err) || !strings.Contains(err.Error(), "timeout") || errorsAs(err, &te) && te.Unreachable {
		t.Fatalf("error %v, want a temporary failure by timeout", err)
	}
	if took < 2*timeout || took > 2*timeout+200*time.Millisecond {
		t.Errorf("took %v, want Timeout × Attempts = %v", took, 2*timeout)
	}
	// minRTO, then 2×minRTO: within a 400 ms attempt, the attempt's own send
	// and two early ones (at 100 and 300 ms); no more.
	if n := srv.asked("black.example."); n < 2 || n > 2*maxSendsPerAttempt {
		t.Errorf("sent %d times, want 2 to %d", n, 2*maxSendsPerAttempt)
	}
}

// TestForgedAnswersDropped: an answer must match a pending query's ID and
// its question; anything else is dropped and the real answer still taken.
func TestForgedAnswersDropped(t *testing.T) {
	srv := startLossy(t, nil, true)
	c := NewClient(ClientOptions{Servers: []string{srv.addr}, Timeout: time.Second})
	defer c.Close()
	for _, name := range []string{"a.example.", "B.Example."} {
		ans, err := c.Query(context.Background(), name, mdns.TypeA)
		if err != nil || len(ans.Records) != 1 || ans.Records[0].(*mdns.A).A.String() != "192.0.2.1" {
			t.Fatalf("%s: answer %+v, %v; want the genuine 192.0.2.1", name, ans, err)
		}
	}
	if st := c.TransportStats(); st.Unmatched < 2 {
		t.Errorf("stats %+v: the forged answers were not counted as dropped", st)
	}
}

// TestSocketsShared: queries share a few sockets instead of one each, and
// a socket is rotated for a fresh source port after rotateUses queries.
func TestSocketsShared(t *testing.T) {
	defer func(n int) { rotateUses = n }(rotateUses)
	rotateUses = 64
	srv := startLossy(t, nil, false)
	c := NewClient(ClientOptions{Servers: []string{srv.addr}, Timeout: time.Second})
	defer c.Close()
	ctx := context.Background()
	n := 2 * rotateUses * poolSize
	var wg sync.WaitGroup
	var failed atomic.Int64
	for i := range n {
		wg.Go(func() {
			if _, err := c.Query(ctx, "h"+itoa(i)+".example.", mdns.TypeA); err != nil {
				failed.Add(1)
			}
		})
		if i%256 == 255 {
			wg.Wait()
		}
	}
	wg.Wait()
	st := c.TransportStats()
	if failed.Load() > 0 || st.Sends < int64(n) {
		t.Fatalf("%d failed, stats %+v", failed.Load(), st)
	}
	// n queries over poolSize sockets: each rotated after rotateUses.
	if want := int64(n/rotateUses + poolSize); st.Sockets > want || st.Sockets <= poolSize {
		t.Errorf("%d sockets for %d queries, want more than %d and at most %d", st.Sockets, n, poolSize, want)
	}
}

// TestInFlightBound: no more than the limit of queries get a place at one
// server; the next waits for one to end, or for its context.
func TestInFlightBound(t *testing.T) {
	u := newUpstream("127.0.0.1:1", time.Second, 4)
	if u.limitLocked() != 4 {
		t.Fatalf("limit %d, want 4", u.limitLocked())
	}
	ctx := context.Background()
	for range 4 {
		if err := u.acquire(ctx); err != nil {
			t.Fatal(err)
		}
	}
	ctx2, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if err := u.acquire(ctx2); err == nil {
		t.Fatal("a fifth query got a place with a bound of 4")
	}
	done := make(chan error, 1)
	go func() { done <- u.acquire(ctx) }()
	u.release()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	u.mu.Lock()
	if u.inflight != 4 || len(u.waiters) != 0 {
		t.Errorf("inflight %d, %d waiting", u.inflight, len(u.waiters))
	}
	u.mu.Unlock()
}

// TestBackoffOnLoss: a window with many lost datagrams halves the limit,
// once per burst of loss; clean windows let it grow back.
func TestBackoffOnLoss(t *testing.T) {
	u := newUpstream("127.0.0.1:1", time.Second, 256)
	u.limit, u.slow = 256, false
	start := time.Now()
	for i := range lossWindow {
		u.finished(start, i%5 == 0) // 20% lost
	}
	if u.limit != 128 {
		t.Fatalf("limit %v after a lossy window, want 128", u.limit)
	}
	// Losses of attempts that started before the cut are the same event.
	for range lossWindow {
		u.finished(start, true)
	}
	if u.limit != 128 {
		t.Fatalf("limit %v: halved again for the same burst", u.limit)
	}
	later := time.Now().Add(time.Millisecond)
	for range 8 * lossWindow {
		u.finished(later, false)
	}
	if u.limit <= 128 || u.limit > 256 {
		t.Fatalf("limit %v after clean windows, want it grown back toward 256", u.limit)
	}
}

func itoa(i int) string {
	var b [20]byte
	n := len(b)
	for {
		n--
		b[n] = byte('0' + i%10)
		i /= 10
		if i == 0 {
			return string(b[n:])
		}
	}
}

func errorsAs(err error, te **TempError) bool {
	t, ok := err.(*TempError)
	if ok {
		*te = t
	}
	return ok
}

// TestMaxQPS: with MaxQPS the queries that reach the network are paced
// (through Paced); answers from the cache are not.
func TestMaxQPS(t *testing.T) {
	srv := startLossy(t, nil, false)
	c := NewClient(ClientOptions{Servers: []string{srv.addr}, Timeout: time.Second, MaxQPS: 100})
	defer c.Close()
	ctx := context.Background()
	start := time.Now()
	for i := range 30 {
		if _, err := c.Query(ctx, "q"+itoa(i)+".example.", mdns.TypeA); err != nil {
			t.Fatal(err)
		}
	}
	// 30 queries at 100/s with a burst of 10: at least 20 intervals.
	if took := time.Since(start); took < 190*time.Millisecond {
		t.Errorf("30 queries at MaxQPS 100 took %v, want at least 200ms", took)
	}
	start = time.Now()
	for i := range 30 {
		if _, err := c.Query(ctx, "q"+itoa(i)+".example.", mdns.TypeA); err != nil {
			t.Fatal(err)
		}
	}
	if took := time.Since(start); took > 50*time.Millisecond {
		t.Errorf("30 cached answers took %v: the cache waited for the pacer", took)
	}
}
