package watch

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"hopcheck/dns"
	"hopcheck/dns/dnstest"
	"hopcheck/logstream"
)

// t0 is when the tests' logs are written: classic stamps are of 2026.
var t0 = time.Date(2026, time.November, 29, 16, 0, 0, 0, time.UTC)

// fakeClock is a clock the tests move by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock(t time.Time) *fakeClock { return &fakeClock{t: t} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

func (c *fakeClock) Add(d time.Duration) { c.Set(c.Now().Add(d)) }

// gmail is Gmail's 550-5.7.25 refusal of our relay ip, as Postfix logs it,
// with a classic stamp at.
func gmail(at time.Time, ip string) string {
	return at.Format(time.Stamp) + " mx1 postfix/smtp[2101]: 1A2B3C4D5E: to=<old@gmail.com>, relay=gmail-smtp-in.l.google.com[198.51.100.27]:25, delay=1.2, delays=0.01/0.01/0.5/0.7, dsn=5.7.25, status=bounced (host gmail-smtp-in.l.google.com[198.51.100.27] said: 550-5.7.25 [" + ip + "] The IP address sending this message does not have a 550-5.7.25 PTR record setup, or the corresponding forward DNS entry does not 550-5.7.25 point to the sending IP. As a policy, Gmail does not accept messages 550-5.7.25 from IPs with missing PTR records. For more information, go to 550-5.7.25 https://support.google.com/mail/answer/81126#ip-rdns 550 5.7.25 a1b2c3d4e5f6.12 - gsmtp (in reply to end of DATA command))"
}

// reject is our server refusing a client for its reverse DNS.
func reject(at time.Time, ip string) string {
	return at.Format(time.Stamp) + " mx1 postfix/smtpd[1303]: NOQUEUE: reject: RCPT from unknown[" + ip + "]: 550 5.7.1 Client host rejected: cannot find your reverse hostname, [" + ip + "]; from=<billing@customer.example> to=<bob@example.test> proto=ESMTP helo=<relay.customer.example>"
}

// noise is a line of no interest.
func noise(at time.Time) string {
	return at.Format(time.Stamp) + " mx1 postfix/qmgr[812]: 5B1C93F00A: removed"
}

// Zones of the tests' DNS. TTLs of a second keep a fix from hiding behind
// the cache.
const (
	ourZone = `$ORIGIN example.test.
$TTL 1
@    IN SOA ns1.example.test. hostmaster.example.test. 1 7200 3600 1209600 1
mail IN A 192.0.2.31
mx50 IN A 192.0.2.50
`
	brokenReverse = `$ORIGIN 2.0.192.in-addr.arpa.
$TTL 1
@  IN SOA ns1.provider.example. hostmaster.provider.example. 1 7200 3600 1209600 1
@  IN NS  ns1.provider.example.
`
	fixedReverse = brokenReverse + `31 IN PTR mail.example.test.
50 IN PTR mx50.example.test.
`
	reverse6 = `$ORIGIN 8.b.d.0.1.0.0.2.ip6.arpa.
$TTL 1
@  IN SOA ns1.provider.example. hostmaster.provider.example. 1 7200 3600 1209600 1
`
)

// server serves zones given as text.
func server(tb testing.TB, zones ...string) *dnstest.Server {
	tb.Helper()
	z := dns.NewZone()
	for i, text := range zones {
		if err := z.Load(strings.NewReader(text), fmt.Sprintf("zone%d", i)); err != nil {
			tb.Fatal(err)
		}
	}
	return dnstest.Start(tb, dnstest.Options{Zone: z})
}

func client(addr string) *dns.Client {
	return dns.NewClient(dns.ClientOptions{Servers: []string{addr}, Timeout: 2 * time.Second})
}

// switchable is a resolver a test points elsewhere: to a world where the
// zone is fixed.
type switchable struct{ r atomic.Value }

func newSwitchable(r dns.Resolver) *switchable {
	s := &switchable{}
	s.set(r)
	return s
}

func (s *switchable) set(r dns.Resolver) { s.r.Store(&r) }

func (s *switchable) Query(ctx context.Context, name string, qtype uint16) (*dns.Answer, error) {
	return (*s.r.Load().(*dns.Resolver)).Query(ctx, name, qtype)
}

// collector keeps the alerts an engine sends.
type collector struct {
	ch   chan Alert
	mu   sync.Mutex
	list []Alert
}

func newCollector() *collector { return &collector{ch: make(chan Alert, 100000)} }

func (c *collector) add(a Alert) error {
	c.mu.Lock()
	c.list = append(c.list, a)
	c.mu.Unlock()
	c.ch <- a
	return nil
}

func (c *collector) all() []Alert {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Alert(nil), c.list...)
}

// deadline bounds every wait: generous, as the machine may be loaded; the
// tests assert what happens, not how fast.
const deadline = 30 * time.Second

// next waits for the next alert.
func (c *collector) next(t testing.TB) Alert {
	t.Helper()
	select {
	case a := <-c.ch:
		return a
	case <-time.After(deadline):
		t.Fatal("no alert came")
		return Alert{}
	}
}

// waitFor polls cond until it holds.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(deadline); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// running is an engine run in the background.
type running struct {
	e    *Engine
	stop context.CancelFunc
	done chan error
}

func run(t *testing.T, e *Engine, src logstream.Source) *running {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{e: e, stop: cancel, done: make(chan error, 1)}
	go func() { r.done <- e.Run(ctx, src) }()
	t.Cleanup(func() {
		cancel()
		<-r.done
	})
	return r
}

// end stops the run and returns Run's error.
func (r *running) end(t *testing.T) error {
	t.Helper()
	r.stop()
	select {
	case err := <-r.done:
		r.done <- err // for the cleanup
		return err
	case <-time.After(deadline):
		t.Fatal("Run did not return")
		return nil
	}
}

// appendLines appends lines to the file at path, as a logger does.
func appendLines(t *testing.T, path string, lines ...string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := io.WriteString(f, strings.Join(lines, "\n")+"\n"); err != nil {
		t.Fatal(err)
	}
}

// pipe is a stream source the test writes lines into.
func pipe(t *testing.T) (logstream.Source, func(lines ...string)) {
	t.Helper()
	r, w := io.Pipe()
	t.Cleanup(func() { w.Close() })
	return logstream.Stream(r), func(lines ...string) {
		t.Helper()
		if _, err := io.WriteString(w, strings.Join(lines, "\n")+"\n"); err != nil {
			t.Fatal(err)
		}
	}
}
