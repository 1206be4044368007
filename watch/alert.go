package watch

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"hopcheck/problem"
)

// Kind is what an alert says.
type Kind string

// Alert kinds.
const (
	// Misaligned: a relay refused for reverse DNS or HELO reasons is
	// misaligned on re-check (or its problem changed).
	Misaligned Kind = "misaligned"
	// Summary: still misaligned a repeat window after the last alert,
	// with the refusals counted since.
	Summary Kind = "summary"
	// Recovered: aligned again on re-check, or no refusal for a whole
	// repeat window.
	Recovered Kind = "recovered"
)

// Reasons of a recovery.
const (
	ReasonAligned = "aligned" // a re-check found the relay aligned
	ReasonQuiet   = "quiet"   // no refusal for a whole repeat window
)

// Alert is one alert, with every sentence decided here: renderers only
// render. Its JSON keys are stable (docs/tail.md); every key is always
// present.
type Alert struct {
	Time      time.Time     `json:"time"`
	Kind      Kind          `json:"kind"`
	Direction string        `json:"direction"` // outbound (our relay) or inbound (a client we refused)
	IP        string        `json:"ip"`
	HELO      string        `json:"helo"`
	Problem   problem.Name  `json:"problem"`
	Owner     problem.Owner `json:"owner"`
	Fix       string        `json:"fix"`
	Detail    string        `json:"detail"`
	PTR       []string      `json:"ptr"`
	// Refusals are counted since Since: the relay's refusals about reverse
	// DNS or HELO (every counted refusal with --all).
	Refusals  int       `json:"refusals"`
	RefusedBy []string  `json:"refused_by"`
	Statuses  []string  `json:"statuses"`
	Example   string    `json:"example"`
	Since     time.Time `json:"since"`
	Reason    string    `json:"reason"` // recovered: aligned or quiet; else ""
	// Message is the alert in one sentence, as the text format shows it.
	Message string `json:"message"`
}

// label is the alert's first word in text.
func (a *Alert) label() string {
	switch a.Kind {
	case Misaligned:
		return "MISALIGNED"
	case Summary:
		return "STILL MISALIGNED"
	}
	return "RECOVERED"
}

// who names the relay: ours or a client of ours.
func who(direction, ip, helo string) string {
	s := "client " + ip
	if direction == "outbound" {
		s = "our relay " + ip
		if ip == "" {
			s = "our relay (address not in the log)"
		}
	}
	if helo != "" {
		s += " (HELO " + helo + ")"
	}
	return s
}

// refusedText says how often and by whom since when.
func refusedText(a *Alert) string {
	var b strings.Builder
	b.WriteString(plural(a.Refusals, "refusal"))
	if len(a.RefusedBy) > 0 {
		b.WriteString(" by " + strings.Join(a.RefusedBy, ", "))
	} else if a.Direction == "inbound" {
		b.WriteString(" by us")
	}
	if len(a.Statuses) > 0 {
		b.WriteString(" (" + strings.Join(a.Statuses, ", ") + ")")
	}
	if !a.Since.IsZero() {
		b.WriteString(" since " + a.Since.Format("2006-01-02 15:04:05 MST"))
	}
	return b.String()
}

// decide writes the alert's Message from its facts.
func (a *Alert) decide(window time.Duration) {
	rel := who(a.Direction, a.IP, a.HELO)
	switch {
	case a.Kind == Misaligned:
		a.Message = fmt.Sprintf("%s is misaligned, %s: %s: %s", rel, refusedText(a), a.Problem, a.Detail)
	case a.Kind == Summary:
		a.Message = fmt.Sprintf("%s is still misaligned (%s): %s", rel, a.Problem, refusedText(a))
	case a.Reason == ReasonAligned:
		a.Message = fmt.Sprintf("%s is aligned again: PTR %s, forward DNS and HELO agree (was %s, %s)",
			rel, orDash(strings.Join(a.PTR, ", ")), a.Problem, refusedText(a))
	default:
		a.Message = fmt.Sprintf("%s has not been refused for %s: taken as recovered (last found %s, %s); a re-check at its next refusal tells whether DNS was fixed",
			rel, window, a.Problem, refusedText(a))
	}
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// Format is how alerts are written.
type Format string

// Formats.
const (
	Text Format = "text" // one readable line per alert
	JSON Format = "json" // JSON Lines
)

// Writer returns a function that writes each alert to w in the format, one
// line per alert, unbuffered: an alert is out as soon as it is decided.
func Writer(w io.Writer, f Format) func(Alert) error {
	if f == JSON {
		enc := json.NewEncoder(w)
		return func(a Alert) error { return enc.Encode(a) }
	}
	return func(a Alert) error {
		line := a.Time.Format(time.RFC3339) + " " + a.label() + " " + a.Message
		if a.Kind != Recovered && a.Fix != "" {
			line += " — fix"
			if d := a.Owner.Describe(); d != "" {
				line += " (" + d + ")"
			}
			line += ": " + a.Fix
		}
		_, err := io.WriteString(w, oneLine(line)+"\n")
		return err
	}
}

// oneLine keeps an alert on one line whatever a log line or DNS name held.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
}
