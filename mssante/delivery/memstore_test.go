package delivery_test

import (
	"os"
	"testing"

	"github.com/mssante-go/sdk/mssante/delivery"
	"github.com/mssante-go/sdk/mssante/delivery/storetest"
)

// The memory store keeps the Store contract.
func TestMemoryStore(t *testing.T) {
	storetest.TestStore(t, func(*testing.T) delivery.Store { return delivery.NewMemoryStore() }, nil)
}

// scaleMessages is the size of the scale tests: 1,000,000 tracked messages
// with MSSANTE_LONG=1.
func scaleMessages() int {
	if os.Getenv("MSSANTE_LONG") != "" {
		return 1_000_000
	}
	return 20_000
}

// The tracker's work on the memory store does not grow with the messages.
func TestMemoryStoreScale(t *testing.T) {
	f := storetest.TestScale(t, delivery.NewMemoryStore(), &storetest.ScaleOptions{Messages: scaleMessages()})
	t.Log("memory: ", f)
}
