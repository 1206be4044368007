package watch

import (
	"io"

	"hopcheck/logstream"
)

// Input says which log to follow.
type Input struct {
	// Path is a file followed across rotations; "-" reads Stdin as a
	// stream. Ignored with Journal.
	Path  string
	Stdin io.Reader
	// Journal follows the systemd journal's Units (default
	// logstream.DefaultJournalUnits) with JournalCommand (default
	// journalctl).
	Journal        bool
	Units          []string
	JournalCommand string
	// FromStart reads what the file or journal already holds; by default
	// only what comes after the start is read. A saved position wins.
	FromStart bool
	// Logger receives the follower's notices (rotations, waiting).
	Logger func(string)
}

// Open starts reading in, resuming just after pos when pos is of the same
// input (a file's path, or a journal cursor). A file followed from its end
// gets its position now, so that a state saved before the first line
// still resumes there.
func Open(in Input, pos logstream.Position) (logstream.Source, error) {
	switch {
	case in.Journal:
		return logstream.Journal(logstream.JournalOptions{Command: in.JournalCommand, Units: in.Units,
			AfterCursor: pos.Cursor, FromStart: in.FromStart})
	case in.Path == "-":
		return logstream.Stream(in.Stdin), nil
	}
	opts := logstream.FollowOptions{FromStart: in.FromStart, Logger: in.Logger}
	switch {
	case pos.Inode != 0:
		opts.Resume = &pos
	case !in.FromStart:
		if p, ok := endOf(in.Path); ok {
			opts.Resume = &p
		}
	}
	return logstream.Follow(in.Path, opts)
}
