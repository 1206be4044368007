package report

import (
	"io"

	"hopcheck/analyze"
)

var checkTemplate = pageTemplate("check.html")

// CheckHTML writes an audit as one self-contained HTML page: what was
// asked and the counts, the inventory as a table worst first, then one
// card per target with each address's verdict, facts and fix. It runs no
// script and loads nothing.
func CheckHTML(w io.Writer, c *Check, opts HTMLOptions) error {
	footer := footerLines(c.Source.Version, c.Source.Time, c.Source.Resolver, false)
	return checkTemplate.ExecuteTemplate(w, "page", htmlPage{Title: "hopcheck check: " + c.Summary, CSP: ContentSecurityPolicy,
		Options: opts, Footer: footer, Body: newCheckData(c)})
}

// checkData is what the HTML and Markdown reports of an audit show,
// beyond the view.
type checkData struct {
	C *Check
	statusLook
	Headline string
	Counts   []statusCount
	// SMTP and Authoritative say whether port 25 and the reverse zones'
	// own servers were asked.
	SMTP, Authoritative string
	Targets             []targetCard
}

// targetCard is a target of the table and its card, numbered for the
// table's links to the cards.
type targetCard struct {
	T *TargetView
	statusLook
	N     int
	Addrs []addrCard
}

type addrCard struct {
	*AddrView
	statusLook
}

func newCheckData(c *Check) checkData {
	d := checkData{C: c, statusLook: verdictLook(analyze.Aligned), Headline: plural(len(c.Targets), "target"),
		SMTP: "not asked", Authoritative: "not asked"}
	for _, s := range []analyze.Status{analyze.Misaligned, analyze.Unknown, analyze.Aligned} {
		if c.Counts[s] > 0 {
			d.Counts = append(d.Counts, statusCount{verdictLook(s), c.Counts[s]})
		}
	}
	if len(d.Counts) > 0 {
		d.statusLook = d.Counts[0].statusLook
	}
	if c.Source.SMTP {
		d.SMTP = "asked: greeting and EHLO reply"
	}
	if c.Source.Authoritative {
		d.Authoritative = "asked directly"
	}
	for i := range c.Targets {
		tv := &c.Targets[i]
		tc := targetCard{T: tv, statusLook: verdictLook(tv.Audit.Worst()), N: i + 1}
		for j := range tv.Addrs {
			tc.Addrs = append(tc.Addrs, addrCard{&tv.Addrs[j], verdictLook(tv.Addrs[j].Status)})
		}
		d.Targets = append(d.Targets, tc)
	}
	return d
}
