package main

import (
	"context"
	"testing"

	"github.com/mssante-go/sdk/annuaire/annuairetest"
)

// The tour against the fake Annuaire must keep working.
func TestTour(t *testing.T) {
	srv := annuairetest.NewServer(&annuairetest.Options{Practitioners: 300, Organizations: 20, Seed: 7})
	defer srv.Close()
	if err := tour(context.Background(), srv); err != nil {
		t.Fatal(err)
	}
}
