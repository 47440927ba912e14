package psctest

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// signingKey is an RS256 key of the server.
type signingKey struct {
	kid    string
	priv   *rsa.PrivateKey
	signer jose.Signer
}

// initialKey is the first signing key of every Server in the process:
// generating a 2048-bit RSA key takes up to a second on a busy machine,
// and each Server keeps its own issuer and token records, so sharing the
// key lets no server accept another's tokens. RotateKeys makes fresh keys.
var initialKey = sync.OnceValues(newSigningKey)

func newSigningKey() (*signingKey, error) {
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("psctest: generating a key: %w", err)
	}
	kid := randomHex(8)
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: priv, KeyID: kid}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		return nil, fmt.Errorf("psctest: signer: %w", err)
	}
	return &signingKey{kid: kid, priv: priv, signer: signer}, nil
}

// sign returns the compact JWS of claims with the current key.
func (s *Server) sign(claims map[string]any) (string, error) {
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	s.mu.Lock()
	k := s.keys[0]
	s.mu.Unlock()
	jws, err := k.signer.Sign(payload)
	if err != nil {
		return "", err
	}
	return jws.CompactSerialize()
}

func (s *Server) handleJWKS(w http.ResponseWriter, r *http.Request) {
	s.count(func(st *Stats) { st.JWKS++ })
	s.mu.Lock()
	var set jose.JSONWebKeySet
	for _, k := range s.keys {
		set.Keys = append(set.Keys, jose.JSONWebKey{Key: &k.priv.PublicKey, KeyID: k.kid, Algorithm: string(jose.RS256), Use: "sig"})
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, set)
}

// ErrInvalidToken is what Verify's errors match: the token is not an
// access token this server issued, or no longer valid.
var ErrInvalidToken = errors.New("psctest: invalid access token")

// TokenInfo describes a valid access token.
type TokenInfo struct {
	Subject    string    // sub
	NationalID string    // SubjectNameID
	ClientID   string    // azp
	Scope      string    // scope
	Audience   []string  // aud
	IssuedAt   time.Time // iat
	Expiry     time.Time // exp
}

// Verify checks that token is an access token this server issued and
// that it is still good: RS256 signature with one of the server's keys
// (retired keys too), issuer, type Bearer, audience (Options.Audience),
// expiry at the server's time, not made invalid by ExpireAccessTokens,
// and its PSC session not revoked. An MSSanté operator test double calls
// it to accept only this IdP's tokens.
func (s *Server) Verify(token string) error {
	_, err := s.Introspect(token)
	return err
}

// Introspect is Verify, returning what the token says.
func (s *Server) Introspect(token string) (TokenInfo, error) {
	fail := func(why string) (TokenInfo, error) { return TokenInfo{}, fmt.Errorf("%w: %s", ErrInvalidToken, why) }
	if len(token) > 16<<10 {
		return fail("too long")
	}
	jws, err := jose.ParseSignedCompact(token, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil || len(jws.Signatures) != 1 {
		return fail("not a signed JWT")
	}
	kid := jws.Signatures[0].Header.KeyID
	s.mu.Lock()
	var key *rsa.PublicKey
	for _, k := range s.keys {
		if k.kid == kid {
			key = &k.priv.PublicKey
		}
	}
	s.mu.Unlock()
	if key == nil {
		return fail("unknown key")
	}
	payload, err := jws.Verify(key)
	if err != nil {
		return fail("bad signature")
	}
	var c struct {
		Iss    string   `json:"iss"`
		Sub    string   `json:"sub"`
		Aud    audience `json:"aud"`
		Azp    string   `json:"azp"`
		Typ    string   `json:"typ"`
		Exp    int64    `json:"exp"`
		Iat    int64    `json:"iat"`
		Jti    string   `json:"jti"`
		Sid    string   `json:"sid"`
		Scope  string   `json:"scope"`
		NameID string   `json:"SubjectNameID"`
	}
	if err := json.Unmarshal(payload, &c); err != nil {
		return fail("malformed claims")
	}
	if c.Iss != s.issuer {
		return fail("another issuer")
	}
	if c.Typ != "Bearer" {
		return fail("not an access token")
	}
	ok := false
	for _, a := range s.opts.Audience {
		if slices.Contains(c.Aud, a) {
			ok = true
		}
	}
	if !ok {
		return fail("another audience")
	}
	if !s.now().Before(time.Unix(c.Exp, 0)) {
		return fail("expired")
	}
	s.mu.Lock()
	expired := s.expired[c.Jti]
	sid, known := s.access[c.Jti]
	g := s.grants[sid]
	s.mu.Unlock()
	if !known {
		return fail("not issued here")
	}
	if expired {
		return fail("expired")
	}
	if g == nil || !g.active {
		return fail("session revoked")
	}
	return TokenInfo{Subject: c.Sub, NationalID: c.NameID, ClientID: c.Azp, Scope: c.Scope, Audience: c.Aud,
		IssuedAt: time.Unix(c.Iat, 0), Expiry: time.Unix(c.Exp, 0)}, nil
}

// audience reads aud as a string or a list.
type audience []string

func (a *audience) UnmarshalJSON(b []byte) error {
	var one string
	if json.Unmarshal(b, &one) == nil {
		*a = []string{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return err
	}
	*a = many
	return nil
}
