package report

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"hopcheck/analyze"
	"hopcheck/problem"
)

// CheckSource says how a direct audit was made.
type CheckSource struct {
	Resolver      string // "192.0.2.53:53", "zone files: …"
	SMTP          bool   // the servers were asked on port 25
	Authoritative bool   // the reverse zones' servers were asked directly
	Version       string
	Time          time.Time
}

// Check is the view of a direct audit of servers (hopcheck check), targets
// worst first.
type Check struct {
	Source  CheckSource
	Targets []TargetView
	// Summary counts the targets by their worst address.
	Summary string
	Counts  map[analyze.Status]int
}

// TargetView is one audited target in words.
type TargetView struct {
	Audit analyze.Audit
	Label string // of its worst address
	Title string // the host name or address given
	Note  string // why a host name gave no address
	Addrs []AddrView
}

// AddrView is one address of a target in words.
type AddrView struct {
	IP      string
	Family  string // IPv4, IPv6
	Label   string
	Status  analyze.Status
	Facts   []string // PTR, FCrDNS, HELO and where it came from
	Problem problem.Name
	Meaning string
	Detail  string
	Owner   problem.Owner
	Who     string
	Fix     string
	Others  []FindingView // the address's secondary problems
	SMTP    []string      // what the server showed on port 25, and how it compares
	Spread  []string      // propagation: each source's answer, then what it means
}

// NewCheck builds the view of audits, worst first (input order within a
// status).
func NewCheck(src CheckSource, audits []analyze.Audit) *Check {
	c := &Check{Source: src, Counts: map[analyze.Status]int{}}
	order := map[analyze.Status]int{analyze.Misaligned: 0, analyze.Unknown: 1, analyze.Aligned: 2}
	sorted := slices.Clone(audits)
	slices.SortStableFunc(sorted, func(a, b analyze.Audit) int { return order[a.Worst()] - order[b.Worst()] })
	for _, a := range sorted {
		w := a.Worst()
		c.Counts[w]++
		tv := TargetView{Audit: a, Label: label(w), Title: a.Target.Host, Note: a.ResolveError}
		for _, x := range a.Addrs {
			tv.Addrs = append(tv.Addrs, addrView(x))
		}
		c.Targets = append(c.Targets, tv)
	}
	c.Summary = fmt.Sprintf("%s: %d misaligned, %d undetermined, %d aligned.", plural(len(audits), "target"),
		c.Counts[analyze.Misaligned], c.Counts[analyze.Unknown], c.Counts[analyze.Aligned])
	return c
}

func addrView(x analyze.AddrAudit) AddrView {
	j := x.Judgment
	v := j.Verdict
	av := AddrView{IP: x.IP.String(), Family: "IPv4", Label: label(v.Status), Status: v.Status, Problem: v.Problem,
		Detail: v.Detail, Owner: v.Owner, Who: v.Owner.Describe(), Fix: v.Fix}
	if x.IP.Is6() {
		av.Family = "IPv6"
	}
	if v.Problem != "" {
		av.Meaning = v.Problem.Meaning()
	}
	av.Facts = append(av.Facts, ptrText(j.Checks), "FCrDNS "+j.Checks.FCrDNS)
	switch x.HELOSource {
	case analyze.HELOGiven:
		av.Facts = append(av.Facts, "HELO "+x.HELO+" (given), match "+j.Checks.HELOMatch)
	case analyze.HELOBanner:
		av.Facts = append(av.Facts, "HELO "+x.HELO+" (taken from the SMTP banner: the name it shows when receiving, usually also the one it sends), match "+j.Checks.HELOMatch)
	default:
		av.Facts = append(av.Facts, "HELO not checked: the name this server announces when it sends was not given")
	}
	for i, p := range j.Problems {
		if i == 0 && p.Name == v.Problem {
			continue
		}
		av.Others = append(av.Others, FindingView{Problem: p.Name, Detail: p.Detail, Owner: p.Owner, Who: p.Owner.Describe(), Fix: p.Fix})
	}
	if r := x.SMTP; r != nil {
		if len(r.Greeting) > 0 {
			av.SMTP = append(av.SMTP, "greeting: "+strings.Join(r.Greeting, " / "))
		}
		if len(r.EHLOReply) > 0 {
			av.SMTP = append(av.SMTP, "EHLO reply: "+r.EHLOReply[0])
		}
		av.SMTP = append(av.SMTP, x.Banner...)
	}
	if p := x.Propagation; p != nil {
		for _, a := range append(append([]analyze.PTRAnswer{p.Resolver}, p.Servers...), p.Resolvers...) {
			av.Spread = append(av.Spread, answerText(a))
		}
		av.Spread = append(av.Spread, p.Summary)
	}
	return av
}

// answerText shows one source's PTR answer as dig would: names and TTL.
func answerText(a analyze.PTRAnswer) string {
	switch a.Status {
	case "found":
		return fmt.Sprintf("%s: PTR %s (TTL %d)", a.Source, strings.Join(a.Names, ", "), a.TTL)
	case "temperror":
		return fmt.Sprintf("%s: no answer (%s)", a.Source, a.Err)
	}
	return fmt.Sprintf("%s: %s", a.Source, a.Status)
}

// CheckText writes an audit for a person: each target worst first, each
// address with its verdict, facts and fix; then the summary.
func CheckText(w io.Writer, c *Check, opts TextOptions) error {
	t := newTextWriter(w, opts)
	for i, tv := range c.Targets {
		if i > 0 {
			t.line("")
		}
		t.line(t.color(statusColor(tv.Audit.Worst()), tv.Label) + "  " + t.bold(sanitize(tv.Title)))
		if tv.Note != "" {
			t.field("", tv.Note)
		}
		for _, a := range tv.Addrs {
			t.line(fmt.Sprintf("  %s %s  %s", a.Family, a.IP, t.color(statusColor(a.Status), a.Label)))
			t.wrap("    ", sanitize(strings.Join(a.Facts, " · ")))
			if a.Problem != "" {
				t.field("  problem", string(a.Problem)+": "+a.Detail)
				t.field("  owner", string(a.Owner)+" ("+a.Who+")")
			}
			if a.Fix != "" {
				t.field("  fix", a.Fix)
			}
			for _, f := range a.Others {
				t.field("  also", string(f.Problem)+": "+f.Detail)
				t.field("", "fix ("+string(f.Owner)+"): "+f.Fix)
			}
			for _, s := range a.SMTP {
				t.field("  smtp", s)
			}
			for _, s := range a.Spread {
				t.field("  propagation", s)
			}
		}
	}
	t.line("")
	t.wrap("", c.Summary)
	return t.w.Flush()
}

// CheckDocument is the JSON form of an audit (README documents every key).
type CheckDocument struct {
	Source  jsonCheckSource `json:"source"`
	Targets []jsonTarget    `json:"targets"`
	Summary jsonCheckSum    `json:"summary"`
}

type jsonCheckSource struct {
	Kind          string `json:"kind"`
	Resolver      string `json:"resolver"`
	SMTP          bool   `json:"smtp"`
	Authoritative bool   `json:"authoritative"`
}

type jsonCheckSum struct {
	Targets    int `json:"targets"`
	Misaligned int `json:"misaligned"`
	Unknown    int `json:"unknown"`
	Aligned    int `json:"aligned"`
}

type jsonTarget struct {
	Target       string     `json:"target"`
	HELO         string     `json:"helo"`
	Name         string     `json:"name"`
	ResolveError string     `json:"resolve_error"`
	Status       string     `json:"status"`
	Addrs        []jsonAddr `json:"addrs"`
}

type jsonAddr struct {
	IP          string           `json:"ip"`
	Family      string           `json:"family"`
	HELO        string           `json:"helo"`
	HELOSource  string           `json:"helo_source"`
	Checks      jsonChecks       `json:"checks"`
	Problems    []jsonProblem    `json:"problems"`
	Verdict     jsonRelayVerd    `json:"verdict"`
	SMTP        *jsonSMTP        `json:"smtp"`
	Banner      []string         `json:"banner"`
	Propagation *jsonPropagation `json:"propagation"`
}

type jsonSMTP struct {
	Outcome    string   `json:"outcome"`
	Detail     string   `json:"detail"`
	Greeting   []string `json:"greeting"`
	GreetCode  int      `json:"greet_code"`
	BannerHost string   `json:"banner_host"`
	EHLOReply  []string `json:"ehlo_reply"`
	EHLOCode   int      `json:"ehlo_code"`
	EHLOHost   string   `json:"ehlo_host"`
}

type jsonPropagation struct {
	Zone        string       `json:"zone"`
	NameServers []string     `json:"name_servers"`
	Resolver    jsonAnswer   `json:"resolver"`
	Servers     []jsonAnswer `json:"servers"`
	Resolvers   []jsonAnswer `json:"resolvers"`
	Agree       bool         `json:"agree"`
	Summary     string       `json:"summary"`
}

type jsonAnswer struct {
	Source string   `json:"source"`
	Status string   `json:"status"`
	Names  []string `json:"names"`
	TTL    uint32   `json:"ttl"`
	Error  string   `json:"error"`
}

func answerJSON(a analyze.PTRAnswer) jsonAnswer {
	return jsonAnswer{Source: a.Source, Status: string(a.Status), Names: nonNil(a.Names), TTL: a.TTL, Error: a.Err}
}

// NewCheckDocument builds the JSON form of an audit.
func NewCheckDocument(c *Check) CheckDocument {
	d := CheckDocument{
		Source:  jsonCheckSource{Kind: "check", Resolver: c.Source.Resolver, SMTP: c.Source.SMTP, Authoritative: c.Source.Authoritative},
		Targets: make([]jsonTarget, 0, len(c.Targets)),
		Summary: jsonCheckSum{Targets: len(c.Targets), Misaligned: c.Counts[analyze.Misaligned], Unknown: c.Counts[analyze.Unknown], Aligned: c.Counts[analyze.Aligned]},
	}
	for _, tv := range c.Targets {
		a := tv.Audit
		jt := jsonTarget{Target: a.Target.Host, HELO: a.Target.HELO, Name: a.Name, ResolveError: a.ResolveError,
			Status: string(a.Worst()), Addrs: make([]jsonAddr, 0, len(a.Addrs))}
		for i, x := range a.Addrs {
			v := x.Judgment.Verdict
			ja := jsonAddr{IP: x.IP.String(), Family: tv.Addrs[i].Family, HELO: x.HELO, HELOSource: string(x.HELOSource),
				Checks: checksJSON(x.Judgment.Checks), Problems: problemsJSON(x.Judgment.Problems),
				Verdict: jsonRelayVerd{Status: string(v.Status), Problem: string(v.Problem), Owner: string(v.Owner), Fix: v.Fix, Detail: v.Detail},
				Banner:  nonNil(x.Banner)}
			if r := x.SMTP; r != nil {
				ja.SMTP = &jsonSMTP{Outcome: string(r.Outcome), Detail: r.Detail, Greeting: nonNil(r.Greeting), GreetCode: r.GreetCode,
					BannerHost: r.BannerHost, EHLOReply: nonNil(r.EHLOReply), EHLOCode: r.EHLOCode, EHLOHost: r.EHLOHost}
			}
			if p := x.Propagation; p != nil {
				jp := &jsonPropagation{Resolver: answerJSON(p.Resolver), Servers: []jsonAnswer{}, Resolvers: []jsonAnswer{},
					NameServers: []string{}, Agree: p.Agree, Summary: p.Summary}
				if p.Zone != nil {
					jp.Zone, jp.NameServers = p.Zone.Zone, nonNil(p.Zone.NameServers)
				}
				for _, s := range p.Servers {
					jp.Servers = append(jp.Servers, answerJSON(s))
				}
				for _, s := range p.Resolvers {
					jp.Resolvers = append(jp.Resolvers, answerJSON(s))
				}
				ja.Propagation = jp
			}
			jt.Addrs = append(jt.Addrs, ja)
		}
		d.Targets = append(d.Targets, jt)
	}
	return d
}

// CheckJSON writes an audit as one indented JSON document.
func CheckJSON(w io.Writer, c *Check) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(NewCheckDocument(c))
}
