package parse

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strings"
)

// InventoryEntry is one server of an inventory: an IP or a host name, and
// the name it announces in HELO when it sends ("" when not said).
type InventoryEntry struct {
	Line   int
	Target string
	HELO   string
}

// Bounds of an inventory: a fleet, not a data set.
const (
	MaxInventoryEntries       = 100000
	maxInventoryLine    int64 = 1024
)

// ReadInventory reads an inventory of sending servers: one per line, the
// target (IPv4, IPv6, or a host name) then optionally its HELO name,
// separated by blanks; '#' starts a comment; blank lines are skipped. An
// error names the line.
func ReadInventory(r io.Reader) ([]InventoryEntry, error) {
	br := bufio.NewReaderSize(r, 4096)
	var out []InventoryEntry
	for n := 1; ; n++ {
		line, err := readLine(br, maxInventoryLine)
		if errors.Is(err, ErrTooLarge) {
			return nil, &InputError{Line: n, Err: fmt.Errorf("line over %d bytes: %w", maxInventoryLine, ErrTooLarge)}
		}
		if len(line) == 0 && err != nil {
			if err == io.EOF {
				return out, nil
			}
			return nil, &InputError{Line: n, Err: err}
		}
		text, _, _ := strings.Cut(string(line), "#")
		fields := strings.Fields(text)
		switch {
		case len(fields) == 0:
			continue
		case len(fields) > 2:
			return nil, &InputError{Line: n, Err: fmt.Errorf("%d fields: want a target and optionally its HELO name", len(fields))}
		}
		e := InventoryEntry{Line: n, Target: fields[0]}
		if len(fields) == 2 {
			e.HELO = fields[1]
		}
		if !validTarget(e.Target) {
			return nil, &InputError{Line: n, Err: fmt.Errorf("%q is neither an IP address nor a host name", e.Target)}
		}
		if len(out) == MaxInventoryEntries {
			return nil, &InputError{Line: n, Err: fmt.Errorf("more than %d servers: %w", MaxInventoryEntries, ErrTooLarge)}
		}
		out = append(out, e)
	}
}

// validTarget accepts an address (IPv6 may be bracketed) or a host name of
// letters, digits, hyphens, underscores and dots.
func validTarget(s string) bool {
	if _, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")); err == nil {
		return true
	}
	if len(s) > 253 || !strings.Contains(s, ".") {
		return false
	}
	for _, label := range strings.Split(strings.TrimSuffix(s, "."), ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i] | 0x20
			if !(c >= 'a' && c <= 'z' || label[i] >= '0' && label[i] <= '9' || label[i] == '-' || label[i] == '_') {
				return false
			}
		}
	}
	return true
}

// readLine reads one line including its end, failing with ErrTooLarge once
// more than max bytes would be needed.
func readLine(br *bufio.Reader, max int64) ([]byte, error) {
	var out []byte
	for {
		chunk, err := br.ReadSlice('\n')
		if int64(len(out)+len(chunk)) > max {
			return nil, fmt.Errorf("line over %d bytes: %w", max, ErrTooLarge)
		}
		out = append(out, chunk...)
		if !errors.Is(err, bufio.ErrBufferFull) {
			return out, err
		}
	}
}
