package watch

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"hopcheck/analyze"
	"hopcheck/logstream"
)

// result handles a check's verdict: the alert decision.
func (e *Engine) result(r result) {
	k := r.s.key()
	e.queue.done(k)
	e.metrics.pending.Set(float64(e.queue.size()))
	e.stats.checks.Add(1)
	v := r.v.Verdict
	e.metrics.checks.WithLabelValues(string(v.Status)).Inc()
	now := e.opts.Now()
	ep := e.episodes[k]
	switch v.Status {
	case analyze.Misaligned:
		if ep != nil && ep.Problem == v.Problem {
			return // inside its episode: counted, summed up at the window's end
		}
		if ep != nil {
			e.close(ep) // another problem now: alerted as new
		}
		e.open(r.s, r.v, now)
	case analyze.Aligned:
		if ep == nil {
			return
		}
		a := ep.alert(Recovered, now)
		a.Reason, a.PTR = ReasonAligned, append([]string{}, r.v.Checks.PTR...)
		a.Refusals, a.Since = ep.Total, ep.Since
		e.close(ep)
		e.emit(a)
	default:
		if b := v.Blocker; b != "" && !e.blocked[b] && r.s.Identity > 0 {
			e.blocked[b] = true
			if e.opts.Blocked != nil {
				e.opts.Blocked(b)
			}
		}
	}
}

// open starts an episode with its first alert, from what the log says of
// the relay so far.
func (e *Engine) open(s Subject, rv analyze.RelayVerdict, now time.Time) {
	v := rv.Verdict
	ep := &Episode{Subject: s, Problem: v.Problem, Owner: v.Owner, Fix: v.Fix, Detail: v.Detail,
		PTR: append([]string{}, rv.Checks.PTR...), Since: now, Window: now}
	ep.HELO = v.HELO // the name checked: not a short syslog host name
	a := ep.alert(Misaligned, now)
	if rel, ok := e.agg.Relay(s.key()); ok {
		a.Refusals = rel.Identity
		if e.opts.All {
			a.Refusals = rel.Count
		}
		a.RefusedBy = append([]string{}, rel.RefusedBy...)
		a.Statuses = statuses(rel.Replies)
		a.Since = rel.First
		if len(rel.Examples) > 0 {
			a.Example = rel.Examples[0]
		}
	}
	ep.Total, ep.Example = a.Refusals, a.Example
	if len(e.episodes) >= maxEpisodes {
		e.close(e.oldestEpisode())
	}
	e.episodes[s.key()] = ep
	e.metrics.setMisaligned(ep.Direction.String(), addrString(ep.IP), ep.Problem, true)
	e.emit(a)
}

func (e *Engine) close(ep *Episode) {
	delete(e.episodes, ep.key())
	e.metrics.setMisaligned(ep.Direction.String(), addrString(ep.IP), ep.Problem, false)
}

func (e *Engine) oldestEpisode() *Episode {
	var old *Episode
	for _, ep := range e.episodes {
		if old == nil || ep.Window.Before(old.Window) {
			old = ep
		}
	}
	return old
}

// statuses lists the enhanced statuses of replies about reverse DNS or
// HELO, most frequent first.
func statuses(rs []analyze.ReplyCount) []string {
	counts := map[string]int{}
	for _, r := range rs {
		if r.Status != "" && r.About() {
			counts[r.Status] += r.Count
		}
	}
	list := slices.Sorted(maps.Keys(counts))
	slices.SortStableFunc(list, func(a, b string) int { return counts[b] - counts[a] })
	return list[:min(len(list), maxListed)]
}

// alert is an alert about the episode, its window's counts filled in.
func (ep *Episode) alert(kind Kind, now time.Time) Alert {
	return Alert{Time: now, Kind: kind, Direction: ep.Direction.String(), IP: addrString(ep.IP), HELO: ep.HELO,
		Problem: ep.Problem, Owner: ep.Owner, Fix: ep.Fix, Detail: ep.Detail, PTR: append([]string{}, ep.PTR...),
		Refusals: ep.Refusals, RefusedBy: append([]string{}, ep.RefusedBy...), Statuses: append([]string{}, ep.Statuses...),
		Example: ep.Example, Since: ep.Window}
}

// tick ends the repeat windows that are over, queues the re-checks of
// misaligned relays that are due and saves the state when it is time.
func (e *Engine) tick() {
	now := e.opts.Now()
	eps := slices.SortedFunc(maps.Values(e.episodes), func(a, b *Episode) int {
		if c := a.Window.Compare(b.Window); c != 0 {
			return c
		}
		return a.IP.Compare(b.IP)
	})
	for _, ep := range eps {
		if now.Sub(ep.Window) >= e.opts.Repeat {
			if ep.Refusals == 0 {
				a := ep.alert(Recovered, now)
				a.Reason, a.Refusals, a.Since = ReasonQuiet, ep.Total, ep.Since
				e.close(ep)
				e.emit(a)
				continue
			}
			e.emit(ep.alert(Summary, now))
			ep.Window, ep.Refusals, ep.RefusedBy, ep.Statuses = now, 0, nil, nil
		}
		if last, ok := e.checked[ep.key()]; !ok || now.Sub(last) >= e.opts.Recheck {
			e.enqueue(ep.Subject, now)
		}
	}
	if e.mustSave || e.posMoved && time.Since(e.lastSave) >= saveEvery {
		e.save(false)
	}
}

// emit sends an alert; the state is saved soon after.
func (e *Engine) emit(a Alert) {
	a.decide(e.opts.Repeat)
	if a.PTR == nil {
		a.PTR = []string{}
	}
	if a.RefusedBy == nil {
		a.RefusedBy = []string{}
	}
	if a.Statuses == nil {
		a.Statuses = []string{}
	}
	if e.opts.Alert != nil {
		if err := e.opts.Alert(a); err != nil && e.emitError == nil {
			e.emitError = fmt.Errorf("writing an alert: %w", err)
		}
	}
	e.stats.alerts.Add(1)
	e.metrics.alerts.WithLabelValues(string(a.Kind)).Inc()
	e.mustSave = true
}

// save writes the state atomically; a failure is told once and tried again
// at the next occasion.
func (e *Engine) save(final bool) {
	e.lastSave = time.Now()
	if e.opts.StatePath == "" {
		return
	}
	st := State{Version: stateVersion, Position: e.pos, Saved: e.opts.Now(),
		Episodes: make([]Episode, 0, len(e.episodes)), Pending: e.queue.snapshot(maxSavedPending)}
	for _, ep := range e.episodes {
		st.Episodes = append(st.Episodes, *ep)
	}
	slices.SortFunc(st.Episodes, func(a, b Episode) int {
		if c := a.Since.Compare(b.Since); c != 0 {
			return c
		}
		return strings.Compare(a.IP.String(), b.IP.String())
	})
	if err := logstream.SaveState(e.opts.StatePath, st); err != nil {
		e.metrics.saveErrors.Inc()
		if msg := err.Error(); msg != e.saveErr || final {
			e.saveErr = msg
			e.logf("saving the state: %v", err)
		}
		return
	}
	e.saveErr, e.mustSave, e.posMoved = "", false, false
}

func (e *Engine) logf(format string, args ...any) {
	if e.opts.Logf != nil {
		e.opts.Logf(format, args...)
	}
}
