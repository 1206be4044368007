package logstream

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const (
	logA = "Nov 29 16:00:01 mx1 postfix/smtp[4242]: 4F1A2B3C4D: to=<ops@example.test>, relay=mx.example.test[198.51.100.25]:25, status=bounced (host mx.example.test[198.51.100.25] said: 550 5.7.25 reverse DNS does not match SMTP banner)\n"
	logB = "Nov 29 16:00:02 mx1 postfix/smtpd[4243]: connect from unknown[203.0.113.9]\n"
)

func gz(t *testing.T, s string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := zw.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestOpen(t *testing.T) {
	dir := t.TempDir()
	plain := strings.Repeat(logA+logB, 500)
	member := gz(t, plain)
	tests := []struct {
		name    string
		data    []byte
		want    string
		wantErr bool
	}{
		{"plain", []byte(plain), plain, false},
		{"empty", nil, "", false},
		{"one byte", []byte("x"), "x", false},
		{"gzip without .gz", member, plain, false},
		{"concatenated members", append(gz(t, logA), gz(t, logB)...), logA + logB, false},
		{"truncated gzip", member[:len(member)/2], "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "_")+".log")
			if err := os.WriteFile(name, tt.data, 0o644); err != nil {
				t.Fatal(err)
			}
			for _, viaStdin := range []bool{false, true} {
				arg := name
				if viaStdin {
					arg = "-"
				}
				rc, err := Open(arg, bytes.NewReader(tt.data))
				if err != nil {
					t.Fatal(err)
				}
				got, err := io.ReadAll(rc)
				rc.Close()
				if !tt.wantErr {
					if err != nil || string(got) != tt.want {
						t.Fatalf("stdin %v: got %d bytes, %v; want %d bytes", viaStdin, len(got), err, len(tt.want))
					}
					continue
				}
				if !errors.Is(err, io.ErrUnexpectedEOF) || !strings.Contains(err.Error(), "truncated") {
					t.Fatalf("stdin %v: error %v, want a truncated stream", viaStdin, err)
				}
				// What came before the cut is delivered, and it is the
				// start of the file.
				if len(got) == 0 || !strings.HasPrefix(plain, string(got)) {
					t.Fatalf("stdin %v: got %d bytes before the error, not a prefix of the file", viaStdin, len(got))
				}
			}
		})
	}
}

func TestOpenMissing(t *testing.T) {
	if _, err := Open(filepath.Join(t.TempDir(), "mail.log"), nil); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("got %v, want not exist", err)
	}
}

func TestOpenKeepsStdinOpen(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	go func() {
		w.Write([]byte(logB))
		w.Close()
	}()
	rc, err := Open("-", r)
	if err != nil {
		t.Fatal(err)
	}
	if err := rc.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Stat(); err != nil {
		t.Fatalf("stdin closed by Close: %v", err)
	}
}
