package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// tinyBench is a run of pair 6 at sizes that take milliseconds.
func tinyBench(t *testing.T, more ...string) []string {
	return append([]string{"bench", "--pairs", "6", "--rounds", "1", "--lookups", "1000", "--trust-entries", "50", "--dir", t.TempDir()}, more...)
}

// TestBench runs one pair at tiny sizes through the command line: the flags
// reach the runner (internal/bench tests every pair).
func TestBench(t *testing.T) {
	code, stdout, stderr := runCLI(t, tinyBench(t)...)
	if code != exitOK || stderr != "" {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "\n6  ") || strings.Contains(stdout, "\n5  ") || !strings.Contains(stdout, "pair  work") {
		t.Errorf("want the row of pair 6 alone:\n%s", stdout)
	}
	// The table names its run, so that a copy quoted in BENCHMARKS.md does.
	lines := strings.Split(stdout, "\n")
	if len(lines) < 2 || !strings.HasPrefix(lines[1], "run: commit ") || !strings.Contains(lines[1], "; command: ") || !strings.Contains(lines[1], "--pairs 6") {
		t.Errorf("second line %q, want the run", lines[1])
	}
}

// A database taken from $MSSANTE_PG_DSN is named in the run line, its
// password hidden. (Pair 6 does not use it.)
func TestBenchRunLineNamesEnvironmentDSN(t *testing.T) {
	t.Setenv("MSSANTE_PG_DSN", "postgres://bench:s3cret@db.invalid/mss")
	code, stdout, stderr := runCLI(t, tinyBench(t)...)
	if code != exitOK || stderr != "" {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "; command: MSSANTE_PG_DSN=postgres://bench:xxxxx@db.invalid/mss mss bench --pairs 6") || strings.Contains(stdout, "s3cret") {
		t.Errorf("run line does not name the database from the environment, or shows its password:\n%s", stdout)
	}
}

// --json prints the table as one object; a bar of the pairs is drawn on a
// terminal only, and never with --json.
func TestBenchJSONAndProgress(t *testing.T) {
	code, stdout, stderr := runCLI(t, tinyBench(t, "--json")...)
	if code != exitOK || stderr != "" {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var out benchJSON
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		t.Fatalf("%v\n%s", err, stdout)
	}
	if len(out.Rows) < 2 || out.Rounds != 1 || out.CPUs < 1 || out.GoVersion == "" || out.Run.Commit == "" || out.Run.Time.IsZero() {
		t.Fatalf("%+v", out)
	}
	missed := 0
	for _, r := range out.Rows {
		if r.Pair != 6 || r.Work == "" || r.SDK == "" || r.Budget == "" || r.Skipped {
			t.Errorf("row %+v", r)
		}
		if !r.Met {
			missed++
		}
	}
	if out.Missed != missed {
		t.Errorf("missed %d, rows say %d", out.Missed, missed)
	}

	code, _, stderr = runCLITerminal(t, tinyBench(t)...)
	if code != exitOK || !strings.Contains(stderr, "mss bench") {
		t.Errorf("terminal: exit %d, stderr %q", code, stderr)
	}
	if code, _, stderr := runCLITerminal(t, tinyBench(t, "--json")...); code != exitOK || stderr != "" {
		t.Errorf("terminal, --json: exit %d, stderr %q", code, stderr)
	}
}

// Values the runner refuses are usage errors naming the flag (exit 2),
// reported before anything runs.
func TestBenchBadFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--pairs", "10"}, `--pairs 10: unknown pair "10" (1 to 9)`},
		{[]string{"--pairs", "0"}, `--pairs 0: unknown pair "0"`},
		{[]string{"--pairs", "6,x"}, `--pairs 6,x: unknown pair "x"`},
		{[]string{"--rounds", "0"}, "--rounds 0: must be at least 1"},
		{[]string{"--send-sync-rounds", "-1"}, "--send-sync-rounds -1: must be at least 0"},
		{[]string{"--tracked", "0"}, "--tracked 0: must be at least 1"},
		{[]string{"--rounds", "x"}, "--rounds \"x\": parse error"},
	} {
		code, stdout, stderr := runCLI(t, append([]string{"bench"}, tc.args...)...)
		if code != exitUsage || stdout != "" || !oneLineStartingWith(stderr, "mss bench: "+tc.want) {
			t.Errorf("%q: exit %d, %q %q", tc.args, code, stdout, stderr)
		}
	}
}

// -h never shows the password of $MSSANTE_PG_DSN.
func TestBenchUsageHidesPassword(t *testing.T) {
	t.Setenv("MSSANTE_PG_DSN", "postgres://bench:s3cret@localhost/mss")
	code, stdout, _ := runCLI(t, "bench", "-h")
	if code != exitOK || strings.Contains(stdout, "s3cret") || !strings.Contains(stdout, "postgres://bench:xxxxx@localhost/mss") {
		t.Errorf("exit %d:\n%s", code, stdout)
	}
}
