// Package analyze re-checks the DNS identity of every hop of a mail path —
// PTR, forward-confirmed reverse DNS, HELO against both, generic provider
// names, drift from what the receiver recorded — and judges the hop the
// receiver judged: which relay is misaligned, why, who fixes it and how.
//
// All DNS goes through the Resolver interface: Client asks the network,
// Zone answers from master files, and Analyze works the same with either.
package analyze
