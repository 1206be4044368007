package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/netip"
	"os"
	"runtime/debug"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"hopcheck/analyze"
	"hopcheck/logstream"
	"hopcheck/parse/mtalog"
	"hopcheck/report"
)

var logsUsage = `Usage: hopcheck logs [flags] FILE...

Scans MTA logs (Postfix, Exim, Sendmail; plain or gzip-compressed, "-" for
standard input) for refusals about reverse DNS and HELO names: which of our
sending IPs remote servers refuse, and which clients our server refuses.
Every implicated IP is then re-checked once (PTR, forward DNS, HELO) and
gets a verdict: what is wrong, who fixes it and how.

Flags:
  --since TIME         only lines at or after TIME (RFC 3339 or 2006-01-02)
  --until TIME         only lines before TIME
  --sender-ip ADDR     our sending IP, repeatable (one per family: IPv4, IPv6);
                       an outbound refusal that does not quote our IP is
                       attributed to the one of its connection's family
  --helo NAME          the name our relays announce (default: inferred from
                       the syslog host of each line)
  --year YEAR          year of classic syslog stamps, which carry none
                       (default: the file's modification year; now for stdin)
  --events             write each counted event as a JSON line instead of the
                       summary (no re-check)
` + commonUsage + limitsUsage + `
Examples:
  hopcheck logs /var/log/mail.log /var/log/mail.log.2.gz
  zcat mail.log.*.gz | hopcheck logs - --since 2026-11-01 --sender-ip 192.0.2.31
  hopcheck logs mail.log --format json -o findings.json
  hopcheck logs mail.log --events --since 2026-11-20T00:00:00Z | jq .reply

Exit codes: 0 no reverse DNS or HELO problem, 1 a relay is misaligned,
2 only undecided relays, 64 usage, 65 unreadable input, 66 input not found.
`

// logsFlags are the flags of hopcheck logs beyond the common ones.
type logsFlags struct {
	common
	since, until string
	senderIPs    stringList
	helo         string
	year         int
	events       bool
}

func runLogs(args []string, e env) int {
	var f logsFlags
	fs := newFlagSet("logs")
	f.register(fs)
	f.registerLimits(fs)
	fs.StringVar(&f.since, "since", "", "only lines at or after `TIME`")
	fs.StringVar(&f.until, "until", "", "only lines before `TIME`")
	fs.Var(&f.senderIPs, "sender-ip", "our sending `ADDR` (repeatable)")
	fs.StringVar(&f.helo, "helo", "", "the `NAME` our relays announce")
	fs.IntVar(&f.year, "year", 0, "`YEAR` of classic syslog stamps")
	fs.BoolVar(&f.events, "events", false, "write counted events as JSON lines")
	files, err := parseArgs(fs, args)
	if err != nil {
		return flagExit(err, logsUsage, e)
	}
	scan, aggOpts, src, err := f.options(files)
	if err != nil {
		return flagExit(err, logsUsage, e)
	}
	d, code, ok := f.dns(logsUsage, e)
	if !ok {
		return code
	}
	r := d.resolver
	src.Resolver, src.Offline = d.name, r == nil
	for _, name := range files {
		if name == "-" {
			continue
		}
		if _, err := os.Stat(name); err != nil {
			fmt.Fprintf(e.stderr, "hopcheck: %v\n", err)
			return inputExit(err)
		}
	}

	w, closeFile, err := f.openOutput(e)
	if err != nil {
		fmt.Fprintf(e.stderr, "hopcheck: %v\n", err)
		return exitUsage
	}
	closeOut := sync.OnceValue(closeFile)
	defer closeOut()
	out := bufio.NewWriterSize(w, 64<<10)
	if f.events {
		enc := json.NewEncoder(out)
		scan.OnEvent = func(ev *mtalog.Event, _ []byte) error { return enc.Encode(ev) }
	}

	// Progress goes to a terminal only, for the text report.
	var prog *progress
	if !f.events && f.format == "text" && e.isTerminal(e.stderr) {
		prog = startProgress(e.stderr)
		scan.Lines, scan.Relays = &prog.lines, &prog.relays
	}
	if e.getenv("GOGC") == "" {
		// The live heap is small (a few input blocks and the relays) while
		// parsing leaves a stream of short-lived strings: collecting half
		// as often saves CPU for a few more MB of peak memory.
		debug.SetGCPercent(200)
	}
	if e.getenv("GOMEMLIMIT") == "" {
		// Thousands of relays' verdicts are garbage once written: a soft
		// limit keeps the peak under 100 MB for a few percent of time.
		debug.SetMemoryLimit(80 << 20)
	}
	agg := analyze.NewAggregator(aggOpts)
	for _, name := range files {
		if err := scanFile(agg, name, f.year, scan, e); err != nil {
			prog.stop()
			fmt.Fprintf(e.stderr, "hopcheck: %s: %v\n", name, err)
			return inputExit(err)
		}
	}
	if f.events {
		prog.stop()
		if err := out.Flush(); err != nil {
			fmt.Fprintf(e.stderr, "hopcheck: %v\n", err)
			return exitUnknown
		}
		return exitAligned
	}

	relays := agg.Snapshot()
	var hook func(done, total int)
	if prog != nil {
		hook = prog.checked
	}
	verdicts := analyze.Recheck(context.Background(), r, relays, analyze.RecheckOptions{Internal: d.internal, Progress: hook})
	prog.stop()
	analyze.Rank(relays, verdicts)

	view := report.NewLogs(src, report.LogSummary{Relays: relays, Verdicts: verdicts, Stats: agg.Stats()})
	view.Source.Version, view.Source.Time = version(), time.Now()
	if f.redact {
		view = report.Redact(view)
	}
	err = renderView(&f.common, out, w, e, view, logsRenderers)
	if err == nil {
		err = out.Flush()
	}
	if err == nil {
		err = closeOut()
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "hopcheck: %v\n", err)
		return exitUnknown
	}
	code = logsExit(relays, verdicts)
	for _, rel := range relays {
		if hint := blockerHint(verdicts[rel.RelayKey].Verdict.Blocker); hint != "" && rel.Identity > 0 {
			fmt.Fprintf(e.stderr, "hopcheck: %s\n", hint)
			break
		}
	}
	return code
}

// options turns the flags into scan and aggregation options.
func (f *logsFlags) options(files []string) (analyze.ScanOptions, analyze.AggregatorOptions, report.LogSource, error) {
	var (
		scan analyze.ScanOptions
		agg  analyze.AggregatorOptions
		src  = report.LogSource{Files: files, HELO: f.helo, SenderIPs: f.senderIPs}
		err  error
	)
	if len(files) == 0 {
		return scan, agg, src, usageError{"logs needs at least one FILE (or - for standard input)"}
	}
	if err := f.checkFormat(); err != nil {
		return scan, agg, src, err
	}
	if f.events && f.format != "text" {
		return scan, agg, src, usageError{"--events writes JSON lines; it excludes --format"}
	}
	if scan.Window.Since, err = parseWhen("--since", f.since); err != nil {
		return scan, agg, src, err
	}
	if scan.Window.Until, err = parseWhen("--until", f.until); err != nil {
		return scan, agg, src, err
	}
	src.Since, src.Until = scan.Window.Since, scan.Window.Until
	for _, s := range f.senderIPs {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return scan, agg, src, usageError{fmt.Sprintf("--sender-ip %q: not an IP address", s)}
		}
		agg.SenderIPs = append(agg.SenderIPs, a.Unmap())
	}
	if f.year != 0 && (f.year < 1970 || f.year > 9999) {
		return scan, agg, src, usageError{"--year " + strconv.Itoa(f.year) + ": want a four-digit year"}
	}
	agg.HELO = f.helo
	return scan, agg, src, nil
}

// parseWhen reads --since/--until: RFC 3339, or a date in local time.
func parseWhen(flag, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.ParseInLocation("2006-01-02", s, time.Local); err == nil {
		return t, nil
	}
	return time.Time{}, usageError{fmt.Sprintf("%s %q: want RFC 3339 (2026-11-20T10:00:00Z) or a date (2026-11-20)", flag, s)}
}

// scanFile scans one input, gunzipping it when it starts with gzip's magic
// bytes whatever its name. A truncated gzip stream is reported with a
// warning and what was read before it counts; an input in which no line is
// a mail log line is an error: it is not a log (an .eml, a JSON file).
func scanFile(agg *analyze.Aggregator, name string, year int, scan analyze.ScanOptions, e env) error {
	in, err := logstream.Open(name, e.stdin)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return err
		}
		return dataError{err}
	}
	defer in.Close()
	ref := time.Now()
	if name != "-" {
		if st, err := os.Stat(name); err == nil {
			ref = st.ModTime()
		}
	}
	if year != 0 {
		// A day before the year's end: with the parser's day of slack,
		// every stamp up to Dec 31 23:59:59 falls in that year.
		ref = time.Date(year, time.December, 30, 23, 59, 59, 0, time.Local)
	}
	before := agg.Stats()
	err = agg.Scan(in, func() *mtalog.Parser {
		p := mtalog.NewParser(time.Local)
		p.Now = func() time.Time { return ref }
		p.RefusalsOnly = true // the aggregator counts nothing else
		return p
	}, scan)
	if errors.Is(err, io.ErrUnexpectedEOF) && agg.Stats().Lines > before.Lines {
		fmt.Fprintf(e.stderr, "hopcheck: warning: %v; the lines before it are reported\n", err)
		err = nil
	}
	if err != nil {
		return dataError{err}
	}
	after := agg.Stats()
	if lines := after.Lines - before.Lines; lines > 0 && after.Unknown-before.Unknown == lines {
		return dataError{fmt.Errorf("none of its %d lines is a Postfix, Exim or Sendmail log line: is it a mail log?", lines)}
	}
	return nil
}

// dataError is an input that cannot be read to its end (exit 65).
type dataError struct{ err error }

func (d dataError) Error() string { return d.err.Error() }
func (d dataError) Unwrap() error { return d.err }

// logsExit maps the verdicts of the relays refused for reverse DNS or HELO
// reasons to the exit code; other refusals do not count.
func logsExit(relays []analyze.Relay, verdicts map[analyze.RelayKey]analyze.RelayVerdict) int {
	code := exitAligned
	for _, r := range relays {
		if r.Identity == 0 {
			continue
		}
		switch verdicts[r.RelayKey].Verdict.Status {
		case analyze.Misaligned:
			return exitMisaligned
		case analyze.Unknown:
			code = exitUnknown
		}
	}
	return code
}

// progress shows, on a terminal, how far the scan and the re-check are,
// redrawn at most ten times a second.
type progress struct {
	w       io.Writer
	lines   atomic.Int64
	relays  atomic.Int64
	done    atomic.Int64
	total   atomic.Int64
	quit    chan struct{}
	stopped chan struct{}
}

func startProgress(w io.Writer) *progress {
	p := &progress{w: w, quit: make(chan struct{}), stopped: make(chan struct{})}
	go func() {
		defer close(p.stopped)
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-p.quit:
				// The final counts stay visible for an instant on a fast
				// run, then the line is cleared for the report.
				p.draw()
				fmt.Fprint(p.w, "\r\x1b[K")
				return
			case <-tick.C:
				p.draw()
			}
		}
	}()
	return p
}

func (p *progress) draw() {
	if t := p.total.Load(); t > 0 {
		fmt.Fprintf(p.w, "\r\x1b[K%d lines read, %d relays; re-checked %d/%d", p.lines.Load(), p.relays.Load(), p.done.Load(), t)
	} else {
		fmt.Fprintf(p.w, "\r\x1b[K%d lines read, %d relays", p.lines.Load(), p.relays.Load())
	}
}

func (p *progress) checked(done, total int) {
	p.done.Store(int64(done))
	p.total.Store(int64(total))
}

// stop clears the progress line; a nil progress does nothing.
func (p *progress) stop() {
	if p == nil {
		return
	}
	select {
	case <-p.quit:
	default:
		close(p.quit)
	}
	<-p.stopped
}
