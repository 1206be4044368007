package reply

import "testing"

func TestSplitPostfix(t *testing.T) {
	for _, c := range []struct {
		name, in, host, text string
		ok                   bool
	}{
		{"said", "host mx.example.test[198.51.100.5] said: 550 5.7.1 No PTR (in reply to RCPT TO command)",
			"mx.example.test[198.51.100.5]", "550 5.7.1 No PTR", true},
		{"log status text", "status=deferred (host mx.example.test[198.51.100.5] said: 451 4.7.650 limited (S843) (in reply to RCPT TO command))",
			"mx.example.test[198.51.100.5]", "451 4.7.650 limited (S843)", true},
		{"wrapped bounce paragraph", "host mx.example.test[198.51.100.5]\nsaid: 550-5.7.25 no PTR\n550 5.7.25 gsmtp (in reply to end\nof DATA command)",
			"mx.example.test[198.51.100.5]", "550-5.7.25 no PTR\n550 5.7.25 gsmtp", true},
		{"refused greeting", "host mx.example.test[198.51.100.5] refused to talk to me: 554 5.7.1 go away",
			"mx.example.test[198.51.100.5]", "554 5.7.1 go away", true},
		{"refused connect", "connect to mx.example.test[198.51.100.5]: server refused to talk to me: 421 busy",
			"mx.example.test[198.51.100.5]", "421 busy", true},
		{"no host", "the server said: 550 no", "", "550 no", true},
		{"not a word", "mailsaid: 550 no", "", "mailsaid: 550 no", false},
		{"ghost is no host", "ghost x[192.0.2.1] said: 550", "", "550", true},
		{"neither", "550 5.1.1 user unknown", "", "550 5.1.1 user unknown", false},
	} {
		host, text, ok := SplitPostfix(c.in)
		if host != c.host || text != c.text || ok != c.ok {
			t.Errorf("%s: SplitPostfix = %q, %q, %v; want %q, %q, %v", c.name, host, text, ok, c.host, c.text, c.ok)
		}
	}
}

func TestSplitExchange(t *testing.T) {
	for _, c := range []struct {
		name, in, host, text string
		ok                   bool
	}{
		{"plain", "Remote Server returned '550 5.7.1 Client host rejected'", "", "550 5.7.1 Client host rejected", true},
		{"older", "Remote Server returned '<mx.example.test #5.7.1 smtp;550 5.7.1 Client host rejected: cannot find your hostname, [198.51.100.7]>'",
			"mx.example.test", "550 5.7.1 Client host rejected: cannot find your hostname, [198.51.100.7]", true},
		{"older, spaced", "remote server returned '<mx.example.test #5.0.0 SMTP; 554 5.7.1 Relay access denied>'", "mx.example.test", "554 5.7.1 Relay access denied", true},
		{"quote inside", "Remote Server returned '550 it's refused'", "", "550 it's refused", true},
		{"bracketed without smtp;", "Remote Server returned '<550 5.7.1 refused>'", "", "550 5.7.1 refused", true},
		{"none", "550 5.7.1 refused", "", "550 5.7.1 refused", false},
	} {
		host, text, ok := SplitExchange(c.in)
		if host != c.host || text != c.text || ok != c.ok {
			t.Errorf("%s: SplitExchange = %q, %q, %v; want %q, %q, %v", c.name, host, text, ok, c.host, c.text, c.ok)
		}
	}
}
