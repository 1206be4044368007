package parse

import "strings"

// openSMTPDFamily is OpenSMTPD's notice (smtpd/bounce.c): "Hi!", "This is
// the MAILER-DAEMON, please DO NOT REPLY to this email.", then one line per
// recipient at column 0, "ADDR: ERROR".
var openSMTPDFamily = bounceFamily{
	name:    "opensmtpd",
	markers: []string{"This is the MAILER-DAEMON, please DO NOT REPLY to this email."},
	read:    func(lines []string, _ string, tr *textReport) { readOpenSMTPDText(lines, tr) },
}

// readOpenSMTPDText reads the recipient lines that follow "the following
// list of recipients:" up to "Below is a copy of the original message:".
// The notice's own sentences are indented by four spaces; the recipient
// lines are not. A delay warning says "A message is delayed for more than
// …".
func readOpenSMTPDText(lines []string, tr *textReport) {
	action := "failed"
	in := false
	for _, l := range lines {
		t := strings.TrimSpace(l)
		switch {
		case strings.HasPrefix(t, "A message is delayed for more than"):
			action = "delayed"
		case strings.HasSuffix(t, "list of recipients:"):
			in = true
			continue
		case strings.HasPrefix(t, "Below is a copy of the original message"):
			in = false
		}
		if !in || t == "" || l[0] == ' ' || l[0] == '\t' {
			continue
		}
		addr, diag, ok := strings.Cut(t, ": ")
		if !ok || strings.Count(addr, "@") != 1 || strings.ContainsAny(addr, " \t") {
			continue
		}
		tr.recipients = append(tr.recipients, BounceRecipient{FinalRecipient: strings.Trim(addr, "<>"), Diagnostic: strings.TrimSpace(diag)})
	}
	setAction(tr.recipients, action)
}
