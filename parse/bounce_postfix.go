package parse

import (
	"strings"

	"hopcheck/parse/reply"
)

// textFamily is Postfix's notice and, when no family's markers match, any
// other bounce text; hence its Bounce.Family "text". A text in which
// Postfix's reader finds no recipient is tried as qmail's paragraphs.
var textFamily = bounceFamily{
	name:    "text",
	markers: []string{"This is the mail system at host"},
	read: func(lines []string, _ string, tr *textReport) {
		readPostfixText(lines, tr)
		if len(tr.recipients) == 0 {
			readQmailText(lines, tr)
		}
		if len(tr.recipients) == 0 {
			readReplyText(lines, tr)
		}
	},
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
		cur.RemoteMTA, cur.Diagnostic, _ = reply.SplitPostfix(strings.Join(parts, "\n"))
		tr.recipients = append(tr.recipients, *cur)
		cur, parts = nil, nil
	}
	unavailable := false
	for _, l := range lines {
		t := strings.TrimSpace(l)
		if host, ok := strings.CutPrefix(t, "This is the mail system at host "); ok {
			tr.reportingMTA = strings.TrimSuffix(host, ".")
		}
		if t == "--- Delivery report unavailable ---" {
			unavailable = true
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
	if len(tr.recipients) == 0 && unavailable {
		// Postfix lost its delivery log: the notice names no recipient and
		// no reason, only that delivery failed.
		tr.recipients = append(tr.recipients, BounceRecipient{})
		tr.fromOriginal = true
	}
	setAction(tr.recipients, action)
}

// readReplyText reads a remote server's reply pasted as it is, alone or on
// top of the original: the first run of lines that open with the same
// reply code ("550-5.7.25 …" … "550 5.7.25 …"), and a single line of prose
// before it ("The server said:") is no part of it. The recipient is not
// named; ReadBounce takes it from the original when that has one.
func readReplyText(lines []string, tr *textReport) {
	var reply []string
	code := ""
	for _, l := range lines {
		t := strings.TrimSpace(l)
		if len(t) >= 4 && (t[3] == ' ' || t[3] == '-') && (code == "" && (t[0] == '4' || t[0] == '5') && isDigitByte(t[1]) && isDigitByte(t[2]) || code != "" && t[:3] == code) {
			code = t[:3]
			reply = append(reply, t)
			if t[3] == ' ' {
				break // the last line of a multi-line reply
			}
			continue
		}
		if code != "" {
			break
		}
	}
	if len(reply) > 0 {
		action := "failed"
		if code[0] == '4' {
			action = "delayed"
		}
		tr.recipients = append(tr.recipients, BounceRecipient{Action: action, Diagnostic: strings.Join(reply, "\n")})
		tr.fromOriginal = true
	}
}

// postmasterFamily is the notice a receiving Postfix sends its own
// postmaster about a client it refused (smtpd_chat_notify, Subject
// "Postfix SMTP server: errors from NAME[IP]"): "Transcript of session
// follows." and the session as " In:  CMD" and " Out: REPLY" lines. The
// relay to judge is the client, not the sender of the notice.
var postmasterFamily = bounceFamily{
	name:    "postmaster",
	markers: []string{"Transcript of session follows.", "For other details, see the local mail logfile"},
	read:    readPostmasterText,
}

// readPostmasterText reads the session: each "In: RCPT TO:<addr>" names a
// recipient whose refusal is the 4xx or 5xx "Out:" reply after it; a
// refusal before any RCPT (at HELO, MAIL or connect) stands for the whole
// session. The client comes from the Subject's "errors from NAME[IP]".
func readPostmasterText(lines []string, subject string, tr *textReport) {
	tr.noReporter = true
	if _, client, ok := strings.Cut(subject, "errors from "); ok {
		client = strings.TrimSpace(client)
		tr.receivedFromMTA = client
		if i := strings.LastIndexByte(client, '['); i >= 0 {
			tr.clientIP, _ = stampAddr(client[i:])
		}
	}
	rcpt, seenRcpt := "", false
	var reply []string
	flush := func() {
		if len(reply) > 0 {
			tr.recipients = append(tr.recipients, BounceRecipient{FinalRecipient: rcpt, Diagnostic: strings.Join(reply, "\n")})
		}
		reply = nil
	}
	for _, l := range lines {
		t := strings.TrimSpace(l)
		if cmd, ok := strings.CutPrefix(t, "In:"); ok {
			flush()
			cmd = strings.TrimSpace(cmd)
			rcpt = ""
			if hasPrefixFold(cmd, "RCPT TO:") {
				if a, ok := between(cmd, "<", ">"); ok {
					rcpt, seenRcpt = a, true
				}
			}
			continue
		}
		out, ok := strings.CutPrefix(t, "Out:")
		if !ok {
			continue
		}
		out = strings.TrimSpace(out)
		if len(out) < 4 || (out[0] != '4' && out[0] != '5') {
			continue
		}
		if len(reply) > 0 && !strings.HasPrefix(out, reply[0][:3]) {
			flush()
		}
		reply = append(reply, out)
	}
	flush()
	if seenRcpt {
		// Refusals of other commands (DATA after a refused RCPT) repeat it.
		kept := tr.recipients[:0]
		for _, r := range tr.recipients {
			if r.FinalRecipient != "" {
				kept = append(kept, r)
			}
		}
		if len(kept) > 0 {
			tr.recipients = kept
		}
	}
	for i := range tr.recipients {
		tr.recipients[i].Action = "failed"
		if tr.recipients[i].Diagnostic[0] == '4' {
			tr.recipients[i].Action = "delayed"
		}
	}
}
