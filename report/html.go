package report

import (
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"io"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"hopcheck/analyze"
	"hopcheck/dns"
	"hopcheck/problem"
)

// Stylesheet is the one stylesheet of every HTML page hopcheck writes,
// inlined so that a report is a single self-contained file.
//
//go:embed assets/report.css
var Stylesheet string

//go:embed templates/*.html
var templateFS embed.FS

// ContentSecurityPolicy is the policy of every HTML page hopcheck writes:
// nothing may load or run, and the one style element is allowed by its
// hash. Reports carry it in a meta element; the paste page also sends it
// as a header, with frame-ancestors, which a meta element cannot carry.
var ContentSecurityPolicy = "default-src 'none'; style-src '" + StyleHash() + "'; base-uri 'none'; form-action 'self'"

// StyleHash is the CSP source expression of Stylesheet.
func StyleHash() string {
	sum := sha256.Sum256([]byte(Stylesheet))
	return "sha256-" + base64.StdEncoding.EncodeToString(sum[:])
}

// HTMLOptions shape an HTML page beyond its report.
type HTMLOptions struct {
	// Back, when not "", links to the page that analyses another message.
	Back string
	// Downloads are offered above the report: the paste page's copies of it
	// as files. A saved report has none.
	Downloads []Download
}

// Download is a file offered as a data: URL, so that no script and no
// second request are needed.
type Download struct {
	Label    string
	Filename string
	Type     string // media type
	Data     []byte
}

// Base64 is the data of the URL.
func (d Download) Base64() string { return base64.StdEncoding.EncodeToString(d.Data) }

// Every view has its own template set: the shared page, the stylesheet as
// literal template text (so it is written byte for byte, matching its hash,
// without any typed-content conversion) and the view's "body".
var (
	messageTemplate = pageTemplate("message.html")
	logsTemplate    = pageTemplate("logs.html")
)

func pageTemplate(body string) *template.Template {
	t := template.Must(template.New("css").Parse(Stylesheet))
	return template.Must(t.ParseFS(templateFS, "templates/page.html", "templates/"+body))
}

// htmlPage is what templates/page.html draws around a view's body.
type htmlPage struct {
	Title   string
	CSP     string
	Options HTMLOptions
	Footer  []string
	Body    any
}

// HTML writes a message report as one self-contained HTML page: the
// verdict, the path as a diagram, the hops, the DNS evidence, the other
// findings and the raw Received fields. It runs no script and loads
// nothing.
func HTML(w io.Writer, m *Message, opts HTMLOptions) error {
	d := newMessageData(m)
	title := "hopcheck: " + d.Word
	if m.Verdict.Hop > 0 {
		title += ", hop " + strconv.Itoa(m.Verdict.Hop) + " " + d.IP
	}
	footer := footerLines(m.Source.Version, m.Source.Time, m.Source.Resolver, m.Source.Offline)
	return messageTemplate.ExecuteTemplate(w, "page", htmlPage{Title: title, CSP: ContentSecurityPolicy, Options: opts, Footer: footer, Body: d})
}

// footerLines say which hopcheck judged, when, and with which DNS.
func footerLines(version string, at time.Time, resolver string, offline bool) []string {
	if version == "" {
		version = "dev"
	}
	first := "hopcheck " + version
	if !at.IsZero() {
		first += ", analysis of " + at.UTC().Format("2006-01-02 15:04:05Z")
	}
	dnsLine := "DNS: " + orDash(resolver)
	if offline {
		dnsLine = "DNS: none (offline): judged from what the receivers recorded"
	}
	return []string{first, dnsLine}
}

// statusLook is how a status is drawn: a class for colour, a symbol and a
// word, so that it reads in greyscale and without colour vision too.
type statusLook struct{ Class, Symbol, Word string }

func verdictLook(s analyze.Status) statusLook {
	switch s {
	case analyze.Aligned:
		return statusLook{"aligned", "✓", "Aligned"}
	case analyze.Misaligned:
		return statusLook{"misaligned", "✗", "Misaligned"}
	}
	return statusLook{"unknown", "?", "Undetermined"}
}

// messageData is what the HTML and Markdown reports of a message show,
// beyond the view: the values to draw, each decided once.
type messageData struct {
	M *Message
	statusLook
	IP, HELO string
	Bounce   *analyze.Bounce
	Diagram  diagram
	Rows     []hopRow
	Evidence []evidence
}

func newMessageData(m *Message) messageData {
	d := messageData{M: m, statusLook: verdictLook(m.Verdict.Status), Bounce: m.Result.Bounce}
	if v := m.Result.Verdict; v.Hop > 0 {
		d.IP, d.HELO = addr(v.IP), v.HELO
	}
	var maxDelay time.Duration
	for _, h := range m.Hops {
		maxDelay = max(maxDelay, h.Delay)
	}
	for i, h := range m.Hops {
		hr := m.Result.Hops[i]
		row := hopRow{HopView: h, hopLook: hopLookOf(h, hr), HELO: hr.HELO, PTR: reverseOf(hr, m.Result.Offline), By: hr.By, With: hr.With}
		if h.Side == "" && h.Parsed {
			row.Side = "–"
		}
		if !hr.Time.IsZero() {
			row.Time = hr.Time.UTC().Format("2006-01-02 15:04:05Z")
		}
		if hr.HasDelay {
			row.Delay = delayText(hr.Delay)
			if hr.Delay > 0 && maxDelay > 0 {
				row.Bar = max(1, int(64*hr.Delay/maxDelay))
			}
		}
		d.Rows = append(d.Rows, row)
		if hr.Checked {
			d.Evidence = append(d.Evidence, newEvidence(hr, m.Source.Resolver, m.Result.Offline))
		}
	}
	d.Diagram = newDiagram(m, d.Rows)
	return d
}

// hopLook is how a hop's status is drawn.
type hopLook struct {
	Class  string // ok, bad, warn, muted
	Symbol string
	Shape  string // circle, diamond, triangle, square
	Text   string // the status in words
}

func hopLookOf(h HopView, hr analyze.HopResult) hopLook {
	switch {
	case !h.Parsed:
		return hopLook{"muted", "?", "square", "not understood"}
	case h.Bad && onlyTemporary(hr.Problems):
		return hopLook{"warn", "?", "triangle", h.Status}
	case h.Bad:
		return hopLook{"bad", "✗", "diamond", h.Status}
	case h.Checked && hr.Checks.PTRStatus == analyze.NotChecked && !hr.RDNSRecorded && hr.RDNS == "":
		return hopLook{"warn", "?", "triangle", "nothing recorded"}
	case h.Checked:
		return hopLook{"ok", "✓", "circle", h.Status}
	case h.IP == "":
		return hopLook{"muted", "–", "square", "no sender IP"}
	}
	return hopLook{"muted", "–", "square", h.Status}
}

func onlyTemporary(ps []analyze.Problem) bool {
	for _, p := range ps {
		if p.Name != problem.PTRTempError {
			return false
		}
	}
	return len(ps) > 0
}

// reverseName is the reverse name to show under a hop, with what it is:
// today's PTR names, or offline and for hops not checked the name the
// receiver recorded; Names is "" when there is no name to show.
type reverseName struct{ Label, Names string }

func (r reverseName) String() string {
	if r.Names == "" {
		return r.Label
	}
	return r.Label + " " + r.Names
}

func reverseOf(h analyze.HopResult, offline bool) reverseName {
	if h.Checked && !offline {
		switch h.Checks.PTRStatus {
		case dns.Found:
			return reverseName{"PTR", strings.Join(h.Checks.PTR, ", ")}
		case dns.Temporary:
			return reverseName{"PTR: no answer (temporary failure)", ""}
		}
		return reverseName{"PTR: " + string(h.Checks.PTRStatus), ""}
	}
	switch {
	case h.RDNS != "":
		return reverseName{"recorded as", h.RDNS}
	case h.RDNSRecorded:
		return reverseName{"recorded as unknown", ""}
	}
	return reverseName{}
}

func delayText(d time.Duration) string {
	if d < 0 {
		return "−" + (-d).Round(time.Second).String() + " (clock skew)"
	}
	return "+" + d.Round(time.Second).String()
}

// hopRow is one row of the hop table.
type hopRow struct {
	HopView
	hopLook
	HELO, By, With string
	PTR            reverseName
	Time, Delay    string
	Bar            int // width of the delay bar, of 64
}

// evidence is one checked hop's DNS answers, as dig would show them.
type evidence struct {
	Index   int
	IP      string
	Sources []string
	Offline bool
	Lines   []string
}

// newEvidence writes the answers of a checked hop in dig's presentation
// format, TTLs as the answers gave them; temporary failures and negative
// answers are comments.
func newEvidence(h analyze.HopResult, resolver string, offline bool) evidence {
	e := evidence{Index: h.Index, IP: addr(h.IP), Offline: offline}
	if offline {
		e.Lines = append(e.Lines, "; offline: no lookups were made")
		switch {
		case h.RDNS != "":
			e.Lines = append(e.Lines, "; the receiver recorded the reverse name "+h.RDNS)
		case h.RDNSRecorded:
			e.Lines = append(e.Lines, "; the receiver recorded no verified reverse name (unknown)")
		default:
			e.Lines = append(e.Lines, "; the receiver recorded no reverse lookup")
		}
		if h.MayBeForged {
			e.Lines = append(e.Lines, "; the receiver marked it \"may be forged\": it did not resolve back")
		}
		e.Lines = append(e.Lines, "; HELO "+orDash(h.HELO)+", HELO match "+h.Checks.HELOMatch)
		return e
	}
	c := h.Checks
	var rr []digLine
	rev := dns.ReverseName(h.IP)
	e.addSource(c.PTRSource, resolver)
	switch c.PTRStatus {
	case dns.Found:
		for _, n := range c.PTR {
			rr = append(rr, digLine{name: rev, ttl: c.PTRTTL, rrtype: "PTR", data: n + "."})
		}
	case dns.Temporary:
		rr = append(rr, digLine{comment: "; " + rev + " PTR: no answer: " + orDash(c.PTRError)})
	default:
		rr = append(rr, digLine{comment: "; " + rev + " PTR: " + strings.ToUpper(string(c.PTRStatus))})
	}
	for _, f := range c.Forward {
		e.addSource(f.Source, resolver)
		rr = append(rr, forwardLines(f, h.IP, "")...)
	}
	if f := c.HELOForward; f != nil {
		e.addSource(f.Source, resolver)
		rr = append(rr, forwardLines(*f, h.IP, " (the HELO name)")...)
	}
	e.Lines = alignDig(rr)
	if g := c.GenericPTR; g != nil {
		e.Lines = append(e.Lines, "; "+g.Name+" looks generic: "+g.Reason)
	}
	if d := c.RDNSDrift; d != nil {
		e.Lines = append(e.Lines, "; the receiver recorded "+orDash(d.Recorded)+"; the PTR is "+orDash(strings.Join(d.Now, ", "))+" now")
	}
	e.Lines = append(e.Lines, "; FCrDNS "+c.FCrDNS+", HELO "+orDash(h.HELO)+": "+c.HELOMatch)
	return e
}

func (e *evidence) addSource(s, fallback string) {
	if s == "" {
		s = fallback
	}
	if s != "" && !slices.Contains(e.Sources, s) {
		e.Sources = append(e.Sources, s)
	}
}

// digLine is one record, or a comment when comment is set.
type digLine struct {
	name, rrtype, data, note string
	ttl                      uint32
	comment                  string
}

func forwardLines(f analyze.Forward, ip netip.Addr, what string) []digLine {
	name := strings.TrimSuffix(f.Name, ".") + "."
	switch f.Status {
	case dns.Found:
	case dns.Temporary:
		return []digLine{{comment: "; " + name + " A/AAAA" + what + ": no answer: " + orDash(f.Error)}}
	default:
		return []digLine{{comment: "; " + name + " A/AAAA" + what + ": " + strings.ToUpper(string(f.Status))}}
	}
	var out []digLine
	for _, a := range f.Addrs {
		t := "A"
		if a.Is6() {
			t = "AAAA"
		}
		note := "; not the hop's IP"
		if a == ip {
			note = "; the hop's IP"
		}
		out = append(out, digLine{name: name, ttl: f.TTL, rrtype: t, data: a.String(), note: note + what})
	}
	return out
}

// alignDig lays records out in columns, as dig does with tabs, but with
// spaces so that a browser's tab stops cannot misalign them.
func alignDig(rr []digLine) []string {
	width := 0
	for _, r := range rr {
		if r.comment == "" {
			width = max(width, len([]rune(r.name)))
		}
	}
	var out []string
	for _, r := range rr {
		if r.comment != "" {
			out = append(out, r.comment)
			continue
		}
		pad := strings.Repeat(" ", width-len([]rune(r.name)))
		line := fmt.Sprintf("%s%s  %-6d IN  %-5s%s", r.name, pad, r.ttl, r.rrtype, r.data)
		if r.note != "" {
			line += "  " + r.note
		}
		out = append(out, line)
	}
	return out
}

// The path diagram: one node per hop, oldest at the top, each marked by
// colour, shape and words; the side of the trust boundary in a band on
// the left; the delay on each arrow; the final receiver at the bottom.
const (
	diagramWidth = 720
	bandWidth    = 88
	nodeX        = 100
	shapeX       = 126
	textX        = 150
	lineHeight   = 17
	nodeGap      = 30
	maxLineRunes = 72 // of monospace text at 12.5px between textX and the right edge
)

type diagram struct {
	Width, Height int
	Label         string
	Bands         []band
	Edges         []edge
	Nodes         []node
	Final         *finalNode
}

type band struct {
	Class, Label string
	Y, W, H      int
	TX, TY       int
}

type edge struct {
	X, Y1, Y2 int
	Head      string
	Label     string
	TX, TY    int
}

type node struct {
	hopLook
	Judged        bool
	Side          string
	Tip           string
	X, Y, W, H    int
	CX, CY, SY    int
	Points        string
	Lines         []nodeLine
	TagX, TagY    int
	bottom, index int
}

type nodeLine struct {
	Class string
	X, Y  int
	Text  string
}

type finalNode struct {
	X, Y, W, H int
	TX, TY     int
	Text       string
}

func newDiagram(m *Message, rows []hopRow) diagram {
	d := diagram{Width: diagramWidth}
	judged := m.Verdict.Hop
	y := 8
	for i, r := range rows {
		hr := m.Result.Hops[i]
		n := node{hopLook: r.hopLook, Judged: r.Judged, Side: diagramSide(r, judged), X: nodeX, Y: y, W: diagramWidth - nodeX - 4, index: r.Index}
		head := "Hop " + strconv.Itoa(r.Index) + " · " + r.Text
		var lines []string
		switch {
		case !r.Parsed:
			lines = []string{r.Raw}
		case hr.Refused:
			head = "Hop " + strconv.Itoa(r.Index) + " (the refused connection) · " + r.Text
			lines = []string{r.IP + "  HELO " + orDash(r.HELO)}
			if r.PTR.Label != "" {
				lines = append(lines, r.PTR.String())
			}
			lines = append(lines, "→ refused by "+orDash(r.By))
		default:
			if r.IP != "" {
				lines = append(lines, r.IP+"  HELO "+orDash(r.HELO))
			}
			if r.PTR.Label != "" {
				lines = append(lines, r.PTR.String())
			}
			to := "→ by " + orDash(r.By)
			if r.With != "" {
				to += " with " + r.With
			}
			if r.Time != "" {
				to += ", " + r.Time
			}
			lines = append(lines, to)
		}
		n.Tip = head + "\n" + strings.Join(lines, "\n")
		n.Lines = append(n.Lines, nodeLine{Class: "d-head", X: textX, Y: y + 22, Text: clip(head, maxLineRunes-12)})
		for j, l := range lines {
			n.Lines = append(n.Lines, nodeLine{Class: "mono", X: textX, Y: y + 22 + (j+1)*lineHeight, Text: clip(l, maxLineRunes)})
		}
		n.H = 22 + len(lines)*lineHeight + 12
		n.CX, n.CY = shapeX, y+n.H/2
		n.SY = n.CY + 5
		n.Points = shapePoints(n.Shape, n.CX, n.CY)
		n.TagX, n.TagY = n.X+n.W-10, y+22
		n.bottom = y + n.H
		d.Nodes = append(d.Nodes, n)
		y = n.bottom + nodeGap
		if i+1 < len(rows) {
			label := ""
			if next := rows[i+1]; next.Delay != "" {
				label = next.Delay
			}
			d.Edges = append(d.Edges, newEdge(n.bottom, y, label))
		}
	}
	if len(d.Nodes) == 0 {
		return d
	}
	last := m.Result.Hops[len(rows)-1]
	text := "Final receiver: " + orDash(last.By)
	if last.Refused {
		text = "Refused by " + orDash(last.By) + ": the message went no further"
	}
	d.Edges = append(d.Edges, newEdge(d.Nodes[len(d.Nodes)-1].bottom, y, ""))
	d.Final = &finalNode{X: nodeX, Y: y, W: diagramWidth - nodeX - 4, H: 34, TX: textX, TY: y + 22, Text: clip(text, maxLineRunes)}
	d.Height = y + 34 + 8
	d.Bands = sideBands(d.Nodes)
	d.Label = "The path of " + plural(len(rows), "hop") + " from the origin (top) to the final receiver (bottom)"
	if judged > 0 {
		d.Label += "; hop " + strconv.Itoa(judged) + ", the one the receiver judged, is " + verdictLook(m.Verdict.Status).Word
	}
	return d
}

// diagramSide is a hop's place relative to the trust boundary.
func diagramSide(r hopRow, judged int) string {
	switch {
	case judged > 0 && r.Index > judged:
		return "receiving"
	case !r.Parsed:
		return "unknown"
	case r.Side == "internal":
		return "internal"
	case r.IP == "":
		return "none"
	}
	return "external"
}

var sideLabels = map[string]string{"receiving": "RECEIVING", "unknown": "UNKNOWN", "internal": "INTERNAL", "none": "NO IP", "external": "EXTERNAL"}

// sideBands merges the bands of consecutive nodes on the same side.
func sideBands(nodes []node) []band {
	var out []band
	for i := 0; i < len(nodes); {
		j := i
		for j+1 < len(nodes) && nodes[j+1].Side == nodes[i].Side {
			j++
		}
		top, bottom := nodes[i].Y, nodes[j].bottom
		out = append(out, band{Class: nodes[i].Side, Label: sideLabels[nodes[i].Side], Y: top, W: bandWidth, H: bottom - top,
			TX: bandWidth / 2, TY: (top+bottom)/2 + 4})
		i = j + 1
	}
	return out
}

func newEdge(y1, y2 int, label string) edge {
	tip := y2 - 1
	return edge{X: shapeX, Y1: y1, Y2: tip - 8, Label: label, TX: shapeX + 14, TY: (y1+y2)/2 + 4,
		Head: pts(shapeX-6, tip-9, shapeX+6, tip-9, shapeX, tip)}
}

func shapePoints(shape string, cx, cy int) string {
	switch shape {
	case "diamond":
		return pts(cx, cy-14, cx+14, cy, cx, cy+14, cx-14, cy)
	case "triangle":
		return pts(cx, cy-14, cx+14, cy+11, cx-14, cy+11)
	}
	return pts(cx-11, cy-11, cx+11, cy-11, cx+11, cy+11, cx-11, cy+11)
}

func pts(xy ...int) string {
	var b strings.Builder
	for i := 0; i < len(xy); i += 2 {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(strconv.Itoa(xy[i]) + "," + strconv.Itoa(xy[i+1]))
	}
	return b.String()
}

// clip shortens s to n columns of monospace text with an ellipsis, wide
// (East Asian and emoji) characters counting two; the full text is in the
// node's tooltip and in the hop table.
func clip(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if columns(s) <= n {
		return s
	}
	cols := 0
	for i, r := range s {
		if cols += columns(string(r)); cols > n-1 {
			return s[:i] + "…"
		}
	}
	return s
}

func columns(s string) int {
	n := 0
	for _, r := range s {
		n++
		if r >= 0x2e80 {
			n++
		}
	}
	return n
}

// LogsHTML writes a log summary as one self-contained HTML page: the
// relays refused for reverse DNS or HELO ranked, each with a timeline of
// its refusals on a time axis shared by all, then each relay's story and
// fix.
func LogsHTML(w io.Writer, l *Logs, opts HTMLOptions) error {
	d := newLogsData(l)
	footer := footerLines(l.Source.Version, l.Source.Time, l.Source.Resolver, l.Source.Offline)
	footer = append(footer, "Logs read: "+strings.Join(l.Source.Files, ", ")+window(l.Source))
	return logsTemplate.ExecuteTemplate(w, "page", htmlPage{Title: "hopcheck logs: " + d.Headline, CSP: ContentSecurityPolicy, Options: opts, Footer: footer, Body: d})
}

func window(src LogSource) string {
	var s string
	if !src.Since.IsZero() {
		s += ", since " + src.Since.UTC().Format("2006-01-02 15:04Z")
	}
	if !src.Until.IsZero() {
		s += ", until " + src.Until.UTC().Format("2006-01-02 15:04Z")
	}
	return s
}

// logsData is what the HTML and Markdown reports of a log summary show,
// beyond the view.
type logsData struct {
	L        *Logs
	Headline string
	Counts   []statusCount
	Rows     []relayRow
	// From and To label the shared time axis of the timelines; Ticks mark
	// its midnights (UTC) when it spans a few weeks at most.
	From, To string
	Ticks    []int
}

type statusCount struct {
	statusLook
	N int
}

type relayRow struct {
	RelayView
	statusLook
	Rank         int
	Who          string // our relay, client
	IP, HELO     string
	Count        int
	First, Last  string
	Timeline     *timeline
	ProblemShown string
}

// timeline is a relay's span from its first to its last refusal on the
// shared axis: the logs give no more than those two times and a count.
type timeline struct {
	X, W int
}

const timelineWidth = 160

func newLogsData(l *Logs) logsData {
	d := logsData{L: l}
	counts := map[analyze.Status]int{}
	var from, to time.Time
	for _, r := range l.Relays {
		counts[r.Verdict.Verdict.Status]++
		if f := r.Relay.First; !f.IsZero() && (from.IsZero() || f.Before(from)) {
			from = f
		}
		if t := r.Relay.Last; t.After(to) {
			to = t
		}
	}
	for _, s := range []analyze.Status{analyze.Misaligned, analyze.Unknown, analyze.Aligned} {
		if counts[s] > 0 {
			d.Counts = append(d.Counts, statusCount{verdictLook(s), counts[s]})
		}
	}
	d.Headline = plural(len(l.Relays), "relay") + " refused for reverse DNS or HELO"
	if !from.IsZero() {
		d.From, d.To = from.UTC().Format("2006-01-02 15:04Z"), to.UTC().Format("2006-01-02 15:04Z")
	}
	span := to.Sub(from)
	x := func(t time.Time) int { return int(float64(timelineWidth-4) * float64(t.Sub(from)) / float64(span)) }
	if span > 0 && span <= 31*24*time.Hour {
		for day := from.UTC().Truncate(24 * time.Hour).Add(24 * time.Hour); day.Before(to); day = day.Add(24 * time.Hour) {
			d.Ticks = append(d.Ticks, x(day)+2)
		}
	}
	for i, r := range l.Relays {
		rel := r.Relay
		row := relayRow{RelayView: r, statusLook: verdictLook(r.Verdict.Verdict.Status), Rank: i + 1, IP: addr(rel.IP), HELO: first(rel.HELO), Count: rel.Identity}
		row.Who = "client"
		if rel.Outbound() {
			row.Who = "our relay"
		}
		row.ProblemShown = string(r.Verdict.Verdict.Problem)
		if !rel.First.IsZero() {
			row.First = rel.First.UTC().Format("2006-01-02 15:04Z")
			row.Last = rel.Last.UTC().Format("2006-01-02 15:04Z")
			tl := &timeline{W: 4}
			if span > 0 {
				tl.X = x(rel.First)
				tl.W = max(4, x(rel.Last)-tl.X)
			} else {
				tl.X = timelineWidth/2 - 2
			}
			row.Timeline = tl
		}
		d.Rows = append(d.Rows, row)
	}
	return d
}
