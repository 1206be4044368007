package parse

import (
	"strings"

	"hopcheck/parse/reply"
)

// exchangeFamily is an Exchange or Microsoft 365 NDR.
var exchangeFamily = bounceFamily{
	name: "exchange",
	markers: []string{"Delivery has failed to these recipients or groups", "Delivery is delayed to these recipients or groups",
		"Diagnostic information for administrators", "Generating server:"},
	read: func(lines []string, _ string, tr *textReport) { readExchangeText(lines, tr) },
}

// readExchangeText reads an Exchange NDR: "Generating server: NAME" opens
// the administrators' section, where each address is followed by "Remote
// Server returned 'REPLY'" (older servers: '<host #5.7.1 smtp;REPLY>').
func readExchangeText(lines []string, tr *textReport) {
	action := "failed"
	var (
		admin, listing bool
		addr           string
		users          []string
	)
	for _, l := range lines {
		t := strings.TrimSpace(l)
		if strings.Contains(t, "Delivery is delayed to these recipients or groups") {
			action = "delayed"
		}
		if name, ok := strings.CutPrefix(t, "Generating server:"); ok {
			tr.reportingMTA, admin = strings.TrimSpace(name), true
			continue
		}
		if strings.Contains(t, "to these recipients or groups") {
			listing = true
			continue
		}
		if t == "" {
			continue
		}
		if !admin {
			if listing {
				if a := exchangeAddress(t); a != "" {
					users = append(users, a)
				} else {
					listing = false
				}
			}
			continue
		}
		if host, diag, ok := reply.SplitExchange(t); ok && addr != "" {
			tr.recipients = append(tr.recipients, BounceRecipient{FinalRecipient: addr, RemoteMTA: host, Diagnostic: diag})
			addr = ""
		} else if strings.HasPrefix(t, "#") && addr != "" {
			tr.recipients = append(tr.recipients, BounceRecipient{FinalRecipient: addr, Diagnostic: t})
			addr = ""
		} else if a := exchangeAddress(t); a != "" {
			addr = a
		}
	}
	if len(tr.recipients) == 0 {
		for _, a := range users {
			tr.recipients = append(tr.recipients, BounceRecipient{FinalRecipient: a})
		}
	}
	setAction(tr.recipients, action)
}

// exchangeAddress returns the address a line consists of ("a@example.test",
// "<a@example.test>", "Name (a@example.test)"), or "".
func exchangeAddress(t string) string {
	if a, ok := between(t, "(", ")"); ok && strings.HasSuffix(t, ")") {
		t = a
	}
	t = strings.Trim(t, "<>")
	if strings.Count(t, "@") != 1 || strings.ContainsAny(t, " \t'\"<>()") {
		return ""
	}
	return t
}
