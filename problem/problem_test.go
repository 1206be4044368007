package problem

import "testing"

func TestTableIsComplete(t *testing.T) {
	all := All()
	if len(all) != 9 {
		t.Fatalf("%d problems, want the 9 of the vocabulary", len(all))
	}
	seen := map[int]bool{}
	for i, n := range all {
		if n == "" || !n.Known() {
			t.Fatalf("rank %d has no problem: ranks must run 1..%d without a gap", i+1, len(all))
		}
		if seen[n.Rank()] {
			t.Errorf("rank %d given twice", n.Rank())
		}
		seen[n.Rank()] = true
		if n.Owner().Describe() == "" {
			t.Errorf("%s: owner %q has no description", n, n.Owner())
		}
		if n.Meaning() == "" {
			t.Errorf("%s has no meaning", n)
		}
	}
	if all[len(all)-1] != PTRTempError {
		t.Errorf("a temporary failure must rank last, got %s", all[len(all)-1])
	}
	if Name("spf").Known() || Name("spf").Rank() <= PTRTempError.Rank() {
		t.Error("an unknown name is neither known nor ranked before the vocabulary")
	}
}
