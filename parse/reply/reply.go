// Package reply classifies SMTP replies: it reads a reply as users find it
// (a bare multi-line reply, a DSN Diagnostic-Code, a Postfix, Exim or
// Microsoft bounce phrase, a log fragment), takes out its codes, the sender's
// IP and the host names it quotes, and says what it means from the enhanced
// status code registry and a knowledge base of real provider and MTA texts,
// naming identity problems in the vocabulary of package problem.
//
// It is the project's only copy of reply classification, and of the
// wrappers around a reply: the bounce reader takes quoted replies out of
// Postfix's and Exchange's phrases with SplitPostfix and SplitExchange, and
// the analysis classifies bounce diagnostics and MTA-log refusals with
// Parse. Parse is pure and cheap (one pass over the text for all
// knowledge-base phrases) because a log scan calls it for every refusal.
package reply

import (
	"net/netip"
	"strconv"
	"strings"
	"sync"

	"hopcheck/internal/textutil"
	"hopcheck/problem"
)

// Category is the kind of problem a reply reports.
type Category string

// Categories, as used in the JSON "category" keys.
const (
	RDNS       Category = "rdns"       // reverse DNS of the sending IP
	HELO       Category = "helo"       // the HELO/EHLO name
	Blocklist  Category = "blocklist"  // a DNS or provider block list
	SPF        Category = "spf"        // SPF, or SPF-or-DKIM authentication
	DKIM       Category = "dkim"       // DKIM (and ARC)
	DMARC      Category = "dmarc"      // DMARC, or several checks together
	TLS        Category = "tls"        // encryption required
	Rate       Category = "rate"       // rate or connection limits
	Reputation Category = "reputation" // the sender's reputation or spam verdicts
	Mailbox    Category = "mailbox"    // the recipient's mailbox
	Policy     Category = "policy"     // any other local policy
	Other      Category = "other"      // unknown or not about the sender
)

// MaxInput is how much of a text Parse reads; longer input is cut there and
// Truncated is set. Real replies are a few hundred bytes.
const MaxInput = 64 << 10

// Reply is what Parse learnt from one SMTP reply.
type Reply struct {
	Code   int    // basic reply code, 550; 0 when the text has none
	Status string // enhanced status code "5.7.25"; "" when none
	// Text is the reply text: continuation lines joined with single spaces,
	// code and status prefixes of each line removed.
	Text     string
	Category Category
	// Permanent comes from the code (5xx) or, without one, from the status
	// class.
	Permanent bool
	// Problem is, for rdns and helo replies, the likely problem in the
	// vocabulary of package problem (NoPTR, FCrDNSFail, GenericPTR,
	// PTRTempError, HELOUnresolvable, …); "" otherwise.
	Problem problem.Name
	// ClientIP is the sender's IP as the rejecting server saw it, when the
	// reply quotes it.
	ClientIP netip.Addr
	// Names are host names the reply quotes about the sender (its HELO or
	// PTR name), lower case without a trailing dot.
	Names []string
	// Provider is who gave the reply: "gmail", "microsoft", "yahoo",
	// "comcast", "t-online", "gmx", "postfix", "exim", "sendmail", or "".
	Provider string
	// Explanation says in plain words what the reply means and what to do.
	Explanation string
	// Rule is the id of the knowledge-base entry that matched; "" when only
	// the codes decided.
	Rule string

	// RemoteHost and RemoteIP are the server that gave the reply, when the
	// text names it ("host NAME[IP] said:", Exim's "host NAME [IP]"); not
	// the sender.
	RemoteHost string
	RemoteIP   netip.Addr

	// Truncated is set when the input was longer than MaxInput: Parse read
	// its first MaxInput bytes and marked the cut with "…".
	Truncated bool
}

// knowledge is the compiled knowledge base, built on first use so that
// commands which never classify a reply do not pay for it.
type knowledge struct {
	m       *matcher
	entries []compiledEntry
	markers []int32 // phrase id per markers entry
}

type compiledEntry struct {
	*entry
	all, any, after []int32
}

// maxPhrases bounds the distinct phrases so that Parse can keep its hit
// table on the stack; TestPhraseBudget checks the knowledge base fits.
const maxPhrases = 512

var compiled = sync.OnceValue(func() *knowledge {
	ids := map[string]int32{}
	var phrases []string
	id := func(p string) int32 {
		p = strings.ToLower(p)
		if v, ok := ids[p]; ok {
			return v
		}
		v := int32(len(phrases))
		ids[p] = v
		phrases = append(phrases, p)
		return v
	}
	idList := func(ps []string) []int32 {
		out := make([]int32, len(ps))
		for i, p := range ps {
			out[i] = id(p)
		}
		return out
	}
	k := &knowledge{}
	for i := range kb {
		e := &kb[i]
		k.entries = append(k.entries, compiledEntry{entry: e, all: idList(e.all), any: idList(e.any), after: idList(e.after)})
	}
	for _, mk := range markers {
		k.markers = append(k.markers, id(mk.phrase))
	}
	if len(phrases) > maxPhrases {
		panic("reply: knowledge base has more phrases than maxPhrases")
	}
	k.m = newMatcher(phrases)
	return k
})

// Parse reads a reply as it appears anywhere users find one: a bare
// multi-line reply ("550-5.7.25 …\r\n550 5.7.25 …"), a DSN Diagnostic-Code
// value ("smtp; 550 5.7.1 …"), a Postfix log or bounce phrase ("host
// mx.example.test[198.51.100.5] said: 550 5.7.1 … (in reply to RCPT TO
// command)"), an Exim "SMTP error from remote mail server after RCPT TO:<x>:
// 550 …", a Microsoft "Remote server returned '550 5.7.1 …'", or text with no
// code. It never fails; what it cannot read stays in Text with Category
// Other.
func Parse(text string) Reply {
	var r Reply
	if len(text) > MaxInput {
		text = textutil.Cut(text, MaxInput)
		r.Truncated = true
	}
	body := unwrap(unescapeLines(text), &r)
	r.Text = joinLines(body, &r)
	if r.Code != 0 && r.Status == "" && r.Text == "" {
		// A bare number is no reply: Sendmail's "X-Unix; 255" is a local
		// mailer's exit status.
		r.Code = 0
	}
	if r.Status == "" {
		// qmail's "(#5.1.1)" trailer, "#5.1.0" anywhere in the text.
		r.Status = hashStatus(r.Text)
	}
	switch {
	case r.Code >= 500:
		r.Permanent = true
	case r.Code == 0 && len(r.Status) > 0:
		r.Permanent = r.Status[0] == '5'
	}
	classify(&r)
	return r
}

// classify fills Category, Problem, Names, ClientIP, Provider, Explanation
// and Rule from the joined text and the codes.
func classify(r *Reply) {
	k := compiled()
	var hitBuf [maxPhrases]int32
	hits := hitBuf[:k.m.nPhrase]
	k.m.scan(r.Text, hits)

	if ip, ok := firstIP(r.Text); ok {
		r.ClientIP = ip
	}
	temporary := r.Code/100 == 4 || (r.Code == 0 && strings.HasPrefix(r.Status, "4"))
	class := byte(0)
	switch {
	case r.Permanent:
		class = '5'
	case temporary:
		class = '4'
	}

	var match *compiledEntry
	for i := range k.entries {
		e := &k.entries[i]
		if e.status != "" && e.status != r.Status {
			continue
		}
		if e.class != 0 && e.class != class {
			continue
		}
		if allHit(hits, e.all) && (len(e.any) == 0 || anyHit(hits, e.any)) {
			if (e.cat == RDNS || e.cat == HELO) && mailboxStatus(r.Status) {
				// A full mailbox or an unknown user is never the
				// sender's DNS, whatever else the text mentions.
				continue
			}
			match = e
			break
		}
	}

	if match != nil {
		r.Rule = match.id
		r.Category = match.cat
		r.Problem = match.problem
		if temporary && match.problemTemp != "" {
			r.Problem = match.problemTemp
		}
		r.Provider = match.provider
		r.Explanation = match.explain
		switch match.names {
		case namesAngle:
			r.Names = angleName(r.Text, r)
		case namesAfter:
			for _, a := range match.after {
				if end := hits[a]; end > 0 {
					if n := hostWord(r.Text[end:]); n != "" {
						r.Names = []string{n}
					}
					break
				}
			}
		}
	} else {
		byStatus(r)
	}
	if r.Provider == "" {
		r.Provider = providerOf(r.RemoteHost, hits, k)
	}
}

// mailboxStatus reports an enhanced status code about the recipient's
// mailbox (X.1.1 unknown user, X.2.2 mailbox full, …).
func mailboxStatus(status string) bool {
	si, ok := lookupStatus(status)
	return ok && si.cat == Mailbox
}

// byStatus classifies a reply no knowledge-base entry matched, from its
// enhanced status code alone.
func byStatus(r *Reply) {
	r.Category = Other
	si, ok := lookupStatus(r.Status)
	if !ok {
		if r.Code != 0 || r.Status != "" {
			r.Explanation = "The receiver refused " + tense(r) + " without a recognised reason; the reply text says what it can."
		} else {
			r.Explanation = "No SMTP reply code was found; the text is shown as it is."
		}
		return
	}
	r.Category = si.cat
	if si.cat == RDNS {
		// RFC 7372 X.7.25 covers both a missing PTR and one that does not
		// resolve back; FCrDNS failure is the general case. A 4xx does not
		// make it a timeout: many receivers (Postfix by default) defer
		// these refusals, and only a re-check tells.
		r.Problem = problem.FCrDNSFail
	}
	r.Explanation = "Status " + r.Status + ": " + si.meaning + " (RFC 3463 registry); " + tense(r) + "."
}

// unescapeLines turns the two characters \n that Exim writes into its log
// between the lines of a multi-line reply ("421-4.7.23 …\n421-4.7.23 …")
// back into line breaks, so that the reply is read as the server sent it.
// Only a \n followed by a reply code counts: elsewhere it may be text.
func unescapeLines(s string) string {
	if !strings.Contains(s, `\n`) {
		return s
	}
	var b strings.Builder
	for {
		i := strings.Index(s, `\n`)
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		rest := s[i+2:]
		b.WriteString(s[:i])
		if len(rest) >= 4 && isCode(rest[:3]) && (rest[3] == '-' || rest[3] == ' ') {
			b.WriteByte('\n')
		} else {
			b.WriteString(`\n`)
		}
		s = rest
	}
}

func tense(r *Reply) string {
	if r.Permanent {
		return "a permanent failure: fix the cause before resending"
	}
	return "a temporary failure: the sending server will retry"
}

func allHit(hits []int32, ids []int32) bool {
	for _, id := range ids {
		if hits[id] == 0 {
			return false
		}
	}
	return true
}

func anyHit(hits []int32, ids []int32) bool {
	for _, id := range ids {
		if hits[id] != 0 {
			return true
		}
	}
	return false
}

// providerOf names the provider from the rejecting host's name, else from
// marker phrases in the text.
func providerOf(remote string, hits []int32, k *knowledge) string {
	if remote != "" {
		for _, rp := range remoteProviders {
			if strings.HasSuffix(remote, rp.suffix) {
				return rp.provider
			}
		}
	}
	for i, id := range k.markers {
		if hits[id] != 0 {
			return markers[i].provider
		}
	}
	return ""
}

// isCode reports whether s is a basic reply code, 2xx to 5xx.
func isCode(s string) bool {
	return len(s) == 3 && s[0] >= '2' && s[0] <= '5' && isDigit(s[1]) && isDigit(s[2])
}

// isStatus reports whether s is an enhanced status code class.subject.detail
// (RFC 3463: class 2, 4 or 5, then one to three digits twice).
func isStatus(s string) bool {
	if len(s) < 5 || len(s) > 9 || (s[0] != '2' && s[0] != '4' && s[0] != '5') || s[1] != '.' {
		return false
	}
	n, dots := 0, 0
	for i := 2; i < len(s); i++ {
		switch c := s[i]; {
		case isDigit(c):
			n++
			if n > 3 {
				return false
			}
		case c == '.' && n > 0 && dots == 0:
			dots++
			n = 0
		default:
			return false
		}
	}
	return dots == 1 && n > 0
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f'
}

// joinLines turns the reply body into Text: whitespace runs become one
// space and every line's code ("550-", "550 ") and status prefix goes, even
// where a bounce re-wrapped the lines so that the prefixes sit mid-text. It
// sets Code and Status from the first line that has them.
func joinLines(body string, r *Reply) string {
	var b strings.Builder
	b.Grow(len(body))
	code := ""
	skipStatus := false // the field after a bare continuation code
	i := 0
	for i < len(body) {
		for i < len(body) && isSpace(body[i]) {
			i++
		}
		j := i
		for j < len(body) && !isSpace(body[j]) {
			j++
		}
		if i == j {
			break
		}
		f := body[i:j]
		i = j

		if skipStatus {
			skipStatus = false
			if isStatus(f) {
				if r.Status == "" {
					r.Status = f
				}
				continue
			}
		}
		if code == "" && r.Status == "" && b.Len() == 0 {
			f = strings.TrimPrefix(f, "#") // Exchange's "#550 5.7.1 …"
		}
		if code == "" && len(f) == 4 && isCode(f[:3]) && f[3] == ':' && b.Len() == 0 {
			f = f[:3] // Yahoo: "550: 5.2.2 …"
		}
		if code == "" && len(f) >= 3 && isCode(f[:3]) && (len(f) == 3 || f[3] == '-') {
			// A code starts the reply, or starts it mid-text when a status
			// follows it: "Delivery failed: 550 5.1.1 …".
			rest := ""
			if len(f) > 4 {
				rest = f[4:]
			}
			if b.Len() == 0 || isStatus(rest) || isStatus(nextField(body, i)) {
				code = f[:3]
				r.Code, _ = strconv.Atoi(code)
				b.Reset()
				if rest == "" {
					skipStatus = len(f) == 3 || rest == ""
					continue
				}
				f = rest
				if isStatus(f) {
					r.Status = f
					continue
				}
			}
		} else if code != "" && strings.HasPrefix(f, code) && (len(f) == 3 || f[3] == '-') {
			// A continuation line's prefix, where a line began.
			if len(f) <= 4 {
				skipStatus = true
				continue
			}
			f = f[4:]
			if isStatus(f) {
				if r.Status == "" {
					r.Status = f
				}
				continue
			}
		} else if code == "" && r.Status == "" && b.Len() == 0 && isStatus(f) {
			r.Status = f // "5.1.1 <x>: user unknown" without a code
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(f)
	}
	return b.String()
}

// nextField returns the whitespace-delimited field at or after s[i:].
func nextField(s string, i int) string {
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	j := i
	for j < len(s) && !isSpace(s[j]) && j-i < 16 {
		j++
	}
	return s[i:j]
}

// FindStatus returns the first enhanced status code (RFC 3463
// class.subject.detail: "5.7.25") that stands as a word in s, written bare,
// after "#" (qmail's "#5.1.0", Exchange's "#5.7.1") or in brackets
// ("(#5.1.1)"); "" when there is none. Version numbers do not count: the
// class is 2, 4 or 5, the subject one of the registry's 0 to 7, the detail
// one to three digits, and the code must not run on into more dots or
// letters and digits.
func FindStatus(s string) string {
	for i := 0; i+5 <= len(s); i++ {
		if st := StatusAt(s, i); st != "" {
			return st
		}
	}
	return ""
}

// hashStatus returns the first status code written after "#" in s, as
// qmail and Exchange write them ("(#5.1.1)", "#5.1.0"), or "".
func hashStatus(s string) string {
	for off := 0; ; {
		i := strings.IndexByte(s[off:], '#')
		if i < 0 {
			return ""
		}
		off += i + 1
		if st := StatusAt(s, off); st != "" {
			return st
		}
	}
}

// StatusAt returns the enhanced status code that starts at s[i] as a word
// (see FindStatus), or "".
func StatusAt(s string, i int) string {
	if i+5 > len(s) {
		return ""
	}
	c := s[i]
	if c != '2' && c != '4' && c != '5' || s[i+1] != '.' || s[i+2] < '0' || s[i+2] > '7' || s[i+3] != '.' {
		return ""
	}
	if i > 0 && !statusLead(s[i-1]) {
		return ""
	}
	j := i + 4
	for j < len(s) && j < i+7 && isDigit(s[j]) {
		j++
	}
	if j == i+4 || j < len(s) && (isAlnum(s[j]) || s[j] == '.' && j+1 < len(s) && isDigit(s[j+1])) {
		return ""
	}
	return s[i:j]
}

// statusLead reports whether a status code may follow byte c.
func statusLead(c byte) bool {
	switch c {
	case ' ', '\t', '\n', '\r', '#', '(', '[', '<', ':', ';', '"', '\'', '=':
		return true
	}
	return false
}
