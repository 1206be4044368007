package watch

import (
	"fmt"
	"testing"

	dto "github.com/prometheus/client_model/go"

	"hopcheck/problem"
)

func family(t *testing.T, m *Metrics, name string) *dto.MetricFamily {
	t.Helper()
	families, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() == name {
			return f
		}
	}
	return nil
}

// TestWatchMetricsBounded: however many IPs and providers the log names,
// the series stay bounded; the rest are summed under "other", and a relay
// that recovers leaves no series behind.
func TestWatchMetricsBounded(t *testing.T) {
	m := NewMetrics(nil)
	const n = MaxIPLabels + 500
	ip := func(i int) string { return fmt.Sprintf("2001:db8::%x", i) }
	for i := range n {
		m.setMisaligned("inbound", ip(i), problem.NoPTR, true)
	}
	f := family(t, m, "hopcheck_tail_misaligned")
	sum, others := 0.0, 0.0
	for _, s := range f.GetMetric() {
		sum += s.GetGauge().GetValue()
		for _, l := range s.GetLabel() {
			if l.GetName() == "ip" && l.GetValue() == other {
				others = s.GetGauge().GetValue()
			}
		}
	}
	if len(f.GetMetric()) != MaxIPLabels+1 || sum != n || others < n-MaxIPLabels {
		t.Fatalf("%d series summing to %v, %v under other", len(f.GetMetric()), sum, others)
	}
	for i := range n {
		m.setMisaligned("inbound", ip(i), problem.NoPTR, false)
	}
	if f := family(t, m, "hopcheck_tail_misaligned"); f != nil {
		t.Fatalf("series left after every relay recovered: %v", f.GetMetric())
	}

	for i := range 3 * maxProviderLabels {
		m.refusal("outbound", fmt.Sprintf("provider%d.example", i), fmt.Sprintf("5.7.%d", i), "rdns")
	}
	if f := family(t, m, "hopcheck_tail_refusals_total"); len(f.GetMetric()) > maxProviderLabels+1 {
		t.Fatalf("%d refusal series", len(f.GetMetric()))
	}
}
