// Package watch is the alerting engine of hopcheck tail: it turns the lines
// of a live mail log into alerts and metrics.
//
// Each line goes through the parser and the aggregator that hopcheck logs
// uses. A refusal about reverse DNS or HELO queues a re-check of the relay
// (analyze.CheckRelay, the one identity judgment), at most once per
// interval per relay, by a few workers whose DNS is cached, deduplicated
// and paced by the resolver they are given. A misaligned verdict is an
// alert; the same relay and problem alert once per repeat window, then a
// summary with the counts; a relay aligned again on a periodic re-check,
// or no longer refused for a whole window, is a recovery.
//
// Everything but the DNS work happens in the goroutine of Engine.Run, with
// an injectable clock, which also dates classic syslog stamps. The
// position in the log, the open alerts and the checks still to make are
// saved as State, so that a restart loses no line, reads none twice and
// repeats no alert inside its window.
package watch
