package parse

import "hopcheck/internal/textutil"

// MTA names a mail server's software, as a Received stamp or an MTA log
// reveals it; "" is unknown.
type MTA string

// The MTAs hopcheck tells apart.
const (
	Postfix   MTA = "postfix"
	Exim      MTA = "exim"
	Sendmail  MTA = "sendmail"
	Exchange  MTA = "exchange"
	OpenSMTPD MTA = "opensmtpd"
)

// StampMTA names the software that wrote a Received stamp (a Hop's Raw)
// from the words it leaves there, compared ASCII case-insensitively:
// "(Postfix" → Postfix, "Exim" → Exim, "Microsoft SMTP" → Exchange,
// "Sendmail" or a Sendmail version "/8." → Sendmail, "OpenSMTPD" →
// OpenSMTPD; "" when the stamp names none. The first rule that matches
// wins.
func StampMTA(raw string) MTA {
	switch {
	case textutil.IndexFold(raw, "(postfix") >= 0:
		return Postfix
	case textutil.IndexFold(raw, "exim") >= 0:
		return Exim
	case textutil.IndexFold(raw, "microsoft smtp") >= 0:
		return Exchange
	case textutil.IndexFold(raw, "sendmail") >= 0 || textutil.IndexFold(raw, "/8.") >= 0:
		return Sendmail
	case textutil.IndexFold(raw, "opensmtpd") >= 0:
		return OpenSMTPD
	}
	return ""
}
