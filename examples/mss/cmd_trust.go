package main

import (
	"context"
	"errors"
)

// runTrust is a placeholder until the "trust" commands are written.
func runTrust(ctx context.Context, e *env, args []string) error {
	return errors.New("not implemented yet")
}
