package parse

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// stampWant holds the hop fields a stamp must produce, by their JSON names;
// a missing key means the field must be empty.
type stampWant struct {
	Parsed      bool   `json:"parsed"`
	HELO        string `json:"helo"`
	IP          string `json:"ip"`
	RDNS        string `json:"rdns"`
	MayBeForged bool   `json:"may_be_forged"`
	By          string `json:"by"`
	With        string `json:"with"`
	ID          string `json:"id"`
	For         string `json:"for"`
	TLS         string `json:"tls"`
	Time        string `json:"time"` // RFC 3339 with the stamp's own offset
}

type stampCase struct {
	MTA   string `json:"mta"`
	Note  string `json:"note"`
	Raw   string `json:"raw"`
	RawGo string `json:"raw_go"` // a Go-quoted raw value, for bytes JSON cannot carry
	Pad   *struct {
		Token string `json:"token"`
		With  string `json:"with"`
		Times int    `json:"times"`
	} `json:"pad"` // builds very long values without storing them
	Want stampWant `json:"want"`
}

func (c stampCase) value(t *testing.T) string {
	raw := c.Raw
	if c.RawGo != "" {
		var err error
		if raw, err = strconv.Unquote(c.RawGo); err != nil {
			t.Fatalf("raw_go: %v", err)
		}
	}
	if c.Pad != nil {
		raw = strings.Replace(raw, c.Pad.Token, strings.Repeat(c.Pad.With, c.Pad.Times), 1)
	}
	return raw
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dec := json.NewDecoder(f)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

func loadStamps(t *testing.T) []stampCase {
	var cases []stampCase
	readJSON(t, filepath.Join("..", "testdata", "received", "stamps.json"), &cases)
	return cases
}

// gotOf renders a hop like stampWant. Invalid UTF-8 is shown as U+FFFD
// because the JSON expectations cannot hold raw 8-bit bytes.
func gotOf(h Hop) stampWant {
	v := func(s string) string { return strings.ToValidUTF8(s, "\uFFFD") }
	w := stampWant{
		Parsed: h.Parsed, HELO: v(h.HELO), RDNS: v(h.RDNS), MayBeForged: h.MayBeForged,
		By: v(h.By), With: v(h.With), ID: v(h.ID), For: v(h.For), TLS: v(h.TLS),
	}
	if h.IP.IsValid() {
		w.IP = h.IP.String()
	}
	if !h.Time.IsZero() {
		w.Time = h.Time.Format(time.RFC3339Nano)
	}
	return w
}

func TestReceivedStamps(t *testing.T) {
	cases := loadStamps(t)
	if len(cases) < 40 {
		t.Fatalf("only %d stamps in testdata; want at least 40", len(cases))
	}
	seen := map[string]int{}
	for i, c := range cases {
		seen[c.MTA]++
		t.Run(strconv.Itoa(i)+"_"+c.MTA, func(t *testing.T) {
			value := c.value(t)
			h := Received(value)
			if got := gotOf(h); got != c.Want {
				t.Errorf("%s\nraw:  %.300q\ngot:  %+v\nwant: %+v", c.Note, value, got, c.Want)
			}
			if h.Raw != strings.Trim(value, " \t\r\n") {
				t.Errorf("Raw = %.80q, want the trimmed input", h.Raw)
			}
			if h.Index != 0 || h.Delay != 0 || h.HasDelay {
				t.Errorf("Received set Index/Delay: %+v", h)
			}
		})
	}
	for _, mta := range []string{"postfix", "exim", "sendmail", "qmail", "exchange", "gmail", "courier",
		"opensmtpd", "amavisd", "yahoo", "rfc5321", "edge"} {
		if seen[mta] == 0 {
			t.Errorf("no %s stamp in testdata", mta)
		}
	}
}

type pathHopWant struct {
	Index        int     `json:"index"`
	HELO         string  `json:"helo"`
	IP           string  `json:"ip"`
	By           string  `json:"by"`
	Time         string  `json:"time"`
	HasDelay     bool    `json:"has_delay"`
	DelaySeconds float64 `json:"delay_seconds"`
}

type pathCase struct {
	Note     string        `json:"note"`
	Received []string      `json:"received"`
	Want     []pathHopWant `json:"want"`
}

func TestHopsPaths(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "testdata", "received", "paths", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no path cases: %v", err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			var c pathCase
			readJSON(t, file, &c)
			hops := Hops(c.Received)
			if hops == nil {
				t.Fatal("Hops returned nil; want an empty slice at least")
			}
			if len(hops) != len(c.Want) {
				t.Fatalf("%s: got %d hops, want %d", c.Note, len(hops), len(c.Want))
			}
			for i, h := range hops {
				got := pathHopWant{
					Index: h.Index, HELO: h.HELO, By: h.By, HasDelay: h.HasDelay,
					DelaySeconds: h.Delay.Seconds(),
				}
				if h.IP.IsValid() {
					got.IP = h.IP.String()
				}
				if !h.Time.IsZero() {
					got.Time = h.Time.Format(time.RFC3339)
				}
				if got != c.Want[i] {
					t.Errorf("%s: hop %d\ngot:  %+v\nwant: %+v", c.Note, i, got, c.Want[i])
				}
			}
		})
	}
}

// TestReceivedHostileLinear feeds worst-case shapes just under and far over
// the size bound; an allocation bound (not a clock) shows no blow-up.
func TestReceivedHostileLinear(t *testing.T) {
	shapes := []string{"(", "[", "\"", "from (", "from x ([", "by (", "\\", "(from ", "from x (HELO ", "with a ", "tls x "}
	for _, unit := range shapes {
		for _, n := range []int{MaxReceivedLen / len(unit), (1 << 20) / len(unit)} {
			value := strings.Repeat(unit, n)
			allocs := testing.AllocsPerRun(3, func() { Received(value) })
			if allocs > 4 {
				t.Errorf("%q x %d: %v allocations; want at most 4", unit, n, allocs)
			}
		}
	}
}

func TestParseDate(t *testing.T) {
	cases := []struct {
		in, want string
	}{
		{"Thu, 1 Feb 2024 10:00:00 +0100", "2024-02-01T10:00:00+01:00"},
		{"1 Feb 2024 10:00 -0000", "2024-02-01T10:00:00Z"},
		{"Thursday, 01 February 2024 10:00:00.250 +05:30", "2024-02-01T10:00:00.25+05:30"},
		{"Thu, 1 Feb 124 10:00:00 UT", "2024-02-01T10:00:00Z"},
		{"Thu, 1 Feb 49 10:00:00 CDT", "2049-02-01T10:00:00-05:00"},
		{"Thu, 1 Feb 50 10:00:00 MDT", "1950-02-01T10:00:00-06:00"},
		{"(comment) Thu, (c) 1 Feb 2024 10:00:00 (c) Z", "2024-02-01T10:00:00Z"},
		{"Thu, 01-Feb-2024 10:00:00 +0000", "2024-02-01T10:00:00Z"},
		{"Sat, 31 Dec 2016 23:59:60 +0000", "2016-12-31T23:59:59Z"},
		{"Thu, 1 Feb 2024 10:00:00 A", "2024-02-01T10:00:00Z"},
		{"Thu, 1 Feb 2024 10:00:00 J", ""},
		{"Thu, 1 Feb 2024 10:00:00", ""},
		{"Thu, 1 Feb 2024 10:00:00 +2400", ""},
		{"Thu, 1 Feb 2024 10:00:00 +0160", ""},
		{"Thu, 1 Foo 2024 10:00:00 +0000", ""},
		{"Xyz, 1 Feb 2024 10:00:00 +0000", ""},
		{"Thu, 1 Feb 2024 10:0:00 +0000", ""},
		{"Thu, 1 Feb 2024 10:00:60 +0000", "2024-02-01T10:00:59Z"},
		{"Thu, 1 Feb 2024 10:00:61 +0000", ""},
		{"Thu, 30 Feb 2024 10:00:00 +0000", ""},
		{"", ""},
	}
	for _, c := range cases {
		got := ""
		if tm, ok := parseDate(c.in); ok {
			got = tm.Format(time.RFC3339Nano)
		}
		if got != c.want {
			t.Errorf("parseDate(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestDaysIn(t *testing.T) {
	for _, c := range []struct{ mon, year, want int }{
		{0, 2023, 31}, {1, 2023, 28}, {1, 2024, 29}, {1, 1900, 28}, {1, 2000, 29}, {3, 2024, 30}, {10, 2024, 30}, {11, 2024, 31},
	} {
		if got := daysIn(c.mon, c.year); got != c.want {
			t.Errorf("daysIn(%d, %d) = %d, want %d", c.mon, c.year, got, c.want)
		}
	}
}

// TestRDNSRecorded: an empty RDNS means "the receiver found none" only for
// stamps whose shape records the receiver's reverse lookup.
func TestRDNSRecorded(t *testing.T) {
	tests := []struct {
		raw      string
		recorded bool
		rdns     string
	}{
		{"from helo.example.test (unknown [198.51.100.23]) by mx.example.test (Postfix) with ESMTP id 4TQy0B", true, ""},
		{"from mail.example.test (mail.example.test [192.0.2.10]) by mx.example.test (Postfix) with ESMTPS id 4TQy0C", true, "mail.example.test"},
		{"from mail.example.test ([192.0.2.10]:41234 helo=mail.example.test) by mx.example.test with esmtps (Exim 4.96) id 1r2", true, "mail.example.test"},
		{"from [192.0.2.10] (port=41234 helo=mail.example.test) by mx.example.test with esmtp (Exim 4.96) id 1r3", true, ""},
		{"from unknown (HELO mail.example.test) (192.0.2.10) by mx.example.test with SMTP", true, ""},
		{"from mail.example.test (192.0.2.10) by mx.example.test (198.51.100.1) with Microsoft SMTP Server id 15.20.1", false, ""},
		{"from [192.0.2.10] by mx.example.test with ESMTP", false, ""},
	}
	for _, tc := range tests {
		h := Received(tc.raw)
		if h.RDNSRecorded != tc.recorded || h.RDNS != tc.rdns {
			t.Errorf("%s\nRDNSRecorded %v RDNS %q, want %v %q", tc.raw, h.RDNSRecorded, h.RDNS, tc.recorded, tc.rdns)
		}
	}
}

// TestRDNSRecordedLongTail: what the long tail of stamp shapes says about
// the receiver's reverse lookup — a placeholder is no name, a failed lookup
// records nothing, and qmail's stamp without "(HELO …)" and CommuniGate's
// "verified" record the name.
func TestRDNSRecordedLongTail(t *testing.T) {
	tests := []struct {
		raw      string
		recorded bool
		rdns     string
	}{
		{"from mail.example.test (softdnserr [::ffff:192.0.2.204]) by mx.example.test with ESMTP; Tue, 10 Mar 2026 20:12:23 +0100", false, ""},
		{"from mail.example.test (unknown [192.0.2.204]) by mx.example.test with ESMTP; Tue, 10 Mar 2026 20:12:23 +0100", true, ""},
		{"from mail.example.test (192.0.2.197)\n  by mx.example.test with SMTP; 10 Mar 2026 19:12:16 -0000", true, "mail.example.test"},
		{"from mail.example.test ([192.0.2.194] verified) by mx.example.test (CommuniGate Pro SMTP 6.3.4) with ESMTPS id 4; Tue, 10 Mar 2026 20:12:13 +0100", true, "mail.example.test"},
		{"from [192.0.2.192] (HELO mail.example.test) by mx.example.test (CommuniGate Pro SMTP 6.3.4) with ESMTPS id 4; Tue, 10 Mar 2026 20:12:11 +0100", false, ""},
		{"from 192.0.2.151 (EHLO mail.example.test) (192.0.2.151) by mta4012.mail.gq1.yahoo.com with SMTPS; Thu, 1 Feb 2024 10:32:00 +0000", false, ""},
		{"from mail.example.test(192.0.2.203), claiming to be \"smtp.example.test\"\n via SMTP by mx.example.test, id smtpdAAAa12345; Tue, 10 Mar 2026 20:12:22 +0100", true, "mail.example.test"},
		// Exchange writes "from helo (ip)" too, with a weekday and its server name: no reverse name.
		{"from mail.example.test (198.51.100.7) by DB5PEPF00012345.mail.protection.outlook.com (192.0.2.34) with Microsoft SMTP Server id 15.20.8; Tue, 10 Mar 2026 20:12:13 +0000", false, ""},
	}
	for _, tc := range tests {
		h := Received(tc.raw)
		if h.RDNSRecorded != tc.recorded || h.RDNS != tc.rdns {
			t.Errorf("%s\nRDNSRecorded %v RDNS %q, want %v %q", tc.raw, h.RDNSRecorded, h.RDNS, tc.recorded, tc.rdns)
		}
	}
}
