package parse

import "strings"

// sendmailFamily is Sendmail's notice.
var sendmailFamily = bounceFamily{
	name: "sendmail",
	markers: []string{"----- Transcript of session follows -----", "----- The following addresses had permanent fatal errors -----",
		"----- The following addresses had transient non-fatal errors -----", "The original message was received at"},
	read: func(lines []string, _ string, tr *textReport) { readSendmailText(lines, tr) },
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
		own     = map[string]string{} // Sendmail's own "550 5.1.1 <addr>... User unknown" lines
		rcpt    string                // the address of the transcript's current RCPT, "" for other commands
		started bool                  // the current command's reply has begun
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
			} else if addr, ok := sendmailOwnLine(t); ok {
				if _, seen := own[addr]; !seen {
					own[addr] = t
				}
			}
		}
	}
	if len(tr.recipients) == 0 {
		for _, a := range order {
			tr.recipients = append(tr.recipients, BounceRecipient{FinalRecipient: a})
		}
	}
	if len(tr.recipients) == 0 && replies[""] != nil {
		// The notice names no address, and the refusal came to another
		// command (DATA): one recipient, whose address the DSN gives.
		tr.recipients = append(tr.recipients, BounceRecipient{})
	}
	for i := range tr.recipients {
		r := &tr.recipients[i]
		key := strings.ToLower(r.FinalRecipient)
		switch {
		case replies[key] != nil:
			r.Diagnostic = strings.Join(replies[key], "\n")
		case own[key] != "":
			r.Diagnostic = own[key]
		case replies[""] != nil:
			r.Diagnostic = strings.Join(replies[""], "\n")
		case !isNumber(reasons[key]):
			// A local mailer's exit status ("(reason: 255)") is no reply.
			r.Diagnostic = reasons[key]
		}
		r.RemoteMTA = host
	}
	setAction(tr.recipients, action)
}

// sendmailOwnLine reads a line Sendmail writes in the transcript about an
// address itself — `550 5.1.1 <bob@example.test>... User unknown`, `554
// 5.3.0 "|/usr/bin/procmail"... unknown mailer error 255` — and returns the
// address, lower case, as the addresses section gives it.
func sendmailOwnLine(t string) (string, bool) {
	if len(t) < 10 || (t[0] != '4' && t[0] != '5') || !isDigitByte(t[1]) || !isDigitByte(t[2]) || t[3] != ' ' || statusAt(t, 4) == "" {
		return "", false
	}
	addr, _, ok := strings.Cut(t[4+len(statusAt(t, 4)):], "...")
	if !ok {
		return "", false
	}
	addr = strings.TrimSpace(addr)
	return strings.ToLower(strings.Trim(addr, "<>")), addr != ""
}

// isNumber reports whether s is made of digits only (and is not empty).
func isNumber(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigitByte(s[i]) {
			return false
		}
	}
	return s != ""
}
