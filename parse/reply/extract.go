package reply

import (
	"net/netip"
	"strings"
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

// indexFold is strings.Index ignoring ASCII case, for short needles in a
// bounded haystack.
func indexFold(s, sub string) int {
	n := len(sub)
	for i := 0; i+n <= len(s); i++ {
		if foldASCII(s[i]) == sub[0] && strings.EqualFold(s[i:i+n], sub) {
			return i
		}
	}
	return -1
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
	case indexFold(h, "remote server returned '") >= 0:
		// Exchange: Remote Server returned '550 5.7.1 …' or, older,
		// '<mx.example.test #5.0.0 smtp; 550 5.7.1 …>'.
		i := indexFold(h, "remote server returned '") + len("remote server returned '")
		s = s[i:]
		if j := strings.LastIndexByte(s, '\''); j >= 0 {
			s = s[:j]
		}
		s = strings.TrimSpace(s)
		s = strings.TrimSuffix(strings.TrimPrefix(s, "<"), ">")
		if k := indexFold(head(s), "smtp;"); k >= 0 {
			s = s[k+len("smtp;"):]
		}
	case strings.Contains(h, "] said:") || strings.Contains(h, "refused to talk to me:"):
		s = unwrapPostfix(s, r)
	case indexFold(h, "smtp error from remote mail") >= 0:
		s = unwrapExim(s, indexFold(h, "smtp error from remote mail"), r)
	case strings.Contains(h, "reject: "):
		s = unwrapSmtpdReject(s, r)
	}
	s = trimDiagType(strings.TrimSpace(s))
	if k := strings.LastIndex(s, "(in reply to "); k >= 0 {
		s = s[:k]
	}
	return s
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

// unwrapPostfix reads "host NAME[IP] said: …", "host NAME[IP] refused to
// talk to me: …" and "connect to NAME[IP]: server refused to talk to me: …".
func unwrapPostfix(s string, r *Reply) string {
	h := head(s)
	i, m := strings.Index(h, "] said:"), len("] said:")
	if j := strings.Index(h, "refused to talk to me:"); j >= 0 && (i < 0 || j < i) {
		i, m = j, len("refused to talk to me:")
	}
	if cl := strings.LastIndexByte(s[:i+1], ']'); cl >= 0 {
		if open := strings.LastIndexByte(s[:cl], '['); open >= 0 {
			for _, mark := range []string{"host ", "connect to "} {
				if at := strings.LastIndex(s[:open], mark); at >= 0 && open-at < 300 {
					setRemote(r, s[at+len(mark):open], s[open+1:cl])
					break
				}
			}
		}
	}
	return s[i+m:]
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
	if a, err := netip.ParseAddr(ip); err == nil {
		r.ClientIP = a.Unmap()
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
	ip = strings.TrimPrefix(ip, "IPv6:")
	if a, err := netip.ParseAddr(ip); err == nil {
		r.RemoteIP = a.Unmap()
	}
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
	if _, err := netip.ParseAddr(w); err == nil {
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
			if a, err := netip.ParseAddr(strings.TrimSuffix(inner[b+1:], "]")); err == nil {
				r.ClientIP = a.Unmap()
			}
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
// 2001:db8::25").
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
