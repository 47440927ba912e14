package sysclock

import (
	"context"
	"testing"
	"time"
)

// Sleep returns when the clock fires, or with the context's error.
func TestSleep(t *testing.T) {
	if err := Sleep(context.Background(), Clock{}, time.Millisecond); err != nil {
		t.Errorf("Sleep: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Sleep(ctx, Clock{}, time.Hour); err != context.Canceled {
		t.Errorf("Sleep with a cancelled context: %v", err)
	}
	if err := Sleep(ctx, Clock{}, 0); err != context.Canceled {
		t.Errorf("Sleep 0 with a cancelled context: %v", err)
	}
}
