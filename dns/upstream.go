package dns

import (
	"context"
	"errors"
	"math/rand/v2"
	"net"
	"sync"
	"time"

	mdns "github.com/miekg/dns"
)

// The transport of a Client to one server: a few long-lived UDP sockets
// shared by every query, answers matched to queries by ID and question, a
// retransmission timer from the measured round-trip time, and a bound on
// the queries in flight that halves when many of them go unanswered.

const (
	// minRTO is the retransmission timer's floor: no query is re-sent
	// sooner than this after the previous send, however fast the server.
	minRTO = 100 * time.Millisecond
	// initialRTO is the timer before the server has answered anything.
	initialRTO = 500 * time.Millisecond
	// maxSendsPerAttempt bounds the sends of one attempt: the attempt's
	// own and at most two early retransmissions.
	maxSendsPerAttempt = 3

	// poolSize is how many UDP sockets a server's queries share.
	poolSize = 4
	// rotateAge retires a socket, for a fresh random source port, after
	// this long (rotateUses after so many queries).
	rotateAge = 30 * time.Second
	// idleClose closes a socket that has had nothing to do this long, so a
	// Client that is dropped leaves nothing behind.
	idleClose = 2 * time.Second

	// The loss window: every lossWindow attempts, the share of attempts
	// that lost a datagram (answered only by a retransmission, or not at
	// all) is looked at; above lossHigh the in-flight limit halves (down
	// to minInFlight), at or below it grows back by an eighth (up to the
	// configured limit). An answer that comes late, after its timer, is no
	// loss: the round-trip estimate learns from it instead.
	lossWindow  = 128
	lossHigh    = 0.05
	minInFlight = 8
	// startInFlight is the limit a server starts with: it grows by one for
	// every attempt answered at the first send (doubling each round trip,
	// as TCP's slow start) up to the configured limit, so that a batch of
	// queries does not hit a server's socket buffer in one burst.
	startInFlight = 32

	// maxUDPAnswer is the read buffer: more than the EDNS0 size advertised,
	// for servers that send more than asked.
	maxUDPAnswer = 4096
)

// rotateUses retires a socket after so many queries (a variable for tests).
var rotateUses = 2048

// errAttemptTimeout ends an attempt that got no answer in time; it is a
// net.Error whose Timeout is true, so its reason is "timeout".
var errAttemptTimeout error = timeoutError{}

type timeoutError struct{}

func (timeoutError) Error() string   { return "i/o timeout" }
func (timeoutError) Timeout() bool   { return true }
func (timeoutError) Temporary() bool { return true }

// upstream is one server: its sockets, its round-trip estimate and its
// in-flight bound.
type upstream struct {
	addr    string
	timeout time.Duration // the longest an attempt waits

	mu sync.Mutex
	// The in-flight bound: limit may fall below max after losses.
	inflight int
	limit    float64
	max      int
	slow     bool      // in slow start
	cutAt    time.Time // the limit was last halved: older losses are that event's
	waiters  []chan struct{}
	// Round-trip estimate (RFC 6298).
	srtt, rttvar time.Duration
	sampled      bool
	// The current loss window, in attempts.
	winAttempts, winLosses int
	// The socket pool; nil slots are filled on demand.
	socks [poolSize]*udpSock
	next  int
	// closed refuses new sockets after Close.
	closed bool

	stats TransportStats
}

// TransportStats count what a Client's UDP transport did, summed over its
// servers.
type TransportStats struct {
	Sends       int64 // datagrams sent, retransmissions included
	Retransmits int64 // sends after the first of an attempt
	Losses      int64 // attempts answered only by a retransmission, or not at all
	Late        int64 // answers that came after their send's timer had expired
	// Unmatched are datagrams dropped on arrival: answers to sends no
	// longer awaited (the duplicate of a retransmission, an answer after
	// its attempt ended) and anything whose ID and question match no
	// query in flight, or that is no response.
	Unmatched int64
	Sockets   int64         // UDP sockets opened
	Backoffs  int64         // times the in-flight limit was halved
	MinLimit  int           // the lowest the in-flight bound was cut to (the bound when never cut)
	Answers   int64         // answers matched to a send
	RTTSum    time.Duration // their round-trip times, summed
}

func newUpstream(addr string, timeout time.Duration, maxInFlight int) *upstream {
	return &upstream{addr: addr, timeout: timeout, limit: float64(min(startInFlight, maxInFlight)), max: maxInFlight,
		slow: startInFlight < maxInFlight, stats: TransportStats{MinLimit: maxInFlight}}
}

// acquire waits for a place among the queries in flight, in turn.
func (u *upstream) acquire(ctx context.Context) error {
	u.mu.Lock()
	if len(u.waiters) == 0 && u.inflight < u.limitLocked() {
		u.inflight++
		u.mu.Unlock()
		return nil
	}
	ch := make(chan struct{})
	u.waiters = append(u.waiters, ch)
	u.mu.Unlock()
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		u.mu.Lock()
		for i, w := range u.waiters {
			if w == ch {
				u.waiters = append(u.waiters[:i], u.waiters[i+1:]...)
				u.mu.Unlock()
				return ctx.Err()
			}
		}
		// Granted meanwhile: hand the place on.
		u.inflight--
		u.grantLocked()
		u.mu.Unlock()
		return ctx.Err()
	}
}

func (u *upstream) release() {
	u.mu.Lock()
	u.inflight--
	u.grantLocked()
	u.mu.Unlock()
}

func (u *upstream) limitLocked() int { return max(int(u.limit), 1) }

func (u *upstream) grantLocked() {
	for len(u.waiters) > 0 && u.inflight < u.limitLocked() {
		ch := u.waiters[0]
		u.waiters[0] = nil
		u.waiters = u.waiters[1:]
		u.inflight++
		close(ch)
	}
	if len(u.waiters) == 0 {
		u.waiters = nil // let a long queue's array go
	}
}

// rto is the retransmission timeout now: SRTT + 4·RTTVAR, at least minRTO,
// at most the attempt timeout.
func (u *upstream) rto() time.Duration {
	u.mu.Lock()
	defer u.mu.Unlock()
	rto := initialRTO
	if u.sampled {
		rto = u.srtt + 4*u.rttvar
	}
	return min(max(rto, minRTO), u.timeout)
}

// answered records the round-trip time of an answer; late says its
// send's timer had expired.
func (u *upstream) answered(rtt time.Duration, late bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if !u.sampled {
		u.srtt, u.rttvar, u.sampled = rtt, rtt/2, true
	} else {
		d := u.srtt - rtt
		if d < 0 {
			d = -d
		}
		u.rttvar = (3*u.rttvar + d) / 4
		u.srtt = (7*u.srtt + rtt) / 8
	}
	if late {
		u.stats.Late++
	}
	u.stats.RTTSum += rtt
	u.stats.Answers++
}

// sent counts a send.
func (u *upstream) sent(retransmit bool) {
	u.mu.Lock()
	u.stats.Sends++
	if retransmit {
		u.stats.Retransmits++
	}
	u.mu.Unlock()
}

// finished counts an attempt that started at start in the loss window:
// lost when its first send got no answer at all (the attempt timed out, or
// only a retransmission was answered). Losses of attempts that started
// before the last halving are counted but do not halve the limit again:
// one burst of loss halves it once.
func (u *upstream) finished(start time.Time, lost bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if lost {
		u.stats.Losses++
		if start.Before(u.cutAt) {
			return
		}
	}
	u.winAttempts++
	if lost {
		u.winLosses++
	} else if u.slow {
		u.limit++
		if u.limit >= float64(u.max) {
			u.limit, u.slow = float64(u.max), false
		}
		u.grantLocked()
	}
	if u.winAttempts < lossWindow {
		return
	}
	if float64(u.winLosses)/float64(u.winAttempts) > lossHigh {
		u.slow = false
		u.cutAt = time.Now()
		u.limit = max(u.limit/2, minInFlight)
		u.stats.Backoffs++
		u.stats.MinLimit = min(u.stats.MinLimit, u.limitLocked())
	} else if u.limit < float64(u.max) {
		u.limit = min(u.limit+max(u.limit/8, 1), float64(u.max))
		u.grantLocked()
	}
	u.winAttempts, u.winLosses = 0, 0
}

// sock returns a socket to send on: the pool's next, opened or replaced
// when it is missing or due for rotation.
func (u *upstream) sock() (*udpSock, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.closed {
		return nil, net.ErrClosed
	}
	i := u.next
	u.next = (u.next + 1) % poolSize
	s := u.socks[i]
	if s != nil && s.due() {
		s.retire()
		s = nil
	}
	if s == nil {
		var err error
		if s, err = dialUDP(u, i); err != nil {
			return nil, err
		}
		u.socks[i] = s
		u.stats.Sockets++
	}
	return s, nil
}

// forget drops s from the pool (it closed itself).
func (u *upstream) forget(s *udpSock) {
	u.mu.Lock()
	if u.socks[s.slot] == s {
		u.socks[s.slot] = nil
	}
	u.mu.Unlock()
}

func (u *upstream) close() {
	u.mu.Lock()
	u.closed = true
	socks := u.socks
	u.socks = [poolSize]*udpSock{}
	u.mu.Unlock()
	for _, s := range socks {
		if s != nil {
			s.retire()
		}
	}
}

// udpSock is one connected UDP socket (the kernel picks a random source
// port and drops datagrams from any other address) and the queries waiting
// for an answer on it, by ID.
type udpSock struct {
	up   *upstream
	slot int
	conn *net.UDPConn
	born time.Time

	mu       sync.Mutex
	pending  map[uint16]*pendingSend
	uses     int
	lastUse  time.Time
	retired  bool // no new sends; closed once nothing is pending
	isClosed bool
}

// pendingSend is one send of an attempt, waiting for its answer.
type pendingSend struct {
	a       *attempt
	n       int // which send of the attempt, from 0
	sentAt  time.Time
	expired bool // its retransmission timer fired first
}

// reply is what the reader hands an attempt: an answer's bytes, or a
// socket error (an ICMP "port unreachable" read as connection refused).
type reply struct {
	msg    []byte
	err    error
	n      int // which send of the attempt it answers
	rtt    time.Duration
	expire bool
}

func dialUDP(u *upstream, slot int) (*udpSock, error) {
	raddr, err := net.ResolveUDPAddr("udp", u.addr)
	if err != nil {
		return nil, err
	}
	conn, err := net.DialUDP("udp", nil, raddr)
	if err != nil {
		return nil, err
	}
	// Room for a burst of answers; the kernel caps it at rmem_max.
	_ = conn.SetReadBuffer(1 << 20)
	now := time.Now()
	s := &udpSock{up: u, slot: slot, conn: conn, born: now, lastUse: now, pending: make(map[uint16]*pendingSend)}
	go s.read()
	return s, nil
}

// due says the socket has served long enough, or closed itself (called
// with up.mu held).
func (s *udpSock) due() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.isClosed || s.retired || s.uses >= rotateUses || time.Since(s.born) >= rotateAge
}

// retire stops new sends on s and closes it once nothing is pending.
func (s *udpSock) retire() {
	s.mu.Lock()
	s.retired = true
	closeNow := len(s.pending) == 0 && !s.isClosed
	if closeNow {
		s.isClosed = true
	}
	s.mu.Unlock()
	if closeNow {
		s.conn.Close()
	}
}

// send registers p under a fresh random ID and sends msg with it.
func (s *udpSock) send(msg []byte, p *pendingSend) (uint16, error) {
	s.mu.Lock()
	if s.isClosed {
		s.mu.Unlock()
		return 0, net.ErrClosed
	}
	var id uint16
	for {
		id = uint16(rand.Uint32())
		if _, taken := s.pending[id]; !taken {
			break
		}
	}
	s.pending[id] = p
	s.uses++
	p.sentAt = time.Now()
	s.lastUse = p.sentAt
	s.mu.Unlock()
	msg[0], msg[1] = byte(id>>8), byte(id)
	if _, err := s.conn.Write(msg); err != nil {
		s.unregister(id)
		return 0, err
	}
	return id, nil
}

// forgetLocked forgets a send and reports whether the socket, retired and
// now idle, is to be closed (by the caller, outside the lock). s.mu is held.
func (s *udpSock) forgetLocked(id uint16) bool {
	delete(s.pending, id)
	if s.retired && len(s.pending) == 0 && !s.isClosed {
		s.isClosed = true
		return true
	}
	return false
}

// unregister forgets a send that is no longer awaited.
func (s *udpSock) unregister(id uint16) {
	s.mu.Lock()
	closeNow := s.forgetLocked(id)
	s.mu.Unlock()
	if closeNow {
		s.conn.Close()
	}
}

// expire marks a send whose timer fired, so that a late answer to it is
// known as such.
func (s *udpSock) expire(id uint16) {
	s.mu.Lock()
	if p := s.pending[id]; p != nil {
		p.expired = true
	}
	s.mu.Unlock()
}

// read delivers answers to the attempts waiting for them until the socket
// closes. A datagram whose ID is not pending, whose question is not the
// one asked or that is no response is dropped: an answer must match both.
func (s *udpSock) read() {
	buf := make([]byte, maxUDPAnswer)
	_ = s.conn.SetReadDeadline(time.Now().Add(idleClose))
	for {
		n, err := s.conn.Read(buf)
		if err != nil {
			var ne net.Error
			switch {
			case errors.Is(err, net.ErrClosed):
				s.up.forget(s)
				return
			case errors.As(err, &ne) && ne.Timeout():
				if s.idle() {
					s.up.forget(s)
					s.conn.Close()
					return
				}
				_ = s.conn.SetReadDeadline(time.Now().Add(idleClose))
			default:
				// The server is unreachable (an ICMP error): every query
				// waiting here learns it now rather than at its timeout.
				s.failAll(err)
			}
			continue
		}
		s.deliver(buf[:n])
	}
}

// idle closes s for good when nothing was asked on it for idleClose.
func (s *udpSock) idle() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.pending) > 0 || time.Since(s.lastUse) < idleClose {
		return false
	}
	s.isClosed = true
	return true
}

func (s *udpSock) deliver(b []byte) {
	if len(b) < 12 || b[2]&0x80 == 0 { // too short, or not a response (QR)
		s.mismatch()
		return
	}
	id := uint16(b[0])<<8 | uint16(b[1])
	now := time.Now()
	s.mu.Lock()
	p := s.pending[id]
	if p == nil || !p.a.sameQuestion(b) {
		s.mu.Unlock()
		s.mismatch()
		return
	}
	closeNow := s.forgetLocked(id)
	s.mu.Unlock()
	if closeNow {
		defer s.conn.Close()
	}
	// The channel has room for every send of the attempt: never blocks.
	p.a.replies <- reply{msg: append([]byte(nil), b...), n: p.n, rtt: now.Sub(p.sentAt), expire: p.expired}
}

func (s *udpSock) mismatch() {
	s.up.mu.Lock()
	s.up.stats.Unmatched++
	s.up.mu.Unlock()
}

func (s *udpSock) failAll(err error) {
	s.mu.Lock()
	ps := make([]*pendingSend, 0, len(s.pending))
	for id, p := range s.pending {
		ps = append(ps, p)
		delete(s.pending, id)
	}
	s.mu.Unlock()
	for _, p := range ps {
		p.a.replies <- reply{err: err}
	}
}

// attempt is one query's turn at one server: up to maxSendsPerAttempt
// sends of the same question, each under its own ID, and the first answer
// to any of them.
type attempt struct {
	msg      []byte // the packed query; its first two bytes take each send's ID
	question []byte // its question section, lower case, for matching answers
	replies  chan reply
	sends    [maxSendsPerAttempt]struct {
		s  *udpSock
		id uint16
	}
	n int
}

// sameQuestion reports whether an answer's question section is the one
// asked (names compared without regard to ASCII case).
func (a *attempt) sameQuestion(b []byte) bool {
	if b[4] != 0 || b[5] != 1 || len(b) < 12+len(a.question) {
		return false
	}
	q := b[12 : 12+len(a.question)]
	for i, c := range a.question {
		d := q[i]
		if 'A' <= d && d <= 'Z' {
			d += 'a' - 'A'
		}
		if c != d {
			return false
		}
	}
	return true
}

// exchange makes one attempt: it sends m, re-sends it when the
// retransmission timer expires (the timer doubling each time, at most
// maxSendsPerAttempt sends), and returns the first answer, or a timeout
// once u.timeout has passed since the first send. A truncated answer is
// asked again over TCP within the same time.
func (u *upstream) exchange(ctx context.Context, m *mdns.Msg, packed, question []byte, tcp *mdns.Client) (*mdns.Msg, error) {
	if err := u.acquire(ctx); err != nil {
		return nil, err
	}
	defer u.release()
	a := &attempt{msg: packed, question: question, replies: make(chan reply, maxSendsPerAttempt)}
	defer a.cleanup()
	start := time.Now()
	deadline := start.Add(u.timeout)
	rto := u.rto()
	if err := a.send(u, false); err != nil {
		return nil, err
	}
	timer := time.NewTimer(rto)
	defer timer.Stop()
	waitingOut := false // no more sends: the timer is the attempt's end
	for {
		select {
		case r := <-a.replies:
			if r.err != nil {
				return nil, r.err
			}
			u.answered(r.rtt, r.expire)
			u.finished(start, r.n > 0)
			resp := new(mdns.Msg)
			if err := resp.Unpack(r.msg); err != nil {
				return nil, err
			}
			if resp.Truncated {
				actx, cancel := context.WithDeadline(ctx, deadline)
				defer cancel()
				m.Id = mdns.Id()
				resp, _, err := tcp.ExchangeContext(actx, m, u.addr)
				return resp, err
			}
			return resp, nil
		case now := <-timer.C:
			if !waitingOut {
				a.expireLast()
			}
			left := deadline.Sub(now)
			if left <= 0 {
				u.finished(start, true)
				return nil, errAttemptTimeout
			}
			if a.n < maxSendsPerAttempt && 2*rto < left {
				rto = min(2*rto, u.timeout)
				if err := a.send(u, true); err != nil {
					return nil, err
				}
				timer.Reset(rto)
				continue
			}
			// No more sends: wait out the attempt for a late answer.
			waitingOut = true
			timer.Reset(left)
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// send sends the attempt's query once more, on the pool's next socket,
// under a fresh ID.
func (a *attempt) send(u *upstream, retransmit bool) error {
	var (
		s   *udpSock
		id  uint16
		err error
	)
	// A socket may close itself (idle) between being picked and used:
	// then another is picked.
	for range 3 {
		if s, err = u.sock(); err != nil {
			return err
		}
		if id, err = s.send(a.msg, &pendingSend{a: a, n: a.n}); !errors.Is(err, net.ErrClosed) {
			break
		}
	}
	if err != nil {
		return err
	}
	a.sends[a.n].s, a.sends[a.n].id = s, id
	a.n++
	u.sent(retransmit)
	return nil
}

// expireLast marks the last send as timed out.
func (a *attempt) expireLast() {
	if a.n > 0 {
		last := a.sends[a.n-1]
		last.s.expire(last.id)
	}
}

// cleanup forgets the sends still awaited.
func (a *attempt) cleanup() {
	for _, snd := range a.sends[:a.n] {
		snd.s.unregister(snd.id)
	}
}
