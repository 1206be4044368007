package parse

import (
	"net/netip"
	"strings"

	"hopcheck/internal/textutil"
)

// MaxReceivedLen bounds the Received value that Received looks into. No real
// stamp comes near it; a longer value is returned unparsed (Raw only), so a
// hostile header costs nothing beyond its reading.
const MaxReceivedLen = 32 << 10

// Received parses one Received field's unfolded value (the text after
// "Received:") into a Hop. Index, Delay and HasDelay are left zero. Never
// fails: unknown shapes give Parsed=false with Raw set (and Time, if a date
// follows the last ';').
//
// Raw is the value with leading and trailing ASCII white space removed; every
// other field is a substring of it, so parsing allocates only when a
// multi-word value (With, TLS) must have its white space squeezed.
//
// The connecting address and the receiver-recorded reverse name come from the
// comment after the HELO name, read the way each MTA writes it:
// "(rdns [ip])" (Postfix, Sendmail, Gmail, OpenSMTPD, Courier),
// "([ip]:port helo=x)" after a verified name (Exim), "(HELO x) (ip)" after
// the reverse name (qmail, Yahoo, IronPort) and "(ip)" after the HELO name
// (Exchange, which records no reverse name). The long tail too: an empty
// from value ("from ([ip]) by …"); "(HELO x)" with the address only in a
// "[ip]" from value or word (CommuniGate Pro, MailAnyone), and HELO, EHLO or
// LHLO anywhere in a comment ("(account user HELO x)"); CommuniGate's
// "name ([ip] verified)"; qmail's "name (ip)", which leaves out "(HELO x)"
// when the HELO equals the reverse name; ports written "[ip]:port",
// "[ip:port]" (Ecelerity) or "[a.b.c.d.port]" (Exim 3); Obtuse smtpd's
// `name(ip), claiming to be "x" via SMTP by host,`; placeholders in the
// reverse name's place ("unknown", "<unknown>", Courier's "softdnserr", an
// address). Control bytes stay inside the word they are in.
func Received(value string) Hop {
	raw := trimSpace(value)
	h := Hop{Raw: raw}
	if len(raw) > MaxReceivedLen {
		return h
	}
	var st stamp
	st.scan(raw)
	st.fill(&h)
	return h
}

// Hops parses a message's Received field values given in header order (top =
// newest first, as they appear in the message) and returns them in
// chronological order: Index 1 is the oldest (bottom) field. Delay is the
// time since the previous (older) hop when both carry a date (HasDelay);
// negative clock skew is kept as is (it is information).
func Hops(received []string) []Hop {
	n := len(received)
	hops := make([]Hop, n)
	for i, v := range received {
		at := n - 1 - i
		hops[at] = Received(v)
		hops[at].Index = at + 1
	}
	for i := 1; i < n; i++ {
		if !hops[i].Time.IsZero() && !hops[i-1].Time.IsZero() {
			hops[i].Delay = hops[i].Time.Sub(hops[i-1].Time)
			hops[i].HasDelay = true
		}
	}
	return hops
}

type tokenKind uint8

const (
	tokEOF tokenKind = iota
	tokWord
	tokComment
	tokSemi
)

// token is a span of the lexer's input. For a comment, inner is its text
// without the parentheses (an unclosed comment runs to the end).
type token struct {
	kind       tokenKind
	start, end int
	inner      string
}

// lexer splits a field into words, comments and semicolons in one pass.
// Quoted strings stay inside their word, nested comments inside their
// comment; nothing is ever rescanned by the lexer itself.
type lexer struct {
	s string
	i int
}

func (lx *lexer) next() token {
	s := lx.s
	for lx.i < len(s) && (isSpace(s[lx.i]) || s[lx.i] == '\v' || s[lx.i] == '\f' || s[lx.i] == ')') { // a stray ')' closes nothing
		lx.i++
	}
	if lx.i >= len(s) {
		return token{}
	}
	start := lx.i
	switch s[start] {
	case ';':
		lx.i++
		return token{kind: tokSemi, start: start, end: lx.i}
	case '(':
		lx.i = commentEnd(s, start)
		innerEnd := lx.i
		if s[lx.i-1] == ')' && lx.i-1 > start {
			innerEnd--
		}
		return token{kind: tokComment, start: start, end: lx.i, inner: trimSpace(s[start+1 : innerEnd])}
	}
	for lx.i < len(s) {
		c := s[lx.i]
		if !wordStop[c] {
			lx.i++
			continue
		}
		if c != '"' {
			break
		}
		lx.i = quoteEnd(s, lx.i)
	}
	return token{kind: tokWord, start: start, end: lx.i}
}

// wordStop marks the bytes that end a word, or (the quote) need a look.
// Vertical tab and form feed separate words too; other control bytes (a
// NUL) stay inside the word they are in, so they never shift a field.
var wordStop = [256]bool{' ': true, '\t': true, '\r': true, '\n': true, '\v': true, '\f': true, '(': true, ')': true, ';': true, '"': true}

// commentStop marks the bytes that matter inside a comment.
var commentStop = [256]bool{'\\': true, '(': true, ')': true}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// commentEnd returns the index just past the comment that opens at s[i],
// honouring nesting and backslash escapes; an unclosed comment ends at len(s).
func commentEnd(s string, i int) int {
	depth := 0
	for ; i < len(s); i++ {
		if !commentStop[s[i]] {
			continue
		}
		switch s[i] {
		case '\\':
			i++
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				return i + 1
			}
		}
	}
	return len(s)
}

// quoteEnd returns the index just past the quoted string that opens at s[i].
func quoteEnd(s string, i int) int {
	for i++; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return len(s)
}

type clause uint8

const (
	clNone clause = iota
	clFrom
	clBy
	clVia
	clWith
	clID
	clFor
)

func keyword(w string) clause {
	switch len(w) {
	case 2:
		if strings.EqualFold(w, "by") {
			return clBy
		}
		if strings.EqualFold(w, "id") {
			return clID
		}
	case 3:
		if strings.EqualFold(w, "via") {
			return clVia
		}
		if strings.EqualFold(w, "for") {
			return clFor
		}
	case 4:
		if strings.EqualFold(w, "from") {
			return clFrom
		}
		if strings.EqualFold(w, "with") {
			return clWith
		}
	}
	return clNone
}

// stamp gathers what one pass over a field finds; fill then decides what the
// facts mean, once later clauses (an "(Exim 4.96)" comment) are known.
type stamp struct {
	s        string
	lead     clause // the first word's keyword; clNone also when it was no keyword
	leadSeen bool
	invoked  bool // qmail's "(qmail 123 invoked from network)"

	from, by, id, rcpt string
	tls                string
	// with is s[withStart:withEnd]: Exchange writes "Microsoft SMTP Server".
	withStart, withEnd int

	exim     bool // an "(Exim x.y)" comment
	eximHost bool // Exim's sender_rcvhost syntax: helo=, port=, ident=, "]:port"
	forged   bool

	// From the comments after the from value.
	addrName  string // the name before "[ip]" in "(name [ip])"
	addrIP    netip.Addr
	helo      string // Exim's helo=
	qmailHELO string // qmail's "(HELO x)"
	hasQHELO  bool
	bareIP    netip.Addr // "(ip)", "(user@ip)"
	plain     string     // Exim's sender_fullhost "rdns (helo) [ip]"
	literalIP netip.Addr // a bare "[ip]" word after the from comments
	verified  bool       // CommuniGate's "([ip] verified)": the from name is the verified reverse name
	claimed   string     // Obtuse smtpd's `claiming to be "helo"`
	placeTemp bool       // the reverse name slot says the lookup failed (Courier's "softdnserr")
	heloNext  bool       // a HELO, EHLO or LHLO word was seen inside a comment; its name comes next

	lastSemi int
}

func (st *stamp) scan(s string) {
	st.s = s
	st.lastSemi = -1
	lx := lexer{s: s}
	cl := clNone
	needValue := false
	withOpen := false // the with value may run over several words (Exchange)
	tlsComment := -1  // start of a TLS comment just seen ("(TLS1.3) tls …")
	tlsWord := -1     // start of an Exim "tls" word awaiting its cipher
	for {
		t := lx.next()
		switch t.kind {
		case tokEOF:
			return
		case tokSemi:
			st.lastSemi = t.start
			cl, needValue, withOpen, tlsComment, tlsWord = clNone, false, false, -1, -1
			continue
		case tokComment:
			withOpen = false
			if needValue && cl == clFrom {
				// "from ([192.0.2.1]) by …", "from  (HELO x) …": the from
				// value is empty and the comment is about the client.
				needValue = false
			}
			tlsComment = st.comment(cl, needValue, t)
			continue
		}
		w := s[t.start:t.end]
		prevTLS := tlsComment
		tlsComment = -1
		if needValue && cl == clFrom && keyword(w) != clNone {
			needValue = false // "from by …": no from value at all
		}
		if needValue {
			needValue = false
			if cl == clWith {
				withOpen = st.withEnd == 0
				if withOpen {
					st.withStart, st.withEnd = t.start, t.end
				}
				continue
			}
			st.setValue(cl, w)
			continue
		}
		if kw := keyword(w); kw != clNone {
			if !st.leadSeen {
				st.lead, st.leadSeen = kw, true
			}
			cl, needValue, withOpen, tlsWord = kw, true, false, -1
			continue
		}
		st.leadSeen = true
		if cl == clFrom && len(w) > 1 && w[0] == '"' && st.claimed == "" && claimingAt(s, t.start) {
			st.claimed = strings.Trim(w, "\"") // Obtuse smtpd: `name(ip), claiming to be "helo"`
		}
		switch {
		case tlsWord >= 0:
			st.tls = squash(s[tlsWord:t.end])
			tlsWord = -1
		case strings.EqualFold(w, "tls") && cl != clFrom:
			tlsWord = t.start
			if prevTLS >= 0 {
				tlsWord = prevTLS
			}
		case withOpen:
			st.withEnd = t.end
		case cl == clFrom && w[0] == '[' && !st.literalIP.IsValid():
			st.literalIP, _ = stampAddr(w)
		}
	}
}

// claimingAt reports whether the word at s[i] follows "claiming to be ",
// as Obtuse smtpd writes the HELO name.
func claimingAt(s string, i int) bool {
	const p = "claiming to be "
	return i >= len(p) && strings.EqualFold(s[i-len(p):i], p)
}

func (st *stamp) setValue(cl clause, w string) {
	switch cl {
	case clFrom:
		if st.from == "" {
			st.from = strings.TrimRight(w, ",") // Obtuse smtpd: "from name(ip), claiming …"
		}
	case clBy:
		if st.by == "" {
			st.by = strings.TrimRight(w, ",")
		}
	case clID:
		if st.id == "" {
			st.id = w
		}
	case clFor:
		if st.rcpt == "" {
			w = strings.TrimPrefix(w, "<")
			st.rcpt = strings.TrimSuffix(w, ">")
		}
	}
}

// comment reads one top-level comment and returns its start when it recorded
// TLS details that Exim continues with "tls <cipher>", else -1.
func (st *stamp) comment(cl clause, needValue bool, t token) int {
	in := t.inner
	tlsAt := -1
	if st.tls == "" {
		if tls := tlsOf(in); tls != "" {
			st.tls = squash(tls)
			tlsAt = t.start
		}
	}
	switch {
	case !st.leadSeen && hasPrefixFold(in, "qmail ") && strings.Contains(in, " invoked "):
		st.invoked = true
	case !st.leadSeen && hasPrefixFold(in, "from "):
		// Sendmail's "(from rdns [ip])": the client sent no HELO, so the
		// from value stays empty.
		st.fromComment(in[len("from "):])
	case strings.HasPrefix(in, "Exim "):
		st.exim = true
	case cl == clFrom && !needValue && tlsAt < 0:
		if st.addrIP.IsValid() || st.bareIP.IsValid() {
			// The address is known; later comments can only add Sendmail's
			// flag, or a HELO name after the address (IronPort, CommuniGate).
			st.forged = st.forged || strings.EqualFold(in, "may be forged")
			if !st.hasQHELO {
				st.heloComment(in)
			}
			break
		}
		st.fromComment(in)
	}
	return tlsAt
}

// heloComment reads the HELO name a comment records after the words HELO,
// EHLO or LHLO: "(HELO x)", CommuniGate's "(account user@x HELO name)".
func (st *stamp) heloComment(in string) {
	lx := lexer{s: in}
	next := false
	for {
		t := lx.next()
		if t.kind == tokEOF {
			return
		}
		if t.kind != tokWord {
			continue
		}
		w := in[t.start:t.end]
		if next {
			st.qmailHELO, st.hasQHELO = w, true
			return
		}
		next = isHELOWord(w)
	}
}

func isHELOWord(w string) bool {
	return strings.EqualFold(w, "HELO") || strings.EqualFold(w, "EHLO") || strings.EqualFold(w, "LHLO")
}

// tlsOf returns the TLS details a comment records, or "".
func tlsOf(in string) string {
	switch {
	case strings.HasPrefix(in, "using TLS"), strings.HasPrefix(in, "using SSL"), // Postfix
		strings.HasPrefix(in, "version=TLS"), strings.HasPrefix(in, "version=SSL"), // Sendmail, Gmail, Exchange
		strings.HasPrefix(in, "cipher="), // old Exim
		strings.HasPrefix(in, "TLS"):     // Exim, OpenSMTPD, Courier, qpsmtpd
		return in
	}
	if i := strings.Index(in, ", TLS: "); i >= 0 { // Courier after "AUTH: …"
		return in[i+2:]
	}
	return ""
}

// fromComment reads a comment that follows the from value. The first match
// of each kind wins: later comments are TLS or authentication notes.
func (st *stamp) fromComment(in string) {
	if strings.EqualFold(in, "may be forged") {
		st.forged = true
		return
	}
	lx := lexer{s: in}
	prev := ""
	words := 0
	for {
		t := lx.next()
		if t.kind == tokEOF {
			break
		}
		if t.kind == tokComment {
			if strings.EqualFold(t.inner, "may be forged") {
				st.forged = true
			}
			continue
		}
		if t.kind != tokWord {
			continue
		}
		w := in[t.start:t.end]
		words++
		if st.heloNext {
			st.heloNext = false
			if !st.hasQHELO {
				st.qmailHELO, st.hasQHELO = w, true
			}
			prev = w
			continue
		}
		switch {
		case words == 1 && isHELOWord(w):
			if !st.hasQHELO {
				st.qmailHELO, st.hasQHELO = trimSpace(in[t.end:]), true
			}
			return
		case isHELOWord(w):
			st.heloNext = true // CommuniGate: "(account user@x HELO name)"
		case strings.EqualFold(w, "verified") && prev != "" && prev[0] == '[' && st.addrIP.IsValid():
			st.verified = true // CommuniGate: "([ip] verified)"
		case strings.HasPrefix(w, "helo="):
			st.eximHost = true
			if st.helo == "" {
				st.helo = w[len("helo="):]
			}
		case strings.HasPrefix(w, "port="), strings.HasPrefix(w, "ident="):
			st.eximHost = true
		case w[0] == '[':
			if ip, port := stampAddr(w); ip.IsValid() && !st.addrIP.IsValid() {
				st.addrIP, st.addrName = ip, prev
				st.eximHost = st.eximHost || port
				st.placeTemp = strings.EqualFold(prev, "softdnserr")
			}
		}
		prev = w
	}
	st.heloNext = false
	if words == 1 && prev != "" && prev[0] != '[' && !strings.Contains(prev, "=") {
		at := strings.LastIndexByte(prev, '@') + 1 // qmail writes "(user@ip)"
		if ip, _ := stampAddr(prev[at:]); ip.IsValid() {
			if !st.bareIP.IsValid() {
				st.bareIP = ip
			}
		} else if st.plain == "" && !st.literalIP.IsValid() {
			st.plain = prev
		}
	}
}

// fill turns the gathered facts into hop fields.
func (st *stamp) fill(h *Hop) {
	if st.lastSemi >= 0 {
		if t, ok := parseDate(st.s[st.lastSemi+1:]); ok {
			h.Time = t
		}
	}
	h.Parsed = st.invoked || (st.lead != clNone && (st.from != "" || st.by != ""))
	if !h.Parsed {
		return
	}
	h.By, h.ID, h.For, h.TLS, h.MayBeForged = st.by, st.id, st.rcpt, st.tls, st.forged
	h.With = squash(st.s[st.withStart:st.withEnd])
	if i := strings.Index(h.With, "/TLS/"); i > 0 { // IronPort: "ESMTP/TLS/cipher"
		if h.TLS == "" {
			h.TLS = h.With[i+1:]
		}
		h.With = h.With[:i]
	}
	from := st.from
	eximHost := st.eximHost || (st.exim && st.addrName == "")
	fromIP, _ := stampAddr(from)
	switch {
	case st.claimed != "":
		// Obtuse smtpd: `from rdns(ip), claiming to be "helo"`.
		h.HELO, h.RDNS, h.IP = st.claimed, rdnsOf(from), st.bareIP
		h.RDNSRecorded = from != ""
		if !h.IP.IsValid() {
			h.IP = fromIP
		}
	case st.hasQHELO:
		// qmail, Yahoo, IronPort: "rdns (HELO x) (ip)"; CommuniGate:
		// "[ip] (HELO x)", where the from value is the address itself.
		h.HELO, h.RDNS = st.qmailHELO, rdnsOf(from)
		h.RDNSRecorded = from != "" && !fromIP.IsValid() && from[0] != '['
		h.IP = st.bareIP
		if !h.IP.IsValid() {
			h.IP = st.addrIP
		}
		if !h.IP.IsValid() {
			h.IP = st.literalIP
		}
		if !h.IP.IsValid() {
			h.IP = fromIP
		}
	case st.verified:
		// CommuniGate: "name ([ip] verified)": the name is the client's
		// verified reverse name, and what it said in HELO.
		h.HELO, h.RDNS, h.IP = from, rdnsOf(from), st.addrIP
		h.RDNSRecorded = true
	case st.addrIP.IsValid() && (st.addrName != "" || !eximHost):
		h.HELO, h.RDNS, h.IP = from, rdnsOf(st.addrName), st.addrIP
		h.RDNSRecorded = st.addrName != "" && !st.placeTemp
	case eximHost && (st.addrIP.IsValid() || st.helo != ""):
		// Exim's sender_rcvhost: the verified name (or the literal) comes
		// first, and helo= only when the HELO differed from it.
		h.RDNS, h.IP, h.HELO = rdnsOf(from), st.addrIP, from
		h.RDNSRecorded = true
		if !h.IP.IsValid() {
			h.IP = fromIP
		}
		if st.helo != "" {
			h.HELO = st.helo
		}
	case st.literalIP.IsValid():
		h.IP, h.RDNS, h.HELO = st.literalIP, rdnsOf(from), from
		if st.plain != "" {
			h.HELO = st.plain
		}
	case st.bareIP.IsValid():
		h.HELO, h.IP = from, st.bareIP
		if st.qmailNoHELO(h) {
			// qmail leaves out "(HELO x)" when the HELO equals the reverse
			// name: the from name is both.
			h.RDNS, h.RDNSRecorded = rdnsOf(from), true
		}
	default:
		h.HELO = from
		if ip := fromIP; ip.IsValid() {
			h.IP = ip
			if from[0] != '[' {
				h.HELO = "" // Yahoo's "from 192.0.2.10 … with HTTP" names the client, not a HELO
			}
		} else if st.exim && hasPrefixFold(h.With, "local") {
			h.HELO = "" // Exim's "from root … with local": an ident, not a HELO
		}
	}
}

// qmailNoHELO reports whether a "from name (ip)" stamp is qmail-smtpd's,
// which writes "(HELO x)" only when the HELO differs from the reverse name:
// a date without a weekday ("10 Mar 2026 20:12:09 -0000"), no comment after
// the by value, and no Microsoft SMTP Server (which writes "from helo (ip)"
// and records no reverse name).
func (st *stamp) qmailNoHELO(h *Hop) bool {
	if st.from == "" || strings.EqualFold(st.from, "unknown") || strings.Contains(h.With, "Microsoft") || st.lastSemi < 0 {
		return false
	}
	if _, ip := stampAddr(st.from); ip {
		return false
	}
	date := trimSpace(st.s[st.lastSemi+1:])
	if date == "" || !isDigitByte(date[0]) {
		return false
	}
	// "by host with …": nothing between the by value and "with".
	i := strings.Index(st.s, " by "+st.by)
	if i < 0 {
		return false
	}
	rest := trimSpace(st.s[i+len(" by ")+len(st.by):])
	return hasPrefixFold(rest, "with ")
}

// stampAddr reads an address as stamps write it: textutil.ParseAddr's
// spellings and those it lacks — an IPv4 address with its port inside the
// brackets ("[192.0.2.1:4321]", Ecelerity) or as a fifth part
// ("[192.0.2.1.4321]", Exim 3; "192.0.2.1.4321"). port reports a port.
func stampAddr(w string) (netip.Addr, bool) {
	if ip, port := textutil.ParseAddr(w); ip.IsValid() {
		return ip, port
	}
	if j := strings.IndexByte(w, ']'); j > 0 && w[0] == '[' && isControl(w[j+1:]) {
		// "[192.0.2.1]" followed by control bytes, which hide no port.
		if ip, _ := textutil.ParseAddr(w[:j+1]); ip.IsValid() {
			return ip, false
		}
	}
	s := strings.TrimPrefix(w, "[")
	if i := strings.IndexByte(s, ']'); i >= 0 {
		s = s[:i]
	}
	i := strings.LastIndexAny(s, ":.")
	if i <= 0 || len(s)-i-1 < 1 || len(s)-i-1 > 5 || strings.Count(s, ":") > 1 {
		return netip.Addr{}, false
	}
	for _, c := range []byte(s[i+1:]) {
		if !isDigitByte(c) {
			return netip.Addr{}, false
		}
	}
	if ip, _ := textutil.ParseAddr(s[:i]); ip.Is4() && strings.Count(s[:i], ".") == 3 {
		return ip, true
	}
	return netip.Addr{}, false
}

// isControl reports whether s is made of control bytes only (NUL, DEL, …).
func isControl(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= ' ' && s[i] != 0x7f {
			return false
		}
	}
	return true
}

// rdnsOf normalises a receiver-recorded reverse name: the host part of a
// Sendmail "user@host", ASCII lower case, no trailing dot, and "" for
// "unknown" or an address standing where a name would be.
func rdnsOf(name string) string {
	name = name[strings.LastIndexByte(name, '@')+1:]
	name = strings.TrimRight(name, ".")
	if name == "" || name[0] == '[' || isPlaceholder(name) {
		return ""
	}
	if ip, _ := stampAddr(name); ip.IsValid() {
		return ""
	}
	return asciiLower(name)
}

// isPlaceholder reports a word a receiver writes where it has no name:
// "unknown", OpenSMTPD's "<unknown>", Courier's "softdnserr" (the lookup
// failed), qmail's and qpsmtpd's "Unknown".
func isPlaceholder(name string) bool {
	return strings.EqualFold(name, "unknown") || strings.EqualFold(name, "<unknown>") || strings.EqualFold(name, "softdnserr")
}

// asciiLower lowers ASCII letters only: DNS names are ASCII, and 8-bit bytes
// are kept as they came rather than rewritten as U+FFFD.
func asciiLower(s string) string {
	i := 0
	for i < len(s) && (s[i] < 'A' || s[i] > 'Z') {
		i++
	}
	if i == len(s) {
		return s
	}
	b := []byte(s)
	for ; i < len(b); i++ {
		if b[i] >= 'A' && b[i] <= 'Z' {
			b[i] += 'a' - 'A'
		}
	}
	return string(b)
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

func trimSpace(s string) string {
	for s != "" && isSpace(s[0]) {
		s = s[1:]
	}
	for s != "" && isSpace(s[len(s)-1]) {
		s = s[:len(s)-1]
	}
	return s
}

// squash collapses runs of white space (left by unfolding) into one space,
// copying only when there is something to collapse.
func squash(s string) string {
	s = trimSpace(s)
	clean := true
	for i := 0; i < len(s) && clean; i++ {
		switch s[i] {
		case '\t', '\r', '\n':
			clean = false
		case ' ':
			clean = i+1 >= len(s) || s[i+1] != ' '
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for i := range len(s) {
		switch c := s[i]; c {
		case ' ', '\t', '\r', '\n':
			space = true
		default:
			if space {
				b.WriteByte(' ')
				space = false
			}
			b.WriteByte(c)
		}
	}
	return b.String()
}
