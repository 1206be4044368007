// Package mtalogtest generates MTA logs for tests and benchmarks of the
// packages that read them, as net/http/httptest serves HTTP for theirs.
package mtalogtest

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"time"
)

// GenPostfix writes n lines of a realistic, deterministic Postfix mail log
// (classic syslog stamps from Nov 22 2026, host mx1) for tests and
// benchmarks: inbound sessions through postscreen and smtpd, some rejected
// for missing or unconfirmed reverse DNS; outbound deliveries to several
// providers, among them Gmail 5.7.25 bounces and 4.7.23 deferrals and
// connection timeouts; and the noise around them (TLS, qmgr, disconnects,
// dovecot, cron). The same seed gives the same bytes. Addresses are from
// the documentation ranges.
func GenPostfix(w io.Writer, n int, seed int64) error {
	g := &gen{
		w:   bufio.NewWriterSize(w, 64<<10),
		rnd: rand.New(rand.NewPCG(uint64(seed), 0x6d74616c6f67)),
		t:   time.Date(2026, time.November, 22, 0, 0, 0, 0, time.UTC),
		max: n,
	}
	for g.lines < g.max {
		switch r := g.rnd.IntN(100); {
		case r < 40:
			g.inbound()
		case r < 55:
			g.inboundReject()
		case r < 85:
			g.outbound()
		default:
			g.noise()
		}
	}
	if g.err != nil {
		return g.err
	}
	return g.w.Flush()
}

type gen struct {
	w     *bufio.Writer
	rnd   *rand.Rand
	t     time.Time
	lines int
	max   int
	err   error
}

// line writes one syslog line, advancing the clock a little.
func (g *gen) line(prog string, pid int, format string, args ...any) {
	if g.lines >= g.max || g.err != nil {
		return
	}
	g.lines++
	g.t = g.t.Add(time.Duration(g.rnd.IntN(400)) * time.Millisecond)
	if _, err := fmt.Fprintf(g.w, "%s mx1 %s[%d]: ", g.t.Format(time.Stamp), prog, pid); err != nil {
		g.err = err
		return
	}
	if _, err := fmt.Fprintf(g.w, format+"\n", args...); err != nil {
		g.err = err
	}
}

func (g *gen) pid() int    { return 1000 + g.rnd.IntN(60000) }
func (g *gen) qid() string { return fmt.Sprintf("%010X", g.rnd.Uint64()&0xffffffffff) }
func (g *gen) port() int   { return 1024 + g.rnd.IntN(60000) }
func (g *gen) clientIP() string {
	nets := [...]string{"192.0.2", "198.51.100", "203.0.113"}
	return fmt.Sprintf("%s.%d", nets[g.rnd.IntN(len(nets))], 1+g.rnd.IntN(254))
}

func (g *gen) clientName(ip string) string {
	switch g.rnd.IntN(4) {
	case 0:
		return "unknown"
	case 1:
		return fmt.Sprintf("host-%d.dyn.isp.example", g.rnd.IntN(9999))
	default:
		return fmt.Sprintf("mail%d.sender%d.example", g.rnd.IntN(9), g.rnd.IntN(500))
	}
}

func (g *gen) sender() string {
	return fmt.Sprintf("user%d@sender%d.example", g.rnd.IntN(1000), g.rnd.IntN(500))
}

const genTLS = "TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits) key-exchange X25519 server-signature RSA-PSS (2048 bits) server-digest SHA256"

// inbound is an accepted message from an external client.
func (g *gen) inbound() {
	ip, port := g.clientIP(), g.port()
	name := g.clientName(ip)
	ps, sd, q := g.pid(), g.pid(), g.qid()
	g.line("postfix/postscreen", ps, "CONNECT from [%s]:%d to [203.0.113.25]:25", ip, port)
	g.line("postfix/postscreen", ps, "PASS OLD [%s]:%d", ip, port)
	g.line("postfix/smtpd", sd, "connect from %s[%s]", name, ip)
	g.line("postfix/smtpd", sd, "Anonymous TLS connection established from %s[%s]: %s", name, ip, genTLS)
	g.line("postfix/smtpd", sd, "%s: client=%s[%s]", q, name, ip)
	g.line("postfix/cleanup", g.pid(), "%s: message-id=<%d.%d@sender.example>", q, g.rnd.Uint32(), g.rnd.Uint32())
	g.line("postfix/qmgr", 812, "%s: from=<%s>, size=%d, nrcpt=1 (queue active)", q, g.sender(), 2000+g.rnd.IntN(90000))
	g.line("postfix/lmtp", g.pid(), "%s: to=<user%d@example.test>, relay=mail.example.test[private/dovecot-lmtp], delay=0.%d, delays=0.05/0.01/0.01/0.1, dsn=2.0.0, status=sent (250 2.0.0 <user@example.test> lC3cJz1n4GfLMQAA Saved)", q, g.rnd.IntN(50), g.rnd.IntN(9))
	g.line("postfix/qmgr", 812, "%s: removed", q)
	g.line("postfix/smtpd", sd, "disconnect from %s[%s] ehlo=2 starttls=1 mail=1 rcpt=1 data=1 quit=1 commands=7", name, ip)
}

// inboundReject is a client refused for its reverse DNS.
func (g *gen) inboundReject() {
	ip, sd := g.clientIP(), g.pid()
	helo := fmt.Sprintf("mail%d.example", g.rnd.IntN(99))
	from := g.sender()
	switch g.rnd.IntN(3) {
	case 0:
		name := fmt.Sprintf("host-%d.dyn.isp.example", g.rnd.IntN(9999))
		g.line("postfix/smtpd", sd, "warning: hostname %s does not resolve to address %s: Name or service not known", name, ip)
		g.line("postfix/smtpd", sd, "connect from unknown[%s]", ip)
		g.line("postfix/smtpd", sd, "NOQUEUE: reject: RCPT from unknown[%s]: 450 4.7.25 Client host rejected: cannot find your hostname, [%s]; from=<%s> to=<postmaster@example.test> proto=ESMTP helo=<%s>", ip, ip, from, helo)
	case 1:
		g.line("postfix/smtpd", sd, "connect from unknown[%s]", ip)
		g.line("postfix/smtpd", sd, "NOQUEUE: reject: RCPT from unknown[%s]: 550 5.7.1 Client host rejected: cannot find your reverse hostname, [%s]; from=<%s> to=<info@example.test> proto=ESMTP helo=<%s>", ip, ip, from, helo)
	default:
		port := g.port()
		g.line("postfix/postscreen", g.pid(), "CONNECT from [%s]:%d to [203.0.113.25]:25", ip, port)
		g.line("postfix/postscreen", g.pid(), "DNSBL rank %d for [%s]:%d", 3+g.rnd.IntN(5), ip, port)
		g.line("postfix/postscreen", g.pid(), "NOQUEUE: reject: RCPT from [%s]:%d: 550 5.7.1 Service unavailable; client [%s] blocked using zen.spamhaus.org; from=<%s>, to=<info@example.test>, proto=ESMTP, helo=<%s>", ip, port, ip, from, helo)
		g.line("postfix/postscreen", g.pid(), "DISCONNECT [%s]:%d", ip, port)
		return
	}
	g.line("postfix/smtpd", sd, "lost connection after RCPT from unknown[%s]", ip)
	g.line("postfix/smtpd", sd, "disconnect from unknown[%s] ehlo=1 mail=1 rcpt=0/1 commands=2/3", ip)
}

type genMX struct{ domain, relay, ip string }

var genMXs = [...]genMX{
	{"gmail.com", "gmail-smtp-in.l.google.com", "198.51.100.27"},
	{"outlook.com", "outlook-com.olc.protection.outlook.com", "198.51.100.80"},
	{"yahoo.com", "mta7.am0.yahoodns.net", "198.51.100.120"},
	{"example.org", "mx.example.org", "203.0.113.200"},
}

// outbound is a message we relay to a provider.
func (g *gen) outbound() {
	q := g.qid()
	mx := genMXs[g.rnd.IntN(len(genMXs))]
	to := fmt.Sprintf("rcpt%d@%s", g.rnd.IntN(5000), mx.domain)
	g.line("postfix/pickup", g.pid(), "%s: uid=1000 from=<app@example.test>", q)
	g.line("postfix/cleanup", g.pid(), "%s: message-id=<%d@example.test>", q, g.rnd.Uint32())
	g.line("postfix/qmgr", 812, "%s: from=<app@example.test>, size=%d, nrcpt=1 (queue active)", q, 1000+g.rnd.IntN(50000))
	pre := fmt.Sprintf("%s: to=<%s>, relay=%s[%s]:25, delay=%d.%d, delays=0.01/0.01/0.%d/0.%d", q, to, mx.relay, mx.ip, g.rnd.IntN(5), g.rnd.IntN(9), g.rnd.IntN(9), g.rnd.IntN(9))
	switch r := g.rnd.IntN(20); {
	case r < 12:
		g.line("postfix/smtp", g.pid(), "%s, dsn=2.0.0, status=sent (250 2.0.0 OK  1763800000 a1b2c3d4e5f6.%d - gsmtp)", pre, g.rnd.IntN(999))
		g.line("postfix/qmgr", 812, "%s: removed", q)
	case r < 15 && mx.domain == "gmail.com":
		g.line("postfix/smtp", g.pid(), "%s, dsn=5.7.25, status=bounced (host %s[%s] said: 550-5.7.25 [203.0.113.10] The IP address sending this message does not have a 550-5.7.25 PTR record setup, or the corresponding forward DNS entry does not 550-5.7.25 point to the sending IP. As a policy, Gmail does not accept messages 550-5.7.25 from IPs with missing PTR records. For more information, go to 550-5.7.25 https://support.google.com/mail/answer/81126#ip-rdns 550 5.7.25 a1b2c3d4e5f6.%d - gsmtp (in reply to end of DATA command))", pre, mx.relay, mx.ip, g.rnd.IntN(999))
		g.line("postfix/bounce", g.pid(), "%s: sender non-delivery notification: %s", q, g.qid())
		g.line("postfix/qmgr", 812, "%s: removed", q)
	case r < 18 && mx.domain == "gmail.com":
		g.line("postfix/smtp", g.pid(), "%s, dsn=4.7.23, status=deferred (host %s[%s] said: 421-4.7.23 [203.0.113.10] The sending IP does not match the IP address of the 421-4.7.23 hostname specified in the pointer (PTR) record. 421 4.7.23 a1b2c3d4e5f6.%d - gsmtp (in reply to RCPT TO command))", pre, mx.relay, mx.ip, g.rnd.IntN(999))
	case r < 18 && mx.domain == "yahoo.com":
		g.line("postfix/smtp", g.pid(), "%s, dsn=4.7.0, status=deferred (host %s[%s] said: 421 4.7.0 [TSS04] Messages from 203.0.113.10 temporarily deferred due to unexpected volume or user complaints - 4.16.55.1; see https://postmaster.yahooinc.com/error-codes (in reply to MAIL FROM command))", pre, mx.relay, mx.ip)
	case r < 18:
		g.line("postfix/smtp", g.pid(), "%s, dsn=5.7.1, status=bounced (host %s[%s] said: 550 5.7.1 Service unavailable, Client host [203.0.113.10] blocked using Spamhaus (in reply to RCPT TO command))", pre, mx.relay, mx.ip)
		g.line("postfix/qmgr", 812, "%s: removed", q)
	default:
		g.line("postfix/smtp", g.pid(), "connect to %s[%s]:25: Connection timed out", mx.relay, mx.ip)
		g.line("postfix/smtp", g.pid(), "%s: to=<%s>, relay=none, delay=30, delays=0.01/0.01/30/0, dsn=4.4.1, status=deferred (connect to %s[%s]:25: Connection timed out)", q, to, mx.relay, mx.ip)
	}
}

// noise is what else shares mail.log.
func (g *gen) noise() {
	switch g.rnd.IntN(6) {
	case 0:
		g.line("dovecot", g.pid(), "imap-login: Login: user=<user%d@example.test>, method=PLAIN, rip=%s, lip=203.0.113.25, mpid=%d, TLS, session=<aBcD%d>", g.rnd.IntN(100), g.clientIP(), g.pid(), g.rnd.IntN(99999))
	case 1:
		g.line("postfix/anvil", 911, "statistics: max connection rate 3/60s for (smtp:%s) at Nov 22 10:15:01", g.clientIP())
	case 2:
		g.line("postfix/smtpd", g.pid(), "warning: TLS library problem: error:0A000126:SSL routines::unexpected eof while reading:../ssl/record/rec_layer_s3.c:650:")
	case 3:
		g.line("CRON", g.pid(), "(root) CMD (command -v debian-sa1 > /dev/null && debian-sa1 1 1)")
	case 4:
		g.line("postfix/scache", 913, "statistics: domain lookup hits=%d miss=%d success=%d%%", g.rnd.IntN(99), g.rnd.IntN(99), g.rnd.IntN(100))
	default:
		g.line("opendkim", g.pid(), "%s: DKIM-Signature field added (s=mail, d=example.test)", g.qid())
	}
}
