package parse

import "strings"

// gmailFamily is Gmail's notice.
var gmailFamily = bounceFamily{
	name: "gmail",
	markers: []string{"The response from the remote server was:", "** Address not found **", "** Message blocked **",
		"** Message not delivered **", "** Delivery incomplete **", "Technical details of permanent failure:", "Technical details of temporary failure:"},
	read: readGmailText,
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
