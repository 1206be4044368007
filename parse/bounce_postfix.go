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
