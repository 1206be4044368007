package reply

import (
	"net/netip"
	"strings"

	"hopcheck/internal/textutil"
)

// headLen bounds where Parse looks for the wrappers around a reply: they
// come first, and a bound keeps hostile input from costing a full scan per
// wrapper.
const headLen = 2048

func head(s string) string {
	if len(s) > headLen {
		return s[:headLen]
	}
	return s
}

// unwrap strips what bounce and log writers put around a reply, recording
// the rejecting server (or, for a Postfix smtpd reject line, the client) on
// the way, and returns the reply itself.
func unwrap(s string, r *Reply) string {
	s = strings.TrimSpace(s)
	if len(s) >= 16 && strings.EqualFold(s[:16], "diagnostic-code:") {
		s = strings.TrimSpace(s[16:])
	}
	s = trimDiagType(s)

	switch h := head(s); {
	case textutil.IndexFold(h, exchangeMark) >= 0:
		_, s, _ = SplitExchange(s)
	case strings.Contains(h, "] said:") || strings.Contains(h, "refused to talk to me:"):
		host, text, _ := SplitPostfix(s)
		if name, ip, _, ok := hostBracket(host); ok {
			setRemote(r, name, ip)
		}
		return trimDiagType(text) // without its "(in reply to …)" already
	case textutil.IndexFold(h, "smtp error from remote mail") >= 0:
		s = unwrapExim(s, textutil.IndexFold(h, "smtp error from remote mail"), r)
	case strings.Contains(h, "reject: "):
		s = unwrapSmtpdReject(s, r)
	}
	s = trimDiagType(strings.TrimSpace(s))
	if k := strings.LastIndex(s, "(in reply to "); k >= 0 {
		s = s[:k]
	}
	return s
}

// exchangeMark opens the quoted reply in an Exchange NDR, in lower case.
const exchangeMark = "remote server returned '"

// SplitExchange reads the reply an Exchange NDR quotes: "Remote Server
// returned 'REPLY'", or in older servers' form "Remote Server returned
// '<HOST #5.7.1 smtp;REPLY>'", where host is HOST. The phrase is sought
// ASCII case-insensitively in the first 2 KiB of s. ok is false, and text
// is s, when s has no such phrase.
func SplitExchange(s string) (host, text string, ok bool) {
	i := textutil.IndexFold(head(s), exchangeMark)
	if i < 0 {
		return "", s, false
	}
	q := s[i+len(exchangeMark):]
	if j := strings.LastIndexByte(q, '\''); j >= 0 {
		q = q[:j]
	}
	q = strings.TrimSpace(q)
	if in, bracketed := strings.CutPrefix(q, "<"); bracketed {
		q = strings.TrimSuffix(in, ">")
		if k := textutil.IndexFold(head(q), "smtp;"); k >= 0 {
			if h, _, found := strings.Cut(q[:k], "#"); found {
				host = strings.TrimSpace(h)
			}
			q = q[k+len("smtp;"):]
		}
	}
	return host, strings.TrimSpace(q), true
}

// SplitPostfix reads what Postfix writes around a remote server's reply in
// its bounces and logs: "host NAME[IP] said: REPLY (in reply to CMD)",
// "host NAME[IP] refused to talk to me: REPLY" and "connect to NAME[IP]:
// server refused to talk to me: REPLY". host is "NAME[IP]" as written, ""
// when no "host " or "connect to " comes shortly before; text is the reply
// without the "(in reply to …)" note, its line breaks kept: Postfix wraps
// bounce paragraphs anywhere, "said:" included. ok is false, and text is
// s, when s has neither phrase.
func SplitPostfix(s string) (host, text string, ok bool) {
	i, m := indexWord(s, "said:"), len("said:")
	if j := strings.Index(s, "refused to talk to me:"); j >= 0 && (i < 0 || j < i) {
		i, m = j, len("refused to talk to me:")
	}
	if i < 0 {
		return "", s, false
	}
	text = strings.TrimSpace(s[i+m:])
	if k := strings.LastIndex(text, "(in reply to "); k >= 0 {
		text = strings.TrimSpace(text[:k])
	}
	return postfixHost(s[:i]), text, true
}

// postfixHost returns the "NAME[IP]" after the last "host " or "connect
// to " near the end of before.
func postfixHost(before string) string {
	if len(before) > 300 {
		before = before[len(before)-300:]
	}
	before = strings.ReplaceAll(before, "\n", " ")
	at, mark := -1, ""
	for _, mk := range [...]string{"host ", "connect to "} {
		if k := lastIndexWord(before, mk); k > at {
			at, mark = k, mk
		}
	}
	if at < 0 {
		return ""
	}
	host := strings.TrimSpace(before[at+len(mark):])
	if cl := strings.LastIndexByte(host, ']'); cl >= 0 {
		host = host[:cl+1] // "NAME[IP]: server refused …"
	}
	return host
}

// indexWord finds w at the start of s or after a byte that is no letter or
// digit ("host" in "(host x[ip] said:" but not in "ghost").
func indexWord(s, w string) int {
	for off := 0; ; {
		i := strings.Index(s[off:], w)
		if i < 0 {
			return -1
		}
		i += off
		if i == 0 || !isAlnum(s[i-1]) {
			return i
		}
		off = i + 1
	}
}

// lastIndexWord is indexWord from the end.
func lastIndexWord(s, w string) int {
	for end := len(s); ; {
		i := strings.LastIndex(s[:end], w)
		if i < 0 {
			return -1
		}
		if i == 0 || !isAlnum(s[i-1]) {
			return i
		}
		end = i
	}
}

func isAlnum(c byte) bool {
	return isDigit(c) || 'a' <= foldASCII(c) && foldASCII(c) <= 'z'
}

// trimDiagType drops a DSN diagnostic type such as "smtp;" or "X-Postfix;".
func trimDiagType(s string) string {
	for i := 0; i < len(s) && i < 20; i++ {
		c := s[i]
		if c == ';' && i > 0 {
			return strings.TrimSpace(s[i+1:])
		}
		if !(c == '-' || 'a' <= foldASCII(c) && foldASCII(c) <= 'z') {
			break
		}
	}
	return s
}

// unwrapExim reads "SMTP error from remote mail server after CMD:" with the
// server as "host NAME [IP]" either just before it (Exim 4.88 and later, or
// "H=NAME [IP]:" in the main log) or right after it (older Exim).
func unwrapExim(s string, at int, r *Reply) string {
	pre, rest := s[:at], s[at:]
	a := strings.Index(head(rest), " after ")
	if a < 0 {
		return rest
	}
	// The command may hold colons inside angle brackets: "RCPT TO:<a@b>:".
	pos, inAngle, end := a+len(" after "), false, -1
	for ; pos < len(rest) && pos < a+512; pos++ {
		switch rest[pos] {
		case '<':
			inAngle = true
		case '>':
			inAngle = false
		case ':':
			if !inAngle && (pos+1 == len(rest) || isSpace(rest[pos+1])) {
				end = pos + 1
			}
		}
		if end >= 0 {
			break
		}
	}
	if end < 0 {
		return rest
	}
	rest = strings.TrimLeft(rest[end:], " \t\r\n")
	if strings.HasPrefix(rest, "host ") {
		if name, ip, n, ok := hostBracket(rest[len("host "):]); ok {
			setRemote(r, name, ip)
			rest = strings.TrimPrefix(rest[len("host ")+n:], ":")
		}
		return rest
	}
	if len(pre) > 512 {
		pre = pre[len(pre)-512:]
	}
	for _, mark := range []string{"host ", "H="} {
		if k := strings.LastIndex(pre, mark); k >= 0 {
			if name, ip, _, ok := hostBracket(pre[k+len(mark):]); ok {
				setRemote(r, name, ip)
			}
			break
		}
	}
	return rest
}

// unwrapSmtpdReject reads a Postfix smtpd log line "NOQUEUE: reject: RCPT
// from NAME[IP]: 550 …; from=<…> to=<…> proto=ESMTP helo=<…>". There the
// bracketed address is the client: the sender.
func unwrapSmtpdReject(s string, r *Reply) string {
	i := strings.Index(head(s), "reject: ")
	rest := s[i+len("reject: "):]
	f := strings.Index(head(rest), " from ")
	if f < 0 || f > 40 {
		return s
	}
	_, ip, n, ok := hostBracket(rest[f+len(" from "):])
	if !ok {
		return s
	}
	if a, _ := textutil.ParseAddr(ip); a.IsValid() {
		r.ClientIP = a
	}
	rest = strings.TrimPrefix(rest[f+len(" from ")+n:], ":")
	if k := strings.Index(rest, "; from=<"); k >= 0 {
		rest = rest[:k]
	}
	return rest
}

// hostBracket reads "NAME[IP]", "NAME [IP]" or "[IP]" at the start of s and
// returns the name, the address text and the bytes consumed.
func hostBracket(s string) (name, ip string, n int, ok bool) {
	i := 0
	for i < len(s) && i < 256 && !isSpace(s[i]) && s[i] != '[' {
		i++
	}
	name = s[:i]
	for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	if i >= len(s) || s[i] != '[' {
		return "", "", 0, false
	}
	j := strings.IndexByte(s[i:], ']')
	if j < 0 || j > 64 {
		return "", "", 0, false
	}
	return name, s[i+1 : i+j], i + j + 1, true
}

// setRemote records the rejecting server, ignoring what does not parse.
func setRemote(r *Reply, name, ip string) {
	r.RemoteHost = hostWord(name)
	r.RemoteIP, _ = textutil.ParseAddr(ip)
}

// hostWord returns the host name at the start of s, lower case without a
// trailing dot, or "" when s does not start with one (an address literal,
// "unknown", punctuation).
func hostWord(s string) string {
	i := 0
	for i < len(s) && i < 254 {
		c := s[i]
		if !(isDigit(c) || c == '.' || c == '-' || c == '_' || ('a' <= foldASCII(c) && foldASCII(c) <= 'z')) {
			break
		}
		i++
	}
	w := strings.TrimRight(s[:i], ".")
	if w == "" || strings.EqualFold(w, "unknown") {
		return ""
	}
	if a, _ := textutil.ParseAddr(w); a.IsValid() {
		return ""
	}
	return strings.ToLower(w)
}

// angleName reads Postfix's "<name>: " or "<name[ip]>: " opening, which
// names the HELO or PTR (a "<user@domain>" is an address and names no
// host). A quoted IP becomes ClientIP when none was found before.
func angleName(text string, r *Reply) []string {
	if !strings.HasPrefix(text, "<") {
		return nil
	}
	end := strings.IndexByte(head(text), '>')
	if end < 0 {
		return nil
	}
	inner := text[1:end]
	if strings.IndexByte(inner, '@') >= 0 {
		return nil
	}
	if b := strings.IndexByte(inner, '['); b >= 0 {
		if !r.ClientIP.IsValid() {
			r.ClientIP, _ = textutil.ParseAddr(strings.TrimSuffix(inner[b+1:], "]"))
		}
		inner = inner[:b]
	}
	if len(hostWord(inner)) != len(strings.TrimRight(inner, ".")) {
		return nil // not a whole host name
	}
	if n := hostWord(inner); n != "" {
		return []string{n}
	}
	return nil
}

// firstIP finds the first IP address in text: the sender's, as the
// rejecting server quotes it ("[192.0.2.10]", "IP=192.0.2.10", "from
// 2001:db8::25"). It searches prose rather than reading a literal, so it
// takes bare addresses only: an "IP:port" there is a server's endpoint.
func firstIP(text string) (netip.Addr, bool) {
	i := 0
	for i < len(text) {
		if !ipByte(text[i]) {
			i++
			continue
		}
		j := i
		for j < len(text) && ipByte(text[j]) {
			j++
		}
		run := strings.TrimRight(text[i:j], ".:")
		i = j
		if len(run) < 3 || len(run) > 45 {
			continue
		}
		if dots, colons := strings.Count(run, "."), strings.Count(run, ":"); dots == 3 || colons >= 2 {
			if a, err := netip.ParseAddr(run); err == nil && !a.IsUnspecified() {
				return a.Unmap(), true
			}
		}
	}
	return netip.Addr{}, false
}

func ipByte(c byte) bool {
	return isDigit(c) || c == '.' || c == ':' || ('a' <= c && c <= 'f') || ('A' <= c && c <= 'F')
}
