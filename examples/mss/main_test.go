package main

import (
	"testing"

	"github.com/mssante-go/sdk/internal/pgtest"
)

// TestMain lets the tests of "mss track" use a real PostgreSQL
// (internal/pgtest), which it stops when they end.
func TestMain(m *testing.M) { pgtest.Main(m) }
