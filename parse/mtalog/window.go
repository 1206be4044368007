package mtalog

import "time"

// Window is the span of time a scan keeps events from: Since inclusive,
// Until exclusive, a zero bound open on its side. The zero Window keeps
// everything.
type Window struct {
	Since, Until time.Time
}

// Contains reports whether t falls in w. A zero t, the time of an event
// whose line carries none (an RFC 5424 "-" stamp), is kept: the window
// cannot place it, and dropping it would hide refusals a log does record.
func (w Window) Contains(t time.Time) bool {
	if t.IsZero() {
		return true
	}
	return (w.Since.IsZero() || !t.Before(w.Since)) && (w.Until.IsZero() || t.Before(w.Until))
}
