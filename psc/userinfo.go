package psc

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
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
	tok, err := s.TokenContext(ctx)
	if err != nil {
		return Identity{}, err
	}
	claims, status, err := s.c.userInfo(ctx, tok.AccessToken)
	if status == http.StatusUnauthorized {
		s.Invalidate(tok.AccessToken)
	}
	if err != nil {
		return Identity{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if sub := str(claims["sub"]); sub != s.identity.Subject {
		return Identity{}, fmt.Errorf("psc: userinfo sub %s is not the ID token's", quote(sub))
	}
	s.identity = identityFrom(s.identity, claims)
	return s.identity, nil
}

// UserInfo fetches the identity an access token obtained elsewhere stands
// for (a token given to a command-line tool, say), from the environment's
// userinfo endpoint, the only place the token is sent. Prefer
// Session.UserInfo in a program that logged in: it checks the answer
// against the ID token's subject, which a bare access token cannot.
func (c *Client) UserInfo(ctx context.Context, accessToken string) (Identity, error) {
	claims, _, err := c.userInfo(ctx, accessToken)
	if err != nil {
		return Identity{}, err
	}
	return identityFrom(Identity{}, claims), nil
}

// userInfo asks the userinfo endpoint with accessToken and returns the
// verified claims, and the HTTP status when the endpoint answered.
func (c *Client) userInfo(ctx context.Context, accessToken string) (map[string]any, int, error) {
	u := c.meta.endpoint("userinfo_endpoint", c.cfg.Auth.mtls())
	if u == "" {
		return nil, 0, fmt.Errorf("%w: environment %s has no userinfo_endpoint", ErrConfig, quote(c.cfg.Environment.Name))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, 0, fmt.Errorf("%w: %v", ErrConfig, err)
	}
	req.Header.Set("Authorization", "Bearer "+accessToken)
	req.Header.Set("Accept", "application/json, application/jwt")
	resp, body, err := c.do(req, "userinfo")
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		return nil, status, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, resp.StatusCode, statusError("userinfo", "", resp, body)
	}
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	var payload []byte
	switch mt {
	case "application/json", "":
		payload = body
	case "application/jwt":
		raw := string(bytes.TrimSpace(body))
		if payload, err = c.keys.VerifySignature(ctx, raw); err != nil {
			return nil, resp.StatusCode, fmt.Errorf("psc: userinfo JWT: %w", err)
		}
	default:
		return nil, resp.StatusCode, fmt.Errorf("psc: userinfo endpoint: answer is %s", quote(mt))
	}
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.UseNumber()
	claims := map[string]any{}
	if err := dec.Decode(&claims); err != nil {
		return nil, resp.StatusCode, fmt.Errorf("psc: userinfo endpoint: malformed answer: %v", err)
	}
	if mt == "application/jwt" {
		if iss, ok := claims["iss"]; ok && iss != c.meta.Issuer {
			return nil, resp.StatusCode, fmt.Errorf("%w: userinfo JWT from %s", ErrIssuerMismatch, quote(str(iss)))
		}
		if aud, ok := claims["aud"]; ok && !slices.Contains(strs(aud), c.cfg.ClientID) {
			return nil, resp.StatusCode, fmt.Errorf("psc: userinfo JWT for another audience %q", strs(aud))
		}
	}
	return claims, resp.StatusCode, nil
}
