package psc

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
)

// UserInfo fetches the userinfo response (OpenID Connect Core §5.3) with
// the session's access token, merges its claims into the session's
// Identity and returns it. PSC's userinfo carries the full professional
// record (SubjectRefPro with the practices and situations, SubjectRole,
// otherIds...). A JSON response and a signed JWT (application/jwt,
// verified with PSC's keys) are both accepted; an encrypted one is not.
// The sub must be the ID token's.
func (s *Session) UserInfo(ctx context.Context) (Identity, error) {
	c := s.c
	u := c.meta.endpoint("userinfo_endpoint", c.cfg.Auth.mtls())
	if u == "" {
		return Identity{}, fmt.Errorf("%w: environment %s has no userinfo_endpoint", ErrConfig, quote(c.cfg.Environment.Name))
	}
	tok, err := s.TokenContext(ctx)
	if err != nil {
		return Identity{}, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return Identity{}, fmt.Errorf("%w: %v", ErrConfig, err)
	}
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	req.Header.Set("Accept", "application/json, application/jwt")
	resp, err := c.hc.Do(req)
	if err != nil {
		if errors.Is(err, ErrRedirect) {
			return Identity{}, err
		}
		return Identity{}, &TemporaryError{Cause: fmt.Errorf("psc: userinfo endpoint: %w", redactURLError(err))}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, c.maxBytes()+1))
	if err != nil {
		return Identity{}, &TemporaryError{Cause: fmt.Errorf("psc: userinfo endpoint: %v", err)}
	}
	if int64(len(body)) > c.maxBytes() {
		return Identity{}, fmt.Errorf("psc: userinfo endpoint: answer over %d bytes", c.maxBytes())
	}
	if resp.StatusCode != http.StatusOK {
		te := &TokenError{Endpoint: "userinfo", Status: resp.StatusCode}
		var er errorResponse
		if json.Unmarshal(body, &er) == nil {
			te.Code, te.Description = er.Error, er.Description
		}
		if resp.StatusCode == http.StatusUnauthorized {
			s.Invalidate(tok.AccessToken)
		}
		if te.temporary() {
			return Identity{}, &TemporaryError{Cause: te}
		}
		return Identity{}, te
	}
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	var payload []byte
	switch mt {
	case "application/json", "":
		payload = body
	case "application/jwt":
		raw := string(bytes.TrimSpace(body))
		if payload, err = c.keys.VerifySignature(ctx, raw); err != nil {
			return Identity{}, fmt.Errorf("psc: userinfo JWT: %w", err)
		}
	default:
		return Identity{}, fmt.Errorf("psc: userinfo endpoint: answer is %s", quote(mt))
	}
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.UseNumber()
	claims := map[string]any{}
	if err := dec.Decode(&claims); err != nil {
		return Identity{}, fmt.Errorf("psc: userinfo endpoint: malformed answer: %v", err)
	}
	if mt == "application/jwt" {
		if iss, ok := claims["iss"]; ok && iss != c.meta.Issuer {
			return Identity{}, fmt.Errorf("%w: userinfo JWT from %s", ErrIssuerMismatch, quote(str(iss)))
		}
		if aud, ok := claims["aud"]; ok && !slices.Contains(strs(aud), c.cfg.ClientID) {
			return Identity{}, fmt.Errorf("psc: userinfo JWT for another audience %q", strs(aud))
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if sub := str(claims["sub"]); sub != s.identity.Subject {
		return Identity{}, fmt.Errorf("psc: userinfo sub %s is not the ID token's", quote(sub))
	}
	s.identity = identityFrom(s.identity, claims)
	return s.identity, nil
}
