package logstream

import "time"

// Line is one line of a log, without its "\n" and a trailing "\r".
type Line struct {
	Text string
	// Pos is where the line ends: resuming from it delivers the next line.
	Pos Position
	// Truncated says Text holds only the first MaxLine bytes of the line.
	Truncated bool
}

// Position is a point in a log that a later run can resume from. Save the
// Pos of the last Line handled; it is plain JSON.
type Position struct {
	Path string `json:"path,omitempty"`
	// Dev and Inode name the file that Offset is in: after a rotation the
	// path names another file, and the old one is found by them.
	Dev   uint64 `json:"dev,omitempty"`
	Inode uint64 `json:"inode,omitempty"`
	// Offset is the byte offset just after the line, in that file (for a
	// stream, bytes read from it).
	Offset int64 `json:"offset,omitempty"`
	// Cursor is the journal's cursor of the entry.
	Cursor string `json:"cursor,omitempty"`
}

// Source delivers lines until it is stopped or its input ends.
type Source interface {
	// Lines is closed when the source ends or after Stop.
	Lines() <-chan Line
	// Stop ends the source and releases its file or child process. Lines
	// not yet received are dropped: resuming from the last received Pos
	// delivers them again. The error is why the source ended, if it failed.
	Stop() error
	// Reopen asks a followed file to be opened again by name, as on SIGHUP;
	// other sources ignore it.
	Reopen()
	Stats() Stats
}

// Stats counts what a Source went through.
type Stats struct {
	Lines        int64
	Rotations    int64 // switches to another file: rotated, deleted and re-created
	Truncations  int64 // the file became shorter than what was read
	ReopenErrors int64 // the file could not be opened, or was lost before its end was read
	LastLine     time.Time
}
