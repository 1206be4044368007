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
