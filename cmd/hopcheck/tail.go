package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"hopcheck/analyze"
	"hopcheck/dns"
	"hopcheck/logstream"
	"hopcheck/watch"
)

var tailUsage = `Usage: hopcheck tail [flags] [FILE | - | --journal [UNIT...]]

Follows a live mail log and alerts, within about a second of the line, when
a relay refused for reverse DNS or HELO reasons is misaligned on re-check:
what is wrong, who fixes it and how. The same relay and problem alert once
per --repeat window, then a summary with the counts; a relay aligned again,
or no longer refused for a window, is reported recovered. Lines are read
exactly once, across rotations and, with --state, restarts.

Input (one of):
  FILE                 follow FILE across rotations, from its end
                       (default /var/log/mail.log)
  -                    a stream on standard input, such as
                       journalctl -f -o short-iso -u postfix | hopcheck tail -
  --journal [UNIT...]  follow the systemd journal (journalctl); default units
                       postfix@*, postfix and exim4
  --from-start         read what the file or journal holds already, first
  --state FILE         keep the position and the alerts sent in FILE: a
                       restart resumes there, repeating no alert

Alerts:
  --sender-ip ADDR     our sending IP, repeatable (one per family)
  --helo NAME          the name our relays announce (default: the syslog host)
  --all                re-check on every refusal, not only reverse DNS/HELO ones
  --inbound            alert on the clients our server refuses, too
  --repeat DURATION    one alert per relay and problem per DURATION, then a
                       summary (default 1h)
  --recheck DURATION   re-check misaligned relays this often (default 10m);
                       a relay is re-checked at most once a minute
  --max-qps N          DNS queries a second at most (default 50; 0: no bound)
  --metrics ADDR       serve Prometheus metrics at http://ADDR/metrics; a
                       bare port (9464 or :9464) listens on 127.0.0.1 only
  --format text|json   one readable line per alert (default), or JSON Lines
  -o FILE              append the alerts to FILE instead of standard output
  --resolver ADDR      DNS server to ask, an IP[:PORT], repeatable
                       (default: /etc/resolv.conf)
  --zone FILE          answer DNS from a zone file, repeatable
  --offline            no DNS at all: judge from what the log recorded
  --internal CIDR      internal sender ranges, repeatable
  --timeout DURATION   timeout of each DNS query attempt (default 3s)

Signals: SIGINT and SIGTERM save the state and exit 0; SIGHUP reopens the
file. Notices about the tail itself go to standard error.

Examples:
  hopcheck tail --sender-ip 192.0.2.31 --helo mail.example.test
  hopcheck tail --journal --state /var/lib/hopcheck/tail.state --metrics 9464
  hopcheck tail /var/log/mail.log --format json | jq 'select(.kind == "misaligned")'

Exit codes: 0 stopped by a signal or the end of standard input, 2 alerts
could not be written, 64 usage, 65 unreadable input or state, 66 no log found.
`

// defaultMailLog is the file followed when none is named.
const defaultMailLog = "/var/log/mail.log"

type tailFlags struct {
	common
	journal, fromStart, all, inbound bool
	state, helo, metrics             string
	senderIPs                        stringList
	repeat, recheck                  time.Duration
	maxQPS                           float64
}

func runTail(args []string, e env) int {
	var f tailFlags
	fs := newFlagSet("tail")
	f.register(fs)
	fs.BoolVar(&f.journal, "journal", false, "follow the systemd journal")
	fs.BoolVar(&f.fromStart, "from-start", false, "read what the log holds already, first")
	fs.StringVar(&f.state, "state", "", "keep the position and the alerts sent in `FILE`")
	fs.Var(&f.senderIPs, "sender-ip", "our sending `ADDR` (repeatable)")
	fs.StringVar(&f.helo, "helo", "", "the `NAME` our relays announce")
	fs.BoolVar(&f.all, "all", false, "re-check on every refusal")
	fs.BoolVar(&f.inbound, "inbound", false, "alert on the clients our server refuses, too")
	fs.DurationVar(&f.repeat, "repeat", watch.DefaultRepeat, "one alert per relay and problem per `DURATION`")
	fs.DurationVar(&f.recheck, "recheck", watch.DefaultRecheck, "re-check misaligned relays this often")
	fs.Float64Var(&f.maxQPS, "max-qps", 50, "DNS queries a second at most (0: no bound)")
	fs.StringVar(&f.metrics, "metrics", "", "serve Prometheus metrics at `ADDR`")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return flagExit(err, tailUsage, e)
	}
	in, opts, err := f.options(pos, e)
	if err != nil {
		return flagExit(err, tailUsage, e)
	}
	d, code, ok := f.dns(tailUsage, e)
	if !ok {
		return code
	}
	logf := lockedLogf(e.stderr)
	if code, ok := f.checkInput(&in, logf); !ok {
		return code
	}
	st, err := watch.LoadState(f.state)
	if err != nil {
		logf("%v", err)
		return exitDataErr
	}

	m := watch.NewMetrics(nil)
	opts.Metrics, opts.Internal, opts.StatePath, opts.Logf = m, d.internal, f.state, logf
	opts.Blocked = func(b analyze.Blocker) {
		if hint := blockerHint(b); hint != "" {
			logf("%s", hint)
		}
	}
	resolver := d.name
	if d.resolver != nil {
		opts.Resolver = dns.NewPaced(&dns.Counting{Resolver: d.resolver, Observe: m.ObserveDNS}, f.maxQPS, 1)
		if f.maxQPS > 0 {
			resolver += fmt.Sprintf(", at most %g queries a second", f.maxQPS)
		}
	}
	out, closeOut, err := f.alertOutput(e)
	if err != nil {
		logf("%v", err)
		return exitUsage
	}
	defer closeOut()
	write := watch.Writer(out, watch.Format(f.format))
	var writeErr error
	opts.Alert = func(a watch.Alert) error {
		if err := write(a); err != nil {
			writeErr = err
			return err
		}
		return nil
	}
	if f.metrics != "" {
		stop, err := serveMetrics(f.metrics, m, logf)
		if err != nil {
			return flagExit(err, tailUsage, e)
		}
		defer stop()
	}

	src, err := watch.Open(in, st.Position)
	if err != nil {
		logf("%v", err)
		return exitNoInput
	}
	logf("following %s; DNS: %s", inputName(in), resolver)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stopSignals := handleSignals(cancel, src, logf)
	defer stopSignals()
	err = watch.New(opts, st).Run(ctx, src)
	switch {
	case writeErr != nil:
		logf("writing alerts: %v", writeErr)
		return exitUnknown
	case err != nil && ctx.Err() == nil:
		logf("%v", err)
		return exitDataErr
	}
	return exitAligned
}

// options checks the flags and arguments and turns them into the input and
// the engine's options.
func (f *tailFlags) options(args []string, e env) (watch.Input, watch.Options, error) {
	in := watch.Input{Journal: f.journal, FromStart: f.fromStart, Stdin: e.stdin}
	opts := watch.Options{HELO: f.helo, All: f.all, Inbound: f.inbound, Repeat: f.repeat, Recheck: f.recheck}
	switch {
	case f.format != "text" && f.format != "json":
		return in, opts, usageError{fmt.Sprintf("--format %q: tail writes text or json", f.format)}
	case f.repeat <= 0 || f.recheck <= 0:
		return in, opts, usageError{"--repeat and --recheck need a duration above zero"}
	case f.maxQPS < 0:
		return in, opts, usageError{"--max-qps needs a number of queries, or 0 for no bound"}
	case f.journal:
		in.Units = args
	case len(args) > 1:
		return in, opts, usageError{"tail follows one FILE (or - for standard input, or --journal)"}
	case len(args) == 1:
		in.Path = args[0]
	}
	for _, s := range f.senderIPs {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return in, opts, usageError{fmt.Sprintf("--sender-ip %q: not an IP address", s)}
		}
		opts.SenderIPs = append(opts.SenderIPs, a.Unmap())
	}
	return in, opts, nil
}

// checkInput makes sure there is a log to follow. A file named is waited
// for if its directory exists; the default file must exist, and where it
// does not the journal is pointed to when it holds mail entries.
func (f *tailFlags) checkInput(in *watch.Input, logf func(string, ...any)) (int, bool) {
	in.Logger = func(s string) { logf("%s", s) }
	if in.Journal || in.Path == "-" {
		return 0, true
	}
	if in.Path != "" {
		if _, err := os.Stat(filepath.Dir(in.Path)); err != nil {
			logf("%v", err)
			return exitNoInput, false
		}
		return 0, true
	}
	in.Path = defaultMailLog
	if _, err := os.Stat(in.Path); !errors.Is(err, fs.ErrNotExist) {
		return 0, true
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if logstream.JournalHasUnits(ctx, "", nil) {
		logf("%s does not exist, but the systemd journal holds mail entries (%s): run hopcheck tail --journal",
			defaultMailLog, strings.Join(logstream.DefaultJournalUnits, ", "))
	} else {
		logf("%s does not exist and the systemd journal holds no mail entries: name the mail log to follow", defaultMailLog)
	}
	return exitNoInput, false
}

func inputName(in watch.Input) string {
	switch {
	case in.Journal && len(in.Units) > 0:
		return "the journal of " + strings.Join(in.Units, ", ")
	case in.Journal:
		return "the journal of " + strings.Join(logstream.DefaultJournalUnits, ", ")
	case in.Path == "-":
		return "standard input"
	}
	return in.Path
}

// alertOutput is standard output, or -o FILE opened for appending: a
// restarted service adds to the alerts it wrote before.
func (f *tailFlags) alertOutput(e env) (io.Writer, func() error, error) {
	if f.output == "" || f.output == "-" {
		return e.stdout, func() error { return nil }, nil
	}
	file, err := os.OpenFile(f.output, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return nil, nil, err
	}
	return file, file.Close, nil
}

// lockedLogf writes notices to w one at a time, from any goroutine.
func lockedLogf(w io.Writer) func(string, ...any) {
	var mu sync.Mutex
	return func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(w, "hopcheck: "+format+"\n", args...)
	}
}

// metricsAddr reads --metrics: a bare port listens on loopback only, so
// that exposing the metrics to the network is a choice (ADDR:PORT).
func metricsAddr(s string) (string, error) {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		host, port = "", s
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return "", usageError{fmt.Sprintf("--metrics %q: want a port, or ADDR:PORT", s)}
	}
	if host == "" {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port), nil
}

// serveMetrics serves /metrics at addr until stop is called.
func serveMetrics(addr string, m *watch.Metrics, logf func(string, ...any)) (stop func(), err error) {
	addr, err = metricsAddr(addr)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, usageError{fmt.Sprintf("--metrics: %v", err)}
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", m.Handler())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	logf("metrics at http://%s/metrics", ln.Addr())
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	}, nil
}

// handleSignals ends the run on SIGINT or SIGTERM and reopens the log on
// SIGHUP, until stop is called.
func handleSignals(cancel context.CancelFunc, src logstream.Source, logf func(string, ...any)) (stop func()) {
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	done := make(chan struct{})
	go func() {
		for {
			select {
			case s := <-sigs:
				if s == syscall.SIGHUP {
					logf("SIGHUP: reopening the log")
					src.Reopen()
					continue
				}
				logf("%v: saving the state and stopping", s)
				cancel()
			case <-done:
				return
			}
		}
	}()
	return func() {
		signal.Stop(sigs)
		close(done)
	}
}
