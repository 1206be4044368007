package watch

import (
	"fmt"
	"net/netip"
	"time"

	"hopcheck/analyze"
	"hopcheck/logstream"
	"hopcheck/parse"
	"hopcheck/parse/mtalog"
	"hopcheck/problem"
)

// stateVersion is written into every state file; a file of another
// version is refused rather than misread.
const stateVersion = 1

// maxSavedPending bounds the checks a state file keeps: a flood of clients
// must not make each save write megabytes. Our relays are kept first.
const maxSavedPending = 1000

// State is what a restart resumes from.
type State struct {
	Version int `json:"version"`
	// Position is just after the last line handled.
	Position logstream.Position `json:"position"`
	// Episodes are the relays alerted on and not yet recovered, with their
	// repeat windows.
	Episodes []Episode `json:"episodes"`
	// Pending are the relays whose check was due but not made.
	Pending []Subject `json:"pending"`
	Saved   time.Time `json:"saved"`
}

// Subject is what a check needs of a relay: its identity and the evidence
// an offline judgment uses, not its counters.
type Subject struct {
	Direction    mtalog.Direction     `json:"direction"`
	IP           netip.Addr           `json:"ip"`
	HELO         string               `json:"helo,omitempty"`
	HELOInferred bool                 `json:"helo_inferred,omitempty"`
	RDNS         string               `json:"rdns,omitempty"`
	MayBeForged  bool                 `json:"may_be_forged,omitempty"`
	MTA          parse.MTA            `json:"mta,omitempty"`
	Identity     int                  `json:"identity,omitempty"`
	Reported     map[problem.Name]int `json:"reported,omitempty"`
}

func (s *Subject) key() analyze.RelayKey { return analyze.RelayKey{Direction: s.Direction, IP: s.IP} }

func subjectOf(r *analyze.Relay) Subject {
	s := Subject{Direction: r.Direction, IP: r.IP, HELOInferred: r.HELOInferred, MayBeForged: r.MayBeForged,
		MTA: r.MTA, Identity: r.Identity, Reported: r.Reported}
	if len(r.HELO) > 0 {
		s.HELO = r.HELO[0]
	}
	if len(r.RDNSLogged) > 0 {
		s.RDNS = r.RDNSLogged[0]
	}
	return s
}

// relay is the Relay CheckRelay judges.
func (s *Subject) relay() *analyze.Relay {
	r := &analyze.Relay{RelayKey: s.key(), HELOInferred: s.HELOInferred, MayBeForged: s.MayBeForged, MTA: s.MTA,
		Identity: s.Identity, Reported: s.Reported}
	if s.HELO != "" {
		r.HELO = []string{s.HELO}
	}
	if s.RDNS != "" {
		r.RDNSLogged = []string{s.RDNS}
	}
	return r
}

// Episode is a relay found misaligned and alerted on, until it recovers.
type Episode struct {
	Subject
	Problem problem.Name  `json:"problem"`
	Owner   problem.Owner `json:"owner"`
	Fix     string        `json:"fix"`
	Detail  string        `json:"detail"`
	PTR     []string      `json:"ptr"`
	// Since is when the first alert was sent; Window when the last alert
	// (misaligned or summary) was, which starts the repeat window.
	Since  time.Time `json:"since"`
	Window time.Time `json:"window"`
	// Refusals, RefusedBy and Statuses are counted since Window; Total
	// since Since.
	Refusals  int      `json:"refusals"`
	RefusedBy []string `json:"refused_by"`
	Statuses  []string `json:"statuses"`
	Total     int      `json:"total"`
	Example   string   `json:"example"`
}

// LoadState reads a state file; a missing one is the empty state of a
// first run.
func LoadState(path string) (State, error) {
	st := State{Version: stateVersion}
	if path == "" {
		return st, nil
	}
	if err := logstream.LoadState(path, &st); err != nil {
		return State{}, err
	}
	if st.Version != stateVersion {
		return State{}, fmt.Errorf("%s: a state file of version %d, not %d: remove it to start afresh", path, st.Version, stateVersion)
	}
	return st, nil
}
