package report

import (
	"bufio"
	"io"
	"strconv"
	"strings"
)

// CheckMarkdown writes an audit as GitHub-flavoured Markdown for a ticket,
// with the content of the HTML report. Every name, banner and answer from
// DNS, SMTP or the inventory is in a code span or escaped, so that none
// can become a link, an image, HTML or a table cell.
func CheckMarkdown(w io.Writer, c *Check) error {
	d := newCheckData(c)
	b := bufio.NewWriter(w)
	line(b, "# hopcheck check: "+d.Symbol+" "+mdText(c.Summary))
	line(b, "")
	line(b, "- **Resolver:** "+code(c.Source.Resolver))
	line(b, "- **SMTP:** "+d.SMTP)
	line(b, "- **Reverse zones' own servers:** "+d.Authoritative)
	if len(d.Targets) > 0 {
		line(b, "")
		line(b, "## Targets, worst first")
		line(b, "")
		line(b, "| # | Target | Address | Family | Verdict | Problem | Who fixes it |")
		line(b, "| --: | --- | --- | --- | --- | --- | --- |")
		for _, t := range d.Targets {
			target := cellCode(t.T.Title)
			if h := t.T.Audit.Target.HELO; h != "" {
				target += " HELO " + cellCode(h)
			}
			row := func(cells ...string) {
				line(b, "| "+strconv.Itoa(t.N)+" | "+target+" | "+strings.Join(cells, " | ")+" |")
			}
			if len(t.Addrs) == 0 {
				row("–", "–", t.Symbol+" "+t.Word, mdText(t.T.Note), "")
			}
			for _, a := range t.Addrs {
				problem := ""
				if a.Problem != "" {
					problem = cellCode(string(a.Problem))
				}
				row(cellCode(a.IP), a.Family, a.Symbol+" "+a.Word, problem, mdText(a.Who))
			}
		}
		line(b, "")
		line(b, "## Each target")
	}
	for _, t := range d.Targets {
		line(b, "")
		head := "### " + strconv.Itoa(t.N) + ". " + t.Symbol + " " + t.Word + ": " + code(t.T.Title)
		if h := t.T.Audit.Target.HELO; h != "" {
			head += ", HELO " + code(h)
		}
		line(b, head)
		if t.T.Note != "" {
			line(b, "")
			line(b, mdPara(t.T.Note))
		}
		for _, a := range t.Addrs {
			line(b, "")
			// A host name's addresses are named; an address is the heading.
			if t.T.Audit.Name != "" {
				line(b, "**"+a.Family+" "+code(a.IP)+": "+a.Symbol+" "+a.Word+"**")
				line(b, "")
			}
			line(b, "- "+mdText(strings.Join(a.Facts, " · ")))
			if a.Problem != "" {
				line(b, "- **Problem:** "+code(string(a.Problem))+": "+mdText(a.Meaning))
				if a.Detail != "" {
					line(b, "- **What is wrong:** "+mdText(a.Detail))
				}
			}
			if a.Who != "" {
				line(b, "- **Who fixes it:** "+mdText(a.Who)+" ("+code(string(a.Owner))+")")
			}
			if a.Fix != "" {
				line(b, "- **Fix:** "+mdText(a.Fix))
			}
			for _, f := range a.Others {
				line(b, "- **Also:** "+code(string(f.Problem))+": "+mdText(f.Detail)+". Fix ("+mdText(f.Who)+"): "+mdText(f.Fix))
			}
			for _, s := range a.SMTP {
				line(b, "- **SMTP:** "+mdText(s))
			}
			for _, s := range a.Spread {
				line(b, "- **Propagation:** "+mdText(s))
			}
		}
	}
	mdFooter(b, footerLines(c.Source.Version, c.Source.Time, c.Source.Resolver, false))
	return b.Flush()
}
