package psc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// CIBA (OpenID Connect Client-Initiated Backchannel Authentication Core
// 1.0, poll mode: the only mode PSC implements) lets a service ask PSC to
// authenticate a professional on another device: the e-CPS app, or the
// CPS card through CPS-Gestion. The service knows who it asks for (the
// login hint) and waits while the professional approves.

// CIBAGrantType is the grant_type of the CIBA token request.
const CIBAGrantType = "urn:openid:params:grant-type:ciba"

// Polling intervals (CIBA Core §7.3 and §11: 5 s when the server gives
// none; slow_down adds 5 s).
const (
	defaultCIBAInterval = 5 * time.Second
	slowDownStep        = 5 * time.Second
	maxCIBATemporary    = 3 // consecutive temporary poll failures tolerated
)

// CIBARequest is a backchannel authentication request.
type CIBARequest struct {
	// LoginHint identifies the professional: the national identifier
	// (IdNat_PS, e.g. "8" and the RPPS number). Required.
	LoginHint string
	// BindingMessage is shown on the authentication device so that the
	// professional can tell this request from another (a short code).
	// PSC's length and character limits are not documented in what we
	// could read; keep it short and ASCII. Optional.
	BindingMessage string
	// Channel is PSC's "channel" parameter, an extension seen in the ANS
	// proxy e-Santé example with the value "CARD" (authenticate with the
	// CPS card through CPS-Gestion). Its other values are not documented
	// in what we could read. Empty: not sent.
	Channel string
	// RequestedExpiry asks for a lifetime of the request (requested_expiry).
	// Zero: not sent, PSC's default (120 s in the ANS examples).
	RequestedExpiry time.Duration
}

// Backchannel is a started CIBA request. AuthReqID identifies it at the
// token endpoint; String and LogValue leave it out.
type Backchannel struct {
	AuthReqID string
	ExpiresAt time.Time
	Interval  time.Duration // the current polling interval
}

// String describes the request without its identifier.
func (b *Backchannel) String() string {
	return fmt.Sprintf("psc.Backchannel{ExpiresAt: %s, Interval: %s}", b.ExpiresAt.Format(time.RFC3339), b.Interval)
}

// GoString is String.
func (b *Backchannel) GoString() string { return b.String() }

// MarshalJSON writes the request without its identifier.
func (b *Backchannel) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		ExpiresAt time.Time     `json:"expires_at"`
		Interval  time.Duration `json:"interval"`
	}{b.ExpiresAt, b.Interval})
}

// LogValue logs the request without its identifier.
func (b *Backchannel) LogValue() slog.Value {
	return slog.GroupValue(slog.Time("expires_at", b.ExpiresAt), slog.Duration("interval", b.Interval))
}

// LoginCIBA starts a backchannel authentication and polls until the
// professional approves (a Session), refuses (ErrAccessDenied) or the
// request expires (ErrCIBAExpired).
func (c *Client) LoginCIBA(ctx context.Context, req CIBARequest) (*Session, error) {
	b, err := c.StartCIBA(ctx, req)
	if err != nil {
		return nil, err
	}
	return c.PollCIBA(ctx, b)
}

// StartCIBA sends the backchannel authentication request (CIBA Core §7.1)
// with the configured scopes and acr_values.
func (c *Client) StartCIBA(ctx context.Context, req CIBARequest) (*Backchannel, error) {
	if strings.TrimSpace(req.LoginHint) == "" {
		return nil, fmt.Errorf("%w: CIBA request without a login hint", ErrConfig)
	}
	form := url.Values{
		"scope":      {strings.Join(c.scopes, " ")},
		"login_hint": {req.LoginHint},
		"acr_values": {strings.Join(c.acr, " ")},
	}
	if req.BindingMessage != "" {
		form.Set("binding_message", req.BindingMessage)
	}
	if req.Channel != "" {
		form.Set("channel", req.Channel)
	}
	if req.RequestedExpiry > 0 {
		form.Set("requested_expiry", strconv.Itoa(int(req.RequestedExpiry/time.Second)))
	}
	var ack struct {
		AuthReqID string      `json:"auth_req_id"`
		ExpiresIn json.Number `json:"expires_in"`
		Interval  json.Number `json:"interval"`
	}
	if err := c.post(ctx, "backchannel_authentication_endpoint", "backchannel", form, &ack); err != nil {
		return nil, err
	}
	if ack.AuthReqID == "" {
		return nil, errors.New("psc: backchannel endpoint: answer without auth_req_id")
	}
	exp, ok := seconds(ack.ExpiresIn)
	if !ok {
		return nil, errors.New("psc: backchannel endpoint: answer without a valid expires_in")
	}
	interval, ok := seconds(ack.Interval)
	if !ok {
		interval = defaultCIBAInterval
	}
	b := &Backchannel{AuthReqID: ack.AuthReqID, ExpiresAt: c.clock.Now().Add(exp), Interval: interval}
	c.log.Debug("psc: CIBA request started", slog.Any("request", b))
	return b, nil
}

// PollCIBA polls the token endpoint (CIBA Core §7.3, §11): it waits
// b.Interval before each request, adds 5 s to it on slow_down, keeps
// polling on authorization_pending, and stops on access_denied
// (ErrAccessDenied), expired_token or the request's expiry
// (ErrCIBAExpired), or another error. A few temporary failures in a row
// are tolerated. b.Interval holds the interval in force when it returns.
func (c *Client) PollCIBA(ctx context.Context, b *Backchannel) (*Session, error) {
	if b == nil || b.AuthReqID == "" {
		return nil, fmt.Errorf("%w: PollCIBA without a started request", ErrConfig)
	}
	if b.Interval <= 0 {
		b.Interval = defaultCIBAInterval
	}
	temporary := 0
	for {
		if !c.clock.Now().Before(b.ExpiresAt) {
			return nil, fmt.Errorf("%w: no answer before %s", ErrCIBAExpired, b.ExpiresAt.Format(time.RFC3339))
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-c.clock.After(b.Interval):
		}
		if !c.clock.Now().Before(b.ExpiresAt) {
			return nil, fmt.Errorf("%w: no answer before %s", ErrCIBAExpired, b.ExpiresAt.Format(time.RFC3339))
		}
		form := url.Values{"grant_type": {CIBAGrantType}, "auth_req_id": {b.AuthReqID}}
		var tr tokenResponse
		err := c.post(ctx, "token_endpoint", "token", form, &tr)
		if err == nil {
			return c.newSession(ctx, &tr, idTokenCheck{})
		}
		var te *TokenError
		switch {
		case errors.Is(err, ErrTemporary):
			if temporary++; temporary > maxCIBATemporary {
				return nil, err
			}
			continue
		case errors.As(err, &te) && te.Code == "authorization_pending":
		case errors.As(err, &te) && te.Code == "slow_down":
			b.Interval += slowDownStep
			c.log.Debug("psc: CIBA slow_down", slog.Duration("interval", b.Interval))
		default:
			return nil, err
		}
		temporary = 0
	}
}
