package main

import (
	"context"
	"strings"
	"testing"
)

// TestBench runs one pair at tiny sizes through the command line: the flags
// reach the runner (internal/bench tests every pair).
func TestBench(t *testing.T) {
	var out, errs strings.Builder
	e := &env{stdout: &out, stderr: &errs}
	err := runBench(context.Background(), e, []string{"--pairs", "6", "--rounds", "1", "--lookups", "1000", "--trust-entries", "50", "--dir", t.TempDir()})
	if err != nil {
		t.Fatalf("%v\n%s", err, errs.String())
	}
	if !strings.Contains(out.String(), "\n6  ") || strings.Contains(out.String(), "\n5  ") {
		t.Errorf("want the row of pair 6 alone:\n%s", out.String())
	}
}

func TestBenchBadFlags(t *testing.T) {
	e := &env{stdout: &strings.Builder{}, stderr: &strings.Builder{}}
	for _, args := range [][]string{{"--pairs", "10"}, {"--pairs", "0"}, {"--rounds", "0"}} {
		if err := runBench(context.Background(), e, args); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
}
