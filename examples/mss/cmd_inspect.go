package main

import (
	"context"
	"errors"
)

// runInspect is a placeholder until the "inspect" command is written.
func runInspect(ctx context.Context, e *env, args []string) error {
	return errors.New("not implemented yet")
}
