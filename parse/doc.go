// Package parse turns what users paste or point at into hops: it reads a
// message's header section (whole .eml, a headers-only paste, an mbox
// entry, and the shapes pastes take — quoted, Gmail's "Show original" page,
// Outlook's "Internet headers" box, lost indentation — recognised in one
// place, paste.go, and named in Message.Shape), tells input that is no
// message at all from an empty verdict (Input), parses each Received field
// into a Hop and names the MTA that wrote it (StampMTA), and recognises a
// bounce in a message (ReadBounce):
// an RFC 3464 delivery status, the human-readable notice of each bounce
// family it knows (one file each, bounce_NAME.go), and the returned
// original. Bounce replies are kept as quoted; package reply classifies
// them. It is pure: bytes in, values out, no I/O beyond the reader it is
// given.
package parse
