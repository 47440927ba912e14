package main

import (
	"context"
	"errors"
)

// runAnnuaire is a placeholder until the "annuaire" commands are written.
func runAnnuaire(ctx context.Context, e *env, args []string) error {
	return errors.New("not implemented yet")
}
