package watch

import (
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"hopcheck/dns"
	"hopcheck/problem"
)

const rulesDir = "../contrib/prometheus"

// TestRulesPromtool checks the alerting rules and runs their unit tests
// with promtool. Outside CI a machine without it skips; in CI (CI=true) it
// must be there: make deps installs it.
func TestRulesPromtool(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("promtool not found, and CI needs it: make deps installs Debian's prometheus package")
		}
		t.Skip("promtool not found: the alerting rules are not tested (make deps, or apt-get install prometheus)")
	}
	for _, args := range [][]string{{"check", "rules", "hopcheck-rules.yml"}, {"test", "rules", "hopcheck-rules.test.yml"}} {
		cmd := exec.Command(promtool, args...)
		cmd.Dir = rulesDir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}

// TestRulesUseExportedMetrics: every metric and label the rules select on
// is one the engine exports, so that a renamed metric breaks this test and
// not a fleet's alerting.
func TestRulesUseExportedMetrics(t *testing.T) {
	rules, err := os.ReadFile(rulesDir + "/hopcheck-rules.yml")
	if err != nil {
		t.Fatal(err)
	}
	m := NewMetrics(nil)
	m.refusal("outbound", "gmail", "5.7.25", "rdns")
	m.setMisaligned("outbound", "192.0.2.31", problem.NoPTR, true)
	m.ObserveDNS("PTR", dns.OutcomeOK, time.Millisecond)
	families, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	labels := map[string]map[string]bool{}
	for _, f := range families {
		labels[f.GetName()] = map[string]bool{}
		for _, metric := range f.GetMetric() {
			for _, l := range metric.GetLabel() {
				labels[f.GetName()][l.GetName()] = true
			}
		}
	}
	selector := regexp.MustCompile(`(hopcheck_\w+)(\{([^}]*)\})?`)
	matcher := regexp.MustCompile(`(\w+)\s*(=~|!~|!=|=)`)
	found := 0
	for _, s := range selector.FindAllStringSubmatch(string(rules), -1) {
		found++
		have, ok := labels[s[1]]
		if !ok {
			t.Errorf("the rules use %s, which is not exported", s[1])
			continue
		}
		for _, l := range matcher.FindAllStringSubmatch(s[3], -1) {
			if !have[l[1]] {
				t.Errorf("the rules select %s by %s, a label it does not have", s[1], l[1])
			}
		}
	}
	if found < 6 {
		t.Fatalf("only %d metrics found in the rules", found)
	}
}
