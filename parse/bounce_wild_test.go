package parse

import (
	"strings"
	"testing"
)

// TestDSNStructureInTheWild: delivery-status fields are read whatever became
// of the MIME structure around them.
func TestDSNStructureInTheWild(t *testing.T) {
	fields := "Reporting-MTA: dns; relay.example.test\n\nFinal-Recipient: rfc822; a@mx.example.test\nAction: failed\nStatus: 5.7.25\nDiagnostic-Code: smtp; 550 5.7.25 no PTR for [198.51.100.7]\n"
	original := "Received: from app.example.test (app.example.test [192.0.2.10]) by relay.example.test with ESMTP id 1; Wed, 11 Mar 2026 16:09:58 +0000\nSubject: s\n"
	for _, tc := range []struct{ name, in string }{
		{"boundary parameter missing", "Subject: Undelivered Mail Returned to Sender\nContent-Type: multipart/report; report-type=delivery-status\n\n--b\nContent-Type: message/delivery-status\n\n" + fields + "\n--b\nContent-Type: text/rfc822-headers\n\n" + original + "\n--b--\n"},
		{"boundary mismatched", "Subject: Undelivered Mail Returned to Sender\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"abc\"\n\n--abd\nContent-Type: message/delivery-status\n\n" + fields + "\n--abd\nContent-Type: text/rfc822-headers\n\n" + original + "\n--abd--\n"},
		{"boundary indented", "Subject: Undelivered Mail Returned to Sender\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\n\n  --b\n  Content-Type: message/delivery-status\n\n" + fields + "\n  --b\n  Content-Type: text/rfc822-headers\n\n" + original + "\n  --b--\n"},
		{"no MIME at all", "Subject: failure notice\n\nDelivery failed.\n\n" + fields + "\n----- Original message -----\n" + original},
		{"pasted without headers", "Delivery failed.\n\n" + fields + "\n------------------------------\n" + original},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := ReadMessage(strings.NewReader(tc.in), DefaultLimits)
			if err != nil {
				t.Fatal(err)
			}
			b, err := ReadBounce(m, DefaultLimits)
			if err != nil || b == nil {
				t.Fatalf("ReadBounce = %v, %v", b, err)
			}
			if len(b.Recipients) != 1 || b.Recipients[0].FinalRecipient != "a@mx.example.test" || b.Recipients[0].Status != "5.7.25" ||
				!strings.Contains(b.Recipients[0].Diagnostic, "no PTR") {
				t.Errorf("recipients %+v", b.Recipients)
			}
			if b.ReportingMTA != "relay.example.test" {
				t.Errorf("reporting MTA %q", b.ReportingMTA)
			}
			if b.Original == nil || len(b.Original.Received()) != 1 {
				t.Errorf("original %+v (%s)", b.Original, b.OriginalType)
			}
		})
	}
}

// TestDSNGroupsWithoutBlankLines: a second Final-Recipient starts the next
// recipient even without a blank line; Postfix's Original-Recipient after
// Final-Recipient does not.
func TestDSNGroupsWithoutBlankLines(t *testing.T) {
	b, err := readDeliveryStatus([]byte("Reporting-MTA: dns; r.example.test\n\nFinal-Recipient: rfc822; a@x.test\nOriginal-Recipient: rfc822;a@x.test\nAction: failed\nStatus: 5.1.1\nFinal-Recipient: rfc822; b@x.test\nAction: failed\nStatus: 5.7.1\nOriginal-Recipient: rfc822; c@x.test\nFinal-Recipient: rfc822; c@x.test\nAction: delayed\nStatus: 4.0.0\n"))
	if err != nil || b == nil || len(b.Recipients) != 3 {
		t.Fatalf("%+v, %v", b, err)
	}
	for i, want := range []struct{ final, orig, status string }{{"a@x.test", "a@x.test", "5.1.1"}, {"b@x.test", "", "5.7.1"}, {"c@x.test", "c@x.test", "4.0.0"}} {
		r := b.Recipients[i]
		if r.FinalRecipient != want.final || r.OriginalRecipient != want.orig || r.Status != want.status {
			t.Errorf("recipient %d = %+v, want %+v", i, r, want)
		}
	}
}

// TestReplyStatusPrecedence: the remote's own enhanced code wins over a
// DSN's X.0.0 and over a rewritten code of the same class, never over one
// of another class.
func TestReplyStatusPrecedence(t *testing.T) {
	for _, tc := range []struct{ dsn, diag, want string }{
		{"5.0.0", "550 5.7.25 no PTR", "5.7.25"},
		{"5.1.1", "550 5.7.1 blocked using zen.spamhaus.org", "5.7.1"},
		{"4.0.0", "550 5.7.1 refused", "4.0.0"},
		{"5.7.1", "550 5.0.0 refused", "5.7.1"},
		{"", "Sorry, no mailbox here by that name, 5.1.1 in mid-text", "5.1.1"},
		{"", "550 5.7.1 refused", ""}, // the classifier reads it from the reply
		{"5.0.0", "X-Unix; 255", "5.0.0"},
	} {
		b := &Bounce{Recipients: []BounceRecipient{{Status: tc.dsn, Diagnostic: tc.diag}}}
		preferReplyStatus(b)
		if got := b.Recipients[0].Status; got != tc.want {
			t.Errorf("DSN %q, reply %q: Status %q, want %q", tc.dsn, tc.diag, got, tc.want)
		}
	}
}
