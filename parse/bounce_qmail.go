package parse

import "strings"

// qmailFamily is qmail-send's notice.
var qmailFamily = bounceFamily{
	name:    "qmail",
	markers: []string{"This is the qmail-send program at"},
	read:    func(lines []string, _ string, tr *textReport) { readQmailText(lines, tr) },
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
