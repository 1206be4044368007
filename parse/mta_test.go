package parse

import "testing"

func TestStampMTA(t *testing.T) {
	for _, c := range []struct {
		raw  string
		want MTA
	}{
		{"from helo.example.test (unknown [198.51.100.23]) by mx.example.test (Postfix) with ESMTP id 4TQy0B2Cdfz9sV", Postfix},
		{"by mx.example.test (Postfix, from userid 1000) id 4TQy2D4Efgz9sX", Postfix},
		{"from [198.51.100.30] (port=41234 helo=client.example.test) by mx.example.test with esmtp (Exim 4.97.1)", Exim},
		{"from mail.example.test (198.51.100.7) by DB5PEPF00012345.mail.protection.outlook.com (192.0.2.34) with Microsoft SMTP Server (version=TLS1_3)", Exchange},
		{"from client.example.test (client.example.test [192.0.2.50]) by mx.example.test (8.17.1/8.17.1) with ESMTP id 411A0B9c012345", Sendmail},
		{"from a (b [192.0.2.1]) by mx.example.test (Sendmail) with SMTP", Sendmail},
		{"from mail.example.test (mail.example.test [192.0.2.140]) by mx.example.test (OpenSMTPD) with ESMTPS id 3e4f5a6b", OpenSMTPD},
		{"FROM A (B [192.0.2.1]) BY C (POSTFIX) WITH ESMTP", Postfix},
		// The first rule wins: a Postfix stamp that names an Exim host.
		{"from exim.example.test (exim.example.test [192.0.2.1]) by mx.example.test (Postfix) with ESMTP", Postfix},
		{"from mail.example.test by mx.google.com with ESMTPS id a1b2c3", ""},
		{"", ""},
	} {
		if got := StampMTA(c.raw); got != c.want {
			t.Errorf("StampMTA(%.60q…) = %q, want %q", c.raw, got, c.want)
		}
	}
}
