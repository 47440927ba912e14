package delivery_test

import (
	"testing"

	"github.com/mssante-go/sdk/mssante/delivery"
	"github.com/mssante-go/sdk/mssante/delivery/storetest"
)

// The memory store keeps the Store contract.
func TestMemoryStore(t *testing.T) {
	storetest.TestStore(t, func(*testing.T) delivery.Store { return delivery.NewMemoryStore() }, nil)
}
