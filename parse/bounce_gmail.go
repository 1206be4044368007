package parse

import "strings"

// gmailFamily is Gmail's notice.
var gmailFamily = bounceFamily{
	name: "gmail",
	markers: []string{"The response from the remote server was:", "** Address not found **", "** Message blocked **",
		"** Message not delivered **", "** Delivery incomplete **", "Technical details of permanent failure:", "Technical details of temporary failure:",
		"The error that the other server returned was:", "Delivery to the following recipient has been delayed"},
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
	remote := ""
	for _, l := range lines {
		t := strings.TrimSpace(l)
		if strings.Contains(t, "temporary problem") || strings.Contains(t, "Delivery incomplete") || strings.Contains(t, "temporary failure") || strings.Contains(t, "has been delayed") {
			action = "delayed"
		}
		if remote == "" {
			remote = gmailRemote(t)
		}
		if rest, ok := strings.CutPrefix(t, "The error that the other server returned was:"); ok && strings.TrimSpace(rest) != "" {
			// 2010-2014 delay notices give the reply on the same line.
			diag, diagOn = []string{strings.TrimSpace(rest)}, true
			continue
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
		tr.recipients = append(tr.recipients, BounceRecipient{FinalRecipient: a, Action: action, RemoteMTA: remote, Diagnostic: strings.Join(diag, "\n")})
	}
}

// gmailRemote reads the rejecting server from the sentence of Gmail's
// 2010-2014 notices: "… rejected by the server for the recipient domain
// example.test by mx.example.test. [198.51.100.5]." gives "mx.example.test
// [198.51.100.5]".
func gmailRemote(t string) string {
	_, rest, ok := strings.Cut(t, "for the recipient domain ")
	if !ok {
		return ""
	}
	_, by, ok := strings.Cut(rest, " by ")
	if !ok {
		return ""
	}
	name, ip, ok := strings.Cut(by, " [")
	if !ok {
		return strings.TrimSuffix(strings.TrimSpace(by), ".")
	}
	ip, _, _ = strings.Cut(ip, "]")
	return strings.TrimSuffix(name, ".") + " [" + ip + "]"
}
