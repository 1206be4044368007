package logstream

import (
	"os"
	"path/filepath"
	"testing"
)

func TestState(t *testing.T) {
	type state struct {
		Pos    Position
		Alerts map[string]int
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "tail.state")
	var got state
	if err := LoadState(path, &got); err != nil || got.Alerts != nil {
		t.Fatalf("missing file: %v, %+v", err, got)
	}
	want := state{Pos: Position{Path: "/var/log/mail.log", Dev: 2049, Inode: 1234567, Offset: 98765}, Alerts: map[string]int{"198.51.100.25": 3}}
	for range 2 { // the second write replaces the first
		if err := SaveState(path, want); err != nil {
			t.Fatal(err)
		}
	}
	if err := LoadState(path, &got); err != nil {
		t.Fatal(err)
	}
	if got.Pos != want.Pos || got.Alerts["198.51.100.25"] != 3 {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("temporary files left: %v", entries)
	}
	if err := os.WriteFile(path, []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := LoadState(path, &got); err == nil {
		t.Fatal("a damaged state file loaded without error")
	}
	if err := SaveState(filepath.Join(dir, "no", "such", "dir"), want); err == nil {
		t.Fatal("saved into a missing directory")
	}
}
