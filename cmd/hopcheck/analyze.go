package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/netip"
	"os"

	"hopcheck/analyze"
	"hopcheck/parse"
	"hopcheck/report"
)

var analyzeUsage = `Usage: hopcheck analyze [flags] [FILE|-]

Reads a message's raw headers (pasted, or a whole .eml, an mbox entry, a
bounce) from FILE or standard input, re-checks every hop's PTR, forward DNS
and HELO, and names the relay the receiver judged: aligned or not, why, who
fixes it and how.

Flags:
` + commonUsage + limitsUsage + `  --sender-ip IP       bounces: the refused relay's address, when the bounce
                       does not quote it (default: resolve the reporting MTA)
  --helo NAME          bounces: the name the refused relay announced
                       (default: the reporting MTA's name)

Examples:
  pbpaste | hopcheck analyze
  hopcheck analyze bounce.eml --format json
  hopcheck analyze --zone testdata/demo/world.zone testdata/demo/message.eml
  hopcheck analyze headers.txt --resolver 127.0.0.1:53 --internal 10.0.0.0/8

Exit codes: 0 aligned, 1 misaligned, 2 could not decide, 64 usage,
65 unreadable or oversized input, 66 input not found.
`

func runAnalyze(args []string, e env) int {
	var (
		c          common
		senderFlag string
		helo       string
	)
	fs := newFlagSet("analyze")
	c.register(fs)
	c.registerLimits(fs)
	fs.StringVar(&senderFlag, "sender-ip", "", "for a bounce: the refused relay's `IP` when the bounce does not quote it")
	fs.StringVar(&helo, "helo", "", "for a bounce: the `NAME` the refused relay announced (default: the reporting MTA's name)")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return flagExit(err, analyzeUsage, e)
	}
	if len(pos) > 1 {
		return flagExit(usageError{"analyze takes one input (a file or -)"}, analyzeUsage, e)
	}
	if err := c.checkFormat(); err != nil {
		return flagExit(err, analyzeUsage, e)
	}
	var senderIP netip.Addr
	if senderFlag != "" {
		if senderIP, err = netip.ParseAddr(senderFlag); err != nil {
			return flagExit(usageError{fmt.Sprintf("--sender-ip %q: not an IP address", senderFlag)}, analyzeUsage, e)
		}
		senderIP = senderIP.Unmap()
	}
	d, code, ok := c.dns(analyzeUsage, e)
	if !ok {
		return code
	}

	name := "-"
	if len(pos) == 1 {
		name = pos[0]
	}
	in, closeIn, err := openInput(name, e)
	if err != nil {
		fmt.Fprintf(e.stderr, "hopcheck: %v\n", err)
		return inputExit(err)
	}
	res, err := analyze.Read(context.Background(), in, parse.DefaultLimits,
		analyze.Options{Resolver: d.resolver, Internal: d.internal, SenderIP: senderIP, HELO: helo})
	closeIn()
	// Input that is no message at all (empty, binary, text that is neither
	// headers nor a bounce) is an error of its own, more telling than what
	// reading it as a message came to.
	if pi, ok := in.(*parse.Input); ok {
		if cerr := pi.Check(); cerr != nil {
			err = cerr
		}
		for _, w := range pi.Warnings() {
			fmt.Fprintf(e.stderr, "hopcheck: %s: warning: %s\n", name, w)
		}
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "hopcheck: %s: %v\n", name, err)
		return exitDataErr
	}
	m := report.NewMessage(report.Source{Name: name, Resolver: d.name, Version: version()}, res)

	w, closeOut, err := c.openOutput(e)
	if err != nil {
		fmt.Fprintf(e.stderr, "hopcheck: %v\n", err)
		return exitUsage
	}
	if err := c.render(w, e, m); err != nil {
		fmt.Fprintf(e.stderr, "hopcheck: %v\n", err)
		return exitUnknown
	}
	if err := closeOut(); err != nil {
		fmt.Fprintf(e.stderr, "hopcheck: %v\n", err)
		return exitUnknown
	}
	if hint := blockerHint(res.Verdict.Blocker); hint != "" {
		fmt.Fprintf(e.stderr, "hopcheck: %s\n", hint)
	}
	return verdictExit(res.Verdict.Status)
}

func verdictExit(status analyze.Status) int {
	switch status {
	case analyze.Aligned:
		return exitAligned
	case analyze.Misaligned:
		return exitMisaligned
	}
	return exitUnknown
}

// openInput opens a file, or stdin for "-", as a *parse.Input: the bytes
// pass unchanged, the source is never read again after its first end of
// file (one Ctrl-D ends a paste), and what it takes to tell input that is
// no message is kept for analyze (parse.Input.Check).
func openInput(name string, e env) (io.Reader, func(), error) {
	if name == "-" {
		if e.isTerminal(e.stdin) {
			fmt.Fprintln(e.stderr, "hopcheck: paste the message headers, then press Ctrl-D on a line of its own")
		}
		return parse.NewInput(e.stdin), func() {}, nil
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, nil, err
	}
	return parse.NewInput(f), func() { f.Close() }, nil
}

func inputExit(err error) int {
	if errors.Is(err, fs.ErrNotExist) {
		return exitNoInput
	}
	return exitDataErr
}
