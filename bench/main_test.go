package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestFailedRunGivesNoNumber: a program that fails, or succeeds without
// the fields bench reads, yields an error, never a value, and a series
// whose runs all failed prints "failed" and why.
func TestFailedRunGivesNoNumber(t *testing.T) {
	for _, cmd := range []*exec.Cmd{
		exec.Command("sh", "-c", "echo '{\"summary\": true, \"train_samples_per_second\": 5, \"test_accuracy\": 1}'; echo broken >&2; exit 3"),
		exec.Command("sh", "-c", "echo '{\"summary\": true}'"),
		exec.Command("sh", "-c", "echo nothing"),
		exec.Command("/nonexistent/python3", "x.py"),
	} {
		if s, _, err := summaryOf(cmd); err == nil {
			t.Errorf("%v: summary %v without an error", cmd.Args, s)
		}
	}
	if _, _, err := summaryOf(exec.Command("sh", "-c", "echo '{\"summary\": true, \"train_samples_per_second\": 5, \"test_accuracy\": 1}'")); err != nil {
		t.Errorf("a good run: %v", err)
	}
	var s series
	s.fail("can't open file 'x.py'")
	if got := s.cell("%.1f"); got != "failed: can't open file 'x.py'" {
		t.Errorf("cell of failed runs = %q", got)
	}
	var ok series
	ok.add(2)
	if ratio(&ok, &s) != "—" || ratio(&s, &ok) != "—" {
		t.Error("a ratio with a failed side must not be a number")
	}
	s.add(4)
	s.add(6)
	if got := s.cell("%.1f"); !strings.HasPrefix(got, "5.0 (1 of 3 runs failed") {
		t.Errorf("cell of partly failed runs = %q", got)
	}
	if _, err := timeRun(exec.Command("false")); err == nil {
		t.Error("timeRun of a failing command gave a time")
	}
}
