// Package dns is all of hopcheck's DNS. The Resolver interface answers one
// question and keeps "no such data" (an Answer) apart from "could not tell"
// (a *TempError); Client asks the network, Zone answers from master files,
// Overlay answers from files what they cover and from the network the rest,
// and Counting counts queries for metrics. Over any of them, Lookup follows
// CNAMEs (RFC 2317 delegations among them), and PTR, Addrs, ZoneOwnerOf
// and AskAuthoritative are the lookups an audit of a sending relay needs.
package dns
