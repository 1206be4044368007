package parse

import (
	"fmt"
	"html"
	"net/mail"
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
}

// familyMarkers are phrases each family's bounce text carries, checked in
// this order: the first family with a match wins, so a more specific shape
// comes before one whose phrases others quote.
var familyMarkers = []struct {
	family  string
	markers []string
}{
	{"exchange", []string{"Delivery has failed to these recipients or groups", "Delivery is delayed to these recipients or groups", "Diagnostic information for administrators", "Generating server:"}},
	{"gmail", []string{"The response from the remote server was:", "** Address not found **", "** Message blocked **", "** Message not delivered **", "** Delivery incomplete **", "Technical details of permanent failure:", "Technical details of temporary failure:"}},
	{"yahoo", []string{"Sorry, we were unable to deliver your message to the following address"}},
	{"qmail", []string{"This is the qmail-send program at"}},
	{"exim", []string{"This message was created automatically by mail delivery software.", "The following address(es) failed:"}},
	{"sendmail", []string{"----- Transcript of session follows -----", "----- The following addresses had permanent fatal errors -----", "----- The following addresses had transient non-fatal errors -----", "The original message was received at"}},
	{"text", []string{"This is the mail system at host"}},
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
	tr := &textReport{family: detectFamily(report)}
	if tr.family == "" {
		if sep == len(lines) && !containsAnyFold(subject, bounceSubjects) {
			return nil, nil
		}
		tr.family = "text"
	}
	switch tr.family {
	case "exchange":
		readExchangeText(report, tr)
	case "gmail":
		readGmailText(report, subject, tr)
	case "yahoo", "qmail":
		readQmailText(report, tr)
	case "exim":
		readEximText(report, tr)
	case "sendmail":
		readSendmailText(report, tr)
	default:
		readPostfixText(report, tr)
		if len(tr.recipients) == 0 {
			readQmailText(report, tr)
		}
	}
	if len(tr.recipients) == 0 && tr.family == "text" {
		return nil, nil
	}
	if len(tr.recipients) > maxBounceRecipient {
		return nil, fmt.Errorf("bounce: over %d recipients: %w", maxBounceRecipient, ErrTooLarge)
	}
	if tr.reportingMTA == "" {
		tr.reportingMTA = addressHost(from)
	}
	if sep < len(lines) {
		tr.original = []byte(strings.Join(lines[sep+1:], "\n"))
	}
	return tr, nil
}

func detectFamily(lines []string) string {
	best := len(familyMarkers)
	for _, l := range lines {
		for i := 0; i < best; i++ {
			for _, m := range familyMarkers[i].markers {
				if strings.Contains(l, m) {
					best = i
					break
				}
			}
		}
		if best == 0 {
			break
		}
	}
	if best == len(familyMarkers) {
		return ""
	}
	return familyMarkers[best].family
}

// separatorNames are the words of "----- … -----" lines that introduce a
// returned original, lower case.
var separatorNames = []string{"original message follows", "message header follows", "original message", "original message headers", "returned mail follows", "returned message", "undelivered message", "message headers follow", "headers of the original message"}

// findSeparator returns the index of the line that introduces the returned
// original, or len(lines) when there is none. A bare line of dashes counts
// only when header fields follow it.
func findSeparator(lines []string) int {
	for i, l := range lines {
		t := strings.TrimSpace(l)
		switch {
		case t == "":
			continue
		case strings.Contains(t, "This is a copy of the message"),
			strings.HasPrefix(t, "--- Below this line is"),
			strings.EqualFold(t, "Original message headers:"):
			return i
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

// readPostfixText reads Postfix's notice ("This is the mail system at host
// …"), whose recipients are paragraphs "<addr>: host NAME[IP] said: REPLY
// (in reply to RCPT TO command)", wrapped by Postfix.
func readPostfixText(lines []string, tr *textReport) {
	action := "failed"
	var (
		cur   *BounceRecipient
		parts []string
	)
	finish := func() {
		if cur == nil {
			return
		}
		cur.RemoteMTA, cur.Diagnostic = splitSaid(strings.Join(parts, "\n"))
		tr.recipients = append(tr.recipients, *cur)
		cur, parts = nil, nil
	}
	for _, l := range lines {
		t := strings.TrimSpace(l)
		if host, ok := strings.CutPrefix(t, "This is the mail system at host "); ok {
			tr.reportingMTA = strings.TrimSuffix(host, ".")
		}
		if strings.Contains(t, "THIS IS A WARNING ONLY") {
			action = "delayed"
		}
		switch {
		case t == "":
			finish()
		case strings.HasPrefix(t, "<") && cur == nil:
			end := strings.IndexByte(t, '>')
			colon := strings.Index(t, ": ")
			if end < 0 || colon < end {
				if !strings.HasSuffix(t, ">:") {
					continue
				}
				colon = len(t) - 1
			}
			cur = &BounceRecipient{FinalRecipient: t[1:end]}
			if orig, ok := between(t[end:colon], "(expanded from <", ">"); ok {
				cur.OriginalRecipient = orig
			}
			if rest := strings.TrimSpace(t[colon+1:]); rest != "" {
				parts = append(parts, rest)
			}
		case cur != nil:
			parts = append(parts, t)
		}
	}
	finish()
	setAction(tr.recipients, action)
}

// splitSaid splits Postfix's "host NAME[IP] said: REPLY (in reply to …)"
// into the host and the reply; other texts are all diagnostic.
func splitSaid(p string) (host, diag string) {
	i := indexWord(p, "said:")
	if i < 0 {
		return "", p
	}
	before := strings.ReplaceAll(p[:i], "\n", " ")
	if h := lastIndexWord(before, "host "); h >= 0 {
		host = strings.TrimSpace(before[h+len("host "):])
	}
	diag = strings.TrimLeft(p[i+len("said:"):], " \n")
	if j := strings.LastIndex(diag, "(in reply to "); j >= 0 {
		diag = diag[:j]
	}
	return host, strings.TrimRight(diag, " \n")
}

// readQmailText reads qmail-send's and Yahoo's notice: paragraphs opened by
// "<addr>:", the reply after "Remote host said:".
func readQmailText(lines []string, tr *textReport) {
	var (
		cur          *BounceRecipient
		said, others []string
		saying       bool
	)
	finish := func() {
		if cur == nil {
			return
		}
		if len(said) > 0 {
			cur.Diagnostic = strings.Join(said, "\n")
		} else {
			cur.Diagnostic = strings.Join(others, "\n")
		}
		tr.recipients = append(tr.recipients, *cur)
		cur, said, others, saying = nil, nil, nil, false
	}
	for _, l := range lines {
		t := strings.TrimSpace(l)
		if host, ok := strings.CutPrefix(t, "Hi. This is the qmail-send program at "); ok {
			tr.reportingMTA = strings.TrimSuffix(host, ".")
			continue
		}
		if strings.HasPrefix(t, "<") && strings.HasSuffix(t, ">:") {
			finish()
			cur = &BounceRecipient{FinalRecipient: t[1 : len(t)-2], Action: "failed"}
			continue
		}
		if cur == nil {
			continue
		}
		if rest, ok := strings.CutPrefix(t, "Remote host said:"); ok {
			said, saying = []string{strings.TrimSpace(rest)}, true
			continue
		}
		if host := qmailHost(t); host != "" && cur.RemoteMTA == "" {
			cur.RemoteMTA = host
		}
		switch {
		case t == "":
			saying = false
		case strings.HasPrefix(t, "Giving up on ") || strings.HasPrefix(t, "I'm not going to try again"):
			saying = false
		case saying:
			said = append(said, t)
		default:
			others = append(others, t)
		}
	}
	finish()
}

// qmailHost finds the remote named in qmail-remote's sentences.
func qmailHost(t string) string {
	for _, f := range []struct{ pre, post string }{
		{"Connected to ", " but "},
		{"Giving up on ", "."},
		{"", " does not like recipient."},
		{"", " failed after I sent the message."},
	} {
		if !strings.HasPrefix(t, f.pre) {
			continue
		}
		rest := t[len(f.pre):]
		if i := strings.Index(rest, f.post); i > 0 {
			return rest[:i]
		}
	}
	return ""
}

// readEximText reads Exim's notice: after "The following address(es)
// failed:" (or, for a delay warning, "… has not yet been delivered …:") each
// address at two spaces' indent, its details indented deeper.
func readEximText(lines []string, tr *textReport) {
	action := "failed"
	var (
		cur    *BounceRecipient
		detail []string
		in     bool
	)
	finish := func() {
		if cur != nil {
			cur.Diagnostic = strings.Join(detail, "\n")
			tr.recipients = append(tr.recipients, *cur)
		}
		cur, detail = nil, nil
	}
	for _, l := range lines {
		t := strings.TrimSpace(l)
		if !in {
			if strings.Contains(t, "has not yet been delivered") {
				action = "delayed"
			}
			if _, host, ok := strings.Cut(t, "on the queue on "); ok {
				tr.reportingMTA = strings.TrimSuffix(host, ".")
			}
			in = strings.HasSuffix(t, "failed:") || (strings.Contains(t, "not yet been delivered") && strings.HasSuffix(t, ":"))
			continue
		}
		if t == "" {
			continue
		}
		switch ind := len(l) - len(strings.TrimLeft(l, " \t")); {
		case ind == 0:
			finish()
			in = false
		case ind <= 2:
			finish()
			cur = &BounceRecipient{FinalRecipient: strings.Trim(t, "<>")}
		case cur == nil:
		case strings.Contains(t, "SMTP error from remote"):
			// Newer Exim puts the reply on this line: "…, host: NAME (IP) reason: REPLY".
			detail = nil
			if _, reason, ok := strings.Cut(strings.TrimPrefix(t, "Delay reason: "), " reason: "); ok {
				detail = append(detail, reason)
			}
		case strings.HasPrefix(t, "host ") && cur.RemoteMTA == "" && len(detail) == 0:
			cur.RemoteMTA = t[len("host "):]
		case strings.HasPrefix(t, "(generated from ") && strings.HasSuffix(t, ")"):
			cur.OriginalRecipient = t[len("(generated from ") : len(t)-1]
		default:
			detail = append(detail, t)
		}
	}
	finish()
	setAction(tr.recipients, action)
}

// readSendmailText reads Sendmail's notice: the addresses section, the
// session transcript (">>> command", "<<< reply") and "The original message
// was received at DATE from HOST".
func readSendmailText(lines []string, tr *textReport) {
	action, section := "failed", ""
	var (
		cur     *BounceRecipient
		reasons = map[string]string{}
		replies = map[string][]string{}
		rcpt    string // the address of the transcript's current RCPT, "" for other commands
		started bool   // the current command's reply has begun
		host    string
		order   []string // transcript RCPT addresses, for a notice without an addresses section
	)
	for i, l := range lines {
		t := strings.TrimSpace(l)
		if date, ok := strings.CutPrefix(t, "The original message was received at "); ok {
			tr.arrival = dsnDate(date)
			if i+1 < len(lines) {
				if from, ok := strings.CutPrefix(strings.TrimSpace(lines[i+1]), "from "); ok {
					tr.receivedFromMTA = from
				}
			}
			continue
		}
		if strings.HasPrefix(t, "-----") {
			switch {
			case strings.Contains(t, "permanent fatal errors"):
				section = "addresses"
			case strings.Contains(t, "transient non-fatal errors"):
				section, action = "addresses", "delayed"
			case strings.Contains(t, "Transcript of session follows"):
				section = "transcript"
			default:
				section = ""
			}
			continue
		}
		switch section {
		case "addresses":
			switch {
			case t == "":
			case strings.HasPrefix(t, "(reason: ") && cur != nil:
				reasons[strings.ToLower(cur.FinalRecipient)] = strings.TrimSuffix(t[len("(reason: "):], ")")
			case strings.HasPrefix(t, "(expanded from: ") && cur != nil:
				cur.OriginalRecipient = strings.Trim(strings.TrimSuffix(t[len("(expanded from: "):], ")"), "<>")
			case l == t:
				tr.recipients = append(tr.recipients, BounceRecipient{FinalRecipient: strings.Trim(t, "<>")})
				cur = &tr.recipients[len(tr.recipients)-1]
			}
		case "transcript":
			if h, ok := between(t, "while talking to ", ":"); ok {
				host = strings.TrimSuffix(h, ".")
			}
			if cmd, ok := strings.CutPrefix(t, ">>> "); ok {
				rcpt, started = "", false
				if a, ok := between(strings.ToLower(cmd), "rcpt to:<", ">"); ok {
					rcpt = a
					order = append(order, a)
				}
			} else if reply, ok := strings.CutPrefix(t, "<<< "); ok {
				if !started {
					replies[rcpt], started = nil, true
				}
				replies[rcpt] = append(replies[rcpt], reply)
			}
		}
	}
	if len(tr.recipients) == 0 {
		for _, a := range order {
			tr.recipients = append(tr.recipients, BounceRecipient{FinalRecipient: a})
		}
	}
	for i := range tr.recipients {
		r := &tr.recipients[i]
		key := strings.ToLower(r.FinalRecipient)
		switch {
		case replies[key] != nil:
			r.Diagnostic = strings.Join(replies[key], "\n")
		case replies[""] != nil:
			r.Diagnostic = strings.Join(replies[""], "\n")
		default:
			r.Diagnostic = reasons[key]
		}
		r.RemoteMTA = host
	}
	setAction(tr.recipients, action)
}

// readExchangeText reads an Exchange NDR: "Generating server: NAME" opens
// the administrators' section, where each address is followed by "Remote
// Server returned 'REPLY'" (older servers: '<host #5.7.1 smtp;REPLY>').
func readExchangeText(lines []string, tr *textReport) {
	action := "failed"
	var (
		admin, listing bool
		addr           string
		users          []string
	)
	for _, l := range lines {
		t := strings.TrimSpace(l)
		if strings.Contains(t, "Delivery is delayed to these recipients or groups") {
			action = "delayed"
		}
		if name, ok := strings.CutPrefix(t, "Generating server:"); ok {
			tr.reportingMTA, admin = strings.TrimSpace(name), true
			continue
		}
		if strings.Contains(t, "to these recipients or groups") {
			listing = true
			continue
		}
		if t == "" {
			continue
		}
		if !admin {
			if listing {
				if a := exchangeAddress(t); a != "" {
					users = append(users, a)
				} else {
					listing = false
				}
			}
			continue
		}
		if i := indexFold(t, "Remote Server returned '"); i >= 0 && addr != "" {
			r := BounceRecipient{FinalRecipient: addr}
			r.RemoteMTA, r.Diagnostic = exchangeReply(strings.TrimSuffix(t[i+len("Remote Server returned '"):], "'"))
			tr.recipients = append(tr.recipients, r)
			addr = ""
		} else if strings.HasPrefix(t, "#") && addr != "" {
			tr.recipients = append(tr.recipients, BounceRecipient{FinalRecipient: addr, Diagnostic: t})
			addr = ""
		} else if a := exchangeAddress(t); a != "" {
			addr = a
		}
	}
	if len(tr.recipients) == 0 {
		for _, a := range users {
			tr.recipients = append(tr.recipients, BounceRecipient{FinalRecipient: a})
		}
	}
	setAction(tr.recipients, action)
}

// exchangeAddress returns the address a line consists of ("a@example.test",
// "<a@example.test>", "Name (a@example.test)"), or "".
func exchangeAddress(t string) string {
	if a, ok := between(t, "(", ")"); ok && strings.HasSuffix(t, ")") {
		t = a
	}
	t = strings.Trim(t, "<>")
	if strings.Count(t, "@") != 1 || strings.ContainsAny(t, " \t'\"<>()") {
		return ""
	}
	return t
}

// exchangeReply splits "<host #5.7.1 smtp;550 5.7.1 text>" into the host and
// the reply; a plain reply is returned whole.
func exchangeReply(q string) (host, diag string) {
	if !strings.HasPrefix(q, "<") || !strings.HasSuffix(q, ">") {
		return "", q
	}
	in := q[1 : len(q)-1]
	if h, rest, ok := strings.Cut(in, " #"); ok {
		if _, reply, ok := strings.Cut(rest, "smtp;"); ok {
			return strings.TrimSpace(h), strings.TrimSpace(reply)
		}
	}
	return "", q
}

// readGmailText reads Gmail's notice: "Your message wasn't delivered to
// ADDR …" (or the older "Delivery to the following recipient failed
// permanently:"), then "The response from the remote server was:" and the
// reply lines.
func readGmailText(lines []string, subject string, tr *textReport) {
	action := "failed"
	if strings.Contains(subject, "(Delay)") {
		action = "delayed"
	}
	var (
		diag         []string
		diagOn, next bool
		addrs        []string
		seen         = map[string]bool{}
		addAddress   = func(a string) {
			a = strings.TrimRight(strings.Trim(a, "<>"), ".,:;")
			if strings.Contains(a, "@") && !seen[strings.ToLower(a)] {
				seen[strings.ToLower(a)] = true
				addrs = append(addrs, a)
			}
		}
	)
	for _, l := range lines {
		t := strings.TrimSpace(l)
		if strings.Contains(t, "temporary problem") || strings.Contains(t, "Delivery incomplete") || strings.Contains(t, "temporary failure") {
			action = "delayed"
		}
		switch {
		case diagOn:
			if t == "" {
				diagOn = len(diag) == 0
				continue
			}
			diag = append(diag, t)
		case next:
			if t != "" {
				addAddress(firstToken(t))
				next = false
			}
		case t == "The response from the remote server was:" || t == "The response was:" || t == "The error that the other server returned was:":
			diagOn, diag = true, nil
		case strings.HasPrefix(t, "Delivery to the following recipient"):
			next = true
		default:
			for _, pre := range []string{"wasn't delivered to ", "delivering your message to ", "Your message to "} {
				if _, rest, ok := strings.Cut(t, pre); ok {
					addAddress(firstToken(rest))
				}
			}
		}
	}
	for _, a := range addrs {
		tr.recipients = append(tr.recipients, BounceRecipient{FinalRecipient: a, Action: action, Diagnostic: strings.Join(diag, "\n")})
	}
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

// indexWord finds w at the start of s or after a space or line break.
func indexWord(s, w string) int {
	for off := 0; ; {
		i := strings.Index(s[off:], w)
		if i < 0 {
			return -1
		}
		i += off
		if i == 0 || s[i-1] == ' ' || s[i-1] == '\n' {
			return i
		}
		off = i + 1
	}
}

// lastIndexWord is indexWord from the end.
func lastIndexWord(s, w string) int {
	for end := len(s); ; {
		i := strings.LastIndex(s[:end], w)
		if i < 0 {
			return -1
		}
		if i == 0 || s[i-1] == ' ' || s[i-1] == '\n' {
			return i
		}
		end = i
	}
}

// indexFold is strings.Index ignoring ASCII case.
func indexFold(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if strings.EqualFold(s[i:i+len(sub)], sub) {
			return i
		}
	}
	return -1
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
