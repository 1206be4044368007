package logstream

import (
	"bufio"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
)

// Open opens a whole log for a scan: "-" is stdin, and gzip data is
// decompressed whatever the file's name (rotated logs are often renamed).
// Concatenated gzip members are read as one. A gzip stream that ends early
// delivers what it held and then an error wrapping io.ErrUnexpectedEOF, so
// that a caller can warn and still report on what was read. Closing the
// result never closes stdin.
func Open(name string, stdin io.Reader) (io.ReadCloser, error) {
	var (
		r      io.Reader = stdin
		closer io.Closer = io.NopCloser(nil)
	)
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return nil, err
		}
		r, closer = f, f
	}
	br := bufio.NewReaderSize(r, 64<<10)
	if magic, _ := br.Peek(2); len(magic) < 2 || magic[0] != 0x1f || magic[1] != 0x8b {
		return readCloser{br, closer}, nil
	}
	zr, err := gzip.NewReader(br)
	if err != nil {
		closer.Close()
		return nil, gzipError(name, err)
	}
	return readCloser{&gunzip{zr: zr, name: name}, closer}, nil
}

type readCloser struct {
	io.Reader
	io.Closer
}

// gunzip names the input in gzip's errors and says "truncated" where gzip
// only says "unexpected EOF".
type gunzip struct {
	zr   *gzip.Reader
	name string
}

func (g *gunzip) Read(p []byte) (int, error) {
	n, err := g.zr.Read(p)
	if err != nil && err != io.EOF {
		err = gzipError(g.name, err)
	}
	return n, err
}

func gzipError(name string, err error) error {
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%s: gzip stream truncated, the rest is lost: %w", name, err)
	}
	return fmt.Errorf("%s: gzip: %w", name, err)
}
