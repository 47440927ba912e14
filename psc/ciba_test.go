package psc_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/mssante-go/sdk/psc"
	"github.com/mssante-go/sdk/psc/psctest"
)

const drMartin = "810000000001"

// TestCIBAPolling checks the waits between polls on a fake clock: the
// announced interval before each poll, 5 s more after each slow_down, and
// never a poll the server finds too early.
func TestCIBAPolling(t *testing.T) {
	tests := []struct {
		name      string
		opts      psctest.Options
		slowDown  int
		wantWaits []time.Duration
		wantPolls int
	}{
		{"interval", psctest.Options{CIBAInterval: 5 * time.Second, CIBAPendingPolls: 2},
			0, []time.Duration{5 * time.Second, 5 * time.Second, 5 * time.Second}, 3},
		{"interval 1 s, approved at once", psctest.Options{CIBAInterval: time.Second, CIBAPendingPolls: -1},
			0, []time.Duration{time.Second}, 1},
		{"slow_down twice", psctest.Options{CIBAInterval: 5 * time.Second, CIBAPendingPolls: 3},
			2, []time.Duration{5 * time.Second, 10 * time.Second, 15 * time.Second, 15 * time.Second}, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, &tt.opts, nil)
			r.idp.SlowDown(tt.slowDown)
			s, err := r.c.LoginCIBA(context.Background(), psc.CIBARequest{LoginHint: drMartin, BindingMessage: "42", Channel: "CARD"})
			if err != nil {
				t.Fatal(err)
			}
			if w := r.clock.Waits(); !slices.Equal(w, tt.wantWaits) {
				t.Errorf("waits %v, want %v", w, tt.wantWaits)
			}
			st := r.idp.Stats()
			if st.CIBAPolls != tt.wantPolls || st.TooFastPolls != 0 || st.CIBARequests != 1 {
				t.Errorf("stats %+v", st)
			}
			if bm, ch := r.idp.LastCIBA(); bm != "42" || ch != "CARD" {
				t.Errorf("binding_message %q channel %q", bm, ch)
			}
			if id := s.Identity(); id.NationalID != drMartin || id.ACR != "eidas1" {
				t.Errorf("identity %+v", id)
			}
			tok, err := s.Token()
			if err != nil || r.idp.Verify(tok.AccessToken) != nil {
				t.Fatalf("token: %v", err)
			}
		})
	}
}

// TestCIBAEnds covers the ways a backchannel request ends without tokens.
func TestCIBAEnds(t *testing.T) {
	ctx := context.Background()
	t.Run("access_denied", func(t *testing.T) {
		r := newRig(t, nil, nil)
		r.idp.DenyCIBA(true)
		_, err := r.c.LoginCIBA(ctx, psc.CIBARequest{LoginHint: drMartin})
		if !errors.Is(err, psc.ErrAccessDenied) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("expired_token", func(t *testing.T) {
		r := newRig(t, &psctest.Options{CIBAPendingPolls: 100}, nil)
		b, err := r.c.StartCIBA(ctx, psc.CIBARequest{LoginHint: drMartin})
		if err != nil {
			t.Fatal(err)
		}
		r.idp.ExpireCIBA()
		_, err = r.c.PollCIBA(ctx, b)
		var te *psc.TokenError
		if !errors.Is(err, psc.ErrCIBAExpired) || !errors.As(err, &te) || te.Code != "expired_token" {
			t.Fatalf("err = %v", err)
		}
		if n := r.idp.Stats().CIBAPolls; n != 1 {
			t.Fatalf("%d polls", n)
		}
	})
	t.Run("local expiry, no poll after it", func(t *testing.T) {
		r := newRig(t, &psctest.Options{CIBAExpiresIn: 12 * time.Second, CIBAInterval: 5 * time.Second, CIBAPendingPolls: 100}, nil)
		_, err := r.c.LoginCIBA(ctx, psc.CIBARequest{LoginHint: drMartin})
		if !errors.Is(err, psc.ErrCIBAExpired) {
			t.Fatalf("err = %v", err)
		}
		// Polls at 5 s and 10 s; the wake at 15 s is past the expiry.
		if n := r.idp.Stats().CIBAPolls; n != 2 {
			t.Fatalf("%d polls, want 2", n)
		}
	})
	t.Run("unknown professional", func(t *testing.T) {
		r := newRig(t, nil, nil)
		_, err := r.c.LoginCIBA(ctx, psc.CIBARequest{LoginHint: "899999999999"})
		var te *psc.TokenError
		if !errors.As(err, &te) || te.Endpoint != "backchannel" || te.Code != "unknown_user_id" {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("no login hint", func(t *testing.T) {
		r := newRig(t, nil, nil)
		if _, err := r.c.LoginCIBA(ctx, psc.CIBARequest{}); !errors.Is(err, psc.ErrConfig) {
			t.Fatalf("err = %v", err)
		}
		if r.idp.Stats().CIBARequests != 0 {
			t.Fatal("request sent")
		}
	})
	t.Run("temporary failures while polling", func(t *testing.T) {
		r := newRig(t, &psctest.Options{CIBAPendingPolls: -1}, nil)
		b, err := r.c.StartCIBA(ctx, psc.CIBARequest{LoginHint: drMartin})
		if err != nil {
			t.Fatal(err)
		}
		r.idp.FailTokenRequests(2, 503)
		if _, err := r.c.PollCIBA(ctx, b); err != nil {
			t.Fatal(err)
		}
		r.idp.FailTokenRequests(100, 503)
		b, _ = r.c.StartCIBA(ctx, psc.CIBARequest{LoginHint: drMartin})
		if _, err := r.c.PollCIBA(ctx, b); !errors.Is(err, psc.ErrTemporary) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("context", func(t *testing.T) {
		r := newRig(t, nil, nil)
		b, _ := r.c.StartCIBA(ctx, psc.CIBARequest{LoginHint: drMartin})
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := r.c.PollCIBA(cctx, b); !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v", err)
		}
	})
}

// TestPSCTestEnforcesInterval checks the look-alike itself: a poll before
// the interval is answered slow_down and counted.
func TestPSCTestEnforcesInterval(t *testing.T) {
	r := newRig(t, &psctest.Options{CIBAInterval: 5 * time.Second, CIBAPendingPolls: 100}, nil)
	b, err := r.c.StartCIBA(context.Background(), psc.CIBARequest{LoginHint: drMartin})
	if err != nil {
		t.Fatal(err)
	}
	b.Interval = time.Second // a client that does not wait long enough
	b.ExpiresAt = b.ExpiresAt.Add(-100 * time.Second)
	_, err = r.c.PollCIBA(context.Background(), b)
	if !errors.Is(err, psc.ErrCIBAExpired) {
		t.Fatalf("err = %v", err)
	}
	if st := r.idp.Stats(); st.TooFastPolls == 0 {
		t.Fatalf("server did not notice: %+v", st)
	}
	if b.Interval <= time.Second {
		t.Fatalf("interval not raised on slow_down: %v", b.Interval)
	}
}
