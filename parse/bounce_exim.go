package parse

import "strings"

// eximFamily is Exim's notice.
var eximFamily = bounceFamily{
	name:    "exim",
	markers: []string{"This message was created automatically by mail delivery software.", "The following address(es) failed:"},
	read:    func(lines []string, _ string, tr *textReport) { readEximText(lines, tr) },
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
