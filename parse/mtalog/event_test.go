package mtalog

import (
	"testing"

	"hopcheck/parse"
)

func TestDialectMTA(t *testing.T) {
	for d, want := range map[Dialect]parse.MTA{NoDialect: "", Postfix: parse.Postfix, Exim: parse.Exim, Sendmail: parse.Sendmail} {
		if got := d.MTA(); got != want {
			t.Errorf("%v.MTA() = %q, want %q", d, got, want)
		}
		if string(d.MTA()) != d.String() {
			t.Errorf("%v.MTA() = %q: not the dialect's name", d, d.MTA())
		}
	}
}
