package backoff

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"testing"
	"testing/iotest"
	"time"
)

func TestNominal(t *testing.T) {
	for _, tt := range []struct {
		p    Policy
		n    int
		want time.Duration
	}{
		{Policy{Min: time.Second, Max: time.Minute}, 0, time.Second},
		{Policy{Min: time.Second, Max: time.Minute}, 1, time.Second},
		{Policy{Min: time.Second, Max: time.Minute}, 2, 2 * time.Second},
		{Policy{Min: time.Second, Max: time.Minute}, 6, 32 * time.Second},
		{Policy{Min: time.Second, Max: time.Minute}, 7, time.Minute},
		{Policy{Min: time.Second, Max: time.Minute}, 1 << 30, time.Minute},
		{Policy{Min: time.Second}, 5, time.Second},                         // no Max: no growth
		{Policy{Min: time.Minute, Max: time.Second}, 5, time.Minute},       // Max below Min
		{Policy{Max: time.Minute}, 3, 0},                                   // no Min: no wait
		{Policy{Min: time.Second, Max: math.MaxInt64}, 100, math.MaxInt64}, // no overflow
	} {
		if got := tt.p.Nominal(tt.n); got != tt.want {
			t.Errorf("%+v.Nominal(%d) = %v, want %v", tt.p, tt.n, got, tt.want)
		}
	}
}

// The jitter keeps every wait between half the nominal wait and all of it,
// and reaches both ends.
func TestDelayJitter(t *testing.T) {
	word := func(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }
	p := Policy{Min: 10 * time.Second, Max: time.Minute}
	for _, tt := range []struct {
		rand []byte
		n    int
		want time.Duration
	}{
		{word(0), 1, 5 * time.Second},
		{word(uint64(5 * time.Second)), 1, 10 * time.Second},
		{word(uint64(5*time.Second) + 1), 1, 5 * time.Second}, // modulo half+1
		{word(0), 3, 20 * time.Second},
		{word(uint64(30 * time.Second)), 10, time.Minute},
	} {
		p.Rand = bytes.NewReader(tt.rand)
		if got := p.Delay(tt.n); got != tt.want {
			t.Errorf("Delay(%d) with %x = %v, want %v", tt.n, tt.rand, got, tt.want)
		}
	}
	p.Rand = nil // crypto/rand
	for n := 1; n < 10; n++ {
		d, nom := p.Delay(n), p.Nominal(n)
		if d < nom/2 || d > nom {
			t.Errorf("Delay(%d) = %v, outside [%v, %v]", n, d, nom/2, nom)
		}
	}
	// A failing source gives the nominal wait.
	p.Rand = iotest.ErrReader(errors.New("no entropy"))
	if got := p.Delay(2); got != 20*time.Second {
		t.Errorf("failing source: %v", got)
	}
	// Nothing to jitter.
	if got := (Policy{Min: time.Nanosecond}).Delay(1); got != time.Nanosecond {
		t.Errorf("1ns: %v", got)
	}
	if got := (Policy{}).Delay(1); got != 0 {
		t.Errorf("zero policy: %v", got)
	}
}
