// Package parse turns what users paste or point at into hops: it reads a
// message's header section (whole .eml, a headers-only paste, an mbox entry)
// and parses each Received field. It is pure: bytes in, values out, no I/O
// beyond the reader it is given.
package parse
