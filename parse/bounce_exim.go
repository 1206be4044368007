package parse

import "strings"

// eximFamily is Exim's notice, and the variant GMX and web.de send.
var eximFamily = bounceFamily{
	name:    "exim",
	markers: []string{"This message was created automatically by mail delivery software.", "The following address(es) failed:"},
	read:    func(lines []string, _ string, tr *textReport) { readEximText(lines, tr) },
}

// readEximText reads Exim's notice: after "The following address(es)
// failed:" (or, for a delay warning, "… has not yet been delivered …:") each
// address at two spaces' indent, its details indented deeper: "host NAME
// [IP]" and "SMTP error from remote mail server after CMD:" then the reply,
// or older Exim's "host NAME [IP]: REPLY" with the reply going on over the
// next lines, or "SMTP error from remote server for CMD command, host: NAME
// (IP) reason: REPLY". GMX and web.de write the address at column 0, quoted
// or not, its details at column 0 below it up to a blank line, and a
// reason that may carry no reply code.
func readEximText(lines []string, tr *textReport) {
	action := "failed"
	var (
		cur     *BounceRecipient
		detail  []string
		in      bool
		col0    bool // the current recipient came at column 0 (GMX, web.de)
		blank   bool // the previous line was blank
		errOpen bool // an "SMTP error from remote … after CMD" line a client wrapped before its colon
	)
	finish := func() {
		if cur != nil {
			cur.Diagnostic = strings.Join(detail, "\n")
			tr.recipients = append(tr.recipients, *cur)
		}
		cur, detail, col0 = nil, nil, false
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
			if col0 {
				finish()
			}
			blank = true
			continue
		}
		wasBlank := blank
		blank = false
		ind := len(l) - len(strings.TrimLeft(l, " \t"))
		if errOpen {
			// The rest of "… after RCPT" wrapped by a mail client: "TO:<x>:".
			errOpen = !strings.HasSuffix(t, ":")
			continue
		}
		switch {
		case ind == 0 && eximColumn0Address(t) != "":
			finish()
			cur, col0 = &BounceRecipient{FinalRecipient: eximColumn0Address(t)}, true
		case ind == 0 && !col0 && (wasBlank || cur == nil):
			finish()
			in = false
		case ind > 0 && ind <= 2:
			finish()
			cur = &BounceRecipient{FinalRecipient: strings.Trim(t, "<>")}
		case cur == nil:
		case strings.Contains(t, "SMTP error from remote"):
			detail = nil
			rest := strings.TrimPrefix(t, "Delay reason: ")
			errOpen = strings.Contains(rest, " after ") && !strings.Contains(rest, " reason: ") && !strings.HasSuffix(rest, ":")
			if host, ok := between(rest, "host: ", " reason: "); ok && cur.RemoteMTA == "" {
				cur.RemoteMTA = eximHostParen(host)
			}
			if _, reason, ok := strings.Cut(rest, " reason: "); ok {
				detail = append(detail, reason)
			}
		case strings.HasPrefix(t, "host ") && cur.RemoteMTA == "" && len(detail) == 0:
			host := t[len("host "):]
			if i := strings.Index(host, "]: "); i >= 0 {
				// "host NAME [IP]: REPLY": the reply starts here and may go
				// on over the next lines.
				cur.RemoteMTA = host[:i+1]
				detail = append(detail, strings.TrimSpace(host[i+3:]))
				break
			}
			cur.RemoteMTA = strings.TrimSuffix(host, ":")
		case strings.HasPrefix(t, "host: ") && cur.RemoteMTA == "":
			cur.RemoteMTA = eximHostParen(t[len("host: "):])
		case strings.HasPrefix(t, "reason: "):
			detail = append(detail, strings.TrimSpace(t[len("reason: "):]))
		case strings.HasPrefix(t, "(generated from ") && strings.HasSuffix(t, ")"):
			cur.OriginalRecipient = t[len("(generated from ") : len(t)-1]
		case col0 && ind == 0 && (t[0] == '-' || t[0] == '='):
			finish()
			in = false
		default:
			detail = append(detail, t)
		}
	}
	finish()
	setAction(tr.recipients, action)
}

// eximColumn0Address returns the address of a GMX or web.de recipient line:
// `"bob@example.test":`, `bob@example.test:` or `<bob@example.test>:`
// alone at column 0; "" for any other line.
func eximColumn0Address(t string) string {
	a, ok := strings.CutSuffix(t, ":")
	if !ok {
		return ""
	}
	a = strings.Trim(strings.Trim(a, "\""), "<>")
	if strings.Count(a, "@") != 1 || strings.ContainsAny(a, " \t\"<>()") {
		return ""
	}
	return a
}

// eximHostParen turns "NAME (IP)" into "NAME [IP]", the way the other
// readers give a remote MTA; a name alone stays as it is.
func eximHostParen(h string) string {
	h = strings.TrimSpace(h)
	if name, ip, ok := strings.Cut(h, " ("); ok && strings.HasSuffix(ip, ")") {
		return name + " [" + strings.TrimSuffix(ip, ")") + "]"
	}
	return h
}
