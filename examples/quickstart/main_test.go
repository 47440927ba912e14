package main

import "testing"

// The quickstart is the README's first command: it must keep working.
func TestQuickstart(t *testing.T) {
	if err := run(); err != nil {
		t.Fatal(err)
	}
}
