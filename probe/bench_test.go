package probe

import (
	"bufio"
	"strings"
	"testing"
)

// BenchmarkReadReply reads a typical ten-line EHLO reply.
func BenchmarkReadReply(b *testing.B) {
	const in = "250-mail.example.test Hello client.example.test [192.0.2.1]\r\n" +
		"250-PIPELINING\r\n250-SIZE 52428800\r\n250-ETRN\r\n250-STARTTLS\r\n" +
		"250-AUTH PLAIN LOGIN\r\n250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n" +
		"250-DSN\r\n250 SMTPUTF8\r\n"
	src := strings.NewReader(in)
	br := bufio.NewReader(src)
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		src.Reset(in)
		br.Reset(src)
		if _, err := readReply(br); err != nil {
			b.Fatal(err)
		}
	}
}
