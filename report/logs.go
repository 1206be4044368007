package report

import (
	"io"

	"hopcheck/analyze"
)

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
	CheckedAt    string         `json:"checked_at"`
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
	Evicted    int `json:"evicted"`
	Relays     int `json:"relays"`
}

// NewLogsDocument builds the JSON form of a log summary.
func NewLogsDocument(l *Logs) LogsDocument {
	sum := l.Summary
	d := logsHead(l)
	d.Relays = make([]jsonRelay, 0, len(sum.Relays))
	for _, r := range sum.Relays {
		d.Relays = append(d.Relays, relayJSON(r, sum.Verdicts[r.RelayKey]))
	}
	return d
}

// logsHead is the document without its relays.
func logsHead(l *Logs) LogsDocument {
	src, sum := l.Source, l.Summary
	return LogsDocument{
		Source: jsonLogSource{Kind: "logs", Files: nonNil(src.Files), Resolver: src.Resolver, Offline: src.Offline,
			Since: stamp(src.Since), Until: stamp(src.Until), SenderIPs: nonNil(src.SenderIPs), HELO: src.HELO},
		Stats: jsonLogStats{Lines: sum.Stats.Lines, Events: sum.Stats.Events, Unknown: sum.Stats.Unknown,
			TooLong: sum.Stats.TooLong, Aggregated: sum.Stats.Aggregated, Evicted: sum.Stats.Evicted, Relays: len(sum.Relays)},
	}
}

// relayJSON is the JSON form of one relay and its verdict.
func relayJSON(r analyze.Relay, rv analyze.RelayVerdict) jsonRelay {
	j := jsonRelay{Direction: r.Direction.String(), IP: addr(r.IP), HELO: first(r.HELO), HELOSeen: nonNil(r.HELO),
		HELOInferred: r.HELOInferred, RDNSLogged: nonNil(r.RDNSLogged), MayBeForged: r.MayBeForged, Software: string(r.MTA),
		Count: r.Count, Refusals: r.Refusals, Warnings: r.Warnings, Identity: r.Identity,
		FirstSeen: stamp(r.First), LastSeen: stamp(r.Last), Categories: map[string]int{},
		Replies: make([]jsonReply, 0, len(r.Replies)), Reported: map[string]int{}, RefusedBy: nonNil(r.RefusedBy),
		Examples: nonNil(r.Examples), Checked: rv.Checked, CheckedAt: stamp(rv.CheckedAt), Checks: checksJSON(rv.Checks),
		Problems: problemsJSON(rv.Problems),
		Verdict: jsonRelayVerd{Status: string(rv.Verdict.Status), Problem: string(rv.Verdict.Problem), Owner: string(rv.Verdict.Owner),
			Fix: rv.Verdict.Fix, Detail: rv.Verdict.Detail}}
	for c, n := range r.Categories {
		j.Categories[string(c)] = n
	}
	for p, n := range r.Reported {
		j.Reported[string(p)] = n
	}
	for _, rp := range r.Replies {
		j.Replies = append(j.Replies, jsonReply{Status: rp.Status, Code: rp.Code, Rule: rp.Rule,
			Category: string(rp.Category), Problem: string(rp.Problem), Count: rp.Count, Example: rp.Example})
	}
	return j
}

// LogsJSON writes a log summary as one indented JSON document: the bytes
// of NewLogsDocument encoded by a json.Encoder indenting by two spaces,
// streamed one relay at a time, so that memory does not grow with the
// document (tens of megabytes for many thousand relays).
func LogsJSON(w io.Writer, l *Logs) error {
	head := logsHead(l)
	s := newJSONStream(w)
	s.raw("{\n  \"source\": ")
	s.value(head.Source, "  ")
	s.raw(",\n  \"relays\": ")
	relays := l.Summary.Relays
	s.array(len(relays), func(i int) any { return relayJSON(relays[i], l.Summary.Verdicts[relays[i].RelayKey]) })
	s.raw(",\n  \"stats\": ")
	s.value(head.Stats, "  ")
	s.raw("\n}\n")
	return s.flush()
}

// LogsText writes a log summary for a person: first our relays that were
// refused for their reverse DNS or HELO, then the clients we refused for
// theirs, most urgent first, one paragraph each; then a line on the relays
// refused for other reasons, and the counts.
func LogsText(w io.Writer, l *Logs, opts TextOptions) error {
	t := newTextWriter(w, opts)
	for i, r := range l.Relays {
		if i > 0 {
			t.line("")
		}
		t.wrap(t.color(statusColor(r.Verdict.Verdict.Status), r.Label)+" ", sanitize(r.Story))
		if r.Fix != "" {
			t.wrap("  ", sanitize(r.FixFor+": "+r.Fix))
		}
		if r.Example != "" {
			t.wrap("  ", sanitize("e.g. "+r.Example))
		}
	}
	if len(l.Relays) == 0 {
		t.line(t.color(green, "No reverse DNS or HELO refusals") + " in the lines read.")
	}
	if l.Other != "" {
		t.line("")
		t.wrap("", l.Other)
	}
	t.line("")
	t.wrap("", sanitize(l.Totals))
	for _, n := range l.Notes {
		t.wrap("", n)
	}
	return t.w.Flush()
}
