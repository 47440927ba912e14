package main

import (
	"context"
	"errors"
)

// runCDA is a placeholder until the "cda" commands are written.
func runCDA(ctx context.Context, e *env, args []string) error {
	return errors.New("not implemented yet")
}
