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
// (Exchange, which records no reverse name).
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
	for lx.i < len(s) && (isSpace(s[lx.i]) || s[lx.i] == ')') { // a stray ')' closes nothing
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
var wordStop = [256]bool{' ': true, '\t': true, '\r': true, '\n': true, '(': true, ')': true, ';': true, '"': true}

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
			tlsComment = st.comment(cl, needValue, t)
			continue
		}
		w := s[t.start:t.end]
		prevTLS := tlsComment
		tlsComment = -1
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
			st.literalIP, _ = textutil.ParseAddr(w)
		}
	}
}

func (st *stamp) setValue(cl clause, w string) {
	switch cl {
	case clFrom:
		if st.from == "" {
			st.from = w
		}
	case clBy:
		if st.by == "" {
			st.by = w
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
			// The address is known; later comments can only add Sendmail's flag.
			st.forged = st.forged || strings.EqualFold(in, "may be forged")
			break
		}
		st.fromComment(in)
	}
	return tlsAt
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
		switch {
		case words == 1 && (strings.EqualFold(w, "HELO") || strings.EqualFold(w, "EHLO")):
			if !st.hasQHELO {
				st.qmailHELO, st.hasQHELO = trimSpace(in[t.end:]), true
			}
			return
		case strings.HasPrefix(w, "helo="):
			st.eximHost = true
			if st.helo == "" {
				st.helo = w[len("helo="):]
			}
		case strings.HasPrefix(w, "port="), strings.HasPrefix(w, "ident="):
			st.eximHost = true
		case w[0] == '[':
			if ip, port := textutil.ParseAddr(w); ip.IsValid() && !st.addrIP.IsValid() {
				st.addrIP, st.addrName = ip, prev
				st.eximHost = st.eximHost || port
			}
		}
		prev = w
	}
	if words == 1 && prev != "" && prev[0] != '[' && !strings.Contains(prev, "=") {
		at := strings.LastIndexByte(prev, '@') + 1 // qmail writes "(user@ip)"
		if ip, _ := textutil.ParseAddr(prev[at:]); ip.IsValid() {
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
	switch {
	case st.hasQHELO:
		h.HELO, h.RDNS = st.qmailHELO, rdnsOf(from)
		h.RDNSRecorded = from != ""
		h.IP = st.bareIP
		if !h.IP.IsValid() {
			h.IP = st.addrIP
		}
	case st.addrIP.IsValid() && (st.addrName != "" || !eximHost):
		h.HELO, h.RDNS, h.IP = from, rdnsOf(st.addrName), st.addrIP
		h.RDNSRecorded = st.addrName != ""
	case eximHost && (st.addrIP.IsValid() || st.helo != ""):
		// Exim's sender_rcvhost: the verified name (or the literal) comes
		// first, and helo= only when the HELO differed from it.
		h.RDNS, h.IP, h.HELO = rdnsOf(from), st.addrIP, from
		h.RDNSRecorded = true
		if !h.IP.IsValid() {
			h.IP, _ = textutil.ParseAddr(from)
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
	default:
		h.HELO = from
		if ip, _ := textutil.ParseAddr(from); ip.IsValid() {
			h.IP = ip
			if from[0] != '[' {
				h.HELO = "" // Yahoo's "from 192.0.2.10 … with HTTP" names the client, not a HELO
			}
		} else if st.exim && hasPrefixFold(h.With, "local") {
			h.HELO = "" // Exim's "from root … with local": an ident, not a HELO
		}
	}
}

// rdnsOf normalises a receiver-recorded reverse name: the host part of a
// Sendmail "user@host", ASCII lower case, no trailing dot, and "" for
// "unknown" or an address standing where a name would be.
func rdnsOf(name string) string {
	name = name[strings.LastIndexByte(name, '@')+1:]
	name = strings.TrimRight(name, ".")
	if name == "" || name[0] == '[' || strings.EqualFold(name, "unknown") || strings.EqualFold(name, "<unknown>") {
		return ""
	}
	if ip, _ := textutil.ParseAddr(name); ip.IsValid() {
		return ""
	}
	return asciiLower(name)
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
