package main

import (
	"context"
	"errors"
)

// runCert is a placeholder until the "cert" commands are written.
func runCert(ctx context.Context, e *env, args []string) error {
	return errors.New("not implemented yet")
}
