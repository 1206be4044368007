package watch

import (
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"hopcheck/dns"
	"hopcheck/logstream"
	"hopcheck/problem"
)

// Bounds of label values, so that what a scrape returns stays bounded
// whatever the log holds: values past them are counted under "other".
const (
	MaxIPLabels       = 1000
	maxProviderLabels = 100
	maxStatusLabels   = 64
)

// other is the label value of everything past a bound.
const other = "other"

// Metrics are the Prometheus metrics of a tail, in a registry of their own
// (docs/tail.md lists them). They are safe for concurrent use.
type Metrics struct {
	reg *prometheus.Registry
	now func() time.Time

	lines, unknown, tooLong prometheus.Counter
	events                  *prometheus.CounterVec
	refusals                *prometheus.CounterVec
	misaligned              *prometheus.GaugeVec
	checks                  *prometheus.CounterVec
	dropped                 prometheus.Counter
	pending                 prometheus.Gauge
	alerts                  *prometheus.CounterVec
	saveErrors              prometheus.Counter
	dnsQueries              *prometheus.CounterVec
	dnsLatency              *prometheus.HistogramVec

	start    time.Time
	lastLine atomic.Int64 // unix nanoseconds of the clock, 0 before the first line
	src      atomic.Pointer[logstream.Source]

	mu        sync.Mutex
	providers labelSet
	statuses  labelSet
	ips       map[string]int         // relays per ip label of the misaligned gauge
	ownIPs    int                    // ip labels that are IPs, not other
	series    map[misalignKey]string // the ip label each misaligned relay was given
	gauge     map[misalignSeries]int // relays per series
}

type misalignKey struct{ direction, ip string }

type misalignSeries struct {
	direction, ip string
	problem       problem.Name
}

// labelSet keeps the first values of a label and maps the rest to other.
type labelSet struct {
	max  int
	seen map[string]bool
}

func (s *labelSet) label(v string) string {
	if s.seen[v] {
		return v
	}
	if len(s.seen) >= s.max {
		return other
	}
	s.seen[v] = true
	return v
}

// NewMetrics registers the metrics, with Go's and the process's, in a new
// registry; now is the clock of the age of the last line (time.Now when
// nil).
func NewMetrics(now func() time.Time) *Metrics {
	if now == nil {
		now = time.Now
	}
	m := &Metrics{reg: prometheus.NewRegistry(), now: now, start: now(),
		providers: labelSet{max: maxProviderLabels, seen: map[string]bool{}},
		statuses:  labelSet{max: maxStatusLabels, seen: map[string]bool{}},
		ips:       map[string]int{}, series: map[misalignKey]string{}, gauge: map[misalignSeries]int{}}
	counter := func(name, help string) prometheus.Counter {
		c := prometheus.NewCounter(prometheus.CounterOpts{Name: name, Help: help})
		m.reg.MustRegister(c)
		return c
	}
	counterVec := func(name, help string, labels ...string) *prometheus.CounterVec {
		c := prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, labels)
		m.reg.MustRegister(c)
		return c
	}
	m.lines = counter("hopcheck_tail_lines_total", "Log lines read.")
	m.unknown = counter("hopcheck_tail_lines_unknown_total", "Log lines not understood (skipped).")
	m.tooLong = counter("hopcheck_tail_lines_too_long_total", "Log lines over 64 KiB (skipped).")
	m.events = counterVec("hopcheck_tail_events_total",
		"Events parsed (refusals, deferrals, bounces, DNS warnings), by kind, direction and reply category.", "kind", "direction", "category")
	m.refusals = counterVec("hopcheck_tail_refusals_total",
		"Refusals by direction, provider (who refused), enhanced status and reply category.", "direction", "provider", "status", "category")
	m.misaligned = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "hopcheck_tail_misaligned",
		Help: "Relays misaligned now (alerted, not recovered), by direction, IP and problem; IPs past the bound are summed under ip=\"other\"."},
		[]string{"direction", "ip", "problem"})
	m.reg.MustRegister(m.misaligned)
	m.checks = counterVec("hopcheck_tail_checks_total", "Relay re-checks made, by verdict.", "verdict")
	m.dropped = counter("hopcheck_tail_checks_dropped_total", "Re-checks not queued because the queue was full.")
	m.pending = prometheus.NewGauge(prometheus.GaugeOpts{Name: "hopcheck_tail_checks_pending", Help: "Re-checks queued or in flight."})
	m.reg.MustRegister(m.pending)
	m.alerts = counterVec("hopcheck_tail_alerts_total", "Alerts sent, by kind.", "kind")
	m.saveErrors = counter("hopcheck_tail_state_save_errors_total", "State saves that failed.")
	m.dnsQueries = counterVec("hopcheck_dns_queries_total",
		"DNS queries by type and outcome (ok, nxdomain; the errors: timeout, temporary).", "type", "outcome")
	m.dnsLatency = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "hopcheck_dns_query_duration_seconds",
		Help: "DNS query latency, cached answers included.", Buckets: prometheus.ExponentialBuckets(0.0005, 4, 9)}, []string{"type"})
	m.reg.MustRegister(m.dnsLatency)
	source := func(name, help string, f func(logstream.Stats) int64) {
		m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, func() float64 {
			if src := m.src.Load(); src != nil {
				return float64(f((*src).Stats()))
			}
			return 0
		}))
	}
	source("hopcheck_tail_rotations_total", "Switches to another file: rotated, deleted and re-created.",
		func(s logstream.Stats) int64 { return s.Rotations })
	source("hopcheck_tail_truncations_total", "Times the file became shorter than what was read.",
		func(s logstream.Stats) int64 { return s.Truncations })
	source("hopcheck_tail_reopen_errors_total", "Times the log could not be opened, or was lost before its end was read.",
		func(s logstream.Stats) int64 { return s.ReopenErrors })
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "hopcheck_tail_last_line_age_seconds",
		Help: "Seconds since the last line was read (since the start before the first)."}, func() float64 {
		last := m.start
		if n := m.lastLine.Load(); n != 0 {
			last = time.Unix(0, n)
		}
		return m.now().Sub(last).Seconds()
	}))
	m.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	// Series that rules compare or sum exist from the start, at zero.
	for _, k := range []Kind{Misaligned, Summary, Recovered} {
		m.alerts.WithLabelValues(string(k))
	}
	for _, v := range []string{"aligned", "misaligned", "unknown"} {
		m.checks.WithLabelValues(v)
	}
	return m
}

// Registry is where the metrics are registered.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the metrics in the Prometheus exposition formats.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// ObserveDNS counts one query; it is dns.Counting's Observe hook.
func (m *Metrics) ObserveDNS(qtype string, o dns.Outcome, took time.Duration) {
	m.dnsQueries.WithLabelValues(qtype, string(o)).Inc()
	m.dnsLatency.WithLabelValues(qtype).Observe(took.Seconds())
}

// watch exports the rotation counters of src.
func (m *Metrics) watch(src logstream.Source) { m.src.Store(&src) }

func (m *Metrics) line(at time.Time) {
	m.lines.Inc()
	m.lastLine.Store(at.UnixNano())
}

func (m *Metrics) refusal(direction, provider, status, category string) {
	m.mu.Lock()
	provider, status = m.providers.label(provider), m.statuses.label(status)
	m.mu.Unlock()
	m.refusals.WithLabelValues(direction, provider, status, category).Inc()
}

// setMisaligned adds (on) or removes a relay from the misaligned gauge.
// At most MaxIPLabels IPs have series of their own at a time; the rest are
// summed under ip="other".
func (m *Metrics) setMisaligned(direction, ip string, p problem.Name, on bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := misalignKey{direction, ip}
	label, ok := m.series[k]
	switch {
	case on && !ok:
		label = ip
		if m.ips[ip] == 0 {
			if m.ownIPs >= MaxIPLabels {
				label = other
			} else {
				m.ownIPs++
			}
		}
		m.series[k] = label
		m.ips[label]++
	case !on && ok:
		delete(m.series, k)
		if m.ips[label]--; m.ips[label] == 0 {
			delete(m.ips, label)
			if label != other {
				m.ownIPs--
			}
		}
	default:
		return
	}
	s := misalignSeries{direction, label, p}
	if on {
		m.gauge[s]++
	} else {
		m.gauge[s]--
	}
	if m.gauge[s] == 0 {
		delete(m.gauge, s)
		m.misaligned.DeleteLabelValues(direction, label, string(p))
		return
	}
	m.misaligned.WithLabelValues(direction, label, string(p)).Set(float64(m.gauge[s]))
}
