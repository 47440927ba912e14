package main

import (
	"context"
	"errors"
)

// runCompose is a placeholder until the "compose" command is written.
func runCompose(ctx context.Context, e *env, args []string) error {
	return errors.New("not implemented yet")
}
