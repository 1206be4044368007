package probe

import "testing"

func TestDomainOf(t *testing.T) {
	tests := []struct{ line, want string }{
		{"220 mail.example.test ESMTP Postfix", "mail.example.test"},
		{"220-Mail.Example.TEST. ESMTP", "mail.example.test"},
		{"250-mx1.example.test Hello [192.0.2.1]", "mx1.example.test"},
		{"250 mx1.example.test", "mx1.example.test"},
		{"220  mail.example.test\tready", "mail.example.test"},
		{"220 smtp_01.example.test", "smtp_01.example.test"},
		{"220 [192.0.2.25] ESMTP", "[192.0.2.25]"},
		{"250 [ipv6:2001:DB8::0:1]", "[IPv6:2001:db8::1]"},
		{"220 ESMTP ready", ""},
		{"220 localhost ESMTP", ""},
		{"220", ""},
		{"220 ", ""},
		{"220 ***********************", ""},
		{"220 192.0.2.25 ESMTP", ""},
		{"550 5.7.1 access denied", ""},
		{"220 -bad.example.test", ""},
		{"220 bad-.example.test", ""},
		{"220 a..example.test", ""},
		{"220 .example.test", ""},
		{"220 mail.example.\u212aom", ""}, // Kelvin sign, which lower-cases to 'k'
		{"220 [2001:db8::1]", ""},
		{"220 [IPv6:192.0.2.1]", ""},
		{"220 [IPv6:fe80::1%eth0]", ""},
		{"220 [192.0.2.1", ""},
	}
	for _, tt := range tests {
		if got := domainOf(reply{lines: []string{tt.line}}); got != tt.want {
			t.Errorf("domainOf(%q) = %q, want %q", tt.line, got, tt.want)
		}
	}
}
