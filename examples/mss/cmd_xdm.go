package main

import (
	"context"
	"errors"
)

// runXDM is a placeholder until the "xdm" commands are written.
func runXDM(ctx context.Context, e *env, args []string) error {
	return errors.New("not implemented yet")
}
