package parse

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestReadInventory(t *testing.T) {
	in := "# our outbound relays\n192.0.2.10 mail.example.test\n\n  2001:db8::25\tmail6.example.test # v6\nrelay.example.test\n[2001:db8::26]\r\n"
	got, err := ReadInventory(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []InventoryEntry{{2, "192.0.2.10", "mail.example.test"}, {4, "2001:db8::25", "mail6.example.test"}, {5, "relay.example.test", ""}, {6, "[2001:db8::26]", ""}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v", got)
	}
	for _, bad := range []struct{ in, says string }{
		{"192.0.2.10 a b\n", "line 1: 3 fields"},
		{"ok.example\nnot_a_host!\n", "line 2:"},
		{"localhost\n", "line 1:"},
		{"a.example " + strings.Repeat("x", 2000) + "\n", "line 1: line over 1024 bytes"},
	} {
		_, err := ReadInventory(strings.NewReader(bad.in))
		if err == nil || !strings.Contains(err.Error(), bad.says) {
			t.Errorf("%q: error %v, want %q", bad.in[:min(len(bad.in), 30)], err, bad.says)
		}
	}
	_, err = ReadInventory(strings.NewReader(strings.Repeat("192.0.2.1\n", MaxInventoryEntries+1)))
	if !errors.Is(err, ErrTooLarge) {
		t.Errorf("an oversized inventory: %v", err)
	}
}

func FuzzReadInventory(f *testing.F) {
	for _, s := range []string{"192.0.2.10 mail.example.test\n", "# c\n\n[2001:db8::1]\n", "a.example b.example c\n", "\x00\xff\n", strings.Repeat("x", 1100)} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		es, err := ReadInventory(strings.NewReader(string(data)))
		if err != nil {
			var ie *InputError
			if !errors.As(err, &ie) || ie.Line < 1 {
				t.Fatalf("error without a line: %v", err)
			}
			return
		}
		for _, e := range es {
			if !validTarget(e.Target) || strings.ContainsAny(e.Target+e.HELO, " \t\n#") {
				t.Fatalf("entry %+v", e)
			}
		}
	})
}
