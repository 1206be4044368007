package parse

import (
	"fmt"
	"html"
	"net/mail"
	"net/netip"
	"strings"
	"time"
)

// textReport is what a bounce's human-readable text says.
type textReport struct {
	family          string
	reportingMTA    string
	receivedFromMTA string
	arrival         time.Time
	recipients      []BounceRecipient
	original        []byte // the text below a separator line, nil when none
	// fromOriginal: the report names neither the relay nor the recipient
	// (a server's reply pasted alone, Postfix's "Delivery report
	// unavailable"); ReadBounce takes them from the original.
	fromOriginal bool
	// clientIP is the refused client's address when the report is a
	// receiving server's notice to its postmaster.
	clientIP netip.Addr
	// noReporter: the report's own sender is no relay of the path (the
	// receiving server that refused); the From address names no
	// reporting MTA.
	noReporter bool
}

// bounceFamily is one shape of human-readable bounce: the phrases that
// recognise it and the reader of its recipients. Each is declared in its
// own file, bounce_NAME.go.
type bounceFamily struct {
	name    string   // the Bounce.Family it gives
	markers []string // phrases its report carries; one on any line recognises it
	// read fills tr from the report's lines (those above the returned
	// original); subject is the bounce's Subject, for hints.
	read func(lines []string, subject string, tr *textReport)
}

// bounceFamilies are checked in this order: the first family with a match
// wins, so a more specific shape comes before one whose phrases others
// quote. textFamily, last, also reads any bounce text no family claims.
var bounceFamilies = [...]*bounceFamily{
	&exchangeFamily,
	&gmailFamily,
	&yahooFamily,
	&openSMTPDFamily,
	&qmailFamily,
	&eximFamily,
	&postmasterFamily,
	&sendmailFamily,
	&textFamily,
}

// bounceSubjects are subject words that make a text without family markers
// worth reading as a bounce.
var bounceSubjects = []string{"undeliver", "returned mail", "delivery status notification", "failure notice", "mail delivery failed", "delivery failure", "non-delivery", "delivery has failed", "delayed mail"}

// readBounceText recognises a bounce in a human-readable text. from and
// subject are the bounce's own header fields, used for hints only. It
// returns nil when the text reads as no bounce; a vendor text whose
// recipients cannot be read still names its family.
func readBounceText(text, from, subject string) (*textReport, error) {
	if strings.TrimSpace(text) == "" {
		return nil, nil
	}
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSuffix(l, "\r")
	}
	sep := findSeparator(lines)
	report := lines[:sep]
	fam := detectFamily(report)
	if fam == nil {
		if sep == len(lines) && !containsAnyFold(subject, bounceSubjects) && !startsWithReply(report) {
			return nil, nil
		}
		fam = &textFamily
	}
	tr := &textReport{family: fam.name}
	fam.read(report, subject, tr)
	if len(tr.recipients) == 0 && fam == &textFamily {
		return nil, nil
	}
	if len(tr.recipients) > maxBounceRecipient {
		return nil, fmt.Errorf("bounce: over %d recipients: %w", maxBounceRecipient, ErrTooLarge)
	}
	if tr.reportingMTA == "" && !tr.noReporter {
		tr.reportingMTA = addressHost(from)
	}
	if sep < len(lines) {
		tr.original = []byte(strings.Join(lines[sep+1:], "\n"))
	}
	return tr, nil
}

// maxJoinedLines bounds how far detectFamily looks for a marker split over
// two lines: the phrases that name a family open the notice.
const maxJoinedLines = 200

// detectFamily returns the first of bounceFamilies whose markers the
// report's lines carry, or nil. A marker may be split over two lines by a
// mail client's wrapping: each line is also read joined to the next.
func detectFamily(lines []string) *bounceFamily {
	best := len(bounceFamilies)
	for n, l := range lines {
		joined := ""
		if n+1 < len(lines) && n < maxJoinedLines {
			joined = strings.TrimSpace(l) + " " + strings.TrimSpace(lines[n+1])
		}
		for i := 0; i < best; i++ {
			for _, m := range bounceFamilies[i].markers {
				if strings.Contains(l, m) || joined != "" && strings.Contains(joined, m) {
					best = i
					break
				}
			}
		}
		if best == 0 {
			break
		}
	}
	if best == len(bounceFamilies) {
		return nil
	}
	return bounceFamilies[best]
}

// separatorNames are the words of "----- … -----" lines that introduce a
// returned original, lower case.
var separatorNames = []string{"original message follows", "message header follows", "original message", "original message headers", "returned mail follows", "returned message", "undelivered message", "message headers follow", "headers of the original message",
	"the header of the original message is following.", "the header of the original message is following"}

// findSeparator returns the index of the line that introduces the returned
// original, or len(lines) when there is none. A bare line of dashes, a
// line "Original message" and a blank line count only when header fields
// follow them (after a blank line: a header section with a Received field,
// as below a server's reply pasted on top).
func findSeparator(lines []string) int {
	for i, l := range lines {
		t := strings.TrimSpace(l)
		switch {
		case t == "":
			if i > 0 && linesHaveReceived(lines[i+1:]) {
				return i
			}
			continue
		case strings.Contains(t, "This is a copy of the message"),
			strings.HasPrefix(t, "--- Below this line is"),
			strings.EqualFold(t, "Original message headers:"),
			strings.EqualFold(t, "Original message headers"):
			return i
		case strings.EqualFold(strings.TrimSuffix(t, ":"), "Original message"):
			if nextIsField(lines[i+1:]) {
				return i
			}
		case t[0] == '-' || t[0] == '=':
			name := strings.ToLower(strings.Trim(t, "-= "))
			if name == "" {
				if len(t) >= 5 && nextIsField(lines[i+1:]) {
					return i
				}
				continue
			}
			for _, s := range separatorNames {
				if name == s {
					return i
				}
			}
		}
	}
	return len(lines)
}

// linesHaveReceived reports whether lines start (after blank lines) with a
// header section that holds a Received field among its first fields.
func linesHaveReceived(lines []string) bool {
	n := 0
	for _, l := range lines {
		t := strings.TrimSpace(l)
		if t == "" {
			if n == 0 {
				continue
			}
			return false
		}
		if n++; n > 64 || l[0] != ' ' && l[0] != '\t' && !isFieldLine([]byte(t)) {
			return false
		}
		if hasPrefixFold(t, "Received:") {
			return true
		}
	}
	return false
}

// startsWithReply reports whether a text holds an SMTP refusal as a server
// wrote it, pasted alone or on top of the original: a line opening with a
// 4xx or 5xx code and an enhanced status code ("550-5.7.25 …", "550 5.7.1
// …"), or two lines with the same code prefix.
func startsWithReply(lines []string) bool {
	prev := ""
	for _, l := range lines {
		t := strings.TrimSpace(l)
		if len(t) < 4 || (t[0] != '4' && t[0] != '5') || !isDigitByte(t[1]) || !isDigitByte(t[2]) || (t[3] != ' ' && t[3] != '-') {
			prev = ""
			continue
		}
		if statusAt(t, 4) != "" || prev == t[:3] {
			return true
		}
		prev = t[:3]
	}
	return false
}

// nextIsField reports whether the first non-blank line looks like a header
// field.
func nextIsField(lines []string) bool {
	for _, l := range lines {
		t := strings.TrimSpace(l)
		if t != "" {
			return isFieldLine([]byte(t))
		}
	}
	return false
}

func setAction(rs []BounceRecipient, action string) {
	for i := range rs {
		if rs[i].Action == "" {
			rs[i].Action = action
		}
	}
}

// addressHost returns the domain of the address in a From field
// ("Mail Delivery System <Mailer-Daemon@relay.example.test>").
func addressHost(from string) string {
	if a, err := mail.ParseAddress(from); err == nil {
		from = a.Address
	}
	at := strings.LastIndexByte(from, '@')
	if at < 0 {
		return ""
	}
	host := from[at+1:]
	if i := strings.IndexAny(host, "> \t;,)"); i >= 0 {
		host = host[:i]
	}
	return host
}

// between returns the text after the first open and before the next close.
func between(s, open, close string) (string, bool) {
	_, rest, ok := strings.Cut(s, open)
	if !ok {
		return "", false
	}
	in, _, ok := strings.Cut(rest, close)
	return in, ok
}

func containsAnyFold(s string, subs []string) bool {
	s = strings.ToLower(s)
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// htmlText reduces an HTML part to its text, one line per block element,
// skipping style and script contents. A single forward scan.
func htmlText(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		if s[i] != '<' {
			j := strings.IndexByte(s[i:], '<')
			if j < 0 {
				j = len(s) - i
			}
			b.WriteString(s[i : i+j])
			i += j
			continue
		}
		end := strings.IndexByte(s[i:], '>')
		if end < 0 {
			break
		}
		tag := s[i+1 : i+end]
		i += end + 1
		closing := strings.HasPrefix(tag, "/")
		name := strings.ToLower(strings.TrimLeft(tag, "/"))
		if k := strings.IndexAny(name, " \t\r\n/"); k >= 0 {
			name = name[:k]
		}
		switch name {
		case "style", "script":
			if !closing {
				i += skipTo(s[i:], "</"+name)
			}
		case "br", "p", "div", "tr", "li", "pre", "table", "h1", "h2", "h3", "h4", "h5", "h6":
			b.WriteByte('\n')
		case "td", "th":
			if closing {
				b.WriteByte('\t')
			}
		}
	}
	return html.UnescapeString(b.String())
}

// skipTo returns the offset of the first case-insensitive end in s, or
// len(s).
func skipTo(s, end string) int {
	for off := 0; ; {
		i := strings.Index(s[off:], "</")
		if i < 0 {
			return len(s)
		}
		off += i
		if len(s)-off >= len(end) && strings.EqualFold(s[off:off+len(end)], end) {
			return off
		}
		off += 2
	}
}
