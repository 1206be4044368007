// Package analyze judges the DNS identity of mail relays. Judge checks one
// identity — the IP a connection came from, the name it announced in HELO,
// what a receiver recorded of it — against PTR, forward-confirmed reverse
// DNS, generic provider names and the HELO's own resolution, and gives its
// problems (with the owner and the fix of each) and a verdict; offline, the
// same rules run on what the receiver recorded. Everything else is built on
// Judge: Analyze and Message judge a message's path and pick the hop the
// receiver judged, Aggregator and Recheck fold MTA log events into relays
// and judge them, and the check and tail commands judge targets directly.
//
// All DNS goes through a dns.Resolver.
package analyze
