package reply

import "hopcheck/problem"

// nameRule says where an entry finds the host names a reply quotes.
type nameRule uint8

const (
	namesNone  nameRule = iota
	namesAngle          // Postfix: the reply starts "<name>: " or "<name[ip]>: "
	namesAfter          // the word right after the first of the entry's after phrases
)

// entry is one knowledge-base rule. It matches when every phrase in all and
// at least one in any (when any is set) occur in the reply text, compared
// ASCII case-insensitively, and the status and class constraints hold. The
// first matching entry in kb wins, so specific entries come before generic
// ones.
type entry struct {
	id     string
	all    []string
	any    []string
	status string // only for this enhanced status code, when set
	class  byte   // only for '4' (temporary) or '5' (permanent) replies, when set

	cat         Category
	problem     problem.Name // for rdns and helo entries
	problemTemp problem.Name // the problem when the reply is temporary, if it differs
	provider    string
	names       nameRule
	after       []string // for namesAfter; each must also be in all or any
	explain     string
}

// kb is the knowledge base, most specific first. Each entry names where its
// text was seen.
var kb = []entry{
	// --- Gmail: https://support.google.com/a/answer/3726730 (SMTP error
	// reference) and bounces quoted on NANOG (2014-01, IPv6) and in forums.
	{
		id:  "gmail-ptr",
		any: []string{"does not have a ptr record setup", "doesn't have a ptr record"},
		// 550-5.7.25 [ip] The IP address sending this message does not have a
		// PTR record setup, or the corresponding forward DNS entry does not
		// point to the sending IP. (kaanlabs.com, simplefastwebsites.com)
		class: '5', cat: RDNS, problem: problem.NoPTR, provider: "gmail",
		explain: "Gmail refused the message because the sending IP has no PTR record or its PTR name does not resolve back to that IP. Ask the IP's owner (hosting provider or ISP) to set a PTR to your mail host name and make that name's A/AAAA record point to the same IP.",
	},
	{
		id: "gmail-ptr-temp",
		// 421-4.7.23 The sending IP address for this message doesn't have a
		// PTR record, or the PTR record's forward DNS entry doesn't match the
		// sending IP address. … temporarily rate limited. (Gmail SMTP errors)
		any:   []string{"does not have a ptr record setup", "doesn't have a ptr record"},
		class: '4', cat: RDNS, problem: problem.NoPTR, provider: "gmail",
		explain: "Gmail is deferring mail because the sending IP has no PTR record or the PTR name does not resolve back to it; it will refuse outright if this persists. Have the IP's owner set a forward-confirmed PTR for your mail host.",
	},
	{
		id: "gmail-ptr-forward",
		// 421-4.7.23 / 550-5.7.25 [ip] The sending IP does not match the IP
		// address of the hostname specified in the pointer (PTR) record.
		// (Gmail's wording when a PTR exists but its name resolves elsewhere,
		// as quoted in Postfix and Exim logs)
		all: []string{"does not match the ip address of the hostname specified in the pointer (ptr) record"},
		cat: RDNS, problem: problem.FCrDNSFail, problemTemp: problem.FCrDNSFail, provider: "gmail",
		explain: "Gmail found a PTR for the sending IP, but the host name it names does not resolve back to that IP. Add an A/AAAA record for the PTR name pointing to the IP, or have the PTR changed to a name that does.",
	},
	{
		id: "gmail-ipv6-ptr",
		// 550-5.7.1 [2001:db8::25] Our system has detected that this message
		// does not meet IPv6 sending guidelines regarding PTR records and
		// authentication. (NANOG 2014-01 "550 error for ipv6/PTR")
		all: []string{"ipv6 sending guidelines"},
		cat: RDNS, problem: problem.NoPTR, provider: "gmail",
		explain: "Gmail requires mail sent over IPv6 to come from an address with a forward-confirmed PTR and to pass SPF or DKIM. Set a PTR for the IPv6 address whose name has a matching AAAA record, or send to Gmail over IPv4.",
	},
	{
		id: "gmail-dmarc",
		// 550-5.7.26 Unauthenticated email from example.com is not accepted due
		// to domain's DMARC policy. (Gmail SMTP errors)
		all: []string{"due to domain's dmarc policy"},
		cat: DMARC, provider: "gmail",
		explain: "The From domain publishes a DMARC reject policy and this message passed neither aligned SPF nor aligned DKIM. Sign with the From domain's DKIM key or send from servers listed in its SPF record.",
	},
	{
		id: "gmail-unauthenticated",
		// 550-5.7.26 This mail is unauthenticated … The sender must
		// authenticate with at least one of SPF or DKIM; 550-5.7.1 This message
		// does not have authentication information or fails to pass
		// authentication checks; 421-4.7.26 This mail has been rate limited
		// because it is unauthenticated. (Gmail SMTP errors; nazo.osakana.net)
		any: []string{"this mail is unauthenticated", "does not have authentication information", "because it is unauthenticated"},
		cat: SPF, provider: "gmail",
		explain: "Gmail requires every sender to pass SPF or DKIM and this message passed neither. Publish an SPF record that includes the sending IP and sign outgoing mail with DKIM.",
	},
	{
		id: "gmail-unsolicited-rate",
		// 421-4.7.28 Our system has detected an unusual rate of unsolicited
		// mail originating from your IP address … temporarily rate limited.
		// (talk.plesk.com thread "421-4.7.28 error")
		any:   []string{"unusual rate of unsolicited mail", "gmail has detected an unusual rate"},
		class: '4', cat: Rate, provider: "gmail",
		explain: "Gmail is rate-limiting this IP because recipients see too much unwanted mail from it. Slow down, check for a compromised account or form, and review Gmail's bulk sender guidelines.",
	},
	{
		id: "gmail-unsolicited-block",
		// 550-5.7.1 [ip] Our system has detected an unusual rate of unsolicited
		// mail originating from your IP address … has been blocked.
		// (dwaves.org, 2017)
		any:   []string{"unusual rate of unsolicited mail", "gmail has detected an unusual rate"},
		class: '5', cat: Reputation, provider: "gmail",
		explain: "Gmail blocked this IP for sending an unusual rate of unwanted mail. Find and stop the source, then let the reputation recover; Postmaster Tools shows it.",
	},
	{
		id: "gmail-low-reputation",
		// 421-4.7.0 This message is suspicious due to the very low reputation
		// of the sending IP address/domain. (Gmail SMTP errors)
		any: []string{"very low reputation of the sending"},
		cat: Reputation, provider: "gmail",
		explain: "Gmail rates the sending IP or domain's reputation very low. Authenticate the mail, send only wanted mail, and watch Gmail Postmaster Tools while it recovers.",
	},
	{
		id: "gmail-likely-unsolicited",
		// 550-5.7.1 Our system has detected that this message is likely
		// unsolicited mail. (Gmail SMTP errors)
		all: []string{"likely unsolicited mail"},
		cat: Reputation, provider: "gmail",
		explain: "Gmail's filters judged this message to be spam. Review its content, links and the sender's reputation.",
	},
	{
		id: "gmail-ip-not-authorized",
		// 550-5.7.1 The IP you're using to send mail is not authorized to send
		// email directly to our servers. Please use the SMTP relay at your
		// service provider instead. (Gmail SMTP errors)
		all: []string{"not authorized to send email directly to our servers"},
		cat: Reputation, provider: "gmail",
		explain: "Gmail does not accept direct mail from this IP range (typically residential or dynamic space). Relay through your provider's or a hosted smarthost.",
	},
	{
		id: "gmail-tls-required",
		// 421-4.7.0 TLS required for RCPT domain, closing connection.
		all: []string{"tls required for rcpt domain"},
		cat: TLS, provider: "gmail",
		explain: "The recipient domain requires TLS and this connection did not use it. Enable STARTTLS on the sending server.",
	},
	{
		id: "gmail-try-later",
		// 421-4.7.0 Try again later, closing connection. (Gmail SMTP errors:
		// usually a denial-of-service guard at the HELO stage)
		all: []string{"try again later, closing connection"},
		cat: Rate, provider: "gmail",
		explain: "Gmail is temporarily refusing connections from this sender. The sending server should retry later with fewer parallel connections.",
	},

	// --- Microsoft / Outlook.com / Exchange Online:
	// https://learn.microsoft.com/en-us/exchange/mail-flow-best-practices/non-delivery-reports-in-exchange-online/non-delivery-reports-in-exchange-online
	// and bounces quoted on pastebin and in blogs (paranoidpengu.in 2020).
	{
		id: "ms-network-blocklist",
		// 550 5.7.1 Unfortunately, messages from [ip] weren't sent. Please
		// contact your Internet service provider since part of their network
		// is on our block list (S3150).
		all: []string{"part of their network is on our block list"},
		cat: Blocklist, provider: "microsoft",
		explain: "Outlook.com lists the sending IP or its range on its own block list (S3140/S3150). Request delisting at https://sender.office.com and check the IP in SNDS.",
	},
	{
		id: "ms-spamhaus",
		// 550 5.7.1 Service unavailable, Client host [ip] blocked using
		// Spamhaus. To request removal from this list see https://www.spamhaus.org/…
		all: []string{"blocked using spamhaus"},
		cat: Blocklist, provider: "microsoft",
		explain: "Microsoft refused the IP because Spamhaus lists it. Look the IP up at spamhaus.org, fix the cause and request removal there.",
	},
	{
		id: "ms-banned-sending-ip",
		// 550 5.7.606 Access denied, banned sending IP [ip]. To request removal
		// from this list please visit https://sender.office.com/
		all: []string{"banned sending ip"},
		cat: Blocklist, provider: "microsoft",
		explain: "Exchange Online banned the sending IP. Request delisting at https://sender.office.com.",
	},
	{
		id: "ms-banned-sender",
		// 550 5.7.511 Access denied, banned sender[ip]. To request removal from
		// this list please forward this message to delist@microsoft.com.
		all: []string{"banned sender"},
		cat: Blocklist, provider: "microsoft",
		explain: "Microsoft banned this sender; the delisting portal does not apply. Forward the whole bounce to delist@microsoft.com as the text asks.",
	},
	{
		id: "ms-traffic-not-accepted",
		// 550 5.7.708 Service unavailable. Access denied, traffic not accepted
		// from this IP.
		all: []string{"traffic not accepted from this ip"},
		cat: Reputation, provider: "microsoft",
		explain: "Exchange Online does not accept mail from this IP because of its low reputation (often a new tenant or shared range). Send through a better-reputed relay or ask Microsoft support.",
	},
	{
		id: "ms-ip-reputation-rate",
		// 451 4.7.650 The mail server [ip] has been temporarily rate limited due
		// to IP reputation. (S843) (pastebin; sisimai issue #469)
		all: []string{"rate limited due to ip reputation"},
		cat: Reputation, provider: "microsoft",
		explain: "Outlook.com is throttling the IP because of its reputation. Lower the sending rate and check the IP in SNDS; retries will get through as it recovers.",
	},
	{
		id: "ms-dmarc",
		// 550 5.7.509 Access denied, sending domain example.com does not pass
		// DMARC verification and has a DMARC policy of reject.
		all: []string{"does not pass dmarc verification"},
		cat: DMARC, provider: "microsoft",
		explain: "The From domain's DMARC policy is reject and the message passed neither aligned SPF nor aligned DKIM. Fix SPF/DKIM alignment for the From domain.",
	},
	{
		id: "ms-auth-level",
		// 550 5.7.515 Access denied, sending domain example.com doesn't meet the
		// required authentication level.
		all: []string{"doesn't meet the required authentication level"},
		cat: DMARC, provider: "microsoft",
		explain: "Outlook.com requires high-volume senders to pass SPF, DKIM and DMARC. Publish all three for the sending domain.",
	},
	{
		id: "ms-server-busy",
		// 451 4.7.500 Server busy. Please try again later from [ip]. (AS…)
		all: []string{"server busy. please try again later"},
		cat: Rate, provider: "microsoft",
		explain: "Exchange Online is throttling this sender; the server will retry. Persistent deferrals point to a reputation problem.",
	},

	// --- Yahoo / AOL: https://senders.yahooinc.com/smtp-error-codes/
	// (postmaster.yahooinc.com/error-codes) and bounces quoted by
	// maileroo.com and smtp.codes.
	{
		id: "yahoo-tss04",
		// 421 4.7.0 [TSS04] Messages from ip temporarily deferred due to
		// unexpected volume or user complaints - 4.16.55.1
		all: []string{"[tss04]"},
		cat: Reputation, provider: "yahoo",
		explain: "Yahoo is deferring mail from this IP because of unusual volume or user complaints. Pause or slow Yahoo-bound mail, find what caused complaints, then resume gradually.",
	},
	{
		id: "yahoo-tss09",
		// 553 5.7.2 [TSS09] All messages from ip will be permanently deferred;
		// Retrying will NOT succeed.
		all: []string{"[tss09]"},
		cat: Reputation, provider: "yahoo",
		explain: "Yahoo blocks all mail from this IP; retrying will not help. Stop sending to Yahoo from it and contact Yahoo's sender support after fixing the cause.",
	},
	{
		id: "yahoo-ts-deferred",
		// 421 4.7.0 [TS01]/[TS02]/[TS03] Messages from ip temporarily deferred
		// / All messages from ip permanently deferred (help.yahoo.com SLN3436)
		any: []string{"[ts01]", "[ts02]", "[ts03]"},
		cat: Reputation, provider: "yahoo",
		explain: "Yahoo sees traffic from this IP that looks like unsolicited bulk mail. Check lists and complaint rates before resending.",
	},
	{
		id: "yahoo-policy",
		// 554 5.7.9 Message not accepted for policy reasons. See
		// https://postmaster.yahooinc.com/error-codes
		all: []string{"message not accepted for policy reasons"},
		cat: Policy, provider: "yahoo",
		explain: "Yahoo refused this message for its content or the sender's reputation or authentication. Check SPF, DKIM and DMARC, and the message content.",
	},

	// --- Comcast: https://postmaster.comcast.net/smtp-error-codes.php and
	// bounces quoted on avolio.com (2008).
	{
		id: "comcast-rdns-temp",
		// 421 … [Reverse DNS failure : Try again later]
		all: []string{"reverse dns failure"},
		cat: RDNS, problem: problem.PTRTempError, provider: "comcast",
		explain: "Comcast could not look up the sending IP's reverse DNS; the lookup failed rather than returned nothing. Check that the IP's reverse zone answers reliably (no SERVFAIL or timeouts).",
	},
	{
		id: "comcast-ptr",
		// 554 resimta-….comcast.net comcast ip Comcast requires that all mail
		// servers must have a PTR record with a valid Reverse DNS entry.
		// 554 … ip rejected - no rDNS : See http://postmaster.comcast.net/…
		any: []string{"must have a ptr record with a valid reverse dns", "rejected - no rdns"},
		cat: RDNS, problem: problem.NoPTR,
		explain: "The receiver requires a PTR record for the sending IP and found none. Ask the IP's owner to publish a PTR naming your mail host, with a matching A record.",
	},
	{
		id: "comcast-dnsbl",
		// 554 … ip found on one or more DNSBLs, see
		// http://postmaster.comcast.net/smtp-error-codes.php#BL000000
		all: []string{"found on one or more dnsbls"},
		cat: Blocklist, provider: "comcast",
		explain: "Comcast refused the IP because public DNS block lists list it. Check Spamhaus and other lists, fix the cause and request delisting.",
	},

	// --- T-Online: https://postmaster.t-online.de/ (section 4.1: the PTR
	// name must lead to the operator's domain and a website with an imprint)
	// and bounces quoted by spamresource.com (2020) and bllmnn.de (2024).
	{
		id: "tonline-nowl",
		// 554 IP=ip - None/bad reputation. Ask your postmaster for help or to
		// contact tobr@rx.t-online.de for reset. (NOWL)
		all: []string{"none/bad reputation"},
		cat: Reputation, provider: "t-online",
		explain: "T-Online only accepts mail from IPs it knows; this one is unknown or has a bad reputation. Give the IP a PTR name under your own domain whose website has an imprint, then ask the address in the reply for a reset.",
	},
	{
		id: "tonline-bl",
		// 554 IP=ip - A problem occurred. (Ask your postmaster for help or to
		// contact tosa@rx.t-online.de to clarify.) (BL)
		all: []string{"a problem occurred. (ask your postmaster", "(bl)"},
		cat: Blocklist, provider: "t-online",
		explain: "T-Online has blocked the IP. Write to the address in the reply with the IP and your domain; make sure the PTR name leads to your domain and an imprint.",
	},
	{
		id: "tonline-problem",
		// The same reply without the (BL) tag.
		all: []string{"a problem occurred. (ask your postmaster"},
		cat: Reputation, provider: "t-online",
		explain: "T-Online refused the IP without saying why. Write to the address in the reply; check that the PTR name leads to your domain and an imprint.",
	},

	// --- GMX / web.de (United Internet): https://postmaster.gmx.net/en/error-messages
	// and bounces quoted by akriga.com and on pastebin.
	{
		id: "gmx-bad-ptr",
		// 554-gmx.net (mxgmx110) Nemesis ESMTP Service not available
		// 554-No SMTP service 554-Bad DNS PTR resource record.
		// 554 For explanation visit https://postmaster.gmx.net/en/case?c=…
		all: []string{"bad dns ptr resource record"},
		cat: RDNS, problem: problem.FCrDNSFail, provider: "gmx",
		explain: "GMX/web.de refuses IPs whose PTR is missing, generic, or does not resolve back to the IP. Set a PTR naming your mail host and a matching A/AAAA record.",
	},
	{
		id: "gmx-block-listed",
		// 554-… Nemesis ESMTP Service not available 554-No SMTP service
		// 554-IP address is block listed.
		all: []string{"ip address is block listed"},
		cat: Blocklist, provider: "gmx",
		explain: "GMX/web.de block-lists the sending IP. Follow the link in the reply to request removal.",
	},
	{
		id: "gmx-policy",
		// 554 Transaction failed Reject due to policy restrictions. For
		// explanation visit https://web.de/email/senderguidelines?ip=…
		all: []string{"reject due to policy restrictions"},
		cat: Policy, provider: "gmx",
		explain: "GMX/web.de refused the message under its sender guidelines (reputation, authentication or content). The link in the reply names the case.",
	},
	{
		id:  "gmx-nemesis",
		all: []string{"nemesis esmtp service not available"},
		cat: Policy, provider: "gmx",
		explain: "GMX/web.de refused the connection; the lines after 'No SMTP service' and the linked page say why.",
	},

	// --- Receiving Postfix: smtpd restrictions as postconf(5) documents
	// them, texts as observed on a receiving Postfix 3.7 with Debian
	// defaults.
	{
		id: "postfix-unknown-reverse-client",
		// 550 5.7.1 Client host rejected: cannot find your reverse hostname, [ip]
		// (reject_unknown_reverse_client_hostname; 450 when the lookup failed)
		all: []string{"cannot find your reverse hostname"},
		// 450 is Postfix's default (unknown_client_reject_code) whether the
		// lookup failed for good or for now: only a re-check tells.
		cat: RDNS, problem: problem.NoPTR, provider: "postfix",
		explain: "The receiving Postfix could not find a PTR record for the sending IP. Postfix defers this refusal (450) by default whether the lookup failed for good or only for now, so a 4xx code is no sign of a timeout: a re-check of the PTR tells. Have the IP's owner publish a PTR for it.",
	},
	{
		id: "postfix-unknown-client",
		// 550 5.7.25 Client host rejected: cannot find your hostname, [ip]
		// (reject_unknown_client_hostname: PTR name does not resolve back)
		all: []string{"cannot find your hostname"},
		// Since Postfix 3.1 the reply is 450 4.7.25 by default whether the
		// lookup failed for good or for now (smtpd_check.c): only a
		// re-check tells.
		cat: RDNS, problem: problem.FCrDNSFail, provider: "postfix",
		explain: "The receiving Postfix found that the sending IP's PTR name does not resolve back to the IP (forward-confirmed reverse DNS failed). Postfix defers this refusal (450 4.7.25) by default, so a 4xx code is no sign of a timeout: a re-check tells. Add an A/AAAA record for the PTR name pointing to the IP, or change the PTR.",
	},
	{
		id: "postfix-unverified-client",
		// 550 5.7.25 <ptr-name>: Unverified Client host rejected: …
		// (check_reverse_client_hostname_access with a generic-name map)
		all: []string{"unverified client host rejected"},
		cat: RDNS, problem: problem.GenericPTR, provider: "postfix", names: namesAngle,
		explain: "The receiver rejected the sending IP's PTR name, which looks like a provider's generic or dynamic name. Have the IP's owner set a PTR naming your mail host.",
	},
	{
		id: "postfix-helo-host-not-found",
		// 550 5.7.1 <helo>: Helo command rejected: Host not found
		// (reject_unknown_helo_hostname)
		all: []string{"helo command rejected: host not found"},
		cat: HELO, problem: problem.HELOUnresolvable, problemTemp: problem.PTRTempError, provider: "postfix", names: namesAngle,
		explain: "The name the sending server announces in HELO/EHLO has no A or MX record. Make the server announce its FQDN, one that resolves to its IP.",
	},
	{
		id: "postfix-helo-fqdn",
		// 504 5.5.2 <helo>: Helo command rejected: need fully-qualified hostname
		// (reject_non_fqdn_helo_hostname)
		all: []string{"helo command rejected: need fully-qualified hostname"},
		cat: HELO, problem: problem.HELOUnresolvable, provider: "postfix", names: namesAngle,
		explain: "The sending server announces a bare name in HELO/EHLO. Configure it to announce its fully qualified host name (the one in its PTR).",
	},
	{
		id: "postfix-helo-invalid",
		// 501 5.5.2 <helo>: Helo command rejected: Invalid name
		// (reject_invalid_helo_hostname)
		all: []string{"helo command rejected: invalid"},
		cat: HELO, problem: problem.HELOUnresolvable, provider: "postfix", names: namesAngle,
		explain: "The HELO/EHLO argument is not a valid host name or address literal. Configure the sending server to announce its FQDN.",
	},
	{
		id: "postfix-hostname-not-resolve",
		// warning: hostname NAME does not resolve to address IP (smtpd log,
		// paired with "cannot find your hostname" rejects)
		all:   []string{"does not resolve to address"},
		any:   []string{"hostname "},
		after: []string{"hostname "},
		cat:   RDNS, problem: problem.FCrDNSFail, provider: "postfix", names: namesAfter,
		explain: "The sending IP's PTR name does not resolve back to the IP. Add an A/AAAA record for the name pointing to the IP, or change the PTR.",
	},

	// --- Receiving Exim: src/acl.c (verify = reverse_host_lookup),
	// src/smtp_in.c (helo_verify_hosts), Debian's exim4 config
	// (X-Host-Lookup-Failed), and common ACL messages.
	{
		id: "exim-reverse-lookup-deferred",
		// host lookup deferred for reverse lookup check
		all: []string{"host lookup deferred for reverse lookup check"},
		cat: RDNS, problem: problem.PTRTempError, provider: "exim",
		explain: "The receiving Exim's reverse lookup of the sending IP failed temporarily. Check that the IP's reverse zone answers reliably.",
	},
	{
		id: "exim-reverse-lookup-no-name",
		// host lookup failed for reverse lookup check (failed to find host name
		// from IP address)
		all: []string{"failed to find host name from ip address"},
		cat: RDNS, problem: problem.NoPTR, provider: "exim",
		explain: "The receiving Exim found no PTR record for the sending IP. Have the IP's owner publish one naming your mail host.",
	},
	{
		id: "exim-reverse-lookup-mismatch",
		// host lookup failed for reverse lookup check (192.0.2.1 does not match
		// any IP address for name)
		all:   []string{"does not match any ip address for "},
		after: []string{"does not match any ip address for "},
		cat:   RDNS, problem: problem.FCrDNSFail, provider: "exim", names: namesAfter,
		explain: "The sending IP's PTR name does not resolve back to the IP. Add an A/AAAA record for the name pointing to the IP, or change the PTR.",
	},
	{
		id:  "exim-reverse-lookup-failed",
		all: []string{"host lookup failed for reverse lookup check"},
		cat: RDNS, problem: problem.FCrDNSFail, provider: "exim",
		explain: "The receiving Exim could not confirm the sending IP's reverse DNS (no PTR, or the name does not resolve back). Publish a forward-confirmed PTR.",
	},
	{
		id: "exim-rdns-deferred",
		// X-Host-Lookup-Failed: Reverse DNS lookup failed for ip (deferred)
		all: []string{"reverse dns lookup failed for", "(deferred)"},
		cat: RDNS, problem: problem.PTRTempError, provider: "exim",
		explain: "The reverse lookup of the sending IP timed out or failed. Check that the IP's reverse zone answers reliably.",
	},
	{
		id: "exim-rdns-failed",
		// Reverse DNS lookup failed for host ip. / … for ip (failed)
		all: []string{"reverse dns lookup failed for"},
		cat: RDNS, problem: problem.NoPTR, problemTemp: problem.PTRTempError, provider: "exim",
		explain: "The receiver found no usable reverse DNS for the sending IP. Publish a PTR naming your mail host, with a matching A/AAAA record.",
	},
	{
		id: "exim-helo-verify",
		// 550 EHLO argument does not match calling host (451 when DNS failed)
		all: []string{"argument does not match calling host"},
		cat: HELO, problem: problem.HELOUnresolvable, problemTemp: problem.PTRTempError, provider: "exim",
		explain: "The receiving Exim requires the HELO/EHLO name to resolve to the connecting IP and it does not. Announce a name whose A/AAAA record is this IP (the PTR name).",
	},
	{
		id: "exim-helo-syntax",
		// 501 Syntactically invalid EHLO argument(s)
		all: []string{"syntactically invalid"},
		any: []string{"helo", "ehlo"},
		cat: HELO, problem: problem.HELOUnresolvable, provider: "exim",
		explain: "The HELO/EHLO argument is not a valid host name. Configure the sending server to announce its FQDN.",
	},
	{
		id: "exim-helo-log",
		// rejected "EHLO name" from [ip] (Exim reject log)
		any:   []string{`rejected "helo `, `rejected "ehlo `},
		after: []string{`rejected "helo `, `rejected "ehlo `},
		cat:   HELO, problem: problem.HELOUnresolvable, provider: "exim", names: namesAfter,
		explain: "The receiver rejected the HELO/EHLO name. Announce the server's FQDN, one that resolves to its IP.",
	},
	{
		id: "exim-no-reverse-dns",
		// "… no reverse DNS …" (common ACL message; also Postfix maps:
		// "Client address rejected: No reverse DNS for ip")
		all: []string{"no reverse dns"},
		cat: RDNS, problem: problem.NoPTR,
		explain: "The receiver found no PTR record for the sending IP. Have the IP's owner publish one naming your mail host.",
	},
	{
		id: "exim-host-lookup-incomplete",
		// R=dnslookup defer (-1): host lookup did not complete — the sending
		// Exim could not resolve the recipient domain's MX/A, not an rDNS verdict.
		all: []string{"host lookup did not complete"},
		cat: Other, provider: "exim",
		explain: "The sending Exim could not finish resolving the recipient domain's mail servers (DNS timeout or failure); it will retry. This says nothing about your own reverse DNS.",
	},
	{
		id: "helo-rejected",
		// "HELO/EHLO rejected …", "helo name rejected" (site ACL messages)
		any: []string{"helo rejected", "ehlo rejected", "helo/ehlo rejected", "helo name rejected"},
		cat: HELO, problem: problem.HELOUnresolvable,
		explain: "The receiver rejected the HELO/EHLO name. Announce the server's FQDN, one that resolves to its IP.",
	},

	// --- Receiving Sendmail: cf/m4/proto.m4 check_relay / check_rcpt rules
	// and FEATURE(require_rdns).
	{
		id: "sendmail-ptr-temp",
		// 450 4.7.1 Relaying temporarily denied. Cannot resolve PTR record for ip
		all: []string{"cannot resolve ptr record for"},
		cat: RDNS, problem: problem.PTRTempError, provider: "sendmail",
		explain: "The receiving Sendmail's PTR lookup for the sending IP failed temporarily. Check that the IP's reverse zone answers reliably.",
	},
	{
		id: "sendmail-name-lookup-failed",
		// 550 5.7.1 <rcpt>... Relaying denied. IP name lookup failed [ip]
		all: []string{"ip name lookup failed"},
		cat: RDNS, problem: problem.NoPTR, problemTemp: problem.PTRTempError, provider: "sendmail",
		explain: "The receiving Sendmail found no PTR for the sending IP. Have the IP's owner publish one naming your mail host.",
	},
	{
		id: "sendmail-name-forged",
		// 550 5.7.1 <rcpt>... Relaying denied. IP name possibly forged [ip]
		all: []string{"ip name possibly forged"},
		cat: RDNS, problem: problem.FCrDNSFail, provider: "sendmail",
		explain: "The sending IP's PTR name does not resolve back to the IP, so Sendmail treats it as forged. Add a matching A/AAAA record for the PTR name.",
	},
	{
		id: "sendmail-may-be-forged",
		// relay=name [ip] (may be forged) (Sendmail log and Received field)
		all:   []string{"(may be forged)"},
		after: []string{"relay="},
		cat:   RDNS, problem: problem.FCrDNSFail, provider: "sendmail", names: namesAfter,
		explain: "Sendmail noted that the sending IP's PTR name does not resolve back to the IP. Add a matching A/AAAA record for the PTR name.",
	},
	{
		id: "sendmail-require-rdns",
		// 550 5.7.1 Fix reverse DNS for ip (FEATURE(require_rdns))
		all: []string{"fix reverse dns for"},
		cat: RDNS, problem: problem.NoPTR, problemTemp: problem.PTRTempError,
		explain: "The receiver requires resolvable reverse DNS for the sending IP. Publish a PTR naming your mail host, with a matching A/AAAA record.",
	},

	// --- Identity refusals worded otherwise.
	{
		id: "helo-domain-mismatch",
		// 550 5.7.1 Client host rejected: domain [mail.example.test]
		// mismatches client ip [192.0.2.10] (a receiving ACL that checks the
		// HELO name's A record against the connecting address)
		all:   []string{"mismatches client ip"},
		any:   []string{"domain ["},
		after: []string{"domain ["},
		cat:   HELO, problem: problem.HELOUnresolvable, problemTemp: problem.PTRTempError, names: namesAfter,
		explain: "The receiver checked the HELO/EHLO name against the connecting address and the name does not resolve to it. Make the server announce its FQDN, one whose A/AAAA record is the sending IP (the PTR name).",
	},
	{
		id: "unverifiable-sending-ip",
		// 550 Service permits 1 unverifyable sending IPs - 192.0.2.10 is not
		// (a filtering service that admits one sender without forward-
		// confirmed reverse DNS per customer)
		any: []string{"unverifyable sending ip", "unverifiable sending ip"},
		cat: RDNS, problem: problem.FCrDNSFail, problemTemp: problem.PTRTempError,
		explain: "The receiver could not verify the sending IP by its reverse DNS (no PTR, or a PTR name that does not resolve back) and admits no more unverified senders. Publish a PTR for the IP naming your mail host, with a matching A/AAAA record.",
	},
	{
		id: "rdns-validation-failed",
		// 550 5.7.25 Reverse DNS validation failed (RFC 7372's wording for
		// X.7.25, used as the reply text by some receivers)
		any: []string{"reverse dns validation failed", "reverse dns verification failed", "reverse dns check failed"},
		cat: RDNS, problem: problem.FCrDNSFail, problemTemp: problem.PTRTempError,
		explain: "The receiver's reverse DNS check of the sending IP failed: no PTR, or a PTR name that does not resolve back to the IP. Publish a PTR naming your mail host whose A/AAAA record is the IP.",
	},

	// --- Other reverse-DNS wordings (sisimai's RequirePTR collection and
	// ISP help pages: toast.net, veraciti.com, forpsi).
	{
		id:  "rdns-dynamic",
		any: []string{"dynamic/residential", "dynamic ip", "residential ip", "generic reverse dns", "generic rdns", "generic ptr", "looks dynamic", "dialup"},
		cat: RDNS, problem: problem.GenericPTR,
		explain: "The receiver takes the sending IP for dynamic or residential space, usually from its generic PTR name. Use a static IP with a PTR naming your mail host, or relay through your provider.",
	},
	{
		id:  "rdns-missing",
		any: []string{"no ptr record", "without a ptr", "missing ptr", "no dns ptr", "no dns reverse", "reverse dns required", "ptr record required", "ptr required", "does not have a reverse", "do not have reverse-dns", "sender ip must resolve", "ip address does not resolve", "no rdns", "missing rdns", "no reverse mapping", "no reverse hostname"},
		cat: RDNS, problem: problem.NoPTR, problemTemp: problem.PTRTempError,
		explain: "The receiver found no PTR record for the sending IP. Have the IP's owner publish one naming your mail host, with a matching A/AAAA record.",
	},
	{
		id:  "rdns-invalid",
		any: []string{"invalid dns ptr", "invalid rdns", "inconsistent or no dns ptr", "ptr lookup failure", "reverse dns", "rdns", "ptr record"},
		cat: RDNS, problem: problem.FCrDNSFail, problemTemp: problem.PTRTempError,
		explain: "The receiver did not accept the sending IP's reverse DNS. Make sure the IP has a PTR naming your mail host and that name resolves back to the IP.",
	},

	// --- Block lists (Postfix reject_rbl_client: "Service unavailable;
	// Client host [ip] blocked using zen.spamhaus.org; …").
	{
		id:      "blocklist-spamhaus",
		any:     []string{"spamhaus"},
		cat:     Blocklist,
		explain: "Spamhaus lists the sending IP. Look it up at https://check.spamhaus.org, fix the cause (compromised host, missing PTR for PBL) and request removal.",
	},
	{
		id:      "blocklist-barracuda",
		any:     []string{"barracuda"},
		cat:     Blocklist,
		explain: "Barracuda's reputation list has the sending IP. Request removal at barracudacentral.org after fixing the cause.",
	},
	{
		id:      "blocklist-spamcop",
		any:     []string{"spamcop"},
		cat:     Blocklist,
		explain: "SpamCop lists the sending IP after spam reports; listings expire on their own once reports stop.",
	},
	{
		id:      "blocklist",
		any:     []string{"blocked using ", "listed at ", "listed on ", "listed in ", "blacklist", "blocklist", "block list", "black list", "dnsbl", " rbl", "uceprotect", "sorbs", "abusix"},
		cat:     Blocklist,
		explain: "A DNS block list named in the reply lists the sending IP. Look the IP up on that list, fix the cause and request delisting.",
	},

	// --- Authentication (RFC 7208 SPF, RFC 6376 DKIM, RFC 7489 DMARC).
	{
		id: "dmarc", any: []string{"dmarc"}, cat: DMARC,
		explain: "The message failed the From domain's DMARC policy. Align SPF or DKIM with the From domain.",
	},
	{
		id: "spf", any: []string{"spf", "sender policy framework"}, cat: SPF,
		explain: "The sending IP is not authorized by the envelope sender domain's SPF record. Add the IP (or its relay) to the SPF record.",
	},
	{
		id: "dkim", any: []string{"dkim"}, cat: DKIM,
		explain: "The message's DKIM signature is missing or did not verify. Check the signing setup and the published key.",
	},

	// --- TLS (RFC 3207 "530 5.7.0 Must issue a STARTTLS command first").
	{
		id:      "tls",
		any:     []string{"must issue a starttls", "starttls", "tls required", "tls is required", "encryption required", "requiretls"},
		cat:     TLS,
		explain: "The receiver requires TLS. Enable STARTTLS on the sending server, with a current TLS version.",
	},

	// --- Rate limits.
	{
		id:      "rate",
		any:     []string{"too many connections", "too many concurrent", "too many sessions", "too many messages", "too many recipients", "rate limit", "rate-limit", "ratelimit", "throttl", "slow down", "receiving mail too quickly"},
		cat:     Rate,
		explain: "The receiver is limiting how fast this sender may deliver. Lower concurrency and rate; the server will retry.",
	},

	// --- Mailbox problems.
	{
		id:      "mailbox-full",
		any:     []string{"mailbox full", "mailbox is full", "over quota", "quota exceeded", "exceeded storage", "out of storage space", "insufficient storage", "mailbox size limit"},
		cat:     Mailbox,
		explain: "The recipient's mailbox is full. Nothing to fix on the sending side; try later or reach the recipient another way.",
	},
	{
		id:      "mailbox-unknown",
		any:     []string{"user unknown", "unknown user", "no such user", "mailbox unavailable", "mailbox not found", "no mailbox", "invalid recipient", "recipient not found", "user not found", "does not exist", "doesn't have a yahoo.com account", "recipnotfound"},
		cat:     Mailbox,
		explain: "The recipient address does not exist. Check it for typos and remove it from lists.",
	},
	{
		id:      "mailbox-disabled",
		any:     []string{"account disabled", "mailbox disabled", "account has been disabled", "account is disabled", "mailbox is disabled"},
		cat:     Mailbox,
		explain: "The recipient's mailbox is disabled. Remove the address or reach the recipient another way.",
	},

	// --- Reputation and policy, last: the broadest wordings.
	{
		id:      "reputation",
		any:     []string{"reputation", "spam", "unsolicited", "complaints", "junk"},
		cat:     Reputation,
		explain: "The receiver judged the sender's reputation or the message as spam. Check the IP and domain reputation and the content.",
	},
	{
		id:  "policy",
		any: []string{"policy", "relaying denied", "relay access denied", "relay not permitted", "not permitted", "access denied", "administrative prohibition", "not authorized", "client host rejected", "sender address rejected", "recipient address rejected", "refused"},
		cat: Policy, names: namesAngle,
		explain: "The receiver's local policy refused the message; the reply text names the rule.",
	},
}

// markers name the provider behind a reply when no entry says it, from
// phrases its servers put in replies. Order matters: first hit wins.
var markers = []struct{ phrase, provider string }{
	{"gsmtp", "gmail"},
	{"support.google.com", "gmail"},
	{"outlook.com", "microsoft"},
	{"sender.office.com", "microsoft"},
	{"mail.live.com", "microsoft"},
	{"microsoft", "microsoft"},
	{"yahoo", "yahoo"},
	{"aol.com", "yahoo"},
	{"comcast", "comcast"},
	{"t-online.de", "t-online"},
	{"gmx", "gmx"},
	{"web.de", "gmx"},
	{"client host rejected", "postfix"},
	{"service unavailable; client host", "postfix"},
	{"helo command rejected", "postfix"},
	{"sender address rejected", "postfix"},
	{"recipient address rejected", "postfix"},
	{"relay access denied", "postfix"},
	{"reverse lookup check", "exim"},
	{"relaying denied", "sendmail"},
	{"... user unknown", "sendmail"},
}

// remoteProviders map the rejecting server's name to its provider.
var remoteProviders = []struct{ suffix, provider string }{
	{".google.com", "gmail"},
	{".outlook.com", "microsoft"},
	{".hotmail.com", "microsoft"},
	{".yahoodns.net", "yahoo"},
	{".comcast.net", "comcast"},
	{".t-online.de", "t-online"},
	{".gmx.net", "gmx"},
	{".gmx.com", "gmx"},
	{".web.de", "gmx"},
}
