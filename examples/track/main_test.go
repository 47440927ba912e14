package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// The example prints the three timelines the issue asks for, and leaves a
// store that "mss track" can read.
func TestTrackExample(t *testing.T) {
	var out bytes.Buffer
	store := filepath.Join(t.TempDir(), "track.db")
	if err := run(context.Background(), &out, store); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	got := out.String()
	for _, want := range []string{
		"Outbox: 3 messages taken, 3 submitted, 0 retries, 0 failed",
		"to bruno.durand@ch-test.mssante.fr: displayed",
		"displayed (mdn)",
		"to personne@ch-test.mssante.fr: failed",
		"(5.1.1)",
		"to claire.petit@pharmacien.mssante.fr: delivered, no read receipt",
		"+192h0m0s  delivered (timeout) delivery: no read receipt before the deadline",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	if strings.Count(got, "(settled)") != 3 || strings.Contains(got, "failed    (timeout)") {
		t.Errorf("the three messages settle, none by a timeout failure:\n%s", got)
	}
	if strings.Count(got, "submitted (smtp)") != 3 {
		t.Errorf("three submissions expected:\n%s", got)
	}
}
