package textutil

import (
	"net/netip"
	"strings"
	"testing"
	"unicode/utf8"
	"unsafe"
)

func TestIndexFold(t *testing.T) {
	for _, c := range []struct {
		s, sub string
		want   int
	}{
		{"Remote Server returned '550'", "remote server returned '", 0},
		{"x: REMOTE SERVER RETURNED '", "Remote Server returned '", 3},
		{"smtp;550", "SMTP;", 0},
		{"abc", "", 0},
		{"", "a", -1},
		{"ab", "abc", -1},
		{"aaab", "AAB", 1},
		{"\u212a", "k", -1}, // Kelvin sign: Unicode folds it to k, ASCII folding does not
		{"stra\xdfe", "STRA\xdfE", 0},
		{"no match here", "said:", -1},
	} {
		if got := IndexFold(c.s, c.sub); got != c.want {
			t.Errorf("IndexFold(%q, %q) = %d, want %d", c.s, c.sub, got, c.want)
		}
	}
}

func TestCut(t *testing.T) {
	for _, c := range []struct {
		s    string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"exact", 5, "exact"},
		{"abcdef", 3, "abc…"},
		{"añb", 2, "a…"}, // ñ is two bytes: the cut backs off before it
		{"añb", 3, "añ…"},
		{"€uro", 1, "…"},
		{"€uro", 2, "…"},
		{"€uro", 3, "€…"},
		{"abc", 0, "…"},
		{"abc", -1, "…"},
		{"", 0, ""},
	} {
		got := Cut(c.s, c.n)
		if got != c.want || !utf8.ValidString(got) && utf8.ValidString(c.s) {
			t.Errorf("Cut(%q, %d) = %q, want %q", c.s, c.n, got, c.want)
		}
	}
	big := strings.Repeat("x", 1<<20)
	for _, n := range []int{20, 5} {
		if got := Cut(big[:10], n); unsafe.StringData(got) == unsafe.StringData(big) {
			t.Errorf("Cut(s, %d) shares the bytes of s", n)
		}
	}
}

func TestParseAddr(t *testing.T) {
	for _, c := range []struct {
		in   string
		want string // "" for none
		port bool
	}{
		{"192.0.2.1", "192.0.2.1", false},
		{"[192.0.2.1]", "192.0.2.1", false},
		{"[192.0.2.1]:25", "192.0.2.1", true},
		{"192.0.2.1:25", "192.0.2.1", true},
		{"[192.0.2.1]:", "", false},
		{"[192.0.2.1]x", "", false},
		{"[192.0.2.1:25]", "", false},
		{"[192.0.2.1", "", false},
		{"2001:db8::1", "2001:db8::1", false},
		{"[2001:db8::1]:587", "2001:db8::1", true},
		{"IPv6:2001:db8::1", "2001:db8::1", false},
		{"[IPv6:2001:db8::25]", "2001:db8::25", false},
		{"ipv6:2001:db8::1", "2001:db8::1", false},
		{"[IPv6:::ffff:192.0.2.132]", "192.0.2.132", false},
		{"::ffff:198.51.100.131", "198.51.100.131", false},
		{"[2001:db8:5::1%5]", "2001:db8:5::1", false},
		{"fe80::1%eth0", "fe80::1", false},
		{"::", "::", false},
		{"192.0.2.01", "", false},
		{"192.0.2.256", "", false},
		{"192.0.2", "", false},
		{"192.0.2.1%eth0", "", false},
		{"mail.example.test", "", false},
		{"deadbeef", "", false},
		{"cafe:25", "", false},
		{"unknown", "", false},
		{"", "", false},
		{"[]", "", false},
		{"2001:db8::g", "", false},
	} {
		a, port := ParseAddr(c.in)
		got := ""
		if a.IsValid() {
			got = a.String()
		}
		if got != c.want || port != c.port {
			t.Errorf("ParseAddr(%q) = %q, %v; want %q, %v", c.in, got, port, c.want, c.port)
		}
		if b, bport := ParseAddr([]byte(c.in)); b != a || bport != port {
			t.Errorf("ParseAddr([]byte(%q)) = %v, %v; the string gave %v, %v", c.in, b, bport, a, port)
		}
	}
}

func TestParseAddrAllocs(t *testing.T) {
	line := []byte("192.0.2.1")
	name := []byte("mail.example.test")
	if n := testing.AllocsPerRun(100, func() { ParseAddr(line); ParseAddr(name) }); n != 0 {
		t.Errorf("%v allocations reading an IPv4 address and a name, want 0", n)
	}
}

// FuzzParseAddr: string and bytes agree, and whatever is read is a
// plain address: no zone, no mapped IPv4.
func FuzzParseAddr(f *testing.F) {
	for _, s := range []string{"192.0.2.1", "[192.0.2.1]:25", "IPv6:2001:db8::1", "[::ffff:1.2.3.4]", "fe80::1%x", "[", "1:2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, port := ParseAddr(s)
		if b, bport := ParseAddr([]byte(s)); a != b || port != bport {
			t.Fatalf("string %v %v, bytes %v %v", a, port, b, bport)
		}
		if a.IsValid() && (a.Zone() != "" || a.Is4In6()) {
			t.Fatalf("%q read as %v", s, a)
		}
		if !a.IsValid() && port {
			t.Fatal("port without an address")
		}
		if a.IsValid() {
			if _, err := netip.ParseAddr(a.String()); err != nil {
				t.Fatal(err)
			}
		}
	})
}
