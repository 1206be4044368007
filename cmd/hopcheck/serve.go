package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"hopcheck/web"
)

var serveUsage = `Usage: hopcheck serve [flags]

Serves a page where you paste a message's headers or a bounce (or choose an
.eml file) and get the HTML report, with links to download it and its JSON.
The page runs no script; nothing pasted is stored or logged. It listens on
loopback unless told otherwise.

Flags:
  --listen ADDR        address to listen on (default 127.0.0.1:8026)
  --redact             redact the local parts of email addresses and
                       Message-IDs in every report
  --resolver ADDR      DNS server to ask, an IP[:PORT], repeatable
                       (default: /etc/resolv.conf)
  --zone FILE          answer DNS from a zone file, repeatable (no network);
                       with --resolver, the file answers the names it covers
  --offline            no DNS at all: judge from what was recorded
  --internal CIDR      internal sender ranges, repeatable
  --timeout DURATION   timeout of each DNS query attempt (default 3s)

Examples:
  hopcheck serve
  hopcheck serve --zone testdata/demo/world.zone
  hopcheck serve --listen 127.0.0.1:9000 --redact
`

func runServe(args []string, e env) int {
	var c common
	fs := newFlagSet("serve")
	c.register(fs)
	listen := fs.String("listen", "127.0.0.1:8026", "listen on `ADDR`")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return flagExit(err, serveUsage, e)
	}
	if len(pos) > 0 {
		return flagExit(usageError{"serve takes no arguments"}, serveUsage, e)
	}
	var reportFlag error
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "format" || f.Name == "o" {
			reportFlag = usageError{"serve answers in HTML with a JSON download: --" + f.Name + " does not apply"}
		}
	})
	if reportFlag != nil {
		return flagExit(reportFlag, serveUsage, e)
	}
	d, code, ok := c.dns(serveUsage, e)
	if !ok {
		return code
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintf(e.stderr, "hopcheck: %v\n", err)
		return exitUsage
	}
	if !web.IsLoopback(*listen) {
		fmt.Fprintf(e.stderr, "hopcheck: warning: %s is not a loopback address: anyone who can reach it can use this page, and your DNS resolver through it\n", *listen)
	}
	srv := web.NewServer(*listen, web.Config{Resolver: d.resolver, ResolverName: d.name, Internal: d.internal, Redact: c.redact, Version: version()})
	fmt.Fprintf(e.stderr, "hopcheck: serving on http://%s/ (Ctrl-C to stop)\n", ln.Addr())

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err = <-done:
	case <-ctx.Done():
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		err = srv.Shutdown(shutdown)
	}
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintf(e.stderr, "hopcheck: %v\n", err)
		return exitUnknown
	}
	return exitAligned
}
