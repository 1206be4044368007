// Command hopcheck finds the mail relay whose reverse DNS, forward DNS or
// HELO name is misaligned, says why, who must fix it and how.
//
// This package only reads flags, wires the parse, analyze and report
// packages together and maps outcomes to exit codes.
package main

import (
	"fmt"
	"io"
	"os"
	"runtime/debug"
)

// Exit codes (DESIGN.md, checker convention).
const (
	exitAligned    = 0
	exitMisaligned = 1
	exitUnknown    = 2
	exitUsage      = 64
	exitDataErr    = 65
	exitNoInput    = 66
)

// env is what a command sees of the world; tests substitute it.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	isTerminal     func(any) bool // stdin, stdout or stderr is a terminal
}

func main() {
	e := env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv, isTerminal: isTerminal}
	os.Exit(run(os.Args[1:], e))
}

type command struct {
	name    string
	summary string
	run     func(args []string, e env) int
	usage   string
}

func commands() []command {
	return []command{
		{"analyze", "pasted headers, a whole .eml, or a bounce → which relay is misaligned", runAnalyze, analyzeUsage},
		{"logs", "MTA logs (also .gz, - for stdin) → relays refused for reverse DNS or HELO", runLogs, logsUsage},
		{"tail", "follow a live mail log → alerts on misaligned relays, Prometheus metrics", runTail, tailUsage},
		{"check", "a server's IP or name → PTR, forward DNS, HELO, SMTP banner, propagation", runCheck, checkUsage},
		{"serve", "a local page to paste headers or a bounce into → the HTML report", runServe, serveUsage},
	}
}

const mainUsage = `hopcheck finds the mail relay whose reverse DNS or HELO name gets mail refused.

Usage:
  hopcheck COMMAND [flags] [arguments]

Commands:
%s
Run "hopcheck help COMMAND" or "hopcheck COMMAND --help" for a command's flags and examples.
Flags and arguments may come in any order. "hopcheck --version" prints the version.

Exit codes: 0 aligned, 1 misalignment found, 2 could not decide (temporary DNS failure),
64 usage error, 65 unreadable or oversized input, 66 input not found.
`

func run(args []string, e env) int {
	if len(args) == 0 {
		printUsage(e.stderr)
		return exitUsage
	}
	switch args[0] {
	case "--version", "-version", "version":
		fmt.Fprintln(e.stdout, "hopcheck", version())
		return 0
	case "help", "--help", "-help", "-h":
		if len(args) > 1 {
			for _, c := range commands() {
				if c.name == args[1] {
					fmt.Fprint(e.stdout, c.usage)
					return 0
				}
			}
			fmt.Fprintf(e.stderr, "hopcheck: unknown command %q\n", args[1])
			return exitUsage
		}
		printUsage(e.stdout)
		return 0
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(args[1:], e)
		}
	}
	fmt.Fprintf(e.stderr, "hopcheck: unknown command %q\n\n", args[0])
	printUsage(e.stderr)
	return exitUsage
}

func printUsage(w io.Writer) {
	list := ""
	for _, c := range commands() {
		list += fmt.Sprintf("  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(w, mainUsage, list)
}

func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

func isTerminal(v any) bool {
	f, ok := v.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// useColor: ANSI colors on a terminal's standard output, unless NO_COLOR.
func useColor(w io.Writer, e env) bool {
	return w == e.stdout && e.isTerminal(w) && e.getenv("NO_COLOR") == ""
}
