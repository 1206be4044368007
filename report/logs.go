package report

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"hopcheck/analyze"
	"hopcheck/parse/mtalog"
	"hopcheck/parse/reply"
)

// LogSource says what hopcheck logs read and how it judged.
type LogSource struct {
	Files        []string // file names, "-" for stdin
	Resolver     string   // "zone files: …", "192.0.2.53:53", "offline"
	Offline      bool
	Since, Until time.Time // zero when not given
	SenderIPs    []string  // --sender-ip
	HELO         string    // --helo
}

// LogSummary is what a scan of logs found: the relays in rank order and
// the counts.
type LogSummary struct {
	Relays []*analyze.Relay
	Stats  analyze.LogStats
}

// LogsDocument is the JSON form of a log summary (docs/logs.md documents
// every key). Every key is always present; empty values are "", [], {} or
// null.
type LogsDocument struct {
	Source jsonLogSource `json:"source"`
	Relays []jsonRelay   `json:"relays"`
	Stats  jsonLogStats  `json:"stats"`
}

type jsonLogSource struct {
	Kind      string   `json:"kind"`
	Files     []string `json:"files"`
	Resolver  string   `json:"resolver"`
	Offline   bool     `json:"offline"`
	Since     string   `json:"since"`
	Until     string   `json:"until"`
	SenderIPs []string `json:"sender_ips"`
	HELO      string   `json:"helo"`
}

type jsonRelay struct {
	Direction    string         `json:"direction"`
	IP           string         `json:"ip"`
	HELO         string         `json:"helo"`
	HELOSeen     []string       `json:"helo_seen"`
	HELOInferred bool           `json:"helo_inferred"`
	RDNSLogged   []string       `json:"rdns_logged"`
	MayBeForged  bool           `json:"may_be_forged"`
	Software     string         `json:"software"`
	Count        int            `json:"count"`
	Refusals     int            `json:"refusals"`
	Warnings     int            `json:"warnings"`
	Identity     int            `json:"identity"`
	FirstSeen    string         `json:"first_seen"`
	LastSeen     string         `json:"last_seen"`
	Categories   map[string]int `json:"categories"`
	Replies      []jsonReply    `json:"replies"`
	Reported     map[string]int `json:"reported"`
	RefusedBy    []string       `json:"refused_by"`
	Examples     []string       `json:"examples"`
	Checked      bool           `json:"checked"`
	Checks       jsonChecks     `json:"checks"`
	Problems     []jsonProblem  `json:"problems"`
	Verdict      jsonRelayVerd  `json:"verdict"`
}

type jsonReply struct {
	Status   string `json:"status"`
	Code     int    `json:"code"`
	Rule     string `json:"rule"`
	Category string `json:"category"`
	Problem  string `json:"problem"`
	Count    int    `json:"count"`
	Example  string `json:"example"`
}

type jsonRelayVerd struct {
	Status  string `json:"status"`
	Problem string `json:"problem"`
	Owner   string `json:"owner"`
	Fix     string `json:"fix"`
	Detail  string `json:"detail"`
}

type jsonLogStats struct {
	Lines      int `json:"lines"`
	Events     int `json:"events"`
	Unknown    int `json:"unknown"`
	TooLong    int `json:"too_long"`
	Aggregated int `json:"aggregated"`
	Overflow   int `json:"overflow"`
	Relays     int `json:"relays"`
}

// NewLogsDocument builds the JSON form of a log summary.
func NewLogsDocument(src LogSource, sum LogSummary) LogsDocument {
	d := LogsDocument{
		Source: jsonLogSource{Kind: "logs", Files: nonNil(src.Files), Resolver: src.Resolver, Offline: src.Offline,
			Since: stamp(src.Since), Until: stamp(src.Until), SenderIPs: nonNil(src.SenderIPs), HELO: src.HELO},
		Relays: make([]jsonRelay, 0, len(sum.Relays)),
		Stats: jsonLogStats{Lines: sum.Stats.Lines, Events: sum.Stats.Events, Unknown: sum.Stats.Unknown,
			TooLong: sum.Stats.TooLong, Aggregated: sum.Stats.Aggregated, Overflow: sum.Stats.Overflow, Relays: len(sum.Relays)},
	}
	for _, r := range sum.Relays {
		j := jsonRelay{Direction: r.Direction.String(), IP: addr(r.IP), HELO: first(r.HELO), HELOSeen: nonNil(r.HELO),
			HELOInferred: r.HELOInferred, RDNSLogged: nonNil(r.RDNSLogged), MayBeForged: r.MayBeForged, Software: r.Software,
			Count: r.Count, Refusals: r.Refusals, Warnings: r.Warnings, Identity: r.Identity,
			FirstSeen: stamp(r.First), LastSeen: stamp(r.Last), Categories: map[string]int{},
			Replies: make([]jsonReply, 0, len(r.Replies)), Reported: map[string]int{}, RefusedBy: nonNil(r.RefusedBy),
			Examples: nonNil(r.Examples), Checked: r.Checked, Checks: checksJSON(r.Checks),
			Problems: make([]jsonProblem, 0, len(r.Problems)),
			Verdict: jsonRelayVerd{Status: r.Verdict.Status, Problem: r.Verdict.Problem, Owner: r.Verdict.Owner,
				Fix: r.Verdict.Fix, Detail: r.Verdict.Detail}}
		for c, n := range r.Categories {
			j.Categories[string(c)] = n
		}
		maps.Copy(j.Reported, r.Reported)
		for _, rp := range r.Replies {
			j.Replies = append(j.Replies, jsonReply{Status: rp.Status, Code: rp.Code, Rule: rp.Rule,
				Category: string(rp.Category), Problem: rp.Problem, Count: rp.Count, Example: rp.Example})
		}
		for _, p := range r.Problems {
			j.Problems = append(j.Problems, jsonProblem{Problem: p.Name, Owner: p.Owner, Detail: p.Detail, Fix: p.Fix})
		}
		d.Relays = append(d.Relays, j)
	}
	return d
}

// LogsJSON writes a log summary as one indented JSON document.
func LogsJSON(w io.Writer, src LogSource, sum LogSummary) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(NewLogsDocument(src, sum))
}

// LogsText writes a log summary for a person: first our relays that were
// refused for their reverse DNS or HELO, then the clients we refused for
// theirs, most urgent first, one paragraph each; then a line on the relays
// refused for other reasons, and the counts.
func LogsText(w io.Writer, src LogSource, sum LogSummary, opts TextOptions) error {
	if opts.Width <= 0 {
		opts.Width = 80
	}
	t := &textWriter{w: bufio.NewWriter(w), opts: opts}
	var other []*analyze.Relay
	shown := 0
	for _, r := range sum.Relays {
		if r.Identity == 0 {
			other = append(other, r)
			continue
		}
		if shown > 0 {
			t.line("")
		}
		shown++
		t.relay(r, src.Offline)
	}
	if shown == 0 {
		t.line(t.color(green, "No reverse DNS or HELO refusals") + " in the lines read.")
	}
	if len(other) > 0 {
		t.line("")
		t.wrap("", otherText(other))
	}
	t.line("")
	st := sum.Stats
	t.wrap("", fmt.Sprintf("Read %s from %s: %s, %d unknown, %d too long; %s and DNS warnings over %s.",
		plural(st.Lines, "line"), sanitize(strings.Join(src.Files, ", ")), plural(st.Events, "event"), st.Unknown, st.TooLong,
		plural(st.Aggregated, "refusal"), plural(len(sum.Relays), "relay")))
	if st.Overflow > 0 {
		t.wrap("", fmt.Sprintf("%d events of further relays were not tracked (too many distinct relays).", st.Overflow))
	}
	if src.Offline {
		t.wrap("", "Offline: verdicts come from what the log recorded, no DNS lookups.")
	}
	return t.w.Flush()
}

// relay writes one relay's paragraph.
func (t *textWriter) relay(r *analyze.Relay, offline bool) {
	var b strings.Builder
	if r.Direction == mtalog.Outbound {
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
		fmt.Fprintf(&b, " was refused %s", times(r.Identity))
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
			fmt.Fprintf(&b, " was refused %s by us", times(n))
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
	v := r.Verdict
	label := t.color(yellow, "UNKNOWN")
	switch v.Status {
	case analyze.Misaligned:
		label = t.color(red, "MISALIGNED")
	case analyze.Aligned:
		label = t.color(green, "ALIGNED")
	}
	if r.Checked {
		b.WriteString(ptrText(r.Checks) + ". ")
	}
	switch {
	case v.Problem != "":
		b.WriteString(v.Problem + ": " + v.Detail + ".")
	case v.Status == analyze.Aligned && r.Checked:
		b.WriteString("PTR, forward DNS and HELO agree now; the refusals are older than the fix, or about something else.")
	}
	t.wrap(label+" ", sanitize(b.String()))
	if v.Fix != "" {
		who := "fix"
		if v.Owner != "" {
			who = "fix (" + owners[v.Owner] + ")"
			if r.Direction == mtalog.Inbound {
				who = "tell its admin (" + owners[v.Owner] + ")"
			}
		}
		t.wrap("  ", sanitize(who+": "+v.Fix))
	}
	if len(r.Examples) > 0 {
		t.wrap("  ", sanitize("e.g. "+r.Examples[0]))
	}
}

// ptrText says what today's PTR lookup found.
func ptrText(c analyze.Checks) string {
	if c.PTRStatus != analyze.StatusFound {
		return "PTR lookup: " + c.PTRStatus
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

// topStatuses names the most frequent statuses of a relay's replies.
func topStatuses(rs []analyze.ReplyCount) string {
	counts := map[string]int{}
	for _, r := range rs {
		if r.Status != "" && (r.Category == reply.RDNS || r.Category == reply.HELO) {
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
func otherText(rs []*analyze.Relay) string {
	cats := map[string]int{}
	out, in := 0, 0
	for _, r := range rs {
		if r.Direction == mtalog.Outbound {
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
	return fmt.Sprintf("Refused for other reasons (not reverse DNS or HELO): %s of ours and %s (%s); see --format json.",
		plural(out, "relay"), plural(in, "client"), strings.Join(parts, ", "))
}

func times(n int) string {
	if n == 1 {
		return "once"
	}
	return fmt.Sprintf("%d times", n)
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
