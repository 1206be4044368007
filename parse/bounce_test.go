package parse

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const bounceDir = "../testdata/bounces"

// bounceView is a Bounce as the tests compare it: the original reduced to
// what the caller uses, its Received values and subject.
type bounceView struct {
	Family           string            `json:"family"`
	ReportingMTA     string            `json:"reporting_mta"`
	ReceivedFromMTA  string            `json:"received_from_mta"`
	ArrivalDate      time.Time         `json:"arrival_date"`
	Recipients       []BounceRecipient `json:"recipients"`
	OriginalType     string            `json:"original_type"`
	OriginalReceived []string          `json:"original_received"`
	OriginalSubject  string            `json:"original_subject"`
}

func viewBounce(b *Bounce) *bounceView {
	if b == nil {
		return nil
	}
	v := &bounceView{
		Family:          b.Family,
		ReportingMTA:    b.ReportingMTA,
		ReceivedFromMTA: b.ReceivedFromMTA,
		ArrivalDate:     b.ArrivalDate,
		Recipients:      b.Recipients,
		OriginalType:    b.OriginalType,
	}
	if b.Original != nil {
		v.OriginalReceived = b.Original.Received()
		v.OriginalSubject, _ = b.Original.Header.Text("Subject")
	}
	return v
}

func readBounceFile(t testing.TB, path string) (*Bounce, error) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, err := ReadMessage(f, DefaultLimits)
	if err != nil {
		t.Fatalf("ReadMessage: %v", err)
	}
	return ReadBounce(m, DefaultLimits)
}

func TestReadBounceSamples(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join(bounceDir, "*.eml"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no samples in %s: %v", bounceDir, err)
	}
	for _, path := range paths {
		name := strings.TrimSuffix(filepath.Base(path), ".eml")
		t.Run(name, func(t *testing.T) {
			b, err := readBounceFile(t, path)
			if err != nil {
				t.Fatalf("ReadBounce: %v", err)
			}
			got, err := json.MarshalIndent(viewBounce(b), "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			wantPath := strings.TrimSuffix(path, ".eml") + ".want.json"
			if os.Getenv("HOPCHECK_UPDATE") != "" { // make golden
				if err := os.WriteFile(wantPath, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(wantPath)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs:\ngot:\n%s\nwant:\n%s", wantPath, got, want)
			}
			if strings.HasPrefix(name, "none-") != (b == nil) {
				t.Errorf("bounce = %v; samples named none-* and only they must read as no bounce", b != nil)
			}
		})
	}
}

func TestReadBounceNotABounce(t *testing.T) {
	tests := []struct{ name, in string }{
		{"plain message", "From: a@example.test\nSubject: hi\n\nhello\n"},
		{"headers only", "Received: " + stampTop + "\n"},
		{"empty", ""},
		{"pasted prose", "I think the mail server is down.\nCan you look?\n"},
		{"report without recipients", "Content-Type: multipart/report; report-type=delivery-status; boundary=b\n\n--b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; relay.example.test\n\n--b--\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := ReadMessage(strings.NewReader(tc.in), DefaultLimits)
			if err != nil {
				t.Fatal(err)
			}
			b, err := ReadBounce(m, DefaultLimits)
			if b != nil || err != nil {
				t.Fatalf("ReadBounce = %+v, %v; want nil, nil", b, err)
			}
		})
	}
	if b, err := ReadBounce(nil, DefaultLimits); b != nil || err != nil {
		t.Fatalf("ReadBounce(nil) = %+v, %v", b, err)
	}
}

func dsnWith(groups int, original string) string {
	var s strings.Builder
	s.WriteString("Content-Type: multipart/report; report-type=delivery-status; boundary=b\n\n--b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; relay.example.test\n")
	for i := range groups {
		fmt.Fprintf(&s, "\nFinal-Recipient: rfc822; r%d@example.test\nAction: failed\nStatus: 5.7.1\n", i)
	}
	s.WriteString("\n--b\nContent-Type: text/rfc822-headers\n\n" + original + "\n--b--\n")
	return s.String()
}

func TestReadBounceLimits(t *testing.T) {
	lim := Limits{MaxHeaderBytes: 4 << 10, MaxBodyBytes: 1 << 20}
	nested := "Content-Type: multipart/report; report-type=delivery-status; boundary=b0\n\n"
	for i := range 8 {
		nested += fmt.Sprintf("--b%d\nContent-Type: multipart/mixed; boundary=b%d\n\n", i, i+1)
	}
	tests := []struct {
		name string
		in   string
	}{
		{"too many recipients", dsnWith(maxBounceRecipient+1, "Subject: x\n")},
		{"original header too large", dsnWith(1, "Received: "+strings.Repeat("x", 8<<10)+"\n")},
		{"nested too deep", nested},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := ReadMessage(strings.NewReader(tc.in), lim)
			if err != nil {
				t.Fatal(err)
			}
			b, err := ReadBounce(m, lim)
			if !errors.Is(err, ErrTooLarge) {
				t.Fatalf("ReadBounce = %+v, %v; want ErrTooLarge", b, err)
			}
		})
	}
	t.Run("most recipients allowed", func(t *testing.T) {
		m, err := ReadMessage(strings.NewReader(dsnWith(maxBounceRecipient, "Subject: x\n")), lim)
		if err != nil {
			t.Fatal(err)
		}
		b, err := ReadBounce(m, lim)
		if err != nil || len(b.Recipients) != maxBounceRecipient {
			t.Fatalf("ReadBounce: %v", err)
		}
	})
}

// TestReadBounceMangledOriginal checks that a returned original cut by a
// line that is no header field keeps the fields above it.
func TestReadBounceMangledOriginal(t *testing.T) {
	in := dsnWith(1, "Received: "+stampTop+"\nSubject: x\nthis line is no field\nTo: y@example.test")
	m, err := ReadMessage(strings.NewReader(in), DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	b, err := ReadBounce(m, DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	if b.Original == nil || len(b.Original.Received()) != 1 || b.Original.Header.Get("To") != "" {
		t.Fatalf("original = %+v", b.Original)
	}
}

func FuzzReadBounce(f *testing.F) {
	paths, _ := filepath.Glob(filepath.Join(bounceDir, "*.eml"))
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(dsnWith(3, "Received: x\n")))
	f.Add([]byte("Content-Type: multipart/report; boundary=b\n\n--b\nContent-Type: message/delivery-status\n\nFinal-Recipient: ;\n Diagnostic-Code: ;\n\n--b"))
	f.Add([]byte("<a@b>:\n<\n--- Below this line is\n"))
	f.Add([]byte("Content-Type: text/html\n\n<style <script></sty</STYLE><p>Generating server:<br>a@b<br>Remote Server returned '<x #5 smtp;>'"))
	f.Fuzz(func(t *testing.T, in []byte) {
		lim := Limits{MaxHeaderBytes: 8 << 10, MaxBodyBytes: 64 << 10}
		m, err := ReadMessage(bytes.NewReader(in), lim)
		if err != nil {
			return
		}
		b, err := ReadBounce(m, lim)
		if err != nil || b == nil {
			return
		}
		if n := len(b.Recipients); n == 0 || n > maxBounceRecipient {
			t.Fatalf("%d recipients", n)
		}
		if b.Family == "" || (b.Original == nil) != (b.OriginalType == "") {
			t.Fatalf("family %q, original %v, type %q", b.Family, b.Original != nil, b.OriginalType)
		}
	})
}

func BenchmarkReadBounce(b *testing.B) {
	for _, name := range []string{"dsn-gmail-5.7.25", "exim-text", "exchange-html-only"} {
		data, err := os.ReadFile(filepath.Join(bounceDir, name+".eml"))
		if err != nil {
			b.Fatal(err)
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				m, err := ReadMessage(bytes.NewReader(data), DefaultLimits)
				if err != nil {
					b.Fatal(err)
				}
				if bo, err := ReadBounce(m, DefaultLimits); bo == nil || err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
