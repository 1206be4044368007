// Package report turns analyses into views in which every sentence is
// decided once (Message, Logs), and renders those views for people and
// programs: text for the terminal and JSON with the stable keys of
// docs/vocabulary.md. Every fact comes from analyze.
package report

import (
	"bytes"
	"encoding/json"
	"io"
	"net/netip"
	"time"

	"hopcheck/analyze"
)

// Document is the JSON form of an analysis (docs/vocabulary.md). Every key is always
// present; empty values are "", [] or null.
type Document struct {
	Source   jsonSource    `json:"source"`
	Bounce   *jsonBounce   `json:"bounce"`
	Hops     []jsonHop     `json:"hops"`
	Verdict  jsonVerdict   `json:"verdict"`
	Findings []jsonFinding `json:"findings"`
}

type jsonSource struct {
	Kind      string   `json:"kind"`
	Name      string   `json:"name"`
	Subject   string   `json:"subject"`
	MessageID string   `json:"message_id"`
	Resolver  string   `json:"resolver"`
	Offline   bool     `json:"offline"`
	Shape     string   `json:"shape"`
	Warnings  []string `json:"warnings"`
}

type jsonBounce struct {
	Status       string `json:"status"`
	ReplyCode    int    `json:"reply_code"`
	Diagnostic   string `json:"diagnostic"`
	RemoteMTA    string `json:"remote_mta"`
	ReportingMTA string `json:"reporting_mta"`
	RemoteIP     string `json:"remote_ip"`
	Category     string `json:"category"`
	Permanent    bool   `json:"permanent"`
	Explanation  string `json:"explanation"`
	// Recipients has every recipient's refusal; the fields above are
	// those of the first failed one.
	Recipients []jsonRecipient `json:"recipients"`
}

type jsonRecipient struct {
	Recipient   string `json:"recipient"`
	Action      string `json:"action"`
	Status      string `json:"status"`
	ReplyCode   int    `json:"reply_code"`
	Diagnostic  string `json:"diagnostic"`
	RemoteMTA   string `json:"remote_mta"`
	Category    string `json:"category"`
	Permanent   bool   `json:"permanent"`
	Explanation string `json:"explanation"`
}

type jsonHop struct {
	Index        int           `json:"index"`
	IP           string        `json:"ip"`
	HELO         string        `json:"helo"`
	RDNS         string        `json:"rdns"`
	By           string        `json:"by"`
	With         string        `json:"with"`
	ID           string        `json:"id"`
	Time         string        `json:"time"`
	DelaySeconds *float64      `json:"delay_seconds"`
	Internal     bool          `json:"internal"`
	Platform     string        `json:"platform"`
	Parsed       bool          `json:"parsed"`
	Raw          string        `json:"raw"`
	Checks       jsonChecks    `json:"checks"`
	Problems     []jsonProblem `json:"problems"`
}

type jsonChecks struct {
	PTR         []string      `json:"ptr"`
	PTRStatus   string        `json:"ptr_status"`
	PTRSource   string        `json:"ptr_source"`
	PTRTTL      uint32        `json:"ptr_ttl"`
	Forward     []jsonForward `json:"forward"`
	FCrDNS      string        `json:"fcrdns"`
	HELOMatch   string        `json:"helo_match"`
	HELOForward *jsonForward  `json:"helo_forward"`
	GenericPTR  *jsonGeneric  `json:"generic_ptr"`
	RDNSDrift   *jsonDrift    `json:"rdns_drift"`
}

type jsonForward struct {
	Name      string   `json:"name"`
	Addrs     []string `json:"addrs"`
	Status    string   `json:"status"`
	MatchesIP bool     `json:"matches_ip"`
	Error     string   `json:"error"`
	Source    string   `json:"source"`
	TTL       uint32   `json:"ttl"`
}

type jsonGeneric struct {
	Name   string `json:"name"`
	Reason string `json:"reason"`
}

type jsonDrift struct {
	Recorded string   `json:"recorded"`
	Now      []string `json:"now"`
}

type jsonProblem struct {
	Problem string `json:"problem"`
	Owner   string `json:"owner"`
	Detail  string `json:"detail"`
	Fix     string `json:"fix"`
}

type jsonVerdict struct {
	Status  string `json:"status"`
	Hop     int    `json:"hop"`
	IP      string `json:"ip"`
	HELO    string `json:"helo"`
	Problem string `json:"problem"`
	Owner   string `json:"owner"`
	Fix     string `json:"fix"`
	Detail  string `json:"detail"`
}

type jsonFinding struct {
	Hop     int    `json:"hop"`
	IP      string `json:"ip"`
	HELO    string `json:"helo"`
	Problem string `json:"problem"`
	Owner   string `json:"owner"`
	Detail  string `json:"detail"`
	Fix     string `json:"fix"`
}

// NewDocument builds the JSON form of a message report.
func NewDocument(m *Message) Document {
	src, res := m.Source, m.Result
	v := res.Verdict
	d := Document{
		Source: jsonSource{Kind: src.Kind, Name: src.Name, Subject: src.Subject, MessageID: src.MessageID,
			Resolver: src.Resolver, Offline: res.Offline, Shape: res.Source.Shape, Warnings: nonNil(res.Source.Warnings)},
		Hops:     make([]jsonHop, 0, len(res.Hops)),
		Findings: make([]jsonFinding, 0, len(res.Findings)),
		Verdict: jsonVerdict{Status: string(v.Status), Hop: v.Hop, IP: addr(v.IP), HELO: v.HELO,
			Problem: string(v.Problem), Owner: string(v.Owner), Fix: v.Fix, Detail: v.Detail},
	}
	if b := res.Bounce; b != nil {
		d.Bounce = &jsonBounce{Status: b.Status, ReplyCode: b.ReplyCode, Diagnostic: b.Diagnostic,
			RemoteMTA: b.RemoteMTA, ReportingMTA: b.ReportingMTA, RemoteIP: addr(b.RemoteIP),
			Category: string(b.Category), Permanent: b.Permanent, Explanation: b.Explanation,
			Recipients: make([]jsonRecipient, 0, len(b.Recipients))}
		for _, r := range b.Recipients {
			d.Bounce.Recipients = append(d.Bounce.Recipients, jsonRecipient{Recipient: r.Recipient, Action: r.Action,
				Status: r.Status, ReplyCode: r.ReplyCode, Diagnostic: r.Diagnostic, RemoteMTA: r.RemoteMTA,
				Category: string(r.Category), Permanent: r.Permanent, Explanation: r.Explanation})
		}
	}
	for _, h := range res.Hops {
		jh := jsonHop{Index: h.Index, IP: addr(h.IP), HELO: h.HELO, RDNS: h.RDNS, By: h.By, With: h.With,
			ID: h.ID, Time: stamp(h.Time), Internal: h.Internal, Platform: h.Platform, Parsed: h.Parsed, Raw: h.Raw,
			Checks: checksJSON(h.Checks), Problems: problemsJSON(h.Problems)}
		if h.HasDelay {
			s := h.Delay.Seconds()
			jh.DelaySeconds = &s
		}
		d.Hops = append(d.Hops, jh)
	}
	for _, f := range res.Findings {
		d.Findings = append(d.Findings, jsonFinding{Hop: f.Hop, IP: addr(f.IP), HELO: f.HELO,
			Problem: string(f.Name), Owner: string(f.Owner), Detail: f.Detail, Fix: f.Fix})
	}
	return d
}

func problemsJSON(ps []analyze.Problem) []jsonProblem {
	out := make([]jsonProblem, 0, len(ps))
	for _, p := range ps {
		out = append(out, jsonProblem{Problem: string(p.Name), Owner: string(p.Owner), Detail: p.Detail, Fix: p.Fix})
	}
	return out
}

func checksJSON(c analyze.Checks) jsonChecks {
	j := jsonChecks{PTR: nonNil(c.PTR), PTRStatus: string(c.PTRStatus), PTRSource: c.PTRSource, PTRTTL: c.PTRTTL, Forward: make([]jsonForward, 0, len(c.Forward)),
		FCrDNS: c.FCrDNS, HELOMatch: c.HELOMatch}
	for _, f := range c.Forward {
		j.Forward = append(j.Forward, forwardJSON(f))
	}
	if c.HELOForward != nil {
		f := forwardJSON(*c.HELOForward)
		j.HELOForward = &f
	}
	if c.GenericPTR != nil {
		j.GenericPTR = &jsonGeneric{Name: c.GenericPTR.Name, Reason: c.GenericPTR.Reason}
	}
	if c.RDNSDrift != nil {
		j.RDNSDrift = &jsonDrift{Recorded: c.RDNSDrift.Recorded, Now: nonNil(c.RDNSDrift.Now)}
	}
	return j
}

func forwardJSON(f analyze.Forward) jsonForward {
	j := jsonForward{Name: f.Name, Addrs: make([]string, 0, len(f.Addrs)), Status: string(f.Status), MatchesIP: f.MatchesIP, Error: f.Error, Source: f.Source, TTL: f.TTL}
	for _, a := range f.Addrs {
		j.Addrs = append(j.Addrs, a.String())
	}
	return j
}

// JSON writes a message report as one indented JSON document: the bytes
// of NewDocument encoded by a json.Encoder indenting by two spaces, written
// one part (and one hop) at a time rather than built whole first.
func JSON(w io.Writer, m *Message) error {
	d := NewDocument(m)
	s := newJSONStream(w)
	s.raw("{\n  \"source\": ")
	s.value(d.Source, "  ")
	s.raw(",\n  \"bounce\": ")
	s.value(d.Bounce, "  ")
	s.raw(",\n  \"hops\": ")
	s.array(len(d.Hops), func(i int) any { return d.Hops[i] })
	s.raw(",\n  \"verdict\": ")
	s.value(d.Verdict, "  ")
	s.raw(",\n  \"findings\": ")
	s.value(d.Findings, "  ")
	s.raw("\n}\n")
	return s.flush()
}

func addr(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	return a.String()
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.RFC3339)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// jsonStream writes one indented JSON document piece by piece: literal
// text and values, each value encoded by a json.Encoder as it would be at
// its place in the whole document, so that the bytes are those of encoding
// the whole at once while only one piece is held in memory.
type jsonStream struct {
	w   io.Writer
	out []byte
	buf bytes.Buffer
	enc *json.Encoder
	err error
}

func newJSONStream(w io.Writer) *jsonStream {
	s := &jsonStream{w: w, out: make([]byte, 0, jsonFlushAt+jsonFlushAt/4)}
	s.enc = json.NewEncoder(&s.buf)
	return s
}

// jsonFlushAt is how much a jsonStream gathers before writing.
const jsonFlushAt = 64 << 10

func (s *jsonStream) raw(text string) {
	s.out = append(s.out, text...)
	s.maybeFlush()
}

// value writes v indented by two spaces, its lines after the first
// starting with prefix: as it appears nested at that depth.
func (s *jsonStream) value(v any, prefix string) {
	if s.err != nil {
		return
	}
	s.buf.Reset()
	if err := s.enc.Encode(v); err != nil {
		s.err = err
		return
	}
	b := s.buf.Bytes()
	s.out = appendIndent(s.out, b[:len(b)-1], prefix) // without Encode's newline
	s.maybeFlush()
}

// appendIndent appends compact JSON (as json.Marshal writes it: no
// whitespace outside strings) indented as json.Indent(dst, src, prefix,
// "  ") does — each element on its own line, empty objects and arrays
// kept as {} and [], ": " after keys — in one pass without json.Indent's
// general scanner, which took two thirds of the time of a report.
func appendIndent(dst, src []byte, prefix string) []byte {
	depth := 0
	newline := func() {
		dst = append(dst, '\n')
		dst = append(dst, prefix...)
		for range depth {
			dst = append(dst, "  "...)
		}
	}
	for i := 0; i < len(src); i++ {
		c := src[i]
		switch c {
		case '"':
			// A string, copied whole: find its closing quote.
			j := i + 1
			for j < len(src) && src[j] != '"' {
				if src[j] == '\\' {
					j++
				}
				j++
			}
			dst = append(dst, src[i:j+1]...)
			i = j
		case '{', '[':
			dst = append(dst, c)
			if i+1 < len(src) && (src[i+1] == '}' || src[i+1] == ']') {
				dst = append(dst, src[i+1])
				i++
				continue
			}
			depth++
			newline()
		case '}', ']':
			depth--
			newline()
			dst = append(dst, c)
		case ',':
			dst = append(dst, c)
			newline()
		case ':':
			dst = append(dst, ':', ' ')
		default:
			dst = append(dst, c)
		}
	}
	return dst
}

// array writes a top-level key's array one element at a time, as a
// json.Encoder indenting by two spaces would: elem(i) is the i-th value.
func (s *jsonStream) array(n int, elem func(i int) any) {
	s.raw("[")
	for i := range n {
		if i > 0 {
			s.raw(",")
		}
		s.raw("\n    ")
		s.value(elem(i), "    ")
	}
	if n > 0 {
		s.raw("\n  ")
	}
	s.raw("]")
}

func (s *jsonStream) maybeFlush() {
	if len(s.out) >= jsonFlushAt {
		s.write()
	}
}

func (s *jsonStream) write() {
	if s.err == nil && len(s.out) > 0 {
		_, s.err = s.w.Write(s.out)
	}
	s.out = s.out[:0]
}

// flush writes what is left and returns the first error.
func (s *jsonStream) flush() error {
	s.write()
	return s.err
}
