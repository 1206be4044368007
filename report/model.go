package report

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"hopcheck/analyze"
	"hopcheck/parse"
	"hopcheck/problem"
)

// Source says what was analysed and how: shown by every renderer.
type Source struct {
	Kind      string // "message", "bounce"
	Name      string // file name, "-" for stdin
	Subject   string
	MessageID string
	Resolver  string // "zone files: …", "192.0.2.53:53", "offline"
	Offline   bool
	Version   string    // hopcheck's version, for the footer of reports
	Time      time.Time // when the analysis was made; zero leaves it out
}

// Message is the view of a message analysis that every renderer draws:
// each sentence is decided here, once.
type Message struct {
	Source   Source
	Result   *analyze.Result // the facts, for JSON and evidence tables
	Verdict  VerdictView
	Bounce   *BounceView
	Hops     []HopView
	Findings []FindingView
	Notes    []string
}

// VerdictView is the verdict in words.
type VerdictView struct {
	Status analyze.Status
	Label  string // ALIGNED, MISALIGNED, UNKNOWN
	Hop    int
	Relay  string // "203.0.113.25 (HELO mail.example.test)", "" when no hop
	// Summary is the sentence under an aligned verdict.
	Summary string
	Problem problem.Name
	Meaning string // what the problem is, in plain words
	Detail  string // what is wrong, with the values
	Owner   problem.Owner
	Who     string // the owner in words
	Fix     string
}

// BounceView is what a remote server said in a bounce, and what it means.
type BounceView struct {
	From       string // the reporting relay, "-" when unnamed
	Said       string // the remote's reply, verbatim
	Meaning    string // what it means, with permanent or temporary
	Relay      string // which relay it refused and how its address was found
	Recipients string // a note when there are several recipients
}

// HopView is one hop in words.
type HopView struct {
	Index   int
	Judged  bool
	Parsed  bool
	IP      string
	Side    string // external, internal, receiving side, or a platform's own hop
	Status  string // ok, the problem names, not checked
	Bad     bool   // has problems
	Checked bool
	Facts   []string // HELO, PTR, FCrDNS, HELO match, recorded name
	Route   string   // "by HOST with PROTO" ("by HOST" for a hop without a sender IP)
	Time    string   // the stamp's time, UTC, with the delay
	Delay   time.Duration
	Raw     string
}

// FindingView is a problem on another hop, or a secondary one.
type FindingView struct {
	Hop     int
	Problem problem.Name
	Detail  string
	Owner   problem.Owner
	Who     string
	Fix     string
}

// Labels of the statuses.
func label(s analyze.Status) string {
	switch s {
	case analyze.Aligned:
		return "ALIGNED"
	case analyze.Misaligned:
		return "MISALIGNED"
	}
	return "UNKNOWN"
}

// NewMessage builds the view of a message analysis.
func NewMessage(src Source, res *analyze.Result) *Message {
	src.Offline = res.Offline
	if src.Kind == "" {
		src.Kind = res.Source.Kind
	}
	if src.Subject == "" && src.MessageID == "" {
		src.Subject, src.MessageID = res.Source.Subject, res.Source.MessageID
	}
	m := &Message{Source: src, Result: res}
	v := res.Verdict
	m.Verdict = VerdictView{Status: v.Status, Label: label(v.Status), Hop: v.Hop, Relay: hopName(res, v.Hop),
		Problem: v.Problem, Detail: v.Detail, Owner: v.Owner, Who: v.Owner.Describe(), Fix: v.Fix}
	if v.Problem != "" {
		m.Verdict.Meaning = v.Problem.Meaning()
	}
	if v.Status == analyze.Aligned {
		if res.Offline {
			m.Verdict.Summary = "As recorded, PTR and HELO are consistent for the relay the receiver judged; not verified now (offline)."
		} else {
			m.Verdict.Summary = "PTR, forward DNS and HELO agree for the relay the receiver judged."
		}
	}
	if b := res.Bounce; b != nil {
		bv := &BounceView{From: orDash(b.ReportingMTA), Said: b.Diagnostic}
		kind := string(b.Category)
		if b.Permanent {
			kind += ", permanent"
		} else {
			kind += ", temporary"
		}
		bv.Meaning = b.Explanation + " (" + kind + ")"
		if b.RelayIP.IsValid() {
			bv.Relay = fmt.Sprintf("%s %s, address %s", b.ReportingMTA, b.RelayIP, b.RelayIPHow())
		} else {
			bv.Relay = orDash(b.ReportingMTA) + ", address unknown"
		}
		if n := len(b.Recipients); n > 1 {
			bv.Recipients = fmt.Sprintf("%d; the first failed one is shown (the JSON report lists all)", n)
		}
		m.Bounce = bv
	}
	for _, h := range res.Hops {
		m.Hops = append(m.Hops, hopView(h, v.Hop))
	}
	for _, f := range res.Findings {
		m.Findings = append(m.Findings, FindingView{Hop: f.Hop, Problem: f.Name, Detail: f.Detail, Owner: f.Owner, Who: f.Owner.Describe(), Fix: f.Fix})
	}
	if n := shapeNote(res.Source.Shape); n != "" {
		m.Notes = append(m.Notes, n)
	}
	m.Notes = append(m.Notes, res.Source.Warnings...)
	if res.Offline {
		m.Notes = append(m.Notes, "offline: judged from the names the receivers recorded, no DNS lookups")
	}
	return m
}

// shapeNote says how a paste was read when it was not a plain message or
// header section, so that a surprising verdict can be traced to it.
func shapeNote(shape string) string {
	base, rewrapped := strings.CutSuffix(shape, "+"+parse.ShapeRewrapped)
	var s string
	switch base {
	case parse.ShapeQuoted:
		s = "read as headers quoted with \"> \" (a forwarded or replied-to paste)"
	case parse.ShapeGmail:
		s = "read from Gmail's \"Show original\" page: the summary above the headers was passed over"
	case parse.ShapeOutlook:
		s = "read from Outlook's \"Internet headers\" box"
	case parse.ShapePreface:
		s = "the words above the headers were passed over"
	case parse.ShapeRewrapped:
		rewrapped = true
	}
	if rewrapped {
		if s != "" {
			s += "; "
		}
		s += "continuation lines that had lost their indentation in copying were joined back to their fields"
	}
	return s
}

func hopName(res *analyze.Result, index int) string {
	if index < 1 || index > len(res.Hops) {
		return ""
	}
	h := res.Hops[index-1]
	s := h.IP.String()
	if h.HELO != "" {
		s += " (HELO " + h.HELO + ")"
	}
	return s
}

func hopView(h analyze.HopResult, judged int) HopView {
	hv := HopView{Index: h.Index, Judged: h.Index == judged, Parsed: h.Parsed, Raw: h.Raw, Checked: h.Checked}
	if !h.Parsed {
		return hv
	}
	hv.Route = "by " + orDash(h.By)
	if !h.Time.IsZero() {
		hv.Time = h.Time.UTC().Format("2006-01-02 15:04:05Z")
		if h.HasDelay {
			hv.Delay = h.Delay
			hv.Time += " (+" + h.Delay.Round(time.Second).String() + ")"
		}
	}
	if !h.IP.IsValid() {
		return hv
	}
	if h.With != "" {
		hv.Route += " with " + h.With
	}
	hv.IP = h.IP.String()
	hv.Side = "external"
	switch {
	case h.Internal:
		hv.Side = "internal"
	case h.Platform != "":
		hv.Side = h.Platform + "'s own hop"
	case judged > 0 && h.Index > judged:
		hv.Side = "receiving side" // after the hop the receiver judged
	}
	hv.Status = "ok"
	if len(h.Problems) > 0 {
		var names []string
		for _, p := range h.Problems {
			if !slices.Contains(names, string(p.Name)) {
				names = append(names, string(p.Name))
			}
		}
		hv.Status, hv.Bad = strings.Join(names, ", "), true
	}
	if !h.Checked {
		hv.Status, hv.Bad = "not checked", false
	}
	c := h.Checks
	hv.Facts = []string{"HELO " + orDash(h.HELO)}
	if h.Checked {
		ptr := strings.Join(c.PTR, ", ")
		if c.PTRStatus != "found" {
			ptr = string(c.PTRStatus)
		}
		hv.Facts = append(hv.Facts, "PTR "+ptr, "FCrDNS "+c.FCrDNS, "HELO match "+c.HELOMatch)
	}
	recorded := h.RDNS
	if recorded == "" && h.RDNSRecorded {
		recorded = "unknown"
	}
	if recorded != "" {
		hv.Facts = append(hv.Facts, "recorded "+recorded)
	}
	return hv
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// LogSource says what hopcheck logs read and how it judged.
type LogSource struct {
	Files        []string // file names, "-" for stdin
	Resolver     string   // "zone files: …", "192.0.2.53:53", "offline"
	Offline      bool
	Since, Until time.Time // zero when not given
	SenderIPs    []string  // our sending addresses, as given
	HELO         string    // our HELO name, as given
	Version      string
	Time         time.Time
}

// LogSummary is what a scan of logs found: the relays in rank order, their
// verdicts and the counts.
type LogSummary struct {
	Relays   []analyze.Relay
	Verdicts map[analyze.RelayKey]analyze.RelayVerdict
	Stats    analyze.LogStats
}

// Logs is the view of a log summary that every renderer draws.
type Logs struct {
	Source  LogSource
	Summary LogSummary
	// Relays are those refused for reverse DNS or HELO, most urgent first.
	Relays []RelayView
	// Other sums up the relays refused for other reasons ("" if none).
	Other string
	// Totals says what was read and counted.
	Totals string
	Notes  []string
}

// RelayView is one relay of a log summary in words.
type RelayView struct {
	Relay   analyze.Relay
	Verdict analyze.RelayVerdict
	Label   string
	// Story is the paragraph: who was refused how often by whom, what
	// DNS says now and what is wrong.
	Story  string
	FixFor string // "fix (who)"; for someone else's server the fix itself says its admin acts
	Fix    string
	// Example is one log line.
	Example string
}

// NewLogs builds the view of a log summary.
func NewLogs(src LogSource, sum LogSummary) *Logs {
	l := &Logs{Source: src, Summary: sum}
	var other []analyze.Relay
	for _, r := range sum.Relays {
		if r.Identity == 0 {
			other = append(other, r)
			continue
		}
		l.Relays = append(l.Relays, relayView(r, sum.Verdicts[r.RelayKey]))
	}
	if len(other) > 0 {
		l.Other = otherText(other)
	}
	st := sum.Stats
	l.Totals = fmt.Sprintf("Read %s from %s: %s, %d unknown, %d too long; %s and DNS warnings over %s.",
		plural(st.Lines, "line"), strings.Join(src.Files, ", "), plural(st.Events, "event"), st.Unknown, st.TooLong,
		plural(st.Aggregated, "refusal"), plural(len(sum.Relays), "relay"))
	if st.Evicted > 0 {
		l.Notes = append(l.Notes, fmt.Sprintf("%s seen least recently were dropped to bound memory (too many distinct relays).", plural(st.Evicted, "relay")))
	}
	if src.Offline {
		l.Notes = append(l.Notes, "Offline: verdicts come from what the log recorded, no DNS lookups.")
	}
	return l
}

func relayView(r analyze.Relay, rv analyze.RelayVerdict) RelayView {
	var b strings.Builder
	if r.Outbound() {
		if r.IP.IsValid() {
			fmt.Fprintf(&b, "our relay %s", r.IP)
		} else {
			b.WriteString("our relay (address not in the log)")
		}
		if h := first(r.HELO); h != "" {
			if r.HELOInferred {
				fmt.Fprintf(&b, " (%s, inferred from the syslog host)", h)
			} else {
				fmt.Fprintf(&b, " (%s)", h)
			}
		}
		fmt.Fprintf(&b, " was refused %s", analyze.Times(r.Identity))
		if len(r.RefusedBy) > 0 {
			fmt.Fprintf(&b, " by %s", strings.Join(r.RefusedBy, ", "))
		}
	} else {
		fmt.Fprintf(&b, "client %s", r.IP)
		var about []string
		if h := first(r.HELO); h != "" {
			about = append(about, "HELO "+h)
		}
		if n := first(r.RDNSLogged); n != "" {
			about = append(about, "logged as "+n)
		}
		if len(about) > 0 {
			fmt.Fprintf(&b, " (%s)", strings.Join(about, ", "))
		}
		if n := r.Identity - r.Warnings; n > 0 {
			fmt.Fprintf(&b, " was refused %s by us", analyze.Times(n))
		} else {
			fmt.Fprintf(&b, " drew %s from us", plural(r.Warnings, "DNS warning"))
		}
	}
	if s := topStatuses(r.Replies); s != "" {
		fmt.Fprintf(&b, " for %s", s)
	}
	if r.Refusals > r.Identity-r.Warnings {
		fmt.Fprintf(&b, " (%s in all)", plural(r.Refusals, "refusal"))
	}
	if !r.First.IsZero() {
		fmt.Fprintf(&b, " since %s", r.First.Format("2006-01-02 15:04"))
		if r.Last.After(r.First) {
			fmt.Fprintf(&b, " (last %s)", r.Last.Format("2006-01-02 15:04"))
		}
	}
	b.WriteString(": ")
	v := rv.Verdict
	if rv.Checked {
		b.WriteString(ptrText(rv.Checks) + ". ")
	}
	switch {
	case v.Problem != "":
		b.WriteString(string(v.Problem) + ": " + v.Detail + ".")
	case v.Status == analyze.Aligned && rv.Checked:
		b.WriteString("PTR, forward DNS and HELO agree now; the refusals are older than the fix, or about something else.")
	}
	view := RelayView{Relay: r, Verdict: rv, Label: label(v.Status), Story: b.String(), Fix: v.Fix}
	if v.Fix != "" {
		view.FixFor = "fix"
		if v.Owner != "" {
			view.FixFor = "fix (" + v.Owner.Describe() + ")"
		}
	}
	if len(r.Examples) > 0 {
		view.Example = r.Examples[0]
	}
	return view
}

// ptrText says what today's PTR lookup found.
func ptrText(c analyze.Checks) string {
	if c.PTRStatus != "found" {
		return "PTR lookup: " + string(c.PTRStatus)
	}
	s := "PTR is " + strings.Join(c.PTR, ", ")
	var notes []string
	if c.GenericPTR != nil {
		notes = append(notes, "generic")
	}
	if c.FCrDNS == analyze.FCrDNSFailed {
		notes = append(notes, "does not resolve back")
	}
	if len(notes) > 0 {
		s += " (" + strings.Join(notes, ", ") + ")"
	}
	return s
}

// topStatuses names the most frequent statuses of a relay's replies about
// reverse DNS or HELO.
func topStatuses(rs []analyze.ReplyCount) string {
	counts := map[string]int{}
	for _, r := range rs {
		if r.Status != "" && r.About() {
			counts[r.Status] += r.Count
		}
	}
	list := slices.Collect(maps.Keys(counts))
	slices.SortFunc(list, func(a, b string) int {
		if d := counts[b] - counts[a]; d != 0 {
			return d
		}
		return strings.Compare(a, b)
	})
	if len(list) > 3 {
		list = list[:3]
	}
	return strings.Join(list, ", ")
}

// otherText sums up the relays refused only for other reasons.
func otherText(rs []analyze.Relay) string {
	cats := map[string]int{}
	out, in := 0, 0
	for _, r := range rs {
		if r.Outbound() {
			out++
		} else {
			in++
		}
		for c, n := range r.Categories {
			cats[string(c)] += n
		}
	}
	names := slices.Sorted(maps.Keys(cats))
	slices.SortStableFunc(names, func(a, b string) int { return cats[b] - cats[a] })
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = fmt.Sprintf("%s %d", n, cats[n])
	}
	return fmt.Sprintf("Refused for other reasons (not reverse DNS or HELO): %s of ours and %s (%s); the JSON report has them.",
		plural(out, "relay"), plural(in, "client"), strings.Join(parts, ", "))
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

func first(list []string) string {
	if len(list) == 0 {
		return ""
	}
	return list[0]
}
