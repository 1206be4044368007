package reply

// statusInfo is what an enhanced status code's subject and detail mean
// (RFC 3463, RFC 7372, RFC 7505 and the IANA "Enhanced Status Codes"
// registry), and the category a reply falls in when only its codes decide.
type statusInfo struct {
	meaning string
	cat     Category
}

// statusTable is keyed by "subject.detail" (the class is 4 or 5 alike).
var statusTable = map[string]statusInfo{
	"0.0":  {"other undefined status", Other},
	"1.0":  {"other address status", Mailbox},
	"1.1":  {"bad destination mailbox address", Mailbox},
	"1.2":  {"bad destination system address", Mailbox},
	"1.3":  {"bad destination mailbox address syntax", Mailbox},
	"1.4":  {"destination mailbox address ambiguous", Mailbox},
	"1.5":  {"destination address valid", Other},
	"1.6":  {"destination mailbox has moved", Mailbox},
	"1.7":  {"bad sender's mailbox address syntax", Policy},
	"1.8":  {"bad sender's system address", Policy},
	"1.9":  {"message relayed to non-compliant mailer", Other},
	"1.10": {"recipient address has null MX", Mailbox},
	"2.0":  {"other or undefined mailbox status", Mailbox},
	"2.1":  {"mailbox disabled, not accepting messages", Mailbox},
	"2.2":  {"mailbox full", Mailbox},
	"2.3":  {"message length exceeds administrative limit", Policy},
	"2.4":  {"mailing list expansion problem", Mailbox},
	"3.0":  {"other or undefined mail system status", Other},
	"3.1":  {"mail system full", Other},
	"3.2":  {"system not accepting network messages", Other},
	"3.3":  {"system not capable of selected features", Other},
	"3.4":  {"message too big for system", Policy},
	"3.5":  {"system incorrectly configured", Other},
	"3.6":  {"requested priority was changed", Other},
	"4.0":  {"other or undefined network or routing status", Other},
	"4.1":  {"no answer from host", Other},
	"4.2":  {"bad connection", Other},
	"4.3":  {"directory server failure", Other},
	"4.4":  {"unable to route", Other},
	"4.5":  {"mail system congestion", Rate},
	"4.6":  {"routing loop detected", Other},
	"4.7":  {"delivery time expired", Other},
	"4.8":  {"RRVS: recipient address may have been reassigned", Mailbox},
	"5.0":  {"other or undefined protocol status", Other},
	"5.1":  {"invalid command", Other},
	"5.2":  {"syntax error", Other},
	"5.3":  {"too many recipients", Rate},
	"5.4":  {"invalid command arguments", Other},
	"5.5":  {"wrong protocol version", Other},
	"5.6":  {"authentication exchange line is too long", Other},
	"6.0":  {"other or undefined media error", Policy},
	"6.1":  {"media not supported", Policy},
	"6.2":  {"conversion required and prohibited", Policy},
	"6.3":  {"conversion required but not supported", Policy},
	"6.4":  {"conversion with loss performed", Other},
	"6.5":  {"conversion failed", Other},
	"6.6":  {"message content not available", Other},
	"6.7":  {"non-ASCII addresses not permitted for that sender/recipient", Policy},
	"6.8":  {"UTF-8 string reply is required, but not permitted by the SMTP client", Policy},
	"6.9":  {"UTF-8 header message cannot be transferred to one or more recipients", Policy},
	"6.10": {"duplicate of X.6.8", Policy},
	"7.0":  {"other or undefined security status", Policy},
	"7.1":  {"delivery not authorized, message refused", Policy},
	"7.2":  {"mailing list expansion prohibited", Policy},
	"7.3":  {"security conversion required but not possible", Policy},
	"7.4":  {"security features not supported", Policy},
	"7.5":  {"cryptographic failure", Policy},
	"7.6":  {"cryptographic algorithm not supported", Policy},
	"7.7":  {"message integrity failure", Policy},
	"7.8":  {"authentication credentials invalid", Policy},
	"7.9":  {"authentication mechanism is too weak", Policy},
	"7.10": {"encryption needed", TLS},
	"7.11": {"encryption required for requested authentication mechanism", TLS},
	"7.12": {"a password transition is needed", Policy},
	"7.13": {"user account disabled", Mailbox},
	"7.14": {"trust relationship required", Policy},
	"7.15": {"priority level is unacceptable", Policy},
	"7.16": {"message is too big for the specified priority", Policy},
	"7.17": {"mailbox owner has changed", Mailbox},
	"7.18": {"domain owner has changed", Mailbox},
	"7.19": {"RRVS test cannot be completed", Other},
	"7.20": {"no passing DKIM signature found", DKIM},
	"7.21": {"no acceptable DKIM signature found", DKIM},
	"7.22": {"no valid author-matched DKIM signature found", DKIM},
	"7.23": {"SPF validation failed", SPF},
	"7.24": {"SPF validation error", SPF},
	"7.25": {"reverse DNS validation failed", RDNS},
	"7.26": {"multiple authentication checks failed", DMARC},
	"7.27": {"sender address has null MX", Policy},
	"7.28": {"mail flood detected", Rate},
	"7.29": {"ARC validation failure", DKIM},
	"7.30": {"REQUIRETLS support required", TLS},
}

// lookupStatus returns the registry entry for an enhanced status code such
// as "5.7.25", falling back to the subject's X.Y.0 meaning for details the
// registry lacks (providers invent many, e.g. Microsoft's 5.7.708).
func lookupStatus(status string) (statusInfo, bool) {
	if len(status) < 5 {
		return statusInfo{}, false
	}
	key := status[2:]
	if si, ok := statusTable[key]; ok {
		return si, true
	}
	for i := 0; i < len(key); i++ {
		if key[i] == '.' {
			si, ok := statusTable[key[:i]+".0"]
			return si, ok
		}
	}
	return statusInfo{}, false
}
